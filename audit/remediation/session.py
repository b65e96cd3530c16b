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
from audit.model import ActionResult, Assessment, Device, Exemption, ScanResult
from audit.policy import evaluate
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress
from audit.remediation.execute import Executor, confirm_manual
from audit.remediation.plan import build_plans, unique_steps
from audit.remediation.steps import RemovalPlan, Rights, Step
from audit.remediation.verify import Outcome, Verification, verify


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


class RemediationSession:
    """The state of one device's removal flow (see the module docstring)."""

    def __init__(
        self,
        before: Assessment,
        plans: Sequence[RemovalPlan],
        *,
        exemptions: Sequence[Exemption] = (),
        person: str = "",
    ) -> None:
        self.before = before
        self.plans = tuple(plans)
        self.exemptions = tuple(exemptions)
        self.person = person
        self.attempts: list[Attempt] = []
        self.after: Assessment | None = None
        self.verification: Verification | None = None
        self.usb_debugging: UsbDebugging | None = None

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
        return cls(before, plans, exemptions=exemptions, person=person)

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
        raise ActionFailed(f"There is no step '{step_id}' in this removal plan.")

    def results(self, step: Step | str) -> tuple[ActionResult, ...]:
        step_id = step if isinstance(step, str) else step.id
        return tuple(a.result for a in self.attempts if a.step.id == step_id)

    def step_state(self, step: Step | str) -> StepState:
        step = self._find(step) if isinstance(step, str) else step
        results = self.results(step)
        if any(r.ok for r in results):
            return StepState.DONE
        for plan in self.plans_of(step):
            if self._verified(plan):
                return StepState.NOT_NEEDED
            if step in plan.alternatives:
                if all(any(r.ok for r in self.results(s)) for s in plan.steps):
                    return StepState.NOT_NEEDED
            elif self._other_way_done(plan):
                return StepState.NOT_NEEDED
        if results:
            return StepState.FAILED
        return StepState.PENDING

    def plans_of(self, step: Step) -> tuple[RemovalPlan, ...]:
        return tuple(p for p in self.plans if any(s.id == step.id for s in p.all_steps))

    def _other_way_done(self, plan: RemovalPlan) -> bool:
        return any(any(r.ok for r in self.results(alt)) for alt in plan.alternatives)

    def _verified(self, plan: RemovalPlan) -> bool:
        if self.verification is None:
            return False
        check = self.verification.check_for(plan.key)
        return check is not None and check.settled

    def plan_state(self, plan: RemovalPlan) -> PlanState:
        if self._verified(plan):
            return PlanState.VERIFIED
        states = [self.step_state(s) for s in plan.steps]
        if self._other_way_done(plan) or all(s is StepState.DONE for s in states):
            check = self.verification.check_for(plan.key) if self.verification else None
            still = check is not None and check.outcome is Outcome.STILL_THERE
            if still and self._rescanned_since(plan):
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
        times = [a.result.at for a in self.attempts if a.step.id in ids and a.result.at]
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
            raise ActionFailed(
                f"'{step.title}' needs the person's confirmation first.",
                "Show the confirmation text and ask.",
            )
        done = [r for r in self.results(step) if r.ok]
        if done:
            return done[-1]
        result = executor.run(step)
        self.attempts.append(Attempt(step, result))
        return result

    def confirm_manual(self, step: Step | str, person: str, note: str = "") -> ActionResult:
        """The person clicked "I've done this" on a manual step."""
        step = self._find(step) if isinstance(step, str) else step
        done = [r for r in self.results(step) if r.ok]
        if done:
            return done[-1]
        result = confirm_manual(step, person, note)
        self.attempts.append(Attempt(step, result))
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
        progress(1.0, "Done")
        return results

    # --- proof -----------------------------------------------------------------------------

    @property
    def actions(self) -> tuple[ActionResult, ...]:
        """Every result so far, failures included, in order: what the attestation records."""
        return tuple(a.result for a in self.attempts)

    def record_rescan(self, scan: ScanResult, *, day: date | None = None) -> Verification:
        """Judge a fresh scan of the device as the first one was judged, and verify."""
        after = evaluate(
            scan,
            self.before.policy,
            self.exemptions,
            day=day or self.before.day,
            person=self.person,
        )
        return self.record_assessment(after)

    def record_assessment(self, after: Assessment) -> Verification:
        self.after = after
        self.verification = verify(self.before, after)
        return self.verification

    def record_usb_debugging(self, state: UsbDebugging | str) -> None:
        self.usb_debugging = UsbDebugging(state)

    def blockers(self) -> tuple[str, ...]:
        """Why a compliance attestation cannot be made now; empty when it can."""
        if self.after is None:
            return ("the device has not been scanned again since the removal",)
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
                "The device cannot be attested yet: it has not been scanned again since the "
                "removal.",
                "Scan it again (every user) first.",
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
