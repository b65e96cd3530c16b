"""An audit judged before a rule of its policy was announced, listing that rule's app, never
counts compliant in the history (audit.store.rule_dates), on either backend, whichever road it
came by: a receipt imported, or an audit recorded at a bench (the computer's clock set back
before `attest`: the judged day is then the signed day).

New Zealand Parliament's 2025 preset bans TikTok (2023) and DeepSeek (from 20 February 2025).
Judged on 19 February 2025, DeepSeek on the phone is "for review": the receipt says compliant.
The history knows the rule's date and the receipt lists the app, so the audit is held: not
compliant (overdue after the deadline), with a trust note naming the app and the next step.
Honest neighbours are not held: the app gone, a lookalike only a person can judge, a receipt
judged on the rule's own day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from audit.attestation import Attester, Envelope, Signer, attest, write_receipt
from audit.model import (
    AppState,
    Assessment,
    DeviceStatus,
    FindingStatus,
    IdentifierKind,
    InstalledApp,
    Policy,
)
from audit.policy import evaluate, load_policy
from audit.store import HistoryFilter, ImportResult, Store
from audit.store.rule_dates import EARLY_RULE_NOTE
from tests.audit.store import factory as f
from tests.helpers.nz_tiktok import STATEMENT

NZ_2025 = "nz-parliament-2025"
DAY_BEFORE = date(2025, 2, 19)  # DeepSeek's rule: announced and due on 20 February 2025
RULE_DAY = date(2025, 2, 20)
NEXT_STEP = "check the device again under the policy in force"
NOT_COUNTED = (DeviceStatus.COMPLIANT, DeviceStatus.COMPLIANT_WITH_EXCEPTIONS)


def app(identifier: str, name: str, state: AppState = AppState.INSTALLED) -> InstalledApp:
    return InstalledApp(
        identifier=identifier,
        kind=IdentifierKind.ANDROID_PACKAGE,
        name=name,
        user="0",
        state=state,
    )


DEEPSEEK = app("com.deepseek.chat", "DeepSeek")
CAPCUT = app("com.lemon.lvoverseas", "CapCut")


def judged(
    day: date,
    apps: tuple[InstalledApp, ...],
    *,
    policy: Policy | None = None,
    serial: str = "R58MDEEPSEEK",
    person: f.Person = f.AROHA,
) -> tuple[Assessment, Assessment]:
    """The first scan and the rescan of one audit, judged by the real policy engine on `day`."""
    policy = policy or load_policy(NZ_2025)
    at = datetime.combine(day, time(10, 0), tzinfo=UTC)
    first = replace(f.scan(f.phone(serial), at, tiktok_there=False), apps=apps)
    again = replace(
        first, started_at=at + timedelta(minutes=5), finished_at=at + timedelta(minutes=6)
    )
    return (
        evaluate(first, policy, day=day, person=person.staff_id),
        evaluate(again, policy, day=day, person=person.staff_id),
    )


def signed(
    assessments: tuple[Assessment, Assessment], signer: Signer, person: f.Person = f.AROHA
) -> Envelope:
    before, after = assessments
    assert after.status is DeviceStatus.COMPLIANT, after.findings  # what the app said that day
    return attest(
        before=before,
        after=after,
        actions=(),
        attester=Attester(name=person.name, staff_id=person.staff_id),
        statement_text=STATEMENT,
        signer=signer,
        now=after.scan.finished_at + timedelta(minutes=1),
    )


def imported(store: Store, folder: Path, **envelopes: Envelope) -> dict[str, str]:
    """Import the receipts; name -> its line of the import's report (each one imported)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, envelope in envelopes.items():
        write_receipt(envelope, folder / f"{name}.json")
    report = store.import_folder(folder)
    assert [o.result for o in report.outcomes] == [ImportResult.IMPORTED] * len(envelopes), [
        o.reason for o in report.outcomes
    ]
    return {o.path.stem: o.reason for o in report.outcomes}


def assert_held(store: Store, policy_id: str = NZ_2025, *, apps: str = "DeepSeek") -> None:
    """Held alike in the history, the export and the dashboard, with words that say why."""
    [summary] = store.history(HistoryFilter())
    assert summary.status is DeviceStatus.NON_COMPLIANT
    assert summary.trust_note.startswith(EARLY_RULE_NOTE), summary.trust_note
    assert f"lists {apps}" in summary.trust_note and NEXT_STEP in summary.trust_note
    assert summary.trust_note.count(EARLY_RULE_NOTE) == 1
    [row] = store.export_rows()
    assert (row.recorded_status, row.status) == ("non_compliant", "overdue")
    assert row.trust_note == summary.trust_note
    counts = store.dashboard(policy_id, today=date.today()).counts
    assert (counts.compliant, counts.excepted, counts.overdue) == (0, 0, 1), counts


