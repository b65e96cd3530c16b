"""What a collector could not read is said in the language in use (issue 17), with the file's
own name as it is: a folder or program named "{path}" or "{0}" is never read as a placeholder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audit.i18n import ENGLISH, PSEUDO, set_language
from audit.sources.local.base import decode, read_dir
from audit.sources.local.linux_desktop import parse_desktop_entry

ODD = "{path}{0}%s"


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language(ENGLISH)


@pytest.mark.parametrize("language", [ENGLISH, PSEUDO])
def test_a_file_where_a_folder_belongs_is_named_as_it_is(language: str, tmp_path: Path) -> None:
    set_language(language)
    odd = tmp_path / ODD
    odd.write_text("not a folder")
    problems: list[str] = []
    assert read_dir(odd, problems) == []
    (problem,) = problems
    assert str(odd) in problem
    assert problem.startswith("⟦") == (language == PSEUDO)


@pytest.mark.parametrize("language", [ENGLISH, PSEUDO])
def test_bytes_that_are_not_text_are_said_with_the_files_name(language: str) -> None:
    set_language(language)
    problems: list[str] = []
    assert decode(b"caf\xe9", ODD, problems) == "caf\ufffd"
    assert problems[0].startswith(ODD) or problems[0].startswith("⟦" + ODD)


def test_a_broken_desktop_entry_is_said_with_its_path_and_line() -> None:
    entry = parse_desktop_entry("[Desktop Entry\nName\n", "/apps/{x}.desktop")
    assert entry.problems == [
        "/apps/{x}.desktop, line 1: a group header without ']'",
        "/apps/{x}.desktop has no [Desktop Entry] group",
    ]
    set_language(PSEUDO)
    assert parse_desktop_entry("", "").problems[0].startswith("⟦⟦")  # "the file", translated
