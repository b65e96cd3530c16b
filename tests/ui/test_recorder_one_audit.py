"""The app's recorder gives each audit its uid before the first write (issue 18), so a write
the team history's server saved just as the connection dropped, kept in the outbox because the
app could not know, is the same audit when the outbox is sent: completed there, never a second
audit of the device. Real Qt (the recorder's background helper, offscreen), a real PostgreSQL
server, and tests/audit/team/cutproxy.py, which loses the server's answer to the COMMIT."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from audit.store import Store, outbox
from audit.store.pg import remember_password
from tests.audit.team.cutproxy import cut_after_commit
from tests.audit.team.test_outbox import own_server, team  # noqa: F401  # the fixtures
from tests.helpers import postgres as pg
from tests.helpers.memkeyring import MemoryKeyring, memory_keyring  # noqa: F401  # the fixture
from tests.ui.test_team_history import phone, removal
from ui.ops import Operations
from ui.recorder import AuditRecorder

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")

WAIT = 30_000


@pytest.fixture
def ops() -> Iterator[Operations]:
    operations = Operations(max_workers=4)
    yield operations
    operations.shutdown()


def _team_audits(dsn: str) -> list[tuple[str, str, int]]:
    """(uid, device, actions) of every audit of the team history, read straight from it."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT a.uid, a.device_id, (SELECT count(*) FROM actions c WHERE c.audit_id = a.id)"
            " FROM audits a ORDER BY a.id"
        ).fetchall()
    return [(str(uid), str(device), int(n)) for uid, device, n in rows]


def _outbox_uids() -> list[str]:
    with Store(outbox.outbox_path()) as box:
        return [a.uid for a in box.history()]


def test_each_audit_has_its_uid_before_its_first_write_and_keeps_it(
    qtbot: QtBot, ops: Operations, tmp_path: Any
) -> None:
    """On a history file: the uid the app chose is the one the history holds, one per audit."""
    recorder = AuditRecorder(ops, tmp_path / "history.sqlite3")
    first = recorder.begin(phone("A1"))  # type: ignore[arg-type]
    second = recorder.begin(phone("A2"))  # type: ignore[arg-type]
    assert first.uid and second.uid and first.uid != second.uid  # before any write ran
    qtbot.waitUntil(recorder.wait_idle, timeout=WAIT)
    recorder.close()
    with Store(tmp_path / "history.sqlite3") as store:
        assert store.audit(first.id).uid == first.uid  # type: ignore[arg-type]
        assert store.audit(second.id).uid == second.uid  # type: ignore[arg-type]


@pytest.mark.postgres
def test_a_first_write_saved_as_the_connection_dropped_is_one_audit_once_sent(
    qtbot: QtBot,
    ops: Operations,
    own_server: pg.Server,  # noqa: F811
    team: str,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    proxy_said: list[object] = []
    failures: list[BaseException] = []
    with cut_after_commit(own_server.port) as proxy:
        through = team.replace(f":{own_server.port}/", f":{proxy.port}/")
        bench = AuditRecorder(ops, remember_password(through, own_server.password))
        bench.held.connect(proxy_said.append)
        bench.failed.connect(failures.append)
        handle = bench.begin(phone("U1"), staff_id="PS-U1")  # type: ignore[arg-type]
        qtbot.waitUntil(lambda: bool(proxy_said or failures) and bench.wait_idle(), timeout=WAIT)
        # What the removal did comes after the drop: it goes where the audit went.
        bench.add_actions(handle, [removal("U1")])
        qtbot.waitUntil(bench.wait_idle, timeout=WAIT)
        bench.close()
        assert proxy.cut.is_set(), "the proxy never saw the audit's COMMIT"
    assert failures == []
    assert "saved on this computer" in proxy_said[0].text  # type: ignore[attr-defined]
    # The server did save the scan, and the outbox holds the same audit, under the same uid.
    assert [(uid, actions) for uid, _device, actions in _team_audits(team)] == [(handle.uid, 0)]
    assert _outbox_uids() == [handle.uid]

    later = AuditRecorder(ops, remember_password(team, own_server.password))  # the next run
    sent: list[object] = []
    later.held.connect(sent.append)
    later.failed.connect(failures.append)
    later.begin(phone("U2"), staff_id="PS-U2")  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: bool(sent or failures) and later.wait_idle(), timeout=WAIT)
    later.close()
    assert failures == []
    words = sent[0].text  # type: ignore[attr-defined]
    assert "1 audit the team history held already was completed" in words, words
    assert outbox.waiting() == 0
    audits = _team_audits(team)
    u1 = [a for a in audits if a[0] == handle.uid]
    assert len(audits) == 2 and len(u1) == 1, audits  # U1 once, with what the removal did
    assert u1[0][2] == 1, audits


@pytest.mark.postgres
def test_a_receipt_signed_while_the_server_is_away_is_said_kept_here_and_sent_once(
    *,
    qtbot: QtBot,
    ops: Operations,
    own_server: pg.Server,  # noqa: F811
    team: str,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
    tmp_path: Any,
) -> None:
    """The receipt page names the file, not the history, and the window's "History:" names
    the team's: so the app says that the signed receipt is on this computer, not in the team
    history yet; and the audit it closes reaches the team history once, receipt and all."""
    from datetime import date

    from audit.attestation import Signer
    from tests.audit.store import factory as f
    from tests.audit.team.test_outbox import _ctl

    person = f.Person("Hemi Walker", "PS-3002")
    device = f.phone("AWAY1")
    _before, after, _actions = f.audit_inputs(device, person, f.Outcome.CLEAN, day=date.today())
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(
        f.receipt(
            Signer.generate(), device, person, f.Outcome.CLEAN, day=date.today()
        ).to_file_bytes()
    )
    address = remember_password(team, own_server.password)
    told: list[object] = []
    failures: list[BaseException] = []
    _ctl(own_server, "stop")
    try:
        bench = AuditRecorder(ops, address)
        bench.held.connect(told.append)
        bench.failed.connect(failures.append)
        handle = bench.begin(after, person_name=person.name, staff_id=person.staff_id)
        bench.add_receipt(
            handle, receipt, person_name=person.name, staff_id=person.staff_id, technician=""
        )
        qtbot.waitUntil(lambda: len(told) >= 2 or bool(failures), timeout=WAIT)
        qtbot.waitUntil(bench.wait_idle, timeout=WAIT)
        bench.close()
    finally:
        _ctl(own_server, "start")
    assert failures == []
    first, last = (getattr(n, "text", "") for n in (told[0], told[-1]))
    assert first.startswith("The team history cannot be reached: this audit is saved on this")
    assert "signed receipt is saved on this computer" in last and "not yet in the team" in last
    assert own_server.password not in " ".join(getattr(n, "text", "") for n in told)

    later = AuditRecorder(ops, address)  # the next run, the server back
    sent: list[object] = []
    later.held.connect(sent.append)
    later.begin(phone("AWAY2"))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: bool(sent) and later.wait_idle(), timeout=WAIT)
    later.close()
    assert "1 audit sent to the team history" in getattr(sent[0], "text", ""), sent
    with psycopg.connect(team) as conn:
        rows = conn.execute(
            "SELECT a.uid, (SELECT count(*) FROM attestations t WHERE t.audit_id = a.id)"
            " FROM audits a WHERE a.device_id = %s",
            (device.id,),
        ).fetchall()
    assert rows == [(handle.uid, 1)], rows
