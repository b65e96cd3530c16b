"""`device-audit policy`, `technician` and `exemption`: what a helpdesk's history trusts.

`policy accept FILE` records an organisation's own policy file (id + version + sha256), so that
receipts made under it are imported and counted; the built-in presets are known already.
`technician enrol NAME FINGERPRINT` records a technician's signing key, so that receipts it signs
at the bench (a phone on a USB cable) count as witnessed; `revoke` ends that. `exemption accept
FILE` records the exemptions an approver granted, so receipts resting on exactly them count as
compliant with exceptions. See
docs/security.md for what each is worth.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from audit.cli import EXIT_OK, print_json
from audit.cli.history_cmds import db_option
from audit.i18n import _
from audit.model import Exemption
from audit.policy.signed import issuer_words
from audit.text import visible


def register(sub: Any) -> None:
    policy = sub.add_parser(
        "policy",
        help=_("accept an organisation's policy file, or list the known policies"),
        description=_(
            "The policies this history knows: the built-in presets and the policy files "
            "the helpdesk accepted. A receipt under any other policy (or under a preset's id with "
            "other rules) is refused on import; the history takes each policy's title and "
            "deadline from here, never from a receipt."
        ),
    )
    actions = policy.add_subparsers(dest="action", metavar="ACTION", required=True)
    accept = actions.add_parser("accept", help=_("accept a policy file (.toml)"))
    accept.add_argument("file", type=Path, metavar="FILE", help=_("the policy file"))
    accept.add_argument("--by", required=True, metavar="NAME", help=_("who accepts it"))
    db_option(accept)
    accept.set_defaults(func=run_policy_accept)
    signing = actions.add_parser(
        "sign",
        help=_("sign a policy file as its issuer (writes FILE.sig beside it)"),
        description=_(
            "Sign your organisation's policy file with this computer's signing key "
            "(the one receipts are signed with), so whoever loads it sees 'Issued by … "
            "(signature checked)'. Publish FILE and FILE.sig together, and your key's "
            "fingerprint apart."
        ),
    )
    signing.add_argument("file", type=Path, metavar="FILE", help=_("the policy file"))
    signing.set_defaults(func=run_policy_sign)
    require = actions.add_parser(
        "require-signed",
        help=_("accept only policies signed by their issuer (on), or any (off)"),
        description=_(
            "With 'on', policy accept refuses a file without its issuer's signature "
            "(FILE.sig), and import refuses receipts under accepted policies that were not "
            "signed. The built-in presets ship with Device Audit and are known by their digest."
        ),
    )
    require.add_argument("state", choices=["on", "off"])
    require.add_argument("--by", required=True, metavar="NAME", help=_("who sets it"))
    db_option(require)
    require.set_defaults(func=run_require_signed)
    listing = actions.add_parser("list", help=_("list the known policies"))
    db_option(listing)
    listing.add_argument("--json", action="store_true", help=_("print them as JSON"))
    listing.set_defaults(func=run_policy_list)

    tech = sub.add_parser(
        "technician",
        help=_("enrol, revoke or list technician keys"),
        description=_(
            "A receipt that names a technician counts as witnessed only when it is "
            "signed by a key enrolled here for that technician, of a phone on a USB cable. The "
            "fingerprint is the 'signer' that `device-audit attest` prints on the bench "
            "computer, or that `device-audit verify` shows for a receipt made there."
        ),
    )
    actions = tech.add_subparsers(dest="action", metavar="ACTION", required=True)
    enrol = actions.add_parser("enrol", help=_("enrol a technician's key"))
    enrol.add_argument("name", metavar="NAME", help=_("the technician's name, as receipts give it"))
    enrol.add_argument(
        "fingerprint", type=_fingerprint, metavar="FINGERPRINT", help=_("the key's fingerprint")
    )
    enrol.add_argument("--by", required=True, metavar="NAME", help=_("who enrols it"))
    db_option(enrol)
    enrol.set_defaults(func=run_enrol)
    revoke = actions.add_parser("revoke", help=_("revoke a technician's key"))
    revoke.add_argument(
        "fingerprint", type=_fingerprint, metavar="FINGERPRINT", help=_("the key's fingerprint")
    )
    revoke.add_argument("--by", required=True, metavar="NAME", help=_("who revokes it"))
    db_option(revoke)
    revoke.set_defaults(func=run_revoke)
    listing = actions.add_parser("list", help=_("list enrolled and revoked technician keys"))
    db_option(listing)
    listing.add_argument("--json", action="store_true", help=_("print them as JSON"))
    listing.set_defaults(func=run_technicians)
    _exemption_parser(sub)


def _exemption_parser(sub: Any) -> None:
    exemption = sub.add_parser(
        "exemption",
        help=_("accept an exemptions file, list or revoke accepted exemptions"),
        description=_(
            "An exemption in a receipt is the signer's word: anyone can write one. A "
            "receipt counts as 'compliant with exceptions' only when every exemption it lists is "
            "one the helpdesk accepted here (exactly that text: id, person, approver, dates, "
            "apps); otherwise it counts as not compliant, and says 'exemption not accepted by "
            "the helpdesk'."
        ),
    )
    actions = exemption.add_subparsers(dest="action", metavar="ACTION", required=True)
    accept = actions.add_parser("accept", help=_("accept the exemptions of a file (.toml)"))
    accept.add_argument("file", type=Path, metavar="FILE", help=_("the exemptions file"))
    accept.add_argument("--by", required=True, metavar="NAME", help=_("who accepts them"))
    accept.add_argument(
        "--blanket",
        action="store_true",
        help=_(
            "also accept an exemption that names no person, policy, rule or app (it covers "
            "everything); refused without this"
        ),
    )
    accept.add_argument(
        "--everyone",
        action="store_true",
        help=_(
            "also accept an exemption that names no person and no device (it covers whoever "
            "lists it); refused without this"
        ),
    )
    db_option(accept)
    accept.set_defaults(func=run_exemption_accept)
    revoke = actions.add_parser("revoke", help=_("revoke an accepted exemption"))
    revoke.add_argument(
        "which",
        metavar="ID_OR_DIGEST",
        help=_("the exemption's id, or its digest (8+ hex digits)"),
    )
    revoke.add_argument("--by", required=True, metavar="NAME", help=_("who revokes it"))
    db_option(revoke)
    revoke.set_defaults(func=run_exemption_revoke)
    listing = actions.add_parser("list", help=_("list accepted and revoked exemptions"))
    db_option(listing)
    listing.add_argument("--json", action="store_true", help=_("print them as JSON"))
    listing.set_defaults(func=run_exemptions)


def run_exemption_accept(args: argparse.Namespace) -> int:
    with _store(args) as store:
        done = store.accept_exemptions(
            args.file, by=args.by, blanket=args.blanket, everyone=args.everyone
        )
        revoked = {e.sha256: e for e in store.accepted_exemptions() if not e.active}
    for exemption, digest, added in done:
        gone = revoked.get(digest)
        if gone is not None:  # "Already accepted" would hide that it does not count
            print(
                _(
                    "Still revoked: exemption {id} was revoked on {day} by {name}; accepting the "
                    "same text again does not undo that. If the approver granted it again, ask "
                    "for the new text (a new date or id), and accept that file. sha256 {digest}."
                ).format(
                    id=visible(exemption.id),
                    day=f"{gone.revoked_at:%Y-%m-%d}",
                    name=visible(gone.revoked_by),
                    digest=digest,
                )
            )
            continue
        accepted = (
            _(
                "Accepted: exemption {id} for {whom} (approver {approver}, {granted} to "
                "{expires}), sha256 {digest}."
            )
            if added
            else _(
                "Already accepted: exemption {id} for {whom} (approver {approver}, {granted} to "
                "{expires}), sha256 {digest}."
            )
        )
        line = accepted.format(
            id=visible(exemption.id),
            whom=_whom(exemption),
            approver=visible(exemption.approver),
            granted=exemption.granted,
            expires=exemption.expires,
            digest=digest,
        )
        if exemption.expires < date.today():
            ended = _("It ended on {day}: it counts only for audits judged by then.")
            line += " " + ended.format(day=exemption.expires)
        print(line)
    print(
        _(
            "Receipts listing exactly these exemptions count as compliant with exceptions; a "
            "receipt listing any other exemption text counts as not compliant."
        )
    )
    return EXIT_OK


def _whom(exemption: Exemption) -> str:
    from audit.store.blanket import blanket_words, everyone_words, is_blanket, is_for_everyone

    if is_blanket(exemption):
        return _("everything, as a blanket exemption ({what})").format(
            what=blanket_words(exemption)
        )
    if is_for_everyone(exemption):
        return _("everyone ({what})").format(what=everyone_words(exemption))
    return visible(exemption.person) or _("any person")


def run_exemption_revoke(args: argparse.Namespace) -> int:
    with _existing(args) as store:
        found = store.revoke_exemption(args.which, by=args.by)
    for e in found:
        print(
            _(
                "Revoked exemption {id} ({digest}…) by {name}. Receipts resting on it count as "
                "not compliant."
            ).format(
                id=visible(e.exemption_id), digest=e.sha256[:16], name=visible(args.by.strip())
            )
        )
    return EXIT_OK


def run_exemptions(args: argparse.Namespace) -> int:
    with _existing(args) as store:
        accepted = store.accepted_exemptions()
        waiting = [] if args.json else store.waiting_exemptions()
    if args.json:
        document = [
            {
                "id": e.exemption_id,
                "sha256": e.sha256,
                "person": e.person or None,
                "blanket": e.blanket,
                "everyone": e.everyone,
                "approver": e.approver,
                "expires": e.expires.isoformat(),
                "file_name": e.file_name,
                "accepted_by": e.accepted_by,
                "accepted_at": e.accepted_at.isoformat(),
                "revoked_by": e.revoked_by or None,
                "revoked_at": None if e.revoked_at is None else e.revoked_at.isoformat(),
            }
            for e in accepted
        ]
        print_json(document)
        return EXIT_OK
    if not accepted:
        print(
            _(
                "No exemption is accepted: every receipt 'compliant with exceptions' counts as "
                "not compliant. Accept the approved ones with `device-audit exemption accept "
                "FILE --by YOUR_NAME`."
            )
        )
    for e in accepted:
        state = _revoked(e.revoked_at, e.revoked_by)
        whom = visible(e.person) or _("any person")
        if e.blanket:
            whom += "  " + _("BLANKET (every app, every policy)")
        elif e.everyone:
            whom += "  " + _("EVERYONE (names no person and no device)")
        print(
            _(
                "{id}  {whom}  expires {expires}  approver {approver}  {digest}…  accepted {day} "
                "by {name}  {state}"
            ).format(
                id=visible(e.exemption_id),
                whom=whom,
                expires=e.expires,
                approver=visible(e.approver),
                digest=e.sha256[:16],
                day=f"{e.accepted_at:%Y-%m-%d}",
                name=visible(e.accepted_by),
                state=state,
            )
        )
    _print_waiting(waiting)
    return EXIT_OK


def _revoked(revoked_at: Any, revoked_by: str) -> str:
    """ "active", or "REVOKED 2026-03-01 by NAME", for a listed key or exemption."""
    if revoked_at is None:
        return _("active")
    return _("REVOKED {day} by {name}").format(
        day=f"{revoked_at:%Y-%m-%d}", name=visible(revoked_by)
    )


def _print_waiting(waiting: list[Any]) -> None:
    """The exemptions held devices rest on that nobody accepted here: what to decide on."""
    from audit.store.waiting import waiting_words

    if not waiting:
        return
    print(
        "\n"
        + _(
            "Waiting for your decision (devices counted as not compliant until their exemption "
            "is accepted; accept the approver's file with `device-audit exemption accept FILE "
            "--by YOUR_NAME`):"
        )
    )
    for line in waiting_words(waiting):
        print(f"  {visible(line)}")


def _fingerprint(text: str) -> str:
    from audit.attestation import parse_fingerprint

    try:
        return parse_fingerprint(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _store(args: argparse.Namespace) -> Any:
    """The history to write (--db, DEVICE_AUDIT_DB or the default: audit/cli/target.py)."""
    from audit.cli import target

    return target.open_store(target.chosen(args))


def _existing(args: argparse.Namespace) -> Any:
    """A history to read: a --db file that is not there is a mistyped path."""
    from audit.cli import target

    return target.open_store(target.existing(args))


def run_policy_accept(args: argparse.Namespace) -> int:
    with _store(args) as store:
        policy, added = store.accept_policy(args.file, by=args.by)
    accepted = (
        _(
            "Accepted: {id} version {version} ({title}), sha256 {sha256}. {issuer}. Receipts "
            "made under exactly this file are imported and counted; a receipt under another "
            "text of it is refused."
        )
        if added
        else _(
            "Already accepted: {id} version {version} ({title}), sha256 {sha256}. {issuer}. "
            "Receipts made under exactly this file are imported and counted; a receipt under "
            "another text of it is refused."
        )
    )
    print(
        accepted.format(
            id=visible(policy.id),
            version=policy.version,
            title=visible(policy.title),
            sha256=policy.sha256,
            issuer=issuer_words(visible(policy.authority), policy.issuer_key),
        )
    )
    return EXIT_OK


def run_require_signed(args: argparse.Namespace) -> int:
    on = args.state == "on"
    with _store(args) as store:
        store.require_signed_policies(on, by=args.by)
    print(
        _(
            "Signed policies are required: policy accept refuses a file without its issuer's "
            "signature, and import refuses receipts under accepted policies that were not signed."
        )
        if on
        else _("Signed policies are no longer required.")
    )
    return EXIT_OK


def run_policy_sign(args: argparse.Namespace) -> int:
    from audit.attestation import Signer, format_fingerprint
    from audit.attestation.keys import replaced_key_words
    from audit.policy.signed import sign_policy_file

    key = Signer.from_keyring()
    replaced = replaced_key_words(key)
    if replaced:
        print(_("warning: {message}").format(message=replaced), file=sys.stderr)
    target, sha256 = sign_policy_file(args.file, key)
    print(
        _(
            "Signed {file} (sha256 {sha256}) with key {fingerprint}; the signature is "
            "{signature}. Publish both files together, and tell the helpdesks your key's "
            "fingerprint by another way (a letter, your website) so they can check it when they "
            "accept the policy."
        ).format(
            file=visible(args.file.name),
            sha256=sha256,
            fingerprint=format_fingerprint(key.fingerprint),
            signature=visible(str(target)),
        )
    )
    return EXIT_OK


def run_policy_list(args: argparse.Namespace) -> int:
    from audit.attestation import format_fingerprint
    from audit.store.trust import PolicyTrust

    with _existing(args) as store:
        known = store.known_policies()
    rows = sorted(known.by_sha.values(), key=lambda k: (k.id, k.trust.value, k.sha256))
    if args.json:
        document = [
            {
                "id": k.id,
                "version": k.version,
                "sha256": k.sha256,
                "title": k.title,
                "deadline": None if k.deadline is None else k.deadline.isoformat(),
                "trust": k.trust.value,
                "accepted_by": k.accepted_by or None,
                "accepted_at": None if k.accepted_at is None else k.accepted_at.isoformat(),
                "issuer_key": k.issuer_key or None,
            }
            for k in rows
        ]
        print_json(document)
        return EXIT_OK
    for k in rows:
        if k.trust is PolicyTrust.EARLIER_BUILT_IN:
            how = _("built in, an earlier release's text")
        elif k.accepted_at is None:
            how = _("built in")
        elif k.issuer_key:
            how = _("accepted by {name} on {day}, signed by key {fingerprint}").format(
                name=visible(k.accepted_by),
                day=f"{k.accepted_at:%Y-%m-%d}",
                fingerprint=format_fingerprint(k.issuer_key),
            )
        else:
            how = _("accepted by {name} on {day}, not signed").format(
                name=visible(k.accepted_by), day=f"{k.accepted_at:%Y-%m-%d}"
            )
        print(f"{visible(k.id)}  v{visible(k.version)}  {k.sha256[:16]}…  {how}")
    return EXIT_OK


def run_enrol(args: argparse.Namespace) -> int:
    from audit.attestation import format_fingerprint

    with _store(args) as store:
        tech = store.enrol_technician(args.name, args.fingerprint, by=args.by)
    print(
        _(
            "Enrolled technician {name} with key {fingerprint} (by {by}). Receipts naming "
            "{name} and signed with this key, of a phone on a USB cable, count as witnessed."
        ).format(
            name=visible(tech.name),
            fingerprint=format_fingerprint(tech.fingerprint),
            by=visible(tech.enrolled_by),
        )
    )
    return EXIT_OK


def run_revoke(args: argparse.Namespace) -> int:
    from audit.attestation import format_fingerprint

    with _existing(args) as store:
        tech = store.revoke_technician(args.fingerprint, by=args.by)
    print(
        _(
            "Revoked technician {name}'s key {fingerprint} (by {by}). Receipts signed with it "
            "are refused from now on; those already in the history stay witnessed and say "
            "'technician revoked on {day}'."
        ).format(
            name=visible(tech.name),
            fingerprint=format_fingerprint(tech.fingerprint),
            by=visible(tech.revoked_by),
            day=f"{tech.revoked_at:%Y-%m-%d}",
        )
    )
    return EXIT_OK


def run_technicians(args: argparse.Namespace) -> int:
    from audit.attestation import format_fingerprint

    with _existing(args) as store:
        techs = store.technicians()
    if args.json:
        document = [
            {
                "name": t.name,
                "fingerprint": t.fingerprint,
                "enrolled_by": t.enrolled_by,
                "enrolled_at": t.enrolled_at.isoformat(),
                "revoked_by": t.revoked_by or None,
                "revoked_at": None if t.revoked_at is None else t.revoked_at.isoformat(),
            }
            for t in techs
        ]
        print_json(document)
        return EXIT_OK
    if not techs:
        print(
            _(
                "No technician key is enrolled: every receipt counts as self-attested. Enrol one "
                "with `device-audit technician enrol NAME FINGERPRINT --by YOUR_NAME`."
            )
        )
    for t in techs:
        print(
            _("{name}  {fingerprint}  enrolled {day} by {by}  {state}").format(
                name=visible(t.name),
                fingerprint=format_fingerprint(t.fingerprint),
                day=f"{t.enrolled_at:%Y-%m-%d}",
                by=visible(t.enrolled_by),
                state=_revoked(t.revoked_at, t.revoked_by),
            )
        )
    return EXIT_OK
