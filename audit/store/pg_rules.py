"""Row rules in the team history's database (issue 18): what a technician's own SQL session
cannot get past, while the app, which runs as the same technician login, keeps working.

Grants (audit/store/pg_roles.py) say which tables a group may write; they cannot say which
rows. A technician's login must be able to update audits (the app moves every audit's chain
columns on each write) and write the dashboard's running totals (status_changes: the relink's
upsert), so without these rules a technician with psql could make any audit count as compliant.

The rules, all in the database (installed by `pg_roles.setup_roles`, idempotent):

1. Who recorded an audit is the database's word: `recorded_by` is the inserting session's login
   (pg_schema v10) and never changes.
2. An audit's facts (person, staff id, device, policy, day, times, receipt columns, exemption
   expiry, ...) change only by the login that recorded it, or the team's administrator. On
   another's audit a technician's session may move only what the app moves there: the chain
   columns (latest, until_day, counted_*: checked by rule 5), the trust note, the assurance
   (never up to witnessed: pg_roles' witnessed rule), and the status only to "not compliant"
   (a hold: an import that meets a second key for a person holds that person's receipts).
3. Rows of an audit (scans, findings, actions, exemptions, receipts, a receipt's identity) are
   added or replaced only by the login that recorded the audit, or the administrator: a scan
   slipped into a colleague's audit would be what a later re-judging reads as its claim. A
   receipt's identity (whose key signed it) is written only by the transaction that stores the
   receipt: changed later, it would slip the receipt out of a key dispute's hold.
4. An audit resting on a signed receipt counts at most as its receipt says: its status is the
   receipt's or "not compliant" (a hold), its signer, time and kind are the receipt's, and that
   receipt is a row of this audit. A hold on it (status "not compliant" kept under the same
   receipt) is released only by the administrator's decisions (accepting an exemption,
   settling a key dispute), or within the transaction that recorded the audit (the import
   re-judges what it just wrote).
5. The dashboard's numbers cannot be forged: every change to status_changes must equal, per
   policy, day, status and expiry, what the changes to the audits' counted columns add and take
   away, and those columns must agree with each audit's own status, day and expiry, so a
   counted status can never be better than the audit's own. Checked once per transaction, at
   commit (a deferred constraint trigger), because the app writes the audits first and the
   totals after.

Why triggers and not row-level security: PostgreSQL refuses COPY into a table with row-level
security, and the import COPYs. Why statement-level triggers with transition tables: one set
query per statement, not one function call per row, so an import of thousands of rows pays
a few queries (bench/row_rules.py measures what they cost). The functions run as the tables' owner
(SECURITY DEFINER, search_path fixed) so they can keep their bookkeeping tables, which no
person may write.

6. A staff member's key is trusted on first use, and a new key for someone is the
   administrator's decision: a technician's session adds only the first key of an identity,
   never a second one and never one marked accepted (the import adds exactly that; a second
   key raises a dispute instead). The one exception is a technician's own key the
   administrator enrolled (`technician:NAME`): enrolling it was the decision. The check takes
   the team's write lock and runs in a read committed transaction, so two sessions cannot
   each add a "first" key for one person.
7. No time is written more than CLOCK_SKEW (the import's slack for a receipt's date) ahead
   of the server's own clock: a bench whose clock is a year ahead would otherwise record an
   audit that stays "the latest" of its device, over today's real finding, for a year. Every
   login, the administrator's too; only the times a statement writes or changes are checked
   (a row written before this rule is not stuck).

What the rules cannot stop (docs/team-history.md): a technician records new audits (that is
the job), and the database cannot check a signature, so a technician can still invent an audit,
or a receipt row for their own audit, with SQL. Refusals carry a constraint name
(`da_others_audit`, `da_receipt`, `da_totals`, `da_key`, `da_clock`) that pg_roles.refusal
turns into words.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from audit.attestation.ranges import CLOCK_SKEW
from audit.store.chains import CHAIN_TIME, COUNTED_STATUS, EXCEPTED, FOREVER
from audit.store.dialect import WRITE_LOCK

# Constraint names the refusals carry (exc.diag.constraint_name): pg_roles.refusal's words.
OTHERS_AUDIT = "da_others_audit"
RECEIPT = "da_receipt"
TOTALS = "da_totals"
KEY = "da_key"
CLOCK = "da_clock"

# The times rule 7 checks, per table: (timestamps, days). Stored as fixed-width UTC text
# (db.timestamp) and ISO days, so text order is time order: what the chain orders by.
_CLOCKED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "audits": (("started_at", "at", "scanned_at", "attested_at"), ("day",)),
    "scans": (("started_at", "finished_at"), ("day",)),
    "attestations": (("attested_at", "recorded_at"), ()),
    "actions": (("at",), ()),
}

# The functions below, for pg_roles to hand to the owner role.
FUNCTIONS = (
    "da_audit_facts",
    "da_audits_inserted",
    "da_audits_updated",
    "da_changes_inserted",
    "da_changes_updated",
    "da_changes_deleted",
    "da_rows_added",
    "da_rows_removed",
    "da_findings_added",
    "da_receipts_inserted",
    "da_receipt_identity",
    "da_verify",
    "da_keys_added",
    "da_clock_audits_changed",
    *(f"da_clock_{table}" for table in _CLOCKED),
)

# Bookkeeping of the transaction in progress (keyed by its id); emptied at its commit.
_TABLES = """
CREATE TABLE IF NOT EXISTS da_tally (
    xid xid8 NOT NULL,
    policy_id text NOT NULL,
    day text NOT NULL,
    status text NOT NULL,
    expires text NOT NULL,
    delta integer NOT NULL,
    PRIMARY KEY (xid, policy_id, day, status, expires)
);
CREATE TABLE IF NOT EXISTS da_touched (
    xid xid8 NOT NULL,
    id bigint NOT NULL,
    inserted boolean NOT NULL,
    policy_id text NOT NULL,
    staff_id text NOT NULL,
    device_id text NOT NULL
);
CREATE INDEX IF NOT EXISTS da_touched_xid ON da_touched (xid, id);
CREATE TABLE IF NOT EXISTS da_receipts_new (xid xid8 NOT NULL, uid text NOT NULL);
CREATE INDEX IF NOT EXISTS da_receipts_new_xid ON da_receipts_new (xid, uid);
CREATE TABLE IF NOT EXISTS da_pending (xid xid8 PRIMARY KEY);
"""

# What an audit adds to the running totals (chains._count): +1 on its counted day, -1 on the
# day it stopped holding (never, for the latest). {rows}: a transition table; {sign}: 1 or -1,
# {end}: its opposite.
_STRETCHES = """
SELECT policy_id, coalesce(counted_day, '') AS day, counted_status AS status,
       coalesce(counted_expires, '') AS expires, {sign} AS n
