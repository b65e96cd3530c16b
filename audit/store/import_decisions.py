"""What becomes of each verified receipt of an import batch: a duplicate, refused (an altered
or re-signed copy, another key than the one pinned for its signer, a look-alike identity, an
unknown policy), or imported; the rules are in audit.store.importer's docstring.

Kept apart from the reading and verifying of files (audit.store.importer, which re-exports
`chunks`) because this half runs inside the batch's write transaction, against the history and
the receipts before it in the batch, while the other runs outside the lock, in worker processes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from audit.attestation import VerifiedAttestation, format_fingerprint
from audit.i18n import _
from audit.store.bulk import ImportBatch, ReceiptRows
from audit.store.db import timestamp
from audit.store.evidence import rejudge_imported
from audit.store.holds import Accepted, raise_dispute, rejudge, settle
from audit.store.lookalike import lookalike_problem, pinned_lookalikes
from audit.store.records import FileOutcome, ImportResult, KeyNote
from audit.store.times import announced_days, receipt_announced_note, with_counted_day
from audit.store.trust import BatchTrust
from audit.store.writes import RECEIPT_COLUMNS, THIS_COMPUTER, key_identity


@dataclass(frozen=True)
class _Candidate:
    """A receipt that verified and reads well, waiting for the duplicate and key checks."""

    path: Path
    data: bytes
    file_sha256: str
    rows: ReceiptRows


def _refused(
    path: Path, reason: str, receipt: VerifiedAttestation | ReceiptRows | None = None, **extra: bool
) -> FileOutcome:
    return _outcome(path, ImportResult.REFUSED, reason, receipt, **extra)


def _duplicate(path: Path, reason: str, receipt: ReceiptRows) -> FileOutcome:
    return _outcome(path, ImportResult.DUPLICATE, reason, receipt)


def _outcome(
    path: Path,
    result: ImportResult,
    reason: str,
    receipt: VerifiedAttestation | ReceiptRows | None,
    **extra: bool,
) -> FileOutcome:
    """What became of a file, naming the receipt and its signer when it verified."""
    if receipt is None:
        identity = name = ""
    elif isinstance(receipt, ReceiptRows):
        identity, name = receipt.identity, receipt.person_name
    else:
        identity, name = key_identity(receipt.attester), receipt.attester.name
    return FileOutcome(
        path=path,
        result=result,
        reason=reason,
        attestation_id=receipt.id if receipt is not None else "",
        signer=receipt.signer if receipt is not None else "",
        identity=identity,
        person_name=name,
        **extra,
    )


def _store_batch(
    conn: sqlite3.Connection, items: list[_Candidate | FileOutcome], accepted: Accepted
) -> list[FileOutcome]:
    """Decide each verified receipt (duplicate, refused key, imported) in file order, against
    the history and the receipts before it in the batch, then write the imported ones. A key
    the helpdesk accepts settles the disputes of its id first; a receipt refused for its key
    raises one (audit.store.holds), and the audits of the ids involved are judged again."""
    candidates = [item for item in items if isinstance(item, _Candidate)]
    if not candidates:
        return [item for item in items if isinstance(item, FileOutcome)]
    settled = {identity for identity, key in accepted if settle(conn, identity, key, at=_now())}
    trust = BatchTrust(conn, {c.rows.signer for c in candidates})
    items = [_vetted(item, trust) if isinstance(item, _Candidate) else item for item in items]
    candidates = [item for item in items if isinstance(item, _Candidate)]
    stored = _stored_receipts(conn, candidates)
    keys = _known_keys(conn, {c.rows.identity for c in candidates})
    lookalikes = pinned_lookalikes(conn)
    batch = ImportBatch(conn)
    now = timestamp(datetime.now(UTC))
    announced = announced_days(conn)
    outcomes = []
    disputes: list[tuple[str, str, str, str]] = []
    for item in items:
        if isinstance(item, FileOutcome):
            outcomes.append(item)
            continue
        outcome = _decide(item, stored, keys, accepted) or _lookalike(item, keys, lookalikes)
        if outcome is not None:
            disputes += _disputed(item, outcome, stored, keys)
        if outcome is None:
            outcome = _add(batch, item, stored, keys, now)
            note = trust.imported(item.rows, outcome.audit_id or 0, new_key=outcome.key_changed)
            early = receipt_announced_note(item.rows, announced)
            note = "; ".join(part for part in (note, early) if part)
            if note:
                reason = "; ".join(part for part in (outcome.reason, note) if part)
                outcome = replace(outcome, reason=reason)
        outcomes.append(outcome)
    batch.flush(trust.with_audits())
    trust.flush(conn)
    for identity, held, refused, day in disputes:
        raise_dispute(conn, identity, held, refused, refused_day=day, at=_now())
    rejudge(conn, identities=settled | {d[0] for d in disputes})
    outcomes = rejudge_imported(conn, outcomes)  # what each rests on (audit.store.evidence)
    return overtaken_imports(conn, outcomes)


# A named audit is judged but not counted only when a later unnamed check of its device under
# its policy overtook it (audit.store.chains.COUNTED_STATUS); the day of the newest such check.
# The batch's audits first, then each one's device (SQLite reads CROSS JOIN in the order
# written; otherwise it read every unnamed audit of the history for each chunk).
_OVERTAKEN = (
    "SELECT a.id, max(o.day) FROM audits a CROSS JOIN audits o"
    " WHERE a.id IN ({marks}) AND a.staff_id <> '' AND a.status IS NOT NULL"
    " AND a.counted_status IS NULL AND o.device_id = a.device_id"
    " AND o.policy_id || '' = a.policy_id AND o.staff_id || '' = '' AND o.status IS NOT NULL"
    " GROUP BY a.id"
)


def overtaken_imports(conn: sqlite3.Connection, outcomes: list[FileOutcome]) -> list[FileOutcome]:
    """Say on its line of the import report when an imported receipt does not count because a
    later unnamed check of the same phone (at the bench) does: the newest check of a device
    decides (audit.store.chains.COUNTED_STATUS), so an older receipt handed in after it is kept
    but not counted, and whoever imports would otherwise read "imported" and believe the phone
    counts as the receipt says. Read from the stored rows once the batch is written and linked,
    so it says what the history counts, not what the receipt claims."""
    ids = [str(o.audit_id) for o in outcomes if o.audit_id]
    days: dict[int, str] = {}
    for chunk in chunks(ids, 400):
        marks = ", ".join("?" * len(chunk))
        for audit_id, day in conn.execute(_OVERTAKEN.format(marks=marks), [int(i) for i in chunk]):
            days[int(audit_id)] = str(day)
    if not days:
        return outcomes
    return [
        replace(o, reason="; ".join(p for p in (o.reason, _overtaken(days[o.audit_id])) if p))
        if o.audit_id in days
        else o
        for o in outcomes
    ]


def _overtaken(day: str) -> str:
    return _(
        "it does not count, because a later check of this phone at the bench ({day}) counts "
        "instead: name the person at the bench to join them"
    ).format(day=day)


def _now() -> datetime:
    return datetime.now(UTC)


def _disputed(
    c: _Candidate, outcome: FileOutcome, stored: Stored, keys: dict[str, dict[str, str]]
) -> list[tuple[str, str, str, str]]:
    """(identity, key held, key refused, day signed) for a receipt of a staff id refused for
    its key: another key is pinned for the id, or the history holds the same content signed
    by another key for the same id (a re-signed copy that came first)."""
    v = c.rows
    if outcome.result is not ImportResult.REFUSED or v.identity.startswith("technician:"):
        return []
    pinned = keys.get(v.identity, {})
    if outcome.key_changed:
        return [(v.identity, held, v.signer, _signed_day(v)) for held in pinned]
    same = stored.get(v.payload_sha256)
    if same is not None and same[2] != v.signer and same[2] in pinned:
        return [(v.identity, same[2], v.signer, _signed_day(v))]
    return []


def _vetted(c: _Candidate, trust: BatchTrust) -> _Candidate | FileOutcome:
    """The receipt with its known policy's title and deadline and the identity its key is
    pinned to (audit.store.trust), or refused: an unknown policy, a revoked technician key."""
    rows = trust.vet(c.rows)
    if isinstance(rows, str):
        return _refused(c.path, rows, c.rows)
    return replace(c, rows=with_counted_day(rows, date.today()))


Stored = dict[str, tuple[str, str, str]]  # uid or payload digest -> (uid, payload, signer)


def _add(
    batch: ImportBatch,
    c: _Candidate,
    stored: Stored,
    keys: dict[str, dict[str, str]],
    now: str,
) -> FileOutcome:
    v = c.rows
    identity = v.identity
    known = keys.setdefault(identity, {})
    if v.signer in known:
        note = KeyNote.KNOWN
    else:
        note = KeyNote.ACCEPTED if known else KeyNote.FIRST
        batch.trust(identity, v.signer, source=c.path.name, at=now, accepted=bool(known))
        known[v.signer] = _seen(c.path.name, now)
    audit_id = batch.add(
        v,
        envelope=c.data,
        file_sha256=c.file_sha256,
        key_note=note,
        file_name=c.path.name,
        recorded_at=now,
    )
    stored[v.id] = stored[v.payload_sha256] = (v.id, v.payload_sha256, v.signer)
    return FileOutcome(
        path=c.path,
        result=ImportResult.IMPORTED,
        reason=_("accepted as a new key for this signer") if note is KeyNote.ACCEPTED else "",
        attestation_id=v.id,
        audit_id=audit_id,
        signer=v.signer,
        identity=identity,
        person_name=v.person_name,
        key_changed=note is KeyNote.ACCEPTED,
    )


def _stored_receipts(conn: sqlite3.Connection, candidates: Sequence[_Candidate]) -> Stored:
    uids = [c.rows.id for c in candidates]
    payloads = [c.rows.payload_sha256 for c in candidates]
    found: Stored = {}
    for chunk_uids, chunk_payloads in zip(chunks(uids, 400), chunks(payloads, 400), strict=True):
        marks = ", ".join("?" * len(chunk_uids))
        for uid, payload, signer in conn.execute(
            "SELECT uid, payload_sha256, signer FROM attestations"
            f" WHERE uid IN ({marks}) OR payload_sha256 IN ({marks})",
            [*chunk_uids, *chunk_payloads],
        ):
            found[uid] = found[payload] = (uid, payload, signer)
    return found


def _known_keys(conn: sqlite3.Connection, identities: set[str]) -> dict[str, dict[str, str]]:
    """identity -> {signer: where it was first seen}, oldest first."""
    keys: dict[str, dict[str, str]] = {}
    for chunk in chunks(sorted(identities), 500):
        marks = ", ".join("?" * len(chunk))
        for identity, signer, source, first_seen in conn.execute(
            f"SELECT identity, signer, source, first_seen FROM keys WHERE identity IN ({marks})"
            " ORDER BY first_seen, accepted, signer",
            list(chunk),
        ):
            keys.setdefault(identity, {})[signer] = _seen(str(source), str(first_seen))
    return keys


def _seen(source: str, first_seen: str) -> str:
    """Where and when a key was first seen: "receipt.json on 2025-03-01"."""
    shown = _(THIS_COMPUTER) if source == THIS_COMPUTER else source  # a file's name otherwise
    return _("{source} on {day}").format(source=shown, day=first_seen[:10])


def _lookalike(
    c: _Candidate, keys: dict[str, dict[str, str]], lookalikes: dict[str, str]
) -> FileOutcome | None:
    """Refused when its identity looks like another pinned one (see store.lookalike)."""
    problem = lookalike_problem(c.rows, keys, lookalikes)
    return _refused(c.path, problem, c.rows) if problem else None


def _decide(
    c: _Candidate,
    stored: Stored,
    keys: dict[str, dict[str, str]],
    accepted: Accepted,
) -> FileOutcome | None:
    """Why this receipt is not imported, or None when it is to be."""
    v = c.rows
    same = stored.get(v.payload_sha256) or stored.get(v.id)
    if same is not None:
        uid, payload, signer = same
        if payload == v.payload_sha256 and signer == v.signer:
            return _duplicate(
                c.path, _("receipt {uid} is already in the history").format(uid=uid), v
            )
        if payload == v.payload_sha256:
            return _refused(
                c.path,
                _(
                    "the history already holds this receipt ({uid}) signed by another key "
                    "({key}): someone signed a copy of it"
                ).format(uid=uid, key=format_fingerprint(signer)),
                v,
            )
        return _refused(
            c.path,
            _(
                "the history already holds a different receipt with the same id ({uid}): this "
                "one was altered and signed again, or forged"
            ).format(uid=uid),
            v,
        )
    identity = v.identity
    known = keys.get(identity, {})
    if not known or v.signer in known or (identity, v.signer) in accepted:
        return None
    first_signer, source = next(iter(known.items()))
    return _refused(
        c.path,
        _(
            "it is signed by key {key} (on {day}), but receipts from {who} so far were signed by "
            "key {first_key} (first seen in {source}); the key seen first is no more proven than "
            "this one, so ask {person} which fingerprint their own Device Audit shows. If {who} "
            "really has a new key (a new computer, a reinstall), accept it."
        ).format(
            key=format_fingerprint(v.signer),
            day=_signed_day(v),
            who=_who(identity),
            first_key=format_fingerprint(first_signer),
            source=source,
            person=_who(identity) if identity.startswith("technician:") else identity,
        ),
        v,
        key_changed=True,
    )


def _signed_day(v: ReceiptRows) -> str:
    """The day a receipt says it was signed (its attested time, stored form)."""
    return str(v.receipt[RECEIPT_COLUMNS.split(", ").index("attested_at")])[:10]


def _who(identity: str) -> str:
    if identity.startswith("technician:"):
        return _("technician {name}").format(name=identity.removeprefix("technician:"))
    return _("staff id {id}").format(id=identity)


def chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """Slices small enough for one statement's parameters (older SQLite allows 999)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
