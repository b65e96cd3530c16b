"""Each preset flags its own apps on each platform it names, and leaves look-alikes alone."""

from __future__ import annotations

from datetime import date

import pytest

from audit.model import (
    AppState,
    DeviceStatus,
    FindingStatus,
    IdentifierKind,
    InstalledApp,
    MatchKind,
    Policy,
)
from audit.policy import default_catalog, evaluate, list_presets, load_policy, preset_ids
from tests.audit.policy.factories import LAPTOP, PHONE, app, scan

V, R = FindingStatus.VIOLATION, FindingStatus.REVIEW
TIKTOK_ONLY = (
    "nz-parliament-2023",
    "uk-government-2023",
    "eu-commission-2023",
    "canada-2023",
    "australia-2023",
)

EXPECTED_DEADLINES = {
    "nz-parliament-2023": date(2023, 3, 31),
    "uk-government-2023": date(2023, 3, 16),
    "us-federal-2023": date(2023, 3, 29),
    "eu-commission-2023": date(2023, 3, 15),
    "canada-2023": date(2023, 2, 28),
    "australia-2023": date(2023, 4, 4),
    "australia-deepseek-2025": date(2025, 2, 4),
    "india-2020": date(2020, 6, 29),
    # Bans that grew: the policy's deadline is the last of its rules' own deadlines.
    "nz-parliament-2025": date(2025, 2, 24),
    "canada-gc-mobile-2025": date(2025, 2, 6),
    "australia-pspf-2025": date(2025, 4, 1),
    "texas-prohibited-technologies-2025": date(2025, 1, 31),
    "taiwan-public-sector-2025": date(2025, 1, 31),
    "czechia-deepseek-2025": date(2025, 7, 9),
    "us-house-2025": date(2025, 1, 30),
}


def status_of(policy: Policy, installed: InstalledApp) -> FindingStatus | None:
    device = PHONE if installed.kind is IdentifierKind.ANDROID_PACKAGE else LAPTOP
    result = evaluate(scan(installed, device=device), policy, day=policy.deadline or date.today())
    statuses = {f.status for f in result.findings}
    assert len(statuses) <= 1
    return statuses.pop() if statuses else None


def test_presets_are_the_ones_promised_with_their_deadlines() -> None:
    presets = list_presets()
    assert [p.id for p in presets] == sorted(EXPECTED_DEADLINES)
    assert {p.id: p.deadline for p in presets} == EXPECTED_DEADLINES
    for policy in presets:
        assert policy.sources and all(
            s.startswith("https://") or s.startswith("http://") for s in policy.sources
        )
        assert policy.authority and policy.scope and policy.exception_route and policy.consequence
        assert len(policy.sha256) == 64
        assert policy.origin == policy.id
        assert load_policy(policy.id) is policy  # presets are loaded once


def test_nz_preset_carries_the_founding_facts() -> None:
    nz = load_policy("nz-parliament-2023")
    assert nz.announced == date(2023, 3, 17)
    assert "democratic duties" in nz.exception_route
    assert "losing access to the parliamentary network" in nz.consequence


# (platform, app record) pairs a TikTok-app ban must flag on every platform it names
TIKTOK_ON_EVERY_PLATFORM = [
    app("android_pkg", "com.zhiliaoapp.musically", "TikTok"),
    app("android_pkg", "com.ss.android.ugc.trill", "TikTok"),
    app("android_pkg", "com.zhiliaoapp.musically.go", "TikTok Lite"),
    app("ios_bundle", "com.zhiliaoapp.musically", "TikTok"),
    app("ios_bundle", "com.ss.iphone.ugc.Ame", "TikTok"),
    app("appstore_id", "835599320", "TikTok"),
    app("appstore_id", "1235601864", "TikTok"),
    app("msstore_id", "9NH2GPH4JZS4", "TikTok"),
    app(
        "appx_name",
        "BytedancePte.Ltd.TikTok",
        "TikTok",
        other_ids=[("appx_pfn", "BytedancePte.Ltd.TikTok_6yccndn6064se")],
    ),
    app("appx_pfn", "BytedancePte.Ltd.TikTok_6yccndn6064se"),
    app("arp_key", "{0A1B}", "TikTok", publisher="Bytedance Pte. Ltd."),
    app("arp_key", "{0A1B}", "TikTok", publisher="TikTok Pte. Ltd."),
]
TIKTOK_WEB_APPS = [
    app("desktop", "chrome-fhkbg-Default.desktop", "TikTok"),
    app("desktop", "msedge-x.desktop", "Short videos", other_ids=[("domain", "www.tiktok.com")]),
]


@pytest.mark.parametrize("preset", [*TIKTOK_ONLY, "us-federal-2023", "india-2020"])
@pytest.mark.parametrize(
    "installed", TIKTOK_ON_EVERY_PLATFORM, ids=lambda a: f"{a.kind}:{a.identifier}"
)
def test_tiktok_bans_flag_tiktok_on_every_platform(preset: str, installed: InstalledApp) -> None:
    assert status_of(load_policy(preset), installed) is V


