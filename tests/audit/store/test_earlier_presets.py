"""A receipt made under a built-in preset as an earlier release shipped it (another digest) is
genuine: verify and import know it as "an earlier version of the built-in preset", while a
changed copy of the preset is still refused. The list of earlier digests is a shipped resource,
read by a reader that refuses anything malformed without a traceback."""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Signer
from audit.policy import preset_ids
from audit.policy.earlier import earlier_presets, parse_earlier
from audit.policy.loader import preset_digests
from audit.store import Store
from tests.audit.store import factory as f
from tests.audit.store.test_trust_attacks import cabled, drop, import_json, run

DAY = date(2023, 3, 28)
ROOT = Path(__file__).resolve().parents[3]
# The sha256 of nz-parliament-2023.toml as the release before commit f9988b7 shipped it.
NZ_2023_EARLIER = "b52e7ac1b02d0c774de8f69a8c1bbfc896d5b8103247b0bd97283b1dfdfc2669"


def test_the_shipped_list_names_earlier_texts_of_real_presets_only() -> None:
    earlier = earlier_presets()
    assert NZ_2023_EARLIER in {e.sha256 for e in earlier if e.id == "nz-parliament-2023"}
    current = preset_digests()
    for entry in earlier:
        assert entry.id in preset_ids()
        assert entry.sha256 != current[entry.id]  # the current text is not "earlier"
        assert entry.title


def test_a_receipt_under_an_earlier_text_of_a_preset_is_verified_and_imported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    earlier = replace(f.POLICY, sha256=NZ_2023_EARLIER)
    path = drop(
        tmp_path / "in",
        "r.json",
        f.receipt(signer, cabled("A1"), f.AROHA, f.Outcome.CLEAN, day=DAY, policy=earlier),
    )
    code, out, _ = run(capsys, "verify", str(path))
    assert code == 0, out
    assert "an earlier version of the built-in preset" in out
    assert "NOT A KNOWN POLICY" not in out
    code, out, _ = run(capsys, "verify", "--json", str(path))
    assert json.loads(out)[0]["policy"]["known"] == "earlier built-in"
    db = tmp_path / "h.sqlite3"
    assert import_json(capsys, tmp_path / "in", db)["r.json"]["result"] == "imported"
    with Store(db) as store:
        (row,) = store.export_rows(today=DAY)
        assert row.policy_sha256 == NZ_2023_EARLIER
        assert row.status == "compliant"
    code, out, _ = run(capsys, "policy", "list", "--db", str(db))
    assert "earlier release" in out


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=70),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(["presets", "sha256", "version", "title", "deadline", "x"]),
                    inner,
                    max_size=5,
                )
            ),
            max_leaves=20,
        ).map(json.dumps),
    )
)
def test_the_earlier_presets_reader_refuses_anything_malformed_in_words(text: str) -> None:
    try:
        parse_earlier(text)
    except ValueError as error:
        assert str(error)


def test_a_deeply_nested_earlier_presets_file_is_refused_in_words() -> None:
    with pytest.raises(ValueError, match=r"nested|presets"):
        parse_earlier("[" * 100_000 + "]" * 100_000)


def _git(*args: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def test_every_text_of_a_preset_in_the_git_history_is_known() -> None:
    """When a preset's file changes, the digest of the text it replaces goes into
    resources/earlier-presets.json: otherwise receipts made under it would be refused."""
    if _git("rev-parse", "--git-dir") is None:
        pytest.skip("not a git work tree")
    known = {(e.id, e.sha256) for e in earlier_presets()}
    current = preset_digests()
    missing = []
    for preset_id in preset_ids():
        path = f"resources/policies/{preset_id}.toml"
        revisions = (_git("log", "--format=%H", "--", path) or b"").decode().split()
        for revision in revisions:
            text = _git("show", f"{revision}:{path}")
            if text is None:
                continue
            digest = hashlib.sha256(text).hexdigest()
            if digest != current[preset_id] and (preset_id, digest) not in known:
                missing.append(f"{preset_id} at {revision[:12]}: {digest}")
    assert not missing, "add to resources/earlier-presets.json: " + "; ".join(missing)
