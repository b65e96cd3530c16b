"""The history writer: writes land in the order asked, none is lost when the app closes at
once, a failure is reported (and the writes that depended on it are skipped, not misfiled)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from audit.errors import StoreError
from audit.model import ActionKind, ActionResult, Device
from audit.store import Store
from tests.ui.samples import assess, phone_scan
from ui import errors as ui_errors
from ui.ops import Operations
from ui.recorder import AuditRecorder, assessment_key

WAIT = 10_000


@pytest.fixture
def ops() -> Iterator[Operations]:
    operations = Operations(max_workers=4)
    yield operations
    operations.shutdown()


def phone(serial: str) -> object:
    scan = phone_scan(serial=serial)
    return assess(replace(scan, device=replace(scan.device, id=Device.android_id(serial))))


def removal(serial: str) -> ActionResult:
    return ActionResult(
        kind=ActionKind.UNINSTALL,
        device=Device.android_id(serial),
        identifier="com.zhiliaoapp.musically",
        user="10",
        ok=True,
        message="TikTok was removed from the work profile.",
    )


def test_writes_land_in_order_and_an_assessment_is_written_once(
    qtbot: QtBot, ops: Operations, tmp_path: Path
) -> None:
    recorder = AuditRecorder(ops, tmp_path / "h.sqlite3")
    first = phone("A1")
    handle = recorder.begin(first, person_name="Aroha Ngata", staff_id="PS-1042")
    recorder.add_actions(handle, [removal("A1")])
    assert not recorder.add_assessment(handle, first)  # the same assessment: nothing to add
    eleven = first.scan.started_at.replace(hour=11)
    later = replace(first, scan=replace(first.scan, started_at=eleven))
    assert assessment_key(later) != assessment_key(first)
    assert recorder.add_assessment(handle, later)
    assert recorder.pending == 3
    qtbot.waitUntil(recorder.wait_idle, timeout=WAIT)
    assert handle.id is not None
    with Store(tmp_path / "h.sqlite3") as store:
        details = store.audit_details(handle.id)
        assert details.summary.person_name == "Aroha Ngata"
        assert len(details.scans) == 2 and [a.message for a in details.actions] == [
            "TikTok was removed from the work profile."
        ]
    assert [what for what, _seconds in recorder.timings] == ["begin", "actions", "assessment"]
    recorder.close()


def test_closing_at_once_writes_everything_asked_for(ops: Operations, tmp_path: Path) -> None:
    recorder = AuditRecorder(ops, tmp_path / "h.sqlite3")
    handles = [recorder.begin(phone(f"P{n}")) for n in range(6)]
    for n, handle in enumerate(handles):
        recorder.add_actions(handle, [removal(f"P{n}")])
    recorder.close()  # no event loop ran: the writes were queued or in flight
    ops.shutdown()
    with Store(tmp_path / "h.sqlite3") as store:
        audits = store.history()
        assert sorted(a.device_id for a in audits) == [f"android:P{n}" for n in range(6)]
        assert all(len(store.audit_details(a.id).actions) == 1 for a in audits)


def test_a_failed_write_is_reported_and_what_depends_on_it_is_skipped(
    qtbot: QtBot, ops: Operations, tmp_path: Path
) -> None:
    folder = tmp_path / "not-a-database"
    folder.mkdir()  # a folder where the history file should be: it cannot be opened
    recorder = AuditRecorder(ops, folder)
    failures: list[BaseException] = []
    recorder.failed.connect(failures.append)
    handle = recorder.begin(phone("A1"))
    recorder.add_actions(handle, [removal("A1")])
    qtbot.waitUntil(lambda: recorder.wait_idle() and len(failures) >= 1, timeout=WAIT)
    assert isinstance(failures[0], StoreError)
    assert handle.id is None
    assert len(failures) == 2  # the actions could not be written either: same cause


def test_a_history_failure_is_shown_once_in_a_box_then_in_the_status_bar(
    qtbot: QtBot, tmp_path: Path, keep_alive: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ui.fakes import FeedTracker, Phones, fake_sources
    from ui.main_window import MainWindow

    folder = tmp_path / "not-a-database"
    folder.mkdir()
    window = MainWindow(
        fake_sources(Phones(), FeedTracker()), auto_scan_local=False, history_path=folder
    )
    keep_alive.append(window)
    qtbot.addWidget(window)
    shown: list[str] = []
    monkeypatch.setattr(ui_errors, "show_error", lambda _parent, error: shown.append(str(error)))
    for _ in range(2):
        with qtbot.waitSignal(window.recorder.failed, timeout=WAIT):
            window.recorder.begin(phone("A1"))
    assert len(shown) == 1 and "cannot be opened" in shown[0]
    message = window.statusBar().currentMessage()
    assert message.startswith("The audit could not be saved in the history:")


def test_the_demo_phone_walks_the_flow_but_is_never_written_and_this_is_said_once(
    qtbot: QtBot, ops: Operations, tmp_path: Path
) -> None:
    recorder = AuditRecorder(ops, tmp_path / "h.sqlite3")
    said: list[str] = []
    recorder.not_recorded.connect(said.append)
    first = phone("DEMO1")
    demo = replace(
        first, scan=replace(first.scan, device=replace(first.scan.device, simulated=True))
    )
    handle = recorder.begin(demo, person_name="Aroha Ngata", staff_id="PS-1042")
    assert handle.demo
    recorder.add_actions(handle, [removal("DEMO1")])
    later = replace(demo, scan=replace(demo.scan, started_at=demo.scan.started_at.replace(hour=11)))
    assert not recorder.add_assessment(handle, later)
    receipt = tmp_path / "receipt.json"  # never read: nothing of the demo is written
    recorder.add_receipt(
        handle, receipt, person_name="Aroha Ngata", staff_id="PS-1042", technician=""
    )
    assert handle.closed  # a new check of the demo phone starts afresh, as for a real one
    again = recorder.begin(demo)
    real = recorder.begin(phone("REAL1"))
    qtbot.waitUntil(recorder.wait_idle, timeout=WAIT)
    assert again.demo and not real.demo and real.id is not None
    assert said == ["The demo phone is not recorded in the history."]
    assert [what for what, _seconds in recorder.timings] == ["begin"]  # the real phone's only
    with Store(tmp_path / "h.sqlite3") as store:
        assert [a.device_id for a in store.history()] == ["android:REAL1"]
    recorder.close()


def test_a_receipt_the_history_holds_back_is_said_with_what_to_do(
    qtbot: QtBot, ops: Operations, tmp_path: Path
) -> None:
    """A receipt signed here under an exemption this history has not accepted: written, held
    (not counted compliant with exceptions), and the window is told what to do."""
    from datetime import date

    from audit.attestation import Signer
    from tests.audit.store import factory as f

    person = f.Person("Kim Exempt", "PS-5100")
    device = f.phone("HELD1")
    _before, after, _actions = f.audit_inputs(device, person, f.Outcome.EXCEPTED, day=date.today())
    recorder = AuditRecorder(ops, tmp_path / "h.sqlite3")
    told: list[object] = []
    recorder.held.connect(told.append)
    handle = recorder.begin(after, person_name=person.name, staff_id=person.staff_id)
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(
        f.receipt(
            Signer.generate(), device, person, f.Outcome.EXCEPTED, day=date.today()
        ).to_file_bytes()
    )
    with qtbot.waitSignal(recorder.held, timeout=WAIT):
        recorder.add_receipt(
            handle, receipt, person_name=person.name, staff_id=person.staff_id, technician=""
        )
    [notice] = told
    assert "exemption accept" in getattr(notice, "next_step", "")
    recorder.close()
