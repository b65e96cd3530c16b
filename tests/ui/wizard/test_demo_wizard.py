"""The removal window on the app's demo phone: no adb server, and a receipt marked SIMULATED."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from audit import demo
from audit.attestation import verify_file
from audit.model import AppState
from audit.policy import load_policy
from tests.helpers.memkeyring import MemoryKeyring
from tests.ui.wizard.drive import go_to, open_box, remove_page, sign, wait_idle
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import ReceiptPage, UsbPage

DemoWizard = Callable[..., RemovalWizard]
TIKTOK = "com.zhiliaoapp.musically"


def test_a_receipt_of_the_demo_phone_says_it_is_simulated_on_the_receipt_page(
    qtbot: QtBot, demo_wizard: DemoWizard, memory_keyring: MemoryKeyring
) -> None:
    wizard = demo_wizard(load_policy("nz-parliament-2023"), helpdesk=True)
    go_to(qtbot, wizard, wizard.remove_ids[0])
    open_box(remove_page(wizard)).button.click()
    wait_idle(qtbot, wizard)
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    go_to(qtbot, wizard, Pages.USB_DEBUGGING)
    usb = wizard.currentPage()
    assert isinstance(usb, UsbPage)
    usb.confirmed.setChecked(True)
    go_to(qtbot, wizard, Pages.ATTEST)
    sign(qtbot, wizard, "Anna Smith", "S1234", technician="Tom Tech")
    assert wizard.saved is not None and verify_file(wizard.saved.path).simulated
    receipt = wizard.currentPage()
    assert isinstance(receipt, ReceiptPage)
    assert receipt.kind.title.text() == "Attestation of compliance signed and saved"
    assert "receipt of the SIMULATED demo phone" in receipt.kind.text.text()
    keep = receipt.findChild(QLabel, "keep").text()  # a demo audit is never in the history
    assert keep.startswith("Give the staff member their copy")
    assert keep.endswith("A demo phone's audit is not kept in the history.")
    assert "View \u203a History" not in keep


def test_the_demo_phone_removes_for_real_and_a_step_after_it_is_switched_off_says_so(
    qtbot: QtBot, demo_wizard: DemoWizard
) -> None:
    wizard = demo_wizard(load_policy("nz-parliament-2023"))
    phone = demo.switch_on()
    assert [a.state for a in phone.scan().apps if a.identifier == TIKTOK] == [AppState.INSTALLED]
    go_to(qtbot, wizard, wizard.remove_ids[0])
    page = remove_page(wizard)
    demo.switch_off()
    open_box(page).button.click()
    wait_idle(qtbot, wizard)
    [failed] = wizard.session.actions
    assert not failed.ok and failed.code == "DEVICE_GONE"
    assert "The demo phone is switched off." in failed.message
    assert "Try the demo phone" in failed.advice
    demo.switch_on()  # as new: the step is done on it when tried again
    open_box(page).button.click()
    wait_idle(qtbot, wizard)
    assert wizard.session.actions[-1].ok
    assert not [a for a in demo.switch_on().scan().apps if a.identifier == TIKTOK]


def test_a_removal_left_unsigned_is_forgotten_when_the_demo_phone_starts_afresh(
    qtbot: QtBot, demo_wizard: DemoWizard
) -> None:
    """Switched on again, the demo phone has TikTok again: the removal window starts afresh
    instead of carrying on a removal that the phone no longer shows."""
    nz = load_policy("nz-parliament-2023")
    wizard = demo_wizard(nz)
    go_to(qtbot, wizard, wizard.remove_ids[0])
    open_box(remove_page(wizard)).button.click()
    wait_idle(qtbot, wizard)
    kept = wizard.removal.pending_path(wizard.device)
    assert kept.exists()
    wizard.reject()
    demo.switch_on()  # still on: nothing is forgotten
    assert kept.exists()
    demo.switch_off()
    again = demo_wizard(nz)  # switches it on afresh
    assert not kept.exists()
    assert not again.session.attempts and again.resumed is None
