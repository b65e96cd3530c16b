"""The readable receipt content: every line comes from the verified file, as plain text."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from audit.attestation import (
    Signer,
    VerifiedAttestation,
    attest,
    report_noncompliance,
    verify_file,
    write_receipt,
)
from audit.attestation.dsse import Envelope
from audit.attestation.receipt_text import (
    SIMULATED_LINE,
    ReceiptContent,
    finding_status_words,
    receipt_content,
)
from tests.audit.attestation import builders as b
from tests.audit.remediation.receipts import HOSTILE_NAME, signed_receipt


def test_attestation_content_names_who_what_and_how_to_verify(tmp_path: Path) -> None:
    receipt, signer = signed_receipt(tmp_path)
    content = receipt_content(receipt, file_name="receipt.json")
    assert content.compliant
    assert content.title == "Device Audit: attestation of compliance"
    assert content.fingerprint == signer.display_fingerprint
    assert content.verify_hint == "Verify with: device-audit verify receipt.json"
    summary = {line.label: line.value for line in content.sections[0].lines}
    assert summary["Status"] == "Compliant"
    assert summary["Person"] == '<i>Ana</i> O\'Neil & "Bob" (staff id S-<1>)'
    rows = {row[0]: row for row in content.findings.rows}
    tiktok = rows[f"{HOSTILE_NAME} (com.zhiliaoapp.musically)"]
    assert tiktok[1:] == ("Work profile", "installed", "gone", "resolved")
    actions = content.actions.rows
    assert [row[3] for row in actions] == ["done", "done"]
    assert actions[0][1] == f"Uninstall {HOSTILE_NAME}"  # the app's name, not its package
    assert actions[0][2] == "Work profile"
    first = next(s for s in content.sections if s.title.startswith("First scan"))
    assert {line.label for line in first.lines} == {"Scanned", "Status then"}
    statement = next(s for s in content.sections if s.title == "Statement agreed to")
    assert statement.text == f"I removed {HOSTILE_NAME}."
    text = content.to_text()
    assert HOSTILE_NAME in text and signer.display_fingerprint in text


def test_a_noncompliance_report_says_so_loudly(tmp_path: Path) -> None:
    receipt, _ = signed_receipt(tmp_path, compliant=False)
    content = receipt_content(receipt)
    assert not content.compliant
    assert content.kind_line.startswith("NON-COMPLIANCE REPORT")
    assert "banned, still there" in {row[4] for row in content.findings.rows}


def verified(folder: Path, envelope: Envelope) -> VerifiedAttestation:
    path = folder / "receipt.json"
    write_receipt(envelope, path)
    return verify_file(path)


def lines(content: ReceiptContent, title: str) -> dict[str, str]:
    section = next(s for s in content.sections if s.title == title)
    return {line.label: line.value for line in section.lines}


def test_a_demo_receipt_says_it_is_a_demo_before_anything_else(tmp_path: Path) -> None:
    demo = receipt_content(verified(tmp_path, attest(**b.demo_clean(signer=Signer.generate()))))
    assert demo.simulated_line == SIMULATED_LINE
    assert demo.to_text().startswith("SIMULATED DEMO RECEIPT: made on Device Audit's demo phone")
    assert "SIMULATED DEMO" in demo.title
    real = receipt_content(verified(tmp_path, attest(**b.clean(signer=Signer.generate()))))
    assert real.simulated_line == "" and "SIMULATED" not in real.to_text()


def test_a_banned_app_is_found_by_the_first_check_and_still_there_after_a_rescan(
    tmp_path: Path,
) -> None:
    first_only = report_noncompliance(
        before=b.before(),
        after=b.before(),
        actions=(),
        attester=b.ATTESTER,
        signer=Signer.generate(),
    )
    results = {row[4] for row in receipt_content(verified(tmp_path, first_only)).findings.rows}
    assert results == {"banned, found"}
    assert finding_status_words("violation", rescan=False) == "banned, found"
    assert finding_status_words("violation", rescan=True) == "banned, still there"
    assert finding_status_words("resolved", rescan=True) == "resolved"


def test_profiles_have_their_names_and_a_user_known_only_by_id_its_number(
    tmp_path: Path,
) -> None:
    content = receipt_content(verified(tmp_path, attest(**b.clean(signer=Signer.generate()))))
    users = {row[0].split(" (")[0]: row[1] for row in content.findings.rows}
    assert users == {"TikTok": "Work profile", "CapCut": "Main profile"}
    assert lines(content, "Verifying scan")["Profiles"] == "Main profile, Work profile"
    incomplete = report_noncompliance(
        before=b.before(),
        after=b.after_clean(complete=False),
        actions=b.actions(),
        attester=b.ATTESTER,
        signer=Signer.generate(),
    )
    unreadable = receipt_content(verified(tmp_path, incomplete))
    scan = lines(unreadable, "Verifying scan")
    assert scan["Not read"] == "The Work profile could not be read"
    assert unreadable.technical is not None
    assert "the shell cannot read user 10" in {line.value for line in unreadable.technical.lines}


def test_the_policy_in_plain_words_with_its_fingerprint_among_the_technical_details(
    tmp_path: Path,
) -> None:
    receipt = verified(tmp_path, attest(**b.clean(signer=Signer.generate())))
    content = receipt_content(receipt)
    policy = lines(content, "Policy")
    assert "Policy sha256" not in policy
    assert policy["The policy accepts"] == "the app gone"  # this policy accepts nothing else
    assert content.technical is not None
    technical = {line.label: line.value for line in content.technical.lines}
    assert technical["Policy file fingerprint (sha256)"] == receipt.policy_sha256
    assert content.to_text().index("Technical details") > content.to_text().index("Actions")


def test_a_report_without_a_statement_says_what_to_do_next(tmp_path: Path) -> None:
    report = report_noncompliance(
        before=b.before(),
        after=b.after_tiktok_left(),
        actions=b.actions(),
        attester=b.ATTESTER,
        signer=Signer.generate(),
    )
    content = receipt_content(verified(tmp_path, report))
    titles = [s.title for s in content.sections]
    assert "Statement agreed to" not in titles
    step = next(s for s in content.sections if s.title == "What to do next").text
    assert step.startswith("Remove the banned apps") or step.startswith("The deadline has passed")
    assert "or ask for an exception" in step

    route = "Write to the Clerk, saying why the app is needed."
    policy = replace(b.POLICY, exception_route=route)
    with_route = report_noncompliance(
        before=replace(b.before(), policy=policy),
        after=replace(b.after_tiktok_left(), policy=policy),
        actions=b.actions(),
        attester=b.ATTESTER,
        signer=Signer.generate(),
    )
    content = receipt_content(verified(tmp_path, with_route))
    step = next(s for s in content.sections if s.title == "What to do next").text
    assert f"or ask for an exception: {route}" in step  # the policy's own route, signed in
    assert {row[4] for row in content.findings.rows} >= {"banned, still there"}
