"""Importing receipts that staff made on their own machines.

Each file is verified (audit.attestation.verify_bytes) and read strictly; what cannot be read is
refused with the reason, never half-stored, and one bad file never stops the others.

PDFs: Device Audit writes a PDF copy beside each receipt (a.json, a.pdf), so every folder staff
hand in holds them. A PDF is never a receipt, whatever its name, so it is skipped and the report
says what it is; it is not refused, which would make every such folder look like a failed import.
Any other file that is not a receipt is refused with the reason: it may be a receipt damaged.

Demo receipts: a receipt made on the simulated demo phone is refused (SIMULATED_REASON), so the
history, its dashboard and its exports only ever hold real devices. So is any receipt signed by the
published sample key (SAMPLE_REASON): its seed is public, so it proves nothing.

Duplicates: a receipt already in the history (same signed content, same signer) is skipped. A
receipt with the id of a stored one but different content, or the same content signed by
another key, is refused: ids are random, so that is a forgery or a re-signed copy.

Policies and technicians (audit.store.trust, docs/security.md): a receipt under a policy that is
neither a built-in preset nor one the helpdesk accepted is refused, and the history takes the
policy's title and deadline from the known policy, never from the receipt. A receipt is
witnessed only when signed by a key enrolled for the technician it names, of a phone on a cable.

Keys (trust on first use): the first key seen for a signer is remembered. The signer is the
staff member, and `technician:NAME` only for a receipt signed by a key enrolled for that
technician: naming a technician never gets a receipt past the staff id's key. A receipt signed
by another key is refused by default, naming both keys, because it is exactly what a forged
receipt looks like; if the person really has a new key (a new computer, a reinstall),
importing again with `ID=FINGERPRINT` in `accept_new_keys` (the fingerprint the helpdesk checked
with the person: a bare id would accept any key, a copier's too) adds that key to the trusted
ones. The refusal also raises a dispute (audit.store.holds): the key seen first is no more
proven than the refused one, so its receipts stop counting as compliant until the helpdesk
accepts one fingerprint for the id; the old key counts again only if it is accepted too.

Files are handled in name order, so "first" is reproducible; they are verified outside the
database lock and written in batches, one transaction per batch, so a crash loses at most the
batch in flight (importing again skips what was already stored). Batches are large because each
commit rewrites every index page the batch touched (ids and digests are random, so that is most
of them); worker processes verify a batch in small chunks, so they share it evenly.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from audit.attestation import VerifiedAttestation, format_fingerprint, verify_bytes
from audit.attestation.verify import MAX_RECEIPT_BYTES, SAMPLE_REASON
from audit.errors import AttestationInvalid, StoreError
from audit.files import path_problem, read_limited
from audit.i18n import N_, _, ngettext
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress, raise_if_cancelled
from audit.store.bulk import ImportBatch, ReceiptRows, receipt_rows
from audit.store.db import timestamp
from audit.store.evidence import rejudge_imported, tool_problem
from audit.store.holds import Accepted, parse_accepted_keys, raise_dispute, rejudge, settle
from audit.store.intake import batches_of, left_out_reason, worker_pool
from audit.store.lookalike import lookalike_problem, pinned_lookalikes
from audit.store.receipt_content import MalformedReceipt, read_receipt
from audit.store.records import FileOutcome, ImportReport, ImportResult, KeyNote
from audit.store.times import (
    announced_days,
    future_problem,
    judged_day_problem,
    receipt_announced_note,
    with_counted_day,
)
from audit.store.trust import BatchTrust
from audit.store.writes import RECEIPT_COLUMNS, THIS_COMPUTER, key_identity

log = logging.getLogger(__name__)

DEFAULT_BATCH = 1000
# Files per job sent to a verifying worker: small, so the workers share each batch evenly and
# none waits idle at the end of the import while another verifies a whole batch alone.
CHUNK = 50
# Below this many files an import verifies in this process: starting worker processes costs
# about as much as verifying a few hundred receipts.
PARALLEL_FROM = 1000


SIMULATED_REASON = N_(
    "it was made on the SIMULATED demo phone, not on a real device; demo audits are never kept "
    "in the history"
)


def default_workers(files: int) -> int:
    """Verifying processes for an import of `files`: one per core this process may use (a
    container or `taskset` may allow fewer than the machine has), at most four."""
    return min(4, usable_cores()) if files >= PARALLEL_FROM else 0


def usable_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):  # not on Windows or macOS
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class _Candidate:
    """A receipt that verified and reads well, waiting for the duplicate and key checks."""

    path: Path
    data: bytes
    file_sha256: str
    rows: ReceiptRows


WriteBatch = Callable[[], AbstractContextManager[sqlite3.Connection]]
"""Opens one write transaction on the store (holding its lock) for a batch."""


@dataclass(frozen=True)
class StoredFile:
    """A receipt file already in the history, found by its digest: what its report row says."""

    uid: str
    signer: str
    identity: str
    person_name: str


KnownFiles = Callable[[Collection[str]], dict[str, StoredFile]]
"""Which of these file digests are stored already, and as which receipt."""


def receipt_files(folder: Path) -> list[Path]:
    """The files of a folder an import looks at: every visible regular file, by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise StoreError(
            _("{folder} is not a folder, so there is nothing to import from it.").format(
                folder=folder
            ),
            _("Give the folder that holds the receipt files."),
        )
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise StoreError(
            _("The folder {folder} cannot be read ({problem}).").format(
                folder=folder, problem=exc.strerror or exc
            ),
            _("Check that you may read the folder."),
        ) from None
    return [p for p in entries if not left_out_reason(p)]


