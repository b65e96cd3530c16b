"""The packaged app against the source tree, in the same run: `--help` time, start to window
(offscreen, the first window exposed), the very first start after unpacking, and sizes.

    .venv/bin/python bench/bundle.py dist/device-audit-VERSION-linux-x86_64.tar.gz [--runs 5]

The baseline is this checkout run by this Python (`python main.py`), measured alternately with
the bundle so both see the same machine load. Figures are medians of --runs runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def to_window(command: list[str], env: dict[str, str]) -> float:
    """Seconds from starting the program to its main window being exposed."""
    start = time.time()
    done = subprocess.run(
        command,
        env={**env, "DEVICE_AUDIT_BENCH_STARTUP": "1", "QT_QPA_PLATFORM": "offscreen"},
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    for line in done.stdout.splitlines():
        if line.startswith("window-exposed "):
            return float(line.split()[1]) - start
    raise RuntimeError(f"no window-exposed line: {done.stdout!r} {done.stderr!r}")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        home = Path(work) / "home"
        home.mkdir()
        env = {
            **os.environ,
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
        }
        with tarfile.open(args.archive) as packed:
            packed.extractall(work, filter="tar")
        bundle = Path(work) / "device-audit"
        app = [str(bundle / "device-audit")]
        source = [sys.executable, str(ROOT / "main.py")]
        first = to_window(app, env)  # the very first start after unpacking
        runs: dict[str, list[float]] = {k: [] for k in ("bh", "sh", "bw", "sw")}
        for _ in range(args.runs):
            runs["bh"].append(timed([*app, "--help"], env))
            runs["sh"].append(timed([*source, "--help"], env))
            runs["bw"].append(to_window(app, env))
            runs["sw"].append(to_window(source, env))
        med = {k: statistics.median(v) * 1000 for k, v in runs.items()}
        low = {k: min(v) * 1000 for k, v in runs.items()}
        print(f"bundle: {args.archive.name}")
        print(f"  archive {args.archive.stat().st_size / 1e6:.0f} MB, unpacked "
              f"{folder_size(bundle) / 1e6:.0f} MB")  # fmt: skip
        for key, what in (("h", "--help         "), ("w", "start to window")):
            print(
                f"  {what} bundle {med['b' + key]:5.0f} ms (fastest {low['b' + key]:5.0f})   "
                f"source tree {med['s' + key]:5.0f} ms (fastest {low['s' + key]:5.0f})"
            )
        print(f"  first start to window after unpacking: {first * 1000:.0f} ms")
        print(f"  (medians of {args.runs} runs, offscreen, alternating bundle and source)")
        print(f"  load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
