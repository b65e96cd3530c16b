"""The removal window in the pseudo-language (issue 17): every word of every page comes from the
catalogue, and the pages still fit when the words are a third longer.

The pseudo-language wraps each catalogue string in ⟦ ⟧ and lengthens it, so a text on screen
without ⟦ is a text that bypassed the catalogue (an f-string a person reads, a word table
translated at import), and a page that needs a horizontal scroll bar is one a longer language
would cut off. The only texts allowed through as they are: the key's fingerprint and the verify
command, which are data, the same in every language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QScrollArea,
    QWidget,
    QWizardPage,
)
from pytestqt.qtbot import QtBot

from audit.i18n import ENGLISH, PSEUDO, set_language
from audit.policy import load_policy
from tests.helpers.memkeyring import MemoryKeyring
from tests.ui.wizard.drive import go_to, open_box, remove_page, sign, wait_idle
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import AttestPage, ReceiptPage, UsbPage
from ui.wizard.pages_check import ExemptionsPage

DemoWizard = Callable[..., RemovalWizard]


@pytest.fixture
def pseudo() -> Iterator[None]:
    set_language(PSEUDO)
    yield
    set_language(ENGLISH)


def words(page: QWizardPage) -> list[str]:
    """Every text a person reads or hears on the page: titles, labels, buttons, group boxes,
    accessible names and tool tips of what is visible."""
    texts = [page.window().windowTitle(), page.title(), page.subTitle()]
    for child in page.findChildren(QWidget):
        if not child.isVisibleTo(page):
            continue
        if isinstance(child, (QLabel, QAbstractButton)):
            texts.append(child.text())
        if isinstance(child, QGroupBox):
            texts.append(child.title())
        texts += [child.accessibleName(), child.toolTip()]
    return [t for t in texts if any(c.isalpha() for c in t)]


def problems(wizard: RemovalWizard) -> list[str]:
    """What on the current page bypassed the catalogue, or does not fit its width."""
    QApplication.sendPostedEvents()
    QApplication.processEvents()
    page = wizard.currentPage()
    data = set()
    if isinstance(page, ReceiptPage):  # the same in every language
        data = {page.fingerprint.text(), page.command.text()}
    found = [f"not from the catalogue: {t!r}" for t in words(page) if "⟦" not in t]
    found = [f for f in found if not any(repr(d) in f for d in data)]
    area = page.findChild(QScrollArea)
    assert area is not None
    if area.horizontalScrollBar().maximum() > 0:
        found.append(f"{page.objectName()} is wider than the window")
    return found


def test_every_page_of_a_removal_at_the_bench_reads_from_the_catalogue(
    qtbot: QtBot, demo_wizard: DemoWizard, memory_keyring: MemoryKeyring, pseudo: None
) -> None:
    wizard = demo_wizard(load_policy("nz-parliament-2023"), helpdesk=True)
    assert problems(wizard) == []
    go_to(qtbot, wizard, wizard.remove_ids[0])
    assert problems(wizard) == []
    open_box(remove_page(wizard)).button.click()
    wait_idle(qtbot, wizard)
    assert problems(wizard) == []  # the step's result, in words
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    assert problems(wizard) == []
    go_to(qtbot, wizard, Pages.USB_DEBUGGING)
    usb = wizard.currentPage()
    assert isinstance(usb, UsbPage)
    assert problems(wizard) == []
    usb.confirmed.setChecked(True)
    go_to(qtbot, wizard, Pages.ATTEST)
    assert problems(wizard) == []
    sign(qtbot, wizard, "Anna Smith", "S1234", technician="Tom Tech")
    receipt = wizard.currentPage()
    assert isinstance(receipt, ReceiptPage)
    assert problems(wizard) == []
    # What the receipt records as done is the sentence itself, without the step's "Done:",
    # whatever "Done:" is in the language (it was cut off the English words before).
    done = [label.text() for label in receipt.done_list.findChildren(QLabel)]
    assert done and all("⟦" in line and "Døñé" not in line for line in done), done


def test_a_staff_members_report_of_a_phone_still_not_compliant_reads_from_the_catalogue(
    qtbot: QtBot, demo_wizard: DemoWizard, memory_keyring: MemoryKeyring, pseudo: None
) -> None:
    """Nothing removed: the check page lists what is still there, the exemptions page offers
    a request, the signing page lists what stands in the way, and a report is signed."""
    wizard = demo_wizard(load_policy("nz-parliament-2023"))
    for page_id in wizard.remove_ids:
        go_to(qtbot, wizard, page_id)
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    assert problems(wizard) == []
    go_to(qtbot, wizard, Pages.EXEMPTIONS)
    page = wizard.currentPage()
    assert isinstance(page, ExemptionsPage)
    assert problems(wizard) == []
    go_to(qtbot, wizard, Pages.USB_DEBUGGING)
    usb = wizard.currentPage()
    assert isinstance(usb, UsbPage)
    usb.skipped.setChecked(True)
    go_to(qtbot, wizard, Pages.ATTEST)
    attest = wizard.currentPage()
    assert isinstance(attest, AttestPage) and attest.blocked
    attest.report.setChecked(True)
    assert problems(wizard) == []
    assert "⟦" in attest.statement.toPlainText()  # the statement signed, in the person's words
    sign(qtbot, wizard, "Anna Smith", "S1234", report=True)
    assert problems(wizard) == []
