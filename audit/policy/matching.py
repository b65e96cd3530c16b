"""Recognising apps: a policy's matchers compiled once into lookups that cost the same per app.

A GUI evaluates 10,000-app inventories on every rescan, so matching an app must not walk every
matcher of every rule: exact identifiers are one dict lookup per identifier of the app, domains
one lookup per label, and globs are tried only after one combined regex said that some glob of
that kind matches at all.

Matching rules, as docs/policy-format.md states them:
- IDENTIFIER matchers compare against every identifier of an app (`InstalledApp.all_ids`) of the
  same kind, case-sensitively where the kind is (`IdentifierKind.case_sensitive`). A pattern is
  exact unless it contains `*` or `?`; then it is a glob over the whole value. A `domain` also
  matches its subdomains (`tiktok.com` matches `www.tiktok.com`, not `nottiktok.com`).
- NAME matchers compare the display name, ignoring case, compatibility forms and runs of
  whitespace, as a glob over the whole name. With a publisher glob the app's publisher must match
  too; an app that reports no publisher still matches, but only for review (a person must look).
  `id_kind` on a NAME matcher limits it to apps of that kind (a `.desktop` launcher named TikTok).
- PUBLISHER matchers glob the publisher the same way; an app without a publisher never matches.
- PROCESS matchers glob a running process's name (or its executable's file name), ignoring case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, TypeVar

from audit.model import (
    Confidence,
    IdentifierKind,
    InstalledApp,
    Matcher,
    MatchKind,
    Policy,
    RunningProcess,
)

P = TypeVar("P")

_CONFIDENCE_RANK = {
    Confidence.HIGH: 4,
    Confidence.MEDIUM_HIGH: 3,
    Confidence.MEDIUM: 2,
    Confidence.LOW_MEDIUM: 1,
    Confidence.LOW: 0,
}
_KIND_RANK = {
    MatchKind.IDENTIFIER: 3,
    MatchKind.NAME: 2,
    MatchKind.PUBLISHER: 1,
    MatchKind.PROCESS: 0,
}


def is_glob(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def glob_regex(pattern: str) -> str:
    """Only `*` (any run) and `?` (one character) are special; everything else is literal."""
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def normalise_text(text: str) -> str:
    """How names and publishers are compared: NFKC, case-folded, whitespace collapsed."""
    if not text.isascii():  # NFKC leaves ASCII unchanged; skipping it halves the cost
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.casefold().split())


def normalise_id(kind: IdentifierKind, value: str) -> str:
    if kind is IdentifierKind.DOMAIN:
        return value.strip().rstrip(".").casefold()
    return value if kind.case_sensitive else value.casefold()


def strength(matcher: Matcher) -> tuple[int, int]:
    """Order matchers: surer first, then identifiers before names before publishers."""
    return (_CONFIDENCE_RANK[matcher.confidence], _KIND_RANK[matcher.kind])


@dataclass(frozen=True)
class Match:
    """One rule's matcher recognised an app. `enforceable` is False for review-only matches."""

    rule_index: int
    matcher: Matcher
    enforceable: bool
    unchecked: bool = False  # a name matched, but the app names no publisher to check

    @property
    def rank(self) -> tuple[bool, bool, int, int, bool]:
        """Enforceable first; then a match that could be checked in full, surer, by identifier
        before name, and one meant for this kind of app (a .desktop launcher) before a general
        one, so a finding is explained by the matcher that fits the app best."""
        specific = self.matcher.id_kind is not None
        return (self.enforceable, not self.unchecked, *strength(self.matcher), specific)


class _GlobSet(Generic[P]):
    """Many globs of one kind: one combined regex says whether any matches, then each is tried."""

    def __init__(self) -> None:
        self.items: list[tuple[str, P]] = []
        self._any: re.Pattern[str] | None = None
        self._each: list[tuple[re.Pattern[str], P]] = []

    def add(self, regex: str, payload: P) -> None:
        self.items.append((regex, payload))

    def freeze(self) -> None:
        if self.items:
            self._any = re.compile("|".join(f"(?:{r})" for r, _ in self.items), re.DOTALL)
            self._each = [(re.compile(r, re.DOTALL), p) for r, p in self.items]

    def find(self, text: str) -> Iterable[P]:
        if self._any is None or self._any.fullmatch(text) is None:
            return ()
        return [payload for regex, payload in self._each if regex.fullmatch(text)]


@dataclass(frozen=True)
class _NameTest:
    rule_index: int
    matcher: Matcher
    publisher: re.Pattern[str] | None
    enforceable: bool


