"""What a phone inventory costs: shell commands, bytes and time, against a per-package baseline.

Run: python bench/android_scan.py

Everything goes through the real adb server (adbutils' bundled binary, on a private port that is
stopped afterwards) to simulated phones on loopback, each in its own process
(`python -m audit.phonesim`), as a real phone's work does not share this process's CPU. The
phone has about 350 packages and two users (owner and work profile) and answers each command
after 0, 5 or 50 ms, standing in for a fast phone on USB, a typical one, and a slow one on a hub.

Measured in the same run:
- Device Audit's scan (scan_phone): the combined commands for identity, users and every user's
  package lists.
- The baseline: one `pm list packages` and then one `dumpsys package <name>` per package, as
  MVT's check-adb did (its other per-package commands, `pm path` and four hashes per APK, are
  left out, which flatters the baseline).
- Eight phones scanned at once, each on its own worker thread, against one phone alone.

Targets (issue 3): at most 2 + 3·U commands; at least 50x faster than the baseline at 5 ms;
eight phones in under twice the time of one.
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from audit.phonesim import SimulatedPhone
from audit.sources.android import commands
from audit.sources.android.connection import Adb
from audit.sources.android.parsers import decode_output, parse_package_list
from audit.sources.android.scan import scan_phones, scan_with_shell
from audit.sources.android.shell import AdbShell

T = TypeVar("T")

LATENCIES_MS = (0, 5, 50)
AT_ONCE_LATENCIES_MS = (5, 50)
PHONES_AT_ONCE = 8
USERS = 2

PROFILE: dict[str, Any] = {
    "id": "bench-350",
    "description": "A Samsung-like phone with about 350 packages and a work profile",
    "properties": {
        "ro.product.manufacturer": "samsung",
        "ro.product.model": "SM-S911B",
        "ro.build.version.release": "14",
        "ro.build.version.sdk": "34",
        "ro.build.fingerprint": (
            "samsung/dm1qxxx/dm1q:14/UP1A.231005.007/S911BXXU3BWK5:user/release-keys"
        ),
        "persist.sys.timezone": "Pacific/Auckland",
    },
    "users": [
        {"id": 0, "name": "Owner", "flags": "0x4c13", "kind": "owner"},
        {
            "id": 10,
            "name": "Work profile",
            "flags": "0x1030",
            "kind": "work_profile",
            "parent": 0,
            "profile_owner": "com.google.android.apps.work.clouddpc/.receivers.Receiver",
        },
    ],
    "base": {
        "sets": ["aosp", "google", "samsung"],
        "updated": ["google_updated", "samsung_updated"],
        "fill": ["samsung"],
        "fill_to": 318,
        "share": {"10": 0.4},
        "third_party": {"0": 28, "10": 4},
        "seed": 7,
    },
    "packages": [
        {
            "package": "com.zhiliaoapp.musically",
            "label": "TikTok",
            "installer": "com.android.vending",
            "users": {"10": "installed"},
        },
        {
            "package": "com.google.android.apps.work.clouddpc",
            "installer": "com.android.vending",
            "protected": True,
            "users": {"10": "installed"},
        },
    ],
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PhoneProcess:
    """A simulated phone served by its own Python process."""

    def __init__(self, profile: Path, latency_ms: float) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "audit.phonesim",
                "--profile",
                str(profile),
                "--latency-ms",
                str(latency_ms),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        self.address = f"127.0.0.1:{int(self.process.stdout.readline())}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@contextmanager
def phones(adb: Adb, profile: Path, latency_ms: float, count: int) -> Iterator[list[str]]:
    """`count` phones in their own processes, plugged in; their serials."""
    started = [PhoneProcess(profile, latency_ms) for _ in range(count)]
    try:
        for phone in started:
            plug_in(adb, phone.address)
        yield [phone.address for phone in started]
    finally:
        for phone in started:
            adb.disconnect_device(phone.address)
            phone.stop()


def plug_in(adb: Adb, address: str) -> None:
    """`adb connect` and wait until the server lists the phone as a device."""
    adb.connect_device(address)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(s == address and st == "device" for s, st, _ in adb.devices()):
            return
        time.sleep(0.02)
    raise RuntimeError(f"the simulated phone {address} did not come online")


def timed(function: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def ours(adb: Adb, serial: str) -> tuple[float, int, int, float]:
    """(seconds, shell commands, bytes received, this process's CPU seconds) for one scan."""
    shell = AdbShell(adb, serial)
    cpu = time.process_time()
    seconds, scan = timed(lambda: scan_with_shell(shell, serial))
    cpu = time.process_time() - cpu
    assert scan.complete, scan.gaps
    return seconds, shell.stats.commands, shell.stats.bytes_received, cpu


def baseline(adb: Adb, serial: str) -> tuple[float, int, int, int]:
    """MVT's way: list the packages, then one dumpsys per package."""
    shell = AdbShell(adb, serial)

    def run() -> int:
        listing = shell.run(commands.quote(("pm", "list", "packages", "-u", "-i", "-f")))
        entries, _ = parse_package_list(decode_output(listing.output)[0])
        for entry in entries:
            shell.run(commands.quote(commands.dumpsys_package(entry.name)))
        return len(entries)

    seconds, packages = timed(run)
    return seconds, shell.stats.commands, shell.stats.bytes_received, packages


def at_once(adb: Adb, profile: Path, latency_ms: float) -> tuple[float, float]:
    """Median seconds to scan one phone alone, and PHONES_AT_ONCE phones at once."""
    with phones(adb, profile, latency_ms, PHONES_AT_ONCE) as serials:

        def scan(which: list[str]) -> float:
            seconds, results = timed(lambda: scan_phones(which, adb_port=adb.port))
            assert all(not isinstance(r, Exception) and r.complete for r in results.values())
            return seconds

        scan(serials)  # warm up every phone once
        alone = statistics.median(scan(serials[:1]) for _ in range(3))
        together = statistics.median(scan(serials) for _ in range(3))
    return alone, together


def main() -> int:
    adb = Adb(free_port())
    adb.ensure_server()
    print(f"adb server {adb.server_version()} on private port {adb.port}")
    with tempfile.TemporaryDirectory() as folder:
        profile = Path(folder) / "bench-350.json"
        profile.write_text(json.dumps(PROFILE), encoding="utf-8")
        try:
            return run(adb, profile)
        finally:
            adb.kill_server()


def run(adb: Adb, profile: Path) -> int:
    packages = len(SimulatedPhone(PROFILE).state.packages)
    budget = 2 + 3 * USERS
    print(f"simulated phone: {packages} packages, {USERS} users; budget 2 + 3*U = {budget}\n")
    print(
        f"{'latency':>8} {'who':<22} {'commands':>8} {'bytes':>9} {'time':>9} {'speed-up':>9}"
        f"  {'our CPU':>8}"
    )
    speedups: dict[float, float] = {}
    commands_sent = 0
    for latency in LATENCIES_MS:
        with phones(adb, profile, latency, 1) as (serial,):
            ours(adb, serial)  # warm up: first connection, catalog load
            mine = min((ours(adb, serial) for _ in range(5)), key=lambda r: r[0])
            base = baseline(adb, serial)
        commands_sent = max(commands_sent, mine[1])
        speedups[latency] = base[0] / mine[0]
        print(
            f"{latency:>6}ms {'Device Audit scan':<22} {mine[1]:>8} {mine[2]:>9,} "
            f"{mine[0] * 1000:>7.0f}ms {'':>9}  {mine[3] * 1000:>6.0f}ms"
        )
        print(
            f"{'':>8} {'per-package baseline':<22} {base[1]:>8} {base[2]:>9,} "
            f"{base[0] * 1000:>7.0f}ms {speedups[latency]:>8.0f}x"
        )
    print(f"\n{PHONES_AT_ONCE} phones at once against one alone (median of 3):")
    ratios = {}
    for latency in AT_ONCE_LATENCIES_MS:
        alone, together = at_once(adb, profile, latency)
        ratios[latency] = together / alone
        print(
            f"  {latency:>3} ms per command: one {alone * 1000:.0f} ms, "
            f"{PHONES_AT_ONCE} at once {together * 1000:.0f} ms = {ratios[latency]:.2f}x"
        )
    print(
        f"\ntargets: commands {commands_sent} (<= {budget}); speed-up at 5 ms "
        f"{speedups[5]:.0f}x (>= 50x); {PHONES_AT_ONCE} phones "
        + ", ".join(f"{r:.2f}x at {lat} ms" for lat, r in ratios.items())
        + " (< 2x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
