"""The presets of the December 2026 review flag the apps their bans name, on each platform the
catalog knows, and leave alone what they do not name."""

from __future__ import annotations

from datetime import date

import pytest

from audit.model import FindingStatus, InstalledApp, RunningProcess
from audit.policy import evaluate, load_policy
from tests.audit.policy.factories import LAPTOP, PHONE, app, scan

V, R = FindingStatus.VIOLATION, FindingStatus.REVIEW
LATER = date(2026, 12, 7)  # every rule of every preset is in force


def status_of(preset: str, installed: InstalledApp) -> FindingStatus | None:
    device = PHONE if installed.kind.value == "android_pkg" else LAPTOP
    result = evaluate(scan(installed, device=device), load_policy(preset), day=LATER)
    statuses = {f.status for f in result.findings}
    assert len(statuses) <= 1
    return statuses.pop() if statuses else None


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        (app("android_pkg", "com.deepseek.chat", "DeepSeek"), V),
        (app("appstore_id", "6737597349", "DeepSeek"), V),
        (app("android_pkg", "com.tencent.mm", "WeChat"), V),
        (app("arp_key", "Weixin", "微信", publisher="Tencent"), V),  # WeChat 4.x on Windows
        (app("macos_bundle", "com.tencent.xinWeChat", "WeChat"), V),
        (app("android_pkg", "com.xingin.xhs", "小红书"), V),
        (app("ios_bundle", "com.xingin.discover", "RedNote"), V),
        (app("appstore_id", "741292507", "RedNote"), V),
        (app("android_pkg", "com.lemon.lvoverseas", "CapCut"), V),
        (app("msstore_id", "XP9KN75RRB9NHS", "CapCut"), V),
        (app("android_pkg", "com.zhiliaoapp.musically", "TikTok"), V),
        (app("android_pkg", "com.ss.android.ugc.trill.go", "TikTok Lite"), V),
        # the ban names the apps: their web apps are for review
        (app("desktop", "a.desktop", "Chat", other_ids=[("domain", "chat.deepseek.com")]), R),
        (app("desktop", "b.desktop", "Notes", other_ids=[("domain", "www.xiaohongshu.com")]), R),
        # not named by the 2025 decision
        (app("android_pkg", "com.bd.nproject", "Lemon8"), None),
        (app("android_pkg", "com.kms.free", "Kaspersky"), None),
    ],
)
def test_nz_parliament_2025(installed: InstalledApp, expected: FindingStatus | None) -> None:
    assert status_of("nz-parliament-2025", installed) is expected


def test_nz_2025_flags_wechat_4_running_as_weixin_exe() -> None:
    """A portable WeChat 4.x that no collector listed is still found running."""
    weixin = RunningProcess(4242, "Weixin.exe", exe="C:\\Tools\\Weixin\\Weixin.exe")
    result = evaluate(
        scan(device=LAPTOP, processes=[weixin]), load_policy("nz-parliament-2025"), day=LATER
    )
    assert [(f.rule.id, f.status) for f in result.findings] == [("wechat", V)]


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        (app("android_pkg", "com.kms.free", "Kaspersky"), V),
        (app("winget_id", "Kaspersky.KasperskyTotalSecurity"), V),
        (app("arp_key", "{K}", "Kaspersky Plus", publisher="AO Kaspersky Lab"), V),
        (app("android_pkg", "com.kaspersky.passwordmanager", "Password Manager"), R),
        (app("android_pkg", "com.kmsjp", "Kaspersky"), R),  # medium: one curated list
        (app("android_pkg", "com.tencent.mm", "WeChat"), V),
        (app("domain", "chat.deepseek.com", "DeepSeek"), V),  # departments block the website
        (app("android_pkg", "com.xingin.xhs", "RedNote"), None),  # not named in Canada
    ],
)
def test_canada_gc_mobile_2025(installed: InstalledApp, expected: FindingStatus | None) -> None:
    assert status_of("canada-gc-mobile-2025", installed) is expected


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        (app("android_pkg", "com.kms.free", "Kaspersky"), V),
        (app("domain", "chat.deepseek.com", "DeepSeek"), V),  # "web services"
        (app("android_pkg", "com.zhiliaoapp.musically", "TikTok"), V),
        (app("android_pkg", "com.tencent.mm", "WeChat"), None),
    ],
)
def test_australia_pspf_2025(installed: InstalledApp, expected: FindingStatus | None) -> None:
    assert status_of("australia-pspf-2025", installed) is expected


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        (app("android_pkg", "org.dayup.stocks", "Webull"), V),
        (app("android_pkg", "org.dayup.stocks.hk", "Webull"), R),  # regional build: medium
        (app("android_pkg", "com.moomoo.trade", "moomoo"), V),
        (app("android_pkg", "com.tigerbrokers.stock", "Tiger Trade"), R),  # one source
        (app("appstore_id", "1498607143", "Lemon8"), V),
        (app("android_pkg", "com.xingin.xhs", "RedNote"), V),
        (app("android_pkg", "com.deepseek.chat", "DeepSeek"), V),
        (app("android_pkg", "com.zhiliaoapp.musically", "TikTok"), V),
        (app("android_pkg", "com.tencent.mm", "WeChat"), None),  # not in the sources found
    ],
)
def test_texas_prohibited_technologies_2025(
    installed: InstalledApp, expected: FindingStatus | None
) -> None:
    assert status_of("texas-prohibited-technologies-2025", installed) is expected


@pytest.mark.parametrize(
    ("preset", "installed", "expected"),
    [
        ("taiwan-public-sector-2025", app("android_pkg", "com.ss.android.ugc.aweme", "抖音"), V),
        ("taiwan-public-sector-2025", app("ios_bundle", "com.xingin.discover", "小红书"), V),
        ("taiwan-public-sector-2025", app("android_pkg", "com.bd.nproject", "Lemon8"), None),
        ("czechia-deepseek-2025", app("domain", "chat.deepseek.com", "DeepSeek"), V),
        ("czechia-deepseek-2025", app("android_pkg", "com.zhiliaoapp.musically"), None),
        ("us-house-2025", app("android_pkg", "com.deepseek.chat", "DeepSeek"), V),
        (
            "us-house-2025",
            app("desktop", "a.desktop", "Chat", other_ids=[("domain", "chat.deepseek.com")]),
            R,
        ),
    ],
)
def test_runners_up(preset: str, installed: InstalledApp, expected: FindingStatus | None) -> None:
    assert status_of(preset, installed) is expected
