"""The scan's logic against a small in-process phone: users, states, fallbacks, failures."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from unittest.mock import ANY
from zoneinfo import ZoneInfo

import pytest

from audit.errors import Cancelled, DeviceGone
from audit.model import AppState, InstallOrigin, SourceStatus, UserKind
from audit.sources.android.inventory import hardware_serial
from audit.sources.android.scan import details_with_shell, enrich, scan_with_shell
from tests.audit.android.fakephone import (
    TIKTOK,
    FakePackage,
    FakePhone,
    framework,
    old_android7,
    samsung_with_work_profile,
)


def names(label: str) -> str:
    return {TIKTOK: "TikTok"}.get(label, "")


def app(scan, package: str, user: str):  # type: ignore[no-untyped-def]
    found = [a for a in scan.apps if a.identifier == package and a.user == user]
    assert len(found) <= 1
    return found[0] if found else None


def test_every_user_in_one_round_trip() -> None:
    phone = samsung_with_work_profile()
    scan = scan_with_shell(phone, "R5CW31ABCDE", name_of=names)
    # Issue 15: identity, users and every user's three lists in one script (onestage.py);
    # stage by stage it is identity + users, then every user's three lists.
    assert len(phone.commands) == 1
    staged = samsung_with_work_profile()
    assert scan_with_shell(staged, "R5CW31ABCDE", name_of=names, one_stage=False) == replace(
        scan, started_at=ANY, finished_at=ANY
    )
    assert len(staged.commands) == 2
    assert [(u.id, u.kind) for u in scan.users] == [
        ("0", UserKind.OWNER),
        ("10", UserKind.WORK_PROFILE),
        ("150", UserKind.SECURE_FOLDER),
    ]
    device = scan.device
    assert device.id == "android:R5CW31ABCDE"
    assert device.name == "Samsung SM-S911B"
    assert (device.os_name, device.os_version, device.sdk) == ("Android", "14", 34)
    assert device.managed is True and device.has_work_profile is True
    assert device.simulated is False


def test_tiktok_in_the_work_profile_only() -> None:
    scan = scan_with_shell(samsung_with_work_profile(), "s", name_of=names)
    tiktok = app(scan, TIKTOK, "10")
    assert tiktok is not None
    assert tiktok.state is AppState.INSTALLED
    assert tiktok.name == "TikTok"
    assert tiktok.origin is InstallOrigin.STORE
    assert tiktok.uid == 1010321
    assert tiktok.version_code == 2023205030
    assert tiktok.collector == "user 10 (Work profile)"
    # A user app installed only in the work profile is not the owner's, not "removed" there.
    assert app(scan, TIKTOK, "0") is None


def test_states_per_user() -> None:
    scan = scan_with_shell(samsung_with_work_profile(), "s", name_of=names)
    facebook = app(scan, "com.facebook.katana", "0")
    assert facebook is not None and facebook.state is AppState.REMOVED_FOR_USER
    assert facebook.system and facebook.origin is InstallOrigin.PREINSTALLED
    assert app(scan, "com.facebook.katana", "10").state is AppState.INSTALLED
    assert app(scan, "com.android.chrome", "0").state is AppState.DISABLED
    assert app(scan, "com.android.chrome", "10").state is AppState.INSTALLED
    assert app(scan, "com.whatsapp", "0").state is AppState.INSTALLED


def test_an_unreadable_profile_is_named_and_makes_the_scan_incomplete() -> None:
    scan = scan_with_shell(samsung_with_work_profile(), "s", name_of=names)
    reports = {s.name: s for s in scan.sources}
    assert reports["user 0 (Owner)"].status is SourceStatus.OK
    assert reports["user 10 (Work profile)"].status is SourceStatus.OK
    secure = reports["user 150 (Secure Folder)"]
    assert secure.status is SourceStatus.FAILED
    assert "Shell does not have permission to access user 150" in secure.detail
    assert not scan.complete
    assert [g.name for g in scan.gaps] == ["user 150 (Secure Folder)"]


def test_an_old_pm_is_fully_inventoried_through_fallbacks() -> None:
    phone = old_android7()
    scan = scan_with_shell(phone, "ZY2243K7QN", name_of=names)
    assert scan.complete
    assert {a.identifier for a in scan.apps} == {
        "android",
        "com.android.calculator2",
        TIKTOK,
        "com.musical.ly.clone",
    }
    tiktok = app(scan, TIKTOK, "0")
    assert tiktok.origin is InstallOrigin.STORE
    assert tiktok.location.endswith("/base.apk")
    assert tiktok.version_code is None and tiktok.uid is None  # the old pm cannot say
    assert app(scan, "com.musical.ly.clone", "0").origin is InstallOrigin.SIDELOADED
    # -U rejected, then --show-versioncode: two more round trips for the full list only.
    assert len(phone.commands) == 4
    last = phone.commands[-1]
    assert "-U" not in last and "--show-versioncode" not in last and "-f -i -u" in last
    assert scan.device.sdk == 24 and scan.device.name == "Motorola Moto G (5)"


def test_a_pm_without_user_flag_reads_user_0_and_names_the_others() -> None:
    phone = samsung_with_work_profile()
    phone.rejects = ("--user",)
    phone.users[2].readable = True
    scan = scan_with_shell(phone, "s", name_of=names)
    reports = {s.name: s for s in scan.sources}
    assert reports["user 0 (Owner)"].status is SourceStatus.OK
    assert app(scan, "com.facebook.katana", "0").state is AppState.REMOVED_FOR_USER
    work = reports["user 10 (Work profile)"]
    assert work.status is SourceStatus.FAILED
    assert "cannot list other users" in work.detail


def test_a_pm_without_u_cannot_vouch_for_removed_for_user_apps() -> None:
    """Without -u a built-in app removed for the user reads as gone: the scan says it could
    not see everything instead of reporting it absent in a 'complete' scan."""
    phone = samsung_with_work_profile()
    phone.rejects = ("-u",)
    scan = scan_with_shell(phone, "s", name_of=names)
    assert not scan.complete
    owner = {s.name: s for s in scan.sources}["user 0 (Owner)"]
    assert owner.status is SourceStatus.PARTIAL
    assert "rejects -u" in owner.detail
    assert app(scan, TIKTOK, "10").state is AppState.INSTALLED  # what it could read, it kept


def test_unplugged_during_the_lists_gives_an_incomplete_result() -> None:
    phone = samsung_with_work_profile()
    phone.drop_after = 1
    # Stage by stage (in one script there is no "during the lists": see test_one_stage.py).
    scan = scan_with_shell(phone, "s", name_of=names, one_stage=False)
    assert not scan.complete
    assert scan.apps == ()
    assert scan.device.name == "Samsung SM-S911B"  # what was read before is kept
    for report in scan.sources:
        assert report.status is SourceStatus.FAILED
        assert "disconnected during the scan" in report.detail


def test_unplugged_before_anything_was_read_is_an_error() -> None:
    phone = samsung_with_work_profile()
    phone.drop_after = 0
    with pytest.raises(DeviceGone):
        scan_with_shell(phone, "s", name_of=names)


def test_garbage_output_fails_every_source_without_crashing() -> None:
    phone = samsung_with_work_profile()
    phone.garbage = True
    scan = scan_with_shell(phone, "s", name_of=names)
    assert scan.apps == ()
    assert not scan.complete
    assert {s.name for s in scan.gaps} == {"phone identity", "user list", "user 0 (Owner)"}


def test_hostile_package_names_are_left_out_and_the_user_is_partial() -> None:
    phone = samsung_with_work_profile()
    for name in ("x;reboot", "$(id)"):
        phone.packages[name] = FakePackage(name, installed={0})
    scan = scan_with_shell(phone, "s", name_of=names)
    assert {"x;reboot", "$(id)"}.isdisjoint(a.identifier for a in scan.apps)
    owner = next(s for s in scan.sources if s.name == "user 0 (Owner)")
    assert owner.status is SourceStatus.PARTIAL
    assert owner.detail.startswith(
        "2 entries the phone listed were left out: their names ('$(id)', 'x;reboot') are not "
        "valid Android package names, so the phone's answer was garbled"
    )
    assert app(scan, "com.whatsapp", "0") is not None


def test_cancelling_stops_between_round_trips() -> None:
    phone = samsung_with_work_profile()
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(phone.commands) >= 1

    with pytest.raises(Cancelled):  # stage by stage: one script has no "between"
        scan_with_shell(phone, "s", cancelled=cancelled, name_of=names, one_stage=False)
    assert len(phone.commands) == 1


def test_progress_is_reported_up_to_done() -> None:
    seen: list[float] = []
    scan_with_shell(samsung_with_work_profile(), "s", progress=lambda f, m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_details_only_for_the_packages_asked_in_one_more_round_trip() -> None:
    phone = samsung_with_work_profile()
    scan = scan_with_shell(
        phone, "s", name_of=names, detail_packages=[TIKTOK, "x;reboot", "com.not.there"]
    )
    # Issue 15: in the one script, run only for a package the lists show.
    assert len(phone.commands) == 1
    assert "x;reboot" not in phone.commands[-1]
    assert phone.commands[-1].count("-e com.") == 2
    dumped = [argv[2] for argv in phone.executed if argv[:2] == ["dumpsys", "package"]]
    assert dumped == [TIKTOK]
    tiktok = app(scan, TIKTOK, "10")
    assert tiktok.version == "32.5.3"
    zone = ZoneInfo("Pacific/Auckland")
    assert tiktok.installed_at == datetime(2023, 3, 3, 10, 0, tzinfo=zone)  # user 10's time
    assert tiktok.updated_at == datetime(2023, 11, 20, 9, 41, 12, tzinfo=zone)
    assert app(scan, "com.whatsapp", "0").version == ""  # not asked, not read


def test_details_for_after_the_scan() -> None:
    phone = samsung_with_work_profile()
    scan = scan_with_shell(phone, "s", name_of=names)
    details = details_with_shell(phone, "s", [TIKTOK])
    assert set(details) == {TIKTOK}
    assert details[TIKTOK].installed_at(10) is not None
    assert details[TIKTOK].installed_at(10).tzinfo is not None  # type: ignore[union-attr]
    enriched = enrich(scan, details)
    assert app(enriched, TIKTOK, "10").version == "32.5.3"
    assert app(scan, TIKTOK, "10").version == ""


def test_a_phone_without_users_command_still_reads_user_0() -> None:
    phone = FakePhone(
        props={"ro.product.model": "X"},
        users=[],
        packages={"a.b": FakePackage("a.b", installed={0}), "android": framework(0)},
    )
    scan = scan_with_shell(phone, "s", name_of=names)
    reports = {s.name: s for s in scan.sources}
    assert reports["user list"].status is SourceStatus.FAILED
    assert "only user 0 was read" in reports["user list"].detail
    assert sorted(a.identifier for a in scan.apps) == ["a.b", "android"]


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"ro.serialno": "R5CW31ABCDE"}, "R5CW31ABCDE"),
        ({"ro.serialno": "", "ro.boot.serialno": "ZY2243K7QN"}, "ZY2243K7QN"),
        ({"ro.serialno": "ACME'\"<>&0001"}, ""),  # not a plain serial: the adb serial names it
        ({"ro.serialno": "x" * 65}, ""),
        ({}, ""),
    ],
)
def test_the_phone_is_named_by_its_own_serial_number(props: dict[str, str], expected: str) -> None:
    assert hardware_serial(props) == expected


def test_a_phone_on_wifi_keeps_its_identity_and_is_reached_by_its_address() -> None:
    phone = samsung_with_work_profile()
    phone.props["ro.serialno"] = "R5CW31ABCDE"
    scan = scan_with_shell(phone, "192.168.1.20:5555", name_of=names)
    assert scan.device.id == "android:R5CW31ABCDE" and scan.device.serial == "R5CW31ABCDE"
    assert scan.device.address == "192.168.1.20:5555"
