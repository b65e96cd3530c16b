"""Judgement: deadlines, exemptions, incomplete scans, compliant states."""

from __future__ import annotations

import json
from datetime import date

import pytest

from audit.model import AppState, DeviceStatus, FindingStatus
from audit.policy import (
    assessment_to_dict,
    evaluate,
    finding_reason,
    load_policy,
    loads_policy,
    status_text,
)
from tests.audit.policy.factories import LAPTOP, PHONE, TIKTOK, app, exemption, scan

NZ = load_policy("nz-parliament-2023")  # deadline 2023-03-31


@pytest.mark.parametrize(
    ("day", "expected", "days_left"),
    [
        (date(2023, 3, 17), DeviceStatus.NON_COMPLIANT, 14),
        (date(2023, 3, 31), DeviceStatus.NON_COMPLIANT, 0),  # the deadline day is still in time
        (date(2023, 4, 1), DeviceStatus.OVERDUE, -1),
        (date(2024, 1, 1), DeviceStatus.OVERDUE, -276),
    ],
)
def test_violations_are_non_compliant_before_the_deadline_and_overdue_after(
    day: date, expected: DeviceStatus, days_left: int
) -> None:
    result = evaluate(scan(TIKTOK), NZ, day=day)
    assert result.status is expected
    assert result.days_to_deadline == days_left
    assert not result.status.compliant


def test_clean_device_is_compliant_and_says_so() -> None:
    result = evaluate(
        scan(app("android_pkg", "com.example.notes", "Notes")), NZ, day=date(2023, 4, 2)
    )
    assert result.status is DeviceStatus.COMPLIANT
    assert result.findings == ()
    assert status_text(result) == "Compliant: no banned apps found."


@pytest.mark.parametrize("apps", [(), (TIKTOK,)], ids=["nothing found", "tiktok found"])
def test_incomplete_scan_is_never_compliant(apps: tuple) -> None:  # type: ignore[type-arg]
    result = evaluate(scan(*apps, failed=["user 10"]), NZ, day=date(2023, 3, 20))
    assert result.status is DeviceStatus.INCOMPLETE
    assert not result.status.compliant
    assert "user 10" in status_text(result)


def test_scan_that_names_no_sources_is_incomplete() -> None:
    from dataclasses import replace

    empty = replace(scan(), sources=())
    assert evaluate(empty, NZ, day=date(2023, 3, 20)).status is DeviceStatus.INCOMPLETE


def test_review_findings_alone_leave_a_device_compliant_but_listed() -> None:
    result = evaluate(scan(app("desktop", "chrome-x.desktop", "TikTok")), NZ, day=date(2023, 4, 2))
    assert [f.status for f in result.findings] == [FindingStatus.REVIEW]
    assert result.status is DeviceStatus.COMPLIANT
    assert "1 possible match to review" in status_text(result)
    two = scan(
        app("desktop", "chrome-x.desktop", "TikTok"), app("desktop", "chrome-y.desktop", "TikTok")
    )
    assert "2 possible matches to review" in status_text(evaluate(two, NZ, day=date(2023, 4, 2)))


# --- exemptions -------------------------------------------------------------------------------

GRANTED, EXPIRES = date(2023, 3, 20), date(2023, 6, 30)


@pytest.mark.parametrize(
    ("day", "finding", "device"),
    [
        (date(2023, 3, 19), FindingStatus.VIOLATION, DeviceStatus.NON_COMPLIANT),  # not yet
        (GRANTED, FindingStatus.EXCEPTED, DeviceStatus.COMPLIANT_WITH_EXCEPTIONS),
        (date(2023, 5, 1), FindingStatus.EXCEPTED, DeviceStatus.COMPLIANT_WITH_EXCEPTIONS),
        (EXPIRES, FindingStatus.EXCEPTED, DeviceStatus.COMPLIANT_WITH_EXCEPTIONS),  # inclusive
        (date(2023, 7, 1), FindingStatus.VIOLATION, DeviceStatus.OVERDUE),  # expired
    ],
)
def test_exemption_holds_until_its_expiry_inclusive_and_not_after(
    day: date, finding: FindingStatus, device: DeviceStatus
) -> None:
    granted = exemption(GRANTED, EXPIRES, person="s1234", policy=NZ.id)
    result = evaluate(scan(TIKTOK), NZ, [granted], day=day, person="s1234")
    assert [f.status for f in result.findings] == [finding]
    assert result.status is device
    # the finding names the exemption either way, so a person learns it lapsed or starts later
    assert result.findings[0].exemption == granted
    assert result.exemptions == (granted,)


