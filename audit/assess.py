"""A phone judged against a policy, with the details of the apps the policy flagged.

The inventory of a phone costs a handful of shell commands whatever the number of apps; what it
lacks is each app's version name and install and update times, which only `dumpsys package`
gives, one package at a time. Asking for every package would make the cost grow with the
phone, so the rule is: details only for the flagged packages. The policy decides which those
are, so the order is fixed here, once, for every caller (the window, the command line):

    scan → evaluate → details of the flagged packages (one round trip) → evaluate again

The second evaluation judges the same apps (details never add or remove an app), so its
findings carry the app's version and dates to whoever shows or signs them.

The same round trip settles each flagged app's state. The package lists show an app hidden
("frozen") for a user exactly as one removed for that user, so a verdict may never rest on
them alone: every flagged phone app that does not read as plainly installed is asked about too,
and its state comes from the phone's own per-user record (installed, hidden, suspended,
enabled, data kept). When that record cannot be had (the phone is gone, the answer is garbled
or has no entry for that user, or there is no phone to ask, as for an inventory file), an app
whose state made it compliant is UNCONFIRMED: the scan gains a report naming it and its user,
so the device is incomplete, never compliant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from audit.errors import AuditError
from audit.i18n import _, ngettext
from audit.model import (
    AppState,
    Assessment,
    Exemption,
    FindingStatus,
    IdentifierKind,
    InstalledApp,
    Policy,
    ScanResult,
    SourceReport,
    SourceStatus,
)
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress, raise_if_cancelled

if TYPE_CHECKING:
    from audit.sources.android.connection import Adb
    from audit.sources.android.dumpsys import PackageDetails

log = logging.getLogger(__name__)

DetailsFetch = Callable[[Collection[str]], Mapping[str, "PackageDetails"]]
"""`dumpsys package` for some packages of one phone, in one round trip."""

SCAN_SHARE = 0.85
"""The part of the progress bar the scan itself fills; the details and judging fill the rest."""


def flagged_packages(assessment: Assessment, *, missing_only: bool = False) -> list[str]:
    """The phone packages a rule matched and that are on the phone in some form (an absent app
    has nothing to read), sorted. With `missing_only`, only those not read in detail yet, or
    whose state still needs the phone's per-user record (see `needs_state`)."""
    wanted: set[str] = set()
    for finding in assessment.findings:
        app = finding.app
        if app.kind is not IdentifierKind.ANDROID_PACKAGE or app.state is AppState.ABSENT:
            continue
        if missing_only and has_details(app) and not needs_state(app):
            continue
        wanted.add(app.identifier)
    return sorted(wanted)


def packages_to_ask(policy: Policy) -> tuple[str, ...]:
    """The phone packages a policy names exactly (a glob cannot be asked about by name), sorted:
    what a scan can read the per-user records of in its own round trip (issue 15), so a check
    of a phone holding a banned app needs no second one. Names the scan cannot pass safely are
    left out there, and read in the details round trip as before."""
    return tuple(
        sorted(
            {
                m.pattern
                for rule in policy.rules
                for m in rule.matchers
                if m.id_kind is IdentifierKind.ANDROID_PACKAGE and not set("*?[") & set(m.pattern)
            }
        )
    )


def has_details(app: InstalledApp) -> bool:
    """Whether `dumpsys package` was read for the app (the package list gives no times)."""
    return app.installed_at is not None or app.updated_at is not None


def needs_state(app: InstalledApp) -> bool:
    """A phone app whose state rests on the package lists alone and is not plainly installed:
    hidden, suspended, removed for the user and (with `-u` on some phones) not there at all
    all read alike there, so only the phone's per-user record can say which it is."""
    return (
        app.kind is IdentifierKind.ANDROID_PACKAGE
        and app.state not in (AppState.INSTALLED, AppState.ABSENT)
        and not app.state_confirmed
    )


def judge_with_details(
    scan: ScanResult,
    policy: Policy,
    exemptions: Sequence[Exemption] = (),
    *,
    day: date,
    person: str = "",
    details: DetailsFetch | None = None,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
) -> Assessment:
    """Judge `scan`, read the details (and per-user state) of the flagged packages that need
    them, judge again.

    Details are a nicety: a phone that cannot give them (unplugged since the scan, a garbled
    answer) leaves the versions and dates unknown, never a failed check. A state is not: an app
    the first judgement found compliant on the strength of the package lists alone, and whose
    state could not be read (`details` None, failing or silent about it), makes the scan
    incomplete (see the module docstring).
    """
    from audit.policy import evaluate

    progress(SCAN_SHARE, _("Checking the apps against the policy"))
    first = evaluate(scan, policy, exemptions, day=day, person=person)
    wanted = flagged_packages(first, missing_only=True) if details is not None else []
    found: Mapping[str, PackageDetails] = {}
    why = _(
        "the phone's own record of it was not read (the phone is not connected now, or the "
        "inventory was saved without it)"
    )
    if wanted and details is not None:
        raise_if_cancelled(cancelled)
        progress(0.9, _reading(len(wanted)))
        try:
            found = details(wanted)
        except AuditError as error:
            log.info("no details for %s: %s", ", ".join(wanted), error.message)
            why = _("the phone did not answer when asked about it")
        else:
            why = _("the phone's answer about it had no entry for this user")
        raise_if_cancelled(cancelled)
    judged = scan
    if found:
        from audit.sources.android.scan import enrich

        judged = enrich(scan, found)
    unsure = _unconfirmed(first, judged)
    if unsure:
        judged = replace(judged, sources=(*judged.sources, *_reports(judged, unsure, why)))
    if judged is scan:
        return first
    progress(0.95, _("Checking the apps against the policy"))
    return evaluate(judged, policy, exemptions, day=day, person=person)


