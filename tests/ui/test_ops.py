"""The background-operation helper: results on the GUI thread, cancel, supersede, parallel keys."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from audit.errors import Cancelled, DeviceGone
from audit.progress import CancelCheck, Progress
from ui.ops import Operations

WAIT = 5.0  # seconds a worker waits for the test before giving up


@pytest.fixture
def ops(qtbot: QtBot) -> Iterator[Operations]:
    operations = Operations(max_workers=4)
    yield operations
    operations.shutdown()


def test_work_runs_off_the_gui_thread_and_result_comes_back_on_it(
    ops: Operations, qtbot: QtBot
) -> None:
    seen: list[tuple[str, str]] = []

    def work(progress: Progress, cancelled: CancelCheck) -> str:
        return threading.current_thread().name

    with qtbot.waitSignal(ops.finished, timeout=5000):
        ops.start("phone", work, lambda r: seen.append((r, threading.current_thread().name)))
    assert len(seen) == 1
    worker, callback = seen[0]
    assert worker.startswith("audit-op")
    assert callback == threading.main_thread().name
    assert not ops.is_running("phone")


def test_progress_is_throttled_and_shows_the_latest_step(ops: Operations, qtbot: QtBot) -> None:
    release = threading.Event()
    received: list[tuple[str, float, str]] = []
    ops.progress.connect(lambda k, f, m: received.append((k, f, m)))

    def work(progress: Progress, cancelled: CancelCheck) -> None:
        for i in range(2000):
            progress(i / 4000, f"step {i}")
        progress(0.5, "halfway")
        release.wait(WAIT)

    ops.start("phone", work, lambda r: None)
    qtbot.waitUntil(lambda: bool(received) and received[-1][2] == "halfway", timeout=5000)
    release.set()
    qtbot.waitSignal(ops.finished, timeout=5000).wait()
    assert len(received) < 50  # 2001 reports became a handful of signals
    assert received[-1] == ("phone", 0.5, "halfway")


def test_cancel_retires_the_run_at_once_and_drops_its_result(ops: Operations, qtbot: QtBot) -> None:
    started = threading.Event()
    results: list[object] = []
    cancelled_calls: list[bool] = []

    def work(progress: Progress, cancelled: CancelCheck) -> str:
        started.set()
        for _ in range(500):
            if cancelled():
                return "stale"  # misbehaving work that returns instead of raising
            threading.Event().wait(0.01)
        return "finished"

    ops.start("phone", work, results.append, on_cancelled=lambda: cancelled_calls.append(True))
    assert started.wait(WAIT)
    with qtbot.waitSignal(ops.running_changed, timeout=1000) as running:
        assert ops.cancel("phone")
    assert running.args == ["phone", False]
    assert cancelled_calls == [True]
    with qtbot.waitSignal(ops.dropped, timeout=5000):
        pass
    assert results == []
    assert not ops.cancel("phone")  # nothing left to cancel


def test_a_superseded_run_never_overwrites_the_newer_result(ops: Operations, qtbot: QtBot) -> None:
    release_old = threading.Event()
    old_started = threading.Event()
    results: list[str] = []

    def old(progress: Progress, cancelled: CancelCheck) -> str:
        old_started.set()
        release_old.wait(WAIT)
        return "old"

    def new(progress: Progress, cancelled: CancelCheck) -> str:
        return "new"

    first = ops.start("phone", old, results.append)
    assert old_started.wait(WAIT)
    with qtbot.waitSignal(ops.finished, timeout=5000):
        second = ops.start("phone", new, results.append)
    assert second > first
    with qtbot.waitSignal(ops.dropped, timeout=5000) as dropped:
        release_old.set()
    assert dropped.args == ["phone", first]
    assert results == ["new"]


def test_two_devices_scan_at_the_same_time(ops: Operations, qtbot: QtBot) -> None:
    both_running = threading.Barrier(2, timeout=WAIT)
    results: dict[str, str] = {}

    def work_for(name: str):  # type: ignore[no-untyped-def]
        def work(progress: Progress, cancelled: CancelCheck) -> str:
            both_running.wait()  # breaks (and fails the run) unless the other one runs too
            return name

        return work

    with qtbot.waitSignals([ops.finished, ops.finished], timeout=10000):
        ops.start("a", work_for("a"), lambda r: results.__setitem__("a", r))
        ops.start("b", work_for("b"), lambda r: results.__setitem__("b", r))
    assert results == {"a": "a", "b": "b"}


def test_failures_reach_the_failure_callback(ops: Operations, qtbot: QtBot) -> None:
    failures: list[BaseException] = []

    def work(progress: Progress, cancelled: CancelCheck) -> None:
        raise DeviceGone("R58M", "The phone was unplugged during the scan.")

    with qtbot.waitSignal(ops.finished, timeout=5000):
        ops.start("phone", work, lambda r: None, failures.append)
    assert len(failures) == 1
    assert isinstance(failures[0], DeviceGone)


def test_work_that_notices_a_cancel_itself_is_silent(ops: Operations, qtbot: QtBot) -> None:
    failures: list[BaseException] = []
    cancels: list[bool] = []

    def work(progress: Progress, cancelled: CancelCheck) -> None:
        raise Cancelled()

    with qtbot.waitSignal(ops.finished, timeout=5000):
        ops.start(
            "phone",
            work,
            lambda r: None,
            failures.append,
            on_cancelled=lambda: cancels.append(True),
        )
    assert failures == []
    assert cancels == [True]
