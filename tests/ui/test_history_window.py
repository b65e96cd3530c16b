"""The history window: search as you type and filters (answered by the store), an audit in full
with its receipt checked again, its files, and device text shown literally."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from audit.attestation.receipt_text import FINDING_STATUS_WORDS
from audit.model import DeviceStatus
from audit.store import Store
from tests.ui.history_data import DAY, HOSTILE
from ui.history import HistoryColumn, HistoryModel, HistoryWindow
from ui.recorder import AuditRecorder

WAIT = 10_000
BEFORE_THE_DEADLINE = DAY + timedelta(days=9)  # every audit still stands as it was recorded


@pytest.fixture
def window(qtbot: QtBot, recorder: AuditRecorder) -> HistoryWindow:
    history = HistoryWindow(recorder, today=lambda: BEFORE_THE_DEADLINE)
    qtbot.addWidget(history)
    history.show()
    qtbot.waitUntil(lambda: history.model.rowCount() == 6, timeout=WAIT)
    qtbot.waitUntil(lambda: history.policy.count() == 3, timeout=WAIT)
    return history


def settle(qtbot: QtBot, window: HistoryWindow, change: object) -> None:
    """Make a change to the filters and wait for the store's answer to be shown."""
    with qtbot.waitSignal(window.searched, timeout=WAIT):
        if callable(change):
            change()
    qtbot.waitUntil(lambda: not window.recorder.ops.running_keys(), timeout=WAIT)


def shown(window: HistoryWindow) -> list[tuple[str, str]]:
    return [
        (r.audit.staff_id, r.audit.device_id.removeprefix("android:")) for r in window.model.rows
    ]


def test_the_model_passes_the_model_tester(qtmodeltester: ModelTester, db: Path) -> None:
    model = HistoryModel()
    with Store(db) as store:
        model.set_audits(store.history())
    assert model.rowCount() == 6
    qtmodeltester.check(model)
    model.set_audits([])
    qtmodeltester.check(model)


def test_newest_first_with_words_and_icons(window: HistoryWindow) -> None:
    assert shown(window)[0] == ("PS-3003", "M1")
    first = window.model.rows[0]
    assert first.cells[HistoryColumn.RESULT] == "Not compliant"
    assert first.cells[HistoryColumn.RECEIPT] == "No receipt"
    assert first.cells[HistoryColumn.ASSURANCE] == "Not signed"
    assert window.count.text() == "6 audits"
    aroha = next(r for r in window.model.rows if r.audit.staff_id == "PS-1042" and r.audit.attested)
    assert aroha.cells[HistoryColumn.RECEIPT] == "Attested"
    assert aroha.cells[HistoryColumn.ASSURANCE] == "Self-attested"  # no enrolled key
    assert aroha.cells[HistoryColumn.POLICY_TEXT] == ""  # judged under the text in force
    assert aroha.cells[HistoryColumn.RESULT] == "Compliant"
    index = window.model.index(window.model.rows.index(aroha), HistoryColumn.RESULT)
    assert index.data(0x1) is not None  # DecorationRole: an icon, not colour alone


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", {"A1", "B1", "B2", "M1", "H1"}),
        ("galaxy", {"A1"}),
        ("aroha", {"A1"}),
        ("TŪHOE", {"M1"}),
        ("pixel", {"B1", "M1"}),
        ("pixel ben", {"B1"}),
        ("100%_off", {"B2"}),
        ("ps-2001", {"B1", "B2"}),
        ("nobody", set()),
    ],
)
def test_search_as_you_type(
    qtbot: QtBot, window: HistoryWindow, typed: str, expected: set[str]
) -> None:
    for end in range(1, len(typed) + 1):  # one key at a time, as a person types
        settle(qtbot, window, lambda end=end: window.search.setText(typed[:end]))
    assert {device for _staff, device in shown(window)} == expected
    if not expected:
        assert window.count.text() == "No audits match"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda w: w.person.setText("PS-2001"), {("PS-2001", "B1"), ("PS-2001", "B2")}),
        (lambda w: w.person.setText("Aroha Ngata"), {("PS-1042", "A1")}),
        (lambda w: w.device.setText("B2"), {("PS-2001", "B2")}),
        (
            lambda w: w.policy.setCurrentIndex(w.policy.findData("uk-gov-2023")),
            {("PS-2001", "B2")},
        ),
        (
            lambda w: w.status.setCurrentIndex(w.status.findData(DeviceStatus.NON_COMPLIANT.value)),
            {("PS-1042", "A1"), ("PS-3003", "M1")},
        ),
        (
            lambda w: (
                w.since.setDate(QDate(2023, 3, 22)),
                w.until.setDate(QDate(2023, 3, 25)),
                w.use_since.setChecked(True),
                w.use_until.setChecked(True),
            ),
            # Between the 22nd and the 25th: Aroha's second audit (23rd), Ben's tablet (25th)
            # and the hostile name (22nd).
            {("PS-1042", "A1"), ("PS-2001", "B2"), ("PS-6666", "H1")},
        ),
    ],
)
def test_filters_by_person_device_policy_status_and_dates(
    qtbot: QtBot, window: HistoryWindow, change: object, expected: set[tuple[str, str]]
) -> None:
    settle(qtbot, window, lambda: change(window))  # type: ignore[operator]
    assert set(shown(window)) == expected
    settle(qtbot, window, window.clear_filters)
    assert len(shown(window)) == 6


