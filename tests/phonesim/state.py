"""The simulated phone's mutable model: users, packages, per-user package state, settings.

The rules here mirror Android's PackageManagerService closely enough that removal code meets the
same surprises it meets on a real phone: a system app "uninstalled" for a user stays on the
device and comes back with `install-existing`; `-k` keeps a user app's data, so the app still
shows in `pm list packages -u`; the device-policy app refuses to go; a user restriction blocks
uninstalls. Methods return Android's own failure codes; `pm.py` turns them into text.
"""

from __future__ import annotations

import functools
import struct
import threading
import zlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import IntEnum
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

# UserInfo flags (android.content.pm.UserInfo).
FLAG_PRIMARY = 0x1
FLAG_ADMIN = 0x2
FLAG_GUEST = 0x4
FLAG_RESTRICTED = 0x8
FLAG_INITIALIZED = 0x10
FLAG_MANAGED_PROFILE = 0x20
FLAG_DISABLED = 0x40
FLAG_QUIET_MODE = 0x80
FLAG_EPHEMERAL = 0x100
FLAG_DEMO = 0x200
FLAG_FULL = 0x400
FLAG_SYSTEM = 0x800
FLAG_PROFILE = 0x1000
FLAG_MAIN = 0x4000

PER_USER_RANGE = 100_000

DISALLOW_UNINSTALL_APPS = "no_uninstall_apps"
DISALLOW_APPS_CONTROL = "no_control_apps"
DISALLOW_DEBUGGING_FEATURES = "no_debugging_features"

DELETE_FAILED_INTERNAL_ERROR = "DELETE_FAILED_INTERNAL_ERROR"
DELETE_FAILED_DEVICE_POLICY_MANAGER = "DELETE_FAILED_DEVICE_POLICY_MANAGER"
DELETE_FAILED_USER_RESTRICTED = "DELETE_FAILED_USER_RESTRICTED"
DELETE_FAILED_OWNER_BLOCKED = "DELETE_FAILED_OWNER_BLOCKED"

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class Enabled(IntEnum):
    """PackageManager.COMPONENT_ENABLED_STATE_*; dumpsys prints the number."""

    DEFAULT = 0
    ENABLED = 1
    DISABLED = 2
    DISABLED_USER = 3
    DISABLED_UNTIL_USED = 4

    @property
    def shell_name(self) -> str:
        """The word `pm enable/disable-user` prints ("Package x new state: disabled-user")."""
        return _ENABLED_NAMES[self]

    @property
    def is_enabled(self) -> bool:
        return self in (Enabled.DEFAULT, Enabled.ENABLED)


_ENABLED_NAMES = {
    Enabled.DEFAULT: "default",
    Enabled.ENABLED: "enabled",
    Enabled.DISABLED: "disabled",
    Enabled.DISABLED_USER: "disabled-user",
    Enabled.DISABLED_UNTIL_USED: "disabled-until-used",
}


class SimState:
    """Names of per-user states in profiles and in `PhoneState.state_of` (matches AppState)."""

    INSTALLED = "installed"
    DISABLED = "disabled"
    HIDDEN = "hidden"  # installed, hidden (frozen) by the profile's admin (setApplicationHidden)
    SUSPENDED = "suspended"  # installed, suspended (paused) by Digital Wellbeing or the admin
    REMOVED_FOR_USER = "removed_for_user"
    ABSENT = "absent"


