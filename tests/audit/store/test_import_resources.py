"""An import holds a bounded part of its folder in memory, and its worker processes end with it
however it ends (a killed import left three workers running)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import psutil
import pytest

from audit.store import ImportResult, Store, intake

ROOT = Path(__file__).resolve().parents[3]


def test_an_import_of_big_junk_files_reads_them_a_few_at_a_time(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    junk = b"{" + b" " * (2 * 1024 * 1024)  # 2 MB that is not a receipt
    for index in range(24):  # 48 MB in all
        (folder / f"{index:02d}.json").write_bytes(junk)
    monkeypatch.setattr(intake, "BATCH_BYTES", 4 * 1024 * 1024)
    tracemalloc.start()
    try:
        report = store.import_folder(folder, workers=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [o.result for o in report.outcomes] == [ImportResult.REFUSED] * 24
    assert peak < 20 * 1024 * 1024, peak  # a whole batch would be 48 MB


WORKERS = """
    import json, sys
    import psutil
    from audit.store.intake import worker_pool

    if __name__ == "__main__":
        pool = worker_pool(2)
        list(pool.map(abs, range(20)))
        children = psutil.Process().children(recursive=True)
        print(json.dumps([c.pid for c in children]), flush=True)
        sys.stdin.read()  # an import in progress, until it is killed
"""


@pytest.mark.timeout(120)
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_the_workers_of_a_killed_import_end_with_it(tmp_path: Path) -> None:
    script = tmp_path / "importing.py"
    script.write_text(textwrap.dedent(WORKERS))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env=env,
    ) as importing:
        assert importing.stdout is not None
        pids = json.loads(importing.stdout.readline())
        workers = [psutil.Process(pid) for pid in pids]
        assert len(workers) >= 2
        importing.kill()
    _, alive = psutil.wait_procs(workers, timeout=60)
    for process in alive:
        process.kill()
    assert alive == []
