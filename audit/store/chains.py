"""The supersession chain and the dashboard's running totals (schema v2, rules of v6 and v11).

Each judged audit of a person + device + policy holds from its day until the next one replaced
it; `status_changes` sums where such stretches start and end, so the dashboard's cost follows
the number of distinct days, not of audits. Kept apart from the migrations (audit.store.schema,
which re-exports every name here) because the writes, the import, the holds and the team
history's row rules (audit.store.pg_rules) all build on the same rules: which audit counts
(COUNTED_STATUS), in what order (CHAIN_TIME), and how a chain is relinked.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable
from typing import Any

# The day a latest audit is superseded: never. Text-comparable with ISO dates.
FOREVER = "9999-12-31"


EXCEPTED = "compliant_with_exceptions"

Stretch = tuple[str, str, str, str]  # day, until_day, status, exemption expiry ("" if none)


AuditChainKey = tuple[str, str, str]  # policy_id, staff_id, device_id

# When an audit counts as done, for choosing the latest: its own time, but an imported audit's
# never later than its receipt arrived here. A receipt's times come from the clock of the
# computer that made it, so one dated 2099 (or tomorrow) counts as of its arrival, and a genuine
# audit that arrives after it is the latest (audit.store.times refuses the far future outright).
# A local audit's times come from this computer's clock.
CHAIN_TIME = (
    "CASE WHEN a.origin = 'imported' THEN min(a.at, coalesce((SELECT min(t.recorded_at)"
    " FROM attestations t WHERE t.audit_id = a.id), a.at)) ELSE a.at END"
)


def _chain_time(alias: str) -> str:
    """CHAIN_TIME of the audit called `alias`, in SQL both SQLite and PostgreSQL read as it
    stands (no scalar min: the row rules on PostgreSQL embed COUNTED_STATUS untranslated). The
    earliest arrival of its receipts when that is before its own time, else its own time:
    exactly min(at, coalesce(min(recorded_at), at))."""
    return (
        f"CASE WHEN {alias}.origin = 'imported' THEN coalesce((SELECT min(r.recorded_at)"
        f" FROM attestations r WHERE r.audit_id = {alias}.id AND r.recorded_at < {alias}.at),"
        f" {alias}.at) ELSE {alias}.at END"
    )


# A judged audit of a's device and policy, named (`named`) or not, later than the audit `a`
# (`named`: at least as late: on a tie the named one wins). Looked up by device: `|| ''` keeps
# SQLite (which has no statistics to tell) from reading every audit of the policy instead, as
# it did with the rule before v11 (bench/unnamed_rule.py); both databases read it alike.
def _checked_since(*, named: bool) -> str:
    return (
        "EXISTS (SELECT 1 FROM audits o WHERE o.device_id = a.device_id"
        f" AND o.policy_id || '' = a.policy_id AND o.staff_id {'<>' if named else '='} ''"
        f" AND o.status IS NOT NULL AND {_chain_time('o')} {'>=' if named else '>'}"
        f" {_chain_time('a')})"
    )


# One device counts once, and its newest check decides (as if the bench had named the person).
# An unnamed audit (a scan nobody was named for: at start-up, before a restart, an incomplete
# one, a phone checked at the bench and left unnamed) and the named audits of the same device
# under the same policy are one device, so they never count side by side:
# - an unnamed audit counts only while no named audit of its device is at least as recent
#   (CHAIN_TIME; on a tie the named one, the same check with a person, wins);
# - a named audit counts only while no unnamed audit of its device is later than it.
# Both cannot hold for an unnamed and a named audit at once, so a device never counts twice; its
# newest check is never uncounted, so it decides today; a later check at the bench that found
# TikTok is never hidden behind an older receipt imported after it. A named audit that a later
# unnamed check overtook stays uncounted even once a newer named audit arrives: the check it
# missed stood between them, and counting it again would show the device compliant on days a
# check had found TikTok. Why not hold the named audit instead: a hold is a verdict on a
# receipt (audit.store.holds), and a later check that found the phone clean must take its place
# just as well. Why not end its stretch on the unnamed check's day: the chains are per person +
# device + policy, and the team history's row rules (pg_rules._CHAIN) check them so. The cost:
# on the dashboard's past days such a device is missing between the uncounted audit and the
# next one that counts (as an unnamed scan a receipt supersedes always was), never shown
# better than a check found it. The helpdesk's own computer ('local:' ids) scanned unnamed is
# not a staff device at all; audited for someone, it is theirs (its unnamed scans never take
# its place). Uncounted audits take part as unjudged ones.
COUNTED_STATUS = (
    "CASE WHEN a.device_id LIKE 'local:%' AND a.staff_id = '' THEN NULL"
    " WHEN a.device_id LIKE 'local:%' THEN a.status"
    f" WHEN a.staff_id = '' AND {_checked_since(named=True)} THEN NULL"
    f" WHEN a.staff_id <> '' AND {_checked_since(named=False)} THEN NULL"
    " ELSE a.status END"
)

# Devices per relink query: two parameters each, within older SQLite's limit of 999.
_DEVICES_PER_QUERY = 400


def relink(conn: sqlite3.Connection, policy_id: str, staff_id: str, device_id: str) -> None:
    """Recompute which audit of one person + device + policy is the latest, until when each
    earlier one held, and what they add to status_changes. Called after every change to that
    key's audits (and for both keys when an audit changes person): keys have a handful of
    audits, so recomputing the whole chain is cheap and cannot drift."""
    relink_keys(conn, [(policy_id, staff_id, device_id)])


def relink_keys(conn: sqlite3.Connection, keys: Iterable[AuditChainKey]) -> None:
    """relink() for many keys with one query, one UPDATE and one INSERT per few hundred keys:
    an import touches thousands of keys, and one round of statements each cost more than
    writing the audits.

    Every chain of each key's device under its policy is relinked, not only the key's own: an
    audit of the device, named or not, can make the others count or not (COUNTED_STATUS: a
    later unnamed check uncounts every person's named audits of the device, a later named
    audit uncounts the unnamed ones), and a device has a handful of audits."""
    devices = sorted({(policy, device) for policy, _staff, device in keys})
    for start in range(0, len(devices), _DEVICES_PER_QUERY):
        chunk = devices[start : start + _DEVICES_PER_QUERY]
        rows = conn.execute(
            f"SELECT a.policy_id, a.staff_id, a.device_id, a.id, a.day, {COUNTED_STATUS},"
            " a.exemption_expires, a.until_day, a.latest, a.counted_day, a.counted_status,"
            " a.counted_expires"
            # The devices first, then each one's audits by device (as _checked_since): SQLite
            # reads CROSS JOIN in the order written; otherwise it read every audit per chunk.
            f" FROM (VALUES {', '.join(['(?, ?)'] * len(chunk))}) AS k"
            " CROSS JOIN audits a WHERE a.device_id = k.column2 AND a.policy_id || '' = k.column1"
            f" ORDER BY a.policy_id, a.device_id, a.staff_id, {COUNTED_STATUS} IS NULL,"
            f" {CHAIN_TIME}, a.id",
            [part for key in chunk for part in key],
        ).fetchall()
        updates: list[tuple[object, ...]] = []
        deltas: dict[tuple[str, str, str, str], int] = {}
        for key, group in itertools.groupby(rows, key=lambda row: row[:3]):
            _chain(key[0], [row[3:] for row in group], updates, deltas)
        if updates:
            conn.executemany(
                "UPDATE audits SET until_day = ?, latest = ?, counted_day = ?,"
                " counted_status = ?, counted_expires = ? WHERE id = ?",
                updates,
            )
        changed = [(*key, delta) for key, delta in deltas.items() if delta]
        if changed:
            conn.executemany(ADD_STATUS_CHANGES, changed)


# (policy_id, day, status, expires, delta): added to the running totals (relink_keys, and the
# import's audits written already linked, bulk.ImportBatch.flush).
ADD_STATUS_CHANGES = (
    "INSERT INTO status_changes (policy_id, day, status, expires, delta)"
    " VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (policy_id, day, status, expires)"
    " DO UPDATE SET delta = delta + excluded.delta"
)


def _chain(
    policy_id: str,
    rows: list[tuple[Any, ...]],
    updates: list[tuple[object, ...]],
    deltas: dict[tuple[str, str, str, str], int],
) -> None:
    """One key's audits, judged ones in time order first: what to update and count."""
    judged = [row for row in rows if row[2] is not None]
    for index, row in enumerate(judged):
        audit_id, day, status, expires, _until, latest = row[:6]
        last = index == len(judged) - 1
        # A later audit dated earlier (clocks disagree) ends this one on its own day, never
        # before it starts.
        until = FOREVER if last else max(day, judged[index + 1][1])
        stretch = (day, until, status, (expires or "") if status == EXCEPTED else "")
        before = _counted(row)
        if (stretch, int(last)) != (before, latest):
            _count(deltas, policy_id, before, -1)
            _count(deltas, policy_id, stretch, +1)
            updates.append((until, int(last), day, status, stretch[3], audit_id))
    for row in rows[len(judged) :]:
        before = _counted(row)
        if before is not None or row[5]:
            _count(deltas, policy_id, before, -1)
            updates.append((None, 0, None, None, None, row[0]))


