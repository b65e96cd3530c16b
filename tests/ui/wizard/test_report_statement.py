"""The statement of a signed non-compliance report: who reports, for whom, about what (the words
a person signs, issue 17 moved them into the catalogue)."""

from __future__ import annotations

from audit.attestation import Attester
from tests.ui.samples import DAY, assess, phone_scan
from ui.wizard.texts import report_statement


def test_a_staff_members_own_report_names_them_once() -> None:
    text = report_statement(Attester("Anna Smith", "S1234"), assess(phone_scan()), DAY, ())
    assert text.startswith("I, Anna Smith (staff id S1234), report that ")
    assert "the check could not show it." in text


def test_a_technicians_report_names_both_with_one_comma_between_the_phrases() -> None:
    attester = Attester("Anna Smith", "S1234", technician="Tom Tech")
    reasons = ("TikTok is still there.",)
    text = report_statement(attester, assess(phone_scan()), DAY, reasons)
    assert text.startswith(
        "I, Tom Tech, on behalf of Anna Smith (staff id S1234), report that the phone Galaxy S21"
    )
    assert ",," not in text  # the phrase used to end with a comma of its own
    assert f"compliant: {reasons[0]} This report is signed" in text
    assert f"on {DAY.isoformat()} against the policy" in text
