"""One removal flow from first scan to receipt, shared by the GUI wizard and the CLI.

The session holds the first assessment, the plans, every action result so far, and the latest
rescan with its verification. It never talks to a device itself: steps run through an executor
the caller gives, and rescans are scans the caller made. That keeps it usable from a background
thread and easy to resume: when a phone is unplugged mid-removal, the step that was running
records a failure; after the phone is plugged in again, `next_step()` offers that step again,
and steps already done are never redone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from audit.assess import DetailsFetch, judge_with_details
from audit.attestation import (
    Attester,
    Envelope,
    SigningKey,
    UsbDebugging,
    attest,
    attestation_blockers,
    report_noncompliance,
)
from audit.errors import ActionFailed, AttestationRefused, Cancelled
from audit.i18n import _
from audit.model import ActionResult, Assessment, Device, Exemption, ScanResult
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress
from audit.remediation.execute import Executor, confirm_manual
from audit.remediation.plan import build_plans, plan_for, undo_step, unique_steps
from audit.remediation.steps import RemovalPlan, Rights, Step
from audit.remediation.verify import Verification, verify


class StepState(StrEnum):
    PENDING = "pending"  # not tried yet
    DONE = "done"  # done (by Device Audit, or confirmed by the person)
    FAILED = "failed"  # the last try failed: it can be tried again
    NOT_NEEDED = "not_needed"  # the rescan shows the finding settled, or another way was taken


class PlanState(StrEnum):
    PENDING = "pending"  # nothing done yet
    IN_PROGRESS = "in_progress"  # some steps done
    FAILED = "failed"  # a step failed and no other way was taken
    DONE = "done"  # every step done (or another way done): waiting for the rescan
    VERIFIED = "verified"  # the rescan shows the finding settled
    STILL_THERE = "still_there"  # every step done, yet the rescan still shows it


@dataclass(frozen=True)
class Attempt:
    """One try of one step."""

    step: Step
    result: ActionResult
    undoes: str = ""  # the id of the step this attempt undid (a restore, an enable)


class RemediationSession:
    """The state of one device's removal flow (see the module docstring)."""

    def __init__(
        self,
        before: Assessment,
        plans: Sequence[RemovalPlan],
        *,
        exemptions: Sequence[Exemption] = (),
        person: str = "",
        all_users: bool = False,
        rights: Rights | None = None,
    ) -> None:
        self.before = before
        self.plans = tuple(plans)
        self.exemptions = tuple(exemptions)
        self.person = person
        self.attempts: list[Attempt] = []
        self.after: Assessment | None = None
        self.verification: Verification | None = None
        self.usb_debugging: UsbDebugging | None = None
        self.all_users = all_users
        self.rights = rights

    @classmethod
    def start(
        cls,
        before: Assessment,
        *,
        exemptions: Sequence[Exemption] = (),
        person: str = "",
        all_users: bool = False,
        rights: Rights | None = None,
    ) -> RemediationSession:
        """A session with a plan for every violation of `before`. `exemptions` and `person` are
        those `before` was evaluated with: rescans are judged the same way."""
        plans = build_plans(before, all_users=all_users, rights=rights)
        return cls(
            before, plans, exemptions=exemptions, person=person, all_users=all_users, rights=rights
        )

    # --- what there is to do --------------------------------------------------------------

    @property
    def device(self) -> Device:
        return self.before.scan.device

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step of every plan once, in order (alternatives not included)."""
        return unique_steps(self.plans)

    def _find(self, step_id: str) -> Step:
        for plan in self.plans:
            for step in plan.all_steps:
                if step.id == step_id:
                    return step
        raise ActionFailed(
            _("There is no step '{step}' in this removal plan.").format(step=step_id)
        )

    def results(self, step: Step | str) -> tuple[ActionResult, ...]:
        """Every result of the step, failures and undone ones included."""
        step_id = step if isinstance(step, str) else step.id
        return tuple(a.result for a in self.attempts if a.step.id == step_id)

    def _current(self, step: Step) -> tuple[ActionResult, ...]:
        """The step's results since it was last undone: a restored app can be removed again."""
        start = 0
        for index, attempt in enumerate(self.attempts):
            if attempt.undoes == step.id and attempt.result.ok:
                start = index + 1
        return tuple(a.result for a in self.attempts[start:] if a.step.id == step.id)

    def step_state(self, step: Step | str) -> StepState:
        step = self._find(step) if isinstance(step, str) else step
        results = self._current(step)
        if any(r.ok for r in results):
            return StepState.DONE
        for plan in self.plans_of(step):
            if self._verified(plan):
                return StepState.NOT_NEEDED
            if step in plan.alternatives:
                if all(any(r.ok for r in self._current(s)) for s in plan.steps):
                    return StepState.NOT_NEEDED
            elif self._other_way_done(plan):
                return StepState.NOT_NEEDED
        if results:
            return StepState.FAILED
        return StepState.PENDING

    def plans_of(self, step: Step) -> tuple[RemovalPlan, ...]:
        return tuple(p for p in self.plans if any(s.id == step.id for s in p.all_steps))

    def _other_way_done(self, plan: RemovalPlan) -> bool:
        return any(any(r.ok for r in self._current(alt)) for alt in plan.alternatives)

    def _verified(self, plan: RemovalPlan) -> bool:
        """Settled by a rescan made after everything done for this plan (an undo included)."""
        return (
            self.verification is not None
            and self.verification.settles(plan.finding)
            and self._rescanned_since(plan)
        )

    def plan_state(self, plan: RemovalPlan) -> PlanState:
        if self._verified(plan):
            return PlanState.VERIFIED
        states = [self.step_state(s) for s in plan.steps]
        if self._other_way_done(plan) or all(s is StepState.DONE for s in states):
            complete = self.verification is not None and self.verification.complete
            if complete and self._rescanned_since(plan):
                return PlanState.STILL_THERE
            return PlanState.DONE
        if StepState.FAILED in states:
            return PlanState.FAILED
        if StepState.DONE in states:
            return PlanState.IN_PROGRESS
        return PlanState.PENDING

    def _rescanned_since(self, plan: RemovalPlan) -> bool:
        """Whether the latest rescan started after the plan's last action (so it shows it)."""
        if self.verification is None:
            return False
        ids = {s.id for s in plan.all_steps}
        times = [
            a.result.at
            for a in self.attempts
            if (a.step.id in ids or a.undoes in ids) and a.result.at
        ]
        started = self.verification.after.scan.started_at
        return all(t <= started for t in times)

    def next_step(self, *, automatic_only: bool = False) -> Step | None:
        """The first step still to do (pending, or failed and worth another try)."""
        for step in self.pending_steps():
            if step.automatic or not automatic_only:
                return step
        return None

    def pending_steps(self) -> tuple[Step, ...]:
        return tuple(
            s for s in self.steps if self.step_state(s) in (StepState.PENDING, StepState.FAILED)
        )

    @property
    def manual_steps_left(self) -> tuple[Step, ...]:
        return tuple(s for s in self.pending_steps() if not s.automatic)

    def progress(self) -> tuple[int, int]:
        """(steps finished, steps in all) for a progress bar."""
        steps = self.steps
        done = sum(self.step_state(s) in (StepState.DONE, StepState.NOT_NEEDED) for s in steps)
        return done, len(steps)

    # --- doing it --------------------------------------------------------------------------

    def run(self, step: Step | str, executor: Executor, *, confirmed: bool) -> ActionResult:
        """Run one AUTOMATIC step the person confirmed. A step already done is not run again:
        its successful result is returned."""
        step = self._find(step) if isinstance(step, str) else step
        if not confirmed:
            raise _unconfirmed(step)
        done = [r for r in self._current(step) if r.ok]
        if done:
            return done[-1]
        result = executor.run(step)
        self.attempts.append(Attempt(step, result))
        return result

    def confirm_manual(self, step: Step | str, person: str, note: str = "") -> ActionResult:
        """The person clicked "I've done this" on a manual step."""
        step = self._find(step) if isinstance(step, str) else step
        done = [r for r in self._current(step) if r.ok]
        if done:
            return done[-1]
        result = confirm_manual(step, person, note)
        self.attempts.append(Attempt(step, result))
        return result

    def undo(self, step: Step | str, executor: Executor, *, confirmed: bool) -> ActionResult:
        """Undo a done, restorable phone step (restore a built-in app removed by mistake, or
        enable a disabled one). Once undone, the step can be done again."""
        step = self._find(step) if isinstance(step, str) else step
        undo = undo_step(step)
        if undo is None:
            raise ActionFailed(_("'{step}' cannot be undone from here.").format(step=step.title))
        if not confirmed:
            raise _unconfirmed(undo)
        result = executor.run(undo)
        self.attempts.append(Attempt(undo, result, undoes=step.id))
        return result

    def run_automatic(
        self,
        executor: Executor,
        *,
        confirm: Callable[[Step], bool],
        progress: Progress = no_progress,
        cancelled: CancelCheck = never_cancelled,
        report: Callable[[Step, ActionResult], None] | None = None,
        stop_on_device_gone: bool = True,
    ) -> list[ActionResult]:
        """Run every pending AUTOMATIC step that `confirm(step)` accepts, in order (the CLI's
        loop; the wizard runs steps one page at a time), telling `report` each result as it
        comes. Stops at a phone that went away: the rest would fail the same way."""
        results: list[ActionResult] = []
        todo = [s for s in self.pending_steps() if s.automatic]
        for index, step in enumerate(todo):
            if cancelled():
                raise Cancelled()
            if self.step_state(step) not in (StepState.PENDING, StepState.FAILED):
                continue  # settled by an earlier step (an all-users removal, an alternative)
            progress(index / max(len(todo), 1), step.title)
            if not confirm(step):
                continue
            result = self.run(step, executor, confirmed=True)
            results.append(result)
            if report is not None:
                report(step, result)
            if stop_on_device_gone and result.code == "DEVICE_GONE":
                break
        progress(1.0, _("Done"))
        return results

    # --- proof -----------------------------------------------------------------------------

    @property
    def actions(self) -> tuple[ActionResult, ...]:
        """Every result so far, failures included, in order: what the attestation records."""
        return tuple(a.result for a in self.attempts)

    def record_rescan(
        self, scan: ScanResult, *, day: date | None = None, details: DetailsFetch | None = None
    ) -> Verification:
        """Judge a fresh scan of the device as the first one was judged, and verify. A flagged
        phone app's state is read with `details` (audit.assess); without it, one the package
        lists alone would call compliant leaves the rescan incomplete."""
        after = judge_with_details(
            scan,
            self.before.policy,
            self.exemptions,
            day=day or self.before.day,
            person=self.person,
            details=details,
        )
        return self.record_assessment(after)

    def record_assessment(self, after: Assessment) -> Verification:
        self.after = after
        self.verification = verify(self.before, after)
        return self.verification

    def plan_new_findings(self) -> tuple[RemovalPlan, ...]:
        """Plans for violations the latest rescan shows that no plan covers yet (an app an OEM
        build put on another user after a removal); they are added to the session's plans."""
        if self.after is None:
            return ()
        covered = {
            (p.finding.app.kind, p.finding.app.identifier, p.finding.app.user) for p in self.plans
        }
        new = tuple(
            plan_for(f, self.after, all_users=self.all_users, rights=self.rights)
            for f in self.after.violations
            if (f.app.kind, f.app.identifier, f.app.user) not in covered
        )
        self.plans = (*self.plans, *new)
        return new

    def record_usb_debugging(self, state: UsbDebugging | str) -> None:
        self.usb_debugging = UsbDebugging(state)

    def blockers(self) -> tuple[str, ...]:
        """Why a compliance attestation cannot be made now; empty when it can."""
        if self.after is None:
            return (_("the device has not been scanned again since the removal"),)
        return attestation_blockers(self.before, self.after, self.actions)

    @property
    def can_attest(self) -> bool:
        return not self.blockers()

    def attest(
        self,
        attester: Attester,
        statement_text: str,
        signer: SigningKey,
        *,
        now: datetime | None = None,
    ) -> Envelope:
        """Sign the attestation (AttestationRefused while blockers remain)."""
        if self.after is None:
            raise AttestationRefused(
                _(
                    "The device cannot be attested yet: it has not been scanned again since the "
                    "removal."
                ),
                _("Scan it again (every user) first."),
            )
        return attest(
            before=self.before,
            after=self.after,
            actions=self.actions,
            attester=attester,
            statement_text=statement_text,
            signer=signer,
            usb_debugging=self.usb_debugging,
            now=now,
        )

    def report_noncompliance(
        self,
        attester: Attester,
        signer: SigningKey,
        *,
        statement_text: str = "",
        now: datetime | None = None,
    ) -> Envelope:
        after = self.after or self.before
        return report_noncompliance(
            before=self.before,
            after=after,
            actions=self.actions,
            attester=attester,
            signer=signer,
            statement_text=statement_text,
            usb_debugging=self.usb_debugging,
            now=now,
        )


def _unconfirmed(step: Step) -> ActionFailed:
    return ActionFailed(
        _("'{step}' needs the person's confirmation first.").format(step=step.title),
        _("Show the confirmation text and ask."),
    )
