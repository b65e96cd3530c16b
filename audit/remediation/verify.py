"""Proof by rescan: what a fresh scan of every user says about each finding of the first scan.

A finding is resolved only when a complete rescan of the same device no longer shows the app in
a state the policy rejects. An incomplete rescan resolves nothing: what it could not read may be
exactly where the app still is. Apps that show up only in the rescan (an OEM build reinstalling
a removed app on another user) are listed as newly appeared.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from audit.i18n import N_, _
from audit.model import (
    AppState,
    Assessment,
    Device,
    DeviceKind,
    Finding,
    FindingStatus,
    ScanResult,
)
from audit.profiles import words_of

# A state after "is" in the sentences below ("TikTok is still {state} in the work profile").
_STATE_WORDS = {
    AppState.INSTALLED: N_("installed"),
    AppState.DISABLED: N_("disabled"),
    AppState.HIDDEN: N_("hidden (frozen): still on the phone, one tap brings it back"),
    AppState.SUSPENDED: N_("suspended (paused): still on the phone"),
    AppState.REMOVED_FOR_USER: N_("removed for this user (the built-in copy stays)"),
    AppState.ABSENT: N_("gone"),
    AppState.OFFLOADED: N_("offloaded: its data and icon are still on the iPhone"),
}


def _state_words(state: AppState) -> str:
    """The words for a state; an unknown one (a newer tool's) as its code."""
    return _(_STATE_WORDS[state]) if state in _STATE_WORDS else state.value


class Outcome(StrEnum):
    RESOLVED = "resolved"  # gone, or in a state the policy accepts
    EXCEPTED = "excepted"  # still there, but covered by an active exemption now
    STILL_THERE = "still_there"  # still there in a state the policy rejects
    UNVERIFIED = "unverified"  # the rescan could not show it either way


@dataclass(frozen=True)
class FindingCheck:
    """One violation of the first scan, and what the rescan says about it."""

    finding: Finding  # as the first scan saw it
    outcome: Outcome
    now: Finding | None  # the same app in the rescan; None when the rescan no longer lists it
    message: str

    @property
    def settled(self) -> bool:
        return self.outcome in (Outcome.RESOLVED, Outcome.EXCEPTED)


@dataclass(frozen=True)
class Verification:
    before: Assessment
    after: Assessment
    checks: tuple[FindingCheck, ...]
    appeared: tuple[Finding, ...]  # violations in the rescan that the first scan did not have
    problems: tuple[str, ...]  # why the rescan can resolve nothing ("could not read user 10")

    @property
    def complete(self) -> bool:
        return not self.problems

    @property
    def resolved(self) -> tuple[FindingCheck, ...]:
        return tuple(c for c in self.checks if c.settled)

    @property
    def remaining(self) -> tuple[FindingCheck, ...]:
        return tuple(c for c in self.checks if not c.settled)

    @property
    def all_resolved(self) -> bool:
        """Every first-scan violation settled, nothing new, and the rescan saw everything."""
        return self.complete and not self.remaining and not self.appeared

    def check_for(self, key: tuple[str, str, str]) -> FindingCheck | None:
        return next((c for c in self.checks if c.finding.key == key), None)

    def settles(self, finding: Finding) -> bool:
        """Whether this rescan shows `finding` settled: the rescan is complete and the app is no
        longer a violation there. Also answers for findings planned after the first scan."""
        return self.complete and _app_key(finding) not in {
            _app_key(f) for f in self.after.violations
        }


def _where(scan: ScanResult, user: str) -> str:
    """Where an app is, after its state: "on the iPhone", "in the work profile"."""
    if scan.device.kind is DeviceKind.IOS:
        return _("on the iPhone")
    if scan.device.kind is not DeviceKind.ANDROID:
        if user == "system":
            return _("for everyone on this computer")
        return _("for {user}").format(user=user) if user else _("on this computer")
    # Translators: {profile} is a profile in a sentence: "the work profile"
    return _("in {profile}").format(profile=words_of(scan.user(user), user).lower)


def _app_key(finding: Finding) -> tuple[str, str, str]:
    return (finding.app.kind.value, finding.app.identifier, finding.app.user)


def rescan_problems(before: Assessment, after: Assessment) -> tuple[str, ...]:
    """Why `after` cannot settle anything about `before`; empty when it can."""
    problems: list[str] = []
    old, new = before.scan.device, after.scan.device
    # Each problem follows "because" in a sentence ("not verified, because ...").
    if old.id != new.id:
        problems.append(
            _("the rescan is of {device}, not of {other}").format(
                device=_device(new), other=_device(old)
            )
        )
    if (before.policy.id, before.policy.sha256) != (after.policy.id, after.policy.sha256):
        problems.append(_("the rescan was checked against a different policy"))
    if not after.scan.sources:
        problems.append(_("the rescan names no sources, so it saw nothing that can be vouched for"))
    for gap in after.scan.gaps:
        if gap.detail:
            problems.append(
                _("the rescan could not read {source}: {detail}").format(
                    source=gap.name, detail=gap.detail
                )
            )
        else:
            problems.append(_("the rescan could not read {source}").format(source=gap.name))
    if after.scan.started_at < before.scan.finished_at:
        problems.append(_("the rescan started before the first scan finished"))
    return tuple(problems)


def _device(device: Device) -> str:
    return f"{device.name} ({device.id})" if device.name else device.id


def verify(before: Assessment, after: Assessment) -> Verification:
    """What a rescan says about every violation of the first scan."""
    problems = rescan_problems(before, after)
    now_by_key = {_app_key(f): f for f in after.findings}
    checks: list[FindingCheck] = []
    for finding in before.violations:
        now = now_by_key.get(_app_key(finding))
        checks.append(_check(finding, now, after, problems))
    first = {_app_key(f) for f in before.violations}
    appeared = tuple(f for f in after.violations if _app_key(f) not in first)
    return Verification(
        before=before,
        after=after,
        checks=tuple(checks),
        appeared=appeared,
        problems=problems,
    )


def _check(
    finding: Finding, now: Finding | None, after: Assessment, problems: tuple[str, ...]
) -> FindingCheck:
    name = finding.app.label
    where = _where(after.scan, finding.app.user)
    if problems:
        return FindingCheck(
            finding,
            Outcome.UNVERIFIED,
            now,
            _("{app} {where}: not verified, because {problem}.").format(
                app=name, where=where, problem=problems[0]
            ),
        )
    if now is None or now.app.state is AppState.ABSENT:
        return FindingCheck(
            finding,
            Outcome.RESOLVED,
            now,
            _("{app} is gone {where}.").format(app=name, where=where),
        )
    state = _state_words(now.app.state)
    if now.status is FindingStatus.RESOLVED:
        return FindingCheck(
            finding,
            Outcome.RESOLVED,
            now,
            _("{app} is {state} {where}, which this policy accepts.").format(
                app=name, state=state, where=where
            ),
        )
    if now.status is FindingStatus.EXCEPTED and now.exemption is not None:
        # Translators: {day} is a date written as 2025-03-31 (as the exemption file has it)
        return FindingCheck(
            finding,
            Outcome.EXCEPTED,
            now,
            _("{app} is still {state} {where}, under exemption {exemption} until {day}.").format(
                app=name,
                state=state,
                where=where,
                exemption=now.exemption.id,
                day=now.exemption.expires.isoformat(),
            ),
        )
    if now.status is FindingStatus.REVIEW:
        return FindingCheck(
            finding,
            Outcome.RESOLVED,
            now,
            _("{app} is {state} {where}; the policy now only asks for a review of it.").format(
                app=name, state=state, where=where
            ),
        )
    return FindingCheck(
        finding,
        Outcome.STILL_THERE,
        now,
        _("{app} is still {state} {where}.").format(app=name, state=state, where=where),
    )


def appeared_message(finding: Finding, after: Assessment) -> str:
    """Why a violation only in the rescan matters: a removal on one user can make an OEM build
    put the app on another."""
    return _(
        "{app} is {state} {where}, which the first scan did not show: it appeared since (some "
        "phones reinstall an app on other users when it is removed)."
    ).format(
        app=finding.app.label,
        state=_state_words(finding.app.state),
        where=_where(after.scan, finding.app.user),
    )
