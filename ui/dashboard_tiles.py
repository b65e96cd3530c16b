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

from audit.i18n import N_, _, ngettext, record_date
from audit.model import DeviceStatus
from audit.words import status_label
from ui import icons
from ui.banner import TONE_COLOURS, Tone
from ui.plain import label, tooltip

if TYPE_CHECKING:
    from audit.store import DashboardCounts
EXPIRING = "expiring"  # the tile for exemptions that end soon (not a DeviceStatus)


@dataclass(frozen=True)
class Tile:
    """One count's look. `words` and `explains` are marked for the catalogue and translated by
    `label()` and `meaning()`; a status's tile has no words of its own (audit/words.py's)."""

    key: str  # a DeviceStatus value or EXPIRING
    words: str
    tone: Tone
    icon: str
    explains: str  # what the count means, for the tool tip and screen readers

    def label(self) -> str:
        """ "Not compliant", "Exemptions ending soon": in the language in use."""
        return _(self.words) if self.words else status_label(DeviceStatus(self.key))

    def meaning(self) -> str:
        return _(self.explains)


TILES = (
    Tile(
        DeviceStatus.COMPLIANT.value,
        "",  # a status: its words are audit/words.py's
        Tone.GOOD,
        "ok",
        N_("No banned app on the device at its last check."),
    ),
    Tile(
        DeviceStatus.COMPLIANT_WITH_EXCEPTIONS.value,
        "",  # a status: its words are audit/words.py's
        Tone.GOOD,
        "excepted",
        N_("Banned apps kept under an exemption that is still valid."),
    ),
    Tile(
        DeviceStatus.NON_COMPLIANT.value,
        "",  # a status: its words are audit/words.py's
        Tone.BAD,
        "violation",
        N_("Banned apps still there, before the deadline (or their exemption has ended)."),
    ),
    Tile(
        DeviceStatus.OVERDUE.value,
        "",  # a status: its words are audit/words.py's
        Tone.BAD,
        "overdue",
        N_("Banned apps still there after the deadline."),
    ),
    Tile(
        EXPIRING,
        N_("Exemptions ending soon"),
        Tone.WARN,
        "review",
        N_("Compliant only through an exemption that ends within the coming days."),
    ),
    Tile(
        DeviceStatus.INCOMPLETE.value,
        N_("Incomplete checks"),
        Tone.WARN,
        "incomplete",
        N_("The last check could not see everything: check these devices again."),
    ),
)

# What a count rests on (docs/security.md): kept apart from TILES, whose keys are statuses the
# chart stacks. The keys are audit.store.behind's (UNWITNESSED, OLDER_VERSION), spelled here so
# that the window loads no store module before it opens.
UNWITNESSED = "unwitnessed"
OLDER_VERSION = "older_version"
TRUST_TILES = (
    Tile(
        UNWITNESSED,
        N_("Compliant, not witnessed"),
        Tone.WARN,
        "review",
        N_(
            "Compliant at the last check, but not on a receipt signed at the helpdesk bench by an "
            "enrolled technician: the staff member's own signed word, or no receipt."
        ),
    ),
    Tile(
        OLDER_VERSION,
        N_("Checked under an older version of this policy"),
        Tone.INFO,
        "unknown",
        N_(
            "Judged against an earlier text of this policy than the one in force now: check these "
            "devices again to judge them under the current one. They are counted in their status "
            "too."
        ),
    ),
)
TILE_BY_KEY = {t.key: t for t in (*TILES, *TRUST_TILES)}

# Marked, translated where shown (`_(WITNESSED_ONLY_WORDS)`).
WITNESSED_ONLY_WORDS = N_("&Witnessed only")
WITNESSED_LOCKED_WORDS = N_("&Witnessed only (this policy asks for it)")  # said, not only greyed
WITNESSED_ONLY_TIP = N_(
    "Count a device as compliant only when its receipt was signed at the helpdesk bench by an "
    "enrolled technician, with the phone on a cable. A receipt a staff member signed on their "
    "own computer is their word, not a check by the helpdesk: with this on, such devices are "
    'counted as "Compliant, not witnessed", never as compliant.'
)
WITNESSED_LOCKED_TIP = N_(
    "This policy asks for witnessed receipts only, so only they count as compliant; the "
    "switch cannot be turned off for it."
)


