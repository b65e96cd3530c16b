"""Every kind of bad policy, exemptions or catalog file gets an error that says where and what."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.errors import CatalogError, ExemptionsError, PolicyError, UnknownPolicy
from audit.model import AppState, Confidence, IdentifierKind, MatchKind
from audit.policy import load_catalog, load_exemptions, load_policy, loads_exemptions, loads_policy

GOOD = """\
id = "acme-2023"
title = "Acme: no TikTok"
authority = "Acme security office"
instrument = "Acme IT policy 7.3"
sources = ["https://intranet.example/policy-7-3"]
announced = 2023-03-01
deadline = 2023-03-31
scope = "Company phones"
consequence = "No e-mail on the phone"
exception_route = "Ask security"
compliant_states = ["absent", "removed_for_user"]

[[rule]]
id = "tiktok"
title = "TikTok"
description = "The app"
catalog = ["tiktok-app"]
identifiers = [{ kind = "android_pkg", value = "com.example.banned", confidence = "medium", \
app = "Banned" }]
names = ["Banned App", { value = "Other*", publisher = "Bad Co*", on = "arp_key" }]
publishers = ["Evil Corp"]
processes = ["banned.exe"]
"""


def test_good_policy_loads_every_field(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(GOOD, encoding="utf-8")
    policy = load_policy(str(path))
    assert (policy.id, policy.title, policy.authority) == (
        "acme-2023",
        "Acme: no TikTok",
        "Acme security office",
    )
    assert (policy.announced, policy.deadline) == (date(2023, 3, 1), date(2023, 3, 31))
    assert policy.instrument == "Acme IT policy 7.3"
    assert policy.sources == ("https://intranet.example/policy-7-3",)
    assert policy.compliant_states == {AppState.ABSENT, AppState.REMOVED_FOR_USER}
    assert policy.origin == str(path)
    import hashlib

    assert policy.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    (rule,) = policy.rules
    assert rule.catalog_refs == ("tiktok-app",)
    kinds = [(m.kind, m.pattern) for m in rule.matchers if not m.catalog_entry]
    assert kinds == [
        (MatchKind.IDENTIFIER, "com.example.banned"),
        (MatchKind.NAME, "Banned App"),
        (MatchKind.NAME, "Other*"),
        (MatchKind.PUBLISHER, "Evil Corp"),
        (MatchKind.PROCESS, "banned.exe"),
    ]
    inline = {m.pattern: m for m in rule.matchers if not m.catalog_entry}
    assert inline["com.example.banned"].confidence is Confidence.MEDIUM
    assert inline["com.example.banned"].app == "Banned"
    assert inline["Other*"].id_kind is IdentifierKind.ARP_KEY
    assert inline["Other*"].publisher == "Bad Co*"
    from_catalog = {m.catalog_entry: m for m in rule.matchers if m.catalog_entry}
    assert from_catalog["tiktok-android"].pattern == "com.zhiliaoapp.musically"
    assert from_catalog["tiktok-android"].app == "TikTok"


def _replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


# (file text, key named, line named, words in the problem)
BAD_POLICIES = [
    pytest.param(
        _replace('title = "Acme: no TikTok"', 'title = "Acme: no TikTok'),
        "",
        2,
        "not valid TOML",
        id="malformed-toml",
    ),
    pytest.param(
        _replace('title = "Acme: no TikTok"', "title = 5"),
        "title",
        2,
        "expected text in quotes, found a number (5)",
        id="wrong-type",
    ),
    pytest.param(
        _replace("deadline =", "dealine ="),
        "dealine",
        7,
        "did you mean 'deadline'",
        id="unknown-key",
    ),
    pytest.param(
        _replace('catalog = ["tiktok-app"]', 'catalogue = ["tiktok-app"]'),
        "rule[1].catalogue",
        17,
        "did you mean 'catalog'",
        id="unknown-rule-key",
    ),
    pytest.param(
        _replace('catalog = ["tiktok-app"]', 'catalog = ["tiktok-app", "tiktok-ap"]'),
        "rule[1].catalog[2]",
        17,
        "no catalog group or entry 'tiktok-ap'",
        id="unknown-catalog-ref",
    ),
    pytest.param(
        _replace('["absent", "removed_for_user"]', '["absent", "uninstalled"]'),
        "compliant_states[2]",
        11,
        "'uninstalled' is not one of",
        id="bad-state-name",
    ),
    pytest.param(
        _replace('["absent", "removed_for_user"]', '["installed"]'),
        "compliant_states",
        11,
        "'installed' cannot be compliant",
        id="installed-compliant",
    ),
    pytest.param(
        _replace("deadline = 2023-03-31", 'deadline = "31 March 2023"'),
        "deadline",
        7,
        "write the date without quotes",
        id="date-as-text",
    ),
    pytest.param(
        _replace("deadline = 2023-03-31", "deadline = 2023-02-30"),
        "",
        7,
        "not valid TOML",
        id="impossible-date",
    ),
    pytest.param(
        _replace("deadline = 2023-03-31", "deadline = 2023-03-31T17:00:00"),
        "deadline",
        7,
        "a date with a time",
        id="date-with-time",
    ),
    pytest.param(
        _replace("deadline = 2023-03-31", "deadline = 2023-02-01"),
        "deadline",
        7,
        "before the announcement",
        id="deadline-before-announcement",
    ),
    pytest.param(
        _replace('authority = "Acme security office"\n', ""),
        "",
        None,
        "the key 'authority' is missing",
        id="missing-required-key",
    ),
    pytest.param(
        _replace('title = "TikTok"\n', ""),
        "rule[1]",
        13,
        "the key 'title' is missing",
        id="missing-rule-title",
    ),
    pytest.param(
        GOOD.split("[[rule]]", maxsplit=1)[0], "rule", None, "bans nothing", id="no-rules"
    ),
    pytest.param(
        GOOD.replace("[[rule]]", "[rule]"),
        "rule",
        13,
        "expected a list of tables",
        id="rule-not-array",
    ),
    pytest.param(
        GOOD + '\n[[rule]]\nid = "tiktok"\ntitle = "Again"\nnames = ["X"]\n',
        "rule[2].id",
        24,
        "used twice",
        id="duplicate-rule-id",
    ),
    pytest.param(
        GOOD + '\n[[rule]]\nid = "empty"\ntitle = "Nothing"\n',
        "rule[2]",
        23,
        "matches nothing",
        id="rule-without-matchers",
    ),
    pytest.param(
        _replace('kind = "android_pkg"', 'kind = "android_package"'),
        "rule[1].identifiers[1].kind",
        18,
        "'android_package' is not one of",
        id="bad-id-kind",
    ),
    pytest.param(
        _replace('kind = "android_pkg"', 'kind = "name"'),
        "rule[1].identifiers[1].kind",
        18,
        "need an identifier kind",
        id="name-as-identifier",
    ),
    pytest.param(
        _replace('confidence = "medium"', 'confidence = "very high"'),
        "rule[1].identifiers[1].confidence",
        18,
        "'very high' is not one of",
        id="bad-confidence",
    ),
    pytest.param(
        _replace('app = "Banned"', 'app = "Banned", publisher = "X"'),
        "rule[1].identifiers[1].publisher",
        18,
        "only name matchers",
        id="publisher-on-identifier",
    ),
    pytest.param(
        _replace('on = "arp_key"', 'on = "registry"'),
        "rule[1].names[2].on",
        19,
        "'registry' is not one of",
        id="bad-on-kind",
    ),
    pytest.param(
        _replace('processes = ["banned.exe"]', "processes = [7]"),
        "rule[1].processes[1]",
        21,
        "expected a table, found a number",
        id="process-not-text",
    ),
    pytest.param(
        _replace('id = "acme-2023"', 'id = "acme 2023!"'),
        "id",
        1,
        "must be letters, digits",
        id="bad-id",
    ),
    pytest.param(
        _replace('sources = ["https://intranet.example/policy-7-3"]', "sources = [1, 2]"),
        "sources[1]",
        5,
        "expected text",
        id="source-not-text",
    ),
    pytest.param(
        _replace('value = "com.example.banned"', 'value = " com.example.banned"'),
        "rule[1].identifiers[1].value",
        18,
        "spaces",
        id="value-with-spaces",
    ),
]


@pytest.mark.parametrize(("text", "key", "line", "words"), BAD_POLICIES)
def test_bad_policy_names_file_key_line_and_problem(
    tmp_path: Path, text: str, key: str, line: int | None, words: str
) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    error = caught.value
    assert error.key == key
    assert error.line == line
    assert words in error.problem
    assert str(path) in error.message
    assert "nothing was loaded" in error.next_step


def test_policy_file_is_read_fresh_each_time(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(GOOD, encoding="utf-8")
    first = load_policy(path)
    path.write_text(_replace('title = "Acme: no TikTok"', "title = 5"), encoding="utf-8")
    with pytest.raises(PolicyError):
        load_policy(path)
    path.write_text(_replace('title = "Acme: no TikTok"', 'title = "Acme v2"'), encoding="utf-8")
    second = load_policy(path)
    assert (first.title, second.title) == ("Acme: no TikTok", "Acme v2")
    assert first.sha256 != second.sha256


@pytest.mark.parametrize("name", ["no-such-preset", "missing/policy.toml"])
def test_unknown_policy_says_how_to_list_presets(name: str) -> None:
    with pytest.raises(UnknownPolicy) as caught:
        load_policy(name)
    assert name in caught.value.message
    assert "device-audit policies" in caught.value.next_step


def test_unreadable_and_binary_policy_files(tmp_path: Path) -> None:
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00id = 1")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(path)


# --- exemptions -------------------------------------------------------------------------------

GOOD_EXEMPTIONS = """\
[[exemption]]
id = "EX-2023-001"
person = "s1234"
device = "android:R58M123"
policy = "nz-parliament-2023"
rules = ["tiktok"]
apps = ["com.zhiliaoapp.musically"]
approver = "Jane Smith"
approver_role = "Chief Security Officer"
reason = "Runs the party's TikTok account (democratic duties)"
granted = 2023-03-20
expires = 2023-12-31
mitigations = ["Separate phone without Parliament apps", "No work e-mail on it"]

