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

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_names

if TYPE_CHECKING:  # for type checkers and readers; at run time each name loads on first use
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
    from audit.remediation.verify import (
        FindingCheck,
        Outcome,
        Verification,
        appeared_message,
        verify,
    )

# These two share their module's name: importing the module (as session.py does) would set
# the package's attribute to the module, so they are bound here, before any such import.
from audit.remediation.statement_text import statement_text
from audit.remediation.verify import verify

_WHERE = {
    "AndroidExecutor": "audit.remediation.execute",
    "Attempt": "audit.remediation.session",
    "Executor": "audit.remediation.execute",
    "FindingCheck": "audit.remediation.verify",
    "LocalExecutor": "audit.remediation.execute",
    "Operation": "audit.remediation.steps",
    "Outcome": "audit.remediation.verify",
    "PlanState": "audit.remediation.session",
    "RemediationSession": "audit.remediation.session",
    "RemovalPlan": "audit.remediation.steps",
    "Rights": "audit.remediation.steps",
    "SELF_TEMPLATE": "audit.remediation.statement_text",
    "Step": "audit.remediation.steps",
    "StepKind": "audit.remediation.steps",
    "StepState": "audit.remediation.session",
    "TECHNICIAN_TEMPLATE": "audit.remediation.statement_text",
    "Target": "audit.remediation.steps",
    "Verification": "audit.remediation.verify",
    "accepted_note": "audit.remediation.plan",
    "android_plan": "audit.remediation.plan",
    "appeared_message": "audit.remediation.verify",
    "build_plans": "audit.remediation.plan",
    "confirm_manual": "audit.remediation.execute",
    "describe_device": "audit.remediation.statement_text",
    "executor_for": "audit.remediation.execute",
    "plan_for": "audit.remediation.plan",
    "restore_step": "audit.remediation.plan",
    "statement_for": "audit.remediation.statement_text",
    "step_result": "audit.remediation.execute",
    "undo_step": "audit.remediation.plan",
    "unique_steps": "audit.remediation.plan",
}
"""Each public name's module: importing the package loads none of them (issue 15: `remove
--help` and `attest --help` need none, and some pull in cryptography and keyring)."""


__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals())


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
