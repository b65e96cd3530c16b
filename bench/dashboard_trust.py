"""What the dashboard's trust counts cost (issue 13): one load of the window, and the audits
behind each count, beside the plain dashboard query the window made before them.

    python bench/dashboard_trust.py [AUDITS]        (default 100,000)

AUDITS audits are written straight into a history the way bench/store.py writes them (people,
devices, statuses, exemptions and days spread over four months, 90% under one policy; a third
of the latest audits witnessed, a third self-attested, the rest unsigned). Then, median of
several runs: the baseline is Store.dashboard(policy), what the window asked for before; one
window load now asks whether the policy wants witnessed receipts only, the dashboard, and the
"compliant, not witnessed" count; then the same with witnessed-only counting on, and the lists
behind the trust counts (the newest 200, as the window shows them).

Target: one window load under 100 ms, like each dashboard query of bench/store.py.
"""

from __future__ import annotations

import importlib.util
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.model import DeviceStatus
from audit.store import Store
from audit.store.behind import OLDER_VERSION, UNWITNESSED
from audit.store.db import transaction


def _bench_store() -> object:
    """bench/store.py's history filler and timer (loaded by path: `store` is a common name)."""
    spec = importlib.util.spec_from_file_location("bench_store", ROOT / "bench" / "store.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    audits = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    bench: object = _bench_store()
    fill, median_ms, today = bench.fill, bench.median_ms, bench.TODAY  # type: ignore[attr-defined]
    policy = "nz-parliament-2023"
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "trust.sqlite3"
        fill(db, audits, random.Random(7))
        with Store(db) as store, transaction(store._db) as conn:
            conn.execute(
                "UPDATE audits SET assurance = CASE id % 3 WHEN 0 THEN 'witnessed'"
                " WHEN 1 THEN 'self-attested' ELSE '' END"
            )
        with Store(db) as store:
            print(f"Dashboard trust counts: {audits:,} audits; median of {bench.RUNS} runs:")  # type: ignore[attr-defined]
            baseline = median_ms(lambda: store.dashboard(policy, today, witnessed_only=False))
            print(f"  baseline: dashboard(policy), as before     {baseline:8.2f} ms")

            def load(only: bool) -> object:
                asks = store.asks_witnessed(policy)
                board = store.dashboard(policy, today, witnessed_only=asks or only)
                if not board.witnessed_only:
                    store.unwitnessed_count(policy, today)
                return board

            worst = 0.0
            runs = [
                ("window load, every receipt", lambda: load(False)),
                ("window load, witnessed only", lambda: load(True)),
                ("asks_witnessed(policy)", lambda: store.asks_witnessed(policy)),
                ("unwitnessed_count(policy)", lambda: store.unwitnessed_count(policy, today)),
                (
                    "behind: compliant, not witnessed",
                    lambda: store.behind(policy, UNWITNESSED, today),
                ),
                ("behind: older version", lambda: store.behind(policy, OLDER_VERSION, today)),
                (
                    "behind: compliant, witnessed only",
                    lambda: store.behind(
                        policy, DeviceStatus.COMPLIANT.value, today, witnessed_only=True
                    ),
                ),
                (
                    "standing(compliant), as before",
                    lambda: store.standing(policy, DeviceStatus.COMPLIANT, today),
                ),
            ]
            for label, run in runs:
                ms = median_ms(run)
                if label.startswith("window"):
                    worst = max(worst, ms)
                print(f"  {label:<42} {ms:8.2f} ms  ({ms / baseline:5.1f}x baseline)")
            board = store.dashboard(policy, today, witnessed_only=True)
            print(f"  (witnessed only: {board.counts})")
            print(
                f"slowest window load {worst:.1f} ms; target < 100 ms: "
                f"{'met' if worst < 100 else 'NOT MET'}"
            )


if __name__ == "__main__":
    main()
