"""Verify: any changed byte makes a receipt invalid with a reason; another key is another signer."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.attestation import Signer, attest, verify_bytes, verify_file
from audit.attestation.dsse import parse_envelope, sign, verify_signature
from audit.attestation.statement import canonical_json
from audit.errors import AttestationInvalid
from tests.audit.attestation import builders as b

SIGNER = Signer.generate()  # module-wide so hypothesis examples share one receipt
# "???" makes standard and URL-safe base64 of the payload differ ('/' vs '_')
RECEIPT = attest(
    **b.clean(statement_text=b.STATEMENT + " Gone??? Yes.", signer=SIGNER)
).to_file_bytes()


def envelope_dict() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RECEIPT)
    return data


def statement_dict() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.b64decode(envelope_dict()["payload"]))
    return data


def written(data: dict[str, Any]) -> bytes:
    """An envelope serialised exactly as Device Audit writes it."""
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def signed(statement: dict[str, Any], signer: Signer) -> bytes:
    return sign(canonical_json(statement), signer).to_file_bytes()


def reason(data: bytes) -> str:
    with pytest.raises(AttestationInvalid) as caught:
        verify_bytes(data)
    message = caught.value.message
    assert message.startswith(("This attestation is not valid: ", "The file "))
    return message


def test_untouched_receipt_verifies() -> None:
    verified = verify_bytes(RECEIPT)
    assert verified.signer == SIGNER.fingerprint
    assert verified.signed_by(SIGNER.display_fingerprint)


def test_every_single_byte_changed_in_place_is_detected() -> None:
    """Exhaustive over the whole file: each position, lowest bit flipped."""
    undetected = []
    for position in range(len(RECEIPT)):
        tampered = bytearray(RECEIPT)
        tampered[position] ^= 0x01
        try:
            verify_bytes(bytes(tampered))
        except AttestationInvalid:
            continue
        undetected.append(position)
    assert undetected == []


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_byte_replaced_by_any_other_is_detected(data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(RECEIPT) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != RECEIPT[position]))
    tampered = bytearray(RECEIPT)
    tampered[position] = value
    with pytest.raises(AttestationInvalid):
        verify_bytes(bytes(tampered))


@given(st.integers(0, len(RECEIPT) - 1), st.binary(min_size=1, max_size=3))
def test_bytes_inserted_or_the_file_cut_short_are_detected(position: int, extra: bytes) -> None:
    with pytest.raises(AttestationInvalid):
        verify_bytes(RECEIPT[:position] + extra + RECEIPT[position:])
    with pytest.raises(AttestationInvalid):
        verify_bytes(RECEIPT[:position])


@given(st.data())
def test_any_changed_byte_of_the_payload_breaks_the_signature(data: st.DataObject) -> None:
    envelope = envelope_dict()
    payload = bytearray(base64.b64decode(envelope["payload"]))
    position = data.draw(st.integers(0, len(payload) - 1))
    payload[position] ^= data.draw(st.integers(1, 255))
    envelope["payload"] = base64.b64encode(bytes(payload)).decode()
    assert "does not match the signed content" in reason(written(envelope))


def edit_payload_char(e: dict[str, Any]) -> None:
    text = e["payload"]
    middle = len(text) // 2
    e["payload"] = text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]


def edit_signature(e: dict[str, Any]) -> None:
    sig = bytearray(base64.b64decode(e["signatures"][0]["sig"]))
    sig[10] ^= 0x80
    e["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()


def edit_keyid(e: dict[str, Any]) -> None:
    e["signatures"][0]["keyid"] = Signer.generate().fingerprint


def edit_public_key(e: dict[str, Any]) -> None:
    e["signatures"][0]["publicKey"] = base64.b64encode(Signer.generate().public_key_bytes).decode()


def edit_payload_type(e: dict[str, Any]) -> None:
    e["payloadType"] = "application/json"


def add_field(e: dict[str, Any]) -> None:
    e["note"] = "approved by IT"


def urlsafe_payload(e: dict[str, Any]) -> None:
    """Same bytes, other base64 alphabet: valid DSSE, but not the file as written."""
    urlsafe = base64.urlsafe_b64encode(base64.b64decode(e["payload"])).decode()
    assert urlsafe != e["payload"]
    e["payload"] = urlsafe


def second_signature(e: dict[str, Any]) -> None:
    e["signatures"].append(dict(e["signatures"][0]))


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (edit_payload_char, "the signature does not match the signed content"),
        (edit_signature, "the signature does not match the signed content"),
        (edit_public_key, "the signature does not match the signed content"),
        (edit_keyid, "the signature's key id is not the fingerprint of its public key"),
        (edit_payload_type, "the payload type is 'application/json'"),
        (add_field, "the file was altered after it was written"),
        (urlsafe_payload, "the file was altered after it was written"),
        (second_signature, "a Device Audit receipt has one signature, this one has 2"),
    ],
)
def test_targeted_edits_are_named(edit: Callable[[dict[str, Any]], None], expected: str) -> None:
    envelope = envelope_dict()
    edit(envelope)
    assert expected in reason(written(envelope))


@pytest.mark.parametrize(
    "layout",
    [
        lambda d: json.dumps(d, indent=4, sort_keys=True) + "\n",
        lambda d: json.dumps(d, sort_keys=True),
        lambda d: json.dumps(d, indent=2, sort_keys=True).replace("\n", "\r\n") + "\r\n",
        lambda d: json.dumps(d, indent=2, sort_keys=True),  # no final newline
        lambda d: json.dumps(dict(reversed(d.items())), indent=2) + "\n",
    ],
)
def test_layout_only_changes_are_reported_as_altered(layout: Callable[[Any], str]) -> None:
    text = layout(envelope_dict()).encode()
    assert text != RECEIPT
    assert "the file was altered after it was written" in reason(text)
    # The reason is right: to DSSE alone the signature still holds, the content is unchanged
    envelope = parse_envelope(json.loads(text))
    verify_signature(envelope, envelope.signatures[0])


def test_valid_envelope_signed_by_another_key_is_another_signer() -> None:
    statement = statement_dict()
    statement["predicate"]["attester"]["name"] = "Someone Else"
    other = Signer.generate()
    verified = verify_bytes(signed(statement, other))  # a perfectly valid signature...
    assert verified.signer == other.fingerprint
    assert not verified.signed_by(SIGNER.fingerprint)  # ...by someone who is not the signer
    assert verified.signed_by(other.display_fingerprint)
    assert verified.attester.name == "Someone Else"


def forged(change: Callable[[dict[str, Any]], None]) -> bytes:
    statement = statement_dict()
    change(statement)
    return signed(statement, Signer.generate())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s.update(_type="https://in-toto.io/Statement/v0.1"), "in-toto Statement v1"),
        (lambda s: s.update(predicateType="https://slsa.dev/provenance/v1"), "not a Device Audit"),
        (lambda s: s.update(subject=[]), "exactly one device"),
        (
            lambda s: s["subject"][0]["digest"].update(sha256="0" * 64),
            "digest does not match the device",
        ),
        (lambda s: s["subject"][0].update(name="android:X"), "subject does not name the device"),
        (lambda s: s["predicate"]["device"].update(serial="X"), "digest does not match"),
        (lambda s: s["predicate"].pop("policy"), "'predicate.policy' is missing"),
        (
            lambda s: s["predicate"]["policy"].update(id=5),
            "'predicate.policy.id' is missing or not text",
        ),
        (lambda s: s["predicate"].update(status="fine"), "'predicate.status' is 'fine'"),
        (lambda s: s["predicate"]["times"].update(attested="yesterday"), "not a UTC time"),
        (lambda s: s["predicate"]["times"].update(attested="2023-03-28T09:00"), "not a UTC time"),
        (lambda s: s["predicate"]["attester"].update(mode="technician"), "attester's mode"),
        (
            lambda s: s["predicate"]["findings"][0].update(status="violation"),
            "claims compliance, but its own findings",
        ),
        (
            lambda s: s["predicate"]["findings"][0].update(status=["resolved"]),
            "claims compliance, but its own findings",
        ),
        (
            lambda s: s["predicate"]["findings"][0].update(status={"not": "a status"}),
            "claims compliance, but its own findings",
        ),
        (lambda s: s["predicate"]["rescan"].update(complete=False), "claims compliance"),
        (lambda s: s["predicate"].update(status="non_compliant"), "claims compliance"),
        (
            lambda s: s["predicate"].update(kind="noncompliance_report"),
            "non-compliance report whose status says compliant",
        ),
    ],
)
def test_well_signed_but_malformed_statements_are_invalid(
    change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    assert expected in reason(forged(change))


def test_payload_that_is_not_json_is_invalid_even_when_signed() -> None:
    assert "the signed content is not JSON" in reason(
        sign(b"\xff not json", SIGNER).to_file_bytes()
    )


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    with pytest.raises(AttestationInvalid):
        verify_bytes(data)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)


@settings(max_examples=60)
@given(
    st.fixed_dictionaries(
        {"payload": JSON, "payloadType": JSON, "signatures": JSON}, optional={"x": JSON}
    )
    | JSON
)
def test_arbitrary_json_never_crashes(document: Any) -> None:
    with pytest.raises(AttestationInvalid):
        verify_bytes(json.dumps(document).encode())


@settings(max_examples=60)
@given(JSON)
def test_arbitrary_signed_content_never_crashes(content: Any) -> None:
    with pytest.raises(AttestationInvalid):
        verify_bytes(signed(content, SIGNER))


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("model", "Pixel \ud800"),  # the lone surrogate reaches the subject's digest
        ("name", "\udfff"),  # and one that only the history or the PDF would meet
    ],
)
def test_a_lone_surrogate_in_signed_content_is_invalid_not_a_crash(field: str, text: str) -> None:
    statement = statement_dict()
    statement["predicate"]["device"][field] = text
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()  # escaped
    assert "not valid Unicode" in reason(sign(payload, SIGNER).to_file_bytes())


def test_escaped_surrogate_pairs_and_a_literal_backslash_u_still_verify() -> None:
    statement = statement_dict()
    statement["predicate"]["device"]["name"] = "Phone \U0001f4f1 \\ud800"
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    assert b"\\ud83d\\udcf1" in payload  # the emoji as an escaped pair
    assert (
        verify_bytes(sign(payload, SIGNER).to_file_bytes()).device_name
        == statement["predicate"]["device"]["name"]
    )


def test_deeply_nested_json_is_invalid_not_a_crash() -> None:
    assert "nested too deeply" in reason(b"[" * 100_000 + b"]" * 100_000)


def test_verify_file_names_a_file_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(AttestationInvalid, match=r"The file .*missing.json cannot be read"):
        verify_file(tmp_path / "missing.json")
    (tmp_path / "receipt.json").write_bytes(RECEIPT)
    assert verify_file(tmp_path / "receipt.json").signer == SIGNER.fingerprint


def test_a_receipt_of_the_demo_phone_says_it_is_simulated() -> None:
    demo = verify_bytes(attest(**b.demo_clean(signer=SIGNER)).to_file_bytes())
    assert demo.simulated is True
    assert verify_bytes(RECEIPT).simulated is False


def test_a_simulated_flag_that_is_not_true_or_false_is_invalid() -> None:
    statement = statement_dict()
    statement["predicate"]["device"]["simulated"] = "no"
    assert "'predicate.device.simulated' is not true or false" in reason(
        signed(statement, Signer.generate())
    )


def test_an_inventory_file_is_named_for_what_it_is_not_a_damaged_envelope() -> None:
    from audit import inventory

    data = inventory.dumps(b.scan([b.MAPS, b.TIKTOK_WORK])).encode()
    with pytest.raises(AttestationInvalid) as caught:
        verify_bytes(data)
    assert caught.value.message == (
        "This is not a receipt (it looks like a Device Audit inventory file)."
    )
    assert "envelope" not in str(caught.value)
    # the format key is optional in an inventory file, so its parts are enough to tell
    document = json.loads(data)
    del document["format"]
    with pytest.raises(AttestationInvalid, match="looks like a Device Audit inventory file"):
        verify_bytes(json.dumps(document).encode())


@pytest.mark.parametrize("document", [{"name": "Aroha", "phone": "R58M"}, {}, [1, 2], "text", 3])
def test_json_that_is_no_envelope_at_all_says_so_in_plain_words(document: object) -> None:
    with pytest.raises(AttestationInvalid) as caught:
        verify_bytes(json.dumps(document).encode())
    assert caught.value.message == (
        "This file is not a receipt: it holds JSON, but not a signed Device Audit receipt."
    )


@pytest.mark.parametrize("missing", ["payload", "payloadType", "signatures"])
def test_an_envelope_missing_one_part_keeps_its_exact_reason(missing: str) -> None:
    damaged = envelope_dict()
    del damaged[missing]
    with pytest.raises(AttestationInvalid) as caught:
        verify_bytes(written(damaged))
    expected = f"This attestation is not valid: the envelope has no '{missing}'."
    assert caught.value.message == expected
