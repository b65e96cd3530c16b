"""What a receipt is worth to this helpdesk: its policy is known, and who witnessed it.

Policies: a receipt names its policy by id and the sha256 of the policy file. The history knows
the built-in presets (their digests computed from the shipped files) and the policies this
helpdesk accepted (`device-audit policy accept FILE`, table accepted_policies). A receipt under
any other policy, or under a preset's id with another digest, is refused on import: the title,
deadline and rules it claims would otherwise be the signer's word. The title and deadline the
history shows come from the known policy, never from a receipt.

Assurance: a receipt is **witnessed** only when it names a technician, is signed by a key this
helpdesk enrolled for that technician (table technicians, not revoked), and the device was
reached by a USB cable or was the bench computer itself. Everything else signed is
**self-attested**: a signed claim by whoever holds the key. A receipt that names a technician
but is not signed by an enrolled key is pinned to the staff id like any other self-attested
one, so naming a technician never bypasses the staff id's key.

What a receipt claims that the helpdesk must decide first (its exemptions, a disputed key) is
held in audit.store.holds; technician keys and the judging of one receipt are in
audit.store.technicians (re-exported here).

Everything here runs inside the caller's transaction (the importer's batch, a Store method).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TypedDict

from audit.attestation import Attester, format_fingerprint
from audit.errors import AuditError
from audit.i18n import N_, _
from audit.model import Exemption, Policy
from audit.policy import load_policy, preset_ids
from audit.policy.earlier import EarlierPreset, earlier_presets
from audit.provenance import connection_from_dict
from audit.store.bulk import AUDIT_COLUMNS, SCAN_COLUMNS, ReceiptRows
from audit.store.db import optional_day, parse_time, timestamp
from audit.store.holds import (
    Holds,
    Scope,
    active_digests,
    device_ids,
    exemption_problem,
    held_status,
)

# Split out to keep this module readable; callers import these from here.
from audit.store.technicians import ASSURANCE_WORDS as ASSURANCE_WORDS  # noqa: PLC0414
from audit.store.technicians import Assurance as Assurance  # noqa: PLC0414
from audit.store.technicians import Judgement as Judgement  # noqa: PLC0414
from audit.store.technicians import Technician as Technician  # noqa: PLC0414
from audit.store.technicians import enrol as enrol  # noqa: PLC0414
from audit.store.technicians import enrolled_keys as enrolled_keys  # noqa: PLC0414
from audit.store.technicians import judge as judge  # noqa: PLC0414
from audit.store.technicians import other_identities as other_identities  # noqa: PLC0414
from audit.store.technicians import revoke as revoke  # noqa: PLC0414
from audit.store.technicians import revoked_words as revoked_words  # noqa: PLC0414
from audit.store.technicians import technicians as technicians  # noqa: PLC0414
from audit.store.writes import RECEIPT_COLUMNS, exemption_row

log = logging.getLogger(__name__)


class PolicyTrust(StrEnum):
    BUILT_IN = "built-in"
    EARLIER_BUILT_IN = "earlier built-in"  # a text an earlier release shipped (earlier.py)
    ACCEPTED = "accepted"


POLICY_TRUST_WORDS = {  # marked: translated where they are shown, with _()
    PolicyTrust.BUILT_IN: N_("built-in policy"),
    PolicyTrust.EARLIER_BUILT_IN: N_("an earlier version of the built-in preset"),
    PolicyTrust.ACCEPTED: N_("accepted by this helpdesk"),
}


@dataclass(frozen=True)
class KnownPolicy:
    """A policy this helpdesk knows: id + version + sha256, and what the history shows of it."""

    id: str
    version: str
    sha256: str
    title: str
    deadline: date | None
    trust: PolicyTrust
    accepted_by: str = ""
    accepted_at: datetime | None = None
    file_name: str = ""
    issuer_key: str = ""  # the key that signed the accepted file ("" when not signed)


def _built_in(policy: Policy) -> KnownPolicy:
    return KnownPolicy(
        id=policy.id,
        version=policy_version(policy),
        sha256=policy.sha256,
        title=policy.title,
        deadline=policy.deadline,
        trust=PolicyTrust.BUILT_IN,
    )


def _earlier(preset: EarlierPreset) -> KnownPolicy:
    return KnownPolicy(
        id=preset.id,
        version=preset.version,
        sha256=preset.sha256,
        title=preset.title,
        deadline=preset.deadline,
        trust=PolicyTrust.EARLIER_BUILT_IN,
    )


def policy_version(policy: Policy) -> str:
    """A policy's version as the history stores and shows it (the file's `version`, 1 when it
    has none); the digest is what tells two texts of one version apart."""
    return str(policy.version)


def _readable_presets() -> list[Policy]:
    """Every shipped preset that loads. A damaged preset file (an install gone wrong) must not
    stop the history: receipts under it are then refused as unknown, and the log says why."""
    found = []
    for preset_id in preset_ids():
        try:
            found.append(load_policy(preset_id))
        except AuditError:
            log.error("the built-in policy %s cannot be read", preset_id, exc_info=True)
    return found


class KnownPolicies:
    """The built-in presets and the policies accepted in one history, by digest and by id."""

    def __init__(
        self,
        policies: list[KnownPolicy],
        *,
        require_signed: bool = False,
        exemptions: frozenset[str] | None = None,
        texts: dict[str, Policy | None] | None = None,
    ) -> None:
        self.require_signed = require_signed  # the helpdesk's setting (audit.policy.signed)
        # The accepted texts as they load now, by digest (None: no longer loads), read only by
        # load_with_texts (`verify --db`); None when not read.
        self.texts = texts
        # The digests of the exemptions the helpdesk accepted (audit.store.holds); None
        # without a history, where no exemption can be known.
        self.exemptions = exemptions
        self.by_sha: dict[str, KnownPolicy] = {}
        self.by_id: dict[str, KnownPolicy] = {}  # the built-in, else the latest accepted
        for known in policies:
            self.by_sha.setdefault(known.sha256, known)
            current = self.by_id.get(known.id)
            replaces = current is None or current.trust is PolicyTrust.ACCEPTED
            if replaces or known.trust is PolicyTrust.BUILT_IN:
                self.by_id[known.id] = known

    @classmethod
    def load(cls, conn: sqlite3.Connection | None) -> KnownPolicies:
        known = [_built_in(p) for p in _readable_presets()]
        known += [_earlier(p) for p in earlier_presets()]
        if conn is None:
            return cls(known)
        known += accepted_policies(conn)
        return cls(
            known, require_signed=signed_policies_required(conn), exemptions=active_digests(conn)
        )

    @classmethod
    def load_with_texts(cls, conn: sqlite3.Connection) -> KnownPolicies:
        """load(), and each accepted text parsed again (rule_dates.known_text): `verify --db`
        judges a receipt by its policy's rule dates, and holds it under a text that no longer
        loads, as the history does; the import reads them only for the audits that need them."""
        from audit.store.rule_dates import known_text

        known = cls.load(conn)
        known.texts = {
            k.sha256: known_text(conn, k.id, k.sha256)
            for k in known.by_sha.values()
            if k.trust is PolicyTrust.ACCEPTED
        }
        return known

    def text(self, policy_id: str, sha256: str) -> Policy | None:
        """The rules of the known text `sha256` of `policy_id`, or None (not known, not read:
        load_with_texts, or no longer loads)."""
        from audit.store.rule_dates import preset_text

        found = self.by_sha.get(sha256)
        if found is None or found.id != policy_id:
            return None
        if found.trust is PolicyTrust.ACCEPTED:
            return None if self.texts is None else self.texts.get(sha256)
        if policy_id not in preset_ids():  # an earlier text of a preset no longer shipped
            return None
        try:
            return preset_text(policy_id, sha256)
        except AuditError:
            log.error("the built-in policy %s cannot be read", policy_id, exc_info=True)
            return None

    def problem(self, policy_id: str, sha256: str) -> str:
        """Why a receipt's policy is not one this helpdesk knows, or "" when it is."""
        found = self.by_sha.get(sha256)
        if found is not None and found.id == policy_id:
            if self.require_signed and found.trust is PolicyTrust.ACCEPTED and not found.issuer_key:
                return _(
                    "its policy '{policy}' was accepted without its issuer's signature, and this "
                    "helpdesk now requires signed policies; ask the issuer for the signed file "
                    "(FILE with FILE.sig beside it) and accept it (device-audit policy accept "
                    "FILE)"
                ).format(policy=policy_id)
            return ""
        current = self.by_id.get(policy_id)
        if current is not None and current.trust is PolicyTrust.BUILT_IN:
            return _(
                "its policy '{policy}' is not the built-in policy of that id: the policy file's "
                "digest {digest}… differs from the built-in {built_in}… and from every earlier "
                "text a release of Device Audit shipped (a copy of the preset was changed); it "
                "cannot be counted under the built-in policy"
            ).format(policy=policy_id, digest=sha256[:12], built_in=current.sha256[:12])
        if current is not None:
            return _(
                "its policy '{policy}' differs from the one this helpdesk accepted (digest "
                "{digest}…, accepted {accepted}…); if the new text is genuine, accept that policy "
                "file first (File › Accept policy… in the app, or device-audit policy accept "
                "FILE)"
            ).format(policy=policy_id, digest=sha256[:12], accepted=current.sha256[:12])
        return _(
            "its policy '{policy}' (digest {digest}…) is neither a built-in policy nor one this "
            "helpdesk accepted; if it is your organisation's policy, accept its file first "
            "(File › Accept policy… in the app, or device-audit policy accept FILE), then import "
            "again"
        ).format(policy=policy_id, digest=sha256[:12])


