"""The team history's schema on PostgreSQL: the same tables, columns, keys and indexes as the
SQLite history at its latest version (audit/store/schema.py), in PostgreSQL's words.

Why a second list: DDL is where the two differ most (no rowid, no WITHOUT ROWID, no PRAGMA
user_version, no editing sqlite_schema), and a translated SQLite migration would hide that. A
PostgreSQL team history first appears at schema version 9, so it starts there in one step;
every later version appends a step to STEPS here beside its SQLite migration, and
tests/audit/team/test_pg_schema.py compares the columns both backends report so they cannot
drift apart unnoticed.

Mapping (docs/research/team-history §2): PRAGMA user_version / application_id -> the one-row
table da_meta; INTEGER PRIMARY KEY -> bigint filled by a trigger with max(id) + 1, exactly what
SQLite's rowid does, safe because every writer holds the write lock (dialect.WRITE_LOCK), and so
the importer's own id hand-out (bulk._next_id) and single inserts never collide; BLOB -> bytea;
COLLATE NOCASE -> a case-blind ICU collation. Times stay fixed-width ISO text, as in SQLite, so
every comparison and the Python parsing are the same. Constraints are named, so a later version
can drop and add one (SQLite v8 widened `origin` by editing sqlite_schema).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from audit.store.schema import APPLICATION_ID, LATEST_VERSION

# The version the first step creates: the SQLite schema this one mirrors.
CREATED_AT = 9

_ID_TRIGGER = """
CREATE FUNCTION da_next_id_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS NULL THEN
        SELECT coalesce(max(id), 0) + 1 INTO NEW.id FROM {table};
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER da_next_id BEFORE INSERT ON {table}
    FOR EACH ROW EXECUTE FUNCTION da_next_id_{table}();
"""

_V9 = """
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

CREATE TABLE da_meta (
    one boolean PRIMARY KEY DEFAULT true CONSTRAINT da_meta_one CHECK (one),
    application_id bigint NOT NULL,
    user_version integer NOT NULL
);

CREATE TABLE audits (
    id bigint PRIMARY KEY,
    uid text NOT NULL CONSTRAINT audits_uid_key UNIQUE,
    origin text NOT NULL
        CONSTRAINT audits_origin_check CHECK (origin IN ('local', 'imported', 'rejudged')),
    person_name text NOT NULL,
    staff_id text NOT NULL,
    technician text NOT NULL,
    device_id text NOT NULL,
    device_name text NOT NULL,
    device_json text NOT NULL,
    policy_id text NOT NULL,
    policy_title text NOT NULL,
    policy_sha256 text NOT NULL,
    deadline text,
    status text,
    day text,
    started_at text NOT NULL,
    at text NOT NULL,
    scanned_at text,
    exemption_expires text,
    receipt_uid text,
    receipt_kind text,
    signer text,
    attested_at text,
    search text NOT NULL,
    until_day text,
    latest integer NOT NULL DEFAULT 0,
    counted_day text,
    counted_status text,
    counted_expires text,
    connection text,
    assurance text NOT NULL DEFAULT '',
    trust_note text NOT NULL DEFAULT '',
    derived_from bigint
);
CREATE INDEX audits_at ON audits (at, id) INCLUDE (search);
CREATE INDEX audits_key ON audits (policy_id, staff_id, device_id, at);
CREATE INDEX audits_staff ON audits (staff_id);
CREATE INDEX audits_device ON audits (device_id);
CREATE INDEX audits_latest ON audits (policy_id, status, exemption_expires) WHERE latest = 1;
CREATE INDEX audits_policy_at ON audits (policy_id, at);
CREATE INDEX audits_person ON audits (person_name COLLATE nocase);
CREATE INDEX audits_device_name ON audits (device_name COLLATE nocase);
CREATE INDEX audits_latest_trust ON audits (policy_id, assurance, policy_sha256) WHERE latest = 1;
CREATE INDEX audits_derived ON audits (derived_from) WHERE derived_from IS NOT NULL;

CREATE TABLE scans (
    id bigint PRIMARY KEY,
    audit_id bigint NOT NULL REFERENCES audits (id),
    started_at text NOT NULL,
    finished_at text NOT NULL,
    complete integer NOT NULL,
    inventory_digest text NOT NULL,
    app_count integer NOT NULL,
    gaps text NOT NULL,
    policy_sha256 text NOT NULL,
    day text,
    status text,
    users text NOT NULL DEFAULT '[]'
);
CREATE INDEX scans_audit ON scans (audit_id);

CREATE TABLE findings (
    id bigint PRIMARY KEY,
    scan_id bigint NOT NULL REFERENCES scans (id),
    rule_id text NOT NULL,
    rule_title text NOT NULL,
    identifier text NOT NULL,
    id_kind text NOT NULL,
    name text NOT NULL,
    user_id text NOT NULL,
    state text,
    status text NOT NULL,
    confidence text NOT NULL,
    exemption_id text
);
CREATE INDEX findings_scan ON findings (scan_id);

