"""Identities that look alike: a staff id a person cannot tell from one already pinned.

Key pinning compares identities as text, so "ps-1042", "PS\u20101042" (a look-alike dash) or
"PS-1042" with an invisible character would each pin a key of their own and put rows under a
name that reads as PS-1042's. The import refuses a new identity that looks like a pinned one,
and a staff id written as a technician's identity ("technician:Sam Lee").
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Mapping

from audit.store.bulk import AUDIT_COLUMNS, ReceiptRows
from audit.text import visible

TECHNICIAN_COLUMN = [c.strip() for c in AUDIT_COLUMNS.split(",")].index("technician")


def identity_look(identity: str) -> str:
    """What an identity looks like to a person: the same letters whatever their case, Unicode
    form, invisible (format) characters, spaces, dash look-alikes ("ps-1042", "PS\u20101042",
    "PS-1042\u200b" all look like "PS-1042")."""
    text = unicodedata.normalize("NFKC", identity)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        kept.append("-" if category == "Pd" else " " if category.startswith("Z") else char)
    folded = "".join("".join(kept).split()).casefold()  # spaces too: "PS -1042" is PS-1042
    return unicodedata.normalize("NFKC", folded)


def pinned_lookalikes(conn: sqlite3.Connection) -> dict[str, str]:
    """How each identity with a pinned key looks (identity_look) -> that identity."""
    return {
        identity_look(identity): identity
        for (identity,) in conn.execute("SELECT DISTINCT identity FROM keys")
    }


def lookalike_problem(
    v: ReceiptRows, keys: Mapping[str, Mapping[str, str]], lookalikes: Mapping[str, str]
) -> str:
    """A receipt under a new identity that looks like one the history already pins to a key
    (another case, a look-alike dash, an invisible character) is refused: it would put a row
    under that person's name without their key. So is a staff id written as a technician's
    identity ("technician:Sam Lee"), which would take the technician's pin."""
    technician = str(v.audit[TECHNICIAN_COLUMN] or "")
    if not technician and v.identity.casefold().startswith("technician:"):
        return (
            f"its staff id {visible(v.identity)!r} is written as a technician's identity, which "
            "no staff id may be: ask for it to be signed again with the person's real staff id"
        )
    if v.identity in keys:
        return ""
    twin = lookalikes.get(identity_look(v.identity))
    if twin is None or twin == v.identity:
        return ""
    return (
        f"it is signed for {visible(v.identity)!r}, which looks like {visible(twin)!r} (another "
        "case, a look-alike dash or an invisible character) whose receipts are signed with "
        "another key: ask the person which staff id is theirs, and for it to be signed again "
        "with it"
    )
