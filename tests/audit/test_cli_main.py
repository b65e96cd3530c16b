"""The entry point's choice between the desktop app and a command, and lazy command loading."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit.cli import (
    COMMANDS,
    SUMMARIES,
    build_parser,
    command_name,
    is_cli_invocation,
    main,
    registered_help,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "cli"),
    [
        ([], False),
        (["--demo"], False),
        (["--helpdesk", "--adb-port", "5039"], False),
        (["policies"], True),
        (["-v", "scan", "--local"], True),
        (["--verbose", "check"], True),
        (["--help"], True),
        (["--version"], True),
        (["-v"], False),
        (["scna", "--local"], True),  # a typo is reported, not a window opened
        (["-platform", "offscreen"], False),  # Qt's own options are for the app
    ],
)
def test_gui_or_cli(argv: list[str], cli: bool) -> None:
    assert is_cli_invocation(argv) is cli


def test_command_name_skips_global_flags() -> None:
    assert command_name(["-v", "verify", "x.json"]) == "verify"
    assert command_name(["--demo"]) is None


def test_verbose_before_the_command_runs_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-v", "policies"]) == 0
    assert "nz-parliament-2023" in capsys.readouterr().out


# What a quick command must never load: Qt, the signing and keyring stack, adbutils' client
# (and the HTTP stack it pulls in), processes and the history database (issue 15).
HEAVY = ("PySide6", "cryptography", "keyring", "adbutils", "requests", "psutil", "sqlite3")

# Commands whose own --help still loads part of HEAVY, and why. Each entry is a known cost
# waiting on another module, never a licence: a command may load no more than is listed here.
STILL_LOADS: dict[str, frozenset[str]] = {
    # audit.cli.remediation_cmds imports RemediationSession and ALREADY_GONE at its top
    # (session.py: audit.attestation.dsse, cryptography; execute.py: psutil). The packages'
    # __init__s load nothing now, so keyring is gone (issue 15); the rest waits on that module.
    "remove": frozenset({"cryptography", "psutil"}),
    "attest": frozenset({"cryptography", "psutil"}),
}


def loaded_by(argv: list[str], watched: tuple[str, ...] = HEAVY) -> set[str]:
    """The watched top-level modules that `device-audit ARGV` imported, run in a fresh
    interpreter as `device-audit` is: what it imported is what it cost."""
    code = (
        "import sys, main\n"
        "try:\n"
        f"    main.main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"watched = {watched!r}\n"
        "print(sorted({m.split('.')[0].lstrip('_') for m in sys.modules}\n"
        "             & {w.lstrip('_') for w in watched}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(ast.literal_eval(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["policies"],
        ["scna"],  # a typo lists the commands: from their summaries, not their modules
        *([name, "--help"] for name in COMMANDS),  # every command, a new one too
    ],
    ids=" ".join,
)
def test_a_quick_command_loads_nothing_heavy(argv: list[str]) -> None:
    allowed = STILL_LOADS.get(argv[0], frozenset()) if argv[-1] == "--help" else frozenset()
    loaded = loaded_by(argv)
    assert loaded <= allowed, f"{' '.join(argv)} imported {sorted(loaded - allowed)}"


def test_a_local_scan_loads_nothing_it_does_not_use(tmp_path: Path) -> None:
    """`scan --local --json FILE` on this computer: no Qt, no keys, no phones, no history.
    Processes are read from /proc on Linux; elsewhere psutil is what reads them."""
    out = tmp_path / "inventory.json"
    loaded = loaded_by(["scan", "--local", "--json", str(out)])
    needed = {"psutil"} if sys.platform != "linux" else set()
    assert out.stat().st_size > 0  # the scan did run and write its inventory
    assert loaded <= needed, f"scan --local imported {sorted(loaded - needed)}"


@pytest.mark.parametrize("argv", [["--help"], ["policies"], ["scan", "--help"]], ids=" ".join)
def test_no_program_is_run_so_subprocess_is_not_loaded(argv: list[str]) -> None:
    """Only `--version` asks git (audit.version imports subprocess there, not at load)."""
    assert loaded_by(argv, ("subprocess",)) == set()


def test_every_command_is_listed_with_the_words_its_module_registers() -> None:
    """The overview's summaries are kept apart from the modules (so --help imports none):
    they must say what the modules say, and every command must be listed."""
    overview = build_parser(None)
    listed = {a.dest: a.help for a in overview._subparsers._group_actions[0]._choices_actions}  # type: ignore[union-attr]
    for name, module in COMMANDS.items():
        assert listed[name] == registered_help(module, name), name
    assert set(listed) == set(COMMANDS)


def test_a_command_without_a_summary_is_still_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another engineer's new command, registered but not summarised, shows in --help."""
    monkeypatch.delitem(SUMMARIES, "devices")
    overview = build_parser(None).format_help()
    assert "list the phones plugged in over USB and what each needs" in overview


def test_a_mistyped_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["scna", "--local"])
    assert exited.value.code == 2
    assert "invalid choice: 'scna'" in capsys.readouterr().err


def test_without_a_display_the_app_says_so_instead_of_aborting() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "needs a graphical session" in result.stderr
    assert "device-audit --help" in result.stderr


def test_a_reader_that_stops_reading_ends_the_command_quietly() -> None:
    """`device-audit policies | head -0`: the pipe is closed before anything is read."""
    with subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "policies"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        errors = process.stderr.read().decode()
        assert process.wait(timeout=60) == 141
    assert errors == ""  # no BrokenPipeError traceback
