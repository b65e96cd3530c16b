"""A phone simulator on the staff member's own computer, reached as `127.1:PORT` or
`0.0.0.0:PORT` instead of `127.0.0.1:PORT`, is recorded as a phone "over the network", and its
compliant receipt counts in the helpdesk's history.

How a person does it: they run a phone simulator (or an emulator image with TikTok taken out)
on their laptop. `adb connect 127.0.0.1:5555` would be named "from a program on this computer"
and the history holds such a receipt ("check the phone again on a cable"); so they type
`adb connect 127.1:5555` (or `0.0.0.0:5555`, `0:5555`, `2130706433:5555`): adb resolves every
one of these to this computer and lists the transport under the name as typed. Device Audit's
`_loopback` reads only dotted-quad loopback, `::1` and `localhost`, so it signs "reached over
the network" and the helpdesk counts the receipt as a compliant self-attested audit (a network
receipt counts when no cabled check found the app before). The loopback hold closed by an
earlier review is bypassed by spelling the same address another way.

What the product should do: every address adb resolves to this computer is loopback, whatever
its spelling (ask the resolver as adb does, or treat any host that is not a plain routable
address or a name as not a cable and at least never better than loopback), and the history
holds the receipt as it holds 127.0.0.1.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from audit.cli import main
from audit.model import ConnectionKind
from audit.sources.android.connection import Adb
from audit.store import ImportResult, Store
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.phonesim.profiles import PROFILES_DIR

BANNED = ("musically", "trill", "capcut", "lemon", "lvoverseas", "aweme", "deepseek")


def _clean_profile() -> dict[str, Any]:
    prof: dict[str, Any] = json.loads((PROFILES_DIR / "samsung-work-profile.json").read_text())
    prof = copy.deepcopy(prof)
    prof["packages"] = [p for p in prof["packages"] if not any(b in p["package"] for b in BANNED)]
    return prof


@pytest.mark.adb
@pytest.mark.usefixtures("memory_keyring")
@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "0.0.0.0", "2130706433"])
def test_a_simulator_on_this_computer_is_never_counted_as_a_phone_over_the_network(
    sim_phone: PhoneFactory, adb_server: AdbServer, tmp_path: Path, host: str
) -> None:
    phone = sim_phone(_clean_profile(), connect=False)
    address = f"{host}:{phone.address.rsplit(':', 1)[1]}"
    connected = adb_server.adb("connect", address)
    assert "connected to" in connected.stdout, connected
    try:
        adb_server.wait_for_state(address, {"device"})
        listed = Adb(adb_server.port).reached(address)
        assert listed is not None
        receipt = tmp_path / "in" / "receipt.json"
        receipt.parent.mkdir()
        code = main(
            [
                "attest",
                "--device",
                address,
                "--adb-port",
                str(adb_server.port),
                "--policy",
                "nz-parliament-2023",
                "--name",
                "Kim",
                "--staff-id",
                "S9",
                "--accept-statement",
                "--out",
                str(receipt),
            ]
        )
        assert code == 0 and receipt.exists()
        with Store(tmp_path / "helpdesk.sqlite3") as helpdesk:
            [outcome] = helpdesk.import_folder(receipt.parent).outcomes
            assert outcome.result is ImportResult.IMPORTED, outcome.reason
            [row] = helpdesk.export_rows()
        # Today: kind "network", export status "compliant", no trust note.
        assert row.recorded_status != "compliant", row
        assert listed.kind is ConnectionKind.LOOPBACK, f"{address} read as {listed.kind}"
    finally:
        adb_server.adb("disconnect", address)


@pytest.mark.usefixtures("memory_keyring")
@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "0.0.0.0"])
def test_a_usbmuxd_on_this_computer_is_never_counted_as_an_iphone_over_the_network(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, host: str
) -> None:
    """The iPhone side of the same trick: USBMUXD_SOCKET_ADDRESS=127.1:PORT (a fake usbmuxd on
    this computer) signs "usbmuxd at 127.1:PORT" as the network, where 127.0.0.1:PORT is
    loopback and held (audit/sources/ios/scan.py, `_is_loopback`)."""
    from audit.attestation import verify_file
    from tests.iossim.daemon import SimulatedIPhone, SimulatedUsbmuxd

    mux = SimulatedUsbmuxd(SimulatedIPhone("clean-iphone")).start()
    try:
        port = mux.address.rsplit(":", 1)[1]
        monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", f"{host}:{port}")
        receipt = tmp_path / "in" / "receipt.json"
        receipt.parent.mkdir()
        code = main(
            [
                "attest",
                "--device",
                "ios:00008030-001A2D3C0E12802E",
                "--policy",
                "nz-parliament-2023",
                "--name",
                "Sam Staff",
                "--staff-id",
                "S1234",
                "--accept-statement",
                "--out",
                str(receipt),
            ]
        )
        assert code == 0 and receipt.exists()
        signed = verify_file(receipt)
        with Store(tmp_path / "helpdesk.sqlite3") as helpdesk:
            [outcome] = helpdesk.import_folder(receipt.parent).outcomes
            assert outcome.result is ImportResult.IMPORTED, outcome.reason
            [row] = helpdesk.export_rows()
    finally:
        mux.stop()
    # Today: "network", counted compliant, no trust note.
    assert row.recorded_status != "compliant", row
    assert signed.connection is not None
    assert signed.connection.kind is ConnectionKind.LOOPBACK, signed.connection
