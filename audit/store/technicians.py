"""Technician keys and what one signed receipt is worth: self-attested or witnessed.

A receipt is **witnessed** only when it names a technician exactly as this helpdesk enrolled
them, is signed by the key enrolled for that technician, and the device was reached by a USB
cable (or was the bench computer). A key enrolled for a technician is never a staff member's
own key, and a name that only looks like an enrolled technician's (another case, a look-alike
dash, an invisible character, extra spaces) is refused, on enrolment and on import. Revoking a
key refuses what it signs from then on; receipts already here stay witnessed and say when the
key was revoked. audit.store.trust re-exports all of this; it was split out to keep each module
readable.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from audit.attestation import Attester, format_fingerprint
from audit.confusables import TECHNICIAN_PREFIX, mixed_alphabets, reads_as_technician
from audit.i18n import N_, _
from audit.model import Connection
from audit.provenance import reached_words
from audit.store.db import optional_time, parse_time, timestamp
from audit.store.lookalike import identity_look
from audit.text import visible


class Assurance(StrEnum):
    SELF_ATTESTED = "self-attested"
    WITNESSED = "witnessed"


ASSURANCE_WORDS = {  # marked: translated where they are shown, with _()
    Assurance.SELF_ATTESTED: N_("self-attested (a signed claim by the holder of the key)"),
    Assurance.WITNESSED: N_("witnessed (signed at the bench by an enrolled technician's key)"),
}


# --- technicians -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Technician:
    fingerprint: str
    name: str
    enrolled_by: str
    enrolled_at: datetime
    revoked_by: str = ""
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def technicians(conn: sqlite3.Connection) -> list[Technician]:
    return [
        Technician(row[0], row[1], row[2], parse_time(row[3]), row[4], optional_time(row[5]))
        for row in conn.execute(
            "SELECT fingerprint, name, enrolled_by, enrolled_at, revoked_by, revoked_at"
            " FROM technicians ORDER BY enrolled_at, fingerprint"
        )
    ]


def enrol(
    conn: sqlite3.Connection, *, name: str, fingerprint: str, by: str, at: datetime
) -> Technician:
    """Enrol a technician's key (fingerprint as lowercase hex). A key enrolled before, even if
    revoked since, is refused: enrolment is the record of who held it."""
    if not name.strip():
        raise ValueError(_("a technician needs a name"))
    mixed = mixed_alphabets("technician's name", name.strip())
    if mixed:
        raise ValueError(mixed)
    _refuse_squatted(conn, name.strip())
    existing = conn.execute(
        "SELECT name, revoked_at FROM technicians WHERE fingerprint = ?", (fingerprint,)
    ).fetchone()
    if existing is not None:
        message = (
            _("the key {key} is already revoked for technician {name}; a key is enrolled once")
            if existing[1] is not None
            else _(
                "the key {key} is already enrolled for technician {name}; a key is enrolled once"
            )
        )
        raise ValueError(message.format(key=format_fingerprint(fingerprint), name=existing[0]))
    # A staff member's pinned key made a technician's: every self-attested receipt they sign
    # could then be presented as witnessed at the bench, and their own past receipts would
    # read as a technician's (the reverse, a technician key pinned as a staff key, is refused
    # on import: judge).
    staff = [
        (str(row[0]), str(row[1])[:10])
        for row in conn.execute(
            "SELECT identity, first_seen FROM keys WHERE signer = ?"
            " AND identity NOT LIKE 'technician:%' ORDER BY first_seen, identity",
            (fingerprint,),
        )
    ]
    if staff:
        whose = ", ".join(
            _("staff id {staff_id} (since {day})").format(staff_id=visible(identity), day=day)
            for identity, day in staff
        )
        raise ValueError(
            _(
                "the key {key} is pinned in this history as the own key of {whose}: a staff "
                "member's key is never a technician's, or their own receipts would count as "
                "witnessed; ask the technician for the fingerprint of the key of the bench "
                "computer they sign with (it is shown on a receipt made there)"
            ).format(key=format_fingerprint(fingerprint), whose=whose)
        )
    # A name that only looks like an enrolled one ("sam lee", "Sam\u2010Lee", a zero-width
    # space) would show as that technician everywhere while pinning a key of its own.
    for (other,) in conn.execute("SELECT DISTINCT name FROM technicians"):
        if other != name.strip() and identity_look(other) == identity_look(name):
            raise ValueError(
                _(
                    "the name {name} looks like technician {other}, who is enrolled already "
                    "(another case, a look-alike dash, letter or digit, an invisible character or "
                    "extra spaces); to enrol another key of theirs, type the name exactly as "
                    "{other}, otherwise give this technician a name that reads differently"
                ).format(name=repr(visible(name.strip())), other=repr(other))
            )
    conn.execute(
        "INSERT INTO technicians (fingerprint, name, enrolled_by, enrolled_at) VALUES (?, ?, ?, ?)",
        (fingerprint, name.strip(), by, timestamp(at)),
    )
    return Technician(fingerprint, name.strip(), by, at)


def _refuse_squatted(conn: sqlite3.Connection, name: str) -> None:
    """A staff receipt whose staff id reads as "technician:NAME" (imported before the import
    refused such ids) pinned its key to the identity this technician's receipts are kept
    under: enrolled as NAME, the technician's genuine receipts would be refused as a key change.
    So the name is refused, naming the staff id, and the technician enrolled under a name that
    reads differently."""
    look = identity_look(f"{TECHNICIAN_PREFIX}{name}")
    squats = [
        (str(identity), str(signer), str(first)[:10])
        for identity, signer, first in conn.execute(
            "SELECT identity, signer, first_seen FROM keys WHERE signer NOT IN"
            " (SELECT fingerprint FROM technicians) ORDER BY first_seen, identity"
        )
        if reads_as_technician(str(identity)) and identity_look(str(identity)) == look
    ]
    if squats:
        identity, signer, day = squats[0]
        raise ValueError(
            _(
                "staff id {staff_id} already holds the place of technician {name} in this "
                "history: a receipt under that staff id, signed by key {key} (first seen {day}), "
                "is no enrolled technician's, so enrolled as {name} the technician's own receipts "
                "would be refused; tell the compliance office about that receipt, and enrol the "
                "technician under a name that reads differently (for example with their staff id "
                "after it)"
            ).format(
                staff_id=repr(visible(identity)),
                name=repr(visible(name)),
                key=format_fingerprint(signer),
                day=day,
            )
        )


def revoke(conn: sqlite3.Connection, *, fingerprint: str, by: str, at: datetime) -> Technician:
    row = conn.execute(
        "SELECT name, enrolled_by, enrolled_at, revoked_at FROM technicians WHERE fingerprint = ?",
        (fingerprint,),
    ).fetchone()
    if row is None:
        raise ValueError(
            _("no technician key {key} is enrolled").format(key=format_fingerprint(fingerprint))
        )
    if row[3] is not None:
        raise ValueError(
            _("the key {key} was revoked already").format(key=format_fingerprint(fingerprint))
        )
    conn.execute(
        "UPDATE technicians SET revoked_by = ?, revoked_at = ? WHERE fingerprint = ?",
        (by, timestamp(at), fingerprint),
    )
    tech = Technician(fingerprint, row[0], row[1], parse_time(row[2]), by, at)
    # Receipts already here were signed and arrived before the revocation: they stay witnessed,
    # and say the key was revoked since. One dated at or after it (a clock ahead) is not.
    note = revoked_words(tech)
    conn.execute(
        "UPDATE audits SET assurance = CASE WHEN attested_at >= ? THEN 'self-attested'"
        " ELSE assurance END, trust_note = CASE WHEN trust_note = '' THEN ?"
        " ELSE trust_note || '; ' || ? END"
        " WHERE signer = ? AND assurance = 'witnessed' AND instr(trust_note, ?) = 0",
        (timestamp(at), note, note, fingerprint, note),
    )
    return tech


# --- judging one receipt -----------------------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    """What a signed receipt is worth here: its level, whose key is pinned (a staff id, or
    "technician:NAME" for an enrolled key), why a technician claim was not taken (note), and
    why it must be refused outright (refusal; "" when not)."""

    assurance: Assurance
    identity: str
    note: str = ""
    refusal: str = ""


def judge(
    attester: Attester,
    signer: str,
    connection: Connection | None,
    enrolled: dict[str, Technician],
    *,
    signed_before: datetime | None = None,
) -> Judgement:
    """`enrolled` maps fingerprints to every technician ever enrolled (revoked ones too).

    `signed_before`: a time the receipt is known to have existed by (verify passes its signed
    time, with --db); a receipt of a revoked key known to exist before the revocation stays
    witnessed with a note. The import passes nothing: a receipt arriving after the revocation
    may have been backdated by whoever holds the key, so it is refused.

    A receipt signed by an enrolled technician key that names no technician is refused: pinned
    as the staff id's key, the technician's key would sign self-attested receipts in that
    person's name from then on, and the receipt does not claim to be witnessed, so it cannot
    be counted as witnessed either. Its identity is the technician's, so a local audit that
    records it anyway pins nothing to the staff id."""
    technician = attester.technician
    tech = enrolled.get(signer)
    if tech is not None and not technician:
        return Judgement(
            Assurance.SELF_ATTESTED,
            f"technician:{tech.name}",
            refusal=_(
                "it is signed by technician {name}'s enrolled key {key} but names no technician: "
                "a technician's key is never taken as staff id {staff_id}'s own key (it would "
                "then sign receipts in their name); ask for the audit to be signed again at the "
                'bench naming the technician (--technician "{name}")'
            ).format(name=tech.name, key=format_fingerprint(signer), staff_id=attester.staff_id),
        )
    if not technician:
        return Judgement(Assurance.SELF_ATTESTED, attester.staff_id)
    revoked_note = ""
    if tech is not None and tech.revoked_at is not None:
        if signed_before is None or signed_before >= tech.revoked_at:
            return Judgement(
                Assurance.SELF_ATTESTED,
                attester.staff_id,
                refusal=_(
                    "it is signed by technician {name}'s key {key}, which {by} revoked on {day}: "
                    "a receipt signed or arriving after the revocation is not witnessed; ask for "
                    "the audit to be done again"
                ).format(
                    name=tech.name,
                    key=format_fingerprint(signer),
                    by=tech.revoked_by or _("the helpdesk"),
                    day=f"{tech.revoked_at:%Y-%m-%d}",
                ),
            )
        revoked_note = revoked_words(tech)
    if tech is None:
        look = identity_look(technician)
        holders = [t for t in enrolled.values() if t.active and identity_look(t.name) == look]
        if holders:
            same = holders[0].name == technician
            return Judgement(
                Assurance.SELF_ATTESTED,
                attester.staff_id,
                refusal=(
                    _(
                        "it names technician {technician}, but it is signed by key {key}, not by "
                        "the key this helpdesk enrolled for {name} ({enrolled}): someone else "
                        "signed in the technician's name"
                    )
                    if same
                    else _(
                        "it names technician {technician}, which looks like enrolled technician "
                        "{shown}, but it is signed by key {key}, not by the key this helpdesk "
                        "enrolled for {name} ({enrolled}): someone else signed in the "
                        "technician's name"
                    )
                ).format(
                    technician=repr(visible(technician)),
                    shown=repr(holders[0].name),
                    key=format_fingerprint(signer),
                    name=holders[0].name,
                    enrolled=format_fingerprint(holders[0].fingerprint),
                ),
            )
        return Judgement(
            Assurance.SELF_ATTESTED,
            attester.staff_id,
            # A note is stored in the history's trust note: English (audit.store.holds)
            note=f"it names technician {technician}, but its key {format_fingerprint(signer)} "
            "is not a technician key this helpdesk enrolled, so it counts as self-attested and "
            f"is checked against staff id {attester.staff_id}'s key "
            "(enrol the technician's key: device-audit technician enrol)",
        )
    identity = f"technician:{tech.name}"
    if tech.name != technician:
        alike = identity_look(tech.name) == identity_look(technician)
        return Judgement(
            Assurance.SELF_ATTESTED,
            identity,
            refusal=(
                _(
                    "it names technician {technician}, but it is signed by the key enrolled for "
                    "technician {name} (the name only looks the same: another case, a look-alike "
                    "dash, an invisible character or extra spaces); ask for it to be signed again "
                    "with the name exactly as enrolled"
                )
                if alike
                else _(
                    "it names technician {technician}, but it is signed by the key enrolled for "
                    "technician {name}"
                )
            ).format(technician=repr(visible(technician)), name=repr(tech.name)),
        )
    if connection is None:
        return Judgement(
            Assurance.SELF_ATTESTED,
            identity,
            note=f"signed by enrolled technician {tech.name}, but the receipt does not record "
            "how the phone was reached (a USB cable or the network), so it is not witnessed",
        )
    if not connection.cabled:
        return Judgement(
            Assurance.SELF_ATTESTED,
            identity,
            # Stored, so in English whatever the language (the history's notes are data).
            note=f"signed by enrolled technician {tech.name}, but the phone was reached "
            f"{reached_words(connection, translated=False)}: a technician cannot see such a "
            "phone, so it is not witnessed",
        )
    return Judgement(Assurance.WITNESSED, identity, note=revoked_note)


def revoked_words(tech: Technician) -> str:
    """The note a witnessed receipt of a since-revoked technician key carries. Stored in the
    trust note and found there again as it is (revoke): English, never translated."""
    when = "" if tech.revoked_at is None else f" on {tech.revoked_at:%Y-%m-%d}"
    return (
        f"technician revoked{when}: {tech.name}'s key was revoked by "
        f"{tech.revoked_by or 'the helpdesk'} after this receipt was signed; it stays witnessed "
        "as of then"
    )


def enrolled_keys(conn: sqlite3.Connection) -> dict[str, Technician]:
    return {t.fingerprint: t for t in technicians(conn)}


def other_identities(conn: sqlite3.Connection, signer: str, identity: str) -> list[str]:
    """The other staff ids (or technicians) this key already signed for."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT identity FROM keys WHERE signer = ? AND identity != ? ORDER BY first_seen",
            (signer, identity),
        )
    ]
