"""What the app remembers between runs: window geometry, the last policy and exemptions file,
helpdesk mode, the technician's name and the language chosen.

QSettings, keyed by the application's organisation and name. When DEVICE_AUDIT_HOME is set (the
tests, a portable install) the settings live there as an INI file, beside the rest of the
user's data, so nothing leaks into the real user's configuration.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings
from PySide6.QtWidgets import QMainWindow

from audit.paths import APP_AUTHOR, APP_NAME, data_dir

_GEOMETRY = "window/geometry"
_STATE = "window/state"
_SPLITTERS = "window/splitters"
_LAST_POLICY = "policy/last"
_LAST_EXEMPTIONS = "policy/exemptions"
_HELPDESK = "helpdesk/on"
_TECHNICIAN = "helpdesk/technician"
_LANGUAGE = "app/language"
_TEAM_HISTORY = "history/team"


def configure() -> None:
    """Name the application for QSettings, and keep settings in DEVICE_AUDIT_HOME if set."""
    if not QCoreApplication.organizationName():
        QCoreApplication.setOrganizationName(APP_AUTHOR)
    if QCoreApplication.applicationName() in ("", "python", "python3", "main.py"):
        QCoreApplication.setApplicationName(APP_NAME)
    if os.environ.get("DEVICE_AUDIT_HOME"):
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(data_dir() / "settings")
        )


def _settings() -> QSettings:
    return QSettings()


def _text(key: str) -> str:
    value = _settings().value(key, "")
    return value if isinstance(value, str) else ""


def _set(key: str, value: object) -> None:
    settings = _settings()
    settings.setValue(key, value)
    settings.sync()


def last_policy() -> str:
    """The preset id or file path of the policy chosen last time; "" if none."""
    return _text(_LAST_POLICY)


def set_last_policy(origin: str) -> None:
    _set(_LAST_POLICY, origin)


def last_exemptions() -> str:
    return _text(_LAST_EXEMPTIONS)


def set_last_exemptions(path: str) -> None:
    _set(_LAST_EXEMPTIONS, path)


def helpdesk() -> bool:
    """Whether helpdesk mode was on when the person last switched it."""
    value = _settings().value(_HELPDESK, False)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def set_helpdesk(on: bool) -> None:
    _set(_HELPDESK, on)


def technician() -> str:
    """The name the last technician signed with at this computer."""
    return _text(_TECHNICIAN)


def set_technician(name: str) -> None:
    _set(_TECHNICIAN, name)


def language() -> str:
    """The language the person chose ("en", "fr_CA"), or "" to follow the system's (the default).
    A value this version does not know (a newer version's, a hand-edited file) is "": the system's
    language, never an error at start."""
    from audit.i18n import LANGUAGES

    chosen = _text(_LANGUAGE)
    return chosen if chosen in LANGUAGES else ""


def set_language(code: str) -> None:
    """Remember a language ("" for the system's); it is applied when the app next starts."""
    _set(_LANGUAGE, code)


def team_history() -> str:
    """The team history chosen in File › Team history… (a postgresql:// address without its
    password), or "" for this computer's own history."""
    return _text(_TEAM_HISTORY)


def set_team_history(address: str) -> None:
    """Remember the team history ("" for this computer's own). The caller gives the address
    redacted (audit.store.pg.redact): the password lives in the keyring, never here."""
    _set(_TEAM_HISTORY, address)


def save_window(window: QMainWindow, splitters: list[QByteArray] | None = None) -> None:
    settings = _settings()
    settings.setValue(_GEOMETRY, window.saveGeometry())
    settings.setValue(_STATE, window.saveState())
    if splitters is not None:
        settings.setValue(_SPLITTERS, splitters)
    settings.sync()


def restore_window(window: QMainWindow) -> list[QByteArray]:
    """Put the window back where it was; returns the saved splitter states, if any."""
    settings = _settings()
    geometry = settings.value(_GEOMETRY)
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        window.restoreGeometry(geometry)
    state = settings.value(_STATE)
    if isinstance(state, QByteArray) and not state.isEmpty():
        window.restoreState(state)
    splitters = settings.value(_SPLITTERS)
    if isinstance(splitters, QByteArray):
        return [splitters]
    if isinstance(splitters, list):
        return [s for s in splitters if isinstance(s, QByteArray)]
    return []
