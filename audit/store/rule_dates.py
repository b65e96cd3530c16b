"""Audits judged before a rule of their policy was announced, that list that rule's app.

A ban grows: New Zealand's Parliament banned TikTok in 2023 and DeepSeek on 20 February 2025,
both in one policy, each rule with its own dates (docs/policy-format.md, "Rules added later").
Judged on a day before a rule's own `announced` day, an app that rule names was not banned yet:
the policy engine lists it "for review" (audit.policy.evaluate), so a receipt of 19 February 2025
with DeepSeek on the phone truly says "compliant" for that day. But the history counts an audit
as the device's standing until the next one: counted as it claims, that receipt would make the
phone compliant for years with DeepSeek on it. A staff member gets one by having the phone
checked the day before a ban grows, or by setting the computer's clock back before `attest`.

The receipt lists the app and the history knows the rule's date, so nothing needs to be guessed:
such an audit is held (audit.store.holds: the one place that decides held statuses). It counts
as not compliant (overdue after the deadline), and its trust note names the app, the day it was
judged and the day the rule began, in the history, the dashboard, the export and the import's
report, whichever road it came by (imported, or recorded at a bench).

What counts is decided with the policy engine's own parts, not a copy of its judging: the rule
is not in force on the day (Policy.in_force), the match was sure enough to be a violation once
it is (Confidence.enforceable, not a review-only rule), and the app was in a state the policy
does not accept. A name match whose publisher could not be checked is also a review once the
rule is in force; the stored finding does not say so, and it is held (the safe side).

The rule's dates come from the policy text the audit names by digest: the built-in preset, a
text the helpdesk accepted, or an earlier built-in text (whose rules are dated as the current
preset's: the day a ban grew is a fact of the ban, the same in every text that has the rule).
An audit under a text the history does not know is held for that already (audit.store.evidence).
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from audit.errors import AuditError
from audit.model import NEVER_COMPLIANT, AppState, Confidence, Policy
from audit.text import visible

log = logging.getLogger(__name__)

# The hold's words are stored in audits.trust_note, found again by how they start
# (audit.store.holds.with_holds) and carried by the export as they are: English, never translated.
EARLY_RULE_NOTE = "judged before a rule of its policy was announced"
_SHOWN_APPS = 3
_NAME_LIMIT = 60
_PER_QUERY = 400


class FindingFacts(NamedTuple):
    """What a stored finding says, as the hold needs it."""

    rule_id: str
    identifier: str
    name: str
    state: str
    confidence: str


def early_rule_hold(policy: Policy | None, judged: date, findings: Iterable[FindingFacts]) -> str:
    """The hold of an audit judged on `judged` under `policy` whose findings list an app of a
    rule not yet in force that day, or "" (no such app, or a text this history does not know)."""
    if policy is None:
        return ""
    rules = {rule.id: rule for rule in policy.rules}
    accepted = (policy.compliant_states | {AppState.ABSENT}) - NEVER_COMPLIANT
    early: dict[str, date] = {}
    for finding in findings:
        rule = rules.get(finding.rule_id)
        if rule is None or rule.announced is None or policy.in_force(rule, judged):
            continue
        if rule.review_only or not _sure(finding.confidence) or _accepted(finding.state, accepted):
            continue
        label = visible(finding.name or finding.identifier, limit=_NAME_LIMIT)
        label = label.replace(";", ",")  # the trust note's parts are joined by "; "
        early[label] = min(early.get(label, rule.announced), rule.announced)
    if not early:
        return ""
    listed = sorted(early.items(), key=lambda item: (item[1], item[0]))
    shown = ", ".join(
        f"{name} (banned from {day.isoformat()})" for name, day in listed[:_SHOWN_APPS]
    )
    if len(listed) > _SHOWN_APPS:
        shown += f" and {len(listed) - _SHOWN_APPS} more"
    return (
        f"{EARLY_RULE_NOTE}: it was judged as of {judged.isoformat()} and lists {shown} on the "
        f"device under policy {policy.id}, so it counts as not compliant: check the device "
        "again under the policy in force (remove the app first if it is still there)"
    )


def _sure(confidence: str) -> bool:
    """A violation once the rule is in force; a value this release does not know: held."""
    try:
        return Confidence(confidence).enforceable
    except ValueError:
        return True


def _accepted(state: str, accepted: frozenset[AppState]) -> bool:
    try:
        return AppState(state) in accepted
    except ValueError:  # a state this release does not know is never taken as gone
        return False


# --- the policy text an audit names ------------------------------------------------------------


def known_text(conn: sqlite3.Connection, policy_id: str, sha256: str) -> Policy | None:
    """The rules of the policy text `sha256` as this history knows it, or None when it does
    not know that text of `policy_id` (or cannot read it again: nothing held for it here;
    evidence.py holds audits under texts it does not know or cannot read again)."""
    from audit.policy import preset_ids

    try:
        if policy_id in preset_ids():
            return preset_text(policy_id, sha256)
        row = conn.execute(
            "SELECT content, file_name FROM accepted_policies WHERE sha256 = ? AND policy_id = ?",
            (sha256, policy_id),
        ).fetchone()
        if row is None:
            return None
        policy = _parsed(bytes(row[0]).decode("utf-8"), str(row[1]) or policy_id)
    except (AuditError, UnicodeDecodeError, TypeError) as error:
        # One line, no traceback: the audits under it are held, and their note says what to do
        # (evidence.unreadable_text_hold); -v shows why here (the key and the character).
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        log.info("the policy %s (%s) cannot be read again: %s", policy_id, sha256[:12], reason)
        return None
    return policy if policy.sha256 == sha256 else None


def preset_text(policy_id: str, sha256: str) -> Policy | None:
    """The rules of a built-in preset's text `sha256` (the current one, or an earlier text,
    dated as the current one's: the day a ban grew is the same in every text), or None.
    Raises AuditError when the shipped preset cannot be read."""
    from audit.policy import load_policy
    from audit.policy.earlier import earlier_presets

    current = load_policy(policy_id)
    if current.sha256 == sha256:
        return current
    earlier = {p.sha256 for p in earlier_presets() if p.id == policy_id}
    return current if sha256 in earlier else None


@functools.lru_cache(maxsize=32)
def _parsed(text: str, name: str) -> Policy:
    """An accepted policy's text, parsed once: the history asks for it at every import batch."""
    from audit.policy import loads_policy

    return loads_policy(text, name)


