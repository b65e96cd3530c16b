"""The same audit through the window as through the workflow API and the command line: the same
history rows and the same receipt content (tests/audit/workflow/test_same_audit.py compares the
API and the command line). A simulated phone with TikTok in its work profile, through the real
adb server (the in-process demo phone is never recorded): the window checks it, a removal
window removes TikTok and is closed unsigned, as `remove` ends; Attest… carries the removal on,
checks again and signs, as `attest` does. Only times, ids, the phone's address and where each
way saved its receipt may differ (each way gets a phone of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

import audit.cli
from audit.model import Device
from audit.remediation import pending
from tests.audit.workflow.test_same_audit import (
    DAY,
    NAME,
    NZ,
    STAFF_ID,
    TIKTOK,
    history_rows,
    receipt_facts,
    through_the_api,
    through_the_cli,
)
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.ui.drive import start_main_window
from tests.ui.wizard.drive import go_to, open_box, remove_page, sign, wait_idle
from ui.device_list import ScanPhase
from ui.main_window import MainWindow
from ui.sources import real_sources
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import UsbPage

pytestmark = [pytest.mark.adb, pytest.mark.usefixtures("memory_keyring")]

JUDGED = date.fromisoformat(DAY)  # as the API and command-line runs judge
WAIT_MS = 30_000


@pytest.fixture
def window(
    qtbot: QtBot, adb_server: AdbServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    def close_unsigned(_cls: type, _parent: object, title: str, *_a: object, **_k: object) -> bool:
        assert title == "Close without signing?"
        return True

    monkeypatch.setattr(RemovalWizard, "ask_confirm", classmethod(close_unsigned))
    monkeypatch.setattr(audit.cli, "receipt_pdf_writer", None)  # as in the workflow's test
    (tmp_path / "gui").mkdir()
    main = MainWindow(
        real_sources(adb_server.port),
        auto_scan_local=False,
        today=lambda: JUDGED,
        history_path=tmp_path / "gui" / "history.sqlite3",
        receipts_dir=tmp_path / "gui" / "receipts",
    )
    qtbot.addWidget(main)
    yield start_main_window(qtbot, main, timeout=WAIT_MS, policy=NZ)
    main.shutdown()


def checked(window: MainWindow, serial: str) -> bool:
    entry = window.devices.entry(serial)
    session = window.sessions.get(serial)
    return (
        entry is not None
        and session is not None
        and not window.ops.is_running(serial)
        and entry.phase is ScanPhase.SCANNED
        and session.assessment is not None
    )


def open_removal(qtbot: QtBot, window: MainWindow, serial: str, attest: bool) -> RemovalWizard:
    window.device_panel.select(serial)
    (window.attest_action if attest else window.remove_action).trigger()
    wizard = window.sessions[serial].wizard
    assert wizard is not None
    return wizard


def through_the_window(qtbot: QtBot, window: MainWindow, serial: str) -> Path:
    qtbot.waitUntil(lambda: checked(window, serial), timeout=WAIT_MS)
    first = open_removal(qtbot, window, serial, attest=False)
    go_to(qtbot, first, first.remove_ids[0])
    open_box(remove_page(first)).button.click()
    wait_idle(qtbot, first)
    go_to(qtbot, first, Pages.VERIFY)  # checks every user again, as `remove` does
    wait_idle(qtbot, first)
    assert first.session.after is not None and first.session.after.status.compliant
    first.reject()  # closed unsigned: the removal is kept for Attest…, as for `attest`
    qtbot.waitUntil(lambda: window.sessions[serial].wizard is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: checked(window, serial), timeout=WAIT_MS)

    second = open_removal(qtbot, window, serial, attest=True)
    assert second.resumed is not None and len(second.resumed.actions) == 1
    for page in second.remove_ids:  # each shows TikTok removed already
        go_to(qtbot, second, page)
    go_to(qtbot, second, Pages.VERIFY)  # checks again before signing, as `attest` does
    wait_idle(qtbot, second)
    go_to(qtbot, second, Pages.USB_DEBUGGING)
    usb = second.currentPage()
    assert isinstance(usb, UsbPage)
    usb.skipped.setChecked(True)  # only the window asks: compared apart below
    go_to(qtbot, second, Pages.ATTEST)
    sign(qtbot, second, NAME, STAFF_ID)
    saved = second.saved
    assert saved is not None
    second.accept()
    qtbot.waitUntil(lambda: window.sessions[serial].wizard is None, timeout=WAIT_MS)
    qtbot.waitUntil(window.recorder.wait_idle, timeout=WAIT_MS)
    return saved.path


def rows(db: Path, address: str) -> list[Any]:
    """The history rows without the receipt's file name: where each way saved its receipt is
    its own (the window names receipts itself and keeps the whole path, for History to open)."""
    found = history_rows(db, address)
    for row in found:
        row["receipts"] = [receipt[:1] + receipt[2:] for receipt in row["receipts"]]
        row["summary"].pop("receipt_file", None)
    return found


def facts(receipt: Path, address: str) -> Any:
    """The receipt's facts, but for two things only the window has words for (compared apart):
    whether USB debugging was switched off again (only the window asks), and the statement's
    name for the phone (the window names it by the model and serial it read; `attest` shows
    its statement before anything is scanned, so by the address it was given)."""
    found = receipt_facts(receipt, address)
    statement, usb = found.pop("statement"), found.pop("usb_debugging")
    if "Samsung" in statement:  # the window's
        assert usb == "skipped"
        assert statement.startswith(f"I, {NAME} (staff id {STAFF_ID}), checked the phone Samsung")
    else:
        assert usb is None
        assert statement.startswith(f"I, {NAME} (staff id {STAFF_ID}), checked the phone with")
    return found


def test_the_window_records_and_signs_the_same_audit_as_the_workflow_and_the_cli(
    qtbot: QtBot,
    window: MainWindow,
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    tmp_path: Path,
) -> None:
    gui_phone = sim_phone("samsung-work-profile")
    by_gui = through_the_window(qtbot, window, gui_phone.address)
    saved = pending.pending_path(Device.android_id(gui_phone.state.serialno), NZ)
    assert not saved.exists()  # retired by the receipt, so the next way starts afresh
    api_phone, cli_phone = sim_phone("samsung-work-profile"), sim_phone("samsung-work-profile")
    (tmp_path / "api").mkdir()
    (tmp_path / "cli").mkdir()
    by_api = through_the_api(api_phone, adb_server, tmp_path / "api")
    by_cli = through_the_cli(cli_phone, adb_server, tmp_path / "cli")

    assert gui_phone.state.state_of(TIKTOK, 10) == "absent"
    gui_receipt = facts(by_gui, gui_phone.address)
    assert gui_receipt == facts(by_api, api_phone.address)
    assert gui_receipt == facts(by_cli, cli_phone.address)
    assert [a["identifier"] for a in gui_receipt["actions"]] == [TIKTOK]

    gui_rows = rows(tmp_path / "gui" / "history.sqlite3", gui_phone.address)
    assert len(gui_rows) == 1 and len(gui_rows[0]["scans"]) == 3  # check, rescan, check again
    assert gui_rows == rows(tmp_path / "api" / "history.sqlite3", api_phone.address)
    assert gui_rows == rows(tmp_path / "cli" / "history.sqlite3", cli_phone.address)
