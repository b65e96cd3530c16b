"""What the command line costs: start-up per command, several phones in one process, and
writing inventories, each beside a baseline measured in the same run (issue 15).

Run: python bench/cli.py [--quick] [--before DIR] [--startup-only]

1. Start-up, whole processes (hyperfine when installed, else this script's own timer; median
   of the runs): `python -c pass`, `python -I -S -c pass` (no site, no venv: the least any
   Python program costs) and `dpkg-query -W` as the floors, the old `--help` (every command
   module imported, as it was before issue 15), then `device-audit --help`, `policies`,
   `scan --local --json FILE` and `scan --device SIM --json FILE` against a simulated phone
   that answers at once. Each command also runs from a "before" tree in the same hyperfine
   run (`--before DIR`; by default the last commit, unpacked with `git archive HEAD`), so the
   before/after table shares one machine state. The commands run with bytecode cached in a folder of
   their own (PYTHONPYCACHEPREFIX), as an installed app runs, even where the environment says
   PYTHONDONTWRITEBYTECODE. Then what each command imports (`python -X importtime`).
2. Several phones in one process: `scan --device ×8 --out-dir DIR` against `scan --device`
   of one phone, each phone a simulator in its own process charging 50 ms per program it runs
   (`--program-ms`; where the simulator has no such option, 50 ms per command, said so).
   In process (Python started once) and as whole commands; goal: 8 phones <= 2x one.
3. Writing and reading an inventory of 5,000 and 30,000 apps: `json.dumps(indent=2)` (the
   writer before issue 15) against `inventory.dumps` (one line per app, garbage collection
   paused), reading with and without garbage collection, and a phone's package list of
   30,000 lines parsed with and without it: this process's least CPU time.

Targets: `--help` < 150 ms; a whole `scan --local --json` < 3x the whole `dpkg-query -W`;
8 phones <= 2x one. Run on a quiet machine: sections 1 and 2 are wall time (section 1 also
gives each command's CPU time, which other programs on a busy machine inflate least).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the simulator lives in the test tree, not in the app

from audit import inventory
from audit.cli import COMMANDS
from audit.cli import main as cli_main
from audit.model import (
    Device,
    DeviceKind,
    IdentifierKind,
    InstalledApp,
    InstallOrigin,
    ScanResult,
    SourceReport,
    SourceStatus,
)
from tests.helpers.phones import start_adb_server, stop_adb_server

PHONES = 8
PROGRAM_MS = 50
APPS = (5_000, 30_000)
PYTHON = sys.executable
MAIN = str(ROOT / "main.py")


def median_ms(job: Callable[[], object], runs: int) -> float:
    job()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def cpu_ms(job: Callable[[], object], runs: int) -> float:
    """The least CPU time of this process over the runs: other programs on a busy machine
    (cache, shared cores) can only add to it, never take from it."""
    job()  # warm-up
    times = []
    for _ in range(runs):
        start = time.process_time()
        job()
        times.append((time.process_time() - start) * 1000)
    return min(times)


# --- 1. start-up --------------------------------------------------------------------------


def command_env(cache: Path) -> dict[str, str]:
    """The environment of an installed app: bytecode cached (here in a folder of its own)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    # A data folder of the bench's own: `scan --device` keeps a hint file per phone there
    # (audit/sources/android/hints.py), which must not land in the user's data folder.
    env["DEVICE_AUDIT_HOME"] = str(cache / "home")
    return env


