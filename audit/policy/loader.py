"""Policy files: the TOML format (docs/policy-format.md), its validation, and the presets.

A policy is loaded whole or not at all: every check runs before a `Policy` exists, so a file with
one bad key never leaves a half-read policy behind. The sha256 of the file's bytes goes into the
`Policy`, so an attestation names exactly the text it was judged against.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path

from audit.errors import PolicyError, UnknownPolicy
from audit.i18n import N_, _
from audit.model import (
    NEVER_COMPLIANT,
    AllowList,
    AppState,
    Matcher,
    MatchKind,
    Policy,
    PolicyStatus,
    Rule,
)
from audit.paths import resource
from audit.policy.catalog import Catalog, default_catalog, kind_words, read_matcher_fields
from audit.policy.signed import read_signature
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
    "version",
    "last_verified",
    "status",
    "superseded_by",
    "allow_list",
    "witnessed_only",
    "rule",
)
RULE_KEYS = (
    "id",
    "title",
    "description",
    "announced",
    "deadline",
    "review_only",
    "catalog",
    "identifiers",
    "names",
    "publishers",
    "processes",
)
ALLOW_KEYS = ("title", "description", "unlisted", "catalog", "identifiers", "names", "publishers")
UNLISTED_RULE = "unlisted"
# `publisher` and `on` are read from every matcher so that misusing them gets its own words.
IDENTIFIER_KEYS = ("kind", "value", "confidence", "app", "publisher", "on")
NAME_KEYS = ("value", "publisher", "on", "confidence", "app")

_POLICY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class PolicyIsFolder(UnknownPolicy):
    """A folder was given where a policy file or preset id belongs."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.message = _("'{name}' is a folder, not a policy.").format(name=name)
        self.next_step = _(
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
            "id",
            _("{value} must be letters, digits, '.', '-' or '_' (at most 64)").format(
                value=repr(policy_id)
            ),
        )
    title = root.text("title", required=True)
    authority = root.text("authority", required=True)
    instrument = root.text("instrument")
    sources = root.texts("sources")
    announced = root.day("announced")
    deadline = root.day("deadline")
    if announced and deadline and deadline < announced:
        raise root.fail("deadline", _before(deadline, announced))
    scope = root.text("scope")
    consequence = root.text("consequence")
    exception_route = root.text("exception_route")
    states = root.enums("compliant_states", AppState)
    compliant = frozenset(states if states is not None else ()) | {AppState.ABSENT}
    if AppState.INSTALLED in compliant:
        raise root.fail(
            "compliant_states",
            _(
                "'installed' cannot be compliant: the policy would ban nothing. "
                "Use 'absent', 'removed_for_user' or 'disabled'"
            ),
        )
    for state in sorted(compliant & NEVER_COMPLIANT):
        if state is AppState.OFFLOADED:  # an iPhone app offloaded to save space
            text = _(
                "'{state}' cannot be compliant: an {state} app keeps its data and its icon, and "
                "one tap downloads it again. Use 'absent', 'removed_for_user' or 'disabled'"
            )
        elif state.value[0] in "aeiou":
            text = _(
                "'{state}' cannot be compliant: an {state} app is still installed and the person "
                "can use it again at once. Use 'absent', 'removed_for_user' or 'disabled'"
            )
        else:
            text = _(
                "'{state}' cannot be compliant: a {state} app is still installed and the person "
                "can use it again at once. Use 'absent', 'removed_for_user' or 'disabled'"
            )
        raise root.fail("compliant_states", text.format(state=state.value))
    version = root.whole("version", default=1, minimum=1)
    last_verified = root.day("last_verified")
    status, superseded_by = _status(root, policy_id)
    rule_tables = root.tables("rule")
    allow_list = _allow_list(root, catalog)
    if not rule_tables and allow_list is None:
        raise root.fail("rule", _("the policy has no [[rule]] sections, so it bans nothing"))
    rules: list[Rule] = []
    seen: set[str] = set()
    for table in rule_tables:
        rule = _rule(table, catalog)
        if rule.id in seen:
            raise table.fail("id", _("the rule id '{id}' is used twice").format(id=rule.id))
        if allow_list is not None and rule.id == UNLISTED_RULE:
            raise table.fail(
                "id", _("the rule id '{id}' names the apps not allowed").format(id=UNLISTED_RULE)
            )
        seen.add(rule.id)
        rules.append(rule)
    if allow_list is not None:
        rules.append(allow_list.rule)
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
        version=version,
        last_verified=last_verified,
        status=status,
        superseded_by=superseded_by,
        allow_list=allow_list,
        witnessed_only=root.flag("witnessed_only"),
    )


