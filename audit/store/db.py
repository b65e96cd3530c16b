"""Opening the history database safely, and the text forms of times in it.

Durability: WAL journal with `synchronous=FULL`, so every commit is on disk (the WAL is fsynced)
before it returns. NORMAL would be faster but may lose the last commits on power loss, and the
promise is that nothing committed is ever lost; imports batch many files per commit so the fsync
is paid once per batch (bench/store.py measures both).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from audit.errors import StoreError
from audit.i18n import N_, _
from audit.store.schema import APPLICATION_ID, LATEST_VERSION, MIGRATIONS

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


# Said to people in the app and at the command line alike, so it names both ways.
REIMPORT = N_(
    "Receipts can be imported again (File › Import receipts… in the app, or "
    "'device-audit import DIR')."
)


def timestamp(value: datetime) -> str:
    """Fixed-width UTC text ("2023-03-28T09:00:00.000000+00:00"): text order is time order."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def optional_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def optional_day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


class OlderHistory(StoreError):
    """A history opened read-only that needs bringing up to date first (which writes)."""


def open_read_only(path: Path) -> sqlite3.Connection:
    """Open the history at `path` for reading only, writing nothing (not even its journal), so
    a history on read-only media (a CD, a locked share, a write-protected stick) can be read.
    OlderHistory when it was made by an older Device Audit and needs migrating first."""
    if not path.is_file():
        raise StoreError(
            _("There is no history at {path}.").format(path=path), _("Check the path.")
        )
    last: Exception | None = None
    # "immutable" reads a WAL history whose shared-memory file cannot be made (read-only media).
    for mode in ("mode=ro", "immutable=1"):
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?{mode}",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            last = exc
            continue
        try:
            _check_identity(conn, path)
            check_pages(conn, path)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.OperationalError as exc:
            conn.close()
            last = exc
            continue
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # see open_database
            conn.close()
            raise StoreError(
                _("The history database {path} is damaged ({error}).").format(path=path, error=exc),
                _(
                    "Move the file aside and Device Audit will start a new history; keep the "
                    "damaged file for your IT department. {reimport}"
                ).format(reimport=_(REIMPORT)),
            ) from None
        except BaseException:
            conn.close()
            raise
        if version != LATEST_VERSION:
            conn.close()
            raise OlderHistory(
                _(
                    "The history database {path} was made by an older Device Audit and must be "
                    "brought up to date, which writes to it, but it cannot be written "
                    "(read-only)."
                ).format(path=path),
                _("Copy it to a folder you may write to, and open the copy with --db."),
            )
        return conn
    raise StoreError(
        _("The history database {path} cannot be read ({error}).").format(path=path, error=last),
        _("Check that the file is there and that you may read it."),
    )


def open_database(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the history database at `path`.

    Refuses, without writing anything, a file that is not SQLite, a SQLite file that is not a
    Device Audit history, and a history made by a newer Device Audit.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE in `transaction`), so
        # Python never opens or commits one behind our back.
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(
            _("The history database {path} cannot be opened ({error}).").format(
                path=path, error=exc
            ),
            _("Check that the folder exists and that you may write to it."),
        ) from None
    try:
        _check_identity(conn, path)
        check_pages(conn, path)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.info("history database %s uses journal mode %s, not WAL", path, mode)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn, path)
    # A damaged page can also come back as text that is not UTF-8 (UnicodeDecodeError).
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        conn.close()
        if not os.access(path if path.exists() else path.parent, os.W_OK):
            raise StoreError(
                _(
                    "The history database {path} is on a disk or in a folder that cannot be "
                    "written (read-only), so nothing can be added to it."
                ).format(path=path),
                _(
                    "Copy it to a folder you may write to and use the copy (--db). The history "
                    "and export commands can read it where it is."
                ),
            ) from None
        raise StoreError(
            _("The history database {path} cannot be used ({error}).").format(path=path, error=exc),
            _(
                "If the file is damaged, move it aside and Device Audit will start a new "
                "history. {reimport}"
            ).format(reimport=_(REIMPORT)),
        ) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _check_identity(conn: sqlite3.Connection, path: Path) -> None:
    """Read-only checks, made before any pragma that would write to the file."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and (version or tables)):
        conn.close()
        raise StoreError(
            _(
                "The file {path} is a database, but not a Device Audit history; it was left as is."
            ).format(path=path),
            _("Give the path of a Device Audit history (or of a new file) with --db."),
        )
    if version > LATEST_VERSION:
        conn.close()
        raise StoreError(
            _(
                "The history database {path} was written by a newer Device Audit (schema version "
                "{version}; this one knows up to {latest}). It was left untouched."
            ).format(path=path, version=version, latest=LATEST_VERSION),
            _("Update Device Audit to open it, or use another history file with --db."),
        )


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    if conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION:
        return
    with transaction(conn):
        # Read again inside the write lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > LATEST_VERSION:
            raise StoreError(
                _(
                    "The history database {path} was upgraded by a newer Device Audit while this "
                    "one was opening it. It was left untouched."
                ).format(path=path),
                _("Update Device Audit."),
            )
        for number in range(version, LATEST_VERSION):
            log.info("history database %s: migrating to schema version %d", path, number + 1)
            MIGRATIONS[number](conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION}")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed when the block ends, rolled back if it raises.

    BEGIN IMMEDIATE takes the write lock up front, so two writers wait for each other (up to the
    busy timeout) instead of failing halfway with "database is locked".
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        # SQLite may have rolled back already (a full disk does): then ROLLBACK would fail
        # with "no transaction is active" and hide the error that says what happened.
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def check_pages(conn: sqlite3.Connection, path: Path) -> None:
    """PRAGMA quick_check: a damaged file (zeroed or torn pages) is refused before anything is
    read from or written into it."""
    problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check(5)").fetchall()]
    if problems != ["ok"]:
        raise StoreError(
            _(
                "The history database {path} is damaged ({problems}). Nothing was written to it."
            ).format(path=path, problems="; ".join(problems)[:300]),
            _(
                "Move the file aside and Device Audit will start a new history; keep the "
                "damaged file for your IT department. {reimport}"
            ).format(reimport=_(REIMPORT)),
        )


@contextmanager
def sqlite_words(path: Path) -> Iterator[None]:
    """SQLite's errors (locked, disk full, damaged) as a StoreError a person can act on."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreError(
                _("The history {path} is busy: another Device Audit is writing to it.").format(
                    path=path
                ),
            ) from None
        if "full" in str(exc):
            raise StoreError(
                _(
                    "The disk that holds the history {path} is full: this could not be written "
                    "(everything written before is kept)."
                ).format(path=path),
                _(
                    "Free some space on that disk, or move the history to a disk with space, "
                    "then do it again."
                ),
            ) from None
        if "readonly" in str(exc):
            raise StoreError(
                _("The history {path} is on a disk or in a folder that cannot be written.").format(
                    path=path
                ),
                _(
                    "Copy it to a folder you may write to and use the copy (--db), or make the "
                    "disk writable."
                ),
            ) from None
        raise StoreError(
            _("The history {path} could not be read or written ({error}).").format(
                path=path, error=exc
            ),
            _("Check that the disk is not full and that you may write to the folder."),
        ) from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            _("The history {path} is damaged ({error}).").format(path=path, error=exc),
            _("Move the file aside: Device Audit will start a new history. {reimport}").format(
                reimport=_(REIMPORT)
            ),
        ) from None
