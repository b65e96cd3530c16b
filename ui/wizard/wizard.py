"""The removal and attestation wizard: review → remove (a page per banned app) → check again →
exemptions → switch USB debugging off (phones) → attest → receipt.

The wizard owns one RemediationSession and touches it only on the GUI thread: phone actions,
rescans and signing run through the app's one background helper (ui.ops.Operations) and come
back as plain results, which the wizard then records in the session. A step whose phone went
away fails with advice; the person plugs it in again and presses "Try again", and steps already
done are never done twice (the session remembers them).

The USB-debugging page comes before the signature so that the signed record says whether
USB debugging was switched off again (UsbDebugging in the statement).

Nothing done is lost before it is signed: every result is saved as the device's pending removal
by the workflow (audit.workflow, `removal` below: the rules `device-audit remove` and `attest`
follow), and a wizard opened later on the same device and policy carries on from it
(ui.wizard.kept), so a window closed before signing, a restart, or a computer that could not
sign yet (no keyring) still ends in a receipt that shows what was removed. The workflow signs
the receipt and retires the saved removal; the window writes the history itself, in order
(ui.recorder), so the workflow's `removal` writes none of it. Whether this computer can sign
is checked when the wizard opens, so the person knows before removing anything; "Try again"
makes keyring read its settings again.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget, QWizard

from audit.attestation import UsbDebugging
from audit.errors import AuditError, KeyringUnavailable
from audit.i18n import _
from audit.model import (
    ActionKind,
    ActionResult,
    Assessment,
    Device,
    DeviceKind,
    Exemption,
)
from audit.progress import CancelCheck, Progress
from audit.remediation import (
    Attempt,
    Executor,
    RemediationSession,
    Rights,
    Step,
    StepState,
    executor_for,
    undo_step,
)
from audit.workflow import DeviceAudit, Reach
from ui.availability import ATTEST_SHORTCUT
from ui.ops import Operations
from ui.windows import fit_to_screen
from ui.wizard.device_access import Replay, Rescan, default_reach, default_rescan
from ui.wizard.files import (
    SavedReceipt,
    SignRequest,
    default_receipts_dir,
    sign_and_save,
    with_pdf,
)
from ui.wizard.ids import Pages
from ui.wizard.kept import open_removal, replay
from ui.wizard.keyring_notice import look_for_keyring
from ui.wizard.pages_attest import AttestPage, ReceiptPage, UsbPage
from ui.wizard.pages_check import ExemptionsPage, VerifyPage
from ui.wizard.pages_remove import RemovePage, ReviewPage
from ui.wizard.texts import close_words
from ui.wizard.widgets import confirm, shown

log = logging.getLogger(__name__)


__all__ = ["RemovalWizard", "Rescan", "default_rescan"]

_KEYS = itertools.count(1)


class RemovalWizard(QWizard):
    """See the module docstring. Made by `open_removal_wizard` (ui.wizard)."""

    changed = Signal()
    """The session changed (a step ran, a rescan came back...): pages refresh."""
    busy_changed = Signal(bool)
    progressed = Signal(float, str)
    rescanned = Signal(object)
    """A fresh Assessment of the device (after a rescan or a change of exemptions)."""
    receipt_saved = Signal(object)
    """The SavedReceipt, once the signed receipt and its PDF are written."""
    acted = Signal()
    """A step was done, undone or confirmed (and saved): the check page checks again."""
    keyring_changed = Signal()
    """The keyring was checked: `keyring_problem` says whether this computer can sign."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        assessment: Assessment,
        operations: Operations,
        exemptions: Sequence[Exemption] = (),
        person: str = "",
        helpdesk: bool = False,
        adb_port: int | None = None,
        executor: Executor | None = None,
        rescan: Rescan | None = None,
        receipts_dir: Path | None = None,
        rights: Rights | None = None,
    ) -> None:
        super().__init__(parent)
        self.ops = operations
        self.helpdesk = helpdesk
        self.adb_port = adb_port
        self.rights = rights
        self.loaded_exemptions = tuple(exemptions)
        self.receipts_dir = receipts_dir or default_receipts_dir()
        self._executor = executor
        # How the device is checked again: the window's own check (it reads the details of
        # what the policy flags itself), else the workflow's way to the device.
        self.reach = Reach(rescan) if rescan is not None else default_reach(assessment, adb_port)
        self.device_now = assessment.scan.device  # how to reach it now (the address may change)
        opened = open_removal(self.reach, assessment, self.loaded_exemptions, person)
        self.removal, self.resumed, self.kept_note = opened.removal, opened.resumed, opened.note
        before = opened.before
        self.keep_error: BaseException | None = None
        earlier = self.resumed.actions if self.resumed is not None else ()
        everyone = any(r.kind is ActionKind.UNINSTALL_ALL_USERS for r in earlier)
        self.session = self._new_session(before, person=person, all_users=everyone)
        replay(self.session, earlier)
        self.resumed_actions = len(earlier)  # the first session.actions, kept from before
        self.usb_result: ActionResult | None = None  # switching USB debugging off from here
        self.usb_error: BaseException | None = None
        self.keyring_problem: BaseException | None = None
        self.keyring_checking = False
        self.keyring_checked_at: datetime | None = None
        self.key = f"wizard:{assessment.scan.device.id}#{next(_KEYS)}"
        self.busy_with = ""  # what runs now: a step id, "rescan", "exemptions", "sign"...
        self.busy_text = ""
        self.step_errors: dict[str, BaseException] = {}
        self.rescan_error: BaseException | None = None
        self.saved: SavedReceipt | None = None
        self.request_path: Path | None = None
        self._remove_ids: list[int] = []

        self._set_up_window(assessment.scan.device)
        self.setPage(Pages.REVIEW, ReviewPage(self))
        self.setPage(Pages.VERIFY, VerifyPage(self))
        self.setPage(Pages.EXEMPTIONS, ExemptionsPage(self))
        self.setPage(Pages.USB_DEBUGGING, UsbPage(self))
        self.setPage(Pages.ATTEST, AttestPage(self))
        self.setPage(Pages.RECEIPT, ReceiptPage(self))
        self.build_remove_pages()
        self.setStartId(Pages.REVIEW)
        self.ops.progress.connect(self._on_progress)
        self.currentIdChanged.connect(self._on_page)
        self.check_keyring()

    def _set_up_window(self, device: Device) -> None:
        self.setObjectName("removalWizard")
        title = _("Remove banned apps \u2014 {device}").format(device=device.name or device.id)
        self.setWindowTitle(shown(title))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setTitleFormat(self.titleFormat().PlainText)
        self.setSubTitleFormat(self.subTitleFormat().PlainText)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.HaveFinishButtonOnEarlyPages, False)
        self.setButtonText(QWizard.WizardButton.CancelButton, _("Close"))
        self.setMinimumSize(720, 600)
        fit_to_screen(self, 820, 720)  # its pages scroll on a smaller screen

    # --- the session ------------------------------------------------------------------------

    def _new_session(
        self, assessment: Assessment, *, person: str, all_users: bool
    ) -> RemediationSession:
        session = RemediationSession.start(
            assessment,
            exemptions=self.loaded_exemptions,
            person=person,
            all_users=all_users,
            rights=self.rights,
        )
        if assessment.scan.device.kind is not DeviceKind.ANDROID:
            session.record_usb_debugging(UsbDebugging.NOT_APPLICABLE)
        return session

    @property
    def is_phone(self) -> bool:
        return self.session.device.kind is DeviceKind.ANDROID

    def set_all_users(self, on: bool) -> bool:
        """Plan user-installed phone apps for every user at once (before anything is done)."""
        if self.session.attempts or on == self.session.all_users:
            return False
        self.session = self._new_session(
            self.session.before, person=self.session.person, all_users=on
        )
        self.build_remove_pages()
        self.changed.emit()
        return True

    def build_remove_pages(self) -> None:
        """One page per plan of the first scan; plans for apps found later are handled on the
        check page."""
        for page_id in self._remove_ids:
            page = self.page(page_id)
            self.removePage(page_id)
            if page is not None:
                page.deleteLater()
        self._remove_ids = []
        self.first_plans = self.session.plans
        for index in range(len(self.first_plans)):
            page_id = Pages.REMOVE + index
            self.setPage(page_id, RemovePage(self, index))
            self._remove_ids.append(page_id)

    @property
    def remove_ids(self) -> tuple[int, ...]:
        return tuple(self._remove_ids)

    def executor(self) -> Executor:
        if self._executor is None:
            self._executor = executor_for(self.device_now, adb_port=self.adb_port)
        return self._executor

    @property
    def device(self) -> Device:
        return self.session.device

    def last_attempt(self, step: Step) -> Attempt | None:
        """The latest try of `step` or of undoing it."""
        for attempt in reversed(self.session.attempts):
            if step.id in (attempt.step.id, attempt.undoes):
                return attempt
        return None

    # --- background work ----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return bool(self.busy_with)

    def _run(
        self,
        what: str,
        text: str,
        work: Callable[[Progress, CancelCheck], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
    ) -> bool:
        if self.busy:
            return False
        self.busy_with, self.busy_text = what, text
        self._busy(True)

        def finish() -> None:
            self.busy_with, self.busy_text = "", ""

        def settle() -> None:
            self._busy(False)
            self.changed.emit()

        def on_success(result: Any) -> None:
            finish()
            try:
                done(result)
            finally:
                settle()

        def on_failure(error: BaseException) -> None:
            finish()
            if not isinstance(error, AuditError):
                log.error("wizard work failed", exc_info=(type(error), error, error.__traceback__))
            try:
                failed(error)
            finally:
                settle()

        def on_cancelled() -> None:
            finish()
            settle()

        self.ops.start(
            self.key, work, on_success, on_failure, on_cancelled=on_cancelled, label=text
        )
        return True

    def _busy(self, on: bool) -> None:
        self.busy_changed.emit(on)
        page = self.currentPage()
        if page is not None:
            page.completeChanged.emit()
        for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.CancelButton):
            button = self.button(which)
            if on:
                button.setEnabled(False)
            elif which is QWizard.WizardButton.CancelButton:
                button.setEnabled(True)
        if not on and page is not None:
            page.completeChanged.emit()  # lets QWizard set Back as the history allows

    def _on_page(self, _page_id: int) -> None:
        """Going Back shows a page again without initializing it: show the current state."""
        page = self.currentPage()
        refresh = getattr(page, "refresh", None)
        if refresh is not None:
            refresh()

    def _on_progress(self, key: str, fraction: float, text: str) -> None:
        if key == self.key:
            self.progressed.emit(fraction, text)

    def run_step(self, step: Step) -> bool:
        """Run an automatic step the person confirmed by pressing its button."""
        if self.session.step_state(step) is StepState.DONE:
            return False
        return self._carry_out(step, step, self.session.run)

    def undo_step(self, step: Step) -> bool:
        """Undo a done, restorable step (Restore a built-in app, enable a disabled one)."""
        undo = undo_step(step)
        if undo is None or self.session.step_state(step) is not StepState.DONE:
            return False
        return self._carry_out(step, undo, self.session.undo)

    def _carry_out(self, step: Step, action: Step, record: Callable[..., ActionResult]) -> bool:
        """Run `action` on the device off the GUI thread, then `record` its result against
        `step` in the session on the GUI thread (session.run, or session.undo); an error is
        kept against `step`, where the page shows it."""
        executor = self.executor()
        self.step_errors.pop(step.id, None)

        keep = self._keeper()

        def work(progress: Progress, _cancelled: CancelCheck) -> tuple[ActionResult, Any]:
            progress(0.0, action.title)
            result = executor.run(action)
            return result, keep([result])

        def done(out: tuple[ActionResult, BaseException | None]) -> None:
            result, self.keep_error = out
            record(step, Replay(action.id, result), confirmed=True)
            self.acted.emit()

        def failed(error: BaseException) -> None:
            self.step_errors[step.id] = error

        working = _("Working on it: {step}").format(step=action.title)
        return self._run(step.id, working, work, done, failed)

    def confirm_step(self, step: Step) -> bool:
        """The person pressed "I've done this" on a step done by hand."""
        if self.busy:
            return False
        result = self.session.confirm_manual(step, self.session.person)
        keep = self._keeper()

        def work(_progress: Progress, _cancelled: CancelCheck) -> BaseException | None:
            return keep([result])

        def done(error: BaseException | None) -> None:
            self.keep_error = error
            self.acted.emit()

        def failed(error: BaseException) -> None:
            self.keep_error = error

        return self._run(step.id, _("Keeping what was done"), work, done, failed)

    def _keeper(self) -> Callable[[Sequence[ActionResult]], BaseException | None]:
        """Save results as the device's pending removal through the workflow (on the worker
        thread, one job at a time); returns the error when they could not be saved (they are
        saved with the next ones)."""
        removal, first = self.removal, self.session.before

        def keep(results: Sequence[ActionResult]) -> BaseException | None:
            return removal.keep_all(results, first)

        return keep

    @property
    def new_actions(self) -> tuple[ActionResult, ...]:
        """The results of this window (session.actions without those kept from before)."""
        return self.session.actions[self.resumed_actions :]

    # --- the end of a phone's audit -----------------------------------------------------------

    def switch_off_usb_debugging(self) -> bool:
        """Switch USB debugging off over adb (the person pressed the button, having read that
        the phone then disconnects). It is recorded as switched off, not as an action: done
        after the last check, an action would make that check stale."""
        device = self.device_now
        address, port = device.address or device.serial, self.adb_port
        self.usb_error = None

        def work(progress: Progress, _cancelled: CancelCheck) -> ActionResult:
            from audit.sources.android.actions import disable_usb_debugging

            progress(0.0, _("Switching USB debugging off"))
            return disable_usb_debugging(address, adb_port=port)

        def done(result: ActionResult) -> None:
            self.usb_result = result
            if result.ok:
                self.session.record_usb_debugging(UsbDebugging.CONFIRMED)

        def failed(error: BaseException) -> None:
            self.usb_error = error

        return self._run("usb", _("Switching USB debugging off"), work, done, failed)

    # --- the keyring --------------------------------------------------------------------------

    def check_keyring(self, *, again: bool = False) -> bool:
        """Find out, off the GUI thread, whether this computer can sign (never makes a key).
        `again` makes keyring read its settings again first ("Try again"); so does a first
        check that finds no usable keyring, for one set up since the app started."""
        if self.keyring_checking:
            return False
        self.keyring_checking = True

        def settle(problem: BaseException | None) -> None:
            self.keyring_checking = False
            self.keyring_problem = problem
            self.keyring_checked_at = datetime.now()
            self.keyring_changed.emit()

        def failed(error: BaseException) -> None:
            if not isinstance(error, AuditError):
                log.error("checking the keyring failed", exc_info=error)
            settle(error)

        def cancelled() -> None:
            self.keyring_checking = False

        self.ops.start(
            f"{self.key}:keyring",
            lambda _progress, _cancelled: look_for_keyring(again=again),
            lambda _none: settle(None),
            failed,
            on_cancelled=cancelled,
            label=_("Checking the keyring"),
        )
        self.keyring_changed.emit()
        return True

    def workflow(
        self, exemptions: Sequence[Exemption] | None = None, person: str | None = None
    ) -> DeviceAudit:
        """The device's audit as the first scan was judged (its policy and day), with the
        session's exemptions and person unless others are given: the workflow judges, the
        window shows."""
        session = self.session
        return DeviceAudit(
            self.reach,
            session.before.policy,
            session.exemptions if exemptions is None else exemptions,
            day=session.before.day,
            person=session.person if person is None else person,
        )

    def start_rescan(self) -> bool:
        """Scan every user of the device again and judge it as the first scan was judged (the
        rescan reads the flagged apps' states; one still unconfirmed that the package lists
        alone would call compliant leaves the check incomplete: audit.workflow)."""
        audit = self.workflow()

        def failed(error: BaseException) -> None:
            self.rescan_error = error

        self.rescan_error = None
        return self._run(
            "rescan", _("Checking every user and profile again"), audit.check, self._record, failed
        )

    def _record(self, after: Assessment) -> None:
        self.session.record_assessment(after)
        self.session.plan_new_findings()
        self.rescanned.emit(after)

    def apply_exemptions(
        self,
        chosen: Sequence[Exemption],
        person: str,
        failed: Callable[[BaseException], None],
    ) -> bool:
        """Judge the latest check again with the exemptions the person picked."""
        after = self.session.after
        if after is None:
            return False
        session = self.session
        scan, chosen = after.scan, tuple(chosen)
        audit = self.workflow(chosen, person)

        def work(_progress: Progress, _cancelled: CancelCheck) -> Assessment:
            return audit.judge_saved(scan)

        def done(assessment: Assessment) -> None:
            session.exemptions = chosen
            session.person = person
            self._record(assessment)

        return self._run("exemptions", _("Applying the exemptions"), work, done, failed)

    def sign(self, request: SignRequest, failed: Callable[[BaseException], None]) -> bool:
        """Sign and save the receipt, then retire the saved removal it now holds. After the
        keyring was found unusable, keyring reads its settings again first (it may have been
        set up since)."""
        again = self.keyring_problem is not None
        removal = self.removal

        def work(progress: Progress, cancelled: CancelCheck) -> SavedReceipt:
            if again:
                from audit.attestation.keys import reload_keyring

                progress(0.0, _("Looking for the keyring again"))
                reload_keyring()
            # DeviceAudit.sign: sign, write, verify, retire the saved removal (the PDF is
            # drawn on the GUI thread, the history written by the window's recorder).
            return sign_and_save(removal, request, progress, cancelled)

        def done(saved: SavedReceipt) -> None:
            if self.keyring_problem is not None:
                self.keyring_problem = None
                self.keyring_changed.emit()
            self.saved = with_pdf(saved)
            self.receipt_saved.emit(self.saved)
            if self.currentId() == Pages.ATTEST:
                self.next()

        def on_failure(error: BaseException) -> None:
            if isinstance(error, KeyringUnavailable):
                self.keyring_problem = error
                self.keyring_checked_at = datetime.now()
                self.keyring_changed.emit()
            failed(error)

        return self._run("sign", _("Signing and saving the receipt"), work, done, on_failure)

    def run_in_background(
        self,
        what: str,
        text: str,
        work: Callable[[Progress, CancelCheck], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
    ) -> bool:
        """Other short work of the pages (saving an exception request)."""
        return self._run(what, text, work, done, failed)

    # --- closing ------------------------------------------------------------------------------

    def reject(self) -> None:
        if self.busy:  # the phone may be half-way through a step: wait for its answer
            return
        if self.new_actions and self.saved is None and not self._may_close():
            return
        super().reject()

    @property
    def how_to_reopen(self) -> str:
        """How the person comes back to this removal from the main window."""
        if self.helpdesk:
            # Translators: a phrase in the middle of a sentence; "Work on this phone" is a button
            return _("open this phone from the queue again (Work on this phone)")
        # Attest…, not Remove…: once the apps are gone Remove… is greyed out. The main window
        # shows the signature still to make on the device and in its banner.
        # Translators: a phrase in the middle of a sentence; "Attest…" is the menu item's name
        return _("select this device again and choose Attest\u2026 ({shortcut})").format(
            shortcut=ATTEST_SHORTCUT
        )

    def _may_close(self) -> bool:
        text, button = close_words(self.keep_error, self.how_to_reopen)
        return self.ask_confirm(
            self, _("Close without signing?"), text, button, keep=_("Keep working")
        )

    def done(self, result: int) -> None:
        """Closing (accepted or not): a keyring check still running is dropped, not reported
        to a window that is going away."""
        self.ops.cancel(f"{self.key}:keyring")
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        """The window's close button: the same as Close (QWizard makes it reject())."""
        if self.busy:
            event.ignore()
            return
        super().closeEvent(event)

    # --- questions and the desktop (tests replace these) -------------------------------------

    @classmethod
    def ask_confirm(
        cls, parent: QWidget, title: str, text: str, button: str, *, keep: str = ""
    ) -> bool:
        """Ask before an action whose words are not on the page already (Restore, closing).
        `keep` names the button that does nothing (the default; "Cancel" when not given)."""
        return confirm(parent, title, text, button, keep=keep)

    @classmethod
    def ask_folder(cls, parent: QWidget, start: str) -> str:
        return QFileDialog.getExistingDirectory(parent, _("Where to save the receipt"), start)

    @classmethod
    def open_url(cls, url: QUrl) -> bool:
        return QDesktopServices.openUrl(url)