def exemption_words(
    known: KnownPolicies,
    staff_id: str,
    exemptions: Sequence[Exemption],
    scope: Scope | None = None,
) -> str:
    """What `verify` says of a receipt "compliant with exceptions": with a history, the hold
    of the exemptions the helpdesk has not accepted (audit.store.holds); without one, that none
    can be known. `scope` (its device, policy and excepted findings) checks each exemption is
    used for what it was granted, as the import does."""
    rows = [exemption_row(0, e)[1:] for e in exemptions]
    if known.exemptions is None:
        # Shown, never stored: in the reader's language (a hold itself is stored in English)
        return _(
            "exemption not accepted by the helpdesk (without --db no accepted exemption is "
            "known): its exemptions are the signer's word until a helpdesk accepts them"
        )
    return exemption_problem(known.exemptions, staff_id, rows, scope)


def policy_deadline(conn: sqlite3.Connection, policy_id: str) -> date | None:
    """The deadline of the policy as the helpdesk knows it (a built-in preset or a policy it
    accepted: audit.store.trust), never as the newest receipt claims it. A policy known only
    from audits made here: as the most recent of those knew it."""
    return policy_heading(conn, policy_id)[1]


def policy_heading(conn: sqlite3.Connection, policy_id: str) -> tuple[str, date | None]:
    """(title, deadline) of a policy: from the known policy, else the latest local audit."""
    known = KnownPolicies.load(conn).by_id.get(policy_id)
    if known is not None:
        return known.title, known.deadline
    row = conn.execute(
        "SELECT policy_title, deadline FROM audits WHERE policy_id = ?"
        " ORDER BY origin = 'local' DESC, at DESC LIMIT 1",
        (policy_id,),
    ).fetchone()
    return ("", None) if row is None else (str(row[0]), optional_day(row[1]))


