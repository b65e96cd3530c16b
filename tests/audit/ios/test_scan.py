"""One iPhone's scan through the simulated usbmuxd: every app with placeholders, the identity
from lockdown, the states that block a scan, and the ways a phone or a rogue set-up could make
a scan look whole or compliant when it is not."""

from __future__ import annotations

import socket
from datetime import date

import pytest

from audit import inventory
from audit.errors import DeviceError, DeviceGone
from audit.model import (
    AppState,
    ConnectionKind,
    DeviceKind,
    DeviceStatus,
    ScanResult,
    SourceStatus,
)
from audit.policy import evaluate, load_policy, loads_policy
from audit.sources.ios import pairing
from audit.sources.ios.guidance import IPhoneState
from audit.sources.ios.scan import IPhoneNotReady, scan_iphone
from audit.sources.ios.usbmux import Usbmux
from audit.sources.ios.wire import parse_address
from tests.audit.ios.conftest import Start, client
from tests.iossim.daemon import SimulatedIPhone

TIKTOK = "com.zhiliaoapp.musically"
DAY = date(2026, 12, 7)


def judged(scan: ScanResult) -> DeviceStatus:
    return evaluate(scan, load_policy("nz-parliament-2023"), day=DAY).status


BANNED = (DeviceStatus.NON_COMPLIANT, DeviceStatus.OVERDUE)  # the 2023 deadline has passed


def test_an_offloaded_tiktok_is_listed_as_offloaded_and_never_compliant(iphones: Start) -> None:
    mux = iphones("tiktok-offloaded")
    scan = scan_iphone("00008120-000C45A21E38C01E", mux=client(mux))
    tiktok = [a for a in scan.apps if a.identifier == TIKTOK]
    assert [a.state for a in tiktok] == [AppState.OFFLOADED]
    assert tiktok[0].publisher == "TikTok Ltd."
    assert {a.system for a in scan.apps} == {True, False}  # user and system apps
    assert scan.complete and len(scan.apps) == 56
    assert judged(scan) in BANNED
    # The phone sent Browse with placeholders (the offloaded TikTok is only there with them).
    assert mux.phones["00008120-000C45A21E38C01E"].requests.count("Browse") == 1


def test_the_identity_comes_from_lockdown_and_no_buyer_detail_is_kept(iphones: Start) -> None:
    mux = iphones("tiktok-installed")
    scan = scan_iphone("ios:00008110-001A2D3C0E12802E", mux=client(mux))
    device = scan.device
    assert (device.id, device.kind, device.name) == (
        "ios:00008110-001A2D3C0E12802E",
        DeviceKind.IOS,
        "Sam's iPhone",
    )
    assert (device.model, device.os_name, device.os_version) == ("iPhone 13", "iOS", "17.5.1")
    text = inventory.dumps(scan)
    assert "835599320" in text and "TikTok Ltd." in text
    for private in ("sam.staff@parliament.example.nz", "1234567890", 'Sam"', "DSPersonID"):
        assert private not in text
    assert judged(scan) in BANNED


def test_a_usbmuxd_named_by_the_environment_is_not_taken_for_a_cable(iphones: Start) -> None:
    """A rogue technician points USBMUXD_SOCKET_ADDRESS at a program that says "USB": the
    receipt still says a program on this computer answered."""
    mux = iphones("clean-iphone")
    scan = scan_iphone("00008030-001A2D3C0E12802E", mux=client(mux))
    assert scan.device.connection is not None
    assert scan.device.connection.kind is ConnectionKind.LOOPBACK
    assert not scan.device.connection.cabled
    assert judged(scan) is DeviceStatus.COMPLIANT


@pytest.mark.parametrize(
    "host", ["127.1", "0x7f.1", "2130706433", "0.0.0.0", "LOCALHOST", socket.gethostname()]
)
def test_a_usbmuxd_on_this_computer_spelled_another_way_is_still_loopback(
    iphones: Start, host: str
) -> None:
    """USBMUXD_SOCKET_ADDRESS=127.1:PORT reaches the same program as 127.0.0.1:PORT: the
    receipt must not say "over the network" (tests/review_s5/test_loopback_spellings.py)."""
    mux = iphones("clean-iphone")
    port = mux.address.rsplit(":", 1)[1]
    scan = scan_iphone("00008030-001A2D3C0E12802E", mux=Usbmux(parse_address(f"{host}:{port}")))
    assert scan.device.connection is not None
    assert scan.device.connection.kind is ConnectionKind.LOOPBACK, scan.device.connection
    assert scan.device.connection.address == f"usbmuxd at {host}:{port} (USBMUXD_SOCKET_ADDRESS)"


def test_a_phone_answering_with_another_udid_is_refused(iphones: Start) -> None:
    impostor = SimulatedIPhone("clean-iphone")
    impostor.profile.values["UniqueDeviceID"] = "00008110-001A2D3C0E12802E"
    mux = iphones(impostor)
    with pytest.raises(DeviceError, match="another UDID"):
        scan_iphone(impostor.udid, mux=client(mux))


