"""How fast a bench's history moves into a team history on PostgreSQL (issue 18).

    python bench/move.py [AUDITS]        (default 2,000)

A bench history (SQLite) of AUDITS whole local audits (first scan, actions, rescan, signed
receipt; one phone each, so one stored inventory per scan) is moved into a new team history on
a private PostgreSQL server (tests/helpers/postgres.py), as `history move-to` and `history send`
do (audit.store.move.move_history). Printed, all in the same run, as audits per second:

- baseline: importing the same receipts as files into a new team history (the import's path,
  which the move does not share);
- the move without its inventories (audit.store.inventories.copy_inventories switched off for
  the measurement), then the move as shipped, inventories included (what moving them costs);
- moving again into the history that holds everything (each audit "already there", decided by
  the UNIQUE constraint on its uid);
- completing: the same audits moved again after the team history was given only their first
  scan (as when `remove` reached the server and `attest` went to the outbox).

Making the audits is not timed. On a shared box the server takes the same cores as the bench.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from datetime import date

from audit.attestation import Signer, write_receipt
from audit.store import Store, move
from audit.workflow.history import new_uid
from bench.store import team_database, team_server
from tests.audit.store import factory as f

DAY = date.today()


def make_bench(path: Path, receipts: Path, count: int) -> list[tuple[str, object]]:
    """`count` whole audits in a bench history, their receipts as files; returns each audit's
    uid and first scan (for the completing figure)."""
    receipts.mkdir()
    firsts = []
    with Store(path) as store:
        for n in range(count):
            person = f.Person(f"Person {n}", f"PS-{n:05d}")
            device = f.phone(f"BENCH{n:05d}")
            before, after, actions = f.audit_inputs(device, person, f.Outcome.CLEAN, day=DAY)
            envelope = f.receipt(Signer.generate(), device, person, f.Outcome.CLEAN, day=DAY)
            write_receipt(envelope, receipts / f"r{n:05d}.json")
            uid = new_uid()
            store.record_audit(
                [before, after],
                actions,
                person_name=person.name,
                staff_id=person.staff_id,
                envelope=envelope,
                uid=uid,
            )
            firsts.append((uid, before))
    return firsts


def timed_move(bench: Path, target: str) -> tuple[float, move.MoveReport]:
    with Store(bench, read_only=True) as source, Store(target) as team:
        start = time.perf_counter()
        report = move.move_history(source, team)
        return time.perf_counter() - start, report


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    server = team_server()
    if server is None:
        return
    try:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            bench = work / "bench.sqlite3"
            firsts = make_bench(bench, work / "receipts", count)
            rate = {}

            target = team_database(server, "move_import")
            with Store(target) as team:
                start = time.perf_counter()
                team.import_folder(work / "receipts")
                rate["import the receipts (baseline)"] = count / (time.perf_counter() - start)

            shipped = move.copy_inventories
            move.copy_inventories = lambda _s, _t, _ids: (0, 0)  # type: ignore[assignment]
            try:
                seconds, _report = timed_move(bench, team_database(server, "move_bare"))
            finally:
                move.copy_inventories = shipped
            rate["move, inventories left behind"] = count / seconds

            target = team_database(server, "move_all")
            seconds, report = timed_move(bench, target)
            assert report.moved == count and report.rows.get("inventories", 0) > 0, report
            rate["move, inventories with them"] = count / seconds
            seconds, report = timed_move(bench, target)
            assert report.already_there == count, report
            rate["move again (all already there)"] = count / seconds

            target = team_database(server, "move_complete")
            with Store(target) as team:
                for uid, first in firsts:
                    team.record_audit([first], uid=uid)  # type: ignore[list-item]
            seconds, report = timed_move(bench, target)
            assert report.completed == count, report
            rate["move completing audits held in part"] = count / seconds

            print(f"Moving {count:,} audits into PostgreSQL (audits/s):")
            for what, per_second in rate.items():
                print(f"  {what:<42} {per_second:>9,.0f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
