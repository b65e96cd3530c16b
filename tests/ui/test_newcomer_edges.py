"""Rough edges a newcomer found (issue 12), each shown from the windows a person uses: the
history and dashboard read again after an import and on F5, windows that fit a small screen,
History closed from the keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from audit.attestation import Signer, write_receipt
from audit.store import Store
from tests.audit.store import factory as f
from tests.ui.fakes import FeedTracker, Phones, fake_sources
from tests.ui.history_data import DAY
from ui.dashboard import DashboardWindow
from ui.history import HistoryWindow
from ui.main_window import MainWindow
from ui.windows import FRAME, fitted, placed

WAIT = 10_000
NEWCOMER = f.Person("Nikau Newcomer", "PS-7007")


@pytest.fixture
def main(qtbot: QtBot, db: Path, keep_alive: list[object]) -> Iterator[MainWindow]:
    window = MainWindow(
        fake_sources(Phones(), FeedTracker()),
        auto_scan_local=False,
        auto_scan_phones=False,
        history_path=db,
        today=lambda: DAY,
    )
    keep_alive.append(window)
    qtbot.addWidget(window)
    yield window
    window.shutdown()


def staff_receipts(folder: Path) -> Path:
    """A folder with one receipt a member of staff signed on their own computer."""
    folder.mkdir()
    envelope = f.receipt(Signer.generate(), f.phone("N7"), NEWCOMER, f.Outcome.CLEAN, day=DAY)
    write_receipt(envelope, folder / "nikau.json")
    return folder


def counted(qtbot: QtBot, dashboard: DashboardWindow) -> None:
    """Choose the policy of the history's audits on the dashboard and wait for its counts."""
    qtbot.waitUntil(lambda: dashboard.policy.findData(f.POLICY.id) >= 0, timeout=WAIT)
    dashboard.policy.setCurrentIndex(dashboard.policy.findData(f.POLICY.id))
    qtbot.waitUntil(lambda: dashboard.counts is not None, timeout=WAIT)


def press_f5(qtbot: QtBot, window: QWidget) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_F5)


def people_in(history: HistoryWindow) -> set[str]:
    return {row.audit.staff_id for row in history.model.rows}


def test_history_and_dashboard_read_again_after_receipts_are_imported(
    qtbot: QtBot, main: MainWindow, tmp_path: Path
) -> None:
    history = main.show_history()
    dashboard = main.show_dashboard()
    assert isinstance(history, HistoryWindow) and isinstance(dashboard, DashboardWindow)
    qtbot.waitUntil(lambda: history.model.rowCount() == 6, timeout=WAIT)
    counted(qtbot, dashboard)
    assert dashboard.counts is not None
    devices_before = dashboard.counts.counts.total
    folder = staff_receipts(tmp_path / "from-staff")
    main.ask_folder = lambda _title: str(folder)  # type: ignore[method-assign]
    main.import_action.trigger()
    report = main.windows["import"]
    qtbot.waitUntil(lambda: report.report is not None, timeout=WAIT)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "PS-7007" in people_in(history), timeout=WAIT)
    qtbot.waitUntil(
        lambda: (
            dashboard.counts is not None and dashboard.counts.counts.total == devices_before + 1
        ),
        timeout=WAIT,
    )


def test_f5_reads_the_history_again_in_history_and_dashboard(
    qtbot: QtBot, main: MainWindow, db: Path
) -> None:
    history = main.show_history()
    dashboard = main.show_dashboard()
    qtbot.waitUntil(lambda: history.model.rowCount() == 6, timeout=WAIT)
    counted(qtbot, dashboard)
    assert dashboard.counts is not None
    devices_before = dashboard.counts.counts.total
    before, after, actions = f.audit_inputs(f.phone("N7"), NEWCOMER, f.Outcome.CLEAN, day=DAY)
    with Store(db) as store:  # written by another program: no window was told
        store.record_audit([before, after], actions, person_name=NEWCOMER.name, staff_id="PS-7007")
    press_f5(qtbot, history)
    qtbot.waitUntil(lambda: "PS-7007" in people_in(history), timeout=WAIT)
    press_f5(qtbot, dashboard)
    qtbot.waitUntil(
        lambda: (
            dashboard.counts is not None and dashboard.counts.counts.total == devices_before + 1
        ),
        timeout=WAIT,
    )


