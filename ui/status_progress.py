"""The progress of the selected device's work, in the main window's status bar.

Split out of the main window. Quick work never flashes a progress bar: the bar, its words and
its Stop button show only once the work has run for a moment (PROGRESS_DELAY_MS), the way
Anki's progress manager waits before it shows its dialog.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QProgressBar, QStatusBar, QToolButton, QWidget

from audit.i18n import _
from ui.ops import Operations
from ui.plain import label

PROGRESS_DELAY_MS = 300


class StatusProgress(QObject):
    """A progress bar, its words and a Stop button at the right of a status bar."""

    def __init__(
        self, bar: QStatusBar, operations: Operations, stop: QAction, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.ops = operations
        self.key = ""
        self.progress_bar = QProgressBar(parent)
        self.progress_bar.setAccessibleName(_("Progress"))
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setMaximumWidth(220)
        self.progress_text = label("", parent, wrap=False, selectable=False, name="progressText")
        self.progress_cancel = QToolButton(parent)
        self.progress_cancel.setDefaultAction(stop)
        self.progress_cancel.setAccessibleName(_("Stop"))
        bar.addPermanentWidget(self.progress_text)
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.progress_cancel)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PROGRESS_DELAY_MS)
        self._timer.timeout.connect(lambda: self.show_for(self.key))
        self.set_visible(False)

    def show_for(self, key: str) -> None:
        """Show the progress of the work running under `key` once it has run a moment."""
        self.key = key
        if not self.ops.is_running(key):
            self.set_visible(False)
            return
        wait_ms = PROGRESS_DELAY_MS - round(self.ops.running_for(key) * 1000)
        if wait_ms > 0:
            self._timer.start(wait_ms)
            self.set_visible(False)
            return
        latest = self.ops.current_progress(key)
        fraction, message = latest if latest is not None else (0.0, self.ops.label(key))
        self.progress_bar.setValue(round(fraction * 100))
        self.progress_text.setText(message)
        self.set_visible(True)

    def set_visible(self, visible: bool) -> None:
        self.progress_bar.setVisible(visible)
        self.progress_text.setVisible(visible)
        self.progress_cancel.setVisible(visible)
