"""What a phone inventory costs: commands, bytes, time and CPU, against a per-package baseline.

Run: python bench/android_scan.py

Everything goes through the real adb server (adbutils' bundled binary, on a private port that is
stopped afterwards) to simulated phones on loopback, each in its own process
(`python -m tests.phonesim`), as a real phone's work does not share this process's CPU. The
phone has about 350 packages and two users (owner and work profile) and answers each shell
command after 0, 5, 50 or 200 ms: no wait (what is left is CPU: ours, the adb server's, the
simulator's), a fast phone on USB, a slow one on a hub, and about what a real phone takes for
one `pm list packages` (100-400 ms). That latency is per shell command (the round trip); in
these first tables the phone's programs cost nothing.

Programs side by side (issue 15): a real phone also charges per program it starts (a scan's
rounds run 4 + 3·U programs, and the flagged apps' details 2 more). The simulator models it
(tests/phonesim/timing.py: `program_ms` per program, 8 cores; programs in background jobs overlap
up to the cores). Printed in the same run: the programs per scan, and plug-in to verdict (`adb
connect` until the server lists the phone, the scan, the NZ policy's judgement with the flagged
app's details) at 0/100/200 ms per program for 2 and 4 users (the bench phone above and the
`pixel-four-users-slow` profile, TikTok installed in one user of each): the whole check in one
script (onestage.py, the policy's package names passed to it), a round trip per stage with the
programs side by side (jobs.py), and one after another, beside a technician's hand-typed 3
commands (`pm list users`, `pm list packages -u -i`, `dumpsys package com.zhiliaoapp.musically`,
one round trip each, reading less: no per-user lists) and the goal: 1.5 x the slowest single
program (sent alone, its round trip included) plus one round trip (an `echo`), both measured in
the same run.
Beside them (android_programs.py, beside this script): a 1-user phone, clean variants, and each
phone on first contact vs known (what an earlier check of it found starts early: audit/sources/
android/hints.py), and guessed user ids on a first contact (not shipped), with the least number
of program times each check can take on the phone's 8 cores.
`python bench/android_scan.py --programs` prints only these.

Measured in the same run, on the same phone:
- Device Audit's scan (scan_with_shell): median wall time of 10 scans after a warm-up; the
  shell commands sent and the programs they ran, bytes received, and the mean CPU time per
  scan of this process (the parsing), of the phone's process and of the adb server.
- The baseline: one `pm list packages` and then one `dumpsys package <name>` per package, as
  MVT's check-adb did (its other per-package commands, `pm path` and four hashes per APK, are
  left out, which flatters the baseline). Not run at 200 ms (it would take over a minute);
  the speed-up there is left blank rather than estimated.
- Eight phones (eight processes) scanned at once with scan_phones, one worker thread each,
  against one phone alone: median of 5 each, at every latency, with this process's CPU per scan.

- The round trips of a whole check (scan, judge, read what the policy flagged: audit.assess)
  under the NZ TikTok policy, on the same phone clean, with TikTok installed in the work
  profile, and with TikTok hidden ("frozen") there, which the lists show as removed for the
  user, so its per-user record must be read before any verdict (issue 11).
  `python bench/android_scan.py --round-trips` prints only these.

Targets (issue 3): at most 2 + 3·U commands; (issue 11) a whole check takes 2 round trips on a
clean phone and at most 3 with flagged apps; at least 50x faster than the baseline at 5 ms;
eight phones in under twice the time of one. On a machine with few cores the eight-phone ratio
at low latency is bound by CPU: eight scans' parsing share one Python process (the GIL), and the
eight simulated phones and the adb server share the same cores.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the simulator lives in the test tree, not in the app

from audit.assess import packages_to_ask
from audit.sources.android import commands
from audit.sources.android.connection import Adb
from audit.sources.android.parsers import decode_output, parse_package_list
from audit.sources.android.scan import scan_phones, scan_with_shell
from audit.sources.android.shell import AdbShell, ShellOutput
from tests.phonesim import SimulatedPhone

T = TypeVar("T")

LATENCIES_MS = (0, 5, 50, 200)
BASELINE_LATENCIES_MS = (0, 5, 50)
PHONES_AT_ONCE = 8
USERS = 2
RUNS = 10

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

    def __init__(self, profile: Path | str, latency_ms: float, program_ms: float = 0) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.phonesim",
                "--profile",
                str(profile),
                "--latency-ms",
                str(latency_ms),
                "--program-ms",
                str(program_ms),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        self.address = f"127.0.0.1:{int(self.process.stdout.readline())}"
        self.cpu = psutil.Process(self.process.pid)

    def cpu_seconds(self) -> float:
        times = self.cpu.cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@contextmanager
def phones(adb: Adb, profile: Path, latency_ms: float, count: int) -> Iterator[list[PhoneProcess]]:
    """`count` phones in their own processes, plugged in."""
    started = [PhoneProcess(profile, latency_ms) for _ in range(count)]
    try:
        for phone in started:
            plug_in(adb, phone.address)
        yield started
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


def server_process(port: int) -> psutil.Process | None:
    """The adb server listening on the port (for its CPU time), if it can be found."""
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == "LISTEN" and conn.pid:
                return psutil.Process(conn.pid)
    except (psutil.Error, OSError):
        pass
    return None


class CpuMeter:
    """CPU seconds used by this process, the phones' processes and the adb server."""

    def __init__(self, phones: Sequence[PhoneProcess], server: psutil.Process | None) -> None:
        self.phones = phones
        self.server = server

    def read(self) -> tuple[float, float, float]:
        server = 0.0
        if self.server is not None:
            times = self.server.cpu_times()
            server = times.user + times.system
        return time.process_time(), sum(p.cpu_seconds() for p in self.phones), server


