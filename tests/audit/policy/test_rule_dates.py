"""Bans that grew: rules with their own dates, a policy's version, status and last check.

New Zealand Parliament banned TikTok by 31 March 2023, then DeepSeek on 20 February 2025 and
WeChat, RedNote and CapCut from 24 February 2025. One policy holds them all, so whether an app
is overdue, and since when it is banned, is a question about its rule, not the policy.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from audit import inventory
from audit.cli import main
from audit.errors import PolicyError
from audit.model import DeviceStatus, FindingStatus, InstalledApp, MatchKind, PolicyStatus
from audit.policy import (
    assessment_to_dict,
    default_catalog,
    evaluate,
    finding_reason,
    list_presets,
    load_policy,
    loads_policy,
    policy_state_words,
    verified_words,
)
from tests.audit.policy.factories import TIKTOK, app, scan

NZ25 = load_policy("nz-parliament-2025")
CAPCUT = app("android_pkg", "com.lemon.lvoverseas", "CapCut")
WECHAT = app("android_pkg", "com.tencent.mm", "WeChat")
DEEPSEEK = app("android_pkg", "com.deepseek.chat", "DeepSeek")
REDNOTE = app("android_pkg", "com.xingin.xhs", "RedNote")


def test_an_app_added_later_is_not_overdue_while_its_own_deadline_is_ahead() -> None:
    """21 Feb 2025: TikTok's deadline passed long ago, CapCut's is three days away."""
    day = date(2025, 2, 21)
    capcut = evaluate(scan(CAPCUT), NZ25, day=day)
    assert capcut.status is DeviceStatus.NON_COMPLIANT
    assert capcut.days_to_deadline == 3
    assert capcut.findings[0].status is FindingStatus.VIOLATION
    assert "Remove it by 24 Feb 2025 (3 days left)." in finding_reason(
        capcut.findings[0], day, NZ25
    )

    tiktok = evaluate(scan(TIKTOK), NZ25, day=day)
    assert tiktok.status is DeviceStatus.OVERDUE
    assert tiktok.days_to_deadline == (date(2023, 3, 31) - day).days
    assert "Banned since 31 Mar 2023." in finding_reason(tiktok.findings[0], day, NZ25)


def test_the_day_after_a_rules_deadline_its_app_is_overdue() -> None:
    day = date(2025, 2, 25)
    result = evaluate(scan(CAPCUT), NZ25, day=day)
    assert result.status is DeviceStatus.OVERDUE
    assert "Banned since 24 Feb 2025." in finding_reason(result.findings[0], day, NZ25)
    # on the deadline day itself the person is still in time
    assert evaluate(scan(CAPCUT), NZ25, day=date(2025, 2, 24)).status is (
        DeviceStatus.NON_COMPLIANT
    )


@pytest.mark.parametrize(
    ("apps", "expected", "days_left"),
    [
        ((WECHAT,), DeviceStatus.NON_COMPLIANT, 2),  # WeChat: by 24 Feb
        ((DEEPSEEK,), DeviceStatus.OVERDUE, -2),  # DeepSeek: by 20 Feb
        ((WECHAT, REDNOTE, DEEPSEEK), DeviceStatus.OVERDUE, -2),  # the most urgent decides
    ],
)
def test_one_late_rule_makes_the_device_overdue(
    apps: tuple[InstalledApp, ...], expected: DeviceStatus, days_left: int
) -> None:
    result = evaluate(scan(*apps), NZ25, day=date(2025, 2, 22))
    assert result.status is expected
    assert result.days_to_deadline == days_left
    assert {f.status for f in result.findings} == {FindingStatus.VIOLATION}


def test_before_a_rule_was_announced_its_app_was_not_banned_yet() -> None:
    """An inventory of June 2024 judged again under the 2025 policy: CapCut was allowed then,
    TikTok was not."""
    day = date(2024, 6, 1)
    result = evaluate(scan(CAPCUT, TIKTOK), NZ25, day=day)
    by_app = {f.app.identifier: f for f in result.findings}
    capcut = by_app["com.lemon.lvoverseas"]
    assert capcut.status is FindingStatus.REVIEW
    assert finding_reason(capcut, day, NZ25) == (
        "Named by rule 'capcut' (CapCut). Not banned on this day: banned from 20 Feb 2025."
    )
    assert by_app["com.zhiliaoapp.musically"].status is FindingStatus.VIOLATION
    assert result.status is DeviceStatus.OVERDUE
    alone = evaluate(scan(CAPCUT), NZ25, day=day)
    assert alone.status is DeviceStatus.COMPLIANT  # a rule not yet in force bans nothing


def test_the_json_names_each_findings_own_deadline() -> None:
    result = evaluate(scan(CAPCUT, TIKTOK), NZ25, day=date(2025, 2, 21))
    data = json.loads(json.dumps(assessment_to_dict(result)))
    rows = {row["rule"]: row for row in data["findings"]}
    assert rows["capcut"]["rule_deadline"] == "2025-02-24"
    assert rows["capcut"]["rule_days_left"] == 3
    assert rows["capcut"]["rule_in_force"] is True
    assert rows["tiktok"]["rule_deadline"] == "2023-03-31"
    assert rows["tiktok"]["rule_days_left"] < 0
    assert data["policy"]["version"] == 1
    assert data["policy"]["last_verified"] == "2026-12-07"
    assert data["policy"]["status"] == "active"
    assert data["policy"]["superseded_by"] is None


def test_check_says_since_when_each_app_is_banned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "inv.json"
    inventory.save(scan(CAPCUT, TIKTOK), path)
    args = ["check", "--policy", "nz-parliament-2025", "--inventory", str(path)]
    assert main([*args, "--date", "2025-03-03"]) == 1
    out = capsys.readouterr().out
    assert "(nz-parliament-2025, version 1)" in out
    capcut = next(line for line in out.splitlines() if line.strip().startswith("CapCut ("))
    tiktok = next(line for line in out.splitlines() if line.strip().startswith("TikTok ("))
    assert capcut.endswith("Banned since 24 Feb 2025.")
    assert tiktok.endswith("Banned since 31 Mar 2023.")


def test_a_superseded_preset_points_to_the_one_that_replaced_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nz23 = load_policy("nz-parliament-2023")
    assert nz23.status is PolicyStatus.SUPERSEDED
    assert nz23.superseded_by == "nz-parliament-2025"
    assert policy_state_words(nz23).startswith("Superseded by nz-parliament-2025")
    assert policy_state_words(NZ25) == ""
    assert verified_words(NZ25) == "Checked against its sources on 7 Dec 2026."
    path = tmp_path / "inv.json"
    inventory.save(scan(TIKTOK), path)
    main(["check", "--policy", "nz-parliament-2023", "--inventory", str(path)])
    assert "Superseded by nz-parliament-2025" in capsys.readouterr().out


def test_every_superseded_preset_names_an_active_preset_that_keeps_its_rules() -> None:
    """A successor covers at least what it replaces: every app the old preset bans (by
    catalog reference) the new one bans too, by the same deadline."""
    presets = {p.id: p for p in list_presets()}
    superseded = [p for p in presets.values() if p.status is PolicyStatus.SUPERSEDED]
    assert {p.id for p in superseded} >= {"nz-parliament-2023", "canada-2023", "australia-2023"}
    catalog = default_catalog()
    for old in superseded:
        new = presets[old.superseded_by]
        assert new.status is PolicyStatus.ACTIVE
        covered = {
            entry.id: new.rule_deadline(rule)
            for rule in new.rules
            if not rule.review_only
            for ref in rule.catalog_refs
            for entry in catalog.resolve(ref) or ()
        }
        for rule in old.rules:
            if rule.review_only:
                continue
            for ref in rule.catalog_refs:
                for entry in catalog.resolve(ref) or ():
                    assert entry.id in covered, (old.id, entry.id)
                    assert covered[entry.id] == old.rule_deadline(rule), (old.id, entry.id)


def test_presets_with_rule_dates_are_whole_on_their_own_deadline() -> None:
    """A policy's deadline is the last of its rules' deadlines, and every rule is in force by
    then: the banner's countdown never ends before a rule's."""
    for policy in list_presets():
        assert policy.last_verified is not None, policy.id
        deadlines = [policy.rule_deadline(r) for r in policy.rules if not r.review_only]
        assert policy.deadline == max(d for d in deadlines if d is not None), policy.id
        assert all(policy.in_force(r, policy.deadline) for r in policy.rules), policy.id
        for rule in policy.rules:
            if rule.announced is not None:
                deadline = policy.rule_deadline(rule)
                assert deadline is not None and deadline >= rule.announced, (policy.id, rule.id)


def test_every_high_confidence_catalog_entry_has_real_evidence() -> None:
    """High means the evidence is named: never only the catalog's own inference."""
    for entry in default_catalog().entries.values():
        if entry.confidence.value == "high":
            assert entry.source.strip() and entry.source.strip() != "derived", entry.id
        if entry.kind is not MatchKind.IDENTIFIER:
            assert entry.confidence.value != "high", entry.id  # names are medium-high at most


