from __future__ import annotations

from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture, for these tests
