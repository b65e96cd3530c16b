"""The team-history windows behave while the network does not (issue 18): "Test the connection"
runs off the window's thread against a closed port and a port that takes the connection and
never answers, the window stays usable and can be closed (or destroyed) while it waits; the
history and dashboard read through a read-only connection of their own, which a write waiting
for the team's write lock does not hold up; DEVICE_AUDIT_DB's hold on the next start is said;
switching history reloads every window showing it, and never lets a step of an audit begun in
the old history land on an audit of the new one."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu
from pytestqt.qtbot import QtBot

from audit.model import ActionKind, ActionResult, Device
from audit.store import Store
from tests.audit.team.test_outbox import _ctl, own_server  # noqa: F401  # the fixture
from tests.helpers import postgres as pg
from tests.helpers.memkeyring import MemoryKeyring, memory_keyring  # noqa: F401  # the fixture
from tests.ui.samples import assess, phone_scan
from ui import settings as app_settings
from ui.ops import Operations
from ui.recorder import AuditRecorder
from ui.team_history import (
    INTRODUCTION,
    WAIT_FOR_WRITES,
    TeamHistoryDialog,
    chosen,
    variable_words,
)

pytest.importorskip("psycopg", reason="psycopg is in the test extra")

WAIT = 30_000
SECRET = "s3cret-Typed"


class SilentServer:
    """A loopback port that takes every connection and never says a word: a hung server, or a
    firewall that swallows packets. `hang_up` closes them all (and any that come later), so a
    waiting connect ends at once instead of at its timeout."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.taken: list[socket.socket] = []
        self.hung_up = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.hung_up.is_set():
                conn.close()
            else:
                self.taken.append(conn)

    def hang_up(self) -> None:
        self.hung_up.set()
        for conn in self.taken:
            conn.close()

    def close(self) -> None:
        self.hang_up()
        self.stopped.set()
        self.thread.join()
        self.listener.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def ops() -> Iterator[Operations]:
    operations = Operations(max_workers=4)
    yield operations
    operations.shutdown()


def closed_port() -> int:
    """A loopback port nothing listens on (the connection is refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dialog_for(qtbot: QtBot, port: int, ops: Operations | None = None) -> TeamHistoryDialog:
    dialog = TeamHistoryDialog(None, ops)
    qtbot.addWidget(dialog)
    dialog.address.setText(f"postgresql://tech@127.0.0.1:{port}/team")
    dialog.password.setText(SECRET)
    dialog.show()
    return dialog


def heard(dialog: TeamHistoryDialog) -> list[str]:
    answers: list[str] = []
    dialog.tested.connect(answers.append)
    return answers


def test_a_closed_port_is_answered_in_plain_words_and_the_button_comes_back(
    qtbot: QtBot,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    dialog = dialog_for(qtbot, closed_port())
    with qtbot.waitSignal(dialog.tested, timeout=WAIT) as answer:
        dialog.test_button.click()
        assert not dialog.test_button.isEnabled() and not dialog.busy.isHidden()
    words = str(answer.args[0])
    assert "cannot be reached" in words
    assert SECRET not in words and dialog.answer.text() == words
    assert dialog.test_button.isEnabled() and dialog.busy.isHidden()
    assert not memory_keyring.secrets  # a test keeps nothing


def test_a_server_that_never_answers_leaves_the_window_usable_and_closing_it_drops_the_answer(
    qtbot: QtBot,
    silent: SilentServer,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    dialog = dialog_for(qtbot, silent.port)
    answers = heard(dialog)
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    dialog.test()
    assert dialog.testing and not dialog.test_button.isEnabled()
    assert "Testing the connection" in dialog.busy.text.text()
    qtbot.waitUntil(lambda: bool(silent.taken), timeout=WAIT)  # the connect is waiting now
    seen = len(ticks)
    qtbot.waitUntil(lambda: len(ticks) >= seen + 5, timeout=WAIT)
    assert dialog.testing  # still waiting on the server, and the event loop went on meanwhile
    dialog.test_button.click()  # off while it runs: no second test
    assert dialog.testing
    dialog.reject()  # the person gives up and closes the window
    assert not dialog.testing and not dialog.isVisible()
    with qtbot.waitSignal(dialog.ops.dropped, timeout=WAIT):
        silent.hang_up()  # the connect ends now; what it says goes nowhere
    assert answers == []
    timer.stop()


def test_changing_the_address_while_testing_stops_the_test_and_its_answer_is_never_shown(
    qtbot: QtBot,
    silent: SilentServer,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    dialog = dialog_for(qtbot, silent.port)
    answers = heard(dialog)
    dialog.test()
    qtbot.waitUntil(lambda: bool(silent.taken), timeout=WAIT)
    qtbot.keyClicks(dialog.address, "x")  # typed, as a person does
    assert not dialog.testing and dialog.test_button.isEnabled() and dialog.busy.isHidden()
    assert dialog.answer.text() == INTRODUCTION
    with qtbot.waitSignal(dialog.ops.dropped, timeout=WAIT):
        silent.hang_up()
    assert answers == [] and dialog.answer.text() == INTRODUCTION


def test_the_window_deleted_while_testing_on_the_apps_helper_never_crashes(
    qtbot: QtBot,
    ops: Operations,
    silent: SilentServer,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    """The app's helper outlives the dialog: the answer comes back to a window that is gone."""
    dialog = TeamHistoryDialog(None, ops)
    dialog.address.setText(f"postgresql://tech@127.0.0.1:{silent.port}/team")
    dialog.password.setText(SECRET)
    dialog.test()
    qtbot.waitUntil(lambda: bool(silent.taken), timeout=WAIT)
    gone: list[bool] = []
    dialog.destroyed.connect(lambda *_: gone.append(True))
    dialog.deleteLater()  # not through done(): nothing stopped the test first
    qtbot.waitUntil(lambda: bool(gone), timeout=WAIT)
    assert not ops.running_keys()
    with qtbot.waitSignal(ops.dropped, timeout=WAIT):
        silent.hang_up()


