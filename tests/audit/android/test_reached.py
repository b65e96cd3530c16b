"""How a phone is reached, from the adb server's `host:devices-l` lines (never from the phone)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Attester, Signer, report_noncompliance, write_receipt
from audit.cli import main
from audit.model import Connection, ConnectionKind
from audit.policy import evaluate, load_policy
from audit.sources.android.connection import Adb, parse_device_list, reached_by
from audit.sources.android.scan import scan_phone
from tests.helpers.phones import AdbServer, PhoneFactory

# Lines as real adb servers print them (Linux and macOS give a usb: path, Windows none).
CAPTURED = {
    "0123456789ABCDEF       device usb:1-1 product:sunfish model:Pixel_4a device:sunfish "
    "transport_id:1": Connection(
        ConnectionKind.USB, usb_path="1-1", product="sunfish", model="Pixel_4a", device="sunfish"
    ),
    "R5CW31ABCDE            device usb:336592896X product:dm1qxxx model:SM_S911B device:dm1q "
    "transport_id:3": Connection(
        ConnectionKind.USB,
        usb_path="336592896X",
        product="dm1qxxx",
        model="SM_S911B",
        device="dm1q",
    ),
    "ZY2243K7QN             unauthorized usb:1-2 transport_id:4": Connection(
        ConnectionKind.USB, usb_path="1-2"
    ),
    "R58M123ABC             device product:o1sxeea model:SM_G991B device:o1s "
    "transport_id:2": Connection(
        ConnectionKind.USB, product="o1sxeea", model="SM_G991B", device="o1s"
    ),
    "192.168.1.20:5555      device product:sunfish model:Pixel_4a device:sunfish "
    "transport_id:7": Connection(
        ConnectionKind.NETWORK,
        address="192.168.1.20:5555",
        product="sunfish",
        model="Pixel_4a",
        device="sunfish",
    ),
    "adb-0123456789ABCDEF-Gx8rJc._adb-tls-connect._tcp device product:sunfish "
    "model:Pixel_4a device:sunfish transport_id:8": Connection(
        ConnectionKind.NETWORK,
        address="adb-0123456789ABCDEF-Gx8rJc._adb-tls-connect._tcp",
        product="sunfish",
        model="Pixel_4a",
        device="sunfish",
    ),
    "127.0.0.1:40123        device product:dm1qxxx model:SM_S911B device:dm1q "
    "transport_id:9": Connection(
        ConnectionKind.LOOPBACK,
        address="127.0.0.1:40123",
        product="dm1qxxx",
        model="SM_S911B",
        device="dm1q",
    ),
    "localhost:5555         offline transport_id:10": Connection(
        ConnectionKind.LOOPBACK, address="localhost:5555"
    ),
    "[::1]:5555             device transport_id:11": Connection(
        ConnectionKind.LOOPBACK, address="[::1]:5555"
    ),
    "[fe80::1]:5555         device transport_id:12": Connection(
        ConnectionKind.NETWORK, address="[fe80::1]:5555"
    ),
    "emulator-5554          device product:sdk_gphone64_x86_64 model:sdk_gphone64_x86_64 "
    "device:emu64xa transport_id:13": Connection(
        ConnectionKind.EMULATOR,
        address="emulator-5554",
        product="sdk_gphone64_x86_64",
        model="sdk_gphone64_x86_64",
        device="emu64xa",
    ),
    "vsock:3:5555           device transport_id:14": Connection(
        ConnectionKind.NETWORK, address="vsock:3:5555"
    ),
}


@pytest.mark.parametrize("line", list(CAPTURED))
def test_each_captured_line_is_classified_by_the_server_s_words(line: str) -> None:
    [(serial, _state, tags)] = parse_device_list(line)
    assert reached_by(serial, tags) == CAPTURED[line]


def test_a_usb_path_wins_over_a_serial_that_looks_like_an_address() -> None:
    """A phone chooses its USB serial; the server's usb: path is what says "cable"."""
    assert reached_by("10.0.0.9:5555", {"usb": "1-4"}).kind is ConnectionKind.USB


def test_without_a_usb_path_a_serial_shaped_like_an_address_is_never_a_cable() -> None:
    """adb on Windows gives no usb: path: a phone naming itself emulator-5554 or 10.0.0.9:5555
    then reads as what it claims to be, never as more trustworthy than that."""
    assert reached_by("emulator-5554", {}).kind is ConnectionKind.EMULATOR
    assert reached_by("10.0.0.9:5555", {}).kind is ConnectionKind.NETWORK
    assert reached_by("", {}).kind is ConnectionKind.NETWORK
    assert reached_by("a b", {}).kind is ConnectionKind.NETWORK


def _own_hosts() -> list[str]:
    """This computer's own addresses as adb names them (IPv6 in brackets, with its zone)."""
    hosts = []
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            if entry.family == socket.AF_INET:
                hosts.append(entry.address)
            elif entry.family == socket.AF_INET6:
                hosts.append(f"[{entry.address}]")
    return hosts