BASE = """
id = "acme"
title = "Acme"
authority = "Acme security office"
{extra}
[[rule]]
id = "capcut"
title = "CapCut"
catalog = ["capcut"]
{rule}
"""


@pytest.mark.parametrize(
    ("extra", "rule", "words"),
    [
        ("", "announced = 2025-02-24\ndeadline = 2025-02-20", "before the announcement"),
        ("", 'deadline = "2025-02-24"', "write the date without quotes"),
        ("version = 0", "", "expected 1 or more"),
        ("version = true", "", "expected a whole number"),
        ("version = 1.5", "", "expected a whole number"),
        ('status = "retired"', "", "is not one of"),
        ('status = "superseded"', "", "names its successor in 'superseded_by'"),
        ('superseded_by = "acme-2"', "", 'only a policy with status = "superseded"'),
        ('status = "superseded"\nsuperseded_by = "acme"', "", "superseded by itself"),
        ('status = "superseded"\nsuperseded_by = "no good"', "", "is not a policy id"),
        ('last_verified = "2026-12-07"', "", "write the date without quotes"),
        ("", "effective = 2025-02-24", "'effective' is not a known key"),
    ],
)
def test_the_new_keys_are_checked(extra: str, rule: str, words: str) -> None:
    with pytest.raises(PolicyError) as caught:
        loads_policy(BASE.format(extra=extra, rule=rule))
    assert words in str(caught.value)


