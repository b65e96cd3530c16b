"""The history window's "Re-judge under the current version" button.

It calls the same core function as `device-audit history rejudge` (Store.rejudge, through the
recorder and so ui.ops, off the GUI thread) for the policy the window shows, then shows the core's
own words (audit.store.rejudge.report_lines) as plain text and asks the window to refresh. It
owns no rule: which audits are re-judged, and that a re-judgement only ever lowers a verdict, are
the core's. Enabled only while one policy is chosen: re-judging "any policy" would be a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QLayout,
    QMessageBox,
    QPushButton,
    QWidget,
)

from audit.i18n import N_, _
from ui import errors

if TYPE_CHECKING:
    from audit.store import Store
    from audit.store.rejudge import RejudgeReport
    from ui.recorder import AuditRecorder

LABEL = N_("Re-judge under the current version")
TIP = N_(
    "Judge again, under the policy's current version, every device whose latest check was "
    "made under an older one, from the apps the history holds for it. No phone is scanned; "
    "a device is never made compliant this way."
)


class RejudgeButton(QPushButton):
    """Runs the re-judgement for `policy_id()` and shows what changed."""

    rejudged = Signal(object)
    """The RejudgeReport, once it is recorded (the window refreshes its list on it)."""

    def __init__(
        self,
        recorder: AuditRecorder,
        policy_id: Callable[[], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(_(LABEL), parent)
        self.recorder = recorder
        self.policy_id = policy_id
        self.message: QMessageBox | None = None  # the last result shown (for tests)
        self.setAccessibleName(_(LABEL))
        self.setToolTip(_(TIP))
        self.clicked.connect(self.start)
        self.update_enabled()

    def update_enabled(self, *_args: object) -> None:
        """Connect to the policy chooser's change: only one chosen policy can be re-judged."""
        self.setEnabled(bool(self.policy_id()) and not self._running())

    def _key(self) -> str:
        return f"history:rejudge:{id(self)}"

    def _running(self) -> bool:
        return self.recorder.ops.is_running(self._key())

    def start(self) -> None:
        policy = self.policy_id()
        if not policy:
            return

        def work(store: Store, _progress: object, _cancelled: object) -> RejudgeReport:
            report, _held = store.rejudge(policy)
            return report

        self.setEnabled(False)
        self.recorder.run(
            self._key(),
            work,
            self._done,
            self._failed,
            label=_("Re-judging the stored audits"),
        )

    def _done(self, report: RejudgeReport) -> None:
        from audit.store.rejudge import report_lines

        *lines, total = report_lines(report)
        box = QMessageBox(self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(_("Re-judged audits"))
        box.setTextFormat(Qt.TextFormat.PlainText)  # names came from devices and files
        box.setText(f"{total}\n\n" + "\n".join(lines))
        box.setAccessibleName(_("Re-judged audits"))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.message = box
        box.open()  # window-modal, without a nested event loop
        self.update_enabled()
        self.rejudged.emit(report)

    def _failed(self, error: BaseException) -> None:
        self.message = errors.show_error(self, error)
        self.update_enabled()


class _HistoryLike(Protocol):
    """What attach() needs of the history window (ui/history.py), named here so this module
    does not import it."""

    recorder: AuditRecorder
    policy: QComboBox
    close_button: QPushButton

    def refresh(self, *_args: object) -> None: ...


def attach(window: _HistoryLike) -> RejudgeButton:
    """Put the button in the history window's bottom row, before Close, enabled while one
    policy is chosen; the list refreshes once a re-judgement is recorded. The window's one-line
    hook: `self.rejudge = attach_rejudge(self)` at the end of HistoryWindow._build."""
    button = RejudgeButton(
        window.recorder,
        lambda: str(window.policy.currentData() or ""),
        window.close_button.parentWidget(),
    )
    row = _layout_holding(window.close_button)
    if row is not None:
        row.insertWidget(row.indexOf(window.close_button), button)
    window.policy.currentIndexChanged.connect(button.update_enabled)
    button.rejudged.connect(window.refresh)
    return button


def _layout_holding(widget: QWidget) -> QBoxLayout | None:
    parent = widget.parentWidget()
    top = None if parent is None else parent.layout()
    if top is None:
        return None
    pending: list[QLayout] = [top]
    while pending:
        layout = pending.pop()
        if isinstance(layout, QBoxLayout) and layout.indexOf(widget) >= 0:
            return layout
        pending += [c for c in layout.children() if isinstance(c, QLayout)]
    return None
