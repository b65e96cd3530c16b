"""A receipt judged before a rule was announced keeps DeepSeek on the phone, and the history
counts the device compliant forever after, although the receipt itself lists DeepSeek as there.

How a person does it: New Zealand Parliament's 2025 preset bans TikTok (since 2023) and DeepSeek
(announced 20 Feb 2025, deadline the same day). The staff member removes TikTok, keeps DeepSeek,
and has their phone attested on 19 Feb 2025: the honest app judges DeepSeek "not banned on this
day" (a review finding), so the receipt says Compliant. Or, later, they set their laptop's clock
back to 19 Feb 2025 before running `attest` (the judged day is then the signed day, so nothing
says "--date"; the import only prints a note "judged ... before the policy was announced"). The
helpdesk imports it in 2026: the history, the dashboard and the export count the device
compliant, with DeepSeek installed and its rule in force for almost two years. The receipt
says DeepSeek was installed, and the history knows the rule's date: it has everything it needs
to see that this audit no longer shows the device meeting the policy.

What the product should do: an audit whose findings include an app of a rule that was not yet
in force on its day, and is in force now, counts as not compliant (overdue after that rule's
deadline) with a trust note, or is re-judged from its findings, in the history, dashboard and
export alike; it is never counted compliant past the rule's announcement.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from audit.attestation import Attester, Signer, attest, write_receipt
from audit.model import (
    DeviceStatus,
    FindingStatus,
    IdentifierKind,
    InstalledApp,
)
from audit.policy import load_policy
from audit.policy.evaluate import evaluate
from audit.store import HistoryFilter, ImportResult, Store
from tests.audit.store import factory as f
from tests.helpers.nz_tiktok import STATEMENT

POLICY_ID = "nz-parliament-2025"
DAY_BEFORE = date(2025, 2, 19)  # DeepSeek's rule: announced and due on 20 Feb 2025
DEEPSEEK = InstalledApp(
    identifier="com.deepseek.chat",
    kind=IdentifierKind.ANDROID_PACKAGE,
    name="DeepSeek",
    user="0",
)


def _receipt(tmp_path: Path) -> Path:
    policy = load_policy(POLICY_ID)
    device = f.phone("R58MDEEPSEEK")
    at = datetime.combine(DAY_BEFORE, time(10, 0), tzinfo=UTC)
    before_scan = f.scan(device, at, tiktok_there=False)
    before_scan = replace(before_scan, apps=(DEEPSEEK,))
    after_scan = replace(
        before_scan, started_at=at + timedelta(minutes=5), finished_at=at + timedelta(minutes=6)
    )
    before = evaluate(before_scan, policy, day=DAY_BEFORE, person=f.AROHA.staff_id)
    after = evaluate(after_scan, policy, day=DAY_BEFORE, person=f.AROHA.staff_id)
    # The honest app's verdict on that day: compliant, DeepSeek left "for review".
    assert after.status is DeviceStatus.COMPLIANT
    assert [x.status for x in after.findings] == [FindingStatus.REVIEW]
    envelope = attest(
        before=before,
        after=after,
        actions=(),
        attester=Attester(name=f.AROHA.name, staff_id=f.AROHA.staff_id),
        statement_text=STATEMENT,
        signer=Signer.generate(),
        now=at + timedelta(minutes=7),
    )
    folder = tmp_path / "in"
    folder.mkdir()
    write_receipt(envelope, folder / "aroha.json")
    return folder


def _check_store(store: Store, folder: Path) -> None:
    [outcome] = store.import_folder(folder).outcomes
    assert outcome.result is ImportResult.IMPORTED, outcome.reason
    [row] = store.export_rows()
    assert row.recorded_status not in ("compliant", "compliant_with_exceptions"), (
        "the export counts the phone with DeepSeek compliant: " + repr(row)
    )
    [summary] = store.history(HistoryFilter())
    assert summary.status not in (DeviceStatus.COMPLIANT, DeviceStatus.COMPLIANT_WITH_EXCEPTIONS)
    board = store.dashboard(POLICY_ID, today=datetime.now(UTC).date())
    assert board.counts.compliant == 0, board


def test_a_receipt_from_before_deepseek_was_banned_does_not_count_compliant_today(
    tmp_path: Path,
) -> None:
    folder = _receipt(tmp_path)
    with Store(tmp_path / "history.sqlite3") as store:
        _check_store(store, folder)
