"""An assessment in words and as plain data: what `check` prints, `check --json` writes, and
what reports and attestations reuse, so every output says the same thing the same way."""

from __future__ import annotations

from datetime import date
from typing import Any

from audit.inventory import app_to_dict, device_to_dict, inventory_digest
from audit.model import (
    AppState,
    Assessment,
    DeviceStatus,
    Exemption,
    Finding,
    FindingStatus,
    IdentifierKind,
    InstalledApp,
    Matcher,
    MatchKind,
    Policy,
    PolicyStatus,
    Rule,
)
from audit.states import SHORT, explained, how_to_remove
from audit.text import plural

FORMAT = "device-audit-assessment"
VERSION = 1

STATUS_WORDS = {
    DeviceStatus.COMPLIANT: "Compliant",
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: "Compliant with exceptions",
    DeviceStatus.NON_COMPLIANT: "Not compliant",
    DeviceStatus.OVERDUE: "Overdue",
    DeviceStatus.INCOMPLETE: "Incomplete",
}


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_words(day: date) -> str:
    """`2025-02-24` -> "24 Feb 2025": one way to write a day in sentences, whatever the locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def deadline_words(assessment: Assessment) -> str:
    """The deadline as it stands on the assessment's day (see deadline_sentence): with rules of
    their own dates, the earliest deadline of a rule the device breaks."""
    return deadline_sentence(assessment.deadline, assessment.day)


def rule_dates_sentence(rule: Rule, day: date, policy: Policy | None = None) -> str:
    """Where one rule stands on `day`: "Banned since 24 Feb 2025." / "Remove it by 31 Mar 2023
    (3 days left)." / "Not banned on this day: banned from 24 Feb 2025." / "" (no dates)."""
    if rule.announced is not None and day < rule.announced:
        return f"Not banned on this day: banned from {day_words(rule.announced)}."
    deadline = policy.rule_deadline(rule) if policy is not None else rule.deadline
    if deadline is None:
        return ""
    days = (deadline - day).days
    if days < 0:
        return f"Banned since {day_words(deadline)}."
    if days == 0:
        return f"Remove it today ({day_words(deadline)} is the last day)."
    return f"Remove it by {day_words(deadline)} ({plural(days, 'day')} left)."


def deadline_sentence(deadline: date | None, day: date) -> str:
    """ "Deadline 2023-03-31: 11 days left." / "...: passed 3 days ago." / no deadline: the
    same words in the banner before a check as in reports after one."""
    if deadline is None:
        return "The policy sets no deadline."
    days = (deadline - day).days
    when = deadline.isoformat()
    if days > 0:
        return f"Deadline {when}: {plural(days, 'day')} left."
    if days == 0:
        return f"Deadline {when}: today is the last day."
    return f"Deadline {when}: passed {plural(-days, 'day')} ago."


def policy_state_words(policy: Policy) -> str:
    """What a policy's status means for a person: "" while it is active."""
    if policy.status is PolicyStatus.SUPERSEDED:
        return (
            f"Superseded by {policy.superseded_by}, which covers this ban and what was added "
            "since: use it for new audits."
        )
    if policy.status is PolicyStatus.LIFTED:
        return "Lifted: the ban is no longer in force; kept to read older audits."
    return ""


def verified_words(policy: Policy) -> str:
    """When a person last checked the policy against its sources, in a sentence."""
    if policy.last_verified is None:
        return "Not checked against its sources since it was written."
    return f"Checked against its sources on {day_words(policy.last_verified)}."


def status_text(assessment: Assessment) -> str:
    """One sentence that says where the device stands, for banners and receipts."""
    status = assessment.status
    violations = len(assessment.violations)
    reviews = len(assessment.with_status(FindingStatus.REVIEW))
    excepted = len(assessment.with_status(FindingStatus.EXCEPTED))
    if status is DeviceStatus.INCOMPLETE:
        gaps = ", ".join(g.name for g in assessment.scan.gaps) or "it names no sources"
        text = (
            f"Incomplete: the scan could not see everything ({gaps}), "
            "so it cannot be called compliant."
        )
        if violations:
            text += f" It found {plural(violations, 'banned app')} even so."
        return text
    if status in (DeviceStatus.NON_COMPLIANT, DeviceStatus.OVERDUE):
        text = f"{STATUS_WORDS[status]}: {plural(violations, 'banned app')} to remove."
    elif status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS:
        text = f"Compliant with exceptions: {plural(excepted, 'app')} kept under an exemption."
    else:
        text = "Compliant: no banned apps found."
    if reviews:
        text += f" {plural(reviews, 'possible match')} to review."
    return text


def resolved_reason(app: InstalledApp) -> str:
    """Why an app the rule matched counts as dealt with, saying what stays on the phone."""
    if app.state is AppState.REMOVED_FOR_USER and not app.system:
        text = (
            "The app was uninstalled for this user with its data kept on the phone (reinstalling "
            "it brings the data back); this policy accepts that."
        )
    elif app.state is AppState.REMOVED_FOR_USER:
        text = (
            "The app is removed for this user (the copy built into the phone stays, and can be "
            "restored); this policy accepts that."
        )
    else:
        text = f"The app is {SHORT[app.state]}, which this policy accepts."
    if app.kind is IdentifierKind.ANDROID_PACKAGE and not app.state_confirmed:
        text += " The phone's own record of it has not confirmed that yet."
    return text