# What adb lists after `adb connect HOST:5555` for HOST spelled another way than 127.0.0.1:
# each reaches this computer (tests/review_s5/test_loopback_spellings.py).
THIS_COMPUTER = [
    "127.1",
    "0",
    "0.0.0.0",
    "2130706433",
    "0x7f.1",
    "0177.0.0.1",
    "[::]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "LOCALHOST",
    socket.gethostname(),
    *_own_hosts(),
]


@pytest.mark.parametrize("host", THIS_COMPUTER)
def test_every_spelling_of_this_computer_is_loopback_never_the_network(host: str) -> None:
    connection = reached_by(f"{host}:5555", {"model": "Pixel_4a"})
    assert connection.kind is ConnectionKind.LOOPBACK
    assert connection.address == f"{host}:5555" and connection.model == "Pixel_4a"


@pytest.mark.parametrize("host", ["198.51.100.7", "0127.0.0.1", "[2001:db8::7]", "[fe80::1%lo]"])
def test_another_machine_s_address_stays_the_network(host: str) -> None:
    """A phone on Wi-Fi keeps "over the network" (0127.0.0.1 is octal for 87.0.0.1)."""
    assert reached_by(f"{host}:5555", {}).kind is ConnectionKind.NETWORK


_WORD = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_TAG = st.tuples(st.sampled_from(["usb", "product", "model", "device", "transport_id"]), _WORD)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_no_devices_listing_makes_the_reader_raise(text: str) -> None:
    for serial, _state, tags in parse_device_list(text):
        reached_by(serial, tags)


@settings(max_examples=300, deadline=None)
@given(serial=_WORD, tags=st.dictionaries(_TAG.map(lambda t: t[0]), _WORD, max_size=5))
def test_every_serial_and_tags_give_one_connection_that_says_where(
    serial: str, tags: dict[str, str]
) -> None:
    connection = reached_by(serial, tags)
    if connection.kind is ConnectionKind.USB:
        assert connection.address == ""
    else:
        assert connection.address and connection.usb_path == ""
        assert not tags.get("usb")


# --- through the real adb server ---------------------------------------------------------------


def test_a_phone_connected_over_loopback_is_recorded_so_and_verify_says_it(
    adb_server: AdbServer,
    sim_phone: PhoneFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`adb connect 127.0.0.1:PORT` to the simulator: the scan, the signed receipt and verify all
    say it was a program on this computer over the network, not a USB cable."""
    phone = sim_phone()
    adb = Adb(adb_server.port)
    listed = adb.reached(phone.address)
    assert listed is not None and listed.kind is ConnectionKind.LOOPBACK
    assert listed.model  # the banner's fields, as the server relays them
    scan = scan_phone(phone.address, adb=adb)
    connection = scan.device.connection
    assert connection == listed and connection.address == phone.address
    assert not connection.cabled

    policy = load_policy("nz-parliament-2023")
    checked = evaluate(scan, policy, day=scan.finished_at.date())
    path = tmp_path / "receipt.json"
    write_receipt(
        report_noncompliance(  # the phone keeps TikTok: a report, signed all the same
            before=checked,
            after=checked,
            actions=(),
            attester=Attester(name="Aroha Ngata", staff_id="PS-1042"),
            signer=Signer.generate(),
        ),
        path,
    )
    assert main(["verify", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "  reached   over the network from a program on this computer, not a USB cable "
        f"(it may be a simulator, not a phone): {phone.address}"
    ) in out
    assert main(["verify", "--json", str(path)]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert result["connection"]["kind"] == "loopback" and result["remote"] is True


def test_a_phone_the_server_does_not_list_is_not_recorded(adb_server: AdbServer) -> None:
    assert Adb(adb_server.port).reached("no-such-phone") is None


def test_a_simulator_reached_by_any_spelling_of_this_computer_is_loopback(
    adb_server: AdbServer, sim_phone: PhoneFactory
) -> None:
    """The real adb server connects to a simulator listening on every address of this
    computer, by each spelling a person could type; each transport reads as loopback."""
    phone = sim_phone(host="0.0.0.0", connect=False)
    own = [h for h in _own_hosts() if ":" not in h and not h.startswith("127.")]
    hosts = ["0x7f.1", "127.0.1", "[::ffff:127.0.0.1]", "LOCALHOST", socket.gethostname(), *own]
    adb = Adb(adb_server.port)
    for host in hosts:
        address = f"{host}:{phone.port}"
        answer = adb_server.adb("connect", address)
        try:
            assert "connected to" in answer.stdout, answer
            adb_server.wait_for_state(address, {"device"})
            listed = adb.reached(address)
            assert listed is not None and listed.kind is ConnectionKind.LOOPBACK, (host, listed)
        finally:
            adb_server.adb("disconnect", address)
