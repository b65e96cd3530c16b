"""Rough edges of the removal window a newcomer found (issue 12): a receipt the desktop cannot
open, and a step tried again."""

from __future__ import annotations

import threading
from collections.abc import Callable

from pytestqt.qtbot import QtBot

from audit import demo
from audit.model import ActionResult, Device
from audit.policy import load_policy
from audit.remediation import Step
from tests.helpers.memkeyring import MemoryKeyring
from tests.ui.wizard.conftest import WizardFactory
from tests.ui.wizard.drive import go_to, open_box, remove_page, sign, wait_idle
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import ReceiptPage, UsbPage

DemoWizard = Callable[..., RemovalWizard]
NZ = "nz-parliament-2023"


def test_the_receipt_page_says_when_nothing_opened_the_pdf_and_shows_where_it_is(
    qtbot: QtBot, demo_wizard: DemoWizard, memory_keyring: MemoryKeyring
) -> None:
    wizard = demo_wizard(load_policy(NZ))
    go_to(qtbot, wizard, wizard.remove_ids[0])
    open_box(remove_page(wizard)).button.click()
    wait_idle(qtbot, wizard)
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    go_to(qtbot, wizard, Pages.USB_DEBUGGING)
    usb = wizard.currentPage()
    assert isinstance(usb, UsbPage)
    usb.skipped.setChecked(True)
    go_to(qtbot, wizard, Pages.ATTEST)
    sign(qtbot, wizard, "Anna Smith", "S1234")
    saved = wizard.saved
    assert saved is not None and saved.pdf is not None
    receipt = wizard.currentPage()
    assert isinstance(receipt, ReceiptPage)
    wizard.open_url = lambda _url: False  # type: ignore[method-assign]  # no PDF reader here
    assert not receipt.not_opened.isVisibleTo(receipt)
    receipt.open_pdf.click()
    assert receipt.not_opened.isVisibleTo(receipt)
    assert receipt.not_opened.words.text().startswith(
        "This computer has no program set up to open the PDF, so nothing opened."
    )
    assert receipt.not_opened.path.text() == str(saved.pdf)
    receipt.show_file.click()
    assert "open the folder the receipt is in" in receipt.not_opened.words.text()
    assert receipt.not_opened.path.text() == str(saved.path)
    wizard.open_url = lambda _url: True  # type: ignore[method-assign]
    receipt.open_pdf.click()
    assert not receipt.not_opened.isVisibleTo(receipt)


class FailsThenWaits:
    """A phone whose first try of a step fails; the second waits until the test lets it go."""

    def __init__(self) -> None:
        self.tries = 0
        self.started = threading.Event()
        self.go = threading.Event()

    def run(self, step: Step) -> ActionResult:
        self.tries += 1
        if self.tries > 1:
            self.started.set()
            self.go.wait(30)
        return ActionResult(
            kind=step.action,
            device=Device.android_id(demo.DEMO_SERIAL),
            identifier=step.target.identifier,
            user=step.target.user,
            ok=False,
            message=f"The phone said no (try {self.tries}).",
            advice=f"Try again (answer {self.tries}).",
            code="DELETE_FAILED_INTERNAL_ERROR",
        )


def test_while_a_step_is_tried_again_its_old_error_is_not_shown_beside_the_progress(
    qtbot: QtBot, make_wizard: WizardFactory
) -> None:
    from audit.policy import evaluate
    from audit.sources.android.scan import scan_phone
    from tests.ui.wizard.conftest import DAY

    demo.switch_on()
    first = evaluate(scan_phone(demo.DEMO_ADDRESS), load_policy(NZ), day=DAY)
    phone = FailsThenWaits()
    wizard = make_wizard(first, executor=phone)
    go_to(qtbot, wizard, wizard.remove_ids[0])
    box = open_box(remove_page(wizard))
    box.button.click()
    wait_idle(qtbot, wizard)
    assert box.result.isVisibleTo(box)  # the phone's no, in red
    shown = box.result.title.text() + box.result.text.text() + box.result.next_step.text()
    assert "answer 1" in shown, shown
    box.button.click()  # again
    qtbot.waitUntil(phone.started.is_set, timeout=10_000)
    assert wizard.busy
    assert box.busy.isVisibleTo(box)
    assert not box.result.isVisibleTo(box)  # not the red error of the first try
    assert box.busy.bar.maximum() == 0  # a bar that moves: no figure yet
    phone.go.set()
    wait_idle(qtbot, wizard)
    assert "answer 2" in box.result.next_step.text()  # the second answer
