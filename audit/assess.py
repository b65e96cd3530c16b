"""A phone judged against a policy, with the details of the apps the policy flagged.

The inventory of a phone costs a handful of shell commands whatever the number of apps; what it
lacks is each app's version name and install and update times, which only `dumpsys package`
gives, one package at a time. Asking for every package would make the cost grow with the
phone, so the rule is: details only for the flagged packages. The policy decides which those
are, so the order is fixed here, once, for every caller (the window, the command line):

    scan → evaluate → details of the flagged packages (one round trip) → evaluate again

The second evaluation judges the same apps (details never add or remove an app), so its
findings carry the app's version and dates to whoever shows or signs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from audit.errors import AuditError
from audit.model import (
    AppState,
    Assessment,
    Exemption,
    IdentifierKind,
    InstalledApp,
    Policy,
    ScanResult,
)
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress, raise_if_cancelled

if TYPE_CHECKING:
    from audit.sources.android.connection import Adb
    from audit.sources.android.parsers import PackageDetails

log = logging.getLogger(__name__)

DetailsFetch = Callable[[Collection[str]], Mapping[str, "PackageDetails"]]
"""`dumpsys package` for some packages of one phone, in one round trip."""

SCAN_SHARE = 0.85
"""The part of the progress bar the scan itself fills; the details and judging fill the rest."""


def flagged_packages(assessment: Assessment, *, missing_only: bool = False) -> list[str]:
    """The phone packages a rule matched and that are on the phone in some form (an absent app
    has nothing to read), sorted. With `missing_only`, only those not read in detail yet."""
    wanted: set[str] = set()
    for finding in assessment.findings:
        app = finding.app
        if app.kind is not IdentifierKind.ANDROID_PACKAGE or app.state is AppState.ABSENT:
            continue
        if missing_only and has_details(app):
            continue
        wanted.add(app.identifier)
    return sorted(wanted)


def has_details(app: InstalledApp) -> bool:
    """Whether `dumpsys package` was read for the app (the package list gives no times)."""
    return app.installed_at is not None or app.updated_at is not None


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
    """Judge `scan`, read the details of the flagged packages not read yet, judge again.

    Details are a nicety: a phone that cannot give them (unplugged since the scan, a garbled
    answer) leaves the first judgement as it is, never a failed check.
    """
    from audit.policy import evaluate

    progress(SCAN_SHARE, "Checking the apps against the policy")
    first = evaluate(scan, policy, exemptions, day=day, person=person)
    if details is None:
        return first
    wanted = flagged_packages(first, missing_only=True)
    if not wanted:
        return first
    raise_if_cancelled(cancelled)
    progress(0.9, f"Reading the version and dates of {_apps(len(wanted))} the policy flagged")
    try:
        found = details(wanted)
    except AuditError as error:
        log.info("no details for %s: %s", ", ".join(wanted), error.message)
        return first
    if not found:
        return first
    raise_if_cancelled(cancelled)
    from audit.sources.android.scan import enrich

    progress(0.95, "Checking the apps against the policy")
    return evaluate(enrich(scan, found), policy, exemptions, day=day, person=person)


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
    trip never turns a finished scan into a failure.
    """
    from audit.sources.android.connection import Adb
    from audit.sources.android.scan import details_for, scan_phone

    server = adb if adb is not None else Adb(adb_port)
    scan = scan_phone(
        serial,
        adb=server,
        progress=lambda fraction, message: progress(fraction * SCAN_SHARE, message),
        cancelled=cancelled,
    )
    return judge_with_details(
        scan,
        policy,
        exemptions,
        day=day,
        person=person,
        details=lambda packages: details_for(serial, packages, adb=server),
        progress=progress,
        cancelled=cancelled,
    )


def _apps(count: int) -> str:
    return "the app" if count == 1 else f"the {count} apps"
