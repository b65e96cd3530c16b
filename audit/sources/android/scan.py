"""The inventory of a phone: every user, every package, in a handful of shell round trips.

Round 1 sends one combined command: getprop, pm list users, dumpsys device_policy and every
system package with its details (`-s -f -i -U -u --show-versioncode`, for user 0: a system
package's path, version and installer are the same in every user). Round 2 sends, for every
user at once, the user's own apps with their details (`-3` and the same flags), the names of
the installed packages and the names of the disabled ones. That is 2 round trips and 1 + 3·U
`pm` calls whatever the number of users and packages, and each package's details cross the
cable once, not once per user. An older or OEM `pm` that rejects a flag is detected by its
"Unknown option" answer; the flag is dropped and only the failed lists are sent again, so an
Android 7 phone costs two more round trips. `dumpsys package` runs only for the packages the
caller asks about (the few a policy flagged), all in one more round trip.

What `-u` adds differs by version: from Android 8 every system package and the user's apps
uninstalled with their data kept; up to Android 7 also the apps of every other user (see
inventory._state, which reads both).

A user the shell may not read (a work profile with debugging disallowed, Secure Folder) is named
in the result as FAILED with the phone's own words; an unplugged phone mid-scan gives a result
marked incomplete, never a hang and never a silently shorter list.

The phone's answer is the only evidence, so an answer that cannot be whole is a failed read,
never a clean phone: a user's list without the framework package `android` (an empty list with
exit status 0 among them; see implausible_listing), a user list without the owner (user 0),
properties without the Android version, output that stops mid-line. Each is named in words and
leaves the scan incomplete, so it is never called compliant and never attested. A phone that
stops answering is said to have stopped answering, not to be disconnected; a link that drops on
the very first command is tried once more when the adb server has it back (see settled).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo

from audit.errors import (
    AuditError,
    DeviceError,
    DeviceGone,
    DeviceNotAnswering,
    DeviceOutputError,
)
from audit.model import (
    AppId,
    Connection,
    Device,
    IdentifierKind,
    InstalledApp,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserProfile,
)
from audit.profiles import words_of
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress, raise_if_cancelled
from audit.sources.android import commands
from audit.sources.android.commands import (
    OPTIONAL_FLAGS,
    SYSTEM_FLAGS,
    THIRD_PARTY_FLAGS,
    Argv,
)
from audit.sources.android.connection import Adb, AdbError
from audit.sources.android.inventory import (
    UserLists,
    apps_for_user,
    device_identity,
    hardware_serial,
    localize,
    phone_timezone,
    user_profile,
    user_report,
    with_details,
)
from audit.sources.android.packages import PLATFORM_PACKAGE, is_valid_package_name
from audit.sources.android.parsers import (
    CommandError,
    DevicePolicy,
    ErrorKind,
    PackageDetails,
    PackageEntry,
    Problem,
    Section,
    UserEntry,
    decode_output,
    find_command_error,
    non_package_text,
    parse_device_policy,
    parse_dumpsys_package,
    parse_getprop,
    parse_package_list,
    parse_package_names,
    parse_sections,
    parse_users,
)
from audit.sources.android.shell import AdbShell, Shell
from audit.text import visible

log = logging.getLogger(__name__)

SDK_PROPERTY = "ro.build.version.sdk"

MAX_ROUNDS = 6
"""Round trips for the package lists: first try plus one per flag an old `pm` may reject."""

DROPPABLE = OPTIONAL_FLAGS | {"-u", "--user"}
"""Options the scan can do without; without -u removed-for-user apps cannot be seen."""


@dataclass(frozen=True)
class ListSpec:
    """One `pm list packages` the scan wants, under the name of its output section."""

    name: str
    flags: Argv
    user: int
    names_only: bool = False  # a plain list: only the names are kept


@dataclass
class ListOutcome:
    entries: list[PackageEntry] | None  # None: could not be read
    reason: str = ""  # why not, in words
    security: bool = False  # the shell may not read this user
    problems: list[Problem] = field(default_factory=list)
    names: set[str] | None = None  # what a names-only list read (then `entries` is [])

    def name_set(self) -> set[str] | None:
        if self.entries is None:
            return None
        return self.names if self.names is not None else {e.name for e in self.entries}


@dataclass
class _Cost:
    rounds: int = 0


class _PhoneScan:
    """One scan of one phone through a Shell; keeps what the phone taught us (rejected flags)."""

    def __init__(self, shell: Shell, serial: str, cancelled: CancelCheck) -> None:
        self.shell = shell
        self.serial = serial
        self.cancelled = cancelled
        self.rejected: set[str] = set()
        self.gone: DeviceError | None = None
        self.cost = _Cost()

    # --- running scripts -------------------------------------------------------------

    def run_script(self, sections: Sequence[tuple[str, Argv]]) -> dict[str, Section]:
        """Run commands as one shell invocation; {} once the phone is gone."""
        if self.gone is not None or not sections:
            return {}
        raise_if_cancelled(self.cancelled)
        script = commands.build_script(sections)
        try:
            output = self.shell.run(script.text)
        except DeviceError as error:
            if self.cost.rounds == 0:
                raise  # nothing read yet: the phone is not there, say so plainly
            log.info("phone %s went away mid-scan: %s", self.serial, error.message)
            self.gone = error
            return {}
        finally:
            self.cost.rounds += 1
        text, problems = decode_output(output.output)
        for problem in problems:
            log.info("phone %s: %s", self.serial, problem.message)
        # Bytes that are not UTF-8 become U+FFFD: a package line holding one fails the name
        # grammar and is reported by the list parser, so nothing is lost silently.
        parsed, section_problems = parse_sections(text, script.nonce)
        for problem in section_problems:
            log.info("phone %s: %s", self.serial, problem.message)
        return parsed

    def missing_reason(self) -> str:
        if isinstance(self.gone, DeviceNotAnswering):
            return "the phone stopped answering during the scan"
        if self.gone is not None:
            return "the phone was disconnected during the scan"
        return "the phone's answer was cut off"

    # --- package lists with fallbacks --------------------------------------------------

    def list_argv(self, spec: ListSpec) -> Argv | None:
        """The command for a list with the phone's rejected flags removed; None if impossible."""
        if any(flag in self.rejected and flag not in DROPPABLE for flag in spec.flags):
            return None
        flags = tuple(flag for flag in spec.flags if flag not in self.rejected)
        user: int | None = spec.user
        if "--user" in self.rejected:
            if spec.user != 0:
                return None
            user = None  # the default user of an old pm is user 0
        return commands.list_packages(flags, user)

    def outcome(
        self, section: Section | None, names_only: bool = False
    ) -> tuple[ListOutcome, CommandError | None]:
        if section is None:
            return ListOutcome(None, self.missing_reason()), None
        if not section.complete or _cut_mid_line(section.text):
            return ListOutcome(None, "the phone's answer was cut off"), None
        text = section.text
        if names_only:
            names, problems = parse_package_names(text)
            outcome = ListOutcome([], problems=problems, names=names)
        else:
            entries, problems = parse_package_list(text)
            outcome = ListOutcome(entries, problems=problems)
        # Only output with lines that are not packages can hold an error (a clean list, the
        # usual case, is not searched for one).
        error = find_command_error(non_package_text(text)) if outcome.problems else None
        if error is not None:
            if error.kind is ErrorKind.SECURITY:
                return (
                    ListOutcome(
                        None,
                        f"the phone does not let USB debugging read this profile ({error.message})",
                        security=True,
                    ),
                    error,
                )
            if error.kind is ErrorKind.UNKNOWN_OPTION:
                return ListOutcome(None, f"the phone answered: {error.message}"), error
            return ListOutcome(None, f"the phone answered: {error_words(text)}"), error
        if section.exit_code:
            said = error_words(text)
            why = f"pm failed with exit status {section.exit_code}"
            return ListOutcome(None, f"{why}: {said}" if said else why), None
        return outcome, None

    def run_lists(
        self,
        specs: Sequence[ListSpec],
        extra: Sequence[tuple[str, Argv]] = (),
    ) -> tuple[dict[str, ListOutcome], dict[str, Section]]:
        """Run list commands (plus `extra` plain commands in the first round), retrying each
        list whose flags the phone rejects without those flags."""
        results: dict[str, ListOutcome] = {}
        extra_sections: dict[str, Section] = {}
        pending = list(specs)
        first = True
        for _ in range(MAX_ROUNDS):
            runnable: list[tuple[ListSpec, Argv]] = []
            for spec in pending:
                argv = self.list_argv(spec)
                if argv is None:
                    results[spec.name] = ListOutcome(None, self._impossible(spec))
                else:
                    runnable.append((spec, argv))
            if not runnable and not (first and extra):
                break
            sections = self.run_script(
                [*(extra if first else ()), *((s.name, argv) for s, argv in runnable)]
            )
            if first:
                extra_sections = {name: sections[name] for name, _ in extra if name in sections}
                first = False
            retry: list[ListSpec] = []
            for spec, argv in runnable:
                outcome, error = self.outcome(sections.get(spec.name), spec.names_only)
                if (
                    error is not None
                    and error.kind is ErrorKind.UNKNOWN_OPTION
                    and error.option in DROPPABLE
                    and error.option in argv
                ):
                    log.info("phone %s rejects %s: falling back", self.serial, error.option)
                    self.rejected.add(error.option)
                    retry.append(spec)
                else:
                    results[spec.name] = outcome
            if not retry:
                break
            pending = retry
        for spec in specs:
            results.setdefault(spec.name, ListOutcome(None, "the phone kept rejecting options"))
        return results, extra_sections

    def _impossible(self, spec: ListSpec) -> str:
        if "--user" in self.rejected and spec.user != 0:
            return "this phone's package manager cannot list other users (it rejects --user)"
        return "this phone's package manager rejects the options needed: " + ", ".join(
            sorted(self.rejected)
        )


