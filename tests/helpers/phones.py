"""pytest fixtures: a private adb server, and simulated phones plugged into it.

`adb_server` (session) runs the adb binary that adbutils ships, in the foreground
(`adb -P PORT nodaemon server`) on a free port with its own HOME, with USB, emulator scanning
and mDNS switched off, so tests never meet the developer's adb server (port 5037), their keys
or their phones. `sim_phone` starts SimulatedPhones and `adb connect`s them, waiting (by
polling with a deadline, never by sleeping a fixed time) until adb lists them.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import adbutils
import pytest

from audit.sources.android.connection import bundled_adb
from tests.phonesim import SimulatedPhone

START_TIMEOUT = 20.0
STATE_TIMEOUT = 15.0


def phone_args(phone: SimulatedPhone, adb_server: AdbServer) -> list[str]:
    """The CLI's arguments that reach `phone` through the tests' private adb server."""
    return ["--device", phone.address, "--adb-port", str(adb_server.port)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class AdbServer:
    """A running private adb server."""

    port: int
    binary: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def client(self) -> adbutils.AdbClient:
        return adbutils.AdbClient(host="127.0.0.1", port=self.port)

    def device(self, serial: str) -> adbutils.AdbDevice:
        return self.client().device(serial)

    def adb(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run the adb client against this server (`adb -P PORT ARGS`)."""
        return subprocess.run(
            [self.binary, "-P", str(self.port), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def state(self, serial: str) -> str | None:
        """The device's state as adb lists it (device, offline, unauthorized...) or None."""
        return {d.serial: d.state for d in self.client().list()}.get(serial)

    def wait_for_state(
        self, serial: str, wanted: set[str | None], timeout: float = STATE_TIMEOUT
    ) -> str | None:
        deadline = time.monotonic() + timeout
        state = self.state(serial)
        while state not in wanted:
            if time.monotonic() > deadline:
                raise AssertionError(f"{serial} stayed {state!r}, expected one of {wanted}")
            time.sleep(0.02)
            state = self.state(serial)
        return state

    def wait_until(self, condition: Callable[[], bool], timeout: float = STATE_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met before the deadline")
            time.sleep(0.02)


def answers_version(port: int) -> bool:
    """Whether an adb server answers `host:version` on the port.

    Asked with a plain socket: adbutils, on a refused connection, would start a server of its
    own on the default port, which is exactly what the tests must never do.
    """
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"000chost:version")
            return sock.recv(4) == b"OKAY"
    except OSError:
        return False


def _die_with_parent() -> None:
    """In the child: stop when the test run stops, even when it is killed, so no adb server
    is left behind (Linux's PR_SET_PDEATHSIG)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_adb_server(home: Path) -> AdbServer:
    binary = bundled_adb()  # the one the app uses, never an adb found on PATH
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANDROID_", "ADB_"))}
    env.update(
        HOME=str(home),
        ANDROID_USER_HOME=str(home / ".android"),
        ADB_USB="0",
        ADB_EMU="0",
        ADB_MDNS="0",
    )
    for _attempt in range(3):
        server = AdbServer(free_port(), binary, env)
        log = (home / f"adb-{server.port}.log").open("wb")
        server.process = subprocess.Popen(
            [binary, "-P", str(server.port), "nodaemon", "server"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # prctl only: takes no lock, so it is safe even with other threads running
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while server.process.poll() is None and time.monotonic() < deadline:
            if answers_version(server.port):
                return server
            time.sleep(0.05)
        stop_adb_server(server)  # the port was taken in between, or it hung: try another
    raise RuntimeError(f"the adb server would not start; see the logs in {home}")


def stop_adb_server(server: AdbServer) -> None:
    process = server.process
    if process is None:
        return
    if process.poll() is None:
        server.adb("kill-server", timeout=15)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def adb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdbServer]:
    """The adb server every adb test in the session shares; stopped at the end."""
    server = start_adb_server(tmp_path_factory.mktemp("adb-home"))
    try:
        yield server
    finally:
        stop_adb_server(server)


PhoneFactory = Callable[..., SimulatedPhone]


@pytest.fixture
def sim_phone(adb_server: AdbServer) -> Iterator[PhoneFactory]:
    """`sim_phone("samsung-work-profile", latency_ms=0, ...)`: a started, connected phone.

    Waits until adb lists the phone as `device` (or `unauthorized` for an unauthorized
    phone); pass `connect=False` to only start it. Disconnected and stopped after the test.
    """
    phones: list[SimulatedPhone] = []

    def make(
        profile: str | Path | dict[str, Any] = "samsung-work-profile",
        *,
        connect: bool = True,
        **options: Any,
    ) -> SimulatedPhone:
        phone = SimulatedPhone(profile, **options).start()
        phones.append(phone)
        if connect:
            adb_server.client().connect(phone.address, timeout=10)
            wanted = "unauthorized" if options.get("unauthorized") else "device"
            adb_server.wait_for_state(phone.address, {wanted})
        return phone

    yield make
    client = adb_server.client()
    for phone in phones:
        client.disconnect(phone.address)
        phone.stop()
