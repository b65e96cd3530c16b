"""The outbox: where a bench keeps its audits while the team history's server is away (issue 18).

A bench whose history is a team history (postgresql://) keeps working when the server cannot be
reached (a restart, a network drop): the audit is recorded in an ordinary SQLite history in the
data folder, `outbox.sqlite3`, and the person is told so (audit.workflow.history). Nothing in it
is special: `--db` opens it like any history, so nothing is hidden while it waits.

Sending it (`send`) is audit.store.move's idempotent move (an audit is its uid and its
receipts; one the team holds by its uid is completed there with what the outbox adds, so a
removal begun on one side and signed on the other is one audit), then the outbox forgets only
the audits the team history now holds whole (every receipt of them included), checked on the
team's side after the move, never taken from the move's own count, and the inventories only
they were judged on (the move took them along). The whole send holds the
outbox's write lock, so a bench recording into the outbox at the same moment waits rather than
adding to an audit that was just sent. What can go wrong, and why nothing is lost:
- the server drops mid-send: each chunk the move committed is in the team history; the outbox
  forgot nothing yet (its transaction rolls back), and the next send finds those audits already
  there and forgets them then;
- the team refuses an audit (a key it pins to someone else): it stays in the outbox, and the
  report gives the reason, each time, until the helpdesk settles it.

Only a server that cannot be reached sends an audit to the outbox (`unreachable`): a refused
login, a missing database or a refused right are answered by the server, so they are said as
errors, never queued for a "later" that would not fix them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.i18n import _, ngettext
from audit.paths import data_dir
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress

if TYPE_CHECKING:
    from audit.store.store import Store

FILE_NAME = "outbox.sqlite3"
# Server errors that mean "not there right now": a connection problem (class 08), the server
# shutting down, crashed or starting up (57P01..57P03). libpq reports a failure to connect
# without an SQLSTATE; when the server itself answered (a FATAL: wrong password, no such
# database) it is reachable, and waiting will not help.
_AWAY_STATES = ("08", "57P01", "57P02", "57P03")
_AWAY_WORDS = ("the database system is starting up", "the database system is shutting down")


def outbox_path() -> Path:
    """The outbox of this computer's user: beside the history in the data folder."""
    return data_dir() / FILE_NAME


def unreachable(error: BaseException) -> bool:
    """Whether `error` (a StoreError from audit.store.pg) says the team history's server cannot
    be reached now, as opposed to refusing what was asked. pg.py raises its StoreError inside
    the handler of the driver's error, so that error is the StoreError's context."""
    import sys

    psycopg = sys.modules.get("psycopg")  # never imported here: a file history never loads it
    link = sys.modules.get("audit.store.pg_link")  # loaded with it, by audit.store.pg
    cause = error.__cause__ or error.__context__
    if psycopg is None or link is None or not isinstance(cause, psycopg.OperationalError):
        return False
    # One judge for the words and for the outbox (pg_link.kind): a missing password
    # (libpq's "fe_sendauth", no FATAL, no SQLSTATE) or an option libpq refused before
    # connecting is no server being away, and waiting would never send the audit.
    return bool(link.kind(cause) == link.AWAY)


@dataclass
class SendReport:
    """What one send did; `refused` lists (audit uid, person, reason): they stay in the outbox."""

    sent: int = 0
    already_there: int = 0
    completed: int = 0  # audits the team held already, given what the outbox added to them
    refused: list[tuple[str, str, str]] = field(default_factory=list)
    waiting: int = 0  # audits still in the outbox afterwards

    def lines(self) -> list[str]:
        """The report in words, one line each."""
        if not (self.sent or self.already_there or self.completed or self.waiting):
            return [_("Nothing was waiting to be sent to the team history.")]
        out = [
            ngettext(
                "{sent} audit sent to the team history, {there} already there.",
                "{sent} audits sent to the team history, {there} already there.",
                self.sent,
            ).format(sent=self.sent, there=self.already_there)
        ]
        if self.completed:
            out.append(
                ngettext(
                    "{count} audit the team history held already was completed with what was "
                    "kept on this computer (scans, actions or its signed receipt).",
                    "{count} audits the team history held already were completed with what was "
                    "kept on this computer (scans, actions or their signed receipts).",
                    self.completed,
                ).format(count=self.completed)
            )
        for uid, person, reason in self.refused:
            out.append(
                _("Kept on this computer: audit {uid} ({person}): {reason}").format(
                    uid=uid, person=person or _("no one named"), reason=reason
                )
            )
        if self.waiting:
            out.append(
                ngettext(
                    "{count} audit is still waiting on this computer.",
                    "{count} audits are still waiting on this computer.",
                    self.waiting,
                ).format(count=self.waiting)
            )
        return out


