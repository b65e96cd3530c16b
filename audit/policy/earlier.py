"""The digests of earlier texts of the built-in presets (resources/earlier-presets.json).

A receipt records the sha256 of the policy file it was judged under. When a release edits a
preset (a new source, a widened ban), receipts made under the text an earlier release shipped
carry that earlier digest: they are genuine, and must not be refused as "an altered preset".
The resource lists, per preset id, each earlier text's sha256 with its version, title and
deadline (computed from the git history of resources/policies; see its "about" field).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from audit.paths import resource

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class EarlierPreset:
    """One earlier text of a built-in preset, as an earlier release shipped it."""

    id: str
    sha256: str
    version: str
    title: str
    deadline: date | None


def parse_earlier(text: str) -> tuple[EarlierPreset, ...]:
    """The entries of an earlier-presets document; ValueError names what is wrong."""
    try:
        doc = json.loads(text)
    except RecursionError as error:
        raise ValueError("the earlier-presets file is nested too deeply") from error
    presets = doc.get("presets") if isinstance(doc, dict) else None
    if not isinstance(presets, dict):
        raise ValueError("the earlier-presets file has no 'presets' table")
    found = []
    for preset_id, entries in presets.items():
        if not isinstance(entries, list):
            raise ValueError(f"the earlier texts of {preset_id!r} are not a list")
        found += [_entry(preset_id, entry) for entry in entries]
    return tuple(found)


def _entry(preset_id: str, entry: object) -> EarlierPreset:
    if not isinstance(entry, dict):
        raise ValueError(f"an earlier text of {preset_id!r} is not a table")
    sha, version, title = entry.get("sha256"), entry.get("version"), entry.get("title")
    deadline = entry.get("deadline")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise ValueError(f"an earlier text of {preset_id!r} has no sha256 digest")
    if not isinstance(version, str) or not isinstance(title, str):
        raise ValueError(f"an earlier text of {preset_id!r} has no version or title")
    if deadline is not None and not isinstance(deadline, str):
        raise ValueError(f"an earlier text of {preset_id!r} has a deadline that is not a date")
    return EarlierPreset(
        id=preset_id,
        sha256=sha,
        version=version,
        title=title,
        deadline=None if deadline is None else date.fromisoformat(deadline),
    )


@cache
def earlier_presets() -> tuple[EarlierPreset, ...]:
    """The shipped list; an unreadable one (an install gone wrong) is logged and taken as empty,
    so receipts under earlier texts are then refused as altered, never trusted blindly."""
    path = resource("earlier-presets.json")
    try:
        raw = path.read_bytes()[: _MAX_BYTES + 1]
        if len(raw) > _MAX_BYTES:
            raise ValueError("the earlier-presets file is too large")
        return parse_earlier(raw.decode("utf-8"))
    except (OSError, ValueError):
        log.error("the list of earlier built-in presets cannot be read", exc_info=True)
        return ()
