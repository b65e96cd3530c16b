"""The entry point's choice between the desktop app and a command, and lazy command loading."""

from __future__ import annotations

import subprocess
import sys

import pytest

from audit.cli import command_name, is_cli_invocation, main


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
        (["nonsense"], False),
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