def test_expired_exemption_is_named_in_the_reason() -> None:
    granted = exemption(GRANTED, EXPIRES)
    result = evaluate(scan(TIKTOK), NZ, [granted], day=date(2023, 7, 1))
    data = assessment_to_dict(result)
    assert "expired on 2023-06-30" in data["findings"][0]["reason"]
    assert data["findings"][0]["exemption_active"] is False


@pytest.mark.parametrize(
    ("fields", "person", "applies"),
    [
        ({}, "", True),
        ({"person": "s1234"}, "s1234", True),
        ({"person": "s1234"}, "s9999", False),
        ({"person": "s1234"}, "", False),  # an unnamed check does not borrow anyone's exemption
        ({"device": "android:R58M123"}, "", True),
        ({"device": "R58M123"}, "", True),  # the serial is enough
        ({"device": "android:OTHER"}, "", False),
        ({"policy": "nz-parliament-2023"}, "", True),
        ({"policy": "uk-government-2023"}, "", False),
        ({"rules": ("tiktok",)}, "", True),
        ({"rules": ("tiktok-web-app",)}, "", False),
        ({"apps": ("com.zhiliaoapp.musically",)}, "", True),
        ({"apps": ("TikTok",)}, "", True),  # the app's catalog name
        ({"apps": ("com.zhiliaoapp.musically.fake",)}, "", False),
        ({"apps": ("COM.ZHILIAOAPP.MUSICALLY",)}, "", False),  # Android ids are case-sensitive
    ],
)
def test_exemption_scope(fields: dict, person: str, applies: bool) -> None:  # type: ignore[type-arg]
    granted = exemption(GRANTED, EXPIRES, **fields)
    result = evaluate(scan(TIKTOK), NZ, [granted], day=date(2023, 4, 1), person=person)
    expected = FindingStatus.EXCEPTED if applies else FindingStatus.VIOLATION
    assert [f.status for f in result.findings] == [expected]


def test_exemption_for_one_rule_does_not_excuse_another() -> None:
    us = load_policy("us-federal-2023")
    capcut = app("android_pkg", "com.lemon.lvoverseas", "CapCut")
    only_tiktok = exemption(GRANTED, EXPIRES, rules=("tiktok",))
    result = evaluate(scan(TIKTOK, capcut), us, [only_tiktok], day=date(2023, 4, 1))
    statuses = {f.app.name: f.status for f in result.findings}
    assert statuses == {"TikTok": FindingStatus.EXCEPTED, "CapCut": FindingStatus.VIOLATION}
    assert result.status is DeviceStatus.OVERDUE


def test_a_heuristic_review_does_not_hide_an_exemption() -> None:
    # com.zhiliaoapp.musically matches the tiktok rule and the namespace heuristic (review)
    us = load_policy("us-federal-2023")
    for_tiktok = exemption(GRANTED, EXPIRES, rules=("tiktok",))
    (finding,) = evaluate(scan(TIKTOK), us, [for_tiktok], day=date(2023, 4, 1)).findings
    assert finding.status is FindingStatus.EXCEPTED
    assert finding.rule.id == "tiktok"


def test_an_exemption_does_not_count_a_possible_match_as_an_app_kept() -> None:
    # A flatpak named "tiktok" is a medium-confidence (review) match of the tiktok rule.
    flatpak = app("flatpak", "tiktok", "TikTok")
    for_tiktok = exemption(GRANTED, EXPIRES, rules=("tiktok",))
    both = evaluate(scan(TIKTOK, flatpak), NZ, [for_tiktok], day=date(2023, 4, 1))
    statuses = {f.app.identifier: f.status for f in both.findings}
    assert statuses == {
        "com.zhiliaoapp.musically": FindingStatus.EXCEPTED,
        "tiktok": FindingStatus.REVIEW,
    }
    assert both.status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS
    assert "1 app kept under an exemption" in status_text(both)
    alone = evaluate(scan(flatpak), NZ, [for_tiktok], day=date(2023, 4, 1))
    assert [f.status for f in alone.findings] == [FindingStatus.REVIEW]
    assert alone.status is DeviceStatus.COMPLIANT  # nothing was kept under the exemption