FROM {rows} WHERE counted_status IS NOT NULL
UNION ALL
SELECT policy_id, coalesce(until_day, ''), counted_status, coalesce(counted_expires, ''), {end}
FROM {rows} WHERE counted_status IS NOT NULL AND until_day IS DISTINCT FROM '9999-12-31'
"""

_ADD_TALLY = """
INSERT INTO da_tally AS t (xid, policy_id, day, status, expires, delta)
SELECT pg_current_xact_id(), policy_id, day, status, expires, sum(n)::integer
FROM ({parts}) AS c GROUP BY policy_id, day, status, expires HAVING sum(n) <> 0
ON CONFLICT (xid, policy_id, day, status, expires) DO UPDATE SET delta = t.delta + excluded.delta;
"""

# Last in every bookkeeping function: the check (da_verify) fires on this row, at commit, or at
# once if a session says SET CONSTRAINTS ALL IMMEDIATE; last, so even then it sees everything
# the statement did (it empties the bookkeeping of the transaction when it has checked it).
_PENDING = """
INSERT INTO da_pending VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
RETURN NULL;"""


def _function(name: str, body: str, *, returns: str = "trigger") -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS {returns} LANGUAGE plpgsql"
        f" SECURITY DEFINER SET search_path FROM CURRENT AS $fn$\nBEGIN\n{body}\nEND $fn$;\n"
    )


def _tally(parts: str) -> str:
    return _ADD_TALLY.format(parts=parts)


_AUDITS_INSERTED = _function(
    "da_audits_inserted",
    _tally(_STRETCHES.format(rows="new_rows", sign=1, end=-1))
    + "INSERT INTO da_touched SELECT pg_current_xact_id(), id, true, policy_id, staff_id,"
    " device_id FROM new_rows;\n" + _PENDING,
)
_AUDITS_UPDATED = _function(
    "da_audits_updated",
    _tally(
        _STRETCHES.format(rows="new_rows", sign=1, end=-1)
        + " UNION ALL "
        + _STRETCHES.format(rows="old_rows", sign=-1, end=1)
    )
    # The old key too: an audit given to another person leaves a chain behind (relink both).
    + "INSERT INTO da_touched SELECT pg_current_xact_id(), id, false, policy_id, staff_id,"
    " device_id FROM new_rows UNION SELECT pg_current_xact_id(), id, false, policy_id,"
    " staff_id, device_id FROM old_rows;\n" + _PENDING,
)
# status_changes: what was written there is taken away from what the audits' changes owe.
_CHANGES = "SELECT policy_id, day, status, expires, {sign} * delta AS n FROM {rows}"
_CHANGES_INSERTED = _function(
    "da_changes_inserted", _tally(_CHANGES.format(rows="new_rows", sign=-1)) + _PENDING
)
_CHANGES_UPDATED = _function(
    "da_changes_updated",
    _tally(
        _CHANGES.format(rows="new_rows", sign=-1)
        + " UNION ALL "
        + _CHANGES.format(rows="old_rows", sign=1)
    )
    + _PENDING,
)
_CHANGES_DELETED = _function(
    "da_changes_deleted", _tally(_CHANGES.format(rows="old_rows", sign=1)) + _PENDING
)

# A receipt's identity (whose key signed it: the staff id, or an enrolled technician's name) is
# written once, by the transaction that stores the receipt (store.record_attestation judges it
# right after inserting it). Changed later, it would take the receipt out of reach of a key
# dispute about that identity, and the next re-judging would release its hold.
_RECEIPTS_INSERTED = _function(
    "da_receipts_inserted",
    "INSERT INTO da_receipts_new SELECT pg_current_xact_id(), uid FROM new_rows;\n" + _PENDING,
)


def _receipt_identity(admin: str) -> str:
    return (
        "CREATE OR REPLACE FUNCTION da_receipt_identity() RETURNS trigger LANGUAGE plpgsql"
        " SECURITY DEFINER SET search_path FROM CURRENT AS $fn$\nDECLARE bad record;\nBEGIN"
        f"\n    IF pg_has_role(session_user, {admin}, 'MEMBER') THEN RETURN NULL; END IF;"
        """
    SELECT n.uid INTO bad FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.identity IS DISTINCT FROM o.identity
      AND NOT EXISTS (SELECT 1 FROM da_receipts_new r
                      WHERE r.xid = pg_current_xact_id() AND r.uid = o.uid)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'receipt %: whose key signed it is decided when it is stored, and '
            'only the team''s administrator may change it later', bad.uid
            USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'da_receipt';
    END IF;
    RETURN NULL;
