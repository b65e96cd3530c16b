"""The office's `history` and `history --json` name the login that recorded each audit, as the
team history's server wrote it (issue 18). A rogue technician's own SQL session tries to put a
colleague's login on their audit, their own on a colleague's, and a new audit in a colleague's
name; the office reads the real logins, through the command line it uses."""

from __future__ import annotations

import contextlib
import json
from datetime import date

import pytest

from audit.cli import main
from audit.store import Store
from tests.audit.store import factory as f
from tests.audit.team.test_row_rules import _NOW, Team

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")

pytestmark = pytest.mark.postgres

DAY = date(2023, 3, 28)


def _record(store: Store, serial: str, technician: str) -> int:
    first, rescan, actions = f.audit_inputs(f.phone(serial), f.AROHA, f.Outcome.CLEAN, day=DAY)
    return store.record_audit(
        [first, rescan],
        actions,
        person_name=f.AROHA.name,
        staff_id=f.AROHA.staff_id,
        technician=technician,
    )


def test_the_offices_history_names_the_login_whatever_a_technicians_sql_wrote(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    team = Team(postgres_dsn)
    ann, bob = team.login["ann"], team.login["bob"]
    with team.store("ann") as store:
        anns = _record(store, "CA1", "Ann Lee")
    with team.store("bob") as store:
        bobs = _record(store, "CB1", "Bob Tui")
    with team.sql("bob") as sql:
        sql.execute(
            f"UPDATE audits SET recorded_by = '{ann}', technician = 'Ann Lee' WHERE id = {bobs}"
        )
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):  # refused, or kept
            sql.execute(f"UPDATE audits SET recorded_by = '{bob}' WHERE id = {anns}")
        (invented,) = sql.execute(
            "INSERT INTO audits (uid, origin, person_name, staff_id, technician, device_id,"
            " device_name, device_json, policy_id, policy_title, policy_sha256, started_at,"
            " at, search, recorded_by) VALUES ('made-up', 'local', 'x', 'x', 'Ann Lee', 'x',"
            f" 'x', '{{}}', 'p', 'p', 'p', '{_NOW}', '{_NOW}', '', '{ann}') RETURNING id"
        ).fetchone()

    monkeypatch.setenv("DEVICE_AUDIT_DB", team.address["office"])  # not in the process list
    assert main(["history", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert {i: row["recorded_by"] for i, row in rows.items()} == {
        anns: ann,
        bobs: bob,
        invented: bob,
    }
    assert {rows[bobs]["technician"], rows[invented]["technician"]} == {"Ann Lee"}  # typed

    assert main(["history"]) == 0
    text = capsys.readouterr().out.splitlines()
    said = {line.rsplit("#", 1)[1]: text[n + 1] for n, line in enumerate(text) if "  #" in line}
    assert said == {
        str(anns): f"    recorded by login {ann}",
        str(bobs): f"    recorded by login {bob}",
        str(invented): f"    recorded by login {bob}",
    }
