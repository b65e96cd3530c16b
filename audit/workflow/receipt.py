"""Signing a receipt: sign, write it atomically, read it back through verify, draw its PDF.

The command line and the window both sign through `sign_and_write`, so a receipt is made one
way whoever asks: the file on disk is verified before anyone is told it exists (it proves the
bytes written are the bytes signed). The PDF is drawn by Qt, which audit/ never imports, so the
caller hands in a writer; the window calls `write_pdf` itself on its GUI thread (Qt's text layout
needs an event loop), the command line lets `DeviceAudit.sign` call it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from audit.attestation import (
    Attester,
    Envelope,
    SigningKey,
    UsbDebugging,
    VerifiedAttestation,
    attest,
    report_noncompliance,
    verify_file,
    write_receipt,
)
from audit.i18n import N_, _
from audit.model import ActionResult, Assessment

if TYPE_CHECKING:
    from audit.attestation.receipt_text import ReceiptContent

PdfWriter = Callable[["ReceiptContent", Path], None]


@dataclass(frozen=True)
class Signed:
    """A receipt written and verified from its file."""

    path: Path
    envelope: Envelope
    verified: VerifiedAttestation


def sign_and_write(
    *,
    before: Assessment,
    after: Assessment,
    actions: Sequence[ActionResult],
    attester: Attester,
    statement: str,
    signer: SigningKey,
    path: Path,
    report: bool = False,
    usb_debugging: UsbDebugging | None = None,
    now: datetime | None = None,
) -> Signed:
    """Sign an attestation (or, with `report`, a non-compliance report), write it to `path`
    atomically and verify the file. AttestationRefused when it may not be signed."""
    sign = report_noncompliance if report else attest
    envelope = sign(
        before=before,
        after=after,
        actions=actions,
        attester=attester,
        signer=signer,
        statement_text=statement,
        usb_debugging=usb_debugging,
        now=now,
    )
    write_receipt(envelope, path)
    return Signed(path, envelope, verify_file(path))


@dataclass(frozen=True)
class Pdf:
    """The receipt's readable copy: where it is, or why there is none, in words."""

    path: Path | None
    problem: str = ""


NO_PDF_WRITER = N_(
    "PDF skipped: the desktop part of Device Audit (Qt) is not available here. The signed "
    "receipt is the record; its PDF can be made later on a computer with the app."
)


def write_pdf(verified: VerifiedAttestation, receipt: Path, writer: PdfWriter | None) -> Pdf:
    """Draw the PDF beside the receipt. A PDF that cannot be drawn never costs the receipt: the
    signed file is the record, and that is what the words say."""
    from audit.attestation.receipt_text import receipt_content

    if writer is None:
        return Pdf(None, _(NO_PDF_WRITER))
    pdf = receipt.with_suffix(".pdf")
    try:
        writer(receipt_content(verified, file_name=receipt.name), pdf)
    except ImportError as error:
        return Pdf(
            None,
            _(
                "PDF skipped: Qt (PySide6) could not be loaded ({problem}). The signed receipt is "
                "the record."
            ).format(problem=error),
        )
    except OSError as error:
        return Pdf(
            None,
            _(
                "The PDF could not be written ({problem}). The signed receipt is the record; its "
                "PDF can be made again later."
            ).format(problem=error.strerror or error),
        )
    return Pdf(pdf)
