"""The audit history: one SQLite file in the user's data folder.

A Store may be shared between threads (the GUI's background operations): every call takes the
store's lock, so calls run one at a time on its single connection. Several processes may open the
same file (the GUI and a CLI command): SQLite's locks and WAL keep them consistent, and writers
wait for each other up to a timeout.

Writing a local audit step by step, as the wizard and the helpdesk queue do:

    audit_id = store.begin_audit(device, policy, person_name=..., staff_id=..., technician=...)
    store.record_assessment(audit_id, first)       # each scan, judged against the policy
    store.record_actions(audit_id, results)        # removals and their results
    store.record_assessment(audit_id, rescan)
    store.record_receipt(audit_id, envelope)       # the signed attestation or report

or all at once with record_audit(). Every call is one transaction: what returned is on disk.

The simulated demo phone is never recorded: beginning an audit of it raises StoreError with
DEMO_NOT_RECORDED (callers check Device.simulated first and say so), and the importer refuses
its receipts, so the history, dashboard and exports hold only real devices.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from audit.attestation import Envelope, VerifiedAttestation, verify_bytes
from audit.errors import StoreError
from audit.i18n import N_, _
from audit.model import ActionResult, Assessment, Device, DeviceStatus, Policy
from audit.paths import data_dir
from audit.store import holds, queries, witnessed
from audit.store.addresses import refuse_keyword_address
from audit.store.behind import CountMethods
from audit.store.db import REIMPORT, open_database, open_read_only, transaction
from audit.store.db import sqlite_words as _words
from audit.store.import_methods import ImportMethods
from audit.store.records import (
    AuditDetails,
    AuditSummary,
    DashboardCounts,
    ExportRow,
    HistoryFilter,
    KeyNote,
    Origin,
    PolicySummary,
    ReceiptRecord,
    TrustedKey,
)
from audit.store.rejudge import RejudgeMethods
from audit.store.trust import enrolled_keys, judge, other_identities, two_identities_note
from audit.store.trust_store import TrustMethods
from audit.store.writes import (
    THIS_COMPUTER,
    AuditKey,
    audit_key,
    device_json,
    insert_actions,
    insert_assessment,
    insert_audit,
    insert_receipt,
    relink_key,
    search_text,
    trust_key,
)

log = logging.getLogger(__name__)

FILE_NAME = "history.sqlite3"
TEAM_SCHEMES = ("postgresql://", "postgres://")  # a team history on a server (audit.store.pg)
DEMO_NOT_RECORDED = N_("The demo phone is not recorded in the history.")
T = TypeVar("T")

# refuse_keyword_address stays importable from here, where the command line looks for it.
__all__ = [
    "DEMO_NOT_RECORDED",
    "FILE_NAME",
    "TEAM_SCHEMES",
    "Store",
    "default_path",
    "refuse_keyword_address",
]


def default_path() -> Path:
    return data_dir() / FILE_NAME


class Store(ImportMethods, TrustMethods, CountMethods, RejudgeMethods):
    """The history database. Open with Store() (the user's data folder), Store(path), or
    Store("postgresql://user@host/db") for a helpdesk team's history on a server (issue 18)."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        """`read_only`: read the history without writing anything to it (history, export), so
        one on read-only media can be read; db.OlderHistory when it would need migrating."""
        self._lock = threading.RLock()
        if isinstance(path, str) and path.lower().startswith(TEAM_SCHEMES):
            # psycopg is imported here only: the single user on a file never pays for it.
            from audit.store import pg

            # `where` names the history in messages: never the password.
            self.where = pg.redact(path)
            self.path = Path(self.where)
            self.team = True  # on a server: `where` names it; `path` is no file
            self._errors: Callable[[], AbstractContextManager[None]] = lambda: pg.pg_words(
                self.where
            )
            self._conn: sqlite3.Connection | None = pg.open_team(  # type: ignore[assignment]
                path, read_only=read_only
            )
            return
        if path is not None:
            refuse_keyword_address(path)
        self.path = Path(path) if path is not None else default_path()
        self.where = str(self.path)
        self._errors = lambda: _words(self.path)
        self.team = False
        self._conn = open_read_only(self.path) if read_only else open_database(self.path)

    # --- life ---------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(_("The history is closed."), _("Open it again."))
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._errors(), transaction(self._db) as conn:
            yield conn

    def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run a query in one read transaction, so it sees one consistent state."""
        with self._lock, self._errors():
            conn = self._db
            conn.execute("BEGIN")
            try:
                return query(conn)
            except ValueError as exc:
                # A stored value Device Audit never writes (a time, a status, JSON): the file
                # was changed outside Device Audit or damaged where quick_check cannot see.
                log.info("unreadable value in %s", self.where, exc_info=True)
                raise StoreError(
                    _(
                        "The history {path} holds a value Device Audit did not write ({error}): "
                        "it was changed outside Device Audit, or it is damaged."
                    ).format(path=self.where, error=exc),
                    _(
                        "Move the file aside: Device Audit will start a new history. {reimport}"
                    ).format(reimport=_(REIMPORT)),
                ) from None
            finally:
                conn.execute("COMMIT")

    # --- writing a local audit ----------------------------------------------------------------

    def begin_audit(
        self,
        device: Device,
        policy: Policy,
        *,
        person_name: str = "",
        staff_id: str = "",
        technician: str = "",
        at: datetime | None = None,
    ) -> int:
        """Start an audit of one device for one person under one policy; returns its id.

        The person may be named later (set_person), e.g. when the helpdesk scans a phone before
        the technician asks whose it is.
        """
        with self._write() as conn:
            return self._begin(
                conn,
                device,
                policy,
                person_name=person_name,
                staff_id=staff_id,
                technician=technician,
                at=at,
            )

    def set_person(
        self, audit_id: int, *, person_name: str, staff_id: str, technician: str | None = None
    ) -> None:
        """Name the person (and technician) of an audit that has no receipt yet."""
        with self._write() as conn:
            old = self._key(conn, audit_id)
            receipts = conn.execute(
                "SELECT count(*) FROM attestations WHERE audit_id = ?", (audit_id,)
            ).fetchone()[0]
            if receipts:
                raise StoreError(
                    _(
                        "This audit already has a signed receipt, which names the person; it "
                        "cannot be given to someone else."
                    ),
                    _("Start a new audit for the other person."),
                )
            row = conn.execute(
                "SELECT technician, device_id, device_name FROM audits WHERE id = ?", (audit_id,)
            ).fetchone()
            tech = row[0] if technician is None else technician
            conn.execute(
                "UPDATE audits SET person_name = ?, staff_id = ?, technician = ?, search = ?"
                " WHERE id = ?",
                (
                    person_name,
                    staff_id,
                    tech,
                    search_text(person_name, staff_id, tech, row[1], row[2]),
                    audit_id,
                ),
            )
            holds.rejudge(conn, audits=[audit_id])  # a person-scoped exemption: whose?
            relink_key(conn, old)
            relink_key(conn, AuditKey(old.policy_id, staff_id, old.device_id))

    def record_assessment(self, audit_id: int, assessment: Assessment) -> int:
        """Record a scan and how it was judged; returns the scan's id."""
        with self._write() as conn:
            return self._assess(conn, audit_id, assessment)

    def record_actions(self, audit_id: int, actions: Iterable[ActionResult]) -> None:
        with self._write() as conn:
            self._act(conn, audit_id, list(actions))

    def record_receipt(
        self, audit_id: int, envelope: Envelope | bytes, *, file_name: str = ""
    ) -> VerifiedAttestation:
        """Record the receipt signed at the end of this audit (verified first).

        Raises AttestationInvalid if it does not verify, StoreError if it is about another
        device, policy or person than the audit.
        """
        with self._write() as conn:
            return self._receipt(conn, audit_id, envelope, file_name)

    def record_audit(
        self,
        assessments: Sequence[Assessment],
        actions: Sequence[ActionResult] = (),
        *,
        person_name: str = "",
        staff_id: str = "",
        technician: str = "",
        envelope: Envelope | bytes | None = None,
        file_name: str = "",
        uid: str | None = None,
    ) -> int:
        """A whole audit at once (first scan, actions, rescans, receipt), in one transaction.
        `uid`: the audit's identity, chosen by the caller before its first write, so a write
        retried elsewhere (the outbox) is the same audit (audit.workflow.history)."""
        if not assessments:
            raise StoreError(_("An audit needs at least one scan."), _("Scan the device first."))
        first = assessments[0]
        with self._write() as conn:
            audit_id = self._begin(
                conn,
                first.scan.device,
                first.policy,
                person_name=person_name,
                staff_id=staff_id,
                technician=technician,
                at=first.scan.started_at,
                uid=uid,
            )
            self._assess(conn, audit_id, first)
            self._act(conn, audit_id, list(actions))
            for assessment in assessments[1:]:
                self._assess(conn, audit_id, assessment)
            if envelope is not None:
                self._receipt(conn, audit_id, envelope, file_name)
            return audit_id

    def _begin(
        self,
        conn: sqlite3.Connection,
        device: Device,
        policy: Policy,
        *,
        person_name: str,
        staff_id: str,
        technician: str,
        at: datetime | None,
        uid: str | None = None,
    ) -> int:
        if device.simulated:
            raise StoreError(
                _(DEMO_NOT_RECORDED),
                _("The demo phone is for trying Device Audit; audit a real device to record it."),
            )
        return insert_audit(
            conn,
            origin=Origin.LOCAL,
            device=device,
            device_json=device_json(device),
            policy_id=policy.id,
            policy_title=policy.title,
            policy_sha256=policy.sha256,
            deadline=policy.deadline,
            person_name=person_name,
            staff_id=staff_id,
            technician=technician,
            started_at=at or datetime.now(UTC),
            uid=uid,
        )

    @staticmethod
    def _key(conn: sqlite3.Connection, audit_id: int) -> AuditKey:
        key = audit_key(conn, audit_id)
        if key is None:
            raise StoreError(
                _("There is no audit {audit} in the history.").format(audit=audit_id),
                _("Start the audit again; it may have been made with another history file."),
            )
        return key

    def _assess(self, conn: sqlite3.Connection, audit_id: int, assessment: Assessment) -> int:
        key = self._key(conn, audit_id)
        device = assessment.scan.device.id
        if device != key.device_id or assessment.policy.id != key.policy_id:
            raise StoreError(
                _(
                    "This scan ({device}, policy {policy}) does not belong to audit {audit} "
                    "({audit_device}, policy {audit_policy})."
                ).format(
                    device=device,
                    policy=assessment.policy.id,
                    audit=audit_id,
                    audit_device=key.device_id,
                    audit_policy=key.policy_id,
                ),
                _("Start a new audit for this device or policy."),
            )
        scan_id = insert_assessment(conn, audit_id, assessment)
        holds.rejudge(conn, audits=[audit_id])  # an exemption this history has not accepted
        relink_key(conn, key)
        return scan_id

    def _act(self, conn: sqlite3.Connection, audit_id: int, actions: list[ActionResult]) -> None:
        key = self._key(conn, audit_id)
        others = sorted({a.device for a in actions if a.device != key.device_id})
        if others:
            raise StoreError(
                _(
                    "Some actions were done on another device ({others}) than the one of audit "
                    "{audit} ({device})."
                ).format(others=", ".join(others), audit=audit_id, device=key.device_id),
                _("Record them with the audit of that device."),
            )
        insert_actions(conn, audit_id, actions)

    def _receipt(
        self,
        conn: sqlite3.Connection,
        audit_id: int,
        envelope: Envelope | bytes,
        file_name: str,
    ) -> VerifiedAttestation:
        data = envelope.to_file_bytes() if isinstance(envelope, Envelope) else bytes(envelope)
        verified = verify_bytes(data)
        key = self._key(conn, audit_id)
        staff_id, device_name = conn.execute(
            "SELECT staff_id, device_name FROM audits WHERE id = ?", (audit_id,)
        ).fetchone()
        attester = verified.attester
        problems = []
        if verified.device_id != key.device_id:
            problems.append(
                _("it is about device {found}, not {wanted}").format(
                    found=verified.device_id, wanted=key.device_id
                )
            )
        if verified.policy_id != key.policy_id:
            problems.append(
                _("it is about policy {found}, not {wanted}").format(
                    found=verified.policy_id, wanted=key.policy_id
                )
            )
        if staff_id and attester.staff_id != staff_id:
            problems.append(
                _("it names staff id {found}, not {wanted}").format(
                    found=attester.staff_id, wanted=staff_id
                )
            )
        if problems:
            raise StoreError(
                _("This receipt does not belong to audit {audit}: {problems}.").format(
                    audit=audit_id, problems="; ".join(problems)
                ),
                _("Record it with the audit it was made for."),
            )
        existing = conn.execute(
            "SELECT audit_id, payload_sha256 FROM attestations WHERE uid = ? OR payload_sha256 = ?",
            (verified.id, verified.payload_sha256),
        ).fetchone()
        if existing is not None:
            if tuple(existing) == (audit_id, verified.payload_sha256):
                return verified  # recorded already: recording twice changes nothing
            raise StoreError(
                _(
                    "Receipt {receipt} is already in the history, with another audit or other "
                    "content."
                ).format(receipt=verified.id),
                _("Make a new attestation for this audit."),
            )
        # The signed attester is authoritative for whose audit this is.
        conn.execute(
            "UPDATE audits SET person_name = ?, staff_id = ?, technician = ?,"
            " search = ? WHERE id = ?",
            (
                attester.name,
                attester.staff_id,
                attester.technician,
                search_text(
                    attester.name,
                    attester.staff_id,
                    attester.technician,
                    key.device_id,
                    device_name,
                ),
                audit_id,
            ),
        )
        now = datetime.now(UTC)
        # What the receipt is worth here (audit.store.trust): a technician named is taken only
        # for a key the helpdesk enrolled; otherwise the key is the staff id's.
        enrolled = enrolled_keys(conn)
        judged = judge(attester, verified.signer, verified.connection, enrolled)
        seen = set(other_identities(conn, verified.signer, judged.identity))
        twice = (
            ""
            if verified.signer in enrolled
            else two_identities_note(verified.signer, judged.identity, seen)
        )
        trust_key(conn, judged.identity, verified.signer, source=THIS_COMPUTER, at=now)
        conn.execute(
            "UPDATE audits SET assurance = ?, trust_note = ? WHERE id = ?",
            (
                judged.assurance.value,
                "; ".join(n for n in (judged.note or judged.refusal, twice) if n),
                audit_id,
            ),
        )
        insert_receipt(
            conn,
            audit_id,
            verified,
            envelope=data,
            file_sha256=hashlib.sha256(data).hexdigest(),
            origin=Origin.LOCAL,
            key_note=KeyNote.LOCAL,
            file_name=file_name,
            recorded_at=now,
        )
        conn.execute(
            "UPDATE attestations SET identity = ? WHERE uid = ?", (judged.identity, verified.id)
        )
        holds.rejudge(conn, audits=[audit_id])  # held as an imported receipt would be
        relink_key(conn, key)
        relink_key(conn, AuditKey(key.policy_id, attester.staff_id, key.device_id))
        return verified

    # --- reading ------------------------------------------------------------------------------

    def history(self, filter: HistoryFilter | None = None) -> list[AuditSummary]:
        """Audits matching the filter, newest first, at most filter.limit of them."""
        f = filter or HistoryFilter()
        return self._read(lambda conn: queries.history(conn, f))

    def count(self, filter: HistoryFilter | None = None) -> int:
        """How many audits match the filter (ignoring its limit and offset), for paging."""
        f = filter or HistoryFilter()
        return self._read(lambda conn: queries.count_history(conn, f))

    def audit(self, audit_id: int) -> AuditSummary:
        return self._read(lambda conn: queries.summary(conn, audit_id))

    def audit_details(self, audit_id: int) -> AuditDetails:
        """Everything about one audit, its receipts verified again from their stored bytes."""
        return self._read(lambda conn: queries.audit_details(conn, audit_id))

    def dashboard(
        self,
        policy_id: str,
        today: date | None = None,
        *,
        expiring_within: int = 14,
        series_days: int = 30,
        witnessed_only: bool | None = None,  # None: as the policy asks (audit.store.witnessed)
    ) -> DashboardCounts:
        day = today or date.today()
        return self._read(
            lambda conn: witnessed.dashboard(
                conn,
                policy_id,
                day,
                witnessed_only=witnessed_only,
                expiring_within=expiring_within,
                series_days=series_days,
            )
        )

    def standing(
        self,
        policy_id: str,
        status: DeviceStatus,
        today: date | None = None,
        *,
        expiring_within: int | None = None,
        limit: int | None = 200,
        offset: int = 0,
    ) -> list[AuditSummary]:
        """Who is behind one of the dashboard's counts: the latest audits of the policy whose
        status on `today` is `status` (with `expiring_within`: whose exemption ends soon)."""
        day = today or date.today()
        return self._read(
            lambda conn: queries.standing(
                conn,
                policy_id,
                status,
                day,
                expiring_within=expiring_within,
                limit=limit,
                offset=offset,
            )
        )

    def policies(self) -> list[PolicySummary]:
        """The policies audits were made under, for choosing the dashboard's policy."""
        return self._read(queries.policies)

    def trusted_keys(self, identity: str | None = None) -> list[TrustedKey]:
        return self._read(lambda conn: queries.trusted_keys(conn, identity))

    def receipts(self, policy_id: str | None = None) -> list[ReceiptRecord]:
        """Every stored receipt, or those under `policy_id` (StoreError when the history has
        no audit under it: a mistyped id must not give an empty export)."""

        def query(conn: sqlite3.Connection) -> list[ReceiptRecord]:
            queries.require_policy(conn, policy_id)
            return queries.receipts(conn, policy_id)

        return self._read(query)

    def export_rows(
        self, *, policy_id: str | None = None, today: date | None = None
    ) -> list[ExportRow]:
        """The latest audit of each person's device, of every policy or of `policy_id`
        (StoreError when the history has no audit under it, naming the policies it has)."""
        day = today or date.today()

        def query(conn: sqlite3.Connection) -> list[ExportRow]:
            queries.require_policy(conn, policy_id)
            return witnessed.export_as_counted(conn, queries.export_rows(conn, day, policy_id))

        return self._read(query)

    def integrity_check(self) -> str:
        """SQLite's own check of the file: "ok" when it is intact."""

        def query(conn: sqlite3.Connection) -> str:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            return "\n".join(str(r[0]) for r in rows)

        return self._read(query)
