"""Plug-in to verdict (issue 15), part of `python bench/android_scan.py` (its docstring says what
is measured); `python bench/android_scan.py --programs` prints only this table.

Beside the one-script check on first contact, the same check of a known phone: what an earlier
check of it found (audit/sources/android/hints.py) starts early. And what guessing user ids on a
first contact would cost (not shipped): measured here so the decision rests on figures. The
`turns` column is the least number of program times the check can take on the simulated phone's
8 cores (programs / 8, rounded up), whatever starts when: a check cannot beat it.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from android_scan import PROFILE, CountingShell, PhoneProcess, ms, plug_in

from audit.assess import packages_to_ask
from audit.sources.android import commands
from audit.sources.android.connection import Adb
from audit.sources.android.hints import NO_HINT, Hint, hint_of
from audit.sources.android.scan import scan_with_shell
from audit.sources.android.shell import AdbShell

PROGRAM_MS = (0, 100, 200)
PLUG_RUNS = 3
HAND_TYPED = (
    ("pm", "list", "users"),
    ("pm", "list", "packages", "-u", "-i"),
    ("dumpsys", "package", "com.zhiliaoapp.musically"),
)


def plug_to_verdict(
    adb: Adb, address: str, mode: str, hint: Hint = NO_HINT
) -> tuple[float, int, int, str]:
    """Seconds from `adb connect` to the verdict, the round trips, programs and the verdict.
    `mode`: "one script" (onestage.py, the policy's packages passed to the scan, what `hint`
    names started early), "side by side" (a round trip per stage, jobs.py) or "one after
    another"."""
    from datetime import date

    from audit.assess import judge_with_details
    from audit.policy import load_policy
    from audit.sources.android.scan import details_with_shell

    policy = load_policy("nz-parliament-2023")
    adb.disconnect_device(address)
    start = time.perf_counter()
    plug_in(adb, address)
    shell = CountingShell(adb, address)
    scan = scan_with_shell(
        shell,
        address,
        concurrent=mode != "one after another",
        one_stage=mode == "one script",
        detail_packages=packages_to_ask(policy) if mode == "one script" else (),
        hint=hint,
    )
    judged = judge_with_details(
        scan,
        policy,
        day=date(2023, 3, 20),
        details=lambda packages: details_with_shell(shell, address, packages),
    )
    seconds = time.perf_counter() - start
    assert scan.complete, scan.gaps
    return seconds, shell.stats.commands, shell.programs, judged.status.value


def one_command(adb: Adb, address: str, argv: Sequence[str]) -> float:
    start = time.perf_counter()
    AdbShell(adb, address).run(commands.quote(argv))
    return time.perf_counter() - start


def hand_typed(adb: Adb, address: str) -> float:
    adb.disconnect_device(address)
    start = time.perf_counter()
    plug_in(adb, address)
    for argv in HAND_TYPED:
        AdbShell(adb, address).run(commands.quote(argv))
    return time.perf_counter() - start


CORES = 8  # the simulated phones' cores (tests/phonesim/timing.py, every profile used here)
GUESSED = Hint((10, 11, 12), ())
"""User ids a first contact could guess (the usual work profile, second person and guest ids):
measured here, not shipped (see side_by_side)."""


def last_check(adb: Adb, address: str) -> Hint:
    """The hint an earlier check of the phone leaves (hints.hint_of): its users, and the
    policy's packages it holds."""
    from audit.policy import load_policy

    asked = packages_to_ask(load_policy("nz-parliament-2023"))
    scan = scan_with_shell(AdbShell(adb, address), address, detail_packages=asked)
    return hint_of(scan, asked)


