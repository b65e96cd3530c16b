"""Pure parsers of what an Android phone prints, tested on captured output.

A phone's output is untrusted and may be truncated (unplugged mid-command), garbled, or not UTF-8.
Every parser therefore returns what it could read plus a list of problems, and never raises: the
scan decides from the problems whether what it read is complete. Formats follow AOSP's
PackageManagerShellCommand, UserManager, DevicePolicyManagerService and Settings dump code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from audit.i18n import _, ngettext
from audit.sources.android.packages import (
    MAX_LENGTH,
    is_listable_package_name,
    is_plain_package_name,
)

MAX_PROBLEMS = 20
"""Garbage output could produce one problem per line; a person needs the first few and a count."""


@dataclass(frozen=True)
class Problem:
    """Something in a phone's output that could not be used.

    `data_lost` is False for noise a phone is known to print (linker warnings on old builds);
    True when something the phone reported may be missing from the result.
    """

    message: str
    data_lost: bool = True
    # The name a package line carried when it broke Android's package-name grammar (even
    # without its '.' rule, see packages.py): no package manager can hold it, so the output was
    # garbled (or hostile). The scan names these.
    invalid_name: str | None = None


class _Problems:
    """Collects problems, keeping the first MAX_PROBLEMS and counting the rest."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self._dropped = 0
        self._dropped_lost = False

    def add(self, message: str, *, data_lost: bool = True, invalid_name: str | None = None) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(message, data_lost, invalid_name))
        else:
            self._dropped += 1
            self._dropped_lost = self._dropped_lost or data_lost

    def result(self) -> list[Problem]:
        if self._dropped:
            return [
                *self.items,
                Problem(
                    ngettext(
                        "... and {count} more problem",
                        "... and {count} more problems",
                        self._dropped,
                    ).format(count=self._dropped),
                    self._dropped_lost,
                ),
            ]
        return list(self.items)


def _show(text: str, limit: int = 80) -> str:
    """A short, printable excerpt of untrusted text for a problem message."""
    shown = text if len(text) <= limit else text[:limit] + "…"
    return repr(shown)


