"""The new screens for a screen reader and the keyboard: every control has a name, the tab order
follows the screen, and colours come from the palette except the status stripes and badges."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from tests.ui.fakes import FeedTracker, Phones, fake_sources
from tests.ui.history_data import DAY
from ui.dashboard import DashboardWindow
from ui.history import HistoryWindow
from ui.main_window import MainWindow
from ui.receipts_import import ImportWindow
from ui.recorder import AuditRecorder

WAIT = 10_000


def unnamed(window: QWidget) -> tuple[int, list[str]]:
    """How many focusable visible controls there are, and which have no accessible name."""
    missing = []
    checked = 0
    for widget in window.findChildren(QWidget):
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or not widget.isVisibleTo(window):
            continue
        if type(widget).__name__ in ("QScrollBar", "QCalendarWidget"):
            continue
        checked += 1
        interface = QAccessible.queryAccessibleInterface(widget)
        if interface is None or not interface.text(QAccessible.Text.Name).strip():
            missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return checked, missing


def focus_chain(start: QWidget, wanted: list[QWidget]) -> list[QWidget]:
    chain: list[QWidget] = []
    widget = start
    for _ in range(300):
        if widget in wanted and widget not in chain:
            chain.append(widget)
        widget = widget.nextInFocusChain()
        if widget is start:
            break
    return chain


def test_the_helpdesk_window(qtbot: QtBot, keep_alive: list[object]) -> None:
    tracker = FeedTracker()
    window = MainWindow(
        fake_sources(Phones(), tracker), auto_scan_local=False, helpdesk=True, today=lambda: DAY
    )
    keep_alive.append(window)
    qtbot.addWidget(window)
    window.show()
    tracker.put("P1")
    window.start()
    qtbot.waitUntil(lambda: window.queue_panel.model.rowCount() == 1, timeout=WAIT)
    checked, missing = unnamed(window)
    assert checked >= 8 and missing == []
    queue = window.queue_panel
    assert focus_chain(
        window.policy_box,
        [window.policy_box, queue.view, queue.open_button, queue.next_button, window.filter_edit],
    ) == [window.policy_box, queue.view, queue.open_button, queue.next_button, window.filter_edit]
    styled = {w.objectName() for w in window.findChildren(QWidget) if "color" in w.styleSheet()}
    assert styled <= {"statusBadge", "simulatedNotice"}


def test_the_history_window(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]
) -> None:
    window = HistoryWindow(recorder)
    keep_alive.append(window)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == 6, timeout=WAIT)
    with qtbot.waitSignal(window.detailed, timeout=WAIT):
        window.select_audit(next(r.audit.id for r in window.model.rows if r.audit.attested))
    checked, missing = unnamed(window)
    assert checked >= 12 and missing == []
    order = [
        window.search,
        window.person,
        window.device,
        window.policy,
        window.status,
        window.use_since,
        window.use_until,
        window.latest,
        window.clear_button,
        window.table,
        window.details.open_pdf,
    ]
    assert focus_chain(window.search, order) == order
    assert not [w for w in window.findChildren(QWidget) if "color" in w.styleSheet()]


def test_the_dashboard(qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]) -> None:
    window = DashboardWindow(recorder, policy_id="nz-parliament-2023", today=lambda: DAY)
    keep_alive.append(window)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        window.show()
    checked, missing = unnamed(window)
    assert checked >= 9 and missing == []
    tiles = list(window.tiles.values())
    order = [window.policy, window.export_button, *tiles, window.people_table]
    assert focus_chain(window.policy, order) == order
    # Only the count tiles' colour stripes are fixed colours; their text follows the palette.
    styled = [w for w in window.findChildren(QWidget) if "solid #" in w.styleSheet()]
    assert set(styled) == set(tiles)
    assert not any(re.search(r"(?<![-\w])color\s*:", t.styleSheet()) for t in tiles)


def test_the_import_report(
    qtbot: QtBot, recorder: AuditRecorder, tmp_path: Path, keep_alive: list[object]
) -> None:
    folder = tmp_path / "receipts"  # the history's own receipt files (and stand-in PDFs)
    window = ImportWindow(recorder, folder)
    keep_alive.append(window)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.finished, timeout=WAIT):
        window.start()
    checked, missing = unnamed(window)
    assert checked >= 2 and missing == []
