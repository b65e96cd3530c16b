"""What the history store gives back: plain frozen records, no database handles.

The GUI (history view, dashboard, helpdesk queue) and the CLI read these. Every text in them came
from a device or a receipt file: show it as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from audit.attestation import VerifiedAttestation
from audit.model import (
    ActionResult,
    Connection,
    Device,
    DeviceStatus,
    Exemption,
    SourceReport,
    UserProfile,
)
from audit.profiles import ProfileWords, words_among


class Origin(StrEnum):
    LOCAL = "local"  # audited on this computer
    IMPORTED = "imported"  # rebuilt from a receipt made elsewhere
    # re-judged from a stored inventory under a newer policy text: never signed, never
    # witnessed, not a rescan (audit.store.rejudge)
    REJUDGED = "rejudged"


class KeyNote(StrEnum):
    """How the receipt's signing key relates to the keys known for its signer."""

    FIRST = "first"  # the first key seen for this signer: trusted from now on
    KNOWN = "known"  # a key already trusted for this signer
    ACCEPTED = "accepted"  # a different key, accepted on request (--accept-new-key)
    LOCAL = "local"  # signed on this computer


@dataclass(frozen=True)
class HistoryFilter:
    """Which audits to list. Empty fields do not filter.

    `search` finds text anywhere in the person's name, staff id, technician, device id and device
    name (case-insensitive). `person` is a staff id or a person's full name; `device` a device id
    or name. `since`/`until` bound the audit's day, both inclusive. Newest first. With `as_of`,
    `statuses` match each audit's status as it stands that day (status_on: a deadline since
    passed, an exemption since ended), as the dashboard counts it, not the status recorded.
    """

    search: str = ""
    person: str = ""
    device: str = ""
    policy: str = ""
    statuses: frozenset[DeviceStatus] = frozenset()
    since: date | None = None
    until: date | None = None
    origin: Origin | None = None
    latest_only: bool = False  # only the latest audit of each person + device + policy
    # List the unnamed scans merged into a named audit of their device as rows of their own
    # (by default they are part of that audit's line: audit.store.lineage).
    unnamed_scans: bool = False
    as_of: date | None = None
    limit: int | None = 200
    offset: int = 0


@dataclass(frozen=True)
class AuditSummary:
    """One row of the history list."""

    id: int
    uid: str
    origin: Origin
    person_name: str
    staff_id: str
    technician: str
    device_id: str
    device_name: str
    policy_id: str
    policy_title: str
    policy_sha256: str
    deadline: date | None
    status: DeviceStatus | None  # None while the audit has no assessment yet
    day: date | None
    started_at: datetime
    at: datetime  # the time that orders audits: the last scan, action or receipt
    scanned_at: datetime | None
    attested_at: datetime | None
    exemption_expires: date | None  # earliest expiry among the exemptions it relied on
    receipt_uid: str  # the latest receipt's attestation id, "" when none
    receipt_kind: str  # "compliance_attestation" | "noncompliance_report" | ""
    signer: str  # fingerprint of the key that signed the latest receipt, "" when none
    latest: bool  # the latest audit of this person + device + policy
    # How the device was reached for the latest scan (as its receipt signs it, when imported);
    # None when not recorded (audits from before it was): never taken for a USB cable.
    connection: Connection | None = None
    assurance: str = ""  # of its latest receipt: "self-attested" | "witnessed" | ""
    trust_note: str = ""  # why a technician's claim was not taken, or a key seen twice
    merged_scans: int = 0  # unnamed scans of this device taken into this audit's line
    older_policy: str = ""  # why it was judged under an older version of its policy, or ""
    # The login that recorded it, as a team history's database wrote it (pg_schema v10); ""
    # on SQLite, where nobody checks a name, and for audits from before v10.
    recorded_by: str = ""

    @property
    def attested(self) -> bool:
        return bool(self.receipt_uid)


@dataclass(frozen=True)
class FindingRecord:
    rule_id: str
    rule_title: str
    identifier: str
    id_kind: str
    name: str
    user: str
    state: str | None  # AppState value; None when the scan could not tell
    status: str  # FindingStatus value, or "unverified" (from a receipt of an incomplete rescan)
    confidence: str
    exemption_id: str

    @property
    def label(self) -> str:
        return self.name or self.identifier