def decode_output(data: bytes) -> tuple[str, list[Problem]]:
    """Device output as text; bytes that are not UTF-8 become U+FFFD and are reported."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as error:
        text = data.decode("utf-8", errors="replace")
        return text, [
            Problem(
                _("the phone's output is not valid UTF-8 (first bad byte at {offset})").format(
                    offset=error.start
                )
            )
        ]


def _lines(text: str) -> list[str]:
    return [line.rstrip("\r") for line in text.split("\n")]


# --- errors printed instead of results ---------------------------------------------------


class ErrorKind(StrEnum):
    UNKNOWN_OPTION = "unknown_option"  # an older pm that does not know a flag
    UNKNOWN_COMMAND = "unknown_command"  # e.g. install-existing on some Android 7 builds
    SECURITY = "security"  # the shell may not read this user (work profile, Secure Folder)
    FAILED = "failed"  # any other exception or error line


@dataclass(frozen=True)
class CommandError:
    kind: ErrorKind
    message: str
    option: str = ""  # the rejected option, for UNKNOWN_OPTION


_UNKNOWN_OPTION = re.compile(r"Unknown option:?\s+(\S+)")
_UNKNOWN_COMMAND = re.compile(r"unknown command:?\s*(\S*)", re.IGNORECASE)  # cmd / Pm.java
_SECURITY = re.compile(r"(?:java\.lang\.)?SecurityException:?\s*(.*)")
_EXCEPTION = re.compile(r"^(?:Error:|Exception occurred while executing|Failure \[|.*Exception:)")


def find_command_error(text: str) -> CommandError | None:
    """The error a pm/cmd invocation printed instead of (or besides) its results, if any.

    Android prints these on stdout ("Error: Unknown option: -U") or stderr (the SecurityException
    for a protected user, with exit status 0 from Android 14 on), so the text is what counts.
    """
    for line in _lines(text):
        stripped = line.strip()
        if match := _UNKNOWN_OPTION.search(stripped):
            return CommandError(ErrorKind.UNKNOWN_OPTION, stripped, match.group(1))
        if _UNKNOWN_COMMAND.search(stripped):
            return CommandError(ErrorKind.UNKNOWN_COMMAND, stripped)
        if match := _SECURITY.search(stripped):
            return CommandError(ErrorKind.SECURITY, match.group(1).strip() or stripped)
    for line in _lines(text):
        stripped = line.strip()
        if _EXCEPTION.match(stripped):
            return CommandError(ErrorKind.FAILED, stripped)
    return None


_BENIGN = re.compile(r"^(WARNING: linker:|\s*$)")


def _is_benign(line: str) -> bool:
    return _BENIGN.match(line) is not None


# --- pm list packages ----------------------------------------------------------------------


class PackageEntry(NamedTuple):
    """One line of `pm list packages`; fields are None when the flag was not given.

    A NamedTuple, not a dataclass: a scan makes a couple of thousand of these.
    """

    name: str
    path: str | None = None  # -f
    version_code: int | None = None  # --show-versioncode
    installer: str | None = None  # -i; "" when the phone says installer=null
    uids: tuple[int, ...] = ()  # -U; several when listed for several users at once


# package:<path>=<name> versionCode:<n> stopped=<b>  installer=<pkg> uid:<uid>[,<uid>...]
# One anchored regex per line, token by token (APK paths never contain spaces), so it cannot
# backtrack across the line; a phone lists hundreds of packages per user.
_FULL_LINE = re.compile(
    r"(?:(?P<path>\S*)=)?(?P<name>[^\s=]+)"
    r"(?: versionCode:(?P<vc>-?\d+))?"
    r"(?: stopped=(?:true|false))?"
    r"(?: +installer=(?P<installer>\S*))?"
    r"(?: uid:(?P<uids>\d+(?:,\d+)*))?"
)

# The same line with the listing grammar (packages.is_listable_package_name: Android's, a '.'
# not required) built in, over a whole listing at once (re.M): one C-level pass finds every
# valid line. Each optional field keeps its label in the
# group, so "absent" ("") and "empty" ("=", " +installer=") stay apart without match objects.
# Possessive quantifiers (*+, ?+): each character has one way to match, nothing to backtrack.
_SEGMENT = r"[A-Za-z][A-Za-z0-9_]*+"
_NAME = rf"(?:{_SEGMENT}(?:\.(?:{_SEGMENT})?+)*+|(?:\.(?:{_SEGMENT})?+)++)"
_LISTING = re.compile(
    rf"^package:((?:[^\s=]*+=)*+)({_NAME})"  # the path runs to the last '=' of the token
    r"( versionCode:-?\d++)?+"
    r"(?: stopped=(?:true|false))?+"
    r"( ++installer=\S*+)?+"
    r"( uid:\d++(?:,\d++)*+)?+[ \t\r]*+$",
    re.M,
)
_NAME_LISTING = re.compile(rf"^package:({_NAME})[ \t\r]*+$", re.M)


def parse_package_line(line: str) -> PackageEntry | None:
    """One `package:` line, or None if its name is none a package manager could hold."""
    if not line.startswith("package:"):
        return None
    rest = line[len("package:") :].rstrip()
    if is_plain_package_name(rest):
        return PackageEntry(rest)
    match = _FULL_LINE.fullmatch(rest)
    if match is None:
        return None
    path, name, version, installer, uids = match.group("path", "name", "vc", "installer", "uids")
    # With -f the APK path comes first; Android 11+ paths contain '=' (base64 "~~...==/"),
    # package names never do, so the name is what follows the last '='.
    if not is_listable_package_name(name):
        return None
    return PackageEntry(
        name,
        path,
        int(version) if version is not None else None,
        "" if installer == "null" else installer,
        tuple(map(int, uids.split(","))) if uids else (),
    )


def _non_blank_lines(text: str) -> int:
    lines = text.split("\n")
    return len(lines) - lines.count("")


def _all_lines_valid(names: list[str], text: str) -> bool:
    """Whether the listing's every line matched, with no name Android would refuse."""
    if len(names) != _non_blank_lines(text):
        return False
    return max(map(len, names), default=0) <= MAX_LENGTH and not _DOTS.intersection(names)


_DOTS = frozenset({".", ".."})  # FileUtils.isValidExtFilename refuses these