def waiting(path: Path | None = None) -> int:
    """How many audits wait in the outbox (0 when there is none); read without writing."""
    from audit.store.store import Store

    where = path or outbox_path()
    if not where.exists():
        return 0
    with Store(where, read_only=True) as box:
        return _count(box._db)


def send(
    team: Store,
    path: Path | None = None,
    *,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
) -> SendReport:
    """Move the outbox's audits into `team` and forget those the team now holds (see the module
    docstring). A StoreError (the server gone again) leaves the outbox as it was."""
    from audit.store.move import move_history
    from audit.store.schema import recount
    from audit.store.store import Store

    where = path or outbox_path()
    if not where.exists():
        return SendReport()
    with Store(where) as box, box._write() as conn:
        if _count(conn) == 0:
            return SendReport()
        moved = move_history(box, team, progress=progress, cancelled=cancelled)
        refused = {uid for uid, _person, _reason in moved.refused}
        held = team._read(lambda team_conn: _held(conn, team_conn, refused))
        _forget(conn, held)
        if held:
            recount(conn)  # the outbox's own running totals, for whoever opens it with --db
        return SendReport(
            sent=moved.moved,
            already_there=moved.already_there,
            completed=moved.completed,
            refused=moved.refused,
            waiting=_count(conn),
        )


def _count(conn: Any) -> int:
    return int(conn.execute("SELECT count(*) FROM audits").fetchone()[0])


def _held(box: sqlite3.Connection, team: Any, refused: set[str]) -> list[int]:
    """The outbox's audits the team history holds whole: by uid (the move completed it with
    whatever the outbox added), or by a receipt of it imported there; and in either case every
    receipt of it is in the team history; never one the move refused (`refused`, by uid),
    which may hold scans or actions the team has not taken."""
    receipts: dict[int, list[tuple[str, str, str]]] = {}
    for audit_id, uid, payload, file in box.execute(
        "SELECT audit_id, uid, payload_sha256, file_sha256 FROM attestations"
    ):
        receipts.setdefault(int(audit_id), []).append((str(uid), str(payload), str(file)))
    held = []
    for audit_id, uid in box.execute("SELECT id, uid FROM audits ORDER BY id").fetchall():
        if str(uid) in refused:
            continue
        mine = receipts.get(int(audit_id), [])
        there = [
            team.execute(
                "SELECT 1 FROM attestations WHERE uid = ? OR payload_sha256 = ? OR file_sha256 = ?",
                receipt,
            ).fetchone()
            is not None
            for receipt in mine
        ]
        by_uid = team.execute("SELECT 1 FROM audits WHERE uid = ?", (uid,)).fetchone()
        if all(there) and (by_uid is not None or any(there)):
            held.append(int(audit_id))
    return held


def _forget(conn: sqlite3.Connection, audit_ids: list[int]) -> None:
    """Delete these audits and everything recorded under them, children first."""
    for start in range(0, len(audit_ids), 500):
        ids = audit_ids[start : start + 500]
        marks = ", ".join("?" * len(ids))
        conn.execute(
            f"DELETE FROM findings WHERE scan_id IN (SELECT id FROM scans WHERE audit_id IN"
            f" ({marks}))",
            ids,
        )
        for table in ("scans", "actions", "exemptions", "attestations"):
            conn.execute(f"DELETE FROM {table} WHERE audit_id IN ({marks})", ids)
        conn.execute(f"UPDATE audits SET derived_from = NULL WHERE derived_from IN ({marks})", ids)
        conn.execute(f"DELETE FROM audits WHERE id IN ({marks})", ids)
    # The inventories only the forgotten audits were judged on: the move took them along.
    conn.execute("DELETE FROM inventories WHERE digest NOT IN (SELECT inventory_digest FROM scans)")
