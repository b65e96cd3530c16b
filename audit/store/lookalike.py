"""Identities that look alike: a staff id a person cannot tell from one already pinned.

Key pinning compares identities as text, so "ps-1042", "PS\u20101042" (a look-alike dash),
"PS-1O42" (O for 0), "РS-1042" (a Cyrillic Р) or "PS-1042" with an invisible character would
each pin a key of their own and put rows under a name that reads as PS-1042's. The import
refuses a new identity that looks like a pinned one (audit.confusables.identity_look), a staff
id or technician name that mixes Latin with Cyrillic or Greek letters, and a staff id that
reads as a technician's identity ("technician:Sam Lee"), whether or not the receipt names a
technician: it would take that technician's key pin.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from audit.confusables import identity_look, mixed_alphabets, reads_as_technician
from audit.i18n import _
from audit.store.bulk import AUDIT_COLUMNS, ReceiptRows
from audit.text import visible

__all__ = ["identity_look", "lookalike_problem", "pinned_lookalikes"]

_COLUMNS = [c.strip() for c in AUDIT_COLUMNS.split(",")]
TECHNICIAN_COLUMN = _COLUMNS.index("technician")
STAFF_COLUMN = _COLUMNS.index("staff_id")


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
    identity ("technician:Sam Lee"), which would take the technician's pin, and a staff id or
    technician name that mixes Latin with Cyrillic or Greek letters."""
    technician = str(v.audit[TECHNICIAN_COLUMN] or "")
    staff_id = str(v.audit[STAFF_COLUMN] or "")  # as signed (v.identity is the pinned one)
    mixed = mixed_alphabets("staff id", staff_id) or mixed_alphabets(
        "technician's name", technician
    )
    if mixed:
        return _(
            "{problem}: ask for it to be signed again with the name as the person writes it"
        ).format(problem=mixed)
    if reads_as_technician(staff_id):
        return _(
            "its staff id {staff_id} is written as a technician's identity, which no staff id "
            "may be, whether or not a technician is named: ask for it to be signed again with "
            "the person's real staff id"
        ).format(staff_id=repr(visible(staff_id)))
    if v.identity in keys:
        return ""
    twin = lookalikes.get(identity_look(v.identity))
    if twin is None or twin == v.identity:
        return ""
    return _(
        "it is signed for {identity}, which looks like {twin} (another case, a look-alike dash, "
        "an invisible character, O for 0 or a letter of another alphabet) whose receipts are "
        "signed with another key: ask the person which staff id is theirs, and for it to be "
        "signed again with it"
    ).format(identity=repr(visible(v.identity)), twin=repr(visible(twin)))
