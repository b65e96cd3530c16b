"""Errors in words, in one place: exact sentences, plain text, a log file, the last-resort hook."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from audit.errors import Cancelled, DeviceGone, DeviceUnauthorized, PolicyError, StoreError
from audit.store import Store
from tests.ui.history_data import DAY
from tests.ui.samples import HOSTILE
from ui import errors
from ui.dashboard import DashboardWindow
from ui.recorder import AuditRecorder


def boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]


@pytest.mark.parametrize(
    ("error", "title", "text", "next_step"),
    [
        (
            DeviceGone("R58", "The phone R58 was unplugged."),
            "The phone was disconnected",
            "The phone R58 was unplugged.",
            "Check the USB cable, plug the phone in again and scan again.",
        ),
        (
            DeviceUnauthorized("R58", "The phone has not allowed this computer."),
            "The phone has not allowed this computer yet",
            "The phone has not allowed this computer.",
            "Unlock the phone and tap Allow on 'Allow USB debugging?'.",
        ),
        (
            PolicyError("/tmp/p.toml", "expected a date", key="deadline", line=3),
            "This policy file cannot be used",
            "The policy file /tmp/p.toml, line 3, key 'deadline' is not valid: expected a date",
            "Fix the policy file and load it again; nothing was loaded from it.",
        ),
        (
            FileNotFoundError(2, "No such file or directory", "/tmp/missing.toml"),
            "A file could not be used",
            "Device Audit could not read or write /tmp/missing.toml: No such file or directory.",
            "Check that the file or folder exists and that you are allowed to open it, "
            "then try again.",
        ),
    ],
)
def test_describe(error: BaseException, title: str, text: str, next_step: str) -> None:
    message = errors.describe(error)
    assert (message.title, message.text, message.next_step) == (title, text, next_step)


def test_an_unexpected_error_points_to_the_log_without_a_traceback() -> None:
    message = errors.describe(ZeroDivisionError("division by zero"))
    assert message.title == "Something went wrong"
    assert "Nothing was changed on your devices" in message.text
    assert str(errors.log_file()) in message.next_step
    assert "ZeroDivisionError" not in message.as_text()
    assert "Traceback" not in message.as_text()


def test_show_error_is_plain_text_and_does_not_block(qtbot: QtBot) -> None:
    box = errors.show_error(None, PolicyError(HOSTILE, "bad"))
    assert box is not None
    qtbot.addWidget(box)
    assert box.isVisible()  # open(), not exec(): the caller carried on
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert HOSTILE in box.text()
    assert box.text().endswith(
        "What to do: Fix the policy file and load it again; nothing was loaded from it."
    )


def test_a_cancel_is_never_shown_as_an_error() -> None:
    before = len(boxes())
    assert errors.show_error(None, Cancelled()) is None
    assert len(boxes()) == before


@pytest.mark.allow_warning_logs
def test_uncaught_errors_are_logged_to_the_file_and_shown_in_words(
    qtbot: QtBot, isolated_home: Path
) -> None:
    path = errors.setup_logging()
    try:
        assert path == isolated_home / "logs" / "device-audit.log"
        try:
            raise RuntimeError("boom in a slot")
        except RuntimeError:
            errors.handle_uncaught(*sys.exc_info())  # type: ignore[arg-type]
        shown = [b for b in boxes() if b.windowTitle() == "Something went wrong"]
        assert shown
        for box in shown:
            assert "boom" not in box.text()
            qtbot.addWidget(box)
        for handler in logging.getLogger().handlers:
            handler.flush()
        logged = path.read_text(encoding="utf-8")
        assert "uncaught exception" in logged
        assert "RuntimeError: boom in a slot" in logged  # the traceback is in the log
    finally:
        for handler in list(logging.getLogger().handlers):
            if isinstance(handler, errors._Handler):
                logging.getLogger().removeHandler(handler)
                handler.close()


def export_error(db: Path, policy_id: str) -> StoreError:
    """The error the real store raises for an export under `policy_id`."""
    with Store(db) as store, pytest.raises(StoreError) as caught:
        store.export_rows(policy_id=policy_id, today=date(2023, 3, 30))
    return caught.value


def test_a_policy_without_audits_is_nothing_to_export_in_the_apps_words(db: Path) -> None:
    message = errors.describe(export_error(db, "no-such-policy"))
    assert message.title == "Nothing to export"
    assert message.text.startswith("No audits under policy 'no-such-policy' in the history;")
    assert message.next_step.startswith("Nobody has been audited under this policy yet.")
    assert "Choose another policy in the Policy list" in message.next_step
    assert "device-audit" not in message.as_text() and "'" not in message.next_step


def test_an_empty_history_is_nothing_to_export_and_says_how_audits_get_there(
    tmp_path: Path,
) -> None:
    message = errors.describe(export_error(tmp_path / "empty.sqlite3", "nz-parliament-2023"))
    assert message.title == "Nothing to export"
    assert "the history holds no audits yet" in message.text
    assert "File › Import receipts…" in message.next_step
    assert "checked in Device Audit" in message.next_step
    assert "device-audit" not in message.as_text()


def test_other_history_errors_do_not_claim_a_failed_save() -> None:
    message = errors.describe(StoreError("The history is closed.", "Open it again."))
    assert message.title == "The audit history could not be used"
    assert message.next_step == "Open it again."


def test_the_dashboards_export_of_a_policy_without_audits_shows_nothing_to_export(
    qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object], tmp_path: Path
) -> None:
    window = DashboardWindow(recorder, policy_id="nz-parliament-2023", today=lambda: DAY)
    keep_alive.append(window)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        window.show()
    window.policy.setItemData(window.policy.currentIndex(), "no-such-policy")
    window.ask_save_path = lambda *_a: str(tmp_path / "office.csv")  # type: ignore[method-assign]
    before = set(boxes())
    window.export_button.click()
    qtbot.waitUntil(lambda: bool(set(boxes()) - before), timeout=10_000)
    (box,) = set(boxes()) - before
    qtbot.addWidget(box)
    assert box.windowTitle() == "Nothing to export"
    assert "Choose another policy in the Policy list" in box.text()
    assert not (tmp_path / "office.csv").exists()
