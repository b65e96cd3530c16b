"""What the last check of a phone found, used only to decide what the next check starts EARLY.

Two programs of a check wait for others (onestage.py): the other users' lists wait for `pm list
users`, and the details of the policy's packages wait for the lists that show them. On a phone
seen before, the user ids and the policy's packages found present last time are a good guess:
the script starts their lists and details at once, beside `pm list users` and user 0's lists.

A hint is never evidence. The phone's serial is its own claim, the file can be stale, another
phone's, damaged or written by someone else, so a hint only moves work earlier:

- `pm list users` stays the authority: the lists of a user it names that no hint named still
  run after it, and the sections of a hinted user it does not name are never read;
- a package's details count only when the lists show the package (and one the lists show that
  no hint named is still described after them);
- hinted user ids are plain numbers and hinted packages must be among the policy's own names
  (already checked against the package grammar) before anything reaches the script.

So a wrong hint costs programs on the phone (time), never a wrong verdict. Reading one never
fails a check: a missing, unreadable, oversized, non-regular (a FIFO) or malformed file, or a
read-only data folder, simply means no hint.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from audit.model import ScanResult
from audit.sources.android.packages import is_valid_package_name

log = logging.getLogger(__name__)

FORMAT = "device-audit-phone-hint"
VERSION = 1
FOLDER = "phone-hints"
FILE_LIMIT = 16 * 1024
"""Bytes a hint file may have: a few user ids and package names need far less."""
MAX_USERS = 8
"""Users whose lists a hint starts early: a phone has a handful (owner, work profile, a second
person, a guest, dual apps, Secure Folder); a hint naming more is not to be believed."""
MAX_PACKAGES = 64
MAX_USER_ID = 2**31 - 1  # Android's user ids are Java ints
MAX_PHONES = 2000
"""Phones whose hints are kept (about 200 bytes each); beyond, the least recently checked go."""


@dataclass(frozen=True)
class Hint:
    """User ids (never 0: user 0's lists always start at once) and package names, sorted."""

    users: tuple[int, ...] = ()
    present: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.users or self.present)


NO_HINT = Hint()


def checked(users: Iterable[object], present: Iterable[object]) -> Hint:
    """A hint from untrusted values: only plain user ids in range and valid package names are
    kept, a bounded number of each; anything else is dropped."""
    ids: set[int] = set()
    for value in users:
        if type(value) is int and 0 < value <= MAX_USER_ID:
            ids.add(value)
    names = {v for v in present if isinstance(v, str) and is_valid_package_name(v)}
    return Hint(tuple(sorted(ids))[:MAX_USERS], tuple(sorted(names))[:MAX_PACKAGES])


def hint_of(scan: ScanResult, asked: Collection[str], earlier: Hint = NO_HINT) -> Hint:
    """What the next check of this phone may start early: the users the phone named, and of the
    packages `asked` about those it holds, keeping what `earlier` knew of packages not asked.
    An incomplete check (a phone unplugged halfway) only adds to what `earlier` knew: what it
    did not see may still be there."""
    users = [int(user.id) for user in scan.users if user.id.isdigit()]
    have = {app.identifier for app in scan.apps}
    asked_set = set(asked)
    present = [name for name in earlier.present if name not in asked_set]
    present += [name for name in asked_set if name in have]
    if not scan.complete:
        users += earlier.users
        present += earlier.present
    return checked(users, present)


def _path(folder: Path, serial: str) -> Path:
    """One small file per phone, named by a digest: a serial is any text the phone chose."""
    digest = hashlib.sha256(serial.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return folder / FOLDER / f"{digest}.json"


def _folder() -> Path:
    from audit.paths import data_dir

    return data_dir()


def recall(serial: str, folder: Path | None = None) -> Hint:
    """The hint kept for `serial`, or NO_HINT (see the module docstring: never an error)."""
    from audit.files import read_limited

    try:
        path = _path(folder if folder is not None else _folder(), serial)
        data = json.loads(read_limited(path, FILE_LIMIT))
    except FileNotFoundError:
        return NO_HINT
    except (OSError, ValueError, RecursionError) as error:
        log.info("no hint for phone %r: %s", serial, error)
        return NO_HINT
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or data.get("version") != VERSION
        or data.get("serial") != serial
    ):
        log.info("no hint for phone %r: the file is not this phone's hint", serial)
        return NO_HINT
    users, present = data.get("users"), data.get("present")
    if not isinstance(users, list) or not isinstance(present, list):
        return NO_HINT
    return checked(users, present)


def remember(
    serial: str, hint: Hint, folder: Path | None = None, *, most: int = MAX_PHONES
) -> None:
    """Keep `hint` for the next check of `serial`, atomically; a folder that cannot be written
    (read-only, full) only means the next check starts without it. Past `most` phones, the
    hints of the phones least recently checked are removed."""
    from audit.inventory import write_atomic

    record = {
        "format": FORMAT,
        "version": VERSION,
        "serial": serial,
        "users": list(hint.users),
        "present": list(hint.present),
        "seen": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        path = _path(folder if folder is not None else _folder(), serial)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(record, ensure_ascii=True).encode("ascii"))
        _prune(path.parent, most)
    except (OSError, ValueError) as error:
        log.info("the hint for phone %r was not kept: %s", serial, error)


def _prune(folder: Path, most: int) -> None:
    """Remove the oldest hints beyond `most` (a helpdesk checks thousands of phones a year)."""
    with os.scandir(folder) as entries:
        files = [(e.stat().st_mtime, e.path) for e in entries if e.name.endswith(".json")]
    if len(files) <= most:
        return
    for _mtime, path in sorted(files)[: len(files) - most]:
        with contextlib.suppress(OSError):
            os.unlink(path)
