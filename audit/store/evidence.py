"""What an imported receipt rests on, and the holds when that is too weak to count as compliant.

A receipt is a signed claim; these checks ask whether the evidence under the claim could have
shown the device as it is now. Each finding is a hold (audit.store.holds: the one place that
decides held statuses): the audit counts as not compliant (overdue after the deadline) and its
trust note says why, in the history, the dashboard, the export and `verify --db`.

- **An older text, signed after a newer one was in force.** A receipt under version 1 of a
  policy, signed after the helpdesk accepted version 2 (which bans one more app), says nothing
  of the apps version 2 added. Receipts signed before the newer text was accepted stay counted
  ("judged under an older version", audit.store.lineage). A built-in preset's current text is
  taken as in force from its `last_verified` day: the day the text this release ships was
  checked against its sources.
- **A phone reached from a program on this computer** (loopback, an emulator): whatever
  answered may be a simulator, so it proves nothing about a phone.
- **A phone reached over the network** (or a receipt that does not say how) is counted, but it
  never replaces a check on a cable or a witnessed audit of the same device and policy (or of
  a policy linked to it by superseded_by, for an app both ban: audit.store.succession) that
  found the device not compliant: the network receipt is held then (docs/security.md).
- **A policy text that no longer loads.** A text accepted before this release's checks of a
  policy file (an identifier no device can report: audit.policy.grammar) is known by its digest
  but cannot be read again: its rules may match nothing, so what was judged under it is held
  until a corrected file is accepted and the device checked again.
- **A check made long before the signing.** The rescan a receipt rests on must have finished
  within JUDGED_DAY_SLACK of its signing: an old clean rescan signed today shows the phone as
  it was then.

And one refusal: a receipt whose tool is not "device-audit" was not made by this app.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.i18n import N_, _
from audit.model import Connection, ConnectionKind
from audit.provenance import connection_from_dict
from audit.store.records import FileOutcome
from audit.store.times import JUDGED_DAY_SLACK

if TYPE_CHECKING:  # audit.store.trust imports audit.store.holds, which imports this module
    from audit.store.receipt_content import ReceiptContent
    from audit.store.trust import KnownPolicies, KnownPolicy

TOOL_NAME = "device-audit"
# The holds' words are stored in audits.trust_note, found again by how they start (NOTES) and
# carried by the export as they are: English, never translated (audit.store.holds).
OLDER_TEXT_NOTE = "signed under version"
LOOPBACK_NOTE = "reached from a program on this computer, not a phone on a cable"
NETWORK_NOTE = "reached over the network, after a check on a cable"
RESCAN_NOTE = "the check it rests on was made on"
LOCAL_POLICY_NOTE = "checked under a policy this history does not know"
UNREADABLE_TEXT_NOTE = "the policy text this audit was judged under can no longer be read"
NOTES = (
    OLDER_TEXT_NOTE,
    LOOPBACK_NOTE,
    NETWORK_NOTE,
    RESCAN_NOTE,
    LOCAL_POLICY_NOTE,
    UNREADABLE_TEXT_NOTE,
)
"""How each hold of this module starts, so audit.store.holds.with_holds can take it back."""

_FROM_THIS_COMPUTER = (ConnectionKind.LOOPBACK, ConnectionKind.EMULATOR)
_CABLED = (ConnectionKind.USB.value, ConnectionKind.THIS_COMPUTER.value)
_COMPLIANT = ("compliant", "compliant_with_exceptions")


def tool_problem(statement: Mapping[str, Any]) -> str:
    """Why a receipt made by another tool is refused on import, or ""."""
    predicate = statement.get("predicate")
    tool = predicate.get("tool") if isinstance(predicate, Mapping) else None
    name = tool.get("name") if isinstance(tool, Mapping) else None
    if name == TOOL_NAME:
        return ""
    shown = json.dumps(name, ensure_ascii=True)[:80]
    return _(
        "it says it was made by the tool {tool}, not by {ours}: a receipt another program signed "
        "is not a Device Audit receipt; ask for the device to be checked and signed again with "
        "Device Audit"
    ).format(tool=shown, ours=TOOL_NAME)


def connection_hold(connection: Connection | None) -> str:
    """The hold of a phone reached from a program on this computer, or "". A receipt that
    says "network" at an address that is this computer however it is spelt (127.1:5555,
    [::1]:5555, 0.0.0.0: an earlier Device Audit read only 127.0.0.1 and localhost as loopback)
    is held alike; the spelling alone decides (audit.this_computer.loopback_anywhere), since
    the computer that signed is not the one reading."""
    if connection is None:
        return ""
    if connection.kind not in _FROM_THIS_COMPUTER and not _loopback_spelt(connection):
        return ""
    return (
        f"{LOOPBACK_NOTE} (it may be a simulator or an emulator), so it counts as not "
        "compliant: check the phone again on a cable"
    )


def _loopback_spelt(connection: Connection) -> bool:
    """A network connection whose address (HOST:PORT, or a bare host) names the computer
    it was made on."""
    from audit.this_computer import loopback_anywhere

    if connection.kind is not ConnectionKind.NETWORK:
        return False
    address = connection.address.strip()
    host, colon, port = address.rpartition(":")
    return loopback_anywhere(address) or (
        bool(colon) and port.isdigit() and loopback_anywhere(host)
    )


def rescan_hold(rescan_finished: datetime, attested: datetime) -> str:
    """The hold of a receipt signed long after the rescan it rests on, or ""."""
    gap = attested - rescan_finished
    if gap <= JUDGED_DAY_SLACK:
        return ""
    return (
        f"{RESCAN_NOTE} {rescan_finished.astimezone(UTC):%Y-%m-%d}, {gap.days} days before it "
        "was signed, so it does not show how the device stood when it was signed and counts as "
        "not compliant: check the device again and sign straight after"
    )


@functools.lru_cache(maxsize=64)
def _preset_in_force(policy_id: str) -> date | None:
    """The day the current built-in text of a preset is taken as in force: its last_verified."""
    from audit.errors import AuditError
    from audit.policy import load_policy

    try:
        return load_policy(policy_id).last_verified
    except AuditError:
        return None


def _in_force(known: KnownPolicy) -> datetime | None:
    from audit.store.trust import PolicyTrust

    if known.trust is PolicyTrust.ACCEPTED:
        return known.accepted_at
    if known.trust is PolicyTrust.BUILT_IN:
        day = _preset_in_force(known.id)
        return None if day is None else datetime.combine(day, time(0, 0), tzinfo=UTC)
    return None  # an earlier built-in text is never newer than the current one


def newer_in_force(
    known: KnownPolicies, policy_id: str, sha256: str, signed_at: datetime
) -> KnownPolicy | None:
    """The newest text of the policy in force here at `signed_at` that is newer than the text
    `sha256` (accepted later, or the current built-in for an earlier built-in text), or None."""
    newest = None
    for start, other in _newer_texts(known, policy_id, sha256):
        if start > signed_at:
            break
        newest = other
    return newest


_Text = tuple[datetime, "KnownPolicy"]
_NEWER: weakref.WeakKeyDictionary[KnownPolicies, dict[tuple[str, str], list[_Text]]] = (
    weakref.WeakKeyDictionary()
)


def _newer_texts(known: KnownPolicies, policy_id: str, sha256: str) -> list[_Text]:
    """The texts of the policy newer than `sha256`, each with when it came into force, oldest
    first; worked out once per text for each KnownPolicies (an import asks for thousands)."""
    cache = _NEWER.setdefault(known, {})
    found = cache.get((policy_id, sha256))
    if found is not None:
        return found
    from audit.store.trust import PolicyTrust

    found = []
    then = known.by_sha.get(sha256)
    if then is not None and then.id == policy_id and then.trust is not PolicyTrust.BUILT_IN:
        # the current built-in text is the newest there is; an accepted one is followed by the
        # texts accepted after it; an earlier built-in one by the current built-in text
        since = _in_force(then) if then.trust is PolicyTrust.ACCEPTED else None
        for other in known.by_sha.values():
            start = _in_force(other) if other.id == policy_id else None
            if start is None or other.sha256 == sha256:
                continue
            if then.trust is PolicyTrust.ACCEPTED and (since is None or start <= since):
                continue  # accepted before this text: older, not newer
            found.append((start, other))
        found.sort(key=lambda text: text[0])
    cache[(policy_id, sha256)] = found
    return found


def older_text_hold(known: KnownPolicies, policy_id: str, sha256: str, signed_at: datetime) -> str:
    """The hold of a receipt signed under an older text after a newer one was in force, or ""."""
    newer = newer_in_force(known, policy_id, sha256, signed_at)
    if newer is None:
        return ""
    then, now = _versions(known.by_sha[sha256], newer)
    return (
        f"{OLDER_TEXT_NOTE} {then} of policy {policy_id} after {now} was in force here, so it "
        "counts as not compliant: check again under the current version"
    )


def _words(text: str, translated: bool) -> str:
    return _(text) if translated else text


def _versions(
    then: KnownPolicy, newer: KnownPolicy, *, translated: bool = False
) -> tuple[str, str]:
    """How the older and the newer text are named: their versions, and which is the shipped
    one when a preset's texts share a version number. English for a hold (stored), the
    reader's language for attest_problem (`translated`)."""
    from audit.store.trust import PolicyTrust

    older = f"{then.version}"
    if then.trust is PolicyTrust.EARLIER_BUILT_IN:
        older = _words(
            N_("{version} (the text an earlier release of Device Audit shipped)"), translated
        ).format(version=then.version)
    since = _in_force(newer)
    day = "" if since is None else f"{since:%Y-%m-%d}"
    if newer.trust is PolicyTrust.BUILT_IN and since is None:
        current = N_("version {version} (the text this release ships)")
    elif newer.trust is PolicyTrust.BUILT_IN:
        current = N_("version {version} (the text this release ships, checked on {day})")
    elif since is not None:
        current = N_("version {version} (accepted on {day})")
    else:
        current = N_("version {version}")
    return older, _words(current, translated).format(version=newer.version, day=day)


