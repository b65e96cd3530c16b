"""The --db argument that names the `store` fixture's history, on either backend (issue 18):
its SQLite file, or the address of its database on the test's PostgreSQL server. The store tests
that check their result through the CLI run on both backends with it."""

from __future__ import annotations

import pytest

from audit.store import Store


def cli_db(store: Store, request: pytest.FixtureRequest) -> str:
    """What to pass as --db for `store` (open or closed)."""
    if store.where.startswith("postgresql://"):
        return str(request.getfixturevalue("postgres_dsn"))  # this test's own database
    return str(store.path)
