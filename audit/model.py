"""The domain vocabulary shared by every part of Device Audit.

Everything here is a frozen dataclass or an enum so that a scan, once made, cannot be changed by
whoever shows or stores it: the attestation signs exactly what the scan saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

EnumT = TypeVar("EnumT", bound=StrEnum)


def members_by_value(enum: type[EnumT]) -> dict[str, EnumT]:
    """Each member by its value. Readers of thousands of receipts look values up here: one
    dict look-up, where calling the enum costs a function call and an exception for a bad one."""
    return {member.value: member for member in enum}


class Platform(StrEnum):
    ANDROID = "android"
    IOS = "ios"
    WINDOWS = "windows"
    MACOS = "macos"
    LINUX = "linux"
    WEB = "web"


class IdentifierKind(StrEnum):
    """How an app is named on its platform; the values are the keys used in policy files."""

    ANDROID_PACKAGE = "android_pkg"
    IOS_BUNDLE = "ios_bundle"
    APPSTORE_ID = "appstore_id"
    MSSTORE_ID = "msstore_id"
    APPX_NAME = "appx_name"
    APPX_PFN = "appx_pfn"
    WINGET_ID = "winget_id"
    ARP_KEY = "arp_key"
    MACOS_BUNDLE = "macos_bundle"
    DEB = "deb"
    RPM = "rpm"
    FLATPAK = "flatpak"
    SNAP = "snap"
    DESKTOP = "desktop"
    APPIMAGE = "appimage"
    DOMAIN = "domain"

    @property
    def platform(self) -> Platform:
        return _KIND_PLATFORM[self]

    @property
    def case_sensitive(self) -> bool:
        """Android package names and bundle ids are case-sensitive; Windows and domains are not."""
        return self in _CASE_SENSITIVE_KINDS


_KIND_PLATFORM: dict[IdentifierKind, Platform] = {
    IdentifierKind.ANDROID_PACKAGE: Platform.ANDROID,
    IdentifierKind.IOS_BUNDLE: Platform.IOS,
    IdentifierKind.APPSTORE_ID: Platform.IOS,
    IdentifierKind.MSSTORE_ID: Platform.WINDOWS,
    IdentifierKind.APPX_NAME: Platform.WINDOWS,
    IdentifierKind.APPX_PFN: Platform.WINDOWS,
    IdentifierKind.WINGET_ID: Platform.WINDOWS,
    IdentifierKind.ARP_KEY: Platform.WINDOWS,
    IdentifierKind.MACOS_BUNDLE: Platform.MACOS,
    IdentifierKind.DEB: Platform.LINUX,
    IdentifierKind.RPM: Platform.LINUX,
    IdentifierKind.FLATPAK: Platform.LINUX,
    IdentifierKind.SNAP: Platform.LINUX,
    IdentifierKind.DESKTOP: Platform.LINUX,
    IdentifierKind.APPIMAGE: Platform.LINUX,
    IdentifierKind.DOMAIN: Platform.WEB,
}

_CASE_SENSITIVE_KINDS = frozenset(
    {
        IdentifierKind.ANDROID_PACKAGE,
        IdentifierKind.IOS_BUNDLE,
        IdentifierKind.MACOS_BUNDLE,
        IdentifierKind.FLATPAK,
        IdentifierKind.DEB,
        IdentifierKind.RPM,
        IdentifierKind.SNAP,
        IdentifierKind.DESKTOP,
    }
)


@dataclass(frozen=True, order=True)
class AppId:
    """One identifier of an app, e.g. (android_pkg, com.zhiliaoapp.musically)."""

    kind: IdentifierKind
    value: str


class AppState(StrEnum):
    """Whether an app is on a device, for one user.

    On Android the differences matter for compliance: a system copy that was "uninstalled for
    this user" is one `cmd package install-existing` away from returning. HIDDEN and SUSPENDED
    are still installed for the user: a hidden ("frozen") app is out of sight, listed as if it
    were removed, and one tap in the app that froze it (Shelter, Island, the work profile's
    admin) brings it back; a suspended ("paused") app shows greyed out and cannot be opened
    until whoever suspended it lifts that. An OFFLOADED iPhone app left its data and its icon
    and returns with one tap (a download). No policy may count any of the three as compliant.
    """

    INSTALLED = "installed"
    DISABLED = "disabled"
    HIDDEN = "hidden"
    SUSPENDED = "suspended"
    REMOVED_FOR_USER = "removed_for_user"
    ABSENT = "absent"
    OFFLOADED = "offloaded"

    @property
    def on_device(self) -> bool:
        """Installed for the user in some form (running, switched off, frozen or paused): the
        person can use it again without installing anything."""
        return self in _ON_DEVICE


_ON_DEVICE = frozenset({AppState.INSTALLED, AppState.DISABLED, AppState.HIDDEN, AppState.SUSPENDED})

NEVER_COMPLIANT = frozenset(
    {AppState.INSTALLED, AppState.HIDDEN, AppState.SUSPENDED, AppState.OFFLOADED}
)
"""States no policy may accept: the app is there and the person can use it again at once."""


class InstallOrigin(StrEnum):
    """Where an app came from, in words a person understands."""

    STORE = "store"  # the platform's official store (Play, Microsoft Store, App Store)
    OTHER_STORE = "other_store"  # a third-party store (F-Droid, Aurora, Galaxy Store...)
    SIDELOADED = "sideloaded"  # adb, a downloaded file, a browser
    PREINSTALLED = "preinstalled"  # shipped with the device or the system image
    PACKAGE_MANAGER = "package_manager"  # dpkg, rpm, flatpak, snap, winget...
    BROWSER = "browser"  # a web app installed from a browser
    UNKNOWN = "unknown"


class UserKind(StrEnum):
    OWNER = "owner"
    WORK_PROFILE = "work_profile"
    SECURE_FOLDER = "secure_folder"
    DUAL_APP = "dual_app"
    GUEST = "guest"
    SECONDARY = "secondary"
    SYSTEM = "system"  # machine-wide installs on a computer
    LOCAL_USER = "local_user"  # the signed-in user on a computer


@dataclass(frozen=True)
class UserProfile:
    """A user or profile on a device; apps are installed per user."""

    id: str  # Android user id ("0", "10") or "system" / a user name on a computer
    name: str
    kind: UserKind
    running: bool = True


@dataclass(frozen=True)
class InstalledApp:
    """One app for one user on one device, as the device reported it.

    Every string here came from a device or a file and is untrusted: show it as plain text.
    """

    identifier: str
    kind: IdentifierKind
    name: str = ""
    version: str = ""
    version_code: int | None = None
    publisher: str = ""
    installer: str = ""  # raw installer/source as reported (e.g. com.android.vending, dpkg)
    origin: InstallOrigin = InstallOrigin.UNKNOWN
    user: str = ""  # UserProfile.id
    state: AppState = AppState.INSTALLED
    system: bool = False
    location: str = ""  # APK path, install folder, .desktop file...
    uid: int | None = None
    installed_at: datetime | None = None
    updated_at: datetime | None = None
    other_ids: tuple[AppId, ...] = ()  # e.g. the package family name of an Appx package
    collector: str = ""  # which source found it (SourceReport.name)
    # True when the state was read from the phone's own per-user record of the app (`dumpsys
    # package`: installed, hidden, suspended, enabled, data kept), not from the package lists
    # alone, which show a hidden app exactly as one removed for the user.
    state_confirmed: bool = False
    # The command the app's own uninstaller registered (Windows UninstallString and
    # QuietUninstallString, Remove-AppxPackage for Store apps), kept for the removal step.
    uninstall_command: str = ""
    quiet_uninstall_command: str = ""

    @property
    def app_id(self) -> AppId:
        return AppId(self.kind, self.identifier)

    @property
    def all_ids(self) -> tuple[AppId, ...]:
        return (self.app_id, *self.other_ids)

    @property
    def label(self) -> str:
        """What to call the app in a sentence: its name, else its identifier."""
        return self.name or self.identifier


@dataclass(frozen=True)
class RunningProcess:
    pid: int
    name: str
    exe: str = ""
    user: str = ""


class DeviceKind(StrEnum):
    COMPUTER = "computer"
    ANDROID = "android"
    IOS = "ios"


class DeviceState(StrEnum):
    """Connection state of a device; each state has guidance for the person at the device."""

    READY = "ready"
    UNAUTHORIZED = "unauthorized"
    OFFLINE = "offline"
    NO_PERMISSION = "no_permission"
    CONNECTING = "connecting"
    GONE = "gone"


class ConnectionKind(StrEnum):
    """How Device Audit reached a device, as the adb server (not the phone) reported it.

    Only USB and this computer are a person's own cable or machine; the others say that whatever
    answered may be a simulator or an emulator, so receipts name them in words.
    """

    USB = "usb"  # a USB cable: the adb server lists it with a `usb:` path (or a plain serial)
    NETWORK = "network"  # `adb connect HOST:PORT` or wireless debugging (mDNS)
    LOOPBACK = "loopback"  # `adb connect 127.0.0.1:PORT`: a program on this computer answered
    EMULATOR = "emulator"  # an emulator the adb server found on this computer (emulator-5554)
    THIS_COMPUTER = "this_computer"  # the computer Device Audit runs on, read directly
    DEMO = "demo"  # Device Audit's own demo phone, inside the app: no phone at all


@dataclass(frozen=True)
class Connection:
    """How a device was reached for a scan: signed into every receipt (predicate.device).

    The app determines it from the adb server's own device listing (`host:devices-l`): the
    transport's kind and `usb:` path are the server's, never something the phone printed. The
    product, model and device fields are the phone's words as the server relays them, kept to
    tell two phones on one computer apart, not as proof.
    """

    kind: ConnectionKind
    usb_path: str = ""  # the adb server's `usb:` path ("1-1.2"); "" where it gives none (Windows)
    address: str = ""  # the adb serial for network, loopback and emulator (`192.168.1.20:5555`)
    product: str = ""  # `devices -l` fields, as the phone gave them to the server
    model: str = ""
    device: str = ""

    @property
    def cabled(self) -> bool:
        """A USB cable or this computer itself: the only ways a person can see what is audited.
        Anything else may be a program answering as a phone."""
        return self.kind in (ConnectionKind.USB, ConnectionKind.THIS_COMPUTER)


@dataclass(frozen=True)
class Device:
    """The identity of a device: what an attestation's subject names."""

    id: str  # "local:<machine id hash>" or "android:<serial>"
    kind: DeviceKind
    name: str  # what a person calls it: "Samsung Galaxy S23", "laptop-42"
    serial: str = ""  # the phone's own serial number (ro.serialno), stable across connections
    # How to reach it now: the adb serial (the USB serial, or ip:port over Wi-Fi or for the
    # simulated phone); "" for this computer. Talk to the phone by this, name it by `serial`.
    address: str = ""
    manufacturer: str = ""
    model: str = ""
    os_name: str = ""
    os_version: str = ""
    sdk: int | None = None
    build: str = ""  # build fingerprint on Android, kernel/build on computers
    user: str = ""  # the signed-in user on a computer
    managed: bool | None = None  # device/profile owner present (None: could not tell)
    has_work_profile: bool = False
    simulated: bool = False
    # How it was reached for the scan (from the adb server, never the phone); None: not recorded.
    connection: Connection | None = None

    @staticmethod
    def android_id(serial: str) -> str:
        return f"android:{serial}"


