"""File › Team history…: which history the app records into and reads (issue 18).

The app uses the history DEVICE_AUDIT_DB names (a scripted bench sets it once, as for the
command line), else the one chosen in this dialog, else this computer's own SQLite file. The
dialog takes a postgresql://user@server:port/database address and a password; the password goes
to the OS keyring (audit.store.pg.remember_password) and the settings keep the address without
it. A password typed inside the address is taken out of it the same way, so it never reaches the
settings file, the window title or a message.

"Test the connection" opens the history read-only with the typed password (nothing is stored)
and says in plain words what happened: the server's refusal, a server that cannot be reached, or
how many audits the history holds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audit.errors import AuditError
from audit.i18n import _, ngettext
from ui import settings

Target = Path | str | None


def chosen() -> Target:
    """The history the app uses: DEVICE_AUDIT_DB, else the one chosen in the dialog, else None
    (this computer's own file)."""
    from audit.cli.target import ENVIRONMENT, is_team, parse

    variable = os.environ.get(ENVIRONMENT, "").strip()
    if variable:
        return parse(variable)
    saved = settings.team_history()
    return saved if is_team(saved) else None


def split_address(address: str, password: str) -> tuple[str, str]:
    """(the address without its password, the password): one typed inside the address is
    taken out of it, and the typed password wins. AuditError, in words that never quote the
    address, when it cannot be read."""
    from audit.cli.target import _sound, is_team

    refused = AuditError(
        _("This is not a team history's address."),
        _(
            "Write it as postgresql://user@server:port/database and type the password in its "
            "own box."
        ),
    )
    if not is_team(address) or not address.strip().isprintable():  # a pasted control code
        raise refused
    try:
        import psycopg.conninfo

        params = psycopg.conninfo.conninfo_to_dict(address.strip())
    except ImportError:
        raise AuditError(
            _("This Device Audit was installed without PostgreSQL support."),
            _("Install it with: pip install 'device-audit[team]'"),
        ) from None
    except (psycopg.Error, ValueError):
        raise refused from None
    if not _sound(params) or not params.get("dbname"):
        raise refused
    inside = str(params.get("password") or "")
    from audit.store.pg import redact

    kept = redact(address.strip())
    if not kept.isprintable():  # a control code written as %1F: no name for a person to read
        raise refused
    return kept, password or inside


def with_typed_password(address: str, password: str) -> str:
    """The address with `password` added, to connect now (never stored, never shown)."""
    if not password:
        return address  # audit.store.pg asks the keyring (or PGPASSWORD) when it connects
    from urllib.parse import quote

    scheme, rest = address.split("://", 1)
    user, at, where = rest.rpartition("@")
    if not at:
        return address  # no login named: the server refuses it in its own words
    return f"{scheme}://{user}:{quote(password, safe='')}@{where}"


def try_connection(address: str, password: str) -> str:
    """Open the team history read-only and say what happened, in plain words."""
    from audit.cli.target import open_store

    try:
        shown, secret = split_address(address, password)
        with open_store(with_typed_password(shown, secret), read_only=True) as store:
            count = store.count()
    except AuditError as error:
        return f"{error.message} {error.next_step}".strip()
    return ngettext(
        "Connected to {target}: the history holds {count} audit.",
        "Connected to {target}: the history holds {count} audits.",
        count,
    ).format(target=shown, count=count)


class TeamHistoryDialog(QDialog):
    """Choose the team history (address + password) or this computer's own history.
    `target` is the choice after accept(): the redacted address, or None."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teamHistoryDialog")
        self.setWindowTitle(_("Team history"))
        self.target: Target = None
        self.address = QLineEdit(settings.team_history())
        self.address.setPlaceholderText("postgresql://user@server:5432/database")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.answer = QLabel(
            _(
                "Audits are recorded in this computer's own history unless a team history "
                "is chosen here. The password is kept in this computer's keyring."
            )
        )
        self.answer.setWordWrap(True)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow(_("&Address:"), self.address)
        form.addRow(_("&Password:"), self.password)
        self.test_button = QPushButton(_("&Test the connection"))
        self.use_button = QPushButton(_("&Use this team history"))
        self.own_button = QPushButton(_("Use this computer's &own history"))
        cancel = QPushButton(_("Cancel"))
        self.test_button.clicked.connect(self.test)
        self.use_button.clicked.connect(self.use_team)
        self.own_button.clicked.connect(self.use_own)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for button in (self.test_button, self.own_button, cancel, self.use_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.answer)
        layout.addLayout(buttons)

    def test(self) -> str:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            words = try_connection(self.address.text(), self.password.text())
        finally:
            QApplication.restoreOverrideCursor()
        self.answer.setText(words)
        return words

    def use_team(self) -> bool:
        """Keep the password in the keyring and the address without it in the settings."""
        try:
            shown, secret = split_address(self.address.text(), self.password.text())
            if secret:
                from audit.store.pg import remember_password

                remember_password(shown, secret)
        except AuditError as error:  # KeyringUnavailable too: never a plaintext fallback
            self.answer.setText(f"{error.message} {error.next_step}".strip())
            return False
        self.password.clear()
        self.address.setText(shown)
        settings.set_team_history(shown)
        self.target = shown
        self.accept()
        return True

    def use_own(self) -> None:
        settings.set_team_history("")
        self.target = None
        self.accept()


def history_words(target: Target) -> str:
    """The status bar's words naming a team history in use ("" for this computer's own)."""
    from audit.cli.target import is_team, shown

    if not is_team(target):
        return ""
    return _("History: {target}").format(target=shown(target))


def install_menu(window: Any, menu: QMenu) -> QAction:
    """File › Team history…, and the status bar's name of the history in use. On a choice the
    recorder switches history and the open history windows read the new one."""
    recorder = getattr(window, "recorder", None)  # None: the bare menus (the words' tests)
    label = QLabel(history_words(recorder.path if recorder is not None else None))
    label.setObjectName("historyInUse")
    label.setVisible(bool(label.text()))
    window.statusBar().addPermanentWidget(label)

    def choose() -> TeamHistoryDialog:
        dialog = TeamHistoryDialog(window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen_one() -> None:
            window.recorder.use(dialog.target)
            label.setText(history_words(dialog.target))
            label.setVisible(bool(label.text()))
            window.history_windows.reload()

        dialog.accepted.connect(chosen_one)
        dialog.open()
        return dialog

    action = QAction(_("Team &history…"), window)
    action.setObjectName("teamHistoryAction")
    action.setStatusTip(_("Record into and read a helpdesk team's shared history"))
    action.triggered.connect(lambda _checked=False: choose())
    window.team_history_action = action
    menu.addAction(action)
    return action
