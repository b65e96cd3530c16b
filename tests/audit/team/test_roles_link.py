"""`team roles` and `team add-person` on the team history's link (audit/store/pg_roles.py):
they connect through the store's own link code (pg_link.connect), so a server that goes silent
mid-setup ends in words within the answer deadline, and a link cut half-way leaves nothing half
made (PostgreSQL's CREATE ROLE, GRANT and ALTER ... OWNER are transactional, roles belonging to
the whole server notwithstanding).

Against the real PostgreSQL server of tests/helpers/postgres.py, through the real loopback
relays: the silent one of test_review_silent_link.py and the proxy that loses the answer to a
COMMIT (cutproxy.py).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from typing import Any
from urllib.parse import quote

import pytest

from audit.errors import StoreError
from audit.store import Store
from tests.audit.team.cutproxy import cut_after_commit
from tests.audit.team.test_review_silent_link import SilentRelay
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")

from audit.store import pg_link, pg_roles  # noqa: E402  # needs psycopg

pytestmark = pytest.mark.postgres

# The address's own time limits (the product's are minutes: pg_link says why).
LIMITS = "connect_timeout=2&options=" + quote(
    "-c statement_timeout=2s -c idle_in_transaction_session_timeout=2s"
)
# Liveness deadlines (is it stuck?), not speed figures: each wait is seconds when it works.
SESSION_GONE_S = 60.0


def _parts(dsn: str) -> dict[str, str]:
    return {k: str(v) for k, v in psycopg.conninfo.conninfo_to_dict(dsn).items()}


def _through(dsn: str, port: int, query: str = "") -> str:
    """The administrator's address of the same history, through a relay on `port`."""
    p = _parts(dsn)
    address = f"postgresql://{p['user']}:{p['password']}@127.0.0.1:{port}/{p['dbname']}"
    return address + (f"?{query}" if query else "")


def _said(error: StoreError) -> str:
    return f"{error.message} {error.next_step}"


def _groups_made(dsn: str) -> int:
    roles = pg_roles.group_roles(_parts(dsn)["dbname"])
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname = ANY(%s)", (list(roles.values()),)
        ).fetchone()
    return int(row[0]) if row else -1


def _wait_for_the_dead_session(dsn: str) -> None:
    """Until the server has ended the cut session (and so undone its transaction)."""
    database = _parts(dsn)["dbname"]
    deadline = time.monotonic() + SESSION_GONE_S
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
                " AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                (database,),
            ).fetchone()
            if row == (0,):
                return
            assert time.monotonic() < deadline, "the server kept the cut session open"
            time.sleep(0.2)


def _setting(raw: Any, name: str) -> str:
    row = raw.execute("SELECT setting FROM pg_settings WHERE name = %s", (name,)).fetchone()
    return str(row[0])


# --- one link code --------------------------------------------------------------------------


def test_the_setup_commands_get_the_stores_connection_limits(postgres_dsn: str) -> None:
    names = (
        "statement_timeout",
        "idle_in_transaction_session_timeout",
        "lock_timeout",
        "synchronous_commit",
        "tcp_keepalives_idle",
        "TimeZone",
    )
    address = postgres_dsn + "&options=" + quote("-c statement_timeout=90s")
    with Store(address) as store:
        stores = store._db.raw  # type: ignore[attr-defined]
        expected = {name: _setting(stores, name) for name in names}
        expected_deadline = stores.answer_within
    raw, _shown, _database = pg_roles._connect(address)
    try:
        assert isinstance(raw, pg_link.WatchedConnection)
        assert {name: _setting(raw, name) for name in names} == expected
        assert expected["statement_timeout"] == "90000"  # the address's own limit, in both
        assert raw.answer_within == expected_deadline == 90 + 10
        with socket.socket(fileno=os.dup(raw.pgconn.socket)) as sock:
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    finally:
        raw.close()


def _both_refused(target: str) -> tuple[StoreError, ...]:
    refused = []
    for attempt in (
        lambda: Store(target).close(),
        lambda: pg_roles.setup_roles(target),
        lambda: pg_roles.add_person(target, "ann_link", "office", "long-enough-pw"),
    ):
        with pytest.raises(StoreError) as error:
            attempt()
        refused.append(error.value)
    return tuple(refused)


