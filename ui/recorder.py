"""Every audit goes into the history (audit.store), written off the GUI thread, in order.

What is written, and how, is the workflow's (audit.workflow.history: `record_check`,
`record_done`, `record_signed_file`, and `recorded`, the demo rule): this module only orders the
window's writes and runs them off the GUI thread, as the workflow's `DeviceAudit` writes a
command's. The removal window's own workflow (ui.wizard) writes no history: this does.

One `AuditRecorder` per app holds the one `Store`, opened on first use on a worker thread (the
database module and its migrations stay off the start-up path). Writes run through the app's
background helper (ui.ops) one at a time, in the order they were asked for: a scan's audit must
exist before its rescan, actions and receipt are added to it. Each write names its audit by an
`AuditHandle`, whose id the first write fills in on the worker thread; the writes after it run
later on the same queue, so they always see it.

Reads (history, dashboard, imports) use `run`, which runs a function of the store through ui.ops
under the caller's key, so a newer search supersedes an older one. A read that asks
`read_only` goes, on a team history, through a read-only connection of its own: it never
queues behind a write on the writers' connection (a long import holds that one), and an office
login, which may only read, reads the same way.

Switching history (`use`) never waits on the window's thread: each write is bound to the
history in use when it was asked for (ui.recorder_writer.Writer), so what was asked of the old
history is written there, in order, on a worker thread, and what is asked after the switch goes
to the new one, after it. An audit begun in the old history is closed for the new one (its id
means nothing there, or another audit), so the next check begins a new audit, and a step still
sent to the old audit is refused in words.

What waits in the outbox is counted after each write and each send (`waiting_changed`), so the
window can say it for as long as it lasts, and `send_now` sends it from the write queue.

Closing the app flushes the queue: writes not yet done are done there and then, so an audit the
person saw finish is never lost to a quick quit.

A team history (a postgresql:// address, issue 18) is opened with its password from the keyring
(audit.store.pg.open_team asks it), never from settings. When its server cannot be reached before
anything of this app run reached it, the writes go to the outbox instead (audit.store.outbox, the
same rule as the command line's audit.workflow.history), the person is told so, and the first
write that reaches the server later (this run or the next) sends what waited. After something of
this run reached the team history, a drop is said as any failed write is: an audit id there
belongs to the team, and writing it into the outbox could land on another audit. Each audit's
uid is chosen in `begin`, before its first write, as the command line's: a first write the
server saved just as the connection dropped is kept in the outbox under that uid, and sending
it completes the team's audit instead of adding a second one.

The simulated demo phone is never written: `begin` gives its audit a handle marked `demo`, the
writes to it do nothing, and `not_recorded` says so once (audit.store.DEMO_NOT_RECORDED), so the
history, dashboard and exports hold only real devices while the demo walks the whole flow.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, Signal

from audit.i18n import _
from audit.model import ActionResult, Assessment
from audit.progress import CancelCheck, Progress
from ui.ops import Operations
from ui.recorder_writer import Job as _Job
from ui.recorder_writer import Sent as _Sent
from ui.recorder_writer import Writer, send_now, waiting_now
from ui.recorder_writer import write as write_job

if TYPE_CHECKING:
    from audit.store import Store
    from audit.workflow.notices import Notice

log = logging.getLogger(__name__)

__all__ = ["AuditHandle", "AuditRecorder", "assessment_key"]

T = TypeVar("T")
WRITE_KEY = "history:write"
FLUSH_WAIT_S = 30.0


@dataclass(eq=False)
class AuditHandle:
    """One audit being written: which device and policy, and its id once the store gave one."""

    device_id: str
    policy_id: str
    policy_sha256: str
    id: int | None = None  # set on the worker thread by the write that begins the audit
    # The audit's identity in every history (this file, the outbox, the team history), chosen
    # in `begin` before its first write: a write whose answer was lost, kept in the outbox,
    # is the same audit when sent (audit.store.move finds it by this uid), never a second one.
    uid: str = ""
    closed: bool = False  # a receipt was asked to be recorded: later scans start a new audit
    scans: set[tuple[str, str, str]] = field(default_factory=set)  # assessments asked for
    demo: bool = False  # the simulated demo phone: nothing of this audit is written
    # The audit ids it lives among (its Writer's `ids`): a step is written only by a writer of
    # the same ids, never on an audit of another history that merely has the same number.
    history: object = None
    stranded: bool = False  # kept on this computer: the team refused it when it was sent


@dataclass(frozen=True)
class _Held:
    """A receipt's write that landed, and what to tell the person about it."""

    handle: AuditHandle
    notice: Notice


