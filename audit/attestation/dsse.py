"""DSSE, the Dead Simple Signing Envelope (secure-systems-lab/dsse, protocol v1.0.0).

The signature covers PAE(payloadType, payload), never the JSON around it, so the payload type
cannot be swapped and the envelope's own layout does not matter to the signature. The receipt
file adds a stricter check on top (see audit/attestation/verify.py).

Each signature object carries, besides the standard `keyid` and `sig`, the signer's raw Ed25519
public key as `publicKey` (DSSE lets producers add fields). That key is not trusted for being
there: what a verifier reports is the fingerprint of the key that actually verified the
signature, and trust comes from comparing that fingerprint with one known out of band.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.errors import AttestationInvalid
from audit.i18n import _

PAYLOAD_TYPE = "application/vnd.in-toto+json"
ED25519_PUBLIC_KEY_BYTES = 32
ED25519_SIGNATURE_BYTES = 64


class SigningKey(Protocol):
    """What DSSE needs from a key: the public half and a way to sign bytes."""

    @property
    def fingerprint(self) -> str: ...

    @property
    def public_key_bytes(self) -> bytes: ...

    def sign(self, data: bytes) -> bytes: ...


def pae(payload_type: str, payload: bytes) -> bytes:
    """Pre-Authentication Encoding: "DSSEv1 <len> <type> <len> <body>", lengths in bytes."""
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


def b64encode(data: bytes) -> str:
    """Standard base64 with padding: what Device Audit writes."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not, as DSSE verifiers must accept.

    Raises ValueError on anything else (stray characters are never skipped silently).
    """
    if not text.isascii():
        raise ValueError(_("it contains characters that are not base64"))
    if "-" in text or "_" in text:  # translate() walks every character: only when needed
        text = text.translate(_URLSAFE_TO_STANDARD)
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        # Translators: {problem} is the base64 decoder's own explanation, in English
        raise ValueError(_("it is not base64 ({problem})").format(problem=exc)) from None


_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")


@dataclass(frozen=True)
class Signature:
    keyid: str
    sig: bytes
    public_key: bytes  # raw Ed25519 public key, 32 bytes

    def to_dict(self) -> dict[str, str]:
        return {
            "keyid": self.keyid,
            "publicKey": b64encode(self.public_key),
            "sig": b64encode(self.sig),
        }


@dataclass(frozen=True)
class Envelope:
    """A DSSE JSON envelope: the payload bytes exactly as signed, and their signatures."""

    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "payload": b64encode(self.payload),
            "payloadType": self.payload_type,
            "signatures": [s.to_dict() for s in self.signatures],
        }

    def to_file_bytes(self) -> bytes:
        """The one serialisation Device Audit writes; verify_bytes insists on exactly this.

        It is json.dumps(to_dict(), indent=2, sort_keys=True, ensure_ascii=True) + "\n",
        spelled out because json's indenting encoder is pure Python and verify would spend a
        quarter of its time in it (tests check both give the same bytes).
        """
        quote = encode_basestring_ascii
        signatures = ",\n".join(
            f'    {{\n      "keyid": {quote(s.keyid)},\n'
            f'      "publicKey": {quote(b64encode(s.public_key))},\n'
            f'      "sig": {quote(b64encode(s.sig))}\n    }}'
            for s in self.signatures
        )
        signatures = f"[\n{signatures}\n  ]" if signatures else "[]"
        return (
            f'{{\n  "payload": {quote(b64encode(self.payload))},\n'
            f'  "payloadType": {quote(self.payload_type)},\n'
            f'  "signatures": {signatures}\n}}\n'
        ).encode("ascii")


def sign(payload: bytes, key: SigningKey, payload_type: str = PAYLOAD_TYPE) -> Envelope:
    signature = Signature(
        keyid=key.fingerprint,
        sig=key.sign(pae(payload_type, payload)),
        public_key=key.public_key_bytes,
    )
    return Envelope(payload_type=payload_type, payload=payload, signatures=(signature,))


def invalid(reason: str) -> AttestationInvalid:
    return AttestationInvalid(_("This attestation is not valid: {reason}.").format(reason=reason))


def parse_envelope(data: Any) -> Envelope:
    """Read a parsed JSON envelope, naming the first thing that is wrong with it."""
    if not isinstance(data, dict):
        raise invalid(_("the file is not a signed envelope (expected a JSON object)"))
    for name in ("payload", "payloadType", "signatures"):
        if name not in data:
            raise invalid(_("the envelope has no '{name}'").format(name=name))
    payload_text, payload_type, raw_signatures = (
        data["payload"],
        data["payloadType"],
        data["signatures"],
    )
    if not isinstance(payload_type, str):
        raise invalid(_("the envelope's 'payloadType' is not text"))
    if not isinstance(payload_text, str):
        raise invalid(_("the envelope's 'payload' is not text"))
    try:
        payload = b64decode(payload_text)
    except ValueError as exc:
        raise invalid(
            _("the envelope's 'payload' cannot be decoded: {problem}").format(problem=exc)
        ) from None
    if not isinstance(raw_signatures, list) or not raw_signatures:
        raise invalid(_("the envelope has no signatures"))
    signatures = tuple(_parse_signature(i, s) for i, s in enumerate(raw_signatures))
    return Envelope(payload_type=payload_type, payload=payload, signatures=signatures)


def _parse_signature(index: int, data: Any) -> Signature:
    number = index + 1
    if not isinstance(data, dict):
        raise invalid(_("signature {number} is not a JSON object").format(number=number))
    keyid = data.get("keyid", "")
    if not isinstance(keyid, str):
        raise invalid(_("the key id of signature {number} is not text").format(number=number))
    decoded: dict[str, bytes] = {}
    for name, size in (("sig", ED25519_SIGNATURE_BYTES), ("publicKey", ED25519_PUBLIC_KEY_BYTES)):
        text = data.get(name)
        if not isinstance(text, str):
            raise invalid(_("signature {number} has no '{name}'").format(number=number, name=name))
        try:
            value = b64decode(text)
        except ValueError as exc:
            raise invalid(
                _("the '{name}' of signature {number} cannot be decoded: {problem}").format(
                    name=name, number=number, problem=exc
                )
            ) from None
        if len(value) != size:
            raise invalid(
                _("the '{name}' of signature {number} has {count} bytes, not {size}").format(
                    name=name, number=number, count=len(value), size=size
                )
            )
        decoded[name] = value
    return Signature(keyid=keyid, sig=decoded["sig"], public_key=decoded["publicKey"])


def verify_signature(envelope: Envelope, signature: Signature) -> None:
    """Check one signature against its own public key; raises AttestationInvalid if it fails."""
    try:
        public_key = Ed25519PublicKey.from_public_bytes(signature.public_key)
        public_key.verify(signature.sig, pae(envelope.payload_type, envelope.payload))
    except (InvalidSignature, ValueError):
        raise invalid(
            _(
                "the signature does not match the signed content: the file was changed after it "
                "was signed"
            )
        ) from None
