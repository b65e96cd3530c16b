"""Running a shell command on a phone: the one thin I/O layer under the scan and the actions.

Everything above it (scan orchestration, fallbacks, actions) talks to the `Shell` protocol, so it
is tested with a small fake phone that interprets the same commands, and runs for real through
`AdbShell` over the adb server.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from typing import Protocol

from audit.errors import DeviceGone, DeviceNotAnswering
from audit.sources.android.connection import Adb, AdbError, ServerConnection, device_error
from audit.text import visible

log = logging.getLogger(__name__)

# shell protocol v2 packet ids (adb's shell_protocol.h)
_STDOUT = 1
_STDERR = 2
_EXIT = 3


@dataclass(frozen=True)
class ShellOutput:
    """What a command printed (stdout then stderr) and its exit status (None: unknown)."""

    output: bytes
    exit_code: int | None


class Shell(Protocol):
    """A phone's shell. `run` raises DeviceGone (or another DeviceError) when the phone goes."""

    def run(self, command: str) -> ShellOutput: ...


@dataclass
class ShellStats:
    """What a scan cost: shell invocations and bytes received (for the benchmark)."""

    commands: int = 0
    bytes_received: int = 0


class AdbShell:
    """A phone's shell through the adb server: one socket per command, a timeout on each read.

    Uses the shell v2 protocol when the phone offers it (separate exit status); otherwise the
    exit status is echoed after a random marker.
    """

    def __init__(self, adb: Adb, serial: str, *, timeout: float | None = None) -> None:
        self.adb = adb
        self.serial = serial
        self.timeout = adb.timeout if timeout is None else timeout
        self.stats = ShellStats()
        self._v2: bool | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AdbShell({self.serial!r}, {self.adb!r})"

    def _uses_v2(self) -> bool:
        if self._v2 is None:
            self._v2 = "shell_v2" in self.adb.features(self.serial)
        return self._v2

    def run(self, command: str) -> ShellOutput:
        v2 = self._uses_v2()
        conn = self.adb.transport(self.serial, self.timeout)
        try:
            result = self._run_v2(conn, command) if v2 else self._run_v1(conn, command)
        except AdbError as error:
            raise device_error(self.serial, str(error)) from error
        except TimeoutError as error:  # socket.timeout: connected, but no answer in time
            raise DeviceNotAnswering(
                self.serial,
                f"The phone {visible(self.serial)} stopped answering: a command got no answer for "
                f"{self.timeout:g} s.",
            ) from error
        except (OSError, EOFError) as error:  # the connection itself went: unplugged or reset
            log.info("phone %s: the connection went during a command: %s", self.serial, error)
            raise DeviceGone(
                self.serial, f"The phone {visible(self.serial)} was disconnected during a command."
            ) from error
        finally:
            conn.close()
        with self._lock:
            self.stats.commands += 1
            self.stats.bytes_received += len(result.output)
        return result

    def _run_v2(self, conn: ServerConnection, command: str) -> ShellOutput:
        conn.request(f"shell,v2,raw:{command}")
        stdout: list[bytes] = []
        stderr: list[bytes] = []
        while True:
            header = conn.read_exact(5)
            size = int.from_bytes(header[1:5], "little")
            data = conn.read_exact(size) if size else b""
            if header[0] == _STDOUT:
                stdout.append(data)
            elif header[0] == _STDERR:
                stderr.append(data)
            elif header[0] == _EXIT:
                return ShellOutput(b"".join(stdout) + b"".join(stderr), data[0] if data else None)

    def _run_v1(self, conn: ServerConnection, command: str) -> ShellOutput:
        marker = f"===DA:exit:{secrets.token_hex(4)}:"
        conn.request(f"shell:{command}; echo {marker}$?")
        output = conn.read_until_close()
        index = output.rfind(marker.encode())
        if index < 0:
            raise EOFError("the command's output ended before its exit status")
        code_text = output[index + len(marker) :].strip()
        return ShellOutput(output[:index], int(code_text) if code_text.isdigit() else None)
