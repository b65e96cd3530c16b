"""Where the recorder's write queue writes, and "Send now" for what waits in the outbox.

Split out of ui.recorder. A `Writer` is one history the queue writes to: its address or file,
its connection, and whether its writes go to the outbox because the team history's server was
away (audit.store.outbox). Every write job is bound to the writer in use when it was asked
for, so switching history (ui.recorder's `use`) never blocks the window: the writes asked of
the old history stay in the queue, in order, and run against it on a worker thread; the ones
asked after the switch run against the new one. `ids` names the set of audit ids a writer's
audits live in: a handle begun under another set is refused, never written on an audit that
merely has the same number in the history in use. `write` runs one job: into the outbox
when the team history's server cannot be reached before anything of the writer reached it
(the rule ui.recorder's docstring gives), and then sends what waited once a write got there.

`send_now` sends the outbox from the write queue (so no write of this run runs beside it) and
says what happened in plain words. While this run's audits are in the outbox (`queued`), a
send that reached the team history moves them there: their handles take the team's ids (found
by uid, which the move keeps), and the writer writes to the team history again. A handle whose
audit the team refused stays on this computer: its later steps are refused in words.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.i18n import _

if TYPE_CHECKING:
    from typing import Protocol

    from audit.store import Store
    from audit.workflow.notices import Notice

    class Handle(Protocol):
        """What this module needs of ui.recorder.AuditHandle (for the type checker only:
        a class made at import would slow the app's start)."""

        uid: str
        id: int | None
        demo: bool
        history: object
        stranded: bool
        closed: bool


Say = Callable[["Notice"], None]

log = logging.getLogger(__name__)


class Writer:
    """One history the write queue writes to (see the module docstring)."""

    def __init__(self, path: Path | str | None) -> None:
        self.path = path
        self.ids = object()  # the audit ids its audits live among: its own
        self.store: Store | None = None
        self.queued = False  # writing to the outbox: the team history could not be reached
        self.team_written = False  # something of this run is in the team history
        self.outbox_tried = False
        self.path_in_use: Path | None = None  # the outbox, while the server is away
        self.lock = threading.Lock()

    @property
    def team(self) -> bool:
        from audit.cli.target import is_team

        return is_team(self.path)

    def open(self) -> Store:
        """Its store, opened on first use (on a worker thread: it may migrate). The password
        of a team history: audit.store.pg, from the keyring."""
        with self.lock:
            if self.store is None:
                from audit.store import Store

                self.store = Store(self.path_in_use if self.queued else self.path)
            return self.store

    def close(self) -> None:
        with self.lock:
            if self.store is not None:
                self.store.close()
            self.store = None

    def forget(self, store: Store, error: BaseException) -> None:
        """A team history's connection the server dropped (a restart, the network) stays
        dead: forget it, so that the next write connects again."""
        from audit.store.outbox import unreachable

        if not self.team or not unreachable(error):
            return
        with self.lock:
            if store is self.store and not self.queued:
                self.store = None
        store.close()


class Sent:
    """What "Send now" did, in words (a plain class: a dataclass costs the app's start)."""

    __slots__ = ("notice",)

    def __init__(self, notice: Notice) -> None:
        self.notice = notice


@dataclass(eq=False)
class Job:
    """One write of the queue, bound to the history in use when it was asked for."""

    what: str
    write: Callable[[Any], object]  # given the store; None when `plain`
    writer: Writer
    handle: Handle | None = None  # the audit it adds to (None: it begins one)
    plain: bool = False  # runs as is, with no store: closing a writer, a send
    claimed: bool = False
    finished: threading.Event = field(default_factory=threading.Event)
    seconds: float = 0.0
    waiting: int | None = None  # the outbox's audits after it ran (None: not counted)

    def claim(self, lock: threading.Lock) -> bool:
        with lock:
            if self.claimed:
                return False
            self.claimed = True
            return True


OUTBOX_FILE = "outbox.sqlite3"  # audit.store.outbox.FILE_NAME, named without loading the store


def waiting_now() -> int | None:
    """How many audits wait in the outbox; None when it cannot be read (said in the log: the
    count is news, never in the way of a write). Never creates the outbox. With no outbox
    (most starts), the history's modules are not loaded: the app's start stays lean."""
    try:
        from audit.paths import data_dir

        if not (data_dir() / OUTBOX_FILE).exists():
            return 0
        from audit.store.outbox import waiting

        return waiting()
    except Exception as error:
        log.error("the audits waiting on this computer could not be counted: %s", error)
        return None


def send_now(writer: Writer, handles: Iterable[Handle]) -> Notice:
    """Send the outbox to the writer's team history, now; what to tell the person."""
    from audit.errors import AuditError
    from audit.store.outbox import send, unreachable
    from audit.workflow.notices import Notice

    if not writer.team:
        return Notice(
            _("Nothing was sent: the history in use is this computer's own."),
            _("To send them, choose the team history with File › Team history…"),
            warning=True,
        )
    team: Store | None = None
    try:
        if writer.queued:  # its store is the outbox: the team history gets a connection now
            from audit.store import Store

            team = Store(writer.path)
        else:
            team = writer.open()
        report = send(team)
    except AuditError as error:
        if team is not None and team is not writer.store:
            team.close()
        elif team is not None and unreachable(error):
            writer.close()  # the connection is gone: the next write connects again
        if unreachable(error):
            return Notice(
                _(
                    "The team history still cannot be reached, so nothing was sent. The audits "
                    "stay on this computer; nothing is lost."
                ),
                # Translators: {problem} is the sentence saying why the server cannot be reached.
                _(
                    "Try Send now again later. If this lasts, tell your administrator: {problem}"
                ).format(problem=error.message),
                warning=True,
            )
        return Notice(
            _(
                "The audits waiting on this computer could not be sent to the team "
                "history yet: {problem}"
            ).format(problem=error.message),
            error.next_step,
            warning=True,
        )
    writer.outbox_tried = True
    if writer.queued:
        _back_to_team(writer, team, handles)
    return Notice(" ".join(report.lines()), warning=bool(report.refused))


def _back_to_team(writer: Writer, team: Store, handles: Iterable[Handle]) -> None:
    """This run's audits were in the outbox and the send reached the team history: their
    handles take the team's ids (by uid), and the writer writes there again. One the team
    refused (still in the outbox) is stranded: its later steps are refused in words."""
    from audit.store import Store
    from audit.store.outbox import outbox_path
    from audit.workflow.history import find_uid

    left: set[str] = set()
    if outbox_path().exists():
        with Store(outbox_path(), read_only=True) as box:
            left = set(
                box._read(lambda conn: [str(r[0]) for r in conn.execute("SELECT uid FROM audits")])
            )
    for handle in handles:
        if handle.demo or handle.history is not writer.ids or handle.id is None:
            continue
        found = None if handle.uid in left else find_uid(team, handle.uid)
        if found is None:
            handle.stranded = handle.closed = True
        else:
            handle.id = found
    with writer.lock:
        if writer.store is not None:
            writer.store.close()  # the outbox
        writer.store = team
        writer.queued = False
        writer.path_in_use = None
        writer.team_written = True  # the ids are the team's now: a drop is said, never queued


def same_history(handle: Handle, writer: Writer) -> None:
    """Refuse, in words, a step of an audit begun in the history used before a switch: its id
    there names nothing, or another device's audit, in the history in use now. Also a step of
    an audit the team history refused when it was sent: it stays on this computer as it was."""
    from audit.errors import StoreError

    if handle.stranded:
        raise StoreError(
            _(
                "This step belongs to an audit the team history refused when it was sent "
                "(the reason was shown then), so it was not added anywhere."
            ),
            _(
                "The audit stays on this computer. Check the device again to start a new "
                "audit; a receipt file already saved can be added with File › Import receipts…"
            ),
        )
    if handle.history is not writer.ids:
        raise StoreError(
            _(
                "This step belongs to an audit begun before the history was switched, so it "
                "was not added to the history in use now."
            ),
            _(
                "Check the device again to audit it in this history. A receipt file already "
                "saved can be added with File › Import receipts…"
            ),
        )


def write(job: Job, say: Say) -> object:
    """The job's write; to the outbox when the team history's server is away (see the
    module docstring), then what waited is sent once the team history took a write."""
    from audit.errors import StoreError

    writer = job.writer
    if job.handle is not None:
        same_history(job.handle, writer)
    store: Store | None = None
    try:
        store = writer.open()
        result = job.write(store)
    except StoreError as error:
        if not writer.team or writer.queued or writer.team_written:
            if store is not None and writer.team:  # said; the next write connects again
                writer.forget(store, error)
            raise
        from audit.store.outbox import unreachable

        if not unreachable(error):
            raise
        return _to_outbox(job, error, say)
    if writer.team and not writer.queued:
        writer.team_written = True
        _send_outbox(writer, say)
    return result


def _to_outbox(job: Job, error: BaseException, say: Say) -> object:
    from audit.store.outbox import outbox_path
    from audit.workflow.history import kept_notice

    writer = job.writer
    with writer.lock:
        if writer.store is not None:
            writer.store.close()  # its connection is gone; nothing of this run is there
        writer.store = None
        writer.queued = True
        writer.path_in_use = outbox_path()
    result = job.write(writer.open())
    message = getattr(error, "message", str(error))
    say(kept_notice(message))
    return result


def _send_outbox(writer: Writer, say: Say) -> None:
    """Send what waits in the outbox, once, after a write reached the team history; a
    failure leaves it waiting and is said, never in the way of the audit."""
    if writer.outbox_tried or writer.store is None:
        return
    writer.outbox_tried = True
    from audit.workflow.history import send_waiting

    said = send_waiting(writer.store)
    if said is not None:
        say(said)