@dataclass
class Run:
    seconds: float
    commands: int
    programs: int
    bytes_received: int
    ours: float  # CPU seconds of this process
    phone: float  # CPU seconds of the phone process(es)
    server: float  # CPU seconds of the adb server


class CountingShell(AdbShell):
    """AdbShell that also counts the programs each shell command ran (one per section, whether
    they run one after another or side by side)."""

    programs = 0

    def run(self, command: str) -> ShellOutput:
        # The sections that came back, each one program run (the one-stage script's text
        # holds a loop's template and the candidates' jobs, not what ran).
        output = super().run(command)
        self.programs += max(1, output.output.count(b":rc="))
        return output


def measure(meter: CpuMeter, function: Callable[[], T]) -> tuple[float, T, tuple[float, ...]]:
    before = meter.read()
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    after = meter.read()
    return seconds, result, tuple(b - a for a, b in zip(before, after, strict=True))


def ours(adb: Adb, serial: str, meter: CpuMeter) -> Run:
    shell = CountingShell(adb, serial)
    seconds, scan, (mine, phone, server) = measure(meter, lambda: scan_with_shell(shell, serial))
    assert scan.complete, scan.gaps
    stats = shell.stats
    return Run(seconds, stats.commands, shell.programs, stats.bytes_received, mine, phone, server)


def baseline(adb: Adb, serial: str, meter: CpuMeter) -> Run:
    """MVT's way: list the packages, then one dumpsys per package."""
    shell = CountingShell(adb, serial)

    def run() -> int:
        listing = shell.run(commands.quote(("pm", "list", "packages", "-u", "-i", "-f")))
        entries, _ = parse_package_list(decode_output(listing.output)[0])
        for entry in entries:
            shell.run(commands.quote(commands.dumpsys_package(entry.name)))
        return len(entries)

    seconds, _, (mine, phone, server) = measure(meter, run)
    stats = shell.stats
    return Run(seconds, stats.commands, stats.commands, stats.bytes_received, mine, phone, server)


def typical(runs: Sequence[Run]) -> Run:
    """The median wall time of the runs, with their mean CPU times: another process's CPU time
    is counted in 10 ms ticks, too coarse for one scan."""
    count = len(runs)
    return Run(
        statistics.median(r.seconds for r in runs),
        runs[0].commands,
        runs[0].programs,
        runs[0].bytes_received,
        sum(r.ours for r in runs) / count,
        sum(r.phone for r in runs) / count,
        sum(r.server for r in runs) / count,
    )


@dataclass
class AtOnce:
    alone: float
    together: float
    cpu_alone: float  # this process's CPU per scan
    cpu_together: float

    @property
    def ratio(self) -> float:
        return self.together / self.alone


def at_once(adb: Adb, profile: Path, latency_ms: float) -> AtOnce:
    """Median seconds (and our CPU per scan) for one phone alone and PHONES_AT_ONCE at once."""
    with phones(adb, profile, latency_ms, PHONES_AT_ONCE) as started:
        serials = [phone.address for phone in started]

        def scan(which: list[str]) -> tuple[float, float]:
            cpu = time.process_time()
            start = time.perf_counter()
            results = scan_phones(which, adb_port=adb.port)
            seconds = time.perf_counter() - start
            assert all(not isinstance(r, Exception) and r.complete for r in results.values())
            return seconds, (time.process_time() - cpu) / len(which)

        scan(serials)  # warm up every phone once
        alone = [scan(serials[:1]) for _ in range(5)]
        together = [scan(serials) for _ in range(5)]
    return AtOnce(
        statistics.median(r[0] for r in alone),
        statistics.median(r[0] for r in together),
        statistics.median(r[1] for r in alone),
        statistics.median(r[1] for r in together),
    )


