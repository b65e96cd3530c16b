"""A version names one text of a policy: two known texts of one built-in preset (the current one
and the earlier ones in resources/earlier-presets.json) never share a version. Otherwise the
history says "version 1; the current one is version 1", the export's policy_version cannot tell
two texts apart, and `history rejudge --version 1` passes for either of them.

Texts shipped before policy files carried a `version` line are version 1 by the loader's default:
two of those, or one of those and the first numbered text, may share it (that history cannot be
rewritten); the current text never may, and no two numbered texts may.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import pytest

from audit.policy import load_policy, preset_ids
from audit.policy.earlier import earlier_presets

ROOT = Path(__file__).resolve().parents[3]
_VERSION_LINE = re.compile(rb"^version\s*=", re.MULTILINE)


def _earlier_versions() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for entry in earlier_presets():
        found[entry.id].append((entry.version, entry.sha256))
    return found


@pytest.mark.parametrize(
    "preset_id",
    [p for p in sorted(preset_ids())],
)
def test_the_current_text_has_a_version_no_earlier_text_had(preset_id: str) -> None:
    current = str(load_policy(preset_id).version)
    same = [sha[:12] for version, sha in _earlier_versions()[preset_id] if version == current]
    assert not same, (
        f"{preset_id}: the current text and earlier text(s) {same} are all version {current}: "
        f"raise the version in resources/policies/{preset_id}.toml"
    )


def _git(*args: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _numbered_texts(preset_id: str) -> dict[str, bool]:
    """sha256 of each text of the preset in the git history -> whether it has a version line."""
    path = f"resources/policies/{preset_id}.toml"
    numbered = {}
    for revision in (_git("log", "--format=%H", "--", path) or b"").decode().split():
        text = _git("show", f"{revision}:{path}")
        if text is not None:
            numbered[hashlib.sha256(text).hexdigest()] = bool(_VERSION_LINE.search(text))
    return numbered


def test_no_two_numbered_earlier_texts_share_a_version() -> None:
    if _git("rev-parse", "--git-dir") is None:
        pytest.skip("not a git work tree: which texts carried a version line is not known")
    found = [
        clash
        for preset_id, texts in _earlier_versions().items()
        for clash in clashes(preset_id, texts, _numbered_texts(preset_id))
    ]
    assert not found, "; ".join(found)


def clashes(preset_id: str, texts: list[tuple[str, str]], numbered: dict[str, bool]) -> list[str]:
    """Pairs of (version, sha256) texts with one version, both carrying a version line. A text
    not found in the history counts as numbered: it is never excused blindly."""
    return [
        f"{preset_id}: {a[:12]} and {b[:12]} are both version {v1}"
        for (v1, a), (v2, b) in combinations(texts, 2)
        if v1 == v2 and numbered.get(a, True) and numbered.get(b, True)
    ]


def test_the_rule_excuses_only_texts_from_before_versions_were_written() -> None:
    a, b, c = "a" * 64, "b" * 64, "c" * 64
    texts = [("1", a), ("1", b), ("2", c)]
    assert clashes("x", texts, {a: False, b: True, c: True}) == []  # a had no version line
    assert clashes("x", texts, {a: True, b: True, c: True}) == [
        f"x: {a[:12]} and {b[:12]} are both version 1"
    ]
    assert len(clashes("x", texts, {})) == 1  # not in the history: not excused
