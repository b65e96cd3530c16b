"""How fast the history imports receipts and answers the dashboard.

    python bench/store.py [RECEIPTS] [AUDITS]        (defaults 10,000 and 100,000)

Import: RECEIPTS signed receipts (one key, varied people, devices, outcomes and days; making them
is not timed) imported into a new history with Store.import_folder, verification included, as
attestations per second. For reference, in the same run: verify_file alone over the same files,
the import with one transaction per file (no batching), and with synchronous=NORMAL instead of
FULL (what durability costs).

Dashboard: AUDITS audits written straight into a history with executemany (people, devices,
statuses, exemptions and days spread over four months, 90% under one policy), the supersession
chain computed by the store's own relink; then each query is timed (median of several runs)
against a plain SELECT count(*) on the same database as the baseline.

Inventories (issue 14): the history keeps the inventory each audit was judged on, so a new
policy version can re-judge it (audit.store.rejudge). Same run, INVENTORIES phones of 300 apps:
recording local audits with the inventory held beside the same without it; importing their
receipts alone beside importing them and then holding their inventory files (a receipt carries
only its inventory's digest); then `Store.rejudge` after version 2 of the policy bans one more
app, as audits per second, beside evaluate() alone on the same inventories (the judging itself).

    python bench/store.py [RECEIPTS] [AUDITS] [INVENTORIES]      (third default 2,000)

Team history (issue 18): when a PostgreSQL server is at hand (DEVICE_AUDIT_TEST_POSTGRES, or
the distribution's binaries, which tests/helpers/postgres.py starts privately as an unprivileged
user), the same imports also go into a team history on it, and the dashboard's AUDITS are also
written there (then VACUUM ANALYZE, which autovacuum does shortly after a bulk load), each query
printed beside SQLite's. On a shared box the server takes the same cores as the bench, so its
import is the worst case for a team whose server has cores of its own.

The search (history(search=...), `LIKE '%word%'`) on PostgreSQL is also timed without its
trigram index (pg_schema.add_search_index), dropped for the measurement and made again.

Targets: import over 1,000 attestations/s; each dashboard query under 100 ms.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.attestation import Signer, verify_file, write_receipt
from audit.store import HistoryFilter, Store
from audit.store.db import transaction
from audit.store.importer import default_workers
from audit.store.schema import relink_keys
from tests.audit.store import factory as f

RUNS = 7
DEADLINE = date(2023, 3, 31)
TODAY = date(2023, 4, 20)


def make_receipts(folder: Path, count: int, rng: random.Random) -> None:
    """Each person signs with their own key, as staff do: one key signing for thousands of
    people is what the import flags (a key under two identities), not a day's work."""
    people = [f.Person(f"Person {n}", f"PS-{n:05d}") for n in range(max(1, count // 3))]
    keys: dict[str, Signer] = {}
    outcomes = list(f.Outcome)
    for n in range(count):
        person = rng.choice(people)
        signer = keys.setdefault(person.staff_id, Signer.generate())
        device = f.phone(f"{person.staff_id}-{rng.randint(1, 2)}", name=f"Phone {n}")
        outcome = rng.choices(outcomes, weights=(6, 1, 2, 1))[0]
        day = DEADLINE + timedelta(days=rng.randint(-30, 20))
        envelope = f.receipt(
            signer,
            device,
            person,
            outcome,
            day=day,
            technician=rng.choice(("", "", "Sam Lee")),
            exemption_expires=day + timedelta(days=rng.randint(10, 200)),
        )
        write_receipt(envelope, folder / f"receipt-{n:05d}.json")


def time_import(
    folder: Path,
    db: Path | str,
    *,
    batch_size: int = 250,
    normal: bool = False,
    workers: int | None = None,
) -> float:
    with Store(db) as store:
        if normal:
            store._db.execute("PRAGMA synchronous = NORMAL")
        start = time.perf_counter()
        report = store.import_folder(folder, batch_size=batch_size, workers=workers)
        elapsed = time.perf_counter() - start
        assert report.refused == 0, report.outcomes[0]
    return elapsed


def fill(targets: list[Path | str], count: int, rng: random.Random) -> None:
    """COUNT audits in bulk into each history; the chain (latest, until_day) is then computed
    by the store's own relink."""
    statuses = ["compliant", "compliant_with_exceptions", "non_compliant", "overdue", "incomplete"]
    weights = (60, 8, 15, 10, 7)
    people = max(1, count * 3 // 10)
    rows = []
    keys = set()
    first = DEADLINE - timedelta(days=90)
    for _ in range(count):
        staff = rng.randrange(people)
        device = f"android:S{staff:06d}-{rng.choice((1, 1, 1, 2))}"
        policy = "nz-parliament-2023" if rng.random() < 0.9 else "uk-gov-2023"
        day = first + timedelta(days=rng.randint(0, 110))
        at = datetime.combine(day, clock(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=UTC)
        status = rng.choices(statuses, weights)[0]
        expires = (
            (day + timedelta(days=rng.randint(5, 120))).isoformat()
            if status == "compliant_with_exceptions"
            else None
        )
        stamp = at.isoformat(timespec="microseconds")
        name = f"Person {staff}"
        keys.add((policy, f"PS-{staff:06d}", device))
        rows.append(
            (
                str(uuid.UUID(int=rng.getrandbits(128))),
                name,
                f"PS-{staff:06d}",
                device,
                f"Phone {staff}",
                json.dumps({"id": device, "kind": "android", "name": f"Phone {staff}"}),
                policy,
                DEADLINE.isoformat(),
                status,
                day.isoformat(),
                stamp,
                stamp,
                stamp,
                expires,
                f"{name}\nps-{staff:06d}\n\n{device}\nphone {staff}".casefold(),
            )
        )
    for db in targets:
        with Store(db) as store:
            with transaction(store._db) as conn:
                conn.executemany(
                    "INSERT INTO audits (uid, origin, person_name, staff_id, technician,"
                    " device_id, device_name, device_json, policy_id, policy_title,"
                    " policy_sha256, deadline, status, day, started_at, at, scanned_at,"
                    " exemption_expires, search) VALUES (?, 'local', ?, ?, '', ?, ?, ?, ?,"
                    " 'Policy', '', ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                relink_keys(conn, sorted(keys))
            if isinstance(db, str):  # what autovacuum does shortly after a bulk load
                store._db.raw.execute("VACUUM (ANALYZE)")  # type: ignore[attr-defined]


def team_server() -> Any:
    """A PostgreSQL server for the team-history figures, or None (said why)."""
    from tests.helpers import postgres

    try:
        import psycopg  # noqa: F401 - the team extra
    except ImportError:
        print("(no PostgreSQL figures: psycopg is not installed; pip install -e '.[team]')")
        return None
    found = postgres.start()
    if isinstance(found, str):
        print(f"(no PostgreSQL figures: {found})")
        return None
    return found


def team_database(server: Any, name: str) -> str:
    """A new database on the server (byte order, as SQLite compares), its DSN."""
    import psycopg

    with psycopg.connect(server.dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING UTF8 LOCALE 'C'")
    return str(server.dsn(name))


def median_ms(run: Callable[[], object]) -> float:
    run()  # warm the page cache once, as a dashboard refresh would find it
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _phones(work: Path, count: int) -> tuple[list[f.Person], list[Any], tuple[Path, Path]]:
    """COUNT people's phones of 300 apps judged under version 1; every tenth holds CapCut,
    which version 2 bans too."""
    from audit.policy import load_policy_file
    from tests.audit.store import rejudging as r

    apps = r.everyday_apps(299)
    people = [f.Person(f"Person {n}", f"PS-{n:05d}") for n in range(count)]
    files = r.policy_files(work / "policies")
    v1 = load_policy_file(files[0])
    judged = [
        r.judged(v1, f.phone(f"INV{n:05d}"), ((r.capcut(),) if n % 10 == 0 else ()) + apps)
        for n in range(count)
    ]
    return people, judged, files


def _no_hold(_conn: object, _scan: object) -> bool:
    return False


def _bench_recording(work: Path, people: list[f.Person], judged: list[Any], v1: Path) -> Path:
    """record_audit with and without the inventory held; returns the history with them."""
    from audit.store import writes

    def record_all(db: Path) -> float:
        with Store(db) as store:
            store.accept_policy(v1, by="Bench")
            start = time.perf_counter()
            for person, assessment in zip(people, judged, strict=True):
                store.record_audit([assessment], person_name=person.name, staff_id=person.staff_id)
            return time.perf_counter() - start

    held = writes.hold
    writes.hold = _no_hold  # the baseline: the store as it was before schema v8
    try:
        without = record_all(work / "inv-without.sqlite3")
    finally:
        writes.hold = held
    history = work / "inv-with.sqlite3"
    with_held = record_all(history)
    count = len(people)
    print(f"  record_audit, inventory not held         {count / without:10,.0f} audits/s")
    print(f"  record_audit, inventory held (v8)        {count / with_held:10,.0f} audits/s")
    with Store(history) as store:
        held_count, size = store._db.execute(
            "SELECT count(*), avg(length(blob)) FROM inventories"
        ).fetchone()
    print(f"  ({held_count:,} inventories held, {size:,.0f} bytes each on average, zlib)")
    return history


def _bench_import(work: Path, people: list[f.Person], judged: list[Any], v1: Path) -> None:
    """Importing the receipts alone, and then holding their inventory files too."""
    from audit.attestation import Attester, attest
    from audit.inventory import save

    folder, inventories = work / "inv-receipts", work / "inv-files"
    folder.mkdir()
    inventories.mkdir()
    for n, (person, assessment) in enumerate(zip(people, judged, strict=True)):
        envelope = attest(
            before=assessment,
            after=assessment,
            actions=(),
            attester=Attester(person.name, person.staff_id),
            statement_text=f.STATEMENT,
            signer=Signer.generate(),
            now=assessment.scan.finished_at + timedelta(minutes=1),
        )
        write_receipt(envelope, folder / f"r{n:05d}.json")
        save(assessment.scan, inventories / f"r{n:05d}.inventory.json")

    def import_all(db: Path, *, hold: bool) -> float:
        with Store(db) as store:
            store.accept_policy(v1, by="Bench")
            start = time.perf_counter()
            report = store.import_folder(folder, workers=0)
            if hold:
                kept = store.hold_inventories(sorted(inventories.iterdir()))
                assert all(k.held for k in kept), kept[0]
            assert report.imported == len(people), report.outcomes[0]
            return time.perf_counter() - start

    count = len(people)
    alone = import_all(work / "inv-import.sqlite3", hold=False)
    both = import_all(work / "inv-import-held.sqlite3", hold=True)
    print(f"  import_folder, receipts only             {count / alone:10,.0f} attestations/s")
    print(f"  import_folder + hold_inventories         {count / both:10,.0f} attestations/s")


def _bench_rejudge(history: Path, judged: list[Any], v2_file: Path) -> None:
    """Store.rejudge under version 2, beside evaluate() alone on the same inventories."""
    from audit.policy import evaluate, load_policy_file
    from tests.audit.store import rejudging as r

    v2 = load_policy_file(v2_file)
    count = len(judged)
    start = time.perf_counter()
    for assessment in judged:
        evaluate(assessment.scan, v2, (), day=r.LATER)
    judging = time.perf_counter() - start
    with Store(history) as store:
        store.accept_policy(v2_file, by="Bench")
        start = time.perf_counter()
        report, _ = store.rejudge(v2.id, today=r.LATER)
        elapsed = time.perf_counter() - start
        assert len(report.changed) == (count + 9) // 10, len(report.changed)
        start = time.perf_counter()
        again, _ = store.rejudge(v2.id, today=r.LATER)
        second = time.perf_counter() - start
    print(f"  baseline: evaluate() alone under v2      {count / judging:10,.0f} audits/s")
    print(
        f"  Store.rejudge under v2                   {count / elapsed:10,.0f} audits/s"
        f"  ({elapsed:.2f} s; {len(report.changed):,} now worse, recorded)"
    )
    print(
        f"  Store.rejudge again (nothing to add)     {len(again.verdicts) / second:10,.0f}"
        f" audits/s  ({second:.2f} s; {len(again.changed)} added)"
    )


def bench_inventories(work: Path, count: int) -> None:
    """Holding inventories and re-judging (module docstring); nothing when COUNT is 0."""
    if count <= 0:
        return
    people, judged, (v1, v2) = _phones(work, count)
    print(f"\nInventories: {count:,} phones of 300 apps (making them not timed)")
    history = _bench_recording(work, people, judged, v1)
    _bench_import(work, people, judged, v1)
    _bench_rejudge(history, judged, v2)


def main() -> None:
    receipts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    audits = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / "receipts"
        folder.mkdir()
        start = time.perf_counter()
        make_receipts(folder, receipts, rng)
        print(
            f"Import: {receipts:,} receipts made in {time.perf_counter() - start:.1f} s (not timed)"
        )
        paths = sorted(folder.iterdir())
        start = time.perf_counter()
        for path in paths:
            verify_file(path)
        verify = time.perf_counter() - start
        print(f"  verify_file alone, in this process       {receipts / verify:10,.0f} files/s")
        workers = default_workers(receipts)
        elapsed = time_import(folder, work / "import.sqlite3")
        rate = receipts / elapsed
        print(
            f"  import_folder ({workers} verifying workers) {rate:10,.0f} attestations/s"
            f"  ({elapsed:.2f} s; target > 1,000/s: {'met' if rate > 1000 else 'NOT MET'})"
        )
        alone = time_import(folder, work / "alone.sqlite3", workers=0)
        print(
            f"  same, verifying in this process only     {receipts / alone:10,.0f} attestations/s"
        )
        normal = time_import(folder, work / "normal.sqlite3", normal=True, workers=0)
        print(
            f"  same, and synchronous=NORMAL (not FULL)  {receipts / normal:10,.0f} attestations/s"
        )
        few = work / "few"
        few.mkdir()
        some = paths[:1000]
        for path in some:
            (few / path.name).write_bytes(path.read_bytes())
        single = time_import(few, work / "single.sqlite3", batch_size=1, workers=0)
        label = f"one transaction per file, {len(some):,} files"
        print(f"  {label:<40} {len(some) / single:10,.0f} attestations/s")
        team = team_server()
        try:
            targets = {"SQLite": str(work / "four.sqlite3")}
            seconds = {"SQLite": elapsed}
            if team is not None:
                seconds["PostgreSQL"] = bench_team_import(team, folder, receipts, workers)
                targets["PostgreSQL"] = team_database(team, "bench_four")
            bench_four_benches(folder, work, targets, seconds)
            bench_dashboard(work, audits, rng, team)
        finally:
            if team is not None:
                team.stop()
        bench_inventories(work, int(sys.argv[3]) if len(sys.argv) > 3 else 2_000)


BENCHES = 4


def _one_bench(target: str, folder: str) -> int:
    """One bench's import (a process of its own, as on a real bench); the receipts it added."""
    with Store(Path(target) if "://" not in target else target) as store:
        report = store.import_folder(Path(folder))
        assert report.refused == 0, report.outcomes[0]
        return report.imported


def bench_four_benches(
    folder: Path, work: Path, targets: dict[str, str], alone: dict[str, float]
) -> None:
    """BENCHES processes importing a share of the receipts each into one history at once, beside
    one process importing them all (`alone`, seconds, from the same run)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    paths = sorted(folder.iterdir())
    shares = []
    for index in range(BENCHES):
        share = work / f"bench-{index}"
        share.mkdir()
        for path in paths[index::BENCHES]:
            (share / path.name).write_bytes(path.read_bytes())
        shares.append(str(share))
    spawn = multiprocessing.get_context("spawn")
    for name, target in targets.items():
        start = time.perf_counter()
        with ProcessPoolExecutor(BENCHES, mp_context=spawn) as pool:
            added = sum(pool.map(_one_bench, [target] * BENCHES, shares))
        elapsed = time.perf_counter() - start
        assert added == len(paths), (name, added)
        print(
            f"  {name}: {BENCHES} benches x {len(paths) // BENCHES:,} at once"
            f"{'':<6}{len(paths) / elapsed:10,.0f} attestations/s"
            f"  (one process, same run: {len(paths) / alone[name]:,.0f}/s)"
        )


def bench_team_import(team: Any, folder: Path, receipts: int, workers: int) -> float:
    """The same import into a team history on PostgreSQL (module docstring)."""
    elapsed = time_import(folder, team_database(team, "bench_import"))
    rate = receipts / elapsed
    print(
        f"  PostgreSQL: import_folder ({workers} workers)  {rate:10,.0f} attestations/s"
        f"  ({elapsed:.2f} s; target > 1,000/s: {'met' if rate > 1000 else 'NOT MET'})"
    )
    alone = time_import(folder, team_database(team, "bench_alone"), workers=0)
    print(f"  PostgreSQL: verifying in this process    {receipts / alone:10,.0f} attestations/s")
    return elapsed


def bench_dashboard(work: Path, audits: int, rng: random.Random, team: Any) -> None:
    """The dashboard's queries over AUDITS audits, SQLite beside PostgreSQL when there is one."""
    db = work / "dashboard.sqlite3"
    targets: list[Path | str] = [db]
    if team is not None:
        targets.append(team_database(team, "bench_dashboard"))
    start = time.perf_counter()
    fill(targets, audits, rng)
    size = db.stat().st_size / 1e6
    print(
        f"\nDashboard: {audits:,} audits written in {time.perf_counter() - start:.1f} s "
        f"(not timed), SQLite file {size:.0f} MB; median of {RUNS} runs:"
    )
    figures = [dashboard_figures(Store(target)) for target in targets]
    names = ["SQLite", "PostgreSQL"][: len(figures)]
    print(f"  {'query':<42} " + "  ".join(f"{n + ' ms (x base)':>22}" for n in names))
    for row in zip(*figures, strict=True):
        label = row[0][0]
        cells = "  ".join(f"{ms:12.2f} ({ms / base:6.1f}x)" for _, ms, base in row)
        print(f"  {label:<42} {cells}")
    for name, rows in zip(names, figures, strict=True):
        worst = max(ms for label, ms, _ in rows if label.startswith("dashboard"))
        print(
            f"{name}: slowest dashboard query {worst:.1f} ms; target < 100 ms: "
            f"{'met' if worst < 100 else 'NOT MET'}"
        )
    if len(targets) > 1:
        bench_search_index(str(targets[1]))


def bench_search_index(target: str) -> None:
    """The history's search on PostgreSQL with its trigram index (pg_schema.add_search_index)
    beside the same search without it, in the same run."""
    import psycopg

    from audit.store.pg_schema import SEARCH_INDEX

    search = HistoryFilter(search="person 1234")
    with Store(target) as store:
        with_index = median_ms(lambda: store.history(search))
    with psycopg.connect(target, autocommit=True) as raw:
        had = raw.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'audits_search_trgm'")
        if had.fetchone() is None:
            print("  (PostgreSQL: no trigram index: pg_trgm is not available)")
            return
        raw.execute("DROP INDEX audits_search_trgm")
    try:
        with Store(target) as store:
            without = median_ms(lambda: store.history(search))
    finally:
        with psycopg.connect(target, autocommit=True) as raw:
            raw.execute(SEARCH_INDEX)
    print(
        f"  PostgreSQL history(search='person 1234'): {with_index:.1f} ms with the trigram"
        f" index, {without:.1f} ms without it (same run)"
    )


def dashboard_figures(opened: Store) -> list[tuple[str, float, float]]:
    """(query, median ms, baseline ms) for each query the dashboard and history views run."""
    with opened as store:
        conn = store._db
        baseline = median_ms(lambda: conn.execute("SELECT count(*) FROM audits").fetchone())
        policy = "nz-parliament-2023"
        queries: list[tuple[str, Callable[[], object]]] = [
            ("dashboard(policy), 30-day series", lambda: store.dashboard(policy, TODAY)),
            (
                "dashboard(policy), 120-day series",
                lambda: store.dashboard(policy, TODAY, series_days=120),
            ),
            ("dashboard(smaller policy)", lambda: store.dashboard("uk-gov-2023", TODAY)),
            ("history(), newest 200", store.history),
            (
                "history(search='person 1234')",
                lambda: store.history(HistoryFilter(search="person 1234")),
            ),
            (
                "history(person=staff id)",
                lambda: store.history(HistoryFilter(person="PS-001234")),
            ),
            (
                "count(overdue, latest only)",
                lambda: store.count(
                    HistoryFilter(statuses=frozenset({f.DeviceStatus.OVERDUE}), latest_only=True)
                ),
            ),
            ("policies()", store.policies),
            (
                "export_rows(policy) (not a dashboard query)",
                lambda: store.export_rows(policy_id=policy, today=TODAY),
            ),
        ]
        rows = [("baseline: SELECT count(*) FROM audits", baseline, baseline)]
        rows += [(label, median_ms(run), baseline) for label, run in queries]
        board = store.dashboard(policy, TODAY)
        print(f"  ({store.where}: the policy's people {board.counts.total:,}, {board.counts})")
        return rows


if __name__ == "__main__":
    main()
