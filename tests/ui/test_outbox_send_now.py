"""Send now, and switching history, with a real PostgreSQL server stopped mid-work (issue 18).

The app's recorder keeps audits in the outbox while the team history's server is away. "Send
now" sends them from the recorder's write queue, off the window's thread: with the server still
away it says so and nothing moves; with it back, each audit reaches the team history once, the
audits this run began there go on in the team history (a step after the send lands on the
team's audit, found by uid), and new audits go straight there. A send whose answer the
connection lost (tests/audit/team/cutproxy.py) leaves the outbox as it was, and the next send
finds the audits "already there": never a second audit. Switching history with the old server
away and writes waiting returns at once; those writes still go where they were asked to.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from audit.store import Store, outbox
from audit.store.pg import remember_password
from tests.audit.team.cutproxy import cut_after_commit
from tests.audit.team.test_outbox import _ctl, own_server, team  # noqa: F401  # the fixtures
from tests.helpers import postgres as pg
from tests.helpers.memkeyring import MemoryKeyring, memory_keyring  # noqa: F401  # the fixture
from tests.ui.test_team_history import phone, removal
from ui.ops import Operations
from ui.recorder import AuditRecorder

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")
pytestmark = pytest.mark.postgres

WAIT = 30_000


@pytest.fixture
def ops() -> Iterator[Operations]:
    operations = Operations(max_workers=4)
    yield operations
    operations.shutdown()


def _team_audits(dsn: str) -> dict[str, int]:
    """uid → actions, of every audit in the team history, read straight from the server."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT a.uid, (SELECT count(*) FROM actions c WHERE c.audit_id = a.id) FROM audits a"
        ).fetchall()
    return {str(uid): int(n) for uid, n in rows}


def queued(recorder: AuditRecorder) -> bool:
    """Whether its writes go to the outbox now (a call: the answer changes under the test)."""
    return recorder.queued


def _send(qtbot: QtBot, recorder: AuditRecorder) -> str:
    with qtbot.waitSignal(recorder.sent, timeout=WAIT) as said:
        recorder.send_now()
    notice = said.args[0]
    return f"{notice.text} {notice.next_step}"


