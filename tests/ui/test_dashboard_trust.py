"""The dashboard says what its counts are worth (issue 13 §2, §4): a "Witnessed only" switch
that recounts with the store's witnessed-only counts and is locked on when the policy asks for
it, "compliant, not witnessed" and "checked under an older version" counts that open the audits
behind them, and the same numbers as the history and the export for the same store. Real
SQLite histories, real keys, real widgets offscreen."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from audit.attestation import Signer
from audit.model import DeviceStatus
from audit.store import HistoryFilter, Store
from tests.audit.store import factory as f
from tests.audit.store.test_earlier_presets import NZ_2023_EARLIER
from tests.audit.store.test_history_lines import _three_devices
from tests.audit.store.test_one_device_once import _four_phones_and_the_bench
from tests.audit.store.test_trust_attacks import changed_preset
from ui import icons
from ui.dashboard import DashboardWindow
from ui.dashboard_tiles import OLDER_VERSION, UNWITNESSED
from ui.history import HistoryColumn, HistoryWindow
from ui.recorder import AuditRecorder

WAIT = 10_000
DAY = date(2023, 3, 28)
ASKS = "org-witnessed-2023"


def _asking_policy(tmp_path: Path) -> Path:
    file = changed_preset(tmp_path, own_id=ASKS)
    file.write_text(
        file.read_text("utf-8").replace("\nid = ", "\nwitnessed_only = true\nid = ", 1), "utf-8"
    )
    return file


@pytest.fixture
def db(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A history made for each test (the module's own, not the shared sample history)."""
    path = tmp_path / "trust.sqlite3"
    with Store(path) as store:
        kind = getattr(request, "param", "three")
        if kind == "three":  # one witnessed, one self-attested, one not signed: all compliant
            _three_devices(store, tmp_path)
        elif kind == "asks":
            _three_devices(store, tmp_path, _asking_policy(tmp_path))
        elif kind == "phones":  # four phones (each with unnamed scans) and the bench computer
            _four_phones_and_the_bench(store, Signer.generate())
            _three_devices(store, tmp_path / "more")
            earlier = replace(f.POLICY, sha256=NZ_2023_EARLIER)
            before, after, actions = f.audit_inputs(
                f.phone("OLD"), f.BEN, f.Outcome.VIOLATION, day=DAY, policy=earlier
            )
            store.record_audit(
                [before, after], actions, person_name=f.BEN.name, staff_id=f.BEN.staff_id
            )
    return path


def open_dashboard(
    qtbot: QtBot, recorder: AuditRecorder, keep: list[object], policy_id: str = f.POLICY.id
) -> DashboardWindow:
    window = DashboardWindow(recorder, policy_id=policy_id, today=lambda: DAY)
    keep.append(window)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        window.show()
    return window


def counts(window: DashboardWindow) -> dict[str, int]:
    return {key: tile.count for key, tile in window.tiles.items()}


def listed(qtbot: QtBot, window: DashboardWindow, key: str) -> list[tuple[str, str]]:
    """Press a count's tile; the staff ids and assurance of the audits it lists."""
    with qtbot.waitSignal(window.listed, timeout=WAIT):
        qtbot.mouseClick(window.tiles[key], Qt.MouseButton.LeftButton)
    return sorted((r.audit.staff_id, r.audit.assurance) for r in window.people.rows)


def switch(qtbot: QtBot, window: DashboardWindow) -> None:
    """Toggle "Witnessed only" from the keyboard, as a person tabbing to it would."""
    window.witnessed.setFocus()
    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        QTest.keyClick(window.witnessed, Qt.Key.Key_Space)


