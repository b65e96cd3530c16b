"""Android package names from a phone: which may be listed, and which may be sent to a shell.

Two jobs, two grammars. A LISTING shows whatever the phone's package manager holds: Android's own
name rule (PackageParser.validateName) without its demand for a '.', because makers' framework
packages have none (`android`, Huawei's `androidhwext`, Honor's `androidhnext`, ZTE's
`androidzte`, OPPO's `oppo` and `oplus`, vivo's `vivo`, Xiaomi's `miui`). A line whose name
breaks even that rule (`x;reboot`, `A1._`) is no name any package manager could hold: the output
was garbled or hostile, and the list parser reports it rather than list it.

A COMMAND gets a name only if it passes the strict rule an app must pass to be installed (with a
'.'), and always quoted, as one argument of a list: that is every app a person can install or
remove, and a name from a phone that fails it (or any name from a file) is never sent. The
removal plan says why in words (`shell_refusal`).
"""

from __future__ import annotations

import re

from audit.errors import InvalidPackageName
from audit.i18n import _
from audit.text import visible

MAX_LENGTH = 255
"""Android refuses package names longer than this (PackageManager's limit since Android 12)."""

# Exactly Android's PackageParser.validateName(name, requireSeparator=true): letters, digits,
# '_' and '.', where a digit or '_' may not start a segment, and at least one '.'. (Android
# itself lets empty segments through, "a..b"; they are harmless here: no quote, no space, no
# leading '-' that a command could read as an option.)
# Written so each character has one way to match (no backtracking on long hostile input).
_GRAMMAR = re.compile(r"(?:[A-Za-z][A-Za-z0-9_]*)?(?:\.(?:[A-Za-z][A-Za-z0-9_]*)?)+")
# validateName(name, requireSeparator=false): the same segments, a '.' no longer required.
_LISTABLE = re.compile(r"(?:[A-Za-z][A-Za-z0-9_]*)?(?:\.(?:[A-Za-z][A-Za-z0-9_]*)?)*")


PLATFORM_PACKAGE = "android"
"""framework-res.apk: the one package AOSP's PackageParser accepts without a '.' separator
(makers' builds add their own, see the module docstring)."""


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


def is_listable_package_name(name: str) -> bool:
    """Whether a package manager could hold a package by this name (AOSP's or a maker's), so a
    listing that reports it is read as it is. `androidhwext` is; `x;reboot` and `A1._` are not."""
    return (
        0 < len(name) <= MAX_LENGTH
        and name not in (".", "..")
        and _LISTABLE.fullmatch(name) is not None
    )


def is_valid_package_name(name: str) -> bool:
    """Whether `name` may go into a shell command: an installable app's name (see the module
    docstring). Stricter than `is_listable_package_name`."""
    if name == PLATFORM_PACKAGE:
        return True
    if name in (".", ".."):  # FileUtils.isValidExtFilename
        return False
    return len(name) <= MAX_LENGTH and _GRAMMAR.fullmatch(name) is not None


def validate_package_name(name: str) -> str:
    """Return `name` unchanged if it may go into a shell command; else InvalidPackageName."""
    if not isinstance(name, str) or not is_valid_package_name(name):
        raise InvalidPackageName(str(name))
    return name


def shell_refusal(name: str) -> str:
    """Why Device Audit will not send `name` to a phone, in words; "" when it will.

    A name without a '.' that a phone may hold is part of the phone's own system (its framework),
    which no app removal touches; any other refused name could not belong to an app at all.
    """
    if is_valid_package_name(name):
        return ""
    shown = visible(name, limit=120)
    if is_listable_package_name(name):
        return _(
            "'{name}' is part of the phone's own system software (its name has no '.'), not "
            "an app that can be installed or removed, so Device Audit will not send it to the "
            "phone."
        ).format(name=shown)
    return _(
        "'{name}' is not a valid Android package name, so Device Audit will not send it to the "
        "phone."
    ).format(name=shown)
