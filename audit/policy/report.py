"""An assessment in words and as plain data: what `check` prints, `check --json` writes, and
what reports and attestations reuse, so every output says the same thing the same way."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from audit.i18n import ENGLISH, N_, _, format_date, ngettext, speaking
from audit.inventory import app_to_dict, device_to_dict, inventory_digest
from audit.model import (
    AppState,
    Assessment,
    Confidence,
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
from audit.words import status_label

FORMAT = "device-audit-assessment"
VERSION = 1


class _StatusWords(Mapping[DeviceStatus, str]):
    """`STATUS_WORDS[status]`, kept for the modules that import it: the label of
    audit.words.status_label, looked up when it is read (so in the language in use then)."""

    def __getitem__(self, status: DeviceStatus) -> str:
        return status_label(status)

    def __iter__(self) -> Iterator[DeviceStatus]:
        return iter(DeviceStatus)

    def __len__(self) -> int:
        return len(DeviceStatus)


STATUS_WORDS: Mapping[DeviceStatus, str] = _StatusWords()


def day_words(day: date) -> str:
    """`2025-02-24` -> "24 Feb 2025" ("24 févr. 2025"): one way to write a day in sentences."""
    return format_date(day, short=True)


def deadline_words(assessment: Assessment) -> str:
    """The deadline as it stands on the assessment's day (see deadline_sentence): with rules of
    their own dates, the earliest deadline of a rule the device breaks."""
    return deadline_sentence(assessment.deadline, assessment.day)


def rule_dates_sentence(rule: Rule, day: date, policy: Policy | None = None) -> str:
    """Where one rule stands on `day`: "Banned since 24 Feb 2025." / "Remove it by 31 Mar 2023
    (3 days left)." / "Not banned on this day: banned from 24 Feb 2025." / "" (no dates)."""
    if rule.announced is not None and day < rule.announced:
        return _("Not banned on this day: banned from {day}.").format(day=day_words(rule.announced))
    deadline = policy.rule_deadline(rule) if policy is not None else rule.deadline
    if deadline is None:
        return ""
    days = (deadline - day).days
    if days < 0:
        return _("Banned since {day}.").format(day=day_words(deadline))
    if days == 0:
        return _("Remove it today ({day} is the last day).").format(day=day_words(deadline))
    return ngettext(
        "Remove it by {day} ({count} day left).", "Remove it by {day} ({count} days left).", days
    ).format(day=day_words(deadline), count=days)


def deadline_sentence(deadline: date | None, day: date) -> str:
    """ "Deadline 2023-03-31: 11 days left." / "...: passed 3 days ago." / no deadline: the
    same words in the banner before a check as in reports after one."""
    if deadline is None:
        return _("The policy sets no deadline.")
    days = (deadline - day).days
    when = deadline.isoformat()
    if days > 0:
        return ngettext(
            "Deadline {date}: {count} day left.", "Deadline {date}: {count} days left.", days
        ).format(date=when, count=days)
    if days == 0:
        return _("Deadline {date}: today is the last day.").format(date=when)
    return ngettext(
        "Deadline {date}: passed {count} day ago.",
        "Deadline {date}: passed {count} days ago.",
        -days,
    ).format(date=when, count=-days)


def policy_state_words(policy: Policy) -> str:
    """What a policy's status means for a person: "" while it is active."""
    if policy.status is PolicyStatus.SUPERSEDED:
        return _(
            "Superseded by {policy}, which covers this ban and what was added since: use it for "
            "new audits."
        ).format(policy=policy.superseded_by)
    if policy.status is PolicyStatus.LIFTED:
        return _("Lifted: the ban is no longer in force; kept to read older audits.")
    return ""


def verified_words(policy: Policy) -> str:
    """When a person last checked the policy against its sources, in a sentence."""
    if policy.last_verified is None:
        return _("Not checked against its sources since it was written.")
    return _("Checked against its sources on {day}.").format(day=day_words(policy.last_verified))


