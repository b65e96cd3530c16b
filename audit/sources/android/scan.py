"""The inventory of a phone: every user, every package, in a handful of shell round trips.

Where the phone's shell can, the whole check is ONE script (onestage.py): the rounds below
run on the phone as soon as what each needs is known, and their sections are read here exactly
as the rounds' are; what the phone's script left out is asked for again in a round of its own.
Else each round's programs run side by side on the phone (jobs.py: a real phone charges per
program started, 100-400 ms each), so a round costs about its slowest program plus the round
trip; a shell that cannot run them so gets them one after another.

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
exit status 0 among them), a user list without the owner (user 0),
properties without the Android version, output that stops mid-line. Each is named in words and
leaves the scan incomplete, so it is never called compliant and never attested (whole.py). The
commands themselves, with their fallbacks, are run by rounds.PhoneScan. A phone that
stops answering is said to have stopped answering, not to be disconnected; a link that drops on
the very first command is tried once more when the adb server has it back (see settled).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from audit.addresses import DEMO_ADDRESS
from audit.errors import (
    AuditError,
    DeviceOutputError,
)
from audit.i18n import N_, _, ngettext
from audit.model import (
    AppId,
    Connection,
    Device,
    IdentifierKind,
    InstalledApp,
    ScanResult,
    SourceReport,
    UserProfile,
)
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress
from audit.sources.android import commands, hints
from audit.sources.android.commands import (
    SYSTEM_FLAGS,
    THIRD_PARTY_FLAGS,
)
from audit.sources.android.connection import Adb, AdbError
from audit.sources.android.dumpsys import (
    DevicePolicy,
    PackageDetails,
    parse_device_policy,
    parse_dumpsys_package,
)
from audit.sources.android.hints import NO_HINT, Hint
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
from audit.sources.android.onestage import run_one_stage
from audit.sources.android.packages import is_valid_package_name
from audit.sources.android.parsers import Problem, Section, decode_output
from audit.sources.android.rounds import ListOutcome, ListSpec, PhoneScan, section_text
from audit.sources.android.settle import settled
from audit.sources.android.shell import AdbShell, Shell
from audit.sources.android.whole import (
    checked_system_list,
    implausible_listing,
    read_props,
    read_users,
    without_uninstalled,
)
from audit.text import visible

if TYPE_CHECKING:
    from audit.demo.phone import DemoPhone

log = logging.getLogger(__name__)

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


def scan_with_shell(
    shell: Shell,
    serial: str,
    *,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
    detail_packages: Collection[str] = (),
    name_of: Callable[[str], str] | None = None,
    concurrent: bool = True,
    one_stage: bool = True,
    hint: Hint = NO_HINT,
) -> ScanResult:
    """The whole inventory of the phone behind `shell` (see the module docstring); each
    round's programs side by side on the phone unless `concurrent` is False (jobs.py), the
    whole check in one script unless `one_stage` is False (onestage.py), starting what `hint`
    names early (hints.py: it decides what starts when, never what is read)."""
    started = datetime.now(UTC)
    scan = PhoneScan(shell, serial, cancelled, concurrent=concurrent)
    names = _remembered(name_of) if name_of is not None else _catalog_names()

    progress(0.05, _("Reading the phone's identity and users"))
    system_spec = ListSpec("system", SYSTEM_FLAGS, 0)
    extra = [
        ("props", commands.getprop()),
        ("users", commands.list_users()),
        ("policy", commands.device_policy()),
    ]
    # The whole check in one script where the phone's shell can (onestage.py); what it
    # answered is read below exactly as the answers of the stage-by-stage rounds are.
    first = [system_spec, *_lists(0)]
    answered, asked = run_one_stage(
        scan if one_stage else None,
        [*extra, *((s.name, commands.list_packages(s.flags, 0)) for s in first)],
        detail_packages,
        hint,
    )
    outcomes, plain = scan.run_lists([system_spec], extra=extra, answered=answered)
    sources: list[SourceReport] = []

    props, report = read_props(plain, serial)
    sources += report
    user_entries, report = read_users(plain, serial)
    sources += report
    users = [user_profile(entry) for entry in user_entries]

    policy_text, _why = section_text(plain, "policy")
    policy: DevicePolicy | None = None
    if policy_text is not None:
        policy, problems = parse_device_policy(policy_text)
        for problem in problems:
            log.info("phone %s dumpsys device_policy: %s", serial, problem.message)

    system_outcome = outcomes["system"]
    device = device_identity(serial, props, policy=policy, users=users)

    progress(
        0.3,
        ngettext(
            "Listing the apps of {count} user", "Listing the apps of {count} users", len(users)
        ).format(count=len(users)),
    )
    specs = [spec for user in users for spec in _lists(int(user.id))]
    lists_by_name, _plain = scan.run_lists(specs, answered=answered)

    progress(0.75, _("Putting the inventory together"))
    apps, reports = _inventory(users, lists_by_name, system_outcome, device.sdk, names)
    if "-u" in scan.rejected:
        reports = [without_uninstalled(report) for report in reports]
    sources += reports

    zone = phone_timezone(props)
    if detail_packages and scan.gone is None:
        progress(0.85, _("Reading details of flagged apps"))
        # The script's own choice of which apps to describe is the phone's: a flagged app in
        # the inventory it did not describe is asked about again (never left without).
        present = {app.identifier for app in apps}
        # Only apps the lists show are described: a hint's early dumpsys of an app the lists
        # do not hold (removed since, or another phone's hint) is not read at all.
        described = [name for name in asked if name in present]
        details = _read_details(scan, answered or {}, asked, zone, only=described)
        again = [p for p in detail_packages if p in present and p not in details]
        if answered is None or again:
            details |= _details(scan, again if answered is not None else detail_packages, zone)
        apps = with_details(apps, details, zone, users)

    progress(
        1.0,
        _("Scan finished")
        if scan.gone is None
        else _("Scan incomplete: {reason}").format(reason=scan.missing_reason()),
    )
    return ScanResult(
        device=device,
        started_at=started,
        finished_at=datetime.now(UTC),
        apps=tuple(apps),
        users=tuple(users),
        sources=tuple(sources),
    )


def _lists(uid: int) -> list[ListSpec]:
    """A user's lists: own apps with details, installed names, disabled names."""
    return [
        ListSpec(f"apps:{uid}", THIRD_PARTY_FLAGS, uid),
        ListSpec(f"installed:{uid}", (), uid, names_only=True),
        ListSpec(f"disabled:{uid}", ("-d",), uid, names_only=True),
    ]


