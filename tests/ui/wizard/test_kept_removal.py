"""What the wizard did is kept until it is signed: a window closed before signing (no keyring,
no time, a restart) is carried on by the next window on that device, or signed by
`device-audit attest`; a saved removal that cannot be used is set aside, never lost."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from audit.attestation import verify_file
from audit.cli import main
from audit.model import ActionKind, Policy, ScanResult
from audit.policy import evaluate, load_policy, loads_policy
from audit.progress import CancelCheck, Progress
from audit.remediation import Rights, pending
from audit.remediation.pending import PendingRemoval
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.ui.wizard.conftest import DAY, PhoneWizard, WizardFactory
from tests.ui.wizard.drive import (
    WAIT_MS,
    click,
    go_to,
    open_box,
    remove_page,
    shown_texts,
    sign,
    wait_idle,
)
from tests.ui.wizard.test_followups_wizard import DEB, POLICY, computer
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import ReceiptPage, UsbPage
from ui.wizard.pages_remove import ReviewPage

TIKTOK = "com.zhiliaoapp.musically"
CAPCUT = "com.lemon.lvoverseas"
REMOVED = [(CAPCUT, "0", True), (TIKTOK, "10", True)]


def remove_everything(qtbot: QtBot, wizard: RemovalWizard) -> None:
    for _ in wizard.remove_ids:
        go_to(qtbot, wizard, wizard.currentPage().nextId())
        click(qtbot, wizard, open_box(remove_page(wizard)).button)


def saved_removal(wizard: RemovalWizard, policy: Policy) -> Path:
    return pending.pending_path(wizard.session.device.id, policy.id)


@pytest.mark.adb
def test_a_removal_closed_before_signing_is_carried_on_and_signed_by_the_next_window(
    qtbot: QtBot,
    wizard_for: PhoneWizard,
    sim_phone: PhoneFactory,
    memory_keyring: MemoryKeyring,
    answer_yes: list[str],
) -> None:
    phone = sim_phone("samsung-work-profile")
    policy = load_policy("us-federal-2023")
    first = wizard_for(phone, policy)
    remove_everything(qtbot, first)
    path = saved_removal(first, policy)
    kept = pending.load(path)  # saved after each removal, before anything is signed
    assert kept is not None
    assert sorted((a.identifier, a.user, a.ok) for a in kept.actions) == REMOVED
    assert TIKTOK in {app.identifier for app in kept.first_scan.apps}
    first.reject()
    assert answer_yes == ["Close without signing?"]
    assert not first.isVisible()

    # Later (another window, or after a restart): the phone is compliant now.
    second = wizard_for(phone, policy)
    review = second.currentPage()
    assert isinstance(review, ReviewPage)
    assert review.carried_on.title.text().startswith("Carrying on with the removal begun ")
    assert "What was done then is kept (2 steps)" in review.carried_on.text.text()
    assert review.summary.title.text() == "Every banned app found has been dealt with"
    status = review.findChild(QLabel, "status")
    assert status is not None and status.text().startswith("When first checked: Not compliant")
    assert not review.all_users.isVisibleTo(review)  # the way it was begun is kept
    assert second.resumed_actions == 2 and not second.new_actions
    go_to(qtbot, second, Pages.REMOVE)
    box = remove_page(second).panel.step_boxes[0]
    assert box.state.text() == "Done." and not box.button.isVisible()
    assert box.result.title.text().startswith("Done: ")

    go_to(qtbot, second, Pages.REMOVE + 1)
    go_to(qtbot, second, Pages.VERIFY)
    wait_idle(qtbot, second)
    assert second.session.can_attest, second.session.blockers()
    go_to(qtbot, second, Pages.USB_DEBUGGING)
    usb = second.currentPage()
    assert isinstance(usb, UsbPage)
    usb.confirmed.setChecked(True)
    go_to(qtbot, second, Pages.ATTEST)
    sign(qtbot, second, "Anna Smith", "S1234")
    assert second.saved is not None
    predicate = verify_file(second.saved.path).statement["predicate"]
    assert sorted((a["identifier"], a["user"], a["ok"]) for a in predicate["actions"]) == REMOVED
    before = {(f["app"], f["user"]): (f["state_before"], f["state"]) for f in predicate["findings"]}
    assert before[(TIKTOK, "10")] == ("installed", "absent")
    assert not path.exists()  # the receipt holds it now: the next window starts afresh
    receipt = second.currentPage()
    assert isinstance(receipt, ReceiptPage)

    def lists_what_was_done() -> None:
        assert sorted(shown_texts(receipt.done_list)) == [
            "\u2022 CapCut was removed from the main profile.",
            "\u2022 TikTok was removed from the work profile.",
        ]

    qtbot.waitUntil(lists_what_was_done, timeout=WAIT_MS)


@pytest.mark.adb
@pytest.mark.usefixtures("memory_keyring")
def test_the_command_line_attest_signs_what_the_wizard_removed(
    qtbot: QtBot,
    wizard_for: PhoneWizard,
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    phone = sim_phone("samsung-work-profile")
    policy = load_policy("us-federal-2023")
    wizard = wizard_for(phone, policy)
    remove_everything(qtbot, wizard)
    path = saved_removal(wizard, policy)
    wizard.reject()
    wizard.receipts_dir.mkdir(parents=True)
    out = wizard.receipts_dir / "receipt.json"
    code = main(
        [
            "attest",
            "--device",
            phone.address,
            "--adb-port",
            str(adb_server.port),
            "--policy",
            policy.id,
            "--date",
            DAY.isoformat(),
            "--name",
            "Anna Smith",
            "--staff-id",
            "S1234",
            "--accept-statement",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "Using the removal begun" in printed
    predicate = verify_file(out).statement["predicate"]
    assert sorted((a["identifier"], a["user"], a["ok"]) for a in predicate["actions"]) == REMOVED
    assert not path.exists()


# --- this computer, and records that cannot be used --------------------------------------------


class Desk:
    """This computer with a TikTok deb that the person removes by hand."""

    def __init__(self) -> None:
        self.installed = True

    def rescan(self, _progress: Progress, _cancelled: CancelCheck) -> ScanResult:
        return computer(*((DEB,) if self.installed else ()), at=datetime.now(UTC))


def open_on_desk(make_wizard: WizardFactory, policy: Policy, desk: Desk) -> RemovalWizard:
    first = computer(*((DEB,) if desk.installed else ()), at=datetime.now(UTC))
    return make_wizard(
        evaluate(first, policy, day=DAY), rescan=desk.rescan, rights=Rights(admin=False)
    )


def confirm_removal(qtbot: QtBot, wizard: RemovalWizard, desk: Desk) -> None:
    go_to(qtbot, wizard, Pages.REMOVE)
    box = open_box(remove_page(wizard))
    desk.installed = False  # the person ran the command shown
    click(qtbot, wizard, box.button)  # "I've done this"
    assert box.state.text() == "Done."


def test_a_step_done_by_hand_is_kept_and_carried_on(
    qtbot: QtBot, make_wizard: WizardFactory
) -> None:
    policy = loads_policy(POLICY)
    desk = Desk()
    first = open_on_desk(make_wizard, policy, desk)
    confirm_removal(qtbot, first, desk)
    path = saved_removal(first, policy)
    kept = pending.load(path)
    assert kept is not None
    assert [a.kind for a in kept.actions] == [ActionKind.MANUAL]
    first.reject()

    second = open_on_desk(make_wizard, policy, desk)
    assert [a.kind for a in second.session.actions] == [ActionKind.MANUAL]
    assert [f.app.identifier for f in second.session.before.violations] == [DEB.identifier]
    go_to(qtbot, second, Pages.REMOVE)
    box = remove_page(second).panel.step_boxes[0]
    assert box.state.text() == "Done."  # the same step, matched by what was confirmed


@pytest.mark.allow_warning_logs
def test_a_damaged_saved_removal_is_set_aside_and_said(
    qtbot: QtBot, make_wizard: WizardFactory
) -> None:
    policy = loads_policy(POLICY)
    desk = Desk()
    path = pending.pending_path("local:test", policy.id)
    path.parent.mkdir(parents=True)
    path.write_text("{ not json")
    wizard = open_on_desk(make_wizard, policy, desk)
    review = wizard.currentPage()
    assert isinstance(review, ReviewPage)
    assert review.carried_on.title.text() == "A saved removal was not used"
    # The workflow's words, the same as `device-audit remove` prints (audit.workflow.saved).
    assert "is not valid: it is not JSON" in review.carried_on.text.text()
    assert "set aside as" in review.carried_on.text.text()
    assert not path.exists()
    (aside,) = path.parent.glob(path.name + ".damaged-*")
    assert aside.read_text() == "{ not json"  # nothing in it is deleted
    assert wizard.resumed is None and not wizard.session.actions


def test_a_removal_saved_under_another_version_of_the_policy_is_not_carried_on(
    qtbot: QtBot, make_wizard: WizardFactory
) -> None:
    policy = loads_policy(POLICY)
    older = loads_policy(POLICY.replace("no TikTok desktop package", "older wording"))
    assert (older.id, older.sha256 != policy.sha256) == (policy.id, True)
    desk = Desk()
    path = pending.pending_path("local:test", policy.id)
    old = PendingRemoval.start(computer(DEB, at=datetime.now(UTC)), older)
    pending.save(old, path)
    wizard = open_on_desk(make_wizard, policy, desk)
    review = wizard.currentPage()
    assert isinstance(review, ReviewPage)
    assert "has changed since it was saved" in review.carried_on.text.text()
    assert wizard.resumed is None
    # Set aside at once, as `device-audit remove` does (one rule, audit.workflow.saved): it can
    # never be carried on nor signed, so left in place it would only make the main window
    # show a signature pending that Attest… cannot make. It is kept, and the page says where.
    assert not path.exists()
    (aside,) = path.parent.glob(path.name + ".replaced-*")
    assert aside.name in review.carried_on.text.text()
    assert pending.loads_pending(aside.read_text()).policy_sha256 == older.sha256
    confirm_removal(qtbot, wizard, desk)
    kept = pending.load(path)
    assert kept is not None and kept.policy_sha256 == policy.sha256


@pytest.mark.allow_warning_logs
def test_when_what_was_done_cannot_be_kept_closing_says_so(
    qtbot: QtBot, make_wizard: WizardFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = loads_policy(POLICY)
    desk = Desk()
    folder = pending.pending_folder()
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the folder should be")
    wizard = open_on_desk(make_wizard, policy, desk)
    confirm_removal(qtbot, wizard, desk)
    assert isinstance(wizard.keep_error, OSError)
    asked: list[tuple[str, str, str]] = []

    def ask(_cls: type, _parent: object, _title: str, text: str, button: str, keep: str) -> bool:
        asked.append((text, button, keep))
        return False

    monkeypatch.setattr(RemovalWizard, "ask_confirm", classmethod(ask))
    wizard.reject()
    assert wizard.isVisible()
    ((text, button, keep),) = asked
    assert "it could not be kept on this computer" in text
    assert (button, keep) == ("Close anyway", "Keep working")
