"""Uninstall strings from the registry are untrusted text: split like Windows, never a shell."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.remediation.commandline import (
    INTERPRETERS,
    appx_full_name,
    parse_uninstall_string,
    remove_appx_argv,
    split_windows,
)

# CommandLineToArgvW's documented examples.
SPLIT_CASES = [
    ('"abc" d e', ["abc", "d", "e"]),
    (r'a\\\b d"e f"g h', [r"a\\\b", "de fg", "h"]),
    (r"a\\\"b c d", [r"a\"b", "c", "d"]),
    (r'a\\\\"b c" d e', [r"a\\b c", "d", "e"]),
    ('"a b" ""', ["a b", ""]),
    ("  spaced   out  ", ["spaced", "out"]),
]


@pytest.mark.parametrize(("text", "args"), SPLIT_CASES)
def test_split_windows_follows_commandlinetoargvw(text: str, args: list[str]) -> None:
    assert split_windows(text) == args


def test_shell_syntax_stays_literal_arguments() -> None:
    parsed = parse_uninstall_string(r'"C:\App\uninst.exe" /S & del C:\x | calc > out')
    assert parsed.ok
    assert parsed.argv == (r"C:\App\uninst.exe", "/S", "&", "del", r"C:\x", "|", "calc", ">", "out")


def test_control_characters_are_refused() -> None:
    assert not parse_uninstall_string('"C:\\App\\u.exe"\n/S').ok


def test_appx_names_are_checked_before_they_reach_powershell() -> None:
    good = "Vendor.App_1.2.3.0_x64__abcdefghijklm"
    assert (
        appx_full_name(f"powershell -NoProfile -Command Remove-AppxPackage -Package {good}") == good
    )
    assert appx_full_name("powershell -NoProfile -Command Remove-AppxPackage -Package a;b") is None
    assert (
        appx_full_name("powershell -NoProfile -Command Remove-AppxPackage -Package 'a b'") is None
    )
    with pytest.raises(ValueError, match="not a Windows package full name"):
        remove_appx_argv("x`$(calc)")


@given(st.text(max_size=200))
def test_any_uninstall_string_parses_to_a_safe_answer(text: str) -> None:
    parsed = parse_uninstall_string(text)
    if not parsed.ok:
        assert parsed.problem
        return
    program = parsed.argv[0]
    name = program.replace("\\", "/").rsplit("/", 1)[-1].casefold().removesuffix(".exe")
    assert name not in INTERPRETERS
    assert program.startswith("/") or program[1:3] == ":\\" or name in ("msiexec", "rundll32")
    assert not any(ord(c) < 32 for c in "".join(parsed.argv))
