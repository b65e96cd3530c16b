"""A CSV cell that a spreadsheet would run as a formula is made inert, including one that starts
with spaces before '=' and one that starts with a full-width '＝'."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Signer, write_receipt
from audit.cli import main
from audit.store import Store
from audit.store.export import safe_cell
from tests.audit.store import factory as f
from tests.audit.store.cli_target import cli_db

NAMES = [' =HYPERLINK("http://x")', "＝1+1", "\u3000＋cmd", "  @SUM(A1)", "﹦2"]


def test_names_that_a_spreadsheet_would_run_are_exported_as_text(
    store: Store,
    signer: Signer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = cli_db(store, request)  # its file, or its PostgreSQL address
    folder = tmp_path / "in"
    folder.mkdir()
    for index, name in enumerate(NAMES):
        person = f.Person(name, f"PS-{index}")
        envelope = f.receipt(
            signer, f.phone(f"SERIAL{index}"), person, f.Outcome.CLEAN, day=date(2023, 3, 28)
        )
        write_receipt(envelope, folder / f"{index}.json")
    store.import_folder(folder)
    store.close()
    assert main(["export", "--format", "csv", "--db", db]) in (0, 1)
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sorted(row["person_name"] for row in rows) == sorted("'" + name for name in NAMES)


FORMULA = ("=", "+", "-", "@")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12))
def test_no_cell_starts_a_formula_after_spaces_in_any_form(text: str) -> None:
    cell = safe_cell(text)
    head = unicodedata.normalize("NFKC", cell.lstrip()[:1])
    assert cell.startswith("'") or not head.startswith(FORMULA)