def test_send_now_waits_while_the_server_is_away_then_sends_once_and_the_run_goes_on_there(
    qtbot: QtBot,
    ops: Operations,
    own_server: pg.Server,  # noqa: F811
    team: str,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    address = remember_password(team, own_server.password)
    bench = AuditRecorder(ops, address)
    failures: list[BaseException] = []
    counts: list[int] = []
    bench.failed.connect(failures.append)
    bench.waiting_changed.connect(counts.append)
    _ctl(own_server, "stop")
    try:
        first = bench.begin(phone("N1"))  # type: ignore[arg-type]
        second = bench.begin(phone("N2"))  # type: ignore[arg-type]
        qtbot.waitUntil(lambda: bench.waiting == 2 and bench.wait_idle(), timeout=WAIT)
        assert queued(bench) and counts[-1] == 2
        words = _send(qtbot, bench)
        assert "still cannot be reached, so nothing was sent" in words
        assert own_server.password not in words
        assert outbox.waiting() == 2 and queued(bench) and bench.waiting == 2
    finally:
        _ctl(own_server, "start")
    words = _send(qtbot, bench)
    assert "2 audits sent to the team history, 0 already there." in words
    assert bench.waiting == 0 and counts[-1] == 0 and outbox.waiting() == 0
    assert not queued(bench)  # this run writes to the team history again
    # A step of an audit begun while the server was away lands on the team's audit.
    bench.add_actions(first, [removal("N1")])
    third = bench.begin(phone("N3"))  # type: ignore[arg-type]
    qtbot.waitUntil(bench.wait_idle, timeout=WAIT)
    bench.close()
    assert failures == []
    audits = _team_audits(team)
    assert audits == {first.uid: 1, second.uid: 0, third.uid: 0}, audits
    assert outbox.waiting() == 0  # N3 went straight to the team history
    with psycopg.connect(team) as conn:
        found = conn.execute("SELECT id FROM audits WHERE uid = %s", (first.uid,)).fetchone()
    assert found is not None and first.id == found[0]


def test_a_send_whose_answer_is_lost_keeps_everything_and_the_next_send_finds_it_there(
    qtbot: QtBot,
    ops: Operations,
    own_server: pg.Server,  # noqa: F811
    team: str,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    address = remember_password(team, own_server.password)
    failures: list[BaseException] = []
    away = AuditRecorder(ops, address)  # an earlier run, while the server was away
    away.failed.connect(failures.append)
    _ctl(own_server, "stop")
    try:
        handle = away.begin(phone("C1"))  # type: ignore[arg-type]
        away.add_actions(handle, [removal("C1")])
        qtbot.waitUntil(lambda: away.waiting == 1 and away.wait_idle(), timeout=WAIT)
    finally:
        _ctl(own_server, "start")
    away.close()
    with cut_after_commit(own_server.port) as proxy:
        through = remember_password(
            team.replace(f":{own_server.port}/", f":{proxy.port}/"), own_server.password
        )
        bench = AuditRecorder(ops, through)
        bench.failed.connect(failures.append)
        words = _send(qtbot, bench)  # the move commits; its answer never comes back
        assert proxy.cut.is_set(), "the proxy never saw the send's COMMIT"
        assert "still cannot be reached" in words, words
        assert bench.waiting == 1 and outbox.waiting() == 1  # the outbox forgot nothing
        qtbot.waitUntil(bench.wait_idle, timeout=WAIT)
        bench.close()
    assert failures == []
    assert _team_audits(team) == {handle.uid: 1}  # saved as the connection dropped

    later = AuditRecorder(ops, address)  # the next try, straight to the server
    words = _send(qtbot, later)
    later.close()
    assert "0 audits sent to the team history, 1 already there." in words, words
    assert _team_audits(team) == {handle.uid: 1}  # once, never a second audit
    assert outbox.waiting() == 0 and later.waiting == 0


def test_switching_history_with_the_old_server_away_never_waits_and_loses_nothing(
    *,
    qtbot: QtBot,
    ops: Operations,
    own_server: pg.Server,  # noqa: F811
    team: str,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The old team history's server is away with writes still waiting: `use` returns before
    they run (the window's thread never waits for them), and they still go where they were
    asked, in order: the old run's audit to the outbox with its removal, the new history's
    audit to the new file; a step sent to the old audit after the switch is refused."""
    address = remember_password(team, own_server.password)
    bench = AuditRecorder(ops, address)
    failures: list[BaseException] = []
    bench.failed.connect(failures.append)
    own = tmp_path / "own.sqlite3"
    _ctl(own_server, "stop")
    try:
        old = bench.begin(phone("S1"))  # type: ignore[arg-type]
        bench.add_actions(old, [removal("S1")])
        bench.use(own)  # at once: the two writes above are still to be done
        assert bench.pending >= 2, "use() wrote the old history's writes on the caller's thread"
        assert bench.path == own and old.closed
        new = bench.begin(phone("S2"))  # type: ignore[arg-type]
        bench.add_actions(old, [removal("S1")])  # after the switch: refused, never misfiled
        qtbot.waitUntil(lambda: bool(failures) and bench.wait_idle(), timeout=WAIT)
    finally:
        _ctl(own_server, "start")
    bench.close()
    assert len(failures) == 1
    assert "begun before the history was switched" in str(failures[0])
    with Store(outbox.outbox_path()) as box:
        kept: list[Any] = box.history()
        assert [a.uid for a in kept] == [old.uid]
        assert len(box.audit_details(kept[0].id).actions) == 1  # its removal, once
    with Store(own) as store:
        assert [a.uid for a in store.history()] == [new.uid]
    assert _team_audits(team) == {}


def test_an_audit_the_team_refuses_stays_here_and_its_next_step_is_refused_never_misfiled(
    qtbot: QtBot,
    ops: Operations,
    own_server: pg.Server,  # noqa: F811
    team: str,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    """The team holds this audit's uid for another device (an outbox changed by hand, or a
    rogue copy): the send refuses it and it stays on this computer. Its handle must not take
    the id of that other device's audit: a later step of it is refused in words, and the
    other device's audit is left as it was."""
    from audit.workflow.history import record_check

    address = remember_password(team, own_server.password)
    bench = AuditRecorder(ops, address)
    failures: list[BaseException] = []
    bench.failed.connect(failures.append)
    _ctl(own_server, "stop")
    try:
        mine = bench.begin(phone("R1"))  # type: ignore[arg-type]
        qtbot.waitUntil(lambda: bench.waiting == 1 and bench.wait_idle(), timeout=WAIT)
    finally:
        _ctl(own_server, "start")
    with Store(team) as store:  # another device's audit under the same uid
        record_check(store, phone("OTHER"), audit_id=None, uid=mine.uid)  # type: ignore[arg-type]
    words = _send(qtbot, bench)
    assert "Kept on this computer: audit" in words and "1 audit is still waiting" in words
    assert bench.waiting == 1 and mine.closed
    bench.add_actions(mine, [removal("R1")])
    fresh = bench.begin(phone("R2"))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: bool(failures) and bench.wait_idle(), timeout=WAIT)
    bench.close()
    assert len(failures) == 1 and "refused when it was sent" in str(failures[0])
    assert _team_audits(team) == {mine.uid: 0, fresh.uid: 0}  # OTHER's audit untouched
    with Store(outbox.outbox_path()) as box:
        kept = box.history()
        assert [a.uid for a in kept] == [mine.uid]
        assert box.audit_details(kept[0].id).actions == ()


def test_the_window_says_what_waits_sends_it_with_one_click_and_the_badge_goes(
    qtbot: QtBot,
    own_server: pg.Server,  # noqa: F811
    team: str,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.ui.test_outbox_badge import keep_in_outbox
    from ui.main_window import MainWindow
    from ui.sources import Sources

    keep_in_outbox("W1", "W2")  # an earlier run, while the server was away
    monkeypatch.setenv("DEVICE_AUDIT_DB", remember_password(team, own_server.password))
    window = MainWindow(Sources(None, None, None), auto_scan_local=False, auto_scan_phones=False)
    qtbot.addWidget(window)
    window.start()
    qtbot.waitUntil(window.send_now_action.isEnabled, timeout=WAIT)
    assert not window.outbox_badge.frame.isHidden()
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    with qtbot.waitSignal(window.recorder.sent, timeout=WAIT):
        window.outbox_badge.button.click()
    assert window.outbox_badge.frame.isHidden() and not window.send_now_action.isEnabled()
    assert "2 audits sent to the team history, 0 already there." in messages
    assert outbox.waiting() == 0 and len(_team_audits(team)) == 2
