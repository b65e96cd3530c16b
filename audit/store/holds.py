"""Receipts the history holds back from counting as compliant until the helpdesk decides.

Two claims in a receipt are only the signer's word, so the history does not count them until
the helpdesk has said yes:

- **Exemptions.** A receipt is "compliant with exceptions" because of the exemptions it lists,
  and anyone can write an exemption file (any approver, an expiry in 2199). The helpdesk accepts
  the genuine ones (`device-audit exemption accept FILE`, table accepted_exemptions: each is
  known by the sha256 of its canonical form, with who accepted it and when), the way it accepts
  an organisation's policy. An audit "compliant with exceptions" whose exemptions are not all
  accepted (and not revoked since) counts as not compliant, and says why: an imported
  receipt, an audit recorded on this computer (a bench, a staff member's own laptop) and a
  re-judged one alike. The rule is per history: "compliant with exceptions" counts only with
  the exemptions this history accepted (docs/security.md).
- **A disputed key.** Keys are trusted on first use, so a re-signed copy imported before the
  genuine receipt pins the copier's key, and the genuine one is then refused for its "new" key.
  Either key may be the person's: from that refusal on (table key_disputes) the receipts of
  the key pinned first count as not compliant too, naming both keys and both dates, until the
  helpdesk accepts one fingerprint for the staff id (`import --accept-new-key ID=FINGERPRINT`).
  The key it accepts counts; the other stays held, unless it is accepted as well (a person
  with two computers).

Evidence too weak to count (audit.store.evidence) and an app of a rule announced after the day
the audit was judged (audit.store.rule_dates) are held the same way, until a new check.

A held audit keeps what its receipt claims in attestations.status; audits.status, which the
history, the dashboard's running totals and the export all read, says non_compliant (overdue
after the deadline) while it is held, and the claim again once the helpdesk decided. Each
hold is one part of audits.trust_note starting with EXEMPTION_NOTE or DISPUTE_NOTE, so a
decision takes back exactly that part.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from audit.attestation import format_fingerprint
from audit.errors import StoreError
from audit.i18n import _
from audit.model import DeviceStatus, Exemption
from audit.store.blanket import blanket_content, everyone_content, refuse_wide
from audit.store.db import optional_time, parse_time, timestamp
from audit.store.evidence import NOTES as EVIDENCE_NOTES
from audit.store.evidence import holds_of_audits
from audit.store.rule_dates import EARLY_RULE_NOTE, early_rule_holds
from audit.store.schema import AuditChainKey, relink_keys
from audit.store.writes import exemption_row

# The holds' words are stored in audits.trust_note and found again by how they start
# (with_holds), and the export carries them as they are: English, never translated.
EXEMPTION_NOTE = "exemption not accepted by the helpdesk"
DISPUTE_NOTE = "disputed key"
# evidence: audit.store.evidence; a rule not in force on the day judged: audit.store.rule_dates
_HOLDS = (EXEMPTION_NOTE, DISPUTE_NOTE, *EVIDENCE_NOTES, EARLY_RULE_NOTE)
# What to do about an exemption held back, in words a staff member can act on: the same in the
# history, the export, `verify` and the notice `attest` prints (audit.workflow.history).
ASK_HELPDESK = (
    "ask your helpdesk to accept this exemption file, or run `device-audit exemption accept "
    "FILE --by NAME` if you are the helpdesk"
)
_COMPLIANT = (DeviceStatus.COMPLIANT.value, DeviceStatus.COMPLIANT_WITH_EXCEPTIONS.value)
_EXCEPTED = DeviceStatus.COMPLIANT_WITH_EXCEPTIONS.value
# Columns of an exemption row (writes.exemption_row, after audit_id).
_PERSON, _DEVICE, _POLICY, _RULES, _APPS = 6, 7, 8, 9, 10


def exemption_digest(row: Sequence[object]) -> str:
    """The identity of an exemption: the sha256 of its canonical form, every field as the
    history stores it (writes.exemption_row less the audit id), so the same exemption in a
    file and in a receipt has the same digest, and any changed field another. All but its
    `policy`: a receipt does not carry an exemption's policy (the statement lists the rest),
    so with it no policy-scoped exemption could ever match a genuine receipt; the policy it
    was granted under is checked apart, from the accepted text (Holds.policies)."""
    parts = [str(part) for part in row]
    if len(parts) > _POLICY:
        parts[_POLICY] = ""
    canonical = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def digest_of(exemption: Exemption) -> str:
    return exemption_digest(exemption_row(0, exemption)[1:])


# --- accepted exemptions -----------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptedExemption:
    sha256: str
    exemption_id: str
    person: str
    approver: str
    expires: date
    file_name: str
    accepted_by: str
    accepted_at: datetime
    revoked_by: str = ""
    revoked_at: datetime | None = None
    blanket: bool = False  # names no person, policy, rule or app: it covers everything
    everyone: bool = False  # names no person and no device: it covers whoever lists it

    @property
    def active(self) -> bool:
        return self.revoked_at is None


_ACCEPTED = (
    "sha256, exemption_id, person, approver, expires, file_name, accepted_by, accepted_at,"
    " revoked_by, revoked_at, content"
)


def accepted_exemptions(conn: sqlite3.Connection) -> list[AcceptedExemption]:
    return [
        AcceptedExemption(
            row[0],
            row[1],
            row[2],
            row[3],
            date.fromisoformat(row[4]),
            row[5],
            row[6],
            parse_time(row[7]),
            row[8],
            optional_time(row[9]),
            blanket_content(row[10]),
            everyone_content(row[10]),
        )
        for row in conn.execute(
            f"SELECT {_ACCEPTED} FROM accepted_exemptions ORDER BY accepted_at, exemption_id"
        )
    ]


def accept_exemptions(
    conn: sqlite3.Connection,
    exemptions: Sequence[Exemption],
    *,
    file_name: str,
    by: str,
    at: datetime,
    blanket: bool = False,
    everyone: bool = False,
) -> list[tuple[Exemption, str, bool]]:
    """Accept each exemption; (exemption, digest, new here) for each. One accepted before and
    revoked since stays revoked: a revocation is a decision, undone only by a new text.

    A blanket exemption (is_blanket) is refused, with the whole file, unless `blanket` says the
    helpdesk means it: accepted by mistake, one line with an approver and a far expiry would
    make every receipt that lists it "compliant with exceptions" whatever is installed. One
    for everyone (is_for_everyone: no person, no device) likewise unless `everyone` says so:
    whoever gets hold of the file would keep the app it names (store.blanket)."""
    refuse_wide(exemptions, file_name=file_name, blanket=blanket, everyone=everyone)
    done = []
    for exemption in exemptions:
        row = exemption_row(0, exemption)[1:]
        digest = exemption_digest(row)
        cursor = conn.execute(
            "INSERT INTO accepted_exemptions (sha256, exemption_id, person, approver, expires,"
            " content, file_name, accepted_by, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (sha256) DO NOTHING",
            (
                digest,
                exemption.id,
                exemption.person,
                exemption.approver,
                exemption.expires.isoformat(),
                json.dumps([str(part) for part in row], ensure_ascii=False),
                file_name,
                by,
                timestamp(at),
            ),
        )
        done.append((exemption, digest, cursor.rowcount == 1))
    return done


def revoke_exemptions(
    conn: sqlite3.Connection, which: str, *, by: str, at: datetime
) -> list[AcceptedExemption]:
    """Revoke the accepted exemptions with this id, or whose digest starts with `which` (at
    least 8 hex digits); ValueError when none is found."""
    which = which.strip()
    digest = which.lower()
    found = [
        e
        for e in accepted_exemptions(conn)
        if e.active
        and (e.exemption_id == which or (len(digest) >= 8 and e.sha256.startswith(digest)))
    ]
    if not found:
        raise ValueError(
            # Translators: shown with its first letter in capitals and a full stop after it
            _(
                "no accepted exemption has the id or digest {which} (or it was revoked already)"
            ).format(which=repr(which))
        )
    conn.executemany(
        "UPDATE accepted_exemptions SET revoked_by = ?, revoked_at = ? WHERE sha256 = ?",
        [(by, timestamp(at), e.sha256) for e in found],
    )
    return found


def accepted_policies(conn: sqlite3.Connection) -> dict[str, str]:
    """digest -> the policy each active accepted exemption was granted under, where it names
    one (from the accepted text: writes.exemption_row's policy column)."""
    found = {}
    for digest, content in conn.execute(
        "SELECT sha256, content FROM accepted_exemptions WHERE revoked_at IS NULL"
    ):
        try:
            parts = json.loads(content)
        except (ValueError, RecursionError):  # a history changed outside the app
            continue
        if isinstance(parts, list) and len(parts) > _POLICY and parts[_POLICY]:
            found[str(digest)] = str(parts[_POLICY])
    return found


def active_digests(conn: sqlite3.Connection) -> frozenset[str]:
    return frozenset(
        row[0]
        for row in conn.execute("SELECT sha256 FROM accepted_exemptions WHERE revoked_at IS NULL")
    )


@dataclass(frozen=True)
class Scope:
    """What a receipt's exemptions must be for: its device (id or serial), its policy, and the
    findings it says they excepted, each (rule id, app identifier, app name, exemption id).
    Empty when unknown (an old caller): then only acceptance and person are checked."""

    device_ids: frozenset[str] = frozenset()
    policy_id: str = ""
    excepted: tuple[tuple[str, str, str, str], ...] = ()
    # digest -> the policy an accepted exemption was granted under ("" = any): a receipt does
    # not carry it, so it comes from the text the helpdesk accepted (Holds.load)
    granted_policies: Mapping[str, str] = field(default_factory=dict)
    # the day its last scan was judged (ISO), the signer's local day as the app applied the
    # exemptions (not the day an import counts it from, which may be a day earlier)
    day: str = ""


def device_ids(device_id: str, device_json: object) -> frozenset[str]:
    """The names an exemption's `device` may give a device: its id and its serial (as
    audit.policy.exemptions.applies compares them)."""
    serial = ""
    try:
        data = json.loads(str(device_json or "{}"))
        serial = str(data.get("serial", "")) if isinstance(data, dict) else ""
    except (ValueError, RecursionError):  # a history changed outside the app
        pass
    return frozenset({device_id, serial} - {""})


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _scope_problems(rows: Sequence[Sequence[object]], scope: Scope) -> list[str]:
    """An accepted exemption used outside what it was granted for: another device or policy,
    or a finding of a rule or app it does not name (the signer's app chose which exemption
    excepted which finding; the history checks the text the helpdesk accepted)."""
    found = []
    by_id = {str(row[0]): row for row in rows}
    for row in rows:
        device = str(row[_DEVICE])
        policy = str(row[_POLICY]) or scope.granted_policies.get(exemption_digest(row), "")
        if device and scope.device_ids and device not in scope.device_ids:
            found.append(f"{row[0]} (granted for device {device}, not this one)")
        if policy and scope.policy_id and policy != scope.policy_id:
            found.append(f"{row[0]} (granted under policy {policy}, not {scope.policy_id})")
        start, end = str(row[4]), str(row[5])
        if scope.day and not start <= scope.day <= end:  # ISO days compare as text
            found.append(f"{row[0]} (in force {start} to {end}, not on {scope.day})")
    for rule_id, identifier, name, exemption_id in scope.excepted:
        granted = by_id.get(exemption_id)
        what = name or identifier
        if granted is None:
            found.append(f"{what} excepted by {exemption_id or 'no exemption'}, not listed")
            continue
        rules = _json_list(granted[_RULES])
        apps = {_norm(a) for a in _json_list(granted[_APPS])}
        # An app named by its catalog name ("TikTok") matched through the rule's label, which
        # the history does not keep: only identifiers ("com.zhiliaoapp.musically") are
        # checked, so a genuine receipt is never held for a label (docs/security.md).
        by_id_only = bool(apps) and all("." in a and " " not in a for a in apps)
        if rules and rule_id not in rules:
            found.append(f"{exemption_id} (does not cover rule {rule_id}, {what})")
        elif by_id_only and not apps & {_norm(identifier), _norm(name)}:
            found.append(f"{exemption_id} (does not cover {what})")
    return found


def _json_list(value: object) -> list[str]:
    try:
        data = json.loads(str(value))
    except (ValueError, RecursionError):  # a history changed outside the app
        return []
    return [str(item) for item in data] if isinstance(data, list) else []


def exemption_problem(
    accepted: frozenset[str],
    staff_id: str,
    rows: Iterable[Sequence[object]],
    scope: Scope | None = None,
) -> str:
    """The hold of a receipt "compliant with exceptions" whose exemptions are not all accepted,
    or are used outside what they were granted for (another person, device or policy, a
    finding they do not cover), or ""."""
    rows = list(rows)
    if not rows:  # "with exceptions" resting on none: only a changed app signs that
        return (
            f"{EXEMPTION_NOTE}: it says compliant with exceptions but lists no exemption, so it "
            "counts as not compliant"
        )
    missing = []
    for row in rows:
        person = str(row[_PERSON])
        if exemption_digest(row) not in accepted:
            missing.append(f"{row[0]} (approver {row[2]}, expires {row[5]})")
        elif person and person != staff_id:
            whom = staff_id or "an audit that names nobody"
            missing.append(f"{row[0]} (accepted for {person}, not for {whom})")
    if scope is not None:
        missing += _scope_problems(rows, scope)
    if not missing:
        return ""
    # No "; " inside: the trust note's parts are joined by it, and a decision takes back
    # exactly the parts that start with a hold's words (with_holds).
    detail = ", ".join(missing).replace(";", ",")  # ids and names came from the receipt
    return f"{EXEMPTION_NOTE}: {detail}, so it counts as not compliant: {ASK_HELPDESK}"


# --- disputed keys -----------------------------------------------------------------------------


def raise_dispute(
    conn: sqlite3.Connection,
    identity: str,
    held: str,
    refused: str,
    *,
    refused_day: str,
    at: datetime,
) -> None:
    """A receipt for `identity` signed by `refused` (on `refused_day`) was refused because
    `held` is pinned for it: `held`'s receipts are held until the helpdesk decides."""
    row = conn.execute(
        "SELECT first_seen FROM keys WHERE identity = ? AND signer = ?", (identity, held)
    ).fetchone()
    since = str(row[0])[:10] if row is not None else ""
    conn.execute(
        "INSERT INTO key_disputes (identity, held_signer, refused_signer, held_since,"
        " refused_day, raised_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (identity, held_signer, refused_signer) DO NOTHING",
        (identity, held, refused, since, refused_day, timestamp(at)),
    )


def settle(conn: sqlite3.Connection, identity: str, fingerprint: str, *, at: datetime) -> bool:
    """The helpdesk accepted `fingerprint` for `identity`: each open dispute of the id is
    decided for it (the other key stays held), and a key it had decided against is cleared.
    A fingerprint no dispute of the id names settles nothing (a typo must not decide)."""
    named = conn.execute(
        "SELECT 1 FROM key_disputes WHERE identity = ? AND ? IN (held_signer, refused_signer)",
        (identity, fingerprint),
    ).fetchone()
    if named is None:
        return False
    when = timestamp(at)
    conn.execute(
        "UPDATE key_disputes SET settled_key = ?, settled_at = ? WHERE identity = ?"
        " AND (settled_at IS NULL OR held_signer = ?)",
        (fingerprint, when, identity, fingerprint),
    )
    return True


def _who(identity: str) -> str:
    return f"staff id {identity}"


def _dispute_words(row: Sequence[str]) -> str:
    identity, held, refused, since, day, settled, settled_at = row
    if not settled:
        return (
            f"{DISPUTE_NOTE}: a receipt for {_who(identity)} signed on {day} by key "
            f"{format_fingerprint(refused)} was refused because receipts for {identity} were "
            f"signed since {since} by this key {format_fingerprint(held)}: either may be the "
            "person's (the key seen first may be a copier's), so it counts as not compliant "
            "until the helpdesk asks the person which fingerprint their Device Audit shows and "
            f"accepts it (device-audit import DIR --accept-new-key {identity}=FINGERPRINT)"
        )
    return (
        f"{DISPUTE_NOTE}: on {settled_at[:10]} the helpdesk accepted key "
        f"{format_fingerprint(settled)} for {_who(identity)}, not this receipt's key "
        f"{format_fingerprint(held)} (seen since {since}; the other key's receipt was signed on "
        f"{day}), so it counts as not compliant; if this key is theirs too, accept it "
        f"(device-audit import DIR --accept-new-key {identity}=FINGERPRINT)"
    )


def disputes(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """(identity, key) -> the hold of each key held by a dispute."""
    found: dict[tuple[str, str], str] = {}
    for row in conn.execute(
        "SELECT identity, held_signer, refused_signer, held_since, refused_day, settled_key,"
        " coalesce(settled_at, '') FROM key_disputes WHERE settled_key <> held_signer"
        " ORDER BY raised_at"
    ):
        found.setdefault((row[0], row[1]), _dispute_words(row))
    return found


Accepted = frozenset[tuple[str, str]]
"""(identity, fingerprint) pairs: the new keys the helpdesk checked with each person."""


def parse_accepted_keys(entries: Collection[str]) -> Accepted:
    """Each `ID=FINGERPRINT` as (identity, lowercase hex). A bare id is refused: it would
    accept every new key for the id, the copier's as readily as the person's."""
    from audit.attestation import parse_fingerprint

    pairs = set()
    for entry in entries:
        identity, mark, fingerprint = entry.rpartition("=")
        try:
            if not mark or not identity:
                raise ValueError(_("no fingerprint is given"))
            pairs.add((identity, parse_fingerprint(fingerprint)))
        except ValueError as exc:
            raise StoreError(
                _(
                    "A new key is accepted only with the fingerprint you checked with the "
                    "person: {entry} is not ID=FINGERPRINT ({problem})."
                ).format(entry=repr(entry), problem=exc),
                _(
                    "Ask the person which fingerprint their Device Audit shows, and give it as "
                    "--accept-new-key ID=FINGERPRINT (the import's report shows each refused "
                    "key's fingerprint and the command)."
                ),
            ) from None
    return frozenset(pairs)


# --- holding ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holds:
    """What holds receipts back, read once per import batch."""

    accepted: frozenset[str]
    disputed: dict[tuple[str, str], str]
    policies: dict[str, str] = field(default_factory=dict)  # digest -> policy it is for

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Holds:
        return cls(active_digests(conn), disputes(conn), accepted_policies(conn))

    def of(
        self,
        *,
        staff_id: str,
        identity: str,
        signer: str,
        claimed: str,
        exemptions: Iterable[Sequence[object]],
        scope: Scope | None = None,
        evidence: Sequence[str] = (),
    ) -> list[str]:
        """The holds of one receipt (empty when it counts as it claims); `evidence`: what it
        rests on is too weak (audit.store.evidence)."""
        if claimed not in _COMPLIANT:
            return []
        found = []
        if claimed == _EXCEPTED:
            if scope is not None and self.policies:
                scope = replace(scope, granted_policies=self.policies)
            problem = exemption_problem(self.accepted, staff_id, exemptions, scope)
            if problem:
                found.append(problem)
        disputed = self.disputed.get((identity, signer))
        if disputed:
            found.append(disputed)
        return [*found, *evidence]


def _has_hold(note: str) -> bool:
    return any(part.startswith(_HOLDS) for part in note.split("; "))


def held_status(claimed: str, holds: Sequence[str]) -> str:
    return DeviceStatus.NON_COMPLIANT.value if holds and claimed in _COMPLIANT else claimed


def with_holds(note: str, holds: Sequence[str]) -> str:
    """`note` with its earlier holds taken out and `holds` put in."""
    kept = [part for part in note.split("; ") if part and not part.startswith(_HOLDS)]
    return "; ".join([*kept, *holds])


# What an audit claims before any hold: an imported one, its receipt's status; one made here
# (local, or re-judged from a stored inventory), its latest scan's, which its receipt signs.
_CLAIM = (
    "CASE WHEN a.origin = 'imported' THEN t.status ELSE (SELECT s.status FROM scans s"
    " WHERE s.audit_id = a.id ORDER BY s.id DESC LIMIT 1) END"
)


def rejudge(
    conn: sqlite3.Connection,
    *,
    identities: Iterable[str] | None = None,
    audits: Iterable[int] | None = None,
) -> int:
    """Hold or release the audits (of these key identities, or these audit ids, or all) by
    the helpdesk's decisions as they stand now; returns how many changed. The running totals
    follow.

    Every origin is held alike: an audit recorded here ("local") with an exemption this
    history has not accepted counts as not compliant as an imported receipt does, so a
    helpdesk's bench cannot make "compliant with exceptions" out of a file nobody accepted
    (docs/security.md, "Exemptions"). A re-judged audit is held by the exemptions it was
    judged with."""
    sql = (
        f"SELECT a.id, a.staff_id, coalesce(t.identity, ''), coalesce(t.signer, ''), {_CLAIM},"
        " a.status, a.trust_note, a.policy_id, a.device_id, a.device_json,"
        " coalesce((SELECT s.day FROM scans s WHERE s.audit_id = a.id ORDER BY s.id DESC"
        " LIMIT 1), '') FROM audits a"
        " LEFT JOIN attestations t ON t.uid = a.receipt_uid WHERE a.status IS NOT NULL"
    )
    params: list[object] = []
    if identities is not None:
        wanted = sorted(set(identities))
        if not wanted:
            return 0
        sql += f" AND t.identity IN ({', '.join('?' * len(wanted))})"
        params += wanted
    if audits is not None:
        ids = sorted(set(audits))
        if not ids:
            return 0
        sql += f" AND a.id IN ({', '.join('?' * len(ids))})"
        params += ids
    rows = [row for row in conn.execute(sql, params).fetchall() if row[4] is not None]
    # Only an audit that claims compliance can be held, and only one that says a hold can be
    # released: the others (most checks recorded at a bench) need none of the decisions read.
    rows = [row for row in rows if row[4] in _COMPLIANT or _has_hold(str(row[6] or ""))]
    if not rows:
        return 0
    holds = Holds.load(conn)
    exemptions: dict[int, list[tuple[object, ...]]] = defaultdict(list)
    findings: dict[int, list[tuple[str, str, str, str]]] = defaultdict(list)
    excepted = [row[0] for row in rows if row[4] == _EXCEPTED]
    for start in range(0, len(excepted), 500):
        chunk = excepted[start : start + 500]
        for row in conn.execute(
            "SELECT audit_id, exemption_id, reason, approver, approver_role, granted, expires,"
            " person, device, policy, rules, apps, mitigations FROM exemptions"
            f" WHERE audit_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ):
            exemptions[int(row[0])].append(tuple(row[1:]))
        # The findings its latest scan says the exemptions excepted.
        for row in conn.execute(
            "SELECT s.audit_id, f.rule_id, f.identifier, f.name, coalesce(f.exemption_id, '')"
            " FROM scans s JOIN findings f ON f.scan_id = s.id WHERE f.status = 'excepted'"
            f" AND s.audit_id IN ({', '.join('?' * len(chunk))})"
            " AND s.id = (SELECT max(id) FROM scans WHERE audit_id = s.audit_id)",
            chunk,
        ):
            findings[int(row[0])].append((str(row[1]), str(row[2]), str(row[3]), str(row[4])))
    updates = []
    touched: set[AuditChainKey] = set()
    claiming = [row[0] for row in rows if row[4] in _COMPLIANT]
    weak = holds_of_audits(conn, claiming)
    early = early_rule_holds(conn, claiming)  # an app of a rule announced after the day judged
    for row in rows:
        audit_id, staff_id, identity, signer, claimed, status, note, policy, device = row[:9]
        scope = Scope(
            device_ids(device, row[9]),
            policy,
            tuple(findings.get(audit_id, ())),
            day=str(row[10])[:10],
        )
        found = holds.of(
            staff_id=staff_id,
            identity=identity,
            signer=signer,
            claimed=claimed,
            exemptions=exemptions.get(audit_id, ()),
            scope=scope,
            evidence=[*weak.get(audit_id, ()), *early.get(audit_id, ())],
        )
        new_status, new_note = held_status(claimed, found), with_holds(note, found)
        if (new_status, new_note) != (status, note):
            updates.append((new_status, new_note, audit_id))
            touched.add((policy, staff_id, device))
    conn.executemany("UPDATE audits SET status = ?, trust_note = ? WHERE id = ?", updates)
    relink_keys(conn, touched)
    return len(updates)
