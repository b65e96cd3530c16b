"""The adb server connection: port choice, device lists, and replacing an older server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit.errors import AdbUnavailable, DeviceGone, DeviceNoPermission, DeviceUnauthorized
from audit.model import DeviceState
from audit.sources.android.connection import (
    Adb,
    binary_version,
    bundled_adb,
    device_error,
    parse_device_list,
    resolve_port,
)
from audit.sources.android.guidance import device_state, guidance
from audit.sources.android.tracker import parse_track_block
from tests.helpers.phones import AdbServer


def test_port_from_argument_then_environment_then_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", "6001")
    assert resolve_port(7001) == 7001
    assert resolve_port(None) == 6001
    monkeypatch.delenv("ANDROID_ADB_SERVER_PORT")
    assert resolve_port(None) == 5037


def test_the_bundled_adb_is_found_and_knows_its_version() -> None:
    assert "adbutils" in bundled_adb()
    version = binary_version(bundled_adb())
    assert version is not None and version >= 39


def test_an_adb_first_on_path_is_never_the_one_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A distribution's adb (29, say) first on PATH is what adbutils.adb_path() would pick."""
    other = tmp_path / "adb"
    other.write_text("#!/bin/sh\necho 'Android Debug Bridge version 1.0.29'\n")
    other.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    assert shutil.which("adb") == str(other)
    assert bundled_adb() != str(other)
    assert Path(bundled_adb()).parent.name == "binaries"


def test_the_tests_adb_server_runs_the_apps_adb(adb_server: AdbServer) -> None:
    assert adb_server.binary == bundled_adb()
    assert Adb(adb_server.port, start=False).server_version() == binary_version(bundled_adb())


def test_talking_to_phones_never_imports_adbutils() -> None:
    """adbutils is asked only where its binary lies (see connection's docstring for why)."""
    code = (
        "import sys\n"
        "import audit.sources.android.scan, audit.sources.android.tracker\n"
        "import audit.sources.android.actions\n"
        "from audit.sources.android.connection import bundled_adb\n"
        "bundled_adb()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'adbutils'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_device_list_with_states_that_contain_spaces() -> None:
    text = (
        "R5CW31ABCDE            device usb:1-1 product:dm1qxxx model:SM_S911B device:dm1q "
        "transport_id:3\n"
        "ZY2243K7QN             unauthorized usb:1-2 transport_id:4\n"
        "0123456789ABCDEF       no permissions (missing udev rules? user is in the plugdev "
        "group); see [http://developer.android.com/tools/device.html] usb:1-3 transport_id:5\n"
        "127.0.0.1:40123        offline transport_id:6\n"
    )
    devices = parse_device_list(text)
    assert [(serial, state) for serial, state, _ in devices] == [
        ("R5CW31ABCDE", "device"),
        ("ZY2243K7QN", "unauthorized"),
        (
            "0123456789ABCDEF",
            "no permissions (missing udev rules? user is in the plugdev group); "
            "see [http://developer.android.com/tools/device.html]",
        ),
        ("127.0.0.1:40123", "offline"),
    ]
    assert devices[0][2]["model"] == "SM_S911B"
    assert [device_state(state) for _, state, _ in devices] == [
        DeviceState.READY,
        DeviceState.UNAUTHORIZED,
        DeviceState.NO_PERMISSION,
        DeviceState.OFFLINE,
    ]


def test_track_messages() -> None:
    assert parse_track_block("R5CW31ABCDE\tdevice\nZY22\tunauthorized\n") == {
        "R5CW31ABCDE": ("device", ""),
        "ZY22": ("unauthorized", ""),
    }
    long_form = "127.0.0.1:43809        device product:dm1qxxx model:SM_S911B transport_id:1\n"
    assert parse_track_block(long_form) == {"127.0.0.1:43809": ("device", "SM S911B")}
    assert parse_track_block("") == {}


def test_guidance_for_each_state() -> None:
    assert "tap Allow" in guidance(DeviceState.UNAUTHORIZED)
    assert "udev" in guidance(DeviceState.NO_PERMISSION)
    assert "recovery mode" in guidance(device_state("recovery"), "recovery")
    assert device_state("absent") is DeviceState.GONE


def test_server_errors_become_typed_device_errors() -> None:
    assert isinstance(device_error("X", "device 'X' not found"), DeviceGone)
    assert isinstance(
        device_error("X", "device unauthorized.\nThis adb server..."), DeviceUnauthorized
    )
    assert isinstance(device_error("X", "insufficient permissions for device"), DeviceNoPermission)


# --- an older adb server left running by another program -----------------------------------


class OldAdbServer:
    """Answers like an adb server of version 31 (platform-tools 26): host:version, host:kill.

    `stubborn` servers ignore host:kill, as a server held by another program's watchdog would.
    """

    def __init__(self, *, stubborn: bool = False) -> None:
        self.stubborn = stubborn
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.requests: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                try:
                    length = int(conn.recv(4), 16)
                    request = conn.recv(length).decode()
                except (OSError, ValueError):
                    continue
                self.requests.append(request)
                if request == "host:version":
                    conn.sendall(b"OKAY0004001f")
                elif request == "host:kill":
                    conn.sendall(b"OKAY")
                    if not self.stubborn:
                        self.listener.close()
                        return
                else:
                    message = b"unknown host service"
                    conn.sendall(b"FAIL" + f"{len(message):04x}".encode() + message)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def old_server() -> Iterator[OldAdbServer]:
    server = OldAdbServer()
    yield server
    server.close()


@pytest.mark.adb
def test_an_older_server_is_replaced_by_the_bundled_one(old_server: OldAdbServer) -> None:
    adb = Adb(old_server.port)
    try:
        adb.ensure_server()
        assert "host:kill" in old_server.requests
        assert adb.server_version() == binary_version(bundled_adb())
        assert adb.devices() == []
    finally:
        adb.kill_server()


@pytest.mark.adb
@pytest.mark.slow
def test_an_older_server_that_will_not_stop_is_explained() -> None:
    server = OldAdbServer(stubborn=True)
    try:
        with pytest.raises(AdbUnavailable) as raised:
            Adb(server.port).ensure_server()
        wanted = binary_version(bundled_adb())
        assert f"server version (31) doesn't match this client ({wanted})" in raised.value.message
        assert "Close other Android tools" in raised.value.next_step
    finally:
        server.close()


@pytest.mark.adb
def test_several_callers_starting_the_same_server_all_get_it() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    errors: list[Exception] = []

    def start() -> None:
        try:
            Adb(port).ensure_server()
        except Exception as error:
            errors.append(error)

    workers = [threading.Thread(target=start) for _ in range(4)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert errors == []
        assert Adb(port, start=False).server_version() == binary_version(bundled_adb())
    finally:
        Adb(port, start=False).kill_server()


def test_without_starting_no_server_is_an_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    with pytest.raises(AdbUnavailable, match="No adb server is running"):
        Adb(free, start=False).ensure_server()