CREATE TABLE actions (
    id bigint PRIMARY KEY,
    audit_id bigint NOT NULL REFERENCES audits (id),
    kind text NOT NULL,
    device_id text NOT NULL,
    identifier text NOT NULL,
    user_id text NOT NULL,
    ok integer NOT NULL,
    message text NOT NULL,
    advice text NOT NULL,
    code text NOT NULL,
    output text NOT NULL,
    at text
);
CREATE INDEX actions_audit ON actions (audit_id);

CREATE TABLE exemptions (
    audit_id bigint NOT NULL REFERENCES audits (id),
    exemption_id text NOT NULL,
    reason text NOT NULL,
    approver text NOT NULL,
    approver_role text NOT NULL,
    granted text NOT NULL,
    expires text NOT NULL,
    person text NOT NULL,
    device text NOT NULL,
    policy text NOT NULL,
    rules text NOT NULL,
    apps text NOT NULL,
    mitigations text NOT NULL,
    PRIMARY KEY (audit_id, exemption_id)
);

CREATE TABLE attestations (
    id bigint PRIMARY KEY,
    uid text NOT NULL CONSTRAINT attestations_uid_key UNIQUE,
    payload_sha256 text NOT NULL CONSTRAINT attestations_payload_sha256_key UNIQUE,
    file_sha256 text NOT NULL CONSTRAINT attestations_file_sha256_key UNIQUE,
    audit_id bigint NOT NULL REFERENCES audits (id),
    kind text NOT NULL,
    envelope bytea NOT NULL,
    signer text NOT NULL,
    identity text NOT NULL,
    key_note text NOT NULL,
    staff_id text NOT NULL,
    person_name text NOT NULL,
    technician text NOT NULL,
    device_id text NOT NULL,
    policy_id text NOT NULL,
    status text NOT NULL,
    attested_at text NOT NULL,
    recorded_at text NOT NULL,
    origin text NOT NULL
        CONSTRAINT attestations_origin_check CHECK (origin IN ('local', 'imported')),
    file_name text NOT NULL
);
CREATE INDEX attestations_audit ON attestations (audit_id);
-- A signed envelope is base64 JSON that pglz shrinks by ~7% (research §2 #37): stored out of
-- line uncompressed, the compression attempt is not paid on every import.
ALTER TABLE attestations ALTER COLUMN envelope SET STORAGE EXTERNAL;

CREATE TABLE keys (
    identity text NOT NULL,
    signer text NOT NULL,
    first_seen text NOT NULL,
    source text NOT NULL,
    accepted integer NOT NULL,
    PRIMARY KEY (identity, signer)
);

CREATE TABLE status_changes (
    policy_id text NOT NULL,
    day text NOT NULL,
    status text NOT NULL,
    expires text NOT NULL,
    delta integer NOT NULL,
    PRIMARY KEY (policy_id, day, status, expires)
);

CREATE TABLE accepted_policies (
    sha256 text PRIMARY KEY,
    policy_id text NOT NULL,
    version text NOT NULL,
    title text NOT NULL,
    deadline text,
    announced text,
    content bytea NOT NULL,
    file_name text NOT NULL,
    accepted_by text NOT NULL,
    accepted_at text NOT NULL,
    issuer_key text NOT NULL DEFAULT ''
);
CREATE INDEX accepted_policies_id ON accepted_policies (policy_id, accepted_at);

CREATE TABLE technicians (
    fingerprint text PRIMARY KEY,
    name text NOT NULL,
    enrolled_by text NOT NULL,
    enrolled_at text NOT NULL,
    revoked_by text NOT NULL DEFAULT '',
    revoked_at text
);

CREATE TABLE settings (
    name text PRIMARY KEY,
    value text NOT NULL,
    set_by text NOT NULL,
    set_at text NOT NULL
);

CREATE TABLE inventories (
    digest text PRIMARY KEY,
    app_count integer NOT NULL,
    blob bytea NOT NULL
);

CREATE TABLE accepted_exemptions (
    sha256 text PRIMARY KEY,
    exemption_id text NOT NULL,
    person text NOT NULL,
    approver text NOT NULL,
    expires text NOT NULL,
    content text NOT NULL,
    file_name text NOT NULL,
    accepted_by text NOT NULL,
    accepted_at text NOT NULL,
    revoked_by text NOT NULL DEFAULT '',
    revoked_at text
);

CREATE TABLE key_disputes (
    identity text NOT NULL,
    held_signer text NOT NULL,
    refused_signer text NOT NULL,
    held_since text NOT NULL,
    refused_day text NOT NULL,
    raised_at text NOT NULL,
    settled_key text NOT NULL DEFAULT '',
    settled_at text,
    PRIMARY KEY (identity, held_signer, refused_signer)
);
"""

ID_TABLES = ("audits", "scans", "findings", "actions", "attestations")

# The history's search (queries._where: `search LIKE '%word%'`, every word anywhere in the
# text) over trigrams: 100,000 audits were read one by one for each search without it
# (bench/store.py). PostgreSQL only, and not a schema version: the extension may be missing
# or not allowed, and the history works the same without the index, only slower.
SEARCH_INDEX = (
    "CREATE INDEX IF NOT EXISTS audits_search_trgm ON audits USING gin (search gin_trgm_ops)"
)


def add_search_index(cursor: Any) -> bool:
    """Create the search index (and pg_trgm, trusted since PostgreSQL 13, so a database owner
    may) inside the caller's transaction; False, leaving the transaction as it was, where the
    extension is missing or this account may not create it or the index. Idempotent: run when
    the schema is created and by `team roles` (pg_roles.setup_roles) for older histories."""
    import psycopg

    cursor.execute("SAVEPOINT da_search_index")
    try:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute(SEARCH_INDEX)
    except psycopg.Error:
        cursor.execute("ROLLBACK TO SAVEPOINT da_search_index")
        cursor.execute("RELEASE SAVEPOINT da_search_index")
        return False
    cursor.execute("RELEASE SAVEPOINT da_search_index")
    return True


def create(cursor: Any) -> None:
    """An empty team history at CREATED_AT, inside the caller's transaction (PostgreSQL's DDL
    is transactional: a failure leaves nothing behind)."""
    cursor.execute(_V9)
    for table in ID_TABLES:
        cursor.execute(_ID_TRIGGER.format(table=table))
    add_search_index(cursor)
    cursor.execute(
        "INSERT INTO da_meta (application_id, user_version) VALUES (%s, %s)",
        (APPLICATION_ID, CREATED_AT),
    )


# v10 (schema.py _v10): who recorded each audit, written by the database from the login of the
# session that inserts the row (session_user: what the client sends is overwritten, so a
# technician cannot put a colleague's name on an audit), and never changed afterwards, not
# even by the administrator: an UPDATE that sets it keeps the old value (quietly, so a step
# that copies every column of an audit, as history move-to does, still works). The row rules
# (audit/store/pg_rules.py) rest on it. Rows older than v10 keep '' (recorded before anyone
# was asked: only the administrator may change them). Written to run again harmlessly (a
# history put back to an older version number by hand), as schema._v10 is.
_V10 = """
ALTER TABLE audits ADD COLUMN IF NOT EXISTS recorded_by text NOT NULL DEFAULT '';
CREATE OR REPLACE FUNCTION da_recorded_by() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.recorded_by := session_user;
    ELSE
        NEW.recorded_by := OLD.recorded_by;
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS da_recorded_by ON audits;
CREATE TRIGGER da_recorded_by BEFORE INSERT OR UPDATE OF recorded_by ON audits
    FOR EACH ROW EXECUTE FUNCTION da_recorded_by();
