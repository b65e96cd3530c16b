"""The device list: "This computer" and every phone as it is plugged in, with its state in words.

Each entry says what the device is, whether it can be scanned, and what the person should do
next ("Unlock the phone and tap Allow"). Phones come from a tracker that follows adb's
track-devices on a background thread (`PhoneWatcher`), so they appear without a click.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QListView, QPushButton, QVBoxLayout, QWidget

from audit.errors import AuditError
from audit.i18n import N_, _
from audit.model import DeviceKind, DeviceState, DeviceStatus
from audit.provenance import reached_words, remote
from audit.sources.android import guidance as android_guidance
from audit.sources.android.connection import reached_by
from ui import icons
from ui.plain import label, tooltip

log = logging.getLogger(__name__)

LOCAL_ID = "local"
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


class ScanPhase(StrEnum):
    NOT_SCANNED = "not_scanned"
    SCANNING = "scanning"
    SCANNED = "scanned"
    INCOMPLETE = "incomplete"
    FAILED = "failed"


# The tables are marked, not translated (that would fix the language at import): whoever shows a
# word translates it there, `_(STATE_WORDS[state])` (issue 17). The list's badges are shorter
# than audit.words' labels ("Compliant (exceptions)"), and say what to do ("Action needed").
STATE_WORDS = {
    DeviceState.READY: N_("Ready"),
    DeviceState.UNAUTHORIZED: N_("Waiting for you to tap Allow"),
    DeviceState.OFFLINE: N_("Not responding"),
    DeviceState.NO_PERMISSION: N_("No USB permission"),
    DeviceState.CONNECTING: N_("Connecting…"),
    DeviceState.GONE: N_("Unplugged"),
}

# The same sentences the CLI uses, from the Android source (marked there, translated here).
GUIDANCE = android_guidance.GUIDANCE

PHASE_WORDS = {
    ScanPhase.NOT_SCANNED: N_("Not checked yet"),
    ScanPhase.SCANNING: N_("Checking…"),
    ScanPhase.INCOMPLETE: N_("Check incomplete"),
    ScanPhase.FAILED: N_("Check failed"),
}

STATUS_WORDS = {
    DeviceStatus.COMPLIANT: N_("Compliant"),
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: N_("Compliant (exceptions)"),
    DeviceStatus.NON_COMPLIANT: N_("Action needed"),
    DeviceStatus.OVERDUE: N_("Overdue"),
    DeviceStatus.INCOMPLETE: N_("Check incomplete"),
}


UNSIGNED_WORDS = N_("Not signed yet")


@dataclass(frozen=True)
class DeviceEntry:
    """A device as the list shows it. Names and guidance may come from the device: plain text."""

    id: str  # LOCAL_ID or the phone's serial
    name: str
    kind: DeviceKind
    state: DeviceState = DeviceState.READY
    guidance: str = ""
    simulated: bool = False
    manufacturer: str = ""
    phase: ScanPhase = ScanPhase.NOT_SCANNED
    status: DeviceStatus | None = None
    progress: str = ""  # "Reading the work profile…", while scanning
    unsigned: bool = False  # a removal was done on it and its record is not signed yet

    @property
    def title(self) -> str:
        return _("{name} (SIMULATED)").format(name=self.name) if self.simulated else self.name

    @property
    def badge(self) -> str:
        """The state in a few words, the most pressing thing first."""
        if self.state is DeviceState.UNAUTHORIZED and self.kind is DeviceKind.IOS:
            # Locked, "Trust This Computer?" unanswered, Don't Trust tapped, passcode needed
            # after a restart: the guidance under the list says which and what to do.
            return _("Waiting for you on the iPhone")
        if self.state is not DeviceState.READY:
            return _(STATE_WORDS[self.state])
        if self.unsigned and self.phase is not ScanPhase.SCANNING:
            return _(UNSIGNED_WORDS)
        if self.phase is ScanPhase.SCANNED and self.status is not None:
            return _(STATUS_WORDS[self.status])
        if self.phase is ScanPhase.SCANNED:
            return _("Checked")
        return _(PHASE_WORDS[self.phase])

    @property
    def advice(self) -> str:
        """What the person should do about this device now."""
        if self.state is not DeviceState.READY:
            return self.guidance or _(GUIDANCE[self.state])
        if self.simulated:
            # Translators: "Help › Try the demo phone" is the menu and its item, as named there
            return _(
                "This is a simulated phone, for trying Device Audit. Switch it off in "
                "Help › Try the demo phone."
            )
        if self.phase is ScanPhase.NOT_SCANNED:
            return self.guidance or _(GUIDANCE[DeviceState.READY])
        return ""

    @property
    def reached_note(self) -> str:
        """A note for a phone the adb server reaches over the network or as an emulator (its
        serial is then an address the server gave it): its receipt will say so too."""
        if self.kind is not DeviceKind.ANDROID or self.simulated:
            return ""
        connection = reached_by(self.id, {})
        if not remote(connection):
            return ""
        # Translators: {how} follows "Reached": "over the network, not a USB cable (...)"
        return _("Reached {how}; its receipt will say so.").format(how=reached_words(connection))

    @property
    def icon_name(self) -> str:
        if self.state is not DeviceState.READY:
            return f"state-{self.state.value}"
        if self.phase is ScanPhase.SCANNING:
            return "state-scanning"
        if self.phase is ScanPhase.FAILED:
            return "state-failed"
        if self.status is not None:
            return icons.STATUS_ICONS[self.status]
        if self.phase is ScanPhase.INCOMPLETE:
            return "incomplete"
        if self.simulated:
            return "simulated"
        return "computer" if self.kind is DeviceKind.COMPUTER else "phone"


def this_computer() -> DeviceEntry:
    return DeviceEntry(id=LOCAL_ID, name=_("This computer"), kind=DeviceKind.COMPUTER)


class DeviceListModel(QAbstractListModel):
    """ "This computer" first, then phones in the order they were plugged in."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[DeviceEntry] = [this_computer()]

    def entries(self) -> tuple[DeviceEntry, ...]:
        return tuple(self._entries)

    def row_of(self, device_id: str) -> int:
        return next((i for i, e in enumerate(self._entries) if e.id == device_id), -1)

    def entry(self, device_id: str) -> DeviceEntry | None:
        row = self.row_of(device_id)
        return self._entries[row] if row >= 0 else None

    def upsert(self, entry: DeviceEntry) -> None:
        row = self.row_of(entry.id)
        if row < 0:
            self.beginInsertRows(QModelIndex(), len(self._entries), len(self._entries))
            self._entries.append(entry)
            self.endInsertRows()
            return
        if self._entries[row] != entry:
            self._entries[row] = entry
            index = self.index(row, 0)
            self.dataChanged.emit(index, index)

    def update(self, device_id: str, **changes: Any) -> DeviceEntry | None:
        current = self.entry(device_id)
        if current is None:
            return None
        changed = replace(current, **changes)
        self.upsert(changed)
        return changed

    def remove(self, device_id: str) -> None:
        row = self.row_of(device_id)
        if row <= 0:  # never remove "This computer"
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._entries[row]
        self.endRemoveRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            detail = f" – {entry.progress}" if entry.progress else ""
            return f"{entry.title}\n{entry.badge}{detail}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{entry.title}, {entry.badge}"
        if role == Qt.ItemDataRole.DecorationRole:
            return icons.icon(entry.icon_name)
        if role == Qt.ItemDataRole.ToolTipRole:
            note = f"\n{entry.reached_note}" if entry.reached_note else ""
            return tooltip(f"{entry.title}\n{entry.badge}\n{entry.advice}{note}")
        if role == ENTRY_ROLE:
            return entry
        return None