def tile_count(counts: DashboardCounts, key: str, unwitnessed: int = 0) -> int:
    """A tile's number. `unwitnessed`: the compliant devices without a witnessed receipt, when
    the counts include them as compliant (witnessed-only counting off)."""
    if key == EXPIRING:
        return counts.expiring
    if key == UNWITNESSED:
        return counts.counts.unwitnessed if counts.witnessed_only else unwitnessed
    if key == OLDER_VERSION:
        return counts.older_version
    return counts.counts.of(DeviceStatus(key))


def unwitnessed_words(witnessed_only: bool) -> tuple[str, str]:
    """The "not witnessed" tile's words and what it means, in either way of counting."""
    tile = TILE_BY_KEY[UNWITNESSED]
    if witnessed_only:
        not_counted = _("Not counted as compliant.")
        return tile.label(), f"{tile.meaning()} {not_counted}"
    more = _('Counted as compliant above; switch on "Witnessed only" to count them apart.')
    return _("Of the compliant, not witnessed"), f"{tile.meaning()} {more}"


def deadline_words(counts: DashboardCounts) -> str:
    days = counts.days_to_deadline
    if counts.deadline is None or days is None:
        return _("This policy sets no deadline.")
    when = record_date(counts.deadline)
    if days > 0:
        return ngettext(
            "{count} day to the deadline ({day}).", "{count} days to the deadline ({day}).", days
        ).format(count=days, day=when)
    if days == 0:
        return _("Today is the deadline ({day}).").format(day=when)
    return ngettext(
        "The deadline ({day}) passed {count} day ago.",
        "The deadline ({day}) passed {count} days ago.",
        -days,
    ).format(count=-days, day=when)


def devices(count: int) -> str:
    return ngettext("{count} device", "{count} devices", count).format(count=count)


def summary_words(counts: DashboardCounts) -> str:
    total = counts.counts.total
    if total == 0:
        return _("No audits under this policy yet.")
    done = counts.counts.compliant + counts.counts.excepted
    # Translators: "2 of 3 devices are compliant (67%), as of 2026-03-20."
    words = ngettext(
        "{done} of {devices} is compliant ({percent}%), as of {day}.",
        "{done} of {devices} are compliant ({percent}%), as of {day}.",
        done,
    ).format(
        done=done,
        devices=devices(total),
        percent=round(100 * done / total),
        day=record_date(counts.today),
    )
    if counts.witnessed_only:
        unwitnessed = counts.counts.unwitnessed
        if unwitnessed:
            only = ngettext(
                "Witnessed receipts only: {devices} compliant, not witnessed, is not counted as "
                "compliant.",
                "Witnessed receipts only: {devices} compliant, not witnessed, are not counted as "
                "compliant.",
                unwitnessed,
            ).format(devices=devices(unwitnessed))
        else:
            only = _("Witnessed receipts only.")
        words += " " + only
    if counts.witnessed or counts.self_attested:  # docs/security.md: what a receipt is worth
        words += " " + _(
            "Signed receipts: {witnessed} witnessed at the bench, {self_attested} self-attested."
        ).format(witnessed=counts.witnessed, self_attested=counts.self_attested)
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
        self.words = label(tile.label(), self, selectable=False)
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

    def set_count(
        self, count: int, within: int = 14, *, words: str = "", explains: str = ""
    ) -> None:
        """Show `count`; `words` and `explains` replace the tile's own (the "not witnessed"
        tile reads differently as witnessed-only counting is on or off)."""
        self.count = count
        words = words or self.tile.label()
        explains = explains or self.tile.meaning()
        if self.tile.key == EXPIRING:
            words = ngettext(
                "Exemptions ending within {count} day",
                "Exemptions ending within {count} days",
                within,
            ).format(count=within)
        self.number.setText(str(count))
        self.words.setText(words)
        # Translators: a count's name for a screen reader, "Overdue: 2 devices"
        self.setAccessibleName(_("{words}: {devices}").format(words=words, devices=devices(count)))
        press = _("Press to list them.")
        description = f"{explains} {press}"
        self.setAccessibleDescription(description)
        self.setToolTip(tooltip(description))
