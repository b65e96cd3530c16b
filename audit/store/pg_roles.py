"""Roles in the team history's database, not only in the app (issue 18).

Three group roles hold the rights; each person logs in with a login role of their own that is a
member of exactly one group, never with a shared superuser:
- technician: records audits (scans, findings, actions, exemptions, receipts) and imports
  receipts; reads what a bench reads (the importer decides duplicates and keys by reading).
- office (the compliance office): reads, searches and exports; never writes. Its sessions are
  read-only too (default_transaction_read_only on the login role, in this database), so a
  write is refused twice over.
- admin: what a technician may, and also enrols technician keys, accepts policies and
  exemptions, settles key disputes and changes settings.

Why group names carry the database's name: roles belong to the whole server, rights to one
database. A technician of one team history must not become a technician of another on the same
server, so each history has its own three groups (`da_<database>_technician`, ...).

Why the tables are handed to a NOLOGIN owner role: the owner of a table passes every grant. If
the person who first opened an empty database kept the tables, that person could write anything
whatever their group. Nobody logs in as the owner; a new Device Audit version's migration is run
by the server's administrator, and `setup_roles` is run again after it (it is idempotent: it
resets the grants to what this file says).

Passwords: a person's password is sent to the server only as a SCRAM verifier computed here
(libpq's PQencryptPasswordConn), never as text in a statement the server might log.

The benches' write lock (dialect.WRITE_LOCK) is an advisory lock, and PostgreSQL lets any
login take any advisory lock: an office login holding it would stop every bench. In the
history's database only the technicians' group (the administrators are in it) and the tables'
owner (the row rules take it) may take one, and only for one transaction (see `_lock_down`).

One row rule is here: only an enrolled technician's key makes an audit "witnessed" (a trigger).
The others, which the grants cannot say (an audit changed only by the login that recorded it,
counting only as what it rests on, running totals that match the audits), are in
audit/store/pg_rules.py, installed by `setup_roles` with the grants; `refusal` turns each into
words.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg.conninfo
import psycopg.errors
from psycopg import sql

from audit.errors import StoreError
from audit.i18n import _
from audit.store import pg, pg_rules, pg_schema

GROUPS = ("technician", "office", "admin")

# What each group may write, beyond reading every table (everyone reads everything).
TECHNICIAN_WRITES: dict[str, tuple[str, ...]] = {
    "audits": ("INSERT", "UPDATE"),  # the chain columns of every audit move on each write
    "scans": ("INSERT",),
    "findings": ("INSERT",),
    "actions": ("INSERT",),
    "exemptions": ("INSERT", "DELETE"),  # an audit in progress replaces its exemptions
    "attestations": ("INSERT",),
    "keys": ("INSERT",),  # keys first seen on import (trust on first use)
    "status_changes": ("INSERT", "UPDATE"),  # the dashboard's running totals
    "inventories": ("INSERT",),
    "key_disputes": ("INSERT",),  # an import that meets a second key raises a dispute
}
# attestations: only the identity a receipt was judged for is ever updated.
TECHNICIAN_COLUMN_UPDATES = {"attestations": ("identity",)}
# The team's trust decisions: the administrator's alone.
ADMIN_WRITES: dict[str, tuple[str, ...]] = {
    "technicians": ("INSERT", "UPDATE"),
    "accepted_policies": ("INSERT", "UPDATE"),
    "accepted_exemptions": ("INSERT", "UPDATE"),
    "settings": ("INSERT", "UPDATE"),
    "key_disputes": ("UPDATE",),  # settling a dispute
}
ADMIN_TABLES = frozenset(ADMIN_WRITES) - {"key_disputes"}

_LOGIN = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_MAX_NAME = 63  # PostgreSQL cuts longer names (NAMEDATALEN - 1)
MIN_PASSWORD = 8


def group_roles(database: str) -> dict[str, str]:
    """The server role of each group (and "owner") for the history in `database`."""
    base = f"da_{database}"
    longest = max(len(g) for g in (*GROUPS, "owner")) + 1
    if not re.fullmatch(r"[a-z0-9_]+", database) or len(base) + longest > _MAX_NAME:
        # A name PostgreSQL would quote or cut: a digest keeps the roles of two databases apart.
        base = "da_" + hashlib.sha256(database.encode()).hexdigest()[:16]
    return {group: f"{base}_{group}" for group in (*GROUPS, "owner")}


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


def _connect(admin_target: str) -> tuple[psycopg.Connection[Any], str, str]:
    """A connection as the server's administrator, the shown target and the database name."""
    _require_address(admin_target)
    shown = pg.redact(admin_target)
    params = pg.parsed(admin_target)
    try:
        raw = psycopg.connect(
            pg.with_password(admin_target),
            autocommit=True,  # raw.transaction() below is then one real transaction
            connect_timeout=pg.CONNECT_TIMEOUT_S,
            application_name="Device Audit",
        )
    except psycopg.Error as exc:
        raise pg._unreachable(shown, exc, pg._secrets(admin_target)) from None
    database = str(raw.info.dbname or params.get("dbname") or "")
    return raw, shown, database


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
    upgrade. The history's schema is created or brought up to date first. One transaction:
    a failure leaves the roles and grants as they were."""
    from audit.store.store import Store

    _require_address(admin_target)  # Store would take anything else for a file's path
    raw, shown, database = _connect(admin_target)
    try:
        _require_superuser(raw, shown)  # before anything is made
        Store(admin_target).close()  # the schema exists and is current before it is granted
    except BaseException:
        raw.close()
        raise
    roles = group_roles(database)
    created: list[str] = []
    try:
        with pg.pg_words(shown), raw.transaction():
            _require_role_maker(raw, shown)
            for group, role in roles.items():
                if _make_group(raw, role, shown):
                    created.append(group)
            pg_schema.add_search_index(raw)  # a history made before the index (quietly not)
            tables = _grant(raw, database, roles)
            guarded = _lock_down(raw, roles)
    finally:
        raw.close()
    return RolesReport(database, roles, tuple(created), tables, guarded)


# Every advisory-lock function (session and transaction, shared or not, try and unlock).
_ADVISORY = (
    "SELECT p.oid::regprocedure::text FROM pg_proc p"
    " WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname LIKE 'pg\\_%advisory%'"
    " ORDER BY 1"
)


def _lock_down(raw: psycopg.Connection[Any], roles: dict[str, str]) -> bool:
    """Take every advisory-lock function away from PUBLIC in this database (function rights
    are per database), and give back only the transaction lock the writers take
    (pg.PgConnection's BEGIN IMMEDIATE) to the technicians and the owner. A session-level lock
    outlives any transaction; with it gone, a writer can hold the lock only as long as it keeps
    a transaction open. True when the office can no longer take it (only a superuser may
    change the rights of these functions; for anyone else PostgreSQL only warns)."""
    for (name,) in raw.execute(_ADVISORY).fetchall():
        raw.execute(sql.SQL("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC").format(sql.SQL(name)))
    raw.execute(
        sql.SQL(
            "GRANT EXECUTE ON FUNCTION pg_catalog.pg_advisory_xact_lock(bigint) TO {}, {}"
        ).format(sql.Identifier(roles["technician"]), sql.Identifier(roles["owner"]))
    )
    row = raw.execute(
        "SELECT has_function_privilege(%s, 'pg_catalog.pg_advisory_xact_lock(bigint)', 'EXECUTE')",
        (roles["office"],),
    ).fetchone()
    return row is not None and not row[0]


# A role's own server powers, and powers it borrows from a role it belongs to: the predefined
# pg_* roles (pg_read_all_data, pg_write_all_data, pg_execute_server_program, ...) pass every
# grant, and so does owning the database (pg_database_owner).
_POWERS = "(r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls)"
_BORROWED = (
    "EXISTS (SELECT 1 FROM pg_roles p WHERE p.oid <> r.oid AND pg_has_role(r.oid, p.oid, 'MEMBER')"
    " AND (p.rolname LIKE 'pg\\_%%' OR p.rolsuper OR p.rolcreaterole OR p.rolcreatedb"
    " OR p.rolreplication OR p.rolbypassrls))"
)


def _make_group(raw: psycopg.Connection[Any], role: str, shown: str) -> bool:
    """Create a NOLOGIN group role; refuse one of that name that can log in or holds server
    powers, its own or a role's it belongs to (someone made it by hand: granting it the
    history's rights would be a way in)."""
    row = raw.execute(
        f"SELECT rolcanlogin OR {_POWERS} OR {_BORROWED} FROM pg_roles r WHERE rolname = %s",
        (role,),
    ).fetchone()
    if row is None:
        raw.execute(
            sql.SQL(
                "CREATE ROLE {} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
                " NOBYPASSRLS"
            ).format(sql.Identifier(role))
        )
        return True
    if row[0]:
        raise StoreError(
            _(
                "The server {target} already has an account named {role} that can log in or "
                "has administrator powers; it cannot be used as one of the team's groups."
            ).format(target=shown, role=role),
            _(
                "Ask the server's administrator to rename or remove that account, then run it "
                "again."
            ),
        )
    return False


# A row rule the grants cannot say: an audit is "witnessed" only when its receipt was signed by
# an enrolled technician's key before any revocation of it (what audit.store.technicians.judge
# decides) and that receipt is this audit's stored one, so a technician's own session cannot mark
# an audit witnessed, nor lend it an enrolled key's name. Checked only when the
# assurance or signer changes: a revocation rewrites the notes of audits that stay witnessed.
# Not row-level security: PostgreSQL refuses COPY into such a table, and the import COPYs.
_WITNESSED_GUARD = """
CREATE OR REPLACE FUNCTION da_witnessed_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.assurance = 'witnessed'
       AND (TG_OP = 'INSERT' OR OLD.assurance IS DISTINCT FROM NEW.assurance
            OR OLD.signer IS DISTINCT FROM NEW.signer)
       AND NOT EXISTS (
           SELECT 1 FROM technicians t JOIN attestations a ON a.signer = t.fingerprint
           WHERE t.fingerprint = NEW.signer AND a.uid = NEW.receipt_uid AND a.audit_id = NEW.id
           AND (t.revoked_at IS NULL OR NEW.attested_at < t.revoked_at))
    THEN
        RAISE EXCEPTION 'audit % is not signed by an enrolled technician key', NEW.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS audits_witnessed ON audits;
CREATE TRIGGER audits_witnessed BEFORE INSERT OR UPDATE OF assurance, signer ON audits
    FOR EACH ROW EXECUTE FUNCTION da_witnessed_guard();
"""


def _grant_writes(
    raw: psycopg.Connection[Any], writes: dict[str, tuple[str, ...]], group: sql.Identifier
) -> None:
    """GRANT each table's rights in `writes` (TECHNICIAN_WRITES, ADMIN_WRITES) to `group`."""
    for table, rights in writes.items():
        raw.execute(
            sql.SQL("GRANT {} ON {} TO {}").format(
                sql.SQL(", ").join(sql.SQL(r) for r in rights), sql.Identifier(table), group
            )
        )


def _grant(raw: psycopg.Connection[Any], database: str, roles: dict[str, str]) -> int:
    ident = {group: sql.Identifier(role) for group, role in roles.items()}
    people = sql.SQL(", ").join(ident[g] for g in GROUPS)
    pg_rules.install(raw, roles["admin"])  # first: its bookkeeping tables go to the owner too
    tables = [
        str(r[0])
        for r in raw.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
    ]
    run = raw.execute
    run(_WITNESSED_GUARD)
    db = sql.Identifier(database)
    run(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db))
    run(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, people))
    run(sql.SQL("REVOKE ALL ON SCHEMA public FROM PUBLIC"))
    # The owner too: foreign-key checks run as the referenced table's owner.
    run(sql.SQL("GRANT USAGE ON SCHEMA public TO {}, {}").format(people, ident["owner"]))
    # Nobody logs in as the owner, so no person passes the grants below.
    for table in tables:
        run(sql.SQL("ALTER TABLE {} OWNER TO {}").format(sql.Identifier(table), ident["owner"]))
    for (name,) in raw.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n"
        " ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
        " AND (p.proname LIKE 'da\\_next\\_id\\_%%' OR p.proname = ANY(%s))",
        (["da_witnessed_guard", "da_recorded_by", *pg_rules.FUNCTIONS],),
    ).fetchall():
        run(sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(name), ident["owner"]))
    # Reset, then grant: run again, the rights are exactly these, whatever was granted by hand.
    run(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(people))
    run(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(people))
    _grant_writes(raw, TECHNICIAN_WRITES, ident["technician"])
    for table, columns in TECHNICIAN_COLUMN_UPDATES.items():
        run(
            sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                sql.Identifier(table),
                ident["technician"],
            )
        )
    _grant_writes(raw, ADMIN_WRITES, ident["admin"])
    # The administrator does what a technician does, too.
    if not raw.execute(
        "SELECT 1 FROM pg_auth_members WHERE roleid = %s::regrole AND member = %s::regrole",
        (roles["technician"], roles["admin"]),
    ).fetchone():
        run(sql.SQL("GRANT {} TO {}").format(ident["technician"], ident["admin"]))
    return len(tables)