def test_latest_only_hides_a_superseded_audit(qtbot: QtBot, window: HistoryWindow) -> None:
    settle(qtbot, window, lambda: window.latest.setChecked(True))
    assert shown(window).count(("PS-1042", "A1")) == 1
    assert len(shown(window)) == 5


def open_audit(qtbot: QtBot, window: HistoryWindow, staff_id: str, attested: bool) -> None:
    audit = next(
        r.audit
        for r in window.model.rows
        if r.audit.staff_id == staff_id and r.audit.attested == attested
    )
    with qtbot.waitSignal(window.detailed, timeout=WAIT):
        assert window.select_audit(audit.id)


def test_an_attested_audit_in_full_with_its_receipt_checked_and_its_files(
    qtbot: QtBot, window: HistoryWindow, tmp_path: Path
) -> None:
    open_audit(qtbot, window, "PS-1042", attested=True)
    text = "\n".join(window.details.texts())
    assert "Person: Aroha Ngata (staff id PS-1042)" in text
    assert "Check 1," in text and "Check 2," in text
    assert "    TikTok in the Work profile: banned, found" in text  # the first check
    assert "still there" not in text  # gone in the rescan
    assert "user 10" not in text
    assert "Done: TikTok was removed from the Work profile." in text
    assert "Signature checked again: the receipt is intact." in text
    pane = window.details
    assert pane.open_pdf.isVisibleTo(window) and pane.show_file.isVisibleTo(window)
    opened: list[str] = []
    window.open_url = lambda url: opened.append(url.toLocalFile()) or True  # type: ignore[method-assign]
    pane.open_pdf.click()
    pane.show_file.click()
    assert opened == [str(pane.pdf), str(tmp_path / "receipts")]
    copy = tmp_path / "copy.json"
    window.ask_save_path = lambda *_a: str(copy)  # type: ignore[method-assign]
    pane.save_copy.click()
    from audit.attestation import verify_file

    assert verify_file(copy).attester.staff_id == "PS-1042"


def test_an_audit_without_a_receipt_offers_no_files(qtbot: QtBot, window: HistoryWindow) -> None:
    open_audit(qtbot, window, "PS-3003", attested=False)
    text = "\n".join(window.details.texts())
    assert "No receipt was signed." in text and "Nothing was removed or changed." in text
    pane = window.details
    assert not any(b.isVisibleTo(window) for b in (pane.open_pdf, pane.show_file, pane.save_copy))


def test_a_receipt_changed_in_the_database_no_longer_verifies(
    qtbot: QtBot, db: Path, recorder: AuditRecorder, keep_alive: list[object]
) -> None:
    with sqlite3.connect(db) as conn:
        envelope = conn.execute("SELECT id, envelope FROM attestations LIMIT 1").fetchone()
        tampered = envelope[1].replace(b'"payload": "', b'"payload": "AA', 1)
        conn.execute("UPDATE attestations SET envelope = ? WHERE id = ?", (tampered, envelope[0]))
    window = HistoryWindow(recorder)
    keep_alive.append(window)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.model.rowCount() == 6, timeout=WAIT)
    attested = [r.audit for r in window.model.rows if r.audit.attested]
    texts = []
    for audit in attested:
        with qtbot.waitSignal(window.detailed, timeout=WAIT):
            window.select_audit(audit.id)
        texts.append("\n".join(window.details.texts()))
    assert sum("This receipt no longer verifies" in t for t in texts) == 1
    assert sum("Signature checked again" in t for t in texts) == 1


def test_names_from_devices_and_files_are_shown_literally(
    qtbot: QtBot, window: HistoryWindow
) -> None:
    row = next(r for r in window.model.rows if r.audit.staff_id == HOSTILE.staff_id)
    assert row.cells[HistoryColumn.PERSON] == "<b>Eve</b>\\u202eevil"
    assert row.cells[HistoryColumn.DEVICE] == "<img src=x>\\x1b[31m"
    open_audit(qtbot, window, HOSTILE.staff_id, attested=False)
    assert window.details.title.textFormat().name == "PlainText"
    assert window.details.title.text().startswith("<b>Eve</b>\\u202eevil · <img src=x>")


