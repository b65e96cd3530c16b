"""Small sources with real behaviour for main-window tests: scans from hand-built results, a
tracker fed by the test, phones that block until released or fail the way a pulled cable does."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from audit.errors import Cancelled, DeviceGone
from audit.model import (
    Device,
    DeviceKind,
    DeviceState,
    IdentifierKind,
    InstalledApp,
    InstallOrigin,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)
from audit.progress import CancelCheck, Progress
from tests.ui.samples import phone_scan
from ui.device_list import PhoneEvent
from ui.sources import Sources

WAIT = 10.0


def computer_scan() -> ScanResult:
    now = datetime(2023, 3, 20, 9, 0, tzinfo=UTC)
    apps = tuple(
        InstalledApp(
            identifier=name,
            kind=IdentifierKind.DEB,
            name=name,
            version="1.0",
            origin=InstallOrigin.PACKAGE_MANAGER,
            user="system",
            collector="dpkg",
        )
        for name in ("bash", "firefox", "libreoffice")
    )
    return ScanResult(
        device=Device(id="local:abc", kind=DeviceKind.COMPUTER, name="laptop-42"),
        started_at=now,
        finished_at=now,
        apps=apps,
        users=(UserProfile("system", "All users", UserKind.SYSTEM),),
        sources=(SourceReport("dpkg", SourceStatus.OK, count=3),),
    )


class FeedTracker:
    """A tracker the test feeds: events put in come out on the watcher's thread."""

    def __init__(self) -> None:
        self._events: queue.Queue[PhoneEvent] = queue.Queue()

    def put(self, serial: str, state: DeviceState = DeviceState.READY, guidance: str = "") -> None:
        self._events.put(PhoneEvent(serial, state, guidance))

    def __call__(self, stopped: Callable[[], bool]) -> Iterator[PhoneEvent]:
        while not stopped():
            try:
                yield self._events.get(timeout=0.05)
            except queue.Empty:
                continue


@dataclass
class Phones:
    """Phone scans by serial: a ready result, or a gate the test opens, or a failure."""

    results: dict[str, ScanResult] = field(default_factory=dict)
    gates: dict[str, threading.Event] = field(default_factory=dict)
    fail: dict[str, BaseException] = field(default_factory=dict)
    started: dict[str, threading.Event] = field(default_factory=dict)
    scans: list[str] = field(default_factory=list)

    def hold(self, serial: str) -> threading.Event:
        """Make the next scans of `serial` wait until the returned event is set (or cancel)."""
        self.gates[serial] = threading.Event()
        self.started[serial] = threading.Event()
        return self.gates[serial]

    def __call__(self, serial: str, progress: Progress, cancelled: CancelCheck) -> ScanResult:
        self.scans.append(serial)
        progress(0.1, "Reading the list of users")
        if serial in self.started:
            self.started[serial].set()
        gate = self.gates.get(serial)
        if gate is not None:
            while not gate.wait(0.02):
                if cancelled():
                    raise Cancelled()
        if serial in self.fail:
            raise self.fail[serial]
        result = self.results.get(serial) or phone_scan(serial=serial)
        return replace(result, device=replace(result.device, serial=serial))


def unplugged(serial: str) -> DeviceGone:
    return DeviceGone(serial, "The phone was unplugged during the check.")


def fake_sources(phones: Phones, tracker: FeedTracker) -> Sources:
    def scan_local(progress: Progress, cancelled: CancelCheck) -> ScanResult:
        return computer_scan()

    return Sources(scan_local, phones, tracker)