# --- the scan ------------------------------------------------------------------------------


def _catalog_names() -> Callable[[str], str]:
    """Display names of known apps from the policy catalog; "" for the rest (shown by id)."""
    try:
        from audit.policy import default_catalog

        default_catalog()
    except (ImportError, AuditError) as error:
        log.info("no app names: the catalog is unavailable (%s)", error)
        return lambda _package: ""
    return _catalog_name


@functools.lru_cache(maxsize=16384)
def _catalog_name(package: str) -> str:
    """One package's name in the shipped catalog (loaded once), remembered across scans: a
    helpdesk scans phone after phone with the same few hundred packages."""
    from audit.policy import default_catalog

    return default_catalog().app_name(AppId(IdentifierKind.ANDROID_PACKAGE, package)) or ""


ERROR_WORDS_LIMIT = 500
"""Characters of a phone's error shown in a report: the whole message and the first lines of a
Java stack trace, not a page of it."""


def error_words(text: str, limit: int = ERROR_WORDS_LIMIT) -> str:
    """What the phone printed besides package lines, as one bounded line a person can read:
    the first line of a Java error is often only "Exception occurred while executing 'list':",
    and the reason is on the next."""
    lines = [line.strip() for line in non_package_text(text).splitlines()]
    return visible(" ".join(line for line in lines if line), limit=limit)


