"""Policy files: the TOML format (docs/policy-format.md), its validation, and the presets.

A policy is loaded whole or not at all: every check runs before a `Policy` exists, so a file with
one bad key never leaves a half-read policy behind. The sha256 of the file's bytes goes into the
`Policy`, so an attestation names exactly the text it was judged against.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from audit.errors import PolicyError, UnknownPolicy
from audit.model import NEVER_COMPLIANT, AppState, Matcher, MatchKind, Policy, Rule
from audit.paths import resource
from audit.policy.catalog import Catalog, default_catalog, kind_words, read_matcher_fields
from audit.policy.tomlfile import Table, TomlDocument, parse_text, read_file

POLICY_KEYS = (
    "id",
    "title",
    "authority",
    "instrument",
    "sources",
    "announced",
    "deadline",
    "scope",
    "consequence",
    "exception_route",
    "compliant_states",
    "rule",
)
RULE_KEYS = (
    "id",
    "title",
    "description",
    "review_only",
    "catalog",
    "identifiers",
    "names",
    "publishers",
    "processes",
)
# `publisher` and `on` are read from every matcher so that misusing them gets its own words.
IDENTIFIER_KEYS = ("kind", "value", "confidence", "app", "publisher", "on")
NAME_KEYS = ("value", "publisher", "on", "confidence", "app")

_POLICY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class PolicyIsFolder(UnknownPolicy):
    """A folder was given where a policy file or preset id belongs."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.message = f"'{name}' is a folder, not a policy."
        self.next_step = (
            "Give a policy file (.toml) or a preset id ('device-audit policies' lists them)."
        )
        self.args = (self.message,)


def presets_dir() -> Path:
    return resource("policies")


def policy_digest(policy: Policy) -> str:
    """sha256 of the policy file's bytes, as attestations record it."""
    return policy.sha256


def parse_policy(
    doc: TomlDocument, *, sha256: str = "", origin: str = "", catalog: Catalog | None = None
) -> Policy:
    """Validate a parsed policy file and build the `Policy`; raises PolicyError on any fault."""
    catalog = catalog if catalog is not None else default_catalog()
    root = doc.root()
    root.only(POLICY_KEYS)
    policy_id = root.text("id", required=True)
    if not _POLICY_ID.match(policy_id):
        raise root.fail(
            "id", f"{policy_id!r} must be letters, digits, '.', '-' or '_' (at most 64)"
        )
    title = root.text("title", required=True)
    authority = root.text("authority", required=True)
    instrument = root.text("instrument")
    sources = root.texts("sources")
    announced = root.day("announced")
    deadline = root.day("deadline")
    if announced and deadline and deadline < announced:
        raise root.fail(
            "deadline", f"the deadline {deadline} is before the announcement {announced}"
        )
    scope = root.text("scope")
    consequence = root.text("consequence")
    exception_route = root.text("exception_route")
    states = root.enums("compliant_states", AppState)
    compliant = frozenset(states if states is not None else ()) | {AppState.ABSENT}
    if AppState.INSTALLED in compliant:
        raise root.fail(
            "compliant_states",
            "'installed' cannot be compliant: the policy would ban nothing. "
            "Use 'absent', 'removed_for_user' or 'disabled'",
        )
    for state in sorted(compliant & NEVER_COMPLIANT):
        raise root.fail(
            "compliant_states",
            f"'{state.value}' cannot be compliant: a {state.value} app is still installed and "
            "the person can use it again at once. Use 'absent', 'removed_for_user' or 'disabled'",
        )
    rule_tables = root.tables("rule")
    if not rule_tables:
        raise root.fail("rule", "the policy has no [[rule]] sections, so it bans nothing")
    rules: list[Rule] = []
    seen: set[str] = set()
    for table in rule_tables:
        rule = _rule(table, catalog)
        if rule.id in seen:
            raise table.fail("id", f"the rule id '{rule.id}' is used twice")
        seen.add(rule.id)
        rules.append(rule)
    return Policy(
        id=policy_id,
        title=title,
        authority=authority,
        rules=tuple(rules),
        deadline=deadline,
        announced=announced,
        instrument=instrument,
        sources=sources,
        scope=scope,
        consequence=consequence,
        exception_route=exception_route,
        compliant_states=compliant,
        sha256=sha256,
        origin=origin,
    )


