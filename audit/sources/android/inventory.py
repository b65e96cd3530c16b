"""Turn what a phone printed into the shared model: Device, UserProfile, InstalledApp, reports.

Pure functions over parsed output, so every rule here (which user is a work profile, what counts
as removed-for-user, where an app came from) is tested on captured text without a phone.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from audit.i18n import _, ngettext
from audit.model import (
    AppState,
    Device,
    DeviceKind,
    IdentifierKind,
    InstalledApp,
    InstallOrigin,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)
from audit.sources.android.dumpsys import DevicePolicy, PackageDetails, UserPackageState
from audit.sources.android.parsers import PackageEntry, Problem, UserEntry

log = logging.getLogger(__name__)

# UserInfo flags (android.content.pm.UserInfo)
FLAG_GUEST = 0x4
FLAG_MANAGED_PROFILE = 0x20

# Samsung puts Secure Folder at user 150 and up and Dual Messenger at 95; Xiaomi, Oppo, Vivo and
# Honor put their app clones at 999.
SECURE_FOLDER_IDS = range(150, 161)
DUAL_APP_IDS = frozenset({95, 96, 999})
_DUAL_APP_NAMES = ("dual", "clone", "xspace", "twin", "parallel")

USER_KIND_LABELS: dict[UserKind, str] = {
    UserKind.OWNER: "Owner",
    UserKind.WORK_PROFILE: "Work profile",
    UserKind.SECURE_FOLDER: "Secure Folder",
    UserKind.DUAL_APP: "Dual apps",
    UserKind.GUEST: "Guest",
    UserKind.SECONDARY: "Secondary user",
}


def user_kind(user: UserEntry) -> UserKind:
    """What a person calls this user. Secure Folder carries the managed-profile flag, so the
    OEM profiles are recognised before the flag is read."""
    lowered = user.name.lower()
    if user.id == 0:
        return UserKind.OWNER
    if "secure folder" in lowered or "knox" in lowered:
        return UserKind.SECURE_FOLDER
    if any(word in lowered for word in _DUAL_APP_NAMES) or user.id in DUAL_APP_IDS:
        return UserKind.DUAL_APP
    if user.flags & FLAG_MANAGED_PROFILE:
        return UserKind.SECURE_FOLDER if user.id in SECURE_FOLDER_IDS else UserKind.WORK_PROFILE
    if user.flags & FLAG_GUEST:
        return UserKind.GUEST
    return UserKind.SECONDARY


def user_profile(user: UserEntry) -> UserProfile:
    return UserProfile(id=str(user.id), name=user.name, kind=user_kind(user), running=user.running)


def source_name(user: UserProfile) -> str:
    """The name of a user's SourceReport and of its apps' collector: "user 10 (Work profile)"."""
    return f"user {user.id} ({USER_KIND_LABELS.get(user.kind, user.kind.value)})"


# --- where an app came from ----------------------------------------------------------------

STORE_INSTALLERS = frozenset({"com.android.vending", "com.google.android.feedback"})
OTHER_STORE_INSTALLERS = frozenset(
    {
        "com.sec.android.app.samsungapps",  # Galaxy Store
        "com.huawei.appmarket",  # AppGallery
        "com.hihonor.appmarket",
        "com.xiaomi.market",  # GetApps
        "com.xiaomi.mipicks",
        "com.heytap.market",  # Oppo / OnePlus / Realme
        "com.oppo.market",
        "com.bbk.appstore",  # vivo
        "com.amazon.venezia",  # Amazon Appstore
        "org.fdroid.fdroid",
        "org.fdroid.basic",
        "com.aurora.store",
        "com.looker.droidify",
        "com.machiav3lli.fdroid",
        "com.apkpure.aegon",
        "com.uptodown",
        "com.tencent.android.qqdownloader",
        "com.farsitel.bazaar",
        "ru.vk.store",
    }
)
SIDELOAD_INSTALLERS = frozenset(
    {
        "com.android.shell",  # adb install
        "adb",
        "com.android.packageinstaller",  # a downloaded APK opened by the user
        "com.google.android.packageinstaller",
        "com.samsung.android.packageinstaller",
        "com.miui.packageinstaller",
        "com.android.chrome",  # browsers hand APKs to the package installer
        "org.mozilla.firefox",
        "com.sec.android.app.sbrowser",
        "com.opera.browser",
        "com.brave.browser",
        "com.microsoft.emmx",
        "com.mi.android.globalFileexplorer",
        "com.google.android.documentsui",
        "com.google.android.apps.nbu.files",
    }
)


def install_origin(installer: str | None, system: bool) -> InstallOrigin:
    """Where an app came from. A system app was shipped with the phone whatever updated it
    since: that is what a person needs to know to remove it (it can only be removed per user)."""
    if system:
        return InstallOrigin.PREINSTALLED
    if installer is None:
        return InstallOrigin.UNKNOWN  # the phone's pm could not say (-i rejected)
    if installer in STORE_INSTALLERS:
        return InstallOrigin.STORE
    if installer in OTHER_STORE_INSTALLERS:
        return InstallOrigin.OTHER_STORE
    if installer in ("", "null") or installer in SIDELOAD_INSTALLERS:
        return InstallOrigin.SIDELOADED
    return InstallOrigin.UNKNOWN


# --- identity ------------------------------------------------------------------------------


def _first(props: Mapping[str, str], *keys: str) -> str:
    for key in keys:
        value = props.get(key, "").strip()
        if value:
            return value
    return ""


def device_name(manufacturer: str, model: str, serial: str) -> str:
    """ "Samsung SM-S911B", "Google Pixel 7"; never "OnePlus OnePlus 9"."""
    maker = manufacturer[:1].upper() + manufacturer[1:] if manufacturer.islower() else manufacturer
    if not model:
        return f"{maker} phone".strip() if maker else f"Android phone {serial}"
    if not maker or model.lower().startswith(manufacturer.lower()):
        return model
    return f"{maker} {model}"


def device_identity(
    serial: str,
    props: Mapping[str, str],
    *,
    policy: DevicePolicy | None,
    users: Iterable[UserProfile],
) -> Device:
    manufacturer = _first(
        props, "ro.product.manufacturer", "ro.product.vendor.manufacturer", "ro.product.brand"
    )
    model = _first(props, "ro.product.model", "ro.product.vendor.model")
    sdk_text = _first(props, "ro.build.version.sdk")
    users = tuple(users)
    has_work_profile = any(u.kind is UserKind.WORK_PROFILE for u in users)
    if policy is not None:
        # A profile owner on a user other than 0 is a work profile, whatever it is called.
        work_ids = {u.id for u in users if u.kind is UserKind.WORK_PROFILE}
        has_work_profile = has_work_profile or any(
            str(user) in work_ids or user != 0 for user in policy.profile_owners
        )
    hardware = hardware_serial(props) or serial
    return Device(
        id=Device.android_id(hardware),
        kind=DeviceKind.ANDROID,
        name=device_name(manufacturer, model, hardware),
        serial=hardware,
        address=serial,
        manufacturer=manufacturer,
        model=model,
        os_name="Android",
        os_version=_first(
            props, "ro.build.version.release_or_codename", "ro.build.version.release"
        ),
        sdk=int(sdk_text) if sdk_text.isdigit() else None,
        build=_first(
            props,
            "ro.build.fingerprint",
            "ro.system.build.fingerprint",
            "ro.vendor.build.fingerprint",
        ),
        managed=None if policy is None else policy.managed,
        has_work_profile=has_work_profile,
        # Never simulated, whatever the phone says about itself: only the demo phone in the
        # app is (audit.demo builds its Device so).
    )


_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def hardware_serial(props: Mapping[str, str]) -> str:
    """The phone's own serial number, which stays the same over USB, Wi-Fi and reconnects
    (the adb serial of a phone on Wi-Fi is its ip:port). "" when the phone does not say or
    says something that is not a plain serial number (then the adb serial names it)."""
    value = _first(props, "ro.serialno", "ro.boot.serialno").strip()
    return value if _SERIAL.fullmatch(value) else ""


def phone_timezone(props: Mapping[str, str]) -> tzinfo | None:
    """The phone's time zone: dumpsys prints install times in it, without saying which."""
    name = props.get("persist.sys.timezone", "").strip()
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.info("unknown phone time zone %r", name)
        return None