@pytest.mark.parametrize("installed", TIKTOK_WEB_APPS, ids=lambda a: a.identifier)
def test_web_apps_follow_what_each_ban_says_about_the_browser(installed: InstalledApp) -> None:
    # the app-only bans list a web app for review; OMB blocks the traffic and India the service
    for preset in TIKTOK_ONLY:
        assert status_of(load_policy(preset), installed) is R, preset
    for preset in ("us-federal-2023", "india-2020"):
        assert status_of(load_policy(preset), installed) is V, preset


LOOKALIKES = [
    app("android_pkg", "com.zhiliaoapp.musically.fake", "Musically Cleaner"),
    app("android_pkg", "com.example.tiktokdownloader", "TikTokker Notes", publisher="Notes Ltd"),
    app("arp_key", "TikTokker Notes", "TikTokker Notes", publisher="Another Publisher Ltd"),
    app("desktop", "notes.desktop", "TikTokker Notes", other_ids=[("domain", "tiktokker.example")]),
    app("ios_bundle", "com.zhiliaoapp.musically.fake", "Something"),
    app("appstore_id", "8355993200"),
    app("android_pkg", "com.deepseek.chatbot.fake", "Chat"),
]


@pytest.mark.parametrize("installed", LOOKALIKES, ids=lambda a: f"{a.kind}:{a.identifier}")
def test_lookalikes_are_never_violations(installed: InstalledApp) -> None:
    for policy in list_presets():
        assert status_of(policy, installed) in (None, R), policy.id
    for preset in TIKTOK_ONLY:
        assert status_of(load_policy(preset), installed) is None


def test_namespace_heuristic_only_asks_for_review_under_us_federal() -> None:
    us = load_policy("us-federal-2023")
    assert status_of(us, app("android_pkg", "com.zhiliaoapp.musically.fake")) is R
    assert status_of(us, app("android_pkg", "com.ss.android.newthing")) is R
    assert status_of(us, app("ios_bundle", "com.ss.iphone.anything")) is R
    assert (
        status_of(load_policy("nz-parliament-2023"), app("android_pkg", "com.ss.android.x")) is None
    )


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        (app("android_pkg", "com.lemon.lvoverseas", "CapCut"), V),
        (app("winget_id", "ByteDance.CapCut"), V),
        (app("arp_key", "capcut", "CapCut"), V),
        (app("macos_bundle", "com.lemon.lvoverseas", "CapCut"), V),  # Homebrew cask: high
        (app("msstore_id", "XP9KN75RRB9NHS", "CapCut"), V),  # high since the 2026 review
        (app("macos_bundle", "com.electron.lark", "Lark"), V),
        (app("macos_bundle", "com.larksuite.larkApp", "Lark"), R),  # sources conflict
        (app("appstore_id", "6754134922", "PineDrama"), V),
        (app("domain", "www.dola.com", "Dola"), V),
        (app("android_pkg", "com.bd.nproject", "Lemon8"), V),
        (app("android_pkg", "com.larksuite.suite", "Lark"), V),
        (app("winget_id", "ByteDance.Lark"), V),
        (app("arp_key", "{L}", "Lark", publisher="Lark Technologies Pte. Ltd."), V),
        (app("android_pkg", "com.ss.android.ugc.aweme", "抖音"), V),
        (app("appstore_id", "1142110895"), V),
        (app("android_pkg", "com.ss.android.tt.creator", "TikTok Studio"), V),
        (app("android_pkg", "com.gorgeous.liteinternational", "ULike"), R),  # low-medium
        (app("android_pkg", "com.nvsgames.snap", "MARVEL SNAP"), None),  # link not verified
    ],
)
def test_us_federal_covers_bytedance_successor_apps(
    installed: InstalledApp, expected: FindingStatus | None
) -> None:
    assert status_of(load_policy("us-federal-2023"), installed) is expected


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        (app("android_pkg", "com.deepseek.chat", "DeepSeek"), V),
        (app("appstore_id", "6737597349", "DeepSeek"), V),
        (app("ios_bundle", "com.deepseek.chat", "DeepSeek"), R),  # two weak signals stay weak
        (app("ios_bundle", "com.deepseek.chat", "Chat"), R),
        (app("desktop", "chrome-ds.desktop", "DeepSeek"), V),
        (app("desktop", "a.desktop", "Assistant", other_ids=[("domain", "chat.deepseek.com")]), V),
        (app("android_pkg", "com.zhiliaoapp.musically", "TikTok"), None),
    ],
)
def test_australia_2025_covers_deepseek_app_and_web(
    installed: InstalledApp, expected: FindingStatus | None
) -> None:
    assert status_of(load_policy("australia-deepseek-2025"), installed) is expected


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        (app("android_pkg", "com.zhiliaoapp.musically", "TikTok"), V),
        (app("android_pkg", "app.buzz.share", "Helo"), V),
        (app("android_pkg", "com.lenovo.anyshare.gps", "SHAREit"), V),
        (app("android_pkg", "shareit.lite", "SHAREit Lite"), V),  # medium-high in the notes
        (app("android_pkg", "com.UCMobile.intl", "UC Browser"), V),
        (app("android_pkg", "com.intsig.camscanner", "CamScanner"), V),
        (app("android_pkg", "com.tencent.mm", "WeChat"), V),
        (app("macos_bundle", "com.tencent.xinWeChat", "WeChat"), V),
        (app("android_pkg", "cn.xender", "Xender"), None),  # medium: not in the high part
        (app("android_pkg", "com.ss.android.ugc.boom", "Vigo Video"), None),
    ],
)
def test_india_2020_covers_the_high_confidence_apps(
    installed: InstalledApp, expected: FindingStatus | None
) -> None:
    assert status_of(load_policy("india-2020"), installed) is expected