[[exemption]]
id = "EX-2023-002"
approver = "Jane Smith"
reason = "Security research"
granted = 2023-03-20
expires = 2023-03-20
"""


def test_good_exemptions_load(tmp_path: Path) -> None:
    path = tmp_path / "exemptions.toml"
    path.write_text(GOOD_EXEMPTIONS, encoding="utf-8")
    first, second = load_exemptions(path)
    assert first.person == "s1234" and first.device == "android:R58M123"
    assert first.rules == ("tiktok",) and first.apps == ("com.zhiliaoapp.musically",)
    assert first.approver_role == "Chief Security Officer"
    assert first.mitigations == ("Separate phone without Parliament apps", "No work e-mail on it")
    assert (first.granted, first.expires) == (date(2023, 3, 20), date(2023, 12, 31))
    assert second.person == "" and second.rules == () and second.active_on(date(2023, 3, 20))
    assert loads_exemptions("") == ()


def _ex(old: str, new: str) -> str:
    assert old in GOOD_EXEMPTIONS
    return GOOD_EXEMPTIONS.replace(old, new, 1)


BAD_EXEMPTIONS = [
    pytest.param(
        _ex("expires = 2023-12-31", "expires = 2023-03-19"),
        "exemption[1].expires",
        12,
        "expires (2023-03-19) before it is granted (2023-03-20)",
        id="expires-before-granted",
    ),
    pytest.param(
        _ex('approver = "Jane Smith"\napprover_role', "approver_role"),
        "exemption[1]",
        1,
        "the key 'approver' is missing",
        id="missing-approver",
    ),
    pytest.param(
        _ex("expires = 2023-03-20\n", ""),
        "exemption[2]",
        15,
        "the key 'expires' is missing",
        id="missing-expiry",
    ),
    pytest.param(
        _ex("expires = 2023-12-31", "expiry = 2023-12-31"),
        "exemption[1].expiry",
        12,
        "did you mean 'expires'",
        id="unknown-key",
    ),
    pytest.param(
        _ex("granted = 2023-03-20", 'granted = "2023-03-20"'),
        "exemption[1].granted",
        11,
        "write the date without quotes",
        id="date-as-text",
    ),
    pytest.param(
        _ex("granted = 2023-03-20", "granted = 2023-13-20"), "", 11, "not valid TOML", id="bad-date"
    ),
    pytest.param(
        _ex('mitigations = ["Separate', 'mitigations = [3, "Separate'),
        "exemption[1].mitigations[1]",
        13,
        "expected text",
        id="wrong-type-in-list",
    ),
    pytest.param(
        _ex('id = "EX-2023-002"', 'id = "EX-2023-001"'),
        "exemption[2].id",
        16,
        "used twice",
        id="duplicate-id",
    ),
    pytest.param(
        GOOD_EXEMPTIONS.replace("[[exemption]]", "[exemption]", 1).split("[[exemption]]")[0],
        "exemption",
        1,
        "expected a list of tables",
        id="single-table",
    ),
    pytest.param(
        '[[exemptions]]\nid = "x"\n',
        "exemptions",
        1,
        "did you mean 'exemption'",
        id="misspelt-section",
    ),
    pytest.param(
        _ex('reason = "Security research"', 'reason = ""'),
        "exemption[2].reason",
        18,
        "it is empty",
        id="empty-reason",
    ),
]


@pytest.mark.parametrize(("text", "key", "line", "words"), BAD_EXEMPTIONS)
def test_bad_exemptions_name_file_key_line_and_problem(
    tmp_path: Path, text: str, key: str, line: int | None, words: str
) -> None:
    path = tmp_path / "exemptions.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExemptionsError) as caught:
        load_exemptions(path)
    error = caught.value
    assert (error.key, error.line) == (key, line)
    assert words in error.problem
    assert str(path) in error.message


def test_missing_exemptions_file() -> None:
    with pytest.raises(ExemptionsError, match=r"cannot be found\.\nCheck the path"):
        load_exemptions("/nonexistent/exemptions.toml")


# --- the catalog ------------------------------------------------------------------------------

CATALOG = """\
format = "device-audit-catalog"
version = 1

