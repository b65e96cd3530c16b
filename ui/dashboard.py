"""The dashboard: where one policy stands today, for the compliance office.

Counts by status over the latest audit of each person's device (audit.store's dashboard, so a
non-compliant device past the deadline counts as overdue, and one whose exemption has ended
counts as not compliant), the days to the deadline, a chart of the last 30 days, and, for each
count, the devices behind it (Store.standing). What is counted is devices, not people: a check
that has no signed receipt yet names nobody, and one device checked for two people counts
once for each. Each count is a button with words and an icon
shape as well as its colour. The chart (QtCharts) loads only when the dashboard opens, keeping
the app's start-up lean. The tiles and their words are in ui.dashboard_tiles.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor, QPalette
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from audit.model import DeviceStatus
from audit.text import visible
from ui import errors
from ui.banner import TONE_COLOURS
from ui.dashboard_tiles import (
    EXPIRING,
    TILES,
    CountTile,
    deadline_words,
    summary_words,
    tile_count,
)
from ui.history_model import HistoryColumn, HistoryModel
from ui.plain import label
from ui.recorder import AuditRecorder
from ui.tables import set_up_table
from ui.windows import add_window_keys, fit_to_screen

if TYPE_CHECKING:
    from audit.store import AuditSummary, DashboardCounts, PolicySummary, Store

__all__ = ["EXPIRING", "MAX_STEPS", "DashboardWindow", "count_axis"]


CHOOSE_PLACEHOLDER = "Choose a policy"
CHOOSE_TITLE = "Choose a policy to see its dashboard."
CHOOSE_HELP = "The Policy list above holds every policy that has audits in the history."
EMPTY_TITLE = "The history is empty: there is nothing to count yet."
EMPTY_HELP = (
    "Each check of a phone or of this computer made in Device Audit is recorded, and shows "
    "here under its policy. Receipts that staff made on their own computers are brought in "
    "with File › Import receipts… in the main window. The demo phone is never recorded."
)


SUMMARY_TIP = (
    "Each device counts by its latest check. A device checked for a named person (on a signed "
    "receipt) counts once for each person; a check nobody has signed for yet names nobody."
)

MAX_STEPS = 10


def count_axis(largest: int) -> tuple[int, int]:
    """The top of the count axis and the step between its ticks for counts up to `largest`:
    whole numbers only (1, 2 or 5 times a power of ten apart), at most MAX_STEPS steps, so no
    label repeats (a 0-3 axis with Qt's default 5 ticks reads "0 0 1 2 3")."""
    largest = max(1, largest)
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power):
            if math.ceil(largest / step) <= MAX_STEPS:
                return math.ceil(largest / step) * step, step
        power *= 10