@pytest.mark.parametrize("key", ["Esc", "Ctrl+W", "button"])
def test_history_closes_with_esc_ctrl_w_or_its_close_button(
    qtbot: QtBot, main: MainWindow, key: str
) -> None:
    history = main.show_history()
    history.activateWindow()
    qtbot.waitUntil(history.isActiveWindow, timeout=WAIT)
    assert history.isVisible()
    if key == "Esc":
        qtbot.keyClick(history.table, Qt.Key.Key_Escape)
    elif key == "Ctrl+W":
        qtbot.keyClick(history.table, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    else:
        assert history.close_button.text() == "Close"
        qtbot.mouseClick(history.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "history" not in main.windows, timeout=WAIT)  # closed and deleted


# --- windows on a small screen --------------------------------------------------------------

SCREENS = [QRect(0, 0, 1280, 720), QRect(0, 0, 1366, 768), QRect(0, 0, 1366, 728)]


@pytest.mark.parametrize("available", SCREENS, ids=lambda r: f"{r.width()}x{r.height()}")
@pytest.mark.parametrize(
    ("what", "wanted"),
    [("removal", (820, 720)), ("dashboard", (1100, 780)), ("history", (1200, 760))],
)
def test_a_window_and_its_frame_fit_the_screen(
    available: QRect, what: str, wanted: tuple[int, int]
) -> None:
    size = fitted(QSize(*wanted), available)
    for step in range(3):  # the first removal window and two more, cascaded
        at = placed(size, available, available.center(), step)
        frame = QRect(at, size + FRAME)
        assert available.contains(frame), (what, step, frame)
    assert size.width() <= wanted[0] and size.height() <= wanted[1]


def test_cascaded_windows_do_not_open_on_top_of_each_other() -> None:
    available = QRect(0, 0, 1920, 1080)
    size = QSize(820, 720)
    spots = {placed(size, available, QPoint(960, 540), step) for step in range(3)}
    assert len(spots) == 3


def test_a_window_keeps_the_size_it_wants_on_a_large_screen() -> None:
    assert fitted(QSize(1100, 780), QRect(0, 0, 1920, 1080)) == QSize(1100, 780)


# --- what "apps found" counts -----------------------------------------------------------------


def test_apps_removed_for_a_user_are_not_counted_as_found() -> None:
    from audit.cli.scan_cmd import summary
    from audit.model import AppState
    from tests.ui.samples import app, phone_scan
    from ui.banner import banner_view, on_device_count
    from ui.device_list import DeviceEntry, ScanPhase

    gone = [
        app(f"com.maker.bloat{i}", f"Bloat {i}", state=AppState.REMOVED_FOR_USER, system=True)
        for i in range(3)
    ]
    scan = phone_scan(*gone, app("com.old.game", "Old game", state=AppState.ABSENT))
    assert len(scan.apps) == 10
    assert on_device_count(scan) == 6  # five installed, one switched off (CapCut)
    entry = DeviceEntry(id="R58", name="Galaxy", kind=scan.device.kind, phase=ScanPhase.SCANNED)
    words = banner_view(entry, None, None, app_count=on_device_count(scan)).sentence
    assert words.startswith("6 apps found.")
    assert "6 apps found by 2 sources (and 3 removed for a user, not counted)" in summary(scan)


# --- a desktop with no program to open the file -----------------------------------------------


def test_history_says_when_nothing_opened_the_pdf_or_folder_and_shows_the_path(
    qtbot: QtBot, main: MainWindow, tmp_path: Path
) -> None:
    from PySide6.QtGui import QGuiApplication

    history = main.show_history()
    qtbot.waitUntil(lambda: history.model.rowCount() == 6, timeout=WAIT)
    audit = next(r.audit for r in history.model.rows if r.audit.attested)
    with qtbot.waitSignal(history.detailed, timeout=WAIT):
        assert history.select_audit(audit.id)
    pane = history.details
    asked: list[str] = []
    history.open_url = lambda url: asked.append(url.toLocalFile()) and False  # type: ignore[method-assign]
    assert not pane.not_opened.isVisibleTo(history)
    pane.open_pdf.click()
    assert asked == [str(pane.pdf)]
    assert pane.not_opened.isVisibleTo(history)
    assert pane.not_opened.words.text().startswith(
        "This computer has no program set up to open the PDF, so nothing opened."
    )
    assert pane.not_opened.path.text() == str(pane.pdf)
    pane.not_opened.copy.click()
    assert QGuiApplication.clipboard().text() == str(pane.pdf)
    pane.show_file.click()
    assert asked[-1] == str(tmp_path / "receipts")  # the folder is what is opened...
    assert pane.not_opened.path.text() == str(pane.file)  # ...and the file is shown
    assert "open the folder the receipt is in" in pane.not_opened.words.text()


def test_two_removal_windows_do_not_open_exactly_on_top_of_each_other(
    qtbot: QtBot, phones: Phones, tracker: FeedTracker, keep_alive: list[object]
) -> None:
    from tests.ui.drive import start_main_window
    from tests.ui.samples import DAY as TODAY

    window = MainWindow(
        fake_sources(phones, tracker), auto_scan_local=False, helpdesk=True, today=lambda: TODAY
    )
    keep_alive.append(window)
    qtbot.addWidget(window)
    start_main_window(qtbot, window, timeout=WAIT, policy="nz-parliament-2023")
    tracker.put("P1")
    tracker.put("P2")
    qtbot.waitUntil(
        lambda: all(
            (s := window.sessions.get(p)) is not None and s.assessment is not None
            for p in ("P1", "P2")
        ),
        timeout=WAIT,
    )
    first, second = window.open_wizard("P1"), window.open_wizard("P2")
    assert first is not None and second is not None
    assert first.pos() != second.pos()
    assert second.y() > first.y()  # below it, as far as the screen (800×800 here) allows
    first.reject()
    second.reject()
    window.shutdown()
