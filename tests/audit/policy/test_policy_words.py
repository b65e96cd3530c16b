"""The words of policy files' errors and of judgements go through the catalogue (issue 17), and
a file's own text never becomes part of a message's template.

A policy, exemptions or catalog file is written by hand, and a rogue one may hold braces
("{0}", "{key}") in a key or a value: the messages are formatted after translation with the
file's text as a value, so such text is shown as written, in English and in the pseudo-language
alike, never read as a placeholder (a KeyError or IndexError there would lose the real error).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.errors import ExemptionsError, PolicyError
from audit.i18n import ENGLISH, PSEUDO, set_language
from audit.model import DeviceStatus
from audit.policy import (
    assessment_to_dict,
    deadline_sentence,
    evaluate,
    finding_reason,
    load_policy,
    loads_exemptions,
    loads_policy,
    status_text,
    verified_words,
)
from audit.policy.report import STATUS_WORDS, day_words
from tests.audit.policy.factories import TIKTOK, exemption, scan

NZ = load_policy("nz-parliament-2023")

GOOD = """\
id = "acme-2023"
title = "Acme: no TikTok"
authority = "Acme security office"
deadline = 2023-03-31

[[rule]]
id = "tiktok"
title = "TikTok"
catalog = ["tiktok-app"]
"""

# What a rogue file could put where a message shows it: format fields, stray braces, %-codes.
HOSTILE = st.text(alphabet="{}[]%s0!r:key.é ", min_size=1, max_size=20).filter(
    lambda text: text.strip() == text and "{" in text + "}"
)


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language(ENGLISH)


@pytest.mark.parametrize("language", [ENGLISH, PSEUDO])
@settings(max_examples=40, deadline=None)
@given(key=HOSTILE)
def test_a_hostile_key_is_shown_as_written_in_every_language(language: str, key: str) -> None:
    set_language(language)
    quoted = key.replace("\\", "\\\\").replace('"', '\\"')
    with pytest.raises(PolicyError) as caught:
        loads_policy(GOOD + f'"{quoted}" = 1\n')
    # .problem is the sentence made here, before audit.errors puts it in the file's message
    assert f"'{key}'" in caught.value.problem
    if language == ENGLISH:
        assert f"'{key}' is not a known key" in caught.value.message


@pytest.mark.parametrize("language", [ENGLISH, PSEUDO])
@settings(max_examples=40, deadline=None)
@given(value=HOSTILE)
def test_a_hostile_value_is_shown_as_written_in_every_language(language: str, value: str) -> None:
    set_language(language)
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    with pytest.raises(PolicyError) as caught:
        loads_policy(GOOD.replace('"acme-2023"', f'"{quoted}"'))  # not a valid policy id
    assert repr(value) in caught.value.problem
    if language == ENGLISH:
        assert repr(value) in caught.value.message


def test_a_hostile_exemption_id_used_twice_is_named_as_written() -> None:
    text = """\
[[exemption]]
id = "{0}{id}"
reason = "r"
approver = "a"
granted = 2023-03-01
expires = 2023-06-30
"""
    set_language(PSEUDO)
    with pytest.raises(ExemptionsError) as caught:
        loads_exemptions(text + "\n" + text)
    assert isinstance(caught.value, ExemptionsError)
    assert "'{0}{id}'" in caught.value.problem
    assert caught.value.problem.startswith("⟦")


def test_judgement_sentences_are_in_the_language_in_use() -> None:
    day = date(2023, 3, 20)
    result = evaluate(scan(TIKTOK), NZ, day=day)
    english = (status_text(result), deadline_sentence(NZ.deadline, day), verified_words(NZ))
    reason = finding_reason(result.findings[0], day, NZ)
    assert english[0] == "Not compliant: 1 banned app to remove."
    assert english[1] == "Deadline 2023-03-31: 11 days left."
    set_language(PSEUDO)
    shown = (status_text(result), deadline_sentence(NZ.deadline, day), verified_words(NZ))
    for words in (*shown, finding_reason(result.findings[0], day, NZ)):
        assert words.startswith("⟦"), words
    assert "2023-03-31" in shown[1] and "11" in shown[1]
    assert reason.startswith("Banned by rule 'tiktok'")


def test_counted_words_agree_with_the_count() -> None:
    assert deadline_sentence(date(2023, 3, 21), date(2023, 3, 20)).endswith("1 day left.")
    assert deadline_sentence(date(2023, 3, 19), date(2023, 3, 20)).endswith("passed 1 day ago.")
    assert deadline_sentence(date(2023, 3, 10), date(2023, 3, 20)).endswith("10 days ago.")


def test_an_expired_exemption_says_its_day_in_every_language() -> None:
    lapsed = exemption(expires=date(2023, 3, 10), person="s1")
    result = evaluate(scan(TIKTOK), NZ, [lapsed], day=date(2023, 3, 20), person="s1")
    set_language(PSEUDO)
    reason = finding_reason(result.findings[0], date(2023, 3, 20), NZ)
    assert "EX-1" in reason and "2023-03-10" in reason


def test_status_words_are_read_in_the_language_in_use_when_shown() -> None:
    """STATUS_WORDS was a table of English made at import; it now asks audit.words each time."""
    assert STATUS_WORDS[DeviceStatus.OVERDUE] == "Overdue"
    assert day_words(date(2025, 2, 24)) == "24 Feb 2025"
    set_language(PSEUDO)
    assert STATUS_WORDS[DeviceStatus.OVERDUE].startswith("⟦")
    assert len(STATUS_WORDS) == len(DeviceStatus) == len(dict(STATUS_WORDS))
    assert day_words(date(2025, 2, 24)).startswith("⟦")


def test_check_json_stays_english_whatever_the_person_reads() -> None:
    """--json is read by the compliance office's tools: its sentences never follow the screen's
    language, and the screen's language is the same after it was written."""
    day = date(2023, 3, 20)
    result = evaluate(scan(TIKTOK), NZ, day=day)
    set_language(PSEUDO)
    data = assessment_to_dict(result)
    assert data["summary"] == "Not compliant: 1 banned app to remove."
    assert data["deadline"] == "Deadline 2023-03-31: 11 days left."
    assert data["findings"][0]["reason"].startswith("Banned by rule 'tiktok' (")
    assert status_text(result).startswith("⟦")
