"""The adb server: find it on its port, start it from the adb binary adbutils ships, talk to it.

Users install nothing: adbutils' wheel carries the adb binary. Every request is a socket to the
server (no adb process per command), with a timeout on every read so an unplugged phone never
hangs a worker. A server left running by another, older adb ("server version (31) doesn't match
this client (41)") is replaced by ours, the way adb itself does; if it cannot be, the error says
exactly what to do.

Why the project speaks the adb server protocol itself instead of through adbutils' client
(measured with adbutils 2.8, and the reason adbutils is only asked where its binary lies, never
imported at run time):
- adbutils' client starts a server on a refused connection with `adb start-server` WITHOUT the
  port it was given, so a private server on another port is never the one it starts (tests and
  benches would meet the user's own server on 5037);
- it sleeps 10 ms each time it closes a socket, which a scan of several commands pays each time;
- every shell command costs one more round trip (it asks for the features first, per command),
  where a scan here learns them once per phone;
- its device tracker blocks in a read that cannot be cancelled, so a window that closes or a
  cable pulled mid-read would leave a thread behind; ours reads with a timeout and a cancel check.
- `adbutils.adb_path()` prefers any adb on PATH (a distribution's adb 29, say) to its own binary,
  so the app and its tests could talk to two different adb versions: `bundled_adb` never does.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

from audit.errors import (
    AdbUnavailable,
    DeviceError,
    DeviceGone,
    DeviceNoPermission,
    DeviceOffline,
    DeviceUnauthorized,
)
from audit.i18n import _
from audit.model import Connection, ConnectionKind
from audit.text import visible
from audit.this_computer import reaches_this_computer

log = logging.getLogger(__name__)

DEFAULT_PORT = 5037
DEFAULT_HOST = "127.0.0.1"
CONNECT_TIMEOUT = 3.0
START_TIMEOUT = 20.0


def resolve_port(adb_port: int | None = None) -> int:
    """The adb server port: the argument, else ANDROID_ADB_SERVER_PORT, else 5037."""
    if adb_port is not None:
        return adb_port
    text = os.environ.get("ANDROID_ADB_SERVER_PORT", "").strip()
    if text.isdigit():
        return int(text)
    return DEFAULT_PORT


class AdbError(Exception):
    """The adb server answered FAIL (its words are the message) or something that is not adb."""


def bundled_adb() -> str:
    """The adb binary inside adbutils' wheel, never a different one found on PATH.

    Found without importing adbutils (its import pulls in its whole client, which the app does
    not use). Only where the wheel carries no binary for this platform (adbutils has none for
    some processors) is an adb on PATH used, and then that one everywhere, tests included.
    """
    name = "adb.exe" if os.name == "nt" else "adb"
    spec = importlib.util.find_spec("adbutils")
    folders = list(spec.submodule_search_locations or ()) if spec is not None else []
    for folder in folders:
        path = Path(folder) / "binaries" / name
        if path.is_file():
            return str(path)
    on_path = shutil.which(name)
    if on_path is not None:
        log.info("no adb comes with adbutils on this platform: using %s", on_path)
        return on_path
    where = (
        _("looked in {folders}").format(folders=", ".join(folders))
        if folders
        else _("the adbutils package is missing")
    )
    raise AdbUnavailable(
        _("The adb program that Device Audit brings with it is missing ({where}).").format(
            where=where
        ),
        _(
            "Reinstall Device Audit. On a computer for which none comes with it, install "
            "Android's platform tools so that 'adb' is on the PATH."
        ),
    )


@functools.cache
def binary_version(path: str) -> int | None:
    """41 for "Android Debug Bridge version 1.0.41": what `host:version` of its server says."""
    try:
        output = subprocess.run(
            [path, "version"],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
            **_no_window(),
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        log.info("cannot run %s: %s", path, error)
        return None
    match = re.search(r"version \d+\.\d+\.(\d+)", output)
    return int(match.group(1)) if match else None


_START_LOCKS: dict[tuple[str, int], threading.Lock] = {}
_START_LOCKS_GUARD = threading.Lock()


def _start_lock(host: str, port: int) -> threading.Lock:
    with _START_LOCKS_GUARD:
        return _START_LOCKS.setdefault((host, port), threading.Lock())


def _no_window() -> dict[str, Any]:
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NO_WINDOW}  # type: ignore[attr-defined]
    return {}


def device_error(serial: str, message: str) -> DeviceError:
    """The typed error for what the adb server said about a phone. The serial (typed by a
    person, or chosen by the phone) and the server's words (which echo it) are shown through
    `visible`: a right-to-left override or a terminal escape in them must not reach a screen."""
    lowered = message.lower()
    shown = visible(serial)
    if "not found" in lowered or "no devices" in lowered:
        return DeviceGone(
            serial, _("No phone with serial {serial} is connected.").format(serial=shown)
        )
    if "unauthorized" in lowered:
        return DeviceUnauthorized(
            serial,
            _("The phone {serial} has not allowed this computer to use USB debugging.").format(
                serial=shown
            ),
        )
    if "no permissions" in lowered or "insufficient permissions" in lowered:
        return DeviceNoPermission(
            serial, _("This computer may not open the phone {serial}.").format(serial=shown)
        )
    if "offline" in lowered or "authorizing" in lowered or "connecting" in lowered:
        return DeviceOffline(
            serial, _("The phone {serial} is connected but not answering.").format(serial=shown)
        )
    # Translators: {answer} is the adb server's own words (English, not translated).
    return DeviceError(
        serial,
        _("The adb server refused the phone {serial}: {answer}").format(
            serial=shown, answer=visible(message.strip())
        ),
    )


class ServerConnection:
    """One request socket to the adb server (the "smart socket" protocol), with timeouts."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        try:
            self.sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
        except OSError as error:
            raise AdbUnavailable(
                _("Cannot reach the adb server on port {port}: {error}.").format(
                    port=port, error=error
                )
            ) from error
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)

    def __enter__(self) -> ServerConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, request: str) -> None:
        data = request.encode("utf-8")
        self.sock.sendall(f"{len(data):04x}".encode("ascii") + data)

    def read_exact(self, size: int) -> bytes:
        """Exactly `size` bytes; EOFError when the server closes first (phone unplugged)."""
        chunks = []
        remaining = size
        while remaining:
            chunk = self.sock.recv(min(remaining, 65536))
            if not chunk:
                raise EOFError(
                    _("connection closed with {remaining} of {size} bytes unread").format(
                        remaining=remaining, size=size
                    )
                )
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def read_until_close(self) -> bytes:
        chunks = []
        while chunk := self.sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)

    def read_block(self) -> str:
        length = int(self.read_exact(4), 16)
        return self.read_exact(length).decode("utf-8", errors="replace")

    def expect_okay(self) -> None:
        """Raise AdbError with the server's words if it answered FAIL."""
        status = self.read_exact(4)
        if status == b"OKAY":
            return
        if status == b"FAIL":
            raise AdbError(self.read_block())
        raise AdbError(
            _("unexpected answer from the adb server: {answer}").format(answer=repr(status))
        )

    def request(self, request: str) -> None:
        self.send(request)
        self.expect_okay()


