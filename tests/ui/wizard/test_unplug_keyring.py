"""What goes wrong, and how the wizard comes back from it: a phone unplugged during removal,
and a computer with no usable keyring."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import keyring.core
import pytest
from pytestqt.qtbot import QtBot

from audit.attestation import verify_file
from audit.model import (
    Assessment,
    Device,
    DeviceKind,
    ScanResult,
    SourceReport,
    SourceStatus,
)
from audit.policy import evaluate, load_policy
from audit.progress import CancelCheck, Progress
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.ui.wizard.conftest import DAY, PhoneWizard, WizardFactory
from tests.ui.wizard.drive import (
    WAIT_MS,
    can_go_on,
    click,
    go_to,
    open_box,
    press_back,
    remove_page,
    sign,
    wait_idle,
)
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import AttestPage
from ui.wizard.pages_check import VerifyPage
from ui.wizard.pages_remove import ReviewPage


@pytest.mark.adb
def test_a_phone_unplugged_during_removal_is_explained_blocks_attesting_and_resumes(
    qtbot: QtBot,
    wizard_for: PhoneWizard,
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    memory_keyring: MemoryKeyring,
) -> None:
    phone = sim_phone("samsung-work-profile")
    wizard = wizard_for(phone, load_policy("us-federal-2023"))
    go_to(qtbot, wizard, Pages.REMOVE)
    first = open_box(remove_page(wizard))
    click(qtbot, wizard, first.button)
    assert first.state.text() == "Done."

    phone.unplug()
    adb_server.wait_for_state(phone.address, {"offline", None})
    go_to(qtbot, wizard, Pages.REMOVE + 1)
    second = open_box(remove_page(wizard))
    click(qtbot, wizard, second.button)
    assert second.result.title.text() == (
        "The phone was disconnected before Device Audit could finish."
    )
    assert "plug the phone in again" in second.result.next_step.text()
    assert "What is already done is not done twice." in second.result.next_step.text()
    assert second.button.text().startswith("Try again: ")
    assert second.state.text().startswith("This did not work.")

    # The check cannot be made, so nothing can be signed: there is no way past this page.
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    verify = wizard.currentPage()
    assert isinstance(verify, VerifyPage)
    assert verify.error.isVisibleTo(verify)
    assert verify.error.title.text() in (
        "The phone was disconnected",
        "The phone is not responding",
        "The phone could not be read",
    )
    assert not can_go_on(wizard)
    assert wizard.session.after is None and not wizard.session.can_attest

    # Plugged in again: back to the failed step, try again, and carry on to the end.
    phone.replug()
    adb_server.client().connect(phone.address, timeout=10)
    adb_server.wait_for_state(phone.address, {"device"})
    press_back(wizard)
    assert wizard.currentId() == Pages.REMOVE + 1
    click(qtbot, wizard, second.button)
    assert second.state.text() == "Done."
    assert first.state.text() == "Done."
    assert len(wizard.session.results(first.step)) == 1  # the first removal was not redone
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    assert not verify.error.isVisibleTo(verify)
    assert wizard.session.verification is not None
    assert wizard.session.verification.all_resolved
    go_to(qtbot, wizard, Pages.USB_DEBUGGING)
    wizard.currentPage().confirmed.setChecked(True)
    go_to(qtbot, wizard, Pages.ATTEST)
    sign(qtbot, wizard, "Anna Smith", "S1234")
    assert wizard.saved is not None
    verified = verify_file(wizard.saved.path)
    assert verified.compliant
    actions = verified.statement["predicate"]["actions"]
    assert [a["ok"] for a in actions] == [True, False, True]
    assert actions[1]["code"] == "DEVICE_GONE"


# --- no keyring ----------------------------------------------------------------------------


def computer_scan(at: datetime) -> ScanResult:
    """A computer with nothing banned on it, read completely."""
    return ScanResult(
        device=Device(id="local:test", kind=DeviceKind.COMPUTER, name="laptop-42"),
        started_at=at,
        finished_at=at + timedelta(seconds=1),
        sources=(SourceReport("dpkg", SourceStatus.OK, count=0),),
    )


def clean_computer() -> tuple[Assessment, list[datetime]]:
    policy = load_policy("us-federal-2023")
    first = datetime(2023, 3, 20, 9, 0, tzinfo=UTC)
    return evaluate(computer_scan(first), policy, day=DAY), [first]


def keyring_checked(qtbot: QtBot, wizard: RemovalWizard) -> None:
    """Wait for the keyring check the wizard starts when it opens (or on "Try again")."""
    qtbot.waitUntil(
        lambda: not wizard.keyring_checking and wizard.keyring_checked_at is not None,
        timeout=WAIT_MS,
    )


def to_signing(qtbot: QtBot, wizard: RemovalWizard) -> AttestPage:
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    go_to(qtbot, wizard, Pages.ATTEST)  # a computer: no USB-debugging page
    page = wizard.currentPage()
    assert isinstance(page, AttestPage)
    page.name.setText("Anna Smith")
    page.staff_id.setText("S1234")
    page.agree.setChecked(True)
    return page


def test_with_no_usable_keyring_the_first_page_says_so_and_signing_writes_nothing(
    qtbot: QtBot, make_wizard: WizardFactory, receipts: Path
) -> None:
    """tests/conftest.py sets keyring's "fail" backend: no keyring can keep the key."""
    assessment, _ = clean_computer()
    scans: list[int] = []

    def rescan(_progress: Progress, _cancelled: CancelCheck) -> ScanResult:
        scans.append(1)
        return computer_scan(datetime.now(UTC))

    wizard = make_wizard(assessment, rescan=rescan)
    keyring_checked(qtbot, wizard)
    review = wizard.currentPage()
    assert isinstance(review, ReviewPage)
    # Said before anything is done, in plain words; the person may go on and remove.
    notice = review.keyring.notice
    assert review.keyring.isVisibleTo(review)
    assert notice.title.text() == "This computer cannot sign the receipt yet"
    assert notice.text.text().startswith("No keyring is available on this computer")
    assert notice.text.text().endswith(
        "You can still remove the apps now: what you do is kept on this computer, and you can "
        "sign later, once IT has set up the keyring."
    )
    shown = notice.text.text() + notice.next_step.text()
    if sys.platform.startswith("linux"):
        assert notice.next_step.text().startswith(
            "What to do: Ask your IT helpdesk to set up a keyring on this computer."
        )
    # What IT needs is there, folded away until asked for.
    for admin_word in ("dbus-run-session", "PYTHON_KEYRING_BACKEND"):
        assert admin_word not in shown
    assert not notice.details.isVisibleTo(review)
    notice.show_details.click()
    assert notice.details.isVisibleTo(review)
    assert "PYTHON_KEYRING_BACKEND" in notice.details.text()
    assert "never keeps its signing key in a plain file" in notice.details.text()
    assert can_go_on(wizard)

    page = to_signing(qtbot, wizard)
    assert scans == [1]
    assert page.keyring.isVisibleTo(page)
    assert "you can close this window and sign later" in page.keyring.notice.text.text()
    # "Sign and save" cannot be pressed to no effect: it waits until "Try again" finds one.
    assert not can_go_on(wizard)
    page.keyring.again.click()
    keyring_checked(qtbot, wizard)
    assert wizard.currentId() == Pages.ATTEST  # still here
    assert page.keyring.isVisibleTo(page)
    assert page.keyring.checked.text().startswith("Looked for it at ")
    assert not page.error.isVisibleTo(page)  # said once, by the keyring notice
    assert wizard.saved is None
    assert not receipts.exists() or not any(receipts.iterdir())
    assert not can_go_on(wizard)


