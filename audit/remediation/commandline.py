"""Uninstall commands an app registered, read safely into argument lists.

A Windows UninstallString is text any installer (or any program running as the person) could
have written, so it is never given to a shell: it is split the way Windows splits a command
line (CommandLineToArgvW), the program must be an absolute path or a known system tool, and
programs whose job is to interpret commands (cmd, PowerShell, script hosts) are refused, because
running one would run whatever the rest of the text says. What is refused becomes a manual step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from audit.i18n import _

MSI_GUID = re.compile(
    r"\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}"
)
_MSIEXEC_SWITCH = re.compile(r"^[/-][IiXx]\s*(\{[^}]*\})$")
_MSIEXEC_QUIET = frozenset({"/qn", "/qb", "/quiet", "/passive", "/norestart", "/qb!", "/qn+"})
# What Remove-AppxPackage may be given: a PackageFullName (name_version_arch_resource_publisher).
APPX_FULL_NAME = re.compile(r"^[A-Za-z0-9][\w.~-]{0,199}$")
_APPX_COMMAND = re.compile(
    r"^powershell(?:\.exe)? -NoProfile -Command Remove-AppxPackage -Package (\S+)$", re.IGNORECASE
)

# Windows programs found by name in System32, which uninstall strings often use bare.
SYSTEM_TOOLS = frozenset({"msiexec", "rundll32", "msiexec.exe", "rundll32.exe"})
# Programs that run the rest of their command line as a script or command.
INTERPRETERS = frozenset(
    {
        "cmd",
        "command",
        "powershell",
        "pwsh",
        "wscript",
        "cscript",
        "mshta",
        "bash",
        "sh",
        "wsl",
        "python",
        "pythonw",
        "conhost",
        "explorer",
        "start",
    }
)


@dataclass(frozen=True)
class ParsedCommand:
    """An uninstall command as an argument list, or why it cannot be run safely."""

    argv: tuple[str, ...] = ()
    problem: str = ""  # "" when argv may be run; words that follow "Device Audit will not run it:"

    @property
    def ok(self) -> bool:
        return not self.problem and bool(self.argv)


def split_windows(text: str) -> list[str]:
    """Split a command line as CommandLineToArgvW does: quotes group, backslashes escape only
    before a quote (2n backslashes + quote -> n backslashes and a quote toggle)."""
    args: list[str] = []
    current: list[str] = []
    in_quotes = False
    has_arg = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            count = 0
            while i < len(text) and text[i] == "\\":
                count += 1
                i += 1
            if i < len(text) and text[i] == '"':
                current.append("\\" * (count // 2))
                if count % 2:
                    current.append('"')
                    i += 1
                has_arg = True
                continue
            current.append("\\" * count)
            has_arg = True
            continue
        if char == '"':
            if in_quotes and i + 1 < len(text) and text[i + 1] == '"':
                current.append('"')  # "" inside quotes is a literal quote
                i += 2
                continue
            in_quotes = not in_quotes
            has_arg = True
            i += 1
            continue
        if char in " \t" and not in_quotes:
            if has_arg:
                args.append("".join(current))
                current, has_arg = [], False
            i += 1
            continue
        current.append(char)
        has_arg = True
        i += 1
    if has_arg:
        args.append("".join(current))
    return args


def _is_absolute(path: str) -> bool:
    return PureWindowsPath(path).is_absolute() or (
        path.startswith("/") and PurePosixPath(path).is_absolute()
    )


def _program_name(path: str) -> str:
    name = PureWindowsPath(path).name if "\\" in path else PurePosixPath(path).name
    return name.casefold().removesuffix(".exe").removesuffix(".com")


def _unquoted_program(text: str) -> tuple[str, str] | None:
    """`C:\\Program Files\\App\\uninst.exe /S` (no quotes, spaces in the path): the program is
    the shortest prefix that starts with a drive and ends in .exe; returns (program, rest) or
    None."""
    match = re.match(
        r"^([A-Za-z]:\\[^\"<>|*?]+?\.exe)(?=\s|$)(.*)$", text, re.IGNORECASE | re.DOTALL
    )
    if not match:
        return None
    return match.group(1), match.group(2)


def parse_uninstall_string(text: str) -> ParsedCommand:
    """The argument list of a Windows UninstallString, or the reason it will not be run."""
    text = text.strip()
    if not text:
        return ParsedCommand(problem=_("the app registered no uninstall command"))
    if any(ord(c) < 32 for c in text):
        return ParsedCommand(problem=_("its uninstall command contains control characters"))
    if text.startswith('"'):
        args = split_windows(text)
    else:
        found = _unquoted_program(text)
        if found is not None and " " in found[0]:
            program, rest = found
            args = [program, *split_windows(rest)]
        else:
            args = split_windows(text)
    if not args:
        return ParsedCommand(problem=_("its uninstall command is empty"))
    program = args[0]
    name = _program_name(program)
    if name in ("msiexec",):
        return _msiexec(args)
    if name in INTERPRETERS:
        return ParsedCommand(
            problem=_(
                "its uninstall command runs {program}, which would run whatever the rest of "
                "the command says; Device Audit does not run such commands"
            ).format(program=name)
        )
    if not _is_absolute(program) and name + ".exe" not in SYSTEM_TOOLS:
        return ParsedCommand(
            problem=_("its uninstall command does not name its program by its full path")
        )
    return ParsedCommand(argv=tuple(args))


def _msiexec(args: list[str]) -> ParsedCommand:
    """`MsiExec.exe /I{GUID}` (which opens the repair dialog) becomes `/X{GUID}` (uninstall)."""
    quiet = [a for a in args[1:] if a.casefold().replace("-", "/", 1) in _MSIEXEC_QUIET]
    joined = " ".join(a for a in args[1:] if a not in quiet)
    match = MSI_GUID.search(joined)
    if not match or not _MSIEXEC_SWITCH.match(joined.strip()):
        return ParsedCommand(
            problem=_("its uninstall command is an MsiExec command Device Audit does not recognise")
        )
    flags = tuple(a.casefold().replace("-", "/", 1) for a in quiet)
    return ParsedCommand(argv=("msiexec.exe", "/x", match.group(0), *flags))


def appx_full_name(command: str) -> str | None:
    """The PackageFullName in the Remove-AppxPackage command the Store-app collector recorded."""
    match = _APPX_COMMAND.match(command.strip())
    if not match or not APPX_FULL_NAME.match(match.group(1)):
        return None
    return match.group(1)


def remove_appx_argv(full_name: str) -> tuple[str, ...]:
    """PowerShell joins the words after -Command into one command, so the name must be checked
    first: APPX_FULL_NAME allows no space, quote, semicolon or other PowerShell syntax."""
    if not APPX_FULL_NAME.match(full_name):
        raise ValueError(f"{full_name!r} is not a Windows package full name")
    return (
        "powershell",
        "-NoProfile",
        "-NonInteractive",
        "-Command",
        "Remove-AppxPackage",
        "-Package",
        full_name,
    )