def test_an_imported_receipt_from_the_day_before_deepseek_was_banned_is_held(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    lines = imported(store, tmp_path / "in", aroha=signed(judged(DAY_BEFORE, (DEEPSEEK,)), signer))
    assert_held(store)
    # The import's report says it in the hold's own words, not only "judged before ...".
    assert lines["aroha"].startswith(EARLY_RULE_NOTE), lines
    assert "DeepSeek (banned from 2025-02-20)" in lines["aroha"] and NEXT_STEP in lines["aroha"]


def test_an_audit_recorded_at_a_bench_with_its_clock_set_back_is_held(
    store: Store, signer: Signer
) -> None:
    assessments = judged(DAY_BEFORE, (DEEPSEEK,))
    store.record_audit(
        assessments,
        person_name=f.AROHA.name,
        staff_id=f.AROHA.staff_id,
        envelope=signed(assessments, signer),
    )
    assert_held(store)


def test_an_unsigned_check_recorded_at_a_bench_is_held_too(store: Store) -> None:
    store.record_audit(
        judged(DAY_BEFORE, (DEEPSEEK,)), person_name=f.AROHA.name, staff_id=f.AROHA.staff_id
    )
    [summary] = store.history(HistoryFilter())
    assert summary.status not in NOT_COUNTED
    assert summary.trust_note.startswith(EARLY_RULE_NOTE)


def test_a_new_check_with_deepseek_gone_counts_the_device_compliant_again(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    imported(store, tmp_path / "old", aroha=signed(judged(DAY_BEFORE, (DEEPSEEK,)), signer))
    today = date.today()
    removed = replace(DEEPSEEK, state=AppState.ABSENT)
    imported(store, tmp_path / "new", aroha=signed(judged(today, (removed,)), signer))
    latest = store.history(HistoryFilter())[0]
    assert (latest.status, latest.trust_note) == (DeviceStatus.COMPLIANT, "")
    counts = store.dashboard(NZ_2025, today=today).counts
    assert (counts.compliant, counts.overdue) == (1, 0), counts


def test_the_hold_stays_when_the_helpdesk_decides_something_else(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    """A decision judges every audit again (holds.rejudge over the whole history): the hold is
    taken back and put in again, never lost, never doubled."""
    imported(store, tmp_path / "in", aroha=signed(judged(DAY_BEFORE, (DEEPSEEK,)), signer))
    f.accept_exemptions(store, f.exemption(f.BEN, date.today() + timedelta(days=30)))
    assert_held(store)


@pytest.mark.parametrize(
    ("day", "apps"),
    [
        (RULE_DAY, (replace(DEEPSEEK, state=AppState.ABSENT),)),  # removed on the rule's day
        (DAY_BEFORE, ()),  # nothing of the later rule on the phone
        (DAY_BEFORE, (replace(DEEPSEEK, state=AppState.REMOVED_FOR_USER),)),  # a state it accepts
        (DAY_BEFORE, (app("com.example.capcut", "CapCut"),)),  # a lookalike: for review for ever
    ],
    ids=["removed-on-the-day", "clean", "removed-for-user", "lookalike"],
)
def test_honest_receipts_judged_around_the_rule_s_day_count_as_they_say(
    store: Store, signer: Signer, tmp_path: Path, day: date, apps: tuple[InstalledApp, ...]
) -> None:
    lines = imported(store, tmp_path / "in", aroha=signed(judged(day, apps), signer))
    [summary] = store.history(HistoryFilter())
    assert (summary.status, summary.trust_note) == (DeviceStatus.COMPLIANT, "")
    assert EARLY_RULE_NOTE not in lines["aroha"]
    assert store.dashboard(NZ_2025, today=date.today()).counts.compliant == 1


ACME = """\
id = "acme-2025"
title = "Acme: TikTok since 2023, CapCut since 2025"
authority = "Acme Ltd, Chief Information Security Officer"
announced = 2023-03-17
deadline = 2025-03-31
version = 2

[[rule]]
id = "tiktok"
title = "The TikTok app"
announced = 2023-03-17
deadline = 2023-03-31
catalog = ["tiktok-app"]

[[rule]]
id = "capcut"
title = "CapCut"
announced = 2025-02-20
deadline = 2025-03-31
catalog = ["capcut"]
"""


def test_a_rule_added_to_an_accepted_policy_years_after_it_was_announced(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    """The policy was announced in 2023, so the import's "judged before the policy was
    announced" says nothing of a receipt of 2024; CapCut's rule came in 2025."""
    path = tmp_path / "acme-2025.toml"
    path.write_text(ACME, encoding="utf-8")
    policy, _new = store.accept_policy(path, by="Helpdesk lead")
    assessments = judged(date(2024, 6, 3), (CAPCUT,), policy=policy)
    assert [x.status for x in assessments[1].findings] == [FindingStatus.REVIEW]
    lines = imported(store, tmp_path / "in", aroha=signed(assessments, signer))
    assert lines["aroha"].startswith(EARLY_RULE_NOTE), lines
    assert "CapCut (banned from 2025-02-20)" in lines["aroha"]
    assert_held(store, policy.id, apps="CapCut")


def test_a_history_that_counted_such_a_receipt_holds_it_once_opened(
    store: Store, signer: Signer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """v12: a history written before this hold existed counts the receipt compliant; opening
    it judges every audit again, on either backend, and the device is held."""
    from audit.store.db import transaction
    from audit.store.schema import recount
    from tests.audit.store.cli_target import cli_db

    target = cli_db(store, request)
    imported(store, tmp_path / "in", aroha=signed(judged(DAY_BEFORE, (DEEPSEEK,)), signer))
    with transaction(store._db) as conn:  # as stored before v12: no hold, counted compliant
        conn.execute("UPDATE audits SET status = 'compliant', trust_note = ''")
        recount(conn)
    assert store.dashboard(NZ_2025, today=date.today()).counts.compliant == 1
    if target.startswith("postgresql://"):
        store._db.execute("UPDATE da_meta SET user_version = 11")
    else:
        store._db.execute("PRAGMA user_version = 11")
    store.close()
    with Store(target) as again:
        assert_held(again)