def keyboard_dialog(qtbot: QtBot, port: int) -> TeamHistoryDialog:
    dialog = dialog_for(qtbot, port)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT)
    dialog.test_button.setFocus()
    qtbot.keyClick(dialog.test_button, Qt.Key.Key_Space)
    return dialog


def test_from_the_keyboard_a_second_key_press_stops_the_test_and_never_switches_history(
    qtbot: QtBot,
    silent: SilentServer,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    """Space on "Test the connection" turns it off; the focus must not fall on "Use this
    computer's own history", where a second press would switch history."""
    app_settings.set_team_history("postgresql://tech@server/team")
    dialog = keyboard_dialog(qtbot, silent.port)
    qtbot.waitUntil(lambda: bool(silent.taken), timeout=WAIT)
    assert dialog.testing and dialog.cancel_button.hasFocus()
    qtbot.keyClick(dialog.cancel_button, Qt.Key.Key_Space)
    assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.testing
    assert app_settings.team_history() == "postgresql://tech@server/team"
    with qtbot.waitSignal(dialog.ops.dropped, timeout=WAIT):
        silent.hang_up()


def test_from_the_keyboard_escape_stops_the_test_and_an_answer_gives_the_focus_back(
    qtbot: QtBot,
    silent: SilentServer,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    dialog = keyboard_dialog(qtbot, silent.port)
    qtbot.waitUntil(lambda: bool(silent.taken), timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.testing
    with qtbot.waitSignal(dialog.ops.dropped, timeout=WAIT):
        silent.hang_up()

    refused = keyboard_dialog(qtbot, closed_port())
    with qtbot.waitSignal(refused.tested, timeout=WAIT):
        pass
    assert refused.test_button.hasFocus() and "cannot be reached" in refused.answer.text()


def test_with_device_audit_db_set_the_dialog_says_a_choice_lasts_until_the_app_closes(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = TeamHistoryDialog()
    qtbot.addWidget(plain)
    assert plain.variable_note.isHidden()
    monkeypatch.setenv("DEVICE_AUDIT_DB", "postgresql://tech:s3cret@server:5432/team")
    dialog = TeamHistoryDialog()
    qtbot.addWidget(dialog)
    note = dialog.variable_note.text()
    assert not dialog.variable_note.isHidden()
    assert "postgresql://tech@server:5432/team" in note and "s3cret" not in note
    assert "only until Device Audit is closed" in note
    dialog.use_own()
    assert app_settings.team_history() == ""
    # What the note promises: the next start still follows the variable.
    assert chosen() == "postgresql://tech:s3cret@server:5432/team"


def phone(serial: str) -> object:
    scan = phone_scan(serial=serial)
    return assess(replace(scan, device=replace(scan.device, id=Device.android_id(serial))))


def removal(serial: str) -> ActionResult:
    return ActionResult(
        kind=ActionKind.UNINSTALL,
        device=Device.android_id(serial),
        identifier="com.zhiliaoapp.musically",
        user="0",
        ok=True,
        message="TikTok was removed.",
    )


def test_a_step_of_an_audit_begun_before_a_switch_never_lands_on_the_new_historys_audit(
    qtbot: QtBot, ops: Operations, db: Path, tmp_path: Path
) -> None:
    """Audit ids are per history: audit 1 of the old history is another device's audit 1 in
    the new one. A step sent to the old audit after the switch is refused in words; the next
    check starts a new audit in the history in use."""
    old = tmp_path / "old.sqlite3"
    recorder = AuditRecorder(ops, old)
    failures: list[BaseException] = []
    recorder.failed.connect(failures.append)
    handle = recorder.begin(phone("S1"))  # type: ignore[arg-type]
    qtbot.waitUntil(recorder.wait_idle, timeout=WAIT)
    assert handle.id is not None
    recorder.use(old)  # the same history chosen again: its audits go on
    assert not handle.closed
    recorder.add_actions(handle, [removal("S1")])
    qtbot.waitUntil(recorder.wait_idle, timeout=WAIT)
    assert failures == []
    with Store(old) as store:
        assert len(store.audit_details(handle.id).actions) == 1
    with Store(db) as store:
        before = store.audit_details(handle.id)  # the new history has an audit of that id
    recorder.use(db)
    assert handle.closed  # the removal controller begins a new audit on the next check
    recorder.add_actions(handle, [removal("S1")])
    qtbot.waitUntil(lambda: bool(failures) and recorder.wait_idle(), timeout=WAIT)
    words = f"{failures[0]} {getattr(failures[0], 'next_step', '')}"
    assert "begun before the history was switched" in words
    with Store(db) as store:
        assert store.audit_details(handle.id) == before
        count = store.count()
    fresh = recorder.begin(phone("S1"))  # type: ignore[arg-type]
    qtbot.waitUntil(recorder.wait_idle, timeout=WAIT)
    assert fresh.id is not None and fresh.id != handle.id
    with Store(db) as store:
        assert store.count() == count + 1
    recorder.close()


def file_menu_action(window: QMainWindow, text: str) -> QAction:
    menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&File")
    return next(a for a in menu.actions() if a.text() == text)


def team_history_action(window: QMainWindow) -> QAction:
    action = window.findChild(QAction, "teamHistoryAction")
    assert isinstance(action, QAction)
    return action


def test_switching_history_reloads_the_history_dashboard_and_trust_windows(
    qtbot: QtBot, db: Path
) -> None:
    from audit.attestation import Signer
    from ui.main_window import MainWindow
    from ui.sources import Sources

    with Store(db) as store:
        store.enrol_technician("Sam Lee", Signer.generate().fingerprint, by="Lead")
    window = MainWindow(
        Sources(None, None, None), auto_scan_local=False, auto_scan_phones=False, history_path=db
    )
    qtbot.addWidget(window)
    history = window.show_history()
    dashboard = window.show_dashboard()
    file_menu_action(window, "&Technician keys…").trigger()
    trust = window.windows["trust"]
    qtbot.waitUntil(lambda: history.model.rowCount() == 6, timeout=WAIT)
    qtbot.waitUntil(lambda: trust.technicians.rowCount() == 1, timeout=WAIT)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dashboard.policy.count() == 2, timeout=WAIT)

    team_history_action(window).trigger()
    dialog = window.findChild(TeamHistoryDialog)
    assert dialog is not None
    dialog.use_own()  # this computer's own history: empty
    assert window.recorder.path is None
    qtbot.waitUntil(lambda: history.model.rowCount() == 0, timeout=WAIT)
    qtbot.waitUntil(lambda: trust.technicians.rowCount() == 0, timeout=WAIT)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dashboard.policy.count() == 0, timeout=WAIT)
    qtbot.waitUntil(lambda: not window.ops.running_keys(), timeout=WAIT)
    window.shutdown()


def test_no_switch_while_the_history_is_being_written_through_a_window(
    qtbot: QtBot, db: Path
) -> None:
    """An import writes through `run`: switching would close the history under it."""
    from ui.main_window import MainWindow
    from ui.sources import Sources

    window = MainWindow(
        Sources(None, None, None), auto_scan_local=False, auto_scan_phones=False, history_path=db
    )
    qtbot.addWidget(window)
    release = threading.Event()
    window.recorder.run("import:test", lambda _s, _p, _c: release.wait(WAIT / 1000), print)
    qtbot.waitUntil(lambda: window.recorder.busy_writing, timeout=WAIT)
    team_history_action(window).trigger()
    dialog = window.findChild(TeamHistoryDialog)
    assert dialog is not None
    dialog.use_own()
    assert dialog.isVisible() and dialog.answer.text() == WAIT_FOR_WRITES
    assert window.recorder.path == db
    release.set()
    qtbot.waitUntil(lambda: not window.recorder.busy_writing, timeout=WAIT)
    dialog.use_own()
    assert window.recorder.path is None
    window.shutdown()


# --- on a real server -------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_history_window_reads_while_a_write_waits_for_the_teams_write_lock(
    qtbot: QtBot,
    ops: Operations,
    postgres_dsn: str,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    """Another bench holds the team's write lock: this bench's write waits for it, and the
    history window still reads at once, through its own read-only connection."""
    import psycopg

    from audit.store.dialect import WRITE_LOCK
    from audit.store.pg import remember_password
    from tests.audit.team.test_roles import Team
    from ui.history import HistoryWindow

    team = Team(postgres_dsn)
    address = remember_password(team.address["technician"], team.passwords["technician"])
    bench = AuditRecorder(ops, address)
    failures: list[BaseException] = []
    bench.failed.connect(failures.append)
    with psycopg.connect(postgres_dsn, autocommit=True) as other_bench:
        other_bench.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
        bench.begin(phone("L1"))  # type: ignore[arg-type]
        history = HistoryWindow(bench)
        qtbot.addWidget(history)
        with qtbot.waitSignal(history.searched, timeout=WAIT):
            history.show()
        assert bench.pending == 1  # the write still waits for the lock
        assert history.count.text() == "No audits yet"
        other_bench.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))
    qtbot.waitUntil(bench.wait_idle, timeout=WAIT)
    assert failures == []
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=WAIT)  # written: reread
    bench.close()


