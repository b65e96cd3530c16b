"""Moving a bench's SQLite history into the team history (issue 18): idempotent, with a report.

Identity, not row ids, decides what is already there: an audit is its uid (an imported audit's
is derived from its receipt, so the same receipt imported at two benches has one uid; a local
audit's is chosen before its first write, audit.workflow.history), and a signed audit is also
its receipts (uid, payload and file digests). The team's UNIQUE constraint on the uid decides,
not a look first: the audit rows are inserted ON CONFLICT (uid) DO NOTHING. An audit the team
holds by its uid is completed there with what this history adds to it (a removal begun in the
outbox and signed at the server, or the other way round: scans, actions, exemptions, a receipt
it lacks), else it is "already there"; one held by a receipt under another audit (an import of
its file) is already there. So running the move twice, or after a cut connection, or after a
write whose answer was lost, keeps each audit once.

The inventories the moved audits were judged on go with them (audit.store.inventories), so the
team can judge them again: each is its digest, kept once by the team's primary key, and moved
only when the blob holds exactly the inventory its digest names.

Nothing is taken on the bench's word that the team has not decided itself:
- an audit whose receipt was signed by a key the team history does not pin for that person
  (it pins another) is refused, with the reason: import its receipt file so the helpdesk can
  settle the dispute as for any import;
- the chain (latest, until when) and the running totals are recomputed by the team's relink,
  never copied, and exemptions the team has not accepted hold the moved audits as they hold
  any (audit.store.holds); who recorded an audit is the team's word (pg_schema v10);
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
from audit.store.inventories import copy_inventories
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
    completed: int = 0  # held by the team already, and given what this history added to it
    forged_inventories: int = 0  # stored inventories not moved: not the ones their digest names
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
        if self.completed:
            out.append(
                ngettext(
                    "{count} audit the team history held already was completed with what this "
                    "history added to it (scans, actions or its signed receipt).",
                    "{count} audits the team history held already were completed with what this "
                    "history added to them (scans, actions or their signed receipts).",
                    self.completed,
                ).format(count=self.completed)
            )
        if self.rows:
            out.append(
                _("Moved with them: {rows}.").format(
                    rows=", ".join(f"{n} {table}" for table, n in sorted(self.rows.items()))
                )
            )
        if self.forged_inventories:
            out.append(
                ngettext(
                    "{count} stored inventory was not moved: it is not the inventory its digest "
                    "names (the history was changed outside Device Audit), so the audits judged "
                    "on it cannot be judged again in the team history.",
                    "{count} stored inventories were not moved: they are not the inventories "
                    "their digests name (the history was changed outside Device Audit), so the "
                    "audits judged on them cannot be judged again in the team history.",
                    self.forged_inventories,
                ).format(count=self.forged_inventories)
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
    """One chunk in one transaction. The audit's uid decides whether the team holds it, and
    the team's UNIQUE constraint on it decides, not a look first: each audit row is inserted
    with ON CONFLICT (uid) DO NOTHING, and an audit the team turns away that way is completed
    there with what this history holds and it lacks (`_complete`), or is "already there"."""
    ids = [audit_id for audit_id, _uid in chunk]
    receipts: dict[int, list[tuple[Any, ...]]] = {}
    att_cols = columns["attestations"]
    for row in _rows(source, "attestations", att_cols, "audit_id", ids):
        receipts.setdefault(int(row[att_cols.index("audit_id")]), []).append(tuple(row))
    fresh, offered, refused = _sort_chunk(source, team, chunk, receipts, att_cols, report)
    new_audit = _offer_audits(source, team, offered, columns["audits"])
    there = _team_ids(team, [uid for _id, uid in chunk])
    completed: list[int] = []
    touched: set[tuple[Any, Any, Any]] = set()
    for audit_id, uid in chunk:
        if audit_id in new_audit or audit_id in refused:
            continue
        team_id = there.get(uid)
        mine = receipts.get(audit_id, [])
        took = (fresh[audit_id], len(fresh[audit_id]) < len(mine))
        if team_id is None:
            report.already_there += 1  # by a receipt of it held by another audit
            continue
        done = _completing(source, team, (audit_id, team_id), took, columns, report, touched)
        if isinstance(done, str):
            report.refused.append((uid, _person(source, audit_id), done))
        elif done:
            completed.append(team_id)
            report.completed += 1
        else:
            report.already_there += 1  # by its uid: the team holds all of it
    moved_ids = list(new_audit)
    if moved_ids:
        for row in source.execute(
            "SELECT policy_id, staff_id, device_id FROM audits WHERE id IN"
            f" ({', '.join('?' * len(moved_ids))})",
            moved_ids,
        ):
            touched.add(tuple(row))
        report.rows["audits"] = report.rows.get("audits", 0) + len(moved_ids)
        new_scan = _copy_children(source, team, moved_ids, new_audit, columns, report)
        _copy_findings(source, team, new_scan, columns["findings"], report)
        _copy_keys(source, team, [r for a in moved_ids for r in receipts.get(a, [])], att_cols)
        report.moved += len(moved_ids)
    kept, forged = copy_inventories(source, team, ids)
    if kept:
        report.rows["inventories"] = report.rows.get("inventories", 0) + kept
    report.forged_inventories += forged
    if touched:
        relink_keys(team, touched)
    if moved_ids or completed:
        holds.rejudge(team, audits=[*new_audit.values(), *completed])


def _sort_chunk(  # noqa: PLR0917 - one private step of _move_chunk
    source: sqlite3.Connection,
    team: Any,
    chunk: list[tuple[int, str]],
    receipts: dict[int, list[tuple[Any, ...]]],
    att_cols: list[str],
    report: MoveReport,
) -> tuple[dict[int, list[tuple[Any, ...]]], list[int], set[int]]:
    """Per audit: its receipts the team holds nowhere; the audits to offer the team (none of
    their receipts is there under another audit); the audits refused (a disputed key)."""
    fresh: dict[int, list[tuple[Any, ...]]] = {}  # receipts the team holds nowhere
    offered: list[int] = []  # audits whose row is offered to the team
    refused: set[int] = set()
    chosen: dict[str, str] = {}  # identity -> the key this chunk pins for it first
    for audit_id, uid in chunk:
        mine = receipts.get(audit_id, [])
        fresh[audit_id] = [r for r in mine if not _receipt_there(team, r, att_cols)]
        refusal = _key_refusal(team, fresh[audit_id], att_cols, chosen)
        if refusal:
            report.refused.append((uid, _person(source, audit_id), refusal))
            refused.add(audit_id)
            continue
        if len(fresh[audit_id]) == len(mine):  # no receipt of it is in the team under another
            offered.append(audit_id)
    return fresh, offered, refused


def _offer_audits(
    source: sqlite3.Connection, team: Any, offered: list[int], cols: list[str]
) -> dict[int, int]:
    """Insert the audit rows of `offered` under new ids, ON CONFLICT (uid) DO NOTHING; returns
    bench id -> team id of those the team took (the others it held already, by uid). Never
    the bench's recorded_by: who recorded an audit is the team database's word."""
    if not offered:
        return {}
    cols = [c for c in cols if c != "recorded_by"]
    first = _next_id(team, "audits")
    given = {audit_id: first + n for n, audit_id in enumerate(offered)}
    rows = []
    later: list[tuple[int, int]] = []  # (team id, bench id it derives from, in this chunk)
    for row in _rows(source, "audits", cols, "id", offered):
        values = dict(zip(cols, row, strict=True))
        values.update(_CHAIN)
        values["id"] = given[int(row[0])]
        derived = values.get("derived_from")
        if derived is not None and int(derived) in given:
            values["derived_from"] = None  # its team id is known once the chunk is in
            later.append((values["id"], int(derived)))
        elif derived is not None:
            values["derived_from"] = _team_audit(source, team, int(derived), {})
        rows.append(tuple(values[c] for c in cols))
    team.executemany(
        insert_statement("audits", ", ".join(cols)) + " ON CONFLICT (uid) DO NOTHING", rows
    )
    uids = {int(r[0]): str(r[1]) for r in _rows(source, "audits", ["id", "uid"], "id", offered)}
    taken = _team_ids(team, list(uids.values()))
    inserted = {a: given[a] for a in offered if taken.get(uids[a]) == given[a]}
    for team_id, derived in later:
        if team_id in inserted.values():
            team.execute(
                "UPDATE audits SET derived_from = ? WHERE id = ?",
                (taken.get(uids[derived]), team_id),
            )
    return inserted


def _team_ids(team: Any, uids: list[str]) -> dict[str, int]:
    """uid -> the team's audit id, for those of `uids` the team holds."""
    found: dict[str, int] = {}
    for start in range(0, len(uids), 500):
        part = uids[start : start + 500]
        for uid, audit_id in team.execute(
            f"SELECT uid, id FROM audits WHERE uid IN ({', '.join('?' * len(part))})", part
        ):
            found[str(uid)] = int(audit_id)
    return found


