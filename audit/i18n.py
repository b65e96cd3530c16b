"""One catalogue of the words a person reads, in the language they read (issue 17).

Why gettext, for the core and the desktop app alike: the Qt-free core (the CLI, the receipt, the
PDF's text, every error's next step) needs a catalogue that works without Qt, and one catalogue
with one tool chain is easier to keep complete than two (Qt's `tr()` would split the words of one
screen between a .po and a .ts file). Qt's own words (the Cancel of a standard button box) come
from the qtbase translation PySide6 ships; the desktop app loads it beside this catalogue.

How to write a user-facing string (docs/translating.md says more):
- `_("Plain words")`, with named placeholders filled after translation:
  `_("{count} apps checked on {device}").format(count=..., device=...)`; never join translated
  pieces into a sentence, because word order differs between languages.
- Counts: `ngettext("{count} app", "{count} apps", n).format(count=n)`.
- Module-level constants are marked with `N_()` (extracted, not translated at import) and
  translated where they are shown: `_(CONSTANT)`.
- Dates and numbers in sentences: `format_date`, `format_number` below.

The language is chosen, in order, by `set_language()` (the app's setting, the CLI's --language),
the DEVICE_AUDIT_LANGUAGE environment variable, then the system's locale; anything unknown is
English. "pseudo" is a test language: every string wrapped in ⟦ ⟧, accented and made about a
third longer, so a screen shows at a glance any text that bypassed the catalogue or was cut off.
"""

from __future__ import annotations

import gettext
import os
import re
import sys
from datetime import date, datetime

from audit.paths import resource

DOMAIN = "device_audit"
ENVIRONMENT = "DEVICE_AUDIT_LANGUAGE"
ENGLISH = "en"
FRENCH = "fr_CA"
PSEUDO = "pseudo"

# The languages a person can choose, each named in its own words (a menu shows these as they are).
LANGUAGES: dict[str, str] = {ENGLISH: "English", FRENCH: "Français (Canada)"}

_state: dict[str, object] = {}


def locale_dir() -> str:
    return str(resource("locale"))


def match_language(tag: str) -> str:
    """A locale tag as systems write it ("fr_CA.UTF-8", "fr-FR", "fr", "en_NZ", "C") -> one of
    ours. Every French becomes Canada's French (the translation there is); anything else English."""
    cleaned = tag.strip().split(".")[0].split("@")[0].replace("-", "_").lower()
    if cleaned == PSEUDO:
        return PSEUDO
    if cleaned == "fr" or cleaned.startswith("fr_"):
        return FRENCH
    return ENGLISH


def system_language() -> str:
    """The language the system asks for: LANGUAGE, LC_ALL, LC_MESSAGES, LANG (POSIX order), then
    what Windows or macOS report through `locale`."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:  # LANGUAGE may list several ("fr_CA:fr:en"): the first one is preferred
            return match_language(value.split(":")[0])
    if sys.platform in ("win32", "darwin"):
        import locale

        try:
            tag = locale.getlocale()[0] or ""
        except ValueError:
            tag = ""
        return match_language(tag)
    return ENGLISH


def _load(code: str) -> gettext.NullTranslations:
    if code == PSEUDO:
        return PseudoTranslations()
    if code == ENGLISH:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, locale_dir(), languages=[code], fallback=True)


def set_language(code: str | None = None) -> str:
    """Use `code` (or, when None, the environment's or the system's language) from now on;
    returns the language in use. An unknown code is English, never an error: a person always gets
    words they can read."""
    chosen = code or os.environ.get(ENVIRONMENT) or ""
    resolved = match_language(chosen) if chosen else system_language()
    _state["code"] = resolved
    _state["translations"] = _load(resolved)
    return resolved


def language() -> str:
    """The language in use ("en", "fr_CA" or "pseudo")."""
    if "code" not in _state:
        set_language()
    return str(_state["code"])


def _translations() -> gettext.NullTranslations:
    found = _state.get("translations")
    if not isinstance(found, gettext.NullTranslations):
        set_language()
        found = _state["translations"]
    assert isinstance(found, gettext.NullTranslations)
    return found


def _(message: str) -> str:
    """`message` in the language in use."""
    return _translations().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a counted message for `count` in the language in use (French says "1 app"
    and "0 app", English "0 apps": the catalogue's plural rule decides)."""
    return _translations().ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """`message` translated in `context`, where one English word needs two translations."""
    return _translations().pgettext(context, message)


def N_(message: str) -> str:
    """Marks a constant for the catalogue; it is translated where it is shown, with `_()`."""
    return message


# Dates and numbers. The two languages are written here rather than with a locale library: two
# tables are smaller than CLDR's data, and the core stays free of a dependency the bundle carries.
_MONTHS = {
    ENGLISH: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    FRENCH: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}
_SHORT_MONTHS = {
    ENGLISH: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    FRENCH: [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
}


def _calendar_language() -> str:
    return FRENCH if language() == FRENCH else ENGLISH


def format_date(day: date, *, short: bool = False) -> str:
    """ "7 December 2026" / "7 décembre 2026"; short: "7 Dec 2026" / "7 déc. 2026"."""
    months = (_SHORT_MONTHS if short else _MONTHS)[_calendar_language()]
    text = f"{day.day} {months[day.month - 1]} {day.year}"
    return pseudo_text(text) if language() == PSEUDO else text


def format_time(moment: datetime) -> str:
    """ "14:05" / "14 h 05" (Canada's French writes the hour with an h)."""
    if _calendar_language() == FRENCH:
        return f"{moment.hour} h {moment.minute:02d}"
    return f"{moment.hour:02d}:{moment.minute:02d}"


def format_datetime(moment: datetime, *, short: bool = False) -> str:
    """The day and the time, as a sentence writes them: "7 December 2026, 14:05"."""
    if _calendar_language() == FRENCH:
        return f"{format_date(moment.date(), short=short)} à {format_time(moment)}"
    return f"{format_date(moment.date(), short=short)}, {format_time(moment)}"


def format_number(value: int | float, *, decimals: int = 0) -> str:
    """1234567 -> "1,234,567" / "1 234 567" (no-break spaces, so a number never wraps)."""
    text = f"{value:,.{decimals}f}"
    if _calendar_language() == FRENCH:
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


# The pseudo-language.
_ACCENTED = str.maketrans("aceinouyACEINOUY", "áçéîñøüýÁÇÉÎÑØÜÝ")
_PLACEHOLDER = re.compile(r"(\{[^{}]*\}|%\([^)]*\)[a-z]|%[a-z]|<[^<>]*>|&[a-z]+;)")


def pseudo_text(message: str) -> str:
    """`message` accented, a third longer and wrapped in ⟦ ⟧, with its placeholders, markup and
    line breaks untouched (so `.format()` and rich text still work on it)."""
    if not message:
        return message
    parts = _PLACEHOLDER.split(message)
    shown = "".join(
        part if _PLACEHOLDER.fullmatch(part) else part.translate(_ACCENTED) for part in parts
    )
    letters = sum(1 for char in message if char.isalpha())
    return "⟦" + shown + "·" * max(1, letters // 3) + "⟧"


class PseudoTranslations(gettext.NullTranslations):
    """The pseudo-language: every catalogue string through `pseudo_text`."""

    def gettext(self, message: str) -> str:
        return pseudo_text(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return pseudo_text(msgid1 if n == 1 else msgid2)

    def pgettext(self, context: str, message: str) -> str:  # noqa: ARG002 - gettext's signature
        return pseudo_text(message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:  # noqa: ARG002
        return pseudo_text(msgid1 if n == 1 else msgid2)
