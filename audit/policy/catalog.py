"""The identifier catalog: what each banned app is called on each platform, and how sure we are.

Defined once in resources/catalog.toml so that "the TikTok app" or "ByteDance apps" means the
same list in every policy, and so that every identifier carries its source and its confidence
(from the research notes): a policy can only be as right as the identifiers it names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from audit.errors import CatalogError
from audit.i18n import _
from audit.model import AppId, Confidence, IdentifierKind, Matcher, MatchKind
from audit.paths import resource
from audit.policy.grammar import identifier_problem, text_problem
from audit.policy.matching import is_glob, normalise_id
from audit.policy.tomlfile import Table, TomlDocument, read_file

FORMAT = "device-audit-catalog"
VERSION = 1

ENTRY_KEYS = ("id", "app", "kind", "value", "confidence", "source", "notes", "publisher", "on")
GROUP_KEYS = ("id", "title", "description", "entries", "groups")

# What a catalog entry (or an inline rule matcher) may say it matches, besides identifier kinds.
MATCH_KIND_WORDS = {
    "name": MatchKind.NAME,
    "publisher": MatchKind.PUBLISHER,
    "process": MatchKind.PROCESS,
}

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class CatalogEntry:
    """One way to recognise one app, with its evidence."""

    id: str
    app: str
    kind: MatchKind
    value: str
    confidence: Confidence
    id_kind: IdentifierKind | None = None  # for identifiers; for names: only apps of this kind
    publisher: str = ""  # names: the publisher glob that must also match
    source: str = ""
    notes: str = ""

    def matcher(self) -> Matcher:
        return Matcher(
            kind=self.kind,
            pattern=self.value,
            id_kind=self.id_kind,
            publisher=self.publisher,
            confidence=self.confidence,
            catalog_entry=self.id,
            app=self.app,
        )


@dataclass(frozen=True)
class CatalogGroup:
    id: str
    title: str
    entries: tuple[str, ...]  # entry ids, after expanding nested groups, in file order
    description: str = ""


class Catalog:
    """Entries and named groups of entries; rules reference either by id."""

    def __init__(
        self,
        entries: Mapping[str, CatalogEntry],
        groups: Mapping[str, CatalogGroup],
        path: str = "",
        sha256: str = "",
    ) -> None:
        self.entries = dict(entries)
        self.groups = dict(groups)
        self.path = path
        self.sha256 = sha256
        self._names: dict[tuple[IdentifierKind, str], str] = {}
        for entry in self.entries.values():
            if entry.kind is MatchKind.IDENTIFIER and entry.id_kind and not is_glob(entry.value):
                key = (entry.id_kind, normalise_id(entry.id_kind, entry.value))
                self._names.setdefault(key, entry.app)

    def app_name(self, app_id: AppId) -> str | None:
        """The display name of the known app with this exact identifier ("TikTok"), if any.

        Only exact identifiers count: the review-only namespace globs must not give a random
        `com.ss.android.*` package the name of a ByteDance app.
        """
        return self._names.get((app_id.kind, normalise_id(app_id.kind, app_id.value)))

    def resolve(self, ref: str) -> tuple[CatalogEntry, ...] | None:
        """The entries a rule's `catalog` reference stands for; None when it names nothing."""
        if ref in self.groups:
            return tuple(self.entries[e] for e in self.groups[ref].entries)
        if ref in self.entries:
            return (self.entries[ref],)
        return None


def entry_kind(value: str) -> tuple[MatchKind, IdentifierKind | None] | None:
    """`"android_pkg"` -> identifier of that kind; `"name"` -> a name matcher; else None."""
    if value in MATCH_KIND_WORDS:
        return MATCH_KIND_WORDS[value], None
    try:
        return MatchKind.IDENTIFIER, IdentifierKind(value)
    except ValueError:
        return None


def kind_words() -> str:
    return ", ".join(f'"{k}"' for k in [*(k.value for k in IdentifierKind), *MATCH_KIND_WORDS])


@dataclass(frozen=True)
class MatcherFields:
    """What a catalog entry and an inline rule matcher both say: kind, value, how sure."""

    kind: MatchKind
    id_kind: IdentifierKind | None  # identifiers: their kind; names: only apps of this kind
    value: str
    publisher: str
    confidence: Confidence

    def matcher(self, app: str, catalog_entry: str = "") -> Matcher:
        return Matcher(
            kind=self.kind,
            pattern=self.value,
            id_kind=self.id_kind,
            publisher=self.publisher,
            confidence=self.confidence,
            catalog_entry=catalog_entry,
            app=app,
        )