def _cut_mid_line(text: str) -> bool:
    """Whether a command's output stops inside a line. Every command the scan runs ends its
    output with a newline; text after the last one means the output was cut short, though the
    end marker arrived (a program killed mid-write), so the last line cannot be trusted."""
    return bool(text) and not text.endswith("\n")


def _section_text(sections: Mapping[str, Section], name: str) -> tuple[str | None, str]:
    """The text of a plain command's section, or None and why not."""
    section = sections.get(name)
    if section is None:
        return None, "no answer"
    if not section.complete or _cut_mid_line(section.text):
        return None, "the answer was cut off"
    return section.text, ""


def _read_props(
    plain: Mapping[str, Section], serial: str
) -> tuple[dict[str, str], list[SourceReport]]:
    """The phone's properties, and a report when they are not its whole answer."""
    props_text, why = _section_text(plain, "props")
    props: dict[str, str] = {}
    if props_text is not None:
        props, problems = parse_getprop(props_text)
        for problem in problems:
            log.info("phone %s getprop: %s", serial, problem.message)
    if not props:
        return props, [
            SourceReport(
                "phone identity",
                SourceStatus.FAILED,
                f"getprop could not be read ({why or 'empty'})",
            )
        ]
    if not props.get(SDK_PROPERTY, "").strip().isdigit():
        # Every Android phone has it; a list of properties without it is not the phone's
        # whole answer, and the scan reads the lists by the version it names.
        return props, [
            SourceReport(
                "phone identity",
                SourceStatus.PARTIAL,
                "the phone's properties do not say which Android version it runs "
                f"({SDK_PROPERTY} is missing), so they are not its whole answer",
            )
        ]
    return props, []