@pytest.mark.usefixtures("memory_keyring")
def test_a_refused_login_no_password_and_no_database_are_said_as_the_store_says_them(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    p = _parts(postgres_dsn)
    where = f"{p['host']}:{p['port']}"
    for target, words in (
        (f"postgresql://{p['user']}:Wrong-pw-1@{where}/{p['dbname']}", "refused the login"),
        (f"postgresql://{p['user']}@{where}/{p['dbname']}", "asks for a password"),
        (f"postgresql://{p['user']}:{p['password']}@{where}/no_such_one", "does not exist"),
    ):
        store, roles, person = _both_refused(target)
        assert words in store.message
        assert _said(roles) == _said(store) == _said(person)
        assert "Wrong-pw-1" not in _said(roles) and p["password"] not in _said(roles)
        assert "cannot be reached" not in roles.message


def test_an_address_may_set_only_time_limits_for_the_setup_commands_too(
    postgres_dsn: str,
) -> None:
    """A server option in the address once passed straight to the server for `team roles`."""
    for other in ("-c role=pg_write_all_data", "-c session_authorization=nobody"):
        target = postgres_dsn + "&options=" + quote(other)
        for refused in _both_refused(target):
            assert "only these time limits" in refused.message


# --- the link lost mid-setup ----------------------------------------------------------------


@pytest.mark.timeout(SESSION_GONE_S + 60)
def test_a_server_that_goes_silent_mid_setup_ends_in_words_and_nothing_is_made(
    postgres_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from audit.cli import main

    p = _parts(postgres_dsn)
    relay = SilentRelay(p["host"], int(p["port"]), b"CREATE ROLE")
    try:
        code = main(["team", "roles", _through(postgres_dsn, relay.port, LIMITS)])
    finally:
        relay.close()
    out, err = capsys.readouterr()
    assert relay.silent.is_set(), err
    assert (code, out) == (2, "")
    assert "cannot be reached (no answer from the server in 4 seconds)" in err
    assert "stopped part-way" in err and "Nothing is half made" in err
    assert f"run `device-audit team roles postgresql://{p['user']}@127.0.0.1:" in err
    assert p["password"] not in err
    _wait_for_the_dead_session(postgres_dsn)
    assert _groups_made(postgres_dsn) == 0
    with psycopg.connect(postgres_dsn) as conn:  # nor any right given or table handed over
        owners = {
            r[0]
            for r in conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
        }
        public_connects = conn.execute(
            "SELECT has_database_privilege('public', current_database(), 'CONNECT')"
        ).fetchone()
    assert owners == {p["user"]} and public_connects == (True,)
    again = pg_roles.setup_roles(postgres_dsn)  # run again: everything is made
    assert set(again.created) == {"technician", "office", "admin", "owner"}


def test_a_link_cut_half_way_through_add_person_leaves_no_login(postgres_dsn: str) -> None:
    pg_roles.setup_roles(postgres_dsn)
    p = _parts(postgres_dsn)
    login = f"cut_{secrets.token_hex(4)}"  # roles belong to the whole server: new each run
    relay = SilentRelay(p["host"], int(p["port"]), b"CREATE ROLE")
    failed: list[BaseException] = []

    def add() -> None:
        try:
            pg_roles.add_person(
                _through(postgres_dsn, relay.port), login, "technician", "long-enough-pw"
            )
        except BaseException as exc:  # reported to the test below
            failed.append(exc)

    worker = threading.Thread(target=add)
    worker.start()
    try:
        assert relay.silent.wait(30), "add-person never sent CREATE ROLE"
    finally:
        relay.close()  # the cable pulled: both ends see the connection end
    worker.join(60)
    assert not worker.is_alive()
    assert len(failed) == 1 and isinstance(failed[0], StoreError), failed
    said = _said(failed[0])
    assert "cannot be reached" in said and f"Giving {login} a login stopped part-way" in said
    assert "Nothing is half made" in said and "--role technician" in said
    _wait_for_the_dead_session(postgres_dsn)
    with psycopg.connect(postgres_dsn) as conn:
        made = conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (login,)).fetchone()
    assert made == (0,)


def test_a_setup_whose_commit_answer_is_lost_is_whole_and_running_it_again_is_safe(
    postgres_dsn: str,
) -> None:
    """The worst moment: the server committed, the answer never came. The words cannot know
    which it was, so they say both are whole; running again finds everything there."""
    p = _parts(postgres_dsn)
    with (
        cut_after_commit(int(p["port"]), after=b"CREATE ROLE") as proxy,
        pytest.raises(StoreError) as lost,
    ):
        pg_roles.setup_roles(_through(postgres_dsn, proxy.port))
    assert proxy.cut.is_set()
    assert "cannot be reached" in lost.value.message
    assert "Nothing is half made" in lost.value.message
    assert _groups_made(postgres_dsn) == 4  # it had committed: all of it
    assert pg_roles.setup_roles(postgres_dsn).created == ()


def test_add_person_whose_commit_answer_is_lost_made_the_whole_login(postgres_dsn: str) -> None:
    pg_roles.setup_roles(postgres_dsn)
    p = _parts(postgres_dsn)
    login = f"lost_{secrets.token_hex(4)}"
    with (
        cut_after_commit(int(p["port"]), after=b"GRANT") as proxy,
        pytest.raises(StoreError, match="Nothing is half made"),
    ):
        pg_roles.add_person(_through(postgres_dsn, proxy.port), login, "office", "long-enough-pw")
    assert proxy.cut.is_set()
    again = pg_roles.add_person(postgres_dsn, login, "office")  # password kept
    assert not again.created and again.group == "office"
    with Store(
        _through(postgres_dsn, int(p["port"])).replace(
            f"{p['user']}:{p['password']}", f"{login}:long-enough-pw"
        ),
        read_only=True,
    ) as office:
        assert office.count() == 0


@pytest.mark.timeout(90)
def test_team_roles_while_a_bench_writes_says_busy_and_changes_nothing(postgres_dsn: str) -> None:
    """Setting up takes the tables (their triggers, their owner): behind a bench's open write
    it once waited for ever, and every bench's read queued behind it. With the store's
    lock_timeout it gives up and says so; the bench's write goes on."""
    Store(postgres_dsn).close()
    with psycopg.connect(postgres_dsn) as bench:  # a write in progress (not autocommit)
        bench.execute("LOCK TABLE audits IN ROW EXCLUSIVE MODE")
        with pytest.raises(StoreError, match="is busy") as busy:
            pg_roles.setup_roles(postgres_dsn)
        assert "Try again in a moment" in busy.value.next_step
        bench.execute("SELECT count(*) FROM audits")  # the bench's transaction still serves
    assert _groups_made(postgres_dsn) == 0
    assert len(pg_roles.setup_roles(postgres_dsn).created) == 4
