"""Signed receipts for the receipt-text and PDF tests, with names chosen to be hostile."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from audit.attestation import (
    Attester,
    Signer,
    VerifiedAttestation,
    attest,
    report_noncompliance,
    verify_file,
    write_receipt,
)
from audit.model import FindingStatus
from tests.audit.attestation import builders as b

HOSTILE_NAME = '<b>Tik</b>Tok <img src="file:///etc/passwd"> & Co \u202eexe.kcot'
HOSTILE_PERSON = Attester(name='<i>Ana</i> O\'Neil & "Bob"', staff_id="S-<1>")


def hostile_before():  # type: ignore[no-untyped-def]
    tiktok = replace(b.TIKTOK_WORK, name=HOSTILE_NAME)
    before = b.before()
    findings = (b.finding(tiktok, b.TIKTOK), *before.findings[1:])
    return replace(before, findings=findings, scan=replace(before.scan, apps=(tiktok,)))


def signed_receipt(folder: Path, *, compliant: bool = True) -> tuple[VerifiedAttestation, Signer]:
    signer = Signer.generate()
    before = hostile_before()
    actions = b.actions()
    if compliant:
        envelope = attest(
            before=before,
            after=b.after_clean(),
            actions=actions,
            attester=HOSTILE_PERSON,
            statement_text=f"I removed {HOSTILE_NAME}.",
            signer=signer,
        )
    else:
        left = b.after_tiktok_left()
        assert left.findings[0].status is FindingStatus.VIOLATION
        envelope = report_noncompliance(
            before=before, after=left, actions=actions, attester=HOSTILE_PERSON, signer=signer
        )
    path = folder / "receipt.json"
    write_receipt(envelope, path)
    return verify_file(path), signer