def _unconfirmed(first: Assessment, judged: ScanResult) -> list[InstalledApp]:
    """The apps of `judged` whose state is still unconfirmed and made their finding compliant
    in the first judgement (a violation stays one whatever its state turns out to be)."""
    resolved = {
        (f.app.identifier, f.app.user)
        for f in first.findings
        if f.status is FindingStatus.RESOLVED and needs_state(f.app)
    }
    if not resolved:
        return []
    return [
        app for app in judged.apps if (app.identifier, app.user) in resolved and needs_state(app)
    ]


def unconfirmed_source_name(app: InstalledApp) -> str:
    """The name of the report that an app's state could not be confirmed."""
    where = app.collector or f"user {app.user}"
    return f"state of {app.identifier} in {where}"


def _reports(scan: ScanResult, apps: Sequence[InstalledApp], why: str) -> tuple[SourceReport, ...]:
    """One PARTIAL report per app whose state is unconfirmed, in words a person can act on;
    none twice (a scan judged again keeps the reports it has)."""
    from audit.profiles import words_of

    have = {source.name for source in scan.sources}
    reports: dict[str, SourceReport] = {}
    for app in apps:
        name = unconfirmed_source_name(app)
        if name in have or name in reports:
            continue
        where = words_of(scan.user(app.user), app.user).name
        label = app.name or app.identifier
        reports[name] = SourceReport(
            name,
            SourceStatus.PARTIAL,
            # Translators: {where} is a profile ("the Work profile"); {listed} a state ("turned
            # off"); {doubt} and {why} are clauses that say why the state is not certain
            _(
                "{app} ({identifier}) in {where} is listed as {listed}, but {doubt}, and {why}. "
                "Check the phone again with it plugged in and unlocked"
            ).format(
                app=label,
                identifier=app.identifier,
                where=where,
                listed=_listed(app.state),
                doubt=_doubt(app.state),
                why=why,
            ),
        )
    return tuple(reports.values())


def _doubt(state: AppState) -> str:
    """Why the package lists alone cannot settle this state."""
    if state is AppState.DISABLED:
        return _("the package lists do not show whether it is also paused (suspended)")
    return _("Android lists an app that is only hidden (frozen) there the same way")


def _listed(state: AppState) -> str:
    listed = {
        AppState.REMOVED_FOR_USER: _("removed for this user"),
        AppState.DISABLED: _("turned off"),
        AppState.HIDDEN: _("hidden"),
        AppState.SUSPENDED: _("suspended"),
        AppState.OFFLOADED: _("offloaded"),
        AppState.INSTALLED: _("installed"),
    }
    return listed.get(state, state.value.replace("_", " "))


def confirm_states(
    scan: ScanResult, details: DetailsFetch, wanted: Callable[[InstalledApp], bool]
) -> ScanResult:
    """The scan with the state of the apps `wanted` picks that need one (`needs_state`) read
    from the phone's per-user record, in one round trip; unchanged when there are none or the
    phone cannot say. For an inventory saved before any policy judged it (`scan --json`): the
    apps a policy could flag are read now, so a later `check` need not call them unconfirmed.
    On a phone with several users every such app is read, installed or not: the lists there
    may show one user's copy for another's (see scan._inventory), and only the record says
    where each copy is (a frozen one in a profile beside an installed one in another)."""
    several = len(scan.users) > 1
    packages = sorted(
        {app.identifier for app in scan.apps if (several or needs_state(app)) and wanted(app)}
    )
    if not packages:
        return scan
    try:
        found = details(packages)
    except AuditError as error:
        log.info("no per-user state for %s: %s", ", ".join(packages), error.message)
        return scan
    if not found:
        return scan
    from audit.sources.android.scan import enrich

    return enrich(scan, found)


def assess_phone(
    serial: str,
    policy: Policy,
    exemptions: Sequence[Exemption] = (),
    *,
    day: date,
    person: str = "",
    adb: Adb | None = None,
    adb_port: int | None = None,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
) -> Assessment:
    """Scan the phone `serial`, judge it, and read the details of what the policy flagged.

    Raises what `scan_phone` raises when the phone cannot be read at all; the details round
    trip never turns a finished scan into a failure. The check itself is the workflow's
    (audit.workflow), so it is put together in one place.
    """
    from audit.workflow import DeviceAudit, phone

    audit = DeviceAudit(
        phone(serial, adb_port, adb=adb), policy, exemptions, day=day, person=person
    )
    return audit.check(progress, cancelled)


def _reading(count: int) -> str:
    """The progress line while the flagged apps' details are read."""
    return ngettext(
        "Reading the version and state of the app the policy flagged",
        "Reading the version and state of the {count} apps the policy flagged",
        count,
    ).format(count=count)
