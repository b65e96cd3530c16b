"""`history --json` is read by scripts: its notes are English whatever the language of who asks
(issue 17, docs/translating.md). `older_policy` is worked out when the history is read, so it
was written in the reader's language: a French bench's script saw "jugé selon une version
antérieure" where an English one saw "judged under an older version"."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from audit.cli import main
from audit.i18n import ENGLISH, set_language
from audit.store import Store
from tests.audit.store import factory as f
from tests.audit.store.test_earlier_presets import NZ_2023_EARLIER

DAY = date(2023, 3, 28)


def test_history_json_says_an_older_policy_in_english_in_every_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "history.sqlite3"
    earlier = replace(f.POLICY, sha256=NZ_2023_EARLIER)
    with Store(db) as store:
        before, after, actions = f.audit_inputs(
            f.phone("OLD"), f.AROHA, f.Outcome.CLEAN, day=DAY, policy=earlier
        )
        store.record_audit(
            [before, after], actions, person_name=f.AROHA.name, staff_id=f.AROHA.staff_id
        )
    said = {}
    try:
        for language in ("en", "fr", "pseudo"):
            assert main(["--language", language, "history", "--json", "--db", str(db)]) == 0
            said[language] = capsys.readouterr().out
            assert main(["--language", language, "history", "--db", str(db)]) == 0
            shown = capsys.readouterr().out  # the text a person reads is theirs
            assert ("judged under an older version" in shown) == (language == "en")
    finally:
        set_language(ENGLISH)
    [row] = json.loads(said["en"])
    assert row["older_policy"].startswith("judged under an older version of the policy")
    assert said["fr"] == said["en"] and said["pseudo"] == said["en"]
