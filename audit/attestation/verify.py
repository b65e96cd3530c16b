"""Verifying a receipt: any changed byte makes it invalid, and the reason is named.

Checks, in order: the file is JSON; it is a DSSE envelope with one Ed25519 signature; the
signature verifies over PAE(payloadType, payload) with the public key it carries; the key id is
that key's fingerprint; the file is byte for byte the one serialisation Device Audit writes; the
payload is an in-toto Statement v1 with our predicate, and its parts agree with each other.

The byte-for-byte check is what makes "any changed byte → invalid" strict. DSSE signs the
payload, not the JSON around it, so re-indenting the envelope or re-encoding its base64 would
leave a valid signature; such a file is still reported as altered (the signed content intact,
the file not as written). dsse.parse_envelope stays lenient as the DSSE spec asks, for other
producers' envelopes.

A valid signature proves only that the holder of that key signed it. Who that is comes from
comparing the signer's fingerprint with one known out of band: VerifiedAttestation.signed_by.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from audit.attestation.dsse import PAYLOAD_TYPE, invalid, parse_envelope, verify_signature
from audit.attestation.keys import fingerprint_of, format_fingerprint, parse_fingerprint
from audit.attestation.ranges import (
    FIRST_DAY,
    LAST_DAY,
    SPAN,
    OutOfRange,
    loads_in_range,
    time_in_range,
)
from audit.attestation.statement import (
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    Attester,
    AttesterMode,
    StatementKind,
    canonical_json,
)
from audit.errors import AttestationInvalid
from audit.files import path_problem, read_limited
from audit.i18n import N_, _
from audit.inventory import FORMAT as INVENTORY_FORMAT
from audit.model import (
    Connection,
    ConnectionKind,
    DeviceStatus,
    EnumT,
    FindingStatus,
    members_by_value,
)
from audit.provenance import connection_from_dict

MAX_RECEIPT_BYTES = 16 * 1024 * 1024  # receipts are kilobytes; anything this big is not one
# The key packaging/make_sample_receipt.py signs the shipped sample receipt with
# (resources/samples/). Its seed is published in the repository on purpose, so anyone can sign
# anything with it: whatever a receipt it signed says, it proves nothing about any device.
# `verify` never counts such a receipt as valid and `import` refuses it, by this fingerprint.
SAMPLE_KEY_FINGERPRINT = "955de77f8fbd85112e0c4032a2a31a9b0b7754aec5236758f396392b640f9f81"
SAMPLE_REASON = N_(
    "SAMPLE receipt signed by the published sample key: it proves nothing about any device"
)  # marked: translated where it is shown
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class VerifiedAttestation:
    """What a valid receipt says. Every text in it came from the file: show it as plain text."""

    id: str
    kind: StatementKind
    signer: str  # fingerprint of the key that verified the signature (lowercase hex)
    device_id: str
    device_name: str
    device_digest: str
    policy_id: str
    policy_title: str
    policy_sha256: str
    status: DeviceStatus
    attested_at: datetime
    attester: Attester
    tool_version: str
    payload_sha256: str  # the same receipt imported twice has the same digest
    statement: Mapping[str, Any] = field(compare=False, repr=False)
    # Made on Device Audit's demo phone (predicate.device.simulated): a valid signature over a
    # demo is still not the record of a real device, so whoever shows a receipt must say so.
    simulated: bool = False
    # How the device was reached for the scan (predicate.device.connection), as signed; None
    # when the receipt does not record it (made by an older Device Audit): never a cable.
    connection: Connection | None = None
    # The policy's version and last-verified day as signed (predicate.policy.version and
    # .last_verified); None in a receipt made before they were recorded.
    policy_version: int | None = None
    policy_last_verified: date | None = None
    # The key that signed the policy file, as the receipt records it: "" when the policy was
    # not signed, None when the receipt does not say (made before it was recorded).
    policy_issuer_key: str | None = None

    @property
    def display_signer(self) -> str:
        return format_fingerprint(self.signer)

    @property
    def compliant(self) -> bool:
        """True only for an attestation of compliance, never for a non-compliance report."""
        return self.kind is StatementKind.ATTESTATION and self.status.compliant

    @property
    def sample(self) -> bool:
        """Signed by the published sample key (SAMPLE_KEY_FINGERPRINT): proves nothing."""
        return self.signer == SAMPLE_KEY_FINGERPRINT

    def signed_by(self, fingerprint: str) -> bool:
        """Whether the key that signed is the one expected (fingerprint in any shown form)."""
        return self.signer == parse_fingerprint(fingerprint)


def verify_file(path: Path | str) -> VerifiedAttestation:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_RECEIPT_BYTES:
            raise invalid(
                _("the file is {size} bytes, far too large to be a receipt").format(size=size)
            )
        data = read_limited(path, MAX_RECEIPT_BYTES)
    except OSError as exc:
        raise AttestationInvalid(
            _("The file {path} cannot be read ({problem}).").format(
                path=path, problem=path_problem(exc)
            ),
            _("Check the file name and that you may read it."),
        ) from None
    return verify_bytes(data)


def verify_bytes(data: bytes) -> VerifiedAttestation:
    """Verify one receipt's bytes; raises AttestationInvalid naming what is wrong."""
    try:
        document = json.loads(data)
    except ValueError:
        raise invalid(_("the file is not JSON, so it is damaged or not a receipt")) from None
    except RecursionError:
        raise invalid(
            _(
                "the file is nested too deeply (lists or tables inside each other hundreds of "
                "times), so not a receipt"
            )
        ) from None
    _raise_if_not_an_envelope(document)
    envelope = parse_envelope(document)
    if len(envelope.signatures) != 1:
        raise invalid(
            _("a Device Audit receipt has one signature, this one has {count}").format(
                count=len(envelope.signatures)
            )
        )
    if envelope.payload_type != PAYLOAD_TYPE:
        raise invalid(
            _(
                "the payload type is {found}, not {expected} (the signed content is not an "
                "in-toto statement)"
            ).format(found=repr(envelope.payload_type), expected=repr(PAYLOAD_TYPE))
        )
    signature = envelope.signatures[0]
    verify_signature(envelope, signature)
    signer = fingerprint_of(signature.public_key)
    if signature.keyid != signer:
        raise invalid(_("the signature's key id is not the fingerprint of its public key"))
    if data != envelope.to_file_bytes():
        raise invalid(
            _(
                "the file was altered after it was written: the signed content is intact, but the "
                "file is not byte for byte what Device Audit wrote (spacing, line breaks, key "
                "order, encoding or extra fields changed)"
            )
        )
    try:
        statement = loads_in_range(envelope.payload)
    except (ValueError, RecursionError):
        raise invalid(_("the signed content is not JSON")) from None
    except OutOfRange as error:
        # Translators: {problem} is "'predicate.x' is 123..., larger than any number ..."
        raise invalid(_("the statement's {problem}").format(problem=error)) from None
    if _has_lone_surrogate(envelope.payload, statement):
        raise invalid(
            _(
                "the signed content holds text that is not valid Unicode (a lone surrogate "
                "escape), which Device Audit never writes"
            )
        )
    return _read_statement(statement, signer, hashlib.sha256(envelope.payload).hexdigest())


