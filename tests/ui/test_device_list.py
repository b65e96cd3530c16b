"""The device list model, its entries' words, and the tracker adapter."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from audit.errors import AdbUnavailable
from audit.model import DeviceKind, DeviceState, DeviceStatus
from tests.ui.samples import HOSTILE
from ui.device_list import (
    LOCAL_ID,
    DeviceEntry,
    DeviceListModel,
    PhoneEvent,
    PhoneWatcher,
    ScanPhase,
)


def phone(serial: str = "R58", **changes: object) -> DeviceEntry:
    return DeviceEntry(id=serial, name=f"Phone {serial}", kind=DeviceKind.ANDROID, **changes)  # type: ignore[arg-type]


def test_model_tester_through_inserts_changes_and_removals(qtmodeltester: ModelTester) -> None:
    model = DeviceListModel()
    qtmodeltester.check(model, force_py=True)
    model.upsert(phone("A"))
    model.upsert(phone("B"))
    model.update("A", state=DeviceState.UNAUTHORIZED)
    model.remove("A")
    model.remove(LOCAL_ID)  # "This computer" always stays
    assert [e.id for e in model.entries()] == [LOCAL_ID, "B"]


def test_badges_put_the_most_pressing_thing_first() -> None:
    assert phone(state=DeviceState.UNAUTHORIZED).badge == "Waiting for you to tap Allow"
    assert phone(state=DeviceState.NO_PERMISSION).badge == "No USB permission"
    assert phone(phase=ScanPhase.SCANNING).badge == "Checking…"
    assert phone(phase=ScanPhase.SCANNED, status=DeviceStatus.OVERDUE).badge == "Overdue"
    assert phone(phase=ScanPhase.FAILED).badge == "Check failed"
    assert phone(simulated=True).title == "Phone R58 (SIMULATED)"


def test_device_names_are_plain_text_in_the_list_and_its_tooltips() -> None:
    model = DeviceListModel()
    model.upsert(DeviceEntry(id="X", name=HOSTILE, kind=DeviceKind.ANDROID))
    index = model.index(1, 0)
    assert index.data().startswith(HOSTILE)
    assert index.data(Qt.ItemDataRole.AccessibleTextRole).startswith(HOSTILE)
    document = QTextDocument()
    document.setHtml(index.data(Qt.ItemDataRole.ToolTipRole))
    assert document.toPlainText().startswith(HOSTILE)


class FlakyTracker:
    """Fails like an adb server that is not there yet, then reports a phone."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, stopped: Callable[[], bool]) -> Iterator[PhoneEvent]:
        self.calls += 1
        if self.calls == 1:
            raise AdbUnavailable("No adb server is running.")
        yield PhoneEvent("R58", DeviceState.READY, "Ready to scan.")
        while not stopped():
            yield from ()
            if stopped():
                return
            import time

            time.sleep(0.01)


def test_the_watcher_reports_failures_retries_and_delivers_events(qtbot: QtBot) -> None:
    tracker = FlakyTracker()
    watcher = PhoneWatcher(tracker, retry_ms=10)
    failures: list[BaseException] = []
    watcher.failed.connect(failures.append)
    try:
        with qtbot.waitSignal(watcher.changed, timeout=5000) as event:
            watcher.start()
        assert isinstance(failures[0], AdbUnavailable)
        assert event.args[0] == PhoneEvent("R58", DeviceState.READY, "Ready to scan.")
        assert tracker.calls == 2
    finally:
        watcher.stop()


def test_a_phone_reached_over_the_network_gets_a_note_in_its_tooltip() -> None:
    model = DeviceListModel()
    for serial in ("R58M123ABC", "192.168.1.20:5555", "emulator-5554"):
        model.upsert(phone(serial))
    tips = []
    for row in (1, 2, 3):
        document = QTextDocument()
        document.setHtml(model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole))
        tips.append(document.toPlainText())
    usb, wifi, emulator = tips
    assert "Reached" not in usb
    assert wifi.endswith(
        "Reached over the network, not a USB cable (192.168.1.20:5555); its receipt will say so."
    )
    assert "phone emulator on this computer" in emulator
    assert phone("10.0.0.2:5555", simulated=True).reached_note == ""  # the demo says SIMULATED
