"""The fake adbd's wire format, spoken to directly over a socket (no adb server)."""

from __future__ import annotations

import socket

import pytest

from tests.phonesim import SimulatedPhone, adbwire
from tests.phonesim.adbwire import Message


def handshake(phone: SimulatedPhone, version: int) -> tuple[int, bytes]:
    """Send the host's CNXN with `version`; return the phone's CNXN checksum field and payload."""
    with socket.create_connection(("127.0.0.1", phone.port), timeout=10) as sock:
        banner = b"host::features=shell_v2\x00"
        sock.sendall(Message(adbwire.A_CNXN, version, 256 * 1024, banner).pack())
        header = b""
        while len(header) < adbwire.HEADER.size:
            header += sock.recv(adbwire.HEADER.size - len(header))
        command, _arg0, _arg1, length, checksum, _magic = adbwire.HEADER.unpack(header)
        assert command == adbwire.A_CNXN
        payload = b""
        while len(payload) < length:
            payload += sock.recv(length - len(payload))
    return checksum, payload


@pytest.mark.parametrize("version", [0x01000000, 0x01000001])
def test_payload_checksums_only_for_a_server_that_checks_them(version: int) -> None:
    with SimulatedPhone("pixel-tiktok-lite") as phone:
        checksum, payload = handshake(phone, version)
    assert payload.startswith(b"device::")
    expected = sum(payload) & 0xFFFFFFFF if version < adbwire.A_VERSION else 0
    assert checksum == expected