def localize(time: datetime | None, zone: tzinfo | None) -> datetime | None:
    """An aware time: in the phone's zone when known, else this computer's local zone."""
    if time is None or time.tzinfo is not None:
        return time
    return time.replace(tzinfo=zone) if zone is not None else time.astimezone()


# --- one user's apps -----------------------------------------------------------------------


@dataclass
class UserLists:
    """What the list commands said for one user; None where a command could not be read."""

    user: UserProfile
    listed: list[PackageEntry] | None = None  # the user's own apps (-3 -u), with details
    installed: set[str] | None = None
    disabled: set[str] | None = None
    error: str = ""  # why the user could not be read at all (the SecurityException text)
    problems: list[Problem] = field(default_factory=list)
    # Every system package with its details (read once per phone, for user 0: the same in
    # every user); empty when that list could not be read.
    system: list[PackageEntry] = field(default_factory=list)
    # Up to Android 7 `-u` also lists the apps installed in OTHER users; those installed in a
    # user we read are then not this user's (see _state).
    other_users_listed: bool = False
    installed_elsewhere: frozenset[str] = frozenset()


def _uid_for(entry: PackageEntry, user: int) -> int | None:
    """The app's uid in this user: the one the phone printed for it, else the same app id in
    this user's range (UserHandle.getUid), as for system packages read for user 0."""
    for uid in entry.uids:
        if uid // 100_000 == user:
            return uid
    if len(entry.uids) == 1:
        return user * 100_000 + entry.uids[0] % 100_000
    return None


