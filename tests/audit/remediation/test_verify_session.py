"""Verification by rescan and the session's bookkeeping, on hand-made assessments."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from audit.attestation import Attester
from audit.errors import ActionFailed
from audit.model import (
    ActionResult,
    AppState,
    Assessment,
    Exemption,
    Finding,
    FindingStatus,
    SourceReport,
    SourceStatus,
)
from audit.remediation import (
    Outcome,
    PlanState,
    RemediationSession,
    Rights,
    Step,
    StepState,
    statement_for,
    statement_text,
    step_result,
    verify,
)
from tests.audit.remediation.builders import PHONE, POLICY, assessment, finding, phone_app

LATER = timedelta(minutes=5)


def rescan(before: Assessment, *findings: Finding, gaps: tuple[str, ...] = ()) -> Assessment:
    after = assessment(*findings)
    start = before.scan.finished_at + LATER
    sources = (
        SourceReport("user 0", SourceStatus.OK),
        *(SourceReport(g, SourceStatus.FAILED, "SecurityException") for g in gaps),
    )
    scan = replace(after.scan, started_at=start, finished_at=start, sources=sources)
    return replace(after, scan=scan)


TIKTOK_WORK = phone_app(user="10")
CAPCUT = phone_app("com.lemon.lvoverseas", "CapCut")


def test_gone_accepted_excepted_still_there_and_appeared() -> None:
    system = phone_app("com.example.tiktok", "TikTok built in", system=True)
    guest = phone_app(user="11")
    before = assessment(
        finding(TIKTOK_WORK), finding(CAPCUT), finding(system), finding(phone_app())
    )
    exemption = Exemption(
        id="EX-7",
        reason="press office",
        approver="Clerk",
        granted=date(2023, 1, 1),
        expires=date(2023, 12, 31),
    )
    after = rescan(
        before,
        finding(replace(system, state=AppState.REMOVED_FOR_USER), status=FindingStatus.RESOLVED),
        finding(CAPCUT),
        replace(finding(phone_app()), status=FindingStatus.EXCEPTED, exemption=exemption),
        finding(guest),
    )
    result = verify(before, after)
    outcomes = {c.finding.app.identifier + "/" + c.finding.app.user: c for c in result.checks}
    assert outcomes["com.zhiliaoapp.musically/10"].outcome is Outcome.RESOLVED
    assert outcomes["com.zhiliaoapp.musically/10"].message == "TikTok is gone in the work profile."
    assert outcomes["com.example.tiktok/0"].outcome is Outcome.RESOLVED
    assert "which this policy accepts" in outcomes["com.example.tiktok/0"].message
    assert outcomes["com.lemon.lvoverseas/0"].outcome is Outcome.STILL_THERE
    assert outcomes["com.lemon.lvoverseas/0"].message == (
        "CapCut is still installed in the main profile."
    )
    assert outcomes["com.zhiliaoapp.musically/0"].outcome is Outcome.EXCEPTED
    assert "exemption EX-7 until 2023-12-31" in outcomes["com.zhiliaoapp.musically/0"].message
    assert [f.app.user for f in result.appeared] == ["11"]
    assert result.complete and not result.all_resolved


def test_an_incomplete_rescan_resolves_nothing_and_says_what_it_could_not_read() -> None:
    before = assessment(finding(TIKTOK_WORK))
    result = verify(before, rescan(before, gaps=("user 10 (Work profile)",)))
    (check,) = result.checks
    assert check.outcome is Outcome.UNVERIFIED
    assert "the rescan could not read user 10 (Work profile): SecurityException" in check.message
    assert not result.all_resolved and not result.complete


def test_a_rescan_of_another_device_or_policy_resolves_nothing() -> None:
    before = assessment(finding(TIKTOK_WORK))
    other = rescan(before)
    other = replace(other, scan=replace(other.scan, device=replace(PHONE, id="android:OTHER")))
    assert "not of Galaxy S21" in verify(before, other).problems[0]
    changed = replace(rescan(before), policy=replace(POLICY, sha256="f" * 64))
    assert verify(before, changed).problems == (
        "the rescan was checked against a different policy",
    )
    assert {c.outcome for c in verify(before, changed).checks} == {Outcome.UNVERIFIED}


# --- the session -------------------------------------------------------------------------------


class Recorder:
    """An executor with real behaviour for these tests: it answers from a script of outcomes."""

    def __init__(self, *outcomes: bool, code: str = "FAILED") -> None:
        self.outcomes = list(outcomes)
        self.code = code
        self.ran: list[str] = []

    def run(self, step: Step) -> ActionResult:
        self.ran.append(step.id)
        ok = self.outcomes.pop(0) if self.outcomes else True
        return step_result(step, ok, "done" if ok else "failed", code="" if ok else self.code)


def session_for(*findings: Finding, **options: object) -> RemediationSession:
    return RemediationSession.start(assessment(*findings), rights=Rights(admin=False), **options)  # type: ignore[arg-type]


def test_unconfirmed_steps_are_refused_and_done_steps_are_not_redone() -> None:
    session = session_for(finding(TIKTOK_WORK))
    step = session.steps[0]
    executor = Recorder()
    with pytest.raises(ActionFailed, match="confirmation"):
        session.run(step, executor, confirmed=False)
    assert executor.ran == []
    session.run(step, executor, confirmed=True)
    session.run(step.id, executor, confirmed=True)
    assert executor.ran == [step.id]
    assert session.step_state(step) is StepState.DONE
    with pytest.raises(ActionFailed, match="no step"):
        session.run("uninstall/99/nothing", executor, confirmed=True)


def test_a_failed_step_can_be_retried_or_settled_another_way() -> None:
    session = session_for(finding(TIKTOK_WORK))
    (plan,) = session.plans
    step = plan.steps[0]
    session.run(step, Recorder(False), confirmed=True)
    assert session.step_state(step) is StepState.FAILED
    assert session.plan_state(plan) is PlanState.FAILED
    assert session.next_step() == step  # offered again
    (by_hand,) = plan.alternatives
    result = session.confirm_manual(by_hand, "Anna Smith")
    assert result.ok and result.message.startswith("Confirmed by Anna Smith: I removed TikTok")
    assert session.step_state(step) is StepState.NOT_NEEDED
    assert session.plan_state(plan) is PlanState.DONE
    assert session.next_step() is None
    assert session.progress() == (1, 1)
    assert [a.ok for a in session.actions] == [False, True]


def test_run_automatic_asks_for_each_step_and_stops_when_the_phone_is_gone() -> None:
    session = session_for(finding(TIKTOK_WORK), finding(CAPCUT))
    asked: list[str] = []

    def confirm(step: Step) -> bool:
        asked.append(step.title)
        return step.target.app_name == "CapCut"

    results = session.run_automatic(Recorder(), confirm=confirm)
    assert asked == [
        "Remove TikTok from the Work profile",
        "Remove CapCut from the main profile",
    ]
    assert [r.identifier for r in results] == ["com.lemon.lvoverseas"]
    gone = session_for(finding(TIKTOK_WORK), finding(CAPCUT))
    executor = Recorder(False, code="DEVICE_GONE")
    assert len(gone.run_automatic(executor, confirm=lambda _s: True)) == 1
    assert len(executor.ran) == 1


def test_all_users_removal_runs_once_for_every_finding_of_the_app() -> None:
    session = session_for(finding(TIKTOK_WORK), finding(phone_app()), all_users=True)
    executor = Recorder()
    session.run_automatic(executor, confirm=lambda _s: True)
    assert executor.ran == ["uninstall_all_users/com.zhiliaoapp.musically"]
    assert {session.plan_state(p) for p in session.plans} == {PlanState.DONE}


def test_plan_says_still_there_when_a_later_rescan_still_shows_it() -> None:
    session = session_for(finding(TIKTOK_WORK))
    (plan,) = session.plans
    session.run(plan.steps[0], Recorder(), confirmed=True)
    # A rescan started after the removal still lists it (an OEM reinstalled it).
    after = rescan(session.before, finding(TIKTOK_WORK))
    later = datetime.now(UTC) + LATER
    after = replace(after, scan=replace(after.scan, started_at=later, finished_at=later))
    session.record_assessment(after)
    assert session.plan_state(plan) is PlanState.STILL_THERE
    assert session.blockers() and not session.can_attest


def test_statement_text_for_self_and_technician() -> None:
    day = date(2023, 3, 28)
    own = statement_for(Attester("Anna Smith", "S1234"), PHONE, POLICY, day)
    assert own.startswith(
        "I, Anna Smith (staff id S1234), checked the phone Galaxy S21 (serial R58M123) on "
        '2023-03-28 against the policy "Test policy (test-policy)".'
    )
    tech = statement_for(Attester("Anna Smith", "S1234", technician="Tom Tech"), PHONE, POLICY, day)
    assert tech.startswith(
        "I, Tom Tech, audited the phone Galaxy S21 (serial R58M123) on 2023-03-28 on behalf of "
        "Anna Smith (staff id S1234)"
    )
    braces = statement_text(name="{name}", staff_id="{0}", device="x", policy="p", day=day)
    assert braces.startswith("I, {name} (staff id {0}), checked x")


def test_apps_that_appear_on_another_user_get_plans_of_their_own() -> None:
    session = session_for(finding(TIKTOK_WORK))
    executor = Recorder()
    session.run_automatic(executor, confirm=lambda _s: True)
    guest = phone_app(user="11")
    first = rescan(session.before, finding(guest))
    first = replace(first, scan=replace(first.scan, started_at=datetime.now(UTC) + LATER))
    verification = session.record_assessment(first)
    assert [f.app.user for f in verification.appeared] == ["11"]
    assert not verification.all_resolved
    (new,) = session.plan_new_findings()
    assert new.finding.app.user == "11"
    assert session.plan_new_findings() == ()  # planned once
    assert session.plan_state(new) is PlanState.PENDING
    assert session.plan_state(session.plans[0]) is PlanState.VERIFIED
    session.run_automatic(executor, confirm=lambda _s: True)
    clean = rescan(session.before)
    clean = replace(clean, scan=replace(clean.scan, started_at=datetime.now(UTC) + 2 * LATER))
    assert session.record_assessment(clean).all_resolved
    assert {session.plan_state(p) for p in session.plans} == {PlanState.VERIFIED}
    assert executor.ran == [
        "uninstall/10/com.zhiliaoapp.musically",
        "uninstall/11/com.zhiliaoapp.musically",
    ]
