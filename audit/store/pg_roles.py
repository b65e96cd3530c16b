"""`team roles` and `team add-person` (issue 18): the team history's roles set up on its
server, and each person given a login of their own in one of them. What the roles are and may
do is audit/store/pg_grants.py; what a refusal means, audit/store/pg_refusals.py. Their public
names are importable from here too, where the CLI, the store, the tests and the benches find
them.

Both commands connect as the store does (pg_link.connect: keepalives, the server's time limits,
a deadline on every answer), so a server that goes silent mid-setup ends in words within that
deadline instead of hanging, and a refused login, a missing password or database are said as
the store says them (pg_link.failure).

Each runs its changes in one transaction. PostgreSQL's catalogue changes (CREATE ROLE, GRANT,
ALTER ... OWNER, ALTER ROLE ... SET) are transactional although roles belong to the whole
server, so a link cut half-way leaves nothing half made: the server undoes the transaction (at
once when the link is cut, after idle_in_transaction_session_timeout when it goes silent), and
running the command again makes what is missing. Only the history's schema, which `team roles`
creates or brings up to date first through the store, is a transaction of its own before it
(tests/audit/team/test_roles_link.py cuts the link at each point with a real server).

Passwords: a person's password is sent to the server only as a SCRAM verifier computed here
(libpq's PQencryptPasswordConn), never as text in a statement the server might log.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg.conninfo
from psycopg import sql

from audit.errors import StoreError
from audit.i18n import _
from audit.store import pg, pg_link, pg_schema
from audit.store.pg_grants import (
    ADMIN_TABLES,
    ADMIN_WRITES,
    BORROWED,
    GROUPS,
    POWERS,
    TECHNICIAN_COLUMN_UPDATES,
    TECHNICIAN_WRITES,
    grant,
    group_roles,
    lock_down,
    make_group,
)
from audit.store.pg_refusals import _clock_ahead, refusal
from audit.text import visible

__all__ = [
    "ADMIN_TABLES",
    "ADMIN_WRITES",
    "GROUPS",
    "MIN_PASSWORD",
    "TECHNICIAN_COLUMN_UPDATES",
    "TECHNICIAN_WRITES",
    "PersonReport",
    "RolesReport",
    "_clock_ahead",
    "add_person",
    "check_login",
    "check_password",
    "group_roles",
    "refusal",
    "setup_roles",
]

_LOGIN = re.compile(r"[a-z_][a-z0-9_]{0,62}")
MIN_PASSWORD = 8


@dataclass(frozen=True)
class RolesReport:
    database: str
    roles: dict[str, str]  # group -> server role
    created: tuple[str, ...]  # groups made by this run (the others were there already)
    tables: int
    # False when the account running it could not take the advisory locks away from everyone
    # else (not a superuser: the functions belong to the server's bootstrap superuser).
    lock_guarded: bool = True


@dataclass(frozen=True)
class PersonReport:
    login: str
    group: str
    created: bool  # False: an existing login moved to this group (or kept in it)
    address: str  # the history's address for this person: no password


def _connect(admin_target: str) -> tuple[pg_link.WatchedConnection, str, str]:
    """A connection as the server's administrator, through the store's link code (its time
    limits, its answer deadline, its words for a failure), the shown target and the database
    name."""
    _require_address(admin_target)
    shown = pg.redact(admin_target)
    params = pg.parsed(admin_target)
    try:
        raw = pg_link.connect(pg.with_password(admin_target), params, wait_s=pg.CONNECT_TIMEOUT_S)
    except (psycopg.Error, UnicodeError) as exc:  # UnicodeError: a name no resolver takes
        raise pg._unreachable(shown, exc, pg._secrets(admin_target)) from None
    database = str(raw.info.dbname or params.get("dbname") or "")
    return raw, shown, database


@contextlib.contextmanager
def _all_or_nothing(
    raw: psycopg.Connection[Any], shown: str, stopped: str, again: str
) -> Iterator[None]:
    """One transaction on `raw`, its failures in words (pg.pg_words). A link lost in it (the
    server cannot be reached: pg_link.AWAY) is said with what became of the work, `stopped`:
    the server keeps all of the transaction or none of it (none, unless the link was lost just
    as it committed), so running the command `again` makes what is missing."""
    with pg.pg_words(shown):
        raw.execute("BEGIN")
        try:
            yield
            raw.execute("COMMIT")
        except BaseException as exc:
            if not (raw.closed or raw.broken):
                with contextlib.suppress(psycopg.Error):  # the first error says what happened
                    raw.execute("ROLLBACK")
            if isinstance(exc, psycopg.OperationalError) and pg_link.kind(exc) == pg_link.AWAY:
                lost = pg._unreachable(shown, exc)
                raise StoreError(
                    f"{lost.message} {stopped} "
                    + _("Nothing is half made: the server keeps all of it or none of it."),
                    _(
                        "Check the network and that the server is running, then run `{command}` "
                        "again: it makes only what is missing."
                    ).format(command=again),
                ) from exc
            raise


def _require_address(target: str) -> None:
    """Only a postgresql:// address: libpq's key=value form would reach Store as a file path
    (a new SQLite file named after it, password and all). Not echoed: it may hold a password."""
    if not pg.is_team_target(target.strip()):
        raise StoreError(
            _("The address given for the team history cannot be read."),
            _("Check how it is written: postgresql://user@server:port/database."),
        )


def _require_role_maker(raw: psycopg.Connection[Any], shown: str) -> None:
    row = raw.execute(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    if not row or not row[0]:
        raise StoreError(
            _(
                "The account used for {target} may not create accounts: setting up the team's "
                "roles needs the server's administrator account."
            ).format(target=shown),
            _("Run it again with the address of the server's administrator account."),
        )


def _require_superuser(raw: psycopg.Connection[Any], shown: str) -> None:
    """Setting a team up hands its tables to a group nobody logs in as, and takes the
    advisory-lock functions (the server's own) from everyone but the writers: on PostgreSQL 15
    an account that may only create roles can do neither (it failed with "must be member of
    role ..._owner" and told the administrator to ask their administrator)."""
    row = raw.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if not row or not row[0]:
        raise StoreError(
            _(
                "Setting up the team's roles for {target} needs the server's superuser account "
                "(usually postgres): it hands the history's tables to a group nobody logs in as "
                "and keeps the team's write lock for technicians only."
            ).format(target=shown),
            _(
                "Run it again with the address of the server's superuser account, for example "
                "postgresql://postgres@server/DATABASE."
            ),
        )


def setup_roles(admin_target: str) -> RolesReport:
    """Create (or bring back to what this file says) the three groups of the history at
    `admin_target` and their rights; run by the server's administrator, once and after each
    upgrade. The history's schema is created or brought up to date first (the store's own
    transaction). Then one transaction: a failure, a lost link included, leaves the roles and
    grants as they were."""
    from audit.store.store import Store

    _require_address(admin_target)  # Store would take anything else for a file's path
    raw, shown, database = _connect(admin_target)
    try:
        with pg.pg_words(shown):
            _require_superuser(raw, shown)  # before anything is made
        Store(admin_target).close()  # the schema exists and is current before it is granted
    except BaseException:
        raw.close()
        raise
    roles = group_roles(database)
    created: list[str] = []
    stopped = _(
        "Setting up the team's roles stopped part-way (the history's tables, made or brought "
        "up to date first, are kept)."
    )
    try:
        with _all_or_nothing(raw, shown, stopped, f"device-audit team roles {shown}"):
            _require_role_maker(raw, shown)
            for group, role in roles.items():
                if make_group(raw, role, shown, owner=group == "owner"):
                    created.append(group)
            pg_schema.add_search_index(raw)  # a history made before the index (quietly not)
            tables = grant(raw, database, roles)
            guarded = lock_down(raw, roles)
    finally:
        raw.close()
    return RolesReport(database, roles, tuple(created), tables, guarded)


# Names that mean something else where an administrator reads or writes a login: in SQL
# (GRANT ... TO current_user grants to whoever types it; PUBLIC is everyone) and in
# pg_hba.conf (all, sameuser, samerole, replication match other people). The server itself
# refuses only public and none, with words about SQL.
_MEANS_SOMEONE_ELSE = frozenset(
    {
        "all",
        "current_role",
        "current_user",
        "none",
        "public",
        "replication",
        "samegroup",
        "samerole",
        "sameuser",
        "session_user",
        "user",
    }
)


def check_login(login: str) -> None:
    """A person's login name: lower-case letters, digits and _ (a name PostgreSQL never quotes
    or folds, so no two people's names differ only in case or in a look-alike letter), not a
    server role's (pg_...), not one of the team's groups (da_...) and not a word that names
    someone else (_MEANS_SOMEONE_ELSE)."""
    if login in _MEANS_SOMEONE_ELSE:
        raise StoreError(
            _(
                "{login} cannot be a login name: in the server's settings and commands that "
                "word means someone else (everyone, or whoever is logged in)."
            ).format(login=login),
            _("Choose another login name, for example ann_smith."),
        )
    if not _LOGIN.fullmatch(login) or login.startswith(("pg_", "da_")):
        raise StoreError(
            _(
                "{login} cannot be a login name: use lower-case letters, digits and _ only, "
                "at most 63, not starting with a digit, pg_ or da_."
            ).format(login=visible(login[:80])),  # typed: may hold anything
            _("Choose another login name, for example ann_smith."),
        )


def check_password(login: str, password: str) -> None:
    if len(password) < MIN_PASSWORD or password == login or "\x00" in password:
        raise StoreError(
            _(
                "That password is too weak: it needs at least {count} characters and must not "
                "be the login name."
            ).format(count=MIN_PASSWORD),
            _("Choose a longer password."),
        )


def add_person(
    admin_target: str, login: str, group: str, password: str | None = None
) -> PersonReport:
    """Give a person a login of their own in one group of the history at `admin_target`.

    A new login needs `password` (sent as a SCRAM verifier, never as text). An existing login
    is moved to `group` (out of the other two, and without the right to let others into it),
    and its password changed only if one is given; one holding server powers (a superuser, a
    role maker, a member of the tables' owner) or one that cannot log in is refused: the
    team's people are ordinary accounts. Run `setup_roles` first. One transaction, as
    `setup_roles`."""
    check_login(login)
    if group not in GROUPS:
        raise StoreError(
            _("{group} is not a team role.").format(group=visible(group[:40])),
            _("Give one of: technician, office, admin."),
        )
    if password is not None:
        check_password(login, password)
    raw, shown, database = _connect(admin_target)
    roles = group_roles(database)
    stopped = _("Giving {login} a login stopped part-way.").format(login=login)
    again = f"device-audit team add-person {shown} {login} --role {group}"
    try:
        with _all_or_nothing(raw, shown, stopped, again):
            _require_role_maker(raw, shown)
            missing = [
                g
                for g in GROUPS
                if raw.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (roles[g],)).fetchone()
                is None
            ]
            if missing:
                raise StoreError(
                    _("The team's roles are not set up on {target} yet.").format(target=shown),
                    _("Run `device-audit team roles ADDRESS` first, then add the person again."),
                )
            created = _make_login(raw, shown, login, password)
            person = sql.Identifier(login)
            # Out of the other groups, and out of the tables' owner role (a membership given by
            # hand would pass every grant, whatever the person's group); a member of their own
            # group only, without the right to let others in (ADMIN OPTION, given by hand).
            for other in (*GROUPS, "owner"):
                if other != group:
                    raw.execute(
                        sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(roles[other]), person)
                    )
            mine = sql.Identifier(roles[group])
            raw.execute(sql.SQL("REVOKE ADMIN OPTION FOR {} FROM {}").format(mine, person))
            raw.execute(sql.SQL("GRANT {} TO {}").format(mine, person))
            read_only = sql.SQL(
                "ALTER ROLE {} IN DATABASE {} SET default_transaction_read_only = on"
                if group == "office"
                else "ALTER ROLE {} IN DATABASE {} RESET default_transaction_read_only"
            )
            raw.execute(read_only.format(person, sql.Identifier(database)))
    finally:
        raw.close()
    params = psycopg.conninfo.conninfo_to_dict(admin_target)
    params.pop("password", None)
    params["user"] = login
    address = pg.redact(psycopg.conninfo.make_conninfo(**params))  # type: ignore[arg-type]
    return PersonReport(login, group, created, address)


def _make_login(raw: psycopg.Connection[Any], shown: str, login: str, password: str | None) -> bool:
    row = raw.execute(
        f"SELECT rolcanlogin, {POWERS} OR {BORROWED} FROM pg_roles r WHERE rolname = %s",
        (login,),
    ).fetchone()
    if row is not None and (not row[0] or row[1]):
        raise StoreError(
            _(
                "The server {target} already has an account named {login} that is not an "
                "ordinary login (it is a group, or has administrator powers); it was left as is."
            ).format(target=shown, login=login),
            _("Choose another login name for this person."),
        )
    verifier = None
    if password is not None:
        verifier = raw.pgconn.encrypt_password(
            password.encode(), login.encode(), b"scram-sha-256"
        ).decode()
    if row is None:
        if verifier is None:
            raise StoreError(
                _("A new login needs a password."), _("Give the person's password when asked.")
            )
        raw.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE"
                " NOREPLICATION NOBYPASSRLS PASSWORD {}"
            ).format(sql.Identifier(login), sql.Literal(verifier))
        )
        return True
    if verifier is not None:
        raw.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(login), sql.Literal(verifier)
            )
        )
    return False