def _inventory(
    users: Sequence[UserProfile],
    outcomes: Mapping[str, ListOutcome],
    system: ListOutcome,
    sdk: int | None,
    name_of: Callable[[str], str],
) -> tuple[list[InstalledApp], list[SourceReport]]:
    """Every user's apps and the report of each user."""
    # Up to Android 7 `-u` lists every user's apps, and so does every version when the owner
    # has a profile (updateFlagsForPackage adds MATCH_ANY_USER for the shell, a caller in user
    # 0: b/31000380): an app listed for a user but installed in another is that other user's.
    # What this reading leaves out for a flagged app (one hidden in this user while installed in
    # another) the phone's own per-user record puts back (inventory.with_details).
    other_users_listed = (sdk is not None and sdk <= 25) or len(users) > 1
    installed = {user.id: outcomes[f"installed:{user.id}"].name_set() or set() for user in users}
    system = checked_system_list(system)
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


UNREAD_LIST = (
    N_("the list of the user's own apps could not be read: {reason}"),
    N_("the installed list could not be read: {reason}"),
    N_("the disabled list could not be read: {reason}"),
)


def _user_lists(
    user: UserProfile, outcomes: Mapping[str, ListOutcome], system: ListOutcome
) -> UserLists:
    listed = outcomes[f"apps:{user.id}"]
    installed = outcomes[f"installed:{user.id}"]
    disabled = outcomes[f"disabled:{user.id}"]
    parts = (listed, installed, disabled)
    problems = [p for o in parts for p in o.problems]
    if system.entries is None:
        problems.append(
            Problem(
                _("system apps could not be told apart ({reason})").format(reason=system.reason)
            )
        )
    elif system.problems:
        problems += system.problems
    for outcome, words in zip(parts, UNREAD_LIST, strict=True):
        if outcome.entries is None and not all(o.entries is None for o in parts):
            problems.append(Problem(_(words).format(reason=outcome.reason)))
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
    scan: PhoneScan, packages: Collection[str], zone: tzinfo | None, *, read_zone: bool = False
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
        text, _why = section_text(sections, "tz")
        zone = phone_timezone({_TZ: (text or "").strip()})
    return _read_details(scan, sections, wanted, zone)


