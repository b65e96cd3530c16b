"""What the v11 counting rule (a device's newest check decides between its unnamed and named
audits, chains.COUNTED_STATUS) costs the relink, beside the rule before it, in the same run.

    python bench/unnamed_rule.py [DEVICES]        (default 3,000)

A history of DEVICES phones under one policy, written straight into it: each phone has two
to four named audits (one or two people) and zero to three unnamed checks, at random times over
four months (a fifth of the phones only named, a tenth only unnamed). Timed, median of three:
`recount` (the v2/v6 repair, and what the v11 migration does for the devices with both kinds),
the v11 migration itself (relink_mixed), and relinking 1,000 random keys (what an import or a
bench write does), each with the rule and relink before v11 (baseline) and with the current
ones. Figures are printed side by side; nothing is asserted (tests never time anything).
The same audits then go into a team history on PostgreSQL when a server is at hand (as
bench/store.py finds one), where the 1,000 keys and the migration are timed the same way.
Why the baseline is so slow on SQLite: without statistics, its planner looked the device's
named audits up by policy, reading every audit of the policy for each unnamed one.
"""

from __future__ import annotations

import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.store import chains
from audit.store.db import timestamp
from audit.store.store import Store

POLICY = "nz-gov-2023"
STATUSES = ("compliant", "non_compliant", "overdue", "incomplete")

# The rule and the relink as they were before v11 (the baseline).
_OLD_COUNTED = (
    "CASE WHEN a.staff_id = '' AND (a.device_id LIKE 'local:%' OR EXISTS (SELECT 1 FROM audits b"
    " WHERE b.policy_id = a.policy_id AND b.device_id = a.device_id AND b.staff_id <> ''"
    " AND b.status IS NOT NULL)) THEN NULL ELSE a.status END"
)


def _old_relink_keys(conn: Any, keys: Iterable[chains.AuditChainKey]) -> None:
    wanted = set(keys)
    wanted.update([(policy, "", device) for policy, staff, device in wanted if staff])
    wanted_keys = sorted(wanted)
    for start in range(0, len(wanted_keys), 300):
        chunk = wanted_keys[start : start + 300]
        rows = conn.execute(
            f"SELECT k.column1, k.column2, k.column3, a.id, a.day, {_OLD_COUNTED},"
            " a.exemption_expires, a.until_day, a.latest, a.counted_day, a.counted_status,"
            " a.counted_expires"
            f" FROM (VALUES {', '.join(['(?, ?, ?)'] * len(chunk))}) AS k"
            " JOIN audits a ON a.policy_id = k.column1 AND a.staff_id = k.column2"
            " AND a.device_id = k.column3"
            f" ORDER BY k.column1, k.column2, k.column3, {_OLD_COUNTED} IS NULL,"
            f" {chains.CHAIN_TIME}, a.id",
            [part for key in chunk for part in key],
        ).fetchall()
        updates: list[tuple[object, ...]] = []
        deltas: dict[tuple[str, str, str, str], int] = {}
        for key, group in itertools.groupby(rows, key=lambda row: row[:3]):
            chains._chain(key[0], [row[3:] for row in group], updates, deltas)
        if updates:
            conn.executemany(
                "UPDATE audits SET until_day = ?, latest = ?, counted_day = ?,"
                " counted_status = ?, counted_expires = ? WHERE id = ?",
                updates,
            )
        changed = [(*key, delta) for key, delta in deltas.items() if delta]
        if changed:
            conn.executemany(chains.ADD_STATUS_CHANGES, changed)


_INSERT = (
    "INSERT INTO audits (uid, origin, person_name, staff_id, technician, device_id,"
    " device_name, device_json, policy_id, policy_title, policy_sha256, status, day,"
    " started_at, at, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _audits(
    devices: int, rng: random.Random
) -> tuple[list[tuple[object, ...]], list[chains.AuditChainKey]]:
    start = datetime(2023, 1, 1, tzinfo=UTC)
    rows: list[tuple[object, ...]] = []
    keys: set[chains.AuditChainKey] = set()
    for d in range(devices):
        device = f"android:B{d:07d}"
        kind = rng.random()
        named = 0 if kind < 0.1 else rng.randint(2, 4)
        unnamed = 0 if 0.1 <= kind < 0.3 else rng.randint(1 if named == 0 else 0, 3)
        people = [f"PS-{rng.randrange(devices * 2)}" for _ in range(rng.randint(1, 2))]
        for staff in [rng.choice(people) for _ in range(named)] + [""] * unnamed:
            at = start + timedelta(minutes=rng.randrange(120 * 24 * 60))
            keys.add((POLICY, staff, device))
            rows.append(
                (
                    f"uid-{len(rows)}",
                    "local",
                    staff and "Person",
                    staff,
                    "",
                    device,
                    "Pixel",
                    "{}",
                    POLICY,
                    "NZ",
                    "sha",
                    rng.choice(STATUSES),
                    at.date().isoformat(),
                    timestamp(at),
                    timestamp(at),
                    "",
                )
            )
    print(f"{devices:,} phones, {len(rows):,} audits, {len(keys):,} keys")
    return rows, sorted(keys)


def _fill(target: str, rows: list[tuple[object, ...]]) -> Any:
    """The audits written into a new history at `target` (a file or a team history's DSN),
    linked by the current rule; its open connection, as the store uses it."""
    conn: Any = Store(target)._db
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(_INSERT, rows)
    chains.recount(conn)
    conn.execute("COMMIT")
    if target.startswith("postgresql://"):
        conn.raw.execute("VACUUM (ANALYZE)")  # what autovacuum does shortly after a bulk load
    return conn


def _timed(conn: Any, work: Callable[[], None]) -> float:
    """Median of three runs, each in a transaction rolled back (so each starts alike)."""
    times = []
    for _ in range(3):
        conn.execute("BEGIN IMMEDIATE")
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
        conn.execute("ROLLBACK")
    return statistics.median(times)


def _measure(conn: Any, sample: list[chains.AuditChainKey], *, recount: bool) -> None:
    new_rule, new_relink = chains.COUNTED_STATUS, chains.relink_keys
    results: dict[str, dict[str, float]] = {}
    try:
        for name, rule, relink in (
            ("before v11 (baseline)", _OLD_COUNTED, _old_relink_keys),
            ("v11", new_rule, new_relink),
        ):
            chains.COUNTED_STATUS = rule
            chains.relink_keys = relink
            figures = results[name] = {}
            if recount:
                figures["recount"] = _timed(conn, lambda: chains.recount(conn))
            figures["relink 1,000 keys"] = _timed(conn, lambda: chains.relink_keys(conn, sample))
    finally:
        chains.COUNTED_STATUS, chains.relink_keys = new_rule, new_relink
    results["v11"]["v11 migration (relink_mixed)"] = _timed(conn, lambda: chains.relink_mixed(conn))
    for name, figures in results.items():
        print(f"  {name}")
        for what, seconds in figures.items():
            print(f"    {what:32s} {seconds * 1000:10.1f} ms")


def main() -> None:
    devices = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000
    rng = random.Random(7)
    rows, keys = _audits(devices, rng)
    sample = rng.sample(keys, min(1_000, len(keys)))
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite")
        conn = _fill(str(Path(tmp) / "bench.sqlite3"), rows)
        _measure(conn, sample, recount=True)
        conn.close()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from store import team_database, team_server  # bench/store.py

    server = team_server()
    if server is None:
        return
    try:
        print("PostgreSQL (team history; the server shares the bench's cores)")
        conn = _fill(team_database(server, "unnamed_rule"), rows)
        _measure(conn, sample, recount=False)
        conn.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
