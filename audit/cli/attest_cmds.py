"""`device-audit verify`: check signed attestation receipts (later also `attest` and `remove`).

Verification needs no keyring: a receipt carries the public key it was signed with, and what
makes it trustworthy is its signer's fingerprint matching one known out of band (--expect-key).

Exit code 0 means "a real device's genuine receipt". A receipt made on the demo phone has a real
signature, but it is not the record of a device: verify says SIMULATED on the line after its
name and in --json, and counts it as not valid unless --allow-demo is given (for trying Device
Audit out). Every receipt also says how the device was reached (a USB cable, the network, an
emulator), as signed; a network or emulator connection is named as such in words.
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.cli import EXIT_NOT_COMPLIANT, EXIT_OK, EXIT_USAGE, json_words, print_json
from audit.errors import ALTERED_RECEIPT_NEXT_STEP, AttestationInvalid, AuditError
from audit.files import open_regular, path_problem
from audit.i18n import N_, _, ngettext
from audit.provenance import connection_to_dict, reached_words, remote
from audit.text import visible
from audit.words import status_code_label

if TYPE_CHECKING:
    from audit.attestation import VerifiedAttestation
    from audit.store.trust import KnownPolicies, Technician

# Marked, not translated (set at import): shown as _(CONSTANT).
SIMULATED_LINE = N_("SIMULATED (demo phone): not a record of a real device")
UNREADABLE_NEXT = N_(
    "Check the path. To import a folder of receipts use `device-audit import DIR`."
)
PDF_REASON = N_(
    "This is a PDF, the readable copy of a receipt. A PDF is not signed, so it cannot be checked."
)
PDF_NO_RECEIPT_NEXT = N_(
    "Check the signed receipt instead: the .json file Device Audit saves beside the PDF "
    "(ask the person for it if you only have the PDF)."
)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "verify",
        help=_("check signed attestation receipts"),
        description=_(
            "Check the signature and contents of attestation receipts and print who "
            "signed each one, for which device and policy, with what result. Any changed byte "
            "makes a receipt invalid. A receipt made on the demo phone is marked SIMULATED: its "
            "signature is valid, but it is not the record of a real device. Each receipt also "
            "says how the device was reached (USB cable, over the network, an emulator). Exit "
            "code 0 when every file is a real device's genuine receipt (signed by the expected "
            "key, with --expect-key), 1 when any is not, 2 when a path names no file that can be "
            "read (the other files are still checked and shown). A valid non-compliance report "
            "exits 0 too: the file is genuine, and what it says (that the device was not shown "
            "to be compliant) is printed. A receipt of the demo phone exits 1 unless "
            "--allow-demo is given. A receipt signed by the published SAMPLE key (the one the "
            "sample receipt Device Audit ships is signed with) always exits 1: anyone can sign "
            "with it."
        ),
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help=_("receipt files"))
    parser.add_argument(
        "--expect-key",
        metavar="FINGERPRINT",
        type=_fingerprint,
        help=_(
            "the signer's key fingerprint you expect (as Device Audit shows it); a receipt "
            "signed by another key counts as invalid"
        ),
    )
    parser.add_argument(
        "--allow-demo",
        action="store_true",
        help=_(
            "accept a receipt made on Device Audit's demo phone (a demo receipt) as valid; "
            "without it such a receipt fails with exit code 1"
        ),
    )
    parser.add_argument(
        "--real-only",
        action="store_true",
        help=_(
            "no longer needed (demo receipts always fail unless --allow-demo); still accepted "
            "so older scripts keep working"
        ),
    )
    from audit.cli import target

    parser.add_argument(
        "--db",
        type=target.parse,
        metavar="PATH|ADDRESS",
        help=_(
            "a helpdesk's history (a file or a team history's postgresql:// address; default: "
            "DEVICE_AUDIT_DB when set): also know the policies it accepted and the technician keys "
            "it enrolled (without it: the built-in policies only, and no receipt is witnessed)"
        ),
    )
    parser.add_argument("--json", action="store_true", help=_("print the results as JSON"))
    parser.set_defaults(func=run_verify)


def _fingerprint(text: str) -> str:
    from audit.attestation import parse_fingerprint

    try:
        return parse_fingerprint(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_verify(args: argparse.Namespace) -> int:
    expected: str | None = args.expect_key
    trust = _trust(args)
    with json_words(args.json):  # --json: every reason in English, as scripts read them
        results = _verify_all(args, expected, trust)
    if args.json:
        print_json(results)
    else:
        print("\n\n".join(_describe(r) for r in results))
        if len(results) > 1:
            print("\n" + _tally(results))
    if any(r.get("error") for r in results):
        return EXIT_USAGE
    return EXIT_OK if all(r["valid"] for r in results) else EXIT_NOT_COMPLIANT


def _verify_all(
    args: argparse.Namespace, expected: str | None, trust: Trust
) -> list[dict[str, Any]]:
    """The result of each file named, in the order given."""
    from audit.attestation import verify_file

    results: list[dict[str, Any]] = []
    for path in args.files:
        problem, pdf = _open_check(path)
        if problem:
            results.append(_cannot_read(path, problem))
            continue
        if pdf:
            results.append(_pdf_copy(path))
            continue
        try:
            verified = verify_file(path)
            _raise_if_malformed(verified)
        except AttestationInvalid as error:
            results.append(_invalid(path, error))
        except Exception as error:  # a verifier bug must not hide the other files' results
            logging.getLogger(__name__).error("verifying %s failed", path, exc_info=True)
            results.append(_invalid(path, unchecked(error)))
        else:
            result = _valid(path, verified, expected, allow_demo=args.allow_demo)
            results.append(_with_trust(result, verified, trust))
    return results


def _tally(results: list[dict[str, Any]]) -> str:
    """The last line for several files: "3 files: 2 valid (1 SIMULATED), 1 not valid"."""
    good = sum(r["valid"] for r in results)
    demo = sum(r["valid"] and r["simulated"] for r in results)
    unread = sum(bool(r.get("error")) for r in results)
    bad = len(results) - good - unread
    # Translators: "valid" and "not valid" are said of files; English keeps one form
    valid = ngettext("{count} valid", "{count} valid", good).format(count=good)
    if demo:
        valid = _("{valid} ({count} SIMULATED)").format(valid=valid, count=demo)
    parts = [valid, ngettext("{count} not valid", "{count} not valid", bad).format(count=bad)]
    if unread:
        part = ngettext("{count} could not be read", "{count} could not be read", unread)
        parts.append(part.format(count=unread))
    return ngettext("{count} file: {results}", "{count} files: {results}", len(results)).format(
        count=len(results), results=", ".join(parts)
    )


Trust = tuple["KnownPolicies", dict[str, "Technician"], bool]


def _trust(args: argparse.Namespace) -> Trust:
    """The policies and technician keys a receipt is judged against: the built-in presets, and
    with --db (or DEVICE_AUDIT_DB) what that history accepted and enrolled."""
    from audit.cli import target
    from audit.store.trust import KnownPolicies

    db = target.chosen(args)
    if db is None:
        return KnownPolicies.load(None), {}, False
    if not target.is_team(db) and not Path(db).is_file():
        step = _("Give the helpdesk's history file, or leave out --db.")
        if target.from_environment(args):
            step = _("Check DEVICE_AUDIT_DB (it chose this history), or give --db.")
        raise AuditError(_("There is no history at {path}.").format(path=target.shown(db)), step)
    with target.open_to_read(db) as store:
        # With the accepted texts, for the holds that need a policy's rules (text_holds).
        known = store.known_policies(with_texts=True)
        return known, {t.fingerprint: t for t in store.technicians()}, True


def _with_trust(result: dict[str, Any], v: VerifiedAttestation, trust: Trust) -> dict[str, Any]:
    """What the receipt is worth (audit.store.trust): its policy known or not, and its
    assurance. A receipt under an unknown or altered policy is not valid."""
    from audit.store.evidence import receipt_holds, text_holds, tool_problem
    from audit.store.receipt_content import read_receipt
    from audit.store.trust import Assurance, exemption_words, judge

    known, enrolled, with_history = trust
    problem = known.problem(v.policy_id, v.policy_sha256)
    policy = known.by_sha.get(v.policy_sha256) if not problem else None
    # Its signed time, for a technician key revoked since (the import, stricter, refuses it).
    judged = judge(v.attester, v.signer, v.connection, enrolled, signed_before=v.attested_at)
    note = judged.refusal or judged.note
    if v.attester.technician and not with_history:
        note = _(
            "it names technician {technician}; whether the key is one a helpdesk "
            "enrolled is checked with --db (the helpdesk's history), so it counts as "
            "self-attested here"
        ).format(technician=v.attester.technician)
    if v.status.value == "compliant_with_exceptions":  # are its exemptions accepted here?
        exempted = exemption_words(known, v.attester.staff_id, read_receipt(v).exemptions)
        note = "; ".join(part for part in (note, exempted) if part)
    if v.compliant:  # what it rests on (audit.store.evidence), as the import holds it
        held = receipt_holds(
            known,
            policy_id=v.policy_id,
            sha256=v.policy_sha256,
            signed_at=v.attested_at,
            connection=v.connection,
            rescan_finished=read_receipt(v).rescan.finished_at,
        )
        held += text_holds(known, v.policy_id, v.policy_sha256, read_receipt(v))
        note = "; ".join(part for part in (note, *held) if part)
    problem = problem or tool_problem(v.statement)
    reasons = [r for r in (result["reason"], _sentence(problem), _sentence(judged.refusal)) if r]
    return {
        **result,
        "valid": result["valid"] and not problem and not judged.refusal,
        "reason": " ".join(reasons) or None,
        "policy": {
            **result["policy"],
            "known": None if policy is None else policy.trust.value,
            "version": None if policy is None else policy.version,
        },
        "assurance": Assurance.SELF_ATTESTED.value if judged.refusal else judged.assurance.value,
        "assurance_note": note or None,
    }


def _sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def _open_check(path: Path) -> tuple[str, bool]:
    """(why `path` is not a file that can be read, or ""; whether it starts as a PDF), from one
    look at the file. A wrong path is the person's input error, not an invalid receipt: it says
    nothing about any receipt."""
    from audit.store.importer import PDF_MAGIC, is_pdf

    try:
        if path.is_dir():
            return _("{path} is a folder, not a receipt file").format(path=path), False
        with open_regular(path) as file:
            return "", is_pdf(file.read(len(PDF_MAGIC)))
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            return _("there is no file {path}").format(path=path), False
        problem = path_problem(exc)
        return _("the file {path} cannot be read ({problem})").format(
            path=path, problem=problem
        ), False


def _pdf_copy(path: Path) -> dict[str, Any]:
    """The PDF copy chosen instead of its receipt: say so, and name the receipt when it is there
    (the import passes over PDFs the same way, audit.store.importer)."""
    from audit.store.importer import receipt_beside_pdf

    receipt = receipt_beside_pdf(path)
    if receipt is None:
        next_step = _(PDF_NO_RECEIPT_NEXT)
    else:
        next_step = _(
            'Check the signed receipt beside it instead: device-audit verify "{receipt}"'
        ).format(receipt=receipt)
    return {
        "file": str(path),
        "valid": False,
        "signature_valid": False,
        "reason": _(PDF_REASON),
        "next_step": next_step,
        "pdf": True,
        "pdf_copy_of": str(receipt) if receipt is not None else None,
        "simulated": None,
    }


def _cannot_read(path: Path, problem: str) -> dict[str, Any]:
    return {
        "file": str(path),
        "valid": False,
        "signature_valid": False,
        "error": f"{problem[0].upper()}{problem[1:]}.",
        "next_step": _(UNREADABLE_NEXT),
        "reason": None,
        "simulated": None,
    }


def _raise_if_malformed(verified: VerifiedAttestation) -> None:
    """Read every field as the import does (types, numbers and times in range), so verify never
    calls valid a receipt the history refuses."""
    from audit.attestation.dsse import invalid
    from audit.store.receipt_content import MalformedReceipt, read_receipt

    try:
        read_receipt(verified)
    except MalformedReceipt as problem:
        raise invalid(
            _(
                "the signature is valid, but the content is not a Device Audit receipt: {problem}"
            ).format(problem=problem)
        ) from None


def unchecked(error: Exception) -> AttestationInvalid:
    return AttestationInvalid(
        _("Device Audit could not check this file ({problem}).").format(
            problem=f"{type(error).__name__}: {error}"
        ),
        _("Do not trust it until it is checked; please report this."),
    )


def _invalid(path: Path, error: AttestationInvalid) -> dict[str, Any]:
    return {
        "file": str(path),
        "valid": False,
        "signature_valid": False,
        "reason": error.message,
        "next_step": _next_step(error),
        "simulated": None,
    }


def _next_step(error: AttestationInvalid) -> str:
    """What to do about a file that failed: the verifier's own step when it names one (the
    wrong kind of file), else the step for a damaged or altered receipt."""
    if error.next_step and error.next_step != _(AttestationInvalid.default_next_step):
        return error.next_step
    return _(ALTERED_RECEIPT_NEXT_STEP)


def _valid(
    path: Path, v: VerifiedAttestation, expected: str | None, *, allow_demo: bool = False
) -> dict[str, Any]:
    from audit.attestation import format_fingerprint
    from audit.attestation.ranges import CLOCK_SKEW, SKEW_WORDS
    from audit.attestation.verify import SAMPLE_REASON

    matches = None if expected is None else v.signer == expected
    reasons = []
    if matches is False:
        reasons.append(
            _(
                "The signature is valid, but it was made by another key: {signer}, "
                "not the expected {expected}."
            ).format(signer=v.display_signer, expected=format_fingerprint(expected or ""))
        )
    now = datetime.now(UTC)
    future = v.attested_at > now + CLOCK_SKEW
    if future:
        reasons.append(
            # Translators: {skew} is a length of time ("10 minutes")
            _(
                "It is dated {time} UTC, later than now by more than {skew}: the clock of the "
                "computer that made it was wrong, or its date was changed. The history refuses it."
            ).format(time=f"{v.attested_at.astimezone(UTC):%Y-%m-%d %H:%M}", skew=_(SKEW_WORDS))
        )
    if v.sample:  # whatever it says: anyone can sign with the published sample key
        reasons.append(_("{reason}.").format(reason=_(SAMPLE_REASON)))
    refused_demo = v.simulated and not allow_demo
    if refused_demo:
        reasons.append(
            _(
                "It was made on the simulated demo phone, not a real device, so it does not count "
                "as valid (verify --allow-demo accepts demo receipts, for trying Device Audit out)."
            )
        )
    return {
        "file": str(path),
        "valid": matches is not False and not refused_demo and not future and not v.sample,
        "simulated": v.simulated,
        "sample": v.sample,
        "signature_valid": True,
        "reason": " ".join(reasons) or None,
        "signer": v.signer,
        "signer_matches": matches,
        "id": v.id,
        "kind": v.kind.value,
        "compliant": v.compliant,
        "status": v.status.value,
        "device": {"id": v.device_id, "name": v.device_name},
        "policy": {
            "id": v.policy_id,
            "title": v.policy_title,
            "sha256": v.policy_sha256,
            "signed_version": v.policy_version,
            "issuer_key": v.policy_issuer_key,
            "last_verified": None
            if v.policy_last_verified is None
            else v.policy_last_verified.isoformat(),
        },
        "attested_at": v.attested_at.astimezone(UTC).isoformat(),
        "judged_as_of": _judged_as_of(v),
        "attester": v.attester.to_dict(),
        "connection": connection_to_dict(v.connection),
        "reached": reached_words(v.connection),
        "remote": remote(v.connection),
        "tool_version": v.tool_version,
        "payload_sha256": v.payload_sha256,
    }


def _judged_as_of(v: VerifiedAttestation) -> str:
    """The day the device was judged as of (the receipt's 'day'; the signing day when absent)."""
    predicate = v.statement.get("predicate")
    day = predicate.get("day") if isinstance(predicate, dict) else None
    return day if isinstance(day, str) else v.attested_at.astimezone(UTC).date().isoformat()


def _days_apart(day: str, moment: str) -> int:
    try:
        return abs((date.fromisoformat(day) - datetime.fromisoformat(moment).date()).days)
    except ValueError:
        return 0


def _verdict(result: dict[str, Any]) -> str:
    """The first line's words for a receipt whose signature is valid."""
    from audit.attestation.statement import StatementKind

    if result["kind"] == StatementKind.NONCOMPLIANCE_REPORT.value:
        what = _("valid NON-COMPLIANCE REPORT (this device was not shown to be compliant)")
    else:
        what = _("valid attestation of compliance")
    # Translators: {what} is "valid attestation of compliance" or "valid NON-COMPLIANCE REPORT
    # (...)"
    if result["signer_matches"] is False:
        return _("DIFFERENT SIGNER: {what}").format(what=what)
    if result.get("sample"):
        return _("NOT ACCEPTED (a SAMPLE receipt): {what}").format(what=what)
    if result["simulated"] and not result["valid"]:
        return _("NOT ACCEPTED (a demo receipt): {what}").format(what=what)
    if not result["valid"]:
        return _("NOT ACCEPTED (dated in the future): {what}").format(what=what)
    if result["signer_matches"]:
        return _("{what}, signed by the expected key").format(what=what)
    return what


def _judged_lines(result: dict[str, Any]) -> list[str]:
    """The day the device was judged as of, when it is not the day of signing."""
    apart = _days_apart(result["judged_as_of"], result["attested_at"])
    if not apart:
        return []
    # One day apart is a time zone (the day is the signer's, the time UTC), or not.
    day = result["judged_as_of"]
    if apart > 1:
        return [
            _(
                "  judged    as of {day}, NOT the day it was signed: the status is the device's "
                "as of that day"
            ).format(day=day)
        ]
    return [
        _("  judged    as of {day} (the signer's own date; the date above is UTC)").format(day=day)
    ]


def _describe(result: dict[str, Any]) -> str:
    """Every value shown comes from the file; _plain keeps it on its own line."""
    from audit.attestation import format_fingerprint

    name = visible(result["file"])
    if result.get("error"):
        return _("{file}: CANNOT READ\n  {problem}\n  {next_step}").format(
            file=name, problem=visible(result["error"]), next_step=result["next_step"]
        )
    if result.get("pdf"):
        return _("{file}: NOT A RECEIPT (a PDF copy)\n  {reason}\n  {next_step}").format(
            file=name, reason=result["reason"], next_step=visible(result["next_step"])
        )
    if not result["signature_valid"]:
        return _("{file}: INVALID\n  {reason}\n  {next_step}").format(
            file=name, reason=visible(result["reason"]), next_step=result["next_step"]
        )
    what = _verdict(result)
    attester = result["attester"]
    who = _("{name} (staff id {staff_id})").format(
        name=visible(attester["name"]), staff_id=visible(attester["staff_id"])
    )
    if attester["technician"]:
        who = _("{who}, by technician {technician}").format(
            who=who, technician=visible(attester["technician"])
        )
    device, policy = result["device"], result["policy"]
    lines = [f"{name}: {what}"]
    if result["simulated"]:
        lines.append(f"  {_(SIMULATED_LINE)}")
    lines += [
        # Translators: the labels of a receipt's lines: 12 characters wide with their spaces,
        # so that the values line up (keep the width if you can)
        _("  signer    {value}").format(value=format_fingerprint(result["signer"])),
        _("  device    {value}").format(
            value=f"{visible(device['name'])} ({visible(device['id'])})"
        ),
        _("  reached   {value}").format(value=visible(result["reached"])),
        _("  policy    {value}").format(
            value=f"{visible(policy['id'])} ({visible(policy['title'])})"
        ),
        f"            {_policy_words(policy)}",
        f"            {_signed_version_words(policy)}",
        _("  status    {value}").format(value=status_code_label(result["status"])),
        _("  date      {value} UTC").format(value=result["attested_at"][:16].replace("T", " ")),
        *_judged_lines(result),
        _("  attester  {value}").format(value=who),
        *_assurance_lines(result),
    ]
    if result["reason"]:
        lines.append(f"  {result['reason']}")
    return "\n".join(lines)


def _policy_words(policy: dict[str, Any]) -> str:
    version = policy.get("version")
    if policy.get("known") == "built-in":
        return _("built-in policy, version {version}, digest checked").format(version=version)
    if policy.get("known") == "earlier built-in":
        return _(
            "an earlier version of the built-in preset (version {version}, as an "
            "earlier release shipped it), digest checked"
        ).format(version=version)
    if policy.get("known") == "accepted":
        return _("accepted by this helpdesk, version {version}, digest checked").format(
            version=version
        )
    return _("NOT A KNOWN POLICY (sha256 {sha256})").format(sha256=visible(policy["sha256"]))


def _signed_version_words(policy: dict[str, Any]) -> str:
    """The version and last-verified day the receipt itself signs (older receipts have none)."""
    from audit.attestation import format_fingerprint

    if policy.get("signed_version") is None:
        return _("the receipt does not record the policy's version (made by an older release)")
    checked = policy.get("last_verified")
    words = _("signed under version {version}").format(version=policy["signed_version"])
    if checked:
        words = _("{words}, last checked against its sources {day}").format(
            words=words, day=checked
        )
    key = policy.get("issuer_key")
    if key:
        words = _("{words}; policy file signed by key {fingerprint} (signature checked)").format(
            words=words, fingerprint=format_fingerprint(key)
        )
    elif key is not None:
        words = _("{words}; policy file not signed").format(words=words)
    return words


def _assurance_lines(result: dict[str, Any]) -> list[str]:
    """Self-attested or witnessed, and why a technician's claim was not taken."""
    if "assurance" not in result:
        return []
    note = result["assurance_note"]
    from audit.cli.history_cmds import assurance_label

    lines = [_("  assurance {value}").format(value=assurance_label(result["assurance"]))]
    return [*lines, f"            {visible(note)}"] if note else lines
