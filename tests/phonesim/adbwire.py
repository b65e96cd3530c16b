"""The ADB transport's message framing, as adbd speaks it over TCP.

Every message is a 24-byte header (command, arg0, arg1, payload length, payload checksum, magic)
followed by the payload. The real adb server checks the magic always and the checksum only for
protocol versions before 0x01000001, so the checksum is computed only for a server that old
(adding up every byte of a 70 KB answer costs the simulated phone about 0.4 ms of CPU).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

A_SYNC = 0x434E5953
A_CNXN = 0x4E584E43
A_AUTH = 0x48545541
A_OPEN = 0x4E45504F
A_OKAY = 0x59414B4F
A_CLSE = 0x45534C43
A_WRTE = 0x45545257
A_STLS = 0x534C5453

# The version that lets both sides skip the payload checksum; we never claim more, so the server
# does not expect the delayed-ack flow control of later versions.
A_VERSION = 0x01000001
MAX_PAYLOAD = 256 * 1024

AUTH_TOKEN = 1
AUTH_SIGNATURE = 2
AUTH_RSAPUBLICKEY = 3
AUTH_TOKEN_SIZE = 20

HEADER = struct.Struct("<6I")

COMMAND_NAMES = {
    A_SYNC: "SYNC",
    A_CNXN: "CNXN",
    A_AUTH: "AUTH",
    A_OPEN: "OPEN",
    A_OKAY: "OKAY",
    A_CLSE: "CLSE",
    A_WRTE: "WRTE",
    A_STLS: "STLS",
}

# Shell protocol v2 packet ids (adb's shell_protocol.h).
SHELL_STDIN = 0
SHELL_STDOUT = 1
SHELL_STDERR = 2
SHELL_EXIT = 3
SHELL_CLOSE_STDIN = 4
SHELL_WINDOW_SIZE = 5


class ProtocolError(Exception):
    """The peer sent something that is not an ADB message."""


@dataclass(frozen=True)
class Message:
    command: int
    arg0: int
    arg1: int
    data: bytes = b""

    @property
    def name(self) -> str:
        return COMMAND_NAMES.get(self.command, f"0x{self.command:08x}")

    def pack(self, checksum: bool = True) -> bytes:
        """The message as sent; `checksum` False leaves the field 0 (protocol 0x01000001+)."""
        check = sum(self.data) & 0xFFFFFFFF if checksum else 0
        header = HEADER.pack(
            self.command,
            self.arg0 & 0xFFFFFFFF,
            self.arg1 & 0xFFFFFFFF,
            len(self.data),
            check,
            self.command ^ 0xFFFFFFFF,
        )
        return header + self.data


def parse_header(header: bytes) -> tuple[int, int, int, int]:
    """Return (command, arg0, arg1, payload length); raise ProtocolError on a bad magic."""
    if len(header) != HEADER.size:
        raise ProtocolError(f"short header: {len(header)} bytes")
    command, arg0, arg1, length, _checksum, magic = HEADER.unpack(header)
    if magic != command ^ 0xFFFFFFFF:
        raise ProtocolError(f"bad magic for command 0x{command:08x}")
    if length > 16 * 1024 * 1024:
        raise ProtocolError(f"payload of {length} bytes is too large")
    return command, arg0, arg1, length


def shell_packet(packet_id: int, data: bytes) -> bytes:
    """One shell-protocol-v2 packet: id byte, little-endian length, data."""
    return struct.pack("<BI", packet_id, len(data)) + data


def connect_banner(properties: dict[str, str], features: list[str]) -> bytes:
    """The device's CNXN payload: `adb devices -l` shows its product, model and device."""
    props = ";".join(
        f"{key}={properties.get(key, '')}"
        for key in ("ro.product.name", "ro.product.model", "ro.product.device")
    )
    return f"device::{props};features={','.join(features)}".encode("utf-8", "surrogateescape")
