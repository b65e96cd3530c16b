"""A team history on a PostgreSQL server (issue 18): opening it, and its errors in plain words.

Only imported for a `postgresql://` target (store.Store), so psycopg (~240 ms of start-up,
research §4.4) costs nothing to the single user on the default SQLite file.

`PgConnection` is the slice of sqlite3.Connection the store uses (execute, executemany,
in_transaction, close), so the store's code and SQL serve both backends; audit.store.dialect
translates each statement. What the slice means on PostgreSQL:
- `BEGIN IMMEDIATE` (a write) is BEGIN plus a transaction-scoped advisory lock, the one write
  lock of the whole team history: writers queue as on SQLite, and the constraints (UNIQUE uid,
  payload and file digests) stay the guarantee against duplicates (research §3.3).
- `BEGIN` (a read) is REPEATABLE READ READ ONLY: the dashboard's several queries see one state
  while benches write.
- `PRAGMA user_version` / `application_id` read the da_meta row; `quick_check` and
  `integrity_check` answer "ok" (the server checks its pages itself: data checksums).
- lock_timeout bounds a wait for the write lock as busy_timeout does; synchronous_commit is
  forced on so "what returned is saved" holds whatever the server's default.
- The link has time limits (keepalives, statement_timeout, idle_in_transaction_session_timeout,
  and a deadline on every answer), so a silent network neither hangs a bench nor keeps the
  team's write lock; a failed connection is said as what it is (a refused login is not "cannot
  be reached"): both in audit.store.pg_link.
- jit is off: the store's statements each run in milliseconds, and a cost estimated high (stale
  statistics in the middle of a big import) made the server spend 300-700 ms compiling one
  import query that then ran in 10 ms (bench/store.py, 10,000 receipts).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg.conninfo
import psycopg.errors
from psycopg.pq import TransactionStatus

from audit.errors import StoreError
from audit.i18n import _
from audit.store import pg_link, pg_schema
from audit.store.dialect import (
    ID_TABLES,
    WRITE_LOCK,
    copy_target,
    in_arrays,
    inserted_table,
    keyed_update,
    to_postgres,
)
from audit.store.schema import APPLICATION_ID, LATEST_VERSION

log = logging.getLogger(__name__)

SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT_S = 10


def is_team_target(target: object) -> bool:
    """Whether a --db value names a PostgreSQL team history rather than a file."""
    return isinstance(target, str) and target.lower().startswith(SCHEMES)


def redact(target: str) -> str:
    """The target as it may be shown or logged: user, host, port and database only; never a
    password (in the URL or as ?password=), never other parameters. What cannot be parsed is
    not echoed at all."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(target)
    except (psycopg.Error, ValueError):  # ValueError: %-escapes that are not UTF-8 ("%80")
        return _("(a PostgreSQL address that cannot be read)")
    user = str(params.get("user") or "")
    host = str(params.get("host") or "")
    port = str(params.get("port") or "")
    dbname = str(params.get("dbname") or "")
    # A part that is not a plain name (a socket folder, a list of hosts, an odd user name) is
    # shortened rather than shown: it could hold anything, a password typed in the wrong place
    # included.
    user, host, port, dbname = (_plain(part) for part in (user, host, port, dbname))
    # A password typed with a "/" in it ("u:pass/word@h") reads as host "u", port "pass": a
    # port is digits or it is not shown.
    port = port if port.isdigit() else ("…" if port else "")
    where = host + (f":{port}" if port else "")
    return f"postgresql://{user + '@' if user else ''}{where}/{dbname}"


# The keyring entry of a team history's password: this service, the redacted target as user
# name. The password never goes into a settings file, a log or a message (issue 18).
KEYRING_SERVICE = "Device Audit team history"


def remember_password(target: str, password: str) -> str:
    """Keep the password of `target` in the OS keyring; returns the target to save and show
    (redacted: without the password). KeyringUnavailable when there is no usable keyring:
    never a plaintext fallback."""
    from audit.attestation.keys import usable_keyring

    shown = redact(target)
    usable_keyring().set_password(KEYRING_SERVICE, shown, password)
    return shown


