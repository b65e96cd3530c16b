"""The language machinery (audit/i18n.py): which language, the pseudo-language, dates and numbers,
French plurals, and a receipt's language kept apart from the reader's (issue 17)."""

from __future__ import annotations

import re
import string
import threading
import tokenize
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import i18n
from audit.i18n import (
    ENGLISH,
    FRENCH,
    N_,
    PSEUDO,
    _,
    format_date,
    format_datetime,
    format_number,
    format_time,
    language,
    match_language,
    ngettext,
    pseudo_text,
    record_date,
    record_time_utc,
    set_language,
    speaking,
    system_language,
)

LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """Every test here may switch the language; the next test starts in English again."""
    yield
    set_language(ENGLISH)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("fr_CA.UTF-8", FRENCH),
        ("fr-FR", FRENCH),
        ("fr", FRENCH),
        ("FR_be", FRENCH),
        ("fr_CH.utf8@euro", FRENCH),
        ("en_NZ.UTF-8", ENGLISH),
        ("en", ENGLISH),
        ("C", ENGLISH),
        ("POSIX", ENGLISH),
        ("", ENGLISH),
        ("de_DE", ENGLISH),  # a language we have no words for: English, never an error
        ("mi_NZ", ENGLISH),
        ("fry_NL", ENGLISH),  # Frisian starts with "fr" but is not French
        ("pseudo", PSEUDO),
    ],
)
def test_a_locale_tag_becomes_one_of_our_languages(tag: str, expected: str) -> None:
    assert match_language(tag) == expected


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"LANGUAGE": "fr_CA:fr:en", "LANG": "en_US.UTF-8"}, FRENCH),  # LANGUAGE comes first
        ({"LANGUAGE": "", "LC_ALL": "fr_FR.UTF-8", "LANG": "en_US.UTF-8"}, FRENCH),
        ({"LC_MESSAGES": "en_GB.UTF-8", "LANG": "fr_CA.UTF-8"}, ENGLISH),
        ({"LANG": "fr_CA.UTF-8"}, FRENCH),
        ({"LANG": "C.UTF-8"}, ENGLISH),
        ({}, ENGLISH),
    ],
)
def test_the_system_language_follows_posix_order(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], expected: str
) -> None:
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert system_language() == expected


