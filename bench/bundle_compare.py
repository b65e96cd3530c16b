"""Two builds of the packaged app side by side, in the same run: sizes (archive and unpacked
folder), `--version` and `--help` times, and whether a start-up loads psycopg or libpq.

    .venv/bin/python bench/bundle_compare.py BEFORE.tar.gz AFTER.tar.gz [--runs 9]

Made for the team history's driver in the bundle (issue 18): BEFORE is a build without psycopg,
AFTER one with it. The two are run alternately so both see the same machine load; figures are
the median and the fastest of --runs runs. "Loads" counts the shared libraries the system's
loader reports (LD_DEBUG, Linux) for `--help`: psycopg's compiled modules and its libpq would
appear there if a start-up imported psycopg.
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


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def loaded(app: str, env: dict[str, str]) -> list[str]:
    """The shared libraries `app --help` initialises, as the loader names them."""
    done = subprocess.run(
        [app, "--help"],
        env={**env, "LD_DEBUG": "libs"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [
        line.split("calling init:", 1)[1].strip()
        for line in done.stderr.splitlines()
        if "calling init:" in line
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--runs", type=int, default=9)
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
        apps = {}
        for name in ("before", "after"):
            archive = getattr(args, name)
            with tarfile.open(archive) as packed:
                packed.extractall(Path(work) / name, filter="tar")
            bundle = Path(work) / name / "device-audit"
            apps[name] = str(bundle / "device-audit")
            print(
                f"{name:6}  {archive.name}: archive {archive.stat().st_size / 1e6:6.1f} MB, "
                f"unpacked {folder_size(bundle) / 1e6:6.1f} MB"
            )
        for app in apps.values():  # a first run of each, so neither pays for a cold disk cache
            timed([app, "--version"], env)
        runs: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.runs):
            for what in ("--version", "--help"):
                for name, app in apps.items():
                    runs.setdefault((name, what), []).append(timed([app, what], env))
        for what in ("--version", "--help"):
            line = [f"{what:9}"]
            for name in apps:
                values = runs[(name, what)]
                line.append(
                    f"{name} {statistics.median(values) * 1000:5.0f} ms "
                    f"(fastest {min(values) * 1000:4.0f})"
                )
            print("   ".join(line))
        if sys.platform.startswith("linux"):
            for name, app in apps.items():
                libraries = loaded(app, env)
                team = [lib for lib in libraries if "psycopg" in lib or "libpq" in lib]
                print(
                    f"{name:6}  --help loads {len(libraries)} shared libraries, "
                    f"psycopg or libpq among them: {', '.join(team) or 'none'}"
                )
        print(f"(medians of {args.runs} runs, alternating before and after)")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