@dataclass
class CompiledPolicy:
    """A policy's matchers as lookups. Build with `compile_policy` (cached per policy)."""

    ids: dict[tuple[IdentifierKind, str], list[Match]] = field(default_factory=dict)
    domains: dict[str, list[Match]] = field(default_factory=dict)
    id_globs: dict[IdentifierKind, _GlobSet[Match]] = field(default_factory=dict)
    names: dict[str, list[_NameTest]] = field(default_factory=dict)
    name_globs: _GlobSet[_NameTest] = field(default_factory=_GlobSet)
    publishers: dict[str, list[Match]] = field(default_factory=dict)
    publisher_globs: _GlobSet[Match] = field(default_factory=_GlobSet)
    processes: dict[str, list[Match]] = field(default_factory=dict)
    process_globs: _GlobSet[Match] = field(default_factory=_GlobSet)

    def add(self, rule_index: int, matcher: Matcher, *, review_only: bool = False) -> None:
        enforceable = matcher.confidence.enforceable and not review_only
        match = Match(rule_index, matcher, enforceable)
        if matcher.kind is MatchKind.IDENTIFIER:
            kind = matcher.id_kind
            if kind is None:  # the loader never builds one; a hand-made Matcher might
                return
            value = normalise_id(kind, matcher.pattern)
            if is_glob(value):
                self.id_globs.setdefault(kind, _GlobSet()).add(glob_regex(value), match)
            elif kind is IdentifierKind.DOMAIN:
                self.domains.setdefault(value, []).append(match)
            else:
                self.ids.setdefault((kind, value), []).append(match)
        elif matcher.kind is MatchKind.NAME:
            publisher = None
            if matcher.publisher:
                publisher = re.compile(glob_regex(normalise_text(matcher.publisher)), re.DOTALL)
            test = _NameTest(rule_index, matcher, publisher, enforceable)
            name = normalise_text(matcher.pattern)
            if is_glob(name):
                self.name_globs.add(glob_regex(name), test)
            else:
                self.names.setdefault(name, []).append(test)
        else:
            exact, globs = (
                (self.publishers, self.publisher_globs)
                if matcher.kind is MatchKind.PUBLISHER
                else (self.processes, self.process_globs)
            )
            pattern = normalise_text(matcher.pattern)
            if is_glob(pattern):
                globs.add(glob_regex(pattern), match)
            else:
                exact.setdefault(pattern, []).append(match)

    def freeze(self) -> None:
        for globs in self.id_globs.values():
            globs.freeze()
        self.name_globs.freeze()
        self.publisher_globs.freeze()
        self.process_globs.freeze()

    # --- matching ---------------------------------------------------------------------------

    def match_app(self, app: InstalledApp) -> list[Match]:
        """Every (rule, matcher) that recognises the app; empty for almost every app."""
        found: list[Match] = []
        for app_id in app.all_ids:
            value = normalise_id(app_id.kind, app_id.value)
            if app_id.kind is IdentifierKind.DOMAIN:
                found.extend(self._domain(value))
            else:
                found.extend(self.ids.get((app_id.kind, value), ()))
            globs = self.id_globs.get(app_id.kind)
            if globs is not None:
                found.extend(globs.find(value))
        if app.name and (self.names or self.name_globs.items):
            name = normalise_text(app.name)
            tests = [*self.names.get(name, ()), *self.name_globs.find(name)]
            if tests:
                publisher = normalise_text(app.publisher)
                kinds = {i.kind for i in app.all_ids}
                for test in tests:
                    match = _name_match(test, publisher, kinds)
                    if match is not None:
                        found.append(match)
        if app.publisher and (self.publishers or self.publisher_globs.items):
            publisher = normalise_text(app.publisher)
            found.extend(self.publishers.get(publisher, ()))
            found.extend(self.publisher_globs.find(publisher))
        return found

    def _domain(self, value: str) -> list[Match]:
        """`www.tiktok.com` is looked up as itself, then `tiktok.com`, then `com`."""
        found: list[Match] = []
        labels = value.split(".")
        for start in range(len(labels)):
            found.extend(self.domains.get(".".join(labels[start:]), ()))
        return found

    def match_process(self, process: RunningProcess) -> list[Match]:
        if not (self.processes or self.process_globs.items):
            return []
        names = {normalise_text(process.name)}
        if process.exe:
            names.add(normalise_text(_basename(process.exe)))
        found: list[Match] = []
        for name in names:
            if name:
                found.extend(self.processes.get(name, ()))
                found.extend(self.process_globs.find(name))
        return found


def _name_match(test: _NameTest, publisher: str, kinds: set[IdentifierKind]) -> Match | None:
    matcher = test.matcher
    if matcher.id_kind is not None and matcher.id_kind not in kinds:
        return None
    if test.publisher is not None:
        if not publisher:
            # the name fits but nobody says who made it: a person must look
            return Match(test.rule_index, matcher, enforceable=False, unchecked=True)
        if test.publisher.fullmatch(publisher) is None:
            return None  # "TikTok" by someone else is someone else's app
    return Match(test.rule_index, matcher, test.enforceable)


def _basename(path: str) -> str:
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1]


def best(matches: Sequence[Match]) -> Match:
    """The strongest match; rule order breaks ties so results do not depend on set order."""
    return max(matches, key=lambda m: (m.rank, -m.rule_index))


def compile_policy(policy: Policy) -> CompiledPolicy:
    """The policy's lookups, built once per policy (loaded policies are hashable and cached)."""
    try:
        return _compile_cached(policy)
    except TypeError:  # a hand-built Policy holding a list somewhere: correct, just uncached
        return _compile(policy)


@lru_cache(maxsize=32)
def _compile_cached(policy: Policy) -> CompiledPolicy:
    return _compile(policy)


def _compile(policy: Policy) -> CompiledPolicy:
    compiled = CompiledPolicy()
    for index, rule in enumerate(policy.rules):
        for matcher in rule.matchers:
            compiled.add(index, matcher, review_only=rule.review_only)
    compiled.freeze()
    return compiled