def _read_details(
    scan: PhoneScan,
    sections: Mapping[str, Section],
    wanted: Sequence[str],
    zone: tzinfo | None,
    only: Collection[str] | None = None,
) -> dict[str, PackageDetails]:
    """The details in sections detail:i (i: the package's place in `wanted`), of the packages
    in `only` when given."""
    details: dict[str, PackageDetails] = {}
    for index, name in enumerate(wanted):
        if only is not None and name not in only:
            continue
        text, why = section_text(sections, f"detail:{index}")
        if text is None:
            if f"detail:{index}" in sections:  # absent: the one script found no such app
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
    hint: Hint | None = None,
    hint_folder: Path | None = None,
) -> ScanResult:
    """Inventory every user of the phone `serial` through the adb server.

    Raises DeviceGone / DeviceUnauthorized / DeviceOffline / DeviceNoPermission when the phone
    cannot be read at all, AdbUnavailable when no adb server can be had, Cancelled when
    `cancelled()` turns true. A phone lost mid-scan gives an incomplete result instead.

    What the last check of `serial` found starts early (hints.py): `hint` when given (this
    process's own last check of the phone), else the hint file kept in `hint_folder` (the data
    folder by default), which is then updated with what this check found.
    """
    demo = _demo_at(serial)  # the demo phone is in the app, never behind the adb server
    if demo is not None:
        return demo.scan(progress, cancelled)
    server = adb if adb is not None else Adb(adb_port)
    kept = hints.recall(serial, hint_folder)
    early = kept if hint is None else hint

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
            hint=early,
        )
        return replace(result, device=replace(result.device, connection=connection))

    result = settled(
        serial,
        scan,
        lambda: {s: state for s, state, _tags in server.devices()}.get(serial),
        cancelled,
    )
    learned = hints.hint_of(result, detail_packages, kept)
    if learned != kept:
        hints.remember(serial, learned, hint_folder)
    return result


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
    text, _problems = decode_output(output.output)
    return Device.android_id(hardware_serial({"ro.serialno": text.strip()}) or serial)


"""After an action, scan every user again: OEM builds reinstall or remove apps on other users."""


def details_with_shell(
    shell: Shell, serial: str, packages: Iterable[str]
) -> dict[str, PackageDetails]:
    """`dumpsys package` for a few packages in one round trip, times in the phone's zone."""
    return _details(PhoneScan(shell, serial, never_cancelled), list(packages), None, read_zone=True)


def details_for(
    serial: str, packages: Iterable[str], *, adb_port: int | None = None, adb: Adb | None = None
) -> dict[str, PackageDetails]:
    """Install/update times, version name and installer of the given (flagged) packages.

    The source does not decide which packages matter: the caller asks after the policy has
    flagged them, so the per-package cost stays with the few that need it.
    """
    if _demo_at(serial) is not None:
        return {}  # the demo phone's scan has every detail already
    server = adb if adb is not None else Adb(adb_port)
    return details_with_shell(AdbShell(server, serial), serial, packages)


def _demo_at(serial: str) -> DemoPhone | None:
    """The demo phone when `serial` is its address; the demo package (a whole phone in
    memory) is loaded only then, not for every real phone's scan (issue 15)."""
    if serial != DEMO_ADDRESS:
        return None
    from audit.demo import phone_at

    return phone_at(serial)


def enrich(scan: ScanResult, details: Mapping[str, PackageDetails]) -> ScanResult:
    """The scan with the details of some packages added to their apps."""
    return replace(scan, apps=tuple(with_details(scan.apps, details, None, scan.users)))


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
            return DeviceOutputError(
                serial,
                _("Scanning {serial} failed unexpectedly: {error}.").format(
                    serial=visible(serial), error=error
                ),
            )

    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(serials) or 1))) as pool:
        return dict(zip(serials, pool.map(one, serials), strict=True))
