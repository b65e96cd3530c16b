"""Recording local audits: what goes in comes back out, and the latest audit is tracked."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from audit.attestation import Signer
from audit.errors import AttestationInvalid, StoreError
from audit.model import DeviceStatus
from audit.store import HistoryFilter, KeyNote, Origin, Store
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)
PHONE = f.phone("R58M123ABC", name="Aroha's phone")


def test_a_whole_audit_comes_back_with_its_scans_findings_actions_and_receipt(
    store: Store, signer: Signer
) -> None:
    before, after, actions = f.audit_inputs(PHONE, f.AROHA, f.Outcome.EXCEPTED, day=DAY)
    envelope = f.receipt(signer, PHONE, f.AROHA, f.Outcome.EXCEPTED, day=DAY)
    f.accept_exemptions(store, *after.exemptions)  # the helpdesk accepted the approver's file
    audit_id = store.record_audit(
        [before, after], actions, person_name="x", staff_id=f.AROHA.staff_id, envelope=envelope
    )
    details = store.audit_details(audit_id)
    head = details.summary
    assert (head.person_name, head.staff_id) == (f.AROHA.name, f.AROHA.staff_id)  # from receipt
    assert head.status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS
    assert head.origin is Origin.LOCAL and head.latest
    assert head.deadline == date(2023, 3, 31)
    assert details.device == PHONE
    assert [s.status for s in details.scans] == [before.status, after.status]
    assert [s.app_count for s in details.scans] == [1, 1]
    first, last = details.scans
    assert [(x.identifier, x.user, x.state, x.status) for x in first.findings] == [
        ("com.zhiliaoapp.musically", "10", "installed", "violation")
    ]
    assert last.findings[0].exemption_id == "EX-PS-1042"
    assert details.exemptions == tuple(after.exemptions)
    assert head.exemption_expires == after.exemptions[0].expires
    [stored] = details.receipts
    assert stored.envelope == envelope.to_file_bytes()
    assert stored.verified is not None and stored.problem == ""
    assert stored.key_note is KeyNote.LOCAL and stored.signer == signer.fingerprint
    assert head.receipt_uid == stored.uid and head.signer == signer.fingerprint


def test_actions_come_back_exactly(store: Store) -> None:
    before, after, actions = f.audit_inputs(PHONE, f.AROHA, f.Outcome.CLEAN, day=DAY)
    failed = replace(
        actions[0],
        ok=False,
        message="Android refused",
        advice="Ask your IT team",
        code="DELETE_FAILED_DEVICE_POLICY_MANAGER",
        output="Failure [DELETE_FAILED_DEVICE_POLICY_MANAGER]",
        at=None,
    )
    audit_id = store.record_audit([before, after], (failed, *actions), staff_id="PS-1")
    assert store.audit_details(audit_id).actions == (failed, *actions)


def test_an_audit_recorded_step_by_step(store: Store, signer: Signer) -> None:
    before, after, actions = f.audit_inputs(PHONE, f.AROHA, f.Outcome.CLEAN, day=DAY)
    audit_id = store.begin_audit(PHONE, f.POLICY, technician="Sam", at=before.scan.started_at)
    [started] = store.history()
    assert started.status is None and not started.latest and started.staff_id == ""
    store.record_assessment(audit_id, before)
    assert store.audit(audit_id).status is DeviceStatus.NON_COMPLIANT
    store.set_person(audit_id, person_name=f.AROHA.name, staff_id=f.AROHA.staff_id)
    store.record_actions(audit_id, actions)
    store.record_assessment(audit_id, after)
    assert store.audit(audit_id).status is DeviceStatus.COMPLIANT
    envelope = f.receipt(signer, PHONE, f.AROHA, f.Outcome.CLEAN, day=DAY, technician="Sam")
    store.enrol_technician("Sam", signer.fingerprint, by="Helpdesk lead")
    verified = store.record_receipt(audit_id, envelope, file_name="receipt.json")
    assert store.record_receipt(audit_id, envelope) == verified  # twice changes nothing
    summary = store.audit(audit_id)
    assert summary.technician == "Sam" and summary.attested
    assert summary.attested_at == verified.attested_at
    assert len(store.audit_details(audit_id).receipts) == 1
    [key] = store.trusted_keys("technician:Sam")
    assert key.signer == signer.fingerprint and key.source == "this computer"


def test_actions_handed_over_again_are_kept_once(store: Store) -> None:
    """A removal carried on in a later window hands its earlier steps to the history again."""
    before, _after, actions = f.audit_inputs(PHONE, f.AROHA, f.Outcome.CLEAN, day=DAY)
    assert actions and all(a.at is not None for a in actions)
    audit_id = store.record_audit([before], staff_id=f.AROHA.staff_id)
    store.record_actions(audit_id, actions[:1])
    store.record_actions(audit_id, actions)
    assert store.audit_details(audit_id).actions == tuple(actions)


def test_receipts_and_scans_of_another_audit_are_refused(store: Store, signer: Signer) -> None:
    before, after, actions = f.audit_inputs(PHONE, f.AROHA, f.Outcome.CLEAN, day=DAY)
    audit_id = store.record_audit([before], staff_id=f.AROHA.staff_id)
    other = f.phone("OTHER")
    with pytest.raises(StoreError, match="does not belong"):
        store.record_receipt(audit_id, f.receipt(signer, other, f.AROHA, f.Outcome.CLEAN, day=DAY))
    with pytest.raises(StoreError, match="staff id PS-2001, not PS-1042"):
        store.record_receipt(audit_id, f.receipt(signer, PHONE, f.BEN, f.Outcome.CLEAN, day=DAY))
    with pytest.raises(StoreError, match="does not belong"):
        store.record_assessment(audit_id, replace(after, policy=f.OTHER_POLICY))
    with pytest.raises(StoreError, match="another device"):
        store.record_actions(audit_id, [replace(actions[0], device=other.id)])
    with pytest.raises(StoreError, match="no audit 999"):
        store.record_assessment(999, after)
    tampered = bytearray(
        f.receipt(signer, PHONE, f.AROHA, f.Outcome.CLEAN, day=DAY).to_file_bytes()
    )
    tampered[40] ^= 1
    with pytest.raises(AttestationInvalid):
        store.record_receipt(audit_id, bytes(tampered))
    details = store.audit_details(audit_id)
    assert details.receipts == () and details.actions == () and len(details.scans) == 1


def test_a_receipt_cannot_change_whose_audit_it_is_afterwards(store: Store, signer: Signer) -> None:
    before, after, actions = f.audit_inputs(PHONE, f.AROHA, f.Outcome.CLEAN, day=DAY)
    envelope = f.receipt(signer, PHONE, f.AROHA, f.Outcome.CLEAN, day=DAY)
    audit_id = store.record_audit([before, after], actions, envelope=envelope)
    with pytest.raises(StoreError, match="already has a signed receipt"):
        store.set_person(audit_id, person_name="Ben", staff_id="PS-2001")


def test_a_receipt_whose_stored_bytes_changed_is_reported(store: Store, signer: Signer) -> None:
    before, after, actions = f.audit_inputs(PHONE, f.AROHA, f.Outcome.CLEAN, day=DAY)
    envelope = f.receipt(signer, PHONE, f.AROHA, f.Outcome.CLEAN, day=DAY)
    audit_id = store.record_audit([before, after], actions, envelope=envelope)
    data = bytearray(envelope.to_file_bytes())
    data[30] ^= 1
    store._db.execute("UPDATE attestations SET envelope = ?", (bytes(data),))
    [receipt] = store.audit_details(audit_id).receipts
    assert receipt.verified is None
    assert "not valid" in receipt.problem


def test_only_the_newest_audit_of_a_person_device_and_policy_is_latest(store: Store) -> None:
    def record(day: date, outcome: f.Outcome, person: f.Person = f.AROHA) -> int:
        before, after, actions = f.audit_inputs(PHONE, person, outcome, day=day)
        return store.record_audit(
            [before, after], actions, person_name=person.name, staff_id=person.staff_id
        )

    first = record(DAY, f.Outcome.VIOLATION)
    second = record(DAY + timedelta(days=2), f.Outcome.CLEAN)
    older = record(DAY - timedelta(days=5), f.Outcome.INCOMPLETE)  # recorded late, dated early
    latest = {a.id for a in store.history(HistoryFilter(latest_only=True))}
    assert latest == {second}
    other = record(DAY, f.Outcome.VIOLATION, f.BEN)  # same phone, another person: its own key
    latest = {a.id for a in store.history(HistoryFilter(latest_only=True))}
    assert latest == {second, other}
    store.set_person(second, person_name=f.BEN.name, staff_id=f.BEN.staff_id)
    latest = {a.id for a in store.history(HistoryFilter(latest_only=True))}
    assert latest == {first, second}
    assert older not in latest


def test_two_stores_on_one_file_see_each_others_audits(db_path: Path) -> None:
    before, after, actions = f.audit_inputs(PHONE, f.AROHA, f.Outcome.CLEAN, day=DAY)
    with Store(db_path) as gui, Store(db_path) as cli:
        gui.record_audit([before, after], actions, staff_id="PS-1")
        cli.record_audit([before, after], actions, staff_id="PS-2")
        assert gui.count() == cli.count() == 2


def test_threads_may_share_one_store(store: Store) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                device = f.phone(f"T{n}-{i}")
                before, after, actions = f.audit_inputs(device, f.AROHA, f.Outcome.CLEAN, day=DAY)
                store.record_audit([before, after], actions, staff_id=f"PS-{n}")
                store.history(HistoryFilter(limit=3))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count() == 20
    assert store.integrity_check() == "ok"


def test_an_audit_needs_a_scan(store: Store) -> None:
    with pytest.raises(StoreError, match="at least one scan"):
        store.record_audit([])


def test_the_demo_phone_is_never_recorded(store: Store) -> None:
    demo = replace(PHONE, id="android:DEMO", serial="DEMO", simulated=True)
    before, after, actions = f.audit_inputs(demo, f.AROHA, f.Outcome.CLEAN, day=DAY)
    with pytest.raises(StoreError, match="The demo phone is not recorded in the history"):
        store.record_audit([before, after], actions)
    with pytest.raises(StoreError, match="The demo phone is not recorded in the history"):
        store.begin_audit(demo, f.POLICY)
    assert store.count() == 0
    assert store._db.execute("SELECT count(*) FROM scans").fetchone()[0] == 0


def test_each_scan_keeps_the_users_it_saw_so_profiles_are_named(store: Store) -> None:
    before, after, actions = f.audit_inputs(PHONE, f.AROHA, f.Outcome.CLEAN, day=DAY)
    renamed = replace(after, scan=replace(after.scan, users=f.USERS[:1]))  # work profile gone
    audit_id = store.record_audit([before, renamed], actions)
    details = store.audit_details(audit_id)
    assert [s.users for s in details.scans] == [f.USERS, f.USERS[:1]]
    assert details.profile("10").where == "in the Work profile"  # the first scan named it
    assert details.profile("0").where == "in the main profile"
    assert details.profile("11").where == "for user 11"
