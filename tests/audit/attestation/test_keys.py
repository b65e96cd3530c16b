"""The signing key in the keyring: made once, reused, never replaced or written elsewhere silently.

Every backend here is a real keyring backend class installed through keyring's own API.
"""

from __future__ import annotations

import base64
import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from keyring.backends import chainer, fail, null

from audit.attestation import SERVICE, USERNAME, Signer, format_fingerprint, parse_fingerprint
from audit.attestation.keys import KEY_FORMAT
from audit.errors import KeyringUnavailable, SigningKeyDamaged
from tests.helpers.memkeyring import (
    ForgetfulKeyring,
    LockedKeyring,
    MemoryKeyring,
    PlainFileLikeKeyring,
)

PLAIN = "tests.helpers.memkeyring.PlainFileLikeKeyring"


@pytest.fixture
def keyring_from_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Let keyring pick its backend from its settings again, as at program start; restore after.

    Yields the folder keyring reads its config file from (private to the test).
    """
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path))
    previous = keyring.get_keyring()
    from keyring.util import platform_

    try:
        yield Path(platform_.config_root())
    finally:
        keyring.set_keyring(previous)


def stored_public_fingerprint(backend: MemoryKeyring) -> str:
    text = backend.secrets[(SERVICE, USERNAME)]
    raw = base64.b64decode(text.removeprefix(KEY_FORMAT))
    public = Ed25519PrivateKey.from_private_bytes(raw).public_key()
    return hashlib.sha256(
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ).hexdigest()


def test_key_is_made_on_first_use_and_reused(memory_keyring: MemoryKeyring) -> None:
    first = Signer.from_keyring()
    assert memory_keyring.writes == 1
    assert memory_keyring.secrets[(SERVICE, USERNAME)].startswith(KEY_FORMAT)
    second = Signer.from_keyring()
    assert memory_keyring.writes == 1  # not made again
    assert second.fingerprint == first.fingerprint == stored_public_fingerprint(memory_keyring)
    assert second.sign(b"x") == first.sign(b"x")  # Ed25519 is deterministic: same key


def test_fail_backend_from_the_environment_gives_the_clear_message(
    keyring_from_settings: Path,
) -> None:
    # tests/conftest.py sets PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring
    keyring.core.init_backend()
    with pytest.raises(KeyringUnavailable) as caught:
        Signer.from_keyring()
    error = caught.value
    assert error.message == (
        "No keyring is available on this computer, so Device Audit has nowhere safe to keep "
        "its signing key."
    )
    assert isinstance(keyring.get_keyring(), fail.Keyring)
    platform_advice = {"darwin": "login keychain", "win32": "Credential Manager"}
    assert platform_advice.get(sys.platform, "GNOME Keyring") in error.next_step
    assert "never keeps its signing key in a plain file" in error.next_step


def test_default_test_keyring_is_the_failing_one() -> None:
    """Without the memory_keyring fixture no test can reach a real keyring."""
    with pytest.raises(KeyringUnavailable, match="No keyring is available"):
        Signer.from_keyring()


def test_null_backend_is_refused_because_it_keeps_nothing() -> None:
    with pytest.raises(KeyringUnavailable, match="'null' keyring backend keeps nothing"):
        Signer.from_keyring(null.Keyring())


class EmptyChainer(chainer.ChainerBackend):
    """keyring's chainer on a machine where no backend is viable."""

    backends = ()


class ChainerOverPlainFile(chainer.ChainerBackend):
    backends = (PlainFileLikeKeyring(),)


def test_chainer_without_viable_backends_is_refused() -> None:
    with pytest.raises(KeyringUnavailable, match="none of the installed keyring backends works"):
        Signer.from_keyring(EmptyChainer())


