"""Answers that must show they are whole: the phone's answer is the only evidence.

An answer that cannot be the phone's whole answer is a failed read, never a clean phone: a
user's list without the framework package `android` (an empty list with exit status 0 among
them), a list of built-in apps without it, a user list without the owner (user 0), properties
without the Android version. Each is named in words and leaves the scan incomplete, so it is
never called compliant and never attested.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import replace

from audit.i18n import N_, _
from audit.model import SourceReport, SourceStatus, UserProfile
from audit.profiles import words_of
from audit.sources.android.packages import PLATFORM_PACKAGE
from audit.sources.android.parsers import (
    Problem,
    Section,
    UserEntry,
    parse_getprop,
    parse_users,
)
from audit.sources.android.rounds import ListOutcome, error_words, section_text
from audit.text import visible

log = logging.getLogger(__name__)

SDK_PROPERTY = "ro.build.version.sdk"


def read_props(
    plain: Mapping[str, Section], serial: str
) -> tuple[dict[str, str], list[SourceReport]]:
    """The phone's properties, and a report when they are not its whole answer."""
    props_text, why = section_text(plain, "props")
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
                _("getprop could not be read ({why})").format(why=why or _("empty")),
            )
        ]
    if not props.get(SDK_PROPERTY, "").strip().isdigit():
        # Every Android phone has it; a list of properties without it is not the phone's
        # whole answer, and the scan reads the lists by the version it names.
        return props, [
            SourceReport(
                "phone identity",
                SourceStatus.PARTIAL,
                _(
                    "the phone's properties do not say which Android version it runs "
                    "({property} is missing), so they are not its whole answer"
                ).format(property=SDK_PROPERTY),
            )
        ]
    return props, []


def read_users(
    plain: Mapping[str, Section], serial: str
) -> tuple[list[UserEntry], list[SourceReport]]:
    """The users to read, and a report when the phone's list of them cannot be whole."""
    users_text, why = section_text(plain, "users")
    user_entries: list[UserEntry] = []
    problems: list[Problem] = []
    if users_text is not None:
        user_entries, problems = parse_users(users_text)
        for problem in problems:
            log.info("phone %s pm list users: %s", serial, problem.message)
    owner = UserEntry(0, "Owner", 0, True)
    if not user_entries:
        detail = why or error_words(users_text or "") or _("no users listed")
        return [owner], [
            SourceReport(
                "user list",
                SourceStatus.FAILED,
                _(
                    "the users on this phone could not be listed ({detail}); only user 0 was read"
                ).format(detail=detail),
            )
        ]
    if all(entry.id != 0 for entry in user_entries):
        # Every phone has its owner, user 0: a list without it is not the phone's whole list,
        # so other users may be missing too. The owner is read all the same.
        return [owner, *user_entries], [
            SourceReport(
                "user list",
                SourceStatus.FAILED,
                _(
                    "the phone's list of users does not include the owner (user 0), whom every "
                    "phone has, so it is not the whole list; the owner and the users it named "
                    "were read, and other users may be missing"
                ),
            )
        ]
    lost = [problem.message for problem in problems if problem.data_lost]
    if lost:
        # A line that is no user entry may be a user the scan cannot name, whose apps it would
        # never read: the list is not whole, and the scan must not be called complete.
        return user_entries, [
            SourceReport(
                "user list",
                SourceStatus.FAILED,
                _(
                    "the phone's list of users has lines that are not users it could read "
                    "({lines}), so a user may be missing and that user's apps were not read"
                ).format(lines=visible("; ".join(lost[:3]), limit=300)),
            )
        ]
    return user_entries, []


def checked_system_list(system: ListOutcome) -> ListOutcome:
    """The list of built-in apps, or a failed outcome when it lacks the framework that every
    phone has (an empty answer with exit status 0 is a failed read, not a phone without apps)."""
    names = system.name_set()
    if names is None or PLATFORM_PACKAGE in names:
        return system
    if not names:
        return ListOutcome(None, _("the phone gave an empty list of its built-in apps"))
    return ListOutcome(
        None,
        _(
            "the phone's list of its built-in apps does not hold the Android framework "
            "('{package}'), so it is not the whole list"
        ).format(package=PLATFORM_PACKAGE),
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
        return _(
            "the phone gave an empty list for {user}, though every user has at least the "
            "Android framework ('{package}'), so the apps of {user} were not seen"
        ).format(user=where, package=PLATFORM_PACKAGE)
    if PLATFORM_PACKAGE not in names:
        return _(
            "the phone's list for {user} does not hold the Android framework "
            "('{package}'), which every user has, so it is not the whole list"
        ).format(user=where, package=PLATFORM_PACKAGE)
    others = [other for uid, other in read.items() if uid != user.id and other]
    if others:
        common = set.intersection(*others).intersection(system) - {PLATFORM_PACKAGE}
        if common and common.isdisjoint(names):
            return _(
                "the phone's list for {user} holds none of the built-in apps that every other "
                "user has, so it is not the whole list"
            ).format(user=where)
    return ""


WITHOUT_U = N_(
    "this phone's package manager does not list apps removed for a user (it rejects -u), so a "
    "built-in app removed only for this user cannot be told apart from one that is gone"
)


def without_uninstalled(report: SourceReport) -> SourceReport:
    """Without `-u` a removed-for-user system copy reads as absent: the user was not seen in
    full, whatever else was read, so the scan must not count as complete."""
    if report.status is SourceStatus.FAILED:
        return report
    detail = "; ".join(part for part in (report.detail, _(WITHOUT_U)) if part)
    return replace(report, status=SourceStatus.PARTIAL, detail=detail)
