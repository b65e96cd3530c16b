"""Proof by rescan, and what may keep a banned app: the check page and the exemptions page.

The check page scans every user again (through the wizard, off the GUI thread) and says which
banned apps are gone or accepted, which are still there, which appeared on other profiles since,
and what could not be read: an incomplete check proves nothing, and says so. What is left to do
is shown right there, with the same buttons as the removal pages; a step done there is checked
at once (the page scans again by itself), so the page and its Next always follow the latest
check. "Check again" is there too (after unlocking the phone, say).

The exemptions page offers the exemptions from the loaded file that could cover what is left,
and a request for an exception, saved as a JSON note beside the receipts. A request is not an
exemption: it never changes a finding.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audit.i18n import _
from audit.model import Assessment, Device, Exemption, Finding, FindingStatus, Policy
from audit.policy.exemptions import applies, covers
from audit.remediation import RemovalPlan, appeared_message
from ui.errors import describe
from ui.plain import label
from ui.wizard.base import WizardPage
from ui.wizard.files import REQUEST_NOTE, ExceptionRequest, write_request
from ui.wizard.ids import Pages
from ui.wizard.plan_panel import PlanPanel
from ui.wizard.texts import finding_line
from ui.wizard.widgets import (
    BusyBar,
    Kind,
    Notice,
    caption,
    clear_layout,
    heading,
    lines,
    require_text,
)
from ui.words import user_words

if TYPE_CHECKING:
    from ui.wizard.host import WizardHost


def _app_key(finding: Finding) -> tuple[str, str, str]:
    return (finding.app.kind.value, finding.app.identifier, finding.app.user)


class VerifyPage(WizardPage):
    def __init__(self, wizard: WizardHost) -> None:
        super().__init__(wizard, "verifyPage")
        self.setTitle(_("Check again"))
        self.setSubTitle(
            _(
                "Device Audit looks at every user and profile again. An app counts as removed "
                "only when this check no longer finds it."
            )
        )
        self.busy = BusyBar(self.content)
        self.error = Notice(self.content, name="rescanError")
        self.summary = Notice(self.content, name="verifySummary")
        self.results = QWidget(self.content)
        self.results_layout = QVBoxLayout(self.results)
        self.results_layout.setContentsMargins(0, 0, 0, 0)
        self.follow_ups = QWidget(self.content)
        self.follow_layout = QVBoxLayout(self.follow_ups)
        self.follow_layout.setContentsMargins(0, 0, 0, 0)
        self.panels: dict[tuple[str, str, str], PlanPanel] = {}
        self.again = QPushButton(_("&Check again"), self.content)
        self.again.setAccessibleName(_("Check again"))
        self.again.clicked.connect(self.w.start_rescan)
        self.checked_at = label("", self.content, name="checkedAt")
        for widget in (self.busy, self.error, self.summary, self.checked_at, self.results):
            self.body.addWidget(widget)
        row = QHBoxLayout()
        row.addWidget(self.again)
        row.addStretch(1)
        self.body.addLayout(row)
        self.body.addWidget(self.follow_ups)
        self.body.addStretch(1)
        wizard.progressed.connect(self._on_progress)
        wizard.busy_changed.connect(lambda _on: self._on_changed())
        # Queued: the step's run has settled (the wizard is no longer busy) when this comes.
        wizard.acted.connect(self._after_step, Qt.ConnectionType.QueuedConnection)

    def _after_step(self) -> None:
        """A step done here (from "What is left to do") is checked at once, so this page never
        shows a result older than what was done, and Next never leads past an app already
        removed."""
        if self.w.currentPage() is self and not self.w.busy and self.needs_rescan():
            self.w.start_rescan()

    def needs_rescan(self) -> bool:
        session = self.w.session
        if session.after is None or self.w.rescan_error is not None:
            return True
        started = session.after.scan.started_at
        return any(a.at is not None and a.at > started for a in session.actions)

    def initializePage(self) -> None:
        if self.needs_rescan():
            self.w.start_rescan()
        self.refresh()

    def _on_progress(self, fraction: float, text: str) -> None:
        if self.w.busy_with == "rescan":
            self.busy.update_progress(fraction, text)

    def isComplete(self) -> bool:
        return not self.w.busy and self.w.session.after is not None and self.w.rescan_error is None

    def refresh(self) -> None:
        wizard = self.w
        if wizard.busy_with == "rescan":
            if self.busy.isHidden():
                self.busy.start(wizard.busy_text)
        else:
            self.busy.stop()
        if wizard.rescan_error is not None:
            self.error.show_error(describe(wizard.rescan_error))
        else:
            self.error.clear()
        self.again.setEnabled(not wizard.busy)
        self._show_results()
        self._show_follow_ups()

    def _show_results(self) -> None:
        clear_layout(self.results_layout)
        session = self.w.session
        check = session.verification
        after = session.after
        if check is None or after is None:
            self.summary.clear()
            self.checked_at.setText("")
            return
        when = after.scan.finished_at.astimezone().strftime("%H:%M:%S")
        users = ", ".join(user_words(after.scan, u.id) for u in after.scan.users)
        # Translators: {where} lists the profiles checked ("Main profile, Work profile")
        self.checked_at.setText(
            _("Last checked at {time}: {where}.").format(
                time=when, where=users or _("this computer")
            )
        )
        if not check.complete:
            self.summary.show_message(
                Kind.WARN,
                _("This check could not see everything, so it proves nothing yet"),
                _("What it could not read may be exactly where a banned app is."),
                _(
                    "Unlock the phone (and open each profile once), then press "
                    "\u201cCheck again\u201d."
                ),
            )
        elif check.all_resolved:
            self.summary.show_message(
                Kind.GOOD,
                _(
                    "Every banned app is gone, or in a state the policy allows (for example "
                    "removed for this profile)"
                ),
            )
        else:
            self.summary.show_message(
                Kind.BAD,
                _("Some banned apps are still on the device"),
                _(
                    "Remove them below (Device Audit checks again after each one), or keep them "
                    "under an exemption on the next page."
                ),
            )
        groups = (
            (_("Gone or accepted"), [c.message for c in check.resolved]),
            (_("Still there"), [c.message for c in check.remaining]),
            (
                _("Newly found on other profiles"),
                [appeared_message(f, after) for f in check.appeared],
            ),
            (_("Could not be read"), [f"{p[:1].upper()}{p[1:]}." for p in check.problems]),
        )
        for title, items in groups:
            if items:
                self.results_layout.addWidget(heading(title, self.results))
                self.results_layout.addWidget(lines(items, self.results))

    def open_plans(self) -> tuple[RemovalPlan, ...]:
        """Plans for the banned apps the latest check still finds."""
        after = self.w.session.after
        if after is None:
            return ()
        left = {_app_key(f) for f in after.violations}
        seen: set[tuple[str, str, str]] = set()
        plans = []
        for plan in self.w.session.plans:
            key = _app_key(plan.finding)
            if key in left and key not in seen:
                seen.add(key)
                plans.append(plan)
        return tuple(plans)

    def _show_follow_ups(self) -> None:
        plans = self.open_plans()
        keys = [_app_key(p.finding) for p in plans]
        if keys == list(self.panels):
            return
        clear_layout(self.follow_layout)
        self.panels = {}
        if not plans:
            return
        self.follow_layout.addWidget(heading(_("What is left to do"), self.follow_ups))
        for plan in plans:
            self.follow_layout.addWidget(heading(plan.title, self.follow_ups))
            panel = PlanPanel(self.w, plan, self.follow_ups, on_check_page=True)
            self.panels[_app_key(plan.finding)] = panel
            self.follow_layout.addWidget(panel)

    def nextId(self) -> int:
        after = self.w.session.after
        if after is not None and after.violations:
            return int(Pages.EXEMPTIONS)
        return int(Pages.USB_DEBUGGING if self.w.is_phone else Pages.ATTEST)


# --- exemptions ------------------------------------------------------------------------------


def candidates(
    exemptions: tuple[Exemption, ...], assessment: Assessment
) -> list[tuple[Exemption, list[Finding]]]:
    """Exemptions of the file that could keep an app of this check: for this policy and device,
    in force on the day, covering a banned (or already exempted) app. Any person's: the page
    says when one is for a named person."""
    policy: Policy = assessment.policy
    device: Device = assessment.scan.device
    day: date = assessment.day
    findings = assessment.with_status(FindingStatus.VIOLATION, FindingStatus.EXCEPTED)
    out = []
    for exemption in exemptions:
        if not applies(exemption, policy, device, exemption.person) or not exemption.active_on(day):
            continue
        covered = [f for f in findings if covers(exemption, f.rule, f.app, f.matcher.app)]
        if covered:
            out.append((exemption, covered))
    return out


class ExemptionsPage(WizardPage):
    def __init__(self, wizard: WizardHost) -> None:
        super().__init__(wizard, "exemptionsPage")
        self.setTitle(_("Exemptions"))
        self.setSubTitle(
            _(
                "A banned app that is still there may stay only under an exemption your "
                "organisation granted. Without one, the device is not compliant."
            )
        )
        self.base_person = wizard.session.person
        self.left = QWidget(self.content)
        self.left_layout = QVBoxLayout(self.left)
        self.left_layout.setContentsMargins(0, 0, 0, 0)
        self.body.addWidget(self.left)
        self.body.addWidget(heading(_("Exemptions from the loaded file"), self.content))
        self.none_loaded = label("", self.content, name="noExemptions")
        self.body.addWidget(self.none_loaded)
        self.choices = QWidget(self.content)
        self.choices_layout = QVBoxLayout(self.choices)
        self.choices_layout.setContentsMargins(0, 0, 0, 0)
        self.body.addWidget(self.choices)
        self.checks: dict[str, QCheckBox] = {}
        self.applied = Notice(self.content, name="exemptionsApplied")
        self.body.addWidget(self.applied)
        self.body.addWidget(self._request_box())
        self.body.addStretch(1)

    def _request_box(self) -> QGroupBox:
        helpdesk = self.w.helpdesk
        box = QGroupBox(_("Ask for an exception"), self.content)
        layout = QVBoxLayout(box)
        if helpdesk:
            intro = _(
                "If the staff member needs a banned app for their work, record a request here. "
                "It is saved as a file for whoever grants exemptions."
            )
        else:
            intro = _(
                "If you need a banned app for your work, record a request here. It is saved as "
                "a file for whoever grants exemptions."
            )
        layout.addWidget(label(f"{intro} {_(REQUEST_NOTE)}", box))  # each sentence translated
        words = (
            (_("Staff member's name"), _("Staff id"), _("Why they need it"))
            if helpdesk
            else (_("Your name"), _("Your staff id"), _("Why you need it"))
        )
        form = QFormLayout()
        self.request_name = QLineEdit(box)
        self.request_name.setAccessibleName(words[0])
        self.request_staff = QLineEdit(box)
        self.request_staff.setAccessibleName(words[1])
        self.request_reason = QPlainTextEdit(box)
        self.request_reason.setAccessibleName(words[2])
        self.request_reason.setTabChangesFocus(True)
        self.request_reason.setFixedHeight(70)
        for field in (self.request_name, self.request_staff):
            require_text(field)
            field.textChanged.connect(self._update_request_button)
        self.request_reason.textChanged.connect(self._update_request_button)
        form.addRow(_("&Name:"), self.request_name)
        form.addRow(_("&Staff id:"), self.request_staff)
        form.addRow(_("&{field}:").format(field=words[2]), self.request_reason)
        layout.addLayout(form)
        self.request_save = QPushButton(_("Save the &request"), box)
        self.request_save.setAccessibleName(_("Save the exception request"))
        self.request_save.clicked.connect(self._save_request)
        layout.addWidget(self.request_save)
        self.request_saved = Notice(box, name="requestSaved")
        layout.addWidget(self.request_saved)
        return box

    def initializePage(self) -> None:
        if not self.request_staff.text():
            self.request_staff.setText(self.w.session.person)
        self._build_choices()
        super().initializePage()

    def first_field(self) -> QWidget | None:
        """The first exemption to tick; without one, the request's name."""
        return next(iter(self.checks.values()), self.request_name)

    def _build_choices(self) -> None:
        clear_layout(self.choices_layout)
        self.checks = {}
        session = self.w.session
        after = session.after
        loaded = self.w.loaded_exemptions
        if after is None:
            return
        found = candidates(loaded, after)
        helpdesk = self.w.helpdesk
        if not loaded and helpdesk:
            self.none_loaded.setText(
                _(
                    "No exemptions file is loaded. If the staff member was granted an exemption, "
                    "load its file in the main window (Load exemptions), then open this window "
                    "again: what was done so far is kept."
                )
            )
        elif not loaded:
            self.none_loaded.setText(
                _(
                    "No exemptions file is loaded. If you were granted an exemption, load its "
                    "file in the main window (Load exemptions), then open this window again: "
                    "what was done so far is kept."
                )
            )
        elif not found:
            self.none_loaded.setText(
                _("None of the exemptions in the loaded file covers an app that is still here.")
            )
        else:
            self.none_loaded.setText(
                _("Tick the exemptions granted to this staff member.")
                if helpdesk
                else _("Tick the exemptions that apply to you.")
            )
        active = {e.id for e in session.exemptions}
        for exemption, covered in found:
            use = _("Use exemption {id}").format(id=exemption.id)
            check = QCheckBox(caption(use), self.choices)
            check.setAccessibleName(use)
            used = exemption.id in active and applies(
                exemption, after.policy, after.scan.device, session.person
            )
            check.setChecked(used)
            check.toggled.connect(self._on_toggled)
            self.checks[exemption.id] = check
            self.choices_layout.addWidget(check)
            self.choices_layout.addWidget(
                lines(self._describe(exemption, covered, after), self.choices)
            )

    def _describe(
        self, exemption: Exemption, covered: list[Finding], after: Assessment
    ) -> list[str]:
        until = exemption.expires.isoformat()
        if exemption.approver_role:
            approved = _("Approved by {approver}, {role}, valid until {day}.").format(
                approver=exemption.approver, role=exemption.approver_role, day=until
            )
        else:
            approved = _("Approved by {approver}, valid until {day}.").format(
                approver=exemption.approver, day=until
            )
        apps = "; ".join(finding_line(f, after.scan) for f in covered)
        out = [
            _("Reason: {reason}").format(reason=exemption.reason),
            approved,
            _("Covers: {apps}.").format(apps=apps),
        ]
        if exemption.mitigations:
            conditions = "; ".join(exemption.mitigations)
            out.append(_("Conditions: {conditions}.").format(conditions=conditions))
        if exemption.person:
            out.append(
                _(
                    "Only for staff id {person}: the record must then be signed for that staff id."
                ).format(person=exemption.person)
            )
        return out

    def _on_toggled(self, _on: bool) -> None:
        chosen = [e for e in self.w.loaded_exemptions if self._checked(e.id)]
        people = sorted({e.person for e in chosen if e.person})
        if len(people) > 1:
            self.applied.show_message(
                Kind.BAD,
                _("These exemptions are for different people"),
                _("They are for staff ids {ids}; one device is attested for one person.").format(
                    ids=", ".join(people)
                ),
                _("Untick the exemptions that are not this staff member's.")
                if self.w.helpdesk
                else _("Untick the exemptions that are not yours."),
            )
            return
        person = people[0] if people else self.base_person
        self.applied.clear()
        self.w.apply_exemptions(chosen, person, self._failed)

    def _checked(self, exemption_id: str) -> bool:
        check = self.checks.get(exemption_id)
        return check is not None and check.isChecked()

    def _failed(self, error: BaseException) -> None:
        self.applied.show_error(describe(error))

    def refresh(self) -> None:
        clear_layout(self.left_layout)
        after = self.w.session.after
        busy = self.w.busy
        for check in self.checks.values():
            check.setEnabled(not busy)
        self._update_request_button()
        if after is None:
            return
        if after.violations:
            self.left_layout.addWidget(heading(_("Still on the device"), self.left))
            self.left_layout.addWidget(
                lines([finding_line(f, after.scan) for f in after.violations], self.left)
            )
        else:
            self.left_layout.addWidget(
                label(_("No banned app is left without an exemption."), self.left, name="noneLeft")
            )
        kept = after.with_status(FindingStatus.EXCEPTED)
        if kept:
            self.left_layout.addWidget(heading(_("Kept under an exemption"), self.left))
            self.left_layout.addWidget(
                lines(
                    [
                        _("{app} (exemption {id})").format(
                            app=finding_line(f, after.scan), id=f.exemption.id
                        )
                        for f in kept
                        if f.exemption is not None
                    ],
                    self.left,
                )
            )

    # --- the request ------------------------------------------------------------------------

    def _request_ready(self) -> bool:
        return (
            self.request_name.hasAcceptableInput()
            and self.request_staff.hasAcceptableInput()
            and bool(self.request_reason.toPlainText().strip())
        )

    def _update_request_button(self) -> None:
        self.request_save.setEnabled(self._request_ready() and not self.w.busy)

    def _save_request(self) -> None:
        after = self.w.session.after
        if after is None or not self._request_ready():
            return
        request = ExceptionRequest(
            name=self.request_name.text().strip(),
            staff_id=self.request_staff.text().strip(),
            reason=self.request_reason.toPlainText().strip(),
            device=after.scan.device,
            assessment=after,
            findings=after.violations,
        )
        folder = self.w.receipts_dir
        route = after.policy.exception_route

        def work(_progress: object, _cancelled: object) -> object:
            return write_request(request, folder)

        def done(path: object) -> None:
            self.w.request_path = path  # type: ignore[assignment]
            self.request_saved.show_message(
                Kind.INFO,
                _("Request saved"),
                _(
                    "Saved in {path}. The device is still not compliant until an exemption is "
                    "granted."
                ).format(path=path),
                # Translators: {route} is the policy's own text on how to ask for an exception
                _("Send the file on: {route}").format(route=route)
                if route
                else _("Send the file to whoever grants exemptions in your organisation."),
            )

        self.w.run_in_background(
            "request", _("Saving the request"), work, done, self.request_saved_failed
        )

    def request_saved_failed(self, error: BaseException) -> None:
        self.request_saved.show_error(describe(error))

    def nextId(self) -> int:
        return int(Pages.USB_DEBUGGING if self.w.is_phone else Pages.ATTEST)
