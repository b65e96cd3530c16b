"""The wizard's removal, kept on this computer until a receipt is signed.

Closing the wizard, quitting the app or a computer that cannot sign yet (no keyring) must not
lose what was done: the receipt has to show what the device held BEFORE the removal and what was
done to it. So the wizard keeps its removal the way `device-audit remove` does, as a pending
removal per device and policy (audit.remediation.pending): the first scan, and every result,
saved after each one. A wizard opened later on the same device and policy continues it (its
first scan is the receipt's "before", its results are the receipt's actions), and so can
`device-audit attest`. The record is discarded once a receipt holds it.

Qt-free. The wizard calls `keep` and `discard` from its one background job at a time, never
two at once, so the record needs no lock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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
from audit.remediation import pending as pending_file
from audit.remediation.pending import PendingFileError, PendingRemoval
from audit.workflow import DeviceAudit, saved_scan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opened:
    """What the wizard starts from."""

    before: Assessment  # the saved first scan judged now, or the assessment it was given
    kept: KeptRemoval
    note: str = ""  # what became of a saved removal that cannot be continued ("" when none)

    @property
    def resumed(self) -> PendingRemoval | None:
        """The saved removal continued, with the results done before this window."""
        return self.kept.record if self.kept.resumed else None


class KeptRemoval:
    """One device's removal under one policy, as saved on this computer."""

    def __init__(
        self, path: Path, record: PendingRemoval | None = None, *, replace_old: bool = False
    ) -> None:
        self.path = path
        self.record = record
        self.resumed = record is not None
        self.replace_old = replace_old  # a saved record not continued: set it aside first

    @property
    def results(self) -> tuple[ActionResult, ...]:
        return () if self.record is None else self.record.actions

    def keep(self, results: Sequence[ActionResult], first: Assessment, *, person: str) -> None:
        """Add results to the record and save it (OSError when it cannot be written: the
        results stay in memory and are saved with the next ones)."""
        if not results:
            return
        if self.record is None:
            self._set_old_aside()
            self.record = PendingRemoval.start(
                first.scan, first.policy, person=person, day=first.day
            )
        self.record = self.record.with_actions(results)
        pending_file.save(self.record, self.path)

    def _set_old_aside(self) -> None:
        if not self.replace_old:
            return
        self.replace_old = False
        try:
            aside = pending_file.set_aside(self.path, "replaced")
        except FileNotFoundError:
            return
        except OSError as error:  # then it is overwritten: say so in the log
            log.warning("the old saved removal %s could not be set aside: %s", self.path, error)
            return
        log.info("the old saved removal was set aside as %s", aside)

    def discard(self) -> None:
        """The receipt holds it now (OSError when the file cannot be removed)."""
        if self.record is not None or self.path.exists():
            pending_file.discard(self.path)
        self.record = None
        self.resumed = False


def open_kept(assessment: Assessment, *, exemptions: Sequence[Exemption], person: str) -> Opened:
    """Continue the removal saved for this device and policy, when there is one that may be
    continued; otherwise start from `assessment`. A damaged record is set aside (never
    deleted); one that is too old or made under another version of the policy is set aside
    when this window first saves."""
    device, policy = assessment.scan.device, assessment.policy
    path = pending_file.pending_path(device.id, policy.id)
    try:
        record = pending_file.load(path)
    except PendingFileError as error:
        return Opened(assessment, KeptRemoval(path), _set_aside_damaged(path, error))
    if record is None:
        return Opened(assessment, KeptRemoval(path))
    reason = record.stale_reason(policy)
    if reason:
        note = (
            f"A removal saved earlier for this device is not continued: {reason}. It is kept "
            "aside, and this removal starts from the latest check."
        )
        return Opened(assessment, KeptRemoval(path, replace_old=True), note)
    # The saved first scan, judged exactly as the rescans will be (the receipt compares them),
    # by the workflow that judges them.
    audit = DeviceAudit(
        saved_scan(record.first_scan), policy, exemptions, day=assessment.day, person=person
    )
    before = audit.judge_saved(record.first_scan)
    return Opened(before, KeptRemoval(path, record))


def _set_aside_damaged(path: Path, error: PendingFileError) -> str:
    try:
        aside = pending_file.set_aside(path)
    except OSError as problem:
        log.warning("a damaged saved removal %s could not be set aside: %s", path, problem)
        return (
            f"A removal saved earlier for this device cannot be read ({error.problem}), nor "
            f"moved aside ({problem}); it will be replaced."
        )
    log.warning("a damaged saved removal was set aside as %s: %s", aside, error.message)
    return (
        f"A removal saved earlier for this device cannot be read ({error.problem}). It was set "
        f"aside as {aside.name}, and nothing in it is deleted; this removal starts from the "
        "latest check."
    )


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
    return Step(
        id=f"earlier/{index}/{result.kind.value}/{result.user}/{result.identifier}",
        kind=StepKind.MANUAL if manual else StepKind.AUTOMATIC,
        action=result.kind,
        operation=Operation.BY_HAND if manual else Operation.PHONE,
        target=Target(
            device_id=result.device,
            device_name="",
            identifier=result.identifier,
            id_kind=IdentifierKind.ANDROID_PACKAGE,
            user=result.user,
            user_label=result.user,
            app_name=result.identifier,
        ),
        title=result.message,
        confirmation="",
    )
