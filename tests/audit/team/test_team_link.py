"""The team history's link to its server (audit/store/pg_link.py): each way a connection can
fail, said as what it is, and only a server that does not answer sent to the outbox; the time
limits that keep a silent link from hanging a bench or locking out the team.

Against the real PostgreSQL server of tests/helpers/postgres.py. The silent link itself, with
the CLI in its own process, is tests/audit/team/test_review_silent_link.py.
"""

from __future__ import annotations

import os
import re
import socket
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.errors import StoreError
from audit.store import Store, outbox
from audit.store.dialect import WRITE_LOCK
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")

from audit.store import pg_link  # noqa: E402  # needs psycopg

SECRET = "Wr0ng-Secret-pw"


def _parts(dsn: str) -> dict[str, str]:
    return {k: str(v) for k, v in psycopg.conninfo.conninfo_to_dict(dsn).items()}


def _address(dsn: str, *, user: str = "", password: str | None = None, db: str = "") -> str:
    p = _parts(dsn)
    login = user or p["user"]
    if password is not None:
        login += ":" + password
    return f"postgresql://{login}@{p['host']}:{p['port']}/{db or p['dbname']}"


def _refusal(target: str) -> StoreError:
    with pytest.raises(StoreError) as refused:
        Store(target).close()
    said = f"{refused.value} {refused.value.next_step}"
    assert SECRET not in said
    return refused.value


def _said(error: StoreError) -> str:
    return f"{error.message} {error.next_step}"


# --- what each failure is said as -------------------------------------------------------------


@pytest.mark.postgres
def test_a_wrong_password_is_said_as_the_login_refused(postgres_dsn: str) -> None:
    error = _refusal(_address(postgres_dsn, password=SECRET))
    assert "refused the login name or password" in error.message
    assert "password authentication failed" in error.message  # the server's words, for the admin
    assert "connection to server at" not in error.message  # not libpq's preamble
    assert "team save-password" in error.next_step and "network" not in _said(error)
    assert not outbox.unreachable(error)


@pytest.mark.postgres
def test_a_login_the_server_does_not_know_is_said_as_the_login_refused(postgres_dsn: str) -> None:
    error = _refusal(_address(postgres_dsn, user="nobody_here", password=SECRET))
    assert "refused the login name or password" in error.message
    assert not outbox.unreachable(error)


@pytest.mark.postgres
@pytest.mark.usefixtures("memory_keyring")
def test_no_password_anywhere_is_said_as_such(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    bare = _address(postgres_dsn)
    error = _refusal(bare)
    assert "asks for a password" in error.message and "cannot be reached" not in error.message
    assert f"team save-password {bare}" in error.next_step
    assert not outbox.unreachable(error)


@pytest.mark.postgres
def test_no_such_database_is_said_as_such(postgres_dsn: str) -> None:
    p = _parts(postgres_dsn)
    error = _refusal(_address(postgres_dsn, password=p["password"], db="no_such_history"))
    assert "does not exist" in error.message and "no_such_history" in error.message
    assert "network" not in _said(error) and not outbox.unreachable(error)


@pytest.mark.postgres
def test_a_login_without_the_right_to_connect_is_told_to_ask_for_it(
    postgres_dsn: str, postgres_server: Any
) -> None:
    p = _parts(postgres_dsn)
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS da_link_outsider")
        admin.execute("CREATE ROLE da_link_outsider LOGIN PASSWORD 'outsider-pw-1'")
        admin.execute(f'REVOKE CONNECT ON DATABASE "{p["dbname"]}" FROM PUBLIC')
    try:
        error = _refusal(_address(postgres_dsn, user="da_link_outsider", password="outsider-pw-1"))
        assert "does not let this login in" in error.message
        assert "outsider-pw-1" not in _said(error) and not outbox.unreachable(error)
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
            admin.execute(f'GRANT CONNECT ON DATABASE "{p["dbname"]}" TO PUBLIC')
            admin.execute("DROP ROLE da_link_outsider")


@pytest.mark.postgres
@pytest.mark.parametrize(
    "setting", ["sslmode=bogus", "keepalives_idle=abc", "target_session_attrs=nonsense"]
)
def test_a_setting_libpq_refuses_is_an_address_to_correct(postgres_dsn: str, setting: str) -> None:
    error = _refusal(postgres_dsn + "&" + setting)
    assert "has a setting that cannot be used" in error.message
    assert "Check how it is written" in error.next_step and "network" not in _said(error)
    assert _parts(postgres_dsn)["password"] not in _said(error)
    assert not outbox.unreachable(error)


def test_a_closed_port_is_still_a_server_that_cannot_be_reached() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = _refusal(f"postgresql://ann:{SECRET}@127.0.0.1:{port}/audits?connect_timeout=5")
    assert "cannot be reached" in error.message and "network" in error.next_step
    assert outbox.unreachable(error)


@pytest.mark.parametrize("host", ["h" * 64, "a..example.org", "x." + "y" * 70 + ".org"])
def test_a_server_name_no_resolver_takes_is_said_in_words(host: str) -> None:
    error = _refusal(f"postgresql://ann:{SECRET}@{host}:5432/audits")
    assert "server name" in error.message and not outbox.unreachable(error)


# --- the time limits ---------------------------------------------------------------------------


def _setting(store: Store, name: str) -> str:
    row = store._db.raw.execute(  # type: ignore[attr-defined]
        "SELECT setting FROM pg_settings WHERE name = %s", (name,)
    ).fetchone()
    return str(row[0])


@pytest.mark.postgres
def test_every_connection_has_the_link_time_limits(postgres_dsn: str) -> None:
    with Store(postgres_dsn) as store:
        assert _setting(store, "statement_timeout") == str(5 * 60 * 1000)
        assert _setting(store, "idle_in_transaction_session_timeout") == str(60 * 1000)
        assert _setting(store, "synchronous_commit") == "on"
        raw = store._db.raw  # type: ignore[attr-defined]
        sock = socket.socket(fileno=os.dup(raw.pgconn.socket))
        with sock:
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            if hasattr(socket, "TCP_KEEPIDLE"):
                idle = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE)
                assert idle == pg_link.KEEPALIVES_IDLE_S
        # An answer is waited for up to the statement's limit and the network's grace.
        assert raw.answer_within == 5 * 60 + 10


