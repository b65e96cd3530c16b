"""How the removal window reaches its device: checks it again, and records what a step did.

Split out of ui/wizard/wizard.py. The window's own checks go through the workflow
(audit.workflow): the main window hands in its check (`Rescan`, which reads the details of
what the policy flags itself), else `default_reach` gives the workflow's way to the device.
A step's result comes back from a worker thread and is replayed into the session on the GUI
thread (`Replay`).
"""

from __future__ import annotations

from collections.abc import Callable

from audit.errors import ActionFailed
from audit.i18n import _
from audit.model import ActionResult, Assessment, DeviceKind, ScanResult
from audit.progress import CancelCheck, Progress
from audit.remediation import Step
from audit.workflow import DeviceAudit, Reach, iphone, phone, this_computer

Rescan = Callable[[Progress, CancelCheck], ScanResult]


class Replay:
    """An executor that returns a result already obtained on a worker thread, so the session
    records it on the GUI thread (the session is never touched from two threads)."""

    def __init__(self, step_id: str, result: ActionResult) -> None:
        self.step_id = step_id
        self.result = result

    def run(self, step: Step) -> ActionResult:
        if step.id != self.step_id:
            raise ActionFailed(_("'{step}' was not the step that ran.").format(step=step.title))
        return self.result


def default_reach(assessment: Assessment, adb_port: int | None) -> Reach:
    """How the workflow reaches the device again without the window: a phone over adb (its
    flagged apps asked about once more: the package lists show an app hidden in a profile
    exactly as one removed for it), else this computer."""
    device = assessment.scan.device
    if device.kind is DeviceKind.ANDROID:
        return phone(device.address or device.serial, adb_port)
    if device.kind is DeviceKind.IOS:  # over usbmuxd; the demo iPhone answers at its address
        return iphone(device.address or device.serial)
    return this_computer()


def default_rescan(assessment: Assessment, adb_port: int | None) -> Rescan:
    """Scan the device again as the workflow checks it (see `default_reach`)."""
    reach = default_reach(assessment, adb_port)

    def rescan(progress: Progress, cancelled: CancelCheck) -> ScanResult:
        audit = DeviceAudit(reach, assessment.policy, day=assessment.day)
        return audit.check(progress, cancelled).scan

    return rescan
