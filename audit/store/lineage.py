"""What the history list adds to each audit: the unnamed scans merged into it, and whether it
was judged under an older version of its policy than the one the helpdesk knows now.

One device counts once (schema.COUNTED_STATUS): an unnamed scan (at start-up, before a restart,
an incomplete one) of a device someone was later named for under the same policy is part of
that person's audit, not a line of its own. The full history list leaves such scans out (each
named audit says how many it took in, `merged_scans`); HistoryFilter(unnamed_scans=True) lists
them as rows, for looking into one.

A policy changes (a release edits a preset, the helpdesk accepts a new text of its own policy):
an audit whose policy digest is not the current text's was judged under an older version, and
the history and dashboard say so (`older_policy_words`).
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left
from collections import defaultdict
from dataclasses import replace

from audit.i18n import _
from audit.store.db import parse_time
from audit.store.records import AuditSummary
from audit.store.trust import KnownPolicies, PolicyTrust

# An unnamed audit merged into a named audit of its device under its policy (the history list
# is `FROM audits` without an alias). Mirrors schema.COUNTED_STATUS, without the bench rule:
# the helpdesk's own computer scanned unnamed has no named audit to merge into.
# An unnamed audit that counts (newer than every audit naming someone: schema.COUNTED_STATUS)
# is listed on its own, never folded into the older named one it overtook.
MERGED_UNNAMED = (
    "(audits.staff_id = '' AND audits.counted_status IS NULL AND EXISTS (SELECT 1 FROM audits b"
    " WHERE b.policy_id = audits.policy_id AND b.device_id = audits.device_id"
    " AND b.staff_id <> '' AND b.status IS NOT NULL))"
)

_DEVICES_PER_QUERY = 500  # within older SQLite's limit of 999 parameters


def annotate(conn: sqlite3.Connection, audits: list[AuditSummary]) -> list[AuditSummary]:
    """The rows with merged_scans and older_policy filled in."""
    if not audits:
        return audits
    merged = _merged_counts(conn, audits)
    known = KnownPolicies.load(conn)
    return [
        replace(
            a,
            merged_scans=merged.get(a.id, 0),
            older_policy=older_policy_words(known, a.policy_id, a.policy_sha256),
        )
        for a in audits
    ]


def _merged_counts(conn: sqlite3.Connection, audits: list[AuditSummary]) -> dict[int, int]:
    """Named audit id -> how many unnamed scans of its device and policy it takes in: each
    unnamed scan that does not count on its own goes to the first named audit at or after it,
    else to the last one before."""
    pairs = {(a.policy_id, a.device_id) for a in audits if a.staff_id}
    devices = sorted({device for _policy, device in pairs})
    named: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    unnamed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for start in range(0, len(devices), _DEVICES_PER_QUERY):
        chunk = devices[start : start + _DEVICES_PER_QUERY]
        rows = conn.execute(  # by device (an index), each device's audits are a handful
            "SELECT policy_id, device_id, id, at, staff_id = '' FROM audits"
            f" WHERE device_id IN ({', '.join('?' * len(chunk))})"
            " AND ((staff_id = '' AND counted_status IS NULL) OR (staff_id <> ''"
            " AND status IS NOT NULL)) ORDER BY at, id",
            chunk,
        )
        for policy_id, device_id, audit_id, at, is_unnamed in rows:
            key = (policy_id, device_id)
            if key not in pairs:
                continue
            moment = parse_time(at).isoformat()
            if is_unnamed:
                unnamed[key].append(moment)
            else:
                named[key].append((moment, int(audit_id)))
    counts: dict[int, int] = defaultdict(int)
    for key, moments in unnamed.items():
        chain = named.get(key)
        if not chain:
            continue
        times = [moment for moment, _ in chain]
        for moment in moments:
            index = min(bisect_left(times, moment), len(chain) - 1)
            counts[chain[index][1]] += 1
    return dict(counts)


def older_policy_words(known: KnownPolicies, policy_id: str, sha256: str) -> str:
    """Why an audit was judged under an older version of its policy, or "" when it was judged
    under the current one (or the helpdesk knows no current text of that policy)."""
    current = known.by_id.get(policy_id)
    if current is None or not sha256 or sha256 == current.sha256:
        return ""
    then = known.by_sha.get(sha256)
    if then is None or then.id != policy_id:
        version = _("a text this helpdesk does not know")
    elif then.trust is PolicyTrust.EARLIER_BUILT_IN:
        version = _("version {version}, as an earlier release shipped it").format(
            version=then.version
        )
    else:
        version = _("version {version}").format(version=then.version)
    # Translators: {version} is "version 1", "version 1, as an earlier release shipped it" or
    # "a text this helpdesk does not know"
    return _(
        "judged under an older version of the policy ({version}; the current one is version "
        "{current}); check the device again to judge it under the current one"
    ).format(version=version, current=current.version)


def older_policy_count(conn: sqlite3.Connection, policy_id: str) -> int:
    """Of the latest audits under a policy, how many were judged under an older version.

    Grouped by assurance too, in the order of the covering index audits_latest_trust (policy,
    assurance, digest, latest only): SQLite then reads only that index. Grouped by digest
    alone, it chose the policy-and-time index and a temporary B-tree instead, 321 ms against
    19.6 ms at 100,000 audits; OLDER_COUNT_QUERY's plan is tested."""
    return sum(older_digests(conn, policy_id).values())


def older_digests(conn: sqlite3.Connection, policy_id: str) -> dict[str, int]:
    """The digests of the older texts of the policy that latest audits were judged under, with
    how many latest audits each (the count and the list behind it read the same)."""
    known = KnownPolicies.load(conn)
    older: dict[str, int] = {}
    for sha256, number in conn.execute(OLDER_COUNT_QUERY, (policy_id,)):
        digest = str(sha256 or "")
        if older_policy_words(known, policy_id, digest):
            older[digest] = older.get(digest, 0) + int(number)
    return older


OLDER_COUNT_QUERY = (
    "SELECT policy_sha256, count(*) FROM audits WHERE policy_id = ? AND latest = 1"
    " GROUP BY assurance, policy_sha256"
)
