"""A keyring that never answers is an error in words after a time, never a hang; a signing key
the keyring lost is replaced only with the person told, naming the old key's fingerprint."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from audit.attestation import Signer, format_fingerprint, keys
from audit.attestation.keys import SERVICE, USERNAME, replaced_key_words
from audit.errors import KeyringUnavailable
from audit.workflow import Notice
from tests.helpers.memkeyring import MemoryKeyring


class SilentKeyring(MemoryKeyring):
    """A keyring whose service never answers (a hung D-Bus daemon), until the test ends."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.released.wait()
        return None


@pytest.fixture
def silent_keyring() -> Iterator[SilentKeyring]:
    previous = keyring.get_keyring()
    backend = SilentKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        backend.released.set()
        keyring.set_keyring(previous)


@pytest.mark.timeout(60)
def test_a_keyring_that_never_answers_is_an_error_after_a_while(
    silent_keyring: SilentKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keys, "KEYRING_TIMEOUT", 0.2)
    with pytest.raises(KeyringUnavailable) as caught:
        Signer.from_keyring()
    assert "did not answer within 0 seconds" in caught.value.message
    assert "Nothing was signed" in caught.value.message
    assert "unlock it and try again" in caught.value.next_step


@pytest.mark.allow_warning_logs
def test_a_deleted_key_is_replaced_with_the_old_fingerprint_named(
    memory_keyring: MemoryKeyring,
) -> None:
    first = Signer.from_keyring()
    assert first.replaced == "" and replaced_key_words(first) == ""
    assert Signer.from_keyring().replaced == ""  # the same key, found again
    del memory_keyring.secrets[(SERVICE, USERNAME)]  # the keyring lost it
    second = Signer.from_keyring()
    assert second.fingerprint != first.fingerprint
    assert second.replaced == first.fingerprint
    words = replaced_key_words(second)
    assert format_fingerprint(first.fingerprint) in words
    assert second.display_fingerprint in words
    assert Signer.from_keyring().replaced == ""  # said once: the new key is the key now


@pytest.mark.allow_warning_logs
def test_signing_after_the_key_was_lost_tells_the_person_both_fingerprints(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    from tests.audit.workflow.test_device_audit import ANNA, demo_audit, removed

    old = Signer.from_keyring()
    del memory_keyring.secrets[(SERVICE, USERNAME)]  # the keyring lost it
    heard: list[Notice] = []
    with demo_audit(tmp_path, heard) as audit_:
        removed(audit_)
        proof = audit_.proof(audit_.check())
        receipt = audit_.sign(proof, ANNA, "I removed TikTok.", tmp_path / "receipt.json")
    [said] = [n for n in heard if n.warning]
    assert format_fingerprint(old.fingerprint) in said.text
    assert receipt.fingerprint in said.text
    assert "Tell your helpdesk the new fingerprint" in said.next_step
