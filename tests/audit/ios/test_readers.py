"""The readers of what a phone or usbmuxd sends, fed real bytes over a real socket: a list
that lies about its end, a device list with junk in it. Each way a phone could make a partial
list look whole becomes a case here."""

from __future__ import annotations

import plistlib
import socket
import struct
import threading
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import AppState
from audit.sources.ios import apps
from audit.sources.ios.scan import inventory_from
from audit.sources.ios.usbmux import _device


def _browse(*answers: dict[str, Any], close: bool = True) -> apps.Browsed:
    """What our Browse makes of a phone that answers with these messages (then hangs up)."""
    ours, phone = socket.socketpair()
    ours.settimeout(5)

    def serve() -> None:
        with phone:
            size = struct.unpack(">I", phone.recv(4))[0]
            while size:
                size -= len(phone.recv(size))
            for answer in answers:
                payload = plistlib.dumps(answer)
                phone.sendall(struct.pack(">I", len(payload)) + payload)
            if close:
                phone.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=serve)
    thread.start()
    with ours:
        result = apps.InstallationProxy(ours).browse()
    thread.join()
    return result


def _entry(bundle: str, **more: Any) -> dict[str, Any]:
    return {"CFBundleIdentifier": bundle, "ApplicationType": "User", **more}


def test_a_list_that_says_complete_before_its_total_is_partial() -> None:
    browsed = _browse(
        {"Status": "BrowsingApplications", "Total": 3, "CurrentList": [_entry("a"), _entry("b")]},
        {"Status": "Complete"},
    )
    apps_found, report = inventory_from(browsed)
    assert len(apps_found) == 2
    assert report.status.value == "partial"
    assert "announced 3 apps but sent 2" in report.detail


def test_a_list_that_never_says_complete_is_partial() -> None:
    browsed = _browse({"Status": "BrowsingApplications", "CurrentList": [_entry("a")]})
    _, report = inventory_from(browsed)
    assert report.status.value == "partial" and "unplugged" in report.detail


def test_an_error_mid_list_keeps_what_came_and_says_why() -> None:
    browsed = _browse(
        {"Status": "BrowsingApplications", "CurrentList": [_entry("a")]},
        {"Error": "APIInternalError", "ErrorDescription": "out of memory"},
    )
    _, report = inventory_from(browsed)
    assert report.status.value == "partial"
    assert "APIInternalError (out of memory)" in report.detail


def test_nothing_readable_is_a_failed_source_not_an_empty_phone() -> None:
    _, report = inventory_from(_browse({"Status": "BrowsingApplications", "CurrentList": ["junk"]}))
    assert report.status.value == "failed"


def test_an_app_being_downloaded_again_is_not_absent() -> None:
    browsed = _browse(
        {"CurrentList": [_entry("com.zhiliaoapp.musically", IsPlaceholder=True)], "Total": 1},
        {"Status": "Complete"},
    )
    found, report = inventory_from(browsed)
    assert report.status.value == "ok"
    assert [a.state for a in found] == [AppState.OFFLOADED]


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(-5, 2**40), st.text(max_size=70)),
        lambda inner: st.dictionaries(
            st.sampled_from(
                [
                    "DeviceID",
                    "Properties",
                    "SerialNumber",
                    "ConnectionType",
                    "LocationID",
                    "ProductID",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        ),
        max_leaves=12,
    )
)
def test_any_device_record_is_a_device_or_nothing(record: object) -> None:
    device = _device(record)
    if device is not None:
        assert device.udid and len(device.udid) <= 64
        assert isinstance(device.device_id, int)