class SourceStatus(StrEnum):
    OK = "ok"
    ABSENT = "absent"  # the source does not exist here (no flatpak): nothing missed
    PARTIAL = "partial"  # some of it was read: results are incomplete
    FAILED = "failed"  # nothing was read: results are incomplete


@dataclass(frozen=True)
class SourceReport:
    """What one inventory source (a collector, an Android user) did during a scan."""

    name: str
    status: SourceStatus
    detail: str = ""  # why it is absent, partial or failed, in words
    count: int = 0  # apps it contributed

    @property
    def complete(self) -> bool:
        return self.status in (SourceStatus.OK, SourceStatus.ABSENT)


@dataclass(frozen=True)
class ScanResult:
    """Everything one scan saw, and what it could not see."""

    device: Device
    started_at: datetime
    finished_at: datetime
    apps: tuple[InstalledApp, ...] = ()
    users: tuple[UserProfile, ...] = ()
    processes: tuple[RunningProcess, ...] = ()
    sources: tuple[SourceReport, ...] = ()

    @property
    def complete(self) -> bool:
        """An incomplete scan is never reported as compliant; a scan naming no sources saw
        nothing, so it is not complete either."""
        return bool(self.sources) and all(source.complete for source in self.sources)

    @property
    def gaps(self) -> tuple[SourceReport, ...]:
        return tuple(source for source in self.sources if not source.complete)

    def user(self, user_id: str) -> UserProfile | None:
        return next((u for u in self.users if u.id == user_id), None)


