from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audit.attestation import Signer
from audit.store import Store
from tests.audit.store.not_on_postgres import NOT_YET


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, db_path: Path) -> Iterator[Store]:
    """The history, on each backend (issue 18): the embedded SQLite file, and a team history
    on a real PostgreSQL server (a fresh database per test; skipped, saying why, without one).
    Tests that read the file behind the store (db_path, store._db) run on both too: the ones
    that cannot pass on PostgreSQL yet are listed in tests/audit/store/not_on_postgres.py."""
    if request.param == "sqlite":
        with Store(db_path) as opened:
            yield opened
        return
    not_yet = NOT_YET.get(request.node.originalname or request.node.name)
    if not_yet is not None:
        pytest.skip(f"not on PostgreSQL yet: {not_yet}")
    with Store(request.getfixturevalue("postgres_dsn")) as opened:
        yield opened


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()
