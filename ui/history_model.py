"""The history's list of audits: each audit as a row, its result as it stands today.

Split out of ui/history.py (the window). The words of a result, a receipt and an action are
written here once, for the list, the details (ui.history_details) and the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    Qt,
)

from audit.i18n import N_, _
from audit.model import DeviceStatus
from audit.text import visible
from audit.words import status_label
from ui import icons
from ui.plain import tooltip
from ui.tables import EnumTableModel, Index

if TYPE_CHECKING:
    from audit.store import AuditSummary

# The results in the order the history's filter lists them. Their words are audit/words.py's,
# but for one: in a list of audits, "Incomplete" alone would read as an unfinished record.
RESULTS = (
    DeviceStatus.COMPLIANT,
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS,
    DeviceStatus.NON_COMPLIANT,
    DeviceStatus.OVERDUE,
    DeviceStatus.INCOMPLETE,
)
INCOMPLETE_WORDS = N_("Incomplete check")
# The tables below are marked, not translated (translated where shown, so they follow the
# language chosen after import).
RECEIPT_WORDS = {
    "compliance_attestation": N_("Attested"),
    "noncompliance_report": N_("Report signed"),
    "": N_("No receipt"),
}
ACTION_WORDS = {True: N_("Done"), False: N_("Did not work")}
# Where an audit's row came from (audit.store.records.Origin): a re-judged row is derived from
# a stored inventory, never a rescan, and never signed (audit.store.rejudge).
ORIGIN_WORDS = {
    "local": N_("made here"),
    "imported": N_("imported from a receipt"),
    "rejudged": N_("re-judged from the stored inventory, not rescanned"),
}


def result_words(status: DeviceStatus | None) -> str:
    if status is None:
        return _("Not checked yet")
    if status is DeviceStatus.INCOMPLETE:
        return _(INCOMPLETE_WORDS)
    return status_label(status)


def receipt_words(kind: str) -> str:
    """A receipt's kind in words; a kind this version does not know is shown as it is."""
    return _(RECEIPT_WORDS[kind]) if kind in RECEIPT_WORDS else shown(kind)


def origin_words(origin: str) -> str:
    return _(ORIGIN_WORDS.get(origin, ORIGIN_WORDS["local"]))


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
    ASSURANCE = 7  # self-attested or witnessed, and a note when a claim was not taken
    POLICY_TEXT = 8  # "Older version" when judged under an earlier text of the policy
    TECHNICIAN = 9
    # The team history's login that recorded it: last, and there only while some audit listed
    # has one (a team history's; never on SQLite, where nobody vouches for a name).
    RECORDED_BY = 10


HEADERS = {
    HistoryColumn.WHEN: N_("When"),
    HistoryColumn.PERSON: N_("Person"),
    HistoryColumn.STAFF_ID: N_("Staff id"),
    HistoryColumn.DEVICE: N_("Device"),
    HistoryColumn.POLICY: N_("Policy"),
    HistoryColumn.RESULT: N_("Result today"),
    HistoryColumn.RECEIPT: N_("Receipt"),
    HistoryColumn.ASSURANCE: N_("Assurance"),
    HistoryColumn.POLICY_TEXT: N_("Policy version"),
    HistoryColumn.TECHNICIAN: N_("Technician"),
    HistoryColumn.RECORDED_BY: N_("Recorded by"),
}
RESULT_TODAY_HELP = N_(
    "What the audit means today, as the dashboard counts it: a deadline may have passed, or an "
    "exemption ended, since it was recorded. The details say what was recorded then."
)
# What the history says of how much a receipt is worth (docs/security.md).
ASSURANCE_WORDS = {
    "witnessed": N_("Witnessed"),
    "self-attested": N_("Self-attested"),
    "": N_("Not signed"),
}
ASSURANCE_HELP = N_(
    "Witnessed: signed at the helpdesk bench by an enrolled technician, the phone on a cable. "
    "Self-attested: signed by the staff member on their own computer; it is their word. "
    "Not signed: a check nobody signed a receipt for. A note (!) says why a receipt that names "
    "a technician was not taken as witnessed, or that its key signed for someone else too."
)
OLDER_WORDS = N_("Older version")
POLICY_TEXT_HELP = N_(
    '"Older version": the audit was judged under an earlier text of its policy than the one '
    "in force now; check the device again to judge it under the current one."
)
RECORDED_BY_HELP = N_(
    "Recorded by: the team history's database login that recorded the audit. The database "
    "server writes it itself: no technician or administrator of the team can type another "
    "name or change it later, unlike the Technician column, a name typed at the bench. It "
    "says who recorded the audit, not that what the audit says is true."
)
NOT_RECORDED_WORDS = N_("Not recorded")
NOT_RECORDED_HELP = N_(
    "Not recorded: this audit was written before the team history kept who recorded each audit."
)
HEADER_HELP = {
    HistoryColumn.RESULT: RESULT_TODAY_HELP,
    HistoryColumn.RECORDED_BY: RECORDED_BY_HELP,
    HistoryColumn.ASSURANCE: ASSURANCE_HELP,
    HistoryColumn.POLICY_TEXT: POLICY_TEXT_HELP,
}


def assurance_words(audit: AuditSummary) -> str:
    """ "Witnessed", "Self-attested" or "Not signed", with "(!)" when the trust note says more."""
    if not audit.assurance and audit.receipt_uid:
        words = _("Not recorded")  # a receipt recorded before Device Audit kept its assurance
    elif audit.assurance in ASSURANCE_WORDS:
        words = _(ASSURANCE_WORDS[audit.assurance])
    else:
        words = shown(audit.assurance, 40)
    return f"{words} (!)" if audit.trust_note else words