def bench_phones(two_users: Path, folder: Path) -> list[tuple[int, str, Path | str]]:
    """(users, "flagged"/"clean", profile): the bench phone and the four-user Pixel, each with
    TikTok (one user) and without."""
    from tests.phonesim import load_profile_data

    clean_two = json.loads(json.dumps(PROFILE))
    clean_two["packages"][0]["users"] = {}
    four = load_profile_data("pixel-four-users-slow")
    four["packages"] = [p for p in four["packages"] if p["package"] != TIKTOK]
    paths = {"two-clean": clean_two, "four-clean": four}
    for name, data in paths.items():
        (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    return [
        (1, "flagged", "pixel-tiktok-lite"),
        (2, "flagged", two_users),
        (2, "clean", folder / "two-clean.json"),
        (4, "flagged", "pixel-four-users-slow"),
        (4, "clean", folder / "four-clean.json"),
    ]


TIKTOK = "com.zhiliaoapp.musically"


def machine() -> str:
    """nproc, the CPU model and the load, for the README's table."""
    import os

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"nproc {os.cpu_count()}, {model or 'CPU model unknown'}, load {load}"


def side_by_side(adb: Adb, two_users: Path, folder: Path) -> int:
    """Plug-in to verdict: first contact and a known phone (hints.py), with the phone's
    programs side by side and one by one (issue 15)."""
    slowest = ("pm", "list", "packages", "-s", "-f", "-i", "-U", "-u", "--show-versioncode")
    print("\nprograms side by side (issue 15): plug-in to verdict, NZ policy, median of 3")
    print(f"machine: {machine()}")
    print(
        f"{'users':>5} {'phone':>7} {'per program':>11}  {'who':<28} {'trips':>5} "
        f"{'programs':>8} {'turns':>5} {'wall':>9}  {'goal':>9}"
    )
    missed: dict[str, list[str]] = {"first contact": [], "known phone (hint)": []}
    for users, variant, profile in bench_phones(two_users, folder):
        for program_ms in PROGRAM_MS:
            phone = PhoneProcess(profile, 0, program_ms)
            try:
                plug_in(adb, phone.address)
                rtt = statistics.median(
                    one_command(adb, phone.address, ("echo",)) for _ in range(5)
                )
                alone = statistics.median(
                    one_command(adb, phone.address, slowest) for _ in range(3)
                )
                goal = 1.5 * alone + rtt
                known = last_check(adb, phone.address)
                modes: list[tuple[str, str, Hint]] = [
                    ("first contact", "one script", NO_HINT),
                    ("known phone (hint)", "one script", known),
                    ("guessed ids (not shipped)", "one script", GUESSED),
                ]
                if variant == "flagged":
                    modes += [
                        ("side by side (3 trips)", "side by side", NO_HINT),
                        ("one after another", "one after another", NO_HINT),
                    ]
                rows: list[tuple[str, float, int, int]] = []
                for label, mode, hint in modes:
                    plug_to_verdict(adb, phone.address, mode, hint)  # warm-up
                    runs = [
                        plug_to_verdict(adb, phone.address, mode, hint) for _ in range(PLUG_RUNS)
                    ]
                    rows.append(
                        (label, statistics.median(r[0] for r in runs), runs[0][1], runs[0][2])
                    )
                if variant == "flagged":
                    hand = statistics.median(
                        hand_typed(adb, phone.address) for _ in range(PLUG_RUNS)
                    )
                    rows.append(("hand-typed 3 commands", hand, len(HAND_TYPED), len(HAND_TYPED)))
            finally:
                adb.disconnect_device(phone.address)
                phone.stop()
            for index, (label, seconds, trips, programs) in enumerate(rows):
                lead = " " * 25
                if index == 0:
                    lead = f"{users:>5} {variant:>7} {f'{program_ms} ms':>11}"
                mark = ""
                if label in missed:
                    met = seconds <= goal
                    mark = f"{ms(goal):>9} {'met' if met else 'NOT met'}"
                    if not met:
                        missed[label].append(f"{users} users {variant} at {program_ms} ms")
                # Programs run 8 at a time on the simulated phone (its cores): the least
                # number of program times the check can take, whatever starts when.
                one_script = label in missed or label == "guessed ids (not shipped)"
                turns = str(-(-programs // CORES)) if one_script else ""
                print(
                    f"{lead}  {label:<28} {trips:>5} {programs:>8} {turns:>5} "
                    f"{ms(seconds):>9}  {mark}"
                )
            print(f"{'':>25}  (one round trip {ms(rtt)}, the slowest program alone {ms(alone)})")
    for label, where in missed.items():
        print(
            f"goal (1.5 x the slowest program + one round trip), {label}: "
            + ("met everywhere" if not where else "NOT met for " + ", ".join(where))
        )
    print(f"machine at the end: {machine()}")
    return 0
