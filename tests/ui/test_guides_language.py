"""The USB debugging guides in the person's language (issue 17): a French reader gets French
guides with the phone's own French words, the same steps as the English ones, and the commands
for IT exactly as they are; a language without guides gets the English ones."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from audit.i18n import ENGLISH, FRENCH, PSEUDO, set_language
from audit.paths import resource
from ui.guides import OTHER_GUIDES, PHONE_GUIDES, GuideDialog, guide_text

NAMES = [n for n, _ in PHONE_GUIDES + OTHER_GUIDES] + ["allow"]
STEP = re.compile(r"^\d+\. ", re.MULTILINE)


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language(ENGLISH)


def read(language: str, name: str) -> str:
    folder = ("guides", language) if language != ENGLISH else ("guides",)
    return resource(*folder, f"{name}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_every_guide_has_a_french_copy_with_the_same_steps_and_commands(name: str) -> None:
    english, french = read(ENGLISH, name), read(FRENCH, name)
    assert STEP.findall(french) == STEP.findall(english)  # 1., 2., ... none lost, none added
    code = [line for line in english.splitlines() if line.startswith("    ")]
    assert [line for line in french.splitlines() if line.startswith("    ")] == code
    assert french.count("**") % 2 == 0  # every bold word closed
    assert "USB debugging" not in french


@pytest.mark.parametrize("name", [n for n, _ in PHONE_GUIDES])
def test_a_french_phone_guide_uses_the_phones_own_french_words(name: str) -> None:
    set_language(FRENCH)
    text = guide_text(name)
    assert "**Débogage USB**" in text
    assert "Numéro de build" in text or "Version du SE" in text
    assert "« Autoriser le débogage USB? »" in text  # the question the phone asks, word for word
    assert "Options pour les développeurs" in text
    assert "désactivez" in text.lower()  # the guide for switching it off follows


def test_a_language_without_guides_reads_the_english_ones(qtbot: QtBot) -> None:
    set_language(PSEUDO)
    assert guide_text("samsung") == guide_text_in(ENGLISH, "samsung")
    set_language(FRENCH)
    dialog = GuideDialog(None, "pixel")
    qtbot.addWidget(dialog)
    assert "Activer le débogage USB sur un Google Pixel" in dialog.text.toPlainText()


def guide_text_in(language: str, name: str) -> str:
    set_language(language)
    try:
        return guide_text(name)
    finally:
        set_language(PSEUDO)
