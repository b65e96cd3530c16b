"""The history database's schema and its migrations, oldest first.

`PRAGMA user_version` holds how many migrations a database has had. Opening a database runs the
missing ones, in one transaction, so a crash mid-migration leaves the old schema intact. A
database written by a newer Device Audit (a higher user_version) is refused before anything is
written to it: an older program cannot know what the newer columns mean.

Never edit a migration once released; append a new one. Times are stored as fixed-width UTC ISO
text (see `timestamp`), days as ISO dates, so text order is time order and indexes can range.

Vocabulary: an *audit* is one person + device + policy session. It groups the scans (each with
its assessment and findings), the actions, the exemptions the last assessment used, and the
signed receipts (attestations). An audit is either `local` (done here) or `imported` (rebuilt
from a staff member's receipt), or since v8 `rejudged` (derived from a stored inventory under a
newer policy text: audit.store.rejudge).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable

from audit.model import UserKind
from audit.store.chains import (
    ADD_STATUS_CHANGES,
    CHAIN_TIME,
    COUNTED_STATUS,
    EXCEPTED,
    FOREVER,
    AuditChainKey,
    Stretch,
    recount,
    relink,
    relink_keys,
    relink_mixed,
)

# The chain's names stay importable from here, where the modules and tests that predate
# audit.store.chains look for them.
__all__ = [
    "ADD_STATUS_CHANGES",
    "APPLICATION_ID",
    "CHAIN_TIME",
    "COUNTED_STATUS",
    "EXCEPTED",
    "FOREVER",
    "LATEST_VERSION",
    "MIGRATIONS",
    "AuditChainKey",
    "Stretch",
    "receipt_users",
    "recount",
    "relink",
    "relink_keys",
    "relink_mixed",
]

_USER_KINDS = frozenset(kind.value for kind in UserKind)

# "DAud" in ASCII: marks the file as a Device Audit history, so --db pointing at some other
# SQLite file is refused instead of being given our tables.
APPLICATION_ID = 0x44417564

_V1 = """
CREATE TABLE audits (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL CHECK (origin IN ('local', 'imported')),
    person_name TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    technician TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device_name TEXT NOT NULL,
    device_json TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    policy_title TEXT NOT NULL,
    policy_sha256 TEXT NOT NULL,
    deadline TEXT,
    status TEXT,
    day TEXT,
    started_at TEXT NOT NULL,
    at TEXT NOT NULL,
    scanned_at TEXT,
    exemption_expires TEXT,
    receipt_uid TEXT,
    receipt_kind TEXT,
    signer TEXT,
    attested_at TEXT,
    search TEXT NOT NULL
);
-- The search text rides along in the time index, so a search walks the index newest first
-- and reads a table row only for each match.
CREATE INDEX audits_at ON audits (at, id, search);
CREATE INDEX audits_key ON audits (policy_id, staff_id, device_id, at);
CREATE INDEX audits_staff ON audits (staff_id);
CREATE INDEX audits_device ON audits (device_id);

CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL REFERENCES audits (id),
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    complete INTEGER NOT NULL,
    inventory_digest TEXT NOT NULL,
    app_count INTEGER NOT NULL,
    gaps TEXT NOT NULL,
    policy_sha256 TEXT NOT NULL,
    day TEXT,
    status TEXT
);
CREATE INDEX scans_audit ON scans (audit_id);

CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER NOT NULL REFERENCES scans (id),
    rule_id TEXT NOT NULL,
    rule_title TEXT NOT NULL,
    identifier TEXT NOT NULL,
    id_kind TEXT NOT NULL,
    name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    state TEXT,
    status TEXT NOT NULL,
    confidence TEXT NOT NULL,
    exemption_id TEXT
);
CREATE INDEX findings_scan ON findings (scan_id);