def status_text(assessment: Assessment) -> str:
    """One sentence that says where the device stands, for banners and receipts."""
    status = assessment.status
    violations = len(assessment.violations)
    reviews = len(assessment.with_status(FindingStatus.REVIEW))
    excepted = len(assessment.with_status(FindingStatus.EXCEPTED))
    if status is DeviceStatus.INCOMPLETE:
        gaps = ", ".join(g.name for g in assessment.scan.gaps) or _("it names no sources")
        text = _(
            "Incomplete: the scan could not see everything ({gaps}), so it cannot be called "
            "compliant."
        ).format(gaps=gaps)
        if violations:
            # Translators: added after "Incomplete: ... cannot be called compliant."
            text += ngettext(
                " It found {count} banned app even so.",
                " It found {count} banned apps even so.",
                violations,
            ).format(count=violations)
        return text
    if status in (DeviceStatus.NON_COMPLIANT, DeviceStatus.OVERDUE):
        # Translators: {status} is "Not compliant" or "Overdue"
        text = ngettext(
            "{status}: {count} banned app to remove.",
            "{status}: {count} banned apps to remove.",
            violations,
        ).format(status=status_label(status), count=violations)
    elif status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS:
        text = ngettext(
            "Compliant with exceptions: {count} app kept under an exemption.",
            "Compliant with exceptions: {count} apps kept under an exemption.",
            excepted,
        ).format(count=excepted)
    else:
        text = _("Compliant: no banned apps found.")
    if reviews:
        # Translators: added after the sentence that says where the device stands
        text += ngettext(
            " {count} possible match to review.", " {count} possible matches to review.", reviews
        ).format(count=reviews)
    return text


def resolved_reason(app: InstalledApp) -> str:
    """Why an app the rule matched counts as dealt with, saying what stays on the phone."""
    if app.state is AppState.REMOVED_FOR_USER and not app.system:
        text = _(
            "The app was uninstalled for this user with its data kept on the phone (reinstalling "
            "it brings the data back); this policy accepts that."
        )
    elif app.state is AppState.REMOVED_FOR_USER:
        text = _(
            "The app is removed for this user (the copy built into the phone stays, and can be "
            "restored); this policy accepts that."
        )
    else:
        # Translators: {state} is a state's short words: "turned off", "not installed", ...
        text = _("The app is {state}, which this policy accepts.").format(state=_(SHORT[app.state]))
    if app.kind is IdentifierKind.ANDROID_PACKAGE and not app.state_confirmed:
        text += " " + _("The phone's own record of it has not confirmed that yet.")
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
        return _("Exempted by {id} (approved by {approver}) until {day}.").format(
            id=e.id, approver=e.approver, day=e.expires.isoformat()
        )
    if status is FindingStatus.REVIEW:
        rule = finding.rule
        if matcher.confidence.enforceable and rule.announced is not None and day < rule.announced:
            return _("Named by rule '{id}' ({title}). {dates}").format(
                id=rule.id, title=rule.title, dates=rule_dates_sentence(rule, day)
            )
        if finding.rule.review_only:
            text = _("For review, not a violation ({title}).").format(title=finding.rule.title)
            if finding.rule.description:
                text += " " + finding.rule.description
            return text
        if (
            matcher.kind is MatchKind.NAME
            and matcher.publisher
            and not app.publisher
            and matcher.confidence.enforceable
        ):
            return _("The name matches, but the app does not say who published it: check it.")
        return _(_CONFIDENCE[matcher.confidence])
    text = _("Banned by rule '{id}' ({title}).").format(
        id=finding.rule.id, title=finding.rule.title
    )
    dates = rule_dates_sentence(finding.rule, day, policy)
    if dates:
        text += " " + dates
    if app.state in (AppState.HIDDEN, AppState.SUSPENDED):
        # Translators: {state} is a state in words ("hidden (frozen): still on the phone, ..."),
        # {how} the sentences that say how to remove such an app
        text += " " + _("It is {state}. {how}").format(
            state=explained(app.state), how=how_to_remove(app.state)
        )
    if finding.exemption is not None:
        e = finding.exemption
        if e.expires < day:
            text += " " + _("Exemption {id} expired on {day}.").format(
                id=e.id, day=e.expires.isoformat()
            )
        else:
            text += " " + _("Exemption {id} starts on {day}.").format(
                id=e.id, day=e.granted.isoformat()
            )
    return text


# A review match's words, by how sure its matcher is (one sentence each: word order differs).
_CONFIDENCE = {
    Confidence.HIGH: N_("A high-confidence match: a person should check it."),
    Confidence.MEDIUM_HIGH: N_("A medium-high-confidence match: a person should check it."),
    Confidence.MEDIUM: N_("A medium-confidence match: a person should check it."),
    Confidence.LOW_MEDIUM: N_("A low-medium-confidence match: a person should check it."),
    Confidence.LOW: N_("A low-confidence match: a person should check it."),
}


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
    """The whole judgement as JSON-able data (dates ISO 8601, enums as their values). Its
    sentences (summary, deadline, reasons) are English whatever language the person reads:
    --json is for the compliance office's tools, which must get the same text everywhere."""
    with speaking(ENGLISH):
        return _assessment_data(assessment)


def _assessment_data(assessment: Assessment) -> dict[str, Any]:
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
