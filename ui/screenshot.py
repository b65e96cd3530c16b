"""Taking the README's screenshot from the real app: the demo phone, scanned, a banned app shown.

Run as `DEVICE_AUDIT_SCREENSHOT=docs/screenshot-main.png python main.py --demo` (under Xvfb on a
machine without a display).
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from audit.model import FindingStatus
from ui.device_list import ScanPhase
from ui.main_window import MainWindow

log = logging.getLogger(__name__)

POLL_MS = 200
GIVE_UP_S = 90.0


def take_when_ready(window: MainWindow, path: str) -> None:
    """Wait for the demo phone's assessment, select its first banned app, save a picture."""
    deadline = time.monotonic() + GIVE_UP_S
    timer = QTimer(window)

    def poll() -> None:
        serial = window.demo
        entry = window.devices.entry(serial) if serial else None
        session = window.sessions.get(serial)
        if entry is not None and window.current_id() != serial:
            window.device_panel.select(serial)
        ready = (
            entry is not None
            and entry.phase is ScanPhase.SCANNED
            and session is not None
            and session.assessment is not None
        )
        if ready and session is not None and session.assessment is not None:
            banned = session.assessment.with_status(FindingStatus.VIOLATION)
            if banned:
                window.select_app(banned[0].app.identifier, banned[0].app.user)
            timer.stop()
            QTimer.singleShot(500, lambda: _save(window, path))
        elif time.monotonic() > deadline:
            timer.stop()
            log.error("the demo phone was not scanned in time; saving what is shown")
            _save(window, path)

    timer.timeout.connect(poll)
    timer.start(POLL_MS)


def _save(window: MainWindow, path: str) -> None:
    window.grab().save(path)
    print(f"screenshot saved to {path}", flush=True)
    QApplication.quit()
