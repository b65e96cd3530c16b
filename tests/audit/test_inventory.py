from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from audit import inventory
from audit.errors import InventoryFileError
from audit.model import (
    AppId,
    AppState,
    Device,
    DeviceKind,
    IdentifierKind,
    InstalledApp,
    InstallOrigin,
    RunningProcess,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)

T0 = datetime(2023, 3, 20, 9, 30, tzinfo=UTC)


def sample_scan(**changes: object) -> ScanResult:
    device = Device(
        id="android:R58M123",
        kind=DeviceKind.ANDROID,
        name="Galaxy S21",
        serial="R58M123",
        manufacturer="samsung",
        model="SM-G991B",
        os_name="Android",
        os_version="13",
        sdk=33,
        managed=True,
        has_work_profile=True,
    )
    apps = (
        InstalledApp(
            identifier="com.zhiliaoapp.musically",
            kind=IdentifierKind.ANDROID_PACKAGE,
            name="TikTok",
            version="29.3.4",
            version_code=2023903040,
            installer="com.android.vending",
            origin=InstallOrigin.STORE,
            user="10",
            location="/data/app/~~x==/com.zhiliaoapp.musically-y==/base.apk",
            uid=1010234,
            installed_at=T0,
            other_ids=(AppId(IdentifierKind.DOMAIN, "tiktok.com"),),
        ),
        InstalledApp(
            identifier="com.lemon.lvoverseas",
            kind=IdentifierKind.ANDROID_PACKAGE,
            state=AppState.DISABLED,
            user="0",
            system=True,
            name="<b>x</b>",
        ),
    )
    fields: dict[str, object] = dict(
        device=device,
        started_at=T0,
        finished_at=T0,
        apps=apps,
        users=(
            UserProfile("0", "Owner", UserKind.OWNER),
            UserProfile("10", "Work profile", UserKind.WORK_PROFILE),
        ),
        processes=(RunningProcess(pid=42, name="TikTok", exe="/opt/tiktok", user="ana"),),
        sources=(
            SourceReport("user 0", SourceStatus.OK, count=1),
            SourceReport("user 10", SourceStatus.OK, count=1),
        ),
    )
    fields.update(changes)
    return ScanResult(**fields)  # type: ignore[arg-type]


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    scan = sample_scan()
    path = tmp_path / "inv.json"
    inventory.save(scan, path)
    assert inventory.load(path) == scan


def test_digest_ignores_order_and_time_but_not_state() -> None:
    scan = sample_scan()
    reordered = sample_scan(apps=tuple(reversed(scan.apps)), started_at=datetime.now(UTC))
    assert inventory.inventory_digest(scan) == inventory.inventory_digest(reordered)
    changed = sample_scan(
        apps=(
            scan.apps[0],
            InstalledApp(
                identifier="com.lemon.lvoverseas",
                kind=IdentifierKind.ANDROID_PACKAGE,
                state=AppState.INSTALLED,
                user="0",
                system=True,
                name="<b>x</b>",
            ),
        )
    )
    assert inventory.inventory_digest(scan) != inventory.inventory_digest(changed)


def test_incomplete_scan_says_so_in_the_file() -> None:
    scan = sample_scan(sources=(SourceReport("user 10", SourceStatus.FAILED, "SecurityException"),))
    data = json.loads(inventory.dumps(scan))
    assert data["complete"] is False
    assert not inventory.loads(inventory.dumps(scan)).complete


@pytest.mark.parametrize(
    ("mutate", "key", "words"),
    [
        (lambda d: d.pop("device"), "device", "missing"),
        (lambda d: d["apps"][0].update(state="gone"), "apps[0].state", "not one of"),
        (lambda d: d["apps"][1].update(identifier=7), "apps[1].identifier", "expected text"),
        (lambda d: d["apps"][0].update(uid=True), "apps[0].uid", "expected a number"),
        (lambda d: d.update(started_at="yesterday"), "started_at", "ISO 8601"),
        (lambda d: d.update(format="something-else"), "format", "Device Audit inventory"),
        (lambda d: d.update(apps=[3]), "apps[0]", "expected an object"),
    ],
)
def test_bad_inventory_names_the_key(mutate, key: str, words: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(inventory.dumps(sample_scan()))
    mutate(data)
    with pytest.raises(InventoryFileError) as caught:
        inventory.loads(json.dumps(data), "inv.json")
    assert caught.value.key == key
    assert words in caught.value.message
    assert "inv.json" in caught.value.message


def test_not_json_gives_line(tmp_path: Path) -> None:
    path = tmp_path / "inv.json"
    path.write_text('{\n  "format": "device-audit-inventory",\n  oops\n}')
    with pytest.raises(InventoryFileError) as caught:
        inventory.load(path)
    assert caught.value.line == 3


def test_unreadable_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InventoryFileError, match="cannot be read"):
        inventory.load(tmp_path / "missing.json")
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InventoryFileError, match="not UTF-8"):
        inventory.load(path)


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    inventory.write_atomic(path, b"old")
    inventory.write_atomic(path, b"new content")
    assert path.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]  # no temp files left behind


def test_saving_where_nothing_can_be_written_is_a_clear_error(tmp_path: Path) -> None:
    from audit.errors import CannotWrite

    for target in (tmp_path / "no-such-folder" / "inv.json", tmp_path):
        with pytest.raises(CannotWrite) as caught:
            inventory.save(sample_scan(), target)
        assert str(target) in caught.value.message
        assert "folder you can write to" in caught.value.next_step