def attest_problem(known: KnownPolicies, policy_id: str, sha256: str, now: datetime) -> str:
    """Why this computer must not sign under this text of a policy now, or ""."""
    newer = newer_in_force(known, policy_id, sha256, now)
    if newer is None:
        return ""
    then, current = _versions(known.by_sha[sha256], newer, translated=True)
    return _(
        "This policy file is version {version} of policy {policy}, but this history has "
        "{current} in force: a receipt under the older text would not count."
    ).format(version=then, policy=policy_id, current=current)


def receipt_holds(
    known: KnownPolicies,
    *,
    policy_id: str,
    sha256: str,
    signed_at: datetime,
    connection: Connection | None,
    rescan_finished: datetime,
) -> list[str]:
    """The holds one receipt carries on its own (`verify --db` shows them; the import finds them
    again in the history, with the rule that needs the device's other audits)."""
    found = [
        older_text_hold(known, policy_id, sha256, signed_at),
        connection_hold(connection),
        rescan_hold(rescan_finished, signed_at),
    ]
    return [hold for hold in found if hold]


def text_holds(
    known: KnownPolicies, policy_id: str, sha256: str, content: ReceiptContent
) -> list[str]:
    """The holds of one receipt that need the rules of its policy text, as the history finds
    them (`verify` shows them): an accepted text that no longer loads (known.texts read:
    KnownPolicies.load_with_texts), and an app of a rule not yet announced on the day the
    device was judged (audit.store.rule_dates)."""
    from audit.store.rule_dates import FindingFacts, early_rule_hold
    from audit.store.trust import PolicyTrust

    found = known.by_sha.get(sha256)
    if found is None or found.id != policy_id:
        return []  # a text this helpdesk does not know: refused (KnownPolicies.problem)
    text = known.text(policy_id, sha256)
    if text is None:
        unread = found.trust is PolicyTrust.ACCEPTED and known.texts is not None
        return [unreadable_text_hold(found)] if unread else []
    facts = [  # as the history reads the findings of the scan a verdict rests on
        FindingFacts(f.rule_id, f.identifier, f.name, f.state or "", f.confidence)
        for f in content.findings
        if f.status != "resolved"
    ]
    hold = early_rule_hold(text, content.day, facts)
    return [hold] if hold else []


