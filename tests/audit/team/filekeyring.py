"""A keyring backend that keeps its secrets in one JSON file (tests only).

Why: the CLI runs in a subprocess in tests/audit/team/test_one_audit.py, as a staff member
runs it, and `attest` signs with the key in the OS keyring. A process cannot share the tests'
in-memory keyring, so this real `KeyringBackend` subclass (chosen through keyring's own
PYTHON_KEYRING_BACKEND) keeps the secrets in the file DEVICE_AUDIT_TEST_KEYRING names, shared
by the test's processes. Recommended priority, like the OS keyrings Device Audit accepts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

ENVIRONMENT = "DEVICE_AUDIT_TEST_KEYRING"


class FileKeyring(KeyringBackend):
    priority = 1.0  # keyring declares it as a class property; recommended, like an OS keyring

    @staticmethod
    def _path() -> Path:
        return Path(os.environ[ENVIRONMENT])

    def _all(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._all().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        secrets = self._all()
        secrets[f"{service}\0{username}"] = password
        self._path().write_text(json.dumps(secrets))

    def delete_password(self, service: str, username: str) -> None:
        secrets = self._all()
        if secrets.pop(f"{service}\0{username}", None) is None:
            raise PasswordDeleteError("no such secret")
        self._path().write_text(json.dumps(secrets))
