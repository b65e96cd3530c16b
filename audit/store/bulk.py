"""Writing a batch of imported receipts with one statement per table.

An import writes thousands of audits; one INSERT per row and table (a dozen per receipt) costs
more than verifying the receipt. So a receipt is turned into its rows where it was verified
(receipt_rows: in a worker process, for a big import), as plain tuples, which cross between
processes far faster than the records they are made from; the writing process only decides
what to keep, hands out ids and writes every table with one executemany per batch. Inside the
batch's write transaction nobody else can insert, so the ids handed out here are the ones
SQLite would give. Findings, actions, exemptions and keys are written with writes.py's
statements and rows, the same as a local audit's.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from collections import Counter
from typing import NamedTuple, cast

from audit.attestation import VerifiedAttestation
from audit.store.db import timestamp
from audit.store.receipt_content import FindingRow, ReceiptContent, ScanSummary
from audit.store.records import KeyNote, Origin
from audit.store.schema import (
    ADD_STATUS_CHANGES,
    EXCEPTED,
    FOREVER,
    AuditChainKey,
    relink_keys,
)
from audit.store.writes import (
    INSERT_ACTION,
    INSERT_EXEMPTION,
    INSERT_FINDING,
    INSERT_KEY,
    INSERT_RECEIPT,
    action_row,
    connection_json,
    exemption_row,
    gaps_json,
    insert_statement,
    key_identity,
    receipt_columns,
    search_text,
    unique_exemptions,
    users_json,
)

Row = tuple[object, ...]

# An imported audit's uid is derived from the receipt it was rebuilt from (uuid5 of the signed
# content's digest): the same receipt imported into two histories is the same audit there, and
# no random number is drawn per receipt. A payload is stored once per history (a second copy is
# a duplicate, or refused), so the uid is unique.
IMPORTED_AUDIT_NAMESPACE = uuid.UUID("5d1f4f0e-6f3c-4d1b-9a8e-2b7c1c0d9e61")
_IMPORTED = Origin.IMPORTED.value


def imported_audit_uid(payload_sha256: str) -> str:
    """str(uuid.uuid5(IMPORTED_AUDIT_NAMESPACE, payload_sha256)), spelled out: uuid.UUID checks
    its arguments in Python, which costs an import of thousands more than the hash itself."""
    name = IMPORTED_AUDIT_NAMESPACE.bytes + payload_sha256.encode("utf-8")
    raw = bytearray(hashlib.sha1(name, usedforsecurity=False).digest()[:16])
    raw[6] = raw[6] & 0x0F | 0x50  # version 5
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class ReceiptRows(NamedTuple):
    """A verified receipt as the rows it is stored as, less the ids and what the writing
    process decides (key note, file name, time recorded)."""

    id: str  # the receipt's id
    payload_sha256: str
    signer: str
    identity: str  # whose key signed it (writes.key_identity)
    person_name: str  # whom it is for
    key: AuditChainKey  # the supersession chain the audit joins
    audit_uid: str
    audit: Row  # audits columns after id and uid (AUDIT_COLUMNS)
    before: Row  # scans columns after id and audit_id (SCAN_COLUMNS): the first scan
    rescan: Row  # and the rescan
    findings_before: tuple[Row, ...]  # findings columns after scan_id (writes.INSERT_FINDING)
    findings_rescan: tuple[Row, ...]
    actions: tuple[Row, ...]  # actions columns after audit_id (writes.INSERT_ACTION)
    exemptions: tuple[Row, ...]  # exemptions columns after audit_id (writes.INSERT_EXEMPTION)
    receipt: Row  # attestations columns after writes.RECEIPT_FROM_WRITER (writes.RECEIPT_COLUMNS)


AUDIT_COLUMNS = (
    "origin, person_name, staff_id, technician, device_id, device_name, device_json, policy_id,"
    " policy_title, policy_sha256, deadline, status, day, started_at, at, scanned_at,"
    " exemption_expires, receipt_uid, receipt_kind, signer, attested_at, search, connection"
)
SCAN_COLUMNS = (
    "started_at, finished_at, complete, inventory_digest, app_count, gaps, policy_sha256, day,"
    " status, users"
)


INSERT_AUDIT = insert_statement(
    "audits",
    f"id, uid, {AUDIT_COLUMNS}, assurance, trust_note, until_day, latest, counted_day,"
    " counted_status, counted_expires",
)
_AT = {name.strip(): n + 2 for n, name in enumerate(AUDIT_COLUMNS.split(","))}  # after id, uid
_UNLINKED = (None, 0, None, None, None)  # the chain columns' defaults: relink_keys decides
INSERT_SCAN = insert_statement("scans", f"id, audit_id, {SCAN_COLUMNS}")


def receipt_rows(v: VerifiedAttestation, content: ReceiptContent) -> ReceiptRows:
    """The rows of one receipt; each time is put in its stored form once."""
    attester = v.attester
    device = content.device
    day = content.day.isoformat()
    identity = key_identity(attester)
    attested = timestamp(v.attested_at)
    started = timestamp(content.before.started_at)
    scanned = timestamp(content.rescan.finished_at)
    actions = tuple(action_row(0, a)[1:] for a in content.actions)
    # Stored times are fixed-width UTC text, so the latest text is the latest time.
    at = max(started, scanned, attested, *(str(a[-1]) for a in actions if a[-1] is not None))
    expires = min((e.expires for e in content.exemptions), default=None)
    status = v.status.value
    kind = v.kind.value
    return ReceiptRows(
        id=v.id,
        payload_sha256=v.payload_sha256,
        signer=v.signer,
        identity=identity,
        person_name=attester.name,
        key=(v.policy_id, attester.staff_id, device.id),
        audit_uid=imported_audit_uid(v.payload_sha256),
        audit=(
            _IMPORTED,
            attester.name,
            attester.staff_id,
            attester.technician,
            device.id,
            device.name,
            content.device_json,
            v.policy_id,
            v.policy_title,
            v.policy_sha256,
            None if content.deadline is None else content.deadline.isoformat(),
            status,
            day,
            started,
            at,
            scanned,
            None if expires is None else expires.isoformat(),
            v.id,
            kind,
            v.signer,
            attested,
            search_text(
                attester.name, attester.staff_id, attester.technician, device.id, device.name
            ),
            connection_json(v.connection),
        ),
        before=_scan(
            content.before, started, timestamp(content.before.finished_at), v.policy_sha256, day
        ),
        rescan=_scan(
            content.rescan, timestamp(content.rescan.started_at), scanned, v.policy_sha256, day
        ),
        findings_before=tuple(
            _finding(f, f.state_before, f.status_before, None)
            for f in content.findings
            if f.status_before is not None
        ),
        findings_rescan=tuple(
            _finding(f, f.state, f.status, f.exemption_id) for f in content.findings
        ),
        actions=actions,
        exemptions=tuple(exemption_row(0, e)[1:] for e in unique_exemptions(content.exemptions)),
        receipt=receipt_columns(v, origin=Origin.IMPORTED),
    )


def _scan(scan: ScanSummary, started: str, finished: str, policy_sha256: str, day: str) -> Row:
    return (
        started,
        finished,
        int(scan.complete),
        scan.inventory_digest,
        scan.app_count,
        gaps_json(scan.gaps),
        policy_sha256,
        day,
        scan.status.value,
        users_json(scan.users),
    )


def _finding(f: FindingRow, state: str | None, status: str, exemption: str | None) -> Row:
    return (
        f.rule_id,
        f.rule_title,
        f.identifier,
        f.id_kind,
        f.name,
        f.user,
        state,
        status,
        f.confidence,
        exemption,
    )


class ImportBatch:
    """Rows of imported audits, written together by flush()."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._next_audit = _next_id(conn, "audits")
        self._next_scan = _next_id(conn, "scans")
        self.audits: list[Row] = []
        self.scans: list[Row] = []
        self.findings: list[Row] = []
        self.actions: list[Row] = []
        self.exemptions: list[Row] = []
        self.attestations: list[Row] = []
        self.keys: list[Row] = []
        self.touched: set[AuditChainKey] = set()

    def trust(self, identity: str, signer: str, *, source: str, at: str, accepted: bool) -> None:
        """Remember a key; `at` is a stored timestamp (db.timestamp)."""
        self.keys.append((identity, signer, at, source, int(accepted)))

    def add(
        self,
        rows: ReceiptRows,
        *,
        envelope: bytes,
        file_sha256: str,
        key_note: KeyNote,
        file_name: str,
        recorded_at: str,
    ) -> int:
        """Queue one receipt's rows; returns the id its audit will have. `recorded_at` is a
        stored timestamp (db.timestamp), the same for the whole batch."""
        audit_id = self._next_audit
        self._next_audit += 1
        before_id = self._next_scan
        rescan_id = before_id + 1
        self._next_scan += 2
        self.audits.append((audit_id, rows.audit_uid, *rows.audit))
        self.scans.append((before_id, audit_id, *rows.before))
        self.scans.append((rescan_id, audit_id, *rows.rescan))
        self.findings.extend((before_id, *f) for f in rows.findings_before)
        self.findings.extend((rescan_id, *f) for f in rows.findings_rescan)
        self.actions.extend((audit_id, *a) for a in rows.actions)
        self.exemptions.extend((audit_id, *e) for e in rows.exemptions)
        self.attestations.append(
            (audit_id, file_sha256, envelope, key_note.value, file_name, recorded_at, *rows.receipt)
        )
        self.touched.add(rows.key)
        return audit_id

    def flush(self, trust: dict[int, tuple[str, str]]) -> None:
        """Write the batch; `trust`: audit id -> (assurance, notes) written in the audit's row
        (trust.BatchTrust.with_audits; ("", "") for the others, as the columns' defaults)."""
        run = self.conn.executemany
        linked, counted = _as_latest(self.audits)
        relink = self.touched - _first_of_their_device(self.conn, self.audits, linked)
        run(
            INSERT_AUDIT,
            [
                (*row, *trust.get(cast(int, row[0]), ("", "")), *linked.get(row[0], _UNLINKED))
                for row in self.audits
            ],
        )
        run(ADD_STATUS_CHANGES, [(*start, count) for start, count in counted.items()])
        run(INSERT_SCAN, self.scans)
        run(INSERT_FINDING, self.findings)
        run(INSERT_ACTION, self.actions)
        run(INSERT_EXEMPTION, self.exemptions)
        run(INSERT_RECEIPT, self.attestations)
        run(INSERT_KEY, self.keys)
        relink_keys(self.conn, relink)