END $fn$;
"""
    )


# The chain as chains.relink_keys computes it, for the keys a transaction touched (and, as
# relink does, each named key's unnamed one: a named audit uncounts the unnamed scans of its
# device): judged audits in chain order, each holding until the next one's day, the last one
# the latest. Built from chains.py's own COUNTED_STATUS and CHAIN_TIME, so the two cannot
# disagree about which audit counts; min(x, y) is SQLite's scalar form of least(x, y).
_CHAIN = f"""
WITH k AS (
    SELECT DISTINCT policy_id, staff_id, device_id FROM da_touched WHERE xid = NEW.xid
    UNION SELECT DISTINCT policy_id, '', device_id FROM da_touched
    WHERE xid = NEW.xid AND staff_id <> ''
), e AS (
    SELECT a.id, a.policy_id, a.staff_id, a.device_id, a.day, a.latest, a.until_day,
           a.counted_status, {COUNTED_STATUS} AS cs,
           {CHAIN_TIME.replace("min(a.at, ", "least(a.at, ")} AS ct
    FROM k JOIN audits a ON a.policy_id = k.policy_id AND a.staff_id = k.staff_id
        AND a.device_id = k.device_id
), j AS (
    SELECT e.*, lead(id) OVER w AS next_id, lead(day) OVER w AS next_day
    FROM e WHERE cs IS NOT NULL
    WINDOW w AS (PARTITION BY policy_id, staff_id, device_id ORDER BY ct COLLATE "C", id)
)
SELECT id FROM j
WHERE counted_status IS DISTINCT FROM cs OR latest <> (next_id IS NULL)::integer
   OR until_day IS DISTINCT FROM CASE WHEN next_id IS NULL THEN '{FOREVER}'
                                      ELSE greatest(day, next_day) END
