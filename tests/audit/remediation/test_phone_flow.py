"""The whole flow through the real adb server against simulated phones: plan, remove, rescan every
user, verify, attest, and check the receipt."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from audit.attestation import Attester, Signer, verify_file, write_receipt
from audit.attestation.receipt_text import receipt_content
from audit.errors import AttestationRefused
from audit.model import ActionKind, AppState, FindingStatus, Policy
from audit.policy import evaluate, load_policy
from audit.remediation import (
    AndroidExecutor,
    Outcome,
    PlanState,
    RemediationSession,
    Rights,
    StepState,
    restore_step,
    statement_for,
)
from audit.sources.android.connection import Adb
from audit.sources.android.scan import details_for, scan_phone, scan_with_shell
from audit.sources.android.shell import AdbShell
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.phones import AdbServer
from tests.phonesim import SimulatedPhone

pytestmark = pytest.mark.adb

DAY = date(2023, 3, 20)
TIKTOK = "com.zhiliaoapp.musically"
CAPCUT = "com.lemon.lvoverseas"
ANNA = Attester(name="Anna Smith", staff_id="S1234")


def start(phone: SimulatedPhone, adb_server: AdbServer, policy: Policy) -> RemediationSession:
    scan = scan_phone(phone.address, adb_port=adb_server.port)
    before = evaluate(scan, policy, day=DAY)
    return RemediationSession.start(before, rights=Rights(admin=False))


def rescan(session: RemediationSession, phone: SimulatedPhone, adb_server: AdbServer) -> None:
    """Scan every user again; the flagged apps' states are read from the phone (assess.py)."""
    session.record_rescan(
        scan_phone(phone.address, adb_port=adb_server.port),
        details=lambda packages: details_for(phone.address, packages, adb_port=adb_server.port),
    )


def run_all(session: RemediationSession, executor: AndroidExecutor) -> None:
    while (step := session.next_step(automatic_only=True)) is not None:
        result = session.run(step, executor, confirmed=True)
        assert result.ok, result.message


