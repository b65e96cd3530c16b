"""Phones as they come and go: the adb server's `track-devices` stream as typed events.

The GUI runs `DeviceTracker.events()` on a worker thread and shows each event as it comes; no
polling. The stream waits with a short select() so a cancel request is seen within a fraction of
a second, and every read has a timeout, so the worker can always be stopped.
"""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from audit.errors import AdbUnavailable
from audit.i18n import _
from audit.model import Device, DeviceState
from audit.progress import CancelCheck, never_cancelled
from audit.sources.android.connection import Adb, AdbError, ServerConnection, parse_device_list
from audit.sources.android.guidance import device_state, guidance

log = logging.getLogger(__name__)

WAIT = 0.2
"""Seconds between cancel checks while the stream is quiet."""

RECONNECT_ATTEMPTS = 5

SETTLE = 2.0
"""Seconds a phone just plugged in may be "offline" before that is worth saying: the adb
server lists every phone as offline for a moment while it connects, before it is ready."""


@dataclass(frozen=True)
class DeviceEvent:
    """A phone's state changed (or was first seen). `raw` is what the adb server said."""

    serial: str
    state: DeviceState
    raw: str
    guidance: str
    model: str = ""  # from `devices -l` when known ("SM_S911B")

    @property
    def device_id(self) -> str:
        return Device.android_id(self.serial)


def event_for(serial: str, raw: str, model: str = "") -> DeviceEvent:
    state = device_state(raw)
    return DeviceEvent(serial, state, raw, guidance(state, raw), model)


def list_devices(adb: Adb) -> list[DeviceEvent]:
    """Every phone the adb server knows now, in whatever state."""
    return [
        event_for(serial, raw, tags.get("model", "").replace("_", " "))
        for serial, raw, tags in adb.devices()
    ]


def parse_track_block(text: str) -> dict[str, tuple[str, str]]:
    """serial -> (raw state, model) from one `track-devices[-l]` message."""
    return {
        serial: (raw, tags.get("model", "").replace("_", " "))
        for serial, raw, tags in parse_device_list(text)
    }


class DeviceTracker:
    """Follows the adb server's device list and yields a DeviceEvent for each change."""

    def __init__(
        self,
        adb: Adb,
        *,
        wait: float = WAIT,
        settle: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`settle`: a phone first seen offline is reported only if it is still offline that
        many seconds later (SETTLE suits a person reading each line); 0 reports it at once."""
        self.adb = adb
        self.wait = wait
        self.settle = settle
        self.clock = clock
        self._known: dict[str, tuple[str, str]] = {}
        self._held: dict[str, tuple[float, DeviceEvent]] = {}  # serial -> (until, event)

    def events(self, cancelled: CancelCheck = never_cancelled) -> Iterator[DeviceEvent]:
        """Yield events until `cancelled()` is true. The first events describe the phones
        already connected. If the adb server goes away, every phone is reported GONE and the
        server is started again; AdbUnavailable if that keeps failing."""
        failures = 0
        while not cancelled():
            try:
                with self._open() as conn:
                    failures = 0
                    yield from self._follow(conn, cancelled)
            except (OSError, EOFError, AdbError, ValueError) as error:
                log.info("device tracking interrupted: %s", error)
            except AdbUnavailable:
                failures += 1
                if failures >= RECONNECT_ATTEMPTS:
                    raise
            if cancelled():
                return
            yield from self._all_gone()
            self.adb.forget_server()
            time.sleep(min(self.wait * (2**failures), 2.0))

    def _open(self) -> ServerConnection:
        """The long form (with models) where the server has it, else the short one."""
        for service in ("host:track-devices-l", "host:track-devices"):
            conn = self.adb.connection()
            try:
                conn.request(service)
            except AdbError:
                conn.close()
                continue
            except BaseException:
                conn.close()
                raise
            return conn
        raise AdbUnavailable(_("The adb server cannot report phones as they come and go."))

    def _follow(self, conn: ServerConnection, cancelled: CancelCheck) -> Iterator[DeviceEvent]:
        while not cancelled():
            readable, _, _ = select.select([conn.sock], [], [], self.wait)
            if readable:
                yield from self._changes(parse_track_block(conn.read_block()))
            yield from self.due()

    def _changes(self, current: dict[str, tuple[str, str]]) -> Iterator[DeviceEvent]:
        for serial in [s for s in self._known if s not in current]:
            _, model = self._known.pop(serial)
            if self._held.pop(serial, None) is None:  # a phone never reported is not gone
                yield event_for(serial, "absent", model)
        for serial, (raw, model) in current.items():
            known = self._known.get(serial)
            if known is not None and known[0] == raw:
                continue
            self._known[serial] = (raw, model)
            self._held.pop(serial, None)
            event = event_for(serial, raw, model)
            if known is None and event.state is DeviceState.OFFLINE and self.settle > 0:
                self._held[serial] = (self.clock() + self.settle, event)  # connecting, surely
                continue
            yield event

    def due(self) -> Iterator[DeviceEvent]:
        """The phones first seen offline that are still offline after `settle` seconds."""
        now = self.clock()
        for serial, (until, event) in list(self._held.items()):
            if now >= until:
                del self._held[serial]
                yield event

    def _all_gone(self) -> Iterator[DeviceEvent]:
        yield from self._changes({})