class UserNotReadable(Exception):
    """The shell may not touch this user (DISALLOW_DEBUGGING_FEATURES, e.g. Secure Folder)."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"Shell does not have permission to access user {user_id}")
        self.user_id = user_id


class UnknownPackage(Exception):
    def __init__(self, package: str) -> None:
        super().__init__(f"Unknown package: {package}")
        self.package = package


class ProtectedPackage(Exception):
    def __init__(self, package: str) -> None:
        super().__init__(f"Cannot disable a protected package: {package}")
        self.package = package


class ShellCannotChangeState(Exception):
    def __init__(self, package: str, new_state: Enabled) -> None:
        super().__init__(
            f"Shell cannot change component state for {package}/null to {int(new_state)}"
        )


@dataclass
class User:
    id: int
    name: str
    flags: int
    kind: str  # owner, work_profile, secure_folder, dual_app, guest, secondary
    readable: bool = True  # False: the shell gets a SecurityException (Secure Folder)
    running: bool = True
    restrictions: frozenset[str] = frozenset()
    parent: int | None = None
    profile_owner: str | None = None  # flattened ComponentName of the profile owner

    def __str__(self) -> str:
        """UserInfo.toString(), as `pm list users` prints it."""
        return f"UserInfo{{{self.id}:{self.name}:{self.flags:x}}}"

    def uid(self, app_id: int) -> int:
        return self.id * PER_USER_RANGE + app_id


@dataclass
class UserPackageState:
    installed: bool = True
    enabled: Enabled = Enabled.DEFAULT
    data_retained: bool = False  # uninstalled with -k: data kept, so `-u` still lists it
    stopped: bool = False
    not_launched: bool = False
    hidden: bool = False
    suspended: bool = False
    ce_data_inode: int = 0
    first_install: datetime | None = None
    install_reason: int = 0
    uninstall_reason: int = 0
    last_disabled_caller: str | None = None


@dataclass
class Package:
    name: str
    apk: str  # ApplicationInfo.sourceDir
    system: bool
    version_name: str
    version_code: int
    app_id: int
    first_install: datetime
    last_update: datetime
    installer: str | None = None
    label: str = ""
    splits: tuple[str, ...] = ()
    updated_system: bool = False
    shared_user: str | None = None
    target_sdk: int = 33
    min_sdk: int = 24
    timestamp: datetime | None = None
    protected: bool = False  # a device-policy (DPC) package: refuses uninstall and disable
    blocked_users: frozenset[int] = frozenset()  # the admin blocked uninstall in these users
    # A name no real phone could have installed (it breaks Android's package-name grammar): the
    # profile uses it to stand for garbled output, which a scan must flag, not trust.
    garbled: bool = False
    users: dict[int, UserPackageState] = field(default_factory=dict)

    @property
    def code_path(self) -> str:
        """The folder (or, for old single-file system apps, the file) Android calls codePath."""
        if self.apk.endswith("/base.apk") or self.apk.count("/") > 3:
            return self.apk.rsplit("/", 1)[0]
        return self.apk

    def user_state(self, user_id: int) -> UserPackageState:
        """The package's state for a user; a user that never had it gets an uninstalled state."""
        state = self.users.get(user_id)
        if state is None:
            state = UserPackageState(installed=False, ce_data_inode=0)
            self.users[user_id] = state
        return state

    def installed_for(self, user_id: int) -> bool:
        state = self.users.get(user_id)
        return state is not None and state.installed

    def available_for(self, user_id: int) -> bool:
        """PackageUserStateUtils.isAvailable without MATCH_UNINSTALLED_PACKAGES: installed and
        not hidden. What `getPackageInfo(name, 0, user)` finds, so what `pm path` and the
        per-user `pm uninstall` check see; a hidden app is "not installed for" the user there."""
        state = self.users.get(user_id)
        return state is not None and state.installed and not state.hidden

    def installed_anywhere(self) -> bool:
        return any(state.installed for state in self.users.values())


