from __future__ import annotations

import pytest

from audit.attestation import Signer
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture, for these tests


@pytest.fixture
def signer() -> Signer:
    """A throwaway key; tests of the keyring itself use memory_keyring instead."""
    return Signer.generate()