class AssuranceCounts(TypedDict):
    witnessed: int
    self_attested: int


def assurance_counts(conn: sqlite3.Connection, policy_id: str) -> AssuranceCounts:
    """Of the latest audits under a policy: {"witnessed": n, "self_attested": m}."""
    counts = dict(
        conn.execute(
            "SELECT assurance, count(*) FROM audits WHERE policy_id = ? AND latest = 1"
            " AND assurance != '' GROUP BY assurance",
            (policy_id,),
        ).fetchall()
    )
    return {
        "witnessed": int(counts.get(Assurance.WITNESSED.value, 0)),
        "self_attested": int(counts.get(Assurance.SELF_ATTESTED.value, 0)),
    }


ACCEPTED_COLUMNS = (
    "policy_id, version, sha256, title, deadline, accepted_by, accepted_at, file_name, issuer_key"
)
REQUIRE_SIGNED = "require_signed_policies"


def signed_policies_required(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM settings WHERE name = ?", (REQUIRE_SIGNED,)).fetchone()
    return row is not None and row[0] == "on"


def require_signed_policies(
    conn: sqlite3.Connection, required: bool, *, by: str, at: datetime
) -> None:
    conn.execute(
        "INSERT INTO settings (name, value, set_by, set_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value, set_by = excluded.set_by,"
        " set_at = excluded.set_at",
        (REQUIRE_SIGNED, "on" if required else "off", by, timestamp(at)),
    )


def accepted_policies(conn: sqlite3.Connection) -> list[KnownPolicy]:
    return [
        KnownPolicy(
            id=row[0],
            version=row[1],
            sha256=row[2],
            title=row[3],
            deadline=optional_day(row[4]),
            trust=PolicyTrust.ACCEPTED,
            accepted_by=row[5],
            accepted_at=parse_time(row[6]),
            file_name=row[7],
            issuer_key=row[8],
        )
        for row in conn.execute(
            f"SELECT {ACCEPTED_COLUMNS} FROM accepted_policies ORDER BY accepted_at, sha256"
        )
    ]


def accept_policy(
    conn: sqlite3.Connection,
    policy: Policy,
    content: bytes,
    *,
    file_name: str,
    by: str,
    at: datetime,
) -> bool:
    """Record a policy file as accepted; False when that exact file was accepted before (and
    gains nothing: accepted again with its signature, it records the issuer's key)."""
    cursor = conn.execute(
        "INSERT INTO accepted_policies (sha256, policy_id, version, title, deadline, announced,"
        " content, file_name, accepted_by, accepted_at, issuer_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO UPDATE"
        " SET issuer_key = excluded.issuer_key"  # the same text, now with its signature
        " WHERE accepted_policies.issuer_key = '' AND excluded.issuer_key <> ''",
        (
            policy.sha256,
            policy.id,
            policy_version(policy),
            policy.title,
            None if policy.deadline is None else policy.deadline.isoformat(),
            None if policy.announced is None else policy.announced.isoformat(),
            content,
            file_name,
            by,
            timestamp(at),
            policy.issuer_key,
        ),
    )
    return cursor.rowcount == 1


# --- an imported receipt -----------------------------------------------------------------------

_AUDIT_INDEX = {name.strip(): index for index, name in enumerate(AUDIT_COLUMNS.split(","))}
_RECEIPT_INDEX = {name.strip(): index for index, name in enumerate(RECEIPT_COLUMNS.split(","))}


@dataclass(frozen=True)
class Vetted:
    """A verified receipt as this helpdesk counts it: its rows with the known policy's title and
    deadline and the pinned identity, and what it is worth."""

    rows: ReceiptRows
    judgement: Judgement


def vet(
    rows: ReceiptRows, policies: KnownPolicies, enrolled: dict[str, Technician]
) -> Vetted | str:
    """The receipt as it is to be stored, or why it is refused."""
    audit = list(rows.audit)
    policy_id = str(audit[_AUDIT_INDEX["policy_id"]])
    problem = policies.problem(policy_id, str(audit[_AUDIT_INDEX["policy_sha256"]]))
    if problem:
        return problem
    known = policies.by_sha[str(audit[_AUDIT_INDEX["policy_sha256"]])]
    audit[_AUDIT_INDEX["policy_title"]] = known.title
    audit[_AUDIT_INDEX["deadline"]] = None if known.deadline is None else known.deadline.isoformat()
    raw = audit[_AUDIT_INDEX["connection"]]
    try:
        connection = connection_from_dict(json.loads(str(raw))) if raw is not None else None
    except ValueError:
        connection = None
    attester = Attester(
        name=rows.person_name,
        staff_id=str(audit[_AUDIT_INDEX["staff_id"]]),
        technician=str(audit[_AUDIT_INDEX["technician"]]),
    )
    judgement = judge(attester, rows.signer, connection, enrolled)
    if judgement.refusal:
        return judgement.refusal
    receipt = list(rows.receipt)
    receipt[_RECEIPT_INDEX["identity"]] = judgement.identity
    return Vetted(
        rows._replace(identity=judgement.identity, audit=tuple(audit), receipt=tuple(receipt)),
        judgement,
    )


def signer_identities(conn: sqlite3.Connection, signers: set[str]) -> dict[str, set[str]]:
    """Key -> every identity (staff id, "technician:NAME") it has signed for in this history."""
    found: dict[str, set[str]] = {}
    ordered = sorted(signers)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for signer, identity in conn.execute(
            f"SELECT signer, identity FROM keys WHERE signer IN ({marks})", chunk
        ):
            found.setdefault(signer, set()).add(identity)
    return found


def two_identities_note(signer: str, identity: str, seen: set[str]) -> str:
    """The flag for a key that signed for someone else before, or "". Stored in the trust
    note, so English (audit.store.holds)."""
    others = sorted(seen - {identity})
    if not others:
        return ""
    names = ", ".join(o.replace("technician:", "technician ") for o in others)
    return (
        f"the key {format_fingerprint(signer)} has also signed for {names}: one key under two "
        "identities; check with both people which of them holds it"
    )


class BatchTrust:
    """The trust checks of one import batch, inside its transaction: each receipt is vetted
    (known policy, assurance, pinned identity) before the key and duplicate checks, and each
    imported one gets its assurance and notes written after the batch's rows."""

    def __init__(self, conn: sqlite3.Connection, signers: set[str]) -> None:
        self.policies = KnownPolicies.load(conn)
        self.enrolled = enrolled_keys(conn)
        self.holds = Holds.load(conn)
        self.seen = signer_identities(conn, signers)
        self.judged: dict[str, Judgement] = {}  # payload digest -> judgement
        self.marks: list[tuple[str, str, int]] = []
        self.suspects: list[tuple[str, str]] = []  # (staff id, the key accepted later)

    def vet(self, rows: ReceiptRows) -> ReceiptRows | str:
        vetted = vet(rows, self.policies, self.enrolled)
        if isinstance(vetted, str):
            return vetted
        held = self.hold(vetted.rows)
        judgement = vetted.judgement
        if held is not None:
            note = "; ".join(part for part in (judgement.note, *held[1]) if part)
            judgement = replace(judgement, note=note)
            vetted = Vetted(held[0], judgement)
        self.judged[rows.payload_sha256] = judgement
        return vetted.rows

    def hold(self, rows: ReceiptRows) -> tuple[ReceiptRows, list[str]] | None:
        """The rows as held (audit.store.holds: an exemption the helpdesk has not accepted, a
        disputed key) and the holds, or None when it counts as it claims."""
        audit = list(rows.audit)
        claimed = str(audit[_AUDIT_INDEX["status"]])
        holds = self.holds.of(
            staff_id=str(audit[_AUDIT_INDEX["staff_id"]]),
            identity=rows.identity,
            signer=rows.signer,
            claimed=claimed,
            exemptions=rows.exemptions,
            scope=_scope(rows) if claimed == _EXCEPTED_STATUS else None,
        )
        if not holds:
            return None
        audit[_AUDIT_INDEX["status"]] = held_status(claimed, holds)
        return rows._replace(audit=tuple(audit)), holds

    def imported(self, rows: ReceiptRows, audit_id: int, *, new_key: bool = False) -> str:
        """Record what an imported receipt is worth; returns the notes its report line says.
        `new_key`: its key was accepted as a new key for the staff id, which makes the receipts
        signed by the key seen first suspect (the first key seen is trusted only for coming
        first: a forger who imports first would otherwise make the genuine key look forged)."""
        judgement = self.judged[rows.payload_sha256]
        if new_key and not rows.identity.startswith("technician:"):
            self.suspects.append((rows.identity, rows.signer))
        seen = self.seen.setdefault(rows.signer, set())
        enrolled = rows.signer in self.enrolled
        flag = "" if enrolled else two_identities_note(rows.signer, rows.identity, seen)
        seen.add(rows.identity)
        note = "; ".join(part for part in (judgement.note, flag) if part)
        self.marks.append((judgement.assurance.value, note, audit_id))
        return note

    def with_audits(self) -> dict[int, tuple[str, str]]:
        """Audit id -> (assurance, notes) to write in the imported audits' own rows
        (bulk.ImportBatch.flush), so a row is not written twice in one transaction (each
        UPDATE is a new row version and index entries on PostgreSQL). All but a witnessed one:
        the team history's row rule checks that against its stored receipt (pg_roles), written
        after the audit, so flush() marks it afterwards."""
        return {
            audit_id: (assurance, note)
            for assurance, note, audit_id in self.marks
            if assurance != Assurance.WITNESSED.value
        }

    def flush(self, conn: sqlite3.Connection) -> None:
        """The marks not written with the audits (with_audits), and the suspects' notes."""
        witnessed = [mark for mark in self.marks if mark[0] == Assurance.WITNESSED.value]
        conn.executemany("UPDATE audits SET assurance = ?, trust_note = ? WHERE id = ?", witnessed)
        for staff_id, later in self.suspects:
            note = suspect_note(staff_id, later)
            conn.execute(
                "UPDATE audits SET trust_note = CASE WHEN trust_note = '' THEN ?"
                " ELSE trust_note || '; ' || ? END"
                " WHERE staff_id = ? AND coalesce(signer, '') NOT IN ('', ?)"
                " AND instr(trust_note, ?) = 0",
                (note, note, staff_id, later, note),
            )


_EXCEPTED_STATUS = "compliant_with_exceptions"
_SCAN_DAY = [name.strip() for name in SCAN_COLUMNS.split(",")].index("day")


def _scope(rows: ReceiptRows) -> Scope:
    """What the receipt's exemptions must be for (audit.store.holds.Scope): its device, its
    policy, and the findings of its rescan it says they excepted (writes.INSERT_FINDING)."""
    audit = rows.audit
    device = str(audit[_AUDIT_INDEX["device_id"]])
    excepted = tuple(
        (str(f[0]), str(f[2]), str(f[4]), str(f[9] or ""))
        for f in rows.findings_rescan
        if f[7] == "excepted"
    )
    return Scope(
        device_ids(device, audit[_AUDIT_INDEX["device_json"]]),
        str(audit[_AUDIT_INDEX["policy_id"]]),
        excepted,
        day=str(rows.rescan[_SCAN_DAY] or "")[:10],  # judged, not counted (times.counted_day)
    )


def suspect_note(staff_id: str, later: str) -> str:
    """What an earlier receipt of a staff id says once another key was accepted for them.
    Stored in the trust note and found there again as it is (flush): English."""
    return (
        f"another key ({format_fingerprint(later)}) was later accepted for staff id {staff_id}: "
        "if only one of the keys is theirs, the one seen first (this receipt's) is the suspect; "
        "check with the person which fingerprint their own Device Audit shows"
    )
