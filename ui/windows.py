"""Windows that fit the screen they open on, and the keys every secondary window answers.

A laptop at 1280×720 or 1366×768 has less room than the windows were designed for: a window
taller than the screen hides its bottom buttons (Back, Next, Close) below the edge. So each
window asks for the size it would like and gets at most what the screen has, less room for the
title bar and borders the desktop adds; its pages scroll inside instead. Several removal windows
open one below and right of the other, so that none hides another exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, QUrl
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from audit.i18n import _
from ui.plain import label

FRAME = QSize(16, 48)
"""Room kept for what the desktop adds around a window: borders, and the title bar above."""
CASCADE = 32
"""How far each further removal window opens below and right of the one before."""


def fitted(wanted: QSize, available: QRect, frame: QSize = FRAME) -> QSize:
    """`wanted`, made no larger than `available` once the window's frame is added."""
    return QSize(
        max(1, min(wanted.width(), available.width() - frame.width())),
        max(1, min(wanted.height(), available.height() - frame.height())),
    )


def placed(
    size: QSize, available: QRect, centre: QPoint, step: int = 0, frame: QSize = FRAME
) -> QPoint:
    """Where to move() a window whose inside is `size`: the top-left corner of its frame,
    centred on `centre`, `step` cascades down and right, and wholly inside `available` (the
    title bar stays on screen to move it by)."""
    outer = size + frame
    x = centre.x() - outer.width() // 2 + step * CASCADE
    y = centre.y() - outer.height() // 2 + step * CASCADE
    x = max(available.left(), min(x, available.right() + 1 - outer.width()))
    y = max(available.top(), min(y, available.bottom() + 1 - outer.height()))
    return QPoint(x, y)


def available_rect(window: QWidget) -> QRect:
    """The part of the window's screen (its parent's when it has one) free of panels."""
    owner = window.parentWidget() or window
    screen = owner.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Size `window` to width×height, or to what its screen has room for when less; its
    minimum size gives way too."""
    available = available_rect(window)
    size = fitted(QSize(width, height), available)
    minimum = window.minimumSize()
    window.setMinimumSize(min(minimum.width(), size.width()), min(minimum.height(), size.height()))
    window.resize(size)


def place(window: QWidget, step: int = 0) -> None:
    """Put `window` (not shown yet) over its parent, `step` cascades down and right, and on
    its screen."""
    available = available_rect(window)
    parent = window.parentWidget()
    centre = parent.frameGeometry().center() if parent is not None else available.center()
    window.move(placed(window.size(), available, centre, step))


def add_window_keys(window: QWidget, refresh: Callable[[], object] | None = None) -> None:
    """Esc and Ctrl+W close `window`; F5 runs `refresh` (reads what it shows again)."""
    close = QAction(_("Close"), window)
    keys = [QKeySequence("Esc"), QKeySequence("Ctrl+W")]
    keys += [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Close) if k not in keys]
    close.setShortcuts(keys)
    close.triggered.connect(lambda _=False: window.close())
    window.addAction(close)
    if refresh is not None:
        again = QAction(_("Refresh"), window)
        again.setShortcut(QKeySequence("F5"))
        again.triggered.connect(lambda _=False: refresh())
        window.addAction(again)


class NotOpened(QWidget):
    """Said when the desktop opened nothing ("Open the PDF", "Show the file" on a computer with
    no program for it): what could not be opened, and its path, to copy and open by hand."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notOpened")
        self.words = label("", self, name="notOpenedWords")
        self.path = QLineEdit(self)
        self.path.setReadOnly(True)
        self.path.setAccessibleName(_("The file's place on this computer, to copy"))
        self.copy = QPushButton(_("Cop&y the path"), self)
        self.copy.setAccessibleName(_("Copy the file's place on this computer"))
        self.copy.clicked.connect(self._copy)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.copy)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.words)
        layout.addLayout(row)
        self.hide()

    def open(
        self, opener: Callable[[QUrl], bool], path: Path, what: str, shown: Path | None = None
    ) -> bool:
        """Ask the desktop to open `path` (`what` names it: "the PDF", "the folder", translated by
        the caller); when it does not, say so and show the path (`shown`, when that is the file
        in a folder)."""
        if opener(QUrl.fromLocalFile(str(path))):
            self.hide()
            return True
        self.words.setText(
            # Translators: {what} is "the PDF", "the folder", "the receipt"
            _(
                "This computer has no program set up to open {what}, so nothing opened. It is "
                "here: copy its place below and open it yourself, or send the file to someone "
                "who can."
            ).format(what=what)
        )
        self.path.setText(str(shown or path))
        self.show()
        self.path.setFocus()
        self.path.selectAll()
        return False

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.path.text())
