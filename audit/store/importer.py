"""Importing receipts that staff made on their own machines.

Each file is verified (audit.attestation.verify_bytes) and read strictly; what cannot be read is
refused with the reason, never half-stored, and one bad file never stops the others.

Duplicates: a receipt already in the history (same bytes, same signed content) is skipped. A
receipt with the id of a stored one but different content is refused: ids are random, so that
is a forgery or a re-signed copy.

Keys (trust on first use): the first key seen for a signer is remembered. The signer is the
staff member for a self-attestation, and `technician:NAME` for one a technician made on
someone's behalf (it carries the helpdesk's key, not the person's). A receipt signed by another
key is refused by default, naming both keys, because it is exactly what a forged receipt looks
like; if the person really has a new key (a new computer, a reinstall), importing again with
that signer in `accept_new_keys` adds the new key to the trusted ones (the old one stays
trusted: people use more than one computer).

Files are handled in name order, so "first" is reproducible; they are verified outside the
database lock and written in batches, one transaction per batch, so a crash loses at most the
batch in flight (importing again skips what was already stored).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from audit.attestation import VerifiedAttestation, format_fingerprint, verify_bytes
from audit.attestation.verify import MAX_RECEIPT_BYTES
from audit.errors import AttestationInvalid, StoreError
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress, raise_if_cancelled
from audit.store.receipt_content import MalformedReceipt, ReceiptContent, read_receipt
from audit.store.records import FileOutcome, ImportReport, ImportResult, KeyNote, Origin
from audit.store.writes import (
    AuditKey,
    insert_imported_audit,
    insert_receipt,
    key_identity,
    relink_key,
    trust_key,
)

log = logging.getLogger(__name__)

DEFAULT_BATCH = 250


@dataclass(frozen=True)
class _Candidate:
    path: Path
    data: bytes
    file_sha256: str
    verified: VerifiedAttestation
    content: ReceiptContent


WriteBatch = Callable[[], AbstractContextManager[sqlite3.Connection]]
"""Opens one write transaction on the store (holding its lock) for a batch."""


def receipt_files(folder: Path) -> list[Path]:
    """The files of a folder an import looks at: every visible regular file, by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise StoreError(
            f"{folder} is not a folder, so there is nothing to import from it.",
            "Give the folder that holds the receipt files.",
        )
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise StoreError(
            f"The folder {folder} cannot be read ({exc.strerror or exc}).",
            "Check that you may read the folder.",
        ) from None
    return [p for p in entries if not p.name.startswith(".") and p.is_file()]


def import_files(
    paths: Sequence[Path],
    *,
    write: WriteBatch,
    known_files: Callable[[Collection[str]], set[str]],
    accept_new_keys: Collection[str] = (),
    batch_size: int = DEFAULT_BATCH,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
) -> ImportReport:
    """Import receipt files; returns what became of each, in the order given.

    `known_files` answers which file digests are already stored, so a folder imported twice is
    not verified twice. Raises Cancelled between files; batches already written stay written.
    """
    outcomes: list[FileOutcome] = []
    total = len(paths)
    accepted = frozenset(accept_new_keys)
    for start in range(0, total, max(1, batch_size)):
        batch = paths[start : start + max(1, batch_size)]
        loaded = [_load(path) for path in batch]
        digests = {item[1] for item in loaded if isinstance(item, tuple)}
        stored = known_files(digests) if digests else set()
        ready: list[_Candidate | FileOutcome] = []
        for index, item in enumerate(loaded):
            raise_if_cancelled(cancelled)
            progress((start + index) / max(1, total), f"Checking {batch[index].name}")
            if isinstance(item, FileOutcome):
                ready.append(item)
            elif item[1] in stored:
                ready.append(_duplicate(batch[index], "this file is already in the history"))
            else:
                ready.append(_check(batch[index], *item))
        with write() as conn:
            outcomes.extend(
                _store(conn, item, accepted) if isinstance(item, _Candidate) else item
                for item in ready
            )
    progress(1.0, f"Checked {total} files")
    return ImportReport(tuple(outcomes))


def _load(path: Path) -> tuple[bytes, str] | FileOutcome:
    try:
        size = path.stat().st_size
        if size > MAX_RECEIPT_BYTES:
            return _refused(path, f"the file is {size} bytes, far too large to be a receipt")
        data = path.read_bytes()
    except OSError as exc:
        return _refused(path, f"the file cannot be read ({exc.strerror or exc})")
    return data, hashlib.sha256(data).hexdigest()