MEMORY = "tests.helpers.memkeyring.MemoryKeyring"


@pytest.fixture
def keyring_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """keyring's own config file, private to the test, as IT would set it: no
    PYTHON_KEYRING_BACKEND, and a keyringrc.cfg that names the failing backend (no keyring
    here yet), picked as at program start. The keyring in use before is put back after."""
    from keyring.util import platform_

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "config"))
    root = Path(platform_.config_root())
    root.mkdir(parents=True)
    config = root / "keyringrc.cfg"
    config.write_text("[backend]\ndefault-keyring = keyring.backends.fail.Keyring\n")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    previous = keyring.get_keyring()
    keyring.core.init_backend()
    try:
        yield config
    finally:
        keyring.set_keyring(previous)


def test_a_keyring_set_up_while_the_app_runs_is_found_with_try_again(
    qtbot: QtBot, make_wizard: WizardFactory, keyring_config: Path
) -> None:
    assessment, _ = clean_computer()
    wizard = make_wizard(assessment, rescan=lambda _p, _c: computer_scan(datetime.now(UTC)))
    keyring_checked(qtbot, wizard)
    page = to_signing(qtbot, wizard)
    assert page.keyring.isVisibleTo(page)

    # IT sets up a keyring on this computer, through keyring's own config file.
    keyring_config.write_text(f"[backend]\ndefault-keyring = {MEMORY}\n")
    page.keyring.again.click()
    keyring_checked(qtbot, wizard)
    assert wizard.keyring_problem is None
    assert not page.keyring.isVisibleTo(page)
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring)
    assert backend.writes == 0  # looking for the keyring never makes a key

    go_to(qtbot, wizard, Pages.RECEIPT)
    assert wizard.saved is not None
    assert verify_file(wizard.saved.path).compliant
    assert backend.writes == 1  # the key was made once, in the keyring IT set up


def test_after_the_keyring_is_fixed_signing_again_finds_it(
    qtbot: QtBot,
    make_wizard: WizardFactory,
    receipts: Path,
    monkeypatch: pytest.MonkeyPatch,
    keyring_config: Path,
) -> None:
    assessment, _ = clean_computer()
    wizard = make_wizard(assessment, rescan=lambda _p, _c: computer_scan(datetime.now(UTC)))
    page = to_signing(qtbot, wizard)
    keyring_checked(qtbot, wizard)
    assert wizard.keyring_problem is not None
    assert page.keyring.isVisibleTo(page)
    assert not can_go_on(wizard)  # "Sign and save" waits for a keyring

    chosen = receipts.parent / "chosen folder"
    monkeypatch.setattr(RemovalWizard, "ask_folder", classmethod(lambda cls, *a: str(chosen)))
    page.change_folder.click()
    assert page.folder.text() == f"The receipt will be saved in: {chosen}"

    keyring_config.write_text(f"[backend]\ndefault-keyring = {MEMORY}\n")
    page.keyring.again.click()  # IT set it up: "Try again" finds it, then "Sign and save"
    keyring_checked(qtbot, wizard)
    go_to(qtbot, wizard, Pages.RECEIPT)
    assert wizard.saved is not None and wizard.saved.path.parent == chosen
    assert not receipts.exists()
    verified = verify_file(wizard.saved.path)
    assert verified.compliant
    assert verified.statement["predicate"]["usb_debugging"] == "not_applicable"
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring) and backend.writes == 1
    assert wizard.keyring_problem is None
