"""Helpdesk mode: the queue of phones at the bench, each with its stage and the next step.

Phones join the queue as they are plugged in and are checked at once; the technician works
through them (select, Enter: the removal window opens for that phone) while others are checked
or wait. Several phones can be in progress at once: each has its own removal window, and the
queue says where each one is: waiting, checking, needs removal, removing, verified, attested,
unplugged.

The stage is worked out by `stage_of`, a pure function of what the main window knows about the
phone (`PhoneFacts`), so the rules are tested without windows. Every stage has its own words,
icon shape and badge colour: never colour alone. Phone names come from phones: plain text,
with invisible characters shown as escapes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from audit.i18n import N_, _, ngettext
from audit.model import DeviceStatus
from audit.provenance import short_note
from audit.sources.android.connection import reached_by
from audit.text import visible
from ui import icons
from ui.banner import TONE_COLOURS, Tone
from ui.device_list import STATUS_WORDS, ScanPhase
from ui.plain import label, tooltip
from ui.tables import EnumTableModel, set_up_table

if TYPE_CHECKING:
    from audit.store import AuditSummary

Index = QModelIndex | QPersistentModelIndex


class Stage(StrEnum):
    WAITING = "waiting"
    SCANNING = "scanning"
    NEEDS_REMOVAL = "needs_removal"
    CLEAN = "clean"  # checked, nothing to remove: ready to check again and sign
    REMOVING = "removing"  # its removal window is open
    VERIFIED = "verified"  # checked again after removal: ready to sign
    ATTESTED = "attested"
    REPORTED = "reported"  # a signed report that banned apps are still there
    FAILED = "failed"  # the check failed or could not see everything
    UNPLUGGED = "unplugged"


STAGE_WORDS = {
    Stage.WAITING: N_("Waiting"),
    Stage.SCANNING: N_("Checking…"),
    Stage.NEEDS_REMOVAL: N_("Needs removal"),
    Stage.CLEAN: N_("Nothing to remove"),
    Stage.REMOVING: N_("Removing…"),
    Stage.VERIFIED: N_("Verified"),
    Stage.ATTESTED: N_("Attested"),
    Stage.REPORTED: N_("Report signed"),
    Stage.FAILED: N_("Check failed"),
    Stage.UNPLUGGED: N_("Unplugged"),
}

STAGE_TONES = {
    Stage.WAITING: Tone.NEUTRAL,
    Stage.SCANNING: Tone.INFO,
    Stage.NEEDS_REMOVAL: Tone.BAD,
    Stage.CLEAN: Tone.GOOD,
    Stage.REMOVING: Tone.INFO,
    Stage.VERIFIED: Tone.GOOD,
    Stage.ATTESTED: Tone.GOOD,
    Stage.REPORTED: Tone.WARN,
    Stage.FAILED: Tone.WARN,
    Stage.UNPLUGGED: Tone.NEUTRAL,
}

STAGE_ICONS = {
    Stage.WAITING: "state-connecting",
    Stage.SCANNING: "state-scanning",
    Stage.NEEDS_REMOVAL: "violation",
    Stage.CLEAN: "ok",
    Stage.REMOVING: "review",
    Stage.VERIFIED: "resolved",
    Stage.ATTESTED: "ok",
    Stage.REPORTED: "overdue",
    Stage.FAILED: "state-failed",
    Stage.UNPLUGGED: "state-gone",
}

# Stages where the technician has something to do now (F7 goes to the next of these).
NEEDS_YOU = frozenset(
    {Stage.NEEDS_REMOVAL, Stage.CLEAN, Stage.VERIFIED, Stage.FAILED, Stage.WAITING}
)
# Stages where the phone's work is over.
FINISHED = frozenset({Stage.ATTESTED, Stage.REPORTED})


@dataclass(frozen=True)
class PhoneFacts:
    """What the main window knows about one phone, as plain values."""

    serial: str
    name: str
    simulated: bool = False
    plugged: bool = True  # listed by adb and not unplugged
    ready: bool = True  # USB debugging allowed and answering
    waiting_words: str = ""  # what the phone waits for ("Waiting for you to tap Allow")
    scanning: bool = False
    phase: ScanPhase = ScanPhase.NOT_SCANNED
    status: DeviceStatus | None = None  # the latest check's verdict
    violations: int = 0
    policy_chosen: bool = True
    wizard_open: bool = False
    verified: bool = False  # its removal window's latest check allows an attestation
    receipt_kind: str = ""  # "attestation" | "report" | "" (nothing signed yet)
    person: str = ""  # the staff member named in the signed receipt
    problem: str = ""  # why the check failed, in words
    unsigned: bool = False  # apps were removed in a window closed before signing


def stage_of(facts: PhoneFacts) -> Stage:
    if facts.receipt_kind == "attestation":
        return Stage.ATTESTED
    if facts.receipt_kind == "report":
        return Stage.REPORTED
    if not facts.plugged:
        return Stage.UNPLUGGED
    if facts.wizard_open:
        return Stage.VERIFIED if facts.verified else Stage.REMOVING
    if facts.scanning:
        return Stage.SCANNING
    if not facts.ready:
        return Stage.WAITING
    if facts.phase in (ScanPhase.FAILED, ScanPhase.INCOMPLETE) or (
        facts.status is DeviceStatus.INCOMPLETE
    ):
        return Stage.FAILED
    if facts.status is None:
        return Stage.WAITING
    return Stage.NEEDS_REMOVAL if facts.violations else Stage.CLEAN


def next_step(facts: PhoneFacts, stage: Stage) -> str:
    """What the technician does next about this phone, in a few words."""
    if stage is Stage.WAITING:
        if not facts.ready:
            return facts.waiting_words or _("Waiting for the phone")
        if not facts.policy_chosen:
            return _("Choose the policy to check against")
        return _("Waiting to be checked")
    if stage is Stage.CLEAN and facts.unsigned:
        return _("Removed, not signed yet: press Enter to check again and sign")
    if stage is Stage.NEEDS_REMOVAL:
        count = facts.violations
        return ngettext(
            "{count} banned app: press Enter to remove",
            "{count} banned apps: press Enter to remove",
            count,
        ).format(count=count)
    return {
        Stage.SCANNING: _("Checking every user and profile"),
        Stage.CLEAN: _("Press Enter to check again and sign"),
        Stage.REMOVING: _("Working in its removal window"),
        Stage.VERIFIED: _("Sign for the staff member in its window"),
        Stage.ATTESTED: _("Done: hand the phone back"),
        Stage.REPORTED: _("Done: banned apps remain, reported"),
        Stage.FAILED: facts.problem or _("Press F5 to check it again"),  # the problem is in words
        Stage.UNPLUGGED: _("Plug it in again to go on"),
    }[stage]


def signed_today(audits: Iterable[AuditSummary]) -> dict[str, AuditSummary]:
    """The latest signed audit of each device among `audits` (the history's audits of the day
    under the policy, newest first): the queue of the day, as it stood before the app was
    closed."""
    signed: dict[str, AuditSummary] = {}
    for audit in audits:
        if audit.attested:
            signed.setdefault(audit.device_id, audit)
    return signed


def signed_words(audit: AuditSummary) -> tuple[str, str]:
    """(receipt kind, person) of a signed audit, as PhoneFacts has them."""
    kind = "attestation" if audit.receipt_kind == "compliance_attestation" else "report"
    return kind, f"{audit.person_name} ({audit.staff_id})"


@dataclass(frozen=True)
class QueueItem:
    serial: str
    number: int  # the order it joined the queue, from 1
    phone: str  # shown as is: invisible characters already escaped
    stage: Stage
    verdict: str
    status: DeviceStatus | None
    person: str
    next_step: str
    plugged: bool = True

    @property
    def needs_you(self) -> bool:
        return self.stage in NEEDS_YOU

    @property
    def finished(self) -> bool:
        return self.stage in FINISHED


def queue_item(facts: PhoneFacts, number: int) -> QueueItem:
    stage = stage_of(facts)
    name = visible(facts.name or facts.serial, limit=60)
    if facts.simulated:
        # Translators: a simulated phone's name in the queue, "Pixel 7 (SIMULATED)"
        name = _("{phone} (SIMULATED)").format(phone=name)
    elif note := short_note(reached_by(facts.serial, {})):
        name += f" ({note})"  # its receipt names the connection in full
    verdict = _(STATUS_WORDS[facts.status]) if facts.status is not None else ""
    return QueueItem(
        serial=facts.serial,
        number=number,
        phone=name,
        stage=stage,
        verdict=verdict,
        status=facts.status,
        person=visible(facts.person, limit=80),
        next_step=visible(next_step(facts, stage), limit=200),
        plugged=facts.plugged,
    )


# --- the model ---------------------------------------------------------------------------------


class QueueColumn(IntEnum):
    NUMBER = 0
    PHONE = 1
    STAGE = 2
    VERDICT = 3
    PERSON = 4
    NEXT = 5


HEADERS = {
    QueueColumn.NUMBER: N_("#"),
    QueueColumn.PHONE: N_("Phone"),
    QueueColumn.STAGE: N_("Stage"),
    QueueColumn.VERDICT: N_("Check result"),
    QueueColumn.PERSON: N_("Staff member"),
    QueueColumn.NEXT: N_("Next step"),
}

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
TONE_ROLE = Qt.ItemDataRole.UserRole + 2


class QueueModel(EnumTableModel[QueueItem, QueueColumn]):
    """The queue, in the order phones joined it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(QueueColumn, HEADERS, parent)

    def items(self) -> tuple[QueueItem, ...]:
        return tuple(self.rows)

    def item(self, serial: str) -> QueueItem | None:
        row = self.row_of(serial)
        return self.rows[row] if row >= 0 else None

    def row_of(self, serial: str) -> int:
        return next((i for i, item in enumerate(self.rows) if item.serial == serial), -1)

    def set_items(self, items: list[QueueItem]) -> None:
        """Show these items: rows are updated in place, removed, or added at the end."""
        wanted = {item.serial: item for item in items}
        for row in range(len(self.rows) - 1, -1, -1):
            if self.rows[row].serial not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self.rows[row]
                self.endRemoveRows()
        for row, current in enumerate(self.rows):
            new = wanted.pop(current.serial)
            if new != current:
                self.rows[row] = new
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(QueueColumn) - 1))
        added = sorted(wanted.values(), key=lambda i: i.number)
        if added:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(added) - 1)
            self.rows.extend(added)
            self.endInsertRows()

    def cell_data(self, item: QueueItem, column: QueueColumn, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(item, column)
        if role == Qt.ItemDataRole.DecorationRole:
            if column is QueueColumn.STAGE:
                return icons.icon(STAGE_ICONS[item.stage])
            if column is QueueColumn.VERDICT and item.status is not None:
                return icons.status_icon(item.status)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            stage = _("{stage}: {next_step}").format(
                stage=_(STAGE_WORDS[item.stage]), next_step=item.next_step
            )
            return tooltip(f"{item.phone}\n{stage}")
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if column is QueueColumn.PHONE:
                return _("Phone {number}: {phone}").format(number=item.number, phone=item.phone)
            return _cell(item, column)
        if role == TONE_ROLE and column is QueueColumn.STAGE:
            return STAGE_TONES[item.stage].value
        if role == ITEM_ROLE:
            return item
        return None


def _cell(item: QueueItem, column: QueueColumn) -> str:
    return {
        QueueColumn.NUMBER: str(item.number),
        QueueColumn.PHONE: item.phone,
        QueueColumn.STAGE: _(STAGE_WORDS[item.stage]),
        QueueColumn.VERDICT: item.verdict,
        QueueColumn.PERSON: item.person,
        QueueColumn.NEXT: item.next_step,
    }[column]


class BadgeDelegate(QStyledItemDelegate):
    """Paints the stage as a badge: its icon, then its words in white on the stage's colour
    (the banner's colours, readable on light and dark palettes)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        tone = index.data(TONE_ROLE)
        if tone is None:
            super().paint(painter, option, index)
            return
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.color(QPalette.ColorRole.Highlight))
        rect = option.rect.adjusted(3, 3, -3, -3)
        size = min(rect.height(), 18)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if icon is not None:
            icon_rect = QRect(rect.left(), rect.top() + (rect.height() - size) // 2, size, size)
            icon.paint(painter, icon_rect)
            rect.setLeft(icon_rect.right() + 5)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        width = min(rect.width(), painter.fontMetrics().horizontalAdvance(text) + 14)
        badge = QRect(rect.left(), rect.top(), width, rect.height())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(TONE_COLOURS[Tone(tone)]))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width() + 40, max(hint.height(), 26))


# --- the panel ---------------------------------------------------------------------------------


class QueueView(QTableView):
    """The queue table; Enter opens the selected phone's removal window."""

    open_requested = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            serial = self.current_serial()
            if serial:
                self.open_requested.emit(serial)
                event.accept()
                return
        super().keyPressEvent(event)

    def current_serial(self) -> str:
        item = self.currentIndex().data(ITEM_ROLE)
        return item.serial if isinstance(item, QueueItem) else ""


class QueuePanel(QWidget):
    """The queue, with what the technician can do from it."""

    selected = Signal(str)  # serial
    open_requested = Signal(str)  # serial
    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("helpdeskQueue")
        self.model = QueueModel(self)
        self.heading = label(_("Phones in the queue"), self, selectable=False, name="queueHeading")
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.heading.setFont(font)
        self.counts = label("", self, wrap=False, selectable=False, name="queueCounts")
        self.hint = label(
            _(
                "Plug phones in one after another: each joins the queue and is checked at once. "
                "Select a phone and press Enter to work on it; F7 goes to the next phone that "
                "needs you, F6 back to this list."
            ),
            self,
            selectable=False,
            name="queueHint",
        )
        self.view = self._build_view()
        self.open_button = QPushButton(_("&Work on this phone (Enter)"), self)
        self.open_button.setAccessibleName(_("Work on the selected phone"))
        self.next_button = QPushButton(_("&Next phone that needs me (F7)"), self)
        self.next_button.setAccessibleName(_("Go to the next phone that needs you"))
        self.clear_button = QPushButton(_("&Clear unplugged phones"), self)
        self.clear_button.setAccessibleName(_("Remove unplugged phones from the queue"))
        self.clear_button.setToolTip(
            _("Take phones that are unplugged off the list (their audits stay in the history)")
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.next_button)
        buttons.addStretch(1)
        buttons.addWidget(self.counts)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.hint)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.heading.setBuddy(self.view)
        self.setTabOrder(self.view, self.open_button)
        self.setTabOrder(self.open_button, self.next_button)
        self.setTabOrder(self.next_button, self.clear_button)

        self.view.open_requested.connect(self.open_requested)
        self.view.doubleClicked.connect(self._on_double_click)
        self.view.selectionModel().currentRowChanged.connect(self._on_current)
        self.open_button.clicked.connect(self._open_current)
        self.next_button.clicked.connect(self._next_clicked)
        self.clear_button.clicked.connect(self.clear_requested)
        self.model.rowsInserted.connect(self._update_counts)
        self.model.rowsRemoved.connect(self._update_counts)
        self.model.dataChanged.connect(self._update_counts)
        self._update_counts()

    def _build_view(self) -> QueueView:
        view = QueueView(self)
        header = set_up_table(
            view,
            self.model,
            name="queueTable",
            accessible_name=_("Phones in the queue"),
            widths=(
                (QueueColumn.NUMBER, 36),
                (QueueColumn.PHONE, 230),
                (QueueColumn.STAGE, 170),
                (QueueColumn.VERDICT, 170),
                (QueueColumn.PERSON, 200),
            ),
        )
        view.setAccessibleDescription(
            _(
                "One row per phone, in the order they were plugged in, with its stage and the "
                "next step. Press Enter to work on the selected phone."
            )
        )
        view.setItemDelegateForColumn(QueueColumn.STAGE, BadgeDelegate(view))
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 14)
        header.setSectionResizeMode(QueueColumn.NUMBER, QHeaderView.ResizeMode.Fixed)
        return view

    def set_items(self, items: list[QueueItem]) -> None:
        self.model.set_items(items)

    def current_serial(self) -> str:
        return self.view.current_serial()

    def select(self, serial: str) -> None:
        row = self.model.row_of(serial)
        if row >= 0 and self.view.currentIndex().row() != row:
            self.view.setCurrentIndex(self.model.index(row, QueueColumn.PHONE))

    def select_next(self, step: int = 1) -> str:
        """Select the next (step 1) or previous (step -1) phone that needs the technician,
        wrapping round; returns its serial ("" when none needs them)."""
        items = self.model.items()
        if not items:
            return ""
        count = len(items)
        start = self.view.currentIndex().row()
        if start < 0:
            start = -1 if step > 0 else count
        for offset in range(1, count + 1):
            row = (start + step * offset) % count
            if items[row].needs_you:
                self.select(items[row].serial)
                return items[row].serial
        return ""

    def _next_clicked(self) -> None:
        self.select_next()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _open_current(self) -> None:
        serial = self.current_serial()
        if serial:
            self.open_requested.emit(serial)

    def _on_double_click(self, index: QModelIndex) -> None:
        item = index.data(ITEM_ROLE)
        if isinstance(item, QueueItem):
            self.open_requested.emit(item.serial)

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        item = current.data(ITEM_ROLE)
        if isinstance(item, QueueItem):
            self.selected.emit(item.serial)
        self._update_buttons()

    def _update_counts(self, *_args: object) -> None:
        items = self.model.items()
        waiting = sum(1 for i in items if i.needs_you)
        done = sum(1 for i in items if i.finished)
        going = len(items) - waiting - done
        self.counts.setText(
            ngettext(
                "{count} phone: {waiting} need you, {going} in progress, {done} done",
                "{count} phones: {waiting} need you, {going} in progress, {done} done",
                len(items),
            ).format(count=len(items), waiting=waiting, going=going, done=done)
            if items
            else _("No phones yet")
        )
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.open_button.setEnabled(bool(self.current_serial()))
        self.next_button.setEnabled(any(i.needs_you for i in self.model.items()))
        self.clear_button.setEnabled(any(not i.plugged for i in self.model.items()))
