"""A phone that came with TikTok: what the wizard offers and claims follows the policy's
compliant states exactly, and Restore brings a removed built-in app back."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from audit.attestation import verify_file
from audit.attestation.statement import StatementKind
from audit.model import ActionKind, Policy
from audit.paths import resource
from audit.policy import load_policy
from audit.remediation import StepState
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.phones import PhoneFactory
from tests.ui.wizard.conftest import PhoneWizard
from tests.ui.wizard.drive import (
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
from ui.wizard.pages_attest import AttestPage, UsbPage
from ui.wizard.pages_check import ExemptionsPage, VerifyPage

pytestmark = pytest.mark.adb

TIKTOK = "com.zhiliaoapp.musically"
NZ = "nz-parliament-2023"
NZ_STATES = 'compliant_states = ["absent", "removed_for_user"]'


def variant(tmp_path: Path, states: str, suffix: str) -> Policy:
    """The NZ policy with other compliant states (a policy file of its own, own id)."""
    body = resource("policies", f"{NZ}.toml").read_text(encoding="utf-8")
    assert NZ_STATES in body
    body = body.replace(NZ_STATES, f"compliant_states = {states}")
    body = body.replace(f'id = "{NZ}"', f'id = "{NZ}-{suffix}"', 1)
    path = tmp_path / f"{NZ}-{suffix}.toml"
    path.write_text(body, encoding="utf-8")
    return load_policy(path)


def to_verify(qtbot: QtBot, wizard: RemovalWizard) -> VerifyPage:
    while wizard.currentId() != Pages.VERIFY:
        go_to(qtbot, wizard, wizard.currentPage().nextId())
    wait_idle(qtbot, wizard)
    page = wizard.currentPage()
    assert isinstance(page, VerifyPage)
    return page


def result_lines(page: VerifyPage) -> list[str]:
    from PySide6.QtWidgets import QLabel

    return [w.text() for w in page.results.findChildren(QLabel)]


def test_removed_for_user_is_compliant_when_the_policy_says_so_and_restore_brings_it_back(
    qtbot: QtBot,
    wizard_for: PhoneWizard,
    sim_phone: PhoneFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phone = sim_phone("oem-preinstalled-tiktok")
    wizard = wizard_for(phone, load_policy(NZ))
    assert len(wizard.remove_ids) == 2  # the owner and the guest user
    go_to(qtbot, wizard, Pages.REMOVE)
    page = remove_page(wizard)
    note = page.panel.note
    assert note.isVisibleTo(page)
    assert "accepts 'removed for this user'" in note.text.text()
    assert "but not 'disabled'" in note.text.text()
    box = open_box(page)
    assert box.step.action is ActionKind.UNINSTALL
    assert "the copy built into the phone stays and can be restored" in box.confirmation.text()
    click(qtbot, wizard, box.button)
    assert phone.state.state_of(TIKTOK, 0) == "removed_for_user"

    # Restore: asked first, in the restore step's own words; then the app is back.
    asked: list[tuple[str, str]] = []

    def ask(parent: object, title: str, text: str, button: str) -> bool:
        asked.append((title, text))
        return True

    monkeypatch.setattr(RemovalWizard, "ask_confirm", classmethod(lambda cls, *a, **_: ask(*a)))
    assert box.undo_button.isVisible()
    assert box.undo_button.text() == "Restore TikTok"
    click(qtbot, wizard, box.undo_button)
    assert asked and asked[0][0] == "Restore TikTok"
    assert "installed again" in asked[0][1]
    assert phone.state.state_of(TIKTOK, 0) == "installed"
    assert box.result.title.text() == "Done: TikTok is back in the main profile."
    assert wizard.session.step_state(box.step) is StepState.PENDING
    assert box.button.isVisible()  # it can be removed again

    click(qtbot, wizard, box.button)
    go_to(qtbot, wizard, Pages.REMOVE + 1)
    click(qtbot, wizard, open_box(remove_page(wizard)).button)
    verify = to_verify(qtbot, wizard)
    assert verify.summary.title.text() == (
        "Every banned app is gone, or in a state the policy allows "
        "(for example removed for this profile)"
    )
    main_line = next(line for line in result_lines(verify) if "main profile" in line)
    assert main_line.startswith(  # "the main profile" or "the main profile (user 0)"
        "\u2022 TikTok is removed for this user (the built-in copy stays) in the main profile"
    )
    assert main_line.endswith(", which this policy accepts.")
    assert wizard.session.can_attest
    assert [a.kind for a in wizard.session.actions] == [
        ActionKind.UNINSTALL,
        ActionKind.RESTORE,
        ActionKind.UNINSTALL,
        ActionKind.UNINSTALL,
    ]


def test_a_policy_that_accepts_only_disabled_gets_disable_not_removal(
    qtbot: QtBot, wizard_for: PhoneWizard, sim_phone: PhoneFactory, tmp_path: Path
) -> None:
    phone = sim_phone("oem-preinstalled-tiktok")
    policy = variant(tmp_path, '["absent", "disabled"]', "disabled")
    wizard = wizard_for(phone, policy)
    go_to(qtbot, wizard, Pages.REMOVE)
    page = remove_page(wizard)
    actions = [b.step.action for b in page.panel.step_boxes if b.step.automatic]
    assert actions == [ActionKind.DISABLE]  # no "remove for this user": not accepted
    assert "but not 'removed for this user'" in page.panel.note.text.text()
    box = open_box(page)
    click(qtbot, wizard, box.button)
    assert phone.state.state_of(TIKTOK, 0) == "disabled"
    assert box.undo_button.text() == "Enable TikTok again"
    go_to(qtbot, wizard, Pages.REMOVE + 1)
    click(qtbot, wizard, open_box(remove_page(wizard)).button)
    verify = to_verify(qtbot, wizard)
    assert wizard.session.can_attest
    assert any(
        "is disabled" in line and "which this policy accepts" in line
        for line in result_lines(verify)
    )


def test_a_policy_that_accepts_neither_gets_a_manual_step_and_no_claim_of_compliance(
    qtbot: QtBot,
    wizard_for: PhoneWizard,
    sim_phone: PhoneFactory,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
) -> None:
    phone = sim_phone("oem-preinstalled-tiktok")
    wizard = wizard_for(phone, variant(tmp_path, '["absent"]', "strict"))
    go_to(qtbot, wizard, Pages.REMOVE)
    page = remove_page(wizard)
    assert not any(b.step.automatic for b in page.panel.step_boxes)
    assert "accepts neither" in page.panel.note.text.text()
    box = open_box(page)
    assert box.button.text() == "I've done this"
    assert box.step.title == "Ask IT about the built-in TikTok"
    click(qtbot, wizard, box.button)  # the person says they contacted IT
    assert box.state.text() == "Done."
    assert phone.state.state_of(TIKTOK, 0) == "installed"  # nothing was done to the phone

    verify = to_verify(qtbot, wizard)
    assert verify.summary.title.text() == "Some banned apps are still on the device"
    assert not wizard.session.can_attest
    go_to(qtbot, wizard, Pages.EXEMPTIONS)
    exemptions = wizard.currentPage()
    assert isinstance(exemptions, ExemptionsPage)
    assert "No exemptions file is loaded" in exemptions.none_loaded.text()
    go_to(qtbot, wizard, Pages.USB_DEBUGGING)
    usb = wizard.currentPage()
    assert isinstance(usb, UsbPage)
    assert usb.not_yet.title.text() == "The phone is not shown to be compliant yet"
    usb.skipped.setChecked(True)
    go_to(qtbot, wizard, Pages.ATTEST)
    attest = wizard.currentPage()
    assert isinstance(attest, AttestPage)
    assert attest.state.title.text() == "This device cannot be attested as compliant yet"
    assert "\u2022 TikTok, installed in the main profile: this app is banned and still there." in [
        w.text() for w in attest.blockers.findChildren(type(attest.state.title))
    ]
    assert not attest.form.isVisibleTo(attest)
    assert not attest.statement.isVisibleTo(attest)  # no compliance statement to agree to
    assert not can_go_on(wizard)  # nothing can be signed as compliant

    sign(qtbot, wizard, "Anna Smith", "S1234", report=True)
    saved = wizard.saved
    assert saved is not None
    verified = verify_file(saved.path)
    assert verified.kind is StatementKind.NONCOMPLIANCE_REPORT
    assert not verified.compliant
    predicate = verified.statement["predicate"]
    assert predicate["usb_debugging"] == "skipped"
    assert "is NOT shown to be compliant" in predicate["statement"]
    assert "TikTok, installed in the main profile" in predicate["statement"]
    assert saved.path.name.startswith("noncompliance-report-")
    assert wizard.currentPage().kind.title.text() == "Non-compliance report signed and saved"
    assert not press_back_possible(wizard)


def press_back_possible(wizard: RemovalWizard) -> bool:
    try:
        press_back(wizard)
    except AssertionError:
        return False
    return True
