"""Where the main window gets its inventories from: the real sources, imported only when used.

The window takes a `Sources` so that tests can hand it small real functions (a scan built by
hand, a tracker that yields a few events) and the benchmark a simulated phone, while the app uses
audit's sources. Importing them lazily keeps adbutils and the collectors off the start-up path.

All phone work shares one `Adb` per server port: its lock makes sure only one thread ever starts
the adb server, where separate instances would race to start it and could lose a connection.

A phone scan that the adb server refuses without a reason ("closed": the phone's connection
closed while a command was being opened on it) is not left as that bare refusal. It happens when a
phone is unplugged just as its check starts, and also, on a busy computer, when a phone that was
just plugged in drops its first connection before it settles. The server's list then tells the
two apart: a phone no longer listed as ready was unplugged (said so, with the next step), and a
phone still ready is checked once more (`scan_settled`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from audit.errors import DeviceError, DeviceGone
from audit.model import ScanResult
from audit.progress import CancelCheck, Progress, raise_if_cancelled
from ui.device_list import PhoneEvent, Tracker

log = logging.getLogger(__name__)

LocalScan = Callable[[Progress, CancelCheck], ScanResult]
PhoneScan = Callable[[str, Progress, CancelCheck], ScanResult]


@dataclass(frozen=True)
class Sources:
    scan_local: LocalScan | None
    scan_phone: PhoneScan | None
    track_phones: Tracker | None
    adb_port: int | None = None
    adb: Callable[[], Any] | None = None  # the shared audit.sources.android Adb, made on first use


class SharedAdb:
    """One Adb for the app, created on first use (so start-up never imports adbutils)."""

    def __init__(self, port: int | None) -> None:
        self.port = port
        self._adb: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            if self._adb is None:
                from audit.sources.android.connection import Adb

                self._adb = Adb(self.port)
            return self._adb


def real_sources(adb_port: int | None = None) -> Sources:
    server = SharedAdb(adb_port)

    def scan_local(progress: Progress, cancelled: CancelCheck) -> ScanResult:
        from audit.sources.local import scan_local as scan

        return scan(progress, cancelled)

    def scan_phone(serial: str, progress: Progress, cancelled: CancelCheck) -> ScanResult:
        from audit.sources.android.scan import scan_phone as scan

        adb = server()
        return scan_settled(
            serial,
            lambda: scan(serial, progress=progress, cancelled=cancelled, adb=adb),
            lambda: {s: state for s, state, _tags in adb.devices()}.get(serial),
            cancelled,
        )

    def track(stopped: Callable[[], bool]) -> Iterator[PhoneEvent]:
        from audit.sources.android.tracker import DeviceTracker

        for event in DeviceTracker(server()).events(stopped):
            yield PhoneEvent(event.serial, event.state, event.guidance, event.model)

    return Sources(scan_local, scan_phone, track, adb_port, server)


SETTLE_S = 1.0
SETTLE_POLL_S = 0.05


def scan_settled(
    serial: str,
    scan: Callable[[], ScanResult],
    state_of: Callable[[], str | None],
    cancelled: CancelCheck,
    *,
    settle_s: float = SETTLE_S,
) -> ScanResult:
    """Run `scan`; when the adb server refuses the phone without a reason (a bare DeviceError,
    not one of its typed kinds), ask the server how the phone is: not listed as ready within
    `settle_s` → DeviceGone (it was unplugged); ready all along → scan once more."""
    try:
        return scan()
    except DeviceError as error:
        if type(error) is not DeviceError:
            raise  # gone, unauthorized, offline...: the error already says what to do
        refused = error
    deadline = time.monotonic() + settle_s
    while True:
        raise_if_cancelled(cancelled)
        try:
            state = state_of()
        except Exception as error:  # the server itself is in trouble: keep the first words
            log.info("cannot list phones after %s was refused: %s", serial, error)
            raise refused from error
        if state != "device":
            log.info("phone %s was refused (%s) and is now %s", serial, refused.message, state)
            raise DeviceGone(
                serial,
                f"The phone {serial} was disconnected as its check began.",
            ) from refused
        if time.monotonic() >= deadline:
            break
        time.sleep(SETTLE_POLL_S)
    log.info("phone %s was refused (%s) but is ready: checking it again", serial, refused.message)
    return scan()