CREATE TABLE actions (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL REFERENCES audits (id),
    kind TEXT NOT NULL,
    device_id TEXT NOT NULL,
    identifier TEXT NOT NULL,
    user_id TEXT NOT NULL,
    ok INTEGER NOT NULL,
    message TEXT NOT NULL,
    advice TEXT NOT NULL,
    code TEXT NOT NULL,
    output TEXT NOT NULL,
    at TEXT
);
CREATE INDEX actions_audit ON actions (audit_id);

CREATE TABLE exemptions (
    audit_id INTEGER NOT NULL REFERENCES audits (id),
    exemption_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    approver TEXT NOT NULL,
    approver_role TEXT NOT NULL,
    granted TEXT NOT NULL,
    expires TEXT NOT NULL,
    person TEXT NOT NULL,
    device TEXT NOT NULL,
    policy TEXT NOT NULL,
    rules TEXT NOT NULL,
    apps TEXT NOT NULL,
    mitigations TEXT NOT NULL,
    PRIMARY KEY (audit_id, exemption_id)
);

CREATE TABLE attestations (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    payload_sha256 TEXT NOT NULL UNIQUE,
    file_sha256 TEXT NOT NULL UNIQUE,
    audit_id INTEGER NOT NULL REFERENCES audits (id),
    kind TEXT NOT NULL,
    envelope BLOB NOT NULL,
    signer TEXT NOT NULL,
    identity TEXT NOT NULL,
    key_note TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    person_name TEXT NOT NULL,
    technician TEXT NOT NULL,
    device_id TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attested_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('local', 'imported')),
    file_name TEXT NOT NULL
);
CREATE INDEX attestations_audit ON attestations (audit_id);