def _copy_keys(
    source: sqlite3.Connection, team: Any, receipts: list[tuple[Any, ...]], att_cols: list[str]
) -> None:
    """The bench's pinned keys of the receipts moved (INSERT OR IGNORE: the team's pin stays).
    Never as accepted: `_key_refusal` moved only a key the team pins already or the first one
    for its person, and a second key is the team administrator's decision (the row rules
    refuse one from anyone else), not the bench's."""
    keys = {(r[att_cols.index("identity")], r[att_cols.index("signer")]) for r in receipts}
    for identity, signer in sorted(keys):
        pinned = source.execute(
            "SELECT identity, signer, first_seen, source FROM keys"
            " WHERE identity = ? AND signer = ?",
            (identity, signer),
        ).fetchone()
        if pinned is not None:
            team.execute(INSERT_KEY, (*tuple(pinned), 0))


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


# The audit's own columns: taken from whichever copy is ahead when an audit is completed;
# never its identity, origin, start, or who recorded it (the team's word: pg_schema v10).
_NOT_TAKEN = frozenset(
    {"id", "uid", "origin", "started_at", "derived_from", "recorded_by", *_CHAIN}
)
_PERSON = ("person_name", "staff_id", "technician", "search")


def _person(source: sqlite3.Connection, audit_id: int) -> str:
    row = source.execute("SELECT person_name FROM audits WHERE id = ?", (audit_id,)).fetchone()
    return str(row[0]) if row else ""