def test_work_profile_tiktok_and_owner_capcut_removed_verified_and_attested(
    sim_phone, adb_server: AdbServer, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    phone = sim_phone("samsung-work-profile")
    session = start(phone, adb_server, load_policy("us-federal-2023"))
    wanted = {(TIKTOK, "10"), (CAPCUT, "0")}
    assert {(p.finding.app.identifier, p.finding.app.user) for p in session.plans} == wanted
    labels = {p.finding.app.identifier: p.steps[0].target.user_label for p in session.plans}
    assert labels == {TIKTOK: "Work profile", CAPCUT: "Main profile"}
    assert session.blockers() == ("the device has not been scanned again since the removal",)

    run_all(session, AndroidExecutor(phone.address, adb_port=adb_server.port))
    assert phone.state.state_of(TIKTOK, 10) == "absent"
    assert phone.state.state_of(CAPCUT, 0) == "absent"
    assert [a.kind for a in session.actions] == [ActionKind.UNINSTALL, ActionKind.UNINSTALL]
    assert {a.message for a in session.actions} == {  # the profiles by name, not "user 10"
        "TikTok was removed from the Work profile.",
        "CapCut was removed from the main profile.",
    }
    assert {session.plan_state(p) for p in session.plans} == {PlanState.DONE}

    rescan(session, phone, adb_server)
    verification = session.verification
    assert verification is not None and verification.all_resolved
    assert [c.outcome for c in verification.checks] == [Outcome.RESOLVED] * 2
    assert {c.message for c in verification.checks} == {
        "TikTok is gone in the work profile.",
        "CapCut is gone in the main profile.",
    }
    assert {session.plan_state(p) for p in session.plans} == {PlanState.VERIFIED}
    assert session.can_attest

    signer = Signer.from_keyring()
    text = statement_for(ANNA, session.device, session.before.policy, DAY)
    receipt = tmp_path / "receipt.json"
    write_receipt(session.attest(ANNA, text, signer), receipt)
    verified = verify_file(receipt)
    assert verified.compliant
    assert verified.signer == signer.fingerprint
    assert verified.device_id == f"android:{phone.state.serialno}"  # its own serial number
    predicate = verified.statement["predicate"]
    assert predicate["statement"] == text
    assert [(a["identifier"], a["user"], a["ok"]) for a in predicate["actions"]] == [
        (TIKTOK, "10", True),
        (CAPCUT, "0", True),
    ] or [(a["identifier"], a["user"], a["ok"]) for a in predicate["actions"]] == [
        (CAPCUT, "0", True),
        (TIKTOK, "10", True),
    ]
    assert {
        f["app"]: f["state"] for f in predicate["findings"] if f["status_before"] == "violation"
    } == {
        TIKTOK: "absent",
        CAPCUT: "absent",
    }
    # The receipt's readable copy: what was done, in the profiles' names.
    rows = {row[1]: row[2:] for row in receipt_content(verified).actions.rows}
    assert rows == {
        "Uninstall TikTok": (
            "Work profile",
            "done",
            "TikTok was removed from the Work profile.",
        ),
        "Uninstall CapCut": (
            "Main profile",
            "done",
            "CapCut was removed from the main profile.",
        ),
    }


def strict(policy: Policy) -> Policy:
    """The same policy, but only 'absent' is compliant (a different policy, so a different id
    and digest)."""
    return replace(
        policy,
        id=policy.id + "-strict",
        sha256="0" * 64,
        compliant_states=frozenset({AppState.ABSENT}),
    )


def test_system_tiktok_removed_for_user_is_compliant_as_the_policy_says_and_can_be_restored(
    sim_phone, adb_server: AdbServer
) -> None:
    phone = sim_phone("oem-preinstalled-tiktok")
    policy = load_policy("nz-parliament-2023")
    assert AppState.REMOVED_FOR_USER in policy.compliant_states
    session = start(phone, adb_server, policy)
    # TikTok is in the owner user and in the guest user.
    assert sorted(p.finding.app.user for p in session.plans) == ["0", "11"]
    for plan in session.plans:
        assert plan.finding.app.system
        assert plan.steps[0].action is ActionKind.UNINSTALL and plan.steps[0].restorable
        assert "but not 'disabled'" in plan.policy_note
    executor = AndroidExecutor(phone.address, adb_port=adb_server.port)
    run_all(session, executor)
    assert phone.state.state_of(TIKTOK, 0) == "removed_for_user"

    rescan(session, phone, adb_server)
    assert session.after is not None
    states = {f.app.user: (f.app.state, f.status) for f in session.after.findings}
    assert states["0"] == (AppState.REMOVED_FOR_USER, FindingStatus.RESOLVED)
    assert session.verification is not None and session.verification.all_resolved
    assert session.can_attest

    # The same phone state judged by a policy that does not accept 'removed for this user'.
    strict_policy = strict(policy)
    after_strict = evaluate(session.after.scan, strict_policy, day=DAY)
    assert after_strict.status.value == "non_compliant"
    assert {f.app.state for f in after_strict.violations} == {AppState.REMOVED_FOR_USER}
    strict_session = RemediationSession.start(after_strict, rights=Rights(admin=False))
    for plan in strict_session.plans:
        (step,) = plan.steps
        assert step.action is ActionKind.MANUAL
        assert "requires the manufacturer's copy to be gone" in plan.policy_note

    # A mistaken removal is undone: the built-in copy is installed again for the owner.
    owner_plan = next(p for p in session.plans if p.finding.app.user == "0")
    step = owner_plan.steps[0]
    assert restore_step(step.target).action is ActionKind.RESTORE
    result = session.undo(step, executor, confirmed=True)
    assert result.ok, result.message
    assert result.kind is ActionKind.RESTORE
    assert phone.state.state_of(TIKTOK, 0) == "installed"
    again = evaluate(scan_phone(phone.address, adb_port=adb_server.port), policy, day=DAY)
    assert {(f.app.user, f.app.state) for f in again.violations} == {("0", AppState.INSTALLED)}
    # ... and once undone, the removal can be done again.
    assert session.step_state(step) is StepState.PENDING
    assert session.run(step, executor, confirmed=True).ok
    assert phone.state.state_of(TIKTOK, 0) == "removed_for_user"
    assert [a.kind for a in session.actions][-2:] == [ActionKind.RESTORE, ActionKind.UNINSTALL]


def test_the_strict_policy_plan_is_a_manual_step_from_the_first_scan(
    sim_phone, adb_server: AdbServer
) -> None:
    phone = sim_phone("oem-preinstalled-tiktok")
    session = start(phone, adb_server, strict(load_policy("nz-parliament-2023")))
    assert session.plans
    assert all(not plan.automatic for plan in session.plans)
    assert session.next_step(automatic_only=True) is None
    assert "Contact your IT department" in " ".join(session.plans[0].steps[0].instructions)


def test_unplugged_during_removal_gives_advice_refuses_attestation_and_resumes(
    sim_phone, adb_server: AdbServer, memory_keyring: MemoryKeyring
) -> None:
    phone = sim_phone("samsung-work-profile")
    session = start(phone, adb_server, load_policy("us-federal-2023"))
    executor = AndroidExecutor(phone.address, adb_port=adb_server.port)
    first = session.next_step()
    assert first is not None
    assert session.run(first, executor, confirmed=True).ok

    phone.unplug()
    adb_server.wait_for_state(phone.address, {"offline", None})
    second = session.next_step()
    assert second is not None and second.id != first.id
    failed = session.run(second, executor, confirmed=True)
    assert not failed.ok
    assert failed.code == "DEVICE_GONE"
    assert "plug it in again" in failed.advice
    assert session.step_state(second) is StepState.FAILED
    with pytest.raises(AttestationRefused, match="not been scanned again"):
        session.attest(ANNA, "I agree.", Signer.from_keyring())

    phone.replug()
    adb_server.client().connect(phone.address, timeout=10)
    adb_server.wait_for_state(phone.address, {"device"})
    # Resume: the first step is done and not offered again; the failed one is.
    assert session.step_state(first) is StepState.DONE
    assert session.next_step() == second
    assert session.run(first, executor, confirmed=True).ok  # a done step is not run again
    assert len(session.results(first)) == 1
    assert session.run(second, executor, confirmed=True).ok
    assert session.next_step() is None
    assert session.progress() == (2, 2)

    rescan(session, phone, adb_server)
    assert session.verification is not None and session.verification.all_resolved
    assert session.can_attest  # the failed attempt stays on record but blocks nothing
    assert [r.ok for r in session.actions] == [True, False, True]


def test_a_step_cut_off_after_the_phone_did_it_counts_as_done_on_retry(
    sim_phone, adb_server: AdbServer
) -> None:
    """The cable was pulled after the phone removed the app but before it answered: the retry
    finds nothing to remove, and says so instead of failing."""
    phone = sim_phone("samsung-work-profile")
    session = start(phone, adb_server, load_policy("us-federal-2023"))
    step = session.next_step()
    assert step is not None
    phone.state.uninstall(step.target.identifier, int(step.target.user), False)
    result = session.run(
        step, AndroidExecutor(phone.address, adb_port=adb_server.port), confirmed=True
    )
    assert result.ok
    assert result.code == "NOT_INSTALLED_FOR_USER"
    assert result.message.startswith(
        f"{step.target.app_name} was not found installed in {step.target.user_words}: it is "
        "gone, or hidden (frozen) there"
    )
    assert step.target.user_words in ("the Work profile", "the main profile")


def test_an_incomplete_rescan_resolves_nothing(sim_phone, adb_server: AdbServer) -> None:
    phone = sim_phone("samsung-work-profile")
    session = start(phone, adb_server, load_policy("us-federal-2023"))
    executor = AndroidExecutor(phone.address, adb_port=adb_server.port)
    run_all(session, executor)
    # The phone drops in the middle of the rescan: after its first round trip (stage by
    # stage: the one-stage script of issue 15 reads this phone in a single round trip).
    phone.drop_after = len(phone.commands) + 1
    scan = scan_with_shell(
        AdbShell(Adb(adb_server.port), phone.address), phone.address, one_stage=False
    )
    assert not scan.complete
    verification = session.record_rescan(scan)
    assert not verification.all_resolved
    assert {c.outcome for c in verification.checks} == {Outcome.UNVERIFIED}
    assert all("the rescan could not read" in c.message for c in verification.checks)
    assert not session.can_attest
