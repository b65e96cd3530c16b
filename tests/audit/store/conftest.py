from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audit.attestation import Signer
from audit.store import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store(db_path) as opened:
        yield opened


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()
