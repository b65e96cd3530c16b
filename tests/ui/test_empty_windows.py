"""Empty windows say how to fill them: the history and the dashboard over an empty history, and
the dashboard opened with no policy chosen, give words and a next step, not a blank table or an
empty chart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.ui.history_data import DAY
from ui.dashboard import CHOOSE_TITLE, EMPTY_TITLE, DashboardWindow
from ui.history import SELECT_AN_AUDIT, HistoryWindow
from ui.ops import Operations
from ui.recorder import AuditRecorder

WAIT = 10_000
NZ = "nz-parliament-2023"


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[AuditRecorder]:
    """A recorder over a history nobody has written to."""
    ops = Operations(max_workers=2)
    recorder = AuditRecorder(ops, tmp_path / "empty.sqlite3")
    yield recorder
    recorder.close()
    ops.shutdown()


def record_one(recorder: AuditRecorder) -> None:
    from tests.audit.store import factory as f

    before, after, actions = f.audit_inputs(
        f.phone("N1", "Nokia"), f.Person("New Person", "PS-9"), f.Outcome.CLEAN, day=DAY
    )
    handle = recorder.begin(before, person_name="New Person", staff_id="PS-9")
    recorder.add_actions(handle, actions)
    recorder.add_assessment(handle, after)


def history(qtbot: QtBot, recorder: AuditRecorder) -> HistoryWindow:
    window = HistoryWindow(recorder)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.searched, timeout=WAIT):
        window.show()
    return window


def dashboard(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object], policy_id: str = ""
) -> DashboardWindow:
    window = DashboardWindow(recorder, policy_id=policy_id, today=lambda: DAY)
    keep_alive.append(window)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        window.show()
    return window


def test_the_empty_history_says_how_audits_get_there(qtbot: QtBot, empty: AuditRecorder) -> None:
    window = history(qtbot, empty)
    assert window.count.text() == "No audits yet"
    assert window.empty_help.isVisible()
    words = window.empty_help.text()
    assert "Each check of a phone or of this computer made in Device Audit is recorded" in words
    assert "File › Import receipts…" in words
    assert "The demo phone is never recorded." in words
    assert window.details.title.text() == ""  # nothing to select: no "Select an audit"

    with qtbot.waitSignal(window.searched, timeout=WAIT):
        window.search.setText("Aroha")
    assert window.count.text() == "No audits match"
    assert not window.empty_help.isVisible()  # the search found nothing, the history has audits
    with qtbot.waitSignal(window.searched, timeout=WAIT):
        window.search.clear()
    assert window.empty_help.isVisible()

    record_one(empty)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    assert not window.empty_help.isVisible()
    assert window.details.title.text() == SELECT_AN_AUDIT


def test_a_history_with_audits_shows_no_help(qtbot: QtBot, recorder: AuditRecorder) -> None:
    window = history(qtbot, recorder)
    qtbot.waitUntil(lambda: window.model.rowCount() == 6, timeout=WAIT)
    assert not window.empty_help.isVisible()


def test_the_dashboard_of_an_empty_history_says_so_and_how_to_fill_it(
    qtbot: QtBot, empty: AuditRecorder, keep_alive: list[object]
) -> None:
    window = dashboard(qtbot, empty, keep_alive)
    assert window.deadline.text() == EMPTY_TITLE
    assert "File › Import receipts…" in window.summary.text()
    assert "The demo phone is never recorded." in window.summary.text()
    assert not window.body.isVisible() and window.chart is None  # no zeros, no empty chart
    assert not window.export_button.isEnabled()
    assert window.policy.placeholderText() == "No policies yet"

    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        record_one(empty)
    assert window.policy.count() == 1 and window.policy.isEnabled()
    assert window.deadline.text() == CHOOSE_TITLE
    assert not window.body.isVisible()


def test_the_dashboard_with_no_policy_chosen_asks_for_one_instead_of_an_empty_chart(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]
) -> None:
    window = dashboard(qtbot, recorder, keep_alive)
    assert window.policy.currentIndex() == -1 and window.policy.count() == 2
    assert window.policy.placeholderText() == "Choose a policy"
    assert window.deadline.text() == "Choose a policy to see its dashboard."
    assert "The Policy list above" in window.summary.text()
    assert not window.body.isVisible() and window.chart is None
    assert window.export_button.isEnabled()  # every policy, as the main window's export

    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        window.policy.setCurrentIndex(window.policy.findData(NZ))
    assert window.body.isVisible() and window.chart is not None
    assert window.deadline.text() == "11 days to the deadline (2023-03-31)."


def test_a_policy_nobody_was_audited_under_is_named(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]
) -> None:
    window = dashboard(qtbot, recorder, keep_alive, policy_id="ca-federal-2023")
    assert window.deadline.text() == CHOOSE_TITLE
    assert window.summary.text().startswith(
        "Nobody has been audited under the policy 'ca-federal-2023' yet."
    )
    assert not window.body.isVisible()
