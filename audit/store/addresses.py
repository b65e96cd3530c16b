"""What a history address may be: a file's path, or a team history's postgresql:// address.

Apart from store.py (which re-exports it) because the command line checks an address with it
before anything names the address as a file, without opening any history.
"""

from __future__ import annotations

import re
from pathlib import Path

from audit.errors import StoreError
from audit.i18n import _


def refuse_keyword_address(path: str | Path) -> None:
    """Raise for libpq's "host=... password=..." form, or a mistyped postgresql:// address,
    given as a history: as a file name it
    would create (or look for) a history named after it, password included, on this computer
    while the person believes they are on the team history. A Path too: the command line makes
    one of every --db value that is not a postgresql:// address."""
    text = str(path)
    if re.search(r"(^|\s)(host|hostaddr|dbname|user|password|port)\s*=", text):
        raise StoreError(
            _("This looks like a database connection in libpq's key=value form."),
            _("Give a team history as postgresql://user@server:port/database."),
        )
    # A scheme mistyped ("postgresql:/ann:pw@host/db", "postgres ql://..."): a file named after
    # it would hold the password. Two letters or more before the ':', so C:/ stays a drive.
    if "://" in text or re.match(r"[A-Za-z][A-Za-z0-9+.\- ]+:/", text):
        raise StoreError(
            _("This looks like the address of a team history, mistyped."),
            _("Give a team history as postgresql://user@server:port/database."),
        )