def parse_package_list(text: str) -> tuple[list[PackageEntry], list[Problem]]:
    """`pm list packages` in any of its flag variants (-f, -i, -U, --show-versioncode)."""
    rows = _LISTING.findall(text)
    if not _all_lines_valid([row[1] for row in rows], text):
        return parse_package_list_by_line(text)
    new = tuple.__new__  # PackageEntry._make without its Python frame: hundreds of lines
    entries: dict[str, PackageEntry] = {}
    for path, name, version, installer_field, uids in rows:
        installer: str | None = None
        if installer_field:  # " +installer=VALUE"; Android prints "null" for none
            installer = installer_field.partition("=")[2]
            if installer == "null":
                installer = ""
        uid_tuple: tuple[int, ...] = ()
        if uids:  # " uid:N" or, for several users at once, " uid:N,N"
            uid_tuple = tuple(map(int, uids[5:].split(","))) if "," in uids else (int(uids[5:]),)
        entry: PackageEntry = new(
            PackageEntry,
            (
                name,
                path[:-1] if path else None,
                int(version[13:]) if version else None,  # " versionCode:N"
                installer,
                uid_tuple,
            ),
        )
        if name in entries:
            # Android 14+ lists a package once per distinct set of fields; merge their uids.
            entries[name] = entries[name]._replace(uids=entries[name].uids + entry.uids)
        else:
            entries[name] = entry
    return list(entries.values()), []


def parse_package_names(text: str) -> tuple[set[str], list[Problem]]:
    """The names of a plain `pm list packages` (no -f, -i, -U...): one C-level pass when every
    line is a valid "package:NAME"; line by line, with problems, otherwise."""
    names = _NAME_LISTING.findall(text)
    if _all_lines_valid(names, text):
        return set(names), []
    entries, problems = parse_package_list(text)
    return {entry.name for entry in entries}, problems


def non_package_text(text: str) -> str:
    """The lines of a listing that are not package lines: where an error would be printed."""
    return "\n".join(line for line in _lines(text) if not line.startswith("package:"))


def parse_package_list_by_line(text: str) -> tuple[list[PackageEntry], list[Problem]]:
    """parse_package_list line by line: the reference, and the path for damaged output (it
    says which lines were left out and why)."""
    problems = _Problems()
    entries: dict[str, PackageEntry] = {}
    for number, line in enumerate(_lines(text), start=1):
        if line.startswith("package:"):
            entry = parse_package_line(line)
            if entry is None:
                problems.add(
                    _("line {number}: not a valid package line: {line}").format(
                        number=number, line=_show(line)
                    ),
                    invalid_name=_claimed_name(line),
                )
            elif (old := entries.get(entry.name)) is not None:
                # Android 14+ lists a package once per distinct set of fields; merge their uids.
                entries[entry.name] = old._replace(uids=old.uids + entry.uids)
            else:
                entries[entry.name] = entry
        elif not _is_benign(line):
            problems.add(_unexpected(number, line))
    return list(entries.values()), problems.result()


def _unexpected(number: int, line: str) -> str:
    return _("line {number}: unexpected output: {line}").format(number=number, line=_show(line))


def _claimed_name(line: str) -> str | None:
    """The package name a malformed "package:" line seems to carry (for the report), if any."""
    match = _FULL_LINE.fullmatch(line[len("package:") :].rstrip())
    if match is None:
        return None
    return match.group("name")


# --- pm list users -------------------------------------------------------------------------


@dataclass(frozen=True)
class UserEntry:
    id: int
    name: str
    flags: int
    running: bool


# UserInfo.toString(): "UserInfo{" + id + ":" + name + ":" + Integer.toHexString(flags) + "}"
_USER_LINE = re.compile(
    r"UserInfo\{(?P<id>\d+):(?P<name>.*):(?P<flags>[0-9a-fA-F]+)\}(?P<rest>.*)", re.DOTALL
)
_USER_START = "UserInfo{"
MAX_NAME_LINES = 8
"""Lines one user's entry may span: a user's name is any text, line breaks included."""


def parse_users(text: str) -> tuple[list[UserEntry], list[Problem]]:
    """`pm list users`: "Users:" then one "UserInfo{id:name:flags} running" entry per user.

    A user's name is whatever the person (or a profile's management app) typed, so it may hold
    a line break and spread the entry over several lines: those are joined back. A line that is
    no part of an entry is a problem that loses data (a user may be missing), never skipped
    quietly: a user the scan does not know of is a user whose apps it never reads.
    """
    problems = _Problems()
    users: list[UserEntry] = []
    lines = _lines(text)
    index = 0
    while index < len(lines):
        number, line = index + 1, lines[index]
        index += 1
        stripped = line.strip()
        if stripped == "Users:" or _is_benign(line):
            continue
        match = _USER_LINE.search(stripped)
        if match is None and _USER_START in stripped:
            # The name may go on over the next lines: join them until the entry closes.
            joined = stripped
            for extra in range(min(MAX_NAME_LINES, len(lines) - index)):
                joined += "\n" + lines[index + extra].rstrip()
                match = _USER_LINE.search(joined)
                if match is not None:
                    index += extra + 1
                    break
        if match is None:
            problems.add(
                _("line {number}: not a user the phone listed: {line}").format(
                    number=number, line=_show(stripped)
                )
            )
            continue
        users.append(
            UserEntry(
                id=int(match.group("id")),
                name=match.group("name"),
                flags=int(match.group("flags"), 16),
                running="running" in match.group("rest").split(),
            )
        )
    if not users:
        problems.add(_("no users were listed"))
    return users, problems.result()