class ActionKind(StrEnum):
    """Something done to a device to bring it into compliance (or to undo that)."""

    UNINSTALL = "uninstall"  # Android: pm uninstall --user N (a system copy stays restorable)
    UNINSTALL_ALL_USERS = "uninstall_all_users"
    DISABLE = "disable"  # Android: pm disable-user --user N
    RESTORE = "restore"  # Android: cmd package install-existing --user N
    ENABLE = "enable"  # Android: pm enable --user N (undoes DISABLE)
    FORCE_STOP = "force_stop"  # Android: am force-stop --user N
    DISABLE_USB_DEBUGGING = "disable_usb_debugging"  # Android: settings put global adb_enabled 0
    CLOSE_APP = "close_app"  # this computer: end the app's running processes
    RUN_UNINSTALLER = "run_uninstaller"  # this computer: its uninstaller or package manager
    MANUAL = "manual"  # a person did it by hand and confirmed it


@dataclass(frozen=True)
class ActionResult:
    """What happened when an action ran; recorded in history and in the attestation."""

    kind: ActionKind
    device: str  # Device.id
    identifier: str
    user: str
    ok: bool
    message: str  # what happened, in words a person understands
    advice: str = ""  # the next step when it failed
    code: str = ""  # the device's failure code, e.g. DELETE_FAILED_DEVICE_POLICY_MANAGER
    output: str = ""  # raw output, for the log
    at: datetime | None = None