def check_login(login: str) -> None:
    """A person's login name: lower-case letters, digits and _ (a name PostgreSQL never quotes
    or folds), not a server role's (pg_...) and not one of the team's groups."""
    if not _LOGIN.fullmatch(login) or login.startswith("pg_") or login.startswith("da_"):
        raise StoreError(
            _(
                "{login} cannot be a login name: use lower-case letters, digits and _ only, "
                "at most 63, not starting with a digit, pg_ or da_."
            ).format(login=login[:80]),
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
    is moved to `group` (out of the other two), and its password changed only if one is given;
    one holding server powers (a superuser, a role maker) or one that cannot log in is refused:
    the team's people are ordinary accounts. Run `setup_roles` first."""
    check_login(login)
    if group not in GROUPS:
        raise StoreError(
            _("{group} is not a team role.").format(group=group[:40]),
            _("Give one of: technician, office, admin."),
        )
    if password is not None:
        check_password(login, password)
    raw, shown, database = _connect(admin_target)
    roles = group_roles(database)
    try:
        with pg.pg_words(shown), raw.transaction():
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
            for other in GROUPS:
                if other != group:
                    raw.execute(
                        sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(roles[other]), person)
                    )
            raw.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(roles[group]), person))
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
        f"SELECT rolcanlogin, {_POWERS} OR {_BORROWED} FROM pg_roles r WHERE rolname = %s",
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