_EMPTY: frozenset[str] = frozenset()


def _state(name: str, system: bool, lists: UserLists) -> AppState | None:
    """The app's state for this user, or None when it does not belong in this user's list.

    `pm list packages -u` lists, for a user, the packages installed for it and every system
    package: a system package not installed for the user is REMOVED_FOR_USER (a copy stays in
    /system that install-existing brings back). From Android 8 it lists a user app that is not
    installed only when the app was uninstalled with its data kept (`pm uninstall -k`): that too
    is REMOVED_FOR_USER, as its data is still on the phone. Up to Android 7 it lists the apps
    of every user, so one installed in another user we read is simply not this user's; one
    installed in no user we read was kept with its data (for which user, Android 7 cannot say).
    An app hidden ("frozen") for the user is listed only with `-u` too, so it reads
    REMOVED_FOR_USER here: only its per-user record tells them apart (`with_details`), which
    is why a verdict never rests on this state alone (audit.assess).
    """
    installed = lists.installed
    disabled = lists.disabled or _EMPTY
    if installed is None:
        # The plain list failed: we cannot tell installed from removed; say present (the scan
        # is marked incomplete, and "present" is the cautious reading for compliance).
        return AppState.DISABLED if name in disabled else AppState.INSTALLED
    if name in installed or name in disabled:
        return AppState.DISABLED if name in disabled else AppState.INSTALLED
    if not system and lists.other_users_listed and name in lists.installed_elsewhere:
        return None
    return AppState.REMOVED_FOR_USER


