"""DSSE as the spec defines it: the PAE encoding, base64 either way, and signature checks."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.attestation import Signer
from audit.attestation.dsse import (
    PAYLOAD_TYPE,
    Envelope,
    Signature,
    b64decode,
    pae,
    parse_envelope,
    sign,
    verify_signature,
)
from audit.errors import AttestationInvalid


def test_pae_matches_the_spec_test_vector() -> None:
    # secure-systems-lab/dsse protocol.md, "Test Vectors"
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_bytes_not_characters() -> None:
    assert pae("t", "é".encode()) == b"DSSEv1 1 t 2 \xc3\xa9"
    assert pae("", b"") == b"DSSEv1 0  0 "


@given(st.binary(max_size=200))
def test_b64decode_accepts_standard_and_urlsafe_padded_or_not(data: bytes) -> None:
    standard = base64.b64encode(data).decode()
    urlsafe = base64.urlsafe_b64encode(data).decode()
    for text in (standard, urlsafe, standard.rstrip("="), urlsafe.rstrip("=")):
        assert b64decode(text) == data


@pytest.mark.parametrize("text", ["a b=", "ab!c", "é===", "abcde"])
def test_b64decode_rejects_what_is_not_base64(text: str) -> None:
    with pytest.raises(ValueError):
        b64decode(text)


def test_signature_verifies_over_pae_with_its_public_key(signer: Signer) -> None:
    envelope = sign(b'{"a":1}', signer)
    (signature,) = envelope.signatures
    assert signature.keyid == signer.fingerprint
    assert signature.public_key == signer.public_key_bytes
    verify_signature(envelope, signature)  # no exception
    # What was signed is PAE(type, payload): the payload type is covered too
    changed_type = Envelope("application/json", envelope.payload, envelope.signatures)
    with pytest.raises(AttestationInvalid, match="does not match the signed content"):
        verify_signature(changed_type, signature)


def test_parse_envelope_round_trips_and_accepts_urlsafe(signer: Signer) -> None:
    envelope = sign(bytes(range(256)), signer)
    data = envelope.to_dict()
    assert parse_envelope(data) == envelope
    data["payload"] = base64.urlsafe_b64encode(envelope.payload).decode().rstrip("=")
    assert parse_envelope(data) == envelope


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.pop("payload"), "has no 'payload'"),
        (lambda d: d.update(payloadType=3), "'payloadType' is not text"),
        (lambda d: d.update(payload="***"), "'payload' cannot be decoded"),
        (lambda d: d.update(signatures=[]), "has no signatures"),
        (lambda d: d.update(signatures="x"), "has no signatures"),
        (lambda d: d["signatures"][0].pop("sig"), "signature 1 has no 'sig'"),
        (lambda d: d["signatures"][0].update(keyid=7), "key id of signature 1 is not text"),
        (lambda d: d["signatures"][0].update(sig="AAAA"), "has 3 bytes, not 64"),
        (lambda d: d["signatures"][0].update(publicKey="AAAA"), "has 3 bytes, not 32"),
    ],
)
def test_parse_envelope_names_what_is_wrong(signer: Signer, change: object, reason: str) -> None:
    data = sign(b"{}", signer).to_dict()
    change(data)  # type: ignore[operator]
    with pytest.raises(AttestationInvalid, match=reason):
        parse_envelope(data)


def test_payload_type_constant_is_the_in_toto_media_type() -> None:
    assert PAYLOAD_TYPE == "application/vnd.in-toto+json"


@given(
    payload_type=st.text(max_size=30),
    payload=st.binary(max_size=100),
    signatures=st.lists(
        st.builds(
            Signature,
            keyid=st.text(max_size=20),
            sig=st.binary(min_size=64, max_size=64),
            public_key=st.binary(min_size=32, max_size=32),
        ),
        max_size=3,
    ),
)
def test_file_form_is_sorted_indented_ascii_json(
    payload_type: str, payload: bytes, signatures: list[Signature]
) -> None:
    envelope = Envelope(payload_type, payload, tuple(signatures))
    expected = json.dumps(envelope.to_dict(), indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    assert envelope.to_file_bytes() == expected.encode("ascii")