def test_the_new_keys_are_read() -> None:
    policy = loads_policy(
        BASE.format(
            extra='version = 3\nlast_verified = 2026-12-01\nstatus = "lifted"\n'
            "deadline = 2025-03-01",
            rule="announced = 2025-02-20\ndeadline = 2025-02-24",
        )
    )
    assert (policy.version, policy.last_verified, policy.status) == (
        3,
        date(2026, 12, 1),
        PolicyStatus.LIFTED,
    )
    rule = policy.rules[0]
    assert (rule.announced, rule.deadline) == (date(2025, 2, 20), date(2025, 2, 24))
    assert policy.rule_deadline(rule) == date(2025, 2, 24)  # its own, not the policy's
    assert policy_state_words(policy).startswith("Lifted")
    plain = loads_policy(BASE.format(extra="", rule=""))
    assert (plain.version, plain.last_verified, plain.status) == (1, None, PolicyStatus.ACTIVE)
    assert verified_words(plain) == "Not checked against its sources since it was written."


def test_every_preset_rule_names_its_apps_through_the_catalog() -> None:
    """Presets name apps only by catalog reference, so each identifier they enforce carries the
    catalog's evidence and confidence, and an app is defined once for every preset."""
    catalog = default_catalog()
    for policy in list_presets():
        for rule in policy.rules:
            assert rule.catalog_refs, (policy.id, rule.id)
            for ref in rule.catalog_refs:
                assert catalog.resolve(ref), (policy.id, rule.id, ref)
            assert all(m.catalog_entry in catalog.entries for m in rule.matchers), (
                policy.id,
                rule.id,
            )