def test_every_enforceable_catalog_identifier_of_a_preset_is_flagged() -> None:
    """A sweep over each preset's own identifiers: every kind of identifier reaches a verdict."""
    checked: set[IdentifierKind] = set()
    for policy in list_presets():
        for rule in policy.rules:
            for matcher in rule.matchers:
                if matcher.kind is not MatchKind.IDENTIFIER or "*" in matcher.pattern:
                    continue
                assert matcher.id_kind is not None
                installed = app(matcher.id_kind, matcher.pattern)
                expected = V if matcher.confidence.enforceable and not rule.review_only else R
                assert status_of(policy, installed) is expected, (policy.id, matcher)
                checked.add(matcher.id_kind)
    assert checked >= {
        IdentifierKind.ANDROID_PACKAGE,
        IdentifierKind.IOS_BUNDLE,
        IdentifierKind.APPSTORE_ID,
        IdentifierKind.MSSTORE_ID,
        IdentifierKind.APPX_NAME,
        IdentifierKind.APPX_PFN,
        IdentifierKind.WINGET_ID,
        IdentifierKind.ARP_KEY,
        IdentifierKind.MACOS_BUNDLE,
        IdentifierKind.DOMAIN,
    }


@pytest.mark.parametrize("preset", preset_ids())
def test_system_copy_removed_for_user_is_compliant_under_presets(preset: str) -> None:
    policy = load_policy(preset)
    assert policy.compliant_states == {AppState.ABSENT, AppState.REMOVED_FOR_USER}
    rule, banned = next(
        (r, m)
        for r in policy.rules
        for m in r.matchers
        if m.kind is MatchKind.IDENTIFIER
        and m.id_kind is IdentifierKind.ANDROID_PACKAGE
        and m.confidence.enforceable
    )
    day = policy.rule_deadline(rule) or date.today()  # the last day of that rule: not overdue
    for state, status, device_status in [
        (AppState.REMOVED_FOR_USER, FindingStatus.RESOLVED, DeviceStatus.COMPLIANT),
        (AppState.DISABLED, FindingStatus.VIOLATION, DeviceStatus.NON_COMPLIANT),
        (AppState.INSTALLED, FindingStatus.VIOLATION, DeviceStatus.NON_COMPLIANT),
    ]:
        installed = app("android_pkg", banned.pattern, state=state)
        result = evaluate(scan(installed), policy, day=day)
        assert [f.status for f in result.findings] == [status]
        assert result.status is device_status


def test_catalog_identifiers_are_well_formed() -> None:
    import re

    android = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$")
    for entry in default_catalog().entries.values():
        assert entry.source, entry.id
        if entry.kind is not MatchKind.IDENTIFIER or "*" in entry.value:
            continue
        if entry.id_kind is IdentifierKind.ANDROID_PACKAGE:
            assert android.match(entry.value), entry.id
        if entry.id_kind is IdentifierKind.APPSTORE_ID:
            assert entry.value.isdigit(), entry.id


def test_catalog_names_apps_by_exact_identifier_only() -> None:
    from audit.model import AppId

    catalog = default_catalog()
    assert (
        catalog.app_name(AppId(IdentifierKind.ANDROID_PACKAGE, "com.zhiliaoapp.musically"))
        == "TikTok"
    )
    assert catalog.app_name(AppId(IdentifierKind.ARP_KEY, "CAPCUT")) == "CapCut"
    assert (
        catalog.app_name(AppId(IdentifierKind.ANDROID_PACKAGE, "Com.Zhiliaoapp.Musically")) is None
    )
    assert (
        catalog.app_name(AppId(IdentifierKind.ANDROID_PACKAGE, "com.ss.android.whatever")) is None
    )
    assert catalog.app_name(AppId(IdentifierKind.ANDROID_PACKAGE, "com.example.app")) is None