def _status(root: Table, policy_id: str) -> tuple[PolicyStatus, str]:
    """`status` and `superseded_by`, which only make sense together."""
    status = root.enum("status", PolicyStatus) or PolicyStatus.ACTIVE
    superseded_by = root.text("superseded_by")
    if superseded_by and not _POLICY_ID.match(superseded_by):
        raise root.fail(
            "superseded_by", _("{value} is not a policy id").format(value=repr(superseded_by))
        )
    if status is PolicyStatus.SUPERSEDED and not superseded_by:
        raise root.fail("status", _("a superseded policy names its successor in 'superseded_by'"))
    if superseded_by and status is not PolicyStatus.SUPERSEDED:
        raise root.fail("superseded_by", _('only a policy with status = "superseded" has one'))
    if superseded_by == policy_id:
        raise root.fail("superseded_by", _("a policy cannot be superseded by itself"))
    return status, superseded_by


def _allow_list(root: Table, catalog: Catalog) -> AllowList | None:
    """`[allow_list]`: only the apps it names, and the system's own, are allowed."""
    value = root.data.get("allow_list")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise root.fail("allow_list", _("expected a table ([allow_list] section)"))
    table = Table(root.doc, (*root.path, "allow_list"), value)
    table.only(ALLOW_KEYS)
    matchers = _matchers(table, catalog)
    if not matchers:
        raise table.fail(
            None,
            _(
                "the allow-list names no app: give it catalog references, identifiers, names or "
                "publishers (an empty list would flag every app the person installed)"
            ),
        )
    unlisted = table.text("unlisted", default="review")
    if unlisted not in ("review", "violation"):
        raise table.fail(
            "unlisted",
            _('expected "review" or "violation", found {value}').format(value=repr(unlisted)),
        )
    title = table.text("title") or "Apps not on the allow-list"
    description = table.text("description") or (
        "Only the apps on the policy's allow-list, and the device's own system apps, are allowed."
    )
    rule = Rule(
        id=UNLISTED_RULE,
        title=title,
        matchers=(),
        description=description,
        review_only=unlisted == "review",
    )
    return AllowList(matchers=tuple(dict.fromkeys(matchers)), rule=rule)


def _rule(table: Table, catalog: Catalog) -> Rule:
    table.only(RULE_KEYS)
    rule_id = table.text("id", required=True)
    refs = table.texts("catalog")
    matchers = _matchers(table, catalog)
    if not matchers:
        raise table.fail(
            None,
            _(
                "the rule '{id}' matches nothing: give it catalog references, identifiers, "
                "names, publishers or processes"
            ).format(id=rule_id),
        )
    announced = table.day("announced")
    deadline = table.day("deadline")
    if announced and deadline and deadline < announced:
        raise table.fail("deadline", _before(deadline, announced))
    return Rule(
        id=rule_id,
        title=table.text("title", required=True),
        matchers=tuple(dict.fromkeys(matchers)),
        description=table.text("description"),
        catalog_refs=refs,
        review_only=table.flag("review_only"),
        announced=announced,
        deadline=deadline,
    )


