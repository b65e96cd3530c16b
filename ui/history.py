"""The history window: every audit made here or imported, searchable as you type.

The store does the searching and filtering (audit.store.HistoryFilter), off the GUI thread
through the recorder; each keystroke starts a query that supersedes the one before, so a fast
typist never waits for stale results. Each result is shown as it stands today, by the rule the
dashboard counts with (a deadline since passed, an exemption since ended), and the result filter
asks the store for the same; the details keep what was recorded then. Opening an audit shows
its checks, what was done and its receipt, verified again from the stored bytes, with the
receipt's file and PDF when they are on this computer, and the evidence its result rests on
(receipt, self-attested or witnessed, the policy's exact text, how the device was reached, the
checks before and after). The list marks each audit's assurance and an audit judged under an
older version of its policy, so a compliance office sees what a "compliant" is worth. Names,
staff ids and device names come from devices and receipt files: plain text, invisible
characters shown as escapes.

The list's rows and words are in ui.history_model, one audit in full in ui.history_details.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from audit.i18n import N_, _, ngettext
from audit.model import DeviceStatus
from ui import errors, icons
from ui.history_details import SELECT_AN_AUDIT, DetailsPane, check_lines, detail_lines
from ui.history_model import (
    RESULT_TODAY_HELP,
    RESULTS,
    HistoryColumn,
    HistoryModel,
    result_words,
    shown,
)
from ui.plain import label, tooltip
from ui.recorder import AuditRecorder
from ui.rejudge import attach as attach_rejudge
from ui.tables import set_up_table
from ui.windows import add_window_keys, fit_to_screen

if TYPE_CHECKING:
    from audit.store import AuditDetails, AuditSummary, HistoryFilter, PolicySummary, Store
    from audit.store.trust import KnownPolicies

__all__ = [
    "SELECT_AN_AUDIT",
    "DetailsPane",
    "HistoryColumn",
    "HistoryModel",
    "HistoryWindow",
    "check_lines",
    "detail_lines",
]

# --- the window -------------------------------------------------------------------------------

ANY = ""
EMPTY_HISTORY_HELP = N_(
    "The history is empty. Each check of a phone or of this computer made in Device Audit is "
    "recorded here. Receipts that staff made on their own computers are brought in with "
    "File › Import receipts… in the main window. The demo phone is never recorded."
)


class HistoryWindow(QMainWindow):
    """Searchable list of audits with the selected one in full."""

    searched = Signal()
    """A query's results are shown (tests wait for this)."""
    detailed = Signal()
    """An audit's details are shown."""

    def __init__(
        self,
        recorder: AuditRecorder,
        parent: QWidget | None = None,
        *,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(parent)
        self.today = today  # results are shown as they stand today, as on the dashboard
        self.setObjectName("historyWindow")
        self.setWindowTitle(_("History \u2014 Device Audit"))
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.recorder = recorder
        self.total = 0
        self._selected_id: int | None = None
        self._build()
        fit_to_screen(self, 1200, 760)
        add_window_keys(self, self.reload)
        recorder.written.connect(self.refresh)
        self.refresh()
        self.load_policies()

    def _build(self) -> None:
        self._build_filters()
        self._build_table()
        self._build_layout()
        self._connect()
        self.rejudge = attach_rejudge(self)

    def _build_filters(self) -> None:
        self.search = QLineEdit(self)
        self.search.setObjectName("historySearch")
        self.search.setPlaceholderText(_("Type to search names, staff ids, technicians, devices…"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(_("Search the history"))
        self.person = QLineEdit(self)
        self.person.setPlaceholderText(_("Staff id or full name"))
        self.person.setAccessibleName(_("Person"))
        self.device = QLineEdit(self)
        self.device.setPlaceholderText(_("Device id, serial or name"))
        self.device.setAccessibleName(_("Device"))
        self.policy = QComboBox(self)
        self.policy.setAccessibleName(_("Policy"))
        self.policy.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.policy.addItem(_("Any policy"), ANY)
        self.status = QComboBox(self)
        self.status.setAccessibleName(_("Result today"))
        self.status.setToolTip(tooltip(_(RESULT_TODAY_HELP)))
        self.status.addItem(_("Any result"), ANY)
        for status in RESULTS:
            self.status.addItem(icons.status_icon(status), result_words(status), status.value)
        self.use_since = QCheckBox(_("&From"), self)
        self.use_since.setAccessibleName(_("Only audits from a day on"))
        self.since = QDateEdit(self)
        self.since.setCalendarPopup(True)
        self.since.setDisplayFormat("yyyy-MM-dd")
        self.since.setAccessibleName(_("First day"))
        self.use_until = QCheckBox(_("&To"), self)
        self.use_until.setAccessibleName(_("Only audits up to a day"))
        self.until = QDateEdit(self)
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("yyyy-MM-dd")
        self.until.setAccessibleName(_("Last day"))
        today = QDate.currentDate()
        self.since.setDate(today.addDays(-30))
        self.until.setDate(today)
        self.since.setEnabled(False)
        self.until.setEnabled(False)
        for box, name in ((self.since, _("First day")), (self.until, _("Last day"))):
            for edit in box.findChildren(QLineEdit):  # the text part a screen reader lands on
                edit.setAccessibleName(name)
        self.latest = QCheckBox(_("&Latest audit of each person's device only"), self)
        self.latest.setAccessibleName(_("Latest audit of each person's device only"))
        self.clear_button = QPushButton(_("&Clear filters"), self)
        self.clear_button.setAccessibleName(_("Clear the search and filters"))
        self.close_button = QPushButton(_("Close"), self)
        self.close_button.setToolTip(_("Close the history (Esc)"))
        self.count = label("", self, wrap=False, selectable=False, name="historyCount")
        self.empty_help = label(_(EMPTY_HISTORY_HELP), self, name="historyEmptyHelp")
        self.empty_help.setAccessibleName(_("How audits get into the history"))
        self.empty_help.hide()

    def _row(self, *parts: tuple[str, QWidget] | QWidget) -> QHBoxLayout:
        """A line of the filter area: captions with their fields, then room to spare."""
        row = QHBoxLayout()
        for part in parts:
            if isinstance(part, tuple):
                text, widget = part
                caption = label(text, self, wrap=False, selectable=False)
                caption.setBuddy(widget)
                row.addWidget(caption)
                row.addWidget(widget, 1 if isinstance(widget, QLineEdit) else 0)
            else:
                row.addWidget(part)
        return row

    def _build_layout(self) -> None:
        grid = QVBoxLayout()
        grid.addLayout(self._row((_("&Search:"), self.search)))
        grid.addLayout(
            self._row(
                (_("P&erson:"), self.person),
                (_("&Device:"), self.device),
                (_("Po&licy:"), self.policy),
            )
        )
        filters = self._row(
            (_("&Result today:"), self.status),
            self.use_since,
            self.since,
            self.use_until,
            self.until,
        )
        filters.addSpacing(12)
        filters.addWidget(self.latest)
        filters.addStretch(1)
        grid.addLayout(filters)
        line = QHBoxLayout()
        line.addWidget(self.count)
        line.addStretch(1)
        line.addWidget(self.clear_button)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([250, 410])  # the audit's text and its receipt buttons need the room
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addLayout(grid)
        layout.addLayout(line)
        layout.addWidget(self.empty_help)
        layout.addWidget(split, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout.addLayout(bottom)
        self.setCentralWidget(central)

    def _build_table(self) -> None:
        self.model = HistoryModel(self)
        self.table = QTableView(self)
        header = set_up_table(
            self.table,
            self.model,
            name="historyTable",
            accessible_name=_("Audits, newest first"),
            widths=(
                (HistoryColumn.WHEN, 130),
                (HistoryColumn.PERSON, 150),
                (HistoryColumn.STAFF_ID, 80),
                (HistoryColumn.DEVICE, 140),
                (HistoryColumn.POLICY, 140),
                (HistoryColumn.RESULT, 240),  # "Overdue (exemption ended 2023-09-17)"
                (HistoryColumn.RECEIPT, 100),
                (HistoryColumn.ASSURANCE, 130),  # "Self-attested (!)"
                (HistoryColumn.POLICY_TEXT, 110),
            ),
        )
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.details = DetailsPane(self)

    def _connect(self) -> None:
        for first, second in (
            (self.search, self.person),
            (self.person, self.device),
            (self.device, self.policy),
            (self.policy, self.status),
            (self.status, self.use_since),
            (self.use_since, self.since),
            (self.since, self.use_until),
            (self.use_until, self.until),
            (self.until, self.latest),
            (self.latest, self.clear_button),
            (self.clear_button, self.table),
            (self.table, self.details.open_pdf),
            (self.details.open_pdf, self.details.show_file),
            (self.details.show_file, self.details.save_copy),
            (self.details.save_copy, self.close_button),
        ):
            QWidget.setTabOrder(first, second)

        for edit in (self.search, self.person, self.device):
            edit.textChanged.connect(self.refresh)
        self.policy.currentIndexChanged.connect(self.refresh)
        self.status.currentIndexChanged.connect(self.refresh)
        self.use_since.toggled.connect(self.since.setEnabled)
        self.use_until.toggled.connect(self.until.setEnabled)
        for box in (self.use_since, self.use_until, self.latest):
            box.toggled.connect(self.refresh)
        self.since.dateChanged.connect(self.refresh)
        self.until.dateChanged.connect(self.refresh)
        self.clear_button.clicked.connect(self.clear_filters)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.details.open_pdf.clicked.connect(lambda: self._open(self.details.pdf, _("the PDF")))
        self.details.show_file.clicked.connect(
            lambda: self._open(
                self.details.file.parent if self.details.file else None,
                _("the folder the receipt is in"),
                self.details.file,
            )
        )
        self.details.save_copy.clicked.connect(self.save_receipt_copy)
        self.close_button.clicked.connect(self.close)

    def closeEvent(self, event: QCloseEvent) -> None:
        for what in ("query", "policies", "details"):
            self.recorder.ops.cancel(f"history:{what}:{id(self)}")
        super().closeEvent(event)

    # --- querying ---------------------------------------------------------------------------

    def current_filter(self) -> HistoryFilter:
        from audit.store import HistoryFilter

        status = self.status.currentData()
        return HistoryFilter(
            search=self.search.text().strip(),
            person=self.person.text().strip(),
            device=self.device.text().strip(),
            policy=self.policy.currentData() or "",
            statuses=frozenset({DeviceStatus(status)}) if status else frozenset(),
            since=_day(self.since.date()) if self.use_since.isChecked() else None,
            until=_day(self.until.date()) if self.use_until.isChecked() else None,
            latest_only=self.latest.isChecked(),
            as_of=self.today(),
        )

    def refresh(self, *_args: object) -> None:
        query = self.current_filter()

        def work(
            store: Store, _progress: object, _cancelled: object
        ) -> tuple[list[AuditSummary], int, frozenset[str]]:
            audits = store.history(query)
            # the policies that count witnessed receipts only, so each row reads as the
            # dashboard counts it ("Compliant, not witnessed")
            policies = {a.policy_id for a in audits}
            asking = frozenset(p for p in policies if store.asks_witnessed(p))
            return audits, store.count(query), asking

        self.recorder.run(
            f"history:query:{id(self)}",
            work,
            self._show_results,
            self._failed,
            label=_("Searching the history"),
            read_only=True,  # a team history: its own read-only connection (issue 18)
        )

    def _show_results(self, result: tuple[list[AuditSummary], int, frozenset[str]]) -> None:
        audits, total, asking = result
        selected = self._selected_id
        self.total = total
        self.model.set_audits(audits, as_of=self.today(), witnessed_policies=asking)
        shown_count = len(audits)
        empty = total == 0 and not self._filtering()
        self.empty_help.setVisible(empty)
        if total == 0:
            self.count.setText(_("No audits match") if self._filtering() else _("No audits yet"))
        elif shown_count < total:
            self.count.setText(
                ngettext(
                    "Showing the newest {shown} of {count} audit",
                    "Showing the newest {shown} of {count} audits",
                    total,
                ).format(shown=shown_count, count=total)
            )
        else:
            self.count.setText(
                ngettext("{count} audit", "{count} audits", total).format(count=total)
            )
        row = self.model.row_of(selected) if selected is not None else -1
        if row >= 0:
            self.table.setCurrentIndex(self.model.index(row, 0))
        else:
            self._selected_id = None
            self.details.clear("" if empty else _(SELECT_AN_AUDIT))
        self.searched.emit()

    def _filtering(self) -> bool:
        from audit.store import HistoryFilter

        query = self.current_filter()
        return query != HistoryFilter(as_of=query.as_of)

    def clear_filters(self) -> None:
        for widget in (self.search, self.person, self.device, self.policy, self.status):
            widget.blockSignals(True)
        self.search.clear()
        self.person.clear()
        self.device.clear()
        self.policy.setCurrentIndex(0)
        self.status.setCurrentIndex(0)
        for widget in (self.search, self.person, self.device, self.policy, self.status):
            widget.blockSignals(False)
        for box in (self.use_since, self.use_until, self.latest):
            box.setChecked(False)
        self.refresh()

    def reload(self) -> None:
        """Read the history again (F5): receipts imported, audits written by another window."""
        self.load_policies()
        self.refresh()

    def load_policies(self) -> None:
        self.recorder.run(
            f"history:policies:{id(self)}",
            lambda store, _p, _c: store.policies(),
            self._show_policies,
            self._failed,
            read_only=True,
        )

    def _show_policies(self, policies: list[PolicySummary]) -> None:
        current = self.policy.currentData()
        self.policy.blockSignals(True)
        self.policy.clear()
        self.policy.addItem(_("Any policy"), ANY)
        for policy in policies:
            self.policy.addItem(f"{shown(policy.title, 60)} ({policy.audits})", policy.id)
        self.policy.setCurrentIndex(max(0, self.policy.findData(current)))
        self.policy.blockSignals(False)

    def _failed(self, error: BaseException) -> None:
        message = errors.describe(error)
        self.count.setText(f"{message.text} {message.next_step}".strip())
        self.searched.emit()

    # --- one audit --------------------------------------------------------------------------

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        audit = self.model.audit_at(current.row())
        if audit is None:
            return
        if audit.id == self._selected_id and self.details.details is not None:
            return
        self._selected_id = audit.id
        self.details.clear(_("Reading the audit…"))

        def work(store: Store, _p: object, _c: object) -> tuple[AuditDetails, KnownPolicies]:
            # the policies known now, for the version of the text the audit was judged against
            return store.audit_details(audit.id), store.known_policies()

        self.recorder.run(
            f"history:details:{id(self)}",
            work,
            self._show_details,
            self._details_failed,
            label=_("Reading the audit"),
            read_only=True,
        )

    def _show_details(self, result: tuple[AuditDetails, KnownPolicies]) -> None:
        details, known = result
        if details.summary.id == self._selected_id:
            self.details.show_details(details, as_of=self.today(), known=known)
        self.detailed.emit()

    def _details_failed(self, error: BaseException) -> None:
        message = errors.describe(error)
        self.details.clear(f"{message.text} {message.next_step}".strip())
        self.detailed.emit()

    def select_audit(self, audit_id: int) -> bool:
        row = self.model.row_of(audit_id)
        if row >= 0:
            self.table.setCurrentIndex(self.model.index(row, 0))
        return row >= 0

    def _open(self, path: Path | None, what: str, shown: Path | None = None) -> None:
        if path is not None:
            self.details.not_opened.open(self.open_url, path, what, shown)

    def save_receipt_copy(self) -> None:
        details = self.details.details
        if details is None or not details.receipts:
            return
        receipt = details.receipts[-1]
        from audit.store.export import receipt_file_name

        path = self.ask_save_path(
            _("Save a copy of the receipt"), receipt_file_name(receipt), _("Receipts (*.json)")
        )
        if not path:
            return
        from audit.inventory import write_atomic

        try:
            write_atomic(Path(path), receipt.envelope)
        except OSError as error:
            errors.show_error(self, error)
            return
        self.statusBar().showMessage(_("Receipt saved to {path}").format(path=path), 10000)

    # --- the desktop (tests replace these) ------------------------------------------------

    @classmethod
    def open_url(cls, url: QUrl) -> bool:
        return QDesktopServices.openUrl(url)

    def ask_save_path(self, title: str, suggested: str, filters: str) -> str:
        path, _chosen_filter = QFileDialog.getSaveFileName(self, title, suggested, filters)
        return path


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())