def test_an_app_banned_by_two_rules_needs_an_exemption_for_both() -> None:
    policy = loads_policy(
        """
id = "two"
title = "Two rules"
authority = "Tests"
[[rule]]
id = "a"
title = "A"
catalog = ["tiktok-android"]
[[rule]]
id = "b"
title = "B"
names = ["TikTok"]
"""
    )
    only_a = exemption(GRANTED, EXPIRES, rules=("a",))
    (finding,) = evaluate(scan(TIKTOK), policy, [only_a], day=date(2023, 4, 1)).findings
    assert (finding.status, finding.rule.id) == (FindingStatus.VIOLATION, "b")
    both = exemption(GRANTED, EXPIRES, id="EX-2", rules=("a", "b"))
    (finding,) = evaluate(scan(TIKTOK), policy, [only_a, both], day=date(2023, 4, 1)).findings
    assert finding.status is FindingStatus.EXCEPTED


# --- compliant states -------------------------------------------------------------------------

POLICY_TEMPLATE = """
id = "acme"
title = "Acme"
authority = "Acme security"
deadline = 2023-03-31
{states}

[[rule]]
id = "tiktok"
title = "TikTok"
catalog = ["tiktok-android"]
"""


@pytest.mark.parametrize(
    ("states", "state", "expected"),
    [
        ("", AppState.REMOVED_FOR_USER, FindingStatus.VIOLATION),  # default: only absent
        ("", AppState.ABSENT, FindingStatus.RESOLVED),
        (
            'compliant_states = ["removed_for_user"]',
            AppState.REMOVED_FOR_USER,
            FindingStatus.RESOLVED,
        ),
        ('compliant_states = ["removed_for_user"]', AppState.ABSENT, FindingStatus.RESOLVED),
        ('compliant_states = ["removed_for_user"]', AppState.DISABLED, FindingStatus.VIOLATION),
        ('compliant_states = ["disabled"]', AppState.DISABLED, FindingStatus.RESOLVED),
        ('compliant_states = ["disabled"]', AppState.REMOVED_FOR_USER, FindingStatus.VIOLATION),
        ("compliant_states = []", AppState.ABSENT, FindingStatus.RESOLVED),  # absent always is
    ],
)
def test_removed_for_user_is_compliant_exactly_when_the_policy_says(
    states: str, state: AppState, expected: FindingStatus
) -> None:
    policy = loads_policy(POLICY_TEMPLATE.format(states=states))
    system_copy = app("android_pkg", "com.zhiliaoapp.musically", "TikTok", state=state)
    result = evaluate(scan(system_copy), policy, day=date(2023, 3, 20))
    assert [f.status for f in result.findings] == [expected]
    resolved = expected is FindingStatus.RESOLVED
    assert result.status is (DeviceStatus.COMPLIANT if resolved else DeviceStatus.NON_COMPLIANT)


def test_policy_without_deadline_never_reports_overdue() -> None:
    policy = loads_policy(POLICY_TEMPLATE.format(states="").replace("deadline = 2023-03-31\n", ""))
    result = evaluate(scan(TIKTOK), policy, day=date(2099, 1, 1))
    assert result.status is DeviceStatus.NON_COMPLIANT
    assert result.days_to_deadline is None


def test_each_user_copy_is_its_own_finding() -> None:
    owner = app("android_pkg", "com.zhiliaoapp.musically", "TikTok", user="0")
    work = app(
        "android_pkg",
        "com.zhiliaoapp.musically",
        "TikTok",
        user="10",
        state=AppState.REMOVED_FOR_USER,
    )
    result = evaluate(scan(owner, work), NZ, day=date(2023, 3, 20))
    assert {f.key: f.status for f in result.findings} == {
        ("tiktok", "com.zhiliaoapp.musically", "0"): FindingStatus.VIOLATION,
        ("tiktok", "com.zhiliaoapp.musically", "10"): FindingStatus.RESOLVED,
    }


