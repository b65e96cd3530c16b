"""A receipt's reasons for being refused are in the language in use (issue 17), and what a
forged file chose (a payload type, a key) is shown as it is inside them, never read as part of
the message's template."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation.verify import verify_bytes
from audit.errors import AttestationInvalid
from audit.i18n import ENGLISH, PSEUDO, set_language
from audit.policy.signed import check_signature

BRACED = st.text(alphabet="{}[]%s0!r:reason ", min_size=1, max_size=16).filter(
    lambda text: "{" in text or "}" in text
)


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language(ENGLISH)


def _envelope(payload_type: str) -> bytes:
    """One signature of the right sizes, so the payload type is the first thing refused."""
    signature = {
        "keyid": "",
        "publicKey": base64.b64encode(bytes(32)).decode(),
        "sig": base64.b64encode(bytes(64)).decode(),
    }
    return json.dumps(
        {"payload": "e30=", "payloadType": payload_type, "signatures": [signature]}
    ).encode()


@pytest.mark.parametrize("language", [ENGLISH, PSEUDO])
@settings(max_examples=30, deadline=None)
@given(payload_type=BRACED)
def test_a_forged_payload_type_is_named_as_it_is(language: str, payload_type: str) -> None:
    set_language(language)
    with pytest.raises(AttestationInvalid) as caught:
        verify_bytes(_envelope(payload_type))
    assert repr(payload_type) in caught.value.message


def test_a_policy_signature_names_its_reason_without_the_attestation_words_around_it() -> None:
    """signed.py reuses the envelope's reasons inside its own sentence: the words "This
    attestation is not valid: ...", in whatever language they were made, are taken off."""
    with pytest.raises(ValueError) as caught:
        check_signature(b'{"payloadType": "x", "signatures": []}', b"")
    assert str(caught.value) == "the envelope has no 'payload'"
    set_language(PSEUDO)
    with pytest.raises(ValueError) as caught:
        check_signature(b'{"payloadType": "x", "signatures": []}', b"")
    reason = str(caught.value)
    assert reason.startswith("⟦") and "'payload'" in reason
    assert "áttéstátîøñ" not in reason  # the pseudo "attestation" of the words around it
