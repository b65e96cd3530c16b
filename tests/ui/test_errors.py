"""Errors in words, in one place: exact sentences, plain text, a log file, the last-resort hook."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from audit.errors import Cancelled, DeviceGone, DeviceUnauthorized, PolicyError
from tests.ui.samples import HOSTILE
from ui import errors


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