_TABLE = re.compile(r"permission denied for (?:table|relation) (\w+)")
# The writers' lock (`_lock_down`): a login that may not take it may not write at all.
_WRITE_LOCK = re.compile(r"permission denied for function pg_\w*advisory")


def refusal(shown: str, exc: psycopg.Error) -> StoreError:
    """A write the account's role may not make, in words that say what was refused and who
    may do it (pg.pg_words, for SQLSTATE 42501 and 25006)."""
    reason = pg._reason(exc)
    rule = _row_rule(shown, exc.diag.constraint_name or "", reason, exc.diag.message_detail or "")
    if rule is not None:
        return rule
    found = _TABLE.search(reason)
    table = found.group(1) if found else ""
    if table in ADMIN_TABLES:
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: enrolling "
                "technicians, accepting policies and exemptions, and changing settings are for "
                "the team's administrator ({error})."
            ).format(target=shown, error=reason),
            _("Ask the team history's administrator to do it."),
        )
    if not table and isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
        # The office's sessions are read-only: the server does not say what was refused.
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: it may only read. "
                "Recording audits and importing receipts are for technicians; enrolling "
                "technicians, accepting "
                "policies and exemptions, and changing settings are for the team's "
                "administrator ({error})."
            ).format(target=shown, error=reason),
            _("Ask a colleague whose account may do it, or your administrator."),
        )
    if table or _WRITE_LOCK.search(reason):
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: it may read, but "
                "recording audits and importing receipts are for technicians and the "
                "administrator ({error})."
            ).format(target=shown, error=reason),
            _("Ask a technician to do it, or your administrator for a technician's account."),
        )
    return StoreError(
        _("Your account on the team history {target} may not do this ({error}).").format(
            target=shown, error=reason
        ),
        _("Ask your administrator, or a colleague whose account may."),
    )


