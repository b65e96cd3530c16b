"""File › Team history…: which history the app records into and reads (issue 18).

The app uses the history DEVICE_AUDIT_DB names (a scripted bench sets it once, as for the
command line), else the one chosen in this dialog, else this computer's own SQLite file. The
dialog takes a postgresql://user@server:port/database address and a password; the password goes
to the OS keyring (audit.store.pg.remember_password) and the settings keep the address without
it. A password typed inside the address is taken out of it the same way, so it never reaches the
settings file, the window title or a message.

"Test the connection" opens the history read-only with the typed password (nothing is stored)
and says in plain words what happened: the server's refusal, a server that cannot be reached, or
how many audits the history holds. It runs off the window's thread (a server that never answers
holds a connection up to its 10 s timeout), and can be stopped.

DEVICE_AUDIT_DB wins over the saved choice at every start (the command line's order); with it
set, the dialog says that a choice made there lasts until the app closes. Switching history
makes every open window that shows the history read the new one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
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
from audit.i18n import N_, _, ngettext
from ui import settings
from ui.ops import Operations

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


INTRODUCTION = N_(
    "Audits are recorded in this computer's own history unless a team history "
    "is chosen here. The password is kept in this computer's keyring."
)

WAIT_FOR_WRITES = N_(
    "Something is being saved in the history in use right now (receipts being imported, "
    "for one). Wait until it is finished, or stop it, then choose again."
)


def variable_words() -> str:
    """What the dialog says when DEVICE_AUDIT_DB is set ("" when it is not). The variable wins
    at every start, as the command line's order promises (--db, then DEVICE_AUDIT_DB, then the
    saved choice): a scripted bench's set-up is not undone by a choice made once in a window.
    So a choice made here lasts until the app closes, and the person is told so before
    choosing."""
    from audit.cli.target import ENVIRONMENT, parse, shown

    variable = os.environ.get(ENVIRONMENT, "").strip()
    if not variable:
        return ""
    return _(
        "This computer is set up to use {target} each time Device Audit starts (by the "
        "setting DEVICE_AUDIT_DB). A choice made here lasts only until Device Audit is closed."
    ).format(target=shown(parse(variable)))


class _Link:
    """Whether the dialog still exists, for the connection test's answer: it can come back
    after the window is gone, and must then go nowhere."""

    def __init__(self) -> None:
        self.alive = True

    def cut(self, ops: Operations, key: str, _gone: object = None) -> None:
        self.alive = False
        with suppress(RuntimeError):  # the helper was deleted first: nothing is left to call
            ops.cancel(key)


class TeamHistoryDialog(QDialog):
    """Choose the team history (address + password) or this computer's own history.
    `target` is the choice after accept(): the redacted address, or None.

    "Test the connection" runs on the app's background helper (ui.ops): connecting can take up
    to the 10 s connect timeout, and the window must stay usable meanwhile. While it runs the
    button is off and a moving bar says so. Changing the address or the password, choosing, or
    closing the window stops it, and an answer that comes back after that is dropped, never
    shown beside an address it was not about."""

    tested = Signal(str)
    """The words of a finished connection test, once they are shown."""

    def __init__(self, parent: QWidget | None = None, ops: Operations | None = None) -> None:
        super().__init__(parent)
        from ui.wizard.widgets import BusyBar

        self.setObjectName("teamHistoryDialog")
        self.setWindowTitle(_("Team history"))
        self.target: Target = None
        # The app's helper when the main window opens it; one of its own otherwise.
        self.ops = ops if ops is not None else Operations(self, max_workers=2)
        self._test_key = f"team-history:test:{id(self)}"
        self._link = _Link()
        self._focus_back = False  # the test was started from the keyboard (see test())
        self.writing: Callable[[], bool] = lambda: False  # the app: something is being saved
        self.address = QLineEdit(settings.team_history())
        self.address.setPlaceholderText("postgresql://user@server:5432/database")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.answer = QLabel(_(INTRODUCTION))
        self.answer.setObjectName("teamHistoryAnswer")
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.PlainText)  # a server's words are not HTML
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.busy = BusyBar(self)
        self.variable_note = QLabel(variable_words())
        self.variable_note.setObjectName("teamHistoryVariableNote")
        self.variable_note.setWordWrap(True)
        self.variable_note.setTextFormat(Qt.TextFormat.PlainText)
        self.variable_note.setVisible(bool(self.variable_note.text()))
        form = QFormLayout()
        form.addRow(_("&Address:"), self.address)
        form.addRow(_("&Password:"), self.password)
        self.test_button = QPushButton(_("&Test the connection"))
        self.use_button = QPushButton(_("&Use this team history"))
        self.own_button = QPushButton(_("Use this computer's &own history"))
        cancel = self.cancel_button = QPushButton(_("Cancel"))
        self.test_button.clicked.connect(self.test)
        self.use_button.clicked.connect(self.use_team)
        self.own_button.clicked.connect(self.use_own)
        cancel.clicked.connect(self.reject)
        self.address.textEdited.connect(self._stop_test)
        self.password.textEdited.connect(self._stop_test)
        buttons = QHBoxLayout()
        for button in (self.test_button, self.own_button, cancel, self.use_button):
            buttons.addWidget(button)
        layout = self.main_layout = QVBoxLayout(self)
        layout.addWidget(self.variable_note)
        layout.addLayout(form)
        layout.addWidget(self.answer)
        layout.addWidget(self.busy)
        layout.addLayout(buttons)
        # Deleted without done() (deleteLater, its parent going): the answer goes nowhere then.
        self.destroyed.connect(partial(self._link.cut, self.ops, self._test_key))

    @property
    def testing(self) -> bool:
        return self.ops.is_running(self._test_key)

    def test(self) -> None:
        """Test the typed address and password in the background; `tested` gives the words."""
        if self.testing:
            return
        address, password = self.address.text(), self.password.text()
        link = self._link
        # Pressed from the keyboard: the button goes off, and Qt would hand the focus to the
        # next one, "Use this computer's own history", where a second key press would switch
        # history. Cancel, which stops the test, takes it instead.
        self._focus_back = self.test_button.hasFocus()
        if self._focus_back:
            self.cancel_button.setFocus()
        self.test_button.setEnabled(False)
        self.answer.setText("")
        self.answer.hide()  # the moving bar's words say what happens meanwhile
        # No figure here: audit.store.pg's timeout would load the driver on this thread.
        self.busy.start(
            _("Testing the connection… A server that does not answer can take a few seconds.")
        )

        def answered(words: str) -> None:
            if link.alive:
                self._show_answer(words)

        def failed(error: BaseException) -> None:
            from ui.errors import describe

            answered(describe(error).as_text())

        def stopped() -> None:
            if link.alive:
                self._idle()

        self.ops.start(
            self._test_key,
            lambda _progress, _cancelled: try_connection(address, password),
            answered,
            failed,
            on_cancelled=stopped,
            label=_("Testing the connection"),
        )

    def _show_answer(self, words: str) -> None:
        self._idle()
        self._say(words)
        self.tested.emit(words)

    def _say(self, words: str) -> None:
        """Show words under the boxes, the window grown to show all of them (a wrapped label
        does not grow its window by itself: a long refusal would be cut off)."""
        self.answer.setText(words)
        layout = self.main_layout
        layout.activate()
        if layout.hasHeightForWidth():
            wanted = layout.totalHeightForWidth(self.width())
            if wanted > self.height():
                self.resize(self.width(), wanted)

    def _idle(self) -> None:
        self.busy.stop()
        self.answer.show()
        self.test_button.setEnabled(True)
        if self._focus_back and self.cancel_button.hasFocus():
            self.test_button.setFocus()
        self._focus_back = False

    def _stop_test(self) -> None:
        """The address or the password changed: an answer about the old ones means nothing."""
        if self.ops.cancel(self._test_key):
            self.answer.setText(_(INTRODUCTION))

    def done(self, result: int) -> None:
        """Chosen, cancelled or closed: a test still running is stopped, its answer dropped."""
        self.ops.cancel(self._test_key)
        super().done(result)

    def _not_now(self) -> bool:
        """True, said in the window, while the history in use is being written through a
        window of its own (an import): switching would close the history under it."""
        if not self.writing():
            return False
        self._say(_(WAIT_FOR_WRITES))
        return True

    def use_team(self) -> bool:
        """Keep the password in the keyring and the address without it in the settings."""
        if self._not_now():
            return False
        try:
            shown, secret = split_address(self.address.text(), self.password.text())
            if secret:
                from audit.store.pg import remember_password

                remember_password(shown, secret)
        except AuditError as error:  # KeyringUnavailable too: never a plaintext fallback
            self._say(f"{error.message} {error.next_step}".strip())
            return False
        self.password.clear()
        self.address.setText(shown)
        settings.set_team_history(shown)
        self.target = shown
        self.accept()
        return True

    def use_own(self) -> None:
        if self._not_now():
            return
        settings.set_team_history("")
        self.target = None
        self.accept()


def history_words(target: Target) -> str:
    """The status bar's words naming a team history in use ("" for this computer's own)."""
    from audit.cli.target import is_team, shown

    if not is_team(target):
        return ""
    return _("History: {target}").format(target=shown(target))


def show_new_history(window: Any) -> None:
    """After a switch, every open window that shows the history reads the one now in use: the
    history, the dashboard, the trust window (policies, technician keys, exemptions), and the
    helpdesk queue's phones signed today. An import window keeps its report: it says what
    happened in the history it was made in."""
    for name, shown in list(window.history_windows.windows.items()):
        reload = getattr(shown, "reload", None)
        if name != "import" and callable(reload):
            reload()
    queue = getattr(window, "queue", None)
    if queue is not None and queue.on:
        queue.load_signed_today()


def install_menu(window: Any, menu: QMenu) -> QAction:
    """File › Team history…, and the status bar's name of the history in use. On a choice the
    recorder switches history and the open history windows read the new one."""
    recorder = getattr(window, "recorder", None)  # None: the bare menus (the words' tests)
    label = QLabel(history_words(recorder.path if recorder is not None else None))
    label.setObjectName("historyInUse")
    label.setVisible(bool(label.text()))
    window.statusBar().addPermanentWidget(label)

    def choose() -> TeamHistoryDialog:
        dialog = TeamHistoryDialog(window, window.ops)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.writing = lambda: window.recorder.busy_writing

        def chosen_one() -> None:
            window.recorder.use(dialog.target)
            label.setText(history_words(dialog.target))
            label.setVisible(bool(label.text()))
            show_new_history(window)

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
