"""What the network rule across a policy and its successor costs an import.

    python bench/network_rule.py [RECEIPTS]        (default 1,000)

RECEIPTS phones were each checked on a cable at the bench (TikTok found), then each person
hands in a clean receipt from the phone reached over the network. Three imports of the same
number of receipts into a copy of the same history, timed with Store.import_folder
(verification included), as receipts per second (the median of three interleaved runs):

- baseline: the receipts under nz-parliament-2023, the policy the bench checked under (the
  rule as it was: each receipt compared with the checks under its own policy id);
- successor: the receipts under nz-parliament-2025, which replaces it (audit.store.succession:
  the family's texts are read and each earlier check's findings matched against the receipt's
  policy);
- no bench check: the receipts under nz-parliament-2025 into a history with no check at all.

Every receipt of the first two must be held (the figures print how many were); the third must
hold none. Making the receipts and the bench checks is not timed.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.attestation import Signer, write_receipt
from audit.model import Connection, ConnectionKind, ScanResult
from audit.policy import evaluate, load_policy
from audit.store import Store
from audit.store.evidence import NETWORK_NOTE
from tests.audit.store import factory as f
from tests.helpers.nz_tiktok import phone_sources

OLD, NEW = "nz-parliament-2023", "nz-parliament-2025"
CABLE = Connection(ConnectionKind.USB, usb_path="1-1.2", model="Pixel_7")
WIFI = Connection(ConnectionKind.NETWORK, address="192.168.1.20:5555", model="Pixel_7")
RUNS = 3


def _people(count: int) -> list[f.Person]:
    return [f.Person(f"Person {n}", f"PS-{n:05d}") for n in range(count)]


def bench_history(db: Path, people: list[f.Person]) -> None:
    """One cabled check per phone under OLD, two hours ago, that found TikTok."""
    at = datetime.now(UTC) - timedelta(hours=2)
    policy = load_policy(OLD)
    with Store(db) as store:
        for person in people:
            scan = ScanResult(
                device=replace(f.phone(f"R{person.staff_id}"), connection=CABLE),
                started_at=at,
                finished_at=at + timedelta(seconds=20),
                apps=(f.tiktok(),),
                users=f.USERS,
                sources=phone_sources(),
            )
            judged = evaluate(scan, policy, day=at.date())
            store.record_audit([judged], person_name=person.name, staff_id=person.staff_id)


def receipts(folder: Path, people: list[f.Person], policy_id: str) -> None:
    folder.mkdir()
    policy = load_policy(policy_id)
    today = datetime.now(UTC).date()
    for person in people:
        envelope = f.receipt(
            Signer.generate(),  # each person's own key, as staff sign
            replace(f.phone(f"R{person.staff_id}"), connection=WIFI),
            person,
            f.Outcome.CLEAN,
            day=today,
            policy=policy,
        )
        write_receipt(envelope, folder / f"{person.staff_id}.json")


def timed_import(history: Path | None, folder: Path, db: Path) -> tuple[float, int]:
    """(seconds, receipts held by the network rule) of importing `folder` into a copy of
    `history` (or a new history)."""
    if history is not None:
        shutil.copyfile(history, db)
    with Store(db) as store:
        start = time.perf_counter()
        report = store.import_folder(folder)
        elapsed = time.perf_counter() - start
        assert report.refused == 0, report.outcomes[0]
        held = sum(1 for row in store.export_rows() if NETWORK_NOTE in row.trust_note)
    return elapsed, held


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    people = _people(count)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        history = work / "bench.sqlite3"
        bench_history(history, people)
        receipts(work / "old", people, OLD)
        receipts(work / "new", people, NEW)
        print(f"{count} phones checked on a cable under {OLD} (TikTok found), then")
        print(f"{count} receipts from phones reached over the network, imported:")
        runs = [
            ("baseline: under the same policy", history, work / "old"),
            ("under the policy that replaces it", history, work / "new"),
            ("under it, with no check before", None, work / "new"),
        ]
        times: dict[str, list[float]] = {label: [] for label, _base, _folder in runs}
        held: dict[str, int] = {}
        for turn in range(RUNS):  # interleaved, so a busy moment hits every figure alike
            for n, (label, base, receipts_folder) in enumerate(runs):
                db = work / f"run-{turn}-{n}.sqlite3"
                elapsed, held[label] = timed_import(base, receipts_folder, db)
                times[label].append(elapsed)
                db.unlink()
        for label, _base, _folder in runs:
            rate = count / statistics.median(times[label])
            print(f"  {label:<36} {rate:8.0f} receipts/s   held {held[label]}")
        print(f"(median of {RUNS} interleaved runs)")


if __name__ == "__main__":
    main()
