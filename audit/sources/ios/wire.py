"""Where usbmuxd listens, and the two framings spoken through it.

usbmuxd (Linux daemon, Apple Mobile Device Service on Windows, built into macOS) listens on a
unix socket, /var/run/usbmuxd, or on Windows on TCP 127.0.0.1:27015. `USBMUXD_SOCKET_ADDRESS`
(a unix socket path or HOST:PORT) overrides it, as libimobiledevice and pymobiledevice3 read
it, so any usbmuxd-compatible daemon or simulator can stand in.

Every message is bounded (a phone, or whatever answers as one, cannot make us allocate more
than MAX_MESSAGE) and must be a plist dictionary: anything else is a clear error, never a crash.
"""

from __future__ import annotations

import os
import plistlib
import socket
import struct
import sys
from dataclasses import dataclass
from typing import Any

from audit.errors import AuditError
from audit.i18n import _
from audit.text import visible

ENV = "USBMUXD_SOCKET_ADDRESS"
UNIX_DEFAULT = "/var/run/usbmuxd"
WINDOWS_DEFAULT = ("127.0.0.1", 27015)
MAX_MESSAGE = 16 * 1024 * 1024  # a Browse chunk of a few dozen apps is tens of kilobytes
TIMEOUT = 20.0  # seconds without a byte before a phone counts as not answering

_MUX_HEADER = struct.Struct("<IIII")  # length (header included), version, message type, tag
_MUX_PLIST_VERSION = 1
_MUX_PLIST_MESSAGE = 8
_LENGTH = struct.Struct(">I")


class WireError(AuditError):
    """What came over the wire could not be understood (or stopped coming)."""


class UsbmuxdMissing(AuditError):
    """Nothing listens where usbmuxd should: the piece of Apple's USB support is not installed
    or not running (the words per system are in guidance.usbmuxd_missing)."""


@dataclass(frozen=True)
class Address:
    """Where usbmuxd listens: a unix socket path, or a TCP host and port."""

    path: str = ""
    host: str = ""
    port: int = 0

    @property
    def tcp(self) -> bool:
        return not self.path

    def __str__(self) -> str:
        return self.path or f"{self.host}:{self.port}"


def usbmuxd_address(environ: dict[str, str] | None = None, platform: str = "") -> Address:
    """USBMUXD_SOCKET_ADDRESS when set (a path, or HOST:PORT), else the system's default."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV, "").strip()
    if raw:
        return parse_address(raw)
    if (platform or sys.platform).startswith("win"):
        return Address(host=WINDOWS_DEFAULT[0], port=WINDOWS_DEFAULT[1])
    return Address(path=UNIX_DEFAULT)


def parse_address(raw: str) -> Address:
    """A unix socket path, or HOST:PORT (the last colon splits, so [::1]:27015 works too)."""
    if raw.startswith(("/", ".")) or ":" not in raw:
        return Address(path=raw)
    host, _colon, port = raw.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise AuditError(
            _("{setting} is set to {value}, which is neither a socket path nor HOST:PORT.").format(
                setting=ENV, value=repr(raw)
            ),
            _(
                "Set {setting} to a path such as /var/run/usbmuxd or to an address such as "
                "127.0.0.1:27015, or unset it."
            ).format(setting=ENV),
        )
    return Address(host=host.strip("[]"), port=int(port))


def connect(address: Address, timeout: float = TIMEOUT) -> socket.socket:
    """A socket to usbmuxd; UsbmuxdMissing when nothing listens there."""
    try:
        if address.tcp:
            sock = socket.create_connection((address.host, address.port), timeout=timeout)
        else:
            if not hasattr(socket, "AF_UNIX"):
                raise OSError("unix sockets are not available here")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(address.path)
            except OSError:
                sock.close()
                raise
    except OSError as error:
        from audit.sources.ios.guidance import usbmuxd_missing

        raise UsbmuxdMissing(
            _("iPhones cannot be reached: nothing answers at {address} ({problem}).").format(
                address=visible(str(address)), problem=error.strerror or error
            ),
            usbmuxd_missing(address),
        ) from None
    return sock


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    """`size` bytes, or WireError when the other side closes or goes quiet first."""
    data = bytearray()
    while len(data) < size:
        try:
            chunk = sock.recv(min(size - len(data), 1 << 20))
        except TimeoutError:
            raise WireError(_("The phone stopped answering.")) from None
        except OSError as error:
            raise WireError(_broke(error)) from None
        if not chunk:
            raise WireError(_("The phone closed the connection (was it unplugged?)."))
        data += chunk
    return bytes(data)


def loads(payload: bytes) -> dict[str, Any]:
    """A plist dictionary from bytes (XML or binary); WireError for anything else."""
    try:
        value = plistlib.loads(payload)
    except Exception as error:  # plistlib raises several kinds for damaged input
        raise WireError(
            _("The phone sent something that is not a property list ({problem}).").format(
                problem=error
            )
        ) from None
    if not isinstance(value, dict):
        raise WireError(
            _("The phone sent a {kind} where a dictionary belongs.").format(
                kind=type(value).__name__
            )
        )
    return value


def _broke(error: OSError) -> str:
    return _("The connection to the phone broke ({problem}).").format(problem=error)


def send_all(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError as error:
        raise WireError(_broke(error)) from None


# --- usbmuxd's framing ------------------------------------------------------------------------


def mux_packet(tag: int, message: dict[str, Any]) -> bytes:
    payload = plistlib.dumps(message)
    size = _MUX_HEADER.size + len(payload)
    header = _MUX_HEADER.pack(size, _MUX_PLIST_VERSION, _MUX_PLIST_MESSAGE, tag)
    return header + payload


def read_mux(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    """One usbmuxd message: its tag and its plist."""
    length, version, kind, tag = _MUX_HEADER.unpack(recv_exactly(sock, _MUX_HEADER.size))
    if length < _MUX_HEADER.size or length > MAX_MESSAGE:
        raise WireError(
            _("usbmuxd sent a message of impossible length {length}.").format(length=length)
        )
    payload = recv_exactly(sock, length - _MUX_HEADER.size)
    if version != _MUX_PLIST_VERSION or kind != _MUX_PLIST_MESSAGE:
        raise WireError(
            _("usbmuxd answered in its old binary protocol ({version}/{kind}).").format(
                version=version, kind=kind
            )
        )
    return tag, loads(payload)


# --- lockdown's and its services' framing --------------------------------------------------


def send_plist(sock: socket.socket, message: dict[str, Any]) -> None:
    payload = plistlib.dumps(message)
    send_all(sock, _LENGTH.pack(len(payload)) + payload)


def read_plist(sock: socket.socket) -> dict[str, Any]:
    (length,) = _LENGTH.unpack(recv_exactly(sock, _LENGTH.size))
    if length > MAX_MESSAGE:
        raise WireError(
            _("The phone announced a message of {length} bytes, more than any answer.").format(
                length=length
            )
        )
    return loads(recv_exactly(sock, length))
