"""`scan --device A --device B …` and `scan --all`: several phones in one process.

Through the real adb server and simulated phones: each phone gets its own file, a phone that
fails is named and never stops the others, the exit status says the worst that happened, and
no serial a phone reports can make two phones share a file or write outside the folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import inventory
from audit.cli import main
from audit.cli.scan_phones import phone_file_names, scan_phones
from audit.errors import Cancelled, DeviceGone
from audit.model import Device, DeviceKind, ScanResult, SourceReport, SourceStatus
from tests.helpers.phones import AdbServer, PhoneFactory

TIKTOK = "com.zhiliaoapp.musically"
ROOT = Path(__file__).resolve().parents[2]


def scan_args(adb_server: AdbServer, *serials: str) -> list[str]:
    args = ["scan", "--adb-port", str(adb_server.port)]
    for serial in serials:
        args += ["--device", serial]
    return args


def test_each_phone_gets_its_own_inventory_file(
    adb_server: AdbServer,
    sim_phone: PhoneFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    phones = [sim_phone("samsung-work-profile"), sim_phone("pixel-tiktok-lite")]
    phones.append(sim_phone("android7-old"))
    code = main([*scan_args(adb_server, *(p.address for p in phones)), "--out-dir", str(tmp_path)])
    out = capsys.readouterr().out
    names = phone_file_names([p.address for p in phones])
    assert sorted(f.name for f in tmp_path.glob("*.json")) == sorted(names.values())
    by_serial = {p.address: inventory.load(tmp_path / names[p.address]) for p in phones}
    for phone in phones:
        scan = by_serial[phone.address]
        # each file holds its own phone's apps, never another's
        assert {a.identifier for a in scan.apps} <= set(phone.state.packages)
        assert scan.device.serial == phone.state.properties["ro.serialno"]
        assert scan.device.connection is not None
        assert scan.device.connection.address == phone.address
    assert out.count(f"Inventory written to {tmp_path}") == 3
    tiktoks = {k for k, s in by_serial.items() for a in s.apps if a.identifier == TIKTOK}
    assert tiktoks == {phones[0].address, phones[2].address}
    assert "3 phones: " in out
    expected = max(0 if s.complete else 1 for s in by_serial.values())
    assert code == expected


def test_a_phone_that_fails_is_named_and_the_others_are_still_written(
    adb_server: AdbServer,
    sim_phone: PhoneFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = sim_phone("pixel-tiktok-lite")
    gone = sim_phone("samsung-work-profile")
    gone.stop()  # unplugged between plugging in and the scan
    adb_server.wait_for_state(gone.address, {"offline", None})
    code = main([*scan_args(adb_server, gone.address, good.address), "--out-dir", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 2  # a phone could not be scanned: the run is not a success
    assert f"error: {gone.address}:" in captured.err
    assert "NOT scanned" in captured.out
    (written,) = tmp_path.glob("*.json")
    assert written.name == phone_file_names([good.address])[good.address]
    scan = inventory.load(written)
    assert "com.zhiliaoapp.musically.go" in {a.identifier for a in scan.apps}


def test_json_to_stdout_is_a_list_of_the_phones_inventories(
    adb_server: AdbServer, sim_phone: PhoneFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = sim_phone("pixel-tiktok-lite"), sim_phone("android7-old")
    code = main([*scan_args(adb_server, first.address, second.address), "--json", "-"])
    captured = capsys.readouterr()
    documents = json.loads(captured.out)  # stdout holds the JSON alone: summaries go elsewhere
    assert isinstance(documents, list) and len(documents) == 2
    scans = [inventory.loads(json.dumps(doc)) for doc in documents]
    assert [s.device.connection.address for s in scans if s.device.connection] == [
        first.address,
        second.address,
    ]
    assert "2 phones: " in captured.err
    assert code in (0, 1)


def test_all_scans_every_ready_phone_and_names_the_one_waiting_for_allow(
    adb_server: AdbServer,
    sim_phone: PhoneFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ready = [sim_phone("pixel-tiktok-lite"), sim_phone("android7-old")]
    waiting = sim_phone("pixel-tiktok-lite", unauthorized=True)
    code = main(["scan", "--all", "--adb-port", str(adb_server.port), "--out-dir", str(tmp_path)])
    captured = capsys.readouterr()
    written = sorted(f.name for f in tmp_path.glob("*.json"))
    assert written == sorted(phone_file_names([p.address for p in ready]).values())
    # The phone waiting for "Allow" is not silently left out: named, with what to do, and the
    # run does not end as a success.
    assert f"error: {waiting.address}: Not scanned: waiting for permission" in captured.err
    assert "Allow" in captured.err
    assert "NOT scanned" in captured.out  # (any phone another test left offline counts too)
    assert code == 2


def test_json_file_with_several_phones_is_refused_before_any_scan(
    adb_server: AdbServer,
    sim_phone: PhoneFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = sim_phone("pixel-tiktok-lite"), sim_phone("android7-old")
    asked = [*scan_args(adb_server, first.address, second.address)]
    code = main([*asked, "--json", str(tmp_path / "one.json")])
    assert code == 2
    assert "--out-dir DIR" in capsys.readouterr().err
    assert not (tmp_path / "one.json").exists()
    assert not [c for c in first.commands + second.commands if "pm list" in c]


@pytest.mark.parametrize("make", ["missing", "file"])
def test_an_out_dir_that_cannot_hold_files_is_refused_before_any_scan(
    adb_server: AdbServer,
    sim_phone: PhoneFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: str,
) -> None:
    phone = sim_phone("pixel-tiktok-lite")
    target = tmp_path / "out"
    if make == "file":
        target.write_text("not a folder")
    code = main([*scan_args(adb_server, phone.address), "--out-dir", str(target)])
    assert code == 2
    assert "Nothing was scanned" in capsys.readouterr().err
    assert not [c for c in phone.commands if "pm list" in c]


def test_the_same_phone_named_twice_is_scanned_once(
    adb_server: AdbServer, sim_phone: PhoneFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    phone = sim_phone("pixel-tiktok-lite")
    main([*scan_args(adb_server, phone.address, phone.address), "--json", "-"])
    document = json.loads(capsys.readouterr().out)
    assert isinstance(document, dict)  # one phone: one inventory, as `--device A` writes
    assert document["device"]["connection"]["address"] == phone.address


# --- the runner itself ------------------------------------------------------------------------


def _scan_of(serial: str) -> ScanResult:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    device = Device(Device.android_id(serial), DeviceKind.ANDROID, serial, serial=serial)
    return ScanResult(device, now, now, sources=(SourceReport("pm", SourceStatus.OK),))


def test_phones_are_scanned_side_by_side() -> None:
    """Each scan waits until every phone's scan has started: one after another, the first
    would wait for the others forever (the barrier's timeout fails the test)."""
    serials = [f"phone-{n}" for n in range(8)]
    barrier = threading.Barrier(len(serials), timeout=30)

    def scanner(serial: str, cancelled: object) -> ScanResult:
        barrier.wait()
        return _scan_of(serial)

    outcomes = scan_phones(serials, scanner)
    assert [o.serial for o in outcomes] == serials  # in the order given
    assert all(o.scan is not None and o.error is None for o in outcomes)


@pytest.mark.allow_warning_logs
def test_a_bug_on_one_phone_costs_no_other_its_result(tmp_path: Path) -> None:
    def scanner(serial: str, cancelled: object) -> ScanResult:
        if serial == "broken":
            raise ZeroDivisionError("a parser bug")
        if serial == "gone":
            raise DeviceGone(serial, "The phone was unplugged.")
        return _scan_of(serial)

    outcomes = scan_phones(["broken", "ok", "gone"], scanner, tmp_path)
    by = {o.serial: o for o in outcomes}
    assert by["ok"].written_to == tmp_path / "ok.json"
    assert inventory.load(tmp_path / "ok.json").device.serial == "ok"
    assert by["broken"].error is not None and "unexpectedly" in by["broken"].error.message
    assert by["gone"].error is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.json"]


@pytest.mark.parametrize(
    "serials",
    [
        ["R58M123", "r58m123"],  # one file on a file system that ignores case
        ["127.0.0.1:5555", "127.0.0.1_5555"],  # the colon replaced would meet the other
        ["../../etc/passwd", "..", ".", ""],
        ["CON", "nul.txt", "COM1"],  # names Windows keeps for devices
        ["a\nb", "a\x1b[2Jb", "a/b", "a\\b"],
    ],
)
def test_serials_never_share_a_file_nor_leave_the_folder(serials: list[str]) -> None:
    names = phone_file_names(serials)
    _check_names(names, serials)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=12))