def _read_users(
    plain: Mapping[str, Section], serial: str
) -> tuple[list[UserEntry], list[SourceReport]]:
    """The users to read, and a report when the phone's list of them cannot be whole."""
    users_text, why = _section_text(plain, "users")
    user_entries: list[UserEntry] = []
    if users_text is not None:
        user_entries, problems = parse_users(users_text)
        for problem in problems:
            log.info("phone %s pm list users: %s", serial, problem.message)
    owner = UserEntry(0, "Owner", 0, True)
    if not user_entries:
        detail = why or error_words(users_text or "") or "no users listed"
        return [owner], [
            SourceReport(
                "user list",
                SourceStatus.FAILED,
                f"the users on this phone could not be listed ({detail}); only user 0 was read",
            )
        ]
    if all(entry.id != 0 for entry in user_entries):
        # Every phone has its owner, user 0: a list without it is not the phone's whole list,
        # so other users may be missing too. The owner is read all the same.
        return [owner, *user_entries], [
            SourceReport(
                "user list",
                SourceStatus.FAILED,
                "the phone's list of users does not include the owner (user 0), whom every "
                "phone has, so it is not the whole list; the owner and the users it named were "
                "read, and other users may be missing",
            )
        ]
    return user_entries, []


def scan_with_shell(
    shell: Shell,
    serial: str,
    *,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
    detail_packages: Collection[str] = (),
    name_of: Callable[[str], str] | None = None,
) -> ScanResult:
    """The whole inventory of the phone behind `shell` (see the module docstring)."""
    started = datetime.now(UTC)
    scan = _PhoneScan(shell, serial, cancelled)
    names = _remembered(name_of) if name_of is not None else _catalog_names()

    progress(0.05, "Reading the phone's identity and users")
    system_spec = ListSpec("system", SYSTEM_FLAGS, 0)
    outcomes, plain = scan.run_lists(
        [system_spec],
        extra=[
            ("props", commands.getprop()),
            ("users", commands.list_users()),
            ("policy", commands.device_policy()),
        ],
    )
    sources: list[SourceReport] = []

    props, report = _read_props(plain, serial)
    sources += report
    user_entries, report = _read_users(plain, serial)
    sources += report
    users = [user_profile(entry) for entry in user_entries]

    policy_text, _ = _section_text(plain, "policy")
    policy: DevicePolicy | None = None
    if policy_text is not None:
        policy, problems = parse_device_policy(policy_text)
        for problem in problems:
            log.info("phone %s dumpsys device_policy: %s", serial, problem.message)

    system_outcome = outcomes["system"]
    device = device_identity(serial, props, policy=policy, users=users)

    progress(0.3, f"Listing the apps of {len(users)} user{'s' if len(users) != 1 else ''}")
    specs: list[ListSpec] = []
    for user in users:
        uid = int(user.id)
        specs += [
            ListSpec(f"apps:{uid}", THIRD_PARTY_FLAGS, uid),
            ListSpec(f"installed:{uid}", (), uid, names_only=True),
            ListSpec(f"disabled:{uid}", ("-d",), uid, names_only=True),
        ]
    lists_by_name, _ = scan.run_lists(specs)

    progress(0.75, "Putting the inventory together")
    apps, reports = _inventory(users, lists_by_name, system_outcome, device.sdk, names)
    if "-u" in scan.rejected:
        reports = [_without_uninstalled(report) for report in reports]
    sources += reports

    zone = phone_timezone(props)
    if detail_packages and scan.gone is None:
        progress(0.85, "Reading details of flagged apps")
        details = _details(scan, detail_packages, zone)
        apps = with_details(apps, details, zone)

    progress(
        1.0, "Scan finished" if scan.gone is None else f"Scan incomplete: {scan.missing_reason()}"
    )
    return ScanResult(
        device=device,
        started_at=started,
        finished_at=datetime.now(UTC),
        apps=tuple(apps),
        users=tuple(users),
        sources=tuple(sources),
    )