# --- in the history ----------------------------------------------------------------------------


def early_rule_holds(conn: sqlite3.Connection, audit_ids: Iterable[int]) -> dict[int, list[str]]:
    """audit id -> [its hold] for each of these audits whose latest scan (the one its verdict
    rests on) lists an app of a rule not yet in force on the day it was judged."""
    ids = sorted(set(audit_ids))
    rows: list[Sequence[object]] = []
    for start in range(0, len(ids), _PER_QUERY):
        chunk = ids[start : start + _PER_QUERY]
        # Only findings still on the device: a clean phone's audit reads nothing more.
        rows += conn.execute(
            "SELECT s.audit_id, a.policy_id, a.policy_sha256, coalesce(s.day, ''), f.rule_id,"
            " f.identifier, f.name, coalesce(f.state, ''), f.confidence"
            " FROM scans s JOIN findings f ON f.scan_id = s.id JOIN audits a ON a.id = s.audit_id"
            f" WHERE f.status <> 'resolved' AND s.audit_id IN ({', '.join('?' * len(chunk))})"
            " AND s.id = (SELECT max(id) FROM scans WHERE audit_id = s.audit_id)",
            chunk,
        ).fetchall()
    grouped: dict[tuple[int, str, str, str], list[FindingFacts]] = defaultdict(list)
    for audit_id, policy_id, sha256, day, *parts in rows:
        key = (int(str(audit_id)), str(policy_id), str(sha256), str(day)[:10])
        grouped[key].append(FindingFacts(*(str(part) for part in parts)))
    found: dict[int, list[str]] = {}
    texts: dict[tuple[str, str], Policy | None] = {}
    for (audit_id, policy_id, sha256, day), facts in grouped.items():
        try:
            judged = date.fromisoformat(day)
        except ValueError:  # a history changed outside the app: no day to judge by
            continue
        if (policy_id, sha256) not in texts:
            texts[(policy_id, sha256)] = known_text(conn, policy_id, sha256)
        hold = early_rule_hold(texts[(policy_id, sha256)], judged, facts)
        if hold:
            found[audit_id] = [hold]
    return found