# --- policy ---------------------------------------------------------------------------------


class Confidence(StrEnum):
    """How sure the catalog is that an identifier belongs to the banned app."""

    HIGH = "high"
    MEDIUM_HIGH = "medium-high"
    MEDIUM = "medium"
    LOW_MEDIUM = "low-medium"
    LOW = "low"

    @property
    def enforceable(self) -> bool:
        """High and Medium-High matches are violations; lower ones only ask for review."""
        return self in (Confidence.HIGH, Confidence.MEDIUM_HIGH)


class MatchKind(StrEnum):
    IDENTIFIER = "identifier"
    NAME = "name"
    PUBLISHER = "publisher"
    PROCESS = "process"


@dataclass(frozen=True)
class Matcher:
    """One way a rule recognises an app.

    `pattern` is exact unless it contains `*` or `?`, then it is a glob over the whole value.
    For NAME matchers `publisher` (a glob) must also match when given, so "TikTok" by someone
    other than ByteDance is not flagged.
    """

    kind: MatchKind
    pattern: str
    id_kind: IdentifierKind | None = None  # for IDENTIFIER matchers
    publisher: str = ""
    confidence: Confidence = Confidence.HIGH
    catalog_entry: str = ""  # id of the catalog entry this came from, "" if written in the rule
    app: str = ""  # the app this identifies ("TikTok Lite")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    matchers: tuple[Matcher, ...]
    description: str = ""
    catalog_refs: tuple[str, ...] = ()
    # Matches of a review-only rule ask a person to look and are never violations, whatever
    # the confidence (e.g. a web app when the policy names only the app).
    review_only: bool = False
    # A rule added to a ban later has its own dates (NZ 2025: DeepSeek from 20 February, CapCut
    # from 24 February); None = the policy's. Before `announced` the app was not banned yet.
    announced: date | None = None
    deadline: date | None = None


@dataclass(frozen=True)
class AllowList:
    """Only these apps, and the system's own, are allowed: any other app still on the device is
    a finding (the UK's pre-approved app list, the Dutch government's 2023 app policy).

    `rule` is what an unlisted app is judged under: it is also in `Policy.rules` (with no
    matchers), so exemptions and reports name it like any rule; review-only when the policy
    asks only for a review of unlisted apps.
    """

    matchers: tuple[Matcher, ...]
    rule: Rule


