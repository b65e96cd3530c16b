"""What a scan of this computer costs, against `dpkg-query -W` measured in the same run.

Run: python bench/local_scan.py [RUNS]

Measured, each as the median of RUNS runs (default 21), baseline and scan interleaved so that
both see the same machine load:
- The whole local scan of this machine (`scan_local()`: identity, every collector for this OS,
  running processes), in process, against `dpkg-query -W` listing the same dpkg database.
- The same on a generated database of 1,000 packages (the issue's yardstick; built from this
  machine's stanzas, or from the test fixture without dpkg), with `dpkg-query --admindir`
  pointed at it, so both read the same 1,000 packages.
- The dpkg collector alone, and `device-audit scan --local --json FILE` as a whole command
  (Python start-up and imports included) for reference.

Targets (issue 4): the whole scan within 3x of dpkg-query, and under 200 ms for ~1,000 packages.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from audit.model import Platform
from audit.sources.local import LocalRoots, default_roots, scan_local
from audit.sources.local.linux_dpkg import INFO_DIR, STATUS_FILE, DpkgCollector

FIXTURE_STATUS = Path(__file__).resolve().parent.parent / "tests/audit/local/fixtures/dpkg-status"
GENERATED_PACKAGES = 1000


def median_ms(runs: int, *jobs: Callable[[], object]) -> list[float]:
    """Run the jobs in turn `runs` times (after one warm-up each); each one's median in ms."""
    for job in jobs:
        job()
    times: list[list[float]] = [[] for _ in jobs]
    for _ in range(runs):
        for index, job in enumerate(jobs):
            start = time.perf_counter()
            job()
            times[index].append((time.perf_counter() - start) * 1000)
    return [statistics.median(t) for t in times]


def dpkg_query(admindir: str | None = None) -> Callable[[], object]:
    argv = ["dpkg-query", "-W"]
    if admindir:
        argv.insert(1, f"--admindir={admindir}")

    def run() -> object:
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)

    return run


def generated_tree(folder: Path, count: int) -> LocalRoots:
    """A root with a dpkg database of `count` packages made from real stanzas, renamed."""
    source = Path(STATUS_FILE)
    text = (source if source.exists() else FIXTURE_STATUS).read_text(encoding="utf-8")
    stanzas = [s for s in text.split("\n\n") if "\nStatus: install ok installed" in s]
    admin = folder / STATUS_FILE.lstrip("/")
    info = folder / INFO_DIR.lstrip("/")
    info.mkdir(parents=True)
    out = []
    for index in range(count):
        stanza = stanzas[index % len(stanzas)]
        name = stanza.split("\n", 1)[0].removeprefix("Package: ")
        renamed = f"{name}-{index}"
        out.append(stanza.replace(f"Package: {name}\n", f"Package: {renamed}\n", 1))
        (info / f"{renamed}.list").write_text("/.\n")
    admin.write_text("\n\n".join(out) + "\n\n", encoding="utf-8")
    for name in ("available", "diversions", "statoverride"):
        (admin.parent / name).touch()
    (admin.parent / "updates").mkdir()
    # Only the Linux collectors, on this tree; processes are this machine's.
    return LocalRoots(platform=Platform.LINUX, root=folder, home=folder / "home", user="bench")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    roots = default_roots()
    have_dpkg = shutil.which("dpkg-query") is not None and Path(STATUS_FILE).exists()
    scan = scan_local(roots=roots)
    debs = sum(1 for a in scan.apps if a.collector == "dpkg")
    print(
        f"This machine: {sys.platform}, {os.cpu_count()} CPUs, {len(scan.apps)} apps "
        f"({debs} dpkg packages), {len(scan.processes)} processes; median of {runs} runs"
    )
    for source in scan.sources:
        print(f"  {source.name:<28} {source.status.value:<8} {source.count:>5} {source.detail}")
    print()

    if have_dpkg:
        scan_ms, dpkg_ms, collector_ms = median_ms(
            runs,
            lambda: scan_local(roots=roots),
            dpkg_query(),
            lambda: DpkgCollector().collect(roots),
        )
        print(f"dpkg-query -W (baseline)            {dpkg_ms:8.1f} ms")
        print(f"dpkg collector alone                {collector_ms:8.1f} ms")
        print(
            f"whole local scan                    {scan_ms:8.1f} ms  "
            f"= {scan_ms / dpkg_ms:.1f}x baseline (target <= 3x)"
        )
    else:
        (scan_ms,) = median_ms(runs, lambda: scan_local(roots=roots))
        print(f"whole local scan                    {scan_ms:8.1f} ms  (no dpkg: no baseline)")

    with tempfile.TemporaryDirectory() as folder:
        tree = generated_tree(Path(folder), GENERATED_PACKAGES)
        admindir = str(tree.path("/var/lib/dpkg"))
        jobs: list[Callable[[], object]] = [lambda: scan_local(roots=tree)]
        if have_dpkg:
            jobs.append(dpkg_query(admindir))
        results = median_ms(runs, *jobs)
        count = sum(1 for a in scan_local(roots=tree).apps if a.collector == "dpkg")
        print()
        print(f"Generated database of {count} packages:")
        if have_dpkg:
            print(f"dpkg-query --admindir -W (baseline) {results[1]:8.1f} ms")
        line = f"whole local scan                    {results[0]:8.1f} ms  (target < 200 ms"
        if have_dpkg:
            line += f"; {results[0] / results[1]:.1f}x baseline"
        print(line + ")")

    with tempfile.TemporaryDirectory() as folder:
        target = str(Path(folder) / "inventory.json")
        command = [sys.executable, "-c", "import main, sys; sys.exit(main.main())"]
        command += ["scan", "--local", "--json", target]

        def whole_command() -> object:
            return subprocess.run(command, stdout=subprocess.DEVNULL, check=False)

        (command_ms,) = median_ms(max(3, runs // 4), whole_command)
        print()
        print(
            f"device-audit scan --local --json FILE, whole process: {command_ms:.0f} ms "
            "(Python start-up and imports included)"
        )


if __name__ == "__main__":
    main()
