"""Text from devices and files is shown as plain text, everywhere, by these helpers.

A package label such as `<img src=file:///etc/passwd>` must read literally: QLabel renders
anything that looks like HTML unless told not to, and tool tips have no plain-text switch at all,
so tool tips are escaped into a rich-text document whose only content is the literal text.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from audit.text import visible


class SafeLabel(QLabel):
    """A plain-text label whose control and direction characters (a right-to-left override in
    a phone's name) are shown as visible escapes, so they cannot reorder or hide the text."""

    def setText(self, text: str) -> None:  # Qt's name
        super().setText(visible(text, keep="\n"))


def label(
    text: str = "",
    parent: QWidget | None = None,
    *,
    wrap: bool = True,
    selectable: bool = True,
    name: str = "",
) -> QLabel:
    """A QLabel that never interprets its text and shows invisible characters as escapes."""
    widget = SafeLabel(parent)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    widget.setWordWrap(wrap)
    if selectable:
        widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        widget.setObjectName(name)
    widget.setText(text)
    return widget


def tooltip(text: str) -> str:
    """A tool tip that shows `text` literally (tool tips otherwise guess at HTML)."""
    if not text:
        return ""
    body = html.escape(text, quote=False).replace("\n", "<br>")
    return f"<p style='white-space:pre-wrap'>{body}</p>"