UNION ALL
SELECT id FROM e WHERE cs IS NULL AND (counted_status IS NOT NULL OR latest <> 0)
LIMIT 1
"""

# At commit, for every audit this transaction touched: its status is what it rests on, its
# receipt's (a receipt row of this audit, with the same signer, time and kind) or without a
# receipt its latest scan's, or "not compliant" (a hold); the totals owed are all paid; and
# it counts as relink says, with its own day and expiry.
_VERIFY = f"""
CREATE OR REPLACE FUNCTION da_verify() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE
    bad record;
BEGIN
    SELECT a.id INTO bad FROM audits a
    LEFT JOIN attestations t ON t.uid = a.receipt_uid AND t.audit_id = a.id
    WHERE a.id IN (SELECT id FROM da_touched WHERE xid = NEW.xid)
      AND a.status IS NOT NULL AND a.status <> 'non_compliant'
      AND CASE WHEN a.receipt_uid IS NULL THEN
               a.status IS DISTINCT FROM (SELECT s.status FROM scans s WHERE s.audit_id = a.id
                                          ORDER BY s.id DESC LIMIT 1)
           ELSE t.uid IS NULL OR a.status IS DISTINCT FROM t.status END
    LIMIT 1;
    IF NOT FOUND THEN
        SELECT a.id INTO bad FROM audits a
        LEFT JOIN attestations t ON t.uid = a.receipt_uid AND t.audit_id = a.id
        WHERE a.id IN (SELECT id FROM da_touched WHERE xid = NEW.xid)
          AND a.receipt_uid IS NOT NULL
          AND (t.uid IS NULL OR a.signer IS DISTINCT FROM t.signer
               OR a.attested_at IS DISTINCT FROM t.attested_at
               OR a.receipt_kind IS DISTINCT FROM t.kind)
        LIMIT 1;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'audit % would count otherwise than the receipt or scan it rests on '
            'says', bad.id USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'da_receipt';
    END IF;
    SELECT * INTO bad FROM da_tally WHERE xid = NEW.xid AND delta <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the dashboard''s running totals (policy %, day %, status %) would not '
            'match the audits they count', bad.policy_id, bad.day, bad.status
            USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'da_totals';
    END IF;
    SELECT a.id INTO bad FROM audits a
    WHERE a.id IN (SELECT id FROM da_touched WHERE xid = NEW.xid)
      AND a.counted_status IS NOT NULL
      AND (a.counted_day IS DISTINCT FROM a.day
           OR a.counted_expires IS DISTINCT FROM CASE WHEN a.status = '{EXCEPTED}'
                                                  THEN coalesce(a.exemption_expires, '')
                                                  ELSE '' END)
    LIMIT 1;
    IF NOT FOUND THEN
        {_CHAIN.strip()} INTO bad;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'audit % would count otherwise than its own status, day and place '
            'among the audits of its device', bad.id
            USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'da_totals';
    END IF;
    DELETE FROM da_tally WHERE xid = NEW.xid;
    DELETE FROM da_touched WHERE xid = NEW.xid;
    DELETE FROM da_receipts_new WHERE xid = NEW.xid;
    DELETE FROM da_pending WHERE xid = NEW.xid;
    RETURN NULL;