class PolicyStatus(StrEnum):
    """Whether a ban still stands: a lifted or superseded preset is kept for old receipts."""

    ACTIVE = "active"
    LIFTED = "lifted"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    authority: str
    rules: tuple[Rule, ...]
    deadline: date | None = None
    announced: date | None = None
    instrument: str = ""  # the legal basis: "PSPF Direction 001-2023"
    sources: tuple[str, ...] = ()  # links to the text of the ban
    scope: str = ""
    consequence: str = ""
    exception_route: str = ""
    compliant_states: frozenset[AppState] = frozenset({AppState.ABSENT})
    sha256: str = ""  # of the policy file's bytes, for attestations
    origin: str = ""  # preset id or file path it was loaded from
    version: int = 1  # raised when the ban (or the preset) changes what it judges
    last_verified: date | None = None  # when the text was last checked against its sources
    status: PolicyStatus = PolicyStatus.ACTIVE
    superseded_by: str = ""  # the policy id that replaces it, when superseded
    allow_list: AllowList | None = None  # None: every app not banned is allowed
    # Count a device as compliant only on a witnessed receipt (audit.store.witnessed)
    witnessed_only: bool = False
    # The key that signed the policy file (audit.policy.signed), lowercase hex; "" when the file
    # is not signed (and for the built-in presets, which ship with the app).
    issuer_key: str = ""

    def rule_deadline(self, rule: Rule) -> date | None:
        """The last day to comply with `rule`: its own deadline, else the policy's."""
        return rule.deadline or self.deadline

    def in_force(self, rule: Rule, day: date) -> bool:
        """False before the rule's own announcement: an app it names was not banned yet.

        Only a rule's own date counts: a policy's `announced` has always been information, and
        an inventory judged before it is judged as the policy stands."""
        return rule.announced is None or day >= rule.announced


@dataclass(frozen=True)
class Exemption:
    """A granted exception: this person or device may keep these apps until the expiry."""

    id: str
    reason: str
    approver: str
    granted: date
    expires: date
    person: str = ""  # staff id; "" = any person
    device: str = ""  # Device.id or serial; "" = any device
    rules: tuple[str, ...] = ()  # rule ids; () = every rule of the policy
    apps: tuple[str, ...] = ()  # identifiers; () = every app the rules match
    policy: str = ""  # policy id; "" = any policy
    approver_role: str = ""
    mitigations: tuple[str, ...] = ()

    def active_on(self, day: date) -> bool:
        return self.granted <= day <= self.expires


# --- evaluation -----------------------------------------------------------------------------


class FindingStatus(StrEnum):
    VIOLATION = "violation"
    REVIEW = "review"  # a low-confidence match: a person should look, not a violation
    EXCEPTED = "excepted"
    RESOLVED = "resolved"  # matched, but in a state the policy accepts (or gone after removal)


@dataclass(frozen=True)
class Finding:
    """An app that a rule matches, and what that means under the policy."""

    app: InstalledApp
    rule: Rule
    matcher: Matcher
    status: FindingStatus
    exemption: Exemption | None = None
    running: tuple[RunningProcess, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        """Identifies the same finding across scans: rule, app identifier, user."""
        return (self.rule.id, self.app.identifier, self.app.user)


class DeviceStatus(StrEnum):
    COMPLIANT = "compliant"
    COMPLIANT_WITH_EXCEPTIONS = "compliant_with_exceptions"
    NON_COMPLIANT = "non_compliant"  # violations, deadline not yet passed
    OVERDUE = "overdue"  # violations after the deadline
    INCOMPLETE = "incomplete"  # the scan could not see everything: never compliant

    @property
    def compliant(self) -> bool:
        return self in (DeviceStatus.COMPLIANT, DeviceStatus.COMPLIANT_WITH_EXCEPTIONS)


@dataclass(frozen=True)
class Assessment:
    """A scan judged against a policy on a given day."""

    scan: ScanResult
    policy: Policy
    day: date
    status: DeviceStatus
    findings: tuple[Finding, ...] = field(default=())
    exemptions: tuple[Exemption, ...] = field(default=())

    def with_status(self, *statuses: FindingStatus) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status in statuses)

    @property
    def violations(self) -> tuple[Finding, ...]:
        return self.with_status(FindingStatus.VIOLATION)

    @property
    def deadline(self) -> date | None:
        """The deadline that matters on the day: the earliest of the rules the device breaks
        (a ban that grew has one per rule), else the policy's."""
        dates = [self.policy.rule_deadline(f.rule) for f in self.violations]
        known = [d for d in dates if d is not None]
        return min(known) if known else self.policy.deadline

    @property
    def days_to_deadline(self) -> int | None:
        """Days left (negative once overdue); None when the policy has no deadline."""
        deadline = self.deadline
        if deadline is None:
            return None
        return (deadline - self.day).days