def finding_reason(finding: Finding, day: date, policy: Policy | None = None) -> str:
    """Why the finding has its status on `day`, in a sentence (with `policy`, a violation
    also says since when, or by when, its rule bans the app)."""
    app = finding.app
    matcher = finding.matcher
    status = finding.status
    if status is FindingStatus.RESOLVED:
        return resolved_reason(app)
    if status is FindingStatus.EXCEPTED and finding.exemption is not None:
        e = finding.exemption
        return f"Exempted by {e.id} (approved by {e.approver}) until {e.expires.isoformat()}."
    if status is FindingStatus.REVIEW:
        rule = finding.rule
        if matcher.confidence.enforceable and rule.announced is not None and day < rule.announced:
            return f"Named by rule '{rule.id}' ({rule.title}). {rule_dates_sentence(rule, day)}"
        if finding.rule.review_only:
            why = f" {finding.rule.description}" if finding.rule.description else ""
            return f"For review, not a violation ({finding.rule.title}).{why}"
        if (
            matcher.kind is MatchKind.NAME
            and matcher.publisher
            and not app.publisher
            and matcher.confidence.enforceable
        ):
            return "The name matches, but the app does not say who published it: check it."
        return f"A {matcher.confidence.value}-confidence match: a person should check it."
    text = f"Banned by rule '{finding.rule.id}' ({finding.rule.title})."
    dates = rule_dates_sentence(finding.rule, day, policy)
    if dates:
        text += f" {dates}"
    if app.state in (AppState.HIDDEN, AppState.SUSPENDED):
        text += f" It is {explained(app.state)}. {how_to_remove(app.state)}"
    if finding.exemption is not None:
        e = finding.exemption
        if e.expires < day:
            text += f" Exemption {e.id} expired on {e.expires.isoformat()}."
        else:
            text += f" Exemption {e.id} starts on {e.granted.isoformat()}."
    return text


def matcher_to_dict(matcher: Matcher) -> dict[str, Any]:
    return {
        "kind": matcher.kind.value,
        "pattern": matcher.pattern,
        "id_kind": matcher.id_kind.value if matcher.id_kind else None,
        "publisher": matcher.publisher,
        "confidence": matcher.confidence.value,
        "catalog_entry": matcher.catalog_entry,
        "app": matcher.app,
    }


def exemption_to_dict(exemption: Exemption) -> dict[str, Any]:
    return {
        "id": exemption.id,
        "person": exemption.person,
        "device": exemption.device,
        "policy": exemption.policy,
        "rules": list(exemption.rules),
        "apps": list(exemption.apps),
        "approver": exemption.approver,
        "approver_role": exemption.approver_role,
        "reason": exemption.reason,
        "granted": exemption.granted.isoformat(),
        "expires": exemption.expires.isoformat(),
        "mitigations": list(exemption.mitigations),
    }


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "title": policy.title,
        "authority": policy.authority,
        "instrument": policy.instrument,
        "announced": policy.announced.isoformat() if policy.announced else None,
        "deadline": policy.deadline.isoformat() if policy.deadline else None,
        "sources": list(policy.sources),
        "scope": policy.scope,
        "consequence": policy.consequence,
        "exception_route": policy.exception_route,
        "compliant_states": sorted(s.value for s in policy.compliant_states),
        "sha256": policy.sha256,
        "origin": policy.origin,
        "version": policy.version,
        "last_verified": policy.last_verified.isoformat() if policy.last_verified else None,
        "status": policy.status.value,
        "superseded_by": policy.superseded_by or None,
    }


def finding_to_dict(finding: Finding, assessment: Assessment) -> dict[str, Any]:
    exemption = finding.exemption
    return {
        "status": finding.status.value,
        "app": app_to_dict(finding.app),
        "app_name": finding.app.name or finding.matcher.app or finding.app.identifier,
        "rule": finding.rule.id,
        "rule_title": finding.rule.title,
        "rule_deadline": _iso(assessment.policy.rule_deadline(finding.rule)),
        "rule_days_left": _days_left(assessment.policy.rule_deadline(finding.rule), assessment.day),
        "rule_in_force": assessment.policy.in_force(finding.rule, assessment.day),
        "matched": matcher_to_dict(finding.matcher),
        "reason": finding_reason(finding, assessment.day, assessment.policy),
        "exemption": exemption.id if exemption else None,
        "exemption_active": bool(exemption and exemption.active_on(assessment.day)),
        "running": [
            {"pid": p.pid, "name": p.name, "exe": p.exe, "user": p.user} for p in finding.running
        ],
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _days_left(deadline: date | None, day: date) -> int | None:
    return None if deadline is None else (deadline - day).days


def assessment_to_dict(assessment: Assessment) -> dict[str, Any]:
    """The whole judgement as JSON-able data (dates ISO 8601, enums as their values)."""
    scan = assessment.scan
    counts = {status.value: len(assessment.with_status(status)) for status in FindingStatus}
    return {
        "format": FORMAT,
        "version": VERSION,
        "day": assessment.day.isoformat(),
        "status": assessment.status.value,
        "compliant": assessment.status.compliant,
        "summary": status_text(assessment),
        "deadline": deadline_words(assessment),
        "days_to_deadline": assessment.days_to_deadline,
        "policy": policy_to_dict(assessment.policy),
        "device": device_to_dict(scan.device),
        "scan": {
            "started_at": scan.started_at.isoformat(),
            "finished_at": scan.finished_at.isoformat(),
            "complete": scan.complete,
            "inventory_sha256": inventory_digest(scan),
            "apps": len(scan.apps),
            "gaps": [
                {"name": g.name, "status": g.status.value, "detail": g.detail} for g in scan.gaps
            ],
        },
        "counts": counts,
        "findings": [finding_to_dict(f, assessment) for f in assessment.findings],
        "exemptions": [exemption_to_dict(e) for e in assessment.exemptions],
    }