def apps_for_user(
    lists: UserLists,
    system_packages: Collection[str] | None,
    name_of: Callable[[str], str] | None = None,
) -> list[InstalledApp]:
    """Every package on this user, with its state. `system_packages` None: unknown (then only
    APK paths under the system partitions count as system)."""
    user_id = int(lists.user.id)
    user = lists.user.id
    name_of = name_of or _no_name
    collector = source_name(lists.user)
    entries: dict[str, PackageEntry] = {e.name: e for e in lists.system}
    for entry in lists.listed or ():
        entries.setdefault(entry.name, entry)
    unlisted = ((lists.installed or _EMPTY) | (lists.disabled or _EMPTY)) - entries.keys()
    for name in sorted(unlisted):  # only when a list could not be read, or was cut
        entries[name] = PackageEntry(name)
    base = _app_fields(user, collector)
    apps: list[InstalledApp] = []
    origins: dict[tuple[str | None, bool], InstallOrigin] = {}
    for entry in entries.values():
        name, path, version_code, installer, uids = entry
        system = _is_system(entry, system_packages)
        state = _state(name, system, lists)
        if state is None:
            continue
        origin = origins.get((installer, system))
        if origin is None:
            origin = origins[(installer, system)] = install_origin(installer, system)
        if base is None:
            app = InstalledApp(
                identifier=name,
                kind=IdentifierKind.ANDROID_PACKAGE,
                name=name_of(name),
                version_code=version_code,
                installer=installer or "",
                origin=origin,
                user=user,
                state=state,
                system=system,
                location=path or "",
                uid=_uid_for(entry, user_id),
                collector=collector,
            )
        else:  # the same object, made without __init__ (see _app_fields)
            app = object.__new__(InstalledApp)
            values = app.__dict__
            values.update(base)
            values["identifier"] = name
            values["name"] = name_of(name)
            values["version_code"] = version_code
            values["installer"] = installer or ""
            values["origin"] = origin
            values["state"] = state
            values["system"] = system
            values["location"] = path or ""
            # The usual case inline: one uid, in this user's range.
            if len(uids) == 1 and uids[0] // 100_000 == user_id:
                values["uid"] = uids[0]
            else:
                values["uid"] = _uid_for(entry, user_id)
        apps.append(app)
    return apps


def _fast_path_defaults() -> dict[str, Any] | None:
    """InstalledApp's field defaults when its __init__ only stores fields, else None.

    That holds for a dataclass without __post_init__, slots or default factories, whose only
    fields without a default are `identifier` and `kind`.
    """
    if hasattr(InstalledApp, "__post_init__") or hasattr(InstalledApp, "__slots__"):
        return None
    defaults: dict[str, Any] = {}
    for item in dataclasses.fields(InstalledApp):
        if not item.init or item.default_factory is not MISSING:
            return None
        if item.default is not MISSING:
            defaults[item.name] = item.default
        elif item.name not in ("identifier", "kind"):
            return None
    return defaults


_APP_DEFAULTS = _fast_path_defaults()


def _app_fields(user: str, collector: str) -> dict[str, Any] | None:
    """The fields every app of this user shares, to fill new InstalledApps' __dict__ with.

    A phone has hundreds of apps per user, and a frozen dataclass's __init__ sets each of its
    twenty fields through object.__setattr__ (about 6 µs an app, most of a scan's own CPU);
    filling the new object's __dict__ gives an equal object in a fraction of that. Only while
    InstalledApp stays a plain dataclass (see _fast_path_defaults); None otherwise, and then
    the constructor runs.
    """
    if _APP_DEFAULTS is None:
        return None
    return {
        **_APP_DEFAULTS,
        "kind": IdentifierKind.ANDROID_PACKAGE,
        "user": user,
        "collector": collector,
    }


def _no_name(_package: str) -> str:
    return ""


SYSTEM_PARTITIONS = (
    "/system/",
    "/product/",
    "/vendor/",
    "/system_ext/",
    "/odm/",
    "/oem/",
    "/apex/",
)


def _is_system(entry: PackageEntry, system_packages: Collection[str] | None) -> bool:
    if system_packages is not None:
        return entry.name in system_packages
    return entry.path is not None and entry.path.startswith(SYSTEM_PARTITIONS)