def _row_rule(shown: str, rule: str, reason: str, detail: str = "") -> StoreError | None:
    """A row rule of the database refused (audit/store/pg_rules.py): which one, in words."""
    if rule == pg_rules.CLOCK:
        return _clock_ahead(shown, detail)
    if rule == pg_rules.OTHERS_AUDIT:
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: an audit is changed "
                "only by the login that recorded it, or by the team's administrator ({error})."
            ).format(target=shown, error=reason),
            _("Ask the technician who recorded it, or your administrator."),
        )
    if rule == pg_rules.RECEIPT:
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: an audit that rests "
                "on a signed receipt counts only as its receipt says, and a hold on it is "
                "released only by the team's administrator ({error})."
            ).format(target=shown, error=reason),
            _("Ask your administrator to review it."),
        )
    if rule == pg_rules.KEY:
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: the team history "
                "already trusts another key for this person, and accepting a new key is the "
                "team's administrator's decision ({error})."
            ).format(target=shown, error=reason),
            _(
                "Ask your administrator to check the new key with the person and accept it, or "
                "to enrol this bench's key as a technician's."
            ),
        )
    if rule == pg_rules.TOTALS:
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: the dashboard's "
                "numbers must match the audits they count, and this change would not. Nothing "
                "was changed ({error})."
            ).format(target=shown, error=reason),
            _("Tell your administrator."),
        )
    return None


def _clock_ahead(shown: str, detail: str) -> StoreError:
    """The clock rule refused: a time written is ahead of the server's clock by more than the
    import's slack (times.CLOCK_SKEW). `detail`: "<time written> <server's time>"."""
    from audit.store.times import SKEW_WORDS, ahead_words

    written, _sep, server = detail.partition(" ")
    amount = ahead_words(written, server) or _("more than {skew}").format(skew=_(SKEW_WORDS))
    return StoreError(
        _(
            "This computer's clock is ahead of the team history's server {target} by {amount} "
            "(the server's clock says {server} UTC; this was dated {time}). Nothing more than "
            "{skew} ahead is saved there, so this was not saved."
        ).format(
            target=shown,
            amount=amount,
            server=server[:16].replace("T", " ") or "?",
            time=written[:16].replace("T", " ") or "?",
            skew=_(SKEW_WORDS),
        ),
        _(
            "Set this computer's date, time and time zone right and check again. A receipt "
            "file dated that far ahead cannot be imported."
        ),
    )
