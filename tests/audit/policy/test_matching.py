"""What a matcher recognises, and what it must leave alone: tables of cases."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import AppState, FindingStatus, InstalledApp, RunningProcess
from audit.policy import evaluate, loads_policy
from audit.policy.matching import glob_regex, normalise_text
from tests.audit.policy.factories import LAPTOP, app, scan

DAY = date(2023, 3, 20)

POLICY = loads_policy(
    """
id = "matching"
title = "Matching cases"
authority = "Tests"
deadline = 2023-03-31

[[rule]]
id = "ids"
title = "Identifiers"
identifiers = [
  { kind = "android_pkg", value = "com.zhiliaoapp.musically", app = "TikTok" },
  { kind = "android_pkg", value = "com.ss.android.*", confidence = "low" },
  { kind = "appx_name", value = "BytedancePte.Ltd.TikTok", confidence = "medium-high" },
  { kind = "arp_key", value = "CapCut" },
  { kind = "domain", value = "tiktok.com" },
  { kind = "ios_bundle", value = "com.ss.iphone.ugc.Ame" },
  { kind = "winget_id", value = "ByteDance.*" },
]

[[rule]]
id = "names"
title = "Names"
names = [
  { value = "TikTok", publisher = "*bytedance*", app = "TikTok" },
  { value = "TikTok", on = "desktop", app = "TikTok" },
  { value = "Deep  Seek*", confidence = "medium" },
]

[[rule]]
id = "publishers"
title = "Publishers"
publishers = ["AO Kaspersky Lab", { value = "Kaspersky*", confidence = "low" }]

