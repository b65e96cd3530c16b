"""Android's package-name grammar, checked before a name from a phone goes into any command.

A phone is untrusted: a package called `x;reboot` or `$(id)` must never reach a shell. Commands
are built from argument lists and quoted as well, but refusing a name that Android itself could
never have installed is the first line: such a name means the output was garbled or hostile.
"""

from __future__ import annotations

import re

from audit.errors import InvalidPackageName

MAX_LENGTH = 255
"""Android refuses package names longer than this (PackageManager's limit since Android 12)."""

# Exactly Android's PackageParser.validateName(name, requireSeparator=true): letters, digits,
# '_' and '.', where a digit or '_' may not start a segment, and at least one '.'. (Android
# itself lets empty segments through, "a..b"; they are harmless here: no quote, no space, no
# leading '-' that a command could read as an option.)
# Written so each character has one way to match (no backtracking on long hostile input).
_GRAMMAR = re.compile(r"(?:[A-Za-z][A-Za-z0-9_]*)?(?:\.(?:[A-Za-z][A-Za-z0-9_]*)?)+")


PLATFORM_PACKAGE = "android"
"""framework-res.apk: the one package PackageParser accepts without a '.' separator."""


def is_plain_package_name(name: str) -> bool:
    """A valid name with at least one '.' (the common case, one C-level match)."""
    return (
        _GRAMMAR.fullmatch(name) is not None
        and len(name) <= MAX_LENGTH
        and name
        not in (
            ".",
            "..",
        )
    )


def is_valid_package_name(name: str) -> bool:
    if name == PLATFORM_PACKAGE:
        return True
    if name in (".", ".."):  # FileUtils.isValidExtFilename
        return False
    return len(name) <= MAX_LENGTH and _GRAMMAR.fullmatch(name) is not None


def validate_package_name(name: str) -> str:
    """Return `name` unchanged if Android could have installed a package by that name."""
    if not isinstance(name, str) or not is_valid_package_name(name):
        raise InvalidPackageName(str(name))
    return name
