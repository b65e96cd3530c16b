"""The removal a window carries on: the results done before it, put back into its session.

Closing the wizard, quitting the app or a computer that cannot sign yet (no keyring) must not
lose what was done: the receipt has to show what the device held BEFORE the removal and what was
done to it. The wizard keeps its removal the way `device-audit remove` does, through the
workflow (audit.workflow: `DeviceAudit.resume` continues the pending removal saved for the
device and policy, or sets a damaged or stale one aside at once and says so; `keep_all` saves
every result as it comes; `sign` retires it once a receipt holds it), so `device-audit attest`
signs what a window removed and a window carries on what `remove` did, by one set of rules.

What is left here is the window's own part: matching the results done before it to the steps
of its plans, so each page shows what is done and the receipt lists every one, in order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from audit.errors import AuditError
from audit.model import ActionKind, ActionResult, Assessment, Exemption, IdentifierKind
from audit.remediation import (
    Attempt,
    Operation,
    RemediationSession,
    Step,
    StepKind,
    Target,
    undo_step,
)
from audit.remediation.pending import PendingRemoval
from audit.workflow import DeviceAudit, Notice, Reach

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opened:
    """What a removal window starts from."""

    removal: DeviceAudit  # the device's workflow: keeps, signs and retires the pending removal
    resumed: PendingRemoval | None  # the saved removal carried on, with what was done then
    before: Assessment  # its first scan judged now, or the check the window was opened with
    note: str  # what became of a saved removal that is not carried on ("" when none)


def open_removal(
    reach: Reach, assessment: Assessment, exemptions: Sequence[Exemption], person: str
) -> Opened:
    """The removal's pending record through the workflow, carried on when one is saved for
    this device and policy (DeviceAudit.resume). What the workflow says on opening (a saved
    removal set aside) is the note the first page shows; later words go to the log (the window
    tells of a record that could not be saved when it is closed). The window writes the
    history itself (ui.recorder), so this workflow writes none."""
    heard: list[Notice] = []
    removal = DeviceAudit(
        reach,
        assessment.policy,
        exemptions,
        day=assessment.day,
        person=person,
        say=heard.append,
        history_by_caller=True,
    )
    try:
        resumed = removal.resume(assessment.scan.device)
    except AuditError as error:  # it can be neither read nor moved aside: say so, go on
        log.warning("%s", error.message)
        resumed = None
        heard.append(Notice(f"{error.message} {error.next_step}", warning=True))
    removal.say = log_notice
    if resumed is None:
        return Opened(removal, None, assessment, " ".join(n.text for n in heard))
    # The saved first scan, judged exactly as the rescans will be (the receipt compares them),
    # by the workflow that judges them.
    return Opened(removal, resumed, removal.judge_saved(resumed.first_scan), "")


def log_notice(notice: Notice) -> None:
    """What the removal's workflow says once the window is open goes to the log."""
    words = f"{notice.text} {notice.next_step}".strip()
    if notice.warning:
        log.warning("%s", words)
    else:
        log.info("%s", words)


# --- the results done before this window, in the session ---------------------------------------


def replay(session: RemediationSession, results: Sequence[ActionResult]) -> None:
    """Put results done before this window into the session, against the steps they came from,
    so each page shows what is done and the receipt lists every one, in order."""
    for index, result in enumerate(results):
        session.attempts.append(_attempt(session, result, index))


def _attempt(session: RemediationSession, result: ActionResult, index: int) -> Attempt:
    steps = [s for plan in session.plans for s in plan.all_steps]
    for step in steps:
        if _made_by(step, result):
            return Attempt(step, result)
    for step in steps:
        undo = undo_step(step)
        if undo is not None and _made_by(undo, result):
            return Attempt(undo, result, undoes=step.id)
    return Attempt(_earlier_step(result, index), result)


def _made_by(step: Step, result: ActionResult) -> bool:
    target = step.target
    if (step.action, target.identifier, target.user) != (
        result.kind,
        result.identifier,
        result.user,
    ):
        return False
    # Steps done by hand share their action; the confirmation recorded tells them apart.
    return step.action is not ActionKind.MANUAL or step.confirmation in result.message


def _earlier_step(result: ActionResult, index: int) -> Step:
    """A step of a plan this window does not have (an app found by an earlier rescan): only its
    result matters, for the receipt."""
    manual = result.kind is ActionKind.MANUAL
    iphone = result.device.startswith("ios:")  # audit.sources.ios.scan names iPhones so
    automatic = Operation.IPHONE if iphone else Operation.PHONE
    return Step(
        id=f"earlier/{index}/{result.kind.value}/{result.user}/{result.identifier}",
        kind=StepKind.MANUAL if manual else StepKind.AUTOMATIC,
        action=result.kind,
        operation=Operation.BY_HAND if manual else automatic,
        target=Target(
            device_id=result.device,
            device_name="",
            identifier=result.identifier,
            id_kind=IdentifierKind.IOS_BUNDLE if iphone else IdentifierKind.ANDROID_PACKAGE,
            user=result.user,
            user_label=result.user,
            app_name=result.identifier,
        ),
        title=result.message,
        confirmation="",
    )
