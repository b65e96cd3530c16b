"""Four benches importing into one team history at once (issue 18), as four real processes.

Each bench imports an overlapping half of the same receipts, in small batches so their writes
interleave, while this process reads the dashboard. Afterwards nothing is lost or stored twice,
every bench's report adds up, the running totals equal a recount (concurrent relinks of one
person's device would otherwise lose updates: research §3.3), and the dashboard, history and
export equal those of a SQLite history that imported the same receipts alone.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest

from audit.attestation import Signer, write_receipt
from audit.store import AuditSummary, ExportRow, HistoryFilter, ImportResult, Store
from audit.store.schema import recount
from tests.audit.store import factory as f

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")
pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DAY = date(2023, 3, 28)
RECEIPTS = 40
BENCHES = 4


def _make(folder: Path) -> list[Path]:
    """Two receipts per person and phone, on different days: chains that benches relink."""
    folder.mkdir()
    paths = []
    signers: dict[int, Signer] = {}
    for n in range(RECEIPTS):
        who = n // 2
        person = f.Person(f"Person {who}", f"PS-{who:04d}")
        signer = signers.setdefault(who, Signer.generate())
        outcome = (f.Outcome.CLEAN, f.Outcome.VIOLATION, f.Outcome.EXCEPTED)[n % 3]
        envelope = f.receipt(
            signer,
            f.phone(f"SERIAL{who:04d}"),
            person,
            outcome,
            day=DAY - timedelta(days=n % 5),
            exemption_expires=DAY + timedelta(days=30),
        )
        path = folder / f"r{n:04d}.json"
        write_receipt(envelope, path)
        paths.append(path)
    return paths


def _bench(target: str, paths: list[str]) -> tuple[int, int, int]:
    """One bench: its own process and connection, batches of 3 so the writes interleave."""
    with Store(target) as store:
        report = store.import_files([Path(p) for p in paths], batch_size=3, workers=0)
    results = [o.result for o in report.outcomes]
    return (
        results.count(ImportResult.IMPORTED),
        results.count(ImportResult.DUPLICATE),
        len(results),
    )


def _totals(store: Store) -> list[tuple[object, ...]]:
    with store._write() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                "SELECT policy_id, day, status, expires, delta FROM status_changes"
                " WHERE delta <> 0 ORDER BY 1, 2, 3, 4"
            ).fetchall()
        ]


def test_four_benches_at_once_lose_nothing_store_nothing_twice_and_count_right(
    postgres_dsn: str, tmp_path: Path
) -> None:
    paths = _make(tmp_path / "receipts")
    # Bench i takes receipts [10i, 10i + 20), wrapping: each receipt goes to two benches.
    slices = [
        [str(paths[(10 * i + k) % RECEIPTS]) for k in range(RECEIPTS // 2)] for i in range(BENCHES)
    ]
    Store(postgres_dsn).close()  # created once, as an administrator would
    seen: list[int] = []
    with Store(postgres_dsn) as reader:
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(BENCHES, mp_context=spawn) as pool:
            futures = [pool.submit(_bench, postgres_dsn, s) for s in slices]
            while not all(fut.done() for fut in futures):
                seen.append(reader.count(HistoryFilter(limit=None, unnamed_scans=True)))
            reports = [fut.result() for fut in futures]
    assert seen == sorted(seen)  # the history only ever grows while they write
    assert sum(r[0] for r in reports) == RECEIPTS  # each receipt imported by one bench
    assert sum(r[1] for r in reports) == RECEIPTS  # and a duplicate for the other
    assert all(r[2] == RECEIPTS // 2 for r in reports)

    with Store(postgres_dsn) as team, Store(tmp_path / "alone.sqlite3") as alone:
        alone.import_files(paths, workers=0)
        with psycopg.connect(postgres_dsn) as conn:
            assert conn.execute(
                "SELECT count(*), count(DISTINCT uid), count(DISTINCT payload_sha256)"
                " FROM attestations"
            ).fetchone() == (RECEIPTS, RECEIPTS, RECEIPTS)
            assert conn.execute("SELECT count(*) FROM audits").fetchone() == (RECEIPTS,)
        before = _totals(team)
        with team._write() as conn:
            recount(conn)
        assert _totals(team) == before
        assert team.dashboard(f.POLICY.id, DAY) == alone.dashboard(f.POLICY.id, DAY)
        everything = HistoryFilter(limit=None)
        assert _lines(team.history(everything)) == _lines(alone.history(everything))
        assert _rows(team.export_rows(today=DAY)) == _rows(alone.export_rows(today=DAY))


def _lines(audits: Sequence[AuditSummary]) -> list[tuple[object, ...]]:
    return sorted((a.uid, a.status, a.latest, a.person_name) for a in audits)


def _rows(rows: Sequence[ExportRow]) -> list[str]:
    # recorded_by: the team's logins, "" on SQLite (nobody checks a name there)
    skip = {"audit_id", "recorded_by"}
    return sorted(repr({k: v for k, v in vars(r).items() if k not in skip}) for r in rows)
