"""The fake adbd: a TCP server the real adb server connects to with `adb connect HOST:PORT`.

It speaks the ADB transport (CNXN, AUTH, OPEN, OKAY, WRTE, CLSE) with the flow control of
protocol version 0x01000001: one WRTE in flight per stream until the host's OKAY. It serves the
`shell:` service in both forms (v1: raw bytes, exit status lost; v2: stdout, stderr and exit
packets), `exec:`, `abb:`/`abb_exec:` and `reboot:`; anything else is refused with a CLSE as
adbd refuses an unknown service.

Sockets get TCP_NODELAY: without it Nagle's algorithm and delayed ACKs add about 40 ms to every
command on loopback, which would swamp every timing taken against the simulator.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.phonesim import adbwire
from tests.phonesim.adbwire import Message
from tests.phonesim.commands import build_commands
from tests.phonesim.garbage import corrupt
from tests.phonesim.profiles import load_state
from tests.phonesim.shell import Output, Shell, decode
from tests.phonesim.state import PhoneState
from tests.phonesim.timing import Timing

log = logging.getLogger(__name__)

ACK_TIMEOUT = 30.0


def default_features(sdk: int) -> list[str]:
    """What adbd advertises in its CNXN banner; `shell_v2` is what keeps exit codes."""
    if sdk <= 25:
        return ["shell_v2", "cmd"]
    if sdk <= 28:
        return ["shell_v2", "cmd", "stat_v2", "fixed_push_mkdir"]
    return ["shell_v2", "cmd", "stat_v2", "ls_v2", "fixed_push_mkdir", "apex", "abb", "abb_exec"]


class SimulatedPhone:
    """A phone on a loopback port, serving a profile to the real adb server.

    `latency_ms` delays every command (service request) by that much (the round trip's own
    cost); `program_ms` overrides the profile's cost of each program run (timing.py);
    `drop_after=N` serves N shell commands, then drops the connection and behaves as if
    unplugged; `drop_once_at=N` drops every connection when the Nth command arrives (1: the
    first) but stays plugged in, as a USB link that resets: the adb server reconnects and the
    phone answers again; `garbage` damages every output; `unauthorized` answers like a phone
    whose owner has not tapped "Allow"
    (adb lists it as `unauthorized` until `authorize()`).

    For tests and benches: `commands` holds every command line received, in order (shell and
    exec lines as sent, `abb` requests as "cmd ..."); `bytes_sent` counts every byte written to
    the adb server, `output_bytes` the command output alone; `handshakes` counts connections
    that came online, so a reconnect by adb shows. `state` is the live phone model.
    """

    def __init__(
        self,
        profile: str | Path | dict[str, Any],
        *,
        latency_ms: float = 0,
        program_ms: float | None = None,
        drop_after: int | None = None,
        drop_once_at: int | None = None,
        garbage: bool = False,
        unauthorized: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.state: PhoneState = load_state(profile)
        self.latency_ms = latency_ms
        self.program_ms = program_ms  # None: the profile's own `program_ms`
        self.drop_after = drop_after
        self.drop_once_at = drop_once_at
        self.garbage = garbage
        self.host = host
        self.port = port
        self.commands: list[str] = []
        self.bytes_sent = 0  # every byte written to the adb server, headers included
        self.output_bytes = 0  # command output bytes (stdout and stderr) before framing
        self.handshakes = 0  # completed CNXN exchanges: reconnects show up here
        features = self.state.quirks.get("features")
        self.features = features.split(",") if features else default_features(self.state.sdk)
        self._commands = build_commands(self.state)
        self._authorized = not unauthorized
        self._unplugged = False
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: set[_Connection] = set()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def address(self) -> str:
        """The serial adb shows after `adb connect` (HOST:PORT)."""
        return f"{self.host}:{self.port}"

    @property
    def unplugged(self) -> bool:
        return self._unplugged

    def start(self) -> SimulatedPhone:
        listener = socket.create_server((self.host, self.port), reuse_port=False)
        listener.settimeout(0.5)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._thread = threading.Thread(
            target=self._accept_loop, name=f"phonesim-{self.port}", daemon=True
        )
        self._thread.start()
        log.debug("simulated phone %s serving %s", self.address, self.state.profile_id)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            _shutdown(self._listener)
        self._drop_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def __enter__(self) -> SimulatedPhone:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def unplug(self) -> None:
        """The cable is pulled: drop every connection and refuse new ones until `replug()`."""
        self._unplugged = True
        self._drop_all()

    def replug(self) -> None:
        """Plug back in (and switch USB debugging back on if a command had turned it off)."""
        with self.state.lock:
            self.state.settings[("global", "adb_enabled")] = "1"
        self._unplugged = False

    def authorize(self) -> None:
        """The owner taps "Allow" on "Allow USB debugging?": waiting connections come online."""
        self._authorized = True
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.authorized()

    def run(self, command: str | bytes) -> Output:
        """Run one command line on the phone directly, without adb (for tests and the demo).

        Not counted in `commands`, and no latency, garbage or drop applies; nothing sleeps:
        `elapsed_ms` of the answer says how long the phone's programs would have taken.
        """
        with self.state.lock:
            return self._shell().run(command)

    def timing(self) -> Timing:
        """A fresh cost model for one command line: the profile's `program_ms` and `cores`, and
        the quirks `background_jobs: none` (a shell that refuses `&` and subshells),
        `loops: none` (one without `while`, `for` and `case`) and `tmp: read-only` (no scratch
        files in /data/local/tmp)."""
        quirks = self.state.quirks
        return Timing.of(
            self.program_ms if self.program_ms is not None else self.state.program_ms,
            self.state.cores,
            jobs=quirks.get("background_jobs") != "none",
            tmp_writable=quirks.get("tmp") != "read-only",
            loops=quirks.get("loops") != "none",
        )

    def _shell(self) -> Shell:
        return Shell(self._commands, self.state.files, self.timing())

    # --- internals ----------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            if self._unplugged or self._stopping.is_set():
                _shutdown(sock)
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(None)
            connection = _Connection(self, sock)
            with self._lock:
                self._connections.add(connection)
            threading.Thread(
                target=connection.serve, name=f"phonesim-{self.port}-conn", daemon=True
            ).start()
        if self._listener is not None:
            self._listener.close()

    def _forget(self, connection: _Connection) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _drop_all(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.close()

    def _count_sent(self, count: int) -> None:
        with self._lock:
            self.bytes_sent += count

    def _execute(self, command: str) -> Output | None:
        """Run one service command as the phone would; None when the phone drops instead."""
        with self._lock:
            self.commands.append(command)
            count = len(self.commands)
        if self.drop_after is not None and count > self.drop_after:
            log.debug("simulated phone %s drops after %d commands", self.address, self.drop_after)
            self.unplug()
            return None
        if count == self.drop_once_at:
            log.debug("simulated phone %s drops its link once, at command %d", self.address, count)
            self._drop_all()
            return None
        if self.latency_ms > 0 and self._stopping.wait(self.latency_ms / 1000):
            return None
        with self.state.lock:
            out = self._shell().run(command)
        # The programs' time on the phone (timing.py), spent outside the lock: another command
        # line's programs run meanwhile on their own clock, as a phone's would.
        if out.elapsed_ms > 0 and self._stopping.wait(out.elapsed_ms / 1000):
            return None
        if self.garbage:
            out = corrupt(out, f"{self.state.profile_id}:{count}:{command}")
        with self._lock:
            self.output_bytes += sum(len(data) for _, data in out.chunks)
        return out

    def _after_command(self) -> None:
        if not self.state.adb_enabled and not self._unplugged:
            log.debug("simulated phone %s: USB debugging switched off", self.address)
            self.unplug()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@dataclass
class _Stream:
    local_id: int
    remote_id: int
    acked: threading.Event = field(default_factory=threading.Event)
    closed: bool = False


class _Connection:
    """One TCP connection from the adb server: a transport carrying many streams."""

    def __init__(self, phone: SimulatedPhone, sock: socket.socket) -> None:
        self.phone = phone
        self.sock = sock
        self.send_lock = threading.Lock()
        self.streams: dict[int, _Stream] = {}
        self.next_id = 1
        self.online = False
        self.awaiting_auth = False
        self.max_payload = adbwire.MAX_PAYLOAD
        self.checksums = True  # until the host's CNXN says it is new enough to skip them
        self.dead = False

    def close(self) -> None:
        self.dead = True
        for stream in list(self.streams.values()):
            stream.closed = True
            stream.acked.set()
        _shutdown(self.sock)

    def send(self, message: Message) -> bool:
        data = message.pack(self.checksums)
        with self.send_lock:
            if self.dead:
                return False
            try:
                self.sock.sendall(data)
            except OSError:
                self.dead = True
                return False
        self.phone._count_sent(len(data))
        return True

    def recv_exact(self, size: int) -> bytes | None:
        chunks = []
        while size:
            try:
                chunk = self.sock.recv(size)
            except OSError:
                return None
            if not chunk:
                return None
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def serve(self) -> None:
        try:
            while not self.dead:
                header = self.recv_exact(adbwire.HEADER.size)
                if header is None:
                    break
                try:
                    command, arg0, arg1, length = adbwire.parse_header(header)
                except adbwire.ProtocolError as error:
                    log.debug("simulated phone %s: %s", self.phone.address, error)
                    break
                data = self.recv_exact(length) if length else b""
                if data is None:
                    break
                self.handle(Message(command, arg0, arg1, data))
        finally:
            self.close()
            self.phone._forget(self)

    def handle(self, message: Message) -> None:
        if message.command == adbwire.A_CNXN:
            self.max_payload = max(1024, min(message.arg1, adbwire.MAX_PAYLOAD))
            self.checksums = message.arg0 < adbwire.A_VERSION
            if self.phone._authorized:
                self.connect()
            else:
                self.awaiting_auth = True
                self.send_token()
        elif message.command == adbwire.A_AUTH:
            if message.arg0 == adbwire.AUTH_SIGNATURE:
                self.send_token()  # no key of this host is trusted: ask again
            # AUTH_RSAPUBLICKEY: the phone shows its dialog and waits for the owner.
        elif self.online:
            self.handle_stream(message)

    def handle_stream(self, message: Message) -> None:
        if message.command == adbwire.A_OPEN:
            self.open(message)
            return
        stream = self.streams.get(message.arg1)
        if stream is None:
            return
        if message.command == adbwire.A_OKAY:
            stream.remote_id = message.arg0
            stream.acked.set()
        elif message.command == adbwire.A_WRTE:
            self.send(Message(adbwire.A_OKAY, stream.local_id, stream.remote_id))
        elif message.command == adbwire.A_CLSE:
            self.streams.pop(message.arg1, None)
            stream.closed = True
            stream.acked.set()

    def send_token(self) -> None:
        token = os.urandom(adbwire.AUTH_TOKEN_SIZE)
        self.send(Message(adbwire.A_AUTH, adbwire.AUTH_TOKEN, 0, token))

    def connect(self) -> None:
        banner = adbwire.connect_banner(self.phone.state.properties, self.phone.features)
        self.send(Message(adbwire.A_CNXN, adbwire.A_VERSION, adbwire.MAX_PAYLOAD, banner))
        self.online = True
        self.awaiting_auth = False
        with self.phone._lock:
            self.phone.handshakes += 1

    def authorized(self) -> None:
        if self.awaiting_auth and not self.dead:
            self.connect()

    def open(self, message: Message) -> None:
        local_id = self.next_id
        self.next_id += 1
        service = message.data.rstrip(b"\x00")
        stream = _Stream(local_id, message.arg0)
        self.streams[local_id] = stream
        threading.Thread(
            target=self.run_service,
            args=(stream, service),
            name=f"phonesim-{self.phone.port}-svc",
            daemon=True,
        ).start()

    def run_service(self, stream: _Stream, service: bytes) -> None:
        name, _, rest = service.partition(b":")
        kind, *options = name.split(b",")
        if kind in (b"shell", b"exec", b"abb", b"abb_exec"):
            if kind in (b"abb", b"abb_exec"):
                command = "cmd " + " ".join(decode(part) for part in rest.split(b"\x00"))
            else:
                command = decode(rest)
            protocol = b"v2" in options or kind == b"abb"
            self.ready(stream)
            out = self.phone._execute(command)
            if out is None:
                return
            if protocol:
                payload = b"".join(adbwire.shell_packet(fd, data) for fd, data in out.chunks)
                payload += adbwire.shell_packet(adbwire.SHELL_EXIT, bytes([out.status & 0xFF]))
            else:
                payload = out.merged
            self.write(stream, payload)
            self.finish(stream)
            self.phone._after_command()
        elif kind == b"reboot":
            self.ready(stream)
            self.phone._execute(("reboot " + decode(rest)).strip())
            self.finish(stream)
        else:
            # adbd refuses a service it cannot start with CLSE(0, remote id).
            self.streams.pop(stream.local_id, None)
            self.send(Message(adbwire.A_CLSE, 0, stream.remote_id))

    def ready(self, stream: _Stream) -> None:
        stream.acked.set()
        self.send(Message(adbwire.A_OKAY, stream.local_id, stream.remote_id))

    def write(self, stream: _Stream, payload: bytes) -> None:
        for start in range(0, len(payload), self.max_payload):
            if not stream.acked.wait(ACK_TIMEOUT) or stream.closed or self.dead:
                return
            stream.acked.clear()
            chunk = payload[start : start + self.max_payload]
            self.send(Message(adbwire.A_WRTE, stream.local_id, stream.remote_id, chunk))

    def finish(self, stream: _Stream) -> None:
        # Wait for the last WRTE's OKAY so the host has taken all data before the close.
        stream.acked.wait(ACK_TIMEOUT)
        if self.streams.pop(stream.local_id, None) is not None and not stream.closed:
            self.send(Message(adbwire.A_CLSE, stream.local_id, stream.remote_id))


def serve_forever(phone: SimulatedPhone) -> None:
    """Keep the calling thread alive while the phone serves (for `python -m tests.phonesim`)."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        phone.stop()
