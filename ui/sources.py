"""Where the main window gets its inventories from: the real sources, imported only when used.

The window takes a `Sources` so that tests can hand it small real functions (a scan built by
hand, a tracker that yields a few events) and the benchmark a simulated phone, while the app uses
audit's sources. Importing them lazily keeps adbutils and the collectors off the start-up path.

All phone work shares one `Adb` per server port: its lock makes sure only one thread ever starts
the adb server, where separate instances would race to start it and could lose a connection.

A phone the adb server refuses without a reason as its check starts is told apart from an
unplugged one by the Android source itself (`audit.sources.android.scan.settled`).

iPhones come from usbmuxd beside the adb server's phones (`both`), named "ios:<UDID>" by their
tracker, so a scan goes to the iPhone client by that name alone, never by the look of a serial.

`phone_details` reads `dumpsys package` for a few packages of one phone: the window asks it,
through `audit.assess.judge_with_details`, only for the apps the policy flagged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from audit.model import ScanResult
from audit.progress import CancelCheck, Progress
from ui.device_list import PhoneEvent, Tracker, both, iphone_events

LocalScan = Callable[[Progress, CancelCheck], ScanResult]
PhoneScan = Callable[[str, Progress, CancelCheck], ScanResult]
PhoneDetails = Callable[[str, Collection[str]], Mapping[str, Any]]  # serial, packages → details
# serial, progress, cancel check, packages whose records the scan reads in its own round trip
PhoneScanAsking = Callable[[str, Progress, CancelCheck, Collection[str]], ScanResult]


@dataclass(frozen=True)
class Sources:
    scan_local: LocalScan | None
    scan_phone: PhoneScan | None
    track_phones: Tracker | None
    adb_port: int | None = None
    adb: Callable[[], Any] | None = None  # the shared audit.sources.android Adb, made on first use
    phone_details: PhoneDetails | None = None  # PackageDetails by package name
    # An Android phone's scan that also reads the policy's packages (audit.workflow.Reach)
    scan_android_asking: PhoneScanAsking | None = None


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
        from audit.addresses import is_iphone

        if is_iphone(serial):  # named so by the iPhone tracker ("ios:<UDID>") or the demo
            from audit.sources.ios.scan import scan_iphone

            return scan_iphone(serial, progress=progress, cancelled=cancelled)
        from audit.sources.android.scan import scan_phone as scan

        return scan(serial, progress=progress, cancelled=cancelled, adb=server())

    def scan_android_asking(
        serial: str, progress: Progress, cancelled: CancelCheck, packages: Collection[str]
    ) -> ScanResult:
        from audit.sources.android.scan import scan_phone as scan

        return scan(
            serial,
            progress=progress,
            cancelled=cancelled,
            adb=server(),
            detail_packages=packages,
        )

    def phone_details(serial: str, packages: Collection[str]) -> Mapping[str, Any]:
        from audit.sources.android.scan import details_for

        return details_for(serial, packages, adb=server())

    def track(stopped: Callable[[], bool]) -> Iterator[PhoneEvent]:
        from audit.sources.android.tracker import DeviceTracker

        for event in DeviceTracker(server()).events(stopped):
            yield PhoneEvent(event.serial, event.state, event.guidance, event.model)

    return Sources(
        scan_local,
        scan_phone,
        both(track, iphone_events),
        adb_port,
        server,
        phone_details,
        scan_android_asking,
    )
