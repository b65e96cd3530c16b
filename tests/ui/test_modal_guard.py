"""The suite's guard against modal dialogs nobody answers (tests/ui/conftest.py): a modal loop
is never entered under a test, so a forgotten question fails that test instead of hanging the
whole run."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from ui.wizard import RemovalWizard


def test_an_unanswered_message_box_is_dismissed_and_named(
    qtbot: QtBot, unanswered_modals: list[str]
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    answer = RemovalWizard.ask_confirm(parent, "Close without signing?", "Sure?", "Close")
    assert answer is False  # as if the person pressed Escape: nothing is done
    ((opened,),) = [unanswered_modals]
    assert opened.startswith("QMessageBox 'Close without signing?' 'Sure?', opened at:")
    assert "ask_confirm" in opened
    unanswered_modals.clear()  # this test expected it: the guard has nothing left to fail


def test_an_unanswered_file_dialog_fails_where_it_is_opened(
    qtbot: QtBot, unanswered_modals: list[str]
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    with pytest.raises(AssertionError, match=r"QFileDialog\.getSaveFileName"):
        QFileDialog.getSaveFileName(parent, "Save the receipt", "receipt.json", "*.json")
    assert unanswered_modals[0].startswith("QFileDialog.getSaveFileName('Save the receipt'")
    unanswered_modals.clear()


def test_a_message_box_opened_without_waiting_is_not_caught(
    qtbot: QtBot, unanswered_modals: list[str]
) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, "Error", "It failed.")
    qtbot.addWidget(box)
    box.open()  # the app's error boxes: the caller carries on, nothing waits
    assert box.isVisible()
    assert unanswered_modals == []