def import_files(
    paths: Sequence[Path],
    *,
    write: WriteBatch,
    known_files: KnownFiles,
    accept_new_keys: Collection[str] = (),
    batch_size: int = DEFAULT_BATCH,
    workers: int = 0,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
) -> ImportReport:
    """Import receipt files; returns what became of each, in the order given.

    `known_files` answers which file digests are already stored, so a folder imported twice is
    not verified twice. With `workers` > 0, receipts are verified in that many processes while
    this one writes the batches verified before (verifying is most of the cost, and it is the
    same work whichever process does it). Raises Cancelled between files; batches already
    written stay written.
    """
    accepted = parse_accepted_keys(accept_new_keys)
    batches = list(batches_of(paths, max(1, batch_size)))
    run = _Run(len(paths), write, accepted, progress, cancelled)
    pool = worker_pool(workers) if workers > 0 and len(batches) > 1 else None
    pending: deque[_Pending] = deque()
    try:
        for batch in batches:
            pending.append(_prepare(batch, known_files, pool))
            # With workers, the next two batches are being verified while this one is written.
            if len(pending) > (2 if pool else 0):
                run.finish(pending.popleft())
        while pending:
            run.finish(pending.popleft())
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    progress(
        1.0,
        ngettext("Checked {count} files", "Checked {count} files", len(paths)).format(
            count=len(paths)
        ),
    )
    return ImportReport(tuple(run.outcomes))


Checked = ReceiptRows | FileOutcome


@dataclass
class _Pending:
    """A batch read and sent to be verified, waiting to be written."""

    batch: Sequence[Path]
    loaded: list[tuple[bytes, str] | FileOutcome]
    stored: dict[str, StoredFile]
    checked: list[Future[list[Checked]]] | list[Checked]


def _prepare(
    batch: Sequence[Path],
    known_files: KnownFiles,
    pool: ProcessPoolExecutor | None,
) -> _Pending:
    loaded = [_load(path) for path in batch]
    digests = {item[1] for item in loaded if isinstance(item, tuple)}
    stored = known_files(digests) if digests else {}
    jobs = [
        (path, item[0])
        for path, item in zip(batch, loaded, strict=True)
        if isinstance(item, tuple) and item[1] not in stored
    ]
    checked: list[Future[list[Checked]]] | list[Checked] = (
        [
            pool.submit(verify_all, jobs[start : start + CHUNK])
            for start in range(0, len(jobs), CHUNK)
        ]
        if pool is not None
        else verify_all(jobs)
    )
    return _Pending(batch, loaded, stored, checked)


@dataclass
class _Run:
    """One import: writes the verified batches in order and collects what became of each file."""

    total: int
    write: WriteBatch
    accepted: Accepted
    progress: Progress
    cancelled: CancelCheck
    outcomes: list[FileOutcome] = field(default_factory=list)
    done: int = 0

    def finish(self, pending: _Pending) -> None:
        results = (
            result
            for item in pending.checked
            for result in (item.result() if isinstance(item, Future) else (item,))
        )
        ready: list[_Candidate | FileOutcome] = []
        for path, item in zip(pending.batch, pending.loaded, strict=True):
            raise_if_cancelled(self.cancelled)
            self.progress(
                self.done / max(1, self.total), _("Checking {file}").format(file=path.name)
            )
            self.done += 1
            if isinstance(item, FileOutcome):
                ready.append(item)
            elif item[1] in pending.stored:
                known = pending.stored[item[1]]
                ready.append(
                    FileOutcome(
                        path=path,
                        result=ImportResult.DUPLICATE,
                        reason=_("this file is already in the history (receipt {uid})").format(
                            uid=known.uid
                        ),
                        attestation_id=known.uid,
                        signer=known.signer,
                        identity=known.identity,
                        person_name=known.person_name,
                    )
                )
            else:
                result = next(results)
                if isinstance(result, FileOutcome):
                    ready.append(result)
                else:
                    ready.append(_Candidate(path, item[0], item[1], result))
        with self.write() as conn:
            self.outcomes.extend(_store_batch(conn, ready, self.accepted))


