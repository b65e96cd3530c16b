"""`history move-to --json` is read by scripts: its reasons are English whatever the language
of who moves (issue 17, docs/translating.md), as every other --json document's are."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from audit.attestation import Signer, write_receipt
from audit.cli import main
from audit.i18n import ENGLISH, set_language
from audit.store import Store
from tests.audit.store import factory as f
from tests.audit.team.test_move import DAY, _receipts

pytest.importorskip("psycopg", reason="psycopg is in the test extra")
pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("language", ["fr", "pseudo"])
def test_a_refused_audit_s_reason_in_move_json_is_english_in_any_language(
    language: str, postgres_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rogue bench signed as Person 1 with its own key; the team trusts the real key. The
    move refuses that audit, and a French (or pseudo) run writes the same reason as English."""
    _receipts(tmp_path / "real", 1, 1, {})
    rogue = tmp_path / "rogue"
    rogue.mkdir()
    person = f.Person("Person 1", "PS-0001")
    envelope = f.receipt(
        Signer.generate(), f.phone("OTHER1"), person, f.Outcome.CLEAN, day=DAY + timedelta(1)
    )
    write_receipt(envelope, rogue / "r1.json")
    bench = tmp_path / "bench.sqlite3"
    with Store(bench) as store:
        store.import_folder(rogue)
    with Store(postgres_dsn) as team:
        team.import_folder(tmp_path / "real")
    try:
        argv = ["--language", language, "history", "move-to", postgres_dsn, "--db", str(bench)]
        assert main([*argv, "--json"]) == 1
    finally:
        set_language(ENGLISH)
    [refused] = json.loads(capsys.readouterr().out)["refused"]
    assert refused["reason"].startswith("the team history trusts another key for PS-0001")
