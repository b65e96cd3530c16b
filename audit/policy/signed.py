"""Policies signed by the organisation that issues them: a DSSE envelope over the policy file's
bytes (the same Ed25519 machinery as receipts), kept beside it as `FILE.toml.sig`.

    device-audit policy sign FILE      (the issuer, with the key in their keyring)

Whoever loads FILE gets the key that signed it (Policy.issuer_key) when FILE.toml.sig is there
and checks: its payload is exactly the file's bytes, its payload type is a policy's, and the
signature verifies. A signature that does not check is refused (never read as "not signed"):
it means the file was changed after it was signed. A key proves only that its holder signed;
the helpdesk compares the fingerprint with the issuer's, known out of band, when it accepts
the policy (docs/security.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit.errors import AttestationInvalid, PolicyError
from audit.files import path_problem, read_limited
from audit.i18n import _

# The signature machinery (cryptography, and the keyring behind audit.attestation) is imported
# only when a signature is there to check or make: loading an unsigned policy, which every
# `device-audit policies` and `check` does, pays nothing for it (issue 15).
if TYPE_CHECKING:
    from audit.attestation.dsse import Envelope, SigningKey

POLICY_PAYLOAD_TYPE = "application/vnd.device-audit.policy+toml"
SIGNATURE_SUFFIX = ".sig"
MAX_SIGNATURE_BYTES = 4 * 1024 * 1024  # a policy file is small; its envelope is ~4/3 of it


@dataclass(frozen=True)
class PolicySignature:
    """A checked signature over a policy file: who signed it (fingerprint, lowercase hex)."""

    fingerprint: str


def signature_path(path: Path | str) -> Path:
    path = Path(path)
    return path.with_name(path.name + SIGNATURE_SUFFIX)


def sign_policy(content: bytes, key: SigningKey) -> Envelope:
    from audit.attestation.dsse import sign

    return sign(content, key, POLICY_PAYLOAD_TYPE)


def check_signature(data: bytes, content: bytes) -> PolicySignature:
    """The signature in `data` (an envelope file's bytes) over exactly `content`; ValueError
    names what is wrong."""
    from audit.attestation.dsse import parse_envelope, verify_signature
    from audit.attestation.keys import fingerprint_of

    try:
        envelope = parse_envelope(json.loads(data))
    except (ValueError, RecursionError):
        raise ValueError(_("it is not a signed envelope (JSON)")) from None
    except AttestationInvalid as error:
        raise ValueError(_reason(error)) from None
    if envelope.payload_type != POLICY_PAYLOAD_TYPE:
        raise ValueError(
            _("it signs a {kind}, not a policy file").format(kind=repr(envelope.payload_type))
        )
    if len(envelope.signatures) != 1:
        raise ValueError(_("it has more than one signature; a policy is signed by one issuer"))
    if envelope.payload != content:
        digest = hashlib.sha256(envelope.payload).hexdigest()
        raise ValueError(
            _(
                "it signs another text of the policy (sha256 {digest}…): the file was changed "
                "after it was signed"
            ).format(digest=digest[:12])
        )
    (signature,) = envelope.signatures
    try:
        verify_signature(envelope, signature)
    except AttestationInvalid as error:
        raise ValueError(_reason(error)) from None
    return PolicySignature(fingerprint_of(signature.public_key))


def _reason(error: AttestationInvalid) -> str:
    """The reason alone, without the attestation's "This attestation is not valid: ..." around
    it (in the language in use: the envelope's words were translated when they were made)."""
    around = _("This attestation is not valid: {reason}.")
    head, tail = around.split("{reason}", 1) if "{reason}" in around else ("", "")
    return error.message.removeprefix(head).removesuffix(tail).rstrip(".")


def read_signature(path: Path | str, content: bytes) -> PolicySignature | None:
    """The checked signature beside the policy file at `path`, None when there is none;
    PolicyError when there is one that does not check (or cannot be read)."""
    sig = signature_path(path)
    try:
        data = read_limited(sig, MAX_SIGNATURE_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PolicyError(
            path,
            _("its signature {file} cannot be read ({problem})").format(
                file=sig.name, problem=path_problem(exc)
            ),
        ) from None
    try:
        return check_signature(data, content)
    except ValueError as error:
        raise PolicyError(
            path,
            _(
                "its signature {file} does not check: {problem}; ask the issuer for the signed "
                "file again, or remove {file} to use the file as not signed"
            ).format(file=sig.name, problem=error),
        ) from None


def issuer_words(authority: str, issuer_key: str) -> str:
    """ "Issued by …  (signature checked)" or "not signed", for a policy file."""
    if not issuer_key:
        return _("not signed")
    from audit.attestation.keys import format_fingerprint

    return _("Issued by {authority}, key {fingerprint} (signature checked)").format(
        authority=authority, fingerprint=format_fingerprint(issuer_key)
    )


def sign_policy_file(path: Path | str, key: SigningKey) -> tuple[Path, str]:
    """Sign the policy file at `path` (it must load as a policy) into FILE.toml.sig, written
    atomically; returns that path and the file's sha256. An old signature is replaced."""
    from audit.inventory import write_atomic
    from audit.policy.loader import parse_policy, preset_digests
    from audit.policy.tomlfile import read_file

    doc, content = read_file(path, PolicyError)
    policy = parse_policy(doc, sha256=hashlib.sha256(content).hexdigest(), origin=str(path))
    if policy.id in preset_digests():
        raise PolicyError(
            path,
            _(
                "it takes the id of the built-in policy '{id}', which ships with Device Audit and "
                "is not signed by anyone else; give your policy its own id"
            ).format(id=policy.id),
            key="id",
        )
    target = signature_path(path)
    try:
        write_atomic(target, sign_policy(content, key).to_file_bytes())
    except OSError as exc:
        raise PolicyError(
            path,
            _("its signature cannot be written to {file} ({problem})").format(
                file=target.name, problem=path_problem(exc)
            ),
        ) from None
    return target, policy.sha256