def test_new_audits_appear_while_the_window_is_open(
    qtbot: QtBot, window: HistoryWindow, db: Path
) -> None:
    from tests.audit.store import factory as f

    before, after, actions = f.audit_inputs(
        f.phone("N1", "Nokia"), f.Person("New Person", "PS-9"), f.Outcome.CLEAN, day=DAY
    )

    def write() -> None:
        handle = window.recorder.begin(before, person_name="New Person", staff_id="PS-9")
        window.recorder.add_actions(handle, actions)
        window.recorder.add_assessment(handle, after)

    write()
    qtbot.waitUntil(lambda: ("PS-9", "N1") in shown(window), timeout=WAIT)


def test_a_check_recorded_without_its_users_names_the_user_by_id(db: Path) -> None:
    from ui.history import detail_lines

    with Store(db) as store:
        audit = store.history()[-1]
        store._db.execute(
            "UPDATE scans SET users = '[]' WHERE audit_id = ?", (audit.id,)
        )  # as a history from before users were kept, whose audit had no receipt
        lines = dict(detail_lines(store.audit_details(audit.id)))["Checks"]
    assert f"    TikTok for user 10: {FINDING_STATUS_WORDS['violation']}" in lines


def test_a_check_says_how_many_apps_were_checked_not_found(db: Path) -> None:
    from ui.history import detail_lines

    with Store(db) as store:
        audit = next(a for a in store.history() if a.staff_id == "PS-3003")
        one = dict(detail_lines(store.audit_details(audit.id)))["Checks"]
        store._db.execute("UPDATE scans SET app_count = 687 WHERE audit_id = ?", (audit.id,))
        many = dict(detail_lines(store.audit_details(audit.id)))["Checks"]
    assert one[0].endswith(": Not compliant (1 app checked)")
    assert many[0].endswith(": Not compliant (687 apps checked)")
    assert not any("687 apps," in line or ", 687" in line for line in many)


AFTER_THE_EXEMPTION = date(2023, 10, 1)  # past the deadline and Ben's exemption (2023-09-17)


@pytest.fixture
def later(qtbot: QtBot, recorder: AuditRecorder) -> HistoryWindow:
    history = HistoryWindow(recorder, today=lambda: AFTER_THE_EXEMPTION)
    qtbot.addWidget(history)
    history.show()
    qtbot.waitUntil(lambda: history.model.rowCount() == 6, timeout=WAIT)
    return history


def result_of(window: HistoryWindow, staff_id: str, device: str) -> str:
    row = next(
        r
        for r in window.model.rows
        if (r.audit.staff_id, r.audit.device_id[-2:]) == (staff_id, device)
    )
    return row.cells[HistoryColumn.RESULT]


def test_results_are_shown_as_they_stand_today_with_what_was_recorded_in_the_details(
    qtbot: QtBot, later: HistoryWindow
) -> None:
    assert later.model.headerData(HistoryColumn.RESULT, Qt.Orientation.Horizontal) == (
        "Result today"
    )
    assert result_of(later, "PS-3003", "M1") == "Overdue (deadline passed)"
    assert result_of(later, "PS-2001", "B1") == "Overdue (exemption ended 2023-09-17)"
    assert result_of(later, "PS-2001", "B2") == "Incomplete check"  # no deadline, no exemption
    ben = next(r.audit for r in later.model.rows if r.audit.device_id.endswith("B1"))
    with qtbot.waitSignal(later.detailed, timeout=WAIT):
        later.select_audit(ben.id)
    texts = later.details.texts()
    assert texts[0].endswith(": Overdue (exemption ended 2023-09-17)")
    about = texts[texts.index("About") + 1].splitlines()
    assert "Result: Overdue (exemption ended 2023-09-17)" in about
    assert about[about.index("Result: Overdue (exemption ended 2023-09-17)") + 1] == (
        "Recorded then: Compliant with exceptions"
    )
    # An audit whose standing has not changed says nothing about then.
    aroha = next(
        r.audit for r in later.model.rows if r.audit.attested and r.audit.staff_id == "PS-1042"
    )
    with qtbot.waitSignal(later.detailed, timeout=WAIT):
        later.select_audit(aroha.id)
    assert not any("Recorded then" in t for t in later.details.texts())


