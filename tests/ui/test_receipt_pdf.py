"""The PDF receipt: written with Qt's PDF writer, read back with pdftotext."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import pytest

from audit.attestation.receipt_text import receipt_content
from audit.text import visible
from tests.audit.remediation.receipts import HOSTILE_NAME, signed_receipt
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from ui.receipt_pdf import receipt_html, write_receipt_pdf

ROOT = Path(__file__).resolve().parents[2]
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="no pdftotext")


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


def squash(text: str) -> str:
    """One line, and the typesetter's ligatures (ﬁ) back to letters."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@needs_pdftotext
def test_pdf_shows_hostile_names_literally(tmp_path: Path) -> None:
    receipt, signer = signed_receipt(tmp_path)
    content = receipt_content(receipt, file_name="receipt.json")
    pdf = tmp_path / "receipt.pdf"
    write_receipt_pdf(content, pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = squash(pdf_text(pdf))
    shown = squash(visible(HOSTILE_NAME, keep="\n"))
    assert '<b>Tik</b>Tok <img src="file:///etc/passwd"> & Co' in text
    assert "\\u202eexe.kcot" in shown and "\\u202eexe.kcot" in text
    assert '<i>Ana</i> O\'Neil & "Bob" (staff id S-<1>)' in text
    assert "attestation of compliance" in text
    assert signer.display_fingerprint in text
    assert "device-audit verify receipt.json" in text
    assert not list(tmp_path.glob(".receipt.pdf.*"))  # no temporary file left behind


def test_markup_in_values_is_escaped_in_the_document(tmp_path: Path) -> None:
    receipt, _ = signed_receipt(tmp_path)
    document = receipt_html(receipt_content(receipt))
    assert "<img" not in document
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in document
    assert "<i>Ana</i>" not in document


@needs_pdftotext
def test_a_noncompliance_report_pdf_says_so(tmp_path: Path) -> None:
    receipt, _ = signed_receipt(tmp_path, compliant=False)
    pdf = tmp_path / "report.pdf"
    write_receipt_pdf(receipt_content(receipt), pdf)
    assert "NON-COMPLIANCE REPORT" in pdf_text(pdf)


def test_pdf_is_written_without_a_display_or_an_application(tmp_path: Path) -> None:
    """The CLI path on a server: no QApplication yet, no DISPLAY; a GUI app is made offscreen."""
    signed_receipt(tmp_path)
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from audit.attestation import verify_file
        from audit.attestation.receipt_text import receipt_content
        from ui.receipt_pdf import write_receipt_pdf
        from PySide6.QtCore import QCoreApplication
        assert QCoreApplication.instance() is None
        write_receipt_pdf(receipt_content(verify_file({str(tmp_path / "receipt.json")!r})),
                          Path({str(tmp_path / "headless.pdf")!r}))
        print(QCoreApplication.instance().platformName())
        """
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "offscreen"
    assert (tmp_path / "headless.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.adb
@needs_pdftotext
@pytest.mark.usefixtures("memory_keyring")
def test_the_attest_command_writes_the_pdf_through_mains_hook(
    sim_phone, adb_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import main

    phone = sim_phone("oem-preinstalled-tiktok")
    device = ["--device", phone.address, "--adb-port", str(adb_server.port)]
    policy = ["--policy", "nz-parliament-2023", "--date", "2023-03-28"]
    assert main.main(["remove", *device, *policy, "--yes"]) == 0
    out = tmp_path / "receipt.json"
    who = ["--name", "Aroha Ngata", "--staff-id", "PS-1042", "--technician", "Tom Tech"]
    code = main.main(["attest", *device, *policy, *who, "--accept-statement", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert f"Readable copy written to {tmp_path / 'receipt.pdf'}." in printed
    text = squash(pdf_text(tmp_path / "receipt.pdf"))
    assert "Aroha Ngata (staff id PS-1042)" in text
    assert "Tom Tech, on the person's behalf" in text
    assert "I, Tom Tech, audited the phone with serial" in text
    assert "removed for this user" in text
    assert "device-audit verify receipt.json" in text


@needs_pdftotext
def test_a_demo_receipt_pdf_says_so_on_its_first_line(tmp_path: Path) -> None:
    from audit.attestation import Signer, attest, verify_file, write_receipt
    from tests.audit.attestation import builders as b

    write_receipt(attest(**b.demo_clean(signer=Signer.generate())), tmp_path / "r.json")
    pdf = tmp_path / "demo.pdf"
    write_receipt_pdf(receipt_content(verify_file(tmp_path / "r.json")), pdf)
    first = squash(pdf_text(pdf)).split("Device Audit: attestation")[0]
    assert "SIMULATED DEMO RECEIPT: made on Device Audit's demo phone, not a record of a real" in (
        first
    )
