"""The readable receipt content: every line comes from the verified file, as plain text."""

from __future__ import annotations

from pathlib import Path

from audit.attestation.receipt_text import receipt_content
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
    assert tiktok[1:] == ("Work profile (10)", "installed", "gone", "resolved")
    actions = content.actions.rows
    assert [row[3] for row in actions] == ["done", "done"]
    assert actions[0][1] == f"Uninstall {HOSTILE_NAME}"  # the app's name, not its package
    assert actions[0][2] == "Work profile (10)"
    first = next(s for s in content.sections if s.title.startswith("First scan"))
    assert {line.label for line in first.lines} == {"Scanned", "Status then", "Inventory digest"}
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