def with_password(target: str) -> str:
    """The target with its password from the keyring when it names none itself; libpq's own
    PGPASSWORD and .pgpass still serve scripted benches (then the keyring is not asked). A
    keyring that cannot be read is passed over: the server then says the login failed."""
    params = psycopg.conninfo.conninfo_to_dict(target)
    if params.get("password") or os.environ.get("PGPASSWORD"):
        return target
    import keyring

    try:
        password = keyring.get_password(KEYRING_SERVICE, redact(target))
    except Exception:  # keyring raises whatever its backend raised (locked, absent, ...)
        log.info("no password from the keyring for %s", redact(target), exc_info=True)
        return target
    if password is None:
        return target
    return psycopg.conninfo.make_conninfo(target, password=password)


def _plain(part: str) -> str:
    return "…" if any(ch in part for ch in "/@?#:=' \n\\,%[]") else part


# The relink's upsert (schema.relink_keys) as one statement over arrays. (Its UPDATE, and
# every other plain keyed UPDATE, goes through PgConnection._update_from_arrays.)
_ARRAY_FORMS = {
    "INSERT INTO status_changes (policy_id, day, status, expires, delta)": (
        "INSERT INTO status_changes (policy_id, day, status, expires, delta)"
        " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::int[])"
        " ON CONFLICT (policy_id, day, status, expires)"
        " DO UPDATE SET delta = status_changes.delta + excluded.delta"
    ),
}


_INTEGERS = frozenset({"bigint", "integer", "smallint"})

# Column types a COPY sends in binary, and the Python values that are sent so (None too): a
# receipt's envelope then travels as its bytes, not as text twice its size that the server
# decodes again, and no value is escaped or parsed. A batch with any other value (a SQLite file
# moved in may hold text in an integer column) goes as text, which the server converts or
# refuses as before.
_BINARY_COPY: dict[str, type] = {**dict.fromkeys(_INTEGERS, int), "text": str, "bytea": bytes}

# Rows a table must have grown by, through this connection's COPYs, before it is analysed
# again (PgConnection._analyze_grown); and at least doubled.
ANALYZE_FROM = 1000


class _Inserted:
    """What an INSERT returns through execute(): the new row's id as sqlite3's lastrowid."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        row = cursor.fetchone()
        self.lastrowid: int | None = None if row is None else int(row[0])
        self.rowcount = cursor.rowcount

    def fetchone(self) -> None:
        return None

    def fetchall(self) -> list[Any]:
        return []


class _Rows:
    """A fixed answer (PRAGMA on PostgreSQL) shaped like a cursor."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows
        self.rowcount = -1
        self.lastrowid = None

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)


def _as_arrays(sql: str, params: Any) -> tuple[str, Any]:
    """The statement with its long IN lists as arrays (dialect.in_arrays) and its values
    packed to match; as it is when it has none, when its values are named, or when a list
    holds a NULL or values of two types (an array has one type, and an empty guess would
    not)."""
    if not params or not isinstance(params, (list, tuple)):
        return sql, params
    text, spans = in_arrays(sql)
    if not spans:
        return sql, params
    packed: list[Any] = []
    at = 0
    for start, count in spans:
        values = list(params[start : start + count])
        if len({type(value) for value in values}) != 1 or values[0] is None:
            return sql, params
        packed += [*params[at:start], values]
        at = start + count
    return text, [*packed, *params[at:]]


def _binary_copy(types: list[str], batch: list[Any]) -> bool:
    """Whether a COPY of these rows into columns of these types may go in binary."""
    if any(kind not in _BINARY_COPY for kind in types):
        return False
    none = type(None)
    # A column at a time, by exact type (a subclass goes as text): far cheaper than a test per
    # value, which cost as much as the COPY it chose.
    return all(
        set(map(type, column)) <= {_BINARY_COPY[kind], none}
        for column, kind in zip(zip(*batch, strict=True), types, strict=True)
    )


