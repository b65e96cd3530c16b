"""Importing a folder of staff receipts from the desktop app: each file's result with its
reason, and a changed key accepted only after an explicit yes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from audit.attestation import Signer, write_receipt
from audit.store import ImportResult, Store
from tests.audit.store import factory as f
from ui.receipts_import import ImportColumn, ImportWindow
from ui.recorder import AuditRecorder

DAY = date(2023, 3, 28)
WAIT = 10_000


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "office.sqlite3"


@pytest.fixture
def folder(tmp_path: Path, db: Path) -> Path:
    """Aroha's first receipt is in the office's history already (so her key is known); the
    folder holds Ben's new receipt, a copy of Aroha's first, a tampered file, and a receipt
    of Aroha's signed with another key."""
    aroha_key, other_key, ben_key = Signer.generate(), Signer.generate(), Signer.generate()
    first = tmp_path / "earlier" / "aroha-first.json"
    first.parent.mkdir()
    write_receipt(f.receipt(aroha_key, f.phone("A1"), f.AROHA, f.Outcome.CLEAN, day=DAY), first)
    with Store(db) as store:
        assert store.import_files([first]).imported == 1
    folder = tmp_path / "from-staff"
    folder.mkdir()
    good = folder / "ben.json"
    write_receipt(f.receipt(ben_key, f.phone("B1"), f.BEN, f.Outcome.EXCEPTED, day=DAY), good)
    shutil.copy(first, folder / "aroha-again.json")
    data = bytearray(good.read_bytes())
    data[len(data) // 3] ^= 0x01
    (folder / "tampered.json").write_bytes(bytes(data))
    write_receipt(
        f.receipt(other_key, f.phone("A2", "New phone"), f.AROHA, f.Outcome.CLEAN, day=DAY),
        folder / "aroha-new-key.json",
    )
    return folder


@pytest.fixture
def run_import(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]
) -> Callable[[Path], ImportWindow]:
    return lambda folder: start_import(qtbot, recorder, folder, keep_alive)


def start_import(
    qtbot: QtBot, recorder: AuditRecorder, folder: Path, keep_alive: list[object]
) -> ImportWindow:
    window = ImportWindow(recorder, folder)
    keep_alive.append(window)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.finished, timeout=WAIT):
        window.start()
    return window


def table(window: ImportWindow) -> dict[str, tuple[str, str]]:
    return {
        row.cells[ImportColumn.FILE]: (
            row.cells[ImportColumn.RESULT],
            row.cells[ImportColumn.REASON],
        )
        for row in window.model.rows
    }


def test_each_file_with_its_result_and_reason(
    run_import: Callable[[Path], ImportWindow], folder: Path, qtmodeltester: ModelTester
) -> None:
    window = run_import(folder)
    rows = table(window)
    assert {name: result for name, (result, _why) in rows.items()} == {
        "aroha-again.json": "Already in the history",
        "aroha-new-key.json": "Refused",
        "ben.json": "Imported",
        "tampered.json": "Refused",
    }
    assert "not valid" in rows["tampered.json"][1]
    assert rows["tampered.json"][1].endswith(  # what to do about it, not only what is wrong
        ". Do not trust this file. Ask the person for the original file, or check the device again."
    )
    changed = rows["aroha-new-key.json"][1]
    assert "receipts from staff id PS-1042 so far were signed by key" in changed
    assert changed.endswith("Accept the new key below if it is really theirs.")
    assert "device-audit import" not in changed  # the command line's advice is not for here
    assert window.status.text() == ("4 files: 1 imported, 1 already in the history, 2 refused.")
    assert not window.progress.isVisibleTo(window)
    assert list(window.key_buttons) == ["PS-1042"]
    # the button says what else it does: the receipt refused for the key is then imported
    assert window.key_buttons["PS-1042"].text() == (
        "Accept the new key for staff id PS-1042 and import their 1 refused receipt…"
    )
    qtmodeltester.check(window.model)


def test_a_new_key_is_accepted_only_after_an_explicit_yes(
    qtbot: QtBot, run_import: Callable[[Path], ImportWindow], folder: Path, db: Path
) -> None:
    window = run_import(folder)
    asked: list[str] = []
    answers = [False, True]

    def ask(title: str, text: str, button: str) -> bool:
        asked.append(text)
        return answers.pop(0)

    window.ask_confirm = ask  # type: ignore[method-assign]
    window.key_buttons["PS-1042"].click()  # "no": nothing happens
    assert len(asked) == 1 and "checked with staff id PS-1042" in asked[0]
    assert table(window)["aroha-new-key.json"][0] == "Refused"
    with qtbot.waitSignal(window.finished, timeout=WAIT):
        window.key_buttons["PS-1042"].click()
    rows = table(window)
    assert rows["aroha-new-key.json"] == ("Imported", "Accepted as a new key for this signer")
    assert rows["tampered.json"][0] == "Refused"  # the rest of the report is kept
    assert window.status.text() == "4 files: 2 imported, 1 already in the history, 1 refused."
    assert not window.keys.isVisibleTo(window)
    with Store(db) as store:
        keys = store.trusted_keys("PS-1042")
        assert len(keys) == 2 and [k.accepted for k in keys].count(True) == 1
        assert {a.device_id for a in store.history()} == {
            "android:A1",
            "android:A2",
            "android:B1",
        }


