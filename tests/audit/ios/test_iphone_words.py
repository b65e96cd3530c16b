"""What an iPhone chose (its name, an app's name, its error words) is shown as it is inside
translated sentences (issue 17): the messages are formatted after translation with the phone's
text as a value, so a name like "{state}" or "{0}" is never read as a placeholder, in English and
in the pseudo-language alike; and the next steps a person follows come from the catalogue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.i18n import ENGLISH, PSEUDO, set_language
from audit.sources.ios.devices import IPhoneStatus
from audit.sources.ios.guidance import GUIDANCE, LABELS, IPhoneState
from audit.sources.ios.lockdown import LockdownError
from audit.sources.ios.removal import by_hand
from audit.sources.ios.scan import IPhoneNotReady

# Braces and format codes, as a rogue phone could name itself or an app.
BRACED = st.text(alphabet="{}[]%s0!r:app nmé", min_size=1, max_size=16).filter(
    lambda text: "{" in text or "}" in text
)


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language(ENGLISH)


@pytest.mark.parametrize("language", [ENGLISH, PSEUDO])
@settings(max_examples=30, deadline=None)
@given(name=BRACED)
def test_a_phone_named_with_braces_is_named_as_it_is(language: str, name: str) -> None:
    set_language(language)
    error = IPhoneNotReady("00008030-X", IPhoneState.LOCKED, name)
    assert repr(name) in error.message
    if language == ENGLISH:
        assert error.next_step == GUIDANCE[IPhoneState.LOCKED]
    else:
        assert error.next_step.startswith("⟦") and repr(name) not in error.next_step
    line = IPhoneStatus("00008030-X", name, "", IPhoneState.WAITING).line()
    assert name in line.splitlines()[0]


@pytest.mark.parametrize("language", [ENGLISH, PSEUDO])
@settings(max_examples=30, deadline=None)
@given(name=BRACED)
def test_an_app_named_with_braces_is_named_as_it_is_in_every_step(language: str, name: str) -> None:
    set_language(language)
    steps = by_hand(name)
    assert sum(name in step for step in steps) >= 4  # find, touch and hold, Settings, IT


@settings(max_examples=30, deadline=None)
@given(code=BRACED)
def test_the_phones_error_word_is_shown_as_it_is(code: str) -> None:
    error = LockdownError("StartSession", code)
    assert error.message == f"The phone refused StartSession: {code}."


def test_an_iphone_state_and_its_next_step_follow_the_language_in_use() -> None:
    english = IPhoneStatus("00008030-X", "Aroha's iPhone", "iPhone 15", IPhoneState.REFUSED)
    assert english.line().splitlines()[0] == (
        "ios:00008030-X (Aroha's iPhone, iPhone 15): trust refused"
    )
    assert english.guidance.startswith("Don't Trust was tapped")
    set_language(PSEUDO)
    first, advice = english.line().splitlines()
    assert first.startswith("⟦ios:00008030-X (Aroha's iPhone, iPhone 15)")
    assert advice.strip().startswith("⟦") and english.guidance.startswith("⟦")
    # the table holds marked English; only what is shown is translated
    assert LABELS[IPhoneState.REFUSED] == "trust refused"