def test_witnessed_only_recounts_and_each_count_opens_the_audits_behind_it(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object], qtmodeltester: ModelTester
) -> None:
    window = open_dashboard(qtbot, recorder, keep_alive)
    switch_box = window.witnessed
    assert switch_box.isEnabled() and not switch_box.isChecked()
    assert "enrolled technician" in switch_box.toolTip()
    assert "their word" in switch_box.toolTip()
    every = counts(window)
    assert (every["compliant"], every[UNWITNESSED], every[OLDER_VERSION]) == (3, 2, 0)
    unwitnessed = window.tiles[UNWITNESSED]
    assert unwitnessed.words.text() == "Of the compliant, not witnessed"
    assert unwitnessed.accessibleName() == "Of the compliant, not witnessed: 2 devices"
    assert "Counted as compliant above" in unwitnessed.toolTip()
    assert listed(qtbot, window, UNWITNESSED) == [("PS-1042", ""), ("PS-8000", "self-attested")]
    qtmodeltester.check(window.people)
    assert len(listed(qtbot, window, "compliant")) == 3

    switch(qtbot, window)
    assert switch_box.isChecked()
    only = counts(window)
    assert (only["compliant"], only[UNWITNESSED]) == (1, 2)
    assert unwitnessed.words.text() == "Compliant, not witnessed"
    assert "Not counted as compliant" in unwitnessed.toolTip()
    assert window.summary.text().startswith("1 of 3 devices is compliant (33%)")
    assert "2 devices compliant, not witnessed, are not counted as compliant" in (
        window.summary.text()
    )
    # the chosen tile stays chosen and lists what it now counts
    with qtbot.waitSignal(window.listed, timeout=WAIT):
        window.list_people("compliant")
    assert [(r.audit.staff_id, r.audit.assurance) for r in window.people.rows] == [
        ("PS-7000", "witnessed")
    ]
    row = window.people.rows[0]
    assert row.cells[HistoryColumn.ASSURANCE] == "Witnessed"
    assert listed(qtbot, window, UNWITNESSED) == [("PS-1042", ""), ("PS-8000", "self-attested")]
    # the list reads as the count: not "Compliant" while it is not counted so
    assert {r.cells[HistoryColumn.RESULT] for r in window.people.rows} == {
        "Compliant, not witnessed"
    }
    shape = window.people.index(0, HistoryColumn.RESULT).data(Qt.ItemDataRole.DecorationRole)
    assert shape.cacheKey() == icons.icon("review").cacheKey()  # not the compliant tick
    qtmodeltester.check(window.people)
    with Store(recorder.store_path) as store:
        board = store.dashboard(f.POLICY.id, DAY, witnessed_only=True)
    assert (board.counts.compliant, board.counts.unwitnessed) == (1, 2)

    switch(qtbot, window)  # and back
    assert counts(window) == every
    assert listed(qtbot, window, UNWITNESSED) == [("PS-1042", ""), ("PS-8000", "self-attested")]
    assert {r.cells[HistoryColumn.RESULT] for r in window.people.rows} == {"Compliant"}


@pytest.mark.parametrize("db", ["asks"], indirect=True)
def test_a_policy_that_asks_for_witnessed_receipts_locks_the_switch_on(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]
) -> None:
    window = open_dashboard(qtbot, recorder, keep_alive, policy_id=ASKS)
    box = window.witnessed
    assert box.isChecked() and not box.isEnabled()
    assert box.text() == "&Witnessed only (this policy asks for it)"  # in sight, not a tip only
    assert "This policy asks for witnessed receipts only" in box.toolTip()
    assert (counts(window)["compliant"], counts(window)[UNWITNESSED]) == (1, 2)
    # a rogue technician who gets the switch off anyway (not through the window) still counts
    # witnessed receipts only: the policy's ask is the store's, not the box's
    box.setEnabled(True)
    box.blockSignals(True)
    box.setChecked(False)
    box.blockSignals(False)
    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        window.refresh()
    assert (counts(window)["compliant"], counts(window)[UNWITNESSED]) == (1, 2)
    assert box.isChecked() and not box.isEnabled()  # shown locked on again
    assert listed(qtbot, window, "compliant") == [("PS-7000", "witnessed")]

    # the history reads as the dashboard counts: under this policy, not "Compliant" unwitnessed
    history = HistoryWindow(recorder, today=lambda: DAY)
    keep_alive.append(history)
    qtbot.addWidget(history)
    history.show()
    qtbot.waitUntil(lambda: history.model.rowCount() == 3, timeout=WAIT)
    results = {r.audit.staff_id: r.cells[HistoryColumn.RESULT] for r in history.model.rows}
    assert results == {
        "PS-7000": "Compliant",
        "PS-8000": "Compliant, not witnessed",
        "PS-1042": "Compliant, not witnessed",
    }