_ENVELOPE_KEYS = ("payload", "payloadType", "signatures")
NOT_A_RECEIPT_STEP = N_(
    "A receipt is the signed .json file Device Audit writes when an audit is attested "
    "(device-audit attest); check that this is the file you meant."
)  # marked: translated where it is shown


def _raise_if_not_an_envelope(document: Any) -> None:
    """JSON that is no envelope at all (not one damaged) is named for what it is, in plain words:
    "the envelope has no 'payload'" means nothing to someone who chose the wrong file."""
    if isinstance(document, dict) and any(key in document for key in _ENVELOPE_KEYS):
        return
    if isinstance(document, dict) and _looks_like_inventory(document):
        raise AttestationInvalid(
            _("This is not a receipt (it looks like a Device Audit inventory file)."),
            _("An inventory is what a scan saw, unsigned.") + " " + _(NOT_A_RECEIPT_STEP),
        )
    raise AttestationInvalid(
        _("This file is not a receipt: it holds JSON, but not a signed Device Audit receipt."),
        _(NOT_A_RECEIPT_STEP),
    )


def _looks_like_inventory(document: dict[str, Any]) -> bool:
    if "format" in document:
        return bool(document["format"] == INVENTORY_FORMAT)
    return "apps" in document and "device" in document  # the format key is optional on read


# Device Audit writes raw UTF-8 (ensure_ascii=False), so an escaped surrogate in a payload is
# rare; only then is the exact (and slower) check run.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(payload: bytes, statement: Any) -> bool:
    """A lone surrogate decodes to a str that cannot be written as UTF-8: nothing downstream
    (the history, the PDF, the screen) could store or show it, so it is refused here."""
    if not _SURROGATE_ESCAPE.search(payload):
        return False
    try:
        canonical_json(statement)
    except UnicodeEncodeError:
        return True
    return False


