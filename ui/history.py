"""The history window: every audit made here or imported, searchable as you type.

The store does the searching and filtering (audit.store.HistoryFilter), off the GUI thread
through the recorder; each keystroke starts a query that supersedes the one before, so a fast
typist never waits for stale results. Each result is shown as it stands today, by the rule the
dashboard counts with (a deadline since passed, an exemption since ended), and the result filter
asks the store for the same; the details keep what was recorded then. Opening an audit shows
its checks, what was done and its receipt, verified again from the stored bytes, with the
receipt's file and PDF when they are on this computer. Names, staff ids and device names come
from devices and receipt files: plain text, invisible characters shown as escapes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    QObject,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QCloseEvent, QDesktopServices, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from audit.attestation.receipt_text import finding_status_words
from audit.model import DeviceStatus
from audit.provenance import reached_words
from audit.text import visible
from ui import errors, icons
from ui.plain import label, tooltip
from ui.recorder import AuditRecorder
from ui.tables import EnumTableModel, set_up_table
from ui.windows import NotOpened, add_window_keys, fit_to_screen

if TYPE_CHECKING:
    from audit.store import AuditDetails, AuditSummary, HistoryFilter, PolicySummary, Store

RESULT_WORDS = {
    DeviceStatus.COMPLIANT: "Compliant",
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: "Compliant with exceptions",
    DeviceStatus.NON_COMPLIANT: "Not compliant",
    DeviceStatus.OVERDUE: "Overdue",
    DeviceStatus.INCOMPLETE: "Incomplete check",
}
RECEIPT_WORDS = {
    "compliance_attestation": "Attested",
    "noncompliance_report": "Report signed",
    "": "No receipt",
}
ACTION_WORDS = {True: "Done", False: "Did not work"}


def result_words(status: DeviceStatus | None) -> str:
    return RESULT_WORDS[status] if status is not None else "Not checked yet"


def when(moment: datetime | None) -> str:
    """A time in this computer's time zone, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def shown(text: str, limit: int = 120) -> str:
    return visible(text, limit=limit)


# --- the list --------------------------------------------------------------------------------


class HistoryColumn(IntEnum):
    WHEN = 0
    PERSON = 1
    STAFF_ID = 2
    DEVICE = 3
    POLICY = 4
    RESULT = 5
    RECEIPT = 6
    TECHNICIAN = 7


HEADERS = {
    HistoryColumn.WHEN: "When",
    HistoryColumn.PERSON: "Person",
    HistoryColumn.STAFF_ID: "Staff id",
    HistoryColumn.DEVICE: "Device",
    HistoryColumn.POLICY: "Policy",
    HistoryColumn.RESULT: "Result today",
    HistoryColumn.RECEIPT: "Receipt",
    HistoryColumn.TECHNICIAN: "Technician",
}
AUDIT_ROLE = Qt.ItemDataRole.UserRole + 1
RESULT_TODAY_HELP = (
    "What the audit means today, as the dashboard counts it: a deadline may have passed, or an "
    "exemption ended, since it was recorded. The details say what was recorded then."
)


@dataclass(frozen=True)
class HistoryRow:
    audit: AuditSummary
    cells: tuple[str, ...]
    status: DeviceStatus | None  # as recorded, or as it stands on the model's day


def result_on(audit: AuditSummary, day: date | None) -> tuple[DeviceStatus | None, str]:
    """The audit's result and its words; with a day, as it stands that day (the deadline may
    have passed, or the exemption it relied on ended, since it was recorded)."""
    recorded = audit.status
    if day is None or recorded is None:
        return recorded, result_words(recorded)
    from audit.store import status_on

    now = status_on(
        recorded, day, deadline=audit.deadline, exemption_expires=audit.exemption_expires
    )
    words = result_words(now)
    if now is recorded:
        return now, words
    expires = audit.exemption_expires
    if recorded is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS and expires is not None:
        return now, f"{words} (exemption ended {expires.isoformat()})"
    return now, f"{words} (deadline passed)"


