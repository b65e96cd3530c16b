"""Small widgets the wizard's pages share: notices, a busy bar, headings, plain-text lists.

Everything that shows text goes through ui.plain (plain text, never HTML); button and check box
captions escape '&', which Qt would otherwise read as a keyboard shortcut marker.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QRegularExpression, QSize, Qt
from PySide6.QtGui import QFont, QIcon, QPixmap, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from audit.i18n import _
from audit.text import visible
from ui import icons
from ui.banner import TONE_COLOURS, Tone
from ui.errors import UserMessage
from ui.plain import label


class Kind(StrEnum):
    GOOD = "good"
    BAD = "bad"
    WARN = "warn"
    INFO = "info"


_ICONS = {Kind.GOOD: "ok", Kind.BAD: "violation", Kind.WARN: "incomplete"}
INFO_ICON = Path(__file__).with_name("info.svg")  # a blue circle with an "i": information
_TONES = {Kind.GOOD: Tone.GOOD, Kind.BAD: Tone.BAD, Kind.WARN: Tone.WARN, Kind.INFO: Tone.INFO}
ICON_SIZE = QSize(22, 22)
NOT_BLANK = QRegularExpression(
    r".*\S.*", QRegularExpression.PatternOption.DotMatchesEverythingOption
)


def require_text(field: QLineEdit) -> None:
    """Blank or only spaces is not acceptable input (for QWizard's mandatory fields too)."""
    field.setValidator(QRegularExpressionValidator(NOT_BLANK, field))


def shown(text: str) -> str:
    """Text for a title or a window title: visible escapes for invisible characters."""
    return visible(text, keep="\n")


def caption(text: str) -> str:
    """Text for a button or check box: '&' shown as itself, not as a shortcut marker."""
    return visible(text, keep="\n").replace("&", "&&")


def heading(text: str, parent: QWidget | None = None, *, name: str = "") -> QLabel:
    widget = label(text, parent, name=name)
    font = QFont(widget.font())
    font.setBold(True)
    widget.setFont(font)
    return widget


def kind_pixmap(kind: Kind) -> QPixmap:
    """Each kind has its own shape (tick, octagon, triangle, "i"), not only its own colour."""
    if kind is Kind.INFO:
        return QIcon(str(INFO_ICON)).pixmap(ICON_SIZE)
    return icons.icon(_ICONS[kind]).pixmap(ICON_SIZE)


def icon_label(kind: Kind, parent: QWidget | None = None) -> QLabel:
    widget = QLabel(parent)
    widget.setPixmap(kind_pixmap(kind))
    widget.setFixedSize(ICON_SIZE)
    widget.setAlignment(Qt.AlignmentFlag.AlignTop)
    return widget


class Notice(QFrame):
    """A boxed message: an icon that tells its kind by shape, a title, text and a next step.

    The frame's coloured edge is one of the banner's fixed tones; the text uses the palette.
    """

    def __init__(self, parent: QWidget | None = None, *, name: str = "") -> None:
        super().__init__(parent)
        if name:
            self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.icon = QLabel(self)
        self.icon.setFixedSize(ICON_SIZE)
        self.title = heading("", self)
        self.text = label("", self)
        self.next_step = label("", self)
        self.show_details = QToolButton(self)
        self.show_details.setCheckable(True)
        self.show_details.setAutoRaise(True)
        self.show_details.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.show_details.setText(_("Details for IT"))
        self.show_details.setAccessibleName(_("Details for IT"))
        self.show_details.setArrowType(Qt.ArrowType.RightArrow)
        self.show_details.toggled.connect(self._fold)
        self.details = label("", self, name="details")
        column = QVBoxLayout()
        column.setSpacing(4)
        column.addWidget(self.title)
        column.addWidget(self.text)
        column.addWidget(self.next_step)
        column.addWidget(self.show_details, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.details)
        self.show_details.hide()
        self.details.hide()
        row = QHBoxLayout(self)
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(column, 1)
        self.kind = Kind.INFO
        self.hide()

    def show_message(
        self, kind: Kind, title: str, text: str = "", next_step: str = "", details: str = ""
    ) -> None:
        self.kind = kind
        colour = TONE_COLOURS[_TONES[kind]]
        name = self.objectName() or "notice"
        self.setObjectName(name)
        self.setStyleSheet(
            f"#{name} {{ border: 1px solid palette(mid); border-left: 5px solid {colour}; }}"
        )
        self.icon.setPixmap(kind_pixmap(kind))
        self.title.setText(title)
        self.title.setVisible(bool(title))
        self.text.setText(text)
        self.text.setVisible(bool(text))
        self.next_step.setText(_("What to do: {step}").format(step=next_step) if next_step else "")
        self.next_step.setVisible(bool(next_step))
        self.details.setText(details)
        self.show_details.setVisible(bool(details))
        self._fold(self.show_details.isChecked())
        self.setAccessibleName(title)
        self.setAccessibleDescription("\n".join(t for t in (text, next_step) if t))
        self.show()

    def _fold(self, open_: bool) -> None:
        """Details (commands and settings for IT) stay folded until asked for."""
        shown_ = open_ and bool(self.details.text())
        self.details.setVisible(shown_)
        self.show_details.setArrowType(
            Qt.ArrowType.DownArrow if shown_ else Qt.ArrowType.RightArrow
        )

    def show_error(self, message: UserMessage) -> None:
        self.show_message(Kind.BAD, message.title, message.text, message.next_step, message.details)

    def clear(self) -> None:
        self.title.setText("")
        self.text.setText("")
        self.next_step.setText("")
        self.details.setText("")
        self.show_details.setChecked(False)
        self.show_details.hide()
        self.hide()

    def all_text(self) -> str:
        parts = (self.title.text(), self.text.text(), self.next_step.text())
        return "\n".join(p for p in parts if p)


class BusyBar(QWidget):
    """A progress bar with what is happening now; a bar with no range while there is no figure."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.bar.setAccessibleName(_("Progress"))
        self.bar.setTextVisible(False)
        self.text = label("", self, selectable=False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        self.hide()

    def start(self, text: str) -> None:
        self.bar.setRange(0, 0)
        self.text.setText(text)
        self.show()

    def update_progress(self, fraction: float, text: str) -> None:
        if fraction > 0:  # until there is a figure, the bar keeps moving to show work goes on
            self.bar.setRange(0, 100)
            self.bar.setValue(round(fraction * 100))
        if text:
            self.text.setText(text)

    def stop(self) -> None:
        self.hide()


def lines(
    items: Sequence[str], parent: QWidget | None = None, *, numbered: bool = False
) -> QWidget:
    """A list of sentences, one plain label each ("1." or a bullet before it)."""
    box = QWidget(parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(12, 0, 0, 0)
    layout.setSpacing(2)
    for number, item in enumerate(items, 1):
        marker = f"{number}." if numbered else "\u2022"
        layout.addWidget(label(f"{marker} {item}", box))
    return box


def clear_layout(layout: QLayout) -> None:
    """Remove and delete every widget and sub-layout of `layout`."""
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        widget = item.widget()
        if widget is not None:
            widget.hide()
            widget.deleteLater()
        child = item.layout()
        if child is not None:
            clear_layout(child)


def scrolled(content: QWidget, parent: QWidget | None = None) -> QScrollArea:
    """`content` in a frameless scroll area that follows the palette."""
    area = QScrollArea(parent)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(content)
    content.setAutoFillBackground(False)
    area.viewport().setAutoFillBackground(False)
    return area


def confirm(parent: QWidget, title: str, text: str, button: str, *, keep: str = "") -> bool:
    """Ask a yes-or-no question in a dialog; True when `button` was pressed. `keep` names the
    button that does nothing (the default; "Cancel" when not given)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(shown(title))
    box.setTextFormat(box.textFormat().PlainText)
    box.setText(shown(text))
    yes = box.addButton(caption(button), QMessageBox.ButtonRole.AcceptRole)
    if keep:
        no = box.addButton(caption(keep), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no)
        box.setEscapeButton(no)
    else:
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes
