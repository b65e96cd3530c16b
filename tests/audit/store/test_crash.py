"""Nothing committed is ever lost: a writer killed at random points leaves an intact history
holding every audit it reported as committed, and no half-written audit."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from audit.store import Store

ROOT = Path(__file__).resolve().parents[3]

# Records audits in a loop; prints each id only after record_audit (one transaction) returned.
WRITER = """
import sys
from datetime import date, timedelta
from audit.store import Store
from tests.audit.store import factory as f

store = Store(sys.argv[1])
day = date(2023, 3, 1)
for n in range(1_000_000):
    device = f.phone(f"CRASH{n % 50}")
    outcome = list(f.Outcome)[n % 4]
    before, after, actions = f.audit_inputs(device, f.AROHA, outcome, day=day + timedelta(n % 60))
    audit_id = store.record_audit(
        [before, after], actions, person_name=f.AROHA.name, staff_id=f.AROHA.staff_id
    )
    print(audit_id, flush=True)
"""


def test_a_killed_writer_loses_nothing_it_committed(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    rng = random.Random(20230331)
    committed: set[int] = set()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _round in range(4):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert child.stdout is not None and child.stderr is not None
        wanted = rng.randint(1, 40)
        for _ in range(wanted):
            line = child.stdout.readline()
            assert line, f"the writer stopped early: {child.stderr.read()}"
            committed.add(int(line))
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate(timeout=60)
        committed.update(int(line) for line in rest.split())  # printed before it died
        assert child.returncode == -signal.SIGKILL

        with Store(db) as store:
            assert store.integrity_check() == "ok"
            conn = store._db
            stored = {row[0] for row in conn.execute("SELECT id FROM audits")}
            assert committed <= stored
            # Every audit is whole: the transaction that was cut short left nothing behind.
            half = conn.execute(
                "SELECT a.id FROM audits a WHERE a.status IS NULL"
                " OR (SELECT count(*) FROM scans s WHERE s.audit_id = a.id) != 2"
            ).fetchall()
            assert half == []
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert len(committed) >= 4
