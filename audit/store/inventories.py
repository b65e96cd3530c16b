"""The inventories audits were judged on, kept so a new policy version can judge them again.

Why: a policy grows (a preset's version 2 bans CapCut too) and the helpdesk must know which past
audits that changes, without rescanning every phone. The history records each scan's inventory
digest (audit.inventory.inventory_digest); this keeps the inventory behind it, once per digest
(many phones share one), in table `inventories` (schema v8).

What a blob is: the exact text the inventory digest hashes (audit.inventory.inventory_digest: a
header line with the device id and whether the scan saw everything, then one line per app with
every field the digest covers, identifiers, user and state included, in digest order),
compressed with zlib. So checking a blob is hashing it: its sha256 must be the digest the audit
recorded. Timings, running processes and the device's details are not in it: the digest does
not cover them, so they could not be checked; re-judging takes the device from the audit.

Trust: a blob is used only when the inventory it holds has exactly the digest the audit recorded
(`held`, `decode`): one changed outside Device Audit is refused, never judged, and so are lines
no scan writes. Holding stores the very text the recorded digest was computed from (`preimage`
mirrors inventory_digest; a test keeps the two equal), checked to survive compression, so what
is kept is what was judged.

What is not held: a receipt carries the digest of its inventory, not the inventory, so an audit
imported from a receipt is held only when the helpdesk is also given the inventory file whose
digest the receipt signed (`hold_files`); audits recorded before schema v8 are not held either.
Such audits cannot be re-judged, and the re-judgement says so.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from audit.errors import AuditError
from audit.i18n import N_, _
from audit.inventory import FORMAT, VERSION, app_to_dict, load
from audit.model import (
    AppId,
    AppState,
    IdentifierKind,
    InstalledApp,
    InstallOrigin,
    ScanResult,
    members_by_value,
)

# Largest inventory a blob may expand to: a computer with every package manager lists a few
# thousand apps (about 1.5 MB of lines); anything far larger is not something Device Audit wrote.
MAX_INVENTORY_BYTES = 32 * 1024 * 1024
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# The fields of an app line, in the order app_to_dict writes them (the digest's order);
# `state_confirmed` ends a line only when true.
FIELDS = tuple(app_to_dict(InstalledApp("x", IdentifierKind.ANDROID_PACKAGE)).keys())
E = TypeVar("E", bound=StrEnum)


class ForgedInventory(AuditError):
    """A stored inventory that is not the one its digest names (or cannot be read at all)."""

    default_next_step = N_(
        "The history file was changed outside Device Audit: check the device again to judge it."
    )

    def __init__(self, message: str, next_step: str = "") -> None:
        super().__init__(message, next_step or _(self.default_next_step))


@dataclass(frozen=True)
class StoredInventory:
    """What a blob holds, checked against its digest."""

    digest: str
    device_id: str
    complete: bool
    apps: tuple[InstalledApp, ...]


def preimage(scan: ScanResult) -> bytes:
    """The text inventory_digest hashes: its sha256 is the scan's inventory digest."""
    lines = sorted(_COMPACT(list(app_to_dict(app).values())) for app in scan.apps)
    head = _COMPACT([FORMAT, VERSION, scan.device.id, scan.complete])
    return "\n".join([head, *lines]).encode("utf-8")


def encode(scan: ScanResult) -> bytes:
    """The blob of a scan: its digest's preimage, compressed."""
    return zlib.compress(preimage(scan), 6)


def decode(digest: str, blob: bytes) -> StoredInventory:
    """The inventory in a blob, when it has exactly `digest`; ForgedInventory otherwise (a blob
    that does not expand, is too large, holds other apps, or lines no scan writes)."""
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(bytes(blob), MAX_INVENTORY_BYTES + 1)
        if len(data) > MAX_INVENTORY_BYTES or inflater.unconsumed_tail:
            raise ValueError(_("it expands beyond any inventory Device Audit writes"))
        if not inflater.eof:
            raise ValueError(_("it is cut short"))
    except (zlib.error, ValueError) as exc:
        raise ForgedInventory(
            _("The stored inventory {digest}… cannot be read ({problem}); it was not used.").format(
                digest=digest[:12], problem=exc
            )
        ) from None
    found = hashlib.sha256(data).hexdigest()
    if found != digest:
        raise ForgedInventory(
            _(
                "The stored inventory {digest}… holds another inventory (digest {found}…) than "
                "the one the audit recorded; it was not used."
            ).format(digest=digest[:12], found=found[:12])
        )
    try:
        head, *lines = data.decode("utf-8").split("\n")
        device_id, complete = _head(json.loads(head))
        parsed = json.loads("[" + ",".join(lines) + "]")  # one parse, not one per line
        if len(parsed) != len(lines):
            raise ValueError(_("its lines are not one app each"))
        apps = tuple(map(_app, parsed))
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        # The digest matched, so the text is the one hashed; lines no app makes mean the
        # digest itself was written outside Device Audit.
        raise ForgedInventory(
            _(
                "The stored inventory {digest}… is not one Device Audit wrote ({problem}); it was "
                "not used."
            ).format(digest=digest[:12], problem=exc)
        ) from None
    return StoredInventory(digest, device_id, complete, apps)


