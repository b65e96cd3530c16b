"""The end of an iPhone's audit on the command line: this computer's pairing, removed only when
Device Audit made it (attest --forget-pairing, devices --forget-pairing); and `scan --all`
with iPhones beside the adb server's phones."""

from __future__ import annotations

import json
import plistlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audit.cli
from audit.cli import main
from audit.sources.ios import pairing
from tests.audit.ios.conftest import Start
from tests.helpers.phones import AdbServer, PhoneFactory

FIRST_TIME = "00008110-0016FACE0B0C801E"  # Device Audit makes the pairing (the person taps Trust)
PAIRED_ELSEWHERE = "00008120-000C45A21E38C01E"  # tiktok-offloaded: paired before Device Audit
UNTRUSTED = "00008101-000A3C5E2E91001E"
POLICY = "nz-parliament-2023"
DATE = "2026-12-07"


@pytest.fixture
def no_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit.cli, "receipt_pdf_writer", None)


def attest(udid: str, receipt: Path, *more: str) -> int:
    return main(
        ["attest", "--device", udid, "--policy", POLICY, "--date", DATE, "--name", "Sam Staff",
         "--staff-id", "S1234", "--out", str(receipt), "--accept-statement", *more]
    )  # fmt: skip


def remove(udid: str) -> int:
    return main(["remove", "--device", udid, "--policy", POLICY, "--date", DATE, "--yes"])


@pytest.mark.usefixtures("memory_keyring", "no_pdf")
def test_attest_removes_the_pairing_it_made_when_asked(
    iphones: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mux = iphones("first-time")
    assert remove(FIRST_TIME) == 0
    assert FIRST_TIME in mux.records and pairing.made_here(FIRST_TIME)
    capsys.readouterr()
    assert attest(FIRST_TIME, tmp_path / "r.json", "--forget-pairing") == 0
    out = capsys.readouterr().out
    assert "which Device Audit made, was removed" in out
    assert FIRST_TIME not in mux.records and not pairing.made_here(FIRST_TIME)
    assert main(["verify", str(tmp_path / "r.json")]) == 0


@pytest.mark.usefixtures("memory_keyring", "no_pdf")
def test_without_the_flag_attest_offers_it_and_devices_does_it(
    iphones: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mux = iphones("first-time")
    assert remove(FIRST_TIME) == 0
    capsys.readouterr()
    assert attest(FIRST_TIME, tmp_path / "r.json") == 0
    out = capsys.readouterr().out
    assert f"device-audit devices --forget-pairing ios:{FIRST_TIME}" in out
    assert FIRST_TIME in mux.records  # offered, not done
    assert main(["devices", "--forget-pairing", f"ios:{FIRST_TIME}"]) == 0
    assert "was removed" in capsys.readouterr().out
    assert FIRST_TIME not in mux.records


@pytest.mark.usefixtures("memory_keyring", "no_pdf")
def test_a_pairing_another_program_made_is_never_removed(
    iphones: Start, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mux = iphones("tiktok-offloaded")
    assert remove(PAIRED_ELSEWHERE) == 0
    capsys.readouterr()
    assert attest(PAIRED_ELSEWHERE, tmp_path / "r.json", "--forget-pairing") == 0
    assert "was not made by Device Audit" in capsys.readouterr().out
    assert PAIRED_ELSEWHERE in mux.records


def test_a_pairing_replaced_since_by_another_program_stays(
    iphones: Start, capsys: pytest.CaptureFixture[str]
) -> None:
    """Device Audit paired the phone; then Finder paired it again (a new HostID): the record
    is Finder's now, and removing it would break Finder's, so it stays."""
    mux = iphones("first-time")
    assert main(["scan", "--device", FIRST_TIME, "--json", "-"]) == 0
    assert pairing.made_here(FIRST_TIME)
    record = plistlib.loads(mux.records[FIRST_TIME])
    mux.records[FIRST_TIME] = plistlib.dumps(dict(record, HostID="FINDER-HOST-ID"))
    capsys.readouterr()
    assert main(["devices", "--forget-pairing", FIRST_TIME]) == 0
    assert "no longer the one Device Audit made" in capsys.readouterr().out
    assert FIRST_TIME in mux.records and not pairing.made_here(FIRST_TIME)


def test_a_hand_edited_list_cannot_make_it_remove_another_programs_pairing(
    iphones: Start, isolated_home: Path
) -> None:
    """Someone adds the phone to Device Audit's list of pairings it made: without the HostID of
    the record usbmuxd holds (or with no HostID at all) nothing is removed."""
    mux = iphones("tiktok-offloaded")
    made = isolated_home / "ios-pairings.json"
    for forged in ({PAIRED_ELSEWHERE: "FORGED"}, {PAIRED_ELSEWHERE: ""}, [PAIRED_ELSEWHERE]):
        made.write_text(json.dumps(forged))
        assert main(["devices", "--forget-pairing", PAIRED_ELSEWHERE]) == 0
        assert PAIRED_ELSEWHERE in mux.records


def test_scan_all_includes_ready_iphones_and_names_the_waiting_one(
    iphones: Start,
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    iphones("tiktok-offloaded", "untrusted")
    android = sim_phone("android7-old").address
    code = main(["scan", "--all", "--adb-port", str(adb_server.port), "--out-dir", str(tmp_path)])
    said = capsys.readouterr()
    assert code == 2, said  # one phone NOT scanned: the untrusted iPhone
    kinds = sorted(json.loads(p.read_text())["device"]["kind"] for p in tmp_path.glob("*.json"))
    assert kinds == ["android", "ios"], (android, said)
    assert f"ios:{UNTRUSTED}" in said.err and "tap Trust" in said.err


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=json_values | st.binary(max_size=60).map(lambda b: b.decode("latin-1")))
def test_the_list_of_pairings_made_here_is_read_whatever_it_holds(
    isolated_home: Path, content: object
) -> None:
    """Device Audit's own note of the pairings it made is a file anyone with the account can
    edit: whatever it holds, it is read without an error, as UDID -> HostID pairs only."""
    made = isolated_home / "ios-pairings.json"
    made.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    known = pairing._made()
    assert all(isinstance(u, str) and isinstance(h, str) and h for u, h in known.items())
    assert pairing.made_here("x") is ("x" in known)