def _inventory(
    users: Sequence[UserProfile],
    outcomes: Mapping[str, ListOutcome],
    system: ListOutcome,
    sdk: int | None,
    name_of: Callable[[str], str],
) -> tuple[list[InstalledApp], list[SourceReport]]:
    """Every user's apps and the report of each user."""
    # Up to Android 7 `-u` lists every user's apps (unknown version: read as Android 8+, where
    # an app listed but not installed is reported present, the cautious reading).
    other_users_listed = sdk is not None and sdk <= 25
    installed = {user.id: outcomes[f"installed:{user.id}"].name_set() or set() for user in users}
    system = _checked_system_list(system)
    system_packages = system.name_set()
    read = {
        user.id: names
        for user in users
        if (names := outcomes[f"installed:{user.id}"].name_set()) is not None
    }
    apps: list[InstalledApp] = []
    reports: list[SourceReport] = []
    for user in users:
        doubt = implausible_listing(user, read, system_packages or set())
        if doubt:
            log.info("phone: user %s's list is not a whole list: %s", user.id, doubt)
            reports.append(user_report(UserLists(user=user, error=doubt), 0))
            continue
        lists = _user_lists(user, outcomes, system)
        if other_users_listed:
            lists.other_users_listed = True
            lists.installed_elsewhere = frozenset().union(
                *(names for other, names in installed.items() if other != user.id)
            )
        user_apps = apps_for_user(lists, system_packages, name_of)
        apps += user_apps
        reports.append(user_report(lists, len(user_apps)))
    return apps, reports


def _checked_system_list(system: ListOutcome) -> ListOutcome:
    """The list of built-in apps, or a failed outcome when it lacks the framework that every
    phone has (an empty answer with exit status 0 is a failed read, not a phone without apps)."""
    names = system.name_set()
    if names is None or PLATFORM_PACKAGE in names:
        return system
    if not names:
        return ListOutcome(None, "the phone gave an empty list of its built-in apps")
    return ListOutcome(
        None,
        f"the phone's list of its built-in apps does not hold the Android framework "
        f"('{PLATFORM_PACKAGE}'), so it is not the whole list",
    )


def implausible_listing(
    user: UserProfile, read: Mapping[str, set[str]], system: Collection[str]
) -> str:
    """Why the installed-packages list read for `user` cannot be the phone's whole list, in
    words; "" when it can. `read` holds the lists read for every user, `system` the built-in
    packages.

    The phone's answer is the only evidence, so it must show it is real: every user has the
    framework (`android`), and a user has some of the built-in apps that every other user read
    has (its launcher, settings, system UI). Not all of them: a work profile gets only a chosen
    few, and a person may have removed some for one user.
    """
    names = read.get(user.id)
    if names is None:
        return ""  # not read at all: reported as such by the user's report
    where = words_of(user, user.id).name
    if not names:
        return (
            f"the phone gave an empty list for {where}, though every user has at least the "
            f"Android framework ('{PLATFORM_PACKAGE}'), so the apps of {where} were not seen"
        )
    if PLATFORM_PACKAGE not in names:
        return (
            f"the phone's list for {where} does not hold the Android framework "
            f"('{PLATFORM_PACKAGE}'), which every user has, so it is not the whole list"
        )
    others = [other for uid, other in read.items() if uid != user.id and other]
    if others:
        common = set.intersection(*others).intersection(system) - {PLATFORM_PACKAGE}
        if common and common.isdisjoint(names):
            return (
                f"the phone's list for {where} holds none of the built-in apps that every other "
                "user has, so it is not the whole list"
            )
    return ""