# --- in the history ----------------------------------------------------------------------------

_PER_QUERY = 400


def _connection(raw: object) -> Connection | None:
    if raw is None:
        return None
    try:
        return connection_from_dict(json.loads(str(raw)))
    except (ValueError, RecursionError):  # a history changed outside the app
        return None


def local_policy_hold(known: KnownPolicies, policy_id: str, sha256: str) -> str:
    """The hold of an audit recorded here under a policy this history does not know (neither a
    built-in text nor one accepted here), or "". The import refuses such a receipt; a check
    recorded here under it (a copy of a preset with the preset's title and another rule, say)
    must not count as compliant either, whichever road reaches the history first."""
    found = known.by_sha.get(sha256)
    if found is not None and found.id == policy_id:
        return ""
    return (
        f"{LOCAL_POLICY_NOTE} ('{policy_id}', digest {sha256[:12]}…), so it counts as not "
        "compliant: if it is your organisation's policy, accept its file (device-audit policy "
        "accept FILE), then check the device again"
    )


def unreadable_text_hold(known: KnownPolicy) -> str:
    """The hold of an audit judged under an accepted text that this release cannot read again
    (rule_dates.known_text returned None), so its rules cannot be trusted to have matched."""
    named = f", accepted from {known.file_name}" if known.file_name else ""
    return (
        f"{UNREADABLE_TEXT_NOTE} (policy '{known.id}', digest {known.sha256[:12]}…{named}), so it "
        "counts as not compliant: accept a corrected policy file (device-audit policy accept "
        "FILE), then check the device again"
    )


