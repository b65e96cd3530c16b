"""The helpdesk queue's state: which phones are in it, their numbers, and what each needs next.

Split out of the main window. The queue panel (ui.helpdesk.QueuePanel) only shows rows; this
controller works out each phone's facts from the devices, their checks and their removal
windows, reads from the history the phones signed earlier today (so the queue of the day
survives a restart, and checking such a phone again writes no new audit), and takes unplugged
phones off. The window lays the panel out and wires its buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from audit.i18n import _
from audit.model import Assessment, Device, DeviceKind, DeviceState
from ui import errors
from ui.device_list import ScanPhase
from ui.recorder import AuditRecorder
from ui.removals import RemovalsController
from ui.scanning import DevicesController, Session

if TYPE_CHECKING:
    from audit.store import AuditSummary, Store
    from ui.helpdesk import PhoneFacts, QueuePanel


class QueueController(QObject):
    """The phones of the day at the bench (see the module docstring)."""

    changed = Signal()
    """Phones left the queue: the window shows the selected device again."""

    def __init__(
        self,
        devices: DevicesController,
        removals: RemovalsController,
        recorder: AuditRecorder,
        *,
        today: Callable[[], date],
        current: Callable[[], str],
        on: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.devices = devices
        self.removals = removals
        self.recorder = recorder
        self.today = today
        self.current = current
        self.on = on
        self.panel: QueuePanel | None = None  # made when helpdesk mode is first on
        self.numbers: dict[str, int] = {}
        self._facts: dict[str, PhoneFacts] = {}
        # The phones signed earlier today under the policy (from the history), by device id;
        # None while being read.
        self._signed_today: dict[str, AuditSummary] | None = {}
        self._unrecorded: list[tuple[str, Assessment]] = []  # checks waiting for that read
        removals.hold = self.hold
        removals.wizard_opened.connect(self._worked_on_again)
        removals.changed.connect(self.sync)

    def make_panel(self, parent: QWidget, *, after: QWidget, before: QWidget) -> QueuePanel:
        """The queue's panel, its keyboard order between `after` and `before`."""
        from ui.helpdesk import QueuePanel

        panel = self.panel = QueuePanel(parent)
        for first, second in (
            (after, panel.view),
            (panel.view, panel.open_button),
            (panel.open_button, panel.next_button),
            (panel.next_button, panel.clear_button),
            (panel.clear_button, before),
        ):
            QWidget.setTabOrder(first, second)
        panel.clear_requested.connect(self.clear_unplugged)
        return panel

    def hides(self, device_id: str) -> bool:
        """In helpdesk mode only the queue's phones are shown."""
        return self.on and device_id not in self.numbers

    # --- what the queue knows of a phone --------------------------------------------------------

    def phone_facts(self, serial: str) -> PhoneFacts:
        from ui.helpdesk import PhoneFacts

        entry = self.devices.devices.entry(serial)
        session = self.devices.sessions.get(serial) or Session()
        previous = self._facts.get(serial)
        assessment = session.assessment
        wizard = session.wizard
        receipt = session.receipt
        plugged = entry is not None and entry.state is not DeviceState.GONE
        problem = ""
        if entry is not None and entry.phase is ScanPhase.FAILED and session.error is not None:
            message = errors.describe(session.error)
            problem = f"{message.text} {message.next_step}".strip()
        elif entry is not None and entry.phase is ScanPhase.INCOMPLETE:
            problem = _("The check could not see everything: press F5 to check again")
        name = entry.title if entry is not None else (previous.name if previous else serial)
        if entry is not None and entry.simulated:
            name = entry.name
        receipt_kind = ("attestation" if receipt.compliant else "report") if receipt else ""
        person = f"{receipt.attester.name} ({receipt.attester.staff_id})" if receipt else ""
        earlier = None if receipt or wizard else self.signed_earlier(serial, assessment)
        if earlier is not None:
            from ui.helpdesk import signed_words

            receipt_kind, person = signed_words(earlier)
            if entry is None and previous is None:
                name = earlier.device_name or serial
        return PhoneFacts(
            serial=serial,
            name=name,
            simulated=entry.simulated if entry is not None else False,
            plugged=plugged,
            ready=entry is not None and entry.state is DeviceState.READY,
            waiting_words=entry.advice if entry is not None else "",
            scanning=self.devices.ops.is_running(serial),
            phase=entry.phase if entry is not None else ScanPhase.NOT_SCANNED,
            status=assessment.status if assessment is not None else None,
            violations=len(assessment.violations) if assessment is not None else 0,
            policy_chosen=self.devices.policies.policy is not None,
            wizard_open=wizard is not None,
            verified=wizard is not None
            and wizard.session.after is not None
            and wizard.session.can_attest,
            receipt_kind=receipt_kind,
            person=person,
            problem=problem,
            unsigned=self.removals.signature_pending(serial),
        )

    def signed_earlier(self, serial: str, assessment: Assessment | None) -> AuditSummary | None:
        """The phone's audit signed earlier today under the policy (before a restart), unless
        its check since finds banned apps again."""
        if not self._signed_today:
            return None
        audit = self._signed_today.get(Device.android_id(serial))
        if audit is None or (assessment is not None and assessment.violations):
            return None
        return audit

    # --- the day, from the history --------------------------------------------------------------

    def load_signed_today(self) -> None:
        """Read from the history the phones signed earlier today under the policy: the queue
        shows them as done, and checking them again writes no new audit."""
        policy = self.devices.policies.policy
        if not self.on or policy is None:
            self._signed_today = {}
            self._record_waiting()
            return
        self._signed_today = None
        day = self.today()

        def work(store: Store, _progress: object, _cancelled: object) -> dict[str, AuditSummary]:
            from audit.store import HistoryFilter
            from ui.helpdesk import signed_today

            query = HistoryFilter(policy=policy.id, since=day, until=day, limit=None)
            return signed_today(store.history(query))

        def done(signed: dict[str, AuditSummary]) -> None:
            if self.devices.policies.policy is not policy:
                return  # another policy was chosen since: its own read is on its way
            self._signed_today = signed
            for audit in sorted(signed.values(), key=lambda a: a.at):
                serial = audit.device_id.removeprefix("android:")
                if audit.device_id != serial and serial not in self.numbers:
                    self.numbers[serial] = len(self.numbers) + 1
            self._record_waiting()
            self.sync()

        def failed(error: BaseException) -> None:
            self._signed_today = {}
            self._record_waiting()
            self.removals.on_history_failed(error)

        # Only reads: through a team history's read-only connection, never behind a write.
        self.recorder.run(
            "helpdesk:signed-today", work, done, failed, label=_("Reading the day"), read_only=True
        )

    def hold(self, device_id: str, assessment: Assessment) -> bool:
        """Whether a phone's check is not written now: at the bench, while the day is read
        (written once it is), or for a phone signed earlier today and checked again."""
        if not self.on:
            return False
        if self._signed_today is None:  # was it signed earlier today? Asked; wait
            self._unrecorded.append((device_id, assessment))
            return True
        session = self.devices.session(device_id)
        key = (assessment.policy.id, assessment.policy.sha256)
        return key not in session.audits and self.signed_earlier(device_id, assessment) is not None

    def _record_waiting(self) -> None:
        waiting, self._unrecorded = self._unrecorded, []
        for device_id, assessment in waiting:
            session = self.devices.sessions.get(device_id)
            if session is not None and session.assessment is assessment:  # still the latest
                self.removals.record(device_id, assessment)

    @Slot(str)
    def _worked_on_again(self, device_id: str) -> None:
        """Signed earlier today and opened again: worked on afresh."""
        if self._signed_today:
            self._signed_today.pop(device_id, None)

    # --- the rows -------------------------------------------------------------------------------

    @Slot()
    def sync(self, *_args: object) -> None:
        """Bring the queue up to date with the devices, their checks and removal windows."""
        if not self.on or self.panel is None:
            return
        from ui.helpdesk import queue_item

        for entry in self.devices.devices.entries():
            phone = entry.kind in (DeviceKind.ANDROID, DeviceKind.IOS)
            if phone and entry.id not in self.numbers:
                self.numbers[entry.id] = len(self.numbers) + 1
        items = []
        for serial, number in self.numbers.items():
            facts = self.phone_facts(serial)
            self._facts[serial] = facts
            items.append(queue_item(facts, number))
        self.panel.set_items(items)
        if items and self.current() not in self.numbers:
            # The banner, table and details below the queue follow its selected phone: with
            # none selected yet, the first that needs the technician (else the first) is.
            first = next((i for i in items if i.needs_you), items[0])
            self.panel.select(first.serial)

    def clear_unplugged(self) -> None:
        """Take unplugged phones off the queue (and the device list); their audits stay in the
        history. Phones whose removal window is still open stay."""
        for serial in list(self.numbers):
            session = self.devices.sessions.get(serial)
            entry = self.devices.devices.entry(serial)
            if entry is not None and entry.state is not DeviceState.GONE:
                continue
            if session is not None and session.wizard is not None:
                continue
            del self.numbers[serial]
            self._facts.pop(serial, None)
            if entry is not None:
                self.devices.devices.remove(serial)
            self.devices.sessions.pop(serial, None)
        self.sync()
        self.changed.emit()
