"""Pure parsers of what an Android phone prints, tested on captured output.

A phone's output is untrusted and may be truncated (unplugged mid-command), garbled, or not UTF-8.
Every parser therefore returns what it could read plus a list of problems, and never raises: the
scan decides from the problems whether what it read is complete. Formats follow AOSP's
PackageManagerShellCommand, UserManager, DevicePolicyManagerService and Settings dump code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

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
                Problem(f"... and {self._dropped} more problems", self._dropped_lost),
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
            Problem(f"the phone's output is not valid UTF-8 (first bad byte at {error.start})")
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
                    f"line {number}: not a valid package line: {_show(line)}",
                    invalid_name=_claimed_name(line),
                )
            elif (old := entries.get(entry.name)) is not None:
                # Android 14+ lists a package once per distinct set of fields; merge their uids.
                entries[entry.name] = old._replace(uids=old.uids + entry.uids)
            else:
                entries[entry.name] = entry
        elif not _is_benign(line):
            problems.add(f"line {number}: unexpected output: {_show(line)}")
    return list(entries.values()), problems.result()


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
            problems.add(f"line {number}: not a user the phone listed: {_show(stripped)}")
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
        problems.add("no users were listed")
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
            problems.add(f"line {number}: unexpected output: {_show(line)}")
            continue
        value = match.group("value")
        if value.endswith("]"):
            props[match.group("key")] = value[:-1]
        else:
            key, value_lines = match.group("key"), [value]
    if key is not None:
        problems.add(f"the value of {key} is cut off")
    if not props:
        problems.add("no properties were listed")
    return props, problems.result()


# --- dumpsys device_policy -----------------------------------------------------------------


@dataclass(frozen=True)
class DevicePolicy:
    """Who manages the phone, from `dumpsys device_policy`."""

    device_owner: str | None = None  # package of the device owner app
    profile_owners: dict[int, str] = field(default_factory=dict)  # user id -> package
    supported: bool = True  # False when the phone has no device policy service

    @property
    def managed(self) -> bool:
        return self.device_owner is not None or bool(self.profile_owners)


_OWNER_HEADER = re.compile(
    r"(?P<kind>Device Owner|Profile Owner)(?: \(User (?P<user>\d+)\))?:\s*(?P<inline>.*)"
)
_COMPONENT = re.compile(r"ComponentInfo\{(?P<pkg>[^/}]+)/")


def parse_device_policy(text: str) -> tuple[DevicePolicy | None, list[Problem]]:
    """`dumpsys device_policy`: the Device Owner and Profile Owner (User N) blocks.

    Returns None when the text is not a device policy dump at all (then we cannot tell whether
    the phone is managed, which is different from "not managed").
    """
    problems = _Problems()
    lines = _lines(text)
    if any("Can't find service: device_policy" in line for line in lines):
        return DevicePolicy(supported=False), []
    recognised = any(
        marker in text
        for marker in ("Device Policy Manager state", "mHasFeature=", "Device Owner", "Enabled")
    )
    if not recognised:
        problems.add("the output is not a device policy dump")
        return None, problems.result()
    if "mHasFeature=false" in text:
        return DevicePolicy(supported=False), []

    device_owner: str | None = None
    profile_owners: dict[int, str] = {}
    for kind, user, package in _owner_blocks(lines):
        if kind == "Device Owner":
            device_owner = device_owner or package
        elif user is not None:
            profile_owners.setdefault(user, package)
    if device_owner is not None and not is_listable_package_name(device_owner):
        problems.add(f"the device owner is not a valid package name: {_show(device_owner)}")
    return DevicePolicy(device_owner, profile_owners), problems.result()


def _owner_blocks(lines: list[str]) -> list[tuple[str, int | None, str]]:
    """(kind, user, package) for each "Device Owner:" / "Profile Owner (User N):" block.

    AOSP prints the header, then indented admin=ComponentInfo{pkg/cls}, name=, package=; some
    builds print the package on the header line itself ("Device Owner (User 0): pkg").
    """
    blocks: list[tuple[str, int | None, str]] = []
    for index, line in enumerate(lines):
        header = _OWNER_HEADER.fullmatch(line.strip())
        if header is None:
            continue
        user = header.group("user")
        indent = len(line) - len(line.lstrip())
        package = ""
        inline = header.group("inline").strip()
        if inline and inline != "null":
            package = _owner_package(inline)
        for body in lines[index + 1 :]:
            stripped = body.strip()
            if stripped and len(body) - len(body.lstrip()) <= indent:
                break
            if stripped.startswith("package=") and not package:
                package = stripped[len("package=") :].strip()
            elif stripped.startswith("admin=") and not package:
                package = _owner_package(stripped[len("admin=") :])
        if package:
            blocks.append((header.group("kind"), int(user) if user is not None else None, package))
    return blocks


def _owner_package(value: str) -> str:
    match = _COMPONENT.search(value)
    if match:
        return match.group("pkg")
    words = value.split(maxsplit=1)
    return words[0] if words else ""


# --- dumpsys package <name> ----------------------------------------------------------------


@dataclass(frozen=True)
class UserPackageState:
    """A package's state for one user, from the "User N:" line of `dumpsys package`: the facts
    the package lists cannot give (a hidden app is listed like one removed for the user).
    None where the phone's Android does not print the field."""

    installed: bool | None = None
    hidden: bool | None = None
    enabled: int | None = None  # COMPONENT_ENABLED_STATE_*: 0 default, 2/3/4 disabled
    first_install_time: datetime | None = None  # Android 12+ prints this per user
    suspended: bool | None = None  # Android 7+
    ce_data_inode: int | None = None  # Android 7+: 0 when the user has no data for it

    @property
    def data_kept(self) -> bool | None:
        """Whether the user still has the app's data (uninstalled with `-k`), None: not said."""
        return None if self.ce_data_inode is None else self.ce_data_inode != 0


