"""The Store's methods for importing receipt files (a mixin, so store.py stays about recording
and reading audits); the import's rules are in audit.store.importer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

from audit.progress import CancelCheck, Progress, never_cancelled, no_progress
from audit.store import importer, intake
from audit.store.db import check_pages
from audit.store.records import ImportReport

T = TypeVar("T")


class ImportMethods:
    """Importing receipts staff made on their own machines (see audit.store.importer)."""

    path: Path

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    def import_files(
        self,
        paths: Iterable[Path | str],
        *,
        accept_new_keys: Collection[str] = (),
        batch_size: int = importer.DEFAULT_BATCH,
        workers: int | None = None,
        progress: Progress = no_progress,
        cancelled: CancelCheck = never_cancelled,
    ) -> ImportReport:
        """Verify and import receipt files (see audit.store.importer for the rules).

        `workers`: processes that verify receipts meanwhile; None picks by the number of files
        (none for small imports, up to 4 from a thousand files on).
        """
        files = [Path(p) for p in paths]
        # A history damaged since it was opened is not written into (its pages checked again).
        self._read(lambda conn: check_pages(conn, self.path))
        return importer.import_files(
            files,
            write=self._write,
            known_files=self._known_files,
            accept_new_keys=accept_new_keys,
            batch_size=batch_size,
            workers=importer.default_workers(len(files)) if workers is None else workers,
            progress=progress,
            cancelled=cancelled,
        )

    def import_folder(
        self,
        folder: Path | str,
        *,
        accept_new_keys: Collection[str] = (),
        batch_size: int = importer.DEFAULT_BATCH,
        workers: int | None = None,
        progress: Progress = no_progress,
        cancelled: CancelCheck = never_cancelled,
    ) -> ImportReport:
        """Import every visible file of a folder (not its subfolders), in name order; the
        report also lists what was left out (hidden files, folders, pipes) with the reason."""
        report = self.import_files(
            importer.receipt_files(Path(folder)),
            accept_new_keys=accept_new_keys,
            batch_size=batch_size,
            workers=workers,
            progress=progress,
            cancelled=cancelled,
        )
        left_out = intake.passed_over(Path(folder))
        if not left_out:
            return report
        outcomes = sorted((*report.outcomes, *left_out), key=lambda o: o.path.name)
        return ImportReport(tuple(outcomes))

    def _known_files(self, digests: Collection[str]) -> dict[str, importer.StoredFile]:
        def query(conn: sqlite3.Connection) -> dict[str, importer.StoredFile]:
            found: dict[str, importer.StoredFile] = {}
            for chunk in importer.chunks(sorted(digests), 500):
                marks = ", ".join("?" * len(chunk))
                for digest, uid, signer, identity, name in conn.execute(
                    "SELECT file_sha256, uid, signer, identity, person_name FROM attestations"
                    f" WHERE file_sha256 IN ({marks})",
                    list(chunk),
                ):
                    found[digest] = importer.StoredFile(uid, signer, identity, name or "")
            return found

        return self._read(query)