END $fn$;
"""


def _facts(admin: str) -> str:
    """Rules 2 and 4 (the hold), per row before an UPDATE of audits; `admin`: the quoted
    name of the administrators' group."""
    facts = (
        "uid, origin, person_name, staff_id, technician, device_id, device_name, device_json,"
        " policy_id, policy_title, policy_sha256, deadline, day, started_at, at, scanned_at,"
        " exemption_expires, receipt_uid, receipt_kind, signer, attested_at, search,"
        " connection, derived_from"
    )
    new = ", ".join(f"NEW.{c.strip()}" for c in facts.split(","))
    old = ", ".join(f"OLD.{c.strip()}" for c in facts.split(","))
    return _function(
        "da_audit_facts",
        f"""
    IF pg_has_role(session_user, {admin}, 'MEMBER') THEN
        RETURN NEW;
    END IF;
    IF OLD.recorded_by IS DISTINCT FROM session_user::text THEN
        IF ({new}) IS DISTINCT FROM ({old}) THEN
            RAISE EXCEPTION 'audit % was recorded by %: only that login or the team''s '
                'administrator may change it', OLD.id, nullif(OLD.recorded_by, '')
                USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'da_others_audit';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status
           AND NEW.status IS DISTINCT FROM 'non_compliant' THEN
            RAISE EXCEPTION 'audit % was recorded by %: another login may only hold it (not '
                'compliant)', OLD.id, nullif(OLD.recorded_by, '')
                USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'da_others_audit';
        END IF;
    END IF;
    IF OLD.receipt_uid IS NOT NULL AND NEW.receipt_uid IS NOT DISTINCT FROM OLD.receipt_uid
       AND OLD.status = 'non_compliant' AND NEW.status IS DISTINCT FROM 'non_compliant'
       AND NOT EXISTS (SELECT 1 FROM da_touched
                       WHERE xid = pg_current_xact_id() AND id = OLD.id AND inserted) THEN
        RAISE EXCEPTION 'audit % rests on a signed receipt that is held: only the team''s '
            'administrator''s decisions release it', OLD.id
            USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'da_receipt';
    END IF;
    RETURN NEW;""",
    )


# Rule 3: rows added to an audit someone else recorded. {rows}: the transition table;
# {audit}: how its rows name their audit.
_ROWS_ADDED = """
    IF pg_has_role(session_user, {admin}, 'MEMBER') THEN
        RETURN NULL;
    END IF;
    SELECT a.id, a.recorded_by INTO bad FROM {rows} r {join}
    WHERE a.recorded_by IS DISTINCT FROM session_user::text LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '% of audit %: it was recorded by %, and only that login or the '
            'team''s administrator may change its rows', TG_TABLE_NAME, bad.id,
            nullif(bad.recorded_by, '')
            USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'da_others_audit';
    END IF;
    RETURN NULL;"""


def _rows_added(name: str, admin: str, rows: str, join: str) -> str:
    body = "DECLARE bad record;\nBEGIN" + _ROWS_ADDED.format(admin=admin, rows=rows, join=join)
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql"
        f" SECURITY DEFINER SET search_path FROM CURRENT AS $fn$\n{body}\nEND $fn$;\n"
    )