@dataclass(frozen=True)
class PackageDetails:
    """The fields of `dumpsys package <name>` the inventory uses; times are the phone's local."""

    name: str
    version_name: str = ""
    version_code: int | None = None
    app_id: int | None = None  # "userId=" up to Android 13, "appId=" from Android 14
    code_path: str = ""
    system: bool | None = None
    installer: str | None = None
    first_install_time: datetime | None = None
    last_update_time: datetime | None = None
    users: dict[int, UserPackageState] = field(default_factory=dict)

    def installed_at(self, user: int) -> datetime | None:
        state = self.users.get(user)
        if state is not None and state.first_install_time is not None:
            return state.first_install_time
        return self.first_install_time


_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_USER_STATE = re.compile(r"User (?P<user>\d+):(?P<rest>.*)")
_KEY_VALUE = re.compile(r"(\w+)=(\S*)")


def _parse_time(value: str, problems: _Problems, key: str) -> datetime | None:
    try:
        return datetime.strptime(value.strip(), _TIME_FORMAT)
    except ValueError:
        problems.add(f"{key} is not a time: {_show(value)}", data_lost=False)
        return None


def _parse_int(value: str, problems: _Problems, key: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        problems.add(f"{key} is not a number: {_show(value)}", data_lost=False)
        return None


def _package_block(lines: list[str], package: str) -> list[str] | None:
    """The lines of the first "Package [name]" block, before any "Hidden system packages:"."""
    header = f"Package [{package}]"
    start: int | None = None
    indent = 0
    for index, line in enumerate(lines):
        if line.startswith("Hidden system packages:"):
            break
        if line.strip().startswith(header):
            start = index
            indent = len(line) - len(line.lstrip())
            break
    if start is None:
        return None
    block: list[str] = []
    for line in lines[start + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        block.append(line)
    return block


def parse_dumpsys_package(text: str, package: str) -> tuple[PackageDetails | None, list[Problem]]:
    """`dumpsys package <name>`: versions, install times, installer and per-user state."""
    problems = _Problems()
    block = _package_block(_lines(text), package)
    if block is None:
        if "Unable to find package" in text:
            problems.add(f"the phone does not know the package {package}")
        else:
            problems.add(f"the output has no entry for the package {package}")
        return None, problems.result()

    fields: dict[str, str] = {}
    users: dict[int, UserPackageState] = {}
    current_user: int | None = None
    user_indent = 0
    for line in block:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if current_user is not None and stripped and indent <= user_indent:
            current_user = None
        if match := _USER_STATE.fullmatch(stripped):
            current_user = int(match.group("user"))
            user_indent = indent
            values = dict(_KEY_VALUE.findall(match.group("rest")))
            users[current_user] = UserPackageState(
                installed=_bool(values.get("installed")),
                hidden=_bool(values.get("hidden")),
                enabled=_parse_int(values["enabled"], problems, "enabled")
                if "enabled" in values
                else None,
                suspended=_bool(values.get("suspended")),
                ce_data_inode=_parse_int(values["ceDataInode"], problems, "ceDataInode")
                if "ceDataInode" in values
                else None,
            )
            continue
        if current_user is not None:
            if stripped.startswith("firstInstallTime="):
                time = _parse_time(stripped.split("=", 1)[1], problems, "firstInstallTime")
                users[current_user] = replace(users[current_user], first_install_time=time)
            continue
        if stripped.startswith("versionCode="):
            # "versionCode=123 minSdk=21 targetSdk=33"
            fields["versionCode"] = stripped.split()[0].split("=", 1)[1]
            continue
        key, sep, value = stripped.partition("=")
        if sep and key not in fields and re.fullmatch(r"\w+", key):
            fields[key] = value

    version_code = (
        _parse_int(fields["versionCode"], problems, "versionCode")
        if "versionCode" in fields
        else None
    )
    app_id_text = fields.get("appId", fields.get("userId"))
    app_id = _parse_int(app_id_text, problems, "appId") if app_id_text is not None else None
    flags = fields.get("pkgFlags", fields.get("flags"))
    installer = fields.get("installerPackageName")
    if installer == "null":
        installer = ""
    return (
        PackageDetails(
            name=package,
            version_name=fields.get("versionName", ""),
            version_code=version_code,
            app_id=app_id,
            code_path=fields.get("codePath", ""),
            system=("SYSTEM" in flags.strip("[] ").split()) if flags is not None else None,
            installer=installer,
            first_install_time=_parse_time(fields["firstInstallTime"], problems, "firstInstallTime")
            if "firstInstallTime" in fields
            else None,
            last_update_time=_parse_time(fields["lastUpdateTime"], problems, "lastUpdateTime")
            if "lastUpdateTime" in fields
            else None,
            users=users,
        ),
        problems.result(),
    )


def _bool(value: str | None) -> bool | None:
    if value == "true":
        return True
    if value == "false":
        return False
    return None


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
        section, _, kind = label.rpartition(":")
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
                problems.add(f"the output of {name} is cut off")
            name, body = section, after
        elif name is not None:
            if section != name:
                problems.add(f"the output of {name} ends as {section}")
            sections[name] = Section(name, text[body:at] if at > body else "", int(kind[3:]))
            name, outside = None, after
        at = text.find(marker, max(after, at + 1))
    if name is not None:
        sections[name] = Section(name, text[body:], None)
        problems.add(f"the output of {name} is cut off")
    else:
        _outside(problems, text[outside:])
    return sections, problems.result()


_SECTION_NAME = re.compile(r"[\w:.-]+")


def _outside(problems: _Problems, text: str) -> None:
    """Report output that no command's markers enclose (there should be none)."""
    for line in _lines(text):
        if line.strip():
            problems.add(f"output outside any command: {_show(line)}")