def user_report(lists: UserLists, count: int) -> SourceReport:
    """OK, PARTIAL or FAILED for one user, naming in words what could not be read."""
    name = source_name(lists.user)
    if lists.error:
        return SourceReport(name, SourceStatus.FAILED, lists.error, 0)
    missing = [
        what
        for what, value in (
            (_("the list of the user's own apps"), lists.listed),
            (_("the installed packages"), lists.installed),
            (_("the disabled packages"), lists.disabled),
        )
        if value is None
    ]
    if len(missing) == 3:
        return SourceReport(name, SourceStatus.FAILED, _("nothing could be read"), 0)
    details = []
    if missing:
        details.append(_("could not read {what}").format(what=", ".join(missing)))
    invalid = invalid_names_sentence(lists.problems)
    if invalid:
        details.append(invalid)
    lost = [p.message for p in lists.problems if p.data_lost and p.invalid_name is None]
    if lost:
        shown = "; ".join(lost[:3])
        if len(lost) > 3:
            more = len(lost) - 3
            # The same counted message as audit/sources/local/scan.py's (one msgid, one form).
            shown = ngettext(
                "{problems} (and {count} more)", "{problems} (and {count} more)", more
            ).format(problems=shown, count=more)
        details.append(shown)
    if details:
        return SourceReport(name, SourceStatus.PARTIAL, "; ".join(details), count)
    return SourceReport(name, SourceStatus.OK, "", count)


def invalid_names_sentence(problems: Iterable[Problem], shown: int = 5) -> str:
    """What was left out because its name cannot be a package, in words a person can act on."""
    names = sorted({p.invalid_name for p in problems if p.invalid_name is not None})
    if not names:
        return ""
    listed = ", ".join(repr(n) for n in names[:shown])
    if len(names) > shown:
        listed = _("{names} and {count} more").format(names=listed, count=len(names) - shown)
    # Translators: a detail in a list joined with "; ", hence no full stop at the end.
    return ngettext(
        "{count} entry the phone listed was left out: its name ({names}) is not a valid "
        "Android package name, so the phone's answer was garbled and this user's app list may "
        "be incomplete. Scan again; if it happens again, restart the phone",
        "{count} entries the phone listed were left out: their names ({names}) are not valid "
        "Android package names, so the phone's answer was garbled and this user's app list may "
        "be incomplete. Scan again; if it happens again, restart the phone",
        len(names),
    ).format(count=len(names), names=listed)


# --- an app's state from the phone's per-user facts ----------------------------------------

DISABLED_STATES = frozenset({2, 3, 4})
"""COMPONENT_ENABLED_STATE_DISABLED, _DISABLED_USER and _DISABLED_UNTIL_USED."""


@dataclass(frozen=True)
class UserFacts:
    """What the phone records about one app for one user (the "User N:" line of `dumpsys
    package`), plus whether a copy is built into the phone. None: the phone did not say."""

    installed: bool
    system: bool
    hidden: bool | None = None
    suspended: bool | None = None
    enabled: int | None = None  # COMPONENT_ENABLED_STATE_*
    data_kept: bool | None = None

    @classmethod
    def of(cls, state: UserPackageState, system: bool) -> UserFacts | None:
        """The facts of a parsed user line; None when it does not say whether it is installed
        (then nothing can be concluded from it)."""
        if state.installed is None:
            return None
        return cls(
            installed=state.installed,
            system=system,
            hidden=state.hidden,
            suspended=state.suspended,
            enabled=state.enabled,
            data_kept=state.data_kept,
        )