# --- getprop -------------------------------------------------------------------------------

_PROP_LINE = re.compile(r"\[(?P<key>[^\]]*)\]: \[(?P<value>.*)")


def parse_getprop(text: str) -> tuple[dict[str, str], list[Problem]]:
    """`getprop` with no argument: "[key]: [value]" lines; a value may span lines."""
    problems = _Problems()
    props: dict[str, str] = {}
    key: str | None = None
    value_lines: list[str] = []
    for number, line in enumerate(_lines(text), start=1):
        if key is not None:
            if line.endswith("]"):
                value_lines.append(line[:-1])
                props[key] = "\n".join(value_lines)
                key = None
            else:
                value_lines.append(line)
            continue
        if not line.strip():
            continue
        match = _PROP_LINE.fullmatch(line)
        if match is None:
            problems.add(_unexpected(number, line))
            continue
        value = match.group("value")
        if value.endswith("]"):
            props[match.group("key")] = value[:-1]
        else:
            key, value_lines = match.group("key"), [value]
    if key is not None:
        problems.add(_("the value of {key} is cut off").format(key=key))
    if not props:
        problems.add(_("no properties were listed"))
    return props, problems.result()


# --- the combined shell script's sections --------------------------------------------------


@dataclass(frozen=True)
class Section:
    """The output of one command inside a combined shell invocation."""

    name: str
    text: str
    exit_code: int | None  # None when the end marker never arrived (output cut off)

    @property
    def complete(self) -> bool:
        return self.exit_code is not None


def parse_sections(text: str, nonce: str) -> tuple[dict[str, Section], list[Problem]]:
    """Split the output of a combined script into its sections (see commands.build_script).

    A section whose begin marker is missing is absent from the result; one whose end marker is
    missing has exit_code None: the phone stopped answering inside it. A section's text runs
    from the line after its begin marker to its end marker. The markers are found with
    str.find (a scan's output is tens of thousands of lines; only the markers need looking at).
    """
    problems = _Problems()
    marker = f"===DA:{nonce}:"
    sections: dict[str, Section] = {}
    name: str | None = None  # the open section
    body = 0  # where its text starts
    outside = 0  # where text outside any section starts
    at = text.find(marker)
    while at >= 0:
        close = text.find("===", at + len(marker))
        label = text[at + len(marker) : close] if close >= 0 else ""
        section, _colon, kind = label.rpartition(":")
        is_begin = kind == "begin"
        is_end = kind.startswith("rc=") and kind[3:].isdigit() and kind[3:].isascii()
        if not _SECTION_NAME.fullmatch(section) or not (is_begin or is_end):
            at = text.find(marker, at + 1)  # not one of our markers: plain output
            continue
        line_start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", close)
        after = len(text) if line_end < 0 else line_end + 1
        if is_begin:
            if name is None:
                _outside(problems, text[outside:line_start])
            else:
                # The previous command's end never came: keep what it printed, marked cut off.
                sections[name] = Section(name, text[body:line_start], None)
                problems.add(_cut_off(name))
            name, body = section, after
        elif name is not None:
            if section != name:
                problems.add(
                    _("the output of {command} ends as {other}").format(command=name, other=section)
                )
            sections[name] = Section(name, text[body:at] if at > body else "", int(kind[3:]))
            name, outside = None, after
        at = text.find(marker, max(after, at + 1))
    if name is not None:
        sections[name] = Section(name, text[body:], None)
        problems.add(_cut_off(name))
    else:
        _outside(problems, text[outside:])
    return sections, problems.result()


_SECTION_NAME = re.compile(r"[\w:.-]+")


def _cut_off(name: str) -> str:
    return _("the output of {command} is cut off").format(command=name)


def _outside(problems: _Problems, text: str) -> None:
    """Report output that no command's markers enclose (there should be none)."""
    for line in _lines(text):
        if line.strip():
            problems.add(_("output outside any command: {line}").format(line=_show(line)))
