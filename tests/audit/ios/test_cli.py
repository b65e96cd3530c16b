"""The command line with iPhones, through the simulated usbmuxd: devices, scan, check, remove,
attest, verify; and the phones that must never come out "compliant"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import audit.cli
from audit.attestation import verify_file
from audit.cli import main
from audit.sources.ios import devices
from audit.sources.ios.guidance import IPhoneState
from tests.audit.ios.conftest import Start, client

OFFLOADED = "00008120-000C45A21E38C01E"
RESTRICTED = "00008110-0013AA77BB22801E"
POLICY = "nz-parliament-2023"
DATE = "2026-12-07"


@pytest.fixture
def no_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit.cli, "receipt_pdf_writer", None)


def test_devices_lists_each_iphone_with_its_guidance(iphones: Start) -> None:
    mux = iphones("tiktok-offloaded", "untrusted", "trust-refused", "locked", "passcode-needed")
    found = {d.udid: d for d in devices.iphones(client(mux))}
    assert found[OFFLOADED].state is IPhoneState.PAIRED
    assert found[OFFLOADED].line().startswith(f"ios:{OFFLOADED} (Alex iPhone 15, iPhone15,4)")
    assert found["00008101-000A3C5E2E91001E"].state is IPhoneState.WAITING
    assert "tap Trust" in found["00008101-000A3C5E2E91001E"].line()
    assert found["00008101-000B7D1C0A22001E"].state is IPhoneState.REFUSED
    assert found["00008110-000E1A2B3C4D801E"].state is IPhoneState.LOCKED
    assert found["00008110-000E1A2B3C4D802E"].state is IPhoneState.PASSCODE
    assert "Browse" not in mux.phones[OFFLOADED].requests  # looking reads no app list


def test_without_usbmuxd_devices_says_what_to_install(capsys: pytest.CaptureFixture[str]) -> None:
    lines: list[str] = []
    assert devices.print_iphones(False, lines.append) == 0
    (line,) = lines
    assert "Nothing answers at" in line and "USBMUXD_SOCKET_ADDRESS" in line


def test_the_linux_words_name_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    from audit.sources.ios.guidance import usbmuxd_missing

    monkeypatch.delenv("USBMUXD_SOCKET_ADDRESS")
    assert "sudo apt install usbmuxd" in usbmuxd_missing(platform="linux")
    assert "Apple Mobile Device Service" in usbmuxd_missing(platform="win32")


def test_watch_sees_a_phone_plugged_in_trusted_later_and_unplugged(iphones: Start) -> None:
    import threading

    from tests.iossim.daemon import SimulatedIPhone

    mux = iphones()
    stop = threading.Event()
    seen = devices.watch(client(mux), stop)
    phone = SimulatedIPhone("untrusted")
    mux.plug(phone)
    assert next(seen).state is IPhoneState.WAITING
    phone.profile.trust = "accept"  # the person taps Trust and enters the passcode
    assert next(seen).state is IPhoneState.PAIRED
    mux.unplug(phone.udid)
    assert next(seen).state is IPhoneState.GONE
    stop.set()


def test_scan_writes_the_offloaded_tiktok_and_check_exits_1(
    iphones: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iphones("tiktok-offloaded")
    out = tmp_path / "iphone.json"
    assert main(["scan", "--device", OFFLOADED, "--json", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    tiktok = [a for a in data["apps"] if a["identifier"] == "com.zhiliaoapp.musically"]
    assert [a["state"] for a in tiktok] == ["offloaded"]
    assert "sam.staff" not in out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "--inventory", str(out), "--policy", POLICY, "--date", DATE]) == 1
    text = capsys.readouterr().out
    assert "TikTok" in text and "offloaded" in text


@pytest.mark.parametrize(
    ("profile", "udid"),
    [("untrusted", "00008101-000A3C5E2E91001E"), ("locked", "00008110-000E1A2B3C4D801E")],
)
def test_a_phone_not_letting_this_computer_in_is_never_scanned_as_compliant(
    iphones: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str], profile: str, udid: str
) -> None:
    iphones(profile)
    out = tmp_path / "x.json"
    assert main(["scan", "--device", udid, "--json", str(out)]) == 2
    assert not out.exists()
    assert "iPhone" in capsys.readouterr().err


def test_an_unplugged_phone_scan_is_incomplete_and_check_never_compliant(
    iphones: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iphones("unplugged-mid-browse")
    out = tmp_path / "x.json"
    assert main(["scan", "--device", "00008110-000F00BA12C4801E", "--json", str(out)]) == 1
    assert main(["check", "--inventory", str(out), "--policy", POLICY, "--date", DATE]) == 1
    assert "INCOMPLETE" in capsys.readouterr().out.upper()


@pytest.mark.usefixtures("memory_keyring", "no_pdf")
def test_remove_deletes_the_offloaded_app_and_attest_signs_a_receipt_that_verifies(
    iphones: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mux = iphones("tiktok-offloaded")
    code = main(["remove", "--device", OFFLOADED, "--policy", POLICY, "--date", DATE, "--yes"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "The iPhone answered that it deleted TikTok" in out
    assert "com.zhiliaoapp.musically" not in mux.phones[OFFLOADED].apps
    receipt = tmp_path / "receipt.json"
    args = ["attest", "--device", OFFLOADED, "--policy", POLICY, "--date", DATE,
            "--name", "Sam Staff", "--staff-id", "S1234", "--out", str(receipt),
            "--accept-statement"]  # fmt: skip
    code = main(args)
    out = capsys.readouterr().out
    assert code == 0, out
    signed = verify_file(receipt)
    assert signed.compliant
    assert main(["verify", str(receipt)]) == 0
    text = json.dumps(signed.statement)
    assert f"ios:{OFFLOADED}" in text and "sam.staff@" not in text


def test_a_refused_removal_reports_the_phones_words_and_guides_by_hand(
    iphones: Start, capsys: pytest.CaptureFixture[str]
) -> None:
    iphones("removal-restricted")
    code = main(["remove", "--device", RESTRICTED, "--policy", POLICY, "--date", DATE, "--yes"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "not allowed by a configuration profile" in out
    assert "Touch and hold the TikTok icon" in out
    assert "Delete App (not Offload App" in out