def test_the_environment_variable_comes_before_the_system(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv(i18n.ENVIRONMENT, "fr")
    assert set_language() == FRENCH
    monkeypatch.delenv(i18n.ENVIRONMENT)
    monkeypatch.setenv("LANGUAGE", "fr_CA")
    assert set_language() == FRENCH
    monkeypatch.setenv("LANGUAGE", "de")
    assert set_language() == ENGLISH
    assert set_language("fr-CA") == FRENCH  # the app's setting or --language wins over both


def test_an_unknown_language_is_english() -> None:
    assert set_language("klingon") == ENGLISH
    assert language() == ENGLISH
    assert _("Compliant") == "Compliant"
    assert ngettext("{count} app", "{count} apps", 0) == "{count} apps"


LATER = N_("Not compliant")  # marked at import, translated where shown


def test_a_marked_constant_is_translated_in_the_language_set_when_it_is_shown() -> None:
    """Nothing is translated at import: a constant shows in the language chosen afterwards."""
    assert LATER == "Not compliant"
    set_language(PSEUDO)
    assert _(LATER) == "⟦Ñøt çømplîáñt····⟧"
    set_language(ENGLISH)
    assert _(LATER) == "Not compliant"


def test_words_before_any_choice_are_in_the_environments_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first word asked for chooses the language from the environment (the tests: en)."""
    monkeypatch.setattr(i18n, "_state", {})
    monkeypatch.setenv(i18n.ENVIRONMENT, "pseudo")
    assert i18n.chosen_language() is None
    assert _("Compliant").startswith("⟦")
    assert i18n.chosen_language() == PSEUDO


# --- the pseudo-language -------------------------------------------------------------------

NAMES = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8).filter(
    lambda name: name[0] != "_"
)
PLAIN = st.text(
    alphabet=st.characters(blacklist_characters="{}<>&%", blacklist_categories=["Cs"]),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(st.tuples(PLAIN, NAMES), min_size=1, max_size=5), tail=PLAIN)
def test_pseudo_text_keeps_every_placeholder_so_format_still_works(
    pieces: list[tuple[str, str]], tail: str
) -> None:
    message = "".join(f"{text}{{{name}}}" for text, name in pieces) + tail
    shown = pseudo_text(message)
    assert shown.startswith("⟦") and shown.endswith("⟧")
    values = {name: f"<{name.upper()}>" for _text, name in pieces}
    filled = shown.format(**values)
    for value in values.values():
        assert value in filled
    assert "\n" not in message or shown.count("\n") == message.count("\n")


@settings(max_examples=100, deadline=None)
@given(text=PLAIN)
def test_pseudo_text_is_longer_and_keeps_markup_and_line_breaks(text: str) -> None:
    message = f"<b>{text}</b>\n%(count)s &amp; %s"
    shown = pseudo_text(message)
    assert "<b>" in shown and "</b>" in shown and "%(count)s" in shown and "&amp;" in shown
    assert "%s" in shown and shown.count("\n") == message.count("\n")
    assert len(shown) > len(message)


def test_the_pseudo_language_translates_counted_messages_too() -> None:
    set_language(PSEUDO)
    one = ngettext("{count} app", "{count} apps", 1).format(count=1)
    many = ngettext("{count} app", "{count} apps", 3).format(count=3)
    assert one.startswith("⟦1 ápp") and many.startswith("⟦3 ápps")
    assert pseudo_text("") == ""


# --- dates and numbers -----------------------------------------------------------------------

DAY = date(2026, 12, 7)
MOMENT = datetime(2026, 12, 7, 9, 5, tzinfo=UTC)


def test_dates_times_and_numbers_in_english() -> None:
    set_language(ENGLISH)
    assert format_date(DAY) == "7 December 2026"
    assert format_date(date(2023, 3, 31), short=True) == "31 Mar 2023"
    assert format_time(MOMENT) == "09:05"
    assert format_datetime(MOMENT) == "7 December 2026, 09:05"
    assert format_number(1234567) == "1,234,567"
    assert format_number(1234.5, decimals=1) == "1,234.5"


def test_dates_times_and_numbers_in_canadas_french() -> None:
    set_language(FRENCH)
    assert format_date(DAY) == "7 décembre 2026"
    assert format_date(date(2023, 2, 1), short=True) == "1 févr. 2023"
    assert format_time(MOMENT) == "9 h 05"
    assert format_datetime(MOMENT) == "7 décembre 2026 à 9 h 05"
    assert format_number(1234567) == "1\u00a0234\u00a0567"  # no-break spaces: never wrapped
    assert format_number(1234.5, decimals=2) == "1\u00a0234,50"


def test_a_receipts_dates_stay_iso_in_english_and_are_words_in_french() -> None:
    """English receipts and statements keep the ISO day they always had (so old and new read
    alike for the compliance office); French writes the day as a sentence does."""
    set_language(ENGLISH)
    assert record_date(DAY) == "2026-12-07"
    assert record_time_utc(MOMENT) == "2026-12-07 09:05 UTC"
    set_language(FRENCH)
    assert record_date(DAY) == "7 décembre 2026"
    assert record_time_utc(MOMENT) == "7 décembre 2026 à 9 h 05 UTC"


# --- French plurals and the catalogue --------------------------------------------------------


def test_the_french_catalogue_uses_the_singular_for_zero_and_one() -> None:
    """Canada's French says "0 application", "1 application", "2 applications": the compiled
    catalogue's rule, which gettext applies to every counted message."""
    catalogue = i18n._load(FRENCH)
    plural = getattr(catalogue, "plural", None)
    assert plural is not None, "the French catalogue was not found (resources/locale)"
    assert [plural(n) for n in (0, 1, 2, 10, 1_000_000)] == [0, 0, 1, 1, 1]


# --- a language for a while, on one thread ---------------------------------------------------


def test_speaking_changes_this_threads_words_only_and_ends_with_the_block() -> None:
    set_language(ENGLISH)
    seen: dict[str, str] = {}
    inside = threading.Event()
    release = threading.Event()

    def other_thread() -> None:
        inside.wait(5)
        seen["other"] = language()
        seen["other_word"] = _("Compliant")
        release.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with speaking("pseudo") as spoken:
        assert spoken == PSEUDO
        inside.set()
        release.wait(5)
        assert language() == PSEUDO and _("Compliant").startswith("⟦")
        with speaking(None) as nested:  # a receipt without a language: English
            assert nested == ENGLISH and _("Compliant") == "Compliant"
        assert language() == PSEUDO
    worker.join(5)
    assert seen == {"other": ENGLISH, "other_word": "Compliant"}
    assert language() == ENGLISH and _("Compliant") == "Compliant"


def test_speaking_an_unknown_language_is_english() -> None:
    set_language(PSEUDO)
    with speaking("de_DE") as spoken:
        assert spoken == ENGLISH and _("Compliant") == "Compliant"
    assert language() == PSEUDO


# --- what the extractor cannot see -----------------------------------------------------------

_CALL_IN_FSTRING = re.compile(r"(?<![\w.])(?:_|N_|ngettext|pgettext)\(\s*[rRuU]?[\"']")


def _fstring_calls(path: Path) -> Iterator[str]:
    """`_("words")` written inside an f-string: Python 3.11's tokenizer gives Babel the whole
    f-string as one string, so the words never reach the catalogue (and never get translated)."""
    with path.open("rb") as handle:
        for token in tokenize.tokenize(handle.readline):
            if token.type != tokenize.STRING:
                continue
            prefix = token.string[: len(token.string) - len(token.string.lstrip("rRbBuUfF"))]
            if "f" in prefix.lower() and _CALL_IN_FSTRING.search(token.string):
                yield f"{path.relative_to(ROOT)}:{token.start[0]}: {token.string[:70]}"


def test_no_catalogue_call_hides_inside_an_f_string() -> None:
    found = [
        line
        for folder in ("audit", "ui")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line in _fstring_calls(path)
    ]
    assert found == [], "take the _() call out of the f-string:\n" + "\n".join(found)


# --- the command line's --language -----------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "command", "chosen"),
    [
        (["--language", "fr", "scan", "--local"], "scan", "fr"),
        (["scan", "--local", "--language=fr_CA"], "scan", "fr_CA"),
        (["--language", "fr"], None, "fr"),  # the desktop app, in French
        (["--language", "fr", "--demo"], None, "fr"),
        (["-v", "--language", "pseudo", "policies"], "policies", "pseudo"),
        (["policies"], "policies", None),
        # argparse takes an abbreviation: a command typed with one must not open the app
        (["--lang", "fr", "policies"], "policies", "fr"),
        (["--langu=fr", "policies"], "policies", "fr"),
        # a command's own options that start like it are not it
        (["history", "--limit", "5"], "history", None),
        (["history", "--la"], "history", None),
    ],
)
def test_the_language_option_is_found_wherever_it_stands(
    argv: list[str], command: str | None, chosen: str | None
) -> None:
    from audit.cli import command_name, is_cli_invocation, language_option

    assert command_name(argv) == command
    assert is_cli_invocation(argv) is (command is not None)
    assert language_option(argv) == chosen


def test_help_and_argparses_own_words_are_in_the_language_chosen(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from audit.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--language", "pseudo", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("⟦üságé: ·⟧device-audit")  # argparse's heading, from our catalogue
    assert "⟦Fîñd báññéd ápps" in out and "⟦lîst pást áüdîts" in out
    with pytest.raises(SystemExit) as exited:
        main(["scna", "--language=pseudo"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "⟦îñválîd çhøîçé: 'scna'" in err
    assert main(["policies"]) == 0  # the next run without the option: the environment's (en)
    assert language() == ENGLISH and "⟦" not in capsys.readouterr().out
