"""The dashboard: counts by status as of a day (counted by hand from the audits written), the
deadline, the chart, the people behind a count, another policy, and the export."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from ui.dashboard import EXPIRING, MAX_STEPS, DashboardWindow, count_axis
from ui.history import HistoryColumn
from ui.recorder import AuditRecorder

WAIT = 10_000
NZ = "nz-parliament-2023"


@pytest.fixture
def open_dashboard(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]
) -> Callable[[date], DashboardWindow]:
    def make(day: date) -> DashboardWindow:
        window = dashboard(qtbot, recorder, day)
        keep_alive.append(window)
        return window

    return make


def dashboard(qtbot: QtBot, recorder: AuditRecorder, day: date) -> DashboardWindow:
    window = DashboardWindow(recorder, policy_id=NZ, today=lambda: day)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        window.show()
    return window


def counts(window: DashboardWindow) -> dict[str, int]:
    return {key: tile.count for key, tile in window.tiles.items()}


def test_counts_before_the_deadline_match_the_audits(
    open_dashboard: Callable[[date], DashboardWindow],
) -> None:
    # Latest audit of each person's device under the NZ policy: Aroha's phone clean, Ben's
    # phone kept under an exemption, Mere's phone with TikTok, the hostile name's phone clean.
    window = open_dashboard(date(2023, 3, 30))
    assert window.policy_id() == NZ
    assert counts(window) == {
        "compliant": 2,
        "compliant_with_exceptions": 1,
        "non_compliant": 1,
        "overdue": 0,
        EXPIRING: 0,
        "incomplete": 0,
        "unwitnessed": 3,  # of the compliant: no receipt is witnessed (none is enrolled)
        "older_version": 0,
    }
    assert window.deadline.text() == "1 day to the deadline (2023-03-31)."
    assert window.summary.text() == (
        "3 of 4 devices are compliant (75%), as of 2023-03-30. "
        "Signed receipts: 0 witnessed at the bench, 2 self-attested."
    )
    assert "a check nobody has signed for yet names nobody" in window.summary.toolTip()
    overdue = window.tiles["overdue"]
    assert overdue.accessibleName() == "Overdue: 0 devices"
    assert (overdue.number.text(), overdue.words.text()) == ("0", "Overdue")
    assert not overdue.icon_label.pixmap().isNull()  # an icon shape, not colour alone


def test_after_the_deadline_the_violation_is_overdue_and_the_people_are_listed(
    qtbot: QtBot, open_dashboard: Callable[[date], DashboardWindow], qtmodeltester: ModelTester
) -> None:
    window = open_dashboard(date(2023, 4, 2))
    assert counts(window)["overdue"] == 1 and counts(window)["non_compliant"] == 0
    assert window.deadline.text() == "The deadline (2023-03-31) passed 2 days ago."
    with qtbot.waitSignal(window.listed, timeout=WAIT):
        window.tiles["overdue"].click()
    assert [r.audit.staff_id for r in window.people.rows] == ["PS-3003"]
    # The list says where each stands today, not only what the audit recorded.
    assert window.people.rows[0].cells[HistoryColumn.RESULT] == "Overdue (deadline passed)"
    assert window.people_title.text() == "Overdue: 1 device"
    qtmodeltester.check(window.people)
    with qtbot.waitSignal(window.listed, timeout=WAIT):
        window.tiles["compliant"].click()
    assert sorted(r.audit.staff_id for r in window.people.rows) == ["PS-1042", "PS-6666"]


def test_an_exemption_ending_soon_is_counted_and_listed(
    qtbot: QtBot, open_dashboard: Callable[[date], DashboardWindow]
) -> None:
    # Ben's exemption runs 180 days from his audit on 2023-03-21, to 2023-09-17.
    window = open_dashboard(date(2023, 9, 10))
    assert counts(window)[EXPIRING] == 1
    assert window.tiles[EXPIRING].accessibleName() == "Exemptions ending within 14 days: 1 device"
    with qtbot.waitSignal(window.listed, timeout=WAIT):
        window.list_people(EXPIRING)
    assert [r.audit.staff_id for r in window.people.rows] == ["PS-2001"]
    assert window.people.rows[0].cells[HistoryColumn.RESULT] == "Compliant with exceptions"


def test_an_ended_exemption_counts_against_the_person(
    qtbot: QtBot, open_dashboard: Callable[[date], DashboardWindow]
) -> None:
    window = open_dashboard(date(2023, 9, 20))
    assert counts(window)["compliant_with_exceptions"] == 0 and counts(window)["overdue"] == 2
    with qtbot.waitSignal(window.listed, timeout=WAIT):
        window.list_people("overdue")
    results = {r.audit.staff_id: r.cells[HistoryColumn.RESULT] for r in window.people.rows}
    assert results == {
        "PS-2001": "Overdue (exemption ended 2023-09-17)",
        "PS-3003": "Overdue (deadline passed)",
    }


def test_the_chart_shows_the_last_30_days_ending_with_the_counts(
    qtbot: QtBot, open_dashboard: Callable[[date], DashboardWindow]
) -> None:
    window = open_dashboard(date(2023, 3, 30))
    chart = window.chart
    assert chart is not None
    sets = {series.label: list(series.values) for series in chart.series}
    assert set(sets) == {
        "Compliant",
        "Compliant with exceptions",
        "Not compliant",
        "Overdue",
        "Incomplete checks",
    }
    assert all(len(values) == 30 for values in sets.values())
    assert (chart.days[0], chart.days[-1]) == (date(2023, 3, 1), date(2023, 3, 30))
    assert sets["Compliant"][-1] == 2 and sets["Not compliant"][-1] == 1
    assert sets["Compliant"][0] == 0  # 2023-03-01: nobody audited yet
    assert "Today: 2 compliant, 1 compliant with exceptions, 1 not compliant" in (
        chart.accessibleDescription()
    )
    # The count axis: 0 to 4 devices, a label on every whole number, none twice.
    assert chart.value_title == "Devices"
    assert chart.tick_labels() == ["0", "1", "2", "3", "4"]


def test_three_devices_get_an_axis_without_a_repeated_zero(
    open_dashboard: Callable[[date], DashboardWindow],
) -> None:
    window = open_dashboard(date(2023, 3, 27))  # Aroha's, Ben's and the hostile name's phones
    assert window.counts is not None and window.counts.counts.total == 3
    assert window.chart is not None
    assert window.chart.tick_labels() == ["0", "1", "2", "3"]  # 5 even ticks read "0 0 1 2 3"


@pytest.mark.parametrize("largest", [0, 1, 3, 4, 9, 10, 11, 23, 57, 99, 100, 101, 480, 12_345])
def test_the_count_axis_has_whole_distinct_labels_and_room_for_the_largest(largest: int) -> None:
    top, step = count_axis(largest)
    assert top >= max(1, largest) and top - step < max(1, largest)  # no empty step on top
    ticks = list(range(0, top + 1, step))
    assert ticks[-1] == top and 2 <= len(ticks) <= MAX_STEPS + 1
    assert str(step).strip("0") in ("1", "2", "5")


def test_another_policy_and_the_export(
    qtbot: QtBot, open_dashboard: Callable[[date], DashboardWindow], tmp_path: Path
) -> None:
    window = open_dashboard(date(2023, 3, 30))
    target = tmp_path / "office"
    window.ask_save_path = lambda *_a: str(target)  # type: ignore[method-assign]
    window.export_button.click()
    written = target.with_suffix(".csv")
    qtbot.waitUntil(written.exists, timeout=WAIT)
    with written.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert sorted(r["staff_id"] for r in rows) == ["PS-1042", "PS-2001", "PS-3003", "PS-6666"]
    assert {r["policy_id"] for r in rows} == {NZ}

    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        window.policy.setCurrentIndex(window.policy.findData("uk-gov-2023"))
    assert counts(window)["incomplete"] == 1
    assert window.deadline.text() == "This policy sets no deadline."
