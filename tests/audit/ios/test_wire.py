"""Where usbmuxd is, and the readers of what comes over the wire: bounded, fuzzed, and never
keeping the buyer's Apple ID."""

from __future__ import annotations

import contextlib
import plistlib
import socket
import struct
from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.errors import AuditError
from audit.model import AppState, IdentifierKind
from audit.sources.ios import apps
from audit.sources.ios.wire import (
    Address,
    WireError,
    mux_packet,
    parse_address,
    read_mux,
    read_plist,
    usbmuxd_address,
)

T = TypeVar("T")


def test_address_from_the_environment_or_the_system() -> None:
    assert usbmuxd_address({}, "linux") == Address(path="/var/run/usbmuxd")
    assert usbmuxd_address({}, "darwin") == Address(path="/var/run/usbmuxd")
    assert usbmuxd_address({}, "win32") == Address(host="127.0.0.1", port=27015)
    env = {"USBMUXD_SOCKET_ADDRESS": "127.0.0.1:5000"}
    assert usbmuxd_address(env, "linux") == Address(host="127.0.0.1", port=5000)
    env = {"USBMUXD_SOCKET_ADDRESS": "/tmp/mux.sock"}
    assert usbmuxd_address(env, "win32") == Address(path="/tmp/mux.sock")
    assert parse_address("[::1]:27015") == Address(host="::1", port=27015)


@pytest.mark.parametrize("raw", ["host:99999", "host:port", ":27015"])
def test_a_mistyped_address_is_named(raw: str) -> None:
    with pytest.raises(AuditError, match="USBMUXD_SOCKET_ADDRESS") as caught:
        parse_address(raw)
    assert "unset it" in caught.value.next_step


def _fed(data: bytes, reader: Callable[[socket.socket], T]) -> T:
    """What `reader` makes of `data` coming over a socket that then closes."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(data)
        theirs.shutdown(socket.SHUT_WR)
        ours.settimeout(2)
        return reader(ours)


def test_a_usbmuxd_message_round_trips() -> None:
    answer = _fed(mux_packet(7, {"MessageType": "Result", "Number": 0}), read_mux)
    assert answer == (7, {"MessageType": "Result", "Number": 0})


def test_an_impossible_length_is_refused_before_reading_it() -> None:
    with pytest.raises(WireError, match="more than any answer"):
        _fed(struct.pack(">I", 0xFFFFFFF0), read_plist)
    with pytest.raises(WireError, match="impossible length"):
        _fed(struct.pack("<IIII", 3, 1, 8, 1), read_mux)


def test_a_plist_that_is_not_a_dictionary_is_refused() -> None:
    payload = plistlib.dumps(["not", "a", "dict"])
    with pytest.raises(WireError, match="list where a dictionary"):
        _fed(struct.pack(">I", len(payload)) + payload, read_plist)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_message_or_a_wire_error(data: bytes) -> None:
    for reader in (read_plist, read_mux):
        with contextlib.suppress(WireError):
            _fed(data, reader)


def _metadata(**fields: object) -> bytes:
    return plistlib.dumps(fields, fmt=plistlib.FMT_BINARY)


def test_only_the_store_id_and_seller_are_kept_from_itunes_metadata() -> None:
    entry = {
        "CFBundleIdentifier": "com.zhiliaoapp.musically",
        "CFBundleDisplayName": "TikTok",
        "ApplicationType": "User",
        "IsDemotedApp": True,
        "iTunesMetadata": _metadata(
            itemId=835599320,
            artistName="TikTok Ltd.",
            appleId="sam.staff@parliament.example.nz",
            **{"com.apple.iTunesStore.downloadInfo": {"accountInfo": {"DSPersonID": 42}}},
        ),
    }
    app = apps.to_app(entry)
    assert app is not None
    assert app.state is AppState.OFFLOADED
    assert app.publisher == "TikTok Ltd."
    assert [(i.kind, i.value) for i in app.other_ids] == [(IdentifierKind.APPSTORE_ID, "835599320")]
    assert "sam.staff" not in repr(app) and "42" not in repr(app.other_ids)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*apps.ATTRIBUTES, "Other"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=40),
            st.binary(max_size=60),
            st.builds(
                _metadata, itemId=st.one_of(st.integers(-(2**63), 2**63 - 1), st.text(max_size=20))
            ),
        ),
    )
)
def test_any_entry_becomes_an_app_or_nothing(entry: dict[str, object]) -> None:
    app = apps.to_app(entry)
    if app is None:
        return
    assert app.identifier == entry["CFBundleIdentifier"]
    assert app.kind is IdentifierKind.IOS_BUNDLE
    assert app.state in (AppState.INSTALLED, AppState.OFFLOADED)
    assert len(app.name) <= 500 and len(app.publisher) <= 500
    for other in app.other_ids:
        assert other.value.isdigit() and int(other.value) > 0
