"""Attest only what a complete rescan shows compliant; else a marked non-compliance report."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from audit.attestation import (
    Attester,
    Signer,
    StatementKind,
    attest,
    report_noncompliance,
    verify_bytes,
    verify_file,
    write_receipt,
)
from audit.errors import AttestationRefused
from audit.model import Assessment, DeviceStatus
from tests.audit.attestation import builders as b
from tests.helpers.memkeyring import MemoryKeyring


def make(after: Assessment, signer: Signer, **overrides: object) -> bytes:
    return attest(**b.clean(after=after, signer=signer, **overrides)).to_file_bytes()


def test_attestation_signed_with_the_keyring_key_verifies(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    signer = Signer.from_keyring()
    envelope = attest(**b.clean(signer=signer, usb_debugging="confirmed"))
    path = tmp_path / "receipt.json"
    write_receipt(envelope, path)
    verified = verify_file(path)
    assert verified.signer == signer.fingerprint == Signer.from_keyring().fingerprint
    assert verified.display_signer == signer.display_fingerprint
    assert verified.kind is StatementKind.ATTESTATION
    assert verified.compliant
    assert verified.status is DeviceStatus.COMPLIANT
    assert (verified.device_id, verified.device_name) == (b.PHONE.id, b.PHONE.name)
    assert (verified.policy_id, verified.policy_sha256) == (b.POLICY.id, b.POLICY.sha256)
    assert verified.attester == b.ATTESTER
    assert verified.statement["predicate"]["usb_debugging"] == "confirmed"
    assert path.read_bytes() == envelope.to_file_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["receipt.json"]  # no temp file left


def test_write_receipt_replaces_an_old_file_whole(signer: Signer, tmp_path: Path) -> None:
    path = tmp_path / "receipt.json"
    path.write_text("old content that is much longer than nothing" * 200)
    envelope = attest(**b.clean(signer=signer))
    write_receipt(envelope, path)
    assert verify_file(path).signer == signer.fingerprint


def test_exempted_app_can_be_attested(signer: Signer) -> None:
    signed = make(b.after_tiktok_exempted(), signer, now=b.T0 + timedelta(minutes=10))
    verified = verify_bytes(signed)
    assert verified.status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS
    assert verified.compliant
    assert verified.statement["predicate"]["exemptions"][0]["id"] == "EX-7"


def test_refused_while_a_violation_remains(signer: Signer) -> None:
    with pytest.raises(AttestationRefused) as caught:
        make(b.after_tiktok_left(), signer)
    assert caught.value.message == (
        "The device cannot be attested as compliant yet: TikTok is still installed in the Work "
        "profile."
    )
    assert "non-compliance report" in caught.value.next_step


def test_refused_when_the_last_scan_was_incomplete(signer: Signer) -> None:
    with pytest.raises(AttestationRefused, match=r"could not read everything \(user 10\)"):
        make(b.after_clean(complete=False), signer)


def test_refused_when_an_action_came_after_the_rescan(signer: Signer) -> None:
    late = tuple(replace(a, at=b.T0 + timedelta(hours=1)) for a in b.actions())
    with pytest.raises(AttestationRefused, match="after the last scan started"):
        make(b.after_clean(), signer, actions=late)


def test_refused_without_a_name_or_statement(signer: Signer) -> None:
    with pytest.raises(AttestationRefused, match="needs the person's name and staff id"):
        make(b.after_clean(), signer, attester=Attester(name=" ", staff_id=""))
    with pytest.raises(AttestationRefused, match="needs the statement"):
        make(b.after_clean(), signer, statement_text="  ")


@pytest.mark.parametrize(
    ("after", "status"),
    [
        (b.after_tiktok_left(), DeviceStatus.NON_COMPLIANT),
        (b.after_clean(complete=False), DeviceStatus.INCOMPLETE),
    ],
)
def test_noncompliance_report_is_signed_and_clearly_marked(
    signer: Signer, after: Assessment, status: DeviceStatus
) -> None:
    envelope = report_noncompliance(
        before=b.before(),
        after=after,
        actions=b.actions(),
        attester=Attester("Aroha Ngata", "PS-1042", technician="Sam Helpdesk"),
        signer=signer,
    )
    verified = verify_bytes(envelope.to_file_bytes())
    assert verified.kind is StatementKind.NONCOMPLIANCE_REPORT
    assert verified.status is status
    assert not verified.compliant
    assert verified.statement["predicate"]["kind"] == "noncompliance_report"
    assert verified.attester.technician == "Sam Helpdesk"


def test_noncompliance_report_refused_for_a_compliant_device(signer: Signer) -> None:
    with pytest.raises(AttestationRefused, match="nothing to report as non-compliant"):
        report_noncompliance(
            before=b.before(),
            after=b.after_clean(),
            actions=b.actions(),
            attester=b.ATTESTER,
            signer=signer,
        )


def test_nothing_is_signed_for_scans_of_two_devices(signer: Signer) -> None:
    for make_one in (attest, report_noncompliance):
        with pytest.raises(AttestationRefused, match="the first scan is of android:OTHER"):
            make_one(  # type: ignore[operator]
                before=b.other_device(b.before()),
                after=b.after_tiktok_left(),
                actions=(),
                attester=b.ATTESTER,
                statement_text=b.STATEMENT,
                signer=signer,
            )
