"""The dashboard: where one policy stands today, for the compliance office.

Counts by status over the latest audit of each person's device (audit.store's dashboard, so a
non-compliant device past the deadline counts as overdue, and one whose exemption has ended
counts as not compliant), the days to the deadline, a chart of the last 30 days, and, for each
count, the devices behind it (Store.behind: the very audits the count counts). What is counted
is devices, not people: a check
that has no signed receipt yet names nobody, and one device checked for two people counts
once for each. Each count is a button with words and an icon
shape as well as its colour. The chart is drawn with QPainter (ui.dashboard_chart), so the app
needs no QtCharts (PySide6-Addons). The tiles and their words are in ui.dashboard_tiles.

What a count is worth (docs/security.md): "Witnessed only" counts a device as compliant only on
a receipt an enrolled technician signed at the bench (audit.store.witnessed); it is on and
locked when the policy asks for it, and the policy's ask is applied in the count itself, not
only in the switch. Two more counts say what the others rest on: compliant devices without a
witnessed receipt, and audits judged under an older version of the policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
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

from audit.i18n import N_, _, ngettext
from audit.model import DeviceStatus
from audit.text import visible
from ui import errors
from ui.banner import TONE_COLOURS, Tone
from ui.dashboard_chart import MAX_STEPS, ChartSeries, StackedBarChart, count_axis
from ui.dashboard_tiles import (
    EXPIRING,
    TILES,
    TRUST_TILES,
    WITNESSED_LOCKED_TIP,
    WITNESSED_LOCKED_WORDS,
    WITNESSED_ONLY_TIP,
    WITNESSED_ONLY_WORDS,
    CountTile,
    deadline_words,
    summary_words,
    tile_count,
    unwitnessed_words,
)
from ui.dashboard_tiles import UNWITNESSED as NOT_WITNESSED
from ui.history_model import HistoryColumn, HistoryModel
from ui.plain import label, tooltip
from ui.recorder import AuditRecorder
from ui.tables import set_up_table
from ui.windows import add_window_keys, fit_to_screen

if TYPE_CHECKING:
    from audit.store import AuditSummary, DashboardCounts, PolicySummary, Store

__all__ = ["EXPIRING", "MAX_STEPS", "DashboardWindow", "count_axis"]


# Marked here, translated where shown (the language is chosen after import).
CHOOSE_PLACEHOLDER = N_("Choose a policy")
CHOOSE_TITLE = N_("Choose a policy to see its dashboard.")
CHOOSE_HELP = N_("The Policy list above holds every policy that has audits in the history.")
EMPTY_TITLE = N_("The history is empty: there is nothing to count yet.")
EMPTY_HELP = N_(
    "Each check of a phone or of this computer made in Device Audit is recorded, and shows "
    "here under its policy. Receipts that staff made on their own computers are brought in "
    "with File › Import receipts… in the main window. The demo phone is never recorded."
)


SUMMARY_TIP = N_(
    "Each device counts by its latest check. A device checked for a named person (on a signed "
    "receipt) counts once for each person; a check nobody has signed for yet names nobody."
)


def _counted(status: DeviceStatus, count: int) -> str:
    """How one day's count of a status reads in the chart's words ("2 not compliant")."""
    if status is DeviceStatus.COMPLIANT:
        words = ngettext("{count} compliant", "{count} compliant", count)
    elif status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS:
        words = ngettext(
            "{count} compliant with exceptions", "{count} compliant with exceptions", count
        )
    elif status is DeviceStatus.NON_COMPLIANT:
        words = ngettext("{count} not compliant", "{count} not compliant", count)
    elif status is DeviceStatus.OVERDUE:
        words = ngettext("{count} overdue", "{count} overdue", count)
    else:
        words = ngettext("{count} incomplete check", "{count} incomplete checks", count)
    return words.format(count=count)


def _counted_unwitnessed(count: int) -> str:
    return ngettext(
        "{count} compliant but not witnessed", "{count} compliant but not witnessed", count
    ).format(count=count)


# Counting witnessed receipts only: compliant devices without one (the tile's words), stacked
# in grey of their own, never in the compliant green.
CHART_UNWITNESSED = N_("Compliant, not witnessed")

TILE_COLUMNS = 4


@dataclass(frozen=True)
class TrustView:
    """What one load of the dashboard read: the counts, whether the policy asks for witnessed
    receipts only (the switch is then locked on), and the compliant devices without a
    witnessed receipt (counts.counts.unwitnessed when counting witnessed receipts only)."""

    counts: DashboardCounts
    policy_asks: bool
    unwitnessed: int


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
        self.setWindowTitle(_("Dashboard \u2014 Device Audit"))
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.recorder = recorder
        self.today = today
        self.wanted_policy = policy_id
        self.counts: DashboardCounts | None = None
        self.policy_asks = False  # the policy shown asks for witnessed receipts only
        self.own_witnessed = False  # the person's own choice, kept while a policy locks it
        self.chosen: str = ""  # the tile whose people are listed
        self.chart: StackedBarChart | None = None
        self._build()
        fit_to_screen(self, 1100, 780)
        add_window_keys(self, self.reload)
        recorder.written.connect(self.refresh)
        self.load_policies()

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.policy = QComboBox(self)
        self.policy.setObjectName("dashboardPolicy")
        self.policy.setAccessibleName(_("Policy"))
        self.policy.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.policy.setPlaceholderText(_(CHOOSE_PLACEHOLDER))
        self.export_button = QPushButton(_("&Export for the compliance office…"), self)
        self.export_button.setAccessibleName(_("Export this policy's audits as CSV or JSON"))
        self.deadline = label("", self, name="dashboardDeadline")
        font = self.deadline.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.deadline.setFont(font)
        self.summary = label("", self, name="dashboardSummary")
        self.summary.setToolTip(_(SUMMARY_TIP))
        self.witnessed = QCheckBox(_(WITNESSED_ONLY_WORDS), self)
        self.witnessed.setObjectName("dashboardWitnessedOnly")
        self.witnessed.setAccessibleName(_("Count witnessed receipts only"))
        self.witnessed.setAccessibleDescription(_(WITNESSED_ONLY_TIP))
        self.witnessed.setToolTip(tooltip(_(WITNESSED_ONLY_TIP)))
        self.tiles = {tile.key: CountTile(tile, self) for tile in (*TILES, *TRUST_TILES)}
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        for tile in self.tiles.values():
            self.group.addButton(tile)
        self.chart_area = QWidget(self)
        self.chart_area.setObjectName("dashboardChart")
        self.chart_layout = QVBoxLayout(self.chart_area)
        self.chart_layout.setContentsMargins(0, 0, 0, 0)
        self.chart_layout.addWidget(
            label(_("Last 30 days, by status at the end of each day"), self.chart_area)
        )
        self._build_people()
        self._layout()

    def _build_people(self) -> None:
        self.people_title = label(
            _("Press a count to list the devices behind it."), self, name="peopleTitle"
        )
        self.people = HistoryModel(self)
        self.people_table = QTableView(self)
        set_up_table(
            self.people_table,
            self.people,
            name="peopleTable",
            accessible_name=_("The devices behind the chosen count"),
            widths=(
                (HistoryColumn.WHEN, 130),
                (HistoryColumn.PERSON, 170),
                (HistoryColumn.STAFF_ID, 90),
                (HistoryColumn.DEVICE, 170),
                (HistoryColumn.RESULT, 260),
                (HistoryColumn.ASSURANCE, 130),
                (HistoryColumn.POLICY_TEXT, 110),
            ),
            single_selection=False,
        )
        self.people_table.setColumnHidden(HistoryColumn.POLICY, True)  # one policy here

    def _layout(self) -> None:
        top = QHBoxLayout()
        policy_label = label(_("&Policy:"), self, wrap=False, selectable=False)
        policy_label.setBuddy(self.policy)
        top.addWidget(policy_label)
        top.addWidget(self.policy)
        top.addSpacing(12)
        top.addWidget(self.witnessed)
        top.addStretch(1)
        top.addWidget(self.export_button)
        grid = QGridLayout()
        for index, tile in enumerate(self.tiles.values()):
            grid.addWidget(tile, index // TILE_COLUMNS, index % TILE_COLUMNS)
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
        for widget in (
            self.witnessed,
            self.export_button,
            *self.tiles.values(),
            self.people_table,
        ):
            QWidget.setTabOrder(previous, widget)
            previous = widget

        self.policy.currentIndexChanged.connect(self.refresh)
        self.witnessed.toggled.connect(self._on_witnessed)
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
            read_only=True,  # a team history: its own read-only connection (issue 18)
        )

    def _show_policies(self, policies: list[PolicySummary]) -> None:
        current = self.policy_id() or self.wanted_policy  # the one shown stays chosen
        self.policy.blockSignals(True)
        self.policy.clear()
        for policy in policies:
            self.policy.addItem(
                ngettext(
                    "{title} ({count} audit)", "{title} ({count} audits)", policy.audits
                ).format(title=visible(policy.title, limit=70), count=policy.audits),
                policy.id,
            )
        self.policy.setCurrentIndex(self.policy.findData(current) if current else -1)
        self.policy.blockSignals(False)
        self.policy.setEnabled(bool(policies))
        self.export_button.setEnabled(bool(policies))
        if not policies:
            self.policy.setPlaceholderText(_("No policies yet"))
            self._guide(_(EMPTY_TITLE), _(EMPTY_HELP))
            return
        self.policy.setPlaceholderText(_(CHOOSE_PLACEHOLDER))
        if not self.policy_id():
            missing = visible(self.wanted_policy, limit=70)
            nobody = _("Nobody has been audited under the policy '{policy}' yet.").format(
                policy=missing
            )
            self._guide(
                _(CHOOSE_TITLE),
                f"{nobody} {_(CHOOSE_HELP)}" if self.wanted_policy else _(CHOOSE_HELP),
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
        wanted = self.witnessed.isChecked()

        def work(store: Store, _p: object, _c: object) -> TrustView:
            # The policy's own ask wins over the switch, whatever the switch showed when the
            # count started (a policy just chosen, its lock not shown yet).
            asks = store.asks_witnessed(policy_id)
            counts = store.dashboard(policy_id, day, witnessed_only=asks or wanted)
            unwitnessed = (
                counts.counts.unwitnessed
                if counts.witnessed_only
                else store.unwitnessed_count(policy_id, day)
            )
            return TrustView(counts, asks, unwitnessed)

        self.recorder.run(
            self.key("counts"),
            work,
            self._show_counts,
            self._failed,
            label=_("Counting"),
            read_only=True,
        )

    def _on_witnessed(self, checked: bool) -> None:
        """The person switched witnessed-only counting (never called while it is locked)."""
        self.own_witnessed = checked
        self.refresh()

    def _show_switch(self, asks: bool) -> None:
        """Locked on while the policy asks for witnessed receipts only; the person's own
        choice again for a policy that does not."""
        self.policy_asks = asks
        self.witnessed.blockSignals(True)
        self.witnessed.setChecked(asks or self.own_witnessed)
        self.witnessed.setEnabled(not asks)
        self.witnessed.setText(_(WITNESSED_LOCKED_WORDS) if asks else _(WITNESSED_ONLY_WORDS))
        only = _(WITNESSED_ONLY_TIP)
        tip = f"{_(WITNESSED_LOCKED_TIP)}\n\n{only}" if asks else only
        self.witnessed.setToolTip(tooltip(tip))
        self.witnessed.setAccessibleDescription(tip)
        self.witnessed.blockSignals(False)

    def _show_counts(self, view: TrustView) -> None:
        counts = view.counts
        self._show_switch(view.policy_asks)
        if counts.witnessed_only != self.witnessed.isChecked():
            self.refresh()  # the switch changed while counting: count again, as it says
        self.counts = counts
        self.filler.hide()
        self.body.show()
        for key, tile in self.tiles.items():
            if key == NOT_WITNESSED:
                words, explains = unwitnessed_words(counts.witnessed_only)
                tile.set_count(view.unwitnessed, words=words, explains=explains)
            else:
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
        if self.chart is None:
            self.chart = StackedBarChart(self.chart_area)
            self.chart_layout.addWidget(self.chart, 1)
        self.chart.set_data(tuple(d.day for d in counts.series), self._series(counts))

    @staticmethod
    def _series(counts: DashboardCounts) -> tuple[ChartSeries, ...]:
        """A count a day for each status (named as its tile is), bottom of the stack first."""
        series = []
        for tile in TILES:
            if tile.key == EXPIRING:
                continue  # part of "compliant with exceptions": not stacked twice
            status = DeviceStatus(tile.key)
            colour = QColor(TONE_COLOURS[tile.tone])
            if status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS:
                colour = colour.lighter(140)
            elif status is DeviceStatus.OVERDUE:
                colour = colour.darker(140)
            values = tuple(day.counts.of(status) for day in counts.series)
            series.append(
                ChartSeries(
                    tile.label(),
                    status.value,
                    colour.name(),
                    values,
                    counted=partial(_counted, status),
                )
            )
        unwitnessed = tuple(day.counts.unwitnessed for day in counts.series)
        if any(unwitnessed):  # counting witnessed receipts only: shown, never as compliant
            grey = TONE_COLOURS[Tone.NEUTRAL]
            series.append(
                ChartSeries(
                    _(CHART_UNWITNESSED),
                    "unwitnessed",
                    grey,
                    unwitnessed,
                    counted=_counted_unwitnessed,
                )
            )
        return tuple(series)

    # --- the people behind a count -----------------------------------------------------------

    def _on_tile(self, button: QPushButton) -> None:
        if isinstance(button, CountTile):
            self.list_people(button.tile.key)

    def list_people(self, key: str) -> None:
        """List the devices behind one count (a DeviceStatus value, "expiring", or a trust
        count: audit.store.behind), as the count shown counts them."""
        policy_id = self.policy_id()
        if not policy_id:
            return
        self.chosen = key
        tile = self.tiles[key]
        if not tile.isChecked():
            tile.setChecked(True)
        day = self.today()
        within = self.counts.expiring_within if self.counts is not None else 14
        only = self.counts.witnessed_only if self.counts is not None else self.policy_asks
        if key == EXPIRING:
            what, expiring = DeviceStatus.COMPLIANT_WITH_EXCEPTIONS.value, within
        else:
            what, expiring = key, None

        def work(store: Store, _p: object, _c: object) -> list[AuditSummary]:
            return store.behind(policy_id, what, day, witnessed_only=only, expiring_within=expiring)

        self.recorder.run(self.key("people"), work, self._show_people, self._failed, read_only=True)

    def _show_people(self, audits: list[AuditSummary]) -> None:
        tile = self.tiles.get(self.chosen)
        words = tile.accessibleName() if tile is not None else ""
        only = self.counts is not None and self.counts.witnessed_only
        self.people.set_audits(audits, as_of=self.today(), witnessed_only=only)
        shown = len(audits)
        total = tile.count if tile is not None else shown
        more = " " + _("(the newest {count} shown)").format(count=shown) if shown < total else ""
        self.people_title.setText(f"{words}{more}")
        self.listed.emit()

    # --- export -----------------------------------------------------------------------------

    def export(self) -> None:
        from pathlib import Path

        from ui import exports

        policy_id = self.policy_id()
        day = self.today()
        chosen = self.ask_save_path(
            _("Export audits for the compliance office"),
            exports.suggested_name(policy_id, day),
            _(exports.FILTERS),
        )
        if not chosen:
            return
        path: Path = exports.with_suffix(chosen)
        self.recorder.run(
            self.key("export"),
            lambda store, _p, _c: exports.export_audits_file(store, path, policy_id, day),
            lambda count: self.statusBar().showMessage(
                ngettext(
                    "{count} row exported to {path}", "{count} rows exported to {path}", count
                ).format(count=count, path=path),
                15000,
            ),
            self._show_error,
            label=_("Exporting audits"),
            read_only=True,
        )

    def _show_error(self, error: BaseException) -> None:
        errors.show_error(self, error)

    def ask_save_path(self, title: str, suggested: str, filters: str) -> str:
        """Ask where to save; tests replace this."""
        path, _chosen_filter = QFileDialog.getSaveFileName(self, title, suggested, filters)
        return path

    def closeEvent(self, event: QCloseEvent) -> None:
        for what in ("policies", "counts", "people"):
            self.recorder.ops.cancel(self.key(what))
        super().closeEvent(event)