def test_the_result_filter_matches_what_the_list_and_the_dashboard_say(
    qtbot: QtBot, later: HistoryWindow, db: Path
) -> None:
    overdue = later.status.findData(DeviceStatus.OVERDUE.value)
    settle(qtbot, later, lambda: later.status.setCurrentIndex(overdue))
    assert set(shown(later)) == {("PS-1042", "A1"), ("PS-2001", "B1"), ("PS-3003", "M1")}
    assert {r.cells[HistoryColumn.RESULT].split(" (")[0] for r in later.model.rows} == {"Overdue"}
    not_compliant = later.status.findData(DeviceStatus.NON_COMPLIANT.value)
    settle(qtbot, later, lambda: later.status.setCurrentIndex(not_compliant))
    assert shown(later) == [] and later.count.text() == "No audits match"
    # The latest audit of each device under the policy, by result: the dashboard's counts.
    settle(qtbot, later, lambda: later.latest.setChecked(True))
    settle(
        qtbot,
        later,
        lambda: later.policy.setCurrentIndex(later.policy.findData("nz-parliament-2023")),
    )
    with Store(db) as store:
        counts = store.dashboard("nz-parliament-2023", AFTER_THE_EXEMPTION).counts
    for status in DeviceStatus:
        index = later.status.findData(status.value)
        settle(qtbot, later, lambda index=index: later.status.setCurrentIndex(index))
        assert len(shown(later)) == counts.of(status), status


def test_the_receipt_buttons_stay_in_sight_below_a_long_audit(
    qtbot: QtBot, window: HistoryWindow, db: Path
) -> None:
    aroha = next(r.audit for r in window.model.rows if r.audit.attested)
    with sqlite3.connect(db) as conn:  # checked again and again: a dozen more checks to list
        columns = [c[1] for c in conn.execute("PRAGMA table_info(scans)") if c[1] != "id"]
        names = ", ".join(columns)
        for _ in range(12):
            conn.execute(
                f"INSERT INTO scans ({names}) SELECT {names} FROM scans WHERE audit_id = ?"
                " ORDER BY id LIMIT 1",
                (aroha.id,),
            )
    window.resize(1200, 760)  # the window's own size
    open_audit(qtbot, window, "PS-1042", attested=True)
    assert "Check 14," in "\n".join(window.details.texts())
    pane = window.details
    # The audit's text is longer than the pane: it scrolls, the buttons do not.
    qtbot.waitUntil(lambda: pane.reading.verticalScrollBar().maximum() > 0, timeout=WAIT)
    for button in (pane.open_pdf, pane.show_file, pane.save_copy):
        assert button.visibleRegion().boundingRect() == button.rect(), button.text()
        bottom = button.mapTo(window, button.rect().bottomLeft()).y()
        assert bottom < window.centralWidget().height()


def test_a_banned_app_is_found_at_the_first_check_and_still_there_after_it(tmp_path: Path) -> None:
    """ "Still there" would suggest a removal failed: it is said of a rescan only."""
    from tests.audit.store import factory as f
    from ui.history import check_lines

    with Store(tmp_path / "history.sqlite3") as store:
        before, after, actions = f.audit_inputs(
            f.phone("V1"), f.AROHA, f.Outcome.VIOLATION, day=DAY
        )
        audit_id = store.record_audit([before, after], actions, staff_id=f.AROHA.staff_id)
        lines = check_lines(store.audit_details(audit_id))
    first = lines.index(next(line for line in lines if line.startswith("Check 2,")))
    assert any(line.endswith(": banned, found") for line in lines[:first])
    assert not any("still there" in line for line in lines[:first])
    assert any(line.endswith(": banned, still there") for line in lines[first:])


def test_the_details_say_how_the_phone_was_reached(tmp_path: Path) -> None:
    """A phone reached over the network is named so; an audit from before it was recorded
    says "not recorded", never a cable."""
    from dataclasses import replace

    from audit.model import Connection, ConnectionKind
    from tests.audit.store import factory as f
    from ui.history import detail_lines

    network = Connection(ConnectionKind.NETWORK, address="192.168.1.20:5555")
    with Store(tmp_path / "history.sqlite3") as store:
        for serial, connection in (("W1", network), ("U1", None)):
            device = replace(f.phone(serial), connection=connection)
            before, after, actions = f.audit_inputs(device, f.AROHA, f.Outcome.CLEAN, day=DAY)
            store.record_audit([before, after], actions)
        about = {
            a.device_id: dict(detail_lines(store.audit_details(a.id)))["Evidence"]
            for a in store.history()
        }
    assert "Reached: over the network, not a USB cable (192.168.1.20:5555)" in about["android:W1"]
    assert any(line.startswith("Reached: not recorded") for line in about["android:U1"])