def history_row(audit: AuditSummary, as_of: date | None = None) -> HistoryRow:
    device = shown(audit.device_name or audit.device_id)
    status, result = result_on(audit, as_of)
    cells = {
        HistoryColumn.WHEN: when(audit.at),
        HistoryColumn.PERSON: shown(audit.person_name) or "(not named)",
        HistoryColumn.STAFF_ID: shown(audit.staff_id),
        HistoryColumn.DEVICE: device,
        HistoryColumn.POLICY: shown(audit.policy_id),
        HistoryColumn.RESULT: result,
        HistoryColumn.RECEIPT: RECEIPT_WORDS.get(audit.receipt_kind, shown(audit.receipt_kind))
        + (f", {audit.assurance}" if audit.assurance else ""),  # self-attested or witnessed
        HistoryColumn.TECHNICIAN: shown(audit.technician),
    }
    return HistoryRow(audit, tuple(cells[c] for c in HistoryColumn), status)


class HistoryModel(EnumTableModel[HistoryRow, HistoryColumn]):
    """Audits as the store listed them (newest first); the store filters, not this model."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(HistoryColumn, HEADERS, parent)

    def set_audits(self, audits: list[AuditSummary], as_of: date | None = None) -> None:
        """Show these audits; with `as_of`, each result as it stands on that day."""
        self.beginResetModel()
        self.rows = [history_row(a, as_of) for a in audits]
        self.endResetModel()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and orientation == Qt.Orientation.Horizontal
            and section == HistoryColumn.RESULT
        ):
            return tooltip(RESULT_TODAY_HELP)
        return super().headerData(section, orientation, role)

    def audit_at(self, row: int) -> AuditSummary | None:
        return self.rows[row].audit if 0 <= row < len(self.rows) else None

    def row_of(self, audit_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r.audit.id == audit_id), -1)

    def cell_data(self, row: HistoryRow, column: HistoryColumn, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.cells[column]
        if role == Qt.ItemDataRole.DecorationRole and column is HistoryColumn.RESULT:
            return icons.status_icon(row.status)
        if role == Qt.ItemDataRole.ToolTipRole:
            audit = row.audit
            origin = "imported from a receipt" if audit.origin.value == "imported" else "made here"
            then = (
                f"\nRecorded then: {result_words(audit.status)}"
                if row.status is not audit.status
                else ""
            )
            return tooltip(
                f"{row.cells[HistoryColumn.PERSON]} · {row.cells[HistoryColumn.DEVICE]}\n"
                f"{shown(audit.policy_title)}\n{row.cells[HistoryColumn.RESULT]}, {origin}{then}"
            )
        if role == AUDIT_ROLE:
            return row.audit
        return None


# --- the details ------------------------------------------------------------------------------


def heading(text: str, parent: QWidget) -> QLabel:
    widget = label(text, parent, selectable=False)
    font = QFont(widget.font())
    font.setBold(True)
    widget.setFont(font)
    return widget


def about_lines(head: AuditSummary, as_of: date | None = None) -> list[str]:
    """Who, what and the result; with `as_of`, the result as it stands that day (as the list and
    the dashboard say it), then what was recorded when it differs."""
    now, result = result_on(head, as_of)
    who = shown(head.person_name) or "(not named)"
    if head.staff_id:
        who += f" (staff id {shown(head.staff_id)})"
    about = [
        f"Person: {who}",
        f"Device: {shown(head.device_name or head.device_id)} [{shown(head.device_id)}]",
        # how the device was reached: a phone over the network or an emulator is named so
        f"Reached: {shown(reached_words(head.connection), 200)}",
        *assurance_lines(head),
        f"Policy: {shown(head.policy_title)} ({shown(head.policy_id)})",
        f"Result: {result}",
    ]
    if now is not head.status:
        about.append(f"Recorded then: {result_words(head.status)}")
    if head.technician:
        about.append(f"Technician: {shown(head.technician)}")
    if head.exemption_expires is not None:
        about.append(f"Relies on an exemption until {head.exemption_expires.isoformat()}")
    about.append(
        "Imported from a receipt made elsewhere"
        if head.origin.value == "imported"
        else "Audited on this computer"
    )
    return about


def check_lines(details: AuditDetails) -> list[str]:
    checks = []
    for number, scan in enumerate(details.scans, start=1):
        line = f"Check {number}, {when(scan.started_at)}: {result_words(scan.status)}"
        if scan.app_count:  # the apps looked at, not the apps found against the policy
            line += f" ({scan.app_count} app{'s' if scan.app_count != 1 else ''} checked)"
        if not scan.complete:
            gaps = ", ".join(shown(g.name, 40) for g in scan.gaps)
            line += f"; could not read {gaps}" if gaps else "; incomplete"
        checks.append(line)
        for finding in scan.findings:
            where = f" {shown(details.profile(finding.user).where, 80)}" if finding.user else ""
            status = finding_status_words(finding.status, rescan=number > 1)
            checks.append(f"    {shown(finding.label, 80)}{where}: {status}")
    return checks or ["No check was recorded."]


def detail_lines(details: AuditDetails, as_of: date | None = None) -> list[tuple[str, list[str]]]:
    """The audit as sections of plain lines: what the details pane shows, testable as text.
    With `as_of`, the result is as it stands that day."""
    sections = [("About", about_lines(details.summary, as_of)), ("Checks", check_lines(details))]

    actions = []
    for action in details.actions:
        at = f"{when(action.at)}: " if action.at is not None else ""
        actions.append(f"{at}{ACTION_WORDS[action.ok]}: {shown(action.message, 300)}")
        if not action.ok and action.advice:
            actions.append(f"    Advice given: {shown(action.advice, 300)}")
    sections.append(("What was done", actions or ["Nothing was removed or changed."]))

    receipts = []
    for receipt in details.receipts:
        kind = RECEIPT_WORDS.get(receipt.kind, shown(receipt.kind))
        receipts.append(f"{kind} on {when(receipt.attested_at)}: {result_words(receipt.status)}")
        if receipt.problem:
            receipts.append(
                f"    This receipt no longer verifies: {shown(receipt.problem, 300)}. Do not "
                "rely on it."
            )
        else:
            receipts.append("    Signature checked again: the receipt is intact.")
        receipts.append(f"    Signed with key {_fingerprint(receipt.signer)}")
        if receipt.file_name:
            receipts.append(f"    File: {shown(receipt.file_name, 300)}")
    sections.append(("Receipt", receipts or ["No receipt was signed."]))
    return sections


def _fingerprint(signer: str) -> str:
    from audit.attestation import format_fingerprint

    return format_fingerprint(signer) if signer.isalnum() else shown(signer, 80)


def assurance_lines(head: AuditSummary) -> list[str]:
    """Self-attested or witnessed (docs/security.md), and why a claim was not taken."""
    if not head.assurance:
        return []
    lines = [f"Assurance: {head.assurance}"]
    if head.trust_note:
        lines.append(f"    {shown(head.trust_note, 400)}")
    return lines


def receipt_files(details: AuditDetails) -> tuple[Path | None, Path | None]:
    """The latest receipt's file and PDF, when they are on this computer."""
    if not details.receipts:
        return None, None
    name = details.receipts[-1].file_name
    path = Path(name) if name else None
    if path is None or not path.is_absolute() or not path.is_file():
        return None, None
    pdf = path.with_suffix(".pdf")
    return path, pdf if pdf.is_file() else None


