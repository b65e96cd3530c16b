"""Untrusted text (from phones, computers, files) made safe to show.

Control and format characters in a package label or a phone's name could move a terminal's
cursor, hide text, or reverse it (a right-to-left override); shown as visible escapes they
can do none of that. Every place that shows such text goes through `visible`.
"""

from __future__ import annotations

import unicodedata

_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def visible(text: str, *, keep: str = "", limit: int | None = None) -> str:
    """`text` with control, format and line-separator characters shown as \\xNN / \\uNNNN.

    Characters in `keep` (say "\\n" for a multi-line document) are left as they are. With a
    `limit`, longer text is cut and ends in "...".
    """
    out = []
    for char in text:
        if char not in keep and unicodedata.category(char) in _INVISIBLE:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    shown = "".join(out)
    if limit is not None and len(shown) > limit:
        return shown[: limit - 3] + "..."
    return shown


def plural(count: int, word: str, many: str = "") -> str:
    """ "1 app", "2 apps", "2 possible matches": English plurals of the words the app counts
    (`many` for an irregular one).

    English only, so never for words a person reads: those are counted with
    `audit.i18n.ngettext`, whose catalogue knows each language's rule (French says "0 app").
    No product code calls this since issue 17; it goes once no branch in flight needs it."""
    if count == 1:
        return f"{count} {word}"
    if not many:
        many = word + ("es" if word.endswith(("s", "x", "z", "ch", "sh")) else "s")
    return f"{count} {many}"
