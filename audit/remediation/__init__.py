"""Removal plans, their execution on a device, and verification by rescan.

The flow the GUI wizard and the CLI share (session.py):

    session = RemediationSession.start(assessment, exemptions=exemptions, person=staff_id)
    for plan in session.plans:               # one per violation: steps, alternatives, note
        step = ...                           # show step.title and step.confirmation
        session.run(step, executor, confirmed=True)    # or session.confirm_manual(step, who)
    session.record_rescan(scan_phone(serial), details=lambda names: details_for(serial, names))
                                             # a fresh scan of every user, flagged apps' state
    session.verification                     # per finding: resolved / still there / appeared
    session.attest(attester, statement_for(attester, device, policy, day), signer)
"""

from audit.remediation.execute import (
    AndroidExecutor,
    Executor,
    LocalExecutor,
    confirm_manual,
    executor_for,
    step_result,
)
from audit.remediation.plan import (
    accepted_note,
    android_plan,
    build_plans,
    plan_for,
    restore_step,
    undo_step,
    unique_steps,
)
from audit.remediation.session import Attempt, PlanState, RemediationSession, StepState
from audit.remediation.statement_text import (
    SELF_TEMPLATE,
    TECHNICIAN_TEMPLATE,
    describe_device,
    statement_for,
    statement_text,
)
from audit.remediation.steps import Operation, RemovalPlan, Rights, Step, StepKind, Target
from audit.remediation.verify import FindingCheck, Outcome, Verification, appeared_message, verify

__all__ = [
    "SELF_TEMPLATE",
    "TECHNICIAN_TEMPLATE",
    "AndroidExecutor",
    "Attempt",
    "Executor",
    "FindingCheck",
    "LocalExecutor",
    "Operation",
    "Outcome",
    "PlanState",
    "RemediationSession",
    "RemovalPlan",
    "Rights",
    "Step",
    "StepKind",
    "StepState",
    "Target",
    "Verification",
    "accepted_note",
    "android_plan",
    "appeared_message",
    "build_plans",
    "confirm_manual",
    "describe_device",
    "executor_for",
    "plan_for",
    "restore_step",
    "statement_for",
    "statement_text",
    "step_result",
    "undo_step",
    "unique_steps",
    "verify",
]
