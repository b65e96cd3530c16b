"""The window's pieces for iPhones: the tracker that makes an iPhone appear by itself (through
the real PhoneWatcher, on its background thread), its words in the device list, and the
Android tracker carrying on when there is no usbmuxd."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from audit.errors import AdbUnavailable
from audit.model import DeviceKind, DeviceState
from tests.audit.ios.conftest import Start
from tests.iossim.daemon import SimulatedIPhone
from ui.device_list import (
    DeviceEntry,
    PhoneEvent,
    PhoneWatcher,
    both,
    iphone_events,
    kind_of,
)


def test_an_iphone_appears_by_itself_and_turns_ready_when_trusted(
    iphones: Start, qtbot: QtBot
) -> None:
    mux = iphones()
    watcher = PhoneWatcher(both(iphone_events))
    seen: list[PhoneEvent] = []
    watcher.changed.connect(seen.append)
    watcher.start()
    try:
        phone = mux.plug(SimulatedIPhone("untrusted"))
        qtbot.waitUntil(lambda: len(seen) >= 1, timeout=10000)
        first = seen[0]
        assert first.serial == f"ios:{phone.udid}" and kind_of(first.serial) is DeviceKind.IOS
        assert first.state is DeviceState.UNAUTHORIZED and "Trust" in first.guidance
        assert first.name == "Jo's iPhone" and first.manufacturer == "Apple"
        phone.profile.trust = "accept"  # the person taps Trust
        qtbot.waitUntil(lambda: seen[-1].state is DeviceState.READY, timeout=10000)
        mux.unplug(phone.udid)
        qtbot.waitUntil(lambda: seen[-1].state is DeviceState.GONE, timeout=10000)
    finally:
        watcher.stop()


def test_without_usbmuxd_the_android_phones_still_come_and_no_notice_is_raised() -> None:
    """Most computers never saw an iPhone: no usbmuxd is no failure. The iPhone tracker waits
    quietly (and looks again later), the Android phones come, and nothing is raised."""

    def android(stopped: Callable[[], bool]) -> Iterator[PhoneEvent]:
        yield PhoneEvent("R58M123ABC", DeviceState.READY, name="Galaxy S23")

    stop = threading.Event()
    events: list[PhoneEvent] = []
    for event in both(android, lambda s: iphone_events(s, retry_s=0.05))(stop.is_set):
        events.append(event)
        stop.set()  # the Android phone came; the iPhone side never ended the tracking
    assert events == [PhoneEvent("R58M123ABC", DeviceState.READY, name="Galaxy S23")]


def test_the_adb_servers_failure_is_not_hidden_by_a_running_iphone_tracker(
    iphones: Start,
) -> None:
    """The Android tracker failing (no adb server) ends the combined tracker at once, so the
    watcher shows it and starts both again, though the iPhone tracker would run on."""
    iphones("tiktok-offloaded")

    def android(stopped: Callable[[], bool]) -> Iterator[PhoneEvent]:
        raise AdbUnavailable("The adb server could not be started.")
        yield  # a generator, as trackers are

    with pytest.raises(AdbUnavailable):
        for _event in both(android, iphone_events)(lambda: False):
            pass


def test_an_iphone_usbmuxd_stops_listing_is_said_to_be_gone(iphones: Start) -> None:
    """usbmuxd stopping (its service restarted) ends what it said: its phones are gone until
    it lists them again, never left "ready" in the window."""
    mux = iphones("tiktok-offloaded")
    stop = threading.Event()
    seen: list[PhoneEvent] = []
    for event in iphone_events(stop.is_set, retry_s=0.05):
        seen.append(event)
        if event.state is DeviceState.READY:
            mux.stop()
        if event.state is DeviceState.GONE:
            stop.set()
    assert [e.state for e in seen] == [DeviceState.READY, DeviceState.GONE]


@pytest.mark.parametrize(
    ("kind", "words"),
    [(DeviceKind.IOS, "Waiting for you on the iPhone"), (DeviceKind.ANDROID, "tap Allow")],
)
def test_a_waiting_phone_is_told_what_to_tap(kind: DeviceKind, words: str) -> None:
    entry = DeviceEntry("x", "Phone", kind, state=DeviceState.UNAUTHORIZED)
    assert words in entry.badge