# --- the tracker adapter --------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneEvent:
    """A phone appeared, changed state or left (state GONE)."""

    serial: str
    state: DeviceState
    guidance: str = ""
    name: str = ""  # the model name when the tracker knows it
    manufacturer: str = ""


Tracker = Callable[[Callable[[], bool]], Iterable[PhoneEvent]]
"""Yields events until the stop check returns True; may raise AuditError (no adb server)."""

RETRY_MS = 5000


class PhoneWatcher(QObject):
    """Runs a tracker on a background thread and hands its events to the GUI thread."""

    changed = Signal(object)  # PhoneEvent
    failed = Signal(object)  # AuditError: phones cannot be seen now; retried automatically
    _event = Signal(object)
    _error = Signal(object)

    def __init__(
        self, tracker: Tracker, parent: QObject | None = None, *, retry_ms: int = RETRY_MS
    ) -> None:
        super().__init__(parent)
        self._tracker = tracker
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._event.connect(self._forward)
        self._error.connect(self._on_error)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(retry_ms)
        self._retry.timeout.connect(self.start)

    @Slot()
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="phone-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._retry.stop()
        self._stop.set()

    def _run(self) -> None:
        try:
            for event in self._tracker(self._stop.is_set):
                if self._stop.is_set():
                    return
                self._event.emit(event)
        except AuditError as error:
            if not self._stop.is_set():
                self._error.emit(error)
        except Exception as error:  # a bug in the tracker: log it, keep the app alive
            log.exception("the phone tracker stopped")
            if not self._stop.is_set():
                self._error.emit(error)

    @Slot(object)
    def _forward(self, event: PhoneEvent) -> None:
        if not self._stop.is_set():
            self.changed.emit(event)

    @Slot(object)
    def _on_error(self, error: BaseException) -> None:
        self.failed.emit(error)
        if not self._stop.is_set():
            self._retry.start()