WITHOUT_U = (
    "this phone's package manager does not list apps removed for a user (it rejects -u), so a "
    "built-in app removed only for this user cannot be told apart from one that is gone"
)


def _without_uninstalled(report: SourceReport) -> SourceReport:
    """Without `-u` a removed-for-user system copy reads as absent: the user was not seen in
    full, whatever else was read, so the scan must not count as complete."""
    if report.status is SourceStatus.FAILED:
        return report
    detail = "; ".join(part for part in (report.detail, WITHOUT_U) if part)
    return replace(report, status=SourceStatus.PARTIAL, detail=detail)


def _user_lists(
    user: UserProfile, outcomes: Mapping[str, ListOutcome], system: ListOutcome
) -> UserLists:
    listed = outcomes[f"apps:{user.id}"]
    installed = outcomes[f"installed:{user.id}"]
    disabled = outcomes[f"disabled:{user.id}"]
    parts = (listed, installed, disabled)
    problems = [p for o in parts for p in o.problems]
    if system.entries is None:
        problems.append(Problem(f"system apps could not be told apart ({system.reason})"))
    elif system.problems:
        problems += system.problems
    for outcome, what in zip(
        parts, ("list of the user's own apps", "installed list", "disabled list"), strict=True
    ):
        if outcome.entries is None and not all(o.entries is None for o in parts):
            problems.append(Problem(f"the {what} could not be read: {outcome.reason}"))
    error = ""
    if all(o.entries is None for o in parts):
        reasons = [o.reason for o in parts if o.security] or [o.reason for o in parts]
        error = reasons[0]
    return UserLists(
        user=user,
        listed=listed.entries,
        installed=installed.name_set(),
        disabled=disabled.name_set(),
        error=error,
        problems=problems,
        system=(system.entries or []) if not error else [],
    )


def _remembered(name_of: Callable[[str], str]) -> Callable[[str], str]:
    """name_of, asked once per package however many users have it."""
    known: dict[str, str] = {}

    def remembered(package: str) -> str:
        name = known.get(package)
        if name is None:
            name = known[package] = name_of(package)
        return name

    return remembered


_TZ = "persist.sys.timezone"


def _details(
    scan: _PhoneScan, packages: Collection[str], zone: tzinfo | None, *, read_zone: bool = False
) -> dict[str, PackageDetails]:
    """dumpsys for the packages in one round trip (with the phone's time zone if asked)."""
    wanted = sorted({p for p in packages if is_valid_package_name(p)})
    for bad in set(packages) - set(wanted):
        log.info("not asking the phone about %r: not a valid package name", bad)
    if not wanted:
        return {}
    zone_section = [("tz", ("getprop", _TZ))] if read_zone else []
    sections = scan.run_script(
        zone_section
        + [(f"detail:{index}", commands.dumpsys_package(name)) for index, name in enumerate(wanted)]
    )
    if read_zone:
        text, _ = _section_text(sections, "tz")
        zone = phone_timezone({_TZ: (text or "").strip()})
    details: dict[str, PackageDetails] = {}
    for index, name in enumerate(wanted):
        text, why = _section_text(sections, f"detail:{index}")
        if text is None:
            log.info("phone %s: no details for %s (%s)", scan.serial, name, why)
            continue
        info, problems = parse_dumpsys_package(text, name)
        for problem in problems:
            log.info("phone %s dumpsys package %s: %s", scan.serial, name, problem.message)
        if info is not None:
            details[name] = localize_details(info, zone)
    return details


def localize_details(info: PackageDetails, zone: tzinfo | None) -> PackageDetails:
    """PackageDetails whose times are aware (dumpsys prints the phone's local time)."""
    return replace(
        info,
        first_install_time=localize(info.first_install_time, zone),
        last_update_time=localize(info.last_update_time, zone),
        users={
            user: replace(state, first_install_time=localize(state.first_install_time, zone))
            for user, state in info.users.items()
        },
    )