def _load(path: Path) -> tuple[bytes, str] | FileOutcome:
    try:
        size = path.stat().st_size
        if size > MAX_RECEIPT_BYTES:
            return _refused(
                path,
                _("the file is {size} bytes, far too large to be a receipt").format(size=size),
            )
        data = read_limited(path, MAX_RECEIPT_BYTES)
    except OSError as exc:
        return _refused(
            path, _("the file cannot be read ({problem})").format(problem=path_problem(exc))
        )
    if is_pdf(data):
        return _outcome(path, ImportResult.SKIPPED, _pdf_reason(path), None)
    return data, hashlib.sha256(data).hexdigest()


PDF_MAGIC = b"%PDF-"  # how every PDF file begins; a receipt begins with "{"


def is_pdf(data: bytes) -> bool:
    """Whether these bytes (or the start of a file) are a PDF, never a receipt."""
    return data.startswith(PDF_MAGIC)


def receipt_beside_pdf(path: Path) -> Path | None:
    """The signed receipt a PDF copy at `path` was written beside (a.pdf -> a.json), when that
    file is there; `verify` and the import both point a person from the copy to it."""
    receipt = path.with_suffix(".json")
    return receipt if receipt != path and receipt.is_file() else None


def _pdf_reason(path: Path) -> str:
    """Why a PDF is passed over, naming the receipt it is the copy of when that is beside it."""
    receipt = path.with_suffix(".json")
    if receipt == path:
        missing = _("this file is a PDF saved under a receipt's name")
    elif receipt_beside_pdf(path) is not None:
        return _(
            "a PDF, the readable copy of the receipt {receipt}, which is imported on its own "
            "(the .json file is the signed receipt)"
        ).format(receipt=receipt.name)
    else:
        missing = _("{receipt} is not here").format(receipt=receipt.name)
    # Translators: {missing} is "this file is a PDF saved under a receipt's name" or
    # "a.json is not here"
    return _(
        "a PDF, not a receipt: the signed receipt is the .json file Device Audit writes beside "
        "its PDF, and {missing}; ask for it if this PDF is someone's receipt"
    ).format(missing=missing)


def verify_all(jobs: list[tuple[Path, bytes]]) -> list[Checked]:
    """Verify and read receipts into the rows they are stored as; runs in a worker process for
    big imports, so what it returns is plain tuples (quick to send back), not the records."""
    return [_verify(path, data) for path, data in jobs]


def _verify(path: Path, data: bytes) -> Checked:
    try:
        verified = verify_bytes(data)
    except AttestationInvalid as error:
        return _refused(path, error.message)
    except Exception as error:  # a verifier bug must not stop the import of the other files
        log.error("verifying %s failed unexpectedly", path, exc_info=True)
        return _refused(
            path,
            _(
                "Device Audit could not check this file ({problem}); it was not imported. Please "
                "report this."
            ).format(problem=f"{type(error).__name__}: {error}"),
        )
    if verified.sample:  # anyone can sign anything with the published sample key
        return _refused(path, _(SAMPLE_REASON), verified)
    try:
        content = read_receipt(verified)
    except MalformedReceipt as problem:
        return _refused(
            path,
            _(
                "the signature is valid, but the content is not a Device Audit receipt: {problem}"
            ).format(problem=problem),
            verified,
        )
    if content.device.id != verified.device_id:
        return _refused(path, _("the receipt names two different devices"), verified)
    if verified.simulated or content.device.simulated:
        return _refused(path, _(SIMULATED_REASON), verified, simulated=True)
    future = (
        tool_problem(verified.statement)
        or future_problem(verified, content, datetime.now(UTC))
        or judged_day_problem(verified, content)
    )
    if future:
        return _refused(path, future, verified)
    return receipt_rows(verified, content)


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
    return rejudge_imported(conn, outcomes)  # what each rests on (audit.store.evidence)


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
