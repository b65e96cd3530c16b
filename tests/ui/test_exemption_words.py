"""An exemption that covers a banned app but does not count on the day is named, with its date,
in the details pane (for the person) and in the removal window (for whoever removes it)."""

from __future__ import annotations

from datetime import date

import pytest

from audit.model import FindingStatus
from audit.policy import evaluate, load_policy
from tests.audit.policy.factories import TIKTOK, exemption, scan
from ui.details import reason
from ui.wizard.texts import finding_words

NZ = load_policy("nz-parliament-2023")


@pytest.mark.parametrize(
    ("day", "details", "wizard"),
    [
        (
            date(2023, 7, 1),
            "Your exemption ended on 2023-06-30.",
            "Its exemption (EX-1) ended on 2023-06-30.",
        ),
        (
            date(2023, 3, 10),
            "Your exemption only starts on 2023-03-20.",
            "Its exemption (EX-1) only starts on 2023-03-20.",
        ),
    ],
)
def test_an_exemption_that_does_not_count_that_day_is_named_with_its_date(
    day: date, details: str, wizard: str
) -> None:
    granted = exemption(date(2023, 3, 20), date(2023, 6, 30), id="EX-1")
    (finding,) = evaluate(scan(TIKTOK), NZ, [granted], day=day).findings
    assert finding.status is FindingStatus.VIOLATION and finding.exemption == granted
    assert reason(finding, day).endswith(details)
    assert (
        finding_words(finding, day) == f"Banned under this policy: {finding.rule.title}. {wizard}"
    )
