"""Keyring backends for tests: real `keyring.backend.KeyringBackend` subclasses, secrets in a dict.

They go through keyring's own API (set_keyring/get_keyring), so the code under test talks to them
exactly as it talks to GNOME Keyring or the macOS keychain, and never to the developer's keyring.
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """A recommended-priority keyring that keeps secrets in memory for one test."""

    priority = 1.0  # type: ignore[assignment]  # keyring declares it as a class property

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}
        self.writes = 0

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.writes += 1
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.secrets[(service, username)]
        except KeyError:
            raise PasswordDeleteError("no such secret") from None


class PlainFileLikeKeyring(MemoryKeyring):
    """Stands for a backend keyring does not recommend (priority below 1), such as a plain file."""

    priority = 0.5  # type: ignore[assignment]


class ForgetfulKeyring(MemoryKeyring):
    """Accepts secrets and keeps none, like a misconfigured backend."""

    def set_password(self, service: str, username: str, password: str) -> None:
        self.writes += 1


class LockedKeyring(MemoryKeyring):
    """Refuses every read, as SecretService does when the user will not unlock it."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Install an empty MemoryKeyring as keyring's backend; put the previous one back after."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