def test_an_empty_folder_says_so(
    run_import: Callable[[Path], ImportWindow], tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    window = run_import(empty)
    assert window.status.text() == "The folder holds no files to import."
    assert window.model.rowCount() == 0


def test_the_import_menu_asks_for_a_folder_and_opens_the_report(
    qtbot: QtBot, folder: Path, keep_alive: list[object]
) -> None:
    from tests.ui.fakes import FeedTracker, Phones, fake_sources
    from ui.main_window import MainWindow

    window = MainWindow(fake_sources(Phones(), FeedTracker()), auto_scan_local=False)
    keep_alive.append(window)
    qtbot.addWidget(window)
    window.ask_folder = lambda _title: str(folder)  # type: ignore[method-assign]
    window.import_action.trigger()
    report = window.windows["import"]
    assert isinstance(report, ImportWindow)
    qtbot.waitUntil(lambda: report.report is not None, timeout=WAIT)
    assert report.report is not None
    assert [o.result for o in report.report.outcomes].count(ImportResult.IMPORTED) == 2
    window.shutdown()


def test_every_row_says_whom_the_receipt_was_signed_for_duplicates_and_demos_included(
    run_import: Callable[[Path], ImportWindow], folder: Path
) -> None:
    from dataclasses import replace

    demo = replace(f.phone("DEMO"), simulated=True)
    write_receipt(
        f.receipt(Signer.generate(), demo, f.BEN, f.Outcome.CLEAN, day=DAY, technician="Sam"),
        folder / "demo.json",
    )
    window = run_import(folder)
    signed_for = {
        row.cells[ImportColumn.FILE]: row.cells[ImportColumn.SIGNED_FOR]
        for row in window.model.rows
    }
    assert signed_for == {
        "aroha-again.json": "Aroha Ngata (staff id PS-1042)",  # a copy already imported
        "aroha-new-key.json": "Aroha Ngata (staff id PS-1042)",
        "ben.json": "Ben Clarke (staff id PS-2001)",
        "demo.json": "Ben Clarke (signed by technician Sam)",
        "tampered.json": "",  # not verified: nobody can be named
    }
    again = next(r for r in window.model.rows if r.cells[ImportColumn.FILE] == "aroha-again.json")
    assert again.cells[ImportColumn.REASON].startswith(
        "This file is already in the history (receipt "
    )
    demo_row = next(r for r in window.model.rows if r.cells[ImportColumn.FILE] == "demo.json")
    assert demo_row.cells[ImportColumn.RESULT] == "Refused"
    assert "SIMULATED demo phone" in demo_row.cells[ImportColumn.REASON]
    assert demo_row.cells[ImportColumn.REASON].endswith(
        ". Ask the person for the receipt of their real device."
    )


def test_the_pdf_beside_a_receipt_is_skipped_without_alarm(
    run_import: Callable[[Path], ImportWindow], tmp_path: Path
) -> None:
    from audit.attestation import verify_file
    from audit.attestation.receipt_text import receipt_content
    from ui.receipt_pdf import write_receipt_pdf

    folder = tmp_path / "handed-in"
    folder.mkdir()
    receipt = folder / "ben.json"
    write_receipt(
        f.receipt(Signer.generate(), f.phone("B9"), f.BEN, f.Outcome.CLEAN, day=DAY), receipt
    )
    # the PDF the app itself writes beside every receipt
    pdf = folder / "ben.pdf"
    write_receipt_pdf(receipt_content(verify_file(receipt), file_name=receipt.name), pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    window = run_import(folder)
    rows = table(window)
    assert rows["ben.json"][0] == "Imported"
    assert rows["ben.pdf"] == (
        "Skipped: not a receipt",
        "A PDF, the readable copy of the receipt ben.json, which is imported on its own (the "
        ".json file is the signed receipt)",
    )
    assert window.status.text() == (
        "2 files: 1 imported, 0 already in the history, 0 refused, 1 skipped (not receipts)."
    )
    assert window.report is not None and window.report.refused == 0
    # passed over, not a success: an information icon, not the tick of "done"
    from PySide6.QtCore import Qt

    from ui import icons

    def image(icon: object) -> object:
        return icon.pixmap(16, 16).toImage()  # type: ignore[attr-defined]

    column = int(ImportColumn.RESULT)
    shown = {
        window.model.rows[r].cells[ImportColumn.FILE]: window.model.data(
            window.model.index(r, column), Qt.ItemDataRole.DecorationRole
        )
        for r in range(window.model.rowCount())
    }
    assert not shown["ben.pdf"].isNull()
    assert image(shown["ben.pdf"]) not in (
        image(icons.icon("ok")),
        image(icons.icon("resolved")),
    )
    assert image(shown["ben.json"]) == image(icons.icon("ok"))