@pytest.mark.parametrize("db", ["asks"], indirect=True)
def test_the_export_counts_a_policy_that_asks_for_witnessed_receipts_as_the_dashboard(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]
) -> None:
    window = open_dashboard(qtbot, recorder, keep_alive, policy_id=ASKS)
    with Store(recorder.store_path) as store:
        exported = store.export_rows(policy_id=ASKS, today=DAY)
    assert sum(1 for r in exported if r.status == "compliant") == counts(window)["compliant"]


@pytest.mark.parametrize("db", ["phones"], indirect=True)
def test_the_dashboard_the_history_and_the_export_give_the_same_counts(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]
) -> None:
    """Four phones (each with unnamed scans), the bench computer, three devices of mixed
    assurance and one phone judged under an older text of the policy: the tiles, the store's
    dashboard, the history's latest audits and the export rows count the same devices."""
    window = open_dashboard(qtbot, recorder, keep_alive)
    with Store(recorder.store_path) as store:
        latest = store.history(HistoryFilter(policy=f.POLICY.id, latest_only=True, limit=None))
        exported = store.export_rows(policy_id=f.POLICY.id, today=DAY)
        boards = {only: store.dashboard(f.POLICY.id, DAY, witnessed_only=only) for only in (0, 1)}
    shown = counts(window)
    statuses = [s.value for s in DeviceStatus]
    assert sum(shown[s] for s in statuses) == len(latest) == len(exported) == 8
    for status in statuses:
        assert shown[status] == boards[0].counts.of(DeviceStatus(status))
        assert shown[status] == sum(1 for r in exported if r.status == status)
    assert shown[OLDER_VERSION] == boards[0].older_version == 1
    assert shown[OLDER_VERSION] == sum(1 for a in latest if a.older_policy)
    compliant = ("compliant", "compliant_with_exceptions")
    unwitnessed = [r for r in exported if r.status in compliant and r.assurance != "witnessed"]
    assert shown[UNWITNESSED] == len(unwitnessed) == 6  # 4 phones self-attested, 2 of three

    # the history window, latest audit of each device under the policy: the same devices,
    # each result today as the tiles count it, each assurance as the export says it
    history = HistoryWindow(recorder, today=lambda: DAY)
    keep_alive.append(history)
    qtbot.addWidget(history)
    history.show()
    qtbot.waitUntil(lambda: history.policy.findData(f.POLICY.id) > 0, timeout=WAIT)
    qtbot.waitUntil(lambda: not history.recorder.ops.running_keys(), timeout=WAIT)
    with qtbot.waitSignal(history.searched, timeout=WAIT):
        history.policy.setCurrentIndex(history.policy.findData(f.POLICY.id))
    with qtbot.waitSignal(history.searched, timeout=WAIT):
        history.latest.setChecked(True)
    qtbot.waitUntil(lambda: not history.recorder.ops.running_keys(), timeout=WAIT)
    rows = history.model.rows
    assert len(rows) == len(exported) == 8
    for status in statuses:
        assert shown[status] == sum(1 for r in rows if r.status is DeviceStatus(status))
    assert shown[OLDER_VERSION] == sum(1 for r in rows if r.cells[HistoryColumn.POLICY_TEXT])
    by_staff = {r.staff_id: r.assurance for r in exported}
    assert {r.audit.staff_id: r.audit.assurance for r in rows} == by_staff

    switch(qtbot, window)
    only = counts(window)
    assert only[UNWITNESSED] == boards[1].counts.unwitnessed == len(unwitnessed)
    assert only["compliant"] == boards[1].counts.compliant
    assert only["compliant"] == sum(
        1 for r in exported if r.status == "compliant" and r.assurance == "witnessed"
    )
    assert sum(only[s] for s in statuses) + only[UNWITNESSED] == len(exported)
    for key in (*statuses, UNWITNESSED, OLDER_VERSION):
        if key != "compliant_with_exceptions":
            assert len(listed(qtbot, window, key)) == only[key], key