class PgConnection:
    """The store's connection on PostgreSQL (autocommit: transactions are explicit, as with
    sqlite3 and isolation_level=None)."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self._types: dict[str, dict[str, str]] = {}  # table -> column -> type (executemany)
        self._copied: dict[str, int] = {}  # table -> rows COPY wrote since its last ANALYZE
        self._analyzed: dict[str, int] = {}  # table -> its rows at the ANALYZE after a COPY
        self._analyzing: dict[str, bool] = {}  # table -> whether this account may ANALYZE it

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, params: Any = ()) -> Any:
        word = " ".join(sql.split()).upper()
        if word == "BEGIN IMMEDIATE":
            cursor = self.raw.execute("BEGIN")
            try:
                self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            except BaseException:
                # As a failed BEGIN IMMEDIATE on SQLite: no transaction is left open (the
                # caller's rollback only guards the block after BEGIN).
                self.execute("ROLLBACK")
                raise
            return cursor
        if word == "BEGIN":
            return self.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if word == "COMMIT":
            cursor = self.raw.execute("COMMIT")
            self._analyze_grown()
            return cursor
        if word == "ROLLBACK":
            # A server gone mid-transaction: there is nothing to roll back, and failing here
            # would hide the error that says what happened.
            if self.raw.closed or self.raw.broken:
                return _Rows([])
            return self.raw.execute("ROLLBACK")
        if word.startswith("PRAGMA"):
            return self._pragma(word)
        sql, params = _as_arrays(sql, params)
        text = to_postgres(sql)
        table = inserted_table(sql)
        if table is not None:
            return _Inserted(self.raw.execute(text + " RETURNING id", params))
        return self.raw.execute(text, params if params is not None else ())

    def executemany(self, sql: str, rows: Iterable[Any]) -> Any:
        """Many rows at once. A plain INSERT goes through COPY and the relink's per-row
        UPDATE / upsert through one statement over arrays: an import writes thousands of rows
        per batch, and per-row statements cost PostgreSQL a round trip each (research §4.2:
        COPY wrote 1,024 receipts/s against 737/s)."""
        cursor = self.raw.cursor()
        batch = list(rows)
        if not batch:
            return cursor
        for start, statement in _ARRAY_FORMS.items():
            if sql.startswith(start):
                cursor.execute(statement, [list(c) for c in zip(*batch, strict=True)])
                return cursor
        copied = copy_target(sql)
        if copied is not None:
            self._copy(cursor, *copied, batch)
            return cursor
        keyed = keyed_update(sql)
        if keyed is not None and len(batch) > 1 and self._update_from_arrays(cursor, *keyed, batch):
            return cursor
        cursor.executemany(to_postgres(sql), batch)
        return cursor

    def _update_from_arrays(
        self, cursor: Any, table: str, columns: list[str], key: str, batch: list[Any]
    ) -> bool:
        """A plain keyed UPDATE for a whole batch as one statement over arrays; False (not
        run) when a column's type is unknown. Per row, each UPDATE is a round trip and a plan;
        at once, the import's UPDATEs cost a fraction (bench/store.py). The last row of a key
        wins, as one by one: UPDATE ... FROM would take any one of a key's rows."""
        types = self._column_types(table)
        if any(name not in types for name in columns) or types.get(key) not in _INTEGERS:
            return False  # a text key may compare case-blind (nocase) where Python's dict does not
        last = {row[-1]: row for row in batch}
        arrays = [list(values) for values in zip(*last.values(), strict=True)]
        names = [f"v{n}" for n in range(len(columns))]
        casts = ", ".join(f"%s::{types[name]}[]" for name in (*columns, key))
        sets = ", ".join(
            f"{column} = v.{name}" for column, name in zip(columns, names, strict=True)
        )
        cursor.execute(
            f"UPDATE {table} SET {sets} FROM unnest({casts}) AS v({', '.join(names)}, k)"
            f" WHERE {table}.{key} = v.k",
            arrays,
        )
        return True

    def _column_types(self, table: str) -> dict[str, str]:
        """Column -> its type on the server, read once per table and connection (a connection
        brings the schema up to date when it opens, before any of this)."""
        types = self._types.get(table)
        if types is None:
            rows = self.raw.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
                (table,),
            ).fetchall()
            types = self._types[table] = {str(name): str(kind) for name, kind in rows}
        return types

    def _copy(self, cursor: Any, table: str, columns: list[str], batch: list[Any]) -> None:
        if table in ID_TABLES and "id" not in columns:
            # Ids as SQLite would give them (max + 1), numbered here once rather than by the
            # trigger row by row: every writer holds the write lock, so none can interleave.
            row = cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
            first = int(row[0]) + 1
            columns = ["id", *columns]
            batch = [(first + n, *values) for n, values in enumerate(batch)]
        types = self._column_types(table)
        binary = _binary_copy([types.get(name, "") for name in columns], batch)
        form = " (FORMAT BINARY)" if binary else ""
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN{form}") as copy:
            if binary:
                copy.set_types([types[name] for name in columns])
            for values in batch:
                copy.write_row(values)
        self._copied[table] = self._copied.get(table, 0) + len(batch)

    def _analyze_grown(self) -> None:
        """After a commit: refresh the server's statistics of a table that has at least doubled
        (by ANALYZE_FROM rows or more) through this connection's bulk writes. A big import into
        a new or small history otherwise runs on statistics of a far smaller table, until
        autovacuum comes round (a minute or more): the planner then reads all of the receipts
        and scans for every batch, which made each batch slower than the one before
        (bench/store.py). Only an account that may (the tables' owner, a superuser: the
        server's administrator) does it; the others wait for autovacuum, as before. Never fails
        the write that was committed: a statistic is only a hint."""
        many = [table for table, rows in self._copied.items() if rows >= ANALYZE_FROM]
        try:
            for table in many:
                if not self._may_analyze(table):
                    continue
                if table not in self._analyzed:  # its size when last analysed, by anyone
                    self._analyzed[table] = self._rows(table)
                if self._copied[table] < self._analyzed[table]:
                    continue
                self.raw.execute(f"ANALYZE {table}")
                self._analyzed[table] = self._rows(table)
                self._copied[table] = 0
        except psycopg.Error:
            log.info("ANALYZE after a bulk write failed", exc_info=True)

    def _rows(self, table: str) -> int:
        """The table's rows as its statistics say (0 when never analysed)."""
        row = self.raw.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (table,)
        ).fetchone()
        return max(0, int(row[0])) if row is not None else 0

    def _may_analyze(self, table: str) -> bool:
        """Whether this account may ANALYZE the table (else the server only warns)."""
        if table not in self._analyzing:
            row = self.raw.execute(
                "SELECT pg_has_role(c.relowner, 'USAGE') OR pg_has_role(d.datdba, 'USAGE')"
                " OR r.rolsuper FROM pg_class c, pg_database d, pg_roles r"
                " WHERE c.oid = to_regclass(%s) AND d.datname = current_database()"
                " AND r.rolname = current_user",
                (table,),
            ).fetchone()
            self._analyzing[table] = bool(row and row[0])
        return self._analyzing[table]

    def _pragma(self, word: str) -> Any:
        if word.startswith(("PRAGMA QUICK_CHECK", "PRAGMA INTEGRITY_CHECK")):
            # Data checksums make the server refuse a damaged page on read; deeper checks
            # (pg_amcheck) are the server administrator's.
            return _Rows([("ok",)])
        if word == "PRAGMA USER_VERSION":
            row = self.raw.execute("SELECT user_version FROM da_meta").fetchone()
            return _Rows([(0 if row is None else row[0],)])
        if word == "PRAGMA APPLICATION_ID":
            return _Rows([(APPLICATION_ID,)])
        raise NotImplementedError(f"{word} has no PostgreSQL counterpart in the store")

    def close(self) -> None:
        self.raw.close()