def read_matcher_fields(table: Table, *, kind_value: str | None = None) -> MatcherFields:
    """Read kind, value, publisher, `on` and confidence, checking they make sense together."""
    raw_kind = kind_value if kind_value is not None else table.text("kind", required=True)
    parsed = entry_kind(raw_kind)
    if parsed is None:
        raise table.fail(
            "kind",
            _("{value} is not one of {allowed}").format(value=repr(raw_kind), allowed=kind_words()),
        )
    kind, id_kind = parsed
    value = table.text("value", required=True)
    if value != value.strip():
        raise table.fail("value", _("it starts or ends with spaces"))
    # A value no device can report matches nothing, silently: refuse it (audit.policy.grammar).
    if kind is MatchKind.IDENTIFIER and id_kind is not None:
        problem = identifier_problem(id_kind, value)
    else:
        problem = text_problem(value)
    if problem:
        raise table.fail("value", problem)
    publisher = table.text("publisher")
    if publisher and kind is not MatchKind.NAME:
        raise table.fail("publisher", _("only name matchers can also require a publisher"))
    if text_problem(publisher):
        raise table.fail("publisher", text_problem(publisher))
    on = table.enum("on", IdentifierKind)
    if on is not None:
        if kind is not MatchKind.NAME:
            raise table.fail("on", _("only name matchers can be limited to one kind of app"))
        id_kind = on
    confidence = table.enum("confidence", Confidence) or Confidence.HIGH
    return MatcherFields(kind, id_kind, value, publisher, confidence)


def parse_catalog(doc: TomlDocument, sha256: str = "") -> Catalog:
    root = doc.root()
    root.only(("format", "version", "entry", "group"))
    if root.text("format", default=FORMAT) != FORMAT:
        raise root.fail("format", _("expected '{format}'").format(format=FORMAT))
    entries: dict[str, CatalogEntry] = {}
    for table in root.tables("entry"):
        table.only(ENTRY_KEYS)
        entry_id = _identifier(table)
        if entry_id in entries:
            raise table.fail("id", _("the id '{id}' is used twice").format(id=entry_id))
        table.enum("confidence", Confidence, required=True)  # the catalog must say how sure
        fields = read_matcher_fields(table)
        entries[entry_id] = CatalogEntry(
            id=entry_id,
            app=table.text("app", required=True),
            kind=fields.kind,
            value=fields.value,
            confidence=fields.confidence,
            id_kind=fields.id_kind,
            publisher=fields.publisher,
            source=table.text("source", required=True),
            notes=table.text("notes"),
        )
    raw_groups: dict[str, tuple[Table, tuple[str, ...], tuple[str, ...]]] = {}
    for table in root.tables("group"):
        table.only(GROUP_KEYS)
        group_id = _identifier(table)
        if group_id in raw_groups or group_id in entries:
            raise table.fail("id", _("the id '{id}' is used twice").format(id=group_id))
        raw_groups[group_id] = (table, table.texts("entries"), table.texts("groups"))
    groups: dict[str, CatalogGroup] = {}
    for group_id, (table, _e, _g) in raw_groups.items():
        members = _expand(group_id, raw_groups, entries, ())
        if not members:
            raise table.fail("entries", _("the group names no entries"))
        groups[group_id] = CatalogGroup(
            id=group_id,
            title=table.text("title", required=True),
            entries=members,
            description=table.text("description"),
        )
    return Catalog(entries, groups, doc.path, sha256)


def _identifier(table: Table) -> str:
    value = table.text("id", required=True)
    if not _ID.match(value):
        raise table.fail(
            "id",
            _("{value} must be lower-case letters, digits, '.', '-' or '_'").format(
                value=repr(value)
            ),
        )
    return value


def _expand(
    group_id: str,
    raw: dict[str, tuple[Table, tuple[str, ...], tuple[str, ...]]],
    entries: Mapping[str, CatalogEntry],
    seen: tuple[str, ...],
) -> tuple[str, ...]:
    table, entry_ids, group_ids = raw[group_id]
    if group_id in seen:
        raise table.fail(
            "groups",
            _("groups include each other in a circle: {groups}").format(groups=" -> ".join(seen)),
        )
    out: list[str] = []
    for index, entry_id in enumerate(entry_ids):
        if entry_id not in entries:
            raise table.doc.fail(
                (*table.path, "entries", index),
                _("there is no catalog entry '{id}'").format(id=entry_id),
            )
        out.append(entry_id)
    for index, sub in enumerate(group_ids):
        if sub not in raw:
            raise table.doc.fail(
                (*table.path, "groups", index), _("there is no group '{id}'").format(id=sub)
            )
        out.extend(_expand(sub, raw, entries, (*seen, group_id)))
    return tuple(dict.fromkeys(out))


def load_catalog(path: Path | str) -> Catalog:
    import hashlib

    doc, raw = read_file(path, CatalogError)
    return parse_catalog(doc, hashlib.sha256(raw).hexdigest())


@cache
def default_catalog() -> Catalog:
    """The catalog shipped in resources/catalog.toml, loaded once."""
    return load_catalog(resource("catalog.toml"))
