"""The receipt's PDF is written in the language the receipt records (the language the person
read and signed the statement in), whatever the language of whoever prints it (issue 17)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from audit.attestation import Signer, VerifiedAttestation, attest, verify_file, write_receipt
from audit.attestation.receipt_text import receipt_content
from audit.i18n import ENGLISH, FRENCH, set_language
from audit.remediation import statement_for
from tests.audit.attestation import builders as b
from tests.helpers.nz_tiktok import POLICY
from ui.receipt_pdf import receipt_html, write_receipt_pdf


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language(ENGLISH)


def _receipt_signed_in(code: str, folder: Path) -> VerifiedAttestation:
    set_language(code)
    text = statement_for(b.ATTESTER, b.PHONE, POLICY, b.DAY)
    envelope = attest(
        **b.clean(statement_text=text, signer=Signer.generate(), now=b.T0 + timedelta(minutes=9))
    )
    path = folder / "receipt.json"
    write_receipt(envelope, path)
    return verify_file(path)


def _pdf_title(path: Path, title: str) -> bool:
    """Whether the PDF's document title is `title` (Qt writes it as UTF-16 with a byte-order
    mark in the file's information dictionary)."""
    return b"/Title (" + ("\ufeff" + title).encode("utf-16-be") + b")" in path.read_bytes()


def test_a_receipt_signed_in_english_prints_in_english_for_a_french_reader(
    tmp_path: Path,
) -> None:
    verified = _receipt_signed_in(ENGLISH, tmp_path)
    set_language(FRENCH)  # whoever prints it reads French
    content = receipt_content(verified, file_name="receipt.json")
    page = receipt_html(content)
    assert "Signed by the key with fingerprint" in page
    assert "This PDF is a readable copy." in page
    assert "I, Aroha Ngata (staff id PS-1042), checked the phone" in page
    pdf = tmp_path / "receipt.pdf"
    write_receipt_pdf(content, pdf)
    assert _pdf_title(pdf, "Device Audit: attestation of compliance")


def test_a_receipt_signed_in_french_prints_in_french_for_an_english_reader(
    tmp_path: Path,
) -> None:
    """Needs the French catalogue (resources/locale/fr_CA), merged by the lead (issue 17)."""
    verified = _receipt_signed_in(FRENCH, tmp_path)
    set_language(ENGLISH)
    content = receipt_content(verified, file_name="receipt.json")
    page = receipt_html(content)
    assert "Signé par la clé dont l&#x27;empreinte est" in page  # escaped as every value is
    assert "Ce PDF est une copie lisible." in page
    assert "Déclaration acceptée" in page and "Statement agreed to" not in page
    assert "Je soussigné(e), Aroha Ngata" in page
    pdf = tmp_path / "receipt.pdf"
    write_receipt_pdf(content, pdf)
    assert _pdf_title(pdf, "Device Audit : attestation de conformité")
    if shutil.which("pdftotext"):
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True
        )
        text = " ".join(done.stdout.decode("utf-8").split())
        assert "Déclaration acceptée" in text and "le 28 mars 2023" in text
