"""The hold of an audit judged before a rule was announced (audit.store.rule_dates), read from
findings a receipt carries: the signer's text (app names, states, confidences), so it is fuzzed,
and the words stay one part of a trust note, plain, with the next step."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.policy import load_policy
from audit.policy.earlier import earlier_presets
from audit.store.rule_dates import EARLY_RULE_NOTE, FindingFacts, early_rule_hold, known_text

NZ_2025 = load_policy("nz-parliament-2025")
DAY_BEFORE = date(2025, 2, 19)
DEEPSEEK = FindingFacts("deepseek", "com.deepseek.chat", "DeepSeek", "installed", "high")


def test_an_app_of_a_rule_not_yet_in_force_is_held_and_named_with_its_day() -> None:
    hold = early_rule_hold(NZ_2025, DAY_BEFORE, [DEEPSEEK])
    assert hold.startswith(EARLY_RULE_NOTE + ": it was judged as of 2025-02-19")
    assert "lists DeepSeek (banned from 2025-02-20) on the device" in hold
    assert "nz-parliament-2025" in hold and "check the device again" in hold


def test_nothing_is_held_on_the_rule_s_day_or_for_a_rule_in_force_since_before() -> None:
    assert early_rule_hold(NZ_2025, date(2025, 2, 20), [DEEPSEEK]) == ""
    tiktok = FindingFacts("tiktok", "com.zhiliaoapp.musically", "TikTok", "installed", "high")
    assert early_rule_hold(NZ_2025, DAY_BEFORE, [tiktok]) == ""  # a violation: not for a hold


def test_findings_that_would_not_be_violations_once_the_rule_is_in_force_are_not_held() -> None:
    unsure = DEEPSEEK._replace(confidence="medium")
    gone = DEEPSEEK._replace(state="removed_for_user")  # a state this policy accepts
    unknown_rule = DEEPSEEK._replace(rule_id="no-such-rule")
    assert [early_rule_hold(NZ_2025, DAY_BEFORE, [x]) for x in (unsure, gone, unknown_rule)] == [
        "",
        "",
        "",
    ]
    review_only = tuple(replace(r, review_only=r.id == "deepseek") for r in NZ_2025.rules)
    assert early_rule_hold(replace(NZ_2025, rules=review_only), DAY_BEFORE, [DEEPSEEK]) == ""
    assert early_rule_hold(None, DAY_BEFORE, [DEEPSEEK]) == ""  # a text the history lacks


def test_what_this_release_cannot_read_is_held_never_taken_as_gone() -> None:
    odd = DEEPSEEK._replace(state="vanished", confidence="certain")
    assert early_rule_hold(NZ_2025, DAY_BEFORE, [odd]).startswith(EARLY_RULE_NOTE)


def test_many_apps_are_summed_up_and_a_name_cannot_split_the_trust_note() -> None:
    apps = [
        FindingFacts(rule, f"com.example.{rule}", f"{rule}; compliant\u202e", "installed", "high")
        for rule in ("deepseek", "wechat", "rednote", "capcut")
    ]
    hold = early_rule_hold(NZ_2025, DAY_BEFORE, apps)
    assert ";" not in hold and "\u202e" not in hold and "\\u202e" in hold
    assert hold.count("(banned from") == 3 and "and 1 more" in hold
    # by the rule's day, then by name (all four came in on 20 February 2025): the same words
    # each time the history judges the audit again
    assert hold.index("capcut,") < hold.index("deepseek,") < hold.index("rednote,")
    assert "wechat" not in hold


_RULES = [rule.id for rule in NZ_2025.rules] + ["", "unlisted"]
_TEXT = st.text(max_size=300)


@settings(max_examples=150, deadline=None)
@given(
    findings=st.lists(
        st.builds(
            FindingFacts,
            st.sampled_from(_RULES) | _TEXT,
            _TEXT,
            _TEXT,
            st.sampled_from(["installed", "disabled", "absent", "removed_for_user"]) | _TEXT,
            st.sampled_from(["high", "medium-high", "medium", "low"]) | _TEXT,
        ),
        max_size=30,
    ),
    day=st.dates(),
)
def test_any_findings_give_one_plain_part_of_a_trust_note_or_nothing(
    findings: list[FindingFacts], day: date
) -> None:
    hold = early_rule_hold(NZ_2025, day, findings)
    assert hold == "" or hold.startswith(EARLY_RULE_NOTE)
    assert ";" not in hold and "\n" not in hold
    assert len(hold) < 1000
    if day >= date(2025, 2, 20):
        assert hold == ""  # every rule of the preset is in force by then


def test_the_rules_of_an_earlier_built_in_text_are_dated_as_the_current_preset_s() -> None:
    conn = sqlite3.connect(":memory:")  # a preset's texts never need the history
    earlier = next(p for p in earlier_presets() if p.id == "nz-parliament-2023")
    current = load_policy("nz-parliament-2023")
    assert known_text(conn, current.id, current.sha256) == current
    assert known_text(conn, current.id, earlier.sha256) == current
    assert known_text(conn, current.id, "0" * 64) is None  # an altered copy: not this text
