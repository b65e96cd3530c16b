"""What the wizard writes: the signed receipt with its PDF, and a pending exception request.

These run on a worker thread (through ui.ops), so they take plain values, never the live
session. Receipts are never overwritten: each gets a new name. The exception request is a note
for the person who grants exemptions; it is not an exemption and changes no finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from audit.attestation import Attester, Signer, SigningKey, UsbDebugging, VerifiedAttestation
from audit.attestation.keys import replaced_key_words
from audit.i18n import N_, _
from audit.inventory import write_atomic
from audit.model import ActionResult, Assessment, Device, Finding
from audit.paths import data_dir
from audit.progress import CancelCheck, Progress
from audit.workflow import DeviceAudit, Proof, write_pdf
from ui.wizard.texts import where

RECEIPTS_FOLDER = "receipts"
# Shown on the exemptions page and written into the request (a note for a person, in the words
# of the person who saved it, like the rest of the request's sentences).
REQUEST_NOTE = N_(
    "This is a request for an exception, not an exemption. It does not make the device "
    "compliant: the banned apps listed here stay violations until an exemption is granted and "
    "the device is checked again."
)


def default_receipts_dir() -> Path:
    """Where receipts go unless the person chooses another folder."""
    return data_dir() / RECEIPTS_FOLDER


def slug(text: str, limit: int = 40) -> str:
    """A file-name-safe form of a device name (device names are untrusted text)."""
    cleaned = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return cleaned[:limit].strip("-") or "device"


def new_path(folder: Path, stem: str, suffix: str, now: datetime) -> Path:
    """`stem-YYYYMMDD-HHMMSS.suffix` in `folder`, numbered when that name is taken."""
    base = f"{stem}-{now.astimezone(UTC).strftime('%Y%m%d-%H%M%S')}"
    candidate = folder / f"{base}{suffix}"
    number = 2
    while candidate.exists() or candidate.with_suffix(".pdf").exists():
        candidate = folder / f"{base}-{number}{suffix}"
        number += 1
    return candidate


# --- the signed receipt ----------------------------------------------------------------------


@dataclass(frozen=True)
class SignRequest:
    """Everything signing needs, copied from the session on the GUI thread."""

    before: Assessment
    after: Assessment
    actions: tuple[ActionResult, ...]
    attester: Attester
    statement: str
    usb_debugging: UsbDebugging | None
    report: bool  # a signed non-compliance report instead of an attestation
    folder: Path


@dataclass(frozen=True)
class SavedReceipt:
    path: Path
    pdf: Path | None
    pdf_problem: str  # why there is no PDF, in words ("" when there is one)
    fingerprint: str  # the signer's key, in groups of four
    verified: VerifiedAttestation
    key_replaced: str = ""  # the keyring had lost the key: both fingerprints, in words


def sign_and_save(
    removal: DeviceAudit,
    request: SignRequest,
    progress: Progress,
    cancelled: CancelCheck,
    *,
    signer: SigningKey | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SavedReceipt:
    """Sign through the device's workflow (DeviceAudit.sign: sign, write, read back through
    verify, retire the saved removal it holds) under a new name in the request's folder; the
    PDF is with_pdf's job, the history the window's recorder's.

    The key is fetched first: when the keyring cannot be used (KeyringUnavailable,
    SigningKeyDamaged) nothing is signed and nothing is written.
    """
    key = signer if signer is not None else Signer.from_keyring()  # fetched first, as before
    stem = "noncompliance-report" if request.report else "receipt"
    device = request.after.scan.device
    request.folder.mkdir(parents=True, exist_ok=True)
    path = new_path(request.folder, f"{stem}-{slug(device.name or device.serial)}", ".json", now())
    proof = Proof(
        request.before,
        request.after,
        request.actions,
        removal.record,
        removal.pending_path(device),
    )
    receipt = removal.sign(
        proof,
        request.attester,
        request.statement,
        path,
        report=request.report,
        signer=key,
        usb_debugging=request.usb_debugging,
        pdf=False,
        progress=progress,
        cancelled=cancelled,
    )
    verified = receipt.signed.verified
    replaced = replaced_key_words(key)
    return SavedReceipt(path, None, "", receipt.fingerprint, verified, key_replaced=replaced)


def with_pdf(saved: SavedReceipt) -> SavedReceipt:
    """Write the receipt's PDF beside it. On the GUI thread: Qt's text layout starts timers,
    which a worker thread without an event loop cannot run."""
    from ui.receipt_pdf import write_receipt_pdf

    pdf = write_pdf(saved.verified, saved.path, write_receipt_pdf)
    return replace(saved, pdf=pdf.path, pdf_problem=pdf.problem)


# --- a pending exception request -------------------------------------------------------------


@dataclass(frozen=True)
class ExceptionRequest:
    name: str
    staff_id: str
    reason: str
    device: Device
    assessment: Assessment  # the latest check: its violations are what the request is for
    findings: tuple[Finding, ...]


def request_data(request: ExceptionRequest, at: datetime) -> dict[str, object]:
    policy = request.assessment.policy
    scan = request.assessment.scan
    return {
        "kind": "exception_request",
        "status": "pending",
        "note": _(REQUEST_NOTE),
        "requested_at": at.astimezone(UTC).isoformat(),
        "requested_by": {"name": request.name, "staff_id": request.staff_id},
        "reason": request.reason,
        "device": {
            "id": request.device.id,
            "name": request.device.name,
            "serial": request.device.serial,
            "model": request.device.model,
        },
        "policy": {
            "id": policy.id,
            "title": policy.title,
            "sha256": policy.sha256,
            "exception_route": policy.exception_route,
        },
        "apps": [
            {
                "identifier": f.app.identifier,
                "name": f.app.name,
                "user": f.app.user,
                "where": where(scan, f.app.user),
                "rule": f.rule.id,
            }
            for f in request.findings
        ],
    }


def write_request(request: ExceptionRequest, folder: Path, *, at: datetime | None = None) -> Path:
    """Save the request as JSON in `folder` (beside the receipts); returns its path."""
    moment = at or datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    device = request.device
    path = new_path(
        folder, f"exception-request-{slug(device.name or device.serial)}", ".json", moment
    )
    text = json.dumps(request_data(request, moment), indent=2, ensure_ascii=False)
    write_atomic(path, (text + "\n").encode("utf-8"))
    return path