@dataclass(frozen=True)
class ScanRecord:
    """A scan's summary and how it was judged (the full inventory is not kept)."""

    id: int
    started_at: datetime
    finished_at: datetime
    complete: bool
    inventory_digest: str
    app_count: int
    gaps: tuple[SourceReport, ...]
    policy_sha256: str
    day: date | None
    status: DeviceStatus | None
    findings: tuple[FindingRecord, ...]
    users: tuple[UserProfile, ...] = ()  # the device's users and profiles, as this scan saw them


@dataclass(frozen=True)
class ReceiptRecord:
    """A signed receipt as stored, byte for byte, and what verifying it again says."""

    uid: str
    kind: str
    origin: Origin
    file_name: str
    signer: str
    identity: str  # whose key it is: a staff id, or "technician:NAME"
    key_note: KeyNote
    status: DeviceStatus
    attested_at: datetime
    recorded_at: datetime
    payload_sha256: str
    envelope: bytes = field(repr=False)
    verified: VerifiedAttestation | None = field(default=None, repr=False, compare=False)
    problem: str = ""  # why the stored bytes no longer verify; "" when they do


@dataclass(frozen=True)
class AuditDetails:
    summary: AuditSummary
    device: Device
    scans: tuple[ScanRecord, ...]
    actions: tuple[ActionResult, ...]
    exemptions: tuple[Exemption, ...]
    receipts: tuple[ReceiptRecord, ...]

    @property
    def last_scan(self) -> ScanRecord | None:
        return self.scans[-1] if self.scans else None

    def profile(self, user_id: str) -> ProfileWords:
        """What to call a user of the device ("the Work profile"), as its latest scan that
        lists that user named it; by its id when none does."""
        users = [user for scan in reversed(self.scans) for user in scan.users]
        return words_among(users, user_id)


@dataclass(frozen=True)
class StatusCounts:
    """How many people's devices are in each status. `excepted` is compliant with exceptions."""

    compliant: int = 0
    excepted: int = 0
    non_compliant: int = 0
    overdue: int = 0
    incomplete: int = 0
    # Compliant, but not on a witnessed receipt, when the dashboard counts witnessed receipts
    # only (audit.store.witnessed); 0 otherwise. Never counted as compliant.
    unwitnessed: int = 0

    def of(self, status: DeviceStatus) -> int:
        return {
            DeviceStatus.COMPLIANT: self.compliant,
            DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: self.excepted,
            DeviceStatus.NON_COMPLIANT: self.non_compliant,
            DeviceStatus.OVERDUE: self.overdue,
            DeviceStatus.INCOMPLETE: self.incomplete,
        }[status]

    @property
    def total(self) -> int:
        return (
            self.compliant
            + self.excepted
            + self.non_compliant
            + self.overdue
            + self.incomplete
            + self.unwitnessed
        )

    @classmethod
    def from_mapping(cls, counts: dict[DeviceStatus, int]) -> StatusCounts:
        return cls(
            compliant=counts.get(DeviceStatus.COMPLIANT, 0),
            excepted=counts.get(DeviceStatus.COMPLIANT_WITH_EXCEPTIONS, 0),
            non_compliant=counts.get(DeviceStatus.NON_COMPLIANT, 0),
            overdue=counts.get(DeviceStatus.OVERDUE, 0),
            incomplete=counts.get(DeviceStatus.INCOMPLETE, 0),
        )


@dataclass(frozen=True)
class DayCounts:
    day: date
    counts: StatusCounts