def test_not_recommended_backend_is_refused_unless_chosen(
    keyring_from_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    backend = PlainFileLikeKeyring()
    with pytest.raises(KeyringUnavailable) as caught:
        Signer.from_keyring(backend)
    assert "not one the keyring library recommends" in caught.value.message
    assert f"PYTHON_KEYRING_BACKEND={PLAIN}" in caught.value.next_step
    assert backend.writes == 0  # nothing was written to it
    with pytest.raises(KeyringUnavailable, match="not one the keyring library recommends"):
        Signer.from_keyring(ChainerOverPlainFile())


def test_backend_chosen_in_the_environment_is_honoured(
    keyring_from_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", PLAIN)
    keyring.core.init_backend()
    backend = keyring.get_keyring()
    assert isinstance(backend, PlainFileLikeKeyring)
    signer = Signer.from_keyring()
    assert backend.writes == 1
    assert signer.fingerprint == stored_public_fingerprint(backend)


def test_backend_chosen_in_the_config_file_is_honoured(
    keyring_from_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    keyring_from_settings.mkdir(parents=True)
    (keyring_from_settings / "keyringrc.cfg").write_text(
        f"[backend]\ndefault-keyring = {PLAIN}\n", encoding="utf-8"
    )
    keyring.core.init_backend()
    backend = keyring.get_keyring()
    assert isinstance(backend, PlainFileLikeKeyring)
    assert Signer.from_keyring().fingerprint == stored_public_fingerprint(backend)


def test_backend_that_cannot_be_loaded_gives_a_clear_message(
    keyring_from_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_module.Keyring")
    # As at program start, before keyring has picked a backend (there is no public way to
    # forget the backend it picked; monkeypatch puts it back)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    with pytest.raises(KeyringUnavailable, match=r"could not be opened \(ModuleNotFoundError"):
        Signer.from_keyring()


def test_keyring_that_does_not_keep_the_key_is_an_error() -> None:
    backend = ForgetfulKeyring()
    with pytest.raises(KeyringUnavailable, match="did not keep it"):
        Signer.from_keyring(backend)
    assert backend.writes == 1


class RacingKeyring(MemoryKeyring):
    """Another Device Audit stores its new key at the same moment as we store ours, and wins."""

    def set_password(self, service: str, username: str, password: str) -> None:
        theirs = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        super().set_password(service, username, KEY_FORMAT + base64.b64encode(theirs).decode())


def test_key_made_at_the_same_moment_elsewhere_is_adopted() -> None:
    backend = RacingKeyring()
    signer = Signer.from_keyring(backend)
    assert signer.fingerprint == stored_public_fingerprint(backend)
    assert Signer.from_keyring(backend).fingerprint == signer.fingerprint


def test_locked_keyring_asks_to_unlock() -> None:
    with pytest.raises(KeyringUnavailable) as caught:
        Signer.from_keyring(LockedKeyring())
    assert "is locked" in caught.value.message
    assert caught.value.next_step.startswith("Unlock your keyring")


@pytest.mark.parametrize(
    "stored",
    [
        "not a key at all",
        KEY_FORMAT + "AAAA",  # too short
        KEY_FORMAT + "!!not base64!!",
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI...\n-----END PRIVATE KEY-----",
    ],
)
def test_damaged_key_is_an_error_and_is_not_replaced(
    memory_keyring: MemoryKeyring, stored: str
) -> None:
    memory_keyring.secrets[(SERVICE, USERNAME)] = stored
    with pytest.raises(SigningKeyDamaged) as caught:
        Signer.from_keyring()
    assert "cannot be read" in caught.value.message
    assert "will not replace it on its own" in caught.value.message
    assert f"keyring del '{SERVICE}' {USERNAME}" in caught.value.next_step
    assert memory_keyring.secrets[(SERVICE, USERNAME)] == stored  # untouched
    assert memory_keyring.writes == 0


def test_fingerprint_is_shown_in_groups_and_read_back_in_any_form() -> None:
    signer = Signer.generate()
    shown = signer.display_fingerprint
    assert len(shown.split(" ")) == 16
    assert all(len(group) == 4 for group in shown.split(" "))
    assert shown.replace(" ", "") == signer.fingerprint
    assert format_fingerprint(signer.fingerprint) == shown
    for form in (shown, shown.upper(), "SHA256:" + signer.fingerprint, shown.replace(" ", ":")):
        assert parse_fingerprint(form) == signer.fingerprint
    for bad in ("", "abcd", signer.fingerprint + "0", "g" * 64):
        with pytest.raises(ValueError, match="64 hexadecimal digits"):
            parse_fingerprint(bad)


# --- what the person reads, and trying again ------------------------------------------------

MEMORY = "tests.helpers.memkeyring.MemoryKeyring"


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the Linux advice")
def test_no_keyring_leads_with_the_persons_next_step_and_keeps_the_details_for_it() -> None:
    with pytest.raises(KeyringUnavailable) as caught:
        Signer.from_keyring(fail.Keyring())
    error = caught.value
    assert error.advice.startswith("Ask your IT helpdesk to set up a keyring on this computer.")
    for admin_word in ("dbus-run-session", "PYTHON_KEYRING_BACKEND", "keyring --list-backends"):
        assert admin_word not in error.advice
        assert admin_word in error.details
    assert error.details.startswith("For IT: ")
    # Printed whole (the CLI), the person's step comes first and nothing is lost.
    assert error.next_step == f"{error.advice} {error.details}"


def test_the_locked_keyring_asks_the_person_to_unlock_it_first() -> None:
    with pytest.raises(KeyringUnavailable) as caught:
        Signer.from_keyring(LockedKeyring())
    assert caught.value.advice.startswith("Unlock your keyring")
    assert caught.value.details.startswith("For IT: ")


def test_reload_finds_a_keyring_chosen_in_the_config_file_after_start(
    keyring_from_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keyring picked the failing backend at start; IT then writes keyring's config file."""
    from audit.attestation.keys import reload_keyring, usable_keyring

    keyring.core.init_backend()  # as at program start: the environment names the fail backend
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    with pytest.raises(KeyringUnavailable):
        usable_keyring()  # the backend picked at start is kept until asked again
    keyring_from_settings.mkdir(parents=True)
    (keyring_from_settings / "keyringrc.cfg").write_text(
        f"[backend]\ndefault-keyring = {MEMORY}\n", encoding="utf-8"
    )
    with pytest.raises(KeyringUnavailable):
        usable_keyring()
    backend = reload_keyring()
    assert isinstance(backend, MemoryKeyring)
    assert backend.writes == 0  # checking never makes a key
    assert keyring.get_keyring() is backend
    assert Signer.from_keyring().fingerprint == stored_public_fingerprint(backend)


def test_reload_follows_the_environment_setting_too(
    keyring_from_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audit.attestation.keys import reload_keyring

    keyring.core.init_backend()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", MEMORY)
    assert isinstance(reload_keyring(), MemoryKeyring)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    with pytest.raises(KeyringUnavailable, match="No keyring is available"):
        reload_keyring()


def test_reload_with_a_setting_that_cannot_be_loaded_says_so_and_keeps_the_old_keyring(
    keyring_from_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audit.attestation.keys import reload_keyring

    keyring.core.init_backend()
    before = keyring.get_keyring()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_module.Keyring")
    with pytest.raises(KeyringUnavailable, match=r"could not be opened \(ModuleNotFoundError"):
        reload_keyring()
    assert keyring.get_keyring() is before