@pytest.mark.postgres
def test_an_address_may_set_its_own_time_limits_and_nothing_else(postgres_dsn: str) -> None:
    limits = quote("-c statement_timeout=1500ms --idle-in-transaction-session-timeout=4s")
    with Store(postgres_dsn + "&connect_timeout=2&options=" + limits) as store:
        assert _setting(store, "statement_timeout") == "1500"
        assert _setting(store, "idle_in_transaction_session_timeout") == "4000"
        assert store._db.raw.answer_within == 1.5 + 2  # type: ignore[attr-defined]
    for other in (
        "-c synchronous_commit=off",
        "-c search_path=elsewhere",
        "-c",
        "stray",
        "-c idle_in_transaction_session_timeout=0",  # the team's lock guard switched off
        "-c statement_timeout=1s\\",  # a backslash would join the next option to this one
    ):
        error = _refusal(postgres_dsn + "&options=" + quote(other))
        assert "only these time limits" in error.message and not outbox.unreachable(error)
        assert "elsewhere" not in error.message


@pytest.mark.postgres
def test_a_statement_over_its_limit_is_said_as_slow_not_away(postgres_dsn: str) -> None:
    from audit.store.pg import pg_words

    limits = quote("-c statement_timeout=200ms")
    with Store(postgres_dsn + "&options=" + limits) as store:
        raw = store._db.raw  # type: ignore[attr-defined]
        with pytest.raises(StoreError) as slow, pg_words(store.where):
            raw.execute("SELECT pg_sleep(2)")
        assert "took too long to answer" in slow.value.message
        assert not outbox.unreachable(slow.value)
        assert store.count() == 0  # the connection still serves


@pytest.mark.postgres
def test_a_server_that_stops_answering_frees_the_bench_and_the_lock(postgres_dsn: str) -> None:
    """A bench holding the write lock whose server stops answering (a statement that sleeps
    past the bench's deadline, here one second, does to the bench what a hung server does):
    the bench gives up, says the server cannot be reached, and the lock is not held for ever
    (the server ends the statement at its limit and the dead session after it)."""
    limits = quote("-c statement_timeout=3s -c idle_in_transaction_session_timeout=2s")
    with Store(postgres_dsn + "&connect_timeout=1&options=" + limits) as store:
        db = store._db
        db.raw.answer_within = 1.0  # type: ignore[attr-defined]
        from audit.store.pg import pg_words

        with pytest.raises(StoreError) as gone, pg_words(store.where):
            db.execute("BEGIN IMMEDIATE")
            db.execute("SELECT pg_sleep(30)")
        assert "cannot be reached" in gone.value.message
        assert "no answer from the server in 1 second)" in gone.value.message
        assert outbox.unreachable(gone.value)
        assert db.raw.closed  # type: ignore[attr-defined]
    with psycopg.connect(postgres_dsn, autocommit=True) as other:
        other.execute("SET lock_timeout = '20s'")
        other.execute("BEGIN")
        other.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))  # not held for ever
        other.execute("COMMIT")


# --- fuzzed ------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_any_address_options_give_time_limits_or_a_refusal_that_echoes_nothing(
    typed: str,
) -> None:
    try:
        sent = pg_link.server_options(typed)
    except StoreError as refused:
        assert str(refused) == str(_STRAY)  # the same words whatever was typed: nothing echoed
        return
    pairs = re.findall(r"-c ([a-z_]+)=([0-9]+[a-z]*)", sent)
    assert " ".join(f"-c {n}={v}" for n, v in pairs) == sent  # nothing but time limits
    assert [n for n, _v in pairs] == list(pg_link.TIME_LIMITS)


def _stray() -> StoreError:
    try:
        pg_link.server_options("stray")
    except StoreError as refused:
        return refused
    raise AssertionError("a stray option was taken")


_STRAY = _stray()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.sampled_from([None, "08006", "28P01", "3D000", "57014", "53300"]))
def test_any_driver_error_has_one_meaning(text: str, state: str | None) -> None:
    error = psycopg.errors.lookup(state)(text) if state else psycopg.OperationalError(text)
    found = pg_link.kind(error)
    said = pg_link.failure("postgresql://ann@db/audits", error, text[:300])
    assert isinstance(said, StoreError) and said.message
    away = said.message.startswith("The team history postgresql://ann@db/audits cannot be reached")
    assert away == (found == pg_link.AWAY)
