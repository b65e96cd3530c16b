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
from a staff member's receipt).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

# "DAud" in ASCII: marks the file as a Device Audit history, so --db pointing at some other
# SQLite file is refused instead of being given our tables.
APPLICATION_ID = 0x44417564

# The day a latest audit is superseded: never. Text-comparable with ISO dates.
FOREVER = "9999-12-31"

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
CREATE INDEX audits_at ON audits (at, id);
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

# v2: the supersession chain. Each audit with a status knows the day the next audit of the same
# person + device + policy replaced it (until_day; FOREVER for the latest), so the dashboard
# reads only the latest audits and the chart only the audits alive during its window, through
# partial indexes, instead of ranking 100,000 audits on every query.
_V2 = """
ALTER TABLE audits ADD COLUMN until_day TEXT;
ALTER TABLE audits ADD COLUMN latest INTEGER NOT NULL DEFAULT 0;
CREATE INDEX audits_latest ON audits (policy_id, status, exemption_expires) WHERE latest = 1;
CREATE INDEX audits_alive ON audits (policy_id, until_day) WHERE until_day IS NOT NULL;
CREATE INDEX audits_policy_at ON audits (policy_id, at);
"""


def _v1(conn: sqlite3.Connection) -> None:
    _script(conn, _V1)


def _v2(conn: sqlite3.Connection) -> None:
    _script(conn, _V2)
    keys = conn.execute(
        "SELECT DISTINCT policy_id, staff_id, device_id FROM audits WHERE status IS NOT NULL"
    ).fetchall()
    for policy_id, staff_id, device_id in keys:
        relink(conn, policy_id, staff_id, device_id)


def _script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: executescript() would COMMIT the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1, _v2)
LATEST_VERSION = len(MIGRATIONS)


def relink(conn: sqlite3.Connection, policy_id: str, staff_id: str, device_id: str) -> None:
    """Recompute which audit of one person + device + policy is the latest, and until when each
    earlier one held. Called after every change to that key's audits: keys have a handful of
    audits, so recomputing the whole chain is cheap and cannot drift."""
    rows = conn.execute(
        "SELECT id, day, until_day, latest, status FROM audits"
        " WHERE policy_id = ? AND staff_id = ? AND device_id = ?"
        " ORDER BY status IS NULL, at, id",
        (policy_id, staff_id, device_id),
    ).fetchall()
    judged = [row for row in rows if row[4] is not None]
    changes = []
    for index, (audit_id, day, until_day, latest, _status) in enumerate(judged):
        last = index == len(judged) - 1
        # A later audit dated earlier (clocks disagree) ends this one on its own day, never
        # before it starts.
        new_until = FOREVER if last else max(day, judged[index + 1][1])
        if (new_until, int(last)) != (until_day, latest):
            changes.append((new_until, int(last), audit_id))
    for audit_id, _day, until_day, latest, status in rows:
        if status is None and (until_day is not None or latest):
            changes.append((None, 0, audit_id))
    if changes:
        conn.executemany("UPDATE audits SET until_day = ?, latest = ? WHERE id = ?", changes)
