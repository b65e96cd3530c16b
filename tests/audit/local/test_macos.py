"""macOS bundles generated on this machine: XML and binary Info.plist, broken plists, bundles
without one, nested helper apps, an iPhone app on Apple silicon, Chrome and Safari web apps."""

from __future__ import annotations

import plistlib
from pathlib import Path

import pytest

from audit.model import AppId, IdentifierKind, InstallOrigin
from audit.sources.local.base import CollectorAbsent, LocalRoots
from audit.sources.local.macos_bundles import (
    MacBundlesCollector,
    PlistError,
    parse_plist,
    publisher_from_copyright,
)
from tests.audit.local.trees import CHROME_APP_ID, bundle, mac_tree


def test_bundles_in_every_applications_folder(tmp_path: Path) -> None:
    roots = mac_tree(tmp_path)
    out = MacBundlesCollector().collect(roots)
    found = {a.identifier: a for a in out.apps}
    assert set(found) == {
        "com.google.Chrome",
        "com.lemon.lvoverseas",  # its nested "CapCut Helper.app" is not listed again
        "com.tencent.xinWeChat",
        "at.obdev.littlesnitch",  # in /Applications/Utilities
        "com.zhiliaoapp.musically",
        "com.apple.calculator",
        f"com.google.Chrome.app.{CHROME_APP_ID}",
        "com.apple.Safari.WebApp.2B7C9D1E-0F3A-4B5C-8D6E-7F8091A2B3C4",
        "Broken",  # a broken Info.plist: listed by its folder name, and reported
        "Empty Shell",  # no Info.plist at all
    }
    chrome = found["com.google.Chrome"]
    assert (chrome.name, chrome.version, chrome.publisher) == (
        "Google Chrome",
        "114.0.5735.198",
        "Google LLC.",
    )
    assert chrome.kind is IdentifierKind.MACOS_BUNDLE and chrome.user == "system"
    capcut = found["com.lemon.lvoverseas"]  # a binary plist
    assert (capcut.name, capcut.version, capcut.publisher) == (
        "CapCut",
        "2.5.0",
        "Bytedance Pte. Ltd.",
    )
    assert found["com.tencent.xinWeChat"].origin is InstallOrigin.STORE  # a Mac App Store receipt
    assert found["at.obdev.littlesnitch"].version == "5"  # a number where text belongs
    calculator = found["com.apple.calculator"]
    assert calculator.system and calculator.origin is InstallOrigin.PREINSTALLED


def test_iphone_app_on_a_mac_carries_its_ios_bundle_id(tmp_path: Path) -> None:
    apps = MacBundlesCollector().collect(mac_tree(tmp_path)).apps
    tiktok = next(a for a in apps if a.identifier == "com.zhiliaoapp.musically")
    assert tiktok.name == "TikTok"
    assert tiktok.other_ids == (AppId(IdentifierKind.IOS_BUNDLE, "com.zhiliaoapp.musically"),)
    assert tiktok.origin is InstallOrigin.STORE


def test_browser_web_apps_in_the_users_applications(tmp_path: Path) -> None:
    roots = mac_tree(tmp_path)
    apps = {a.name: a for a in MacBundlesCollector().collect(roots).apps if a.user == "ana"}
    tiktok, douyin = apps["TikTok"], apps["Douyin"]
    assert tiktok.origin is InstallOrigin.BROWSER and tiktok.installer == "Google Chrome web app"
    assert tiktok.other_ids == (AppId(IdentifierKind.DOMAIN, "www.tiktok.com"),)
    assert tiktok.location == str(
        roots.home / "Applications" / "Chrome Apps.localized" / "TikTok.app"
    )
    assert douyin.installer == "Safari web app"
    assert douyin.other_ids == (AppId(IdentifierKind.DOMAIN, "www.douyin.com"),)


def test_broken_bundles_are_problems(tmp_path: Path) -> None:
    roots = mac_tree(tmp_path)
    out = MacBundlesCollector().collect(roots)
    apps_dir = roots.path("/Applications")
    assert out.problems == [
        f"cannot read the app {apps_dir / 'Broken.app'}: not a valid property list (ExpatError)",
        f"cannot read the app {apps_dir / 'Empty Shell.app'}: it has no Info.plist",
    ]


def test_a_bundle_reached_twice_through_a_link_is_listed_once(tmp_path: Path) -> None:
    roots = mac_tree(tmp_path)
    (roots.home / "Applications" / "Chrome.app").symlink_to(
        roots.path("/Applications/Google Chrome.app")
    )
    apps = MacBundlesCollector().collect(roots).apps
    assert [a.identifier for a in apps].count("com.google.Chrome") == 1


def test_no_applications_folder_means_absent(tmp_path: Path) -> None:
    with pytest.raises(CollectorAbsent):
        MacBundlesCollector().collect(LocalRoots(root=tmp_path, home=tmp_path / "home"))


def test_plist_reader() -> None:
    info = {"CFBundleIdentifier": "x.y", "CFBundleName": "Ünïcode"}
    assert parse_plist(plistlib.dumps(info)) == info
    assert parse_plist(plistlib.dumps(info, fmt=plistlib.FMT_BINARY)) == info
    for broken in (b"", b"bplist00\xff\xff", b"<plist><array/></plist>", b"\x00" * 64):
        with pytest.raises(PlistError):
            parse_plist(broken)


def test_copyright_to_publisher() -> None:
    assert publisher_from_copyright(
        "Copyright © 2015-2023 Bytedance Pte. Ltd. All rights reserved."
    ) == ("Bytedance Pte. Ltd.")
    assert publisher_from_copyright("(c) 2023, Tencent") == "Tencent"
    assert publisher_from_copyright("") == ""


def test_wrong_types_in_info_plist_do_not_break_the_app(tmp_path: Path) -> None:
    apps_dir = tmp_path / "Applications"
    bundle(apps_dir, "Odd", {"CFBundleIdentifier": ["not", "text"], "CFBundleName": True})
    out = MacBundlesCollector().collect(LocalRoots(root=tmp_path, home=tmp_path / "h"))
    (odd,) = out.apps
    assert (odd.identifier, odd.name) == ("Odd", "Odd")
    assert out.problems == []
