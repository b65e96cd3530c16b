"""Every reader of a file a person gives is fuzzed through the command line: any value in any
field of an inventory (out-of-range times and integers, lone surrogates, wrong types) and any
exemptions file gives an answer or an input error in words, never a traceback."""

from __future__ import annotations

import copy
import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.cli import main
from audit.inventory import dumps
from tests.audit.store import factory as f

_DOC = json.loads(
    dumps(f.scan(f.phone("R58M123ABC"), f.noon(date(2023, 3, 28)), tiktok_there=True))
)


def _paths(node: Any, where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [where] if where else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*where, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*where, index))
    return found


PATHS = _paths(_DOC)
ANY_TEXT = st.text(
    st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None), max_size=8
)
TIMES = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2023-02-30"]),
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False),
    ANY_TEXT,
    TIMES,
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=6,
)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(args)
    out, err = capsys.readouterr()
    assert code in (0, 1, 2)
    if code == 2:
        assert err.startswith("error: ") and "next step: " in err, err
    else:
        json.loads(out)  # the --json answer is JSON


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=3))
def test_check_json_answers_any_inventory_in_words(
    changes: list[tuple[tuple[Any, ...], Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(_DOC)
    for path, value in changes:
        node: Any = doc
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced a parent
    with tempfile.TemporaryDirectory() as folder:
        inventory = Path(folder) / "inventory.json"
        inventory.write_text(json.dumps(doc, ensure_ascii=True), encoding="utf-8")
        _run(
            ["check", "--policy", "nz-parliament-2023", "--inventory", str(inventory), "--json"],
            capsys,
        )


EXEMPTION_LINES = [
    "[[exemption]]",
    'id = "EX-1"',
    'reason = "duty"',
    'approver = "Clerk"',
    "granted = 2023-03-01",
    "expires = 2023-12-31",
    "expires = 0001-01-01",
    "expires = 9999-12-31T23:59:59-05:00",
    'person = "PS-1042"',
    'apps = ["com.zhiliaoapp.musically"]',
    "rules = [1, 2]",
    'person = "\\uD800"',
    "x = " + "[" * 50 + "]" * 50,
]


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(st.sampled_from(EXEMPTION_LINES) | ANY_TEXT, max_size=8),
)
def test_check_json_answers_any_exemptions_file_in_words(
    lines: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        inventory = Path(folder) / "inventory.json"
        inventory.write_text(json.dumps(_DOC), encoding="utf-8")
        exemptions = Path(folder) / "exemptions.toml"
        exemptions.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        _run(
            [
                "check",
                "--policy",
                "nz-parliament-2023",
                "--inventory",
                str(inventory),
                "--exemptions",
                str(exemptions),
                "--person",
                "PS-1042",
                "--json",
            ],
            capsys,
        )


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("apps", 0, "installed_at"), "0001-01-01T00:00:00+14:00", "out of any range"),
        (("finished_at",), "9999-12-31T23:59:59-05:00", "out of any range"),
        (("apps", 0, "name"), "\ud800TikTok", "not valid Unicode"),
    ],
)
def test_check_json_refuses_a_time_out_of_range_or_a_lone_surrogate(
    path: tuple[Any, ...],
    value: str,
    problem: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = copy.deepcopy(_DOC)
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps(doc, ensure_ascii=True), encoding="utf-8")
    args = ["check", "--policy", "nz-parliament-2023", "--inventory", str(inventory), "--json"]
    assert main(args) == 2
    assert problem in capsys.readouterr().err
