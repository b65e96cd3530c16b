"""Choosing the desktop app's language (issue 17): the Language menu remembers the choice and
offers to start again; at start the choice, Qt's own words and Qt's formats are applied."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, QSettings, QTranslator
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWizard
from pytestqt.qtbot import QtBot

from audit.i18n import ENGLISH, FRENCH, PSEUDO, language, set_language
from ui import settings
from ui.app import parse_options
from ui.language import (
    LanguageMenu,
    apply_language,
    install_language_menu,
    qt_translations_dirs,
    restart_command,
)


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language(ENGLISH)
    QLocale.setDefault(QLocale.system())


@pytest.fixture
def window(qtbot: QtBot) -> QMainWindow:
    main = QMainWindow()
    qtbot.addWidget(main)
    main.menuBar().addMenu("&File")
    main.menuBar().addMenu("&Help")
    main.show()
    return main


def titles(window: QMainWindow) -> list[str]:
    return [action.text() for action in window.menuBar().actions()]


def test_the_language_is_remembered_and_an_unknown_one_is_the_systems() -> None:
    assert settings.language() == ""  # by default: the system's language
    settings.set_language(FRENCH)
    assert settings.language() == FRENCH
    QSettings().setValue("app/language", "tlh")  # a newer version's, or a hand-edited file
    assert settings.language() == ""


def test_the_menu_sits_before_help_and_names_each_language_in_its_own_words(
    window: QMainWindow,
) -> None:
    settings.set_language(FRENCH)
    menu = install_language_menu(window)
    assert titles(window) == ["&File", "&Language", "&Help"]
    names = [action.text() for action in menu.menu.actions()]
    assert names == ["System language", "English", "Français (Canada)"]
    assert [a.isChecked() for a in menu.menu.actions()] == [False, False, True]


def test_choosing_french_asks_to_start_again_and_later_keeps_the_app_open(
    qtbot: QtBot, window: QMainWindow
) -> None:
    set_language(ENGLISH)
    menu = install_language_menu(window)
    menu.actions[FRENCH].trigger()
    assert settings.language() == FRENCH
    box = menu.question
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "the next time it starts" in box.text()
    menu.later_button.click()
    qtbot.waitUntil(lambda: not box.isVisible())
    assert window.isVisible() and language() == ENGLISH  # the words change at the next start
    assert menu.actions[FRENCH].isChecked()


def test_choosing_the_language_already_on_screen_asks_nothing(window: QMainWindow) -> None:
    set_language(ENGLISH)
    settings.set_language(FRENCH)
    menu = install_language_menu(window)
    menu.actions[ENGLISH].trigger()
    assert settings.language() == ENGLISH and menu.question is None
    menu.actions[ENGLISH].trigger()  # the same choice again: nothing to do
    assert menu.question is None


def test_starting_again_closes_the_window_and_runs_the_same_command(
    qtbot: QtBot, window: QMainWindow, tmp_path: Path
) -> None:
    """A real process is started: this one writes a file, as the app's second start would
    write its settings."""
    marker = tmp_path / "started"
    menu = LanguageMenu(window)
    menu.command = (
        sys.executable,
        ["-c", "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text('again')", str(marker)],
    )
    assert menu.restart()
    assert not window.isVisible()
    qtbot.waitUntil(marker.exists, timeout=10_000)
    assert marker.read_text() == "again"


def test_no_restart_while_a_removal_window_is_open(window: QMainWindow, tmp_path: Path) -> None:
    """Starting again would lose a removal's steps and its signature: the person is told to
    finish it first, and the app stays."""
    marker = tmp_path / "started"
    menu = LanguageMenu(window)
    menu.command = (sys.executable, ["-c", "open(__import__('sys').argv[1], 'w')", str(marker)])
    removal = QWizard(window)
    removal.show()
    assert not menu.restart()
    assert window.isVisible() and not marker.exists()
    assert menu.notice is not None and menu.notice.isVisible()
    assert "A removal window is open" in menu.notice.text()
    removal.close()


def test_the_restart_command_drops_the_language_option() -> None:
    """`--language fr` given at start would override the choice just made."""
    program, args = restart_command(["/opt/app/main.py", "--demo", "--language", "en", "-v"])
    assert program == sys.executable and args == ["/opt/app/main.py", "--demo", "-v"]
    _program, args = restart_command(["main.py", "--language=fr"])
    assert args == ["main.py"]


def test_the_packaged_app_restarts_its_own_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/device-audit/device-audit")
    assert restart_command(["/opt/device-audit/device-audit", "--helpdesk"]) == (
        "/opt/device-audit/device-audit",
        ["--helpdesk"],
    )


def test_the_app_takes_a_language_option() -> None:
    options, rest = parse_options(["--language", "fr", "--demo", "-style", "fusion"])
    assert options.language == "fr" and options.demo and rest == ["-style", "fusion"]


def test_french_at_start_gives_qts_own_words_and_formats_in_french(qapp: QApplication) -> None:
    """Qt's standard buttons come from the qtbase translation PySide6-Essentials ships."""
    assert any((folder / "qtbase_fr.qm").is_file() for folder in qt_translations_dirs())
    before = QCoreApplication.translate("QPlatformTheme", "Cancel")
    assert before == "Cancel"
    assert apply_language(qapp, FRENCH) == FRENCH
    try:
        assert language() == FRENCH
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Annuler"
        assert QLocale().language() == QLocale.Language.French
        assert QLocale().territory() == QLocale.Country.Canada
    finally:
        for translator in qapp.findChildren(QTranslator):
            qapp.removeTranslator(translator)
            translator.deleteLater()
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"


def test_the_system_choice_follows_the_environment(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVICE_AUDIT_LANGUAGE", "pseudo")
    assert apply_language(qapp, "") == PSEUDO
    monkeypatch.setenv("DEVICE_AUDIT_LANGUAGE", "en")
    assert apply_language(qapp, None) == ENGLISH
