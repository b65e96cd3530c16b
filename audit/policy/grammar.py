"""What an app's identifier can look like on its platform, so a policy never bans a name no
device can have.

A rule whose value no device can ever report matches nothing, silently: every phone with the
banned app is then judged compliant under it, and its receipts are signed and counted so. The
way in is ordinary: a package name copied from a web page or a chat carries a zero-width space
or a soft hyphen (both invisible), a fullwidth dot, or one Cyrillic "а" typed by someone who
means harm; the file reads exactly like the right one on screen. So the loader checks every
identifier against its platform's own grammar and names the first character no device can
have, with its position and its Unicode name, as it already refuses a value with spaces
around it.

The grammars are the platforms' rules, not a guess at what looks tidy:
- Android (PackageParser.validateName, as audit.sources.android.packages applies it to what a
  phone lists): ASCII letters, digits, '_' and '.', each part starting with a letter.
- Apple bundle ids (CFBundleIdentifier): ASCII letters, digits, '-' and '.'. A Mac app from
  outside the App Store is not checked by Apple, and some use '_', so macOS also allows it.
- App Store ids are numbers; Microsoft Store ids letters and digits; an AppX package name is
  ASCII letters, digits, '-' and '.' (its family name adds '_' before the publisher hash).
- Debian names are lower case (Debian Policy 5.6.1); RPM, Flatpak and snap names are ASCII.
- Free-form names (a Windows Uninstall key, a winget id, a .desktop file, an AppImage file, a
  web address) may hold letters of any alphabet, but never an invisible character, and never a
  word that mixes Latin with Cyrillic or Greek letters: that is how a look-alike is made.

Display names, publishers and processes are compared after NFKC (audit.policy.matching), so a
fullwidth letter there is harmless; an invisible character or a mixed-alphabet word is not.
Globs keep their `*` and `?` (a policy may ban `com.bytedance.*`).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable

from audit.i18n import N_, _
from audit.model import IdentifierKind

_ASCII_ALNUM = frozenset(string.ascii_letters + string.digits)
_GLOB = frozenset("*?")
# Characters no name of any kind holds: controls, invisible formatting (zero-width space, soft
# hyphen, bidi marks, byte-order mark), line separators, private-use, surrogates, unassigned.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})
# Joiners that some scripts (Persian, the Indic ones) and emoji need inside a display name.
_JOINERS = frozenset({"\u200c", "\u200d"})
_LOOKALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
ANDROID_MAX = 255  # PackageManager refuses longer names (audit.sources.android.packages)

# kind -> (its ASCII alphabet, or None for a free-form name; what that alphabet is, in words)
_ALPHABETS: dict[IdentifierKind, tuple[frozenset[str] | None, str]] = {
    IdentifierKind.ANDROID_PACKAGE: (
        _ASCII_ALNUM | frozenset("_."),
        N_("an Android package name has only the letters a to z and A to Z, digits, '_' and '.'"),
    ),
    IdentifierKind.IOS_BUNDLE: (
        _ASCII_ALNUM | frozenset("-."),
        N_("an iPhone bundle id has only the letters a to z and A to Z, digits, '-' and '.'"),
    ),
    IdentifierKind.MACOS_BUNDLE: (
        _ASCII_ALNUM | frozenset("-._"),
        N_("a Mac bundle id has only the letters a to z and A to Z, digits, '-', '_' and '.'"),
    ),
    IdentifierKind.APPSTORE_ID: (
        frozenset(string.digits),
        N_("an App Store id has only digits (835599320)"),
    ),
    IdentifierKind.MSSTORE_ID: (
        _ASCII_ALNUM,
        N_("a Microsoft Store id has only the letters A to Z and digits (9NH2GPH4JZS4)"),
    ),
    IdentifierKind.APPX_NAME: (
        _ASCII_ALNUM | frozenset("-."),
        N_("a Windows package name has only the letters a to z and A to Z, digits, '-' and '.'"),
    ),
    IdentifierKind.APPX_PFN: (
        _ASCII_ALNUM | frozenset("-._"),
        N_(
            "a Windows package family name has only the letters a to z and A to Z, digits, "
            "'-', '.' and '_'"
        ),
    ),
    IdentifierKind.DEB: (
        frozenset(string.ascii_lowercase + string.digits + "+-."),
        N_("a Debian package name has only lower-case letters a to z, digits, '+', '-' and '.'"),
    ),
    IdentifierKind.RPM: (
        _ASCII_ALNUM | frozenset("+-._"),
        N_(
            "an RPM package name has only the letters a to z and A to Z, digits, '+', '-', '.' "
            "and '_'"
        ),
    ),
    IdentifierKind.FLATPAK: (
        _ASCII_ALNUM | frozenset("-._"),
        N_("a Flatpak id has only the letters a to z and A to Z, digits, '-', '_' and '.'"),
    ),
    IdentifierKind.SNAP: (
        frozenset(string.ascii_lowercase + string.digits + "-_"),
        N_("a snap name has only lower-case letters a to z, digits, '-' and '_'"),
    ),
    IdentifierKind.WINGET_ID: (None, N_('a winget id has no spaces and none of \\ / : " < > |')),
    IdentifierKind.ARP_KEY: (None, N_("a Windows Uninstall key name has no '\\'")),
    IdentifierKind.DESKTOP: (None, N_("a .desktop file name has no '/'")),
    IdentifierKind.APPIMAGE: (None, N_("an AppImage file name has no '/'")),
    IdentifierKind.DOMAIN: (None, N_("a web address has only letters, digits, '-', '_' and '.'")),
}
# What surely fits each kind, as one pattern (globs included): a shortcut past `_explained`,
# never a rule of its own (tests/audit/policy/test_identifier_grammar.py checks they agree).
_PLAIN: dict[IdentifierKind, re.Pattern[str]] = {
    kind: re.compile(pattern, re.ASCII)  # \w is [A-Za-z0-9_], never a Unicode letter
    for kind, pattern in {
        IdentifierKind.ANDROID_PACKAGE: r"[A-Za-z*?][\w*?]*(?:\.[A-Za-z*?][\w*?]*)*",
        IdentifierKind.IOS_BUNDLE: r"[A-Za-z0-9.*?-]+",
        IdentifierKind.MACOS_BUNDLE: r"[A-Za-z0-9._*?-]+",
        IdentifierKind.APPSTORE_ID: r"[1-9*?][0-9*?]*",
        IdentifierKind.MSSTORE_ID: r"[A-Za-z0-9*?]+",
        IdentifierKind.APPX_NAME: r"[A-Za-z0-9.*?-]+",
        IdentifierKind.APPX_PFN: r"[A-Za-z0-9._*?-]+",
        IdentifierKind.DEB: r"[a-z0-9+.*?-]+",
        IdentifierKind.RPM: r"[A-Za-z0-9+._*?-]+",
        IdentifierKind.FLATPAK: r"[A-Za-z0-9._*?-]+",
        IdentifierKind.SNAP: r"[a-z0-9_*?-]+",
        IdentifierKind.WINGET_ID: r"[!#-.0-9;=?-\[\]-{}~]+",  # printable ASCII less \ / : " < > |
        IdentifierKind.ARP_KEY: r"[ -\[\]-~]+",  # printable ASCII less \
        IdentifierKind.DESKTOP: r"[ -.0-~]+",  # printable ASCII less /
        IdentifierKind.APPIMAGE: r"[ -.0-~]+",
        IdentifierKind.DOMAIN: r"[A-Za-z0-9._*?-]+",
    }.items()
}
# Free-form kinds: the characters each refuses besides the invisible ones.
_FORBIDDEN: dict[IdentifierKind, Callable[[str], bool]] = {
    IdentifierKind.WINGET_ID: lambda c: c.isspace() or c in '\\/:"<>|',
    IdentifierKind.ARP_KEY: lambda c: c == "\\" or (c.isspace() and c != " "),
    IdentifierKind.DESKTOP: lambda c: c == "/" or (c.isspace() and c != " "),
    IdentifierKind.APPIMAGE: lambda c: c == "/" or (c.isspace() and c != " "),
    # A browser writes a host in its plain form (IDNA): a fullwidth dot or letter, a space,
    # anything but letters, digits, '-', '_' and '.' never reaches a web app's address.
    IdentifierKind.DOMAIN: lambda c: (
        not (c.isalnum() or c in "-_.") or unicodedata.normalize("NFKC", c) != c
    ),
}
_RETYPE = N_(
    "Type the value again by hand: text copied from a web page or a chat can carry invisible "
    "or look-alike characters"
)
_EXACT = N_("Write the identifier exactly as the device or the app store shows it")


def identifier_problem(kind: IdentifierKind, value: str) -> str:
    """Why no device can have an app identified by `value` (a glob may use `*` and `?`), in
    words that name the character and its position; "" when it can be one."""
    # The common case in one C-level match (the catalog is checked at every start of the app);
    # anything else is explained, or found fine after all, character by character.
    if _PLAIN[kind].fullmatch(value) is not None and len(value) <= ANDROID_MAX:
        return ""
    return _explained(kind, value)


def _explained(kind: IdentifierKind, value: str) -> str:
    alphabet, rule = _ALPHABETS[kind]
    for position, char in enumerate(value, 1):
        if char in _GLOB:
            continue
        if alphabet is not None:
            bad = char not in alphabet
        else:
            bad = _invisible(char) or _FORBIDDEN[kind](char)
        if bad:
            return _refusal(position, char, _what(char, mixed=False), _(rule))
    if alphabet is None and not value.isascii():  # ASCII letters are all Latin
        mixed = _mixed_script(value)
        if mixed is not None:
            look_alike = _("a word that mixes alphabets is a look-alike of the real name")
            return _refusal(mixed + 1, value[mixed], _what(value[mixed], mixed=True), look_alike)
    if kind is IdentifierKind.ANDROID_PACKAGE:
        return _android_shape(value)
    if kind is IdentifierKind.APPSTORE_ID and value.startswith("0"):
        # a phone reports the number itself (audit.sources.ios.apps), never a leading zero
        return _(
            "it starts with 0, and an App Store id is a number that never does, so the rule "
            "could never match anything. {next_step}"
        ).format(next_step=_(_EXACT))
    return ""


def text_problem(value: str) -> str:
    """Why a name, publisher or process pattern would miss the app it names: an invisible
    character, or a word mixing Latin with Cyrillic or Greek letters; "" when none."""
    if value.isascii() and value.isprintable():  # most names: nothing invisible, one alphabet
        return ""
    for position, char in enumerate(value, 1):
        if _invisible(char) and char not in _JOINERS:
            return _name_refusal(position, char, mixed=False)
    mixed = _mixed_script(value)
    return "" if mixed is None else _name_refusal(mixed + 1, value[mixed], mixed=True)


def _android_shape(value: str) -> str:
    if len(value) > ANDROID_MAX:
        return _(
            "it is {count} characters long; Android allows at most {most}, so no phone can have "
            "an app by this name"
        ).format(count=len(value), most=ANDROID_MAX)
    if not any(char in string.ascii_letters or char in _GLOB for char in value):
        return _(
            "{value} has no letter, and an Android package name always has one, so no phone "
            "can have an app by this name. {next_step}"
        ).format(value=repr(value), next_step=_(_EXACT))
    start = 0
    for part in value.split("."):
        if part and part[0] not in string.ascii_letters and part[0] not in _GLOB:
            return _(
                "character {position} is '{char}' at the start of a part, and each part of an "
                "Android package name (between the dots) starts with a letter, so no phone can "
                "have an app by this name. {next_step}"
            ).format(position=start + 1, char=part[0], next_step=_(_EXACT))
        start += len(part) + 1
    return ""


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in _INVISIBLE


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return next((script for script in _LOOKALIKE_SCRIPTS if name.startswith(script)), "")


def _mixed_script(value: str) -> int | None:
    """The index of the first letter whose alphabet (Latin, Cyrillic, Greek) differs from the
    first letter of its word, or None: "musicаlly" with a Cyrillic "а" is a look-alike."""
    word_script = ""
    for index, char in enumerate(value):
        if not char.isalpha():
            word_script = ""
            continue
        script = _script(char)
        if not script:
            continue
        if not word_script:
            word_script = script
        elif script != word_script:
            return index
    return None


def _what(char: str, *, mixed: bool) -> str:
    """The character in words: its Unicode name and code, never the invisible thing itself."""
    name = unicodedata.name(char, "")
    named = f"{name}, U+{ord(char):04X}" if name else f"U+{ord(char):04X}"
    if char == " ":
        return _("a space")
    if _invisible(char) or char.isspace():
        return _("an invisible character ({name})").format(name=named)
    if mixed:
        return _("'{char}' ({name}), from another alphabet than the rest of its word").format(
            char=char, name=named
        )
    if _script(char) in ("CYRILLIC", "GREEK"):
        return _(
            "'{char}' ({name}), a letter of another alphabet that looks like a Latin one"
        ).format(char=char, name=named)
    return _("'{char}' ({name})").format(char=char, name=named)


def _refusal(position: int, char: str, what: str, rule: str) -> str:
    """A plain ASCII character in the wrong place is a slip of the writer ("TikTok" for a Debian
    name); anything else is what copying brings in, and typing it again is the cure."""
    next_step = _EXACT if char.isascii() and char.isprintable() else _RETYPE
    # Translators: {what} is "an invisible character (ZERO WIDTH SPACE, U+200B)" or "'а'
    # (CYRILLIC SMALL LETTER A, U+0430), a letter ..."; {rule} is "an Android package name has
    # only ..."; {next_step} is "Type the value again by hand: ..."
    return _(
        "character {position} is {what}, and {rule}, so the rule could never match anything. "
        "{next_step}"
    ).format(position=position, what=what, rule=rule, next_step=_(next_step))


def _name_refusal(position: int, char: str, *, mixed: bool) -> str:
    return _(
        "character {position} is {what}; names are compared as people see them, so the rule "
        "would miss the app it names. {next_step}"
    ).format(position=position, what=_what(char, mixed=mixed), next_step=_(_RETYPE))
