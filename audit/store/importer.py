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
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from audit.attestation import verify_bytes
from audit.attestation.verify import MAX_RECEIPT_BYTES, SAMPLE_REASON
from audit.errors import AttestationInvalid, StoreError
from audit.files import path_problem, read_limited
from audit.i18n import N_, _, ngettext
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress, raise_if_cancelled
from audit.store.bulk import ReceiptRows, receipt_rows
from audit.store.evidence import tool_problem
from audit.store.holds import Accepted, parse_accepted_keys
from audit.store.import_decisions import (
    _Candidate,
    _outcome,
    _refused,
    _store_batch,
    chunks,
)
from audit.store.intake import batches_of, left_out_reason, worker_pool
from audit.store.receipt_content import MalformedReceipt, read_receipt
from audit.store.records import FileOutcome, ImportReport, ImportResult
from audit.store.times import future_problem, judged_day_problem

# chunks stays importable from here, where the store looks for it.
__all__ = [
    "CHUNK",
    "DEFAULT_BATCH",
    "PARALLEL_FROM",
    "PDF_MAGIC",
    "SIMULATED_REASON",
    "Checked",
    "KnownFiles",
    "StoredFile",
    "WriteBatch",
    "chunks",
    "default_workers",
    "import_files",
    "is_pdf",
    "receipt_beside_pdf",
    "receipt_files",
    "usable_cores",
    "verify_all",
]

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
