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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from audit.paths import resource

DOMAIN = "device_audit"
ENVIRONMENT = "DEVICE_AUDIT_LANGUAGE"
ENGLISH = "en"
FRENCH = "fr_CA"
PSEUDO = "pseudo"

# The languages a person can choose, each named in its own words (a menu shows these as they are).
LANGUAGES: dict[str, str] = {ENGLISH: "English", FRENCH: "Français (Canada)"}

_state: dict[str, object] = {}
# A language used by one thread for a while (`speaking`): a receipt is written in the language
# it records, whatever the reader's, without changing the words on the reader's other screens.
_local = threading.local()


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


_loaded: dict[str, gettext.NullTranslations] = {}


def _load(code: str) -> gettext.NullTranslations:
    """The catalogue of one of our languages, read once (a missing .mo is English, not a crash:
    a build without the compiled catalogue still speaks)."""
    if code not in _loaded:
        if code == PSEUDO:
            _loaded[code] = PseudoTranslations()
        elif code == ENGLISH:
            _loaded[code] = gettext.NullTranslations()
        else:
            _loaded[code] = gettext.translation(
                DOMAIN, locale_dir(), languages=[code], fallback=True
            )
    return _loaded[code]


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
    """The language in use ("en", "fr_CA" or "pseudo"): this thread's `speaking` language if
    one is set, else the app's."""
    spoken = getattr(_local, "code", None)
    if isinstance(spoken, str):
        return spoken
    if "code" not in _state:
        set_language()
    return str(_state["code"])


def chosen_language() -> str | None:
    """The language set for the app, or None before set_language() ran (the tests use it)."""
    code = _state.get("code")
    return code if isinstance(code, str) else None


@contextmanager
def speaking(code: str | None) -> Iterator[str]:
    """Within the block, this thread's words, dates and numbers are in `code` (any tag
    match_language knows; None or "" is English, what a receipt without a language was written
    in). Yields the language used. Other threads keep theirs, so a receipt written in French in
    the background never puts French on the screens of an English reader."""
    resolved = match_language(code) if code else ENGLISH
    previous = getattr(_local, "code", None), getattr(_local, "translations", None)
    _local.code, _local.translations = resolved, _load(resolved)
    try:
        yield resolved
    finally:
        _local.code, _local.translations = previous


def _translations() -> gettext.NullTranslations:
    spoken = getattr(_local, "translations", None)
    if isinstance(spoken, gettext.NullTranslations):
        return spoken
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


def record_date(day: date) -> str:
    """A day in a signed statement or a receipt: in English "2023-03-28", as receipts have
    always written it (unambiguous for the compliance office, and the text of earlier receipts
    stays comparable); in French "28 mars 2023", as the Government of Canada writes a day in a
    sentence."""
    if _calendar_language() == ENGLISH and language() != PSEUDO:
        return day.isoformat()
    return format_date(day)


def record_time_utc(moment: datetime) -> str:
    """A signed time (UTC) in a receipt: "2023-03-28 09:05 UTC" / "28 mars 2023 à 9 h 05 UTC"."""
    utc = moment.astimezone(UTC)
    if _calendar_language() == ENGLISH and language() != PSEUDO:
        return utc.strftime("%Y-%m-%d %H:%M UTC")
    return f"{format_datetime(utc)} UTC"


# The pseudo-language.
_ACCENTED = str.maketrans("aceinouyACEINOUY", "áçéîñøüýÁÇÉÎÑØÜÝ")
_PLACEHOLDER = re.compile(r"(\{[^{}]*\}|%\([^)]*\)[a-z]|%[a-z]|<[^<>]*>|&[a-z]+;)")


# A file dialog's kinds: "Policy files (*.toml);;All files (*)". Qt reads the patterns in the
# brackets that END each kind, so the pseudo-language leaves them as they are and at the end
# (a "*.tøml" or a "⟧" after the bracket and the dialog lists no file).
_FILE_KIND = re.compile(r"(?P<words>[^{}]+?)(?P<patterns> \(\*(\.\w+)?( \*\.\w+)*\))")


def pseudo_text(message: str) -> str:
    """`message` accented, a third longer and wrapped in ⟦ ⟧, with its placeholders, markup and
    line breaks untouched (so `.format()` and rich text still work on it); in a file dialog's
    kinds, only the words."""
    if not message:
        return message
    kinds = [_FILE_KIND.fullmatch(kind) for kind in message.split(";;")]
    if all(kinds):
        return ";;".join(_pseudo(k["words"]) + k["patterns"] for k in kinds if k is not None)
    return _pseudo(message)


def _pseudo(message: str) -> str:
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
