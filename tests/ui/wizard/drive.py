"""Drivers for the wizard in tests: press its own buttons (only when a person could) and wait."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget, QWizard
from pytestqt.qtbot import QtBot

from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import AttestPage
from ui.wizard.pages_remove import RemovePage
from ui.wizard.plan_panel import PlanPanel, StepBox

WAIT_MS = 30_000


def wait_idle(qtbot: QtBot, wizard: RemovalWizard) -> None:
    qtbot.waitUntil(lambda: not wizard.busy, timeout=WAIT_MS)


def forward_button(wizard: RemovalWizard) -> QAbstractButton:
    page = wizard.currentPage()
    if page.isCommitPage():
        return wizard.button(QWizard.WizardButton.CommitButton)
    if page.isFinalPage():
        return wizard.button(QWizard.WizardButton.FinishButton)
    return wizard.button(QWizard.WizardButton.NextButton)


def can_go_on(wizard: RemovalWizard) -> bool:
    button = forward_button(wizard)
    return button.isVisible() and button.isEnabled()


def press_next(wizard: RemovalWizard) -> None:
    """Press Next (or "Sign and save" on the signing page), as a person would."""
    button = forward_button(wizard)
    name = wizard.currentPage().objectName()
    assert button.isVisible() and button.isEnabled(), f"no way on from {name}"
    button.click()


def go_to(qtbot: QtBot, wizard: RemovalWizard, page: int) -> None:
    press_next(wizard)
    qtbot.waitUntil(lambda: wizard.currentId() == page, timeout=WAIT_MS)


def press_back(wizard: RemovalWizard) -> None:
    button = wizard.button(QWizard.WizardButton.BackButton)
    assert button.isVisible() and button.isEnabled(), "Back is not available"
    button.click()


def click(qtbot: QtBot, wizard: RemovalWizard, button: QAbstractButton) -> None:
    """Click a page's button and wait for the work it starts to finish."""
    assert button.isVisible() and button.isEnabled(), f"{button.text()!r} cannot be pressed"
    button.click()
    wait_idle(qtbot, wizard)


def shown_texts(widget: QWidget) -> list[str]:
    """The texts of the labels in `widget` that a person sees (were `widget` on screen).

    A page that lists things again (clear_layout, then new labels) hides the old labels at once
    but deletes them only when the event loop gets to it, and a layout shows the new ones the
    same way: right after a page change, findChildren may still find the old labels, and the
    new ones may not be shown yet. Wait for the list (qtbot.waitUntil), do not read it once.
    """
    return [w.text() for w in widget.findChildren(QLabel) if w.isVisibleTo(widget)]


def remove_page(wizard: RemovalWizard) -> RemovePage:
    page = wizard.currentPage()
    assert isinstance(page, RemovePage), page.objectName()
    return page


def open_box(page: RemovePage | PlanPanel) -> StepBox:
    """The step box whose button can be pressed now (the first step still to do).

    A panel built while its page is on screen has its widgets shown by a queued call (a layout
    shows a new child once the event loop gets to it), so those calls are run first: otherwise
    a busy machine can find every button of a brand-new panel not yet visible.
    """
    QApplication.sendPostedEvents()
    panel = page.panel if isinstance(page, RemovePage) else page
    boxes = [b for b in panel.step_boxes if b.button.isVisible()]
    assert boxes, "nothing left to do on this page"
    return boxes[0]


def sign(
    qtbot: QtBot,
    wizard: RemovalWizard,
    name: str,
    staff_id: str,
    *,
    technician: str = "",
    report: bool = False,
) -> None:
    """Fill in the signing page, agree, and press "Sign and save"; waits for the receipt."""
    page = wizard.currentPage()
    assert isinstance(page, AttestPage), page.objectName()
    if report:
        page.report.setChecked(True)
    if technician:
        page.technician.setText(technician)
    page.name.setText(name)
    page.staff_id.setText(staff_id)
    page.agree.setChecked(False)
    assert not can_go_on(wizard), "signing was possible without agreeing"
    page.agree.setChecked(True)
    go_to(qtbot, wizard, Pages.RECEIPT)
