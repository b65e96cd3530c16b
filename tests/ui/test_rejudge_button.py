"""The history window's re-judge button (ui/rejudge.py): the same core call as the CLI, run
through the recorder's background helper on a real history, its words shown as plain text."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from audit.store import HistoryFilter, Origin, Store
from tests.audit.store import factory as f
from tests.audit.store import rejudging as r
from ui.recorder import AuditRecorder
from ui.rejudge import LABEL, RejudgeButton


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Aroha's phone holds CapCut, Ben's does not; version 2 bans CapCut too."""
    path = tmp_path / "rejudge.sqlite3"
    with Store(path) as store:
        v1, second = r.accept_v1(store, tmp_path / "policies")
        r.record(store, v1, f.AROHA, f.phone("P1"), (r.capcut(), *r.everyday_apps(3)))
        r.record(store, v1, f.BEN, f.phone("P2"), r.everyday_apps(3))
        store.accept_policy(second, by="Lead")
    return path


def test_the_button_re_judges_the_chosen_policy_and_says_what_changed(
    qtbot: QtBot, recorder: AuditRecorder, db: Path
) -> None:
    chosen = [""]
    button = RejudgeButton(recorder, lambda: chosen[0])
    qtbot.addWidget(button)
    assert button.text() == LABEL and button.accessibleName() == LABEL
    assert not button.isEnabled()  # "any policy" is not one to re-judge
    chosen[0] = r.POLICY_ID
    button.update_enabled()
    assert button.isEnabled()
    with qtbot.waitSignal(button.rejudged, timeout=20_000) as done:
        button.click()
    report = done.args[0]
    assert len(report.changed) == 1
    assert button.message is not None
    text = button.message.text()
    assert "PS-1042's Pixel 7 [android:P1]: compliant under version 1 → not compliant" in text
    assert "CapCut" in text and "no device was rescanned" in text
    button.message.close()
    with Store(db) as store:
        latest = store.history(HistoryFilter(latest_only=True))
        assert {a.origin for a in latest} == {Origin.REJUDGED, Origin.LOCAL}


def test_a_failure_is_said_with_the_next_step(qtbot: QtBot, recorder: AuditRecorder) -> None:
    button = RejudgeButton(recorder, lambda: "no-such-policy")
    qtbot.addWidget(button)
    button.click()
    qtbot.waitUntil(lambda: button.message is not None and button.isEnabled(), timeout=20_000)
    assert button.message is not None
    assert "knows no policy 'no-such-policy'" in button.message.text()
    button.message.close()


def test_attached_to_the_history_window_it_follows_the_policy_and_refreshes_the_list(
    qtbot: QtBot, recorder: AuditRecorder
) -> None:
    """The window's own button (attached in HistoryWindow._build), on the real window; the
    re-judged row says what it is: not a rescan, not signed."""
    from ui.history import HistoryWindow
    from ui.rejudge import _layout_holding

    window = HistoryWindow(recorder, today=lambda: r.LATER)
    qtbot.addWidget(window)
    button = window.rejudge
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2 and window.policy.count() == 2)
    assert button.isVisible() and not button.isEnabled()  # "Any policy" is chosen
    row = _layout_holding(window.close_button)
    assert row is not None and row.indexOf(button) == row.indexOf(window.close_button) - 1
    window.policy.setCurrentIndex(window.policy.findData(r.POLICY_ID))
    assert button.isEnabled()
    with qtbot.waitSignal(window.searched, timeout=20_000):  # the list refreshes after it
        button.click()
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=20_000)
    assert button.message is not None
    button.message.close()
    tips = [
        str(window.model.index(i, 0).data(Qt.ItemDataRole.ToolTipRole))
        for i in range(window.model.rowCount())
    ]
    assert sum("re-judged from the stored inventory, not rescanned" in t for t in tips) == 1
