"""The removal window by keyboard alone, at the helpdesk: each page puts the keyboard on its
first field, so Alt+N to the signing page and typing the staff member's name fills in that
name, and Tab goes on to the staff id, never over the technician's name filled in already."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.drive import start_main_window
from tests.ui.samples import DAY
from ui import settings
from ui.device_list import ScanPhase
from ui.main_window import MainWindow
from ui.sources import Sources, real_sources
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import AttestPage

NZ = "nz-parliament-2023"
WAIT_MS = 10_000


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    real = real_sources()  # the demo phone is in-process: no tracker, no adb server
    sources = Sources(None, real.scan_phone, None, phone_details=real.phone_details)
    main = MainWindow(
        sources,
        auto_scan_local=False,
        helpdesk=True,
        today=lambda: DAY,
        history_path=tmp_path / "history.db",
        receipts_dir=tmp_path / "receipts",
    )
    qtbot.addWidget(main)
    yield start_main_window(qtbot, main, timeout=WAIT_MS, policy=NZ)
    main.shutdown()


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard"
    return widget


def alt_n(qtbot: QtBot, wizard: RemovalWizard, page: int) -> None:
    """Alt+N (Next), as a person at the keyboard, and wait for the page and its work."""
    qtbot.keyClick(focused(), Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: wizard.currentId() == page and not wizard.busy, timeout=WAIT_MS)


def test_at_the_helpdesk_the_signing_page_takes_the_staff_name_first_by_keyboard(
    qtbot: QtBot, window: MainWindow
) -> None:
    settings.set_technician("Tom Tech")  # signed the phone before this one
    window.set_demo(True)
    serial = window.demo
    qtbot.waitUntil(
        lambda: (
            (entry := window.devices.entry(serial)) is not None
            and entry.phase is ScanPhase.SCANNED
            and window.sessions[serial].assessment is not None
        ),
        timeout=WAIT_MS,
    )
    wizard = window.open_wizard(serial)
    assert isinstance(wizard, RemovalWizard)
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow, timeout=WAIT_MS)

    alt_n(qtbot, wizard, wizard.remove_ids[0])
    assert focused().text().startswith("Remove")  # the step's button: Space presses it
    qtbot.keyClick(focused(), Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: bool(wizard.session.actions) and not wizard.busy, timeout=WAIT_MS)
    alt_n(qtbot, wizard, Pages.VERIFY)
    alt_n(qtbot, wizard, Pages.USB_DEBUGGING)
    assert focused().text() == "I have switched USB debugging &off"
    qtbot.keyClick(focused(), Qt.Key.Key_Space)
    alt_n(qtbot, wizard, Pages.ATTEST)

    page = wizard.currentPage()
    assert isinstance(page, AttestPage)
    assert page.technician.text() == "Tom Tech"  # offered: the same technician, phone after phone
    assert focused() is page.name
    qtbot.keyClicks(focused(), "Anna Smith")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is page.staff_id
    qtbot.keyClicks(focused(), "S1234")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is page.technician
    assert (page.name.text(), page.staff_id.text(), page.technician.text()) == (
        "Anna Smith",
        "S1234",
        "Tom Tech",
    )


def test_f6_in_a_removal_window_goes_back_to_the_queue(qtbot: QtBot, window: MainWindow) -> None:
    window.set_demo(True)
    serial = window.demo
    qtbot.waitUntil(lambda: window.sessions.get(serial) is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.sessions[serial].assessment is not None, timeout=WAIT_MS)
    wizard = window.open_wizard(serial)
    assert isinstance(wizard, RemovalWizard)
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(focused(), Qt.Key.Key_F6)
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    assert window.queue_panel is not None
    assert focused() is window.queue_panel.view
    assert wizard.isVisible()  # the removal goes on in its window
