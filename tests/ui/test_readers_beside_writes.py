"""The trust window's lists and the helpdesk queue's day read a team history through the
read-only reader, as the history window does (issue 18): another bench holds the team's write
lock, this bench's write waits for it on the writers' connection, and these reads still come
back at once. Real Qt offscreen, a real PostgreSQL server with real roles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from audit.store.dialect import WRITE_LOCK
from audit.store.pg import remember_password
from tests.audit.team.test_roles import Team
from tests.helpers.memkeyring import MemoryKeyring, memory_keyring  # noqa: F401  # the fixture
from tests.ui.drive import start_main_window
from tests.ui.test_team_history import phone
from ui.main_window import MainWindow
from ui.ops import Operations
from ui.recorder import AuditRecorder
from ui.sources import Sources
from ui.trust_window import TrustWindow

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")
pytestmark = pytest.mark.postgres

WAIT = 30_000


@pytest.fixture
def ops() -> Iterator[Operations]:
    operations = Operations(max_workers=4)
    yield operations
    operations.shutdown()


def technician(postgres_dsn: str) -> str:
    team = Team(postgres_dsn)
    return remember_password(team.address["technician"], team.passwords["technician"])


def test_the_trust_windows_lists_read_while_a_write_waits_for_the_teams_write_lock(
    qtbot: QtBot,
    ops: Operations,
    postgres_dsn: str,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    bench = AuditRecorder(ops, technician(postgres_dsn))
    failures: list[BaseException] = []
    bench.failed.connect(failures.append)
    with psycopg.connect(postgres_dsn, autocommit=True) as other_bench:
        other_bench.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
        bench.begin(phone("T1"))  # type: ignore[arg-type]
        trust = TrustWindow(bench)
        qtbot.addWidget(trust)
        qtbot.waitUntil(lambda: trust.policies.rowCount() > 0, timeout=WAIT)
        qtbot.waitUntil(lambda: "No device is waiting" in trust.exemptions.waiting.text())
        assert bench.pending == 1  # the write still waits for the lock
        assert trust.message.text() == ""  # read, not refused
        other_bench.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))
    qtbot.waitUntil(bench.wait_idle, timeout=WAIT)
    assert failures == []
    qtbot.waitUntil(lambda: not ops.running_keys(), timeout=WAIT)
    bench.close()


def test_the_helpdesk_queue_reads_its_day_while_a_write_waits_for_the_teams_write_lock(
    qtbot: QtBot,
    postgres_dsn: str,
    memory_keyring: MemoryKeyring,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEVICE_AUDIT_DB", technician(postgres_dsn))
    window = MainWindow(
        Sources(None, None, None), auto_scan_local=False, auto_scan_phones=False, helpdesk=True
    )
    qtbot.addWidget(window)
    start_main_window(qtbot, window, timeout=WAIT, policy="nz-parliament-2023")
    qtbot.waitUntil(
        lambda: window.recorder.wait_idle() and not window.ops.running_keys(), timeout=WAIT
    )
    with psycopg.connect(postgres_dsn, autocommit=True) as other_bench:
        other_bench.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
        window.recorder.begin(phone("Q1"))  # type: ignore[arg-type]
        window.queue.load_signed_today()
        assert window.queue._signed_today is None  # being read
        qtbot.waitUntil(lambda: window.queue._signed_today is not None, timeout=WAIT)
        assert window.recorder.pending == 1  # the write still waits for the lock
        other_bench.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))
    qtbot.waitUntil(window.recorder.wait_idle, timeout=WAIT)