def _check(path: Path, data: bytes, file_sha256: str) -> _Candidate | FileOutcome:
    try:
        verified = verify_bytes(data)
    except AttestationInvalid as error:
        return _refused(path, error.message)
    except Exception as error:  # a verifier bug must not stop the import of the other files
        log.error("verifying %s failed unexpectedly", path, exc_info=True)
        return _refused(
            path,
            f"Device Audit could not check this file ({type(error).__name__}: {error}); it was "
            "not imported. Please report this.",
        )
    try:
        content = read_receipt(verified)
    except MalformedReceipt as problem:
        return _refused(
            path,
            f"the signature is valid, but the content is not a Device Audit receipt: {problem}",
            verified,
        )
    if content.device.id != verified.device_id:
        return _refused(path, "the receipt names two different devices", verified)
    return _Candidate(path, data, file_sha256, verified, content)


def _refused(
    path: Path, reason: str, verified: VerifiedAttestation | None = None, **extra: bool
) -> FileOutcome:
    return FileOutcome(
        path=path,
        result=ImportResult.REFUSED,
        reason=reason,
        attestation_id=verified.id if verified else "",
        signer=verified.signer if verified else "",
        identity=key_identity(verified.attester) if verified else "",
        **extra,
    )


def _duplicate(path: Path, reason: str, verified: VerifiedAttestation | None = None) -> FileOutcome:
    return FileOutcome(
        path=path,
        result=ImportResult.DUPLICATE,
        reason=reason,
        attestation_id=verified.id if verified else "",
        signer=verified.signer if verified else "",
        identity=key_identity(verified.attester) if verified else "",
    )


def _store(conn: sqlite3.Connection, c: _Candidate, accepted: frozenset[str]) -> FileOutcome:
    v = c.verified
    for uid, payload_sha256, signer in conn.execute(
        "SELECT uid, payload_sha256, signer FROM attestations WHERE uid = ? OR payload_sha256 = ?",
        (v.id, v.payload_sha256),
    ):
        if payload_sha256 == v.payload_sha256 and signer == v.signer:
            return _duplicate(c.path, f"receipt {uid} is already in the history", v)
        if payload_sha256 == v.payload_sha256:
            return _refused(
                c.path,
                f"the history already holds this receipt ({uid}) signed by another key "
                f"({format_fingerprint(signer)}): someone signed a copy of it",
                v,
            )
        return _refused(
            c.path,
            f"the history already holds a different receipt with the same id ({uid}): this one "
            "was altered and signed again, or forged",
            v,
        )
    identity = key_identity(v.attester)
    known = dict(
        conn.execute(
            "SELECT signer, source FROM keys WHERE identity = ? ORDER BY first_seen", (identity,)
        ).fetchall()
    )
    now = datetime.now(UTC)
    if not known:
        note = KeyNote.FIRST
    elif v.signer in known:
        note = KeyNote.KNOWN
    elif identity in accepted:
        note = KeyNote.ACCEPTED
    else:
        first_signer, source = next(iter(known.items()))
        return _refused(
            c.path,
            f"it is signed by key {format_fingerprint(v.signer)}, but receipts from "
            f"{_who(identity)} so far were signed by key {format_fingerprint(first_signer)} "
            f"(first seen in {source}). If {_who(identity)} really has a new key (a new "
            f"computer, a reinstall), accept it: device-audit import --accept-new-key "
            f"'{identity}'",
            v,
            key_changed=True,
        )
    if note is not KeyNote.KNOWN:
        trust_key(conn, identity, v.signer, source=c.path.name, at=now)
    audit_id = insert_imported_audit(conn, v, c.content)
    insert_receipt(
        conn,
        audit_id,
        v,
        envelope=c.data,
        file_sha256=c.file_sha256,
        origin=Origin.IMPORTED,
        key_note=note,
        file_name=c.path.name,
        recorded_at=now,
    )
    relink_key(conn, AuditKey(v.policy_id, v.attester.staff_id, v.device_id))
    return FileOutcome(
        path=c.path,
        result=ImportResult.IMPORTED,
        reason="accepted as a new key for this signer" if note is KeyNote.ACCEPTED else "",
        attestation_id=v.id,
        audit_id=audit_id,
        signer=v.signer,
        identity=identity,
        key_changed=note is KeyNote.ACCEPTED,
    )


def _who(identity: str) -> str:
    if identity.startswith("technician:"):
        return f"technician {identity.removeprefix('technician:')}"
    return f"staff id {identity}"


def chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