def _counted(row: tuple[object, ...]) -> Stretch | None:
    until_day, counted_day, counted_status, counted_expires = row[4], row[6], row[7], row[8]
    if counted_status is None:
        return None
    return (str(counted_day), str(until_day), str(counted_status), str(counted_expires or ""))


def _count(
    deltas: dict[tuple[str, str, str, str], int],
    policy_id: str,
    stretch: Stretch | None,
    sign: int,
) -> None:
    """A stretch starts on its day and ends on its until_day (never, for the latest)."""
    if stretch is None:
        return
    day, until, status, expires = stretch
    start = (policy_id, day, status, expires)
    deltas[start] = deltas.get(start, 0) + sign
    if until != FOREVER:
        end = (policy_id, until, status, expires)
        deltas[end] = deltas.get(end, 0) - sign


def recount(conn: sqlite3.Connection) -> None:
    """Rebuild the chain and the running totals from the audits alone (first migration to v2,
    and a repair should they ever be doubted)."""
    conn.execute("DELETE FROM status_changes")
    conn.execute(
        "UPDATE audits SET until_day = NULL, latest = 0, counted_day = NULL,"
        " counted_status = NULL, counted_expires = NULL"
    )
    relink_keys(conn, conn.execute("SELECT DISTINCT policy_id, staff_id, device_id FROM audits"))


def relink_mixed(conn: sqlite3.Connection) -> None:
    """Relink every device that has both judged unnamed and judged named audits under a policy
    (the helpdesk's own computer aside): the only ones whose count the v11 rule changes."""
    keys = conn.execute(
        "SELECT DISTINCT a.policy_id, a.staff_id, a.device_id FROM audits a"
        " WHERE a.staff_id = '' AND a.status IS NOT NULL AND NOT a.device_id LIKE 'local:%'"
        " AND EXISTS (SELECT 1 FROM audits n WHERE n.device_id = a.device_id"
        " AND n.policy_id || '' = a.policy_id AND n.staff_id <> '' AND n.status IS NOT NULL)"
    ).fetchall()
    relink_keys(conn, [(str(p), str(s), str(d)) for p, s, d in keys])
