"""The first pages: what was found, then one page per banned app to remove."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from audit.i18n import N_, _, ngettext
from audit.model import FindingStatus
from audit.policy import status_text
from audit.remediation import PlanState
from ui.plain import label
from ui.wizard.base import WizardPage
from ui.wizard.ids import Pages
from ui.wizard.keyring_notice import KeyringNotice
from ui.wizard.plan_panel import PlanPanel
from ui.wizard.texts import finding_line, policy_words
from ui.wizard.widgets import Kind, Notice, clear_layout, heading, lines, shown

if TYPE_CHECKING:
    from ui.wizard.host import WizardHost

_GROUPS = (
    (FindingStatus.EXCEPTED, N_("Kept under an exemption")),
    (FindingStatus.REVIEW, N_("Possible matches to look at (not counted as banned)")),
    (FindingStatus.RESOLVED, N_("Banned apps in a state the policy allows")),
)


def device_title(wizard: WizardHost) -> str:
    device = wizard.session.device
    name = device.name or device.model or device.id
    if device.simulated and "simulated" not in name.lower():
        return _("{name} (SIMULATED)").format(name=name)
    return name


class ReviewPage(WizardPage):
    def __init__(self, wizard: WizardHost) -> None:
        super().__init__(wizard, "reviewPage")
        before = wizard.session.before
        self.setTitle(shown(_("Banned apps on {device}").format(device=device_title(wizard))))
        self.setSubTitle(
            _(
                "Device Audit walks you through removing each banned app, checks the device "
                "again, and then makes a signed record. Nothing is changed until you press a "
                "button."
            )
        )
        policy = _("Policy: {policy}").format(policy=policy_words(before.policy))
        self.body.addWidget(label(policy, self.content))
        status = status_text(before)
        if wizard.resumed is not None:  # the first scan of a removal carried on
            status = _("When first checked: {status}").format(status=status)
        self.body.addWidget(label(status, self.content, name="status"))
        self.simulated = Notice(self.content, name="simulated")
        if wizard.session.device.simulated:
            self.simulated.show_message(
                Kind.INFO,
                _("This is a simulated phone"),
                _(
                    "Device Audit's demo phone: nothing on a real phone is changed, and the "
                    "signed record says the device was simulated."
                ),
            )
        self.body.addWidget(self.simulated)
        self.keyring = KeyringNotice(wizard, self.content, signing=False)
        self.body.addWidget(self.keyring)
        self.carried_on = Notice(self.content, name="carriedOn")
        self._show_carried_on()
        self.body.addWidget(self.carried_on)
        self.summary = Notice(self.content, name="summary")
        self.body.addWidget(self.summary)
        self.lists = QWidget(self.content)
        self.lists_layout = QVBoxLayout(self.lists)
        self.lists_layout.setContentsMargins(0, 0, 0, 0)
        self.body.addWidget(self.lists)
        self.all_users = QCheckBox(
            _("Remove downloaded apps from every user and profile at once"), self.content
        )
        self.all_users.setAccessibleName(_("Remove downloaded apps from every user and profile"))
        self.all_users.setToolTip(
            _(
                "Instead of one profile at a time, for apps that were installed on the phone "
                "(from an app store or a file). Apps that came with the phone are always handled "
                "one profile at a time."
            )
        )
        self.all_users.toggled.connect(self._on_all_users)
        self.body.addWidget(self.all_users)
        self.body.addStretch(1)
        offer = wizard.is_phone and any(not p.finding.app.system for p in wizard.session.plans)
        self.all_users.setVisible(offer and wizard.resumed is None)  # fixed once begun

    def _show_carried_on(self) -> None:
        """A removal saved earlier is continued (or one could not be): say so first."""
        wizard = self.w
        resumed = wizard.resumed
        if resumed is not None:
            count = len(resumed.actions)
            begun = resumed.created_at.astimezone()
            self.carried_on.show_message(
                Kind.INFO,
                # Translators: {day} is 2026-03-31, {time} 14:05
                _("Carrying on with the removal begun {day} at {time}").format(
                    day=f"{begun:%Y-%m-%d}", time=f"{begun:%H:%M}"
                ),
                ngettext(
                    "What was done then is kept ({count} step) and shown on the pages that "
                    "follow. This list is what the device held before anything was removed; the "
                    "receipt shows it, what was done, and the new check.",
                    "What was done then is kept ({count} steps) and shown on the pages that "
                    "follow. This list is what the device held before anything was removed; the "
                    "receipt shows it, what was done, and the new check.",
                    count,
                ).format(count=count),
            )
        elif wizard.kept_note:
            self.carried_on.show_message(
                Kind.INFO, _("A saved removal was not used"), wizard.kept_note
            )

    def _on_all_users(self, on: bool) -> None:
        self.w.set_all_users(on)

    def refresh(self) -> None:
        session = self.w.session
        before = session.before
        scan = before.scan
        clear_layout(self.lists_layout)
        plans = self.w.first_plans
        dealt_with = {
            p.key for p in plans if session.plan_state(p) in (PlanState.DONE, PlanState.VERIFIED)
        }
        left = len(plans) - len(dealt_with)
        if left:
            self.summary.show_message(
                Kind.BAD,
                ngettext(
                    "{count} banned app to remove", "{count} banned apps to remove", left
                ).format(count=left),
                _("The next pages take them one at a time."),
            )
        elif plans:
            self.summary.show_message(
                Kind.GOOD,
                _("Every banned app found has been dealt with"),
                _("Device Audit checks the device again on the next pages, then you can sign."),
            )
        if plans:
            self.lists_layout.addWidget(heading(_("To remove"), self.lists))
            self.lists_layout.addWidget(
                lines(
                    [
                        _("{app} — done").format(app=finding_line(p.finding, scan))
                        if p.key in dealt_with
                        else finding_line(p.finding, scan)
                        for p in plans
                    ],
                    self.lists,
                )
            )
        else:
            self.summary.show_message(
                Kind.GOOD,
                _("Nothing to remove"),
                _("Device Audit will check the device once more, then you can sign the record."),
            )
        for status, title in _GROUPS:
            found = before.with_status(status)
            if found:
                self.lists_layout.addWidget(heading(_(title), self.lists))
                self.lists_layout.addWidget(
                    lines([finding_line(f, scan) for f in found], self.lists)
                )
        self.all_users.setEnabled(not session.attempts)

    def nextId(self) -> int:
        ids = self.w.remove_ids
        return ids[0] if ids else int(Pages.VERIFY)


class RemovePage(WizardPage):
    """One banned app: its plan, done a step at a time."""

    def __init__(self, wizard: WizardHost, index: int) -> None:
        super().__init__(wizard, f"removePage{index}")
        self.index = index
        self.plan = wizard.first_plans[index]
        count = len(wizard.first_plans)
        self.setTitle(shown(self.plan.title))
        self.setSubTitle(
            _(
                "Banned app {number} of {count}. Read what will happen, then press the button. "
                "You can also go on and come back later."
            ).format(number=index + 1, count=count)
        )
        self.panel = PlanPanel(wizard, self.plan, self.content, last=index == count - 1)
        self.body.addWidget(self.panel)
        self.body.addStretch(1)

    def refresh(self) -> None:
        self.panel.refresh()

    def first_field(self) -> QWidget | None:
        """The button of the first step still to do."""
        return next((b.button for b in self.panel.step_boxes if b.button.isVisibleTo(b)), None)

    def nextId(self) -> int:
        ids = self.w.remove_ids
        position = ids.index(int(Pages.REMOVE) + self.index)
        return ids[position + 1] if position + 1 < len(ids) else int(Pages.VERIFY)