class _Fields:
    """Typed access to the statement, naming the path of whatever is missing or wrong.

    Every import reads each receipt's statement through these, so each method checks its own
    field (no call into another) and the path is built only for the message of a wrong one.
    """

    __slots__ = ("data", "where")

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise invalid(_("the statement's '{key}' is not an object").format(key=where))
        self.data: dict[str, Any] = data
        self.where = where

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _wrong(self, key: str, kind: type) -> AttestationInvalid:
        wanted = _WRONG.get(kind)
        if wanted is None:
            return invalid(
                _("the statement's '{key}' is missing or not {kind}").format(
                    key=self._path(key), kind=kind.__name__
                )
            )
        return invalid(_(wanted).format(key=self._path(key)))

    def get(self, key: str, kind: type) -> Any:
        value = self.data.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self._wrong(key, kind)
        return value

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if isinstance(value, str):
            return value
        raise self._wrong(key, str)

    def child(self, key: str) -> _Fields:
        value = self.data.get(key)
        if isinstance(value, dict):
            return _Fields(value, self._path(key))
        raise self._wrong(key, dict)

    def enum(self, key: str, members: Mapping[str, EnumT]) -> EnumT:
        """`members` maps each known value to its member (members_by_value)."""
        raw = self.text(key)
        member = members.get(raw)
        if member is None:
            raise invalid(
                _("the statement's '{key}' is {value}, not a known value").format(
                    key=self._path(key), value=repr(raw)
                )
            )
        return member

    def time(self, key: str) -> datetime:
        raw = self.text(key)
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:
            raise invalid(
                _("the statement's '{key}' is not a UTC time").format(key=self._path(key))
            )
        if not time_in_range(value):
            raise invalid(
                _("the statement's '{key}' is {value}, not a time {span}").format(
                    key=self._path(key), value=raw, span=_(SPAN)
                )
            )
        return value


# What a wrongly typed field should have been, one sentence each.
_WRONG: dict[type, str] = {
    str: N_("the statement's '{key}' is missing or not text"),
    dict: N_("the statement's '{key}' is missing or not an object"),
    list: N_("the statement's '{key}' is missing or not a list"),
    bool: N_("the statement's '{key}' is missing or not true or false"),
}

_ATTESTER_MODES = members_by_value(AttesterMode)
_DEVICE_STATUSES = members_by_value(DeviceStatus)
_STATEMENT_KINDS = members_by_value(StatementKind)


