"""The dashboard as a compliance office reads it: counting witnessed receipts only, when the
policy or the helpdesk asks for it, and how many audits were judged under an older version of
the policy.

Witnessed only: a device whose latest audit is compliant (with or without exceptions) counts as
compliant only when that audit's receipt is witnessed (audit.store.trust: signed at a bench by
an enrolled technician's key, the phone on a cable). A compliant audit resting on a
self-attested receipt, or on none (a check at the bench that was not signed), is counted as
"compliant, not witnessed" (StatusCounts.unwitnessed): still one device, never compliant. The
same rule applies to every day of the chart, so its last day is today's count.

A policy asks for it with `witnessed_only = true` (docs/policy-format.md); the dashboard's own
setting (Store.dashboard(..., witnessed_only=True)) asks for it for any policy, and False
counts every receipt even under a policy that asks for witnessed ones.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace
from datetime import date, timedelta

from audit.errors import AuditError
from audit.model import DeviceStatus
from audit.policy import load_policy, loads_policy
from audit.store.lineage import older_policy_count
from audit.store.queries import dashboard as plain_dashboard
from audit.store.records import DashboardCounts, DayCounts, ExportRow, StatusCounts
from audit.store.schema import FOREVER
from audit.store.status import status_on
from audit.store.trust import KnownPolicies, PolicyTrust, policy_deadline

log = logging.getLogger(__name__)

_COMPLIANT = (DeviceStatus.COMPLIANT, DeviceStatus.COMPLIANT_WITH_EXCEPTIONS)


def dashboard(
    conn: sqlite3.Connection,
    policy_id: str,
    today: date,
    *,
    witnessed_only: bool | None = None,
    expiring_within: int = 14,
    series_days: int = 30,
) -> DashboardCounts:
    """queries.dashboard, with the older-version count, counting witnessed receipts only when
    `witnessed_only` is True, or when it is None and the policy asks for it."""
    counts = plain_dashboard(
        conn, policy_id, today, expiring_within=expiring_within, series_days=series_days
    )
    counts = replace(counts, older_version=older_policy_count(conn, policy_id))
    wanted = policy_asks_witnessed(conn, policy_id) if witnessed_only is None else witnessed_only
    return _witnessed_only(conn, counts) if wanted else counts


NOT_WITNESSED = "compliant_not_witnessed"
"""The export's status of a compliant audit that a witnessed-only policy does not count as
compliant (the dashboard's "compliant, not witnessed"); its recorded status stays compliant."""


def export_as_counted(conn: sqlite3.Connection, rows: list[ExportRow]) -> list[ExportRow]:
    """The export's rows counted as the dashboard counts them: under a policy that asks for
    witnessed receipts, a compliant row without one says `compliant_not_witnessed`, so the
    export and the dashboard never disagree on how many devices are compliant."""
    asks: dict[str, bool] = {}
    counted = []
    for row in rows:
        if row.policy_id not in asks:
            asks[row.policy_id] = policy_asks_witnessed(conn, row.policy_id)
        compliant = row.status in {s.value for s in _COMPLIANT}
        unwitnessed = asks[row.policy_id] and compliant and row.assurance != "witnessed"
        counted.append(replace(row, status=NOT_WITNESSED) if unwitnessed else row)
    return counted


def policy_asks_witnessed(conn: sqlite3.Connection, policy_id: str) -> bool:
    """Whether the policy as this helpdesk knows it now says `witnessed_only = true`."""
    known = KnownPolicies.load(conn).by_id.get(policy_id)
    if known is None:
        return False
    try:
        if known.trust is PolicyTrust.ACCEPTED:
            row = conn.execute(
                "SELECT content, file_name FROM accepted_policies WHERE sha256 = ?",
                (known.sha256,),
            ).fetchone()
            if row is None:
                return False
            text = bytes(row[0]).decode("utf-8")
            return loads_policy(text, str(row[1]) or "<accepted policy>").witnessed_only
        if known.trust is PolicyTrust.BUILT_IN:
            return load_policy(policy_id).witnessed_only
    except (AuditError, UnicodeDecodeError):
        log.error("the policy %s cannot be read again", policy_id, exc_info=True)
    return False


def _witnessed_only(conn: sqlite3.Connection, counts: DashboardCounts) -> DashboardCounts:
    """Move each day's compliant devices without a witnessed receipt to `unwitnessed`."""
    deadline = policy_deadline(conn, counts.policy_id)
    series = counts.series
    first, last = series[0].day, series[-1].day
    moved: list[dict[DeviceStatus, int]] = [{} for _ in series]
    for day, until, status, expires in conn.execute(
        "SELECT counted_day, until_day, counted_status, counted_expires FROM audits"
        " WHERE policy_id = ? AND counted_status IN ('compliant', 'compliant_with_exceptions')"
        " AND assurance != 'witnessed' AND counted_day <= ? AND until_day > ?",
        (counts.policy_id, last.isoformat(), first.isoformat()),
    ):
        start = max(date.fromisoformat(day), first)
        end = last + timedelta(days=1) if until == FOREVER else date.fromisoformat(until)
        expiry = date.fromisoformat(expires) if expires else None
        recorded = DeviceStatus(status)
        for offset in range((start - first).days, min((end - first).days, len(series))):
            now = status_on(
                recorded,
                first + timedelta(days=offset),
                deadline=deadline,
                exemption_expires=expiry,
            )
            if now in _COMPLIANT:
                moved[offset][now] = moved[offset].get(now, 0) + 1
    adjusted = tuple(
        DayCounts(point.day, _moved(point.counts, taken))
        for point, taken in zip(series, moved, strict=True)
    )
    return replace(counts, series=adjusted, counts=adjusted[-1].counts, witnessed_only=True)


def _moved(counts: StatusCounts, taken: dict[DeviceStatus, int]) -> StatusCounts:
    compliant = taken.get(DeviceStatus.COMPLIANT, 0)
    excepted = taken.get(DeviceStatus.COMPLIANT_WITH_EXCEPTIONS, 0)
    return replace(
        counts,
        compliant=counts.compliant - compliant,
        excepted=counts.excepted - excepted,
        unwitnessed=counts.unwitnessed + compliant + excepted,
    )