def parsed(target: str) -> dict[str, Any]:
    """The address's parts; StoreError, quoting none of it, when it cannot be read (libpq's own
    words would quote the whole address, password included; "%80" is not even UTF-8)."""
    try:
        params = dict(psycopg.conninfo.conninfo_to_dict(target))
    except (psycopg.Error, ValueError):
        raise StoreError(
            _("The address given for the team history cannot be read."),
            _("Check how it is written: postgresql://user@server:port/database."),
        ) from None
    pg_link.check_host_names(params)
    return params


def open_team(target: str, *, read_only: bool = False) -> PgConnection:
    """Connect to the team history at `target` and bring its schema up to date (created on a
    database that is empty). Refuses, without writing, a database holding other tables and a
    history made by a newer Device Audit."""
    shown = redact(target)
    params = parsed(target)
    # The link's time limits and this store's guarantees, in the one place every session to the
    # team history is opened (pg_link.connect: `team roles` and `add-person` open theirs there).
    try:
        raw = pg_link.connect(
            with_password(target), params, wait_s=CONNECT_TIMEOUT_S, read_only=read_only
        )
    except (psycopg.Error, UnicodeError) as exc:  # UnicodeError: a name no resolver takes
        raise _unreachable(shown, exc, _secrets(target)) from None
    conn = PgConnection(raw)
    try:
        with pg_words(shown):
            _bring_up_to_date(conn, target, shown, read_only=read_only)
    except BaseException:
        conn.close()
        raise
    return conn


