"""Whether an address a phone was reached at is this computer, however it is spelled.

A receipt says "reached from a program on this computer" (loopback) for a phone simulator or an
emulator on the auditor's own machine, and the history holds such a receipt. adb and usbmuxd
hand the host a person typed to the system's resolver, which reaches this computer for far more
spellings than 127.0.0.1: the short and numeric IPv4 forms (127.1, 0x7f.1, 0177.0.0.1,
2130706433), the unspecified address (0.0.0.0, 0, ::), IPv6 forms (::1, ::ffff:127.0.0.1), the
computer's own name and the addresses of its own network cards. Reading only the usual spelling
let a simulator pass as a phone over the network (tests/review_s5/test_loopback_spellings.py).

So the reading errs towards "this computer": a numeric address is read the way the resolver
reads it; a name is asked of the resolver, with a time limit (it can block), and a name that does
not answer in time or at all is not proof of being elsewhere, so it counts as this computer.
What stays open: a name whose resolver answers differently from one moment to the next (a hosts
file edited, or a DNS server that answers 127.0.0.1 to adb and another address to us) is read as
the resolver answers now.

One function serves the adb reading (audit.sources.android.connection) and the usbmuxd reading
(audit.sources.ios.scan); no Qt here.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
import time

log = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

RESOLVE_TIMEOUT = 1.0  # seconds a name may take to resolve before it counts as this computer
_REMEMBER = 10.0  # seconds a name's answer is kept: the device list and queue ask on each refresh

# Patterns, compiled on first use (re keeps them) so that importing this module stays cheap.
# One part of an IPv4 address as inet_aton and getaddrinfo read it: hex, octal or decimal.
_PART = r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*"
# A name the resolver may look up: letters, digits, '-' and '_' in dot-separated labels.
_NAME = r"[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*\.?"
# The most each of 1, 2, 3 or 4 parts may hold (the last part fills the bytes left).
_LIMITS = {
    1: (0xFFFFFFFF,),
    2: (0xFF, 0xFFFFFF),
    3: (0xFF, 0xFF, 0xFFFF),
    4: (0xFF, 0xFF, 0xFF, 0xFF),
}


def reaches_this_computer(host: str, *, timeout: float = RESOLVE_TIMEOUT) -> bool:
    """Whether connecting to `host` (as typed: "127.1", "[::1]", "LOCALHOST.", "my-laptop")
    may reach this computer: True unless it is an address, or a name that resolves only to
    addresses, that belong to another machine. Never raises, whatever the text."""
    name = _bare(host)
    if loopback_anywhere(name):
        return True
    address = numeric_address(name)
    if address is not None:
        return _own(address)
    if _is_own_name(name) or not re.fullmatch(_NAME, name) or len(name) > 253:
        # A name no resolver would look up: adb reached it some other way, so it is never
        # read as better than this computer.
        return True
    answers = _resolve(name.rstrip("."), timeout)
    if answers is None:
        return True
    return not answers or any(loopback_address(a) or _own(a) for a in answers)


def loopback_anywhere(host: str) -> bool:
    """Whether `host` names the computer it is used on, whichever computer that is: any
    spelling of a loopback or unspecified address, or localhost. Needs no resolver and no
    network card, so it can be asked of an address read from a receipt on another computer."""
    name = _bare(host)
    plain = name.rstrip(".")
    if plain == "localhost" or plain.endswith(".localhost"):
        return True
    address = numeric_address(name)
    return address is not None and loopback_address(address)


def numeric_address(text: str) -> Address | None:
    """The address `text` spells as the resolver reads a number (no lookup): dotted IPv4 in
    the inet_aton forms (127.1, 0x7f.0.0.1, 0177.0.0.1, 2130706433) or IPv6 (zone allowed);
    None for anything else."""
    name = _bare(text)
    ipv4 = _ipv4(name)
    if ipv4 is not None:
        return ipv4
    if ":" not in name:
        return None
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None
    return address


def loopback_address(address: Address) -> bool:
    """Loopback (127.0.0.0/8, ::1) or unspecified (0.0.0.0, ::: a connection to it reaches
    this computer), also inside an IPv6 form (::ffff:127.0.0.1, ::127.0.0.1)."""
    if address.is_loopback or address.is_unspecified:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or _ipv4_compatible(address)
        return inner is not None and (inner.is_loopback or inner.is_unspecified)
    return False


def _bare(host: str) -> str:
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    return name


def _ipv4(text: str) -> ipaddress.IPv4Address | None:
    parts = text.split(".")
    limits = _LIMITS.get(len(parts))
    if limits is None or not all(re.fullmatch(_PART, part) for part in parts):
        return None
    values = [_number(part) for part in parts]
    if any(value > limit for value, limit in zip(values, limits, strict=True)):
        return None
    leading = sum(value << (8 * (3 - index)) for index, value in enumerate(values[:-1]))
    return ipaddress.IPv4Address(leading + values[-1])


def _number(part: str) -> int:
    if part[:2] in ("0x", "0X"):
        return int(part[2:], 16)
    if part.startswith("0"):
        return int(part, 8)
    return int(part)


def _ipv4_compatible(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside a deprecated ::a.b.c.d form; None for any other address."""
    value = int(address)
    return ipaddress.IPv4Address(value) if value >> 32 == 0 else None


