"""Adversarial review of issue 18 (team history): the network link to the server goes silent
in the middle of a bench's recording (a VPN that stalls, a Wi-Fi hand-over, a NAT that forgets
the connection, a server that hangs): no reset, no answer.

A real PostgreSQL server behind a small TCP relay (below) that forwards faithfully until the
bench has taken the team's write lock, then forwards nothing more in either direction while
keeping both connections open. The bench is the CLI in its own process (`remove --yes` on a
simulated phone), as a person runs it.

What was found by hand (2026-12-08): the CLI waited forever (no statement timeout, no TCP
keepalive or user timeout on the connection), and the server kept the dead bench's session
"idle in transaction" holding the team's one write lock (no idle_in_transaction_session_timeout),
so every other bench's recording failed as "busy" until someone restarted the server. Fixed in
audit/store/pg_link.py: the bench gives up on an answer that has not come within the server's
statement_timeout plus the address's connect_timeout, says the server cannot be reached and
keeps the audit in the outbox (nothing of it reached the team); the server ends the dead
session after idle_in_transaction_session_timeout, which frees the lock.

The product's limits are minutes (pg_link says why); this test gives shorter ones through the
address's own parameters, as an administrator may for a link known to be faster to give up.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from audit.store import Store, outbox
from audit.store.dialect import WRITE_LOCK
from tests.helpers.phones import AdbServer, phone_args

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")

pytestmark = [pytest.mark.adb, pytest.mark.postgres, pytest.mark.slow]

NZ = "nz-parliament-2023"
# Liveness deadlines (is it stuck?), not speed figures: a healthy run takes a few seconds.
BENCH_DEADLINE_S = 45.0
LOCK_DEADLINE_S = 60.0
# The address's own time limits (the product's are minutes).
STATEMENT_S = 2
GRACE_S = 3
IDLE_S = 3


class SilentRelay:
    """Forwards TCP to the server until a client's bytes name `trigger`; from then on that
    connection is silent both ways (its sockets stay open, as behind a stalled link)."""

    def __init__(self, host: str, port: int, trigger: bytes) -> None:
        self.target = (host, port)
        self.trigger = trigger
        self.silent = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._sockets: list[socket.socket] = [self._server]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self._server.accept()
                upstream = socket.create_connection(self.target)
                self._sockets += [client, upstream]
                stop = threading.Event()
                threading.Thread(
                    target=self._pump, args=(client, upstream, stop, True), daemon=True
                ).start()
                threading.Thread(
                    target=self._pump, args=(upstream, client, stop, False), daemon=True
                ).start()

    def _pump(
        self, src: socket.socket, dst: socket.socket, stop: threading.Event, up: bool
    ) -> None:
        with contextlib.suppress(OSError):
            while not stop.is_set():
                data = src.recv(65536)
                if not data:
                    return
                dst.sendall(data)
                if up and self.trigger in data:
                    stop.set()  # the server has the statement; nothing more passes
                    self.silent.set()
            stop.wait()  # hold the connection open, silent

    def close(self) -> None:
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.close()


@pytest.fixture
def relay(postgres_dsn: str) -> Iterator[tuple[SilentRelay, str]]:
    Store(postgres_dsn).close()  # the team history's schema
    p = psycopg.conninfo.conninfo_to_dict(postgres_dsn)
    relay = SilentRelay(str(p["host"]), int(p["port"]), b"pg_advisory_xact_lock")
    # A postgresql:// address (libpq's key=value form would be taken for a file's path: see
    # test_review_addresses.py).
    address = (
        f"postgresql://{p['user']}:{p['password']}@127.0.0.1:{relay.port}/{p['dbname']}"
        f"?connect_timeout={GRACE_S}&options="
        + quote(
            f"-c statement_timeout={STATEMENT_S}s -c idle_in_transaction_session_timeout={IDLE_S}s"
        )
    )
    try:
        yield relay, address
    finally:
        relay.close()


def _lock_is_free(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as other:
        row = other.execute("SELECT pg_try_advisory_lock(%s)", (WRITE_LOCK,)).fetchone()
        if row and row[0]:
            other.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))
            return True
        return False


@pytest.mark.timeout(BENCH_DEADLINE_S + LOCK_DEADLINE_S + 60)
def test_a_silent_link_neither_hangs_the_bench_nor_locks_out_the_team(
    *, relay: tuple[SilentRelay, str], postgres_dsn: str, sim_phone: Any, adb_server: AdbServer
) -> None:
    silent, address = relay
    phone = sim_phone("samsung-work-profile")
    command = [
        sys.executable,
        "-c",
        "import sys; from audit.cli import main; sys.exit(main(sys.argv[1:]))",
        "remove",
        *phone_args(phone, adb_server),
        "--policy",
        NZ,
        "--db",
        address,
        "--yes",
    ]
    bench = subprocess.Popen(
        command, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        out, err = bench.communicate(timeout=BENCH_DEADLINE_S)
        returned = True
    except subprocess.TimeoutExpired:
        returned = False
        bench.kill()
        out, err = bench.communicate()
    said = (out + err).decode(errors="replace")
    assert silent.silent.is_set(), f"the relay never saw the write lock taken: {said}"
    # The bench's process is gone; the link stays half-open. Does another bench get the lock?
    deadline = time.monotonic() + LOCK_DEADLINE_S
    free = _lock_is_free(postgres_dsn)
    while not free and time.monotonic() < deadline:
        time.sleep(1)
        free = _lock_is_free(postgres_dsn)
    assert returned, "the bench's CLI was still waiting on the silent link"
    assert free, "the dead bench's session still holds the team's write lock"
    # Said as a server that cannot be reached, and kept: nothing of the run reached the team.
    assert "cannot be reached" in said and "no answer from the server" in said, said
    assert "saved on this computer" in said, said
    assert outbox.waiting() == 1
    with Store(postgres_dsn, read_only=True) as team:
        assert team.count() == 0