def _completing(  # noqa: PLR0917 - one private step of _move_chunk
    source: sqlite3.Connection,
    team: Any,
    ids: tuple[int, int],
    receipts: tuple[list[tuple[Any, ...]], bool],
    columns: dict[str, list[str]],
    report: MoveReport,
    touched: set[tuple[Any, Any, Any]],
) -> bool | str:
    """`_complete` in a savepoint: the team's row rules (audit.store.pg_rules) let only the
    login that recorded an audit, or the administrator, add to it. Such a refusal is this
    audit's alone (returned as the reason, the audit stays where it is); the rest of the chunk
    goes on. Any other error is the whole chunk's. A copy of another device or policy than the
    team's audit of that uid (an edited outbox) is refused the same way, before anything."""
    audit_id, team_id = ids
    what = "SELECT device_id, policy_id FROM audits WHERE id = ?"
    mine = tuple(source.execute(what, (audit_id,)).fetchone())
    theirs = tuple(team.execute(what, (team_id,)).fetchone())
    if mine != theirs:  # a uid is one removal of one device: never lent to another
        return _(
            "the team history holds an audit with this audit's id for another device or "
            "policy ({theirs}); it was not added to it (the history was changed outside "
            "Device Audit): ask the team's administrator"
        ).format(theirs=", ".join(str(v) for v in theirs))
    rows = dict(report.rows)
    team.execute("SAVEPOINT da_complete")
    try:
        done = _complete(source, team, ids, receipts, columns, report, touched)
    except Exception as exc:
        if getattr(exc, "sqlstate", None) != "42501":  # insufficient_privilege
            raise
        team.execute("ROLLBACK TO SAVEPOINT da_complete")
        report.rows = rows
        problem = getattr(getattr(exc, "diag", None), "message_primary", None) or str(exc)
        return _(
            "the team history holds this audit, recorded by another login, and may not add "
            "to it ({problem}); send it with that login, or ask the team's administrator to"
        ).format(problem=problem)
    team.execute("RELEASE SAVEPOINT da_complete")
    return done


def _complete(  # noqa: PLR0917 - one private step of _move_chunk
    source: sqlite3.Connection,
    team: Any,
    ids: tuple[int, int],
    receipts: tuple[list[tuple[Any, ...]], bool],
    columns: dict[str, list[str]],
    report: MoveReport,
    touched: set[tuple[Any, Any, Any]],
) -> bool:
    """Add to the team's audit `team_id` what this history's copy of it (the same uid) holds
    and it lacks: scans (by start time and inventory) with their findings, actions, exemptions,
    and receipts the team holds nowhere (`fresh`). A removal recorded partly in the outbox and
    partly in the team history, or sent again after a lost answer, is so one audit. The copy
    that is ahead (a receipt the team lacked, or written later) gives the audit's own columns
    (status, person, receipt); the chain and totals are relinked by the caller. A copy with a
    receipt the team holds under another audit (an import of its file) gives only the person
    it names, to an audit still unsigned (so one device is one person's, counted once); never
    the receipt's columns: the audit would claim a receipt it does not hold. True when anything
    was added or changed."""
    audit_id, team_id = ids
    fresh, held_elsewhere = receipts
    added, scans = _add_missing(source, team, "scans", audit_id, team_id, columns, report)
    _copy_findings(source, team, added, columns["findings"], report)
    _ids, actions = _add_missing(source, team, "actions", audit_id, team_id, columns, report)
    _ids, exemptions = _add_missing(source, team, "exemptions", audit_id, team_id, columns, report)
    att_cols = columns["attestations"]
    if fresh:
        first = _next_id(team, "attestations")
        rows = []
        for n, row in enumerate(fresh):
            values = dict(zip(att_cols, row, strict=True))
            values.update(id=first + n, audit_id=team_id)
            rows.append(tuple(_plain(values[c]) for c in att_cols))
        team.executemany(insert_statement("attestations", ", ".join(att_cols)), rows)
        report.rows["attestations"] = report.rows.get("attestations", 0) + len(rows)
        _copy_keys(source, team, fresh, att_cols)
    cols = [c for c in columns["audits"] if c not in _NOT_TAKEN]
    what = f"SELECT {', '.join(cols)} FROM audits WHERE id = ?"
    mine = dict(zip(cols, source.execute(what, (audit_id,)).fetchone(), strict=True))
    theirs = dict(zip(cols, team.execute(what, (team_id,)).fetchone(), strict=True))
    if fresh or (not held_elsewhere and str(mine["at"]) >= str(theirs["at"])):
        taken = cols if scans or actions or exemptions or fresh else []
    elif held_elsewhere and not theirs["receipt_uid"]:
        # Its receipt was imported as an audit of its own: the unsigned removal is at least
        # the receipt's person's, as `attest` makes it, so the device is one person's once.
        taken = [c for c in _PERSON if mine[c] != theirs[c]]
    else:
        taken = []
    if taken:
        team.execute(
            f"UPDATE audits SET {', '.join(f'{c} = ?' for c in taken)} WHERE id = ?",
            (*(mine[c] for c in taken), team_id),
        )
        touched.add((theirs["policy_id"], theirs["staff_id"], theirs["device_id"]))
        touched.add((mine["policy_id"], mine["staff_id"], mine["device_id"]))
    return bool(scans or actions or exemptions or fresh or taken)