# --- entry points --------------------------------------------------------------------------


def scan_phone(
    serial: str,
    *,
    adb_port: int | None = None,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
    detail_packages: Collection[str] = (),
    adb: Adb | None = None,
) -> ScanResult:
    """Inventory every user of the phone `serial` through the adb server.

    Raises DeviceGone / DeviceUnauthorized / DeviceOffline / DeviceNoPermission when the phone
    cannot be read at all, AdbUnavailable when no adb server can be had, Cancelled when
    `cancelled()` turns true. A phone lost mid-scan gives an incomplete result instead.
    """
    from audit.demo import phone_at

    demo = phone_at(serial)  # the demo phone is in the app, never behind the adb server
    if demo is not None:
        return demo.scan(progress, cancelled)
    server = adb if adb is not None else Adb(adb_port)

    def scan() -> ScanResult:
        # How the phone is reached is asked of the adb server (one host request, no shell
        # round trip) before the scan, and recorded with its identity: a receipt must not
        # take a program answering over the network for a phone on a cable.
        connection = reached(server, serial)
        result = scan_with_shell(
            AdbShell(server, serial),
            serial,
            progress=progress,
            cancelled=cancelled,
            detail_packages=detail_packages,
        )
        return replace(result, device=replace(result.device, connection=connection))

    return settled(
        serial,
        scan,
        lambda: {s: state for s, state, _tags in server.devices()}.get(serial),
        cancelled,
    )


def reached(server: Adb, serial: str) -> Connection | None:
    """How the adb server reaches `serial`; None ("not recorded") when it cannot say, which no
    reader takes for a cable. The scan itself then says why the phone cannot be read."""
    try:
        return server.reached(serial)
    except (AuditError, AdbError, OSError, EOFError, ValueError) as error:
        log.info("cannot tell how phone %s is reached: %s", serial, error)
        return None


rescan = scan_phone


def phone_device_id(serial: str, adb: Adb) -> str:
    """The Device.id of the phone at adb serial `serial`, asked of the phone (one round trip):
    named by its own serial number when it gives a plain one, else by the adb serial."""
    output = AdbShell(adb, serial).run(commands.quote(("getprop", "ro.serialno")))
    text, _ = decode_output(output.output)
    return Device.android_id(hardware_serial({"ro.serialno": text.strip()}) or serial)


SETTLE_S = 1.0
SETTLE_POLL_S = 0.05
RECONNECT_S = 0.25
"""How long the adb server takes to connect again to a phone whose link dropped (measured:
about 0.25 s for a phone on the network, after which it lists it as `device` again)."""


def settled(
    serial: str,
    scan: Callable[[], ScanResult],
    state_of: Callable[[], str | None],
    cancelled: CancelCheck,
    *,
    settle_s: float = SETTLE_S,
) -> ScanResult:
    """Run `scan`; when the adb server refuses the phone without a reason (a bare "closed"
    DeviceError, not one of its typed kinds, as when the cable is pulled just as the scan
    opens the phone), ask the server how the phone is: not listed as ready within `settle_s`
    means it was unplugged (DeviceGone, with its next step); ready all along, scan once more.

    When the connection drops on the very first command (DeviceGone: nothing was read, since
    a drop later gives an incomplete result instead), the link may only have reset: the adb
    server connects again within about RECONNECT_S. The scan is tried once more if the server
    lists the phone as ready again within `settle_s`; only then is the phone called gone. A
    phone that stopped answering (DeviceNotAnswering) is not retried: that would only wait as
    long again."""
    try:
        return scan()
    except DeviceError as error:
        if type(error) is DeviceGone:
            return _after_drop(serial, scan, state_of, cancelled, error, settle_s=settle_s)
        if type(error) is not DeviceError:
            raise  # gone, unauthorized, offline...: the error already says what to do
        refused = error
    deadline = time.monotonic() + settle_s
    while True:
        raise_if_cancelled(cancelled)
        try:
            state = state_of()
        except Exception as error:  # the server itself is in trouble: keep the first words
            log.info("cannot list phones after %s was refused: %s", serial, error)
            raise refused from error
        if state != "device":
            log.info("phone %s was refused (%s) and is now %s", serial, refused.message, state)
            raise DeviceGone(
                serial, f"The phone {serial} was disconnected as its check began."
            ) from refused
        if time.monotonic() >= deadline:
            break
        time.sleep(SETTLE_POLL_S)
    log.info("phone %s was refused (%s) but is ready: checking it again", serial, refused.message)
    return scan()


