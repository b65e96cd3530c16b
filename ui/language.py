"""The desktop app's language: applied at start, chosen in the Language menu (issue 17).

At start (ui/app.py) the language comes from, in order: the --language option, the Language
menu's choice (ui.settings), DEVICE_AUDIT_LANGUAGE, then the system's locale. It is applied once,
before any window is built, because every screen takes its words when it is made: switching
means starting again, which the menu offers to do at once (the same command, a new process) or
leaves for the next start. It says so plainly.

Qt's own words (the Cancel and Yes of standard dialogs, a line edit's context menu) come from
the qtbase translation PySide6-Essentials ships (Qt/translations/qtbase_fr.qm); dates and
numbers that Qt formats follow QLocale's default, set to the language chosen.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QObject, QProcess, QTranslator
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QWizard

from audit.i18n import FRENCH, LANGUAGES, _, language, set_language
from ui import settings

SYSTEM = ""  # the menu's "System" choice: follow the system's language


def qt_translations_dirs() -> list[Path]:
    """Where Qt's own translations may be: Qt's configured path, then beside PySide6 (a
    packaged build without a qt.conf; packaging/device-audit.spec collects them there)."""
    found = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    import PySide6

    package = Path(PySide6.__file__).resolve().parent
    found += [package / "Qt" / "translations", package / "translations"]
    return [path for path in found if path.is_dir()]


def apply_language(app: QCoreApplication, chosen: str | None) -> str:
    """Use `chosen` (or, when None or "", the environment's or the system's language) for our
    words, Qt's words and Qt's formats; returns the language in use."""
    code = set_language(chosen or None)
    if code == FRENCH:
        QLocale.setDefault(QLocale(QLocale.Language.French, QLocale.Country.Canada))
    elif QLocale.system().language() not in (QLocale.Language.English, QLocale.Language.C):
        # English chosen on a system in another language: English formats, not the system's
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.Canada))
    if code == FRENCH:
        translator = QTranslator(app)  # parented: lives as long as the application
        for folder in qt_translations_dirs():
            if translator.load("qtbase_fr", str(folder)):
                app.installTranslator(translator)
                break
    return code


def restart_command(argv: list[str] | None = None) -> tuple[str, list[str]]:
    """The program and arguments that start this app again as it was started, less any
    --language option (it would override the choice just made)."""
    from audit.cli import without_language_option

    args = list(sys.argv if argv is None else argv)
    rest = without_language_option(args[1:])
    if getattr(sys, "frozen", False) or not args:  # the packaged build: its executable is the app
        return sys.executable, rest
    return sys.executable, [args[0], *rest]


class LanguageMenu(QObject):
    """Language › System / English / Français (Canada): the choice is remembered, and applies
    when the app starts again (now, if the person says so)."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        # Translators: a menu of the menu bar
        self.menu = QMenu(_("&Language"), window)
        self.menu.setObjectName("language_menu")
        self.group = QActionGroup(self.menu)
        self.group.setExclusive(True)
        self.actions: dict[str, QAction] = {}
        current = settings.language()
        # Translators: the Language menu's choice that follows the computer's own language
        choices = [(SYSTEM, _("System language")), *LANGUAGES.items()]
        for code, name in choices:
            # Each language named in its own words, so a person finds theirs whatever the
            # screen's language; only "System language" is translated.
            action = QAction(name, self.menu, checkable=True)
            action.setChecked(code == current)
            action.setData(code)
            action.triggered.connect(lambda _checked=False, c=code: self.choose(c))
            self.group.addAction(action)
            self.menu.addAction(action)
            self.actions[code] = action
        self.question: QMessageBox | None = None
        self.notice: QMessageBox | None = None
        # The same command the app was started with: the restart runs it again.
        self.command = restart_command()

    def install(self) -> None:
        """Put the menu in the window's menu bar, before Help (the last menu)."""
        bar = self.window.menuBar()
        menus = bar.actions()
        if menus:
            bar.insertMenu(menus[-1], self.menu)
        else:
            bar.addMenu(self.menu)

    def choose(self, code: str) -> None:
        """Remember `code` and offer to start again in it; nothing changes on screen until then."""
        previous = settings.language()
        self.actions[code].setChecked(True)
        if code == previous:
            return
        settings.set_language(code)
        if _resolved(code) == language():
            return  # the words on screen already are that language: nothing to restart for
        self.offer_restart()

    def offer_restart(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Language changed"),
            _(
                "Device Audit will use the language you chose the next time it starts. "
                "Start it again now? Anything you have not finished on this screen will be lost "
                "(audits already recorded are kept)."
            ),
            parent=self.window,
        )
        self.restart_button = box.addButton(_("Start again now"), QMessageBox.ButtonRole.AcceptRole)
        self.later_button = box.addButton(_("Later"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.later_button)
        box.finished.connect(lambda _result: self._answered(box))
        self.question = box
        box.open()

    def _answered(self, box: QMessageBox) -> None:
        if box.clickedButton() is self.restart_button:
            self.restart()

    def _tell(self, text: str) -> None:
        """A notice that does not block (the window may be closing)."""
        self.notice = QMessageBox(
            QMessageBox.Icon.Information, _("Language changed"), text, parent=self.window
        )
        self.notice.open()

    def restart(self) -> bool:
        """Close the window (it saves and stops its work), start the app again, quit this one;
        False, and the app stays, when the window did not close or the new one did not start."""
        if any(wizard.isVisible() for wizard in self.window.findChildren(QWizard)):
            # a removal under way: its steps and its signature would be lost without a word
            self._tell(
                _(
                    "A removal window is open. Finish it or close it first; the language you "
                    "chose is used the next time Device Audit starts."
                )
            )
            return False
        if not self.window.close():
            return False
        program, args = self.command
        started, _pid = QProcess.startDetached(program, args)
        if not started:
            self._tell(_("Device Audit could not start again by itself. Start it again yourself."))
            return False
        app = QCoreApplication.instance()
        if app is not None:
            app.quit()
        return True


def _resolved(code: str) -> str:
    """The language a menu choice means now ("" is the system's, or DEVICE_AUDIT_LANGUAGE's)."""
    if code:
        return code
    import os

    from audit.i18n import ENVIRONMENT, match_language, system_language

    chosen = os.environ.get(ENVIRONMENT)
    return match_language(chosen) if chosen else system_language()


def install_language_menu(window: QMainWindow) -> LanguageMenu:
    menu = LanguageMenu(window)
    menu.install()
    return menu
