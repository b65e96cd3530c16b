"""Sanity checks on the times an imported receipt claims.

Every time in a receipt comes from the clock of the computer that made it, which its owner
controls. The import therefore refuses a receipt dated later than now by more than CLOCK_SKEW
(a wrong clock, or a date faked so that the receipt would always be "the latest"), and flags one
judged before its policy was announced (the apps it covers were not banned yet, so it proves
little). When each receipt arrived is recorded (attestations.recorded_at), and the latest audit
of a person's device is chosen by a time no later than its arrival (schema.CHAIN_TIME).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta

from audit.attestation import VerifiedAttestation
from audit.attestation.ranges import CLOCK_SKEW, SKEW_WORDS
from audit.i18n import _, ngettext
from audit.model import Policy
from audit.store.bulk import AUDIT_COLUMNS, SCAN_COLUMNS, ReceiptRows
from audit.store.receipt_content import ReceiptContent
from audit.store.rule_dates import FindingFacts, early_rule_hold, known_text

__all__ = [
    "CLOCK_SKEW",
    "SKEW_WORDS",
    "ahead_words",
    "announced_days",
    "announced_note",
    "future_problem",
    "judged_day_problem",
]


def future_problem(verified: VerifiedAttestation, content: ReceiptContent, now: datetime) -> str:
    """Why a receipt dated in the future is refused, or "" when its times are not."""
    times = [
        verified.attested_at,
        content.before.started_at,
        content.before.finished_at,
        content.rescan.started_at,
        content.rescan.finished_at,
        *(a.at for a in content.actions if a.at is not None),
    ]
    latest = max(times)
    limit = now + CLOCK_SKEW
    if latest <= limit and content.day <= limit.date():
        return ""
    shown = content.day.isoformat() if latest <= limit else f"{latest:%Y-%m-%d %H:%M} UTC"
    return _(
        "it is dated {shown}, later than now ({now} UTC) by more than {skew}: the clock of the "
        "computer that made it is wrong, or its date was changed. Ask for the device to be "
        "checked again on a computer with the right date"
    ).format(shown=shown, now=f"{now:%Y-%m-%d %H:%M}", skew=_(SKEW_WORDS))


def ahead_words(written: str, server: str) -> str:
    """How far a stored time or day `written` is ahead of the server's clock `server` (both as
    the team history's clock rule reports them, audit/store/pg_rules.py), in words: "about 365
    days", "about 30 hours"; "" when either cannot be read. A team history refuses any time
    more than CLOCK_SKEW ahead of its server's clock, the import's slack for a receipt."""
    try:
        if "T" in written:
            then = datetime.fromisoformat(written)
        else:
            then = datetime.combine(date.fromisoformat(written), time(), UTC)
        now = datetime.fromisoformat(server)
    except ValueError:
        return ""
    then = then if then.tzinfo else then.replace(tzinfo=UTC)
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    hours = (then - now).total_seconds() / 3600
    if hours < 1:
        return ""
    if hours < 48:
        count = round(hours)
        return ngettext("about {count} hour", "about {count} hours", count).format(count=count)
    count = round(hours / 24)
    return ngettext("about {count} day", "about {count} days", count).format(count=count)


JUDGED_DAY_SLACK = timedelta(days=1)
"""How far the day a receipt judges may lie from the day it was signed: one day, for the signer's
time zone (a receipt signed in Auckland on the 8th is the 7th in UTC)."""


def judged_day_problem(verified: VerifiedAttestation, content: ReceiptContent) -> str:
    """Why a receipt judged as of another day than the one it was signed is refused, or "".

    `attest --date` judges a device as of a past day (to see how it stood then): the deadline,
    the rules in force and the exemptions are those of that day, so such a receipt can say
    "compliant" of a phone that is overdue today. It proves nothing about the device now, and
    the history counts each receipt as the device's standing: it never comes in."""
    signed = verified.attested_at.date()
    if abs(content.day - signed) <= JUDGED_DAY_SLACK:
        return ""
    return _(
        "it judges the device as of {day}, not as of the day it was signed ({signed}), so it "
        "does not show how the device stands: ask for the device to be checked and signed again "
        "today, without --date"
    ).format(day=content.day.isoformat(), signed=signed.isoformat())


def announced_note(day: date, announced: date | None) -> str:
    """The flag of a receipt judged before its policy was announced, or ""."""
    if announced is None or day >= announced:
        return ""
    return _(
        "note: it was judged as of {day}, before the policy was announced ({announced}), so it "
        "does not show the device met the policy"
    ).format(day=day.isoformat(), announced=announced.isoformat())


