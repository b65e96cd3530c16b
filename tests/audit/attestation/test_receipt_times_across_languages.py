"""A receipt's signed times are the same moment whatever language its words are in (issue 17).

English wrote a signed time as the characters the file holds, French converted it to UTC: a
receipt whose time carries another offset (a hand-made or another tool's file, signed with a
valid key) read "22:05 UTC" in English and "9 h 05 UTC" in French for one moment. Both now say
the moment in UTC; a time written in UTC, as Device Audit writes them, reads as it always did.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from audit.attestation import Signer, verify_bytes
from audit.attestation.dsse import sign
from audit.attestation.receipt_text import receipt_content
from audit.attestation.statement import build_statement, canonical_json
from audit.i18n import ENGLISH, set_language
from tests.audit.attestation import builders as b

SIGNER = Signer.generate()


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language(ENGLISH)


def _receipt_text(language: str, finished_at: str) -> str:
    statement = build_statement(**b.clean(now=b.T0 + timedelta(minutes=10)))
    statement["predicate"]["language"] = language
    statement["predicate"]["rescan"]["finished_at"] = finished_at
    verified = verify_bytes(sign(canonical_json(statement), SIGNER).to_file_bytes())
    return receipt_content(verified).to_text()


def test_a_time_with_another_offset_is_the_same_utc_moment_in_english_and_french() -> None:
    written = "2023-03-28T22:05:00+13:00"  # 09:05 UTC
    assert "2023-03-28 09:05 UTC" in _receipt_text("en", written)
    assert "22:05 UTC" not in _receipt_text("en", written)
    assert "28 mars 2023 à 9 h 05 UTC" in _receipt_text("fr_CA", written)


@pytest.mark.parametrize(
    "written", ["2023-03-28T09:05:00+00:00", "2023-03-28T09:05:00.123456+00:00", "2023-03-28T09:05"]
)
def test_a_time_written_in_utc_reads_in_english_as_it_always_did(written: str) -> None:
    assert "2023-03-28 09:05 UTC" in _receipt_text("en", written)


def test_text_that_is_not_a_time_is_shown_as_the_file_holds_it_in_both_languages() -> None:
    for language in ("en", "fr_CA"):
        assert "not a time UTC" in _receipt_text(language, "not a time")
