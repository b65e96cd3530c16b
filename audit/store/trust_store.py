"""The Store's methods for what the helpdesk trusts: accepted policies and enrolled technicians.

A mixin, so store.py stays about audits; the rules themselves are in audit.store.trust.
"""

from __future__ import annotations

import hashlib
import sqlite3
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from audit.attestation import format_fingerprint
from audit.errors import PolicyError, StoreError
from audit.i18n import _
from audit.model import Exemption, Policy
from audit.policy import load_policy_file
from audit.policy.exemptions import load_exemptions
from audit.policy.loader import list_presets, preset_digests
from audit.policy.tomlfile import read_file
from audit.store import holds, trust
from audit.store.holds import AcceptedExemption
from audit.store.lookalike import identity_look
from audit.store.trust import KnownPolicies, KnownPolicy, Technician
from audit.store.waiting import WaitingExemption, waiting_exemptions
from audit.text import visible

T = TypeVar("T")


class TrustMethods:
    """Accepting policies, enrolling and revoking technician keys (see audit.store.trust)."""

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    def accept_policy(self, path: Path | str, *, by: str) -> tuple[Policy, bool]:
        """Accept an organisation's policy file, so receipts made under it are imported and
        counted; returns the policy and whether it is new here (False: accepted before).
        A built-in preset needs no accepting (StoreError says so)."""
        path = Path(path)
        policy = load_policy_file(path)  # refuses a file that takes a preset's id
        if preset_digests().get(policy.id) == policy.sha256:
            raise StoreError(
                _(
                    "{file} is the built-in policy '{policy}', which every Device Audit knows "
                    "already."
                ).format(file=path.name, policy=policy.id),
                _("Nothing to accept: receipts under it are imported as they are."),
            )
        _posing_as_a_preset(policy, path)
        _doc, content = read_file(path, PolicyError)
        if hashlib.sha256(content).hexdigest() != policy.sha256:
            raise StoreError(
                _("{file} changed while it was being read.").format(file=path.name),
                _("Accept it again."),
            )
        if not by.strip():
            raise StoreError(
                _("Say who accepts the policy."), _("Give your name (--by NAME in the CLI).")
            )
        with self._write() as conn:
            _check_issuer(conn, policy, path)
            added = trust.accept_policy(
                conn, policy, content, file_name=path.name, by=by.strip(), at=datetime.now(UTC)
            )
        return policy, added

    def require_signed_policies(self, required: bool, *, by: str) -> None:
        """The helpdesk's setting: accept only policy files signed by their issuer, and refuse
        receipts under accepted policies that were not (the built-in presets ship with the app
        and are known by their digest)."""
        with self._write() as conn:
            trust.require_signed_policies(conn, required, by=_who(by), at=datetime.now(UTC))

    def signed_policies_required(self) -> bool:
        return self._read(trust.signed_policies_required)

    def known_policies(self, *, with_texts: bool = False) -> KnownPolicies:
        """The policies this history knows; `with_texts`: each accepted text parsed again too
        (KnownPolicies.load_with_texts), for the holds that need a policy's rules."""
        return self._read(KnownPolicies.load_with_texts if with_texts else KnownPolicies.load)

    def accepted_policies(self) -> list[KnownPolicy]:
        return self._read(trust.accepted_policies)

    def technicians(self) -> list[Technician]:
        """Every technician key ever enrolled, revoked ones too (they say when and by whom)."""
        return self._read(trust.technicians)

    def enrol_technician(self, name: str, fingerprint: str, *, by: str) -> Technician:
        """Enrol a technician's signing key: receipts that name this technician and are signed
        with it (a phone on a cable) count as witnessed. StoreError when it cannot be."""
        _check_name(name)
        with self._words(), self._write() as conn:
            return trust.enrol(
                conn, name=name, fingerprint=fingerprint, by=_who(by), at=datetime.now(UTC)
            )

    def revoke_technician(self, fingerprint: str, *, by: str) -> Technician:
        """Revoke a technician key: receipts signed with it are refused from now on."""
        with self._words(), self._write() as conn:
            return trust.revoke(conn, fingerprint=fingerprint, by=_who(by), at=datetime.now(UTC))

    def accept_exemptions(
        self, path: Path | str, *, by: str, blanket: bool = False, everyone: bool = False
    ) -> list[tuple[Exemption, str, bool]]:
        """Accept every exemption of an exemptions file, as a policy file is accepted: each is
        known by the digest of its canonical form (audit.store.holds), so a receipt counts as
        "compliant with exceptions" only when the exemptions it lists are these exactly.
        Returns (exemption, digest, new here) for each; imported audits are judged again."""
        path = Path(path)
        exemptions = load_exemptions(path)  # ExemptionsError says what is wrong with the file
        if not exemptions:
            raise StoreError(
                _("{file} holds no exemption, so there is nothing to accept.").format(
                    file=path.name
                ),
                _("Give the exemptions file the approver signed off."),
            )
        who = _who(by)
        with self._write() as conn:
            done = holds.accept_exemptions(
                conn,
                exemptions,
                file_name=path.name,
                by=who,
                at=datetime.now(UTC),
                blanket=blanket,  # one covering everything only on purpose (store.blanket)
                everyone=everyone,  # one naming no person and no device, likewise
            )
            holds.rejudge(conn)
        return done

    def accepted_exemptions(self) -> list[AcceptedExemption]:
        """Every exemption the helpdesk accepted, revoked ones too (they say when and by whom)."""
        return self._read(holds.accepted_exemptions)

    def waiting_exemptions(self) -> list[WaitingExemption]:
        """The exemption texts held audits list that nobody accepted here (audit.store.waiting):
        what the helpdesk has to decide on, most devices first."""
        return self._read(waiting_exemptions)

    def revoke_exemption(self, which: str, *, by: str) -> list[AcceptedExemption]:
        """Revoke accepted exemptions by id or digest: receipts resting on them count as not
        compliant from now on (imported audits are judged again)."""
        who = _who(by)
        with self._exemption_words(), self._write() as conn:
            found = holds.revoke_exemptions(conn, which, by=who, at=datetime.now(UTC))
            holds.rejudge(conn)
        return found

    @staticmethod
    def _exemption_words() -> AbstractContextManager[None]:
        return _value_errors(_("List the accepted exemptions with 'device-audit exemption list'."))

    @staticmethod
    def _words() -> AbstractContextManager[None]:
        return _value_errors()


