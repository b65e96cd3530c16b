"""Nothing committed is ever lost: a writer killed at random points leaves an intact history
holding every audit it reported as committed, and no half-written audit; so does an import of
receipts killed mid-way, which importing again then finishes."""

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


# Imports a folder of receipts a few files at a time (several batches per call, each its own
# transaction); prints the receipt ids of a call only after it returned, so every id printed
# was committed.
IMPORTER = """
import sys
from pathlib import Path
from audit.store import Store, ImportResult

store = Store(sys.argv[1])
files = sorted(Path(sys.argv[2]).iterdir())
for start in range(0, len(files), 12):
    report = store.import_files(files[start : start + 12], batch_size=4)
    for outcome in report.outcomes:
        if outcome.result is ImportResult.REFUSED:
            sys.exit(f"refused {outcome.path.name}: {outcome.reason}")
        print(outcome.attestation_id, flush=True)
print("done", flush=True)
"""


def test_an_import_killed_at_random_points_loses_no_receipt_it_committed(tmp_path: Path) -> None:
    from datetime import date, timedelta

    from audit.attestation import Signer, write_receipt
    from tests.audit.store import factory as f

    folder = tmp_path / "receipts"
    folder.mkdir()
    signer = Signer.generate()
    for n in range(240):
        envelope = f.receipt(
            signer,
            f.phone(f"IMP{n}"),
            f.AROHA,
            list(f.Outcome)[n % 4],
            day=date(2023, 3, 1) + timedelta(n % 40),
        )
        write_receipt(envelope, folder / f"receipt-{n:03}.json")
    db = tmp_path / "history.sqlite3"
    rng = random.Random(20230328)
    committed: set[str] = set()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = 0
    for _round in range(5):
        child = subprocess.Popen(
            [sys.executable, "-c", IMPORTER, str(db), str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert child.stdout is not None and child.stderr is not None
        # Up to a few calls past what the earlier rounds imported: killed mid-way through new
        # batches, not while skipping duplicates.
        wanted = len(committed) + rng.randint(1, 30)
        finished = False
        for _ in range(wanted):
            line = child.stdout.readline().strip()
            assert line, f"the importer stopped early: {child.stderr.read()}"
            if line == "done":
                finished = True
                break
            committed.add(line)
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate(timeout=60)
        committed.update(line for line in rest.split() if line != "done")
        killed += child.returncode == -signal.SIGKILL and not finished

        with Store(db) as store:
            assert store.integrity_check() == "ok"
            conn = store._db
            stored = {row[0] for row in conn.execute("SELECT uid FROM attestations")}
            assert committed <= stored
            # Every imported receipt is whole: its audit, both scans, its key.
            assert conn.execute(
                "SELECT count(*) FROM attestations t JOIN audits a ON a.id = t.audit_id"
                " WHERE a.status IS NOT NULL"
                " AND (SELECT count(*) FROM scans s WHERE s.audit_id = a.id) = 2"
            ).fetchone()[0] == len(stored)
            assert conn.execute("SELECT count(*) FROM audits").fetchone()[0] == len(stored)
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            assert [k.identity for k in store.trusted_keys()] == [f.AROHA.staff_id]
    assert killed >= 3 and len(committed) >= 5
    # Importing again finishes the job: nothing refused, nothing twice.
    with Store(db) as store:
        report = store.import_folder(folder)
        assert report.refused == 0
        assert report.imported + report.duplicates == 240
        assert report.duplicates >= len(committed)
        assert store.count() == 240
