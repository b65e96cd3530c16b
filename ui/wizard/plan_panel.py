"""One banned app's removal plan on screen: what was found, each step with the exact words of
what will happen, a button that does it (or "I've done this" for a step done by hand), the
result with advice when it failed, other ways to do it, and Restore for a built-in app.

The panel only shows; the wizard (ui.wizard.wizard) runs steps off the GUI thread and tells
every panel to refresh when the session changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from audit.i18n import N_, _
from audit.model import FindingStatus
from audit.remediation import PlanState, RemovalPlan, Step, StepState, undo_step
from ui.errors import describe
from ui.plain import label
from ui.wizard.texts import finding_line, finding_words, result_text
from ui.wizard.widgets import (
    BusyBar,
    Kind,
    Notice,
    caption,
    heading,
    icon_label,
    kind_pixmap,
    lines,
)

if TYPE_CHECKING:
    from ui.wizard.host import WizardHost

# Marked here, translated where shown (issue 17).
STEP_STATE_WORDS = {
    StepState.PENDING: N_("Not done yet."),
    StepState.DONE: N_("Done."),
    StepState.FAILED: N_("This did not work. You can try again, or use another way below."),
    StepState.NOT_NEEDED: N_("Not needed any more: this app is dealt with another way."),
}

PLAN_STATE_WORDS = {
    PlanState.PENDING: (N_("Not removed yet."), Kind.INFO),
    PlanState.IN_PROGRESS: (N_("Partly done: finish the steps below."), Kind.WARN),
    PlanState.FAILED: (N_("Not removed: the last try did not work."), Kind.BAD),
    PlanState.DONE: (
        N_("Done. Device Audit checks the device again after the last app."),
        Kind.GOOD,
    ),
    PlanState.VERIFIED: (
        N_(
            "Checked: the app is gone, or in a state the policy allows (for example removed for "
            "this profile)."
        ),
        Kind.GOOD,
    ),
    PlanState.STILL_THERE: (
        N_("The check still finds this app. Try another way below."),
        Kind.BAD,
    ),
}

DONE_ON_CHECK_PAGE = N_("Done. Device Audit checks the device again now.")
DONE_ON_LAST_PAGE = N_("Done. Device Audit checks the device again on the next page.")
OTHER_WAYS = N_("Other ways to do this")
OTHER_WAYS_IF_FAILED = N_("Other ways to do this (if the button above fails)")


class StepBox(QFrame):
    """One step: its words, its button, its result."""

    def __init__(
        self,
        wizard: WizardHost,
        step: Step,
        parent: QWidget | None = None,
        *,
        show_title: bool = True,
    ) -> None:
        super().__init__(parent)
        self.wizard = wizard
        self.step = step
        self.undo = undo_step(step)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(step.title)
        layout = QVBoxLayout(self)
        self.title = heading(step.title, self)
        self.title.setVisible(show_title)
        self.state = label("", self)
        self.state.setVisible(show_title)  # one step alone: the plan's state line says it
        layout.addWidget(self.title)
        layout.addWidget(self.state)
        self.before: list[QWidget] = []  # the words shown only while the step is still to do
        if step.automatic:
            intro = label(_("What will happen when you press the button:"), self)
            self.confirmation = label(step.confirmation, self, name="confirmation")
            self.before = [intro, self.confirmation]
            layout.addWidget(intro)
            layout.addWidget(self.confirmation)
        else:
            if step.why_manual:
                layout.addWidget(label(step.why_manual, self))
            if step.instructions:
                layout.addWidget(label(_("Do this yourself:"), self))
                layout.addWidget(lines(step.instructions, self, numbered=True))
            if step.copy_command:
                layout.addLayout(self._command_row(step.copy_command))
            self.confirmation = label(
                # Translators: "I've done this" is the button's text (the same words there)
                _("Pressing \u201cI've done this\u201d records: {confirmation}").format(
                    confirmation=step.confirmation
                ),
                self,
                name="confirmation",
            )
            layout.addWidget(self.confirmation)
        layout.addLayout(self._buttons())
        self.busy = BusyBar(self)
        layout.addWidget(self.busy)
        self.result = Notice(self, name="result")
        layout.addWidget(self.result)
        wizard.changed.connect(self.refresh)
        wizard.busy_changed.connect(self.refresh)
        wizard.progressed.connect(self._on_progress)
        self.refresh()

    def _buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        self.button = QPushButton(self)
        self.button.setAccessibleName(self.step.title)
        self.button.clicked.connect(self._on_button)
        buttons.addWidget(self.button)
        self.undo_button = QPushButton(self)
        if self.undo is not None:
            self.undo_button.setText(caption(self.undo.title))
            self.undo_button.setAccessibleName(self.undo.title)
            self.undo_button.clicked.connect(self._on_undo)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        return buttons

    def _command_row(self, command: str) -> QHBoxLayout:
        row = QHBoxLayout()
        field = QLineEdit(command, self)
        field.setReadOnly(True)
        field.setAccessibleName(_("Command to copy"))
        field.setCursorPosition(0)
        copy = QPushButton(_("Copy"), self)
        copy.setAccessibleName(_("Copy the command"))
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(command))
        row.addWidget(field, 1)
        row.addWidget(copy)
        return row

    # --- what the buttons do ----------------------------------------------------------------

    def _on_button(self) -> None:
        if self.step.automatic:
            self.wizard.run_step(self.step)
        else:
            self.wizard.confirm_step(self.step)

    def _on_undo(self) -> None:
        if self.undo is None:
            return
        if self.wizard.ask_confirm(self, self.undo.title, self.undo.confirmation, self.undo.title):
            self.wizard.undo_step(self.step)

    def _on_progress(self, fraction: float, text: str) -> None:
        if self.wizard.busy_with == self.step.id:
            self.busy.update_progress(fraction, text)

    # --- showing the session's state --------------------------------------------------------

    def refresh(self) -> None:
        session = self.wizard.session
        state = session.step_state(self.step)
        self.state.setText(_(STEP_STATE_WORDS[state]))
        busy = self.wizard.busy
        if self.step.automatic:
            text = self.step.title
            if state is StepState.FAILED:
                text = _("Try again: {step}").format(step=self.step.title)
        else:
            text = _("I've done this")
        self.button.setText(caption(text))
        open_ = state in (StepState.PENDING, StepState.FAILED)
        for widget in self.before:
            widget.setVisible(open_)
        self.button.setVisible(open_)
        self.button.setEnabled(open_ and not busy)
        can_undo = self.undo is not None and state is StepState.DONE
        self.undo_button.setVisible(can_undo)
        self.undo_button.setEnabled(can_undo and not busy)
        if self.wizard.busy_with == self.step.id:
            if self.busy.isHidden():
                self.busy.start(self.wizard.busy_text)
        else:
            self.busy.stop()
        self._show_result()

    def _show_result(self) -> None:
        if self.wizard.busy_with == self.step.id:  # tried again: the last answer is old news
            self.result.clear()
            return
        error = self.wizard.step_errors.get(self.step.id)
        if error is not None:
            self.result.show_error(describe(error))
            return
        attempt = self.wizard.last_attempt(self.step)
        if attempt is None:
            self.result.clear()
            return
        words = result_text(attempt.step, attempt.result, self.wizard.session.before.scan)
        kind = Kind.GOOD if words.ok else Kind.BAD
        self.result.show_message(kind, words.headline, words.detail, words.advice)


class PlanPanel(QWidget):
    """A whole plan: the finding, the policy's note, its steps and its other ways."""

    def __init__(
        self,
        wizard: WizardHost,
        plan: RemovalPlan,
        parent: QWidget | None = None,
        *,
        on_check_page: bool = False,
        last: bool = False,
    ) -> None:
        super().__init__(parent)
        self.wizard = wizard
        self.plan = plan
        self.on_check_page = on_check_page  # the check page checks again as soon as a step is done
        self.last = last  # the last removal page: the check is the next page, not after more apps
        session = wizard.session
        finding = plan.finding
        scan = session.before.scan
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        found = _("Found: {app}.").format(app=finding_line(finding, scan))
        self.found = label(found, self, name="found")
        layout.addWidget(self.found)
        if finding.status is FindingStatus.VIOLATION:
            layout.addWidget(label(finding_words(finding, session.before.day), self, name="why"))
        self.note = Notice(self, name="policyNote")
        if plan.policy_note:
            self.note.show_message(Kind.INFO, _("What this policy accepts"), plan.policy_note)
        layout.addWidget(self.note)
        state_row = QHBoxLayout()
        self.state_icon = icon_label(Kind.INFO, self)
        self.state = heading("", self, name="planState")
        state_row.addWidget(self.state_icon)
        state_row.addWidget(self.state, 1)
        layout.addLayout(state_row)
        self.step_boxes: list[StepBox] = []
        for step in plan.steps:
            box = StepBox(wizard, step, self, show_title=len(plan.steps) > 1)
            self.step_boxes.append(box)
            layout.addWidget(box)
        self.other_ways = QToolButton(self)
        self.other_ways.setCheckable(True)
        self.other_ways.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.other_ways.setAutoRaise(True)
        self.other_ways.setAccessibleName(_(OTHER_WAYS))
        self.other_ways.toggled.connect(self._show_other_ways)
        self.alternatives = QWidget(self)
        column = QVBoxLayout(self.alternatives)
        column.setContentsMargins(0, 0, 0, 0)
        for step in plan.alternatives:
            box = StepBox(wizard, step, self.alternatives, show_title=True)
            self.step_boxes.append(box)
            column.addWidget(box)
        layout.addWidget(self.other_ways)
        layout.addWidget(self.alternatives)
        self.other_ways.setVisible(bool(plan.alternatives))
        self.alternatives.hide()
        self._opened = False
        wizard.changed.connect(self.refresh)
        self.refresh()

    def _show_other_ways(self, on: bool) -> None:
        self.alternatives.setVisible(on)
        self.other_ways.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        done = self.wizard.session.plan_state(self.plan) in (PlanState.DONE, PlanState.VERIFIED)
        self.other_ways.setText(_(OTHER_WAYS) if on or done else _(OTHER_WAYS_IF_FAILED))

    def refresh(self) -> None:
        state = self.wizard.session.plan_state(self.plan)
        words, kind = PLAN_STATE_WORDS[state]
        if state is PlanState.DONE and self.on_check_page:
            words = DONE_ON_CHECK_PAGE
        elif state is PlanState.DONE and self.last:
            words = DONE_ON_LAST_PAGE
        self.state.setText(_(words))
        self.state_icon.setPixmap(kind_pixmap(kind))
        if self.plan.alternatives:
            wanted = state in (PlanState.FAILED, PlanState.STILL_THERE)
            if wanted and not self._opened:
                self._opened = True  # open once; the person may close it again
                self.other_ways.setChecked(True)
            self._show_other_ways(self.other_ways.isChecked())

    def box_for(self, step_id: str) -> StepBox:
        return next(b for b in self.step_boxes if b.step.id == step_id)
