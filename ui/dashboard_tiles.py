"""The dashboard's counts: one tile per status (and the exemptions ending soon), in words.

Split out of ui/dashboard.py (the window). Each count is a button with words and an icon shape
as well as its colour, so it reads without colour too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from audit.model import DeviceStatus
from ui import icons
from ui.banner import TONE_COLOURS, Tone
from ui.plain import label

if TYPE_CHECKING:
    from audit.store import DashboardCounts
EXPIRING = "expiring"  # the tile for exemptions that end soon (not a DeviceStatus)


@dataclass(frozen=True)
class Tile:
    key: str  # a DeviceStatus value or EXPIRING
    words: str
    tone: Tone
    icon: str
    explains: str  # what the count means, for the tool tip and screen readers


TILES = (
    Tile(
        DeviceStatus.COMPLIANT.value,
        "Compliant",
        Tone.GOOD,
        "ok",
        "No banned app on the device at its last check.",
    ),
    Tile(
        DeviceStatus.COMPLIANT_WITH_EXCEPTIONS.value,
        "Compliant with exceptions",
        Tone.GOOD,
        "excepted",
        "Banned apps kept under an exemption that is still valid.",
    ),
    Tile(
        DeviceStatus.NON_COMPLIANT.value,
        "Not compliant",
        Tone.BAD,
        "violation",
        "Banned apps still there, before the deadline (or their exemption has ended).",
    ),
    Tile(
        DeviceStatus.OVERDUE.value,
        "Overdue",
        Tone.BAD,
        "overdue",
        "Banned apps still there after the deadline.",
    ),
    Tile(
        EXPIRING,
        "Exemptions ending soon",
        Tone.WARN,
        "review",
        "Compliant only through an exemption that ends within the coming days.",
    ),
    Tile(
        DeviceStatus.INCOMPLETE.value,
        "Incomplete checks",
        Tone.WARN,
        "incomplete",
        "The last check could not see everything: check these devices again.",
    ),
)
TILE_BY_KEY = {t.key: t for t in TILES}


def tile_count(counts: DashboardCounts, key: str) -> int:
    if key == EXPIRING:
        return counts.expiring
    return counts.counts.of(DeviceStatus(key))


def deadline_words(counts: DashboardCounts) -> str:
    days = counts.days_to_deadline
    if counts.deadline is None or days is None:
        return "This policy sets no deadline."
    when = counts.deadline.isoformat()
    if days > 0:
        return f"{days} day{'s' if days != 1 else ''} to the deadline ({when})."
    if days == 0:
        return f"Today is the deadline ({when})."
    return f"The deadline ({when}) passed {-days} day{'s' if days != -1 else ''} ago."


def devices(count: int) -> str:
    return f"{count} device{'s' if count != 1 else ''}"


def summary_words(counts: DashboardCounts) -> str:
    total = counts.counts.total
    if total == 0:
        return "No audits under this policy yet."
    done = counts.counts.compliant + counts.counts.excepted
    words = (
        f"{done} of {devices(total)} {'is' if done == 1 else 'are'} compliant "
        f"({round(100 * done / total)}%), as of {counts.today.isoformat()}."
    )
    if counts.witnessed or counts.self_attested:  # docs/security.md: what a receipt is worth
        words += (
            f" Signed receipts: {counts.witnessed} witnessed at the bench, "
            f"{counts.self_attested} self-attested."
        )
    return words


class CountTile(QPushButton):
    """One count: its icon, the number, its words; pressing it lists the devices behind it."""

    def __init__(self, tile: Tile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tile = tile
        self.count = 0
        self.setObjectName(f"tile-{tile.key}")
        self.setCheckable(True)
        self.setMinimumSize(QSize(200, 72))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.icon_label = QLabel(self)
        self.icon_label.setPixmap(icons.icon(tile.icon).pixmap(QSize(32, 32)))
        self.number = label("0", self, wrap=False, selectable=False)
        font = QFont(self.number.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.number.setFont(font)
        self.words = label(tile.words, self, selectable=False)
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.number)
        text.addWidget(self.words)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 6, 10, 6)
        layout.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(text, 1)
        for child in (self.icon_label, self.number, self.words):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        colour = TONE_COLOURS[tile.tone]
        # The stripe carries the colour; the text keeps the palette's colours (light or dark).
        self.setStyleSheet(
            f"CountTile {{ border: 1px solid palette(mid); border-left: 8px solid {colour};"
            " border-radius: 4px; background: palette(base); }"
            " CountTile:checked { border: 3px solid palette(highlight);"
            f" border-left: 8px solid {colour}; background: palette(alternate-base); }}"
            " CountTile:focus { border-color: palette(highlight); }"
        )
        self.set_count(0)

    def set_count(self, count: int, within: int = 14) -> None:
        self.count = count
        words = self.tile.words
        if self.tile.key == EXPIRING:
            words = f"Exemptions ending within {within} days"
        self.number.setText(str(count))
        self.words.setText(words)
        self.setAccessibleName(f"{words}: {devices(count)}")
        self.setAccessibleDescription(f"{self.tile.explains} Press to list them.")
        self.setToolTip(f"{self.tile.explains} Press to list them.")