[[rule]]
id = "processes"
title = "Processes"
processes = [{ value = "TikTok.exe", app = "TikTok" }, "lark*"]
""",
    "matching.toml",
)


def judged(installed: InstalledApp) -> tuple[str, FindingStatus] | None:
    """(rule id, status) of the single finding for this app, or None when nothing matched."""
    result = evaluate(scan(installed, device=LAPTOP), POLICY, day=DAY)
    if not result.findings:
        return None
    (finding,) = result.findings
    return finding.rule.id, finding.status


V, R = FindingStatus.VIOLATION, FindingStatus.REVIEW


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        # identifiers: exact, same kind only, case as the kind says
        (app("android_pkg", "com.zhiliaoapp.musically"), ("ids", V)),
        (app("android_pkg", "com.zhiliaoapp.musically.fake"), None),
        (app("android_pkg", "com.zhiliaoapp.musicall"), None),
        (app("android_pkg", "Com.Zhiliaoapp.Musically"), None),  # Android ids are case-sensitive
        (app("ios_bundle", "com.zhiliaoapp.musically"), None),  # another kind of identifier
        (app("ios_bundle", "com.ss.iphone.ugc.ame"), None),
        (app("ios_bundle", "com.ss.iphone.ugc.Ame"), ("ids", V)),
        (app("appx_name", "bytedancepte.ltd.tiktok"), ("ids", V)),  # Windows ignores case
        (app("arp_key", "CAPCUT"), ("ids", V)),
        (app("arp_key", "CapCut Pro"), None),
        # globs: whole value, only * and ? are special
        (app("android_pkg", "com.ss.android.ugc.trill"), ("ids", R)),
        (app("android_pkg", "com.ss.androidx"), None),
        (app("android_pkg", "xcom.ss.android.a"), None),
        (app("winget_id", "ByteDance.CapCut"), ("ids", V)),
        (app("winget_id", "NotByteDance.CapCut"), None),
        # other identifiers of the app count too
        (
            app("desktop", "x.desktop", "Clips", other_ids=[("domain", "www.tiktok.com")]),
            ("ids", V),
        ),
        (app("desktop", "x.desktop", "Clips", other_ids=[("domain", "TIKTOK.COM.")]), ("ids", V)),
        (app("desktop", "x.desktop", "Clips", other_ids=[("domain", "nottiktok.com")]), None),
        (app("desktop", "x.desktop", "Clips", other_ids=[("domain", "tiktok.com.evil")]), None),
        # names: case, compatibility forms and spaces ignored; whole name; publisher checked
        (app("arp_key", "{GUID}", "TikTok", publisher="Bytedance Pte. Ltd."), ("names", V)),
        (app("arp_key", "{GUID}", "  tiktok ", publisher="BYTEDANCE"), ("names", V)),
        (app("arp_key", "{GUID}", "ＴｉｋＴｏｋ", publisher="ByteDance"), ("names", V)),
        (app("arp_key", "{GUID}", "TikTokker Notes", publisher="Notes Co"), None),
        (app("arp_key", "{GUID}", "TikTokker Notes", publisher="ByteDance"), None),
        (app("arp_key", "{GUID}", "TikTok", publisher="Notes Co"), None),
        (app("arp_key", "{GUID}", "TikTok"), ("names", R)),  # no publisher: a person checks
        (app("desktop", "chrome-abc.desktop", "TikTok"), ("names", V)),  # `on = "desktop"`
        (app("appimage", "TikTok.AppImage", "TikTok"), ("names", R)),
        (app("arp_key", "{GUID}", "deep seek chat"), ("names", R)),
        (app("arp_key", "{GUID}", "A DeepSeek"), None),
        # publishers
        (app("arp_key", "{K}", "Antivirus", publisher="AO  Kaspersky Lab"), ("publishers", V)),
        (app("arp_key", "{K}", "Antivirus", publisher="Kaspersky Lab UK"), ("publishers", R)),
        (app("arp_key", "{K}", "Kaspersky Free"), None),
    ],
)
def test_matching_table(
    installed: InstalledApp, expected: tuple[str, FindingStatus] | None
) -> None:
    assert judged(installed) == expected


def test_identifier_beats_name_and_one_finding_per_app() -> None:
    tiktok = app("appx_name", "BytedancePte.Ltd.TikTok", "TikTok", publisher="Bytedance Pte. Ltd.")
    result = evaluate(scan(tiktok, device=LAPTOP), POLICY, day=DAY)
    assert len(result.findings) == 1
    (finding,) = result.findings
    # both are enforceable; the name matcher is high, the appx one medium-high
    assert finding.matcher.confidence.value == "high"
    assert finding.status is V


@pytest.mark.parametrize(
    ("process", "running_on"),
    [
        (RunningProcess(7, "TikTok.exe", "C:\\Apps\\TikTok.exe"), "TikTok"),
        (RunningProcess(7, "tiktok.EXE"), "TikTok"),
        (RunningProcess(7, "svchost.exe", "C:\\Program Files\\Clips\\TikTok.exe"), "TikTok"),
        (RunningProcess(7, "TikTokker.exe"), None),
    ],
)
def test_process_attaches_to_its_app(process: RunningProcess, running_on: str | None) -> None:
    tiktok = app("arp_key", "{GUID}", "TikTok", publisher="ByteDance")
    result = evaluate(scan(tiktok, device=LAPTOP, processes=[process]), POLICY, day=DAY)
    running = [f.app.name for f in result.findings if f.running]
    assert running == ([running_on] if running_on else [])
    assert len(result.findings) == 1  # an attached process adds no finding of its own


def test_process_of_an_app_no_collector_listed_is_a_finding() -> None:
    result = evaluate(
        scan(device=LAPTOP, processes=[RunningProcess(9, "lark-portable", "/opt/lark")]),
        POLICY,
        day=DAY,
    )
    (finding,) = result.findings
    assert finding.rule.id == "processes"
    assert finding.status is V
    assert finding.app.identifier == "lark-portable"
    assert [p.pid for p in finding.running] == [9]


def test_android_process_is_linked_by_package_and_user() -> None:
    owner = app("android_pkg", "com.zhiliaoapp.musically", "TikTok", user="0")
    work = app("android_pkg", "com.zhiliaoapp.musically", "TikTok", user="10")
    processes = [RunningProcess(1, "com.zhiliaoapp.musically:push", user="u10_a234")]
    result = evaluate(scan(owner, work, processes=processes), POLICY, day=DAY)
    running = {f.app.user: bool(f.running) for f in result.findings}
    assert running == {"0": False, "10": True}


def test_removed_app_is_resolved_not_flagged() -> None:
    gone = app("android_pkg", "com.zhiliaoapp.musically", state=AppState.ABSENT)
    (finding,) = evaluate(scan(gone), POLICY, day=DAY).findings
    assert finding.status is FindingStatus.RESOLVED
    # a review-only match on an app that is not there has nothing to review
    heuristic = app("android_pkg", "com.ss.android.x", state=AppState.ABSENT)
    assert evaluate(scan(heuristic), POLICY, day=DAY).findings == ()


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("a*b", "ab", True),
        ("a*b", "a..b", True),
        ("a?b", "axb", True),
        ("a?b", "ab", False),
        ("a.b", "axb", False),  # a dot is a dot
        ("[ab]", "a", False),  # brackets are literal, unlike fnmatch
        ("[ab]", "[ab]", True),
        ("a*", "a\nb", True),
    ],
)
def test_glob_semantics(pattern: str, text: str, matches: bool) -> None:
    import re

    assert bool(re.fullmatch(glob_regex(pattern), text, re.DOTALL)) is matches


NAMES = st.text(min_size=0, max_size=40)


@settings(max_examples=200, deadline=None)
@given(name=NAMES, publisher=NAMES, identifier=NAMES, process=NAMES)
def test_matching_never_crashes_and_never_flags_unknown_names(
    name: str, publisher: str, identifier: str, process: str
) -> None:
    installed = app("arp_key", identifier or "x", name, publisher=publisher)
    result = evaluate(
        scan(installed, device=LAPTOP, processes=[RunningProcess(1, process)]), POLICY, day=DAY
    )
    for finding in result.findings:
        if finding.app is installed and finding.matcher.kind.value == "name":
            # a name finding means the whole normalised name matched one of the patterns
            assert normalise_text(name) in {"tiktok"} or normalise_text(name).startswith(
                "deep seek"
            )


@settings(max_examples=100, deadline=None)
@given(suffix=st.text(min_size=1, max_size=20))
def test_no_suffix_turns_a_lookalike_into_tiktok(suffix: str) -> None:
    lookalike = app("android_pkg", "com.zhiliaoapp.musically" + suffix)
    result = evaluate(scan(lookalike), POLICY, day=DAY)
    assert result.violations == ()


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=30))
def test_fast_normalisation_equals_the_plain_definition(text: str) -> None:
    import re
    import unicodedata

    plain = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()
    assert normalise_text(text) == plain


def test_process_from_an_app_folder_is_not_also_the_web_app_running() -> None:
    windows_app = app(
        "arp_key", "{A}", "TikTok", publisher="ByteDance", location="C:\\Apps\\TikTok"
    )
    web_app = app("desktop", "chrome-x.desktop", "TikTok")
    process = RunningProcess(5, "TikTok.exe", "C:\\Apps\\TikTok\\TikTok.exe")
    result = evaluate(
        scan(windows_app, web_app, device=LAPTOP, processes=[process]), POLICY, day=DAY
    )
    assert {f.app.identifier: bool(f.running) for f in result.findings} == {
        "{A}": True,
        "chrome-x.desktop": False,
    }