def test_assessment_dict_is_json_and_complete() -> None:
    result = evaluate(
        scan(TIKTOK, app("arp_key", "{X}", "TikTok", publisher="TikTok Pte. Ltd."), device=LAPTOP),
        NZ,
        [exemption(GRANTED, EXPIRES, apps=("{X}",))],
        day=date(2023, 4, 1),
    )
    data = json.loads(json.dumps(assessment_to_dict(result)))
    assert data["status"] == "overdue"
    assert data["compliant"] is False
    assert data["policy"]["id"] == NZ.id and data["policy"]["sha256"] == NZ.sha256
    assert data["days_to_deadline"] == -1
    assert data["counts"] == {"violation": 1, "review": 0, "excepted": 1, "resolved": 0}
    assert {f["app"]["identifier"] for f in data["findings"]} == {"com.zhiliaoapp.musically", "{X}"}
    assert data["scan"]["complete"] is True and len(data["scan"]["inventory_sha256"]) == 64
    assert data["exemptions"][0]["expires"] == "2023-06-30"
    assert data["device"]["id"] == LAPTOP.id


def test_scale_ten_thousand_apps_are_judged_with_few_findings() -> None:
    apps = [app("android_pkg", f"com.example.app{i}", f"App {i}") for i in range(10_000)]
    result = evaluate(
        scan(*apps, TIKTOK, device=PHONE), load_policy("us-federal-2023"), day=date(2023, 3, 1)
    )
    assert [f.app.identifier for f in result.findings] == ["com.zhiliaoapp.musically"]


def test_hand_built_policy_with_a_list_inside_still_evaluates() -> None:
    from dataclasses import replace

    rule = replace(NZ.rules[0], catalog_refs=["tiktok-app"])  # type: ignore[arg-type]
    hand_built = replace(NZ, rules=(rule,))
    result = evaluate(scan(TIKTOK), hand_built, day=date(2023, 3, 20))
    assert [f.status for f in result.findings] == [FindingStatus.VIOLATION]


def test_a_browser_web_app_is_explained_by_the_web_app_rule_not_a_missing_publisher() -> None:
    """NZ left TikTok in a browser allowed: its installed web app is for review, and the reason
    says so, rather than complaining that a launcher names no publisher."""
    web_app = app(
        "desktop", "chrome-fpnmgdkabkmnadcjpehmlllkndpkmiak-Default.desktop", "TikTok", user="ana"
    )
    day = date(2023, 4, 1)
    [finding] = evaluate(
        scan(web_app, device=LAPTOP), load_policy("nz-parliament-2023"), day=day
    ).findings
    assert finding.status is FindingStatus.REVIEW
    assert finding.rule.id == "tiktok-web-app"
    assert "leaves the browser allowed" in finding_reason(finding, day)
    us = load_policy("us-federal-2023")
    [finding] = evaluate(scan(web_app, device=LAPTOP), us, day=day).findings
    assert finding.status is FindingStatus.VIOLATION


def test_why_an_accepted_state_is_accepted_says_what_stays_on_the_phone() -> None:
    from dataclasses import replace

    from audit.policy.report import resolved_reason

    kept = app("android_pkg", TIKTOK, "TikTok", state=AppState.REMOVED_FOR_USER)
    assert resolved_reason(kept).startswith(
        "The app was uninstalled for this user with its data kept on the phone"
    )
    assert resolved_reason(kept).endswith("has not confirmed that yet.")
    confirmed = replace(kept, state_confirmed=True)
    assert "not confirmed" not in resolved_reason(confirmed)
    built_in = replace(confirmed, system=True)
    assert "the copy built into the phone stays" in resolved_reason(built_in)
    off = replace(confirmed, state=AppState.DISABLED)
    assert resolved_reason(off) == "The app is turned off, which this policy accepts."