def _identity_digest(identity: dict[str, str]) -> str:
    """sha256 of canonical_json(identity), the subject's digest. Its five keys are all text,
    so the canonical form is written out here, in canonical_json's key order and quoting:
    json.dumps would set up an encoder for every receipt of an import."""
    quote = encode_basestring
    text = (
        f'{{"id":{quote(identity["id"])},"kind":{quote(identity["kind"])},'
        f'"manufacturer":{quote(identity["manufacturer"])},"model":{quote(identity["model"])},'
        f'"serial":{quote(identity["serial"])}}}'
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_statement(data: Any, signer: str, payload_sha256: str) -> VerifiedAttestation:
    top = _Fields(data, "")
    if top.data.get("_type") != STATEMENT_TYPE:
        raise invalid(
            _("the signed content is not an in-toto Statement v1 ({type})").format(
                type=STATEMENT_TYPE
            )
        )
    if top.data.get("predicateType") != PREDICATE_TYPE:
        raise invalid(
            _("the statement is not a Device Audit attestation ({type})").format(
                type=PREDICATE_TYPE
            )
        )
    subjects = top.get("subject", list)
    if len(subjects) != 1:
        raise invalid(_("the statement should name exactly one device as its subject"))
    subject = _Fields(subjects[0], "subject[0]")
    digest = subject.child("digest").text("sha256")
    if not _SHA256.fullmatch(digest):
        raise invalid(_("the subject's sha256 digest is not 64 hexadecimal digits"))

    predicate = top.child("predicate")
    kind = predicate.enum("kind", _STATEMENT_KINDS)
    status = predicate.enum("status", _DEVICE_STATUSES)
    device = predicate.child("device")
    identity = {key: device.text(key) for key in ("id", "kind", "serial", "manufacturer", "model")}
    simulated = device.data.get("simulated", False)
    if not isinstance(simulated, bool):
        raise invalid(_("the statement's 'predicate.device.simulated' is not true or false"))
    try:
        connection = connection_from_dict(
            device.data.get("connection"), device_kind=identity["kind"]
        )
    except ValueError as error:
        raise invalid(
            _("the statement's 'predicate.device.connection' is malformed: {problem}").format(
                problem=error
            )
        ) from None
    if connection is not None and connection.kind is ConnectionKind.DEMO and not simulated:
        raise invalid(
            _(
                "the statement's 'predicate.device.connection' names the demo phone, but the "
                "device is not marked simulated"
            )
        )
    if subject.text("name") != identity["id"]:
        raise invalid(_("the subject does not name the device the statement describes"))
    if _identity_digest(identity) != digest:
        raise invalid(_("the subject's digest does not match the device the statement describes"))
    policy = predicate.child("policy")
    attester = _attester(predicate.child("attester"))
    rescan = predicate.child("rescan")
    findings = predicate.get("findings", list)
    predicate.get("actions", list)
    predicate.get("exemptions", list)
    predicate.text("statement")
    if kind is StatementKind.ATTESTATION:
        open_violations = [f for f in findings if not _settled(f)]
        if not status.compliant or rescan.get("complete", bool) is not True or open_violations:
            raise invalid(
                _(
                    "it claims compliance, but its own findings or rescan say otherwise "
                    "(it was not made by Device Audit's rules)"
                )
            )
    elif status.compliant:
        raise invalid(_("it is a non-compliance report whose status says compliant"))
    return VerifiedAttestation(
        id=predicate.text("id"),
        kind=kind,
        signer=signer,
        device_id=identity["id"],
        device_name=device.text("name"),
        device_digest=digest,
        policy_id=policy.text("id"),
        policy_title=policy.text("title"),
        policy_sha256=policy.text("sha256"),
        status=status,
        attested_at=predicate.child("times").time("attested"),
        attester=attester,
        tool_version=predicate.child("tool").text("version"),
        payload_sha256=payload_sha256,
        statement=data,
        simulated=simulated,
        connection=connection,
        policy_version=_policy_version(policy),
        policy_last_verified=_policy_last_verified(policy),
        policy_issuer_key=_policy_issuer_key(policy),
    )


def _policy_issuer_key(policy: _Fields) -> str | None:
    """predicate.policy.issuer_key: absent in older receipts, "" or a key fingerprint."""
    if "issuer_key" not in policy.data:
        return None
    value = policy.data["issuer_key"]
    if not isinstance(value, str) or (value and not _SHA256.fullmatch(value)):
        raise invalid(
            _("the statement's '{key}' is not a key fingerprint").format(
                key=policy._path("issuer_key")
            )
        )
    return value


def _policy_version(policy: _Fields) -> int | None:
    """predicate.policy.version: absent in older receipts, else a whole number from 1."""
    if "version" not in policy.data:
        return None
    value = policy.data["version"]
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_VERSION:
        raise invalid(
            _("the statement's '{key}' is not a policy version").format(key=policy._path("version"))
        )
    return value


def _policy_last_verified(policy: _Fields) -> date | None:
    """predicate.policy.last_verified: absent or null, else a day in range."""
    value = policy.data.get("last_verified")
    if value is None:
        return None
    day = None
    if isinstance(value, str) and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise invalid(
            _("the statement's '{key}' is not a day {span}").format(
                key=policy._path("last_verified"), span=_(SPAN)
            )
        )
    return day


MAX_VERSION = 1_000_000  # far beyond any policy's version; larger is not a real receipt


def _settled(finding: object) -> bool:
    """A finding an attestation of compliance may contain (anything malformed is not)."""
    if not isinstance(finding, dict):
        return False
    status = finding.get("status")
    return isinstance(status, str) and status in _SETTLED


# Final finding states an attestation of compliance may contain.
_SETTLED = frozenset(
    {FindingStatus.RESOLVED.value, FindingStatus.EXCEPTED.value, FindingStatus.REVIEW.value}
)


def _attester(fields: _Fields) -> Attester:
    attester = Attester(
        name=fields.text("name"),
        staff_id=fields.text("staff_id"),
        technician=fields.text("technician"),
    )
    if fields.enum("mode", _ATTESTER_MODES) is not attester.mode:
        raise invalid(_("the attester's mode does not agree with whether a technician is named"))
    return attester
