"""The history's list of audits: each audit as a row, its result as it stands today.

Split out of ui/history.py (the window). The words of a result, a receipt and an action are
written here once, for the list, the details (ui.history_details) and the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QObject,
    Qt,
)

from audit.model import DeviceStatus
from audit.text import visible
from ui import icons
from ui.plain import tooltip
from ui.tables import EnumTableModel

if TYPE_CHECKING:
    from audit.store import AuditSummary

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
