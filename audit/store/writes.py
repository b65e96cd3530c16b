"""Rows written for audits, scans, findings, actions, exemptions and receipts.

Functions here run inside a transaction the caller holds (Store methods, or the importer's
batch), so a whole audit, or a whole batch of receipts, is committed at once or not at all.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from audit.attestation import Attester, VerifiedAttestation
from audit.errors import StoreError
from audit.i18n import N_, _
from audit.inventory import device_to_dict, inventory_digest
from audit.model import (
    ActionResult,
    Assessment,
    Connection,
    Device,
    Exemption,
    FindingStatus,
    SourceReport,
    UserProfile,
)
from audit.provenance import connection_to_dict
from audit.store.db import timestamp
from audit.store.inventories import hold
from audit.store.records import KeyNote, Origin
from audit.store.schema import relink

# Stored as a key's source (keys.source) in English; shown translated (importer._seen).
THIS_COMPUTER = N_("this computer")


def key_identity(attester: Attester) -> str:
    """Whose key signed a receipt: the staff member's own installation for a self-attestation,
    the technician's for one made on a person's behalf (a helpdesk signs with its key)."""
    return f"technician:{attester.technician}" if attester.technician else attester.staff_id


def search_text(*parts: str) -> str:
    return "\n".join(parts).casefold()


@dataclass(frozen=True)
class AuditKey:
    policy_id: str
    staff_id: str
    device_id: str


def audit_key(conn: sqlite3.Connection, audit_id: int) -> AuditKey | None:
    """The key of an audit to write to; StoreError for a re-judged one, which is derived from
    a stored inventory and never takes a scan, an action, a person or a receipt."""
    row = conn.execute(
        "SELECT policy_id, staff_id, device_id, origin FROM audits WHERE id = ?", (audit_id,)
    ).fetchone()
    if row is not None and row[3] == Origin.REJUDGED.value:
        raise StoreError(
            _(
                "Audit {audit_id} was re-judged from a stored inventory: nothing can be added to "
                "it (no scan, action, person or receipt)."
            ).format(audit_id=audit_id),
            _("Start a new audit of the device."),
        )
    return None if row is None else AuditKey(*row[:3])


def relink_key(conn: sqlite3.Connection, key: AuditKey) -> None:
    relink(conn, key.policy_id, key.staff_id, key.device_id)


def insert_audit(
    conn: sqlite3.Connection,
    *,
    origin: Origin,
    device: Device,
    device_json: str,
    policy_id: str,
    policy_title: str,
    policy_sha256: str,
    deadline: date | None,
    person_name: str,
    staff_id: str,
    technician: str,
    started_at: datetime,
    uid: str | None = None,
) -> int:
    cursor = conn.execute(
        "INSERT INTO audits (uid, origin, person_name, staff_id, technician, device_id,"
        " device_name, device_json, policy_id, policy_title, policy_sha256, deadline,"
        " started_at, at, search, connection)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            uid or str(uuid.uuid4()),
            origin.value,
            person_name,
            staff_id,
            technician,
            device.id,
            device.name,
            device_json,
            policy_id,
            policy_title,
            policy_sha256,
            None if deadline is None else deadline.isoformat(),
            timestamp(started_at),
            timestamp(started_at),
            search_text(person_name, staff_id, technician, device.id, device.name),
            connection_json(device.connection),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def device_json(device: Device) -> str:
    return json.dumps(device_to_dict(device), sort_keys=True, ensure_ascii=False)


def connection_json(connection: Connection | None) -> str | None:
    """audits.connection: how the device was reached, NULL when not recorded."""
    data = connection_to_dict(connection)
    return None if data is None else json.dumps(data, sort_keys=True, ensure_ascii=False)


def gaps_json(gaps: Sequence[SourceReport]) -> str:
    if not gaps:  # most scans see everything; json.dumps costs more than the answer
        return "[]"
    return json.dumps(
        [{"source": g.name, "status": g.status.value, "detail": g.detail} for g in gaps],
        ensure_ascii=False,
    )


@functools.lru_cache(maxsize=256)
def users_json(users: tuple[UserProfile, ...]) -> str:
    """A scan's users as the receipt lists them: what the history names profiles by. Phones
    share a few user lists (Owner, Work profile), so an import of thousands asks for the same
    few again and again: cached."""
    return json.dumps(
        [{"id": u.id, "name": u.name, "kind": u.kind.value} for u in users], ensure_ascii=False
    )


def exemptions_used(assessment: Assessment) -> list[Exemption]:
    """The exemptions that kept a finding from being a violation (as the receipt lists them)."""
    used: dict[str, Exemption] = {}
    for finding in assessment.findings:
        if finding.status is FindingStatus.EXCEPTED and finding.exemption is not None:
            used.setdefault(finding.exemption.id, finding.exemption)
    return list(used.values())


def insert_assessment(conn: sqlite3.Connection, audit_id: int, assessment: Assessment) -> int:
    scan = assessment.scan
    cursor = conn.execute(
        "INSERT INTO scans (audit_id, started_at, finished_at, complete, inventory_digest,"
        " app_count, gaps, policy_sha256, day, status, users)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            audit_id,
            timestamp(scan.started_at),
            timestamp(scan.finished_at),
            int(scan.complete),
            inventory_digest(scan),
            len(scan.apps),
            gaps_json(scan.gaps),
            assessment.policy.sha256,
            assessment.day.isoformat(),
            assessment.status.value,
            users_json(scan.users),
        ),
    )
    scan_id = cursor.lastrowid
    assert scan_id is not None
    conn.executemany(
        INSERT_FINDING,
        [
            (
                scan_id,
                f.rule.id,
                f.rule.title,
                f.app.identifier,
                f.app.kind.value,
                f.app.name,
                f.app.user,
                f.app.state.value,
                f.status.value,
                f.matcher.confidence.value,
                f.exemption.id if f.exemption is not None else None,
            )
            for f in assessment.findings
        ],
    )
    used = exemptions_used(assessment)
    replace_exemptions(conn, audit_id, used)
    hold(conn, scan)  # the inventory it was judged on, for re-judging (audit.store.inventories)
    conn.execute(
        "UPDATE audits SET status = ?, day = ?, scanned_at = ?, at = max(at, ?),"
        " exemption_expires = ?, policy_sha256 = ?, policy_title = ?, deadline = ?,"
        " connection = ? WHERE id = ?",
        (
            assessment.status.value,
            assessment.day.isoformat(),
            timestamp(scan.finished_at),
            timestamp(scan.finished_at),
            _earliest(used),
            assessment.policy.sha256,
            assessment.policy.title,
            None if assessment.policy.deadline is None else assessment.policy.deadline.isoformat(),
            # the latest scan's: the receipt signs the rescan's device, so the history agrees
            connection_json(scan.device.connection),
            audit_id,
        ),
    )
    return scan_id


def _earliest(exemptions: Sequence[Exemption]) -> str | None:
    if not exemptions:
        return None
    return min(e.expires for e in exemptions).isoformat()


# The rows below are written one audit at a time here and a batch at a time by the importer
# (bulk.py): one statement and one row function each, so both write the same columns.

INSERT_FINDING = (
    "INSERT INTO findings (scan_id, rule_id, rule_title, identifier, id_kind, name, user_id,"
    " state, status, confidence, exemption_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EXEMPTION = (
    "INSERT INTO exemptions (audit_id, exemption_id, reason, approver, approver_role,"
    " granted, expires, person, device, policy, rules, apps, mitigations)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_ACTION = (
    "INSERT INTO actions (audit_id, kind, device_id, identifier, user_id, ok, message,"
    " advice, code, output, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# An attestations row: what the writer decides, then what the receipt says (receipt_columns).
RECEIPT_FROM_WRITER = "audit_id, file_sha256, envelope, key_note, file_name, recorded_at"
RECEIPT_COLUMNS = (
    "uid, payload_sha256, kind, signer, identity, staff_id, person_name, technician, device_id,"
    " policy_id, status, attested_at, origin"
)


def insert_statement(table: str, columns: str) -> str:
    """INSERT INTO table (columns) VALUES (?, ...): one mark per column named."""
    marks = ", ".join("?" * (columns.count(",") + 1))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"


INSERT_RECEIPT = insert_statement("attestations", f"{RECEIPT_FROM_WRITER}, {RECEIPT_COLUMNS}")
INSERT_KEY = (
    "INSERT OR IGNORE INTO keys (identity, signer, first_seen, source, accepted)"
    " VALUES (?, ?, ?, ?, ?)"
)


def unique_exemptions(exemptions: Sequence[Exemption]) -> list[Exemption]:
    """One per exemption id (the last given), in the order the ids first appear."""
    return list({e.id: e for e in exemptions}.values())


def exemption_row(audit_id: int, e: Exemption) -> tuple[object, ...]:
    return (
        audit_id,
        e.id,
        e.reason,
        e.approver,
        e.approver_role,
        e.granted.isoformat(),
        e.expires.isoformat(),
        e.person,
        e.device,
        e.policy,
        json.dumps(list(e.rules), ensure_ascii=False),
        json.dumps(list(e.apps), ensure_ascii=False),
        json.dumps(list(e.mitigations), ensure_ascii=False),
    )


def action_row(audit_id: int, a: ActionResult) -> tuple[object, ...]:
    return (
        audit_id,
        a.kind.value,
        a.device,
        a.identifier,
        a.user,
        int(a.ok),
        a.message,
        a.advice,
        a.code,
        a.output,
        None if a.at is None else timestamp(a.at),
    )


def receipt_columns(verified: VerifiedAttestation, *, origin: Origin) -> tuple[object, ...]:
    """The RECEIPT_COLUMNS of a verified receipt: the same for an import (made in a worker
    process, audit.store.bulk) and for a receipt recorded here."""
    attester = verified.attester
    return (
        verified.id,
        verified.payload_sha256,
        verified.kind.value,
        verified.signer,
        key_identity(attester),
        attester.staff_id,
        attester.name,
        attester.technician,
        verified.device_id,
        verified.policy_id,
        verified.status.value,
        timestamp(verified.attested_at),
        origin.value,
    )


def replace_exemptions(
    conn: sqlite3.Connection, audit_id: int, exemptions: Sequence[Exemption]
) -> None:
    conn.execute("DELETE FROM exemptions WHERE audit_id = ?", (audit_id,))
    conn.executemany(
        INSERT_EXEMPTION, [exemption_row(audit_id, e) for e in unique_exemptions(exemptions)]
    )


def insert_actions(
    conn: sqlite3.Connection, audit_id: int, actions: Sequence[ActionResult]
) -> None:
    """Add the actions to the audit; one already recorded there (same kind, app, user and
    time: a removal carried on in a later window hands its earlier steps over again) is kept
    once."""
    known = set(
        conn.execute(
            "SELECT kind, identifier, user_id, at FROM actions"
            " WHERE audit_id = ? AND at IS NOT NULL",
            (audit_id,),
        )
    )
    rows = [action_row(audit_id, a) for a in actions]
    fresh = [row for row in rows if (row[1], row[3], row[4], row[-1]) not in known]
    conn.executemany(INSERT_ACTION, fresh)
    times = [timestamp(a.at) for a in actions if a.at is not None]
    if times:
        conn.execute("UPDATE audits SET at = max(at, ?) WHERE id = ?", (max(times), audit_id))


def insert_receipt(
    conn: sqlite3.Connection,
    audit_id: int,
    verified: VerifiedAttestation,
    *,
    envelope: bytes,
    file_sha256: str,
    origin: Origin,
    key_note: KeyNote,
    file_name: str,
    recorded_at: datetime | None = None,
) -> None:
    attested = timestamp(verified.attested_at)
    recorded = timestamp(recorded_at or datetime.now(UTC))
    conn.execute(
        INSERT_RECEIPT,
        (
            audit_id,
            file_sha256,
            envelope,
            key_note.value,
            file_name,
            recorded,
            *receipt_columns(verified, origin=origin),
        ),
    )
    conn.execute(
        "UPDATE audits SET status = ?, receipt_uid = ?, receipt_kind = ?, signer = ?,"
        " attested_at = ?, at = max(at, ?), day = coalesce(day, ?) WHERE id = ?",
        (
            verified.status.value,
            verified.id,
            verified.kind.value,
            verified.signer,
            attested,
            attested,
            verified.attested_at.date().isoformat(),
            audit_id,
        ),
    )


def trust_key(
    conn: sqlite3.Connection, identity: str, signer: str, *, source: str, at: datetime
) -> None:
    """Remember a key for a signer; `accepted` marks it as added after another key was known."""
    known = conn.execute("SELECT count(*) FROM keys WHERE identity = ?", (identity,)).fetchone()[0]
    conn.execute(INSERT_KEY, (identity, signer, timestamp(at), source, int(known > 0)))