@pytest.mark.parametrize(
    ("profile", "udid", "state"),
    [
        ("untrusted", "00008101-000A3C5E2E91001E", IPhoneState.WAITING),
        ("trust-refused", "00008101-000B7D1C0A22001E", IPhoneState.REFUSED),
        ("locked", "00008110-000E1A2B3C4D801E", IPhoneState.LOCKED),
        ("passcode-needed", "00008110-000E1A2B3C4D802E", IPhoneState.PASSCODE),
    ],
)
def test_a_phone_that_does_not_let_this_computer_in_gives_its_guidance(
    iphones: Start, profile: str, udid: str, state: IPhoneState
) -> None:
    mux = iphones(profile)
    with pytest.raises(IPhoneNotReady) as caught:
        scan_iphone(udid, mux=client(mux))
    assert caught.value.state is state
    assert "iPhone" in caught.value.next_step
    assert "Browse" not in mux.phones[udid].requests  # nothing was read


def test_a_phone_unplugged_mid_list_gives_a_partial_scan_never_compliant(iphones: Start) -> None:
    mux = iphones("unplugged-mid-browse")
    scan = scan_iphone("00008110-000F00BA12C4801E", mux=client(mux))
    assert not scan.complete
    assert scan.sources[0].status is SourceStatus.PARTIAL
    assert "unplugged" in scan.sources[0].detail
    assert len(scan.apps) == 20
    assert judged(scan) is DeviceStatus.INCOMPLETE


def test_an_unplugged_phone_is_named(iphones: Start) -> None:
    mux = iphones("clean-iphone")
    with pytest.raises(DeviceGone, match="No iPhone with the UDID 0000-NOPE"):
        scan_iphone("0000-NOPE", mux=client(mux))


def test_a_large_list_in_many_chunks_arrives_whole(iphones: Start) -> None:
    mux = iphones("large-list")
    seen: list[float] = []
    udid = "00008120-0011D2E3F4A5B01E"
    scan = scan_iphone(udid, mux=client(mux), progress=lambda f, _: seen.append(f))
    assert scan.complete and len(scan.apps) == 904
    assert seen == sorted(seen) and len(seen) > 30  # one step per chunk


def test_hostile_names_are_kept_as_data_and_a_nameless_entry_makes_the_scan_partial(
    iphones: Start,
) -> None:
    mux = iphones("hostile-names")
    scan = scan_iphone("00008110-0014DEADBEEF801E", mux=client(mux))
    names = {a.identifier: a.name for a in scan.apps}
    assert names[TIKTOK] == "Calculator\u202egnp.kotkiT"  # judged by its id, not its name
    assert len(names["com.example.long"]) == 500
    assert scan.sources[0].status is SourceStatus.PARTIAL  # an entry without a bundle id
    assert judged(scan) is DeviceStatus.INCOMPLETE


def test_pairing_made_here_is_saved_in_usbmuxd_and_can_be_removed(iphones: Start) -> None:
    mux = iphones("first-time")
    udid = "00008110-0016FACE0B0C801E"
    assert udid not in mux.records
    scan = scan_iphone(udid, mux=client(mux))
    assert any(a.identifier == TIKTOK for a in scan.apps)
    assert udid in mux.records and pairing.made_here(udid)
    assert scan_iphone(udid, mux=client(mux)).complete  # the saved record opens it again
    assert pairing.forget(client(mux), udid)
    assert udid not in mux.records and not pairing.made_here(udid)


def test_a_pairing_made_elsewhere_is_never_removed(iphones: Start) -> None:
    mux = iphones("tiktok-installed")
    scan_iphone("00008110-001A2D3C0E12802E", mux=client(mux))
    assert not pairing.forget(client(mux), "00008110-001A2D3C0E12802E")
    assert "00008110-001A2D3C0E12802E" in mux.records


def test_a_policy_may_not_count_offloaded_as_compliant() -> None:
    text = load_policy("nz-parliament-2023").origin
    assert text  # the preset exists
    from audit.errors import PolicyError

    with pytest.raises(PolicyError, match="offloaded"):
        loads_policy(
            'id = "x"\ntitle = "x"\nauthority = "x"\ncompliant_states = ["offloaded"]\n'
            '[[rule]]\nid = "r"\ntitle = "r"\n[[rule.match]]\nkind = "identifier"\n'
            'id_kind = "ios_bundle"\npattern = "com.zhiliaoapp.musically"\n'
        )


def test_deepseek_is_banned_by_its_app_store_id_where_its_bundle_id_is_unsure(
    iphones: Start,
) -> None:
    """The catalog is sure of DeepSeek's App Store id, less of its bundle id: the id that
    iTunesMetadata gives is what makes it a violation, not a question for review."""
    mux = iphones("deepseek")
    scan = scan_iphone("00008110-00124C9A3A12801E", mux=client(mux))
    assessment = evaluate(scan, load_policy("nz-parliament-2025"), day=DAY)
    (violation,) = assessment.violations
    assert violation.app.identifier == "com.deepseek.chat"
    assert violation.matcher.id_kind is not None
    assert violation.matcher.id_kind.value == "appstore_id"