def _rule(table: Table, catalog: Catalog) -> Rule:
    table.only(RULE_KEYS)
    rule_id = table.text("id", required=True)
    matchers: list[Matcher] = []
    refs = table.texts("catalog")
    for index, ref in enumerate(refs):
        entries = catalog.resolve(ref)
        if entries is None:
            raise table.doc.fail(
                (*table.path, "catalog", index),
                f"there is no catalog group or entry '{ref}' in {catalog.path or 'the catalog'}",
            )
        matchers.extend(e.matcher() for e in entries)
    for item in table.tables("identifiers"):
        item.only(IDENTIFIER_KEYS)
        fields = read_matcher_fields(item)
        if fields.kind is not MatchKind.IDENTIFIER:
            raise item.fail(
                "kind",
                f"identifiers need an identifier kind ({kind_words()}); "
                "write names, publishers and processes in their own lists",
            )
        matchers.append(fields.matcher(item.text("app")))
    for key, kind_word, keys in (
        ("names", "name", NAME_KEYS),
        ("publishers", "publisher", NAME_KEYS),
        ("processes", "process", NAME_KEYS),
    ):
        for item in table.tables(key, shorthand=lambda text: {"value": text}):
            item.only(keys)
            fields = read_matcher_fields(item, kind_value=kind_word)
            matchers.append(fields.matcher(item.text("app")))
    if not matchers:
        raise table.fail(
            None,
            f"the rule '{rule_id}' matches nothing: give it catalog references, identifiers, "
            "names, publishers or processes",
        )
    return Rule(
        id=rule_id,
        title=table.text("title", required=True),
        matchers=tuple(dict.fromkeys(matchers)),
        description=table.text("description"),
        catalog_refs=refs,
        review_only=table.flag("review_only"),
    )


def loads_policy(
    text: str, path: Path | str = "<policy>", *, catalog: Catalog | None = None
) -> Policy:
    """Parse policy text (for tests and for files that are not on disk)."""
    doc = parse_text(text, path, PolicyError)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return parse_policy(doc, sha256=sha, origin=str(path), catalog=catalog)


def load_policy_file(path: Path | str, *, catalog: Catalog | None = None) -> Policy:
    doc, raw = read_file(path, PolicyError)
    return parse_policy(
        doc, sha256=hashlib.sha256(raw).hexdigest(), origin=str(path), catalog=catalog
    )


def preset_ids() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in presets_dir().glob("*.toml")))


@cache
def _preset(preset_id: str) -> Policy:
    path = presets_dir() / f"{preset_id}.toml"
    doc, raw = read_file(path, PolicyError)
    policy = parse_policy(doc, sha256=hashlib.sha256(raw).hexdigest(), origin=preset_id)
    if policy.id != preset_id:
        raise PolicyError(
            path, f"the preset's id '{policy.id}' differs from its file name", key="id"
        )
    return policy


def list_presets() -> tuple[Policy, ...]:
    """Every preset shipped in resources/policies, sorted by id."""
    return tuple(_preset(preset_id) for preset_id in preset_ids())


def load_policy(name_or_path: str | Path, *, catalog: Catalog | None = None) -> Policy:
    """A preset by id ("nz-parliament-2023") or a policy file by path.

    Raises UnknownPolicy when it is neither, PolicyError when the file is not a valid policy.
    """
    if isinstance(name_or_path, str) and catalog is None and name_or_path in preset_ids():
        return _preset(name_or_path)
    path = Path(name_or_path)
    if path.is_dir():
        raise PolicyIsFolder(str(name_or_path))
    if not path.is_file():
        raise UnknownPolicy(str(name_or_path))
    return load_policy_file(path, catalog=catalog)