@pytest.mark.parametrize("db", ["phones"], indirect=True)
def test_an_audit_under_an_older_version_is_marked_in_the_dashboard_and_the_history(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]
) -> None:
    window = open_dashboard(qtbot, recorder, keep_alive)
    assert listed(qtbot, window, OLDER_VERSION) == [("PS-2001", "")]
    row = window.people.rows[0]
    assert row.cells[HistoryColumn.POLICY_TEXT] == "Older version"
    tip = window.people.index(0, HistoryColumn.POLICY_TEXT).data(Qt.ItemDataRole.ToolTipRole)
    assert "judged under an older version of the policy" in tip
    assert "an earlier text of this policy" in window.tiles[OLDER_VERSION].toolTip()

    history = HistoryWindow(recorder, today=lambda: DAY)
    keep_alive.append(history)
    qtbot.addWidget(history)
    qtbot.waitUntil(lambda: history.model.rowCount() > 0, timeout=WAIT)
    marked = [r.audit.device_id for r in history.model.rows if r.cells[HistoryColumn.POLICY_TEXT]]
    assert marked == ["android:OLD"]
    audit = next(r.audit for r in history.model.rows if r.audit.device_id == "android:OLD")
    with qtbot.waitSignal(history.detailed, timeout=WAIT):
        history.select_audit(audit.id)
    text = "\n".join(history.details.texts())
    assert "Policy judged against: nz-parliament-2023, version" in text
    assert f"sha256 {NZ_2023_EARLIER}" in text
    assert "Older version: judged under an older version of the policy" in text, text


def test_the_switch_and_the_trust_counts_are_reached_from_the_keyboard(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]
) -> None:
    """Tab reaches the switch after the policy, then the counts; the arrow keys move among
    the counts (one group of buttons) to the trust counts, and Space opens one."""
    window = open_dashboard(qtbot, recorder, keep_alive)
    window.activateWindow()
    window.policy.setFocus()
    qtbot.waitUntil(window.policy.hasFocus, timeout=WAIT)
    QTest.keyClick(window.policy, Qt.Key.Key_Tab)
    assert window.focusWidget() is window.witnessed
    assert window.witnessed.accessibleName() == "Count witnessed receipts only"
    QTest.keyClick(window.witnessed, Qt.Key.Key_Tab)
    assert window.focusWidget() is window.export_button
    QTest.keyClick(window.export_button, Qt.Key.Key_Tab)
    assert isinstance(window.focusWidget(), type(window.tiles[OLDER_VERSION]))
    reached = []
    for key in (Qt.Key.Key_Down, Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_Right):
        QTest.keyClick(window.focusWidget(), key)  # the counts are a grid: down, then right
        reached.append(window.focusWidget())
    assert reached[-2:] == [window.tiles[UNWITNESSED], window.tiles[OLDER_VERSION]]
    tile = window.tiles[OLDER_VERSION]
    tile.setFocus()
    with qtbot.waitSignal(window.listed, timeout=WAIT):
        QTest.keyClick(tile, Qt.Key.Key_Space)  # a count opens its audits from the keyboard
    assert window.chosen == OLDER_VERSION