def time_commands(
    commands: dict[str, list[str]], env: dict[str, str], runs: int
) -> dict[str, tuple[float, float, float]]:
    """(median wall ms, mean CPU ms: user + system, least wall ms) of each whole command, by
    hyperfine when installed. CPU time and the least wall time are what a busy machine's other
    programs inflate least (hyperfine runs one command's runs, then the next's: a burst of
    load lands on one command, so compare the least when the machine is shared)."""
    for argv in commands.values():  # warm the bytecode cache and the file cache
        subprocess.run(argv, env=env, capture_output=True, check=False, cwd=ROOT)
    hyperfine = shutil.which("hyperfine")
    if hyperfine:
        with tempfile.NamedTemporaryFile(suffix=".json") as report:
            subprocess.run(
                [hyperfine, "-N", "--warmup", "2", "--runs", str(runs), "--style", "none"]
                + ["--export-json", report.name, "-i"]
                + [" ".join(_quote(a) for a in argv) for argv in commands.values()],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            results = json.loads(Path(report.name).read_text())["results"]
        return {
            name: (
                statistics.median(r["times"]) * 1000,
                (r["user"] + r["system"]) * 1000,
                min(r["times"]) * 1000,
            )
            for name, r in zip(commands, results, strict=True)
        }
    out = {}
    for name, argv in commands.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        times = [median_ms(functools.partial(run_quietly, argv, env), 1) for _ in range(runs)]
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        out[name] = (statistics.median(times), cpu * 1000 / (2 * runs), min(times))
    return out


def run_quietly(argv: list[str], env: dict[str, str]) -> object:
    return subprocess.run(argv, env=env, capture_output=True, cwd=ROOT, check=False)


def _quote(arg: str) -> str:
    return f"'{arg}'" if any(c in arg for c in " ;'\"") else arg


def import_summary(argv: list[str], env: dict[str, str]) -> tuple[float, list[tuple[float, str]]]:
    """Total import ms of a command and its five costliest top-level imports."""
    result = subprocess.run(
        [PYTHON, "-X", "importtime", *argv],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    top: list[tuple[float, str]] = []
    total = 0.0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line[12:].split("|"))
        if not line.split("|")[2].startswith("  "):  # a top-level import (no indentation)
            total += int(cumulative) / 1000
            top.append((int(cumulative) / 1000, name))
    return total, sorted(top, reverse=True)[:5]


def device_audit_commands(
    main: str, phone_args: list[str], inventory_file: str
) -> dict[str, list[str]]:
    """The device-audit commands timed, run from the tree whose entry point is `main`."""
    return {
        "device-audit --help": [PYTHON, main, "--help"],
        "device-audit policies": [PYTHON, main, "policies"],
        "device-audit scan --local --json FILE": [
            PYTHON,
            main,
            "scan",
            "--local",
            "--json",
            inventory_file,
        ],
        "device-audit scan --device SIM --json FILE": [
            PYTHON,
            main,
            "scan",
            *phone_args,
            "--json",
            inventory_file,
        ],
    }


def before_tree(folder: Path, given: Path | None) -> Path | None:
    """The tree timed as "before": `given`, else the last commit unpacked into `folder`."""
    if given is not None:
        return given
    target = folder / "before"
    target.mkdir()
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "HEAD"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None  # not a checkout: no before column
    return target


def startup(runs: int, phone_args: list[str], folder: Path, before: Path | None) -> Figures:
    env = command_env(folder / "pycache")
    inventory_file = str(folder / "inventory.json")
    every_module = "import " + ", ".join(sorted(set(COMMANDS.values())))
    after = device_audit_commands(MAIN, phone_args, inventory_file)
    commands = {
        "python -c pass": [PYTHON, "-c", "pass"],
        "python -I -S -c pass": [PYTHON, "-I", "-S", "-c", "pass"],
        "dpkg-query -W": ["dpkg-query", "-W"],
        "old --help: every command module": [PYTHON, "-c", every_module],
        **after,
    }
    if before is not None:
        old = device_audit_commands(str(before / "main.py"), phone_args, inventory_file)
        commands.update({f"before: {name}": argv for name, argv in old.items()})
    if not shutil.which("dpkg-query"):
        del commands["dpkg-query -W"]
    figures = time_commands(commands, env, runs)
    floor = figures["python -c pass"][0]
    dpkg = figures.get("dpkg-query -W", (0.0, 0.0, 0.0))
    print(
        f"1. Start-up, whole processes (median and least wall time of {runs}, mean CPU; {timer()}):"
    )
    for name, (wall, cpu, least) in figures.items():
        if name.startswith("before: "):
            continue  # in the table below
        extra = f"  +{wall - floor:6.1f} ms over python -c pass"
        if dpkg[0] and name.startswith("device-audit scan --local"):
            extra += (
                f"  = {wall / dpkg[0]:.1f}x dpkg-query -W (least {least / dpkg[2]:.1f}x, "
                f"CPU {cpu / dpkg[1]:.1f}x; target < 3x)"
            )
        if name == "device-audit --help":
            extra += f"  (target < 150 ms: {'met' if wall < 150 else 'NOT met'})"
        floors = ("python -c pass", "python -I -S -c pass", "dpkg-query -W")
        extra = extra if name not in floors else ""
        print(f"   {name:<44} {wall:7.1f} ms (least {least:6.1f}, CPU {cpu:6.1f} ms){extra}")
    if dpkg[0]:
        least_floor, bare = figures["python -c pass"][2], figures["python -I -S -c pass"][2]
        print(
            f"   The floor (least times): python -c pass alone is {least_floor / dpkg[2]:.1f}x "
            f"dpkg-query -W, and python -I -S -c pass (no site, no venv) {bare / dpkg[2]:.1f}x;"
            f" a whole Python process cannot be under 3x dpkg-query -W ({3 * dpkg[2]:.0f} ms) "
            "where Python alone is near or over it."
        )
    if before is not None:
        before_and_after(figures, after, before)
    print("\n   What each command imports (python -X importtime; total of top-level imports):")
    for label, argv in (
        ("--help", [MAIN, "--help"]),
        ("policies", [MAIN, "policies"]),
        ("scan --local", [MAIN, "scan", "--local", "--json", inventory_file]),
        ("scan --device", [MAIN, "scan", *phone_args, "--json", inventory_file]),
    ):
        total, top = import_summary(argv, env)
        costly = ", ".join(f"{name} {ms:.0f}" for ms, name in top)
        print(f"   {label:<14} {total:6.1f} ms: {costly}")
    return figures


Figures = dict[str, tuple[float, float, float]]


def before_and_after(figures: Figures, after: dict[str, list[str]], before: Path) -> None:
    """The same commands from the before tree, timed in the same hyperfine run: median and
    least wall time, and CPU; the ratios compare least with least (floors included)."""
    floor = figures["python -c pass"][2]
    dpkg = figures.get("dpkg-query -W", (0.0, 0.0, 0.0))[2]
    print(
        f"\n   Before ({before}) and after, same run (ms; ratios of the least times: "
        "x python -c pass" + (", x dpkg-query -W" if dpkg else "") + ")"
    )
    print(
        f"   {'command':<44} {'median before->after':>22} {'least before->after':>21} "
        f"{'CPU before->after':>19}"
    )
    for name in after:
        (old, old_cpu, old_least), (new, new_cpu, new_least) = (
            figures[f"before: {name}"],
            figures[name],
        )
        ratios = [(old_least / floor, new_least / floor)]
        if dpkg:
            ratios.append((old_least / dpkg, new_least / dpkg))
        words = "; ".join(f"{a:.1f}x -> {b:.1f}x" for a, b in ratios)
        print(
            f"   {name:<44} {old:9.1f} -> {new:7.1f}  {old_least:8.1f} -> {new_least:7.1f}  "
            f"{old_cpu:7.1f} -> {new_cpu:6.1f}  ({words})"
        )


def timer() -> str:
    return "hyperfine" if shutil.which("hyperfine") else "this script's timer (no hyperfine)"


# --- 2. several phones --------------------------------------------------------------------


class PhoneProcess:
    """A simulated phone served by its own Python process (its CPU is not ours)."""

    def __init__(self, profile: str, cost: list[str]) -> None:
        self.process = subprocess.Popen(
            [PYTHON, "-m", "tests.phonesim", "--profile", profile, *cost],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        self.address = f"127.0.0.1:{int(self.process.stdout.readline())}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def program_cost(ms: float) -> tuple[list[str], str]:
    """The simulator's option charging `ms` per program, or per command where it has none."""
    usage = subprocess.run(
        [PYTHON, "-m", "tests.phonesim", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout
    if "--program-ms" in usage:
        return ["--program-ms", str(ms)], f"{ms:.0f} ms per program the phone runs"
    return ["--latency-ms", str(ms)], (
        f"{ms:.0f} ms per shell command (this simulator has no per-program cost yet)"
    )


@contextlib.contextmanager
def plugged_in(server_port: int, phones: Sequence[PhoneProcess]) -> Iterator[None]:
    from audit.sources.android.connection import Adb

    adb = Adb(server_port)
    for phone in phones:
        adb.connect_device(phone.address)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        ready = {s for s, state, _ in adb.devices() if state == "device"}
        if all(p.address in ready for p in phones):
            break
        time.sleep(0.02)
    else:
        raise RuntimeError("the simulated phones did not come online")
    try:
        yield
    finally:
        for phone in phones:
            adb.disconnect_device(phone.address)


def scan_in_process(argv: list[str]) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return cli_main(argv)


def several_phones(port: int, phones: Sequence[PhoneProcess], runs: int, folder: Path) -> None:
    one = ["scan", "--adb-port", str(port), "--device", phones[0].address]
    every = ["scan", "--adb-port", str(port)]
    for phone in phones:
        every += ["--device", phone.address]
    out = str(folder / "phones")
    Path(out).mkdir(exist_ok=True)
    alone = median_ms(lambda: scan_in_process([*one, "--out-dir", out]), runs)
    together = median_ms(lambda: scan_in_process([*every, "--out-dir", out]), runs)
    codes = {scan_in_process([*every, "--out-dir", out])}
    env = command_env(folder / "pycache")
    whole = time_commands(
        {
            "one": [PYTHON, MAIN, *one, "--out-dir", out],
            "all": [PYTHON, MAIN, *every, "--out-dir", out],
        },
        env,
        max(3, runs // 2),
    )
    ratio = together / alone
    print(
        f"   in process:    one phone {alone:7.1f} ms, {len(phones)} phones {together:7.1f} ms"
        f" = {ratio:.2f}x (goal <= 2x: {'met' if ratio <= 2 else 'NOT met'})"
    )
    (first, *_), (every_phone, *_) = whole["one"], whole["all"]
    print(
        f"   whole command: one phone {first:7.1f} ms, {len(phones)} phones "
        f"{every_phone:7.1f} ms = {every_phone / first:.2f}x; one command per phone, one "
        f"after another, would take ~{len(phones) * first:.0f} ms"
    )
    print(
        f"   exit status of the {len(phones)}-phone run: {sorted(codes)}; files written: "
        f"{len(list(Path(out).glob('*.json')))}"
    )


# --- 3. inventory writing -----------------------------------------------------------------


def generated_scan(count: int) -> ScanResult:
    """A phone's inventory of `count` apps over three users, with realistic field lengths."""
    when = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    device = Device("android:BENCH", DeviceKind.ANDROID, "Bench phone", serial="BENCH")
    apps = tuple(
        InstalledApp(
            identifier=f"com.example.vendor{n % 97}.app{n}",
            kind=IdentifierKind.ANDROID_PACKAGE,
            name=f"Example app {n}",
            version=f"{n % 13}.{n % 7}.{n % 31}",
            version_code=1_000_000 + n,
            installer="com.android.vending",
            origin=InstallOrigin.STORE,
            user=("0", "10", "150")[n % 3],
            system=n % 4 == 0,
            location=f"/data/app/~~k3Jd8s1Q==/com.example.vendor{n % 97}.app{n}-x8Q==/base.apk",
            uid=10_000 + n,
            installed_at=when,
            updated_at=when,
            collector="pm",
        )
        for n in range(count)
    )
    source = SourceReport("pm", SourceStatus.OK, "", count)
    return ScanResult(device, when, when, apps=apps, sources=(source,))


def with_gc(job: Callable[[], object]) -> Callable[[], object]:
    """The job with garbage collection on, whatever the code under it does."""

    def run() -> object:
        gc.enable()
        return job()

    return run


def writing(runs: int) -> None:
    print(f"3. Writing and reading an inventory (least CPU time of {runs}, in this process):")
    for count in APPS:
        write_and_read(count, runs)
    parsing(APPS[-1], runs)


def parsing(count: int, runs: int) -> None:
    """A phone's package list of `count` lines parsed, collection on and paused: the CLI pauses
    it around each phone's scan (scan_cmd.inventory_of_phone)."""
    from audit.sources.android.parsers import parse_package_list

    text = "\n".join(
        f"package:/data/app/~~6vYc9uQm0OBfFwhY3iFeTg==/com.example.v{n % 97}.app{n}-Mmf3Dk==/"
        f"base.apk=com.example.v{n % 97}.app{n} versionCode:{1000 + n}  "
        f"installer=com.android.vending uid:{10000 + n},{1010000 + n}"
        for n in range(count)
    )
    kept: list[object] = []  # rows stay alive, as a scan's do until its result is built

    def parse() -> None:
        kept.append(parse_package_list(text))

    def parse_paused() -> None:
        with inventory.paused_gc():
            parse()

    on = cpu_ms(with_gc(parse), runs)
    kept.clear()
    paused = cpu_ms(parse_paused, runs)
    print(
        f"   {count:>6,} lines of `pm list packages` parsed: gc on {on:7.1f} ms, paused "
        f"{paused:7.1f} ms: gc added {100 * (on / paused - 1):.0f}%"
    )


def write_and_read(count: int, runs: int) -> None:
    scan = generated_scan(count)
    text = inventory.dumps(scan)
    old_text = json.dumps(inventory.scan_to_dict(scan), indent=2, ensure_ascii=False) + "\n"
    assert inventory.loads(old_text) == inventory.loads(text) == scan
    before = cpu_ms(
        lambda: json.dumps(inventory.scan_to_dict(scan), indent=2, ensure_ascii=False), runs
    )
    layout_gc_on = cpu_ms(with_gc(lambda: inventory._layout(inventory.scan_to_dict(scan))), runs)
    after = cpu_ms(lambda: inventory.dumps(scan), runs)
    read_gc_on = cpu_ms(with_gc(lambda: inventory._loads(text, "bench")), runs)
    read_after = cpu_ms(lambda: inventory.loads(text, "bench"), runs)
    print(
        f"   {count:>6,} apps: write indent=2 (before) {before:7.1f} ms "
        f"({before * 1000 / count:4.1f} us/app); one line per app, gc on "
        f"{layout_gc_on:7.1f} ms; "
        f"dumps (gc paused) {after:7.1f} ms ({after * 1000 / count:4.1f} us/app) = "
        f"{before / after:.1f}x faster; file {len(old_text) / 1e6:.1f} -> "
        f"{len(text) / 1e6:.1f} MB"
    )
    print(
        f"   {'':>6}       read, gc on {read_gc_on:7.1f} ms; loads (gc paused) "
        f"{read_after:7.1f} ms: gc added {100 * (read_gc_on / read_after - 1):.0f}%"
    )


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    runs = 5 if quick else 15
    given = sys.argv[sys.argv.index("--before") + 1] if "--before" in sys.argv[1:] else None
    startup_only = "--startup-only" in sys.argv[1:]  # section 1 alone
    print(f"Machine: {sys.platform}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "adb-home").mkdir()
        server = start_adb_server(folder / "adb-home")
        cost, cost_words = program_cost(PROGRAM_MS)
        quiet = PhoneProcess("pixel-tiktok-lite", [])
        phones = [PhoneProcess("samsung-work-profile", cost) for _ in range(PHONES)]
        try:
            with plugged_in(server.port, [quiet, *phones]):
                before = before_tree(folder, None if given is None else Path(given))
                phone_args = ["--adb-port", str(server.port), "--device", quiet.address]
                startup(runs, phone_args, folder, before)
                if startup_only:
                    return 0
                print(
                    f"\n2. Several phones in one process ({cost_words}; median of {runs // 3 + 2}):"
                )
                several_phones(server.port, phones, runs // 3 + 2, folder)
        finally:
            for phone in [quiet, *phones]:
                phone.stop()
            stop_adb_server(server)
    print()
    writing(max(3, runs // 3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
