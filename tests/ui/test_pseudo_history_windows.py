"""The history, the dashboard, the trust window, the helpdesk queue and the main window's menus in
the pseudo-language (issue 17): every word a person reads or hears there comes from the catalogue,
and the windows still fit a 1280×720 screen when the words are a third longer.

The pseudo-language wraps each catalogue string in ⟦ ⟧, so a text on screen without ⟦ bypassed
the catalogue (an f-string, a table of words translated at import, a status word of its own).
What may show as it is: data (names, ids, dates, digests), which are the same in every language.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QTableView,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from audit.i18n import ENGLISH, PSEUDO, set_language
from audit.model import DeviceStatus
from tests.ui.history_data import DAY
from ui.dashboard import DashboardWindow
from ui.helpdesk import PhoneFacts, QueuePanel, queue_item
from ui.history import HistoryColumn, HistoryWindow
from ui.main_actions import MainWindowBase
from ui.recorder import AuditRecorder
from ui.trust_window import TrustWindow

WAIT = 10_000
NZ = "nz-parliament-2023"
SMALL = (1280, 720)


@pytest.fixture
def pseudo() -> Iterator[None]:
    set_language(PSEUDO)
    yield
    set_language(ENGLISH)


def header_words(model: QAbstractItemModel) -> list[str]:
    return [
        str(model.headerData(c, Qt.Orientation.Horizontal) or "")
        for c in range(model.columnCount())
    ]


def words(window: QWidget) -> list[str]:
    """Every text a person reads or hears in the window's visible widgets: titles, labels,
    buttons, placeholders, list items, tabs, column headers, accessible names and tool tips."""
    QApplication.sendPostedEvents()
    QApplication.processEvents()
    texts = [window.windowTitle()]
    for child in window.findChildren(QWidget):
        if not child.isVisibleTo(window):
            continue
        if isinstance(child, (QLabel, QAbstractButton)):
            texts.append(child.text())
        if isinstance(child, QLineEdit):
            texts.append(child.placeholderText())
        if isinstance(child, QComboBox):
            texts += [child.itemText(i) for i in range(child.count())]
            texts.append(child.placeholderText())
        if isinstance(child, QTabWidget):
            texts += [child.tabText(i) for i in range(child.count())]
        if isinstance(child, QAbstractScrollArea) and hasattr(child, "model"):
            model = child.model()
            if isinstance(model, QAbstractItemModel):
                texts += header_words(model)
        texts += [child.accessibleName(), child.accessibleDescription(), child.toolTip()]
    return [t for t in texts if any(c.isalpha() for c in t)]


def bypassed(texts: list[str], data: Collection[str] = ()) -> list[str]:
    """The texts that did not come through the catalogue, less the data allowed through."""
    return [t for t in texts if "⟦" not in t and t not in data]


def fits(window: QMainWindow) -> None:
    """Shown at 1280×720, nothing asks for more room than the screen has."""
    window.resize(*SMALL)
    QApplication.processEvents()
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALL[0] and hint.height() <= SMALL[1], (hint.width(), hint.height())


def test_the_history_and_an_audit_in_full_read_from_the_catalogue(
    qtbot: QtBot, recorder: AuditRecorder, pseudo: None
) -> None:
    window = HistoryWindow(recorder, today=lambda: DAY + timedelta(days=9))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == 6, timeout=WAIT)
    qtbot.waitUntil(lambda: window.policy.count() == 3, timeout=WAIT)
    # a policy in the list is its title and its number of audits: data, no words of ours
    data = {window.policy.itemText(i) for i in range(1, window.policy.count())}
    assert bypassed(words(window), data) == []
    ours = (HistoryColumn.RESULT, HistoryColumn.RECEIPT, HistoryColumn.ASSURANCE)
    for row in window.model.rows:
        assert all("⟦" in row.cells[c] for c in ours), row.cells
    with qtbot.waitSignal(window.detailed, timeout=WAIT):
        assert window.select_audit(window.model.rows[-1].audit.id)
    pane = window.details
    lines = [line for text in pane.texts() for line in text.split("\n")]
    # a digest line is data; the rest are our sentences with data placed in them
    lines = [line for line in lines if not line.strip().startswith("sha256 ")]
    assert bypassed(lines) == []
    fits(window)


def test_the_dashboard_and_the_devices_behind_a_count_read_from_the_catalogue(
    qtbot: QtBot, recorder: AuditRecorder, pseudo: None
) -> None:
    window = DashboardWindow(recorder, policy_id=NZ, today=lambda: DAY + timedelta(days=10))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        window.show()
    with qtbot.waitSignal(window.listed, timeout=WAIT):
        window.list_people(DeviceStatus.NON_COMPLIANT.value)
    policy_title = window.policy.currentText().split(" (")[0]
    assert bypassed(words(window), {policy_title}) == []
    chart = window.chart
    assert chart is not None
    assert "⟦" in chart.accessibleDescription() and "⟦" in chart.day_words(0)
    assert all("⟦" in s.label and "⟦" in s.count_words(2) for s in chart.series)
    fits(window)


def test_the_trust_window_reads_from_the_catalogue_on_every_tab(
    qtbot: QtBot, recorder: AuditRecorder, pseudo: None
) -> None:
    window = TrustWindow(recorder)
    qtbot.addWidget(window)
    window.show()
    for tab in range(window.tabs.count()):
        window.tabs.setCurrentIndex(tab)
        # "sha256" names the digest's algorithm, the same in every language
        assert bypassed(words(window), {"sha256"}) == [], tab
    fits(window)


def test_the_helpdesk_queue_reads_from_the_catalogue(qtbot: QtBot, pseudo: None) -> None:
    panel = QueuePanel()
    qtbot.addWidget(panel)
    stages = [
        PhoneFacts("P1", "Pixel 7", status=DeviceStatus.NON_COMPLIANT, violations=2),
        PhoneFacts("P2", "Galaxy", simulated=True, status=DeviceStatus.COMPLIANT),
        PhoneFacts("P3", "Moto", plugged=False),
        PhoneFacts("P4", "Nokia", ready=False),
        PhoneFacts("P5", "OnePlus", receipt_kind="attestation", person="Ana (PS-1)"),
    ]
    panel.set_items([queue_item(facts, n) for n, facts in enumerate(stages, start=1)])
    panel.show()
    assert bypassed(words(panel)) == []
    model = panel.model
    for row in range(model.rowCount()):
        for column in (2, 3, 5):  # the stage, the check's result, the next step: our words
            text = str(model.index(row, column).data() or "")
            assert not text or "⟦" in text, (row, column, text)
        assert "⟦" in str(model.index(row, 1).data(Qt.ItemDataRole.AccessibleTextRole))


def test_the_main_windows_menus_and_actions_read_from_the_catalogue(
    qtbot: QtBot, pseudo: None
) -> None:
    window = MainWindowBase()
    qtbot.addWidget(window)
    window._build_actions()
    window._build_menus()
    texts = [menu.title() for menu in window.menuBar().findChildren(QMenu)]
    for action in window.actions():
        texts += [action.text(), action.statusTip()]
    menus = window.menuBar().findChildren(QMenu)
    texts += [a.text() for m in menus for a in m.actions() if not a.isSeparator()]
    assert bypassed([t for t in texts if t]) == []


def test_a_longer_translated_column_title_is_never_cut(
    qtbot: QtBot, recorder: AuditRecorder, pseudo: None
) -> None:
    """The tables' columns were sized for their English titles: "Numéro d'employé" showed as
    "uméro d'emplo". Each column is now at least as wide as its own title."""
    history = HistoryWindow(recorder, today=lambda: DAY + timedelta(days=9))
    dashboard = DashboardWindow(recorder, policy_id=NZ, today=lambda: DAY + timedelta(days=10))
    for window in (history, dashboard):
        qtbot.addWidget(window)
    history.show()
    with qtbot.waitSignal(dashboard.loaded, timeout=WAIT):
        dashboard.show()
    tables = [history.table, *dashboard.findChildren(QTableView)]
    assert len(tables) >= 2
    for table in tables:
        header = table.horizontalHeader()
        for column in range(header.count() - 1):  # the last one stretches
            if header.isSectionHidden(column):
                continue
            assert header.sectionSize(column) >= header.sectionSizeHint(column), (
                table.objectName(),
                column,
            )
