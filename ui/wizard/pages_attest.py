"""The last pages: switch USB debugging off again (phones), sign the record, the receipt (with,
for an iPhone, the offer to remove this computer's pairing: ui.wizard.pairing).

USB debugging comes before the signature so the signed statement records the answer
(confirmed or skipped). Signing is refused while anything blocks it (session.blockers()); the
page then lists why in plain words and offers a signed non-compliance report instead. The key
comes from the OS keyring; when there is none the page says what to install or configure, signs
nothing, and stays usable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from audit.attestation import Attester, UsbDebugging
from audit.attestation.statement import StatementKind
from audit.errors import KeyringUnavailable
from audit.i18n import N_, _
from audit.model import DeviceStatus, FindingStatus
from audit.remediation import statement_for
from audit.sources.android.guidance import (
    MAKER_NAMES,
    disable_usb_debugging_steps,
    phone_maker,
)
from ui.errors import describe
from ui.plain import label
from ui.windows import NotOpened
from ui.wizard.base import WizardPage
from ui.wizard.files import SignRequest
from ui.wizard.ids import Pages
from ui.wizard.keyring_notice import KeyringNotice
from ui.wizard.pairing import PairingBox
from ui.wizard.texts import blocker_lines, done_lines, report_statement
from ui.wizard.widgets import (
    BusyBar,
    Kind,
    Notice,
    clear_layout,
    heading,
    lines,
    require_text,
)

if TYPE_CHECKING:
    from ui.wizard.host import WizardHost


# Marked here, translated where shown (issue 17).
USB_WORDS = {
    UsbDebugging.CONFIRMED: N_("The record also says that USB debugging was switched off again."),
    UsbDebugging.SKIPPED: N_("The record also says that USB debugging was left on."),
    UsbDebugging.NOT_APPLICABLE: "",
}
# Sentences, with a full stop (audit.words has the labels): the receipt page's first line.
STATUS_WORDS = {
    DeviceStatus.COMPLIANT: N_("Compliant."),
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: N_("Compliant with exceptions."),
    DeviceStatus.NON_COMPLIANT: N_("Not compliant."),
    DeviceStatus.OVERDUE: N_("Not compliant, and the deadline has passed."),
    DeviceStatus.INCOMPLETE: N_("Incomplete: the device could not be fully checked."),
}


class UsbPage(WizardPage):
    """The steps for this phone's maker (where Developer options is differs), and the offer to
    switch it off from here, with the warning that the phone then disconnects."""

    def __init__(self, wizard: WizardHost) -> None:
        super().__init__(wizard, "usbPage")
        self.setTitle(_("Switch USB debugging off again"))
        self.setSubTitle(
            _(
                "USB debugging lets a computer the phone trusts read and change its apps. The "
                "check is done, so switch it off. Your answer is written into the signed record."
            )
        )
        self.not_yet = Notice(self.content, name="usbNotYet")
        self.body.addWidget(self.not_yet)
        device = wizard.device
        maker = phone_maker(device.manufacturer)
        if maker in MAKER_NAMES:
            # Translators: {maker} is "Samsung Galaxy" or "Motorola phone"
            on = _("On the {maker}:").format(maker=_(MAKER_NAMES[maker]))
        else:
            on = _("On the phone:")
        self.body.addWidget(heading(on, self.content, name="usbSteps"))
        self.steps = disable_usb_debugging_steps(device.manufacturer)
        self.body.addWidget(lines(self.steps, self.content, numbered=True))
        self.body.addWidget(self._automatic_box())
        self.body.addWidget(heading(_("Then say what you did (the signed record says it too):")))
        self.confirmed = QRadioButton(_("I have switched USB debugging &off"), self.content)
        self.confirmed.setAccessibleName(_("I have switched USB debugging off"))
        self.skipped = QRadioButton(_("&Skip: leave it on for now"), self.content)
        self.skipped.setAccessibleName(_("Skip: leave USB debugging on for now"))
        self.group = QButtonGroup(self)
        self.group.addButton(self.confirmed)
        self.group.addButton(self.skipped)
        for button in (self.confirmed, self.skipped):
            button.toggled.connect(lambda _on: self.completeChanged.emit())
            self.body.addWidget(button)
        self.body.addStretch(1)
        self._marked = False
        wizard.busy_changed.connect(lambda _on: self._on_changed())

    def _automatic_box(self) -> QGroupBox:
        box = QGroupBox(_("Or let Device Audit switch it off"), self.content)
        layout = QVBoxLayout(box)
        layout.addWidget(
            label(
                _(
                    "Device Audit can switch USB debugging off for you now. The phone "
                    "disconnects from this computer at once, so do this last: afterwards Device "
                    "Audit cannot check or remove anything on the phone until USB debugging is "
                    "switched on again. Revoking this computer's authorization (step 2 above) is "
                    "still done on the phone."
                ),
                box,
            )
        )
        row = QHBoxLayout()
        self.switch_off = QPushButton(_("S&witch USB debugging off now"), box)
        self.switch_off.setAccessibleName(_("Switch USB debugging off now"))
        self.switch_off.clicked.connect(self.w.switch_off_usb_debugging)
        row.addWidget(self.switch_off)
        row.addStretch(1)
        layout.addLayout(row)
        self.busy = BusyBar(box)
        layout.addWidget(self.busy)
        self.switched = Notice(box, name="usbSwitched")
        layout.addWidget(self.switched)
        return box

    def refresh(self) -> None:
        if self.w.session.can_attest:
            self.not_yet.clear()
        else:
            self.not_yet.show_message(
                Kind.WARN,
                _("The phone is not shown to be compliant yet"),
                _(
                    "If you still want Device Audit to remove something, go Back first: it needs "
                    "USB debugging for that."
                ),
            )
        wizard = self.w
        if wizard.busy_with == "usb":
            if self.busy.isHidden():
                self.busy.start(wizard.busy_text)
        else:
            self.busy.stop()
        result, error = wizard.usb_result, wizard.usb_error
        self.switch_off.setEnabled(not wizard.busy and not (result is not None and result.ok))
        if error is not None:
            self.switched.show_error(describe(error))
        elif result is None:
            self.switched.clear()
        elif result.ok:
            self.switched.show_message(
                Kind.GOOD,
                _("USB debugging is off"),
                # Translators: {message} is the phone's result, a sentence of its own
                _("{message} The signed record says it was switched off.").format(
                    message=result.message
                ),
                # Translators: {step} is a step such as "Tap Revoke USB debugging authorizations."
                _("To finish, on the phone: {step}").format(step=self.steps[1]),
            )
            if not self._marked:  # once: the person may still change the answer
                self._marked = True
                self.confirmed.setChecked(True)
        else:
            self.switched.show_message(
                Kind.BAD,
                _("The phone did not let Device Audit switch USB debugging off"),
                result.message,
                _("Switch it off on the phone with the steps above."),
            )

    def isComplete(self) -> bool:
        return super().isComplete() and (self.confirmed.isChecked() or self.skipped.isChecked())

    def first_field(self) -> QWidget | None:
        return self.skipped if self.skipped.isChecked() else self.confirmed

    def validatePage(self) -> bool:
        answer = UsbDebugging.CONFIRMED if self.confirmed.isChecked() else UsbDebugging.SKIPPED
        self.w.session.record_usb_debugging(answer)
        return True

    def nextId(self) -> int:
        return int(Pages.ATTEST)


class AttestPage(WizardPage):
    def __init__(self, wizard: WizardHost) -> None:
        super().__init__(wizard, "attestPage")
        self.setTitle(_("Sign the record"))
        self.setSubTitle(
            _(
                "Read the statement. When you agree, Device Audit signs it with this computer's "
                "key and saves a receipt that anyone can check."
            )
        )
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, _("Sign and save"))
        self.keyring = KeyringNotice(wizard, self.content, signing=True)
        self.body.addWidget(self.keyring)
        self.state = Notice(self.content, name="attestState")
        self.body.addWidget(self.state)
        self.blockers = QWidget(self.content)
        self.blockers_layout = QVBoxLayout(self.blockers)
        self.blockers_layout.setContentsMargins(0, 0, 0, 0)
        self.body.addWidget(self.blockers)
        self.report = QCheckBox(_("Make a signed &non-compliance report instead"), self.content)
        self.report.setAccessibleName(_("Make a signed non-compliance report instead"))
        self.report.toggled.connect(self._changed)
        self.body.addWidget(self.report)
        self.signing = QWidget(self.content)  # hidden while nothing may be signed
        self.signing_layout = QVBoxLayout(self.signing)
        self.signing_layout.setContentsMargins(0, 0, 0, 0)
        self._build_form()
        self._build_statement()
        self.body.addWidget(self.signing)
        self.busy = BusyBar(self.content)
        self.body.addWidget(self.busy)
        self.error = Notice(self.content, name="signError")
        self.body.addWidget(self.error)
        self.body.addStretch(1)
        wizard.progressed.connect(self._on_progress)
        wizard.busy_changed.connect(lambda _on: self.refresh())
        # No usable keyring: "Sign and save" waits for "Try again" (in the notice) to find one.
        wizard.keyring_changed.connect(self.completeChanged.emit)

    def _build_form(self) -> None:
        wizard = self.w
        self.form = QWidget(self.signing)
        form = QFormLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        self.technician = QLineEdit(self.form)
        self.name = QLineEdit(self.form)
        self.staff_id = QLineEdit(self.form)
        # The staff member's name and id first, the technician's name (the same phone after
        # phone, so filled in already at the bench) last: Tab goes name, id, technician.
        fields = (
            (self.name, "name", _("Staff member's name") if wizard.helpdesk else _("Your name")),
            (self.staff_id, "staffId", _("Staff id") if wizard.helpdesk else _("Your staff id")),
            (self.technician, "technician", _("Your name (technician)")),
        )
        for field, key, words in fields:
            field.setAccessibleName(words)
            require_text(field)
            field.textChanged.connect(self._changed)
            if field is self.technician and not wizard.helpdesk:
                field.hide()
                continue
            self.registerField(f"{key}*", field)
            # Translators: a form's label; "&" marks the Alt shortcut (the letter after it)
            buddy = QLabel(_("&{field}:").format(field=words), self.form)
            buddy.setBuddy(field)
            form.addRow(buddy, field)
        QWidget.setTabOrder(self.name, self.staff_id)
        QWidget.setTabOrder(self.staff_id, self.technician)
        self.signing_layout.addWidget(self.form)
        self.person_problem = Notice(self.signing, name="personProblem")
        self.signing_layout.addWidget(self.person_problem)

    def _build_statement(self) -> None:
        self.signing_layout.addWidget(heading(_("The statement"), self.signing))
        self.statement = QPlainTextEdit(self.signing)
        self.statement.setReadOnly(True)
        self.statement.setAccessibleName(_("The statement"))
        self.statement.setTabChangesFocus(True)
        lines_high = self.statement.fontMetrics().lineSpacing() * 7
        self.statement.setFixedHeight(lines_high + 2 * self.statement.frameWidth() + 8)
        self.signing_layout.addWidget(self.statement)
        self.agree = QCheckBox(_("I have read the statement and I &agree to it"), self.signing)
        self.agree.setAccessibleName(_("I agree to the statement"))
        self.registerField("agree*", self.agree)
        self.signing_layout.addWidget(self.agree)
        self.usb = label("", self.signing, name="usbLine")
        self.signing_layout.addWidget(self.usb)

        folder_row = QHBoxLayout()
        self.folder = label("", self.signing, name="folder")
        self.change_folder = QPushButton(_("Change &folder\u2026"), self.signing)
        self.change_folder.setAccessibleName(_("Change the folder the receipt is saved in"))
        self.change_folder.clicked.connect(self._choose_folder)
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.change_folder)
        self.signing_layout.addLayout(folder_row)

    # --- what is being signed ---------------------------------------------------------------

    @property
    def blocked(self) -> bool:
        return not self.w.session.can_attest

    @property
    def report_mode(self) -> bool:
        return self.blocked and self.report.isChecked()

    def attester(self) -> Attester:
        return Attester(
            name=self.name.text().strip(),
            staff_id=self.staff_id.text().strip(),
            technician=self.technician.text().strip() if self.w.helpdesk else "",
        )

    def statement_text(self) -> str:
        """The exact text shown, and signed."""
        session = self.w.session
        attester = self.attester()
        shown = Attester(
            name=attester.name or _("[name]"),
            staff_id=attester.staff_id or _("[staff id]"),
            technician=(attester.technician or _("[technician]")) if self.w.helpdesk else "",
        )
        day = session.before.day
        if self.report_mode:
            latest = session.after or session.before
            return report_statement(shown, latest, day, blocker_lines(session))
        return statement_for(shown, session.device, session.before.policy, day)

    def person_mismatch(self) -> str:
        """An exemption for a named person was used, but the record is for someone else."""
        after = self.w.session.after
        staff_id = self.staff_id.text().strip()
        if after is None or not staff_id:
            return ""
        for finding in after.with_status(FindingStatus.EXCEPTED):
            exemption = finding.exemption
            if exemption is not None and exemption.person and exemption.person != staff_id:
                return _(
                    "Exemption {id} is for staff id {person}, but this record is for staff id "
                    "{staff_id}."
                ).format(id=exemption.id, person=exemption.person, staff_id=staff_id)
        return ""

    # --- the page ---------------------------------------------------------------------------

    def initializePage(self) -> None:
        if not self.staff_id.text():
            self.staff_id.setText(self.w.session.person)
        self.folder.setText(self._folder_words())
        super().initializePage()

    def _folder_words(self) -> str:
        return _("The receipt will be saved in: {folder}").format(folder=self.w.receipts_dir)

    def _changed(self) -> None:
        self.refresh()
        self.completeChanged.emit()

    def first_field(self) -> QWidget | None:
        if self.blocked and not self.report.isChecked():
            return self.report
        fields = [self.name, self.staff_id] + ([self.technician] if self.w.helpdesk else [])
        return next((f for f in fields if not f.text().strip()), self.agree)

    def refresh(self) -> None:
        busy = self.w.busy
        for widget in (self.form, self.report, self.agree, self.change_folder):
            widget.setEnabled(not busy)
        clear_layout(self.blockers_layout)
        if self.blocked:
            self.state.show_message(
                Kind.BAD,
                _("This device cannot be attested as compliant yet"),
                "",
                _(
                    "Go Back to remove the apps, check again or pick an exemption. Or make a "
                    "signed report that the device is not compliant."
                ),
            )
            self.blockers_layout.addWidget(heading(_("What stands in the way"), self.blockers))
            self.blockers_layout.addWidget(lines(blocker_lines(self.w.session), self.blockers))
            self.blockers.show()
            self.report.show()
            self.agree.setText(_("I have read this report and I &agree to sign it"))
        else:
            self.state.show_message(
                Kind.GOOD,
                _("The check shows this device is compliant"),
                _(
                    "Every banned app is gone, in a state the policy allows (for example removed "
                    "for this profile), or under an exemption."
                ),
            )
            self.blockers.hide()
            self.report.hide()
            self.agree.setText(_("I have read the statement and I &agree to it"))
        self.signing.setVisible(not self.blocked or self.report.isChecked())
        self.statement.setPlainText(self.statement_text())
        usb = self.w.session.usb_debugging
        usb_words = USB_WORDS[usb] if usb is not None else ""
        self.usb.setText(_(usb_words) if usb_words else "")  # _("") would be the catalogue's header
        self.usb.setVisible(usb is not None and usb is not UsbDebugging.NOT_APPLICABLE)
        problem = self.person_mismatch()
        if problem:
            self.person_problem.show_message(
                Kind.BAD,
                _("The staff id does not match the exemption"),
                problem,
                _("Enter the staff id the exemption was granted to, or go Back and untick it."),
            )
        else:
            self.person_problem.clear()
        if self.w.busy_with == "sign":
            if self.busy.isHidden():
                self.busy.start(self.w.busy_text)
        else:
            self.busy.stop()

    def _on_progress(self, fraction: float, text: str) -> None:
        if self.w.busy_with == "sign":
            self.busy.update_progress(fraction, text)

    def _choose_folder(self) -> None:
        chosen = self.w.ask_folder(self, str(self.w.receipts_dir))
        if chosen:
            from pathlib import Path

            self.w.receipts_dir = Path(chosen)
            self.folder.setText(self._folder_words())

    def isComplete(self) -> bool:
        if self.blocked and not self.report.isChecked():
            return False
        if self.w.keyring_problem is not None:  # the keyring notice says why and what to do
            return False
        return super().isComplete() and not self.person_mismatch()

    def validatePage(self) -> bool:
        """Signing happens off the GUI thread: start it and stay; the wizard moves on when the
        receipt is saved."""
        if self.w.saved is not None:
            return True
        session = self.w.session
        after = session.after
        if after is None and not self.report_mode:
            return False
        self.error.clear()
        request = SignRequest(
            before=session.before,
            after=after or session.before,
            actions=session.actions,
            attester=self.attester(),
            statement=self.statement_text(),
            usb_debugging=session.usb_debugging,
            report=self.report_mode,
            folder=self.w.receipts_dir,
        )
        self.w.sign(request, self._failed)
        return False

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, KeyringUnavailable):
            self.error.clear()  # the keyring notice above says it, with "Try again"
            return
        self.error.show_error(describe(error))

    def nextId(self) -> int:
        return int(Pages.RECEIPT)


STAFF_KEEP = N_(
    "Keep both files. When your organisation asks for proof, send the signed receipt (the .json "
    "file): the PDF is a readable copy of it."
)
HELPDESK_KEEP = N_(
    "Give the staff member their copy: send them both files, or copy them to their computer. "
    "The signed receipt is the .json file; the PDF is a readable copy of it."
)
IN_HISTORY = N_(
    "The audit and its receipt are also kept in this computer's history (View \u203a History)."
)
DEMO_NOT_IN_HISTORY = N_("A demo phone's audit is not kept in the history.")


class ReceiptPage(WizardPage):
    def __init__(self, wizard: WizardHost) -> None:
        super().__init__(wizard, "receiptPage")
        self.setTitle(_("Saved"))
        self.setSubTitle(_("The signed receipt and a readable PDF copy are saved."))
        self.setFinalPage(True)
        self.kind = Notice(self.content, name="receiptKind")
        self.body.addWidget(self.kind)
        self.body.addWidget(heading(_("Where it is saved"), self.content))
        self.path = label("", self.content, name="receiptPath")
        self.pdf = label("", self.content, name="pdfPath")
        self.body.addWidget(self.path)
        self.body.addWidget(self.pdf)
        self.body.addWidget(heading(_("What it records as done"), self.content))
        self.done_list = QWidget(self.content)
        self.done_layout = QVBoxLayout(self.done_list)
        self.done_layout.setContentsMargins(0, 0, 0, 0)
        self.body.addWidget(self.done_list)
        self.keep = label(
            _(HELPDESK_KEEP) if wizard.helpdesk else _(STAFF_KEEP), self.content, name="keep"
        )
        self.body.addWidget(self.keep)
        row = QHBoxLayout()
        self.open_pdf = QPushButton(_("&Open the PDF"), self.content)
        self.open_pdf.setAccessibleName(_("Open the PDF"))
        self.open_pdf.clicked.connect(self._open_pdf)
        self.show_file = QPushButton(_("&Show the file"), self.content)
        self.show_file.setAccessibleName(_("Show the receipt file in its folder"))
        self.show_file.clicked.connect(self._show_file)
        row.addWidget(self.open_pdf)
        row.addWidget(self.show_file)
        row.addStretch(1)
        self.body.addLayout(row)
        self.not_opened = NotOpened(self.content)
        self.body.addWidget(self.not_opened)
        self.body.addWidget(heading(_("The key that signed it"), self.content))
        self.fingerprint = label("", self.content, name="fingerprint")
        self.fingerprint.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.body.addWidget(self.fingerprint)
        self.body.addWidget(
            label(
                _(
                    "It names this computer's signing key. Receipts signed here all show it, and "
                    "the history warns when a staff member's receipts come from another key."
                )
                if wizard.helpdesk
                else _(
                    "Your helpdesk can compare this fingerprint with the one they know for "
                    "this computer."
                ),
                self.content,
            )
        )
        self.body.addWidget(heading(_("To check it"), self.content))
        self.verify_hint = label(
            _("Anyone can check that the receipt is unchanged with this command:"), self.content
        )
        self.body.addWidget(self.verify_hint)
        self.command = label("", self.content, name="verifyCommand")
        self.command.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.body.addWidget(self.command)
        self.pairing = PairingBox(wizard, self.content)  # an iPhone's; hidden for others
        self.body.addWidget(self.pairing)
        self.body.addStretch(1)

    def refresh(self) -> None:
        saved = self.w.saved
        if saved is None:
            return
        self.pairing.refresh()
        verified = saved.verified
        demo = (
            " "
            + _(
                "It is a receipt of the SIMULATED demo phone, for trying Device Audit: it proves "
                "nothing about a real phone, and importing it into a history is refused."
            )
            if verified.simulated
            else ""
        )
        if verified.kind is StatementKind.NONCOMPLIANCE_REPORT:
            self.kind.show_message(
                Kind.WARN,
                _("Non-compliance report signed and saved"),
                _(
                    "It records that this device is NOT shown to be compliant. It is not an "
                    "attestation of compliance."
                )
                + demo,
            )
        else:
            policy = verified.policy_title or verified.policy_id
            # Translators: {status} is a sentence such as "Compliant."; {policy} the policy's title
            said = _("{status} Policy: {policy}.").format(
                status=_(STATUS_WORDS[verified.status]), policy=policy
            )
            self.kind.show_message(
                Kind.GOOD, _("Attestation of compliance signed and saved"), said + demo
            )
        if self.w.helpdesk:  # the main window records the receipt, unless of the demo phone
            where = DEMO_NOT_IN_HISTORY if verified.simulated else IN_HISTORY
            self.keep.setText(f"{_(HELPDESK_KEEP)} {_(where)}")  # two sentences, each translated
        clear_layout(self.done_layout)
        self.done_layout.addWidget(lines(done_lines(self.w.session), self.done_list))
        self.path.setText(_("Signed receipt: {path}").format(path=saved.path))
        if saved.pdf is not None:
            self.pdf.setText(_("Readable copy (PDF): {path}").format(path=saved.pdf))
        else:
            self.pdf.setText(saved.pdf_problem)
        self.open_pdf.setEnabled(saved.pdf is not None)
        replaced = f"\n{saved.key_replaced}" if saved.key_replaced else ""  # lost key: say so
        self.fingerprint.setText(saved.fingerprint + replaced)
        self.command.setText(f'device-audit verify "{saved.path}"')

    def _open_pdf(self) -> None:
        saved = self.w.saved
        if saved is not None and saved.pdf is not None:
            self.not_opened.open(self.w.open_url, saved.pdf, _("the PDF"))

    def _show_file(self) -> None:
        saved = self.w.saved
        if saved is not None:
            folder = _("the folder the receipt is in")
            self.not_opened.open(self.w.open_url, saved.path.parent, folder, saved.path)

    def nextId(self) -> int:
        return -1
