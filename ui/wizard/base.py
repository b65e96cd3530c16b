"""What every page of the wizard shares: its content in a scroll area, and no Next while busy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget, QWizardPage

from ui.wizard.widgets import scrolled

if TYPE_CHECKING:
    from ui.wizard.host import WizardHost


class WizardPage(QWizardPage):
    def __init__(self, wizard: WizardHost, name: str) -> None:
        super().__init__()
        self.w = wizard
        self.setObjectName(name)
        self.content = QWidget()
        self.body = QVBoxLayout(self.content)
        self.body.setContentsMargins(0, 0, 8, 0)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolled(self.content, self))
        wizard.changed.connect(self._on_changed)
        wizard.currentIdChanged.connect(self._on_shown)

    def first_field(self) -> QWidget | None:
        """Where the keyboard starts on this page: its first field still to fill in (None: the
        wizard's own buttons). Without it the focus stays on the scrolling page, and what the
        person types is lost."""
        return None

    def _on_shown(self, _page_id: int) -> None:
        if self.w.currentPage() is not self:
            return
        field = self.first_field()
        if field is not None and field.isVisibleTo(self) and field.isEnabled():
            field.setFocus(Qt.FocusReason.TabFocusReason)

    def _on_changed(self) -> None:
        if self.w.currentPage() is self:
            self.refresh()

    def refresh(self) -> None:
        """Show the session's current state."""

    def initializePage(self) -> None:
        self.refresh()

    def isComplete(self) -> bool:
        return not self.w.busy and super().isComplete()
