"""Judging a scan against a policy on a given day: findings and a device status.

The rules of judgement (docs/policy-format.md, "How a device is judged"):
- One finding per app record (identifier and user). When several rules match an app, the finding
  shows the match that decides the outcome: a violation before an exception before a review.
- An app in a state the policy accepts (always `absent`, plus the policy's `compliant_states`)
  is RESOLVED, and only when an enforceable matcher recognised it: a review-only heuristic on an
  app that is not there has nothing left to review.
- Otherwise a match that is not enforceable (below Medium-High, or a name whose publisher could
  not be checked) is REVIEW, exemption or not; an enforceable one is EXCEPTED under an active
  exemption, else a VIOLATION.
- A VIOLATION keeps a reference to the covering exemption that is not active on the day (expired,
  or not yet granted), so a person is told "your exemption expired on ...", not just "banned".
- Running processes are attached to the findings of their app; a banned program that runs but
  that no collector listed (a portable copy) becomes a finding of its own, from the process list.
- The device is INCOMPLETE when the scan could not see everything (or names no sources at all),
  whatever was found; else
  OVERDUE (a violation after its rule's deadline) or NON_COMPLIANT (on or before it, or no
  deadline);
  else COMPLIANT_WITH_EXCEPTIONS when something is excepted; else COMPLIANT. Review findings
  alone never make a device non-compliant, but they are always listed.
- A rule has its own dates when a ban grew over time (docs/policy-format.md, "Rules added
  later"): before the rule's own `announced` day its apps were not banned yet, so a match is
  REVIEW (the words say from when it is banned); its deadline, else the policy's, decides
  overdue.
- With an allow-list, an app still on the device that no allow matcher recognises surely, and
  that is not the system's own, is a finding of the rule `unlisted` (a violation or a review, as
  the policy says); a ban rule's verdict on the same app wins when it is at least as severe.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from audit.model import (
    NEVER_COMPLIANT,
    AllowList,
    AppState,
    Assessment,
    Confidence,
    Device,
    DeviceKind,
    DeviceStatus,
    Exemption,
    Finding,
    FindingStatus,
    IdentifierKind,
    InstalledApp,
    InstallOrigin,
    Matcher,
    MatchKind,
    Policy,
    Rule,
    RunningProcess,
    ScanResult,
)
from audit.policy.exemptions import applies, choose, covers
from audit.policy.matching import CompiledPolicy, Match, compile_policy, normalise_text

PROCESS_COLLECTOR = "running processes"

_STATUS_ORDER = {
    FindingStatus.VIOLATION: 3,
    FindingStatus.EXCEPTED: 2,
    FindingStatus.REVIEW: 1,
    FindingStatus.RESOLVED: 0,
}
_ANDROID_PROCESS_USER = re.compile(r"^u(\d+)_")
_EXECUTABLE_SUFFIX = re.compile(r"\.(exe|app|appimage)$", re.IGNORECASE)


@dataclass
class _Draft:
    app: InstalledApp
    match: Match
    status: FindingStatus
    exemption: Exemption | None
    running: list[RunningProcess] = field(default_factory=list)


def evaluate(
    scan: ScanResult,
    policy: Policy,
    exemptions: Sequence[Exemption] = (),
    *,
    day: date,
    person: str = "",
) -> Assessment:
    """Judge `scan` against `policy` on `day`, with the exemptions granted to `person`."""
    compiled = compile_policy(policy)
    relevant = tuple(e for e in exemptions if applies(e, policy, scan.device, person))
    # A hidden or suspended app is still installed: never compliant, whatever a policy built in
    # code says (the loader refuses such a policy file).
    compliant_states = (policy.compliant_states | {AppState.ABSENT}) - NEVER_COMPLIANT

    allow_list = policy.allow_list
    allowed = _compile_allow_list(allow_list) if allow_list is not None else None
    drafts: list[_Draft] = []
    for app in scan.apps:
        matches = compiled.match_app(app)
        draft = None
        if matches:
            draft = _judge(
                app,
                matches=matches,
                policy=policy,
                exemptions=relevant,
                day=day,
                compliant_states=compliant_states,
            )
        if allow_list is not None and allowed is not None and app.state not in compliant_states:
            unlisted = _judge_unlisted(
                app, allowed, allow_list.rule, policy=policy, exemptions=relevant, day=day
            )
            if unlisted is not None and (
                draft is None or _STATUS_ORDER[unlisted.status] > _STATUS_ORDER[draft.status]
            ):
                draft = unlisted
        if draft is not None:
            drafts.append(draft)

    _attach_processes(
        scan,
        drafts=drafts,
        match_process=compiled.match_process,
        policy=policy,
        exemptions=relevant,
        day=day,
    )

    findings = tuple(
        Finding(
            app=d.app,
            rule=policy.rules[d.match.rule_index],
            matcher=d.match.matcher,
            status=d.status,
            exemption=d.exemption,
            running=tuple(d.running),
        )
        for d in drafts
    )
    return Assessment(
        scan=scan,
        policy=policy,
        day=day,
        status=device_status(scan, policy, findings, day),
        findings=findings,
        exemptions=relevant,
    )


def device_status(
    scan: ScanResult, policy: Policy, findings: Sequence[Finding], day: date
) -> DeviceStatus:
    if not scan.complete:
        return DeviceStatus.INCOMPLETE
    statuses = {f.status for f in findings}
    if FindingStatus.VIOLATION in statuses:
        for finding in findings:
            deadline = policy.rule_deadline(finding.rule)
            if finding.status is FindingStatus.VIOLATION and deadline and day > deadline:
                return DeviceStatus.OVERDUE
        return DeviceStatus.NON_COMPLIANT
    if FindingStatus.EXCEPTED in statuses:
        return DeviceStatus.COMPLIANT_WITH_EXCEPTIONS
    return DeviceStatus.COMPLIANT


def _judge(
    app: InstalledApp,
    *,
    matches: Sequence[Match],
    policy: Policy,
    exemptions: Sequence[Exemption],
    day: date,
    compliant_states: frozenset[AppState],
) -> _Draft | None:
    per_rule: dict[int, Match] = {}
    for match in matches:
        current = per_rule.get(match.rule_index)
        if current is None or match.rank > current.rank:
            per_rule[match.rule_index] = match
    if app.state in compliant_states:
        enforceable = [m for m in per_rule.values() if m.enforceable]
        if not enforceable:
            return None
        top = max(enforceable, key=lambda m: (m.rank, -m.rule_index))
        return _Draft(app, top, FindingStatus.RESOLVED, None)
    drafts = [
        _judge_rule(app, match, policy, exemptions, day)
        for _index, match in sorted(per_rule.items())
    ]
    return max(drafts, key=lambda d: (_STATUS_ORDER[d.status], d.match.rank, -d.match.rule_index))


def _judge_rule(
    app: InstalledApp, match: Match, policy: Policy, exemptions: Sequence[Exemption], day: date
) -> _Draft:
    rule = policy.rules[match.rule_index]
    if not match.enforceable or not policy.in_force(rule, day):
        # A possible match stays for review even where an exemption covers its rule: counting
        # it as "kept under an exemption" would report an app nobody has shown to be banned.
        # So does an app a later rule names, judged on a day before that rule was announced.
        return _Draft(app, match, FindingStatus.REVIEW, None)
    covering = [e for e in exemptions if covers(e, rule, app, match.matcher.app)]
    active = choose([e for e in covering if e.active_on(day)])
    if active is not None:
        return _Draft(app, match, FindingStatus.EXCEPTED, active)
    lapsed = choose([e for e in covering if e.expires < day]) or choose(covering)
    return _Draft(app, match, FindingStatus.VIOLATION, lapsed)


def _compile_allow_list(allow_list: AllowList) -> CompiledPolicy:
    compiled = CompiledPolicy()
    for matcher in allow_list.matchers:
        compiled.add(0, matcher, review_only=False)
    compiled.freeze()
    return compiled


def _judge_unlisted(
    app: InstalledApp,
    allowed: CompiledPolicy,
    rule: Rule,
    *,
    policy: Policy,
    exemptions: Sequence[Exemption],
    day: date,
) -> _Draft | None:
    """An app still on the device that the allow-list does not name surely: a finding of the
    rule `unlisted`. The system's own apps are always allowed; a weak allow match (a name whose
    publisher the app does not say) leaves the app for review, never a violation."""
    if app.system or app.origin is InstallOrigin.PREINSTALLED:
        return None
    hits = allowed.match_app(app)
    if any(hit.enforceable for hit in hits):
        return None
    sure = not hits
    matcher = Matcher(
        kind=MatchKind.IDENTIFIER,
        pattern=app.identifier,
        id_kind=app.kind,
        confidence=Confidence.HIGH if sure else Confidence.MEDIUM,
        app=app.name or app.identifier,
    )
    match = Match(policy.rules.index(rule), matcher, enforceable=sure and not rule.review_only)
    return _judge_rule(app, match, policy, exemptions, day)


def _attach_processes(
    scan: ScanResult,
    *,
    drafts: list[_Draft],
    match_process: Callable[[RunningProcess], list[Match]],
    policy: Policy,
    exemptions: Sequence[Exemption],
    day: date,
) -> None:
    """Say which findings are running now; report banned programs no collector listed.

    A process is attached by its strongest link only: by package name or install folder when it
    has one, else by name (or a process matcher of the same app), so a `TikTok.exe` running from
    the Windows app's folder is not also called the running copy of a TikTok web-app launcher.
    """
    live = [d for d in drafts if d.status is not FindingStatus.RESOLVED]
    by_app_label: dict[str, list[_Draft]] = {}
    for draft in live:
        if draft.match.matcher.app:
            by_app_label.setdefault(normalise_text(draft.match.matcher.app), []).append(draft)
    orphans: dict[tuple[int, str], _Draft] = {}
    for process in scan.processes:
        matches = match_process(process)
        links = [(d, _link(process, d.app)) for d in live]
        strong = [d for d, link in links if link == _STRONG]
        linked = strong or [d for d, link in links if link == _WEAK]
        if not strong:
            for match in matches:
                linked.extend(by_app_label.get(normalise_text(match.matcher.app), ()))
        unique_linked = list({id(d): d for d in linked}.values())
        for draft in unique_linked:
            if _same_user(process, draft.app):
                draft.running.append(process)
        if matches and not unique_linked:
            app = _process_app(process, scan.device)
            draft = _judge_rule(
                app,
                max(matches, key=lambda m: (m.rank, -m.rule_index)),
                policy,
                exemptions,
                day,
            )
            draft.running.append(process)
            orphans.setdefault((process.pid, process.name), draft)
    drafts.extend(orphans.values())


_STRONG, _WEAK, _NONE = 2, 1, 0


def _link(process: RunningProcess, app: InstalledApp) -> int:
    """How surely a process belongs to an app: package name or install folder, or just name."""
    name = process.name
    if name and (name == app.identifier or name.split(":", 1)[0] == app.identifier):
        return _STRONG  # Android names processes after the package ("com.x" and "com.x:push")
    location = app.location.rstrip("\\/")
    if location and process.exe and len(location) > 3:
        exe = process.exe.casefold()
        folder = location.casefold()
        if exe.startswith((folder + "/", folder + "\\")):
            return _STRONG
    if app.name and name:
        bare = _EXECUTABLE_SUFFIX.sub("", name)
        if normalise_text(bare) == normalise_text(app.name):
            return _WEAK
    return _NONE


def _same_user(process: RunningProcess, app: InstalledApp) -> bool:
    """On Android, process user `u10_a123` runs as user 10: do not call user 0's copy running."""
    found = _ANDROID_PROCESS_USER.match(process.user)
    if found and app.user.isdigit():
        return found.group(1) == app.user
    return True


def _process_app(process: RunningProcess, device: Device) -> InstalledApp:
    """A stand-in record for a banned program seen only in the process list."""
    os_name = device.os_name.casefold()
    if device.kind is DeviceKind.ANDROID:
        kind = IdentifierKind.ANDROID_PACKAGE
    elif "windows" in os_name:
        kind = IdentifierKind.ARP_KEY
    elif "mac" in os_name or "darwin" in os_name:
        kind = IdentifierKind.MACOS_BUNDLE
    else:
        kind = IdentifierKind.DESKTOP
    return InstalledApp(
        identifier=process.name or process.exe,
        kind=kind,
        name=process.name,
        user=process.user,
        location=process.exe,
        collector=PROCESS_COLLECTOR,
    )
