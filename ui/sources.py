"""Where the main window gets its inventories from: the real sources, imported only when used.

The window takes a `Sources` so that tests can hand it small real functions (a scan built by
hand, a tracker that yields a few events) and the benchmark a simulated phone, while the app uses
audit's sources. Importing them lazily keeps adbutils and the collectors off the start-up path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from audit.model import ScanResult
from audit.progress import CancelCheck, Progress
from ui.device_list import PhoneEvent, Tracker

LocalScan = Callable[[Progress, CancelCheck], ScanResult]
PhoneScan = Callable[[str, Progress, CancelCheck], ScanResult]


@dataclass(frozen=True)
class Sources:
    scan_local: LocalScan | None
    scan_phone: PhoneScan | None
    track_phones: Tracker | None
    adb_port: int | None = None


def real_sources(adb_port: int | None = None) -> Sources:
    def scan_local(progress: Progress, cancelled: CancelCheck) -> ScanResult:
        from audit.sources.local import scan_local as scan

        return scan(progress, cancelled)

    def scan_phone(serial: str, progress: Progress, cancelled: CancelCheck) -> ScanResult:
        from audit.sources.android.scan import scan_phone as scan

        return scan(serial, adb_port=adb_port, progress=progress, cancelled=cancelled)

    return Sources(scan_local, scan_phone, adb_tracker(adb_port), adb_port)


def adb_tracker(adb_port: int | None) -> Tracker:
    """Follow the adb server's track-devices through the Android source's tracker."""

    def track(stopped: Callable[[], bool]) -> Iterator[PhoneEvent]:
        from audit.sources.android.connection import Adb
        from audit.sources.android.tracker import DeviceTracker

        for event in DeviceTracker(Adb(adb_port)).events(stopped):
            yield PhoneEvent(event.serial, event.state, event.guidance, event.model)

    return track