def main() -> int:
    adb = Adb(free_port())
    adb.ensure_server()
    print(f"adb server {adb.server_version()} on private port {adb.port}")
    print(f"this machine: {psutil.cpu_count()} CPU cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as folder:
        # scan_phones keeps a hint file per phone (hints.py): in this run's folder, never in
        # the user's own data folder.
        os.environ["DEVICE_AUDIT_HOME"] = str(Path(folder) / "home")
        profile = Path(folder) / "bench-350.json"
        profile.write_text(json.dumps(PROFILE), encoding="utf-8")
        try:
            from android_programs import side_by_side  # this folder: the script's own path

            if "--programs" in sys.argv[1:]:
                return side_by_side(adb, profile, Path(folder))
            checked = check_round_trips(adb, Path(folder))
            if "--round-trips" in sys.argv[1:]:
                return checked
            return run(adb, profile) or side_by_side(adb, profile, Path(folder)) or checked
        finally:
            adb.kill_server()


CHECK_VARIANTS = {
    "clean (no TikTok)": None,
    "TikTok installed": "installed",
    "TikTok hidden (frozen)": "hidden",
}


def check_round_trips(adb: Adb, folder: Path) -> int:
    """The round trips of a whole check of each variant of the phone; 1 when over budget."""
    from datetime import date

    from audit.assess import judge_with_details
    from audit.policy import load_policy
    from audit.sources.android.scan import details_with_shell

    policy = load_policy("nz-parliament-2023")
    print("a whole check (scan, judge, flagged apps' details and state), NZ TikTok policy:")
    over = False
    for label, state in CHECK_VARIANTS.items():
        data = json.loads(json.dumps(PROFILE))
        data["packages"][0]["users"] = {} if state is None else {"10": state}
        profile = folder / f"check-{state}.json"
        profile.write_text(json.dumps(data), encoding="utf-8")
        with phones(adb, profile, 0, 1) as (phone,):
            shell = CountingShell(adb, phone.address)
            serial = phone.address

            def details(
                packages: Collection[str], shell: AdbShell = shell, serial: str = serial
            ) -> Any:
                return details_with_shell(shell, serial, packages)

            start = time.perf_counter()
            # The policy's packages go with the scan: their details come in its one script.
            scan = scan_with_shell(shell, serial, detail_packages=packages_to_ask(policy))
            judged = judge_with_details(scan, policy, day=date(2023, 3, 20), details=details)
            seconds = time.perf_counter() - start
        trips = shell.stats.commands
        budget = 1  # issue 15: was 2 (clean) and 3 (flagged) stage by stage
        over = over or trips > budget
        tiktok = [f.app.state.value for f in judged.findings]
        print(
            f"  {label:<24} {trips} round trips (budget {budget}), {ms(seconds)}: "
            f"{judged.status.value}{' ' + ', '.join(tiktok) if tiktok else ''}"
        )
    print()
    return 1 if over else 0


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.0095 else f"{seconds * 1000:.1f} ms"


def run(adb: Adb, profile: Path) -> int:
    packages = len(SimulatedPhone(PROFILE).state.packages)
    budget = 2 + 3 * USERS
    server = server_process(adb.port)
    print(f"simulated phone: {packages} packages, {USERS} users; budget 2 + 3*U = {budget}\n")
    print(
        f"{'latency':>7}  {'who':<20} {'commands':>8} {'programs':>8} {'bytes':>9} "
        f"{'wall':>10} {'speed-up':>8}  {'CPU: ours':>10} {'phone':>8} {'adb':>8}"
    )
    speedups: dict[int, float] = {}
    commands_sent = 0
    for latency in LATENCIES_MS:
        with phones(adb, profile, latency, 1) as (phone,):
            meter = CpuMeter([phone], server)
            ours(adb, phone.address, meter)  # warm up: first connection, catalog load
            mine = typical([ours(adb, phone.address, meter) for _ in range(RUNS)])
            base = baseline(adb, phone.address, meter) if latency in BASELINE_LATENCIES_MS else None
        commands_sent = max(commands_sent, mine.commands)
        rows: list[tuple[str, Run | None]] = [
            ("Device Audit scan", mine),
            ("per-package baseline", base),
        ]
        for index, (who, result) in enumerate(rows):
            label = f"{latency} ms" if index == 0 else ""
            if result is None:
                print(f"{label:>7}  {who:<20} {'not run: over a minute at this latency':>46}")
                continue
            speedup = ""
            if result is base:
                speedups[latency] = base.seconds / mine.seconds
                speedup = f"{speedups[latency]:.0f}x"
            print(
                f"{label:>7}  {who:<20} {result.commands:>8} {result.programs:>8} "
                f"{result.bytes_received:>9,} {ms(result.seconds):>10} {speedup:>8}  "
                f"{ms(result.ours):>10} {ms(result.phone):>8} {ms(result.server):>8}"
            )
    print(f"\n{PHONES_AT_ONCE} phones at once (8 processes) against one alone, median of 5:")
    ratios: dict[int, float] = {}
    for latency in LATENCIES_MS:
        both = at_once(adb, profile, latency)
        ratios[latency] = both.ratio
        print(
            f"  {latency:>3} ms per command: one {ms(both.alone)}, "
            f"{PHONES_AT_ONCE} at once {ms(both.together)} = {both.ratio:.2f}x "
            f"(our CPU per scan: {ms(both.cpu_alone)} alone, {ms(both.cpu_together)} at once)"
        )
    met = "met" if speedups[5] >= 50 else "NOT met"
    print(
        f"\ntargets: commands {commands_sent} (<= {budget}); speed-up at 5 ms "
        f"{speedups[5]:.0f}x (>= 50x: {met}); {PHONES_AT_ONCE} phones "
        + ", ".join(
            f"{r:.2f}x at {lat} ms ({'met' if r < 2 else 'NOT met'})" for lat, r in ratios.items()
        )
        + " (< 2x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
