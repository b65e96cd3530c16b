"""Which policies replace which, and whether a policy bans an app a check under another found.

The network rule (audit.store.evidence: a phone reached over the network never replaces a check
on a cable that found the device not compliant) compares a receipt with the checks of its
device before it. A policy's newer text often comes under a new id: nz-parliament-2023 says
`superseded_by = "nz-parliament-2025"`, which bans TikTok too. Were the rule kept per policy id,
a receipt under the newer id from a "phone" on the network would find no cabled check before it
and count as compliant, while the bench had found TikTok on the phone on a cable the day before.
So policies linked by `superseded_by` (either way, the whole chain) are one family here, and a
cabled check under one of them counts against a network receipt under another when it saw an
app on the phone that the receipt's policy bans too. An app only the other policy bans says
nothing about the receipt's policy, so it holds nothing.

The links and rules come from the texts this history knows now: the built-in presets and the
policies accepted here (never from a receipt, which could name any successor). A text that
cannot be read is taken to ban the app: a hold a helpdesk can clear with a check on a cable,
never a compliant nobody checked.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from audit.errors import AuditError
from audit.model import NEVER_COMPLIANT, AppState, IdentifierKind, InstalledApp, Policy

if TYPE_CHECKING:
    from audit.store.trust import KnownPolicies

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeenApp:
    """An app a check found on the device (a finding kept as a violation or under an
    exemption), as the history stored it."""

    identifier: str
    id_kind: str
    name: str
    state: str | None


@dataclass
class Succession:
    """The families of policies linked by `superseded_by`, and the current text of each id."""

    texts: dict[str, Policy | None]  # None: known here, but its text cannot be read
    _family: dict[str, str] = field(default_factory=dict)  # union-find: id -> its parent
    # (policy id, apps) -> bans_any: an import asks the same question of thousands of phones
    _answers: dict[tuple[str, tuple[SeenApp, ...]], bool] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: sqlite3.Connection, known: KnownPolicies) -> Succession:
        texts = {policy_id: _text(conn, known, policy_id) for policy_id in known.by_id}
        found = cls(texts)
        for policy_id, policy in texts.items():
            if policy is not None and policy.superseded_by:
                found._join(policy_id, policy.superseded_by)
        return found

    def _root(self, policy_id: str) -> str:
        while (parent := self._family.get(policy_id, policy_id)) != policy_id:
            policy_id = parent
        return policy_id

    def _join(self, one: str, other: str) -> None:
        first, second = sorted((self._root(one), self._root(other)))
        if first != second:
            self._family[second] = first

    def related(self, one: str, other: str) -> bool:
        """Whether one policy replaces the other, or both are in one chain of replacements."""
        return one == other or self._root(one) == self._root(other)

    def bans_any(self, policy_id: str, apps: list[SeenApp]) -> bool:
        """Whether the policy's current text counts one of these apps, as it was found, as
        not compliant (an enforceable match, in a state the policy does not accept)."""
        key = (policy_id, tuple(apps))
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = self._bans_any(policy_id, apps)
        return answer

    def _bans_any(self, policy_id: str, apps: list[SeenApp]) -> bool:
        policy = self.texts.get(policy_id)
        if policy is None:
            return bool(apps)  # unreadable or unknown: a hold, never a silent pass
        from audit.policy.matching import compile_policy

        compiled = compile_policy(policy)
        accepted = (policy.compliant_states | {AppState.ABSENT}) - NEVER_COMPLIANT
        for seen in apps:
            app = _app(seen)
            if app is None:
                return True  # a finding the history cannot read back (changed outside the app)
            if app.state in accepted:
                continue
            if any(match.enforceable for match in compiled.match_app(app)):
                return True
        return False


def _app(seen: SeenApp) -> InstalledApp | None:
    try:
        kind = IdentifierKind(seen.id_kind)
        state = AppState(seen.state) if seen.state else AppState.INSTALLED
    except ValueError:
        return None
    return InstalledApp(identifier=seen.identifier, kind=kind, name=seen.name, state=state)


def _text(conn: sqlite3.Connection, known: KnownPolicies, policy_id: str) -> Policy | None:
    """The text of the policy this history counts under `policy_id` now (the built-in, else
    the latest accepted), or None when it cannot be read again."""
    from audit.policy import load_policy, loads_policy
    from audit.store.trust import PolicyTrust

    current = known.by_id[policy_id]
    try:
        if current.trust is PolicyTrust.BUILT_IN:
            return load_policy(policy_id)
        row = conn.execute(
            "SELECT content, file_name FROM accepted_policies WHERE sha256 = ?",
            (current.sha256,),
        ).fetchone()
        if row is None:
            return None
        return loads_policy(bytes(row[0]).decode("utf-8"), str(row[1]) or policy_id)
    except (AuditError, UnicodeDecodeError, TypeError):
        log.error("the policy %s cannot be read again", policy_id, exc_info=True)
        return None
