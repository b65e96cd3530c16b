"""Reading a file a person names: a regular file only, and never more than a size cap.

A pipe (FIFO) named as a receipt, inventory or policy would block a read forever, and a device
such as /dev/zero never ends; both are refused before any byte is read. The file is opened
without blocking (opening a FIFO for reading otherwise waits for a writer), then looked at
through its open descriptor, so what is checked is what is read.

Problems are raised as OSError with `strerror` in plain words, because every reader already
reports an OSError as "it cannot be read (<strerror>)".
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

from audit.i18n import N_, _

DEFAULT_LIMIT = 64 * 1024 * 1024  # no file Device Audit reads comes near this

# Marked, not translated (set at import): raised as _(NOT_REGULAR).
NOT_REGULAR = N_("it is not a file but a pipe, a device or a socket, and only files can be read")


def too_large(size: int) -> str:
    return _("it is {size} bytes, far too large for this kind of file").format(size=size)


def path_problem(exc: OSError) -> str:
    """A file system error in words, for any path a person gave."""
    if exc.errno == errno.ENAMETOOLONG:
        return _("the path is too long for this computer's file system")
    if exc.errno == errno.ENOSPC:
        return _("the disk is full")
    if exc.errno == errno.EROFS:
        return _("the disk or folder is read-only")
    return str(exc.strerror or exc)


# Room a receipt, its PDF and the history's growth need; less free space is a full disk.
MIN_FREE_BYTES = 4 * 1024 * 1024


def folder_write_problem(folder: Path) -> str:
    """Why no file can be written in `folder` (read-only, full, not permitted), or "": asked
    before slow work, so a full disk costs a second, not a scan that is then lost."""
    try:
        with tempfile.TemporaryFile(dir=folder) as probe:
            probe.write(b"0")
            probe.flush()
            os.fsync(probe.fileno())
        if shutil.disk_usage(folder).free < MIN_FREE_BYTES:
            return _("the disk that holds {folder} is full").format(folder=folder)
    except OSError as exc:
        return _("nothing can be written in {folder}: {problem}").format(
            folder=folder, problem=path_problem(exc)
        )
    return ""


def open_regular(path: Path | str) -> BinaryIO:
    """The regular file at `path`, open for reading; OSError (in words) for anything else."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise OSError(exc.errno, path_problem(exc)) from None
        raise
    file = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        file.close()
        raise OSError(errno.EINVAL, _(NOT_REGULAR))
    return file


def read_limited(path: Path | str, limit: int = DEFAULT_LIMIT) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; OSError (in words) for
    anything else."""
    with open_regular(path) as file:
        size = os.fstat(file.fileno()).st_size
        if size > limit:
            raise OSError(errno.EFBIG, too_large(size))
        data = file.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, too_large(len(data)))
    return data
