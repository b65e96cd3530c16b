"""The one way the desktop app runs long work: off the GUI thread, cancellable, never stale.

`audit` functions take a progress callback and a cancel check (audit/progress.py). `Operations`
runs them on a small thread pool and brings their results back to the GUI thread with a queued
signal, the way Anki's QueryOp and taskman do. Each run has a key (one per device, say) and a
generation: starting a run for a key supersedes the one before it, and cancelling a key retires
it at once. A result whose generation is no longer current is dropped, so a cancelled or
superseded scan can never overwrite newer results. Progress is polled from the GUI thread
(Orange's TaskState throttling, Anki's 100 ms poll), so a chatty scan cannot flood the event loop.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from audit.errors import Cancelled
from audit.progress import CancelCheck, Progress

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[Progress, CancelCheck], T]
"""The work to run: called as work(progress, cancelled) on a worker thread."""

POLL_MS = 100


@dataclass
class _Run(Generic[T]):
    key: str
    generation: int
    label: str
    on_success: Callable[[T], None]
    on_failure: Callable[[BaseException], None] | None
    on_cancelled: Callable[[], None] | None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    started_at: float = field(default_factory=time.monotonic)
    # Written by the worker, read by the GUI poll; a tuple assignment is atomic under the GIL.
    latest: tuple[float, str] | None = None
    shown: tuple[float, str] | None = None


@dataclass(frozen=True)
class _Outcome:
    key: str
    generation: int
    result: Any = None
    error: BaseException | None = None


class Operations(QObject):
    """Runs work for keys (devices) in the background; at most one current run per key."""

    progress = Signal(str, float, str)
    """key, fraction done, what is happening now (throttled to one per poll)."""
    running_changed = Signal(str, bool)
    """key, whether a run is current for it."""
    finished = Signal(str, int)
    """key, generation: a current run's result was delivered (success, failure or cancel)."""
    dropped = Signal(str, int)
    """key, generation: a retired run ended and its result was thrown away."""

    _delivered = Signal(object)

    def __init__(self, parent: QObject | None = None, max_workers: int = 4) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="audit-op")
        self._runs: dict[str, _Run[Any]] = {}
        self._generations = itertools.count(1)
        self._delivered.connect(self._on_delivered)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._emit_progress)
        self._closed = False

    # --- starting and stopping ---------------------------------------------------------------

    def start(
        self,
        key: str,
        work: Work[T],
        on_success: Callable[[T], None],
        on_failure: Callable[[BaseException], None] | None = None,
        *,
        on_cancelled: Callable[[], None] | None = None,
        label: str = "",
    ) -> int:
        """Run `work` for `key`, superseding any current run for it; returns the generation."""
        if self._closed:
            raise RuntimeError("Operations is shut down")
        previous = self._runs.pop(key, None)
        if previous is not None:
            previous.cancel_event.set()
            log.debug("run %s#%d superseded", key, previous.generation)
        run: _Run[T] = _Run(
            key, next(self._generations), label, on_success, on_failure, on_cancelled
        )
        self._runs[key] = run
        if previous is None:
            self.running_changed.emit(key, True)
        if not self._poll.isActive():
            self._poll.start()
        self._pool.submit(self._work, run, work)
        return run.generation

    def cancel(self, key: str) -> bool:
        """Retire the current run for `key` now; its work stops at its next check."""
        run = self._runs.pop(key, None)
        if run is None:
            return False
        run.cancel_event.set()
        log.info("run %s#%d cancelled", key, run.generation)
        self.running_changed.emit(key, False)
        if run.on_cancelled is not None:
            run.on_cancelled()
        return True

    def cancel_all(self) -> None:
        for key in list(self._runs):
            self.cancel(key)

    def shutdown(self) -> None:
        """Cancel everything and stop taking work; workers finish on their own."""
        self.cancel_all()
        self._closed = True
        self._poll.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- what is running ---------------------------------------------------------------------

    def is_running(self, key: str) -> bool:
        return key in self._runs

    def running_keys(self) -> tuple[str, ...]:
        return tuple(self._runs)

    def label(self, key: str) -> str:
        run = self._runs.get(key)
        return run.label if run else ""

    def running_for(self, key: str) -> float:
        """Seconds the current run for `key` has been going; 0.0 when none runs."""
        run = self._runs.get(key)
        return time.monotonic() - run.started_at if run else 0.0

    def current_progress(self, key: str) -> tuple[float, str] | None:
        run = self._runs.get(key)
        return run.latest if run else None

    # --- worker side -------------------------------------------------------------------------

    def _work(self, run: _Run[T], work: Work[T]) -> None:
        def progress(fraction: float, message: str) -> None:
            run.latest = (min(max(fraction, 0.0), 1.0), message)

        try:
            outcome = _Outcome(
                run.key, run.generation, result=work(progress, run.cancel_event.is_set)
            )
        except BaseException as error:  # every failure goes back to the GUI
            outcome = _Outcome(run.key, run.generation, error=error)
        try:
            self._delivered.emit(outcome)
        except RuntimeError:  # the Operations object was deleted while the work ran
            log.debug("result of %s#%d arrived after shutdown", run.key, run.generation)

    # --- GUI side ----------------------------------------------------------------------------

    @Slot(object)
    def _on_delivered(self, outcome: _Outcome) -> None:
        run = self._runs.get(outcome.key)
        if run is None or run.generation != outcome.generation:
            log.debug("dropping result of retired run %s#%d", outcome.key, outcome.generation)
            self.dropped.emit(outcome.key, outcome.generation)
            return
        del self._runs[outcome.key]
        if not self._runs:
            self._poll.stop()
        self.running_changed.emit(outcome.key, False)
        try:
            if outcome.error is None:
                run.on_success(outcome.result)
            elif isinstance(outcome.error, Cancelled):
                if run.on_cancelled is not None:
                    run.on_cancelled()
            elif run.on_failure is not None:
                run.on_failure(outcome.error)
            else:
                raise outcome.error
        finally:
            self.finished.emit(outcome.key, outcome.generation)

    @Slot()
    def _emit_progress(self) -> None:
        for run in list(self._runs.values()):
            latest = run.latest
            if latest is not None and latest != run.shown:
                run.shown = latest
                self.progress.emit(run.key, latest[0], latest[1])
