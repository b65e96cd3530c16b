"""Reading the history: the list, one audit in full, the dashboard, the export rows.

Each function takes a connection and runs plain SQL on the indexes the schema provides; the
dashboard reads only the latest audits (a partial index) and the audits alive during its chart
window, so its cost follows the number of people, not the number of audits ever made.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from audit.attestation import VerifiedAttestation, verify_bytes
from audit.errors import AttestationInvalid, NoAuditsUnderPolicy, StoreError
from audit.i18n import _
from audit.model import (
    ActionKind,
    ActionResult,
    Connection,
    DeviceStatus,
    Exemption,
    SourceReport,
    UserKind,
    UserProfile,
)
from audit.model import SourceStatus as _SourceStatus
from audit.provenance import connection_from_dict, reached_words
from audit.store.db import optional_day, optional_time, parse_time
from audit.store.lineage import MERGED_UNNAMED, annotate
from audit.store.receipt_content import device_from_dict
from audit.store.records import (
    AuditDetails,
    AuditSummary,
    DashboardCounts,
    DayCounts,
    ExportRow,
    FindingRecord,
    HistoryFilter,
    KeyNote,
    Origin,
    PolicySummary,
    ReceiptRecord,
    ScanRecord,
    StatusCounts,
    TrustedKey,
)
from audit.store.status import status_on
from audit.store.trust import KnownPolicies, assurance_counts, policy_deadline, policy_heading
from audit.text import visible

_SUMMARY = (
    "id, uid, origin, person_name, staff_id, technician, device_id, device_name, policy_id,"
    " policy_title, policy_sha256, deadline, status, day, started_at, at, scanned_at,"
    " attested_at, exemption_expires, receipt_uid, receipt_kind, signer, latest, connection,"
    " assurance, trust_note, recorded_by"
)


def vouched_login(conn: Any, login: str) -> str:
    """audits.recorded_by as a reader may take it: a team history's server writes it itself
    (pg_schema's trigger), so it is the server's word; a SQLite file's column holds whatever
    whoever opened the file put there, so it is shown as nobody's (docs/team-history.md)."""
    return "" if isinstance(conn, sqlite3.Connection) else login


def _summary(row: tuple[Any, ...], conn: Any) -> AuditSummary:
    (
        audit_id,
        uid,
        origin,
        person_name,
        staff_id,
        technician,
        device_id,
        device_name,
        policy_id,
        policy_title,
        policy_sha256,
        deadline,
        status,
        day,
        started_at,
        at,
        scanned_at,
        attested_at,
        exemption_expires,
        receipt_uid,
        receipt_kind,
        signer,
        latest,
        connection,
        assurance,
        trust_note,
        recorded_by,
    ) = row
    return AuditSummary(
        id=audit_id,
        uid=uid,
        origin=Origin(origin),
        person_name=person_name,
        staff_id=staff_id,
        technician=technician,
        device_id=device_id,
        device_name=device_name,
        policy_id=policy_id,
        policy_title=policy_title,
        policy_sha256=policy_sha256,
        deadline=optional_day(deadline),
        status=None if status is None else DeviceStatus(status),
        day=optional_day(day),
        started_at=parse_time(started_at),
        at=parse_time(at),
        scanned_at=optional_time(scanned_at),
        attested_at=optional_time(attested_at),
        exemption_expires=optional_day(exemption_expires),
        receipt_uid=receipt_uid or "",
        receipt_kind=receipt_kind or "",
        signer=signer or "",
        latest=bool(latest),
        connection=stored_connection(connection),
        assurance=assurance,
        trust_note=trust_note,
        recorded_by=vouched_login(conn, recorded_by),
    )


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Each status as it stands on a day (every ? is that day), in SQL: status_on's rule over the
# audit's own deadline and exemption expiry, so the history's filter matches what its rows say.
_ENDED = "(status = 'compliant_with_exceptions' AND exemption_expires < ?)"
_VIOLATION = f"(status = 'non_compliant' OR {_ENDED})"
_STANDING = {
    DeviceStatus.COMPLIANT: "status = 'compliant'",
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: "(status = 'compliant_with_exceptions'"
    " AND (exemption_expires IS NULL OR exemption_expires >= ?))",
    DeviceStatus.NON_COMPLIANT: f"({_VIOLATION} AND (deadline IS NULL OR deadline >= ?))",
    DeviceStatus.OVERDUE: f"(status = 'overdue' OR ({_VIOLATION} AND deadline < ?))",
    DeviceStatus.INCOMPLETE: "status = 'incomplete'",
}


def _where(f: HistoryFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for word in f.search.casefold().split():
        clauses.append("search LIKE ? ESCAPE '\\'")
        params.append(_like(word))
    if f.person:
        clauses.append("(staff_id = ? OR person_name = ? COLLATE NOCASE)")
        params += [f.person, f.person]
    if f.device:
        clauses.append("(device_id = ? OR device_id = ? OR device_name = ? COLLATE NOCASE)")
        params += [f.device, f"android:{f.device}", f.device]
    if f.policy:
        clauses.append("policy_id = ?")
        params.append(f.policy)
    if f.statuses and f.as_of is not None:
        day = f.as_of.isoformat()
        ors = [_STANDING[s] for s in sorted(f.statuses, key=lambda s: s.value)]
        clauses.append("(" + " OR ".join(ors) + ")")
        params += [day] * sum(c.count("?") for c in ors)
    elif f.statuses:
        statuses = sorted(s.value for s in f.statuses)
        clauses.append(f"status IN ({', '.join('?' * len(statuses))})")
        params += statuses
    if f.since is not None:
        clauses.append("day >= ?")
        params.append(f.since.isoformat())
    if f.until is not None:
        clauses.append("day <= ?")
        params.append(f.until.isoformat())
    if f.origin is not None:
        clauses.append("origin = ?")
        params.append(f.origin.value)
    if f.latest_only:
        clauses.append("latest = 1")
    elif not f.unnamed_scans:
        clauses.append(f"NOT {MERGED_UNNAMED}")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def history(conn: sqlite3.Connection, f: HistoryFilter) -> list[AuditSummary]:
    where, params = _where(f)
    sql = f"SELECT {_SUMMARY} FROM audits{where} ORDER BY at DESC, id DESC"
    if f.limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [max(0, f.limit), max(0, f.offset)]
    elif f.offset:
        sql += " LIMIT -1 OFFSET ?"
        params.append(f.offset)
    return annotate(conn, [_summary(row, conn) for row in conn.execute(sql, params)])


def standing(
    conn: sqlite3.Connection,
    policy_id: str,
    status: DeviceStatus,
    today: date,
    *,
    expiring_within: int | None = None,
    limit: int | None = 200,
    offset: int = 0,
) -> list[AuditSummary]:
    """The latest audits of the policy whose status on `today` is `status` (the people behind
    one of the dashboard's counts), newest first. With `expiring_within`, only those whose
    exemption ends within that many days (the dashboard's "expiring")."""
    deadline = policy_deadline(conn, policy_id)
    late = deadline is not None and today > deadline
    expired = "(status = 'compliant_with_exceptions' AND exemption_expires < :today)"
    violation = f"(status = 'non_compliant' OR {expired})"
    condition = {
        DeviceStatus.COMPLIANT: "status = 'compliant'",
        DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: "status = 'compliant_with_exceptions'"
        " AND (exemption_expires IS NULL OR exemption_expires >= :today)",
        DeviceStatus.NON_COMPLIANT: "0" if late else violation,
        DeviceStatus.OVERDUE: f"(status = 'overdue' OR {violation})"
        if late
        else "status = 'overdue'",
        DeviceStatus.INCOMPLETE: "status = 'incomplete'",
    }[status]
    params: dict[str, Any] = {"policy": policy_id, "today": today.isoformat()}
    if expiring_within is not None:
        condition += " AND exemption_expires <= :soon"
        params["soon"] = (today + timedelta(days=expiring_within)).isoformat()
    sql = (
        f"SELECT {_SUMMARY} FROM audits WHERE policy_id = :policy AND latest = 1"
        f" AND day <= :today AND ({condition}) ORDER BY at DESC, id DESC"
    )
    if limit is not None:
        sql += " LIMIT :limit OFFSET :offset"
        params.update(limit=max(0, limit), offset=max(0, offset))
    return [_summary(row, conn) for row in conn.execute(sql, params)]


def count_history(conn: sqlite3.Connection, f: HistoryFilter) -> int:
    where, params = _where(f)
    count: int = conn.execute(f"SELECT count(*) FROM audits{where}", params).fetchone()[0]
    return count


def summary(conn: sqlite3.Connection, audit_id: int) -> AuditSummary:
    row = conn.execute(f"SELECT {_SUMMARY} FROM audits WHERE id = ?", (audit_id,)).fetchone()
    if row is None:
        raise StoreError(
            _("There is no audit {audit_id} in the history.").format(audit_id=audit_id),
            _("Refresh the history list; the audit may be in another history file."),
        )
    return _summary(row, conn)


def audit_details(conn: sqlite3.Connection, audit_id: int) -> AuditDetails:
    head = summary(conn, audit_id)
    device_json = conn.execute(
        "SELECT device_json FROM audits WHERE id = ?", (audit_id,)
    ).fetchone()[0]
    findings: dict[int, list[FindingRecord]] = defaultdict(list)
    for row in conn.execute(
        "SELECT scan_id, rule_id, rule_title, identifier, id_kind, name, user_id, state, status,"
        " confidence, exemption_id FROM findings"
        " WHERE scan_id IN (SELECT id FROM scans WHERE audit_id = ?) ORDER BY id",
        (audit_id,),
    ):
        findings[row[0]].append(
            FindingRecord(
                rule_id=row[1],
                rule_title=row[2],
                identifier=row[3],
                id_kind=row[4],
                name=row[5],
                user=row[6],
                state=row[7],
                status=row[8],
                confidence=row[9],
                exemption_id=row[10] or "",
            )
        )
    scans = tuple(
        ScanRecord(
            id=row[0],
            started_at=parse_time(row[1]),
            finished_at=parse_time(row[2]),
            complete=bool(row[3]),
            inventory_digest=row[4],
            app_count=row[5],
            gaps=tuple(
                SourceReport(g["source"], _SourceStatus(g["status"]), g["detail"])
                for g in json.loads(row[6])
            ),
            policy_sha256=row[7],
            day=optional_day(row[8]),
            status=None if row[9] is None else DeviceStatus(row[9]),
            findings=tuple(findings.get(row[0], ())),
            users=_users(row[10]),
        )
        for row in conn.execute(
            "SELECT id, started_at, finished_at, complete, inventory_digest, app_count, gaps,"
            " policy_sha256, day, status, users FROM scans WHERE audit_id = ? ORDER BY id",
            (audit_id,),
        )
    )
    actions = tuple(
        ActionResult(
            kind=ActionKind(row[0]),
            device=row[1],
            identifier=row[2],
            user=row[3],
            ok=bool(row[4]),
            message=row[5],
            advice=row[6],
            code=row[7],
            output=row[8],
            at=optional_time(row[9]),
        )
        for row in conn.execute(
            "SELECT kind, device_id, identifier, user_id, ok, message, advice, code, output, at"
            " FROM actions WHERE audit_id = ? ORDER BY id",
            (audit_id,),
        )
    )
    exemptions = audit_exemptions(conn, audit_id)
    receipts = tuple(
        _receipt(row)
        for row in conn.execute(
            f"SELECT {_RECEIPT} FROM attestations WHERE audit_id = ? ORDER BY attested_at, id",
            (audit_id,),
        )
    )
    return AuditDetails(
        summary=head,
        device=device_from_dict(json.loads(device_json)),
        scans=scans,
        actions=actions,
        exemptions=exemptions,
        receipts=receipts,
    )


def _users(text: str) -> tuple[UserProfile, ...]:
    return tuple(UserProfile(u["id"], u["name"], UserKind(u["kind"])) for u in json.loads(text))


_RECEIPT = (
    "uid, kind, origin, file_name, signer, identity, key_note, status, attested_at,"
    " recorded_at, payload_sha256, envelope"
)


def _receipt(row: tuple[Any, ...], *, verify: bool = True) -> ReceiptRecord:
    envelope = bytes(row[11])
    verified: VerifiedAttestation | None = None
    problem = ""
    if verify:
        try:
            verified = verify_bytes(envelope)
        except AttestationInvalid as error:
            problem = error.message
        else:
            if verified.id != row[0] or verified.signer != row[4]:
                problem = _("The stored receipt does not match its history record.")
    return ReceiptRecord(
        uid=row[0],
        kind=row[1],
        origin=Origin(row[2]),
        file_name=row[3],
        signer=row[4],
        identity=row[5],
        key_note=KeyNote(row[6]),
        status=DeviceStatus(row[7]),
        attested_at=parse_time(row[8]),
        recorded_at=parse_time(row[9]),
        payload_sha256=row[10],
        envelope=envelope,
        verified=verified,
        problem=problem,
    )


def receipts(conn: sqlite3.Connection, policy_id: str | None = None) -> list[ReceiptRecord]:
    """Every stored receipt (oldest first), unverified: for exporting them as files."""
    sql = f"SELECT {_RECEIPT} FROM attestations"
    params: list[Any] = []
    if policy_id:
        sql += " WHERE policy_id = ?"
        params.append(policy_id)
    sql += " ORDER BY attested_at, id"
    return [_receipt(row, verify=False) for row in conn.execute(sql, params)]


# --- dashboard -------------------------------------------------------------------------------


def dashboard(
    conn: sqlite3.Connection,
    policy_id: str,
    today: date,
    *,
    expiring_within: int = 14,
    series_days: int = 30,
) -> DashboardCounts:
    """Counts at the end of each day of the window, the last being `today`.

    Reads the running totals (status_changes, see schema.py): per status and exemption expiry,
    how many people's devices stand on an audit of that status on each day. Expiry dates long
    past or beyond the `expiring_within` horizon behave alike in the window, so they are merged.
    """
    deadline = policy_deadline(conn, policy_id)
    days = max(1, series_days)
    first = today - timedelta(days=days - 1)
    soon = today + timedelta(days=expiring_within)
    before, later = first - timedelta(days=1), max(soon, today) + timedelta(days=1)
    groups: dict[tuple[str, str], tuple[int, list[int]]] = {}
    for day, status, expires, delta in conn.execute(
        "SELECT max(day, :before), status, CASE WHEN expires = '' THEN ''"
        " WHEN expires < :before THEN :before WHEN expires > :soon THEN :later"
        " ELSE expires END, sum(delta) FROM status_changes"
        " WHERE policy_id = :policy AND day <= :today GROUP BY 1, 2, 3",
        {
            "before": before.isoformat(),
            "soon": soon.isoformat(),
            "later": later.isoformat(),
            "today": today.isoformat(),
            "policy": policy_id,
        },
    ):
        base, steps = groups.setdefault((status, expires), (0, [0] * days))
        offset = (date.fromisoformat(day) - first).days
        if offset < 0:
            groups[(status, expires)] = (base + delta, steps)
        else:
            steps[offset] += delta
    totals = {s: [0] * days for s in DeviceStatus}
    expiring = 0
    for (status, expires), (base, steps) in groups.items():
        recorded = DeviceStatus(status)
        expiry = date.fromisoformat(expires) if expires else None
        alive = list(itertools.accumulate(steps, initial=base))[1:]
        cuts = {0, days}
        for cut in (deadline, expiry):
            if cut is not None and 0 < (cut - first).days + 1 < days:
                cuts.add((cut - first).days + 1)
        edges = sorted(cuts)
        for low, high in itertools.pairwise(edges):
            now = status_on(
                recorded, first + timedelta(days=low), deadline=deadline, exemption_expires=expiry
            )
            row = totals[now]
            for offset in range(low, high):
                row[offset] += alive[offset]
        if expiry is not None and today <= expiry <= soon:
            expiring += alive[-1]
    series = tuple(
        DayCounts(
            first + timedelta(days=offset),
            StatusCounts.from_mapping({s: totals[s][offset] for s in DeviceStatus}),
        )
        for offset in range(days)
    )
    return DashboardCounts(
        policy_id=policy_id,
        today=today,
        deadline=deadline,
        counts=series[-1].counts,
        expiring=expiring,
        expiring_within=expiring_within,
        series=series,
        **assurance_counts(conn, policy_id),
    )


def require_policy(conn: sqlite3.Connection, policy_id: str | None) -> None:
    """Raise NoAuditsUnderPolicy when `policy_id` is given and the history holds no audit
    under it."""
    if not policy_id:
        return
    known = [row[0] for row in conn.execute("SELECT DISTINCT policy_id FROM audits ORDER BY 1")]
    if policy_id in known:
        return
    shown = visible(policy_id, limit=80)
    message = (
        _("No audits under policy '{policy}' in the history; policies there: {policies}.")
        if known
        else _("No audits under policy '{policy}' in the history; the history holds no audits yet.")
    )
    raise NoAuditsUnderPolicy(
        message.format(policy=shown, policies=", ".join(visible(p, limit=80) for p in known)),
        _(
            "Choose one of the policies there (a policy's id, as 'device-audit history' shows "
            "it), or export every policy."
        ),
        policy_id=policy_id,
        known=tuple(known),
    )


def policies(conn: sqlite3.Connection) -> list[PolicySummary]:
    result = []
    for policy_id, number in conn.execute(
        "SELECT policy_id, count(*) FROM audits GROUP BY policy_id ORDER BY policy_id"
    ).fetchall():
        title, deadline = policy_heading(conn, policy_id)
        result.append(PolicySummary(policy_id, title, deadline, number))
    return result


def trusted_keys(conn: sqlite3.Connection, identity: str | None = None) -> list[TrustedKey]:
    sql = "SELECT identity, signer, first_seen, source, accepted FROM keys"
    params: list[Any] = []
    if identity is not None:
        sql += " WHERE identity = ?"
        params.append(identity)
    sql += " ORDER BY identity, first_seen"
    return [
        TrustedKey(row[0], row[1], parse_time(row[2]), row[3], bool(row[4]))
        for row in conn.execute(sql, params)
    ]


# --- export ----------------------------------------------------------------------------------


def export_rows(
    conn: sqlite3.Connection, today: date, policy_id: str | None = None
) -> list[ExportRow]:
    """The latest audit of each person's device (per policy), sorted by policy, person, device."""
    sql = (
        "SELECT id, person_name, staff_id, device_id, device_name, policy_id, status,"
        " scanned_at, attested_at, exemption_expires, signer, receipt_uid, receipt_kind,"
        " origin, uid, connection, policy_sha256, assurance, trust_note, recorded_by FROM audits"
        " WHERE latest = 1"
    )
    params: list[Any] = []
    if policy_id:
        sql += " AND policy_id = ?"
        params.append(policy_id)
    sql += " ORDER BY policy_id, person_name, staff_id, device_id"
    rows = conn.execute(sql, params).fetchall()
    exemption_ids: dict[int, list[str]] = defaultdict(list)
    for audit_id, exemption_id in conn.execute(
        "SELECT e.audit_id, e.exemption_id FROM exemptions e JOIN audits a ON a.id = e.audit_id"
        " WHERE a.latest = 1 ORDER BY e.exemption_id"
    ):
        exemption_ids[audit_id].append(exemption_id)
    deadlines: dict[str, date | None] = {}
    known = KnownPolicies.load(conn).by_sha
    result = []
    for row in rows:
        policy = row[5]
        if policy not in deadlines:
            deadlines[policy] = policy_deadline(conn, policy)
        expiry = optional_day(row[9])
        recorded = DeviceStatus(row[6])
        now = status_on(recorded, today, deadline=deadlines[policy], exemption_expires=expiry)
        result.append(
            ExportRow(
                person_name=row[1],
                staff_id=row[2],
                device_id=row[3],
                device_name=row[4],
                policy_id=policy,
                status=now.value,
                recorded_status=recorded.value,
                scanned_at=row[7] or "",
                attested_at=row[8] or "",
                exemption_ids=tuple(exemption_ids.get(row[0], ())),
                exemption_expires=row[9] or "",
                signer=row[10] or "",
                attestation_id=row[11] or "",
                receipt_kind=row[12] or "",
                origin=row[13],
                audit_uid=row[14],
                **_connection_columns(stored_connection(row[15])),
                policy_version=known[row[16]].version if row[16] in known else "",
                policy_sha256=row[16],
                assurance=row[17],
                trust_note=row[18],
                recorded_by=vouched_login(conn, row[19]),
            )
        )
    return result


def stored_connection(text: str | None) -> Connection | None:
    """audits.connection read back; it was written from a checked value, so anything unreadable
    (a hand-edited database) is shown as not recorded rather than stopping the history."""
    if not text:
        return None
    try:
        return connection_from_dict(json.loads(text))
    except (ValueError, RecursionError):
        return None


def _connection_columns(connection: Connection | None) -> dict[str, str]:
    """The export's two columns: the kind as a code for scripts, and the words for people."""
    return {
        "connection": connection.kind.value if connection is not None else "",
        "reached": reached_words(connection, translated=False),
    }


def audit_exemptions(conn: sqlite3.Connection, audit_id: int) -> tuple[Exemption, ...]:
    """The exemptions an audit's last assessment relied on, as they were granted."""
    return tuple(
        Exemption(
            id=row[0],
            reason=row[1],
            approver=row[2],
            approver_role=row[3],
            granted=date.fromisoformat(row[4]),
            expires=date.fromisoformat(row[5]),
            person=row[6],
            device=row[7],
            policy=row[8],
            rules=tuple(json.loads(row[9])),
            apps=tuple(json.loads(row[10])),
            mitigations=tuple(json.loads(row[11])),
        )
        for row in conn.execute(
            "SELECT exemption_id, reason, approver, approver_role, granted, expires, person,"
            " device, policy, rules, apps, mitigations FROM exemptions WHERE audit_id = ?"
            " ORDER BY exemption_id",
            (audit_id,),
        )
    )