def _head(value: Any) -> tuple[str, bool]:
    if not (isinstance(value, list) and len(value) == 4 and value[:2] == [FORMAT, VERSION]):
        raise ValueError(_("its first line is not an inventory's"))
    device_id, complete = value[2], value[3]
    if not isinstance(device_id, str) or not isinstance(complete, bool):
        raise ValueError(_("its first line is not an inventory's"))
    return device_id, complete


def _app(values: Any) -> InstalledApp:
    """One app line, strictly: each field of the type app_to_dict writes."""
    if not isinstance(values, list) or len(values) not in (len(FIELDS), len(FIELDS) + 1):
        raise ValueError(_("an app line has the wrong number of fields"))
    confirmed = len(values) > len(FIELDS)
    if confirmed and values[-1] is not True:
        raise ValueError(_("an app line ends with something other than state_confirmed"))
    if _UNREAD:
        raise ValueError(
            _("an app line has fields this reader does not know: {fields}").format(fields=_UNREAD)
        )
    for index in _TEXT_AT:  # most fields are text: checked without a call each
        if type(values[index]) is not str:
            raise TypeError(_("{field} is not text").format(field=FIELDS[index]))
    fields = dict(zip(FIELDS, values, strict=False))  # a true state_confirmed is read above
    for index, name, read in _TYPED_AT:
        fields[name] = read(values[index])
    return InstalledApp(**fields, state_confirmed=confirmed)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(_("expected text, found {type}").format(type=type(value).__name__))
    return value


