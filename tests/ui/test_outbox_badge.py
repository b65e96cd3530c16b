"""The main window says, for as long as it lasts, how many audits wait on this computer for the
team history, and "Send now" sends them off the window's thread and says what happened (issue
18). Real widgets offscreen, a real outbox file (an ordinary SQLite history) and, here, a team
history whose server is not there at all (a closed port): the real-server cases are in
test_outbox_send_now.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtWidgets import QLabel, QMenu, QToolButton
from pytestqt.qtbot import QtBot

from audit.model import Device
from audit.store import Store, outbox
from audit.workflow.history import new_uid, record_check
from tests.helpers.memkeyring import MemoryKeyring, memory_keyring  # noqa: F401  # the fixture
from tests.ui.samples import assess, phone_scan
from ui.main_window import MainWindow
from ui.outbox_badge import waiting_words
from ui.sources import Sources

WAIT = 20_000


def phone(serial: str) -> object:
    scan = phone_scan(serial=serial)
    return assess(replace(scan, device=replace(scan.device, id=Device.android_id(serial))))


def keep_in_outbox(*serials: str) -> None:
    """Audits an earlier run kept in the outbox while the server was away."""
    with Store(outbox.outbox_path()) as box:
        for serial in serials:
            record_check(box, phone(serial), audit_id=None, uid=new_uid())  # type: ignore[arg-type]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends: refused


@pytest.fixture
def away(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # noqa: F811
    """DEVICE_AUDIT_DB names a team history on a port where no server listens; its password
    is in the keyring, as the dialog leaves it."""
    from audit.store.pg import remember_password

    address = f"postgresql://tech@127.0.0.1:{closed_port()}/team?connect_timeout=3"
    remember_password(address, "not-shown-anywhere")
    monkeypatch.setenv("DEVICE_AUDIT_DB", address)
    yield address


def window_of(qtbot: QtBot) -> MainWindow:
    window = MainWindow(Sources(None, None, None), auto_scan_local=False, auto_scan_phones=False)
    qtbot.addWidget(window)
    return window


def badge_text(window: MainWindow) -> str:
    found = window.findChild(QLabel, "outboxWaiting")
    assert found is not None
    return found.text()


def test_no_badge_while_nothing_waits(qtbot: QtBot, away: str) -> None:
    from ui.recorder_writer import OUTBOX_FILE

    assert OUTBOX_FILE == outbox.FILE_NAME  # the start looks for the outbox by its own name
    window = window_of(qtbot)
    window.start()
    qtbot.waitUntil(lambda: window.recorder.waiting is not None, timeout=WAIT)
    assert window.outbox_badge.frame.isHidden()
    assert not window.send_now_action.isEnabled()
    assert not outbox.outbox_path().exists()  # counting never makes one


def test_audits_an_earlier_run_kept_are_said_until_sent_and_send_now_says_the_server_is_away(
    qtbot: QtBot, away: str
) -> None:
    keep_in_outbox("K1", "K2")
    window = window_of(qtbot)
    window.resize(1280, 720)
    window.show()
    window.start()
    qtbot.waitUntil(window.outbox_badge.frame.isVisible, timeout=WAIT)
    assert badge_text(window) == "2 audits wait on this computer: not in the team history yet"
    assert window.outbox_badge.frame.accessibleName() == "Audits waiting to be sent"
    assert badge_text(window) in window.outbox_badge.frame.accessibleDescription()
    button = window.findChild(QToolButton, "sendNowButton")
    assert button is not None and button.isEnabled() and button.text() == "Send now"
    file_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&File")
    assert window.send_now_action in file_menu.actions()  # reachable from the keyboard too

    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    with qtbot.waitSignal(window.recorder.sent, timeout=WAIT) as said:
        button.click()
        assert not window.send_now_action.isEnabled()  # asked: off until it is done
        assert window.send_now_action.text() == "Sending…"
    notice = said.args[0]
    assert notice.text.startswith("The team history still cannot be reached, so nothing was sent")
    assert "not-shown-anywhere" not in f"{notice.text} {notice.next_step}"
    assert any(m.startswith("The team history still cannot be reached") for m in messages)
    # Still waiting, still said, and Send now can be tried again.
    assert outbox.waiting() == 2
    assert window.outbox_badge.frame.isVisible() and window.send_now_action.isEnabled()
    assert "still cannot be reached" in window.outbox_badge.text.toolTip()


def test_on_this_computers_own_history_the_badge_stays_and_says_where_to_send_them(
    qtbot: QtBot, away: str
) -> None:
    keep_in_outbox("K3")
    window = window_of(qtbot)
    window.start()
    qtbot.waitUntil(lambda: not window.outbox_badge.frame.isHidden(), timeout=WAIT)
    window.recorder.use(None)  # File › Team history… › Use this computer's own history
    qtbot.waitUntil(window.recorder.wait_idle, timeout=WAIT)
    assert badge_text(window) == waiting_words(1)  # nothing waiting is hidden
    assert not window.send_now_action.isEnabled()
    assert "File › Team history…" in window.send_now_action.toolTip()
    window.send_now_action.trigger()  # off: nothing is asked
    assert not window.recorder.sending


def test_the_count_follows_each_write_into_the_outbox(
    qtbot: QtBot,
    away: str,
) -> None:
    """The server is away at the first write: the audit goes to the outbox and the badge
    counts it at once, without a restart or a status message to catch."""
    window = window_of(qtbot)
    window.start()
    told: list[object] = []
    window.recorder.held.connect(told.append)
    window.recorder.begin(phone("W1"))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: window.recorder.waiting == 1, timeout=WAIT)
    assert not window.outbox_badge.frame.isHidden()
    assert badge_text(window) == waiting_words(1)
    window.recorder.begin(phone("W2"))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: window.recorder.waiting == 2, timeout=WAIT)
    assert badge_text(window) == waiting_words(2)
    assert "saved on this computer" in getattr(told[0], "text", "")


def test_a_trust_decision_never_goes_into_the_outbox(qtbot: QtBot, away: str) -> None:
    """With the audits going to the outbox, enrolling a technician goes to the team history or
    is refused in words: kept in the outbox it would never reach the team (only audits are
    sent), while the person was told "Enrolled"."""
    from audit.attestation import Signer

    window = window_of(qtbot)
    window.start()
    window.recorder.begin(phone("T1"))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: window.recorder.waiting == 1, timeout=WAIT)
    assert window.recorder.queued
    done: list[object] = []
    failed: list[BaseException] = []
    fingerprint = Signer.generate().fingerprint

    def enrol(store: Store, _p: object, _c: object) -> object:
        return store.enrol_technician("Sam Lee", fingerprint, by="Ann")

    window.recorder.run("trust:enrol", enrol, done.append, failed.append)
    qtbot.waitUntil(lambda: bool(done or failed), timeout=WAIT)
    assert not done
    assert "cannot be reached" in str(failed[0])
    with Store(outbox.outbox_path()) as box:
        assert box.technicians() == []