class Adb:
    """One adb server, on a configurable port; thread-safe, each request its own socket."""

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = DEFAULT_HOST,
        timeout: float = 30.0,
        start: bool = True,
    ) -> None:
        self.port = resolve_port(port)
        self.host = host
        self.timeout = timeout
        self._start = start
        self._ready = False

    def __repr__(self) -> str:
        return f"Adb(port={self.port})"

    # --- the server ------------------------------------------------------------------

    def connection(self, timeout: float | None = None) -> ServerConnection:
        """A new socket to the server, started first if needed."""
        self.ensure_server()
        return ServerConnection(self.host, self.port, self.timeout if timeout is None else timeout)

    def _server_version(self) -> int | None:
        """The running server's version, or None when nothing listens on the port."""
        try:
            with ServerConnection(self.host, self.port, CONNECT_TIMEOUT) as conn:
                conn.request("host:version")
                return int(conn.read_block(), 16)
        except AdbUnavailable:
            return None
        except (AdbError, OSError, EOFError, ValueError) as error:
            raise AdbUnavailable(
                _("Something on port {port} is not an adb server ({error}).").format(
                    port=self.port, error=visible(str(error))
                ),
                _("Close the program using that port, or choose another port with --adb-port."),
            ) from error

    def server_version(self) -> int:
        self.ensure_server()
        version = self._server_version()
        if version is None:
            raise AdbUnavailable(_("The adb server on port {port} stopped.").format(port=self.port))
        return version

    def ensure_server(self) -> None:
        """Start the bundled server if none runs; replace one older than the bundled adb."""
        if self._ready:
            return
        # One start at a time per port in this process: two Adb objects racing to start the
        # same server would see the loser's "address in use" as a failure.
        with _start_lock(self.host, self.port):
            if self._ready:
                return
            binary = bundled_adb()
            wanted = binary_version(binary)
            running = self._server_version()
            if running is not None and (wanted is None or running >= wanted):
                self._ready = True
                return
            if not self._start:
                raise AdbUnavailable(
                    _("No adb server is running on port {port}.").format(port=self.port)
                )
            if running is not None:
                log.info(
                    "adb server version %s on port %s is older than ours (%s): replacing it",
                    running,
                    self.port,
                    wanted,
                )
            try:
                self._start_server(binary)
            except AdbUnavailable:
                # Another program may have started a server meanwhile: use it if it answers.
                running = self._server_version()
                if running is None:
                    raise
            else:
                running = self._server_version()
            if running is None:
                raise AdbUnavailable(
                    _("The adb server did not start on port {port}.").format(port=self.port)
                )
            if wanted is not None and running < wanted:
                # Translators: the text in quotes is adb's own message: keep it in English.
                raise AdbUnavailable(
                    _(
                        "An older adb server (version {running}) from another program is running "
                        "on port {port} and would not make way for Device Audit's "
                        "(version {wanted}): \"adb server version ({running}) doesn't match this "
                        'client ({wanted})".'
                    ).format(running=running, port=self.port, wanted=wanted),
                    _(
                        "Close other Android tools (Android Studio, other phone managers), or run "
                        "'adb kill-server' with their adb, then try again. Or choose another "
                        "port with --adb-port."
                    ),
                )
            self._ready = True

    def _start_server(self, binary: str) -> None:
        try:
            result = subprocess.run(
                [binary, "-P", str(self.port), "start-server"],
                check=False,
                capture_output=True,
                text=True,
                timeout=START_TIMEOUT,
                stdin=subprocess.DEVNULL,
                **_no_window(),
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise AdbUnavailable(
                _("Could not start the adb server ({program}): {error}.").format(
                    program=binary, error=error
                )
            ) from error
        if result.returncode != 0:
            words = (result.stderr or result.stdout).strip().splitlines()
            said = (
                visible(words[-1])
                if words
                else _("exit status {status}").format(status=result.returncode)
            )
            raise AdbUnavailable(
                _("Could not start the adb server on port {port}: {answer}.").format(
                    port=self.port, answer=said
                )
            )

    def forget_server(self) -> None:
        """Check (and if need be start) the server again before the next request."""
        self._ready = False

    def kill_server(self) -> None:
        """Stop the server on this port (tests and benchmarks stop the servers they start)."""
        self._ready = False
        try:
            with ServerConnection(self.host, self.port, CONNECT_TIMEOUT) as conn:
                conn.request("host:kill")
        except (AdbUnavailable, AdbError, OSError, EOFError):
            pass

    # --- host services ---------------------------------------------------------------

    def host_request(self, request: str) -> str:
        """A host service that answers one length-prefixed block (devices-l, connect...)."""
        with self.connection() as conn:
            try:
                conn.request(request)
                return conn.read_block()
            except (OSError, EOFError) as error:
                raise AdbUnavailable(
                    _("The adb server stopped answering: {error}.").format(error=error)
                ) from error

    def devices(self) -> list[tuple[str, str, dict[str, str]]]:
        """(serial, raw state, tags) of every phone the server knows, however it is."""
        text = self.host_request("host:devices-l")
        return parse_device_list(text)

    def reached(self, serial: str) -> Connection | None:
        """How the server reaches the phone `serial` now (see `reached_by`); None when the
        server does not list it."""
        for listed, _state, tags in self.devices():
            if listed == serial:
                return reached_by(serial, tags)
        return None

    def connect_device(self, address: str) -> str:
        """`adb connect host:port`, for the simulated phone and phones over Wi-Fi."""
        return self.host_request(f"host:connect:{address}")

    def disconnect_device(self, address: str) -> str:
        try:
            return self.host_request(f"host:disconnect:{address}")
        except AdbError as error:
            return str(error)

    def features(self, serial: str) -> frozenset[str]:
        try:
            text = self.host_request(f"host-serial:{serial}:features")
        except AdbError as error:
            raise device_error(serial, str(error)) from error
        return frozenset(f.strip() for f in text.split(",") if f.strip())

    def transport(self, serial: str, timeout: float | None = None) -> ServerConnection:
        """A socket switched to the phone's transport, ready for one service request."""
        conn = self.connection(timeout)
        try:
            conn.request(f"host:transport:{serial}")
        except AdbError as error:
            conn.close()
            raise device_error(serial, str(error)) from error
        except (OSError, EOFError) as error:
            conn.close()
            raise DeviceGone(
                serial,
                _("The adb server dropped the phone {serial}: {error}.").format(
                    serial=visible(serial), error=error
                ),
            ) from error
        return conn


_TAG = re.compile(r"(usb|product|model|device|transport_id):\S*")


def parse_device_list(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """`host:devices-l` lines: serial, state (which may contain spaces), then key:value tags."""
    devices = []
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) != 2:
            continue
        serial, rest = parts
        words = rest.split()
        tags: dict[str, str] = {}
        while words and _TAG.fullmatch(words[-1]):
            key, _colon, value = words.pop().partition(":")
            tags[key] = value
        devices.append((serial, " ".join(words), tags))
    return devices


# --- how a phone is reached ---------------------------------------------------------------

# adb names an emulator it found on this computer's ports "emulator-<console port>".
_EMULATOR = re.compile(r"emulator-\d{1,5}")
# Wireless debugging found by mDNS: "adb-<serial>-<id>._adb-tls-connect._tcp" (and the pairing-free
# "._adb._tcp"), with or without the final dot.
_MDNS = re.compile(r"[^\s]+\._adb(?:-tls-connect)?\._tcp\.?")
_HOST_PORT = re.compile(
    r"(?P<host>\[[0-9A-Fa-f:.]+(?:%[^\s\[\]]+)?\]|[^\s:\[\]]+):(?P<port>\d{1,5})"
)


def reached_by(serial: str, tags: dict[str, str]) -> Connection:
    """How the adb server reaches the phone, from its `host:devices-l` line, never from the phone.

    The server prints `usb:<path>` for a phone on a USB cable (Linux, macOS); a transport it
    opened over TCP is named by it HOST:PORT (`adb connect`), by an mDNS service name (wireless
    debugging) or emulator-NNNN (an emulator on this computer). A phone can choose its USB serial
    number, so a serial that looks like an address is read as one: the reading errs towards
    "not a cable". What is left is a USB phone whose server gives no path (adb on Windows).
    A HOST:PORT whose host reaches this computer in any spelling adb accepts (127.1, 0.0.0.0,
    its own name or address: audit.this_computer) is loopback, never the network.
    """
    info = {key: tags.get(key, "") for key in ("product", "model", "device")}
    usb_path = tags.get("usb", "")
    if usb_path:
        return Connection(ConnectionKind.USB, usb_path=usb_path, **info)
    if _EMULATOR.fullmatch(serial):
        return Connection(ConnectionKind.EMULATOR, address=serial, **info)
    if _MDNS.fullmatch(serial):
        return Connection(ConnectionKind.NETWORK, address=serial, **info)
    host_port = _HOST_PORT.fullmatch(serial)
    if host_port is not None:
        local = reaches_this_computer(host_port["host"])
        kind = ConnectionKind.LOOPBACK if local else ConnectionKind.NETWORK
        return Connection(kind, address=serial, **info)
    if ":" in serial or not serial.strip() or any(c.isspace() for c in serial):
        # Not a name adb gives a USB phone (vsock:3:5555, an odd transport): never a cable.
        return Connection(ConnectionKind.NETWORK, address=serial or "?", **info)
    return Connection(ConnectionKind.USB, **info)