def _after_drop(
    serial: str,
    scan: Callable[[], ScanResult],
    state_of: Callable[[], str | None],
    cancelled: CancelCheck,
    dropped: DeviceGone,
    *,
    settle_s: float,
) -> ScanResult:
    """Scan once more when the server lists the phone as ready again, no sooner than
    RECONNECT_S after the drop (before that it may not have noticed the drop) and no later than
    `settle_s`; else raise the drop as it was. A link the server is reconnecting is listed as
    `offline` meanwhile; a phone it no longer lists at all was unplugged, and is gone now."""
    start = time.monotonic()
    while True:
        raise_if_cancelled(cancelled)
        waited = time.monotonic() - start
        if waited >= RECONNECT_S:
            try:
                state = state_of()
            except Exception as error:  # the server itself is in trouble: keep the first words
                log.info("cannot list phones after %s dropped: %s", serial, error)
                raise dropped from error
            if state == "device":
                log.info("phone %s dropped its link (%s), is back: again", serial, dropped.message)
                return scan()
            if state is None or waited >= settle_s:  # not listed at all: unplugged, not reset
                log.info("phone %s dropped its link and is %s: gone", serial, state)
                raise dropped
        time.sleep(SETTLE_POLL_S)


"""After an action, scan every user again: OEM builds reinstall or remove apps on other users."""


def details_with_shell(
    shell: Shell, serial: str, packages: Iterable[str]
) -> dict[str, PackageDetails]:
    """`dumpsys package` for a few packages in one round trip, times in the phone's zone."""
    return _details(
        _PhoneScan(shell, serial, never_cancelled), list(packages), None, read_zone=True
    )


def details_for(
    serial: str, packages: Iterable[str], *, adb_port: int | None = None, adb: Adb | None = None
) -> dict[str, PackageDetails]:
    """Install/update times, version name and installer of the given (flagged) packages.

    The source does not decide which packages matter: the caller asks after the policy has
    flagged them, so the per-package cost stays with the few that need it.
    """
    from audit.demo import phone_at

    if phone_at(serial) is not None:
        return {}  # the demo phone's scan has every detail already
    server = adb if adb is not None else Adb(adb_port)
    return details_with_shell(AdbShell(server, serial), serial, packages)


def enrich(scan: ScanResult, details: Mapping[str, PackageDetails]) -> ScanResult:
    """The scan with the details of some packages added to their apps."""
    return replace(scan, apps=tuple(with_details(scan.apps, details, None)))


def scan_phones(
    serials: Sequence[str],
    *,
    adb_port: int | None = None,
    max_workers: int = 8,
    cancelled: CancelCheck = never_cancelled,
) -> dict[str, ScanResult | AuditError]:
    """Scan several phones at once, each on its own worker thread; a slow or broken phone
    delays no other (its error is its own entry)."""
    server = Adb(adb_port)
    server.ensure_server()

    def one(serial: str) -> ScanResult | AuditError:
        try:
            return scan_phone(serial, cancelled=cancelled, adb=server)
        except AuditError as error:
            return error
        except Exception as error:  # a bug met on one phone must not cost the others theirs
            log.exception("scanning %s failed unexpectedly", serial)
            return DeviceOutputError(serial, f"Scanning {serial} failed unexpectedly: {error}.")

    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(serials) or 1))) as pool:
        return dict(zip(serials, pool.map(one, serials), strict=True))