class _Texts:
    """Whether each accepted text an audit names still loads, read once per call."""

    def __init__(self, conn: sqlite3.Connection, known: KnownPolicies) -> None:
        self._conn = conn
        self._known = known
        self._holds: dict[tuple[str, str], str] = {}

    def hold(self, policy_id: str, sha256: str) -> str:
        from audit.store.rule_dates import known_text
        from audit.store.trust import PolicyTrust

        found = self._known.by_sha.get(sha256)
        if found is None or found.id != policy_id or found.trust is not PolicyTrust.ACCEPTED:
            return ""  # a built-in text, or one local_policy_hold holds already
        key = (policy_id, sha256)
        if key not in self._holds:
            readable = known_text(self._conn, policy_id, sha256) is not None
            self._holds[key] = "" if readable else unreadable_text_hold(found)
        return self._holds[key]


def holds_of_audits(conn: sqlite3.Connection, audit_ids: Iterable[int]) -> dict[int, list[str]]:
    """audit id -> the evidence holds of each audit among these (empty lists left out).
    Imported audits: each receipt's own holds and the network rule. Audits made here
    (recorded, re-judged): their policy text is checked before signing (attest_problem), but
    the bench may have checked under a policy the history does not know, or a phone reached
    from a program on this computer (an emulator answers `adb connect 127.0.0.1` as a phone
    would), and either counts as it would if imported."""
    from audit.store.trust import KnownPolicies

    ids = sorted(set(audit_ids))
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), _PER_QUERY):
        chunk = ids[start : start + _PER_QUERY]
        rows += conn.execute(
            "SELECT a.id, a.policy_id, a.device_id, a.policy_sha256, a.attested_at,"
            " a.connection, (SELECT s.finished_at FROM scans s WHERE s.audit_id = a.id"
            " ORDER BY s.id DESC LIMIT 1), min(a.at, coalesce((SELECT min(t.recorded_at)"
            " FROM attestations t WHERE t.audit_id = a.id), a.at)), a.origin"
            f" FROM audits a WHERE a.id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
    if not rows:
        return {}
    known = KnownPolicies.load(conn)
    texts = _Texts(conn, known)
    found: dict[int, list[str]] = defaultdict(list)
    remote: list[tuple[int, str, str, str]] = []
    for audit_id, policy_id, device_id, sha256, attested, raw, finished, chain, origin in rows:
        connection = _connection(raw)
        unreadable = texts.hold(policy_id, str(sha256))
        if unreadable:
            found[audit_id].append(unreadable)
        if origin != "imported":
            made_here = [
                local_policy_hold(known, policy_id, str(sha256)),
                connection_hold(connection),
            ]
            found[audit_id] += [hold for hold in made_here if hold]
            continue
        if attested is not None:
            signed = datetime.fromisoformat(str(attested))
            found[audit_id] += receipt_holds(
                known,
                policy_id=policy_id,
                sha256=str(sha256),
                signed_at=signed,
                connection=connection,
                rescan_finished=signed if finished is None else datetime.fromisoformat(finished),
            )
        if connection is None or connection.kind is ConnectionKind.NETWORK:
            remote.append((audit_id, policy_id, device_id, str(chain)))
    for audit_id, hold in _after_cable(conn, remote, known).items():
        found[audit_id].append(hold)
    return {audit_id: holds for audit_id, holds in found.items() if holds}


def _after_cable(
    conn: sqlite3.Connection, remote: Sequence[tuple[int, str, str, str]], known: KnownPolicies
) -> dict[int, str]:
    """The hold of each network receipt that comes after (by the history's chain time,
    schema.CHAIN_TIME) a check of its device and policy on a cable, or a witnessed audit,
    that found the device not compliant: a phone reached over the network cannot replace it.
    A check under a policy the receipt's replaces or is replaced by counts too, when it saw an
    app the receipt's policy bans (audit.store.succession), unless a check of the receipt's own
    policy on a cable came after it."""
    devices = sorted({device for _id, _policy, device, _chain in remote})
    # device -> policy -> its checks on a cable (or witnessed): (chain time, audit id, status)
    cabled: dict[str, dict[str, list[tuple[str, int, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for start in range(0, len(devices), _PER_QUERY):
        chunk = devices[start : start + _PER_QUERY]
        for audit_id, policy_id, device_id, chain, status, raw, assurance in conn.execute(
            "SELECT a.id, a.policy_id, a.device_id, CASE WHEN a.origin = 'imported' THEN"
            " min(a.at, coalesce((SELECT min(t.recorded_at) FROM attestations t"
            " WHERE t.audit_id = a.id), a.at)) ELSE a.at END, a.status, a.connection,"
            " a.assurance"
            f" FROM audits a WHERE a.device_id IN ({', '.join('?' * len(chunk))})"
            " AND a.status IS NOT NULL",
            chunk,
        ):
            connection = _connection(raw)
            on_cable = connection is not None and connection.kind.value in _CABLED
            if on_cable or assurance == "witnessed":
                # as it counts here: held itself (an exemption not accepted), it is not compliant
                cabled[device_id][policy_id].append((str(chain), int(audit_id), str(status)))
    found = {}
    others: list[tuple[int, str, str, tuple[str, int, str]]] = []
    for audit_id, policy_id, device_id, chain in remote:
        checked = cabled.get(device_id, {})
        before = [c for c in checked.get(policy_id, []) if c[:2] < (chain, audit_id)]
        last = max(before) if before else None
        if last is not None and last[2] not in _COMPLIANT:
            found[audit_id] = _network_hold(last)
            continue
        for other, checks in checked.items():
            if other == policy_id:
                continue
            earlier = [c for c in checks if c[:2] < (chain, audit_id)]
            latest = max(earlier) if earlier else None
            if latest is None or latest[2] in _COMPLIANT:
                continue
            if last is None or latest[:2] > last[:2]:  # not since checked on a cable under its own
                others.append((audit_id, policy_id, other, latest))
    if others:
        found.update(_after_cable_elsewhere(conn, others, known))
    return found


def _network_hold(check: tuple[str, int, str], other_policy: str = "") -> str:
    day, _id, status = check
    under = f" under policy {other_policy}" if other_policy else ""
    which = ", for an app this policy bans too," if other_policy else ""
    return (
        f"{NETWORK_NOTE} on {day[:10]}{under} found it {status.replace('_', ' ')}{which}: a "
        "phone reached over the network (or a receipt that does not say how) cannot replace "
        "that, so it counts as not compliant: check the phone again on a cable"
    )


def _after_cable_elsewhere(
    conn: sqlite3.Connection,
    others: Sequence[tuple[int, str, str, tuple[str, int, str]]],
    known: KnownPolicies,
) -> dict[int, str]:
    """The holds of network receipts whose device a cabled check under a related policy (one
    replaces the other: audit.store.succession) found not compliant for an app the receipt's
    policy bans too. Only asked when such a check exists, so most imports never read a text."""
    from audit.store.succession import SeenApp, Succession

    succession = Succession.load(conn, known)
    related = [o for o in others if succession.related(o[1], o[2])]
    checks = sorted({o[3][1] for o in related})
    seen: dict[int, list[SeenApp]] = defaultdict(list)
    for start in range(0, len(checks), _PER_QUERY):
        chunk = checks[start : start + _PER_QUERY]
        for audit_id, identifier, id_kind, name, state in conn.execute(
            "SELECT s.audit_id, f.identifier, f.id_kind, f.name, f.state FROM findings f"
            " JOIN scans s ON s.id = f.scan_id WHERE f.status IN ('violation', 'excepted')"
            " AND s.id = (SELECT max(l.id) FROM scans l WHERE l.audit_id = s.audit_id)"
            f" AND s.audit_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ):
            seen[int(audit_id)].append(SeenApp(str(identifier), str(id_kind), str(name), state))
    found: dict[int, str] = {}
    for audit_id, policy_id, other, check in sorted(related, key=lambda o: (o[0], o[3])):
        if succession.bans_any(policy_id, seen.get(check[1], [])):
            found[audit_id] = _network_hold(check, other)  # the latest such check
    return found


def refuse_older_text(history: Path | None, policy_id: str, sha256: str) -> None:
    """AttestationRefused when the history on this computer (`history`, else the default one)
    has a newer text of the policy in force than the one about to be signed under: the
    receipt would be held wherever it is imported. A history that cannot be read stops
    nothing (audit.workflow.history: a history problem never stops an audit)."""
    from audit.errors import AttestationRefused, AuditError
    from audit.store.store import Store, default_path

    path = default_path() if history is None else Path(history)
    if not path.is_file():
        return
    try:
        with Store(path, read_only=True) as store:
            known = store.known_policies()
    except (AuditError, OSError, sqlite3.Error):
        return
    problem = attest_problem(known, policy_id, sha256, datetime.now(UTC))
    if problem:
        raise AttestationRefused(
            problem,
            _(
                "Choose the current version of the policy (the file your helpdesk accepted "
                "last), check the device again under it, then attest."
            ),
        )


def rejudge_imported(conn: sqlite3.Connection, outcomes: list[FileOutcome]) -> list[FileOutcome]:
    """Judge the audits a batch imported again (audit.store.holds.rejudge, which asks this
    module what each rests on), and add each one's evidence holds to its line of the import
    report, so whoever imports sees at once which receipts do not count."""
    from audit.store.holds import rejudge

    ids = [o.audit_id for o in outcomes if o.audit_id]
    rejudge(conn, audits=ids)
    notes: dict[int, list[str]] = {}
    for start in range(0, len(ids), _PER_QUERY):
        chunk = ids[start : start + _PER_QUERY]
        for audit_id, note in conn.execute(
            "SELECT id, trust_note FROM audits WHERE trust_note <> ''"
            f" AND id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ):
            held = [part for part in str(note).split("; ") if part.startswith(NOTES)]
            if held:
                notes[int(audit_id)] = held
    return [
        replace(o, reason="; ".join(p for p in (o.reason, *notes[o.audit_id]) if p))
        if o.audit_id in notes
        else o
        for o in outcomes
    ]
