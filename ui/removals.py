"""The removal windows of the main window's devices, their records, and the signatures pending.

Split out of the main window. `RemovalsController` opens one removal window (ui.wizard) per
device, writes the device's checks and what its removal window did to the history
(ui.recorder), and says whether a device still waits for its signature (a removal kept on this
computer, pending removal of audit.remediation.pending). It tells the window what changed with
signals; it lays nothing out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from audit.i18n import _
from audit.model import Assessment, DeviceKind, DeviceState
from ui import settings
from ui.availability import ActionFacts, attest_availability
from ui.recorder import AuditHandle, AuditRecorder
from ui.scanning import DevicesController, Session

if TYPE_CHECKING:
    from ui.wizard import RemovalWizard
    from ui.wizard.files import SavedReceipt


def hold_nothing(_device_id: str, _assessment: Assessment) -> bool:
    return False


class RemovalsController(QObject):
    """Removal windows, the history of each device's audit, and the signatures still due."""

    changed = Signal()
    """A removal window opened, changed or closed: the queue shows it."""
    closed = Signal(str)
    """device id: its removal window closed: the window shows the device again."""
    wizard_opened = Signal(str)
    """device id: a removal window opened for it (the device is worked on afresh)."""
    message = Signal(str, int)
    failed = Signal(object)
    """A history write failed (shown once in a dialog, then in the status bar)."""

    def __init__(
        self,
        window: QWidget,
        devices: DevicesController,
        recorder: AuditRecorder,
        *,
        helpdesk: Callable[[], bool],
        receipts_dir: Path | None,
        queue_action: QAction,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.devices = devices
        self.recorder = recorder
        self.helpdesk = helpdesk
        self.receipts_dir = receipts_dir
        self.queue_action = queue_action
        self.hold: Callable[[str, Assessment], bool] = hold_nothing
        """Whether a check is not to be written now (the helpdesk's day is still being read,
        or the phone was signed for earlier today): set by the helpdesk queue."""
        self._problem_shown = False
        recorder.failed.connect(self.on_history_failed)
        recorder.not_recorded.connect(lambda words: self.message.emit(words, 10000))
        # a receipt the history holds back (an exemption it has not accepted): said, with what
        # to do, as long as a history problem is
        recorder.held.connect(
            lambda notice: self.message.emit(f"{notice.text} {notice.next_step}".strip(), 30000)
        )

    # --- the history ----------------------------------------------------------------------------

    @Slot(str, object)
    def record(self, device_id: str, assessment: Assessment) -> AuditHandle | None:
        """Write a judged scan to the device's audit under its policy, or begin one (a first
        scan under that policy, or after a signed receipt closed the last)."""
        session = self.devices.session(device_id)
        if session.wizard is not None:
            return None  # its removal window writes the audit it is working on
        if assessment.scan.device.kind is DeviceKind.ANDROID and self.hold(device_id, assessment):
            return None
        return self._audit_for(session, assessment)

    def _audit_for(self, session: Session, assessment: Assessment) -> AuditHandle:
        key = (assessment.policy.id, assessment.policy.sha256)
        handle = session.audits.get(key)
        if handle is None or handle.closed or handle.device_id != assessment.scan.device.id:
            handle = self.recorder.begin(assessment, staff_id=self.devices.person)
            session.audits[key] = handle
        else:
            self.recorder.add_assessment(handle, assessment)
        session.audit = handle
        return handle

    @Slot(object)
    def on_history_failed(self, error: BaseException) -> None:
        from ui import errors

        message = errors.describe(error)
        problem = f"{message.text} {message.next_step}"
        self.message.emit(
            _("The audit could not be saved in the history: {problem}").format(problem=problem),
            30000,
        )
        if not self._problem_shown:  # once: the status bar tells of later ones
            self._problem_shown = True
            self.failed.emit(error)

    def facts(self, device_id: str) -> ActionFacts:
        """What decides whether Remove… and Attest… may be used on a device."""
        entry = self.devices.devices.entry(device_id)
        session = self.devices.session(device_id)
        assessment = session.assessment
        return ActionFacts(
            is_phone=entry is not None and entry.kind is DeviceKind.ANDROID,
            state=entry.state if entry is not None else DeviceState.GONE,
            policy_chosen=self.devices.policies.policy is not None,
            scanning=self.devices.ops.is_running(device_id),
            scanned=assessment is not None,
            complete=session.scan is not None and session.scan.complete,
            status=assessment.status if assessment is not None else None,
            violations=len(assessment.violations) if assessment is not None else 0,
            wizard_open=session.wizard is not None,
            unsigned=self.signature_pending(device_id),
        )

    # --- the signature still to make ------------------------------------------------------------

    def signature_pending(self, device_id: str) -> bool:
        """Apps were removed from the device under the chosen policy and the record is not
        signed yet: its removal window was closed first (the removal is kept on this computer,
        and Attest… carries it on)."""
        session = self.devices.sessions.get(device_id)
        policy = self.devices.policies.policy
        if session is None or session.scan is None or policy is None:
            return False
        if session.wizard is not None:
            return False
        from audit.remediation.pending import pending_path

        return pending_path(session.scan.device.id, policy.id).is_file()

    @Slot(str)
    def mark_unsigned(self, device_id: str) -> None:
        """Show on the device's row whether a signature is still to be made."""
        if self.devices.devices.entry(device_id) is not None:
            self.devices.devices.update(device_id, unsigned=self.signature_pending(device_id))

    # --- the removal window ---------------------------------------------------------------------

    def open_wizard(self, device_id: str) -> RemovalWizard | None:
        """Open the removal and attestation window for a device (or show the one open)."""
        session = self.devices.session(device_id)
        if session.wizard is not None:
            session.wizard.show()
            session.wizard.raise_()
            session.wizard.activateWindow()
            return session.wizard
        availability = attest_availability(self.facts(device_id))
        assessment = session.assessment
        if not availability.enabled or assessment is None:
            self.message.emit(availability.why, 10000)
            return None
        from ui.wizard import open_removal_wizard

        self.wizard_opened.emit(assessment.scan.device.id)
        handle = self._audit_for(session, assessment)
        session.recorded_actions = 0
        session.receipt = None
        wizard = open_removal_wizard(
            self.window,
            assessment=assessment,
            exemptions=self.devices.policies.exemptions,
            person=self.devices.person,
            operations=self.devices.ops,
            helpdesk=self.helpdesk(),
            on_finished=lambda path: self._finished(device_id, wizard, handle, path),
            adb_port=self.devices.sources.adb_port,
            rescan=self.devices.rescanner(device_id, assessment.policy),
            receipts_dir=self.receipts_dir,
            cascade=len(self.open_wizards()),
        )
        session.wizard = wizard
        wizard.addAction(self.queue_action)  # F6 from the removal window: to the queue
        self.mark_unsigned(device_id)
        if self.helpdesk():
            wizard.currentIdChanged.connect(lambda _page: self._prefill_technician(wizard))
        wizard.rescanned.connect(lambda after: self._rescanned(device_id, wizard, handle, after))
        wizard.receipt_saved.connect(lambda saved: self._signed(device_id, wizard, handle, saved))
        wizard.changed.connect(self.changed)
        self.changed.emit()
        return wizard

    def open_wizards(self) -> dict[str, RemovalWizard]:
        return {d: s.wizard for d, s in self.devices.sessions.items() if s.wizard is not None}

    def _record_actions(self, device_id: str, wizard: RemovalWizard, handle: AuditHandle) -> None:
        """Write the window's actions not written yet."""
        session = self.devices.session(device_id)
        actions = wizard.session.actions
        self.recorder.add_actions(handle, actions[session.recorded_actions :])
        session.recorded_actions = len(actions)

    def _rescanned(
        self, device_id: str, wizard: RemovalWizard, handle: AuditHandle, after: Assessment
    ) -> None:
        if self.devices.session(device_id).wizard is not wizard:
            return
        self._record_actions(device_id, wizard, handle)
        self.recorder.add_assessment(handle, after)
        self.devices.show_rescan(device_id, after)

    def _signed(
        self, device_id: str, wizard: RemovalWizard, handle: AuditHandle, saved: SavedReceipt
    ) -> None:
        session = self.devices.session(device_id)
        if session.wizard is not wizard or session.receipt is not None:
            return
        verified = saved.verified
        attester = verified.attester
        self._record_actions(device_id, wizard, handle)
        self.recorder.add_receipt(
            handle,
            Path(saved.path),
            person_name=attester.name,
            staff_id=attester.staff_id,
            technician=attester.technician,
        )
        session.receipt = verified
        if self.helpdesk() and attester.technician:
            settings.set_technician(attester.technician)
        self.changed.emit()

    def _finished(
        self, device_id: str, wizard: RemovalWizard, handle: AuditHandle, path: str | None
    ) -> None:
        session = self.devices.sessions.get(device_id)
        if session is None or session.wizard is not wizard:
            return
        if wizard.saved is not None:
            self._signed(device_id, wizard, handle, wizard.saved)
        self._record_actions(device_id, wizard, handle)
        session.wizard = None
        if path:
            self.message.emit(_("Receipt saved: {path}").format(path=path), 15000)
        self.mark_unsigned(device_id)
        self.changed.emit()
        self.closed.emit(device_id)

    def _prefill_technician(self, wizard: RemovalWizard) -> None:
        """At the bench the same technician signs phone after phone: when the signing page
        comes, offer the name signed with last."""
        from ui.wizard import Pages

        if wizard.currentId() != Pages.ATTEST:
            return
        name = settings.technician()
        field = getattr(wizard.currentPage(), "technician", None)
        if name and field is not None and not field.text():
            field.setText(name)
