"""The day a receipt judges cannot be bent: an exemption that has expired by the day of signing
never makes a receipt "compliant with exceptions" (whatever `attest --date` says), and verify
says plainly when a receipt was judged as of another day than it was signed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from audit.attestation import Attester, Signer, attest, write_receipt
from audit.cli import main
from audit.errors import AttestationRefused
from tests.audit.store import factory as f
from tests.helpers.nz_tiktok import STATEMENT

DAY = date(2023, 3, 28)
ATTESTER = Attester(name=f.AROHA.name, staff_id=f.AROHA.staff_id)


@pytest.mark.parametrize("signed_after", [1, 30])
def test_an_exemption_expired_by_the_signing_day_never_makes_it_compliant_with_exceptions(
    signer: Signer, signed_after: int
) -> None:
    phone = f.phone("R58M123ABC")
    before, after, actions = f.audit_inputs(
        phone, f.AROHA, f.Outcome.EXCEPTED, day=DAY, exemption_expires=DAY
    )
    with pytest.raises(AttestationRefused, match=r"EX-PS-1042 \(expired 2023-03-28\)"):
        attest(
            before=before,
            after=after,
            actions=actions,
            attester=ATTESTER,
            statement_text=STATEMENT,
            signer=signer,
            now=f.noon(DAY + timedelta(days=signed_after)),
        )
    # Signed on its last day, it is still an exception that holds.
    attest(
        before=before,
        after=after,
        actions=actions,
        attester=ATTESTER,
        statement_text=STATEMENT,
        signer=signer,
        now=f.noon(DAY),
    )


def test_verify_says_plainly_a_receipt_was_judged_as_of_another_day(
    signer: Signer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, after, actions = f.audit_inputs(f.phone("R58M1"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    for name, signed in (("same.json", DAY), ("later.json", DAY + timedelta(days=20))):
        envelope = attest(
            before=before,
            after=after,
            actions=actions,
            attester=ATTESTER,
            statement_text=STATEMENT,
            signer=signer,
            now=f.noon(signed),
        )
        write_receipt(envelope, tmp_path / name)
    assert main(["verify", str(tmp_path / "later.json"), str(tmp_path / "same.json")]) == 0
    later, same = capsys.readouterr().out.split("\n\n")[:2]
    assert "judged    as of 2023-03-28, NOT the day it was signed" in later
    assert "judged" not in same


def test_the_readable_copy_says_judged_as_of_another_day(signer: Signer) -> None:
    from audit.attestation import verify_bytes
    from audit.attestation.receipt_text import receipt_content

    before, after, actions = f.audit_inputs(f.phone("R58M2"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    lines = {}
    for signed in (DAY, DAY + timedelta(days=20)):
        envelope = attest(
            before=before,
            after=after,
            actions=actions,
            attester=ATTESTER,
            statement_text=STATEMENT,
            signer=signer,
            now=f.noon(signed),
        )
        content = receipt_content(verify_bytes(envelope.to_file_bytes()))
        lines[signed] = {line.label: line.value for s in content.sections for line in s.lines}
    assert "Judged as of" not in lines[DAY]
    assert lines[DAY + timedelta(days=20)]["Judged as of"] == (
        "2023-03-28, NOT the day it was signed"
    )