def _version(raw: psycopg.Connection[Any], shown: str) -> int:
    """The history's schema version; 0 for an empty database."""
    tables = raw.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    ).fetchall()
    if not tables:
        return 0
    if ("da_meta",) not in tables:
        raise StoreError(
            _(
                "The database {target} holds other tables, not a Device Audit history; it was "
                "left as is."
            ).format(target=shown),
            _("Give the address of a Device Audit team history, or of an empty database."),
        )
    row = raw.execute("SELECT application_id, user_version FROM da_meta").fetchone()
    if row is None or int(row[0]) != APPLICATION_ID:
        raise StoreError(
            _("The database {target} is not a Device Audit history; it was left as is.").format(
                target=shown
            ),
            _("Give the address of a Device Audit team history, or of an empty database."),
        )
    version = int(row[1])
    if version > LATEST_VERSION:
        raise StoreError(
            _(
                "The team history {target} was written by a newer Device Audit (schema version "
                "{version}; this one knows up to {latest}). It was left untouched."
            ).format(target=shown, version=version, latest=LATEST_VERSION),
            _("Update Device Audit to use it."),
        )
    return version


def _left_behind(target: str, shown: str, version: int, *, reading: bool) -> tuple[str, str]:
    """What a login that may not bring the history up to date is told (`reading`: one that
    only reads, as the office): the tables belong to the team's owner role (pg_roles), so only
    the server's administrator account can, through `team roles` (which also sets the new
    version's rights). Not the team's own admin group, nor "open it once with Device Audit"."""
    admin = redact(psycopg.conninfo.make_conninfo(target, user="ADMIN"))
    problem = (
        _(
            "The team history {target} was made by an older Device Audit (schema version "
            "{version}; this one needs {latest}) and must be brought up to date before it can "
            "be read."
        )
        if reading
        else _(
            "The team history {target} was made by an older Device Audit (schema version "
            "{version}; this one needs {latest}) and must be brought up to date, which this "
            "login may not do."
        )
    )
    return (
        problem.format(target=shown, version=version, latest=LATEST_VERSION),
        _(
            "Ask the server's administrator to run `device-audit team roles {address}` once, "
            "with their own login in place of ADMIN: it brings the history up to date and sets "
            "the team's rights again."
        ).format(address=admin),
    )