SELECT_AN_AUDIT = "Select an audit to see its checks, actions and receipt."


class DetailsPane(QWidget):
    """One audit in full. The text scrolls; the receipt's buttons stay below it, in sight
    however long the audit is."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditDetails")
        self.setAccessibleName("The selected audit")
        self.reading = QScrollArea(self)
        self.reading.setObjectName("auditDetailsText")
        self.reading.setAccessibleName("The selected audit's checks, actions and receipt")
        self.reading.setWidgetResizable(True)
        self.reading.setFrameShape(QFrame.Shape.NoFrame)
        self.content = QWidget(self.reading)
        self.body = QVBoxLayout(self.content)
        self.title = heading(SELECT_AN_AUDIT, self.content)
        self.sections = QVBoxLayout()
        self.body.addWidget(self.title)
        self.body.addLayout(self.sections)
        self.body.addStretch(1)
        self.reading.setWidget(self.content)
        self.open_pdf = QPushButton("Open the &PDF", self)
        self.open_pdf.setAccessibleName("Open the receipt's PDF")
        self.show_file = QPushButton("Show the receipt &file", self)
        self.show_file.setAccessibleName("Show the receipt file in its folder")
        self.save_copy = QPushButton("&Save a copy of the receipt…", self)
        self.save_copy.setAccessibleName("Save a copy of the signed receipt")
        buttons = QHBoxLayout()
        for button in (self.open_pdf, self.show_file, self.save_copy):
            buttons.addWidget(button)
            button.hide()
        buttons.addStretch(1)
        self.not_opened = NotOpened(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.reading, 1)
        outer.addLayout(buttons)
        outer.addWidget(self.not_opened)
        self.details: AuditDetails | None = None
        self.labels: list[QLabel] = []
        self.file: Path | None = None
        self.pdf: Path | None = None

    def clear(self, text: str = SELECT_AN_AUDIT) -> None:
        self.details = None
        self.title.setText(text)
        for widget in self.labels:
            widget.hide()
            widget.deleteLater()  # the layout lets go of a widget as it is deleted
        self.labels = []
        for button in (self.open_pdf, self.show_file, self.save_copy):
            button.hide()
        self.not_opened.hide()

    def show_details(self, details: AuditDetails, as_of: date | None = None) -> None:
        """Show the audit; with `as_of`, its result as it stands that day."""
        self.clear()
        self.details = details
        head = details.summary
        self.title.setText(
            f"{shown(head.person_name) or '(not named)'} · {shown(head.device_name)}: "
            f"{result_on(head, as_of)[1]}"
        )
        for title, lines in detail_lines(details, as_of):
            caption = heading(title, self.content)
            text = label("\n".join(lines), self.content)
            text.setAccessibleName(title)
            for widget in (caption, text):
                self.sections.addWidget(widget)
                self.labels.append(widget)
        self.file, self.pdf = receipt_files(details)
        self.open_pdf.setVisible(self.pdf is not None)
        self.show_file.setVisible(self.file is not None)
        self.save_copy.setVisible(bool(details.receipts))

    def texts(self) -> list[str]:
        """Everything the pane says, title first."""
        return [self.title.text(), *(w.text() for w in self.labels)]


# --- the window -------------------------------------------------------------------------------

ANY = ""
EMPTY_HISTORY_HELP = (
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
        self.setWindowTitle("History \u2014 Device Audit")
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

    def _build_filters(self) -> None:
        self.search = QLineEdit(self)
        self.search.setObjectName("historySearch")
        self.search.setPlaceholderText("Type to search names, staff ids, technicians, devices…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the history")
        self.person = QLineEdit(self)
        self.person.setPlaceholderText("Staff id or full name")
        self.person.setAccessibleName("Person")
        self.device = QLineEdit(self)
        self.device.setPlaceholderText("Device id, serial or name")
        self.device.setAccessibleName("Device")
        self.policy = QComboBox(self)
        self.policy.setAccessibleName("Policy")
        self.policy.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.policy.addItem("Any policy", ANY)
        self.status = QComboBox(self)
        self.status.setAccessibleName("Result today")
        self.status.setToolTip(tooltip(RESULT_TODAY_HELP))
        self.status.addItem("Any result", ANY)
        for status, words in RESULT_WORDS.items():
            self.status.addItem(icons.status_icon(status), words, status.value)
        self.use_since = QCheckBox("&From", self)
        self.use_since.setAccessibleName("Only audits from a day on")
        self.since = QDateEdit(self)
        self.since.setCalendarPopup(True)
        self.since.setDisplayFormat("yyyy-MM-dd")
        self.since.setAccessibleName("First day")
        self.use_until = QCheckBox("&To", self)
        self.use_until.setAccessibleName("Only audits up to a day")
        self.until = QDateEdit(self)
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("yyyy-MM-dd")
        self.until.setAccessibleName("Last day")
        today = QDate.currentDate()
        self.since.setDate(today.addDays(-30))
        self.until.setDate(today)
        self.since.setEnabled(False)
        self.until.setEnabled(False)
        for box, name in ((self.since, "First day"), (self.until, "Last day")):
            for edit in box.findChildren(QLineEdit):  # the text part a screen reader lands on
                edit.setAccessibleName(name)
        self.latest = QCheckBox("&Latest audit of each person's device only", self)
        self.latest.setAccessibleName("Latest audit of each person's device only")
        self.clear_button = QPushButton("&Clear filters", self)
        self.clear_button.setAccessibleName("Clear the search and filters")
        self.close_button = QPushButton("Close", self)
        self.close_button.setToolTip("Close the history (Esc)")
        self.count = label("", self, wrap=False, selectable=False, name="historyCount")
        self.empty_help = label(EMPTY_HISTORY_HELP, self, name="historyEmptyHelp")
        self.empty_help.setAccessibleName("How audits get into the history")
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
        grid.addLayout(self._row(("&Search:", self.search)))
        grid.addLayout(
            self._row(
                ("P&erson:", self.person), ("&Device:", self.device), ("Po&licy:", self.policy)
            )
        )
        filters = self._row(
            ("&Result today:", self.status), self.use_since, self.since, self.use_until, self.until
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
            accessible_name="Audits, newest first",
            widths=(
                (HistoryColumn.WHEN, 130),
                (HistoryColumn.PERSON, 160),
                (HistoryColumn.STAFF_ID, 90),
                (HistoryColumn.DEVICE, 160),
                (HistoryColumn.POLICY, 140),
                (HistoryColumn.RESULT, 280),  # "Overdue (exemption ended 2023-09-17)"
                (HistoryColumn.RECEIPT, 110),
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
        self.details.open_pdf.clicked.connect(lambda: self._open(self.details.pdf, "the PDF"))
        self.details.show_file.clicked.connect(
            lambda: self._open(
                self.details.file.parent if self.details.file else None,
                "the folder the receipt is in",
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

        def work(store: Store, _progress: object, _cancelled: object) -> tuple[list[Any], int]:
            return store.history(query), store.count(query)

        self.recorder.run(
            f"history:query:{id(self)}",
            work,
            self._show_results,
            self._failed,
            label="Searching the history",
        )

    def _show_results(self, result: tuple[list[AuditSummary], int]) -> None:
        audits, total = result
        selected = self._selected_id
        self.total = total
        self.model.set_audits(audits, as_of=self.today())
        shown_count = len(audits)
        empty = total == 0 and not self._filtering()
        self.empty_help.setVisible(empty)
        if total == 0:
            self.count.setText("No audits match" if self._filtering() else "No audits yet")
        elif shown_count < total:
            self.count.setText(f"Showing the newest {shown_count} of {total} audits")
        else:
            self.count.setText(f"{total} audit{'s' if total != 1 else ''}")
        row = self.model.row_of(selected) if selected is not None else -1
        if row >= 0:
            self.table.setCurrentIndex(self.model.index(row, 0))
        else:
            self._selected_id = None
            self.details.clear("" if empty else SELECT_AN_AUDIT)
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
        )

    def _show_policies(self, policies: list[PolicySummary]) -> None:
        current = self.policy.currentData()
        self.policy.blockSignals(True)
        self.policy.clear()
        self.policy.addItem("Any policy", ANY)
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
        self.details.clear("Reading the audit…")
        self.recorder.run(
            f"history:details:{id(self)}",
            lambda store, _p, _c: store.audit_details(audit.id),
            self._show_details,
            self._details_failed,
            label="Reading the audit",
        )

    def _show_details(self, details: AuditDetails) -> None:
        if details.summary.id == self._selected_id:
            self.details.show_details(details, as_of=self.today())
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
            "Save a copy of the receipt", receipt_file_name(receipt), "Receipts (*.json)"
        )
        if not path:
            return
        from audit.inventory import write_atomic

        try:
            write_atomic(Path(path), receipt.envelope)
        except OSError as error:
            errors.show_error(self, error)
            return
        self.statusBar().showMessage(f"Receipt saved to {path}", 10000)

    # --- the desktop (tests replace these) ------------------------------------------------

    @classmethod
    def open_url(cls, url: QUrl) -> bool:
        return QDesktopServices.openUrl(url)

    def ask_save_path(self, title: str, suggested: str, filters: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, title, suggested, filters)
        return path


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())
