"""Recording a removal and its receipt in the history, across separate `remove` and `attest` runs.

One removal is one audit in the history, however many runs it takes: the pending record
(pending.py) carries the audit's id from `remove` to `attest`. The id is only trusted when that
audit is in this history file, of this device and policy version, and not yet signed for;
otherwise (another --db, a history moved aside, a policy changed) a new audit is started with
everything the pending record holds, so the history never misses the first scan or an action.

The simulated demo phone is never recorded (`recorded`): its removal still walks `remove`, the
pending record and `attest`, but the history, its dashboard and exports hold real devices only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from audit.attestation import Attester, Envelope
from audit.errors import StoreError
from audit.model import ActionResult, Assessment, Device
from audit.store import DEMO_NOT_RECORDED, Store

__all__ = [
    "DEMO_NOT_RECORDED",
    "open_audit",
    "record_receipt",
    "record_removal_scan",
    "recorded",
    "same_file",
]


def recorded(device: Device) -> bool:
    """Whether audits of this device go into the history: never the demo phone's."""
    return not device.simulated


def same_file(store: Store, history_file: str) -> bool:
    """Whether `history_file` (as a pending record keeps it) is the store's file."""
    return not history_file or Path(history_file).resolve() == store.path.resolve()


def open_audit(
    store: Store, audit_id: int | None, before: Assessment, history_file: str = ""
) -> int | None:
    """`audit_id` when it can take more of this removal, else None. Audit ids are per history
    file: one kept from another file (`history_file`) is not looked up."""
    if audit_id is None or not same_file(store, history_file):
        return None
    try:
        summary = store.audit(audit_id)
    except StoreError:
        return None  # not in this history file
    policy = before.policy
    if (
        summary.device_id != before.scan.device.id
        or (summary.policy_id, summary.policy_sha256) != (policy.id, policy.sha256)
        or summary.attested
    ):
        return None
    return audit_id


def record_removal_scan(
    store: Store,
    scan: Assessment,
    *,
    audit_id: int | None,
    history_file: str = "",
    first: Assessment | None = None,
    earlier_actions: Sequence[ActionResult] = (),
    staff_id: str = "",
) -> int:
    """Record the scan a `remove` run starts from; returns the audit it belongs to.

    `first` and `earlier_actions` are what an earlier run saved (its first scan, judged again,
    and its actions): recorded too when a new audit has to be started, so it is whole.
    """
    current = open_audit(store, audit_id, scan, history_file)
    if current is not None:
        store.record_assessment(current, scan)
        return current
    assessments = [scan] if first is None else [first, scan]
    return store.record_audit(assessments, earlier_actions, staff_id=staff_id)


def record_receipt(
    store: Store,
    envelope: Envelope,
    *,
    audit_id: int | None,
    history_file: str = "",
    before: Assessment,
    after: Assessment,
    actions: Sequence[ActionResult],
    attester: Attester,
    file_name: str = "",
) -> int:
    """Record who attested, the rescan and the signed receipt; returns the audit's id.

    With the audit of the removal (`audit_id`), the removal's scans and actions are there
    already; without it, the whole audit is recorded at once: `before` (when it is another
    scan than `after`), the actions, `after` and the receipt.
    """
    current = open_audit(store, audit_id, before, history_file)
    if current is not None:
        store.set_person(
            current,
            person_name=attester.name,
            staff_id=attester.staff_id,
            technician=attester.technician,
        )
        store.record_assessment(current, after)
        store.record_receipt(current, envelope, file_name=file_name)
        return current
    assessments = [after] if before is after else [before, after]
    return store.record_audit(
        assessments,
        actions,
        person_name=attester.name,
        staff_id=attester.staff_id,
        technician=attester.technician,
        envelope=envelope,
        file_name=file_name,
    )
