"""What one iPhone inventory costs: one lockdown session (TLS over the pair record) and one
installation_proxy Browse with placeholders, beside the reference client doing the same.

Run: python bench/ios_scan.py [--runs N]

The simulated iPhone runs in its own process (`python -m tests.iossim`), as a real phone's work
does not share this process's CPU; its Browse costs 30 ms before the first chunk (the phone
reading its app records), 20-25 apps per chunk. Two phones: 56 apps (an ordinary phone, TikTok
offloaded) and 904 apps (many chunks).

Measured in the same run, against the same simulator:
- Device Audit (audit.sources.ios): scan_iphone, from finding the phone in usbmuxd's list to
  the inventory (identity read inside the session, every app with placeholders, mapped to
  InstalledApp): median wall time and this process's CPU per scan over N runs after a warm-up.
- The baseline, pymobiledevice3 (GPL-3.0-or-later, asyncio): create_using_usbmux (device list,
  QueryType, GetValue, pair record from usbmuxd, StartSession with TLS, GetValue again) and
  InstallationProxyService.browse with the same options and attributes; raw dicts, no mapping.
- Each client's import time in a fresh interpreter (median of 3), and what each adds to an
  installation: the packages of its dependency closure that the app does not already need, and
  their size on disk.
The pairing itself (RSA key generation, once per phone) is not in these figures: both clients
use the pair record usbmuxd already holds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.sources.ios.apps import ATTRIBUTES
from audit.sources.ios.scan import scan_iphone
from audit.sources.ios.usbmux import Usbmux
from audit.sources.ios.wire import parse_address

PROFILES = ("--profile", "tiktok-offloaded", "--profile", "large-list")
PHONES = {
    "56 apps": "00008120-000C45A21E38C01E",  # tiktok-offloaded
    "904 apps": "00008120-0011D2E3F4A5B01E",  # large-list
}


def start_simulator() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.iossim", *PROFILES],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def measure(run: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall seconds and mean CPU seconds of this process per run, after a warm-up."""
    run()
    walls, cpu = [], 0.0
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        run()
        walls.append(time.perf_counter() - t0)
        cpu += time.process_time() - c0
    return statistics.median(walls), cpu / runs


def ours(address: str, udid: str) -> Callable[[], object]:
    def run() -> object:
        scan = scan_iphone(udid, mux=Usbmux(parse_address(address)))
        assert scan.complete
        return scan

    return run


def reference(address: str, udid: str, records: Path) -> Callable[[], object]:
    from pymobiledevice3.lockdown import create_using_usbmux
    from pymobiledevice3.services.installation_proxy import InstallationProxyService

    async def session() -> object:
        lockdown = await create_using_usbmux(
            serial=udid,
            usbmux_address=address,
            autopair=False,
            pairing_records_cache_folder=records,
        )
        try:
            proxy = InstallationProxyService(lockdown=lockdown)
            found = await proxy.browse(
                {"ApplicationType": "Any", "ShowPlaceholders": True}, list(ATTRIBUTES)
            )
            await proxy.close()
            return found
        finally:
            await lockdown.close()

    return lambda: asyncio.run(session())


def import_time(statement: str) -> float:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], cwd=ROOT, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def closure(name: str) -> set[str]:
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop().lower().replace("_", "-")
        if current in seen:
            continue
        try:
            dist = metadata.distribution(current)
        except metadata.PackageNotFoundError:
            continue
        seen.add(current)
        for raw in dist.requires or []:
            req = Requirement(raw)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def size(names: set[str]) -> int:
    total = 0
    for name in names:
        for file in metadata.distribution(name).files or []:
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    try:
        import pymobiledevice3  # noqa: F401
    except ImportError:
        print("pymobiledevice3 is not installed: pip install pymobiledevice3 for the baseline")
        return 2
    process, address = start_simulator()
    try:
        print(f"Simulated usbmuxd at {address}; {args.runs} runs each, median after a warm-up\n")
        print(f"{'phone':<10} {'client':<28} {'wall ms':>9} {'CPU ms':>8}  speed")
        with tempfile.TemporaryDirectory() as records:
            for label, udid in PHONES.items():
                wall_o, cpu_o = measure(ours(address, udid), args.runs)
                wall_r, cpu_r = measure(reference(address, udid, Path(records)), args.runs)
                speed = f"{wall_r / wall_o:4.2f}x the baseline's"
                mine = f"{wall_o * 1000:>9.1f} {cpu_o * 1000:>8.1f}  {speed}"
                print(f"{label:<10} {'Device Audit (own client)':<28} {mine}")
                base = f"{wall_r * 1000:>9.1f} {cpu_r * 1000:>8.1f}"
                print(f"{'':<10} {'pymobiledevice3 (baseline)':<28} {base}")
    finally:
        process.terminate()
        process.wait()
    own = import_time("import audit.sources.ios.scan")
    ref = import_time(
        "import pymobiledevice3.lockdown, pymobiledevice3.services.installation_proxy"
    )
    print(
        f"\nImport in a fresh interpreter: Device Audit's client {own * 1000:.0f} ms, "
        f"pymobiledevice3 {ref * 1000:.0f} ms (python itself included)"
    )
    app = closure("device-audit")
    extra = closure("pymobiledevice3") - app
    print(
        f"pymobiledevice3 adds {len(extra)} packages ({size(extra) / 1e6:.0f} MB on disk) that "
        f"the app does not already need; Device Audit's client adds none."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