def _as_latest(
    audits: list[Row],
) -> tuple[dict[object, Row], dict[tuple[str, str, str, str], int]]:
    """The chain columns (schema.relink_keys) of each named, judged audit that is the only one
    of its key in the batch, as if it were its key's latest, and what that adds to the running
    totals. An audit is written with them, so relink_keys, which runs next in the same
    transaction, finds most of the batch already as it would make it and rewrites only what
    differs (then it takes back what was counted here, as for any change). Why: on PostgreSQL
    each UPDATE writes the whole row again with an entry in every index of audits; an import
    of receipts that arrive in order of time would otherwise write every audit twice."""
    per_key = Counter(
        (row[_AT["policy_id"]], row[_AT["staff_id"]], row[_AT["device_id"]]) for row in audits
    )
    linked: dict[object, Row] = {}
    counted: dict[tuple[str, str, str, str], int] = {}
    for row in audits:
        policy, staff, device = row[_AT["policy_id"]], row[_AT["staff_id"]], row[_AT["device_id"]]
        status, day = row[_AT["status"]], row[_AT["day"]]
        if not staff or status is None or day is None or per_key[(policy, staff, device)] > 1:
            continue  # unnamed ones may go uncounted (schema.COUNTED_STATUS): relink decides
        expires = str(row[_AT["exemption_expires"]] or "") if status == EXCEPTED else ""
        linked[row[0]] = (FOREVER, 1, day, status, expires)
        start = (str(policy), str(day), str(status), expires)
        counted[start] = counted.get(start, 0) + 1
    return linked, counted


