"""The signed statement says which language the person read and signed (issue 17): the receipt
records it, verification and import accept any language, and the receipt's words are written in
the language it records, whatever the reader's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.attestation import Signer, attest, verify_bytes, verify_file, write_receipt
from audit.attestation.dsse import Envelope, sign
from audit.attestation.receipt_text import receipt_content, receipt_language
from audit.attestation.statement import build_statement, canonical_json
from audit.i18n import ENGLISH, FRENCH, PSEUDO, set_language
from audit.remediation import statement_for
from audit.store import ImportResult, Store
from tests.audit.attestation import builders as b
from tests.helpers.nz_tiktok import POLICY

SIGNED_AT = b.T0 + timedelta(minutes=10)
SIGNER = Signer.generate()


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language(ENGLISH)


def _statement_in(code: str) -> str:
    set_language(code)
    return statement_for(b.ATTESTER, b.PHONE, POLICY, b.DAY)


def _signed_in(code: str, signer: Signer) -> Envelope:
    """A clean attestation whose statement was shown and signed in `code`."""
    text = _statement_in(code)
    return attest(**b.clean(statement_text=text, signer=signer, now=SIGNED_AT))


def _signed_with(language: Any, signer: Signer) -> Envelope:
    """A clean attestation whose predicate.language is `language` (absent when it is ...)."""
    arguments = b.clean(now=SIGNED_AT)
    statement = build_statement(**arguments)
    if language is ...:
        del statement["predicate"]["language"]
    else:
        statement["predicate"]["language"] = language
    return sign(canonical_json(statement), signer)


def test_a_statement_signed_in_french_records_french() -> None:
    signer = Signer.generate()
    verified = verify_bytes(_signed_in(FRENCH, signer).to_file_bytes())
    assert verified.statement["predicate"]["language"] == "fr_CA"
    assert receipt_language(verified) == FRENCH
    set_language(ENGLISH)  # the reader's language does not change what the receipt says
    assert receipt_content(verified).language == FRENCH


def test_an_english_statement_records_english_and_the_pseudo_language_is_not_signed() -> None:
    signer = Signer.generate()
    english = verify_bytes(_signed_in(ENGLISH, signer).to_file_bytes())
    assert english.statement["predicate"]["language"] == "en"
    pseudo = verify_bytes(_signed_in(PSEUDO, signer).to_file_bytes())
    assert pseudo.statement["predicate"]["language"] == "en"  # a test language, never a record


@pytest.mark.parametrize(
    ("recorded", "shown_in"),
    [
        (..., ENGLISH),  # a receipt made before the language was recorded: English
        ("fr_CA", FRENCH),
        ("fr", FRENCH),
        ("de_DE", ENGLISH),  # a language this version has no words for: verified, English
        ("pseudo", ENGLISH),  # the test language is never a record's
        ("", ENGLISH),
        (42, ENGLISH),  # not text: the receipt still verifies; its words are English
        (None, ENGLISH),
    ],
)
def test_any_recorded_language_verifies_and_imports(
    recorded: Any, shown_in: str, tmp_path: Path
) -> None:
    signer = Signer.generate()
    path = tmp_path / "receipt.json"
    write_receipt(_signed_with(recorded, signer), path)
    verified = verify_file(path)
    assert receipt_language(verified) == shown_in
    assert receipt_content(verified).language == shown_in
    with Store(tmp_path / "history.sqlite3") as store:
        report = store.import_files([path])
    assert [o.result for o in report.outcomes] == [ImportResult.IMPORTED], report.outcomes


def test_a_french_receipt_reads_in_french_for_an_english_reader() -> None:
    """Needs the French catalogue (resources/locale/fr_CA), merged by the lead (issue 17)."""
    signer = Signer.generate()
    verified = verify_bytes(_signed_in(FRENCH, signer).to_file_bytes())
    set_language(ENGLISH)
    text = receipt_content(verified, file_name="recu.json").to_text()
    assert (
        "Je soussigné(e), Aroha Ngata (numéro d'employé PS-1042), ai vérifié le téléphone" in text
    )
    assert "le 28 mars 2023 selon la politique «" in text
    assert "Déclaration acceptée" in text and "Statement agreed to" not in text
    assert "Vérifiez avec : device-audit verify recu.json" in text
    assert "28 mars 2023 à 9 h 10 UTC" in text  # when it was signed, as French writes it


def test_an_english_receipt_reads_in_english_for_a_french_reader() -> None:
    signer = Signer.generate()
    verified = verify_bytes(_signed_in(ENGLISH, signer).to_file_bytes())
    set_language(FRENCH)
    text = receipt_content(verified, file_name="r.json").to_text()
    assert "I, Aroha Ngata (staff id PS-1042), checked the phone" in text
    assert "Statement agreed to" in text and "2023-03-28 09:10 UTC" in text
    assert "Verify with: device-audit verify r.json" in text


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recorded=JSON | st.sampled_from(["fr_CA.UTF-8", "FR", "fr-BE", "en_NZ", "fr\u202e", " fr "]))
def test_whatever_a_receipt_says_its_language_is_it_verifies_and_reads_in_one_of_ours(
    recorded: Any,
) -> None:
    """The language is read from the signed file: any value verifies and is shown in English or
    French, never an error and never the test language."""
    verified = verify_bytes(_signed_with(recorded, SIGNER).to_file_bytes())
    shown = receipt_language(verified)
    assert shown in (ENGLISH, FRENCH)
    content = receipt_content(verified)
    assert content.language == shown and content.to_text()


def test_the_receipts_times_in_french_read_a_time_without_an_offset_as_utc() -> None:
    """A signed time always has its offset; one written without (a hand-made file) is UTC,
    never the reader's local time."""
    arguments = b.clean(now=SIGNED_AT)
    statement = build_statement(**arguments, statement_language="fr_CA")
    statement["predicate"]["rescan"]["finished_at"] = "2023-03-28T09:05:00"
    verified = verify_bytes(sign(canonical_json(statement), SIGNER).to_file_bytes())
    assert "28 mars 2023 à 9 h 05 UTC" in receipt_content(verified).to_text()