@dataclass(frozen=True)
class DashboardCounts:
    """Where one policy stands today, over the latest audit of each person + device.

    Statuses are as of `today`: a non-compliant device past the deadline counts as overdue, and
    one compliant only through an exemption that has since expired counts as non-compliant (or
    overdue). `expiring` counts excepted devices whose exemption ends within `expiring_within`
    days (they are also in `counts.excepted`). `series` is the same count at the end of each of
    the last days, oldest first, for a chart.
    """

    policy_id: str
    today: date
    deadline: date | None
    counts: StatusCounts
    expiring: int
    expiring_within: int
    series: tuple[DayCounts, ...]
    # Of the latest audits: how many rest on a witnessed receipt, how many on a self-attested
    # one (the rest have no receipt); see audit.store.trust.
    witnessed: int = 0
    self_attested: int = 0
    # Of the latest audits: how many were judged under an older version of the policy than the
    # current one (audit.store.lineage).
    older_version: int = 0
    # Counting witnessed receipts only (audit.store.witnessed): a compliant status that rests
    # on a self-attested receipt or none is counted in counts.unwitnessed, not as compliant.
    witnessed_only: bool = False

    @property
    def days_to_deadline(self) -> int | None:
        """Days left (negative once passed); None when the policy has no deadline."""
        return None if self.deadline is None else (self.deadline - self.today).days


@dataclass(frozen=True)
class PolicySummary:
    id: str
    title: str
    deadline: date | None
    audits: int


@dataclass(frozen=True)
class TrustedKey:
    identity: str
    signer: str
    first_seen: datetime
    source: str  # the file it was first seen in, or "this computer"
    accepted: bool  # added as a new key on request, after another key was known


class ImportResult(StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    REFUSED = "refused"
    # Not a receipt and never one: the PDF copy Device Audit writes beside each receipt. Neither
    # imported nor refused, so a folder as staff hand it in does not look like a failed import.
    SKIPPED = "skipped"


@dataclass(frozen=True)
class FileOutcome:
    """What became of one file of an import."""

    path: Path
    result: ImportResult
    reason: str = ""  # why it was refused, skipped or counted as a duplicate
    attestation_id: str = ""
    audit_id: int | None = None
    signer: str = ""
    identity: str = ""
    person_name: str = ""  # whom the receipt is for, when it could be read
    key_changed: bool = False  # signed by a key other than the one known for its signer
    simulated: bool = False  # made on the demo phone: refused, never kept in the history


@dataclass(frozen=True)
class ImportReport:
    outcomes: tuple[FileOutcome, ...]

    def _count(self, result: ImportResult) -> int:
        return sum(1 for o in self.outcomes if o.result is result)

    @property
    def imported(self) -> int:
        return self._count(ImportResult.IMPORTED)

    @property
    def duplicates(self) -> int:
        return self._count(ImportResult.DUPLICATE)

    @property
    def refused(self) -> int:
        return self._count(ImportResult.REFUSED)

    @property
    def skipped(self) -> int:
        return self._count(ImportResult.SKIPPED)

    @property
    def changed_keys(self) -> tuple[str, ...]:
        """Signers whose receipts were refused because their key changed."""
        return tuple(
            dict.fromkeys(
                o.identity
                for o in self.outcomes
                if o.key_changed and o.result is ImportResult.REFUSED
            )
        )


@dataclass(frozen=True)
class ExportRow:
    """One line of the compliance office's export: the latest audit of a person's device."""

    person_name: str
    staff_id: str
    device_id: str
    device_name: str
    policy_id: str
    status: str  # as of the export day (see DashboardCounts)
    recorded_status: str  # as the audit recorded it
    scanned_at: str  # UTC ISO 8601, "" when unknown
    attested_at: str
    exemption_ids: tuple[str, ...]
    exemption_expires: str  # earliest expiry, ISO date, "" when none
    signer: str  # receipt's signing key fingerprint
    attestation_id: str
    receipt_kind: str
    origin: str
    audit_uid: str
    connection: str = ""  # ConnectionKind value: usb, network, loopback...; "" when not recorded
    reached: str = ""  # the same in words: "over the network, not a USB cable (10.0.0.5:5555)"
    policy_version: str = ""  # the known policy's version ("" for a policy known only here)
    policy_sha256: str = ""  # the digest of the policy file the audit was judged against
    assurance: str = ""  # "self-attested" | "witnessed" | "" (no receipt): audit.store.trust
    trust_note: str = ""  # why a technician's claim was not taken, or a key seen twice
    # Which login recorded it in a team history (the database's word, never the bench's):
    # what the office checks an audit nobody signed against. "" on SQLite (AuditSummary).
    recorded_by: str = ""
