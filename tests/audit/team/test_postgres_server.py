"""The team history's test server is real, private and unprivileged (issue 18).

What later tests rely on: a database of each test's own, on a server that runs as an ordinary
user with its durability settings on and page checksums, so nothing a test sees depends on a
server that would lose a commit or run as root.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.postgres import Server

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")
pytestmark = pytest.mark.postgres


def test_each_test_gets_an_empty_database_of_its_own(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE written_here (x int)")
        name = conn.execute("SELECT current_database()").fetchone()
    assert name is not None and str(name[0]).startswith("t_")


def test_the_server_keeps_commits_on_disk_and_checks_its_pages(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('fsync', 'synchronous_commit', 'data_checksums', 'server_encoding')"
            ).fetchall()
        )
    assert settings == {
        "fsync": "on",
        "synchronous_commit": "on",
        "data_checksums": "on",
        "server_encoding": "UTF8",
    }


def test_a_server_started_here_runs_as_an_ordinary_user(postgres_server: Server) -> None:
    if postgres_server.folder is None:
        pytest.skip("the server is outside this test run (DEVICE_AUDIT_TEST_POSTGRES)")
    pid = int((postgres_server.folder / "data" / "postmaster.pid").read_text().split()[0])
    uid = int(
        next(
            line.split()[1]
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("Uid:")
        )
    )
    assert uid != 0
    if os.geteuid() != 0:
        assert uid == os.geteuid()


def test_a_wrong_password_is_refused(postgres_server: Server) -> None:
    if postgres_server.folder is None:
        pytest.skip("the server is outside this test run (DEVICE_AUDIT_TEST_POSTGRES)")
    wrong = postgres_server.dsn().replace(postgres_server.password, "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong)
