"""The devices the window knows and their checks: phones coming and going, scans, judgements.

Split out of the main window: one `Session` per device holds what the window shows of it, and
`DevicesController` keeps the device list and the sessions up to date through the one
background helper (ui.ops), then tells the window with signals. It does not show anything:
`changed` asks the window to show the selected device again, `message` is for the status bar,
and `judged` hands every judged check to whoever records it (ui.removals).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from audit.errors import AuditError, DeviceError
from audit.i18n import _
from audit.model import Assessment, DeviceKind, DeviceState, Policy, ScanResult
from audit.progress import CancelCheck, Progress
from ui import errors
from ui.apps_model import AppRow
from ui.device_list import DeviceEntry, DeviceListModel, PhoneEvent, ScanPhase, kind_of
from ui.ops import Operations
from ui.policies import PolicyController
from ui.sources import Sources

if TYPE_CHECKING:
    from audit.attestation import VerifiedAttestation
    from audit.workflow import DeviceAudit, Reach
    from ui.recorder import AuditHandle
    from ui.wizard import RemovalWizard

log = logging.getLogger(__name__)

Check = Callable[[Progress, CancelCheck], "ScanOutcome"]
_PHONES = (DeviceKind.ANDROID, DeviceKind.IOS)


@dataclass
class Session:
    """What the window knows about one device."""

    scan: ScanResult | None = None
    assessment: Assessment | None = None
    error: BaseException | None = None
    rows: list[AppRow] | None = None
    audit: AuditHandle | None = None  # the audit its latest check was written to
    audits: dict[tuple[str, str], AuditHandle] = field(default_factory=dict)  # by policy
    wizard: RemovalWizard | None = None  # its open removal window
    recorded_actions: int = 0  # how many of the open window's actions are in the history
    receipt: VerifiedAttestation | None = None  # signed in its last removal window


@dataclass(frozen=True)
class ScanOutcome:
    scan: ScanResult
    assessment: Assessment | None
    policy: Policy | None


class DevicesController(QObject):
    """The device list, one Session per device, and the checks that fill them."""

    changed = Signal()
    """Something the window shows changed: show the selected device again."""
    scanned = Signal(str)
    """A device's check came back (its device row is up to date)."""
    judged = Signal(str, object)
    """device id, Assessment: a check judged under the policy in force, to be recorded."""
    message = Signal(str, int)
    """Words for the status bar, and for how many milliseconds."""
    failed = Signal(object)
    """An error to show in a dialog."""

    def __init__(
        self,
        sources: Sources,
        operations: Operations,
        devices: DeviceListModel,
        policies: PolicyController,
        *,
        today: Callable[[], date],
        person: str,
        auto_scan_phones: bool,
        helpdesk: Callable[[], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.sources = sources
        self.ops = operations
        self.devices = devices
        self.policies = policies
        self.today = today
        self.person = person
        self.auto_scan_phones = auto_scan_phones
        self.helpdesk = helpdesk
        self.sessions: dict[str, Session] = {}

    def session(self, device_id: str) -> Session:
        return self.sessions.setdefault(device_id, Session())

    def forget(self, device_id: str) -> None:
        """Take a device off the list (its audits stay in the history)."""
        self.ops.cancel(device_id)
        if self.devices.entry(device_id) is not None:
            self.devices.remove(device_id)
        self.sessions.pop(device_id, None)

    def add_demo(self) -> str:
        """Switch the demo phone on (ui.demo) and check it like a phone plugged in; returns
        its id ("" without phone support)."""
        if self.sources.scan_phone is None:
            return ""
        from ui import demo

        serial = demo.switch_on()
        iphone = demo.switch_on_iphone()
        self.devices.upsert(demo.entry())
        self.devices.upsert(demo.iphone_entry())
        self.policies.choose_for_demo()
        self.on_phone_event(PhoneEvent(serial, DeviceState.READY))
        self.on_phone_event(PhoneEvent(iphone, DeviceState.READY))
        return serial

    def remove_demo(self, serial: str) -> None:
        """Switch the demo phones off (the demo iPhone goes with the demo phone)."""
        from audit.demo import DEMO_IPHONE_ADDRESS
        from ui import demo

        demo.switch_off()
        self.forget(serial)
        if self.devices.entry(DEMO_IPHONE_ADDRESS) is not None:
            self.forget(DEMO_IPHONE_ADDRESS)
        self.changed.emit()

    # --- phones coming and going ---------------------------------------------------------------

    @Slot(object)
    def on_phone_event(self, event: PhoneEvent) -> None:
        entry = self.devices.entry(event.serial)
        if event.state is DeviceState.GONE:
            if entry is None:
                return
            session = self.session(event.serial)
            if (
                session.scan is None
                and session.error is None
                and not self.ops.is_running(event.serial)
            ):
                self.devices.remove(event.serial)  # nothing to show about it: let it go
                self.sessions.pop(event.serial, None)
                self.changed.emit()
                return
            # A running scan reports the loss itself, as an error or an incomplete scan.
        if entry is None:
            kind = kind_of(event.serial)
            serial = event.serial.removeprefix("ios:")
            if kind is DeviceKind.IOS:
                named = _("iPhone {serial}").format(serial=serial)
            else:
                named = _("Android phone {serial}").format(serial=serial)
            entry = DeviceEntry(
                id=event.serial,
                name=named,
                kind=kind,
                manufacturer=event.manufacturer,
            )
            self.session(event.serial)
        name = " ".join(event.name.split())
        came_back = entry.state is not DeviceState.READY and event.state is DeviceState.READY
        entry = replace(
            entry,
            state=event.state,
            guidance=event.guidance,
            manufacturer=event.manufacturer or entry.manufacturer,
            name=entry.name
            if entry.simulated or not name or self.session(event.serial).scan
            else name,
        )
        self.devices.upsert(entry)
        session = self.session(event.serial)
        if (
            event.state is DeviceState.READY
            and self.auto_scan_phones
            and not self.ops.is_running(event.serial)
            and (
                session.scan is None
                # At the bench a phone plugged in again is checked again, unless its removal
                # window is open (it checks itself) or it is finished.
                or (
                    self.helpdesk() and came_back and session.wizard is None and not session.receipt
                )
            )
        ):
            self.scan(event.serial)
        self.changed.emit()

    # --- checking ------------------------------------------------------------------------------

    def scan(self, device_id: str) -> None:
        entry = self.devices.entry(device_id)
        if entry is None:
            return
        if entry.state is not DeviceState.READY:
            self.message.emit(entry.advice, 10000)
            return
        work = self.checker(entry, self.policies.policy)
        if work is None:
            self.message.emit(_("This device cannot be checked here."), 5000)
            return
        self.session(device_id).error = None
        self.devices.update(device_id, phase=ScanPhase.SCANNING, progress="")
        self.ops.start(
            device_id,
            work,
            lambda outcome: self._scan_done(device_id, outcome),
            lambda error: self._scan_failed(device_id, error),
            on_cancelled=lambda: self._scan_cancelled(device_id),
            label=_("Checking {device}").format(device=entry.title),
        )
        self.changed.emit()

    def _scanner(self, entry: DeviceEntry) -> Callable[[Progress, CancelCheck], ScanResult] | None:
        if entry.kind is DeviceKind.COMPUTER:
            return self.sources.scan_local
        scan_phone = self.sources.scan_phone
        if scan_phone is None:
            return None
        serial = entry.id
        return lambda progress, cancelled: scan_phone(serial, progress, cancelled)

    def _scan_asking(
        self, entry: DeviceEntry
    ) -> Callable[[Progress, CancelCheck, Collection[str]], ScanResult] | None:
        """An Android phone's scan that reads the policy's packages in its own round trip."""
        scan = self.sources.scan_android_asking
        if entry.kind is not DeviceKind.ANDROID or scan is None:
            return None
        serial = entry.id
        return lambda progress, cancelled, packages: scan(serial, progress, cancelled, packages)

    def _details(self, entry: DeviceEntry) -> Callable[[Collection[str]], Mapping[str, Any]] | None:
        """How to read the details (version, install dates) of some of a phone's apps."""
        fetch = self.sources.phone_details
        if entry.kind is not DeviceKind.ANDROID or fetch is None:
            return None
        serial = entry.id
        return lambda packages: fetch(serial, packages)

    def checker(self, entry: DeviceEntry, policy: Policy | None) -> Check | None:
        """The whole check of a device, off the GUI thread: the scan, then (with a policy) the
        workflow's judgement with the details of the flagged apps (audit.workflow)."""
        scanner = self._scanner(entry)
        if scanner is None:
            return None
        if policy is None:
            return lambda progress, cancelled: ScanOutcome(scanner(progress, cancelled), None, None)
        from audit.workflow import Reach

        audit = self.audit(
            Reach(scanner, self._details(entry), scan_asking=self._scan_asking(entry)), policy
        )

        def check(progress: Progress, cancelled: CancelCheck) -> ScanOutcome:
            assessment = audit.check(progress, cancelled)
            return ScanOutcome(assessment.scan, assessment, policy)

        return check

    def audit(self, reach: Reach, policy: Policy) -> DeviceAudit:
        """The device's audit under `policy`, with the window's exemptions, day and person as
        they are now: the workflow judges, the window shows."""
        from audit.workflow import DeviceAudit

        exemptions, day = self.policies.exemptions, self.today()
        return DeviceAudit(reach, policy, exemptions, day=day, person=self.person)

    def rescanner(
        self, device_id: str, policy: Policy | None
    ) -> Callable[[Progress, CancelCheck], ScanResult] | None:
        """The removal window's check again: a scan with the details of what `policy` flags
        (the removal window judges it through the workflow)."""
        entry = self.devices.entry(device_id)
        check = self.checker(entry, policy) if entry is not None else None
        if check is None:
            return None
        return lambda progress, cancelled: check(progress, cancelled).scan

    def _scan_done(self, device_id: str, outcome: ScanOutcome) -> None:
        session = self.session(device_id)
        session.scan = outcome.scan
        session.assessment = outcome.assessment
        session.error = None
        session.rows = None
        complete = outcome.scan.complete
        device = outcome.scan.device
        changes: dict[str, Any] = {
            "phase": ScanPhase.SCANNED if complete else ScanPhase.INCOMPLETE,
            "status": outcome.assessment.status if outcome.assessment else None,
            "progress": "",
        }
        entry = self.devices.entry(device_id)
        if entry is not None and device.kind in _PHONES and device.name:
            demo = _("Demo iPhone") if device.kind is DeviceKind.IOS else _("Demo phone")
            changes["name"] = demo if entry.simulated else device.name
            changes["manufacturer"] = device.manufacturer or entry.manufacturer
            changes["simulated"] = entry.simulated or device.simulated
        self.devices.update(device_id, **changes)
        self.scanned.emit(device_id)
        if outcome.assessment is not None:
            self.judged.emit(device_id, outcome.assessment)
        if outcome.policy is not self.policies.policy:
            self.reassess(device_id)
        if not complete:
            gaps = ", ".join(g.name for g in outcome.scan.gaps)
            name = entry.title if entry else device.name
            self.message.emit(
                _(
                    "The check of {device} is incomplete: {parts} could not be read. Scan again "
                    "to finish it."
                ).format(device=name, parts=gaps),
                15000,
            )
        self.changed.emit()

    def _scan_failed(self, device_id: str, error: BaseException) -> None:
        if not isinstance(error, AuditError):
            self.failed.emit(error)
        else:
            log.info("scan of %s failed: %s", device_id, error.message)
        session = self.session(device_id)
        session.error = error
        entry = self.devices.update(device_id, phase=ScanPhase.FAILED, progress="")
        message = errors.describe(error)
        name = entry.title if entry else device_id
        said = _("{device}: {problem}").format(
            device=name, problem=f"{message.text} {message.next_step}"
        )
        self.message.emit(said, 20000)
        if isinstance(error, DeviceError) and entry is not None and entry.state is DeviceState.GONE:
            self.devices.update(device_id, phase=ScanPhase.FAILED)
        self.changed.emit()

    def _scan_cancelled(self, device_id: str) -> None:
        session = self.session(device_id)
        phase = ScanPhase.NOT_SCANNED
        if session.scan is not None:
            phase = ScanPhase.SCANNED if session.scan.complete else ScanPhase.INCOMPLETE
        self.devices.update(device_id, phase=phase, progress="")
        self.message.emit(_("Check stopped."), 5000)
        self.changed.emit()

    def reassess(self, device_id: str) -> None:
        """Judge the device's latest scan again under the policy and exemptions in force."""
        session = self.sessions.get(device_id)
        if session is None or session.scan is None:
            return
        scan, policy = session.scan, self.policies.policy
        if policy is None:
            session.assessment = None
            session.rows = None
            self.devices.update(device_id, status=None)
            return
        entry = self.devices.entry(device_id)
        # A phone still plugged in is asked about the apps this policy newly flags.
        ready = entry is not None and entry.state is DeviceState.READY
        details = self._details(entry) if entry is not None and ready else None
        from audit.workflow import saved_scan

        audit = self.audit(saved_scan(scan), policy)

        def work(progress: Progress, cancelled: CancelCheck) -> Assessment:
            return audit.judge(scan, details=details, progress=progress, cancelled=cancelled)

        def done(assessment: Assessment) -> None:
            if session.scan is not scan:
                return  # a newer scan arrived and was judged with its own policy
            session.scan = assessment.scan  # with the details of what it flags
            session.assessment = assessment
            session.rows = None
            self.devices.update(device_id, status=assessment.status)
            self.judged.emit(device_id, assessment)
            self.changed.emit()

        self.ops.start(f"assess:{device_id}", work, done, self.failed.emit)

    def export(self, scan: ScanResult, path: Path) -> None:
        """Save a scan as a JSON inventory file, off the GUI thread."""

        def work(_progress: Progress, _cancelled: CancelCheck) -> Path:
            from audit import inventory

            inventory.save(scan, path)
            return path

        self.ops.start(
            "export",
            work,
            lambda saved: self.message.emit(
                _("Inventory saved to {path}").format(path=saved), 10000
            ),
            self.failed.emit,
        )

    def show_rescan(self, device_id: str, after: Assessment) -> None:
        """A removal window checked its device again: show that check (judged again when the
        policy in force is another)."""
        session = self.session(device_id)
        policy = self.policies.policy
        session.scan = after.scan
        session.rows = None
        session.error = None
        same_policy = policy is not None and (policy.id, policy.sha256) == (
            after.policy.id,
            after.policy.sha256,
        )
        session.assessment = after if same_policy else None
        self.devices.update(
            device_id,
            phase=ScanPhase.SCANNED if after.scan.complete else ScanPhase.INCOMPLETE,
            status=after.status if same_policy else None,
        )
        if not same_policy:
            self.reassess(device_id)
        self.changed.emit()