def state_from_facts(facts: UserFacts) -> AppState:
    """The app's state for the user, from what the phone records.

    Installed means on the phone, whatever else is set, so an installed app is never REMOVED
    or ABSENT. Hidden ("frozen") comes first: the person does not see the app, and unfreezing
    it in one tap gives it back; then suspended ("paused"); then disabled. Among the states
    that are still installed the order only chooses the words, and the ones shown first are
    those no policy accepts. Not installed: a copy built into the phone, or data kept with
    `pm uninstall -k` (or not said), is REMOVED_FOR_USER; otherwise the app is gone for them.
    """
    if facts.installed:
        if facts.hidden:
            return AppState.HIDDEN
        if facts.suspended:
            return AppState.SUSPENDED
        if facts.enabled in DISABLED_STATES:
            return AppState.DISABLED
        return AppState.INSTALLED
    if facts.system or facts.data_kept is not False:
        return AppState.REMOVED_FOR_USER
    return AppState.ABSENT


def with_details(
    apps: Iterable[InstalledApp],
    details: Mapping[str, PackageDetails],
    zone: tzinfo | None,
    users: Iterable[UserProfile] = (),
) -> list[InstalledApp]:
    """Add what `dumpsys package` said to the apps: version name, install and update times,
    and the state from the phone's own record for the app's user (`state_confirmed`). An app
    whose user the record does not mention keeps the state the package lists gave, and is
    not confirmed, and one the record says is not there at all for its user is left out.

    The record covers every user, so for each of `users` where it says the app is on the
    phone (installed, turned off, hidden or paused) but the lists gave no entry, an entry is
    added: the lists cannot show an app hidden in one profile while installed in another, nor
    one in a profile the shell may not read."""
    apps = list(apps)
    result = []
    for app in apps:
        info = details.get(app.identifier)
        if info is None:
            result.append(app)
            continue
        user = int(app.user) if app.user.isdigit() else 0
        origin = app.origin
        if origin is InstallOrigin.UNKNOWN and info.installer is not None:
            origin = install_origin(info.installer, app.system)
        state, confirmed = app.state, app.state_confirmed
        record = info.users.get(user) if app.user.isdigit() else None
        facts = None if record is None else UserFacts.of(record, app.system or bool(info.system))
        if facts is not None:
            state, confirmed = state_from_facts(facts), True
            if state is AppState.ABSENT:
                continue  # the phone's record says it is not there for this user at all
        result.append(
            replace(
                app,
                state=state,
                state_confirmed=confirmed,
                version=info.version_name or app.version,
                version_code=app.version_code
                if app.version_code is not None
                else info.version_code,
                installer=app.installer or (info.installer or ""),
                origin=origin,
                installed_at=localize(info.installed_at(user), zone),
                updated_at=localize(info.last_update_time, zone),
                location=app.location or info.code_path,
            )
        )
    return result + _unlisted_users(apps, details, users, zone)


def _unlisted_users(
    apps: Sequence[InstalledApp],
    details: Mapping[str, PackageDetails],
    users: Iterable[UserProfile],
    zone: tzinfo | None,
) -> list[InstalledApp]:
    """Entries for the users whose record puts a detailed app on the phone where the lists did
    not (see with_details), copied from the app's entry in another user."""
    profiles = {user.id: user for user in users}
    if not profiles:
        return []
    have = {(app.identifier, app.user) for app in apps}
    template = {app.identifier: app for app in apps if app.identifier in details}
    added: list[InstalledApp] = []
    for name, info in details.items():
        model = template.get(name)
        if model is None:
            continue
        for user_id, record in sorted(info.users.items()):
            profile = profiles.get(str(user_id))
            if profile is None or (name, profile.id) in have:
                continue
            facts = UserFacts.of(record, model.system or bool(info.system))
            state = state_from_facts(facts) if facts is not None else None
            if state is None or not state.on_device:
                continue
            added.append(
                replace(
                    model,
                    user=profile.id,
                    collector=source_name(profile),
                    state=state,
                    state_confirmed=True,
                    uid=None if info.app_id is None else user_id * 100_000 + info.app_id,
                    installed_at=localize(info.installed_at(user_id), zone) or model.installed_at,
                )
            )
    return added