def _matchers(table: Table, catalog: Catalog) -> list[Matcher]:
    """The matchers of a rule or an allow-list: catalog references, then inline ones."""
    matchers: list[Matcher] = []
    refs = table.texts("catalog")
    for index, ref in enumerate(refs):
        entries = catalog.resolve(ref)
        if entries is None:
            raise table.doc.fail(
                (*table.path, "catalog", index),
                _("there is no catalog group or entry '{ref}' in {catalog}").format(
                    ref=ref, catalog=catalog.path or _("the catalog")
                ),
            )
        matchers.extend(e.matcher() for e in entries)
    for item in table.tables("identifiers"):
        item.only(IDENTIFIER_KEYS)
        fields = read_matcher_fields(item)
        if fields.kind is not MatchKind.IDENTIFIER:
            raise item.fail(
                "kind",
                _(
                    "identifiers need an identifier kind ({kinds}); "
                    "write names, publishers and processes in their own lists"
                ).format(kinds=kind_words()),
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
    return matchers


def loads_policy(
    text: str, path: Path | str = "<policy>", *, catalog: Catalog | None = None
) -> Policy:
    """Parse policy text (for tests and for files that are not on disk)."""
    doc = parse_text(text, path, PolicyError)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _not_a_false_preset(
        parse_policy(doc, sha256=sha, origin=str(path), catalog=catalog), path
    )


def load_policy_file(path: Path | str, *, catalog: Catalog | None = None) -> Policy:
    doc, raw = read_file(path, PolicyError)
    policy = parse_policy(
        doc, sha256=hashlib.sha256(raw).hexdigest(), origin=str(path), catalog=catalog
    )
    policy = _not_a_false_preset(policy, path)
    signature = read_signature(path, raw)  # FILE.toml.sig, checked: audit.policy.signed
    return policy if signature is None else replace(policy, issuer_key=signature.fingerprint)


PRESET_ID_TAKEN = N_(
    "this file uses the id of a built-in policy but differs from it; give it its own id"
)


def _before(deadline: date, announced: date) -> str:
    return _("the deadline {deadline} is before the announcement {announced}").format(
        deadline=deadline, announced=announced
    )


def _not_a_false_preset(policy: Policy, path: Path | str) -> Policy:
    """A file may carry a preset's id only when it is that preset, byte for byte: a receipt names
    its policy by id, and "compliant under nz-parliament-2023" must mean the shipped rules."""
    shipped = preset_digests().get(policy.id)
    if shipped is not None and shipped != policy.sha256:
        raise PolicyError(
            path,
            # Translators: {problem} is "this file uses the id of a built-in policy but ..."
            _(
                "{problem} (for example '{id}-local'); the built-in '{id}' is loaded by its id "
                "alone"
            ).format(problem=_(PRESET_ID_TAKEN), id=policy.id),
            key="id",
        )
    return policy


@cache
def preset_digests() -> dict[str, str]:
    """Each shipped preset's id -> the sha256 of its file, computed from the files themselves
    (never a list kept by hand, which would go stale when a preset is edited). A preset's id is
    its file's name (_preset checks it), so this needs no parsing."""
    return {
        preset_id: hashlib.sha256((presets_dir() / f"{preset_id}.toml").read_bytes()).hexdigest()
        for preset_id in preset_ids()
    }


def preset_ids() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in presets_dir().glob("*.toml")))


@cache
def _preset(preset_id: str) -> Policy:
    path = presets_dir() / f"{preset_id}.toml"
    doc, raw = read_file(path, PolicyError)
    policy = parse_policy(doc, sha256=hashlib.sha256(raw).hexdigest(), origin=preset_id)
    if policy.id != preset_id:
        raise PolicyError(
            path,
            _("the preset's id '{id}' differs from its file name").format(id=policy.id),
            key="id",
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
    if not path.exists():  # a pipe or device is there: reading it says why it is refused
        raise UnknownPolicy(str(name_or_path))
    return load_policy_file(path, catalog=catalog)
