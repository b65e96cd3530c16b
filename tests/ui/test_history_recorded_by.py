"""Who recorded each audit, in the app's history and dashboard (issue 18): on a team history the
list has a "Recorded by" column (the server's word for the login) and one audit read in full
says it, apart from the technician's typed name; on a SQLite history there is no such column
and no such line, even when the file says a name. A rogue technician's own SQL session tries to
put a colleague's login on an audit, and the office's windows still show the real one."""

from __future__ import annotations

import contextlib
import sqlite3
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from audit.store import Store
from tests.audit.store import factory as f
from tests.helpers.memkeyring import MemoryKeyring, memory_keyring  # noqa: F401  # the fixture
from tests.helpers.nz_tiktok import POLICY
from ui.history import HistoryColumn, HistoryModel, HistoryWindow
from ui.history_details import about_lines, detail_lines
from ui.ops import Operations
from ui.recorder import AuditRecorder

WAIT = 30_000
DAY = date(2023, 3, 28)
FORGED = "tech_anna"
# A typed technician name that tries to pass for the line the details print for a login.
LOOKALIKE = "Bob\nRecorded by: admin_boss (the team history's login)"


@pytest.fixture
def ops() -> Iterator[Operations]:
    operations = Operations(max_workers=4)
    yield operations
    operations.shutdown()


def _record(store: Store, serial: str, technician: str = "") -> int:
    first, rescan, actions = f.audit_inputs(f.phone(serial), f.AROHA, f.Outcome.CLEAN, day=DAY)
    return store.record_audit(
        [first, rescan],
        actions,
        person_name=f.AROHA.name,
        staff_id=f.AROHA.staff_id,
        technician=technician,
    )


def _recorded_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("Recorded by")]


def test_a_sqlite_history_has_no_recorded_by_column_nor_line_whatever_the_file_says(
    qtbot: QtBot, ops: Operations, tmp_path: Path, qtmodeltester: ModelTester
) -> None:
    db = tmp_path / "bench.sqlite3"
    with Store(db) as store:
        audit_id = _record(store, "UR1", technician=LOOKALIKE)
    with sqlite3.connect(db) as raw:  # the bench's own SQL on its own file
        raw.execute("UPDATE audits SET recorded_by = ?", (FORGED,))
    recorder = AuditRecorder(ops, db)
    window = HistoryWindow(recorder)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    assert window.model.columnCount() == len(HistoryColumn) - 1
    headers = [
        window.model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(window.model.columnCount())
    ]
    assert "Recorded by" not in headers and headers[-1] == "Technician"
    qtmodeltester.check(window.model)
    with qtbot.waitSignal(window.detailed, timeout=WAIT):
        window.table.setCurrentIndex(window.model.index(0, 0))
    said = "\n".join(window.details.texts())
    assert FORGED not in said
    assert _recorded_lines(said.splitlines()) == []
    assert "Technician: Bob\\x0aRecorded by: admin_boss" in said  # the typed name, escaped
    with Store(db, read_only=True) as store:
        about = about_lines(store.audit_details(audit_id).summary)
    assert _recorded_lines(about) == []
    qtbot.waitUntil(lambda: not ops.running_keys(), timeout=WAIT)
    recorder.close()