_TRIGGERS = """
DROP TRIGGER IF EXISTS da_audit_facts ON audits;
CREATE TRIGGER da_audit_facts BEFORE UPDATE ON audits
    FOR EACH ROW EXECUTE FUNCTION da_audit_facts();
DROP TRIGGER IF EXISTS da_audits_inserted ON audits;
CREATE TRIGGER da_audits_inserted AFTER INSERT ON audits REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION da_audits_inserted();
DROP TRIGGER IF EXISTS da_audits_updated ON audits;
CREATE TRIGGER da_audits_updated AFTER UPDATE ON audits
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION da_audits_updated();
DROP TRIGGER IF EXISTS da_changes_inserted ON status_changes;
CREATE TRIGGER da_changes_inserted AFTER INSERT ON status_changes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION da_changes_inserted();
DROP TRIGGER IF EXISTS da_changes_updated ON status_changes;
CREATE TRIGGER da_changes_updated AFTER UPDATE ON status_changes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION da_changes_updated();
DROP TRIGGER IF EXISTS da_changes_deleted ON status_changes;
CREATE TRIGGER da_changes_deleted AFTER DELETE ON status_changes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION da_changes_deleted();
DROP TRIGGER IF EXISTS da_receipts_inserted ON attestations;
CREATE TRIGGER da_receipts_inserted AFTER INSERT ON attestations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION da_receipts_inserted();
DROP TRIGGER IF EXISTS da_receipt_identity ON attestations;
CREATE TRIGGER da_receipt_identity AFTER UPDATE ON attestations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION da_receipt_identity();
DROP TRIGGER IF EXISTS da_verify ON da_pending;
CREATE CONSTRAINT TRIGGER da_verify AFTER INSERT ON da_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION da_verify();
"""


def _keys_added(admin: str) -> str:
    """Rule 6, after each INSERT into keys."""
    return (
        "CREATE OR REPLACE FUNCTION da_keys_added() RETURNS trigger LANGUAGE plpgsql"
        " SECURITY DEFINER SET search_path FROM CURRENT AS $fn$\nDECLARE bad record;\nBEGIN"
        f"\n    IF pg_has_role(session_user, {admin}, 'MEMBER') THEN RETURN NULL; END IF;"
        """
    -- Another session's uncommitted first key is invisible here: wait for every writer (the
    -- app holds this lock already), then look with a fresh snapshot (read committed only).
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'a key is added to the team history only in a read committed '
            'transaction, not %', current_setting('transaction_isolation')
            USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'da_key';
    END IF;"""
        f"\n    PERFORM pg_advisory_xact_lock({WRITE_LOCK}::bigint);"
        """
    SELECT n.identity, n.signer INTO bad FROM new_rows n
    WHERE NOT EXISTS (SELECT 1 FROM technicians t
                      WHERE t.fingerprint = n.signer AND n.identity = 'technician:' || t.name)
      AND (n.accepted <> 0 OR EXISTS (SELECT 1 FROM keys k
                                      WHERE k.identity = n.identity AND k.signer <> n.signer))
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'key % for %: the team history trusts another key for them, or it was '
            'marked accepted; only the team''s administrator accepts a new key for someone',
            bad.signer, bad.identity
            USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'da_key';
    END IF;
    RETURN NULL;
END $fn$;
"""
    )


_STAMP = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'  # db.timestamp's form