@dataclass
class PhoneState:
    """Everything the simulated phone knows. Guard mutations with `lock`.

    `version` counts the changes made through the methods below; what `pm list packages` and
    `dumpsys package` print is cached per version (a phone's package manager holds its lists in
    memory: rendering them again per command would put simulator CPU into every timing). Code
    that edits packages or users directly calls `touch()` afterwards.
    """

    profile_id: str
    properties: dict[str, str]
    users: list[User]
    packages: dict[str, Package]
    device_owner: tuple[int, str] | None = None  # (user id, flattened ComponentName)
    settings: dict[tuple[str, str], str] = field(default_factory=dict)
    quirks: dict[str, str] = field(default_factory=dict)
    description: str = ""
    files: dict[str, bytes] = field(default_factory=dict)  # /data/local/tmp scratch files
    program_ms: float = 0.0  # what starting one costly program (pm, cmd, dumpsys...) takes
    cores: int = 8  # how many programs run side by side before they queue for a core
    rebooted: bool = False
    reboots: int = 0
    version: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def clone(self) -> PhoneState:
        """An independent copy (its own packages, users' states and lock)."""
        with self.lock:
            packages = {
                name: replace(
                    package,
                    users={uid: replace(state) for uid, state in package.users.items()},
                )
                for name, package in self.packages.items()
            }
            return replace(
                self,
                properties=dict(self.properties),
                users=[replace(user) for user in self.users],
                packages=packages,
                settings=dict(self.settings),
                quirks=dict(self.quirks),
                files=dict(self.files),
                lock=threading.RLock(),
            )

    def touch(self) -> None:
        """Note a change to packages or users, so no cached output outlives it."""
        with self.lock:
            self.version += 1

    # --- identity -------------------------------------------------------------------------

    @property
    def sdk(self) -> int:
        try:
            return int(self.properties.get("ro.build.version.sdk", "34"))
        except ValueError:
            return 34

    @property
    def serialno(self) -> str:
        return self.properties.get("ro.serialno", "")

    @property
    def adb_enabled(self) -> bool:
        return self.settings.get(("global", "adb_enabled"), "1") != "0"

    def user(self, user_id: int) -> User | None:
        return next((u for u in self.users if u.id == user_id), None)

    def user_ids(self) -> list[int]:
        return [u.id for u in self.users]

    def check_readable(self, user_id: int) -> None:
        """Raise UserNotReadable as Android's handleIncomingUser does for the shell."""
        user = self.user(user_id)
        if user is not None and (
            not user.readable or DISALLOW_DEBUGGING_FEATURES in user.restrictions
        ):
            raise UserNotReadable(user_id)

    def profile_owner_package(self, user_id: int) -> str | None:
        user = self.user(user_id)
        if user is None or user.profile_owner is None:
            return None
        return user.profile_owner.split("/", 1)[0]

    def is_protected(self, package: Package, user_id: int) -> bool:
        """Device-policy packages: the profile owner of that user, the device owner, DPC apps."""
        if package.protected:
            return True
        if self.profile_owner_package(user_id) == package.name:
            return True
        return self.device_owner is not None and self.device_owner[1].startswith(package.name + "/")

    # --- queries --------------------------------------------------------------------------

    def state_of(self, package_name: str, user_id: int) -> str:
        """installed / disabled / removed_for_user / absent, as the audit should conclude."""
        package = self.packages.get(package_name)
        if package is None:
            return SimState.ABSENT
        state = package.users.get(user_id)
        if state is None or not state.installed:
            if package.system or (state is not None and state.data_retained):
                return SimState.REMOVED_FOR_USER
            return SimState.ABSENT
        if state.hidden:
            return SimState.HIDDEN
        if state.suspended:
            return SimState.SUSPENDED
        if not state.enabled.is_enabled:
            return SimState.DISABLED
        return SimState.INSTALLED

    def visible_to(self, package: Package, user_id: int, match_uninstalled: bool) -> bool:
        """Whether getInstalledPackages(flags, user) returns the package.

        Without MATCH_UNINSTALLED_PACKAGES (`-u`): the packages installed for the user and not
        hidden (PackageUserStateUtils.isAvailable: a hidden, "frozen", app is matched only with
        the flag, so it is listed exactly like one removed for the user). A suspended app is
        installed and listed. With the flag, from Android 8 (isAvailable and
        checkUseInstalledOrHidden): also the hidden ones, every system package (a copy stays on
        the phone whoever uninstalled it) and a user app uninstalled with its data kept (`-k`).
        Up to Android 7 the flag matched every package the phone knows, so user apps installed
        only in another user are listed too. So does every version when the owner (user 0) has a
        profile (a work profile, Secure Folder, dual apps): ComputerEngine.updateFlagsForPackage
        adds MATCH_ANY_USER to MATCH_UNINSTALLED_PACKAGES for a caller in user 0, as the shell is
        (b/31000380, "so that launchers that need to access work profile apps don't break").
        """
        state = package.users.get(user_id)
        if state is not None and state.installed and not state.hidden:
            return True
        if not match_uninstalled:
            return False
        if state is not None and state.installed:
            return True  # hidden
        if package.system or (state is not None and state.data_retained):
            return True
        return (self.sdk <= 25 or self.owner_has_profile()) and package.installed_anywhere()

    def owner_has_profile(self) -> bool:
        """UserManager.hasProfile(USER_SYSTEM): another user in the owner's profile group."""
        return any(user.parent == 0 and user.id != 0 for user in self.users)

    # --- mutations ------------------------------------------------------------------------

    def uninstall(self, package_name: str, user_id: int | None, keep_data: bool) -> str | None:
        """Uninstall for one user (or every user when None). Returns a failure code or None."""
        with self.lock:
            package = self.packages.get(package_name)
            if package is None:
                return DELETE_FAILED_INTERNAL_ERROR
            targets = self.user_ids() if user_id is None else [user_id]
            # The same order of checks as PackageManagerService: restriction, block, admin.
            for target in targets:
                user = self.user(target)
                if user is not None and DISALLOW_UNINSTALL_APPS in user.restrictions:
                    return DELETE_FAILED_USER_RESTRICTED
            for target in targets:
                if target in package.blocked_users and package.installed_for(target):
                    return DELETE_FAILED_OWNER_BLOCKED
            for target in targets:
                if self.is_protected(package, target) and package.installed_for(target):
                    return DELETE_FAILED_DEVICE_POLICY_MANAGER
            if user_id is None:
                if package.system:
                    # Removing a factory system app for every user is not allowed.
                    return DELETE_FAILED_INTERNAL_ERROR
                del self.packages[package_name]
                self.version += 1
                return None
            self.version += 1
            state = package.user_state(user_id)
            state.installed = False
            state.hidden = state.suspended = False  # a new, default user state (as AOSP)
            state.data_retained = keep_data and not package.system
            if not state.data_retained:
                state.ce_data_inode = 0
            state.enabled = Enabled.DEFAULT
            state.uninstall_reason = 0
            retained = any(s.data_retained for s in package.users.values())
            if not package.system and not package.installed_anywhere() and not retained:
                del self.packages[package_name]
            return None

    def install_existing(self, package_name: str, user_id: int) -> bool:
        """`cmd package install-existing`: False when no copy of the package is on the phone."""
        with self.lock:
            package = self.packages.get(package_name)
            if package is None or self.user(user_id) is None:
                return False
            state = package.user_state(user_id)
            if not state.installed:
                self.version += 1
                state.installed = True
                state.data_retained = False
                state.enabled = Enabled.DEFAULT
                state.first_install = datetime.now().replace(microsecond=0)
                state.ce_data_inode = stable_number(f"{package_name}/{user_id}/inode", 90_000)
            return True

    def set_enabled(self, package_name: str, user_id: int, new_state: Enabled) -> Enabled:
        """`pm enable/disable-user`; raises as PackageManagerService does for the shell."""
        with self.lock:
            package = self.packages.get(package_name)
            if package is None or self.user(user_id) is None:
                raise UnknownPackage(package_name)
            if not new_state.is_enabled and self.is_protected(package, user_id):
                raise ProtectedPackage(package_name)
            state = package.user_state(user_id)
            shell_ok = {Enabled.DEFAULT, Enabled.ENABLED, Enabled.DISABLED_USER}
            if state.enabled not in shell_ok or new_state not in shell_ok:
                raise ShellCannotChangeState(package_name, new_state)
            self.version += 1
            state.enabled = new_state
            state.last_disabled_caller = None if new_state.is_enabled else "shell:2000"
            return state.enabled

    def force_stop(self, package_name: str, user_id: int) -> None:
        with self.lock:
            package = self.packages.get(package_name)
            if package is not None and package.installed_for(user_id):
                package.user_state(user_id).stopped = True
                self.version += 1

    def clear_data(self, package_name: str, user_id: int) -> bool:
        with self.lock:
            package = self.packages.get(package_name)
            if package is None or not package.installed_for(user_id):
                return False
            package.user_state(user_id).stopped = True
            self.version += 1
            return True


class OutputCache(Generic[K]):
    """Rendered command output for one version of a PhoneState (see PhoneState.version)."""

    def __init__(self, state: PhoneState) -> None:
        self.state = state
        self._version = -1
        self._items: dict[K, bytes] = {}

    def get(self, key: K, render: Callable[[], bytes]) -> bytes:
        with self.state.lock:
            if self._version != self.state.version:
                self._items.clear()
                self._version = self.state.version
            value = self._items.get(key)
            if value is None:
                value = self._items[key] = render()
            return value


def stable_number(text: str, modulo: int) -> int:
    """A number that is the same on every run for the same text (no random, no hash seed)."""
    return zlib.crc32(text.encode("utf-8", "surrogateescape")) % modulo


@functools.lru_cache(maxsize=1 << 16)
def java_hash(text: str) -> int:
    """Java's String.hashCode(), which decides the order Android lists packages in."""
    data = text.encode("utf-16-be", "surrogatepass")
    value = 0
    for (unit,) in struct.iter_unpack(">H", data):
        value = (31 * value + unit) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def format_time(moment: datetime | None) -> str:
    if moment is None:
        return "1970-01-01 00:00:00"
    return moment.strftime(TIME_FORMAT)
