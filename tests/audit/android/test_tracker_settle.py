"""`devices --watch`: a phone being plugged in is not called "not answering" for the moment the
adb server lists it as offline while it connects; a phone that stays offline still is."""

from __future__ import annotations

from audit.model import DeviceState
from audit.sources.android.connection import Adb
from audit.sources.android.tracker import SETTLE, DeviceTracker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def tracker(clock: Clock, settle: float = SETTLE) -> DeviceTracker:
    return DeviceTracker(Adb(1, start=False), settle=settle, clock=clock)


def said(watch: DeviceTracker, block: dict[str, tuple[str, str]]) -> list[tuple[str, DeviceState]]:
    events = [*watch._changes(block), *watch.due()]
    return [(e.serial, e.state) for e in events]


def test_a_phone_connecting_is_listed_once_ready_without_not_answering_first() -> None:
    clock = Clock()
    watch = tracker(clock)
    assert said(watch, {"R58": ("offline", "SM S911B")}) == []
    clock.now += 0.4
    assert said(watch, {"R58": ("device", "SM S911B")}) == [("R58", DeviceState.READY)]
    clock.now += 10
    assert said(watch, {"R58": ("device", "SM S911B")}) == []


def test_a_phone_that_stays_offline_is_said_to_be_not_answering() -> None:
    clock = Clock()
    watch = tracker(clock)
    assert said(watch, {"R58": ("offline", "")}) == []
    clock.now += SETTLE
    assert list((e.serial, e.state) for e in watch.due()) == [("R58", DeviceState.OFFLINE)]
    assert said(watch, {}) == [("R58", DeviceState.GONE)]


def test_a_phone_plugged_in_and_out_while_connecting_is_never_listed() -> None:
    clock = Clock()
    watch = tracker(clock)
    assert said(watch, {"R58": ("offline", "")}) == []
    assert said(watch, {}) == []


def test_a_ready_phone_going_offline_is_said_at_once() -> None:
    clock = Clock()
    watch = tracker(clock)
    assert said(watch, {"R58": ("device", "")}) == [("R58", DeviceState.READY)]
    assert said(watch, {"R58": ("offline", "")}) == [("R58", DeviceState.OFFLINE)]


def test_without_settle_every_change_is_said_at_once() -> None:
    watch = tracker(Clock(), settle=0)
    assert said(watch, {"R58": ("offline", "")}) == [("R58", DeviceState.OFFLINE)]
