"""The wizard's sentences: results, what still blocks an attestation, the report statement.

Pure functions (no Qt), so every sentence a person reads is testable on its own. The core's
messages say "user 10" where a person needs "the work profile"; the sentences here are built from
the step and the scan instead, and keep the core's words only where they are already plain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from audit.attestation import Attester
from audit.i18n import N_, _
from audit.model import (
    ActionKind,
    ActionResult,
    AppState,
    Assessment,
    DeviceKind,
    Finding,
    FindingStatus,
    Policy,
    ScanResult,
)
from audit.policy import finding_reason
from audit.remediation import RemediationSession, Step, describe_device
from audit.remediation.execute import ALREADY_GONE, not_there_words
from audit.remediation.plan import profile_words
from audit.remediation.steps import Operation
from ui.words import exemption_not_active

DEVICE_GONE = "DEVICE_GONE"

# Marked here, translated where shown (issue 17): words in the middle of finding_line's sentence.
STATE_WORDS = {
    AppState.INSTALLED: N_("installed"),
    AppState.DISABLED: N_("disabled"),
    AppState.HIDDEN: N_("hidden (frozen): still on the phone, one tap brings it back"),
    AppState.SUSPENDED: N_("suspended (paused): still on the phone"),
    AppState.REMOVED_FOR_USER: N_("removed for this user (the copy built into the phone stays)"),
    AppState.ABSENT: N_("gone"),
    AppState.OFFLOADED: N_("offloaded (its icon and data stay; one tap brings it back)"),
}


@dataclass(frozen=True)
class ResultText:
    """A step's result as a person reads it."""

    ok: bool
    headline: str
    detail: str = ""
    advice: str = ""
    done: str = ""  # what was done as a sentence of its own, without "Done:" (the receipt's list)


def where(scan: ScanResult, user: str) -> str:
    """Where an app is, in a sentence: "the work profile", "the main profile", "this computer"."""
    if scan.device.kind is DeviceKind.ANDROID:
        return profile_words(scan, user)[2]
    if scan.device.kind is DeviceKind.IOS:
        return _("the iPhone")
    if user == "system":
        return _("everyone on this computer")
    return _("the account {user}").format(user=user) if user else _("this computer")


def finding_words(finding: Finding, day: date) -> str:
    """Why a banned app is banned, without the rule's id (audit.policy.finding_reason says
    "Banned by rule 'bytedance-apps'", which is for the helpdesk); other statuses keep the
    core's sentence, already plain."""
    if finding.status is not FindingStatus.VIOLATION:
        return finding_reason(finding, day)
    text = _("Banned under this policy: {rule}.").format(rule=finding.rule.title or finding.rule.id)
    e = finding.exemption
    if e is not None:
        whose = _("Its exemption ({id})").format(id=e.id)
        text += " " + exemption_not_active(e, day, whose)
    return text


def finding_line(finding: Finding, scan: ScanResult) -> str:
    """An app and where it is: "TikTok, installed in the work profile"."""
    app = finding.app
    state = _(STATE_WORDS[app.state]) if app.state in STATE_WORDS else app.state.value
    place = where(scan, app.user)
    if scan.device.kind is DeviceKind.IOS:
        # Translators: "TikTok, offloaded (...) on the iPhone"
        return _("{app}, {state} on {where}").format(app=app.label, state=state, where=place)
    # Translators: "TikTok, installed in the work profile"
    return _("{app}, {state} in {where}").format(app=app.label, state=state, where=place)


_PHONE_DONE = {
    ActionKind.UNINSTALL: N_("{app} was removed from {where}."),
    ActionKind.UNINSTALL_ALL_USERS: N_("{app} was removed from every user and profile."),
    ActionKind.DISABLE: N_("{app} is now disabled in {where}."),
    ActionKind.ENABLE: N_("{app} is enabled again in {where}."),
    ActionKind.RESTORE: N_("{app} is back in {where}."),
    ActionKind.FORCE_STOP: N_("{app} was stopped in {where}."),
}


def _done(what: str) -> str:
    # Translators: {what} is a whole sentence: "TikTok was removed from the work profile."
    return _("Done: {what}").format(what=what)


def result_text(step: Step, result: ActionResult, scan: ScanResult) -> ResultText:
    """What happened when `step` ran (or was confirmed by hand), and what to do next."""
    app = step.target.app_name
    if step.operation is Operation.IPHONE:
        return iphone_result_text(step, result)
    if step.operation is not Operation.PHONE:
        if result.ok:
            return ResultText(True, _("Done."), result.message)
        return ResultText(False, _("Not done."), result.message, result.advice)
    place = where(scan, step.target.user)
    if result.ok:
        if result.code in ALREADY_GONE:
            return ResultText(True, not_there_words(app, place, result.code))
        what = _(_PHONE_DONE.get(result.kind, N_("Done."))).format(app=app, where=place)
        return ResultText(True, _done(what), done=what)
    if result.code == DEVICE_GONE:
        return ResultText(
            False,
            _("The phone was disconnected before Device Audit could finish."),
            _("It is not known whether {app} was changed: the phone stopped answering.").format(
                app=app
            ),
            _(
                "Check the USB cable, plug the phone in again and unlock it, then press "
                "\u201cTry again\u201d. What is already done is not done twice."
            ),
        )
    if result.code:
        # Translators: {code} is the phone's own answer, such as DELETE_FAILED_USER_RESTRICTED
        headline = _("Not done: {step}. The phone answered {code}.").format(
            step=step.title, code=result.code
        )
    else:
        headline = _("Not done: {step}.").format(step=step.title)
    return ResultText(False, headline, "", result.advice)


