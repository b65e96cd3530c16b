"""A demo phone left behind by a run that was killed: the adb server still lists its address as
a phone that does not answer. The next start disconnects it and never shows it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex
from pytestqt.qtbot import QtBot

from audit.model import DeviceState
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.phonesim import SimulatedPhone
from tests.ui.drive import start_main_window
from tests.ui.samples import DAY
from ui import demo
from ui.device_list import PhoneEvent
from ui.main_window import MainWindow
from ui.sources import real_sources

pytestmark = pytest.mark.adb

WAIT_MS = 30_000


@pytest.fixture
def killed_run(adb_server: AdbServer) -> Iterator[str]:
    """What a run killed with its demo phone on leaves: the address in the settings, and the
    adb server listing it as offline (the phone's process died with the app)."""
    phone = SimulatedPhone(demo.DEMO_PROFILE).start()
    address = phone.address
    try:
        adb_server.client().connect(address, timeout=10)
        adb_server.wait_for_state(address, {"device"})
        demo._remember(address)  # as the run did when its demo phone came on
        phone.stop()
        adb_server.wait_for_state(address, {"offline"})
        yield address
    finally:
        phone.stop()
        adb_server.client().disconnect(address)


def test_a_demo_phone_left_by_a_killed_run_is_disconnected_and_never_shown(
    qtbot: QtBot,
    adb_server: AdbServer,
    sim_phone: PhoneFactory,
    killed_run: str,
    keep_alive: list[object],
) -> None:
    assert demo.left_over() == [killed_run]
    window = MainWindow(real_sources(adb_server.port), auto_scan_local=False, today=lambda: DAY)
    keep_alive.append(window)
    qtbot.addWidget(window)
    shown: list[str] = []

    def added(_parent: QModelIndex, first: int, last: int) -> None:
        shown.extend(window.devices.entries()[row].id for row in range(first, last + 1))

    window.devices.rowsInserted.connect(added)
    start_main_window(qtbot, window, timeout=WAIT_MS)
    real = sim_phone("pixel-tiktok-lite")  # a phone plugged in meanwhile is shown as ever
    qtbot.waitUntil(lambda: window.devices.entry(real.address) is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: adb_server.state(killed_run) is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window._left_over, timeout=WAIT_MS)
    assert killed_run not in shown
    assert window.devices.entry(killed_run) is None
    assert demo.left_over() == []  # dealt with: the next start has nothing to do


class HeldUntil:
    """The adb connection, but `disconnect_device` waits until `event` is set."""

    def __init__(self, adb: Any, event: threading.Event) -> None:
        self.adb, self.event = adb, event

    def devices(self) -> Any:
        return self.adb.devices()

    def disconnect_device(self, address: str) -> str:
        assert self.event.wait(WAIT_MS / 1000), "the tracker never listed the left-over phone"
        answer: str = self.adb.disconnect_device(address)
        return answer


def test_a_report_read_before_the_disconnect_and_handed_over_after_it_does_not_show_it(
    qtbot: QtBot,
    adb_server: AdbServer,
    sim_phone: PhoneFactory,
    killed_run: str,
    keep_alive: list[object],
) -> None:
    """The tracker thread reads the server's list (the phone not responding), the clean-up
    disconnects the phone and the window hears it is done, and only then does the tracker's
    report arrive: the order a busy computer can give. It is stale, and not shown."""
    listed, cleaned = threading.Event(), threading.Event()
    sources = real_sources(adb_server.port)
    tracker, adb = sources.track_phones, sources.adb
    assert tracker is not None and adb is not None

    def late_tracker(stopped: Callable[[], bool]) -> Iterator[PhoneEvent]:
        for event in tracker(stopped):
            if event.serial == killed_run and event.state is not DeviceState.GONE:
                listed.set()
                assert cleaned.wait(WAIT_MS / 1000), "the clean-up never finished"
            yield event

    window = MainWindow(
        replace(sources, track_phones=late_tracker, adb=lambda: HeldUntil(adb(), listed)),
        auto_scan_local=False,
        today=lambda: DAY,
    )
    keep_alive.append(window)
    qtbot.addWidget(window)
    heard = window._on_left_over_cleaned

    def on_cleaned(addresses: list[str]) -> None:
        heard(addresses)
        cleaned.set()

    window._on_left_over_cleaned = on_cleaned  # type: ignore[method-assign]
    shown: list[str] = []
    window.devices.rowsInserted.connect(
        lambda _parent, first, last: shown.extend(
            window.devices.entries()[row].id for row in range(first, last + 1)
        )
    )
    start_main_window(qtbot, window, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: cleaned.is_set() and adb_server.state(killed_run) is None, timeout=WAIT_MS
    )
    # A phone plugged in after it shows that the tracker has handed over everything before.
    real = sim_phone("pixel-tiktok-lite")
    qtbot.waitUntil(lambda: window.devices.entry(real.address) is not None, timeout=WAIT_MS)
    assert killed_run not in shown
    assert not window._left_over and demo.left_over() == []

    # A phone that answers at that address later is a phone like any other: it is shown.
    port = int(killed_run.rsplit(":", 1)[1])
    again = sim_phone("pixel-tiktok-lite", port=port)
    assert again.address == killed_run
    qtbot.waitUntil(lambda: window.devices.entry(killed_run) is not None, timeout=WAIT_MS)


def test_the_demo_phone_is_remembered_while_on_and_forgotten_when_switched_off(
    qtbot: QtBot, adb_server: AdbServer, keep_alive: list[object]
) -> None:
    window = MainWindow(real_sources(adb_server.port), auto_scan_local=False, today=lambda: DAY)
    keep_alive.append(window)
    qtbot.addWidget(window)
    start_main_window(qtbot, window, timeout=WAIT_MS)
    window.set_demo(True)
    qtbot.waitUntil(lambda: window.demo is not None and bool(window.demo.serial), timeout=WAIT_MS)
    serial = window.demo.serial
    assert demo.left_over() == [serial]  # were the app killed now, the next start would know
    qtbot.waitUntil(lambda: window.devices.entry(serial) is not None, timeout=WAIT_MS)
    window.set_demo(False)
    assert demo.left_over() == []
    qtbot.waitUntil(lambda: adb_server.state(serial) is None, timeout=WAIT_MS)
