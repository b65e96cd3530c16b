"""The audits behind the dashboard's trust counts, by the rules that count them.

The dashboard (audit.store.witnessed) counts "compliant, not witnessed" and "checked under an
older version of this policy"; each count must open the very audits it counts, or the
compliance office cannot check a number. So the lists here use the same rules as the counts:

- not witnessed: audits that stand today (counted_day on or before today, not superseded by
  today), whose counted status is still compliant today (status_on: a deadline since passed or
  an exemption since ended changes it), and whose latest receipt is not witnessed (a
  self-attested receipt, or none). Witnessed-only counting moves exactly these out of
  "compliant" (witnessed._witnessed_only, its last day).
- witnessed only: the devices behind "Compliant" and "Compliant with exceptions" are those of
  Store.standing whose receipt is witnessed; the rest are behind "not witnessed".
- older version: the latest audits whose policy digest is an older text of the policy than the
  one the helpdesk knows now (lineage.older_policy_count).

A mixin, like trust_store.TrustMethods, so store.py stays about audits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from audit.model import DeviceStatus
from audit.store import queries
from audit.store.lineage import annotate, older_digests
from audit.store.records import AuditSummary
from audit.store.witnessed import policy_asks_witnessed

T = TypeVar("T")

UNWITNESSED = "unwitnessed"
"""The key of the "compliant, not witnessed" count (not a DeviceStatus)."""
OLDER_VERSION = "older_version"
"""The key of the "checked under an older version of this policy" count."""

_COMPLIANT = (DeviceStatus.COMPLIANT, DeviceStatus.COMPLIANT_WITH_EXCEPTIONS)


# Compliant today without a witnessed receipt, over the audits standing today (counted_day on or
# before it, not superseded by it): status_on's rule for the compliant statuses, which no
# deadline changes and an exemption that ended before today makes not compliant.
_UNWITNESSED = (
    "FROM audits WHERE policy_id = :policy AND assurance != 'witnessed'"
    " AND counted_day <= :day AND until_day > :day AND (counted_status = 'compliant'"
    " OR (counted_status = 'compliant_with_exceptions'"
    " AND (coalesce(counted_expires, '') = '' OR counted_expires >= :day)))"
)


def _limited(
    sql: str, params: dict[str, object], limit: int | None
) -> tuple[str, dict[str, object]]:
    """The newest `limit` rows (all for None), newest first."""
    sql += " ORDER BY at DESC, id DESC"
    if limit is not None:
        return f"{sql} LIMIT :limit", {**params, "limit": max(0, limit)}
    return sql, params


def _standing_today(conn: sqlite3.Connection, policy_id: str, today: date) -> str:
    """_UNWITNESSED, narrowed to the latest audits when that changes nothing, so the partial
    index of the latest audits serves it. An audit that stands on `today` without being the
    latest was superseded after it (its stretch ends on a later day, schema._chain); every
    stretch's start and end is a row of status_changes, so when the policy has none after
    today, only the latest audits stand (the usual case: the dashboard of today)."""
    later = conn.execute(
        "SELECT 1 FROM status_changes WHERE policy_id = ? AND day > ? AND delta != 0 LIMIT 1",
        (policy_id, today.isoformat()),
    ).fetchone()
    return _UNWITNESSED if later else f"{_UNWITNESSED} AND latest = 1"


def unwitnessed_count(conn: sqlite3.Connection, policy_id: str, today: date) -> int:
    """How many devices count as compliant today without a witnessed receipt (what
    witnessed._witnessed_only moves out of "compliant" on its last day)."""
    where = _standing_today(conn, policy_id, today)
    row = conn.execute(
        f"SELECT count(*) {where}", {"policy": policy_id, "day": today.isoformat()}
    ).fetchone()
    return int(row[0])


def unwitnessed(
    conn: sqlite3.Connection, policy_id: str, today: date, *, limit: int | None = 200
) -> list[AuditSummary]:
    """The audits behind "compliant, not witnessed", newest first."""
    where = _standing_today(conn, policy_id, today)
    sql, params = _limited(
        f"SELECT id {where}", {"policy": policy_id, "day": today.isoformat()}, limit
    )
    return _summaries(conn, [int(row[0]) for row in conn.execute(sql, params)])


def older_version(
    conn: sqlite3.Connection, policy_id: str, *, limit: int | None = 200
) -> list[AuditSummary]:
    """The latest audits of the policy judged under an older version of it, newest first."""
    older = list(older_digests(conn, policy_id))
    if not older:
        return []
    params: dict[str, object] = {"policy": policy_id}
    params.update({f"sha{i}": sha for i, sha in enumerate(older)})
    marks = ", ".join(f":sha{i}" for i in range(len(older)))  # a few texts of one policy
    sql, params = _limited(
        f"SELECT id FROM audits WHERE policy_id = :policy AND latest = 1"
        f" AND policy_sha256 IN ({marks})",
        params,
        limit,
    )
    return _summaries(conn, [int(row[0]) for row in conn.execute(sql, params)])


def _summaries(conn: sqlite3.Connection, ids: list[int]) -> list[AuditSummary]:
    return annotate(conn, [queries.summary(conn, audit_id) for audit_id in ids])


def behind(
    conn: sqlite3.Connection,
    policy_id: str,
    key: str,
    today: date,
    *,
    witnessed_only: bool,
    expiring_within: int | None = None,
    limit: int | None = 200,
) -> list[AuditSummary]:
    """The audits behind one count of the dashboard: a DeviceStatus value, UNWITNESSED or
    OLDER_VERSION. With `witnessed_only`, the compliant counts list witnessed receipts only,
    as they are counted then."""
    if key == UNWITNESSED:
        return unwitnessed(conn, policy_id, today, limit=limit)
    if key == OLDER_VERSION:
        return older_version(conn, policy_id, limit=limit)
    status = DeviceStatus(key)
    if not witnessed_only or status not in _COMPLIANT or expiring_within is not None:
        # The exemptions ending soon are counted over every receipt (queries.dashboard).
        return queries.standing(
            conn, policy_id, status, today, expiring_within=expiring_within, limit=limit
        )
    # Store.standing's condition for the two compliant statuses (no deadline changes them),
    # on a witnessed receipt
    condition = (
        "status = 'compliant'"
        if status is DeviceStatus.COMPLIANT
        else "status = 'compliant_with_exceptions'"
        " AND (exemption_expires IS NULL OR exemption_expires >= :day)"
    )
    sql, params = _limited(
        "SELECT id FROM audits WHERE policy_id = :policy AND latest = 1 AND day <= :day"
        f" AND assurance = 'witnessed' AND ({condition})",
        {"policy": policy_id, "day": today.isoformat()},
        limit,
    )
    return _summaries(conn, [int(row[0]) for row in conn.execute(sql, params)])


class CountMethods:
    """The Store's methods for the dashboard's trust counts (see the module's docstring)."""

    def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    def asks_witnessed(self, policy_id: str) -> bool:
        """Whether the policy, as this helpdesk knows it now, asks for witnessed receipts only
        (then the dashboard counts them only, and its switch is locked on)."""
        return self._read(lambda conn: policy_asks_witnessed(conn, policy_id))

    def unwitnessed_count(self, policy_id: str, today: date) -> int:
        """How many devices count as compliant today without a witnessed receipt: what
        Store.dashboard(..., witnessed_only=True) counts as `unwitnessed`."""
        return self._read(lambda conn: unwitnessed_count(conn, policy_id, today))

    def behind(
        self,
        policy_id: str,
        key: str,
        today: date,
        *,
        witnessed_only: bool = False,
        expiring_within: int | None = None,
        limit: int | None = 200,
    ) -> list[AuditSummary]:
        """The audits behind one of the dashboard's counts (module docstring)."""
        return self._read(
            lambda conn: behind(
                conn,
                policy_id,
                key,
                today,
                witnessed_only=witnessed_only,
                expiring_within=expiring_within,
                limit=limit,
            )
        )