def iphone_result_text(step: Step, result: ActionResult) -> ResultText:
    """What the iPhone answered to "delete this app", in words; the check that follows proves
    it (an app the iPhone only offloaded is still there)."""
    app = step.target.app_name
    if result.ok:
        what = _("the iPhone deleted {app}.").format(app=app)
        return ResultText(
            True,
            _done(what),
            "",
            _("Press \u201cCheck again\u201d: the check proves it is gone, not offloaded."),
            done=what,
        )
    if result.code == DEVICE_GONE:
        return ResultText(
            False,
            _("The iPhone was disconnected before Device Audit could finish."),
            _("It is not known whether {app} was deleted: the iPhone stopped answering.").format(
                app=app
            ),
            _(
                "Check the cable, plug the iPhone in again and unlock it, then press "
                "\u201cTry again\u201d."
            ),
        )
    if result.code == "NOT_TRUSTED":
        headline = _("Not done: {step}.").format(step=step.title)
        return ResultText(False, headline, result.message, result.advice)
    return ResultText(
        False,
        _("The iPhone did not delete {app}.").format(app=app),
        result.message,
        _(
            "Delete it on the iPhone yourself with the steps under \u201cDelete "
            "{app} on the iPhone yourself\u201d, then press \u201cCheck again\u201d."
        ).format(app=app),
    )


def blocker_lines(session: RemediationSession) -> tuple[str, ...]:
    """Why the device cannot be attested as compliant now, in plain words; empty when it can.

    The core's `session.blockers()` decides; this only says the same thing for a person.
    """
    raw = session.blockers()
    if not raw:
        return ()
    after = session.after
    if after is None:
        return (
            _(
                "The device has not been checked again since the removal. Go back to "
                "\u201cCheck again\u201d and let Device Audit look at every profile."
            ),
        )
    lines: list[str] = []
    scan = after.scan
    if not scan.complete:
        for gap in scan.gaps:
            if gap.detail:
                text = _(
                    "The last check could not read {name} ({detail}). A check that could not "
                    "see everything cannot prove anything: check again."
                ).format(name=gap.name, detail=gap.detail)
            else:
                text = _(
                    "The last check could not read {name}. A check that could not "
                    "see everything cannot prove anything: check again."
                ).format(name=gap.name)
            lines.append(text)
    if any(a.at is not None and a.at > scan.started_at for a in session.actions):
        lines.append(
            _(
                "Something was changed on the device after the last check started, so that "
                "change is not verified yet. Check again."
            )
        )
    for finding in after.violations:
        line = finding_line(finding, scan)
        lines.append(_("{app}: this app is banned and still there.").format(app=line))
    if not lines:  # a reason the words above do not cover: say it as the core does
        lines = [f"{reason[:1].upper()}{reason[1:]}." for reason in raw]
    return tuple(lines)


def done_lines(session: RemediationSession) -> tuple[str, ...]:
    """What was done and is in the receipt, one sentence each (what failed is in it too, but a
    person looking for proof of the removal needs what worked)."""
    scan = session.before.scan
    done = []
    for attempt in session.attempts:
        if attempt.result.ok:
            words = result_text(attempt.step, attempt.result, scan)
            done.append((words.done or words.headline) if words.detail == "" else words.detail)
    return tuple(done) or (_("Nothing needed to be removed."),)


# The statement a person reads and signs: in their language (the receipt says which).
REPORT_TEMPLATE = N_(
    'I, {who}, report that {device} was checked on {date} against the policy "{policy}" and '
    "is NOT shown to be compliant: {reasons} This report is signed and kept as a record; it is "
    "not an attestation of compliance."
)


def report_statement(
    attester: Attester, assessment: Assessment, day: date, reasons: tuple[str, ...]
) -> str:
    """The statement of a non-compliance report: who reports, about what, and why."""
    who = _("{name} (staff id {staff_id})").format(
        name=attester.name.strip(), staff_id=attester.staff_id.strip()
    )
    if attester.technician.strip():
        # Translators: {person} is "Ana Tui (staff id 4411)"; the report says "I, {this}, report"
        who = _("{technician}, on behalf of {person}").format(
            technician=attester.technician.strip(), person=who
        )
    return _(REPORT_TEMPLATE).format(
        who=who,
        device=describe_device(assessment.scan.device),
        date=day.isoformat(),
        policy=policy_words(assessment.policy),
        reasons=" ".join(reasons) or _("the check could not show it."),
    )


def policy_words(policy: Policy) -> str:
    return f"{policy.title} ({policy.id})" if policy.title else policy.id


def close_words(keep_error: BaseException | None, how_to_reopen: str) -> tuple[str, str]:
    """What closing a removal window before signing asks (the question, the button that
    closes): what was done is kept on this computer, unless `keep_error` said it could not be."""
    if keep_error is None:
        return (
            # Translators: {how} is "select this device again and choose Attest… (Ctrl+Shift+A)"
            _(
                "What was done is kept on this computer. To sign the record later, "
                "{how}: it carries on where you left off, and the receipt "
                "shows what was removed."
            ).format(how=how_to_reopen),
            _("Close, and sign later \u2014 what you did is kept"),
        )
    reason = getattr(keep_error, "strerror", "") or str(keep_error)
    return (
        _(
            "What was done on the device stays done, but it could not be kept on this computer "
            "({reason}), so a receipt made later would not show it. Sign it now if you can."
        ).format(reason=reason),
        _("Close anyway"),
    )