MAX_NAME = 200
"""The longest technician name enrolled: a person's name, not a page of text."""


def _check_name(name: str) -> None:
    """A technician's name is one readable line: it is matched against receipts and shown."""
    bad = [c for c in name if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    if bad or len(name) > MAX_NAME or not name.strip():
        raise StoreError(
            _(
                "The technician's name {name} cannot be enrolled: a name is one line of at most "
                "{limit} characters, with no control or invisible characters."
            ).format(name=repr(visible(name, limit=80)), limit=MAX_NAME),
            _("Type the technician's name as it appears on their receipts."),
        )


def _posing_as_a_preset(policy: Policy, path: Path) -> None:
    """Refuse a policy whose id or title reads as a built-in preset's: accepted, it would stand
    beside the preset in every list and count under a name that looks like the preset's."""
    for preset in list_presets():
        same_id = identity_look(policy.id) == identity_look(preset.id)
        same_title = policy.title.strip().casefold() == preset.title.strip().casefold()
        if same_id or same_title:
            message = (
                _(
                    "{file} cannot be accepted: its id reads as the built-in policy '{preset}' "
                    "({title}), but it is another policy."
                )
                if same_id
                else _(
                    "{file} cannot be accepted: its title reads as the built-in policy "
                    "'{preset}' ({title}), but it is another policy."
                )
            )
            raise StoreError(
                message.format(
                    file=path.name, preset=preset.id, title=visible(preset.title, limit=120)
                ),
                _("Give your organisation's policy an id and a title of its own, then accept it."),
            )


def _check_issuer(conn: sqlite3.Connection, policy: Policy, path: Path) -> None:
    """With signed policies required, the file must be signed; and a policy accepted before
    with a signature keeps its issuer: a new text signed by another key (or by none) is not
    the issuer's."""
    earlier = [
        k.issuer_key
        for k in trust.accepted_policies(conn)
        if k.id == policy.id and k.issuer_key and k.sha256 != policy.sha256
    ]
    issuer = earlier[-1] if earlier else ""
    if issuer and policy.issuer_key != issuer:
        message = (
            _(
                "{file} is signed by key {key}, but the earlier text of '{policy}' this helpdesk "
                "accepted was signed by key {issuer}."
            )
            if policy.issuer_key
            else _(
                "{file} is not signed, but the earlier text of '{policy}' this helpdesk accepted "
                "was signed by key {issuer}."
            )
        )
        raise StoreError(
            message.format(
                file=path.name,
                key=format_fingerprint(policy.issuer_key) if policy.issuer_key else "",
                policy=policy.id,
                issuer=format_fingerprint(issuer),
            ),
            _(
                "Ask the issuer whether their key changed; accept the file only once they confirm "
                "the new fingerprint, or get the text signed with their known key."
            ),
        )
    if not policy.issuer_key and trust.signed_policies_required(conn):
        raise StoreError(
            _("{file} is not signed, and this helpdesk requires signed policies.").format(
                file=path.name
            ),
            _(
                "Ask the issuer for the signed file ({file} with {file}.sig beside it), or turn "
                "the requirement off: device-audit policy require-signed off --by NAME."
            ).format(file=path.name),
        )


def _who(by: str) -> str:
    if not by.strip():
        raise StoreError(_("Say who does this."), _("Give your name (--by NAME in the CLI)."))
    return by.strip()


class _value_errors(AbstractContextManager[None]):
    """The trust rules' ValueErrors as StoreErrors with a next step."""

    def __init__(self, next_step: str = "") -> None:
        self.next_step = next_step or _(
            "List the enrolled technicians with 'device-audit technician list'."
        )

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if isinstance(error, ValueError):
            raise StoreError(f"{str(error)[:1].upper()}{str(error)[1:]}.", self.next_step) from None