def assessment_key(assessment: Assessment) -> tuple[str, str, str]:
    """What makes two assessments the same record (audit.workflow.history, loaded when the
    first check is written: the history's modules stay off the start-up path)."""
    from audit.workflow.history import assessment_key as key

    return key(assessment)


class AuditRecorder(QObject):
    """The app's history: ordered background writes, and reads through ui.ops."""

    written = Signal(object)
    """An AuditHandle after a write to its audit landed."""
    waiting_changed = Signal(int)
    """How many audits wait in the outbox, when that changed (after a write, a send, a
    switch, or `refresh_waiting`)."""
    sent = Signal(object)
    """A Notice saying what "Send now" did."""
    switched = Signal()
    """Another history is in use (`use`)."""
    failed = Signal(object)
    """An error of a write (StoreError: the disk is full, the file is damaged...)."""
    not_recorded = Signal(str)
    """Words saying that an audit is not kept (the demo phone's); once per app run."""
    held = Signal(object)
    """An audit.workflow Notice to show: the history holds a signed audit back (its exemption is
    not one this history accepted), or the team history's server is away and the audit is kept
    on this computer, or what waited there was sent; with what to do."""

    def __init__(
        self,
        operations: Operations,
        path: Path | str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ops = operations
        # A file, a team history's address, or None (the default file). An address from the
        # dialog holds no password; one DEVICE_AUDIT_DB holds is never shown (target.shown).
        self.path = path
        self._writer = Writer(path)  # where the writes asked from now on go
        self._read_store: Store | None = None  # a team history's read-only connection
        self.waiting: int | None = None  # audits in the outbox, as last counted
        self._read_lock = threading.Lock()  # opening the reader never waits on the writers
        self._handles: weakref.WeakSet[AuditHandle] = weakref.WeakSet()
        self._runs_writing = 0  # run() calls that may write, in flight (an import, say)
        self._runs_lock = threading.Lock()
        self._claim_lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._current: _Job | None = None
        self._closed = False
        self.demo_said = False
        self.timings: list[tuple[str, float]] = []  # (what, seconds) of each write, for bench

    # --- the store ------------------------------------------------------------------------

    def store(self) -> Store:
        """The store, opened on first use (call from a worker thread: it may migrate)."""
        return self._writer.open()

    @property
    def _store(self) -> Store | None:
        """The writers' connection, if one is open (tests check that reads opened none)."""
        return self._writer.store

    @property
    def queued(self) -> bool:
        """Whether the writes go to the outbox: the team history could not be reached."""
        return self._writer.queued

    @property
    def path_in_use(self) -> Path | None:
        """The outbox, while the team history's server is away."""
        return self._writer.path_in_use

    def _reader(self) -> Store:
        """The team history opened read-only, on first use (from a worker thread). A history
        that must first be brought up to date is updated through the writers' connection when
        this login may (a technician's); an office login gets the read-only refusal's words."""
        with self._read_lock:
            if self._read_store is None:
                from audit.store import Store
                from audit.store.db import OlderHistory

                try:
                    self._read_store = Store(self.path, read_only=True)
                except OlderHistory as older:
                    try:
                        self.store()  # migrates, if this login may
                    except Exception:
                        raise older from None
                    self._read_store = Store(self.path, read_only=True)
            return self._read_store

    def _forget(self, store: Store, error: BaseException) -> None:
        """The reader's connection the server dropped (a restart, the network) stays dead:
        forget it, so that the next read connects again (the writers': Writer.forget)."""
        from audit.store.outbox import unreachable

        if not unreachable(error):
            return
        with self._read_lock:
            if store is self._read_store:
                self._read_store = None
        store.close()

    def _read(
        self,
        query: Callable[[Store, Progress, CancelCheck], T],
        progress: Progress,
        cancelled: CancelCheck,
    ) -> T:
        """A read through the team history's read-only connection; once more on a new one
        when the old one failed because the server dropped it since the last read (a restart
        at night), or was replaced meanwhile (a read beside this one met the drop first)."""
        from audit.errors import StoreError
        from audit.store.outbox import unreachable

        reader = self._reader()
        try:
            return query(reader, progress, cancelled)
        except StoreError as error:
            if not unreachable(error) and reader is self._read_store:
                raise
            self._forget(reader, error)
        return query(self._reader(), progress, cancelled)

    def _on_team(
        self,
        query: Callable[[Store, Progress, CancelCheck], T],
        progress: Progress,
        cancelled: CancelCheck,
    ) -> T:
        """A write asked through run() (a trust decision, an import) while the audits go to
        the outbox: to the team history itself, on a connection of its own, or its refusal in
        words ("cannot be reached"). Only audits wait in the outbox to be sent: a technician
        enrolled or a policy accepted there would never reach the team, while the person was
        told it was done."""
        from audit.store import Store

        with Store(self.path) as team:
            return query(team, progress, cancelled)

    def _close_stores(self) -> None:
        with self._read_lock:
            reader, self._read_store = self._read_store, None
        if reader is not None:
            reader.close()
        self._writer.close()

    @property
    def team(self) -> bool:
        """Whether the history is a team history on a server (a postgresql:// address)."""
        from audit.cli.target import is_team

        return is_team(self.path)

    @property
    def busy_writing(self) -> bool:
        """Whether a write through `run` is under way (an import, a trust change, a
        re-judging): switching history now would close the history under it."""
        with self._runs_lock:
            return self._runs_writing > 0

    def use(self, target: Path | str | None) -> None:
        """Use another history from now on (File › Team history…), without waiting: what was
        asked of the old one is still written there first, on a worker thread (the queue keeps
        the order), then its connections close; the audits begun there are closed for the new
        one. Reads from now on read `target`."""
        old = self._writer
        if target != self.path or old.queued:
            # The ids it gave mean nothing in `target`: the next check begins anew, and a step
            # still sent to one of its audits is refused (their `history` is not the new one's).
            for handle in list(self._handles):
                handle.closed = True
            self._writer = Writer(target)
        # else the same history: the same writer goes on (its audits too, whatever its server
        # does meanwhile); its connections open again, with the password the keyring has now.
        self.path = target
        with self._read_lock:
            reader, self._read_store = self._read_store, None

        def retire(_nothing: object) -> None:
            old.close()
            if reader is not None:
                reader.close()

        self._submit(_Job("switch", retire, old, plain=True))
        self.switched.emit()

    def refresh_waiting(self) -> None:
        """Count the audits waiting in the outbox, in the background; `waiting_changed` says
        it (at start: an outbox an earlier run left). Counted in the write queue's turn (every
        plain job counts when it is done): a count beside a write could open the outbox while
        that write is still making it."""
        self._submit(_Job("count", lambda _nothing: None, self._writer, plain=True))

    def send_now(self) -> None:
        """Send what waits in the outbox now, after the writes asked before (the write queue's
        order), off the window's thread; `sent` says what happened."""
        writer = self._writer

        def send(_nothing: object) -> _Sent:
            return _Sent(send_now(writer, list(self._handles)))

        self._submit(_Job("send", send, writer, plain=True))

    @property
    def sending(self) -> bool:
        """Whether a "Send now" is asked for and not done yet."""
        jobs = [*self._queue, *([self._current] if self._current is not None else [])]
        return any(job.what == "send" for job in jobs)

    def _note_waiting(self, count: int | None) -> None:
        if count is not None and count != self.waiting:
            self.waiting = count
            self.waiting_changed.emit(count)

    @property
    def store_path(self) -> Path:
        if isinstance(self.path, str):
            raise ValueError("a team history has no file")
        if self.path is not None:
            return self.path
        from audit.store import default_path

        return default_path()

    def run(
        self,
        key: str,
        query: Callable[[Store, Progress, CancelCheck], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[BaseException], None] | None = None,
        *,
        on_cancelled: Callable[[], None] | None = None,
        label: str = "",
        read_only: bool = False,
    ) -> int:
        """Run `query(store, progress, cancelled)` in the background under `key`. `read_only`:
        the query only reads, so a team history is read through a read-only connection of
        its own (what an office account may open; a write through it is refused)."""

        def work(progress: Progress, cancelled: CancelCheck) -> T:
            if read_only and self.team:
                return self._read(query, progress, cancelled)
            if read_only:
                return query(self.store(), progress, cancelled)
            with self._runs_lock:
                self._runs_writing += 1
            try:
                if self.team and self.queued:
                    return self._on_team(query, progress, cancelled)
                return query(self.store(), progress, cancelled)
            finally:
                with self._runs_lock:
                    self._runs_writing -= 1

        return self.ops.start(
            key, work, on_success, on_failure, on_cancelled=on_cancelled, label=label
        )

    # --- writing audits -------------------------------------------------------------------

    def begin(
        self,
        assessment: Assessment,
        *,
        person_name: str = "",
        staff_id: str = "",
        technician: str = "",
    ) -> AuditHandle:
        """A new audit of the assessment's device under its policy, with the assessment."""
        handle = AuditHandle(
            assessment.scan.device.id, assessment.policy.id, assessment.policy.sha256
        )
        handle.scans.add(assessment_key(assessment))
        handle.history = self._writer.ids
        self._handles.add(handle)
        # The one demo rule, and the audit's uid; the store loads later.
        from audit.workflow.history import new_uid, recorded

        handle.uid = new_uid()

        if not recorded(assessment.scan.device):
            handle.demo = True
            self._say_not_recorded()
            return handle

        def write(store: Store) -> AuditHandle:
            from audit.workflow.history import record_check

            handle.id = record_check(
                store,
                assessment,
                audit_id=None,
                person_name=person_name,
                staff_id=staff_id,
                technician=technician,
                uid=handle.uid,
            )
            return handle

        self._submit(_Job("begin", write, self._writer))
        return handle

    def add_assessment(self, handle: AuditHandle, assessment: Assessment) -> bool:
        """Add a scan (a rescan, or the same scan judged again) to the audit; False when this
        very assessment was recorded already."""
        key = assessment_key(assessment)
        if key in handle.scans or handle.demo:
            return False
        handle.scans.add(key)

        def write(store: Store, audit_id: int) -> None:
            from audit.workflow.history import record_check

            record_check(store, assessment, audit_id=audit_id)

        self._submit(_Job("assessment", self._on(handle, write), self._writer, handle))
        return True

    def add_actions(self, handle: AuditHandle, actions: Sequence[ActionResult]) -> None:
        if not actions or handle.demo:
            return
        done = tuple(actions)

        def write(store: Store, audit_id: int) -> None:
            from audit.workflow.history import record_done

            record_done(store, audit_id, done)

        self._submit(_Job("actions", self._on(handle, write), self._writer, handle))

    def add_receipt(
        self,
        handle: AuditHandle,
        path: Path,
        *,
        person_name: str,
        staff_id: str,
        technician: str,
    ) -> None:
        """The signed receipt, read back from its file; names the audit's person first (the
        receipt's signed attester is who the audit is for)."""
        handle.closed = True
        if handle.demo:
            return

        def write(store: Store, audit_id: int) -> Notice | None:
            from audit.workflow.history import record_signed_file

            return record_signed_file(
                store,
                audit_id,
                path,
                person_name=person_name,
                staff_id=staff_id,
                technician=technician,
            )

        def run_and_tell(store: Store) -> AuditHandle | _Held | None:
            if handle.id is None:  # beginning it failed, and that failure was reported
                return None
            notice = write(store, handle.id)
            if notice is None and self.queued:  # in the outbox: the team history lacks it
                from audit.workflow.history import kept_receipt_notice

                notice = kept_receipt_notice()
            return handle if notice is None else _Held(handle, notice)

        self._submit(_Job("receipt", run_and_tell, self._writer, handle))

    def _say_not_recorded(self) -> None:
        if self.demo_said:
            return
        self.demo_said = True
        from audit.store import DEMO_NOT_RECORDED

        log.info("%s", DEMO_NOT_RECORDED)  # the log in English, the person in their language
        self.not_recorded.emit(_(DEMO_NOT_RECORDED))

    @staticmethod
    def _on(
        handle: AuditHandle, write: Callable[[Store, int], object]
    ) -> Callable[[Store], AuditHandle | None]:
        def run(store: Store) -> AuditHandle | None:
            if handle.id is None:  # beginning it failed, and that failure was reported
                log.info("skipping a write to an audit that could not be started")
                return None
            write(store, handle.id)
            return handle

        return run

    # --- the queue ------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._queue) + (self._current is not None)

    def _submit(self, job: _Job) -> None:
        if self._closed:
            self._execute(job)  # after shutdown: write at once, nothing else will
            return
        self._queue.append(job)
        if self._current is None:
            self._next()

    def _next(self) -> None:
        if self._current is not None or not self._queue or self._closed:
            return
        job = self._queue.popleft()
        self._current = job

        def work(_progress: Progress, _cancelled: CancelCheck) -> object:
            if not job.claim(self._claim_lock):
                return None
            return self._execute(job)

        def settle() -> None:
            if self._current is job:
                self._current = None
            self._next()

        def done(result: object) -> None:
            if not job.plain:
                self.timings.append((job.what, job.seconds))
            self._note_waiting(job.waiting)
            if isinstance(result, _Sent):
                settle()  # done: the words come with the send no longer under way
                self.sent.emit(result.notice)
                return
            if isinstance(result, _Held):
                self.written.emit(result.handle)
                self.held.emit(result.notice)
            elif isinstance(result, AuditHandle):
                self.written.emit(result)
            settle()

        def failed(error: BaseException) -> None:
            self._note_waiting(job.waiting)
            self.failed.emit(error)
            settle()

        def cancelled() -> None:
            # Only when the app shuts its helper down: the write may not have run, so it goes
            # back to the queue for flush(), which does it unless the worker already did.
            if self._current is job:
                self._current = None
                self._queue.appendleft(job)

        self.ops.start(WRITE_KEY, work, done, failed, on_cancelled=cancelled, label=_("Saving"))

    def _execute(self, job: _Job) -> object:
        start = time.perf_counter()
        try:
            return job.write(None) if job.plain else write_job(job, self.held.emit)
        finally:
            job.seconds = time.perf_counter() - start
            if job.writer.team or job.plain:  # a file history never writes to the outbox
                job.waiting = waiting_now()
            job.finished.set()

    def flush(self) -> None:
        """Do every write not done yet, now (on the calling thread): for closing the app."""
        self._closed = True
        current, self._current = self._current, None
        jobs = ([current] if current is not None else []) + list(self._queue)
        self._queue.clear()
        for job in jobs:
            if job.what == "send" and job.claim(self._claim_lock):
                continue  # closing: what waits stays on this computer, sent at the next run
            if job.claim(self._claim_lock):
                try:
                    self._execute(job)
                except Exception as error:  # closing: log it, keep the other writes
                    log.error("a history write failed while closing: %s", error)
            elif not job.finished.wait(FLUSH_WAIT_S):
                log.error("a history write did not finish while closing")

    def close(self) -> None:
        self.flush()
        self._close_stores()

    def wait_idle(self) -> bool:
        """True when nothing is queued or being written (tests wait for this)."""
        return self._current is None and not self._queue