def _unscoped(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return ipaddress.IPv6Address(str(address).split("%", 1)[0])
    return address


def _own(address: Address) -> bool:
    """Loopback, or an address of one of this computer's network cards (its Wi-Fi address
    reaches it as surely as 127.0.0.1 does)."""
    if loopback_address(address):
        return True
    plain = _unscoped(address)
    if isinstance(plain, ipaddress.IPv6Address) and plain.ipv4_mapped is not None:
        plain = plain.ipv4_mapped
    return plain in _own_addresses()


def _own_addresses() -> frozenset[Address]:
    try:
        import psutil

        cards = psutil.net_if_addrs()
    except Exception as error:  # a system psutil cannot read: no own addresses
        log.info("cannot list this computer's network addresses: %s", error)
        return frozenset()
    found: set[Address] = set()
    for entries in cards.values():
        for entry in entries:
            if entry.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            try:
                found.add(ipaddress.ip_address(entry.address.split("%", 1)[0]))
            except ValueError:
                continue
    return frozenset(found)


def _is_own_name(name: str) -> bool:
    """This computer's own name ("vm", "laptop-42", "laptop-42.corp.example")."""
    try:
        own = socket.gethostname().lower().rstrip(".")
    except OSError:
        return False
    plain = name.rstrip(".")
    return bool(own) and (
        plain == own or plain == own.split(".", 1)[0] or plain.split(".", 1)[0] == own
    )


_ANSWERS: dict[str, tuple[float, tuple[Address, ...] | None]] = {}
_ANSWERS_LOCK = threading.Lock()


def _resolve(name: str, timeout: float) -> tuple[Address, ...] | None:
    """The addresses the resolver gives `name`, or None when it gives none in `timeout` (a
    lookup can hang on a dead DNS server: it runs on a thread that is left to finish)."""
    now = time.monotonic()
    with _ANSWERS_LOCK:
        kept = _ANSWERS.get(name)
        if kept is not None and now - kept[0] < _REMEMBER:
            return kept[1]
    box: list[tuple[Address, ...] | None] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
            box.append(tuple(_parsed(str(info[4][0])) for info in infos))
        except (OSError, UnicodeError, ValueError) as error:
            log.info("%r does not resolve: %s", name, error)
            box.append(None)
        finally:
            done.set()

    try:
        threading.Thread(target=lookup, name="resolve", daemon=True).start()
    except RuntimeError as error:  # no thread to be had: the name is not looked up
        log.info("cannot look up %r: %s", name, error)
        return None
    answer = box[0] if done.wait(timeout) and box else None
    with _ANSWERS_LOCK:
        if len(_ANSWERS) > 256:
            _ANSWERS.clear()
        _ANSWERS[name] = (time.monotonic(), answer)
    return answer


def _parsed(text: str) -> Address:
    return ipaddress.ip_address(text.split("%", 1)[0])
