"""The shell commands Device Audit sends to a phone, built from argument lists.

Every argument is quoted with shlex.quote; package names are validated first. Several commands go
to the phone as ONE shell invocation with markers between them, so a whole inventory costs a
couple of round trips however many packages or users there are. The phone's shell still runs the
commands one by one: each one's exit status is captured, so one failing command (an old `pm`
rejecting a flag) is detected and retried alone with fallback flags.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from audit.sources.android.packages import validate_package_name

Argv = tuple[str, ...]

LIST_ALL_FLAGS: Argv = ("-f", "-i", "-U", "-u", "--show-versioncode")
"""Everything `pm list packages` can say in one line, uninstalled-for-user system apps included."""

SYSTEM_FLAGS: Argv = ("-s", *LIST_ALL_FLAGS)
"""Every system package with its details, read once (for user 0): a system package's path,
version and installer are the same in every user, and from Android 8 `-u` lists every system
package for every user, so repeating them per user would only repeat bytes."""

THIRD_PARTY_FLAGS: Argv = ("-3", *LIST_ALL_FLAGS)
"""A user's own apps with their details; with -u also those uninstalled with their data kept
(and, up to Android 7, the apps of the other users)."""

OPTIONAL_FLAGS = frozenset({"-f", "-i", "-U", "--show-versioncode"})
"""Flags an older or OEM `pm` may reject; the list is still useful without them."""


def quote(argv: Sequence[str]) -> str:
    return " ".join(shlex.quote(arg) for arg in argv)


def getprop() -> Argv:
    return ("getprop",)


def list_users() -> Argv:
    return ("pm", "list", "users")


def device_policy() -> Argv:
    return ("dumpsys", "device_policy")


def list_packages(flags: Sequence[str], user: int | None) -> Argv:
    """`pm list packages FLAGS [--user N]`; user None lists the default user (old phones)."""
    argv: list[str] = ["pm", "list", "packages", *flags]
    if user is not None:
        argv += ["--user", str(user)]
    return tuple(argv)


def dumpsys_package(package: str) -> Argv:
    return ("dumpsys", "package", validate_package_name(package))


@dataclass(frozen=True)
class Script:
    """Several commands sent as one shell invocation, and how to find each one's output."""

    nonce: str
    sections: tuple[tuple[str, Argv], ...]

    @property
    def text(self) -> str:
        parts = []
        for name, argv in self.sections:
            parts.append(f"echo ===DA:{self.nonce}:{name}:begin===")
            # 2>&1: errors (a SecurityException for a protected user) belong to their command.
            parts.append(f"{quote(argv)} 2>&1")
            parts.append(f"echo ===DA:{self.nonce}:{name}:rc=$?===")
        return "; ".join(parts)


def build_script(sections: Sequence[tuple[str, Argv]]) -> Script:
    """A script whose markers carry a fresh random nonce, so device output cannot forge them."""
    return Script(secrets.token_hex(4), tuple(sections))