# --- iPhones ---------------------------------------------------------------------------------


IPHONE_RETRY_S = 5.0


def iphone_events(
    stopped: Callable[[], bool], *, retry_s: float = IPHONE_RETRY_S
) -> Iterator[PhoneEvent]:
    """A Tracker for iPhones (usbmuxd's Listen, each phone looked at again while it waits for
    the person): its serials are "ios:<UDID>", which the scan and removal route to the iPhone
    client (audit.addresses.is_iphone). Without usbmuxd (most computers that never
    saw an iPhone) it waits quietly and looks again every `retry_s`: plugging an iPhone in is
    what starts usbmuxd on Linux, and a missing usbmuxd must not hide the Android phones' list
    or fill it with a notice nobody needs. `devices` and the plug-in hint say what to install."""
    from audit.sources.ios.devices import watch
    from audit.sources.ios.usbmux import Usbmux

    wait = threading.Event()
    while not stopped():
        stop = threading.Event()
        listed: set[str] = set()
        try:
            mux = Usbmux()
            mux.devices()  # usbmuxd there at all?
            for item in watch(mux, stop):
                if stopped():
                    stop.set()
                    return
                serial = f"ios:{item.udid}"
                listed.add(serial)
                yield PhoneEvent(
                    serial,
                    item.state.device_state,
                    guidance="" if item.state.device_state is DeviceState.READY else item.guidance,
                    name=" ".join(item.name.split())[:80],
                    manufacturer="Apple",
                )
        except AuditError as error:
            log.debug("no usbmuxd to follow iPhones: %s", error.message)
        finally:
            stop.set()
        for serial in listed:  # usbmuxd went away: its phones cannot be reached any more
            yield PhoneEvent(serial, DeviceState.GONE)
        deadline = retry_s
        while deadline > 0 and not stopped():
            wait.wait(min(0.25, deadline))
            deadline -= 0.25


