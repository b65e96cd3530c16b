"""Pure parsers of `dumpsys` output: the device policy (who manages the phone and its profiles)
and one package's record (versions, install times, installer and each user's state).

Split from parsers.py, whose helpers they share: like every parser of a phone's output, they
return what they could read plus a list of problems, and never raise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from audit.i18n import _
from audit.sources.android.packages import is_listable_package_name
from audit.sources.android.parsers import Problem, _lines, _Problems, _show

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
        problems.add(_("the output is not a device policy dump"))
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
        problems.add(
            _("the device owner is not a valid package name: {name}").format(
                name=_show(device_owner)
            )
        )
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
        problems.add(
            _("{key} is not a time: {value}").format(key=key, value=_show(value)), data_lost=False
        )
        return None


def _parse_int(value: str, problems: _Problems, key: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        problems.add(
            _("{key} is not a number: {value}").format(key=key, value=_show(value)),
            data_lost=False,
        )
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
            problems.add(_("the phone does not know the package {name}").format(name=package))
        else:
            problems.add(_("the output has no entry for the package {name}").format(name=package))
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
