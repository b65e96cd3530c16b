"""Importing receipts into a team history (PostgreSQL) beside a bench's own (SQLite), with
where the time goes: the processor time the bench and the server spend per receipt.

    python bench/team_import.py [RECEIPTS] [ROUNDS]      (defaults 10,000 and 2)

Needs a PostgreSQL server: DEVICE_AUDIT_TEST_POSTGRES, or the distribution's binaries, which
tests/helpers/postgres.py starts privately as an unprivileged user, as bench/store.py does.
The same RECEIPTS signed receipts (bench/store.py's make_receipts) are imported into a new
history each time with Store.import_folder, verification included, rounds alternating SQLite
and PostgreSQL so that both meet the same load. Each line prints the rate (receipts per second)
and the processor time per receipt of this process with its verifying workers ("bench") and of
every server process ("server"), read from the kernel before and after: unlike the rate, these
barely change when other programs share the machine.

Two set-ups:
- shared: the bench and the server on the same cores (a laptop running its own server: the
  issue's target, "at least the SQLite figure", is judged on this line);
- own core: the bench (this process and its workers) pinned to the first core for SQLite and
  PostgreSQL alike, the server to the others, as a team whose server runs on a machine of its
  own. Linux only (sched_setaffinity); skipped on a machine with one core.
"""

from __future__ import annotations

import contextlib
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psutil
from store import make_receipts, team_database, team_server

from audit.store import Store
from audit.store.importer import default_workers


def _own_seconds() -> float:
    """Processor seconds of this process and of its workers that have ended."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ended.ru_utime + ended.ru_stime


def _server_seconds(postmaster: psutil.Process) -> float:
    """Processor seconds of the server: its processes running now and those that ended (a
    connection's process ends when it closes, and its time is added to the postmaster's)."""
    times = postmaster.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in postmaster.children(recursive=True):
        try:
            done = child.cpu_times()
        except psutil.Error:  # ended meanwhile: counted with the postmaster's children
            continue
        total += done.user + done.system
    return total


def _postmaster(team: Any) -> psutil.Process | None:
    if team.folder is None:
        return None  # an outside server: its processor time is not ours to read
    return psutil.Process(int((team.folder / "data" / "postmaster.pid").read_text().split()[0]))


def _pin(processes: list[psutil.Process], cores: list[int]) -> None:
    for process in processes:
        with contextlib.suppress(psutil.Error):  # ended meanwhile
            process.cpu_affinity(cores)


def _import(folder: Path, target: Path | str, workers: int, batch: int) -> float:
    with Store(target) as store:
        start = time.perf_counter()
        report = store.import_folder(folder, batch_size=batch, workers=workers)
        elapsed = time.perf_counter() - start
    assert report.refused == 0 and report.imported > 0, report.outcomes[0]
    return elapsed


def _settled(postmaster: psutil.Process, before: set[int]) -> None:
    """Wait until the connections this import opened have ended and the postmaster has
    collected them: only then is their processor time among its children's."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = {child.pid for child in postmaster.children()}
        if not now - before:
            return
        time.sleep(0.05)


def _line(label: str, count: int, run: Any, postmaster: psutil.Process | None) -> float:
    server, before = 0.0, set()
    if postmaster is not None:
        before = {child.pid for child in postmaster.children()}
        server = _server_seconds(postmaster)
    own = _own_seconds()
    elapsed = run()
    own = _own_seconds() - own
    if postmaster is not None:
        _settled(postmaster, before)
        server = _server_seconds(postmaster) - server
    print(
        f"  {label:<34} {count / elapsed:8,.0f}/s   bench {own / count * 1000:5.2f} ms"
        f"  server {server / count * 1000:5.2f} ms  per receipt",
        flush=True,
    )
    return count / elapsed


def main() -> None:
    receipts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    team = team_server()
    if team is None:
        return
    postmaster = _postmaster(team)
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    print(
        f"{receipts:,} receipts; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the start"
    )
    rates: dict[str, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            folder = work / "receipts"
            folder.mkdir()
            make_receipts(folder, receipts, random.Random(7))
            setups = [("shared", cores)]
            if len(cores) > 1 and postmaster is not None:
                setups.append(("own core", cores[:1]))
            for setup, mine in setups:
                print(f"{setup}:")
                server_cores = cores if setup == "shared" else cores[1:]
                if postmaster is not None:
                    _pin([postmaster, *postmaster.children(recursive=True)], server_cores)
                psutil.Process().cpu_affinity(mine)
                workers = default_workers(receipts)
                for batch in (1000,):
                    for n in range(rounds):
                        for name in ("SQLite", "PostgreSQL"):
                            target: Path | str = (
                                work / f"{setup}-{n}.sqlite3"
                                if name == "SQLite"
                                else team_database(team, f"b{n}_{len(mine)}")
                            )
                            label = f"{name}, {workers} workers, batch {batch:,}"
                            rate = _line(
                                label,
                                receipts,
                                lambda t=target, w=workers, b=batch: _import(folder, t, w, b),
                                postmaster if name == "PostgreSQL" else None,
                            )
                            rates.setdefault(f"{setup} {name}", []).append(rate)
                psutil.Process().cpu_affinity(cores)
    finally:
        team.stop()
    for setup in ("shared", "own core"):
        sqlite, pg = rates.get(f"{setup} SQLite"), rates.get(f"{setup} PostgreSQL")
        if sqlite and pg:
            mid_sqlite, mid_pg = statistics.median(sqlite), statistics.median(pg)
            verdict = "met" if mid_pg >= mid_sqlite and mid_pg > 1000 else "NOT MET"
            print(
                f"{setup}: PostgreSQL {mid_pg:,.0f}/s ({min(pg):,.0f}-{max(pg):,.0f}) against"
                f" SQLite {mid_sqlite:,.0f}/s ({min(sqlite):,.0f}-{max(sqlite):,.0f}), medians"
                f" of {len(pg)}; target (>= SQLite and > 1,000/s): {verdict}"
            )


if __name__ == "__main__":
    main()