def both(*trackers: Tracker) -> Tracker:
    """One Tracker over several (Android phones and iPhones), each on its own thread. The
    first failure of any of them (no adb server) ends them all and is raised, so PhoneWatcher
    shows it and starts them all again; they end together when the watcher stops."""

    def track(stopped: Callable[[], bool]) -> Iterator[PhoneEvent]:
        events: queue.Queue[PhoneEvent | BaseException | None] = queue.Queue()
        ended = threading.Event()

        def done() -> bool:
            return ended.is_set() or stopped()

        def run(tracker: Tracker) -> None:
            try:
                for event in tracker(done):
                    if done():
                        break
                    events.put(event)
            except BaseException as error:  # handed to the watcher's thread
                events.put(error)
            else:
                events.put(None)

        for tracker in trackers:
            threading.Thread(target=run, args=(tracker,), daemon=True).start()
        running = len(trackers)
        try:
            while running and not stopped():
                try:
                    item = events.get(timeout=0.25)
                except queue.Empty:
                    continue
                if isinstance(item, PhoneEvent):
                    yield item
                    continue
                running -= 1
                if isinstance(item, BaseException) and not stopped():
                    raise item
        finally:
            ended.set()

    return track


def kind_of(serial: str) -> DeviceKind:
    """Which kind of phone a tracker's serial names ("ios:<UDID>" is an iPhone)."""
    return DeviceKind.IOS if serial.startswith("ios:") else DeviceKind.ANDROID


# --- the widget -----------------------------------------------------------------------------


class DevicePanel(QWidget):
    """The list of devices, and under it what to do about the selected one."""

    guide_requested = Signal(str)  # manufacturer, "" for the general guide

    def __init__(self, model: DeviceListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = QListView(self)
        self.view.setObjectName("deviceList")
        self.view.setModel(model)
        self.view.setIconSize(QSize(28, 28))
        self.view.setSpacing(2)
        self.view.setWordWrap(True)
        self.view.setUniformItemSizes(False)
        self.view.setAccessibleName(_("Devices"))
        self.view.setAccessibleDescription(
            _("This computer and every phone plugged in. Select one to see its apps.")
        )
        self.heading = label(_("Devices"), self, selectable=False, name="devicesHeading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.advice = label("", self, name="deviceAdvice")
        self.advice.setAccessibleName(_("What to do"))
        self.notice = label("", self, name="trackerNotice")
        self.notice.setAccessibleName(_("Phone connection problem"))
        self.notice.hide()
        self.hint = label(
            # Translators: "Trust" and "Trust This Computer?" are the iPhone's own words
            _(
                "To check a phone, plug it in with a USB cable: on Android switch on USB "
                'debugging, on an iPhone tap Trust when it asks "Trust This Computer?".'
            ),
            self,
            name="plugInHint",
        )
        self.guide_button = QPushButton(_("How to switch on USB &debugging…"), self)
        self.guide_button.setAccessibleName(_("How to switch on USB debugging"))
        self.guide_button.clicked.connect(self._ask_guide)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.advice)
        layout.addWidget(self.notice)
        layout.addWidget(self.hint)
        layout.addWidget(self.guide_button)
        self.heading.setBuddy(self.view)
        model.rowsInserted.connect(self._update_hint)
        model.rowsRemoved.connect(self._update_hint)
        self._update_hint()

    def selected_id(self) -> str:
        index = self.view.currentIndex()
        entry = index.data(ENTRY_ROLE) if index.isValid() else None
        return entry.id if isinstance(entry, DeviceEntry) else ""

    def select(self, device_id: str) -> None:
        row = self.model.row_of(device_id)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row, 0))

    def show_advice(self, entry: DeviceEntry | None) -> None:
        text = entry.advice if entry is not None else ""
        self.advice.setText(text)
        self.advice.setVisible(bool(text))

    def show_tracker_problem(self, message: str) -> None:
        self.notice.setText(message)
        self.notice.setVisible(bool(message))

    def _update_hint(self) -> None:
        phones = any(e.kind in (DeviceKind.ANDROID, DeviceKind.IOS) for e in self.model.entries())
        self.hint.setVisible(not phones)

    def _ask_guide(self) -> None:
        entry = self.model.entry(self.selected_id())
        self.guide_requested.emit(entry.manufacturer if entry is not None else "")


def entry_icon(entry: DeviceEntry) -> QIcon:
    return icons.icon(entry.icon_name)
