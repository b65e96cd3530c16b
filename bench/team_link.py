"""What the team history's answer deadline costs (audit/store/pg_link.py, issue 18).

Every wait for the server goes through pg_link's watchdog, so that a silent link cannot hang a
bench. This prints the time of one round trip (`SELECT 1`) through the store's own connection
with the deadline on and, in the same run on the same connection, off (the baseline), in
alternating rounds so a busy machine weighs on both alike.

    .venv/bin/python bench/team_link.py [--rounds 7] [--statements 2000]

Needs PostgreSQL: a private server is started from the distribution's binaries
(tests/helpers/postgres.py), or DEVICE_AUDIT_TEST_POSTGRES names one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.store import Store
from tests.helpers import postgres


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--statements", type=int, default=2000)
    args = parser.parse_args()
    server = postgres.start()
    if isinstance(server, str):
        print(f"no PostgreSQL server: {server}")
        return 1
    try:
        with Store(server.dsn()) as store:
            raw = store._db.raw  # type: ignore[attr-defined]
            limit = raw.answer_within

            def per_statement_us() -> float:
                start = time.perf_counter()
                for _ in range(args.statements):
                    raw.execute("SELECT 1").fetchone()
                return (time.perf_counter() - start) / args.statements * 1e6

            off: list[float] = []
            on: list[float] = []
            for _ in range(args.rounds):
                raw.answer_within = None
                off.append(per_statement_us())
                raw.answer_within = limit
                on.append(per_statement_us())
    finally:
        server.stop()
    base, watched = statistics.median(off), statistics.median(on)
    print(f"round trip, no deadline (baseline): {base:.1f} us (median of {args.rounds})")
    print(f"round trip, deadline {limit:.0f} s (watchdog): {watched:.1f} us")
    print(f"cost of the deadline: {watched - base:+.1f} us per statement")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
