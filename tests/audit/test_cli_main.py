"""The entry point's choice between the desktop app and a command, and lazy command loading."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit.cli import command_name, is_cli_invocation, main

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


def test_a_quick_command_does_not_load_adb_or_qt() -> None:
    code = (
        "import sys; from audit.cli import main; main(['policies']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('adbutils', 'PySide6')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


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
