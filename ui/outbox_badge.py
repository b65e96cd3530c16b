"""The main window says, for as long as it lasts, that audits wait on this computer (issue 18).

When the team history's server cannot be reached, audits are recorded in the outbox
(audit.store.outbox) and sent later. A status message that fades after 30 seconds is easy to
miss, and a bench that closes for the night with audits waiting has not told the compliance
office what it did. So a badge in the status bar counts them while there are any, and a
"Send now" button (also in the File menu) sends them through the recorder's write queue, off
the window's thread, after the writes asked before it. What the send did is said in words:
how many were sent, that the server still cannot be reached, or why the team refused one.

The count comes from the recorder (`waiting_changed`): after each write to a team history,
each send, each switch of history, and once at start (an outbox an earlier run left).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStatusBar, QStyle, QToolButton, QWidget

from audit.i18n import N_, _, ngettext
from ui.plain import label, tooltip
from ui.recorder import AuditRecorder

if TYPE_CHECKING:  # loading audit.workflow here would load the whole workflow at start
    from audit.workflow.notices import Notice

SENT_MESSAGE_MS = 30_000


def waiting_words(count: int) -> str:
    """The badge's words: plain news, the count first."""
    return ngettext(
        "{count} audit waits on this computer: not in the team history yet",
        "{count} audits wait on this computer: not in the team history yet",
        count,
    ).format(count=count)


WHY = N_(
    "The team history's server could not be reached when they were recorded. Nothing is "
    "lost: they are sent with Send now once the server is back, or at the next audit "
    "Device Audit records after it starts again."
)


class OutboxBadge(QObject):
    """The badge and its Send now action, in `bar` (see the module docstring)."""

    message = Signal(str, int)
    """Words for the status bar, and for how long (what a send did)."""

    def __init__(
        self, bar: QStatusBar, recorder: AuditRecorder, action: QAction, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.recorder = recorder
        self.action = action
        self.last = ""  # what the last send said
        self.frame = QFrame(parent)
        self.frame.setObjectName("outboxBadge")
        self.frame.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self.frame)
        layout.setContentsMargins(4, 0, 2, 0)
        icon = QLabel(self.frame)  # the style's own "for your information" sign: seen at a glance
        size = self.frame.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        info = self.frame.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        icon.setPixmap(info.pixmap(size, size))
        layout.addWidget(icon)
        self.text = label("", self.frame, wrap=False, selectable=False, name="outboxWaiting")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.button = QToolButton(self.frame)
        self.button.setObjectName("sendNowButton")
        self.button.setDefaultAction(action)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        layout.addWidget(self.text)
        layout.addWidget(self.button)
        bar.insertPermanentWidget(0, self.frame)
        action.triggered.connect(lambda _checked=False: self.send())
        recorder.waiting_changed.connect(lambda _count: self.show_state())
        recorder.sent.connect(self._sent)
        recorder.switched.connect(self.show_state)
        self.show_state()

    def send(self) -> None:
        """Send what waits, in the background; the button is off until it is done."""
        if self.recorder.sending or not self.recorder.team:
            return
        self.recorder.send_now()
        self.show_state()

    def _sent(self, notice: Notice) -> None:
        self.last = f"{notice.text} {notice.next_step}".strip()
        self.message.emit(self.last, SENT_MESSAGE_MS)
        self.show_state()

    def show_state(self) -> None:
        """Show the badge while audits wait (hidden at none), the button on when they can be
        sent now (a team history in use, no send under way)."""
        count = self.recorder.waiting or 0
        self.frame.setVisible(count > 0)
        words = waiting_words(count) if count else ""
        self.text.setText(words)
        sending = self.recorder.sending
        team = self.recorder.team
        self.action.setText(_("Sending…") if sending else _("Send now"))
        self.action.setEnabled(count > 0 and team and not sending)
        if not team:
            why = _("Choose the team history with File › Team history… to send them.")
        else:
            why = _(WHY)
        tip = f"{why}\n{self.last}".strip() if self.last else why
        self.action.setToolTip(why)
        self.action.setStatusTip(why)
        self.text.setToolTip(tooltip(tip))  # a server's words are not HTML
        self.frame.setAccessibleName(_("Audits waiting to be sent"))
        self.frame.setAccessibleDescription(f"{words}. {tip}" if words else "")
        self.text.setAccessibleName(words)
        self.button.setAccessibleName(self.action.text())
