"""Moving a bench's SQLite history into the team history (issue 18): idempotent, with a report.

Identity, not row ids, decides what is already there: an audit is its uid (an imported audit's
is derived from its receipt, so the same receipt imported at two benches has one uid), and a
signed audit is also its receipts (uid, payload and file digests). An audit the team history
holds by either is not moved again, so running the move twice, or after a cut connection,
moves each audit once.

Nothing is taken on the bench's word that the team has not decided itself:
- an audit whose receipt was signed by a key the team history does not pin for that person
  (it pins another) is refused, with the reason: import its receipt file so the helpdesk can
  settle the dispute as for any import;
- the chain (latest, until when) and the running totals are recomputed by the team's relink,
  never copied, and exemptions the team has not accepted hold the moved audits as they hold
  any (audit.store.holds);
- the bench's accepted policies, enrolled technicians, accepted exemptions and settings are
  trust decisions for the team's administrator: counted in the report, not moved.
Each chunk of audits is one transaction under the team's write lock: what the report says
moved is saved.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from audit.i18n import _, ngettext
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress
from audit.store import holds
from audit.store.schema import relink_keys
from audit.store.writes import INSERT_KEY, insert_statement

if TYPE_CHECKING:
    from audit.store.store import Store

CHUNK = 200
# Copied as they are, each row under its audit (or scan); `id` columns are given anew.
_CHILDREN = ("scans", "actions", "exemptions", "attestations")
# Derived from the audits by the team's relink, never copied (schema.py v2).
_CHAIN = {
    "until_day": None,
    "latest": 0,
    "counted_day": None,
    "counted_status": None,
    "counted_expires": None,
}
# Trust decisions left to the team's administrator (counted, not moved).
_FOR_ADMIN = ("accepted_policies", "technicians", "accepted_exemptions", "settings")


@dataclass
class MoveReport:
    """What a move did; `refused` lists (audit uid, person, reason)."""

    moved: int = 0
    already_there: int = 0
    refused: list[tuple[str, str, str]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows moved
    for_admin: dict[str, int] = field(default_factory=dict)  # table -> rows not moved

    def lines(self) -> list[str]:
        """The report in words, one line each."""
        out = [
            ngettext(
                "{moved} audit moved, {there} already in the team history.",
                "{moved} audits moved, {there} already in the team history.",
                self.moved,
            ).format(moved=self.moved, there=self.already_there)
        ]
        if self.rows:
            out.append(
                _("Moved with them: {rows}.").format(
                    rows=", ".join(f"{n} {table}" for table, n in sorted(self.rows.items()))
                )
            )
        for uid, person, reason in self.refused:
            out.append(
                _("Not moved: audit {uid} ({person}): {reason}").format(
                    uid=uid, person=person or _("no one named"), reason=reason
                )
            )
        if any(self.for_admin.values()):
            out.append(
                _("Left for the team's administrator to decide (not moved): {rows}.").format(
                    rows=", ".join(
                        f"{n} {table}" for table, n in sorted(self.for_admin.items()) if n
                    )
                )
            )
        return out


def move_history(
    bench: Store,
    team: Store,
    *,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
) -> MoveReport:
    """Move every audit of `bench` (a SQLite history) that `team` does not hold yet."""
    report = MoveReport()
    source = bench._db
    columns = {t: _columns(source, t) for t in ("audits", "findings", *_CHILDREN)}
    uids = [
        (int(r[0]), str(r[1]))
        for r in source.execute("SELECT id, uid FROM audits ORDER BY id").fetchall()
    ]
    total = len(uids)
    for start in range(0, total, CHUNK):
        if cancelled():
            break
        chunk = uids[start : start + CHUNK]
        with team._write() as conn:
            _move_chunk(source, conn, chunk, columns, report)
        progress(min(start + CHUNK, total) / max(1, total), _("Moving audits…"))
    for table in _FOR_ADMIN:
        report.for_admin[table] = _missing(source, team, table)
    return report


def _columns(conn: Any, table: str) -> list[str]:
    return [str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})").fetchall()]


def _rows(conn: Any, table: str, cols: list[str], key: str, ids: list[int]) -> Iterator[Any]:
    marks = ", ".join("?" * len(ids))
    yield from conn.execute(
        f"SELECT {', '.join(cols)} FROM {table} WHERE {key} IN ({marks}) ORDER BY 1", ids
    ).fetchall()


def _next_id(conn: Any, table: str) -> int:
    return int(conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]) + 1


def _move_chunk(
    source: sqlite3.Connection,
    team: Any,
    chunk: list[tuple[int, str]],
    columns: dict[str, list[str]],
    report: MoveReport,
) -> None:
    ids = [audit_id for audit_id, _uid in chunk]
    receipts: dict[int, list[tuple[Any, ...]]] = {}
    att_cols = columns["attestations"]
    for row in _rows(source, "attestations", att_cols, "audit_id", ids):
        receipts.setdefault(int(row[att_cols.index("audit_id")]), []).append(tuple(row))
    wanted: list[int] = []
    for audit_id, uid in chunk:
        held = _already_there(team, uid, receipts.get(audit_id, []), att_cols)
        if held:
            report.already_there += 1
            continue
        refusal = _key_refusal(team, receipts.get(audit_id, []), att_cols)
        if refusal:
            person = source.execute(
                "SELECT person_name FROM audits WHERE id = ?", (audit_id,)
            ).fetchone()
            report.refused.append((uid, str(person[0]) if person else "", refusal))
            continue
        wanted.append(audit_id)
    if not wanted:
        return
    new_audit: dict[int, int] = {}
    first = _next_id(team, "audits")
    for n, audit_id in enumerate(wanted):
        new_audit[audit_id] = first + n
    audit_cols = columns["audits"]
    audit_rows = []
    touched = set()
    for row in _rows(source, "audits", audit_cols, "id", wanted):
        values = dict(zip(audit_cols, row, strict=True))
        values.update(_CHAIN)
        values["id"] = new_audit[int(row[0])]
        derived = values.get("derived_from")
        if derived is not None:
            values["derived_from"] = _team_audit(source, team, int(derived), new_audit)
        audit_rows.append(tuple(values[c] for c in audit_cols))
        touched.add((values["policy_id"], values["staff_id"], values["device_id"]))
    team.executemany(insert_statement("audits", ", ".join(audit_cols)), audit_rows)
    report.rows["audits"] = report.rows.get("audits", 0) + len(audit_rows)
    new_scan = _copy_children(source, team, wanted, new_audit, columns, report)
    _copy_findings(source, team, new_scan, columns["findings"], report)
    keys = {
        (row[att_cols.index("identity")], row[att_cols.index("signer")])
        for audit_id in wanted
        for row in receipts.get(audit_id, [])
    }
    for identity, signer in sorted(keys):
        pinned = source.execute(
            "SELECT identity, signer, first_seen, source, accepted FROM keys"
            " WHERE identity = ? AND signer = ?",
            (identity, signer),
        ).fetchone()
        if pinned is not None:
            team.execute(INSERT_KEY, tuple(pinned))
    report.moved += len(wanted)
    relink_keys(team, touched)
    holds.rejudge(team, audits=list(new_audit.values()))


def _copy_children(  # noqa: PLR0917 - one private step of _move_chunk
    source: sqlite3.Connection,
    team: Any,
    wanted: list[int],
    new_audit: dict[int, int],
    columns: dict[str, list[str]],
    report: MoveReport,
) -> dict[int, int]:
    """Scans, actions, exemptions and receipts of the moved audits; returns old -> new scan id."""
    new_scan: dict[int, int] = {}
    for table in _CHILDREN:
        cols = columns[table]
        rows = list(_rows(source, table, cols, "audit_id", wanted))
        if not rows:
            continue
        has_id = "id" in cols
        first = _next_id(team, table) if has_id else 0
        out = []
        for n, row in enumerate(rows):
            values = dict(zip(cols, row, strict=True))
            values["audit_id"] = new_audit[int(values["audit_id"])]
            if has_id:
                if table == "scans":
                    new_scan[int(values["id"])] = first + n
                values["id"] = first + n
            out.append(
                tuple(
                    bytes(v) if isinstance(v, memoryview) else v for v in (values[c] for c in cols)
                )
            )
        team.executemany(insert_statement(table, ", ".join(cols)), out)
        report.rows[table] = report.rows.get(table, 0) + len(out)
    return new_scan


def _copy_findings(
    source: sqlite3.Connection,
    team: Any,
    new_scan: dict[int, int],
    cols: list[str],
    report: MoveReport,
) -> None:
    if not new_scan:
        return
    rows: list[tuple[Any, ...]] = []
    first = _next_id(team, "findings")
    for chunk_start in range(0, len(new_scan), 900):
        scan_ids = sorted(new_scan)[chunk_start : chunk_start + 900]
        for row in _rows(source, "findings", cols, "scan_id", scan_ids):
            values = dict(zip(cols, row, strict=True))
            values["scan_id"] = new_scan[int(values["scan_id"])]
            values["id"] = first + len(rows)
            rows.append(tuple(values[c] for c in cols))
    if rows:
        team.executemany(insert_statement("findings", ", ".join(cols)), rows)
        report.rows["findings"] = report.rows.get("findings", 0) + len(rows)


def _already_there(team: Any, uid: str, receipts: list[tuple[Any, ...]], cols: list[str]) -> bool:
    if team.execute("SELECT 1 FROM audits WHERE uid = ?", (uid,)).fetchone() is not None:
        return True
    for row in receipts:
        found = team.execute(
            "SELECT 1 FROM attestations WHERE uid = ? OR payload_sha256 = ? OR file_sha256 = ?",
            (
                row[cols.index("uid")],
                row[cols.index("payload_sha256")],
                row[cols.index("file_sha256")],
            ),
        ).fetchone()
        if found is not None:
            return True
    return False


def _key_refusal(team: Any, receipts: list[tuple[Any, ...]], cols: list[str]) -> str:
    for row in receipts:
        identity, signer = row[cols.index("identity")], row[cols.index("signer")]
        pinned = [
            str(r[0])
            for r in team.execute("SELECT signer FROM keys WHERE identity = ?", (identity,))
        ]
        if pinned and signer not in pinned:
            return _(
                "the team history trusts another key for {identity}; import this audit's "
                "receipt file so your helpdesk can settle which key is theirs"
            ).format(identity=identity)
    return ""


def _team_audit(source: Any, team: Any, audit_id: int, new_audit: dict[int, int]) -> int | None:
    """The team's id of a bench audit (moved now, or there already by uid); None if neither."""
    if audit_id in new_audit:
        return new_audit[audit_id]
    row = source.execute("SELECT uid FROM audits WHERE id = ?", (audit_id,)).fetchone()
    if row is None:
        return None
    there = team.execute("SELECT id FROM audits WHERE uid = ?", (row[0],)).fetchone()
    return None if there is None else int(there[0])


def _missing(source: Any, team: Store, table: str) -> int:
    """How many of the bench's rows of a trust table the team history lacks."""
    key = {
        "accepted_policies": "sha256",
        "technicians": "fingerprint",
        "accepted_exemptions": "sha256",
        "settings": "name",
    }[table]
    mine = {str(r[0]) for r in source.execute(f"SELECT {key} FROM {table}").fetchall()}
    if not mine:
        return 0

    def query(conn: Any) -> set[str]:
        return {str(r[0]) for r in conn.execute(f"SELECT {key} FROM {table}").fetchall()}

    return len(mine - team._read(query))