def _add_missing(  # noqa: PLR0917 - one private step of _complete
    source: sqlite3.Connection,
    team: Any,
    table: str,
    audit_id: int,
    team_id: int,
    columns: dict[str, list[str]],
    report: MoveReport,
) -> tuple[dict[int, int], int]:
    """Copy the rows of `table` under bench audit `audit_id` that the team's audit `team_id`
    lacks, compared on every column but the ids (a scan on its start and inventory, an
    exemption on its id); returns old -> new id of those copied, and how many were."""
    cols = columns[table]
    same = {"scans": ["started_at", "inventory_digest"], "exemptions": ["exemption_id"]}.get(
        table, [c for c in cols if c not in ("id", "audit_id")]
    )

    def key(values: Any) -> tuple[str, ...]:
        return tuple("" if v is None else str(v) for v in values)

    known = {
        key(r)
        for r in team.execute(
            f"SELECT {', '.join(same)} FROM {table} WHERE audit_id = ?", (team_id,)
        )
    }
    has_id = "id" in cols
    first = _next_id(team, table) if has_id else 0
    copied: dict[int, int] = {}
    rows: list[tuple[Any, ...]] = []
    for row in _rows(source, table, cols, "audit_id", [audit_id]):
        values = dict(zip(cols, row, strict=True))
        if key(values[c] for c in same) in known:
            continue
        values["audit_id"] = team_id
        if has_id:
            copied[int(values["id"])] = values["id"] = first + len(rows)
        rows.append(tuple(_plain(values[c]) for c in cols))
    if rows:
        team.executemany(insert_statement(table, ", ".join(cols)), rows)
        report.rows[table] = report.rows.get(table, 0) + len(rows)
    return copied, len(rows)


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def _receipt_there(team: Any, row: tuple[Any, ...], cols: list[str]) -> bool:
    """Whether the team holds this receipt (by its id, payload or file), under any audit."""
    found = team.execute(
        "SELECT 1 FROM attestations WHERE uid = ? OR payload_sha256 = ? OR file_sha256 = ?",
        (row[cols.index("uid")], row[cols.index("payload_sha256")], row[cols.index("file_sha256")]),
    ).fetchone()
    return found is not None


def _key_refusal(
    team: Any, receipts: list[tuple[Any, ...]], cols: list[str], chosen: dict[str, str]
) -> str:
    """Why these receipts may not move: one is signed by another key than the team pins for
    its person, or than an earlier audit of this chunk pins first (`chosen`, filled here)."""
    for row in receipts:
        identity, signer = row[cols.index("identity")], row[cols.index("signer")]
        pinned = [
            str(r[0])
            for r in team.execute("SELECT signer FROM keys WHERE identity = ?", (identity,))
        ] or ([chosen[identity]] if identity in chosen else [])
        if pinned and signer not in pinned:
            return _(
                "the team history trusts another key for {identity}; import this audit's "
                "receipt file so your helpdesk can settle which key is theirs"
            ).format(identity=identity)
    for row in receipts:
        chosen.setdefault(row[cols.index("identity")], row[cols.index("signer")])
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