def test_any_serials_a_phone_may_report_get_distinct_safe_names(serials: list[str]) -> None:
    _check_names(phone_file_names(serials), serials)


def _check_names(names: dict[str, str], serials: list[str]) -> None:
    assert set(names) == set(serials)
    folded = [name.casefold() for name in names.values()]
    assert len(set(folded)) == len(folded)
    for name in names.values():
        assert name.endswith(".json") and len(name) <= 100
        stem = name.removesuffix(".json")
        assert stem not in ("", ".", "..") and not stem.startswith(".")
        assert all(c.isascii() and (c.isalnum() or c in "._-~") for c in stem)
        assert stem.split(".")[0].upper() not in ("CON", "PRN", "AUX", "NUL", "COM1", "LPT1")


def test_a_phone_scan_loads_neither_signing_nor_keyring_nor_adbutils(
    adb_server: AdbServer, sim_phone: PhoneFactory, tmp_path: Path
) -> None:
    """`scan --device`, run as `device-audit` runs, in a fresh interpreter: the scan needs the
    adb protocol and the parsers, not adbutils' client (and the HTTP stack it pulls in), Qt,
    the signing keys or the history database (issue 15)."""
    phone = sim_phone("pixel-tiktok-lite")
    argv = [*scan_args(adb_server, phone.address), "--json", str(tmp_path / "phone.json")]
    # nor the iPhone client's TLS and certificates or the demo devices: which kind of phone a
    # name is, is asked of audit.addresses (which imports nothing) and usbmuxd's device list.
    heavy = (
        "PySide6",
        "keyring",
        "adbutils",
        "requests",
        "sqlite3",
        "psutil",
        "cryptography",
        "ssl",
        "audit.demo",
        "audit.sources.ios.lockdown",
        "audit.sources.ios.pairing",
    )
    code = (
        "import sys, main\n"
        f"code = main.main({argv!r})\n"
        f"heavy = {heavy!r}\n"
        "print(code, sorted(m for m in sys.modules if any("
        "m.lstrip('_') == h or m.lstrip('_').startswith(h + '.') for h in heavy)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip().splitlines()[-1] in ("0 []", "1 []"), result.stdout
    assert inventory.load(tmp_path / "phone.json").apps


def test_ctrl_c_stops_every_phone_at_its_next_step() -> None:
    """Ctrl-C while phones are being scanned: each scan is told to stop, none is left running
    behind the prompt, and the interruption reaches the command (which reports it)."""
    told_to_stop, slow_started = threading.Event(), threading.Event()

    def scanner(serial: str, cancelled: Callable[[], bool]) -> ScanResult:
        if serial == "interrupted":
            assert slow_started.wait(timeout=30)
            raise KeyboardInterrupt
        slow_started.set()
        for _ in range(3000):  # a slow phone: it stops when told to, or fails the test
            if cancelled():
                told_to_stop.set()
                raise Cancelled("stopped")
            threading.Event().wait(0.01)
        raise AssertionError("the slow phone was never told to stop")

    with pytest.raises(KeyboardInterrupt):
        scan_phones(["interrupted", "slow"], scanner)
    assert told_to_stop.is_set()


def test_out_dir_is_for_phones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--local", "--out-dir", str(tmp_path)]) == 2
    assert "--out-dir is for phones" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_a_folder_in_the_way_of_one_phones_file_fails_that_phone_only(tmp_path: Path) -> None:
    (tmp_path / "blocked.json").mkdir()  # a rogue folder (or link) where the file would go
    (tmp_path / "other.json").symlink_to(tmp_path / "elsewhere.json")

    def scanner(serial: str, cancelled: object) -> ScanResult:
        return _scan_of(serial)

    outcomes = {o.serial: o for o in scan_phones(["blocked", "other"], scanner, tmp_path)}
    assert outcomes["blocked"].exit_code == 2 and outcomes["blocked"].error is not None
    assert outcomes["other"].written_to == tmp_path / "other.json"
    # the link was replaced by the file, never followed to write somewhere else
    assert not (tmp_path / "other.json").is_symlink()
    assert not (tmp_path / "elsewhere.json").exists()
    assert inventory.load(tmp_path / "other.json").device.serial == "other"
