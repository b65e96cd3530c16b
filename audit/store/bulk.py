"""Writing a batch of imported receipts with one statement per table.

An import writes thousands of audits; one INSERT per row and table (a dozen per receipt) costs
more than verifying the receipt. Inside the batch's write transaction nobody else can insert,
so ids are handed out here and every table is written with one executemany. Findings,
actions, exemptions, receipts and keys are written with writes.py's statements and rows, the
same as a local audit's.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime

from audit.attestation import VerifiedAttestation
from audit.store.db import timestamp
from audit.store.receipt_content import FindingRow, ReceiptContent, ScanSummary
from audit.store.records import KeyNote, Origin
from audit.store.schema import relink_keys
from audit.store.writes import (
    INSERT_ACTION,
    INSERT_EXEMPTION,
    INSERT_FINDING,
    INSERT_KEY,
    INSERT_RECEIPT,
    action_row,
    exemption_row,
    gaps_json,
    receipt_row,
    search_text,
    unique_exemptions,
    users_json,
)


class ImportBatch:
    """Rows of imported audits, written together by flush()."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._next_audit = _next_id(conn, "audits")
        self._next_scan = _next_id(conn, "scans")
        self.audits: list[tuple[object, ...]] = []
        self.scans: list[tuple[object, ...]] = []
        self.findings: list[tuple[object, ...]] = []
        self.actions: list[tuple[object, ...]] = []
        self.exemptions: list[tuple[object, ...]] = []
        self.attestations: list[tuple[object, ...]] = []
        self.keys: list[tuple[object, ...]] = []
        self.touched: set[tuple[str, str, str]] = set()

    def trust(
        self, identity: str, signer: str, *, source: str, at: datetime, accepted: bool
    ) -> None:
        self.keys.append((identity, signer, timestamp(at), source, int(accepted)))

    def add(
        self,
        v: VerifiedAttestation,
        content: ReceiptContent,
        *,
        envelope: bytes,
        file_sha256: str,
        key_note: KeyNote,
        file_name: str,
        recorded_at: datetime,
    ) -> int:
        audit_id = self._next_audit
        self._next_audit += 1
        attester = v.attester
        device = content.device
        attested = timestamp(v.attested_at)
        times = [content.before.started_at, content.rescan.finished_at, v.attested_at]
        times += [a.at for a in content.actions if a.at is not None]
        expires = min((e.expires for e in content.exemptions), default=None)
        self.audits.append(
            (
                audit_id,
                str(uuid.uuid4()),
                Origin.IMPORTED.value,
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
                v.status.value,
                content.day.isoformat(),
                timestamp(content.before.started_at),
                timestamp(max(times)),
                timestamp(content.rescan.finished_at),
                None if expires is None else expires.isoformat(),
                v.id,
                v.kind.value,
                v.signer,
                attested,
                search_text(
                    attester.name, attester.staff_id, attester.technician, device.id, device.name
                ),
            )
        )
        before_id = self._scan(audit_id, content.before, v, content)
        rescan_id = self._scan(audit_id, content.rescan, v, content)
        for f in content.findings:
            if f.status_before is not None:
                self.findings.append(_finding(before_id, f, f.state_before, f.status_before, None))
            self.findings.append(_finding(rescan_id, f, f.state, f.status, f.exemption_id))
        self.actions.extend(action_row(audit_id, a) for a in content.actions)
        self.exemptions.extend(
            exemption_row(audit_id, e) for e in unique_exemptions(content.exemptions)
        )
        self.attestations.append(
            receipt_row(
                audit_id,
                v,
                envelope=envelope,
                file_sha256=file_sha256,
                origin=Origin.IMPORTED,
                key_note=key_note,
                file_name=file_name,
                recorded_at=recorded_at,
            )
        )
        self.touched.add((v.policy_id, attester.staff_id, device.id))
        return audit_id

    def _scan(
        self,
        audit_id: int,
        scan: ScanSummary,
        v: VerifiedAttestation,
        content: ReceiptContent,
    ) -> int:
        scan_id = self._next_scan
        self._next_scan += 1
        self.scans.append(
            (
                scan_id,
                audit_id,
                timestamp(scan.started_at),
                timestamp(scan.finished_at),
                int(scan.complete),
                scan.inventory_digest,
                scan.app_count,
                gaps_json(scan.gaps),
                v.policy_sha256,
                content.day.isoformat(),
                scan.status.value,
                users_json(scan.users),
            )
        )
        return scan_id

    def flush(self) -> None:
        run = self.conn.executemany
        run(
            "INSERT INTO audits (id, uid, origin, person_name, staff_id, technician, device_id,"
            " device_name, device_json, policy_id, policy_title, policy_sha256, deadline, status,"
            " day, started_at, at, scanned_at, exemption_expires, receipt_uid, receipt_kind,"
            " signer, attested_at, search)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.audits,
        )
        run(
            "INSERT INTO scans (id, audit_id, started_at, finished_at, complete,"
            " inventory_digest, app_count, gaps, policy_sha256, day, status, users)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.scans,
        )
        run(INSERT_FINDING, self.findings)
        run(INSERT_ACTION, self.actions)
        run(INSERT_EXEMPTION, self.exemptions)
        run(INSERT_RECEIPT, self.attestations)
        run(INSERT_KEY, self.keys)
        relink_keys(self.conn, self.touched)


def _next_id(conn: sqlite3.Connection, table: str) -> int:
    """The next rowid SQLite would give (ids are never reused: no rows are ever deleted)."""
    row = conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
    return int(row[0]) + 1


def _finding(
    scan_id: int, f: FindingRow, state: str | None, status: str, exemption: str | None
) -> tuple[object, ...]:
    return (
        scan_id,
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
