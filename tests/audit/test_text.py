from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from audit.text import plural, visible


def test_escapes_terminal_and_direction_controls() -> None:
    assert visible("Pixel\x1b[31m\nFAKE") == "Pixel\\x1b[31m\\x0aFAKE"
    assert visible("abc\u202egnp.exe") == "abc\\u202egnp.exe"
    assert visible("line\u2028sep") == "line\\u2028sep"


def test_keeps_what_it_is_told_to_and_ordinary_text() -> None:
    assert visible("a\nb", keep="\n") == "a\nb"
    assert visible("TikTok — 抖音 ✓") == "TikTok — 抖音 ✓"


def test_limit_cuts_long_text() -> None:
    assert visible("x" * 10, limit=6) == "xxx..."
    assert visible("x" * 6, limit=6) == "x" * 6


@given(st.text())
def test_nothing_invisible_survives(text: str) -> None:
    shown = visible(text)
    hidden = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}
    assert not any(unicodedata.category(c) in hidden for c in shown)


def test_plurals_of_the_words_the_app_counts() -> None:
    assert plural(1, "possible match") == "1 possible match"
    assert plural(2, "possible match") == "2 possible matches"
    assert plural(0, "banned app") == "0 banned apps"
    assert plural(3, "box") == "3 boxes"
    assert plural(2, "person", "people") == "2 people"