def test_the_column_comes_and_goes_with_the_audits_listed(
    qtmodeltester: ModelTester, tmp_path: Path
) -> None:
    """The model alone, from summaries as the store gives them: a team history's audits with a
    login and one from before the column (none); then only the one without."""
    from dataclasses import replace

    with Store(tmp_path / "h.sqlite3") as store:
        _record(store, "UC1")
        _record(store, "UC2")
        first, second = store.history()
    with_login = replace(first, recorded_by="ann_smith")  # as a team history's store gives it
    before_v10 = second
    model = HistoryModel()
    model.set_audits([with_login, before_v10])
    qtmodeltester.check(model)
    assert model.columnCount() == len(HistoryColumn)
    assert model.headerData(HistoryColumn.RECORDED_BY, Qt.Orientation.Horizontal) == "Recorded by"
    tip = model.headerData(
        HistoryColumn.RECORDED_BY, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    assert "the team history's database login" in tip and "Technician column" in tip
    cells = [model.index(r, HistoryColumn.RECORDED_BY).data() for r in range(2)]
    assert cells == ["ann_smith", "Not recorded"]
    older = model.index(1, HistoryColumn.RECORDED_BY).data(Qt.ItemDataRole.ToolTipRole)
    assert "written before the team history kept who recorded" in older
    model.set_audits([before_v10])
    qtmodeltester.check(model)
    assert model.columnCount() == len(HistoryColumn) - 1
    assert model.headerData(HistoryColumn.RECORDED_BY, Qt.Orientation.Horizontal) is None
    assert not model.index(0, HistoryColumn.RECORDED_BY).isValid()


# --- on a real server -------------------------------------------------------------------------


def _password(address: str) -> str:
    import psycopg

    return str(psycopg.conninfo.conninfo_to_dict(address)["password"])


@pytest.mark.postgres
def test_the_office_sees_the_login_that_recorded_each_audit_whatever_a_technicians_sql_says(
    qtbot: QtBot,
    ops: Operations,
    postgres_dsn: str,
    qtmodeltester: ModelTester,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    import psycopg

    from audit.store.pg import remember_password
    from tests.audit.team.test_row_rules import Team
    from ui.dashboard import DashboardWindow

    team = Team(postgres_dsn)
    ann, bob = team.login["ann"], team.login["bob"]
    with team.store("ann") as store:
        anns = _record(store, "TA1", technician="Ann Lee")
    with team.store("bob") as store:
        bobs = _record(store, "TB1", technician=LOOKALIKE)
    # Bob's own SQL session: his login on Ann's audit, Ann's on his, and his audit's typed
    # technician name changed to Ann's login (his own audit's facts are his to change).
    with team.sql("bob") as sql:
        sql.execute(
            f"UPDATE audits SET recorded_by = '{ann}', technician = '{ann}' WHERE id = {bobs}"
        )
        # refused outright, or kept as it was: either way the name stays Ann's
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            sql.execute(f"UPDATE audits SET recorded_by = '{bob}' WHERE id = {anns}")
    with team.sql("office") as sql:
        stored = dict(sql.execute("SELECT id, recorded_by FROM audits").fetchall())
    assert stored == {anns: ann, bobs: bob}

    office = AuditRecorder(
        ops, remember_password(team.address["office"], _password(team.address["office"]))
    )
    failures: list[BaseException] = []
    office.failed.connect(failures.append)
    history = HistoryWindow(office, today=lambda: DAY)
    qtbot.addWidget(history)
    history.show()
    qtbot.waitUntil(lambda: history.model.rowCount() == 2, timeout=WAIT)
    model = history.model
    assert model.columnCount() == len(HistoryColumn)
    qtmodeltester.check(model)
    shown = {
        row.audit.id: (row.cells[HistoryColumn.RECORDED_BY], row.cells[HistoryColumn.TECHNICIAN])
        for row in model.rows
    }
    assert shown == {anns: (ann, "Ann Lee"), bobs: (bob, ann)}  # the typed name says Ann's

    with qtbot.waitSignal(history.detailed, timeout=WAIT):
        history.table.setCurrentIndex(model.index(model.row_of(bobs), 0))
    about = _about(history)
    assert _recorded_lines(about) == [f"Recorded by: {bob} (the team history's login)"]
    assert f"Recorded by: {bob} (the team history's login)" in "\n".join(history.details.texts())
    assert f"Technician: {ann}" in about  # the typed name, kept apart from the server's word
    assert any("no technician or administrator of the team can type" in line for line in about)

    dashboard = DashboardWindow(office, policy_id=POLICY.id, today=lambda: DAY)
    qtbot.addWidget(dashboard)
    with qtbot.waitSignal(dashboard.loaded, timeout=WAIT):
        dashboard.show()
    with qtbot.waitSignal(dashboard.listed, timeout=WAIT):
        dashboard.tiles["compliant"].click()
    people = {r.audit.id: r.cells[HistoryColumn.RECORDED_BY] for r in dashboard.people.rows}
    assert people == {anns: ann, bobs: bob}
    assert dashboard.people.columnCount() == len(HistoryColumn)
    assert failures == []
    qtbot.waitUntil(lambda: not ops.running_keys(), timeout=WAIT)
    office.close()


def _about(history: HistoryWindow) -> list[str]:
    """The details pane's "About" section, line by line, as the office reads it."""
    details: Any = history.details.details
    assert details is not None
    sections = dict(detail_lines(details, DAY))
    return sections["About"]


def _summary(recorded_by: str) -> Any:
    from datetime import UTC, datetime

    from audit.model import DeviceStatus
    from audit.store.records import AuditSummary, Origin

    at = datetime(2023, 3, 28, 12, tzinfo=UTC)
    return AuditSummary(
        id=1,
        uid="u",
        origin=Origin.LOCAL,
        person_name="Aroha Ngata",
        staff_id="PS-1042",
        technician="Bob",
        device_id="android:X",
        device_name="Pixel 7",
        policy_id="p",
        policy_title="P",
        policy_sha256="",
        deadline=None,
        status=DeviceStatus.COMPLIANT,
        day=DAY,
        started_at=at,
        at=at,
        scanned_at=at,
        attested_at=None,
        exemption_expires=None,
        receipt_uid="",
        receipt_kind="",
        signer="",
        latest=True,
        recorded_by=recorded_by,
    )


@settings(max_examples=60, deadline=None)
@given(login=st.text(min_size=1, max_size=70))
def test_any_login_is_shown_on_one_line_as_plain_text(login: str) -> None:
    """A login is the server's text, but a role name may hold anything quoted: whatever it is,
    it is one escaped line in the details and one cell in the list, never a second line that
    could pass for another "Recorded by"."""
    audit = _summary(login)
    recorded = _recorded_lines("\n".join(about_lines(audit)).splitlines())
    assert len(recorded) == 1 and recorded[0].endswith("(the team history's login)")
    assert not _invisible(recorded[0])
    model = HistoryModel()
    model.set_audits([audit])
    cell = model.index(0, HistoryColumn.RECORDED_BY).data()
    assert cell and not _invisible(cell)


def _invisible(text: str) -> set[str]:
    """Characters that could hide or reorder what is read (audit.text escapes them)."""
    return {
        c for c in text if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}
    }
