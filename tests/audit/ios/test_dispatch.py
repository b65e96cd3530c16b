"""`--device X`: iPhone or Android is decided by asking usbmuxd and the adb server which of them
has X, never from the look of X. Through the simulated usbmuxd, the real adb server and the
simulated Android phone (tests/phonesim)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from audit.cli import main
from audit.errors import DeviceGone
from audit.model import DeviceKind
from audit.sources.phones import AmbiguousDevice, route
from tests.audit.ios.conftest import Start
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.iossim.daemon import SimulatedIPhone
from tests.iossim.profiles import load

OFFLOADED = "00008120-000C45A21E38C01E"
LOOKS_LIKE_A_UDID = "a3f1" * 10  # 40 hex digits: an Android serial may be anything


def iphone_named(udid: str, profile: str = "tiktok-offloaded") -> SimulatedIPhone:
    base = load(profile)
    values = dict(base.values, UniqueDeviceID=udid)
    return SimulatedIPhone(dataclasses.replace(base, udid=udid, values=values))


def test_the_look_of_a_serial_names_no_iphone() -> None:
    from audit.addresses import is_iphone

    assert not is_iphone(OFFLOADED)  # a bare UDID: only usbmuxd can say
    assert not is_iphone(LOOKS_LIKE_A_UDID)
    assert is_iphone("ios:" + OFFLOADED)
    for android in ("R58M123ABC", "emulator-5554", "127.0.0.1:5555"):
        assert not is_iphone(android)


def test_a_udid_shaped_serial_usbmuxd_does_not_list_goes_to_adb(iphones: Start) -> None:
    iphones("tiktok-offloaded")
    where = route(LOOKS_LIKE_A_UDID)
    assert where.kind is DeviceKind.ANDROID and where.target == LOOKS_LIKE_A_UDID


def test_a_bare_udid_usbmuxd_lists_is_the_iphone(iphones: Start) -> None:
    iphones("tiktok-offloaded")
    where = route(OFFLOADED)
    assert where.kind is DeviceKind.IOS and where.target == "ios:" + OFFLOADED


def test_without_usbmuxd_a_udid_goes_to_adb_and_says_why(tmp_path: Path) -> None:
    where = route(OFFLOADED)  # the test-wide address: nothing listens there
    assert where.kind is DeviceKind.ANDROID and "usbmuxd" in where.mux_problem


def test_an_iphone_named_explicitly_but_not_plugged_in_is_told_so(iphones: Start) -> None:
    iphones("clean-iphone")
    with pytest.raises(DeviceGone) as raised:
        route("ios:" + OFFLOADED)
    assert "No iPhone with the UDID" in raised.value.message


def test_a_phone_both_transports_list_is_refused(
    iphones: Start, sim_phone: PhoneFactory, adb_server: AdbServer, tmp_path: Path
) -> None:
    """A rogue set-up: an Android phone and an iPhone answering to one name. Neither is
    checked, since the receipt could name the one that was not scanned."""
    android = sim_phone("android7-old").address
    iphones(iphone_named(android))
    with pytest.raises(AmbiguousDevice) as raised:
        route(android, adb_server.port)
    assert "Two phones answer to" in raised.value.message
    out = tmp_path / "inv.json"
    code = main(
        ["scan", "--device", android, "--adb-port", str(adb_server.port), "--json", str(out)]
    )
    assert code == 2 and not out.exists()


def test_a_udid_shaped_serial_neither_lists_says_both_were_asked(
    iphones: Start, adb_server: AdbServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iphones("clean-iphone")
    out = tmp_path / "inv.json"
    args = ["scan", "--device", LOOKS_LIKE_A_UDID, "--adb-port", str(adb_server.port)]
    assert main([*args, "--json", str(out)]) == 2
    said = capsys.readouterr().err
    assert "No phone with serial" in said and "No iPhone plugged in has this UDID either" in said
    assert not out.exists()


def test_the_android_phone_is_scanned_over_adb_beside_an_iphone(
    iphones: Start, sim_phone: PhoneFactory, adb_server: AdbServer, tmp_path: Path
) -> None:
    iphones("tiktok-offloaded")
    android = sim_phone("android7-old").address
    out = tmp_path / "inv.json"
    code = main(
        ["scan", "--device", android, "--adb-port", str(adb_server.port), "--json", str(out)]
    )
    assert code == 0
    assert json.loads(out.read_text())["device"]["kind"] == "android"
