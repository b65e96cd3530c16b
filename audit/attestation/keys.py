"""The signing key: Ed25519, made on first use and kept in the OS keyring, never in a file.

The key is this installation's identity. Its fingerprint (sha256 of the raw public key) is shown
to the person and remembered by the helpdesk, so losing or replacing the key must never happen
silently: a damaged stored key is an error, and an unusable keyring is an error, not a reason to
write the key somewhere else.

Which keyring: whatever `keyring.get_keyring()` gives, so a backend the person chose through
keyring's own PYTHON_KEYRING_BACKEND setting or config file is honoured. A backend keyring itself
does not recommend (priority below 1, e.g. a plain-file store) is refused unless it was chosen
explicitly that way. keyring picks its backend once per process; `reload_keyring` makes it pick
again, so a keyring set up while Device Audit runs is found without a restart.

When there is no usable keyring, the error leads with what the person can do (most often: ask
the IT helpdesk), and keeps the commands and settings for IT as its `details`.
"""

from __future__ import annotations

import base64
import binascii
import configparser
import hashlib
import logging
import os
import re
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

import keyring
import keyring.core
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked

from audit.errors import KeyringUnavailable, SigningKeyDamaged
from audit.i18n import N_, _

log = logging.getLogger(__name__)

SERVICE = "Device Audit"
USERNAME = "signing-key"
# What the keyring entry holds: this prefix, then the 32 raw private-key bytes in base64.
KEY_FORMAT = "device-audit-ed25519-v1:"

_FINGERPRINT = re.compile(r"[0-9a-f]{64}")
T = TypeVar("T")


# --- fingerprints ----------------------------------------------------------------------------


def fingerprint_of(public_key: bytes) -> str:
    """sha256 of the raw 32-byte public key, lowercase hex: the key id in every envelope."""
    return hashlib.sha256(public_key).hexdigest()


def format_fingerprint(fingerprint: str) -> str:
    """Groups of four hex digits, so a person can read it aloud and compare it."""
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


def parse_fingerprint(text: str) -> str:
    """Accept a fingerprint as shown (groups, colons, a 'SHA256:' prefix, any case)."""
    cleaned = text.strip().lower().removeprefix("sha256:")
    cleaned = re.sub(r"[\s:\-]", "", cleaned)
    if not _FINGERPRINT.fullmatch(cleaned):
        raise ValueError(
            _(
                "{text} is not a key fingerprint: it should have 64 hexadecimal digits "
                "(spaces and colons between them are fine)"
            ).format(text=repr(text))
        )
    return cleaned


# --- the signer ------------------------------------------------------------------------------


