"""A bench keeps working when the team history's server goes away (audit.store.outbox, issue 18).

A real PostgreSQL server of this module's own is stopped and started again (pg_ctl): audits
recorded through the workflow's History while it is down land in the outbox and the person is
told so; once it is back the next recording, or `history send`, moves them once and empties
the outbox; a receipt the team refuses stays with its reason; a connection cut mid-send loses
nothing. A server that answers "no" (a wrong password) is not "away": nothing is queued.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Attester, Signer
from audit.cli import main
from audit.store import Store, outbox
from audit.workflow.history import History, record_done, record_receipt
from audit.workflow.notices import Notice
from tests.audit.store import factory as f
from tests.helpers import postgres as pg
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")
pytestmark = pytest.mark.postgres

DAY = date.today()


@pytest.fixture(scope="module")
def own_server() -> Iterator[pg.Server]:
    """A server this module may stop and start (never the session's shared one)."""
    if pg.ENVIRONMENT in __import__("os").environ:
        pytest.skip("an outside server (DEVICE_AUDIT_TEST_POSTGRES) cannot be stopped here")
    found = pg.start()
    if isinstance(found, str):
        pytest.skip(found)
    yield found
    _ctl(found, "start")  # stop() needs it running to stop it cleanly, then deletes it
    found.stop()


def _ctl(server: pg.Server, action: str) -> None:
    """pg_ctl stop / start on the same folder, port and socket as tests.helpers.postgres."""
    assert server.folder is not None
    bin_dir = pg.binaries()
    assert bin_dir is not None
    running = (server.folder / "data" / "postmaster.pid").exists()
    if (action == "stop") != running:
        return
    command = [str(bin_dir / "pg_ctl"), action, "-w", "-D", str(server.folder / "data")]
    if action == "stop":
        command += ["-m", "fast"]
    else:
        command += [
            "-l",
            str(server.folder / "server.log"),
            "-o",
            f"-p {server.port} -k {server.folder} -c listen_addresses=127.0.0.1 -c fsync=on",
        ]
    done = pg._run_as_server_user(command, server.folder)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def team(own_server: pg.Server) -> Iterator[str]:
    """A fresh database on the module's server, the server running; its DSN."""
    _ctl(own_server, "start")
    name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(own_server.dsn(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING UTF8 LOCALE 'C'")
    dsn = own_server.dsn(name)
    Store(dsn).close()  # the schema, while the server is up
    yield dsn
    _ctl(own_server, "start")
    with psycopg.connect(own_server.dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _record(
    target: str, n: int, said: list[Notice], signer: Signer | None = None
) -> tuple[History, int | None]:
    """One whole audit with a signed receipt, recorded through the workflow's History."""
    person = f.Person(f"Person {n}", f"PS-{n:04d}")
    device = f.phone(f"SERIAL{n:04d}")
    before, after, actions = f.audit_inputs(device, person, f.Outcome.CLEAN, day=DAY)
    envelope = f.receipt(signer or Signer.generate(), device, person, f.Outcome.CLEAN, day=DAY)
    history = History(target, device, said.append)
    audit_id = history.run(
        "The receipt",
        lambda store: record_receipt(
            store,
            envelope,
            audit_id=None,
            before=before,
            after=after,
            actions=actions,
            attester=Attester(name=person.name, staff_id=person.staff_id),
            file_name=f"r{n}.json",
        ),
        "",
    )
    history.close()
    return history, audit_id


def _team_audits(dsn: str) -> list[tuple[str, int]]:
    """(person, receipts) of every audit in the team history, read straight from the server."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT a.person_name, count(t.uid) FROM audits a"
            " LEFT JOIN attestations t ON t.audit_id = a.id GROUP BY a.id ORDER BY 1"
        ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


def _send(dsn: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["history", "send", dsn])
    return code, capsys.readouterr().out


def test_recorded_while_down_is_kept_then_sent_once(
    own_server: pg.Server, team: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _ctl(own_server, "stop")
    said: list[Notice] = []
    history, audit_id = _record(team, 1, said)
    assert audit_id is not None and history.queued
    assert outbox.waiting() == 1
    (notice,) = said
    assert "cannot be reached" in notice.text
    assert "saved on this computer" in notice.text
    assert str(outbox.outbox_path()) in notice.text
    assert own_server.password not in notice.text + notice.next_step
    _record(team, 2, said)  # a second audit while down: the outbox too
    assert outbox.waiting() == 2

    _ctl(own_server, "start")
    code, out = _send(team, capsys)
    assert code == 0, out
    assert "2 audits sent to the team history" in out
    assert own_server.password not in out
    assert _team_audits(team) == [("Person 1", 1), ("Person 2", 1)]
    assert outbox.waiting() == 0

    code, out = _send(team, capsys)  # twice: nothing more
    assert code == 0
    assert "Nothing was waiting" in out
    assert _team_audits(team) == [("Person 1", 1), ("Person 2", 1)]


def test_the_next_recording_that_reaches_the_server_sends_the_outbox(
    own_server: pg.Server, team: str
) -> None:
    _ctl(own_server, "stop")
    said: list[Notice] = []
    _record(team, 1, said)
    _ctl(own_server, "start")
    said.clear()
    history, audit_id = _record(team, 2, said)
    assert audit_id is not None and not history.queued
    (notice,) = said
    assert "1 audit sent to the team history" in notice.text and not notice.warning
    assert _team_audits(team) == [("Person 1", 1), ("Person 2", 1)]
    assert outbox.waiting() == 0


def test_a_receipt_the_team_refuses_stays_in_the_outbox_with_the_reason(
    own_server: pg.Server, team: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The team pins Person 7's key; a receipt for Person 7 signed by another key waits offline.
    _record(team, 7, [], signer=Signer.generate())
    _ctl(own_server, "stop")
    _record(team, 7, [], signer=Signer.generate())
    _record(team, 8, [])
    _ctl(own_server, "start")
    code, out = _send(team, capsys)
    assert code == 1
    assert "1 audit sent to the team history" in out
    assert "Kept on this computer" in out and "(Person 7)" in out
    assert "trusts another key for" in out
    assert "1 audit is still waiting on this computer" in out
    assert _team_audits(team) == [("Person 7", 1), ("Person 8", 1)]
    assert outbox.waiting() == 1
    code, out = _send(team, capsys)  # and again: still refused, still kept, nothing doubled
    assert code == 1 and outbox.waiting() == 1
    assert _team_audits(team) == [("Person 7", 1), ("Person 8", 1)]


def test_a_connection_cut_mid_send_loses_nothing(
    own_server: pg.Server, team: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ctl(own_server, "stop")
    for n in range(5):
        _record(team, n, [])
    _ctl(own_server, "start")
    monkeypatch.setattr("audit.store.move.CHUNK", 2)  # several transactions, cut after the first
    store = Store(team)
    backend = store._db.raw.info.backend_pid  # type: ignore[attr-defined]

    def cut(_fraction: float, _message: str) -> None:
        with psycopg.connect(own_server.dsn(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))

    with pytest.raises(Exception, match="cannot be reached"):
        outbox.send(store, progress=cut)
    store.close()
    assert len(_team_audits(team)) == 2  # the first chunk was committed
    assert outbox.waiting() == 5  # and the outbox forgot nothing
    with Store(team) as again:
        report = outbox.send(again)
    assert (report.sent, report.already_there, report.waiting) == (3, 2, 0)
    assert _team_audits(team) == [(f"Person {n}", 1) for n in range(5)]


def test_a_server_that_refuses_the_login_is_not_away(own_server: pg.Server, team: str) -> None:
    said: list[Notice] = []
    history, audit_id = _record(team.replace(own_server.password, "wrong"), 1, said)
    assert audit_id is None and history.failed and not history.queued
    (notice,) = said
    assert "could not be recorded" in notice.text and notice.warning
    assert "wrong" not in notice.text
    assert outbox.waiting() == 0


def test_an_outbox_that_cannot_be_written_is_never_called_saved(
    own_server: pg.Server, team: str
) -> None:
    outbox.outbox_path().mkdir()  # a folder where the outbox file should be
    _ctl(own_server, "stop")
    said: list[Notice] = []
    history, audit_id = _record(team, 1, said)
    assert audit_id is None and history.failed
    assert [n.warning for n in said] == [True, True]
    assert "could not be recorded" in said[0].text
    assert "cannot be reached" in said[1].text
    assert not any("saved on this computer" in n.text for n in said)


def test_a_drop_after_the_team_took_part_of_the_audit_is_not_split(
    own_server: pg.Server, team: str
) -> None:
    """The team's audit id means nothing in the outbox: a later write of that audit must not
    land on some other audit there (it is said as a failed history; the receipt file stays)."""
    _record(team, 9, [])  # team audit 1; the team pins Person 9's key
    _ctl(own_server, "stop")
    _record(team, 9, [])  # outbox audits 1 and 2: other keys, refused, so they stay there
    _record(team, 9, [])
    _ctl(own_server, "start")
    said: list[Notice] = []
    device = f.phone("SERIAL0001")
    person = f.Person("Person 1", "PS-0001")
    before, _after, actions = f.audit_inputs(device, person, f.Outcome.CLEAN, day=DAY)
    history = History(team, device, said.append)
    audit_id = history.run(
        "The scan", lambda store: store.record_audit([before], staff_id=person.staff_id), ""
    )
    assert audit_id == 2 and not history.queued  # the outbox's audit 2 is someone else's
    assert outbox.waiting() == 2
    said.clear()
    _ctl(own_server, "stop")
    done = history.run("The removal", lambda store: record_done(store, audit_id, actions), "")
    history.close()
    assert done is None and history.failed and not history.queued
    assert "could not be recorded" in said[0].text
    with Store(outbox.outbox_path(), read_only=True) as box:
        assert box._db.execute("SELECT count(*) FROM actions").fetchone()[0] == 2  # theirs


def test_a_file_history_never_uses_the_outbox(tmp_path: Path) -> None:
    said: list[Notice] = []
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    history, audit_id = _record_file(blocked / "history.sqlite3", said)
    assert audit_id is None and history.failed and not history.queued
    assert not outbox.outbox_path().exists()


def _record_file(path: Path, said: list[Notice]) -> tuple[History, int | None]:
    device = f.phone("FILE0001")
    before, _after, _actions = f.audit_inputs(device, f.AROHA, f.Outcome.CLEAN, day=DAY)
    history = History(path, device, said.append)
    audit_id = history.run("The scan", lambda store: store.record_audit([before]), "")
    history.close()
    return history, audit_id


def _store_error_from(cause: BaseException) -> BaseException:
    """A StoreError raised as audit.store.pg raises it: inside the driver error's handler."""
    from audit.errors import StoreError

    try:
        try:
            raise cause
        except BaseException:
            raise StoreError("The team history cannot be reached.") from None
    except StoreError as error:
        return error


@pytest.mark.parametrize(
    ("state", "away"),
    [
        ("57P01", True),  # the administrator shut it down (a restart)
        ("57P03", True),  # starting up
        ("08006", True),  # the connection failed
        ("08001", True),
        ("28P01", False),  # a wrong password: the server answered
        ("53300", False),  # too many connections: answered, and said as such
    ],
)
def test_what_counts_as_away(state: str, away: bool) -> None:
    assert outbox.unreachable(_store_error_from(psycopg.errors.lookup(state)("x"))) is away


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200), st.booleans())
def test_only_a_server_that_did_not_answer_is_away(text: str, fatal: bool) -> None:
    """libpq's connection failures carry no SQLSTATE: "FATAL:" means the server answered (a
    login refused, no such database), and only its shutting down or starting up is "away"."""
    message = ("FATAL:  " if fatal else "") + text
    starting = any(w in message for w in outbox._AWAY_WORDS)
    found = outbox.unreachable(_store_error_from(psycopg.OperationalError(message)))
    assert found is ((not fatal and "FATAL:" not in text) or starting)
    assert not outbox.unreachable(_store_error_from(ValueError(message)))
    assert not outbox.unreachable(_store_error_from(psycopg.errors.DataError(message)))


def test_send_while_still_away_or_without_an_address_keeps_everything(
    own_server: pg.Server,
    team: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _ctl(own_server, "stop")
    _record(team, 1, [])
    code = main(["history", "send", team])
    err = capsys.readouterr().err
    assert code != 0 and "cannot be reached" in err and own_server.password not in err
    assert outbox.waiting() == 1
    monkeypatch.delenv("DEVICE_AUDIT_DB", raising=False)
    code = main(["history", "send"])
    assert code != 0 and "Give the team history's address" in capsys.readouterr().err
    _ctl(own_server, "start")
    monkeypatch.setenv("DEVICE_AUDIT_DB", team)  # a scripted bench's address
    code = main(["history", "send"])
    assert code == 0 and "1 audit sent" in capsys.readouterr().out
    assert outbox.waiting() == 0


@pytest.mark.adb
@pytest.mark.usefixtures("memory_keyring")
def test_remove_and_attest_at_a_bench_whose_server_went_away(  # noqa: PLR0917 - fixtures
    own_server: pg.Server,
    team: str,
    sim_phone: Any,
    adb_server: Any,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CLI end to end, a simulated phone through the real adb server: `remove` while the
    server is down keeps its scans and actions in the outbox and says so; `attest` once it is
    back records the receipt in the team history and sends the outbox."""
    from tests.helpers.phones import phone_args

    monkeypatch.setattr("audit.cli.receipt_pdf_writer", None)
    phone = sim_phone("samsung-work-profile")
    reach = [*phone_args(phone, adb_server), "--policy", "us-federal-2023", "--db", team]
    _ctl(own_server, "stop")
    assert main(["remove", *reach, "--yes"]) == 0
    err = capsys.readouterr().err
    assert "saved on this computer" in err and own_server.password not in err
    assert outbox.waiting() == 1
    with Store(outbox.outbox_path(), read_only=True) as box:
        assert box._db.execute("SELECT count(*) FROM actions").fetchone()[0] > 0

    _ctl(own_server, "start")
    out_file = tmp_path / "receipt.json"
    person = ["--name", "Anna Smith", "--staff-id", "S1234", "--out", str(out_file)]
    assert main(["attest", *reach, *person, "--accept-statement"]) == 0
    out, err = capsys.readouterr()
    assert "1 audit sent to the team history" in out + err
    assert outbox.waiting() == 0
    with psycopg.connect(team) as conn:
        signed = conn.execute(
            "SELECT a.id, (SELECT count(*) FROM actions WHERE audit_id = a.id)"
            " FROM audits a JOIN attestations t ON t.audit_id = a.id"
        ).fetchall()
    assert len(signed) == 1 and signed[0][1] > 0  # the receipt, with what was removed
