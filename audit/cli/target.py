"""Which history a command reads or writes: the one place the command line decides it (issue 18).

A history is a SQLite file (the default: history.sqlite3 in Device Audit's data folder) or a
helpdesk team's history on a PostgreSQL server (`postgresql://user@server:port/database`). It
is chosen by `--db` on the command, else by the environment variable DEVICE_AUDIT_DB (a scripted
bench sets it once), else the default file. `--db` wins, so one command can still point
elsewhere.

Why one place: every command shows the history it used, refuses a file path that is not there
(a typo must not become a new, empty history that reports all is well), and must never show a
password typed into an address. Doing that per command is how one of them would leak it.

psycopg is imported only for an address (audit.store.pg), never for a file.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from audit.errors import AuditError
from audit.i18n import N_, _
from audit.text import visible

if TYPE_CHECKING:
    from audit.store import Store

ENVIRONMENT = "DEVICE_AUDIT_DB"
SCHEMES = ("postgresql://", "postgres://")  # as audit.store.store.TEAM_SCHEMES

Target = Path | str  # a file, or a team history's address (kept as text, password and all)

# --db's help, on every command that takes it.
DB_HELP = N_(
    "the history: a database file, or a team history's postgresql://user@server/database "
    "address (default: DEVICE_AUDIT_DB, else history.sqlite3 in Device Audit's data folder)"
)


def parse(text: str) -> Target:
    """--db's value (argparse's `type`): an address stays text, anything else is a path.
    Nothing here echoes the text: argparse would print it in its error, password included."""
    if is_team(text):
        return text.strip()
    return Path(text)


def is_team(target: object) -> bool:
    """Whether `target` names a team history on a server rather than a file."""
    return isinstance(target, str) and target.strip().lower().startswith(SCHEMES)


def chosen(args: argparse.Namespace, *names: str) -> Target | None:
    """The history the arguments choose: the first of `names` given (default "db"), else
    DEVICE_AUDIT_DB, else None (the default file). An empty variable counts as unset."""
    target: Target | None = None
    for name in names or ("db",):
        target = getattr(args, name, None)
        if target is not None:
            break
    else:
        variable = os.environ.get(ENVIRONMENT, "").strip()
        target = parse(variable) if variable else None
    if is_team(target):
        _check_address(str(target), args, *names)
    elif target is not None:
        from audit.store.store import refuse_keyword_address

        refuse_keyword_address(target)  # before any message names it as a file
    return target


def _check_address(address: str, args: argparse.Namespace, *names: str) -> None:
    """An address libpq cannot read is refused here, naming where it came from: libpq's own
    words quote the whole address, password included, so they are never shown."""
    try:
        import psycopg.conninfo
    except ImportError:
        return  # open_store says what to install
    try:
        params = psycopg.conninfo.conninfo_to_dict(address)
        readable = _sound(params)
    except (psycopg.Error, UnicodeDecodeError):  # %80: psycopg decodes libpq's bytes as UTF-8
        readable = False
    if readable and params.get("password") and not from_environment(args, *names):
        _warn_password_in_view(address)
    if not readable:
        source = "DEVICE_AUDIT_DB" if from_environment(args, *names) else "--db"
        raise AuditError(
            _("The team history's address in {source} cannot be read.").format(source=source),
            _(
                "Write it as postgresql://user@server:port/database and leave the password "
                "out: it comes from the keyring or PGPASSWORD."
            ),
        ) from None


def _warn_password_in_view(address: str) -> None:
    """A password typed in --db is in the list of running programs, which anyone on this
    computer may read while the command runs: said to the person at a terminal (a script's
    output is left as it is; its environment, DEVICE_AUDIT_DB, is the place for it)."""
    if not sys.stderr.isatty():
        return
    print(
        _(
            "Warning: the password in --db can be seen by anyone on this computer while the "
            "command runs. Keep it in the keyring once with `device-audit team save-password "
            "{target}`, then leave it out of the address."
        ).format(target=_redact(address)),
        file=sys.stderr,
    )


def from_environment(args: argparse.Namespace, *names: str) -> bool:
    """Whether the history comes from DEVICE_AUDIT_DB (for words that say where to fix it)."""
    return all(getattr(args, n, None) is None for n in names or ("db",)) and bool(
        os.environ.get(ENVIRONMENT, "").strip()
    )


def shown(target: Target | None) -> str:
    """The history as it may be printed or logged: a file's path (control characters escaped),
    an address without its password or parameters (audit.store.pg.redact)."""
    if target is None:
        from audit.store.store import default_path

        return visible(str(default_path()))
    if is_team(target):
        return visible(_redact(str(target)))
    return visible(str(target))


def argument(target: Target) -> str:
    """The history as a command's --db argument to print for pasting: a path as it is, an
    address without its password (the keyring or PGPASSWORD gives it)."""
    return _redact(target) if isinstance(target, str) and is_team(target) else str(target)


def _redact(address: str) -> str:
    try:
        from audit.store.pg import redact
    except ImportError:  # no psycopg: show the scheme and the server only, never the rest
        return address.split("://", 1)[0] + "://…"
    import psycopg.conninfo

    try:
        if _sound(psycopg.conninfo.conninfo_to_dict(address)):
            return redact(address)
    except (psycopg.Error, UnicodeDecodeError):  # a %-escape that is not UTF-8
        pass
    return _("(a PostgreSQL address that cannot be read)")


def _sound(params: Mapping[str, object]) -> bool:
    """Whether the address reads as it was meant. A password typed unquoted with a '/' in it
    (postgresql://user:pass/word@server/db) reads as server "user", port "pass" and database
    "word@server/db": a port that is not a number, or an '@' past the server, means that, and
    then the parts would show the password (libpq's own refusal quotes the port too)."""
    port = str(params.get("port") or "")
    if port and not all(part.isdigit() for part in port.split(",")):
        return False
    return not any("@" in str(params.get(key) or "") for key in ("host", "port", "dbname"))


def existing(args: argparse.Namespace, *names: str, missing_step: str = "") -> Target | None:
    """The history to read, checked: a file path that is not there is a mistyped path, not an
    empty history (opening it would create an empty file and report nothing as if all were
    well). An address is checked when it is opened: only the server knows."""
    target = chosen(args, *names)
    if target is not None and not is_team(target) and not Path(target).exists():
        step = missing_step or _(
            "Check the path; without --db the history in Device Audit's data folder is used."
        )
        if from_environment(args, *names):
            step = _("Check DEVICE_AUDIT_DB (it chose this history), or give --db.") + " " + step
        raise AuditError(
            _("There is no history at {path}.").format(path=shown(target)),
            step,
        )
    return target


def open_to_read(db: Target | None) -> Store:
    """The history opened for reading: read-only where it is up to date (a file on read-only
    media, or a compliance office account that may not write a team history), else brought up
    to date first where it can be written."""
    from audit.store.db import OlderHistory
    from audit.store.store import default_path

    if db is None and not default_path().exists():
        return open_store(db)  # the first run: an empty history in the data folder
    try:
        return open_store(db, read_only=True)
    except OlderHistory as older:
        try:
            return open_store(db)
        except AuditError:
            raise older from None


def open_store(target: Target | None, *, read_only: bool = False) -> Store:
    """Store(target), with a missing PostgreSQL driver said in words (the `team` extra) rather
    than an ImportError."""
    from audit.store import Store

    try:
        return Store(target, read_only=read_only)
    except ImportError as missing:
        if not is_team(target):
            raise
        raise no_driver(shown(target), missing) from None


def no_driver(target: str, missing: ImportError) -> AuditError:
    """A team history asked of a Device Audit installed without psycopg (the `team` extra),
    in words; `target` is the address as shown (without its password)."""
    return AuditError(
        _(
            "The team history {target} cannot be opened: this Device Audit was installed "
            "without PostgreSQL support ({problem})."
        ).format(target=target, problem=missing.name or missing),
        _("Install it with: pip install 'device-audit[team]'"),
    )