class Signer:
    """An Ed25519 private key that signs attestations."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key_bytes = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.fingerprint = fingerprint_of(self.public_key_bytes)
        # The fingerprint of the key this one replaced, when the keyring had lost it ("" when
        # not): a new key is made then, and the person is told, naming the old one.
        self.replaced = ""

    @property
    def display_fingerprint(self) -> str:
        return format_fingerprint(self.fingerprint)

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    @classmethod
    def generate(cls) -> Signer:
        """A fresh key that is kept nowhere (tests, or another party's key)."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_keyring(cls, backend: KeyringBackend | None = None) -> Signer:
        """This installation's key: read from the keyring, or made and stored on first use.

        Raises KeyringUnavailable when no usable keyring can keep it, and SigningKeyDamaged
        when the stored key cannot be read (it is never replaced silently).
        """
        backend = usable_keyring(backend)
        name = keyring_name(backend)
        stored = _call(backend, N_("read"), lambda: backend.get_password(SERVICE, USERNAME))
        before = remembered_fingerprint()
        if stored is not None:
            found = cls(_decode_key(stored, name))
            if found.fingerprint != before:
                _remember(found.fingerprint)
            return found
        key = Ed25519PrivateKey.generate()
        text = _encode_key(key)
        _call(backend, N_("store"), lambda: backend.set_password(SERVICE, USERNAME, text))
        kept = _call(backend, N_("read back"), lambda: backend.get_password(SERVICE, USERNAME))
        if kept is None:
            raise _unavailable(
                _(
                    "The keyring ({name}) accepted Device Audit's signing key but did not keep "
                    "it, so attestations signed with it could never be matched to you again."
                ).format(name=name)
            )
        if kept != text:
            # Another Device Audit made its key at the same moment; use the one that was kept.
            return cls(_decode_key(kept, name))
        signer = cls(key)
        log.info("Made a new signing key %s in %s", signer.display_fingerprint, name)
        if before:
            signer.replaced = before
            log.warning(
                "The signing key %s was no longer in %s; made a new one, %s",
                format_fingerprint(before),
                name,
                signer.display_fingerprint,
            )
        _remember(signer.fingerprint)
        return signer


# Where the fingerprint (public, not the key) of the key last used is remembered, so a key the
# keyring lost is never replaced without saying so.
FINGERPRINT_FILE = "signing-key.fingerprint"


def remembered_fingerprint() -> str:
    from audit.paths import data_dir

    try:
        text = (data_dir() / FINGERPRINT_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return text if _FINGERPRINT.fullmatch(text) else ""


def _remember(fingerprint: str) -> None:
    from audit.inventory import write_atomic
    from audit.paths import data_dir

    try:
        write_atomic(data_dir() / FINGERPRINT_FILE, f"{fingerprint}\n".encode("ascii"))
    except OSError as exc:
        log.warning("could not remember the signing key's fingerprint: %s", exc)


def replaced_key_words(signer: object) -> str:
    """What to tell the person when their signing key was replaced ("" when it was not)."""
    old = getattr(signer, "replaced", "")
    if not old:
        return ""
    new = getattr(signer, "display_fingerprint", "")
    return _(
        "The signing key was no longer in the keyring, so Device Audit made a new one ({new}). "
        "Receipts signed before were signed with the old key {old}, which is lost."
    ).format(new=new, old=format_fingerprint(old))


def _encode_key(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return KEY_FORMAT + base64.b64encode(raw).decode("ascii")


def _decode_key(stored: str, where: str) -> Ed25519PrivateKey:
    problem = ""
    if not stored.startswith(KEY_FORMAT):
        problem = _("it is not in the format Device Audit writes")
    else:
        try:
            raw = base64.b64decode(stored.removeprefix(KEY_FORMAT), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == 32:
            return Ed25519PrivateKey.from_private_bytes(raw)
        problem = _("its key data is damaged")
    raise SigningKeyDamaged(
        _(
            "The signing key kept in the keyring ({keyring}, service '{service}', entry "
            "'{entry}') cannot be read: {problem}. Device Audit will not replace it on its own, "
            "because a new key means a new fingerprint and earlier receipts would no longer "
            "match it."
        ).format(keyring=where, service=SERVICE, entry=USERNAME, problem=problem),
        _(
            "If the old key is lost for good, delete that keyring entry (for example: "
            "keyring del '{service}' {entry}); Device Audit then makes a new key. "
            "Tell your helpdesk the new fingerprint."
        ).format(service=SERVICE, entry=USERNAME),
    )


# --- which keyring ---------------------------------------------------------------------------


def keyring_name(backend: KeyringBackend) -> str:
    try:
        return str(type(backend).name)
    except Exception:  # a third-party backend's name property failing must not hide the cause
        return type(backend).__name__


def usable_keyring(backend: KeyringBackend | None = None) -> KeyringBackend:
    """The keyring that will keep the key, or KeyringUnavailable saying why there is none."""
    if backend is None:
        try:
            backend = keyring.get_keyring()
        except Exception as exc:  # keyring raises whatever a backend's import or probe raised
            raise _unavailable(_not_opened(exc)) from exc
    if isinstance(backend, fail.Keyring):
        raise _unavailable(
            _(
                "No keyring is available on this computer, so Device Audit has nowhere safe to "
                "keep its signing key."
            )
        )
    if isinstance(backend, null.Keyring):
        raise _unavailable(
            _(
                "The keyring is switched off (the 'null' keyring backend keeps nothing), so "
                "Device Audit has nowhere to keep its signing key."
            )
        )
    target = backend
    if isinstance(backend, chainer.ChainerBackend):
        chained = _call(backend, N_("list the backends of"), lambda: list(backend.backends))
        if not chained:
            raise _unavailable(
                _(
                    "No keyring is available on this computer (none of the installed keyring "
                    "backends works here), so Device Audit has nowhere safe to keep its signing "
                    "key."
                )
            )
        target = chained[0]  # the one set_password writes to
    if not _recommended(target) and not _chosen_explicitly(target):
        raise _unavailable(
            _(
                "The only keyring found here ({name}) is not one the keyring library recommends: "
                "it may keep secrets in a plain file, so Device Audit will not put its signing "
                "key there."
            ).format(name=keyring_name(target)),
            for_it=_(
                "If you accept that keyring, choose it explicitly: set "
                "PYTHON_KEYRING_BACKEND={backend}."
            ).format(backend=_qualified_name(type(target))),
        )
    return backend


def reload_keyring() -> KeyringBackend:
    """Pick the keyring again from keyring's own settings (PYTHON_KEYRING_BACKEND, its config
    file, the backends installed now), as at program start, then check it as `usable_keyring`.

    keyring keeps the backend it picked first for the life of the process: without this, a
    keyring set up while Device Audit runs would only be found after a restart. Never makes a key.
    """
    try:
        keyring.core.init_backend()
    except Exception as exc:  # a backend named in the settings that cannot be loaded or probed
        raise _unavailable(_not_opened(exc)) from exc
    return usable_keyring()


def _not_opened(exc: BaseException) -> str:
    return _("The keyring could not be opened ({problem}).").format(problem=_describe(exc))


def _recommended(backend: KeyringBackend) -> bool:
    try:
        return float(type(backend).priority) >= 1
    except Exception:  # a backend's priority raises when it is not viable here
        return False


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _explicit_choice() -> str | None:
    """The backend named in keyring's own setting: the environment, else its config file."""
    chosen = os.environ.get("PYTHON_KEYRING_BACKEND", "").strip()
    if chosen:
        return chosen
    from keyring.util import platform_

    parser = configparser.RawConfigParser()
    try:
        parser.read(platform_.config_root() / "keyringrc.cfg", encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError):
        return None
    return parser.get("backend", "default-keyring", fallback="").strip() or None


def _chosen_explicitly(backend: KeyringBackend) -> bool:
    cls = type(backend)
    return _explicit_choice() in (_qualified_name(cls), f"{cls.__module__}.{cls.__name__}")


# How long a keyring may take to answer, an unlock prompt included; one that never answers (a
# hung D-Bus service) would otherwise make signing wait forever.
KEYRING_TIMEOUT = 60.0


def _call(backend: KeyringBackend, action: str, fn: Callable[[], T]) -> T:
    """Run a keyring operation; any failure becomes KeyringUnavailable naming the keyring, and
    so does no answer within KEYRING_TIMEOUT (the call is left to finish on its own)."""
    answer: list[T] = []
    failure: list[Exception] = []

    def run() -> None:
        try:
            answer.append(fn())
        except Exception as exc:  # handed to the caller's thread below
            failure.append(exc)

    asking = threading.Thread(target=run, name="keyring", daemon=True)
    asking.start()
    asking.join(KEYRING_TIMEOUT)
    name = keyring_name(backend)
    # Translators: {action} is "read", "store", "read back" or "list the backends of"
    doing = _(action)
    if asking.is_alive():
        raise _unavailable(
            _(
                "The keyring ({name}) did not answer within {seconds} seconds when Device Audit "
                "asked it to {action} its signing key. Nothing was signed."
            ).format(name=name, seconds=f"{KEYRING_TIMEOUT:.0f}", action=doing),
            advice=_(
                "If your keyring asks to be unlocked, unlock it and try again. If it never "
                "answers, log out and in again (or restart the computer), or ask your IT helpdesk."
            ),
        )
    if answer:
        return answer[0]
    if not failure:  # the call ended the thread some other way (SystemExit)
        raise _unavailable(
            _("The keyring ({name}) stopped when asked to {action}").format(name=name, action=doing)
        )
    try:
        raise failure[0]
    except KeyringLocked as exc:
        raise _unavailable(
            _(
                "The keyring ({name}) is locked, so Device Audit cannot {action} its signing key."
            ).format(name=name, action=doing),
            advice=_(
                "Unlock your keyring (log in to your desktop session, or open your keyring "
                "app and unlock it), then try again. If that does not help, ask your IT helpdesk."
            ),
        ) from exc
    except Exception as exc:  # backends raise their own types (D-Bus, OS errors, KeyringError)
        raise _unavailable(
            _(
                "The keyring ({name}) could not {action} Device Audit's signing key: {problem}."
            ).format(name=name, action=doing, problem=_describe(exc))
        ) from exc


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_NEVER_PLAIN = N_("Device Audit never keeps its signing key in a plain file.")


def _unavailable(message: str, *, advice: str = "", for_it: str = "") -> KeyringUnavailable:
    """The error with the person's next step first and IT's details after it."""
    own_advice, details = _next_steps()
    if for_it:
        details = f"{for_it} {details}"
    return KeyringUnavailable(
        message, advice or own_advice, details=_("For IT: {details}").format(details=details)
    )


def _next_steps() -> tuple[str, str]:
    """(what the person can do, what IT can do) on this operating system."""
    if sys.platform == "darwin":
        return (
            _(
                "Unlock your login keychain (open Keychain Access) and allow Device Audit when "
                "macOS asks, then try again. If that does not help, ask your IT helpdesk."
            ),
            _(
                "Device Audit keeps its signing key in the login keychain, through the Python "
                "keyring library. Another keyring backend can be chosen with the "
                "PYTHON_KEYRING_BACKEND setting or in keyring's keyringrc.cfg (list them with "
                "'keyring --list-backends')."
            )
            + " "
            + _(_NEVER_PLAIN),
        )
    if sys.platform == "win32":
        return (
            _(
                "Sign in to Windows with your own account (Windows Credential Manager keeps the "
                "key), then try again. If that does not help, ask your IT helpdesk."
            ),
            _(
                "Device Audit keeps its signing key in Windows Credential Manager, through the "
                "Python keyring library. Another keyring backend can be chosen with the "
                "PYTHON_KEYRING_BACKEND setting or in keyring's keyringrc.cfg (list them with "
                "'keyring --list-backends')."
            )
            + " "
            + _(_NEVER_PLAIN),
        )
    return (
        _(
            "Ask your IT helpdesk to set up a keyring on this computer. On your own Linux desktop "
            "you can do it yourself: install GNOME Keyring (or KWallet on KDE) from your software "
            "centre, log out and back in, then try again."
        ),
        _(
            "Device Audit keeps its signing key in the desktop keyring, through the Python "
            "keyring library. In a desktop session, install and unlock GNOME Keyring (package "
            "gnome-keyring) or KWallet. On a machine without a desktop, start Device Audit inside "
            "'dbus-run-session' after 'gnome-keyring-daemon --unlock', or choose a keyring backend "
            "you trust with the PYTHON_KEYRING_BACKEND setting or in keyring's keyringrc.cfg "
            "(list them with 'keyring --list-backends'); Device Audit reads keyring's settings "
            "again when it tries again."
        )
        + " "
        + _(_NEVER_PLAIN),
    )