"""


def _v10(cursor: Any) -> None:
    cursor.execute(_V10)


def _v11(cursor: Any) -> None:
    """schema v11 (a device's newest check decides between its unnamed and named audits): no
    DDL, the devices with both are relinked by the same code as on SQLite, through the store's
    own translation (pg.PgConnection), in the migration's transaction. The row rules' check of
    the chains (pg_rules, da_verify) is put first to the rule this step counts by: installed by
    an older version, it would refuse the relinking at commit (`team roles` installs all the
    rules again afterwards)."""
    from audit.store import pg_rules
    from audit.store.pg import PgConnection  # pg imports this module
    from audit.store.schema import relink_mixed

    cursor.execute("SELECT to_regprocedure('da_verify()') IS NOT NULL")
    if cursor.fetchone()[0]:
        cursor.execute(pg_rules._VERIFY)  # CREATE OR REPLACE: its owner and rights stay
    relink_mixed(PgConnection(cursor.connection))  # type: ignore[arg-type]


def _v12(cursor: Any) -> None:
    """schema v12 (the holds added since v11 applied to the audits already stored): no DDL,
    every audit judged again by the same code as on SQLite, in the migration's transaction."""
    from audit.store.holds import rejudge
    from audit.store.pg import PgConnection  # pg imports this module

    rejudge(PgConnection(cursor.connection))  # type: ignore[arg-type]


# Version n -> n + 1, for n >= CREATED_AT (the team history starts at 9).
STEPS: dict[int, Callable[[Any], None]] = {9: _v10, 10: _v11, 11: _v12}

if CREATED_AT + len(STEPS) != LATEST_VERSION:  # pragma: no cover - caught by any import
    raise RuntimeError("audit/store/pg_schema.py lacks the PostgreSQL step of a new migration")