def _bring_up_to_date(conn: PgConnection, target: str, shown: str, *, read_only: bool) -> None:
    found = _version(conn.raw, shown)
    if found == LATEST_VERSION:
        return
    if read_only:
        from audit.store.db import OlderHistory

        raise OlderHistory(*_left_behind(target, shown, found, reading=True))
    conn.execute("BEGIN IMMEDIATE")
    limit = conn.raw.answer_within if isinstance(conn.raw, pg_link.WatchedConnection) else None
    try:
        version = _version(conn.raw, shown)  # again, under the write lock: another may have
        # A migration over a big history may take minutes: no time limit while it runs (a
        # dead network is still found by the keepalives).
        conn.raw.execute("SET LOCAL statement_timeout = 0")
        if isinstance(conn.raw, pg_link.WatchedConnection):
            conn.raw.answer_within = None
        cursor = conn.raw.cursor()
        if version == 0:
            log.info("team history %s: creating schema version %d", shown, pg_schema.CREATED_AT)
            pg_schema.create(cursor)
            version = pg_schema.CREATED_AT
        elif version < pg_schema.CREATED_AT:  # pragma: no cover - no such team history exists
            raise StoreError(_("The team history {target} is damaged.").format(target=shown))
        while version < LATEST_VERSION:
            log.info("team history %s: migrating to schema version %d", shown, version + 1)
            pg_schema.STEPS[version](cursor)
            version += 1
        cursor.execute("UPDATE da_meta SET user_version = %s", (version,))
    except psycopg.errors.InsufficientPrivilege:
        conn.execute("ROLLBACK")
        raise StoreError(*_left_behind(target, shown, found, reading=False)) from None
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        if isinstance(conn.raw, pg_link.WatchedConnection):
            conn.raw.answer_within = limit
    conn.execute("COMMIT")


def _unreachable(shown: str, exc: BaseException, secrets: tuple[str, ...] = ()) -> StoreError:
    """A failed connection in words: "cannot be reached" only when the server did not answer;
    a refused login, a missing database or an address libpq refused say what they are
    (pg_link.failure)."""
    return pg_link.failure(shown, exc, _reason(exc, secrets))


def _secrets(target: str) -> tuple[str, ...]:
    """What must never be shown of a target: the whole address and its password."""
    try:
        password = str(psycopg.conninfo.conninfo_to_dict(target).get("password") or "")
    except psycopg.Error:
        password = ""
    return tuple(s for s in (target, password) if s)


def _reason(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """libpq's first line (user, host and port), with anything secret taken out: libpq quotes
    the address it was given in some errors."""
    lines = str(exc).strip().splitlines()
    text = lines[0][:300] if lines else type(exc).__name__
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "…")
    return text


@contextmanager
def pg_words(shown: str) -> Iterator[None]:
    """PostgreSQL's errors as a StoreError a person can act on (sqlite_words' counterpart)."""
    try:
        yield
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction) as exc:
        from audit.store.pg_roles import refusal  # what was refused and who may (the roles)

        raise refusal(shown, exc) from None
    except psycopg.errors.LockNotAvailable:
        raise StoreError(
            _("The team history {target} is busy: other benches are writing to it.").format(
                target=shown
            ),
            _("Try again in a moment."),
        ) from None
    except psycopg.errors.DiskFull:
        raise StoreError(
            _(
                "The team history's server {target} is out of disk space: this could not be "
                "written (everything written before is kept)."
            ).format(target=shown),
            _("Tell your administrator."),
        ) from None
    except (psycopg.OperationalError, psycopg.errors.AdminShutdown) as exc:
        raise _unreachable(shown, exc) from None
    except psycopg.Error as exc:
        raise StoreError(
            _("The team history {target} could not be read or written ({error}).").format(
                target=shown, error=_reason(exc)
            ),
            _("Try again; tell your administrator if it persists."),
        ) from None