def _number(value: Any) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(_("expected a number, found {type}").format(type=type(value).__name__))


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(_("expected true or false, found {type}").format(type=type(value).__name__))
    return value


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    when = datetime.fromisoformat(_text(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _enum(kind: type[E]) -> Callable[[Any], E]:
    members = members_by_value(kind)
    return lambda value: members[_text(value)]  # KeyError: a value no scan writes


def _other_ids(value: Any) -> tuple[AppId, ...]:
    if not isinstance(value, list):
        raise TypeError(_("{field} is not a list").format(field="other_ids"))
    return tuple(AppId(IdentifierKind(_text(item["kind"])), _text(item["value"])) for item in value)


_READERS: dict[str, Callable[[Any], Any]] = {
    "identifier": _text,
    "kind": _enum(IdentifierKind),
    "name": _text,
    "version": _text,
    "version_code": _number,
    "publisher": _text,
    "installer": _text,
    "origin": _enum(InstallOrigin),
    "user": _text,
    "state": _enum(AppState),
    "system": _flag,
    "location": _text,
    "uid": _number,
    "installed_at": _time,
    "updated_at": _time,
    "other_ids": _other_ids,
    "collector": _text,
    "uninstall_command": _text,
    "quiet_uninstall_command": _text,
}
# Where each field is in a line, and its reader; a field app_to_dict gained that this module
# does not read yet is named, and every blob refused, until it does (test_inventories.py).
_UNREAD = sorted(set(FIELDS) - set(_READERS))
_TEXT_AT = tuple(i for i, name in enumerate(FIELDS) if _READERS.get(name) is _text)
_TYPED_AT = tuple(
    (i, name, _READERS[name])
    for i, name in enumerate(FIELDS)
    if name in _READERS and _READERS[name] is not _text
)


def hold(conn: sqlite3.Connection, scan: ScanResult) -> bool:
    """Keep the inventory of `scan` (inside the caller's transaction); False when it is held
    already or cannot be kept faithfully: then its audits simply cannot be re-judged, which the
    re-judgement says."""
    text = preimage(scan)
    return _keep(conn, hashlib.sha256(text).hexdigest(), text, len(scan.apps))


def _keep(conn: sqlite3.Connection, digest: str, text: bytes, apps: int) -> bool:
    """Store `text` under `digest` (its sha256: the scan's inventory digest, as recorded)."""
    if conn.execute("SELECT 1 FROM inventories WHERE digest = ?", (digest,)).fetchone():
        return False
    blob = zlib.compress(text, 6)
    if zlib.decompress(blob) != text:  # what is kept must be what was judged
        return False
    conn.execute(
        "INSERT INTO inventories (digest, app_count, blob) VALUES (?, ?, ?)", (digest, apps, blob)
    )
    return True


def held(conn: sqlite3.Connection, digest: str) -> StoredInventory | None:
    """The stored inventory of `digest`, checked; None when none is held; ForgedInventory when
    the one held is not that inventory."""
    row = conn.execute("SELECT blob FROM inventories WHERE digest = ?", (digest,)).fetchone()
    return None if row is None else decode(digest, bytes(row[0]))


@dataclass(frozen=True)
class HeldFile:
    """What became of one inventory file given to hold."""

    path: Path
    held: bool
    reason: str = ""  # why it was not held ("" when held, or held already)


_FILES_PER_QUERY = 200  # inventory files read, then looked up, at a time (within SQLite's 999)


def hold_files(conn: sqlite3.Connection, paths: Iterable[Path]) -> list[HeldFile]:
    """Hold inventory files (`scan --json`) whose digest a recorded scan names, such as the
    inventory of an imported receipt: the receipt signed the digest, so a file with that digest
    is the inventory it was judged on. Any other file is not held, with the reason."""
    outcomes: list[HeldFile] = []
    files = list(paths)
    for start in range(0, len(files), _FILES_PER_QUERY):
        read: list[tuple[Path, str, bytes, int]] = []
        for path in files[start : start + _FILES_PER_QUERY]:
            try:
                scan = load(path)
            except AuditError as exc:
                outcomes.append(HeldFile(path, False, exc.message))
                continue
            text = preimage(scan)
            read.append((path, hashlib.sha256(text).hexdigest(), text, len(scan.apps)))
        digests = sorted({digest for _path, digest, _text, _apps in read})
        recorded = {
            str(row[0])
            for row in conn.execute(
                "SELECT DISTINCT inventory_digest FROM scans"
                f" WHERE inventory_digest IN ({', '.join('?' * len(digests))})",
                digests,
            )
        }
        for path, digest, text, apps in read:
            if digest in recorded:
                _keep(conn, digest, text, apps)
                outcomes.append(HeldFile(path, True))
            else:
                outcomes.append(
                    HeldFile(
                        path,
                        False,
                        _(
                            "no audit in the history was judged on this inventory (its digest "
                            "{digest}… is not one a scan or receipt recorded)"
                        ).format(digest=digest[:12]),
                    )
                )
    return outcomes


def copy_inventories(
    source: sqlite3.Connection, team: Any, audit_ids: list[int]
) -> tuple[int, int]:
    """Copy the inventories the scans of these audits (in `source`) were judged on into `team`,
    for a history moved there (audit.store.move), so the team can judge them again. An
    inventory is its digest: the team's primary key keeps each once (ON CONFLICT DO NOTHING,
    so moving twice copies none again), and a blob is copied only when it holds exactly the
    inventory its digest names (`decode`), never on the source's word. Returns (copied, not
    copied because forged)."""
    if not audit_ids:
        return 0, 0
    marks = ", ".join("?" * len(audit_ids))
    rows = source.execute(
        "SELECT digest, app_count, blob FROM inventories WHERE digest IN"
        f" (SELECT inventory_digest FROM scans WHERE audit_id IN ({marks})) ORDER BY digest",
        audit_ids,
    ).fetchall()
    checked = []
    for digest, apps, blob in rows:
        try:
            decode(str(digest), bytes(blob))
        except ForgedInventory:
            continue
        checked.append((str(digest), int(apps), bytes(blob)))
    if not checked:
        return 0, len(rows)
    done = team.executemany(  # one pipelined statement per chunk, not a round trip each
        "INSERT INTO inventories (digest, app_count, blob) VALUES (?, ?, ?)"
        " ON CONFLICT (digest) DO NOTHING",
        checked,
    )
    return max(0, int(done.rowcount)), len(rows) - len(checked)
