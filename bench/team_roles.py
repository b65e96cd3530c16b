"""What the team history's roles cost an import (issue 18, audit/store/pg_roles.py).

    python bench/team_roles.py [RECEIPTS] [ROUNDS]        (defaults 2,000 and 3)

The same RECEIPTS signed receipts (bench/store.py's make_receipts; making them is not timed)
imported into a fresh team history on a private PostgreSQL server, in interleaved rounds:
- baseline: the server's administrator, in a database without roles (no grant checks, no
  row-rule trigger);
- roles: a technician's own login, after `setup_roles` (grant checks and the "witnessed"
  trigger on every audit row).
Verification runs in this process (workers=0) in both, so the difference is the database's.
Best of ROUNDS, as attestations per second; on a shared box read the two side by side only.
"""

from __future__ import annotations

import random
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from store import make_receipts, team_database, team_server, time_import

from audit.store.pg_roles import add_person, setup_roles


def _technician(dsn: str) -> str:
    import psycopg.conninfo

    setup_roles(dsn)
    login, password = f"tech_{secrets.token_hex(3)}", secrets.token_hex(12)
    add_person(dsn, login, "technician", password)
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return f"postgresql://{login}:{password}@{params['host']}:{params['port']}/{params['dbname']}"


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    server = team_server()
    if server is None:
        return 1
    try:
        with tempfile.TemporaryDirectory() as work:
            folder = Path(work) / "receipts"
            folder.mkdir()
            make_receipts(folder, count, random.Random(7))
            best = {"baseline (administrator, no roles)": 0.0, "roles (technician login)": 0.0}
            for n in range(rounds):
                for name in list(best):
                    dsn = team_database(server, f"bench_roles_{n}_{len(name)}")
                    target = _technician(dsn) if name.startswith("roles") else dsn
                    rate = count / time_import(folder, target, workers=0)
                    best[name] = max(best[name], rate)
            print(f"Import of {count:,} receipts into a team history, best of {rounds}:")
            for name, rate in best.items():
                print(f"  {name:<36} {rate:8,.0f} attestations/s")
            base, roles = best.values()
            print(f"  roles / baseline: {roles / base:.2f}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
