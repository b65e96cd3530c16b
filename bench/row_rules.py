"""What the team history's row rules cost (issue 18, audit/store/pg_rules.py).

    python bench/row_rules.py [RECEIPTS] [AUDITS] [ROUNDS]     (defaults 5,000, 300 and 3)

Same run, same server, same receipts: the import of RECEIPTS signed receipts into a team history
without the rules (its schema only, written by the server's administrator: the baseline) and
into one with the roles and row rules set up (`team roles`), written by a technician's login,
as attestations per second (verified in this process, workers=0, so the difference is the
database's, as in bench/team_roles.py); then AUDITS local audits recorded one at a time (one
transaction each: what a bench pays per audit), as milliseconds per audit. ROUNDS alternate
the two, so a noisy neighbour on a shared box hits both alike; the median is printed.

Needs a PostgreSQL server: DEVICE_AUDIT_TEST_POSTGRES, or the distribution's binaries, which
tests/helpers/postgres.py starts privately (bench/store.py's team_server).
"""

from __future__ import annotations

import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from store import make_receipts, team_database, team_server, time_import

from audit.store import Store
from audit.store.pg_roles import add_person, setup_roles
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)


def _with_rules(server: Any, name: str) -> str:
    """A history with the roles and row rules, and a technician's address on it."""
    import psycopg

    admin = team_database(server, name)
    setup_roles(admin)
    login, password = f"tech_{secrets.token_hex(3)}", secrets.token_hex(12)
    add_person(admin, login, "technician", password)
    params = psycopg.conninfo.conninfo_to_dict(admin)
    return f"postgresql://{login}:{password}@{params['host']}:{params['port']}/{name}"


def _record(target: str, count: int) -> float:
    """Milliseconds per audit, each recorded in its own transaction."""
    with Store(target) as store:
        start = time.perf_counter()
        for n in range(count):
            person = f.Person(f"Person {n}", f"PS-{n:05d}")
            outcome = (f.Outcome.CLEAN, f.Outcome.VIOLATION)[n % 2]
            first, rescan, actions = f.audit_inputs(f.phone(f"S{n:05d}"), person, outcome, day=DAY)
            store.record_audit(
                [first, rescan], actions, person_name=person.name, staff_id=person.staff_id
            )
        return (time.perf_counter() - start) * 1000 / count


def main() -> None:
    receipts = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    audits = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    server = team_server()
    if server is None:
        return
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "receipts"
            folder.mkdir()
            make_receipts(folder, receipts, random.Random(18))
            imports: dict[str, list[float]] = {"without": [], "with": []}
            records: dict[str, list[float]] = {"without": [], "with": []}
            for round_ in range(rounds):
                order = ("without", "with") if round_ % 2 == 0 else ("with", "without")
                for kind in order:

                    def target(name: str, kind: str = kind) -> str:
                        if kind == "with":
                            return _with_rules(server, name)
                        return team_database(server, name)

                    seconds = time_import(folder, target(f"imp_{kind}"), workers=0)
                    imports[kind].append(receipts / seconds)
                    records[kind].append(_record(target(f"rec_{kind}"), audits))
    finally:
        server.stop()
    print(f"Team history row rules, {rounds} rounds alternated, medians (same run):")
    base, rules = statistics.median(imports["without"]), statistics.median(imports["with"])
    print(
        f"  import of {receipts:,} receipts:  without rules {base:8,.0f}/s"
        f"   with rules (technician) {rules:8,.0f}/s   ({(rules / base - 1) * 100:+.0f}%)"
    )
    base, rules = statistics.median(records["without"]), statistics.median(records["with"])
    print(
        f"  one audit per transaction ({audits}):  without rules {base:6.1f} ms"
        f"   with rules (technician) {rules:6.1f} ms   ({(rules / base - 1) * 100:+.0f}%)"
    )


if __name__ == "__main__":
    main()