_COLUMNS = [c.strip() for c in AUDIT_COLUMNS.split(",")]
_POLICY, _SHA256, _DAY, _ATTESTED = (
    _COLUMNS.index(c) for c in ("policy_id", "policy_sha256", "day", "attested_at")
)


_SCAN_DAY = [c.strip() for c in SCAN_COLUMNS.split(",")].index("day")


def counted_day(judged: date, signed_at: datetime, arrived: date) -> date:
    """The one rule for the day an imported audit counts from in this history (its `day`,
    which the dashboard's running totals, the people behind each count, the history and the
    export all read): the day it judged, but never later than the day it was signed in UTC nor
    the day it arrived here.

    The judged day is the signer's local day: signed at 00:30 on the 8th in Auckland, it is
    still the 7th in UTC and at a helpdesk in London. Counted from the 8th, the dashboard of
    the 7th left the device out (or counted its previous audit), while the export and the
    history, which take the latest audit whatever its day, showed the new one. Counted from
    the 7th, all of them show the same audit. The receipt keeps the day it judged (its scans
    and `verify` say it); only where the history counts it moves."""
    return min(judged, signed_at.astimezone(UTC).date(), arrived)


def with_counted_day(rows: ReceiptRows, arrived: date) -> ReceiptRows:
    """The rows of an imported receipt with its audit counted from counted_day()."""
    audit = list(rows.audit)
    judged = date.fromisoformat(str(audit[_DAY]))
    day = counted_day(judged, datetime.fromisoformat(str(audit[_ATTESTED])), arrived)
    if day == judged:
        return rows
    audit[_DAY] = day.isoformat()
    return rows._replace(audit=tuple(audit))


def receipt_announced_note(rows: ReceiptRows, days: AnnouncedDays) -> str:
    """What the import's report says of a receipt about to be stored judged before its policy,
    or a rule of it, was announced, or "". One that claims compliance while listing an app of a
    rule not in force on the day it judged is held (audit.store.rule_dates): the report says
    so in the hold's own words, as the history and the export show them."""
    audit = rows.audit
    policy_id, sha256 = str(audit[_POLICY]), str(audit[_SHA256])
    judged = date.fromisoformat(str(rows.rescan[_SCAN_DAY]))  # the audit's may count earlier
    if rows.rescan[_SCAN_STATUS] in _CLAIMS_COMPLIANT:
        facts = [
            FindingFacts(str(f[0]), str(f[2]), str(f[4]), str(f[6] or ""), str(f[8]))
            for f in rows.findings_rescan
            if f[7] != "resolved"
        ]
        hold = early_rule_hold(days.text(policy_id, sha256), judged, facts) if facts else ""
        if hold:
            return hold
    return announced_note(judged, days.get((policy_id, sha256)))


_SCAN_STATUS = [c.strip() for c in SCAN_COLUMNS.split(",")].index("status")
_CLAIMS_COMPLIANT = ("compliant", "compliant_with_exceptions")


class AnnouncedDays(dict[tuple[str, str], date]):
    """(policy id, sha256) -> the day the policy was announced; and the policy texts the
    history knows, for the dates of their rules (text()), read once per import batch."""

    def __init__(self, days: dict[tuple[str, str], date], conn: sqlite3.Connection) -> None:
        super().__init__(days)
        self._conn = conn
        self._texts: dict[tuple[str, str], Policy | None] = {}

    def text(self, policy_id: str, sha256: str) -> Policy | None:
        key = (policy_id, sha256)
        if key not in self._texts:
            self._texts[key] = known_text(self._conn, policy_id, sha256)
        return self._texts[key]


def announced_days(conn: sqlite3.Connection) -> AnnouncedDays:
    """(policy id, sha256) -> the day the policy was announced, for the built-in presets and
    the policies the helpdesk accepted that state one (and the texts' rules: AnnouncedDays)."""
    from audit.policy.loader import list_presets

    days = {(p.id, p.sha256): p.announced for p in list_presets() if p.announced is not None}
    try:
        rows = conn.execute(
            "SELECT policy_id, sha256, announced FROM accepted_policies WHERE announced IS NOT NULL"
        ).fetchall()
    except sqlite3.OperationalError:  # a history from before accepted policies
        rows = []
    for policy_id, sha256, announced in rows:
        try:
            days[(str(policy_id), str(sha256))] = date.fromisoformat(str(announced))
        except ValueError:
            continue
    return AnnouncedDays(days, conn)
