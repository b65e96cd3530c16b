"""Allow-list policies: only the approved apps, and the system's own, may stay on the device."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from audit.errors import PolicyError
from audit.model import (
    AppState,
    Assessment,
    DeviceStatus,
    FindingStatus,
    InstallOrigin,
    Policy,
)
from audit.policy import evaluate, finding_reason, loads_policy
from tests.audit.policy.factories import TIKTOK, app, exemption, scan

DAY = date(2026, 12, 7)

POLICY = """
id = "acme-approved"
title = "Acme: approved apps only"
authority = "Acme security office"
deadline = 2026-12-31

[allow_list]
unlisted = "{unlisted}"
identifiers = [
  {{ kind = "android_pkg", value = "com.microsoft.teams", app = "Teams" }},
  {{ kind = "android_pkg", value = "com.acme.*", app = "Acme apps" }},
]
names = [{{ value = "Acme Mail", publisher = "Acme Ltd" }}]
{rules}
"""
TIKTOK_RULE = """
[[rule]]
id = "tiktok"
title = "The TikTok app"
catalog = ["tiktok-app"]
"""

TEAMS = app("android_pkg", "com.microsoft.teams", "Teams")
ACME = app("android_pkg", "com.acme.expenses", "Expenses")
GAME = app("android_pkg", "com.example.game", "Some Game")
SETTINGS = replace(app("android_pkg", "com.android.settings", "Settings"), system=True)
OEM = replace(app("android_pkg", "com.oem.gallery", "Gallery"), origin=InstallOrigin.PREINSTALLED)


def policy(unlisted: str = "violation", rules: str = "") -> Policy:
    return loads_policy(POLICY.format(unlisted=unlisted, rules=rules))


def statuses(result: Assessment) -> dict[str, FindingStatus]:
    return {f.app.identifier: f.status for f in result.findings}


def test_an_unlisted_app_is_flagged_and_the_approved_and_system_apps_are_not() -> None:
    result = evaluate(scan(TEAMS, ACME, GAME, SETTINGS, OEM), policy(), day=DAY)
    assert statuses(result) == {"com.example.game": FindingStatus.VIOLATION}
    assert result.status is DeviceStatus.NON_COMPLIANT
    (finding,) = result.findings
    assert finding.rule.id == "unlisted"
    assert finding_reason(finding, DAY, result.policy).startswith(
        "Banned by rule 'unlisted' (Apps not on the allow-list)."
    )


def test_review_level_asks_a_person_and_leaves_the_device_compliant() -> None:
    result = evaluate(scan(TEAMS, GAME), policy("review"), day=DAY)
    assert statuses(result) == {"com.example.game": FindingStatus.REVIEW}
    assert result.status is DeviceStatus.COMPLIANT
    assert "Only the apps on the policy's allow-list" in finding_reason(
        result.findings[0], DAY, result.policy
    )


def test_an_unlisted_app_already_removed_is_no_finding() -> None:
    gone = replace(GAME, state=AppState.ABSENT)
    assert evaluate(scan(gone), policy(), day=DAY).findings == ()


def test_a_name_whose_publisher_cannot_be_checked_is_only_a_review() -> None:
    """An app called Acme Mail that names no publisher may be the approved one: a person looks."""
    mail = app("android_pkg", "com.other.mail", "Acme Mail")
    signed = app("android_pkg", "com.other.mail", "Acme Mail", publisher="Acme Ltd")
    assert statuses(evaluate(scan(mail), policy(), day=DAY)) == {
        "com.other.mail": FindingStatus.REVIEW
    }
    assert evaluate(scan(signed), policy(), day=DAY).findings == ()


def test_a_ban_rule_beside_the_allow_list_keeps_its_own_verdict() -> None:
    result = evaluate(scan(TIKTOK, GAME), policy("review", TIKTOK_RULE), day=DAY)
    by_app = {f.app.identifier: f for f in result.findings}
    assert by_app["com.zhiliaoapp.musically"].rule.id == "tiktok"
    assert by_app["com.zhiliaoapp.musically"].status is FindingStatus.VIOLATION
    assert by_app["com.example.game"].status is FindingStatus.REVIEW


def test_an_exemption_for_the_unlisted_rule_lets_a_person_keep_the_app() -> None:
    granted = exemption(granted=date(2026, 12, 1), expires=date(2027, 6, 30), rules=("unlisted",))
    result = evaluate(scan(GAME), policy(), [granted], day=DAY)
    assert statuses(result) == {"com.example.game": FindingStatus.EXCEPTED}
    assert result.status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            'id = "a"\ntitle = "A"\nauthority = "B"\n[allow_list]\nunlisted = "review"\n',
            "the allow-list names no app",
        ),
        (
            'id = "a"\ntitle = "A"\nauthority = "B"\n[allow_list]\nunlisted = "ban"\n'
            'names = ["X"]\n',
            'expected "review" or "violation"',
        ),
        (
            'id = "a"\ntitle = "A"\nauthority = "B"\n[allow_list]\nprocesses = ["x.exe"]\n',
            "'processes' is not a known key",
        ),
        ('id = "a"\ntitle = "A"\nauthority = "B"\nallow_list = ["X"]\n', "expected a table"),
        (
            'id = "a"\ntitle = "A"\nauthority = "B"\n[allow_list]\nnames = ["X"]\n'
            '[[rule]]\nid = "unlisted"\ntitle = "U"\nnames = ["Y"]\n',
            "names the apps not allowed",
        ),
    ],
)
def test_allow_list_mistakes_are_named(text: str, words: str) -> None:
    with pytest.raises(PolicyError) as caught:
        loads_policy(text)
    assert words in str(caught.value)