CREATE TABLE keys (
    identity TEXT NOT NULL,
    signer TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    source TEXT NOT NULL,
    accepted INTEGER NOT NULL,
    PRIMARY KEY (identity, signer)
) WITHOUT ROWID;
"""

# v2: the supersession chain and the dashboard's running totals.
#
# Each judged audit holds from its day until the day the next audit of the same person + device
# + policy replaced it (until_day; FOREVER for the latest, flagged latest = 1). status_changes
# sums, per policy, day, status and exemption expiry, how many such stretches start (+1) and end
# (-1) that day; the dashboard adds them up day by day, so its cost follows the number of
# distinct days and statuses, not the number of audits. counted_* remember what each audit
# added to the totals, so relink() takes back exactly that when the audit changes.
_V2 = """
ALTER TABLE audits ADD COLUMN until_day TEXT;
ALTER TABLE audits ADD COLUMN latest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audits ADD COLUMN counted_day TEXT;
ALTER TABLE audits ADD COLUMN counted_status TEXT;
ALTER TABLE audits ADD COLUMN counted_expires TEXT;
CREATE TABLE status_changes (
    policy_id TEXT NOT NULL,
    day TEXT NOT NULL,
    status TEXT NOT NULL,
    expires TEXT NOT NULL,
    delta INTEGER NOT NULL,
    PRIMARY KEY (policy_id, day, status, expires)
) WITHOUT ROWID;
CREATE INDEX audits_latest ON audits (policy_id, status, exemption_expires) WHERE latest = 1;
CREATE INDEX audits_policy_at ON audits (policy_id, at);
CREATE INDEX audits_person ON audits (person_name COLLATE NOCASE);
CREATE INDEX audits_device_name ON audits (device_name COLLATE NOCASE);
"""


# v3: each scan's users and profiles (id, name, kind), so the history names them ("TikTok in the
# Work profile") as the scan did. Scans recorded before it get the users their audit's receipts
# list (a receipt names the users of its first scan and of its rescan); others keep none, and
# are shown by user id.
_V3 = """
ALTER TABLE scans ADD COLUMN users TEXT NOT NULL DEFAULT '[]';
"""


# v4: how the device was reached for the audit's latest scan (or, imported, as its receipt
# signs it): the connection as JSON (audit.provenance.connection_to_dict), NULL when not
# recorded. Audits recorded before it did not record it and stay NULL: shown as "not recorded",
# never as a USB cable.
_V4 = """
ALTER TABLE audits ADD COLUMN connection TEXT;
"""


def _v1(conn: sqlite3.Connection) -> None:
    _script(conn, _V1)


def _v2(conn: sqlite3.Connection) -> None:
    _script(conn, _V2)
    recount(conn)


def _v3(conn: sqlite3.Connection) -> None:
    _script(conn, _V3)
    for audit_id, envelope in conn.execute(
        "SELECT audit_id, envelope FROM attestations ORDER BY audit_id, attested_at DESC, id DESC"
    ).fetchall():
        users = receipt_users(bytes(envelope))
        if users:
            conn.execute(
                "UPDATE scans SET users = ? WHERE audit_id = ? AND users = '[]'",
                (json.dumps(users, ensure_ascii=False), audit_id),
            )


def receipt_users(envelope: bytes) -> list[dict[str, str]]:
    """The users a stored receipt's scans list (rescan first), each once; [] when it cannot
    tell. Read leniently: the receipt verified when it was stored, and a migration must never
    fail on one odd file."""
    try:
        payload = base64.b64decode(json.loads(envelope)["payload"], validate=True)
        predicate = json.loads(payload)["predicate"]
        lists = [predicate[scan]["users"] for scan in ("rescan", "scan_before")]
    except (ValueError, KeyError, TypeError, RecursionError):
        return []
    found: dict[str, dict[str, str]] = {}
    for listed in lists:
        for user in listed if isinstance(listed, list) else []:
            if not isinstance(user, dict):
                continue
            uid, name, kind = user.get("id"), user.get("name"), user.get("kind")
            if isinstance(uid, str) and isinstance(name, str) and kind in _USER_KINDS:
                found.setdefault(uid, {"id": uid, "name": name, "kind": str(kind)})
    return list(found.values())


def _script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: executescript() would COMMIT the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v4(conn: sqlite3.Connection) -> None:
    _script(conn, _V4)


# v5: what a receipt is worth (docs/security.md). The policies the helpdesk accepted besides the
# built-in presets (id + version + sha256 of the file, with its title and deadline, which the
# history then takes from here, never from a receipt); the technician keys it enrolled; and per
# audit the assurance of its latest receipt ('self-attested' or 'witnessed', '' without one)
# with the reason when a claim was not taken (trust_note). Before v5 no technician was
# enrolled, so every stored receipt is self-attested.
_V5 = """
CREATE TABLE accepted_policies (
    sha256 TEXT PRIMARY KEY,
    policy_id TEXT NOT NULL,
    version TEXT NOT NULL,
    title TEXT NOT NULL,
    deadline TEXT,
    announced TEXT,
    content BLOB NOT NULL,
    file_name TEXT NOT NULL,
    accepted_by TEXT NOT NULL,
    accepted_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX accepted_policies_id ON accepted_policies (policy_id, accepted_at);
CREATE TABLE technicians (
    fingerprint TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    enrolled_by TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_by TEXT NOT NULL DEFAULT '',
    revoked_at TEXT
) WITHOUT ROWID;
ALTER TABLE audits ADD COLUMN assurance TEXT NOT NULL DEFAULT '';
ALTER TABLE audits ADD COLUMN trust_note TEXT NOT NULL DEFAULT '';
UPDATE audits SET assurance = 'self-attested' WHERE receipt_uid IS NOT NULL
"""


def _v5(conn: sqlite3.Connection) -> None:
    _script(conn, _V5)


# v6: the latest audit of each device is chosen by the rules of CHAIN_TIME (an imported audit
# counts no later than its receipt arrived) and COUNTED_STATUS (one device counts once: unnamed
# scans of a device someone was named for, and of the helpdesk's own computer, are not
# counted). No new columns: the chain and the running totals are rebuilt by those rules.
def _v6(conn: sqlite3.Connection) -> None:
    recount(conn)


# v7: signed policies (audit.policy.signed). Each accepted policy keeps the key that signed its
# file ('' when it was not signed), and the helpdesk's settings (require_signed_policies, with
# who set it and when). Policies accepted before v7 were not checked for a signature: ''.
# The dashboard counts its latest audits by assurance and by policy text (audit.store.lineage:
# judged under an older version): a covering index, so neither reads the audits themselves.
_V7 = """
CREATE INDEX audits_latest_trust ON audits (policy_id, assurance, policy_sha256) WHERE latest = 1;
ALTER TABLE accepted_policies ADD COLUMN issuer_key TEXT NOT NULL DEFAULT '';
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
) WITHOUT ROWID
"""


def _v7(conn: sqlite3.Connection) -> None:
    _script(conn, _V7)


# v8: re-judging stored audits under a new version of their policy (audit.store.rejudge).
# `inventories` keeps each inventory an audit was judged on, once per inventory digest (many
# phones share one: a clean work phone), as zlib-compressed inventory JSON
# (audit.store.inventories); a blob is used only while its digest is the one recorded. A third
# origin, 'rejudged': a row derived from a stored inventory under a newer policy text, never
# signed, never witnessed; `derived_from` names the audit it was re-judged from. SQLite cannot
# change a CHECK constraint in place, so the audits table is rebuilt with the wider one.
_V8 = """
CREATE TABLE inventories (
    digest TEXT PRIMARY KEY,
    app_count INTEGER NOT NULL,
    blob BLOB NOT NULL
);
ALTER TABLE audits ADD COLUMN derived_from INTEGER;
CREATE INDEX audits_derived ON audits (derived_from) WHERE derived_from IS NOT NULL
"""

_ORIGINS_V1 = "CHECK (origin IN ('local', 'imported'))"
_ORIGINS_V8 = "CHECK (origin IN ('local', 'imported', 'rejudged'))"


def _v8(conn: sqlite3.Connection) -> None:
    _widen_origins(conn)
    _script(conn, _V8)


def _widen_origins(conn: sqlite3.Connection) -> None:
    """Let `audits.origin` hold 'rejudged', keeping every row, id and index in place.

    SQLite's documented way to loosen a CHECK constraint (lang_altertable.html, "Making Other
    Kinds Of Table Schema Changes"): edit the table's text in sqlite_schema and bump
    schema_version, inside the migration's transaction. Rebuilding the table instead is not
    possible here: with foreign keys on (they cannot be switched off inside a transaction),
    renaming or dropping `audits` rewrites or breaks the references of scans, actions and
    receipts. Every stored origin is allowed by the wider check, so no row needs looking at.
    """
    row = conn.execute(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'audits'"
    ).fetchone()
    if row is not None and _ORIGINS_V8 in str(row[0]):
        return  # widened already (a history put back to an older version number by hand)
    if row is None or str(row[0]).count(_ORIGINS_V1) != 1:
        raise sqlite3.DatabaseError("the audits table is not the one Device Audit made")
    version = int(conn.execute("PRAGMA schema_version").fetchone()[0])
    wider = str(row[0]).replace(_ORIGINS_V1, _ORIGINS_V8)
    conn.execute("PRAGMA writable_schema = ON")
    try:
        try:
            _set_audits_text(conn, wider)
        except sqlite3.OperationalError:
            # An SQLite built "defensive" refuses schema edits until told otherwise (Python
            # 3.12 can; on 3.11 the error stands, and the history is left as it was).
            setconfig = getattr(conn, "setconfig", None)
            defensive = getattr(sqlite3, "SQLITE_DBCONFIG_DEFENSIVE", None)
            if setconfig is None or defensive is None:
                raise
            setconfig(defensive, False)
            _set_audits_text(conn, wider)
        conn.execute(f"PRAGMA schema_version = {version + 1}")
    finally:
        conn.execute("PRAGMA writable_schema = OFF")


def _set_audits_text(conn: sqlite3.Connection, sql: str) -> None:
    conn.execute(
        "UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = 'audits'", (sql,)
    )


# v9: what a receipt claims that the helpdesk must decide (audit.store.holds). The exemptions
# the helpdesk accepted, each known by the sha256 of its canonical form (who accepted it, when,
# from which file; revoked ones keep when and by whom), and the key disputes (a receipt refused
# for a key other than the one pinned first: the pinned key's receipts are held until the
# helpdesk accepts one fingerprint). Imported audits "compliant with exceptions" stored before
# v9 rest on exemptions nobody accepted: they are held like any new one.
_V9 = """
CREATE TABLE accepted_exemptions (
    sha256 TEXT PRIMARY KEY,
    exemption_id TEXT NOT NULL,
    person TEXT NOT NULL,
    approver TEXT NOT NULL,
    expires TEXT NOT NULL,
    content TEXT NOT NULL,
    file_name TEXT NOT NULL,
    accepted_by TEXT NOT NULL,
    accepted_at TEXT NOT NULL,
    revoked_by TEXT NOT NULL DEFAULT '',
    revoked_at TEXT
) WITHOUT ROWID;
CREATE TABLE key_disputes (
    identity TEXT NOT NULL,
    held_signer TEXT NOT NULL,
    refused_signer TEXT NOT NULL,
    held_since TEXT NOT NULL,
    refused_day TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    settled_key TEXT NOT NULL DEFAULT '',
    settled_at TEXT,
    PRIMARY KEY (identity, held_signer, refused_signer)
) WITHOUT ROWID
"""


def _v9(conn: sqlite3.Connection) -> None:
    from audit.store.holds import rejudge  # holds builds on this module's relink

    _script(conn, _V9)
    rejudge(conn)


# v10: who recorded each audit (issue 18: row rules in the team history). On PostgreSQL the
# database itself writes the login of the session that inserted the row (session_user, never
# what the client sends: audit/store/pg_schema.py), and its row rules let only that login change
# the audit's facts. SQLite has no logins: a history file is one bench's, and whoever can open
# it can edit any row, so a name here would be a claim nobody checks. It stays '' (nobody in
# particular), and an audit moved into a team history gets the mover's login there.
_V10 = """
ALTER TABLE audits ADD COLUMN recorded_by TEXT NOT NULL DEFAULT ''
"""


def _v10(conn: sqlite3.Connection) -> None:
    columns = {str(row[1]) for row in conn.execute("PRAGMA table_info(audits)")}
    if "recorded_by" not in columns:  # there already: a history put back to an older number
        _script(conn, _V10)


# v11: a device's newest check decides between its unnamed and its named audits
# (COUNTED_STATUS): before, any named audit of a device uncounted its unnamed ones whatever
# their dates, so a later check at the bench that found TikTok vanished behind an older receipt
# imported after it. No new columns: the devices that have both are relinked by the new rule
# (for the others it counts what it counted before). The team history runs the same step
# (pg_schema).
def _v11(conn: sqlite3.Connection) -> None:
    relink_mixed(conn)


# v12: no new columns; every audit is judged again by the holds added since v11, which hold
# what a history may already count as compliant: a receipt judged before a rule of its policy
# was announced that lists that rule's app (rule_dates), a network receipt after a cabled
# check that found the device not compliant under the policy this one replaces (succession),
# and a receipt signed as "network" at an address that is its signer's own computer, spelt
# other than 127.0.0.1 (evidence.connection_hold). The team history runs the same step.
def _v12(conn: sqlite3.Connection) -> None:
    from audit.store.holds import rejudge  # holds builds on this module's relink

    rejudge(conn)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
    _v8,
    _v9,
    _v10,
    _v11,
    _v12,
)
LATEST_VERSION = len(MIGRATIONS)
