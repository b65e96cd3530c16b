"""Whether an address is this computer, however a person spells it (audit/this_computer.py).

A simulator on the auditor's own machine must never read as a phone over the network: each
spelling here is one a reluctant staff member can type to `adb connect` or
USBMUXD_SOCKET_ADDRESS, and the system's own resolver (not a copy of its rules) is the judge of
what the spelling means.
"""

from __future__ import annotations

import ipaddress
import socket
import sys

import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.this_computer import loopback_anywhere, numeric_address, reaches_this_computer

# Every one of these reaches this computer through getaddrinfo, as adb and usbmuxd clients use it.
SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "127.0.1",
    "127.255.255.254",
    "0x7f.1",
    "0X7F.0.0.1",
    "0177.0.0.1",
    "0177.1",
    "127.000.000.001",
    "2130706433",
    "0x7f000001",
    "017700000001",
    "0",
    "0.0.0.0",
    "00",
    "0x0",
    "::",
    "[::]",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "[0:0::1]",
    "::ffff:127.0.0.1",
    "[::ffff:7f00:1]",
    "::ffff:0.0.0.0",
    "::127.0.0.1",
    "localhost",
    "LOCALHOST",
    "localhost.",
    "phone.localhost",
    " 127.1 ",
]

# Addresses of other machines: a phone on Wi-Fi, and spellings that look close but are not.
ELSEWHERE = [
    "198.51.100.7",
    "203.0.113.20",
    "0127.0.0.1",  # octal: 87.0.0.1
    "1.16777215",  # 1.255.255.255
    "2001:db8::7",
    "[2001:db8::7]",
    "::ffff:198.51.100.7",
    "64:ff9b::7f00:1",  # a NAT64 gateway's translation reaches the gateway, not this computer
]


def _own_addresses() -> list[str]:
    found = []
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            if entry.family in (socket.AF_INET, socket.AF_INET6):
                found.append(entry.address)
    return found


@pytest.mark.parametrize("host", SPELLINGS)
def test_every_spelling_of_this_computer_is_this_computer(host: str) -> None:
    assert reaches_this_computer(host)
    assert loopback_anywhere(host)


@pytest.mark.parametrize("host", ELSEWHERE)
def test_another_machine_s_address_is_not_this_computer(host: str) -> None:
    assert host.strip("[]") not in {a.split("%")[0] for a in _own_addresses()}
    assert not reaches_this_computer(host)
    assert not loopback_anywhere(host)


@pytest.mark.parametrize("host", _own_addresses())
def test_this_computer_s_own_network_addresses_are_this_computer(host: str) -> None:
    """`adb connect 192.168.1.5:5555` with 192.168.1.5 the laptop's own Wi-Fi address reaches
    the simulator on the laptop as surely as 127.0.0.1 does (also inside brackets, scoped or
    IPv4-mapped)."""
    assert reaches_this_computer(host)
    assert reaches_this_computer(f"[{host}]")
    address = ipaddress.ip_address(host.split("%", maxsplit=1)[0])
    if isinstance(address, ipaddress.IPv4Address):
        assert reaches_this_computer(f"::ffff:{address}")


def test_this_computer_s_own_name_is_this_computer() -> None:
    name = socket.gethostname()
    assert reaches_this_computer(name)
    assert reaches_this_computer(name.upper() + ".")


def test_what_needs_this_computer_to_tell_is_not_read_anywhere() -> None:
    """An address read from a receipt on another computer (the helpdesk's) can only be judged
    by its spelling: a card's address or a computer's name belong to the computer that made
    the receipt, not the one reading it."""
    own = [a for a in _own_addresses() if not ipaddress.ip_address(a.split("%")[0]).is_loopback]
    for host in own:
        assert not loopback_anywhere(host)
    assert not loopback_anywhere(socket.gethostname())


@pytest.mark.parametrize(
    "host", ["no-such-phone.invalid", "1.2.3.256", "127.0.0.1.", "a b", "", "[", "tél.example"]
)
def test_a_name_that_does_not_resolve_is_never_taken_for_another_machine(host: str) -> None:
    """adb reached the phone by that name, so it resolved when adb asked; not resolving now
    proves nothing about where it is."""
    assert reaches_this_computer(host, timeout=2.0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the C library's own reading")
@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet="0123456789abcdefxX.", min_size=1, max_size=20))
def test_a_number_is_read_the_way_the_system_resolver_reads_it(text: str) -> None:
    """The system's getaddrinfo (what adb connects with) is the reference, never a copy of it."""
    try:
        infos = socket.getaddrinfo(text, None, socket.AF_INET, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):  # Python refuses an empty label before asking
        system = None
    else:
        system = ipaddress.IPv4Address(infos[0][4][0])
    assert numeric_address(text) == system


@pytest.mark.parametrize(
    "text", ["::1", "::ffff:127.0.0.1", "fe80::1%lo", "2001:db8::7", "1::2::3"]
)
def test_an_ipv6_address_is_read_the_way_the_system_resolver_reads_it(text: str) -> None:
    try:
        infos = socket.getaddrinfo(text, None, socket.AF_INET6, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        system = None
    else:
        system = ipaddress.IPv6Address(str(infos[0][4][0]).split("%")[0])
    read = numeric_address(text)
    assert (None if read is None else ipaddress.ip_address(str(read).split("%")[0])) == system


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80))
def test_any_text_gives_an_answer_and_never_a_traceback(text: str) -> None:
    assert reaches_this_computer(text, timeout=0.2) in (True, False)
    assert loopback_anywhere(text) in (True, False)
    numeric_address(text)
