"""The team history's roles and their rights, as SQL (issue 18): what `team roles` makes.

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

Why the tables (and the database itself) are handed to a NOLOGIN owner role: the owner of a
table passes every grant, and the owner of the database owns its public schema, where a
schema's owner may drop any table. If the person who first opened an empty database kept the
tables, or the login the database was made for kept it, that person could write or drop
anything whatever their group. Nobody logs in as the owner; a new Device Audit version's
migration is run by the server's administrator, and `team roles` is run again after it (it is
idempotent: it resets the grants to what this file says).

The benches' write lock (dialect.WRITE_LOCK) is an advisory lock, and PostgreSQL lets any
login take any advisory lock: an office login holding it would stop every bench. In the
history's database only the technicians' group (the administrators are in it) and the tables'
owner (the row rules take it) may take one, and only for one transaction (see `lock_down`).

One row rule is here: only an enrolled technician's key makes an audit "witnessed" (a trigger).
The others, which the grants cannot say (an audit changed only by the login that recorded it,
counting only as what it rests on, running totals that match the audits), are in
audit/store/pg_rules.py, installed by `grant` with the grants; audit/store/pg_refusals.py turns
each refusal into words. The command's steps (connecting, checking the account, one
transaction, the people's logins) are audit/store/pg_roles.py.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import psycopg
from psycopg import sql

from audit.errors import StoreError
from audit.i18n import _
from audit.store import pg_rules

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

_MAX_NAME = 63  # PostgreSQL cuts longer names (NAMEDATALEN - 1)


def group_roles(database: str) -> dict[str, str]:
    """The server role of each group (and "owner") for the history in `database`."""
    base = f"da_{database}"
    longest = max(len(g) for g in (*GROUPS, "owner")) + 1
    if (
        not re.fullmatch(r"[a-z0-9_]+", database)
        or len(base) + longest > _MAX_NAME
        or re.fullmatch(r"[0-9a-f]{16}", database)  # a digest's look: another history's roles
    ):
        # A name PostgreSQL would quote or cut: a digest keeps the roles of two databases apart.
        base = "da_" + hashlib.sha256(database.encode()).hexdigest()[:16]
    return {group: f"{base}_{group}" for group in (*GROUPS, "owner")}


# A role's own server powers, and powers it borrows from a role it belongs to: the predefined
# pg_* roles (pg_read_all_data, pg_write_all_data, pg_execute_server_program, ...) pass every
# grant, and so does owning the database (pg_database_owner).
POWERS = "(r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls)"


def _borrowed(but: str = "") -> str:
    return (
        "EXISTS (SELECT 1 FROM pg_roles p WHERE p.oid <> r.oid"
        f" AND pg_has_role(r.oid, p.oid, 'MEMBER'){but}"
        " AND (p.rolname LIKE 'pg\\_%%' OR p.rolsuper OR p.rolcreaterole OR p.rolcreatedb"
        " OR p.rolreplication OR p.rolbypassrls))"
    )


BORROWED = _borrowed()
# The owner role owns the history's database (`grant`): the one power it holds by design.
_OWNERS_BORROWED = _borrowed(" AND p.rolname <> 'pg_database_owner'")


def make_group(raw: psycopg.Connection[Any], role: str, shown: str, *, owner: bool = False) -> bool:
    """Create a NOLOGIN group role (True), or find it there (False); refuse one of that name
    that can log in or holds server powers, its own or a role's it belongs to (someone made it
    by hand: granting it the history's rights would be a way in). `owner`: the tables' owner
    role, which owns the database too once set up."""
    borrowed = _OWNERS_BORROWED if owner else BORROWED
    row = raw.execute(
        f"SELECT rolcanlogin OR {POWERS} OR {borrowed} FROM pg_roles r WHERE rolname = %s",
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


# Every advisory-lock function (session and transaction, shared or not, try and unlock).
_ADVISORY = (
    "SELECT p.oid::regprocedure::text FROM pg_proc p"
    " WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname LIKE 'pg\\_%advisory%'"
    " ORDER BY 1"
)


def lock_down(raw: psycopg.Connection[Any], roles: dict[str, str]) -> bool:
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


# Everyone but the owner and the team's groups holding a right on the history's database, its
# schema, a table or sequence, or a column of one (0: PUBLIC).
_LEFT_OVER = """
SELECT DISTINCT a.grantee FROM pg_database d, aclexplode(d.datacl) a
 WHERE d.datname = current_database() AND a.grantee <> d.datdba
UNION SELECT a.grantee FROM pg_namespace n, aclexplode(n.nspacl) a
 WHERE n.nspname = 'public' AND a.grantee <> n.nspowner
UNION SELECT a.grantee FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.relnamespace = 'public'::regnamespace AND a.grantee <> c.relowner
UNION SELECT a.grantee FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid,
 aclexplode(t.attacl) a
 WHERE c.relnamespace = 'public'::regnamespace AND a.grantee <> c.relowner
"""


def _revoke_left_over(raw: psycopg.Connection[Any], database: str, roles: dict[str, str]) -> None:
    """Take away every right on the history that someone other than the team's groups holds:
    a right granted by whoever owned the tables before `team roles` (the login that first
    opened the empty database: to PUBLIC, to a colleague's login) outlives the change of
    owner, and would let an office login, or any login at all, write past its group."""
    team = {str(oid) for oid in _oids(raw, list(roles.values()))}
    grantees = [str(row[0]) for row in raw.execute(_LEFT_OVER).fetchall()]
    others = [
        sql.SQL("PUBLIC") if oid == "0" else sql.Identifier(_name(raw, oid))
        for oid in sorted(set(grantees) - team)
    ]
    if not others:
        return
    them = sql.SQL(", ").join(others)
    for what in (
        sql.SQL("ALL TABLES IN SCHEMA public"),
        sql.SQL("ALL SEQUENCES IN SCHEMA public"),
        sql.SQL("SCHEMA public"),
        sql.SQL("DATABASE {}").format(sql.Identifier(database)),
    ):
        raw.execute(sql.SQL("REVOKE ALL ON {} FROM {} CASCADE").format(what, them))


def _oids(raw: psycopg.Connection[Any], names: list[str]) -> list[int]:
    rows = raw.execute("SELECT oid FROM pg_roles WHERE rolname = ANY(%s)", (names,)).fetchall()
    return [int(row[0]) for row in rows]


def _name(raw: psycopg.Connection[Any], oid: str) -> str:
    row = raw.execute("SELECT pg_get_userbyid(%s::oid)", (oid,)).fetchone()
    return str(row[0]) if row else ""


def grant(raw: psycopg.Connection[Any], database: str, roles: dict[str, str]) -> int:
    """Hand the history's tables and functions to the owner role and give each group exactly
    its rights (reset first: run again, whatever was granted by hand is gone), with the row
    rules; inside the caller's transaction. Returns how many tables there are."""
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
    # The database's owner owns its public schema (pg_database_owner), and a schema's owner may
    # drop any table in it and create schemas that come first in a person's search_path: the
    # login the database was made for would keep that over the team's whole history.
    run(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(db, ident["owner"]))
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
    _revoke_left_over(raw, database, roles)
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