@pytest.mark.postgres
def test_an_office_login_reads_the_history_and_dashboard_without_a_writers_connection(
    qtbot: QtBot,
    ops: Operations,
    postgres_dsn: str,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    from audit.store.pg import remember_password
    from tests.audit.team.test_roles import Team
    from ui.dashboard import DashboardWindow
    from ui.history import HistoryWindow

    team = Team(postgres_dsn)
    bench = AuditRecorder(
        ops, remember_password(team.address["technician"], team.passwords["technician"])
    )
    assessment = phone("F1")
    bench.begin(assessment)  # type: ignore[arg-type]
    bench.begin(phone("F2"))  # type: ignore[arg-type]
    qtbot.waitUntil(bench.wait_idle, timeout=WAIT)
    bench.close()
    office = AuditRecorder(ops, remember_password(team.address["office"], team.passwords["office"]))
    failures: list[BaseException] = []
    office.failed.connect(failures.append)
    history = HistoryWindow(office)
    qtbot.addWidget(history)
    history.show()
    dashboard = DashboardWindow(office, policy_id=assessment.policy.id)  # type: ignore[attr-defined]
    qtbot.addWidget(dashboard)
    dashboard.show()
    qtbot.waitUntil(lambda: history.model.rowCount() == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: dashboard.counts is not None, timeout=WAIT)
    assert dashboard.counts is not None and dashboard.counts.counts.total == 2
    assert failures == [] and history.count.text() == "2 audits"
    assert office._store is None  # no read-write connection was opened for these reads
    qtbot.waitUntil(lambda: not ops.running_keys(), timeout=WAIT)
    office.close()


@pytest.mark.postgres
def test_after_a_server_restart_the_windows_read_again_and_the_next_write_reconnects(
    qtbot: QtBot,
    ops: Operations,
    own_server: pg.Server,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    """A restart at night cuts every connection. The history window's next read connects
    again by itself (a read is safe to repeat); the write that met the dead connection is said
    as a failure (it cannot be known whether the server took it, so it is never repeated), and
    the next write connects again instead of failing until the app restarts."""
    import psycopg

    from audit.store.pg import remember_password
    from ui.history import HistoryWindow

    server = own_server
    _ctl(server, "start")
    with psycopg.connect(server.dsn(), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS app_restart WITH (FORCE)")
        admin.execute("CREATE DATABASE app_restart TEMPLATE template0 ENCODING UTF8 LOCALE 'C'")
    address = remember_password(server.dsn("app_restart"), server.password)
    bench = AuditRecorder(ops, address)
    failures: list[BaseException] = []
    bench.failed.connect(failures.append)
    bench.begin(phone("R1"))  # type: ignore[arg-type]
    qtbot.waitUntil(bench.wait_idle, timeout=WAIT)
    history = HistoryWindow(bench)
    qtbot.addWidget(history)
    history.show()
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=WAIT)

    _ctl(server, "stop")
    _ctl(server, "start")
    with qtbot.waitSignal(history.searched, timeout=WAIT):
        history.reload()
    assert history.count.text() == "1 audit"  # read again, on a new connection
    bench.begin(phone("R2"))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: bool(failures) and bench.wait_idle(), timeout=WAIT)
    assert "cannot be reached" in str(failures[0])
    assert server.password not in str(failures[0])
    bench.begin(phone("R3"))  # type: ignore[arg-type]
    qtbot.waitUntil(bench.wait_idle, timeout=WAIT)
    assert len(failures) == 1
    qtbot.waitUntil(lambda: history.model.rowCount() == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: not ops.running_keys(), timeout=WAIT)
    bench.close()


@settings(max_examples=100, deadline=None)
@given(
    user=st.text(min_size=1, max_size=10),
    secret=st.text(min_size=4, max_size=16).filter(lambda s: s.strip() == s and len(set(s)) > 2),
    where=st.text(max_size=16),
    form=st.sampled_from(
        ["postgresql://{u}:{p}@{w}/db", "postgresql://{u}@{w}/db?password={p}", "{w}/{p}.sqlite3"]
    ),
)
def test_the_note_about_device_audit_db_never_shows_a_password(
    user: str, secret: str, where: str, form: str
) -> None:
    """DEVICE_AUDIT_DB is read for the dialog's note: whatever it holds, the note shows no
    password and opening the dialog does not fail."""
    assume(secret not in user and secret not in where and secret not in "postgresql://db")
    value = form.format(u=quote(user, safe=""), p=secret, w=where)
    assume("\x00" not in value)
    previous = os.environ.get("DEVICE_AUDIT_DB")
    os.environ["DEVICE_AUDIT_DB"] = value
    try:
        note = variable_words()
    finally:
        if previous is None:
            del os.environ["DEVICE_AUDIT_DB"]
        else:
            os.environ["DEVICE_AUDIT_DB"] = previous
    if form.startswith("postgresql"):
        assert secret not in note and quote(secret, safe="") not in note
    assert note == "" or "only until Device Audit is closed" in note
