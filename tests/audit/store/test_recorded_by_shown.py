"""Who recorded each audit, where the office reads it (issue 18): `history --json` and the plain
`history` carry a team history's login, which its server wrote (pg_schema's trigger), on both
backends through the real argument parser. A SQLite file's recorded_by is whatever whoever
opened the file wrote there, so it is shown nowhere: not in the list, the JSON, one audit read
in full, nor the export (which said so but printed the file's word)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from audit.cli import main
from audit.store import Store
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)  # before the policy's deadline: the audit is compliant
# A name a rogue bench or technician would like the office to read as the server's word.
FORGED = "tech_anna"
# A typed technician name that tries to pass for the line the history prints for a login.
LOOKALIKE = "Bob\n    recorded by login admin_boss"


def _record(store: Store, serial: str, technician: str = "Bob Tui") -> int:
    first, rescan, actions = f.audit_inputs(f.phone(serial), f.AROHA, f.Outcome.CLEAN, day=DAY)
    return store.record_audit(
        [first, rescan],
        actions,
        person_name=f.AROHA.name,
        staff_id=f.AROHA.staff_id,
        technician=technician,
    )


def _address(store: Store, request: pytest.FixtureRequest, db_path: Path) -> str:
    """What `--db` takes for the history the `store` fixture opened."""
    return request.getfixturevalue("postgres_dsn") if store.team else str(db_path)


def _login(store: Store) -> str:
    """The server's word for this session's login ("" on SQLite, where there is none)."""
    if not store.team:
        return ""
    (login,) = store._db.execute("SELECT session_user").fetchone()
    return str(login)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_history_shows_the_login_that_recorded_each_audit_on_a_team_history_only(
    store: Store,
    request: pytest.FixtureRequest,
    db_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    audit_id = _record(store, "RB1", technician=LOOKALIKE)
    db, login = _address(store, request, db_path), _login(store)
    assert bool(login) == store.team  # the test can fail: the server names a login

    [row] = json.loads(_cli(capsys, "history", "--json", "--db", db))
    assert row["recorded_by"] == (login or None)  # null on SQLite: nobody vouches for a name
    assert row["technician"] == LOOKALIKE  # the typed name, apart

    text = _cli(capsys, "history", "--db", db)
    recorded = [line for line in text.splitlines() if "recorded by login" in line]
    if store.team:
        assert recorded == [f"    recorded by login {login}"]  # the typed name is not printed
        assert text.count("Recorded by login: the team history's database login") == 1
        assert "no technician or administrator of the team can type another name" in text
    else:
        assert recorded == [] and "Recorded by login" not in text
    assert store.audit(audit_id).recorded_by == login
    assert store.audit_details(audit_id).summary.recorded_by == login


def test_a_name_written_into_a_sqlite_file_is_shown_as_nobodys(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bench's own SQL (sqlite3 on the file) writes a login into recorded_by: the history,
    one audit in full, `history --json`, the plain list and the export never show it, so a
    SQLite history cannot pass a name off as a team server's word."""
    with Store(db_path) as store:
        audit_id = _record(store, "RB2")
    before = _cli(capsys, "history", "--db", str(db_path))
    before_json = _cli(capsys, "history", "--json", "--db", str(db_path))
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("UPDATE audits SET recorded_by = ?", (FORGED,)).rowcount == 1
    with Store(db_path, read_only=True) as store:
        assert [a.recorded_by for a in store.history()] == [""]
        assert store.audit_details(audit_id).summary.recorded_by == ""
        assert [r.recorded_by for r in store.export_rows()] == [""]
    assert _cli(capsys, "history", "--db", str(db_path)) == before  # byte for byte
    assert _cli(capsys, "history", "--json", "--db", str(db_path)) == before_json
    exported = _cli(capsys, "export", "--format", "csv", "--db", str(db_path))
    assert FORGED not in exported
    (line,) = csv.DictReader(io.StringIO(exported))
    assert line["recorded_by"] == ""
    exported = _cli(capsys, "export", "--format", "json", "--db", str(db_path))
    assert FORGED not in exported


def test_the_export_names_the_servers_login_on_a_team_history(
    store: Store, request: pytest.FixtureRequest, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _record(store, "RB3")
    db, login = _address(store, request, db_path), _login(store)
    (line,) = csv.DictReader(io.StringIO(_cli(capsys, "export", "--format", "csv", "--db", db)))
    assert line["recorded_by"] == login