def _clock(table: str, *, changed: bool = False) -> str:
    """Rule 7 for `table`'s new rows (an INSERT), or the changed values of an UPDATE."""
    stamps, days = _CLOCKED[table]
    was = "o.{}" if changed else "NULL::text"
    values = ", ".join(
        [f"(n.{c}, {was.format(c)}, false)" for c in stamps]
        + [f"(n.{c}, {was.format(c)}, true)" for c in days]
    )
    join = " JOIN old_rows o ON o.id = n.id" if changed else ""
    name = f"da_clock_{table}" + ("_changed" if changed else "")
    slack = int(CLOCK_SKEW.total_seconds())
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE
    clock_now text := to_char(now() AT TIME ZONE 'UTC', '{_STAMP}');
    clock_limit text := to_char(now() AT TIME ZONE 'UTC' + interval '{slack} seconds', '{_STAMP}');
    bad record;
BEGIN
    SELECT x.v INTO bad FROM new_rows n{join}
    CROSS JOIN LATERAL (VALUES {values}) AS x(v, was, is_day)
    WHERE x.v > CASE WHEN x.is_day THEN left(clock_limit, 10) ELSE clock_limit END
      AND x.v IS DISTINCT FROM x.was
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '% is later than the team history''s server clock (%) by more than % '
            'seconds', bad.v, clock_now, {slack}
            USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'da_clock',
                  DETAIL = bad.v || ' ' || clock_now;
    END IF;
    RETURN NULL;
END $fn$;
"""


def install(raw: Any, admin_role: str) -> None:
    """Create (or bring back to what this file says) the row rules, inside the caller's
    transaction, as the server's administrator; `admin_role`: the administrators' group."""
    admin = sql.Literal(admin_role).as_string(raw)
    raw.execute(_TABLES)
    for text in (
        _AUDITS_INSERTED,
        _AUDITS_UPDATED,
        _CHANGES_INSERTED,
        _CHANGES_UPDATED,
        _CHANGES_DELETED,
        _VERIFY,
        _facts(admin),
        _RECEIPTS_INSERTED,
        _receipt_identity(admin),
        _keys_added(admin),
        _clock("audits", changed=True),
        *(_clock(table) for table in _CLOCKED),
        _rows_added("da_rows_added", admin, "new_rows", "JOIN audits a ON a.id = r.audit_id"),
        _rows_added("da_rows_removed", admin, "old_rows", "JOIN audits a ON a.id = r.audit_id"),
        _rows_added(
            "da_findings_added",
            admin,
            "new_rows",
            "JOIN scans s ON s.id = r.scan_id JOIN audits a ON a.id = s.audit_id",
        ),
    ):
        raw.execute(text)
    raw.execute(_TRIGGERS)
    raw.execute("DROP TRIGGER IF EXISTS da_keys_added ON keys")
    raw.execute(
        "CREATE TRIGGER da_keys_added AFTER INSERT ON keys REFERENCING NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION da_keys_added()"
    )
    for table in _CLOCKED:
        raw.execute(f"DROP TRIGGER IF EXISTS da_clock_{table} ON {table}")
        raw.execute(
            f"CREATE TRIGGER da_clock_{table} AFTER INSERT ON {table} REFERENCING NEW TABLE"
            f" AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION da_clock_{table}()"
        )
    raw.execute("DROP TRIGGER IF EXISTS da_clock_audits_changed ON audits")
    raw.execute(
        "CREATE TRIGGER da_clock_audits_changed AFTER UPDATE ON audits REFERENCING OLD TABLE"
        " AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION"
        " da_clock_audits_changed()"
    )
    for table, event in (
        ("scans", "INSERT"),
        ("actions", "INSERT"),
        ("exemptions", "INSERT"),
        ("exemptions", "DELETE"),
        ("attestations", "INSERT"),
        ("attestations", "UPDATE"),
        ("findings", "INSERT"),
    ):
        name = f"da_rows_{event.lower()}_{table}"
        function = (
            "da_findings_added"
            if table == "findings"
            else "da_rows_removed"
            if event == "DELETE"
            else "da_rows_added"
        )
        transition = "OLD TABLE AS old_rows" if event == "DELETE" else "NEW TABLE AS new_rows"
        raw.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        raw.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {transition}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