class DashboardWindow(QMainWindow):
    """Counts, chart and the devices behind a count, for one policy."""

    loaded = Signal()
    """The counts (and chart) for the chosen policy are shown (tests wait for this)."""
    listed = Signal()
    """The devices behind a count are listed."""

    def __init__(
        self,
        recorder: AuditRecorder,
        parent: QWidget | None = None,
        *,
        policy_id: str = "",
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dashboardWindow")
        self.setWindowTitle("Dashboard \u2014 Device Audit")
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.recorder = recorder
        self.today = today
        self.wanted_policy = policy_id
        self.counts: DashboardCounts | None = None
        self.chosen: str = ""  # the tile whose people are listed
        self.chart: Any = None
        self._build()
        fit_to_screen(self, 1100, 780)
        add_window_keys(self, self.reload)
        recorder.written.connect(self.refresh)
        self.load_policies()

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.policy = QComboBox(self)
        self.policy.setObjectName("dashboardPolicy")
        self.policy.setAccessibleName("Policy")
        self.policy.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.policy.setPlaceholderText(CHOOSE_PLACEHOLDER)
        self.export_button = QPushButton("&Export for the compliance office…", self)
        self.export_button.setAccessibleName("Export this policy's audits as CSV or JSON")
        self.deadline = label("", self, name="dashboardDeadline")
        font = self.deadline.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.deadline.setFont(font)
        self.summary = label("", self, name="dashboardSummary")
        self.summary.setToolTip(SUMMARY_TIP)
        self.tiles = {tile.key: CountTile(tile, self) for tile in TILES}
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        for tile in self.tiles.values():
            self.group.addButton(tile)
        self.chart_area = QWidget(self)
        self.chart_area.setObjectName("dashboardChart")
        self.chart_layout = QVBoxLayout(self.chart_area)
        self.chart_layout.setContentsMargins(0, 0, 0, 0)
        self.chart_layout.addWidget(
            label("Last 30 days, by status at the end of each day", self.chart_area)
        )
        self._build_people()
        self._layout()

    def _build_people(self) -> None:
        self.people_title = label(
            "Press a count to list the devices behind it.", self, name="peopleTitle"
        )
        self.people = HistoryModel(self)
        self.people_table = QTableView(self)
        set_up_table(
            self.people_table,
            self.people,
            name="peopleTable",
            accessible_name="The devices behind the chosen count",
            widths=(
                (HistoryColumn.WHEN, 130),
                (HistoryColumn.PERSON, 170),
                (HistoryColumn.STAFF_ID, 90),
                (HistoryColumn.DEVICE, 170),
                (HistoryColumn.RESULT, 330),
            ),
            single_selection=False,
        )
        self.people_table.setColumnHidden(HistoryColumn.POLICY, True)  # one policy here

    def _layout(self) -> None:
        top = QHBoxLayout()
        policy_label = label("&Policy:", self, wrap=False, selectable=False)
        policy_label.setBuddy(self.policy)
        top.addWidget(policy_label)
        top.addWidget(self.policy)
        top.addStretch(1)
        top.addWidget(self.export_button)
        grid = QGridLayout()
        for index, tile in enumerate(self.tiles.values()):
            grid.addWidget(tile, index // 3, index % 3)
        people = QWidget(self)
        people_layout = QVBoxLayout(people)
        people_layout.setContentsMargins(0, 0, 0, 0)
        people_layout.addWidget(self.people_title)
        people_layout.addWidget(self.people_table, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.chart_area)
        split.addWidget(people)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([400, 280])
        # Counts, chart and list: hidden while there is no policy to show them for, so an empty
        # window says what to do instead of showing zeros and a blank chart.
        self.body = QWidget(self)
        self.body.setObjectName("dashboardBody")
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(grid)
        body.addWidget(split, 1)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(self.deadline)
        layout.addWidget(self.summary)
        layout.addWidget(self.body, 1)
        self.filler = QWidget(self)  # holds the words at the top while the body is hidden
        layout.addWidget(self.filler, 1)
        self.setCentralWidget(central)
        self.body.hide()

        previous: QWidget = self.policy
        for widget in (self.export_button, *self.tiles.values(), self.people_table):
            QWidget.setTabOrder(previous, widget)
            previous = widget

        self.policy.currentIndexChanged.connect(self.refresh)
        self.group.buttonClicked.connect(self._on_tile)
        self.export_button.clicked.connect(self.export)

    # --- loading ----------------------------------------------------------------------------

    def key(self, what: str) -> str:
        return f"dashboard:{what}:{id(self)}"

    def reload(self) -> None:
        """Read the history again (F5, receipts imported): the policies, then the counts."""
        self.load_policies()

    def load_policies(self) -> None:
        self.recorder.run(
            self.key("policies"),
            lambda store, _p, _c: store.policies(),
            self._show_policies,
            self._failed,
        )

    def _show_policies(self, policies: list[PolicySummary]) -> None:
        current = self.policy_id() or self.wanted_policy  # the one shown stays chosen
        self.policy.blockSignals(True)
        self.policy.clear()
        for policy in policies:
            self.policy.addItem(
                f"{visible(policy.title, limit=70)} ({policy.audits} audits)", policy.id
            )
        self.policy.setCurrentIndex(self.policy.findData(current) if current else -1)
        self.policy.blockSignals(False)
        self.policy.setEnabled(bool(policies))
        self.export_button.setEnabled(bool(policies))
        if not policies:
            self.policy.setPlaceholderText("No policies yet")
            self._guide(EMPTY_TITLE, EMPTY_HELP)
            return
        self.policy.setPlaceholderText(CHOOSE_PLACEHOLDER)
        if not self.policy_id():
            missing = visible(self.wanted_policy, limit=70)
            self._guide(
                CHOOSE_TITLE,
                f"Nobody has been audited under the policy '{missing}' yet. {CHOOSE_HELP}"
                if self.wanted_policy
                else CHOOSE_HELP,
            )
            return
        self.refresh()

    def _guide(self, title: str, text: str) -> None:
        """No counts to show: say why and what to do, instead of zeros and an empty chart."""
        self.counts = None
        self.body.hide()
        self.filler.show()
        self.deadline.setText(title)
        self.summary.setText(text)
        self.loaded.emit()

    def policy_id(self) -> str:
        return str(self.policy.currentData() or "")

    def refresh(self, *_args: object) -> None:
        policy_id = self.policy_id()
        if not policy_id:
            self.load_policies()  # a new audit may have brought the first policy
            return
        day = self.today()

        def work(store: Store, _p: object, _c: object) -> DashboardCounts:
            return store.dashboard(policy_id, day)

        self.recorder.run(
            self.key("counts"), work, self._show_counts, self._failed, label="Counting"
        )

    def _show_counts(self, counts: DashboardCounts) -> None:
        self.counts = counts
        self.filler.hide()
        self.body.show()
        for key, tile in self.tiles.items():
            tile.set_count(tile_count(counts, key), counts.expiring_within)
        self.deadline.setText(deadline_words(counts))
        self.summary.setText(summary_words(counts))
        self._show_chart(counts)
        if self.chosen:
            self.list_people(self.chosen)
        self.loaded.emit()

    def _failed(self, error: BaseException) -> None:
        message = errors.describe(error)
        self.summary.setText(f"{message.text} {message.next_step}".strip())
        self.loaded.emit()

    # --- the chart ----------------------------------------------------------------------------

    def _show_chart(self, counts: DashboardCounts) -> None:
        from PySide6.QtCharts import QBarCategoryAxis, QChart, QChartView, QValueAxis

        series = self._series(counts)
        chart = QChart()
        chart.addSeries(series)
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.setBackgroundVisible(False)
        days = QBarCategoryAxis()
        days.append([d.day.strftime("%d %b") for d in counts.series])
        days.setLabelsAngle(-90)
        values = QValueAxis()
        top, step = count_axis(max((d.counts.total for d in counts.series), default=0))
        values.setLabelFormat("%d")
        values.setRange(0, top)
        values.setTickCount(top // step + 1)  # a tick on every step: whole numbers
        values.setMinorTickCount(0)
        values.setTitleText("Devices")
        chart.addAxis(days, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(days)
        series.attachAxis(values)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        grid = self.palette().color(QPalette.ColorRole.Mid)
        for axis in (days, values):
            axis.setLabelsColor(text)
            axis.setTitleBrush(text)
            axis.setGridLineColor(grid)
            axis.setLinePenColor(grid)
        chart.legend().setLabelColor(text)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setTitle("")
        if self.chart is None:
            self.chart = QChartView(chart, self.chart_area)
            self.chart.setObjectName("dashboardChartView")
            self.chart.setAccessibleName("Chart of the last 30 days")
            self.chart.setRenderHint(self.chart.renderHints().Antialiasing)
            self.chart.setMinimumHeight(280)
            self.chart_layout.addWidget(self.chart, 1)
        else:
            old = self.chart.chart()
            self.chart.setChart(chart)
            old.deleteLater()
        last = counts.series[-1].counts if counts.series else None
        if last is not None:
            self.chart.setAccessibleDescription(
                f"Today: {last.compliant} compliant, {last.excepted} compliant with exceptions, "
                f"{last.non_compliant} not compliant, {last.overdue} overdue, "
                f"{last.incomplete} incomplete."
            )

    @staticmethod
    def _series(counts: DashboardCounts) -> Any:
        """One stacked bar per day, a set per status (each named in the legend)."""
        from PySide6.QtCharts import QBarSet, QStackedBarSeries

        series = QStackedBarSeries()
        for tile in TILES:
            if tile.key == EXPIRING:
                continue  # part of "compliant with exceptions": not stacked twice
            status = DeviceStatus(tile.key)
            colour = QColor(TONE_COLOURS[tile.tone])
            if status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS:
                colour = colour.lighter(140)
            elif status is DeviceStatus.OVERDUE:
                colour = colour.darker(140)
            bars = QBarSet(tile.words)
            bars.setColor(colour)
            bars.setBorderColor(colour)
            for day in counts.series:
                bars.append(day.counts.of(status))
            series.append(bars)
        return series

    # --- the people behind a count -----------------------------------------------------------

    def _on_tile(self, button: QPushButton) -> None:
        if isinstance(button, CountTile):
            self.list_people(button.tile.key)

    def list_people(self, key: str) -> None:
        """List the devices behind one count (a DeviceStatus value or "expiring")."""
        policy_id = self.policy_id()
        if not policy_id:
            return
        self.chosen = key
        tile = self.tiles[key]
        if not tile.isChecked():
            tile.setChecked(True)
        day = self.today()
        within = self.counts.expiring_within if self.counts is not None else 14
        if key == EXPIRING:
            status, expiring = DeviceStatus.COMPLIANT_WITH_EXCEPTIONS, within
        else:
            status, expiring = DeviceStatus(key), None

        def work(store: Store, _p: object, _c: object) -> list[AuditSummary]:
            return store.standing(policy_id, status, day, expiring_within=expiring)

        self.recorder.run(self.key("people"), work, self._show_people, self._failed)

    def _show_people(self, audits: list[AuditSummary]) -> None:
        tile = self.tiles.get(self.chosen)
        words = tile.accessibleName() if tile is not None else ""
        self.people.set_audits(audits, as_of=self.today())
        shown = len(audits)
        total = tile.count if tile is not None else shown
        more = f" (the newest {shown} shown)" if shown < total else ""
        self.people_title.setText(f"{words}{more}")
        self.listed.emit()

    # --- export -----------------------------------------------------------------------------

    def export(self) -> None:
        from pathlib import Path

        from ui import exports

        policy_id = self.policy_id()
        day = self.today()
        chosen = self.ask_save_path(
            "Export audits for the compliance office",
            exports.suggested_name(policy_id, day),
            exports.FILTERS,
        )
        if not chosen:
            return
        path: Path = exports.with_suffix(chosen)
        self.recorder.run(
            self.key("export"),
            lambda store, _p, _c: exports.export_audits_file(store, path, policy_id, day),
            lambda count: self.statusBar().showMessage(
                f"{count} row{'s' if count != 1 else ''} exported to {path}", 15000
            ),
            self._show_error,
            label="Exporting audits",
        )

    def _show_error(self, error: BaseException) -> None:
        errors.show_error(self, error)

    def ask_save_path(self, title: str, suggested: str, filters: str) -> str:
        """Ask where to save; tests replace this."""
        path, _ = QFileDialog.getSaveFileName(self, title, suggested, filters)
        return path

    def closeEvent(self, event: QCloseEvent) -> None:
        for what in ("policies", "counts", "people"):
            self.recorder.ops.cancel(self.key(what))
        super().closeEvent(event)
