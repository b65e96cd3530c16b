"""Where an import's files come from: which entries of a folder it leaves out and why, how the
files are cut into batches that bound its memory, and the worker processes that verify them.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psutil

from audit.attestation.verify import MAX_RECEIPT_BYTES
from audit.files import path_problem
from audit.i18n import _, language, set_language
from audit.store.records import FileOutcome, ImportResult


def passed_over(folder: Path, reader: str | None = None) -> list[FileOutcome]:
    """What a folder's import (or `reader`: `history rejudge --inventories` lists its folder
    with this too) leaves out and why (hidden files, folders, links to no file, pipes and
    devices), so that its report lists every entry of the folder."""
    try:
        with os.scandir(folder) as entries:
            # A visible regular file (the file type comes with the listing) is imported.
            others = [
                Path(entry.path)
                for entry in entries
                if entry.name.startswith(".") or entry.is_symlink() or not entry.is_file()
            ]
    except OSError:
        return []  # receipt_files() has said why the folder cannot be read
    return [
        FileOutcome(path=path, result=ImportResult.SKIPPED, reason=reason)
        for path in sorted(others)
        if (reason := left_out_reason(path, reader))
    ]


def left_out_reason(path: Path, reader: str | None = None) -> str:
    """Why the import (or `reader`, a command's name) leaves this entry of a folder out, or ""
    when it is a file to read."""
    if path.name.startswith("."):
        return _(
            "a hidden file (its name starts with a dot); Device Audit never names its files so"
        )
    try:
        info = path.stat()  # follows a link: a link to a receipt is imported
    except OSError as exc:
        if path.is_symlink():
            return _("a link to a file that is not there (or cannot be reached)")
        return _("it cannot be looked at ({problem})").format(problem=path_problem(exc))
    link = path.is_symlink()
    if stat.S_ISDIR(info.st_mode):
        return (
            _(
                "a link to a folder: {reader} takes the files of the folder it is given, not of "
                "the folders inside it; run it again on that folder on its own"
            )
            if link
            else _(
                "a folder: {reader} takes the files of the folder it is given, not of the "
                "folders inside it; run it again on that folder on its own"
            )
        ).format(reader=reader or _("an import"))
    if not stat.S_ISREG(info.st_mode):
        return (
            _("a link to a pipe, a device or a socket, not a file")
            if link
            else _("a pipe, a device or a socket, not a file")
        )
    return ""


# The bytes of the files of one batch held at once. A batch is read whole before it is
# verified, and up to three are in flight, so this bounds an import's memory whatever the
# folder holds (a hundred 15 MB junk files are read a few at a time, not 1.5 GB at once).
BATCH_BYTES = 32 * 1024 * 1024


def batches_of(paths: Sequence[Path], size: int) -> Iterator[Sequence[Path]]:
    """`paths` in batches of at most `size` files and about BATCH_BYTES of them."""
    start, held = 0, 0
    for index, path in enumerate(paths):
        with contextlib.suppress(OSError):  # _load says why it cannot be read
            length = path.stat().st_size
            held += length if length <= MAX_RECEIPT_BYTES else 0  # a bigger one is not read
        if index + 1 - start >= size or held >= BATCH_BYTES:
            yield paths[start : index + 1]
            start, held = index + 1, 0
    if start < len(paths):
        yield paths[start:]


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """Processes that verify receipts, and that end when this process ends, however it ends
    (an import killed mid-way must not leave them running)."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_worker,
        initargs=(os.getpid(), language()),
    )


def start_worker(parent: int, words: str) -> None:
    """In a worker: write its reasons in the language the person chose (a spawned process
    would otherwise take the system's, not the app's setting), and end with `parent`."""
    set_language(words)
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """In a worker: end when the process `parent` ends. Linux ends it with the parent itself;
    elsewhere a thread looks every second."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent and not psutil.pid_exists(parent):
        os._exit(1)  # the parent ended before this worker started

    def watch() -> None:
        while psutil.pid_exists(parent) and os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
