"""How a staff id or a technician's name looks to a person, and names that mix alphabets.

Key pinning compares identities as text, but a person compares them by eye. "ps-1042",
"PS\u20101042" (a look-alike dash), "PS-1O42" (the letter O for a zero) and "РS-1042" (a
Cyrillic Р) all read as PS-1042, so each would pin a key of its own and put rows under a name
that reads as PS-1042's. `identity_look` gives the form a person sees; two identities with the
same look are the same to the people who read the history.

This follows the idea of Unicode TR39's "skeleton" (map each character to the one it is
confused with, then compare) without its data file: the table below is small, written out and
reviewable, and covers what a person typing or pasting a staff id or a name can produce
unnoticed: the Cyrillic and Greek letters drawn like Latin ones, and the digits drawn like
letters (0 and O; 1, I and l). It leaves out what TR39 also covers (letter pairs such as "rn"
for "m", other alphabets); such ids still pin a key of their own, as before.

Comparison ignores case, so the table is keyed by lower-case letters: where a capital and its
small letter look like different Latin letters (Greek Ν is N, ν is v), the capital's look is
used, because staff ids are written in capitals. And since "I" and "i" are one letter whatever
their case, "i", "l", "I" and "1" are one look: a false look-alike only asks someone to type
an id again, a missed one lets a row in under another person's name.

A name that mixes Latin with Cyrillic or Greek letters is refused outright (`mixed_alphabets`):
no real staff id or name needs letters from two alphabets that look alike, and a single swapped
letter is exactly how a look-alike is made. A name written wholly in Cyrillic or Greek (a real
person's name) stays allowed.
"""

from __future__ import annotations

import unicodedata

from audit.i18n import N_, _
from audit.text import visible

# Cyrillic and Greek letters (small, as casefold leaves them) -> the Latin letter they look
# like; then digits and letters drawn alike. Values are always in the look's own alphabet
# ("l" and "o"), so applying the table twice changes nothing.
_LOOKS_LIKE: dict[str, str] = {
    # Cyrillic: а в е к м н о р с т у х ѕ і ј ԛ ԝ ү һ ԁ ӏ (palochka)
    "\u0430": "a",
    "\u0432": "b",  # В
    "\u0435": "e",
    "\u043a": "k",
    "\u043c": "m",  # М
    "\u043d": "h",  # Н
    "\u043e": "o",
    "\u0440": "p",
    "\u0441": "c",
    "\u0442": "t",  # Т
    "\u0443": "y",
    "\u0445": "x",
    "\u0455": "s",
    "\u0456": "l",  # і, like i (and so l)
    "\u0458": "j",
    "\u051b": "q",
    "\u051d": "w",
    "\u04af": "y",
    "\u04bb": "h",
    "\u0501": "d",
    "\u04cf": "l",
    # Greek: α β ε ζ η ι κ μ ν ο ρ τ υ χ (and final ς, which casefold makes σ: not Latin-like)
    "\u03b1": "a",
    "\u03b2": "b",  # Β
    "\u03b5": "e",  # Ε
    "\u03b6": "z",  # Ζ
    "\u03b7": "h",  # Η
    "\u03b9": "l",  # Ι, like I (and so l)
    "\u03ba": "k",
    "\u03bc": "m",  # Μ
    "\u03bd": "n",  # Ν
    "\u03bf": "o",
    "\u03c1": "p",
    "\u03c4": "t",  # Τ
    "\u03c5": "y",  # Υ
    "\u03c7": "x",
    # Latin letters without a dot drawn like i or l
    "\u0131": "l",  # dotless ı
    # digits and letters drawn alike: 0 and O; 1, I, i and l
    "0": "o",
    "1": "l",
    "i": "l",
}

_ASCII_LOOKS_LIKE = str.maketrans({k: v for k, v in _LOOKS_LIKE.items() if k.isascii()})
_ALPHABETS = ("LATIN", "CYRILLIC", "GREEK")
_ALPHABET_NAMES = {"LATIN": N_("Latin"), "CYRILLIC": N_("Cyrillic"), "GREEK": N_("Greek")}
# What callers name with `mixed_alphabets(what, ...)`: marked here so the catalogue has them,
# translated in `mixed_alphabets` whether or not the caller translated them already.
WHATS = (N_("staff id"), N_("technician's name"), N_("name"))


def identity_look(identity: str) -> str:
    """What an identity looks like to a person: the same letters whatever their case, Unicode
    form, invisible (format) characters, spaces, dash look-alikes, and whichever of the
    look-alike letters and digits above ("ps-1042", "PS\u20101042", "PS-1042\u200b", "PS-1O42"
    and "РS-1042" all look like "PS-1042"). Never fails; applying it twice changes nothing."""
    if identity.isascii():  # most ids: one pass, no Unicode forms to undo (same answer)
        return "".join(identity.split()).lower().translate(_ASCII_LOOKS_LIKE)
    look = identity
    for _round in range(8):  # a fixed point within a round or two; bounded all the same
        again = _one_round(look)
        if again == look:
            break
        look = again
    return look


def _one_round(identity: str) -> str:
    text = unicodedata.normalize("NFKC", identity)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        kept.append("-" if category == "Pd" else " " if category.startswith("Z") else char)
    folded = "".join("".join(kept).split()).casefold()  # spaces too: "PS -1042" is PS-1042
    # Decomposed, so a look-alike base letter keeps its accents: Cyrillic ё is Latin ë.
    apart = unicodedata.normalize("NFKD", folded)
    return unicodedata.normalize("NFKC", "".join(_LOOKS_LIKE.get(c, c) for c in apart))


def alphabets(text: str) -> list[str]:
    """Which of the look-alike alphabets (Latin, Cyrillic, Greek) the letters of `text` use,
    after width and font forms are undone (a full-width Ｐ is Latin)."""
    found: set[str] = set()
    for char in unicodedata.normalize("NFKC", text):
        if not unicodedata.category(char).startswith("L"):
            continue
        name = unicodedata.name(char, "")
        found.update(a for a in _ALPHABETS if name.startswith(a + " "))
    return [a for a in _ALPHABETS if a in found]


def mixed_alphabets(what: str, text: str) -> str:
    """Why `text` (a staff id or a name, `what` says which: one of WHATS) is refused for mixing
    alphabets that look alike, or "" when it is written in one. Plain words for a person."""
    if text.isascii():  # Latin only: the common case, answered without reading names
        return ""
    used = alphabets(text)
    if len(used) < 2:
        return ""
    # Translators: between the names of alphabets, "Latin and Cyrillic"
    words = _(" and ").join(_(_ALPHABET_NAMES[a]) for a in used)
    # Translators: {what} is "staff id" or "name", already translated by the caller
    return _(
        "the {what} {text} uses letters from two alphabets that look alike ({alphabets}); "
        "type it in one alphabet"
    ).format(what=_(what), text=repr(visible(text, limit=80)), alphabets=words)


TECHNICIAN_PREFIX = "technician:"
"""The history keeps an enrolled technician's key under "technician:NAME"."""


def reads_as_technician(staff_id: str) -> bool:
    """A staff id that reads as a technician's identity ("technician:Sam Lee", "Technician :
    Sam Lee", "tech\u200bnician:…") would take that technician's key pin in the history."""
    return identity_look(staff_id).startswith(_TECHNICIAN_LOOK)


_TECHNICIAN_LOOK = identity_look(TECHNICIAN_PREFIX)