def _first_of_their_device(
    conn: sqlite3.Connection, audits: list[Row], linked: dict[object, Row]
) -> set[AuditChainKey]:
    """The keys of the audits written already linked (_as_latest) that are the first audit of
    their device under their policy in the history (and of their key in the batch, as every
    linked one is): relink_keys would write each exactly as _as_latest did (the only judged
    audit of its key is its latest, counted from its day on) and find no unnamed scan of the
    device in the history to stop counting, nor a later one that stops it counting
    (schema.COUNTED_STATUS; an unnamed one in the same batch is not linked, so its own key is
    relinked, and relink_keys relinks every chain of its device), so it is not asked to read
    them again.
    Read before the batch is written, in its write transaction (no other bench writes
    meanwhile). Why: on PostgreSQL reading the chains back was a fifth of an import's time, and
    most receipts of an import are a device's first."""
    at_policy, at_device = _AT["policy_id"], _AT["device_id"]
    devices = sorted({str(row[at_device]) for row in audits if row[0] in linked})
    seen: set[tuple[object, object]] = set()
    for start in range(0, len(devices), _DEVICES_PER_QUERY):
        chunk = devices[start : start + _DEVICES_PER_QUERY]
        seen.update(
            conn.execute(
                "SELECT DISTINCT policy_id, device_id FROM audits"
                f" WHERE device_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
        )
    return {
        (str(row[at_policy]), str(row[_AT["staff_id"]]), str(row[at_device]))
        for row in audits
        if row[0] in linked and (row[at_policy], row[at_device]) not in seen
    }


# Devices per query of _first_of_their_device, within older SQLite's 999 parameters.
_DEVICES_PER_QUERY = 500


def _next_id(conn: sqlite3.Connection, table: str) -> int:
    """The next rowid SQLite would give (ids are never reused: no rows are ever deleted)."""
    row = conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
    return int(row[0]) + 1