[[entry]]
id = "a"
app = "App A"
kind = "android_pkg"
value = "com.a"
confidence = "high"
source = "test"

[[group]]
id = "g"
title = "Group"
entries = ["a"]
"""


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (
            CATALOG.replace('entries = ["a"]', 'entries = ["b"]'),
            "group[1].entries[1]",
            "no catalog entry 'b'",
        ),
        (
            CATALOG.replace('entries = ["a"]', 'entries = ["a"]\ngroups = ["g"]'),
            "group[1].groups",
            "circle",
        ),
        (
            CATALOG.replace('confidence = "high"\n', ""),
            "entry[1]",
            "the key 'confidence' is missing",
        ),
        (CATALOG.replace('source = "test"\n', ""), "entry[1]", "the key 'source' is missing"),
        (CATALOG.replace('id = "g"', 'id = "a"'), "group[1].id", "used twice"),
        (
            CATALOG.replace('kind = "android_pkg"', 'kind = "apk"'),
            "entry[1].kind",
            "'apk' is not one of",
        ),
        (CATALOG.replace('id = "a"', 'id = "A B"'), "entry[1].id", "lower-case"),
    ],
)
def test_bad_catalog(tmp_path: Path, text: str, key: str, words: str) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert caught.value.key == key
    assert words in caught.value.problem


def test_policy_against_another_catalog(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(CATALOG, encoding="utf-8")
    catalog = load_catalog(path)
    policy = loads_policy(
        'id = "p"\ntitle = "P"\nauthority = "A"\n[[rule]]\nid = "r"\ntitle = "R"\n'
        'catalog = ["g"]\n',
        catalog=catalog,
    )
    assert [m.pattern for m in policy.rules[0].matchers] == ["com.a"]
    with pytest.raises(PolicyError, match="tiktok-app"):
        loads_policy(
            'id = "p"\ntitle = "P"\nauthority = "A"\n[[rule]]\nid = "r"\ntitle = "R"\n'
            'catalog = ["tiktok-app"]\n',
            catalog=catalog,
        )


def _doc_blocks(name: str) -> list[str]:
    import re

    text = (Path(__file__).resolve().parents[3] / "docs" / name).read_text(encoding="utf-8")
    return re.findall(r"```toml\n(.*?)```", text, re.DOTALL)


def test_the_documented_examples_load() -> None:
    policy_text, dates_text, allow_text, exemptions_text, catalog_text = _doc_blocks(
        "policy-format.md"
    )
    policy = loads_policy(policy_text, "docs example")
    assert [r.id for r in policy.rules] == ["tiktok", "capcut", "house-list", "bytedance-hint"]
    assert policy.rules[3].review_only
    dated = loads_policy(dates_text, "docs example")
    assert [(r.id, r.deadline) for r in dated.rules] == [
        ("tiktok", date(2023, 3, 31)),
        ("capcut", date(2025, 2, 24)),
    ]
    allowing = loads_policy(allow_text, "docs example")
    assert allowing.allow_list is not None
    assert [r.id for r in allowing.rules] == ["tiktok", "unlisted"]
    (granted,) = loads_exemptions(exemptions_text)
    assert granted.expires == date(2023, 12, 31)
    assert "[[entry]]" in catalog_text


# --- fuzzing: any text gives a policy or a PolicyError, never another exception ---------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mangled_policy_files_fail_cleanly(data: st.DataObject) -> None:
    lines = GOOD.splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    junk = data.draw(st.text(max_size=20))
    action = data.draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
    if action == "replace":
        lines[index] = junk
    elif action == "insert":
        lines.insert(index, junk)
    elif action == "delete":
        del lines[index]
    else:
        lines[index] = lines[index][: len(lines[index]) // 2]
    text = "\n".join(lines)
    try:
        policy = loads_policy(text, "fuzz.toml")
    except PolicyError as error:
        assert "fuzz.toml" in error.message
        assert error.line is None or 1 <= error.line <= len(lines) + 1
    else:
        assert policy.rules


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_exemptions_text_fails_cleanly(text: str) -> None:
    try:
        loads_exemptions(text, "fuzz.toml")
    except ExemptionsError as error:
        assert "fuzz.toml" in error.message