AUDIT_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class HistoryRow:
    audit: AuditSummary
    cells: tuple[str, ...]
    status: DeviceStatus | None  # as recorded, or as it stands on the model's day
    unwitnessed: bool = False  # compliant, counted with witnessed receipts only, and not one


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
        # Translators: {result} is a result ("Not compliant"), {day} a day (2026-03-31)
        return now, _("{result} (exemption ended {day})").format(
            result=words, day=expires.isoformat()
        )
    # Translators: {result} is a result ("Overdue")
    return now, _("{result} (deadline passed)").format(result=words)


def history_row(
    audit: AuditSummary, as_of: date | None = None, *, witnessed_only: bool = False
) -> HistoryRow:
    """One row; `witnessed_only`: counted as the dashboard does with witnessed receipts only,
    so a compliant result without a witnessed receipt reads "Compliant, not witnessed"."""
    device = shown(audit.device_name or audit.device_id)
    status, result = result_on(audit, as_of)
    compliant = (DeviceStatus.COMPLIANT, DeviceStatus.COMPLIANT_WITH_EXCEPTIONS)
    unwitnessed = witnessed_only and status in compliant and audit.assurance != "witnessed"
    if unwitnessed:
        # Translators: {result} is "Compliant" or "Compliant with exceptions"
        result = _("{result}, not witnessed").format(result=result)
    cells = {
        HistoryColumn.WHEN: when(audit.at),
        HistoryColumn.PERSON: shown(audit.person_name) or _("(not named)"),
        HistoryColumn.STAFF_ID: shown(audit.staff_id),
        HistoryColumn.DEVICE: device,
        HistoryColumn.POLICY: shown(audit.policy_id),
        HistoryColumn.RESULT: result,
        HistoryColumn.RECEIPT: receipt_words(audit.receipt_kind),
        HistoryColumn.ASSURANCE: assurance_words(audit),
        HistoryColumn.POLICY_TEXT: _(OLDER_WORDS) if audit.older_policy else "",
        HistoryColumn.TECHNICIAN: shown(audit.technician),
        HistoryColumn.RECORDED_BY: shown(audit.recorded_by, 80) or _(NOT_RECORDED_WORDS),
    }
    return HistoryRow(audit, tuple(cells[c] for c in HistoryColumn), status, unwitnessed)


class HistoryModel(EnumTableModel[HistoryRow, HistoryColumn]):
    """Audits as the store listed them (newest first); the store filters, not this model."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(HistoryColumn, HEADERS, parent)
        self.recorded = False  # some audit listed names the login that recorded it

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        """Every column but "Recorded by" unless some audit listed has a login: a SQLite
        history never does, and an empty column would read as nobody recorded anything."""
        if parent.isValid():
            return 0
        return len(HistoryColumn) if self.recorded else len(HistoryColumn) - 1

    def set_audits(
        self,
        audits: list[AuditSummary],
        as_of: date | None = None,
        *,
        witnessed_only: bool = False,
        witnessed_policies: Collection[str] = (),
    ) -> None:
        """Show these audits; with `as_of`, each result as it stands on that day. With
        `witnessed_only` (every audit), or for the policies in `witnessed_policies` (those that
        ask for witnessed receipts only), a compliant result without a witnessed receipt says
        so, as the dashboard counts it."""
        self.beginResetModel()
        self.rows = [
            history_row(
                a, as_of, witnessed_only=witnessed_only or a.policy_id in witnessed_policies
            )
            for a in audits
        ]
        self.recorded = any(a.recorded_by for a in audits)
        self.endResetModel()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and not 0 <= section < self.columnCount():
            return None
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and orientation == Qt.Orientation.Horizontal
            and section in HEADER_HELP
        ):
            return tooltip(_(HEADER_HELP[HistoryColumn(section)]))
        return super().headerData(section, orientation, role)

    def audit_at(self, row: int) -> AuditSummary | None:
        return self.rows[row].audit if 0 <= row < len(self.rows) else None

    def row_of(self, audit_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r.audit.id == audit_id), -1)

    def cell_data(self, row: HistoryRow, column: HistoryColumn, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.cells[column]
        if role == Qt.ItemDataRole.DecorationRole and column is HistoryColumn.RESULT:
            if row.unwitnessed:
                return icons.icon("review")  # the "not witnessed" count's shape, not a tick
            return icons.status_icon(row.status)
        if role == Qt.ItemDataRole.ToolTipRole and column in _TRUST_TIPS:
            return tooltip(_TRUST_TIPS[column](row.audit)) or None
        if role == Qt.ItemDataRole.ToolTipRole:
            audit = row.audit
            origin = origin_words(audit.origin.value)
            then = (
                "\n" + _("Recorded then: {result}").format(result=result_words(audit.status))
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


def _assurance_tip(audit: AuditSummary) -> str:
    words = assurance_words(audit).removesuffix(" (!)")  # the mark is the same in every language
    note = f"\n{shown(audit.trust_note, 400)}" if audit.trust_note else ""
    return f"{words}{note}"


def _older_tip(audit: AuditSummary) -> str:
    return shown(audit.older_policy, 400)


def _recorded_tip(audit: AuditSummary) -> str:
    if not audit.recorded_by:
        return _(NOT_RECORDED_HELP)
    # Translators: a login, then what it is: "ann_smith: the team history's login ..."
    return _("{login}: the team history's login that recorded this audit").format(
        login=shown(audit.recorded_by, 200)
    )


_TRUST_TIPS: dict[HistoryColumn, Callable[[AuditSummary], str]] = {
    HistoryColumn.ASSURANCE: _assurance_tip,
    HistoryColumn.POLICY_TEXT: _older_tip,
    HistoryColumn.RECORDED_BY: _recorded_tip,
}


# --- the details ------------------------------------------------------------------------------
