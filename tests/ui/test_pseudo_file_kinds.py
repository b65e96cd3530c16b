"""A file dialog's kinds ("Policy files (*.toml);;All files (*)") keep their patterns in every
language (issue 17). Qt reads the patterns in the brackets that end each kind: the pseudo-language
once accented them ("*.tøml") and put "⟧" after the last bracket, so in the pseudo-language the
Open and Save dialogs listed no policy, exemption, receipt or export file at all."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QFileDialog, QFileSystemModel

from audit.i18n import ENGLISH, FRENCH, PSEUDO, _, locale_dir, set_language

CATALOGUE = f"{locale_dir()}/fr_CA/LC_MESSAGES/device_audit.po"


def file_kinds() -> list[str]:
    """Every message of the catalogue that is a file dialog's kinds."""
    with open(CATALOGUE, encoding="utf-8") as po:
        return sorted(set(re.findall(r'^msgid "(.*\(\*[^"]*\))"$', po.read(), re.MULTILINE)))


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language(ENGLISH)


def patterns(kinds: str) -> list[list[str]]:
    """The patterns Qt's own dialog filters by, for each kind."""
    dialog = QFileDialog(None, "", "", kinds)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    model = dialog.findChild(QFileSystemModel)
    found = []
    for kind in dialog.nameFilters():
        dialog.selectNameFilter(kind)
        found.append(model.nameFilters())
    dialog.deleteLater()
    return found


def test_the_catalogue_has_file_kinds_to_check() -> None:
    assert "Policy files (*.toml);;All files (*)" in file_kinds()
    assert len(file_kinds()) >= 5


@pytest.mark.parametrize("language", [PSEUDO, FRENCH])
@pytest.mark.parametrize("kinds", file_kinds())
def test_a_file_dialog_filters_by_the_same_patterns_in_every_language(
    qapp: object, kinds: str, language: str
) -> None:
    english = patterns(kinds)
    set_language(language)
    shown = _(kinds)
    assert patterns(shown) == english, shown
    if language == PSEUDO:
        assert "⟦" in shown  # the words are still marked as translated
