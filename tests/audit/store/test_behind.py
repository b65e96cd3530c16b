"""The audits behind the dashboard's trust counts (audit.store.behind) are the audits counted:
"compliant, not witnessed" and "checked under an older version", in both ways of counting, on
real SQLite histories with real keys; and the policy a history that requires signed policies
cannot use (audit.store.policy_use)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.attestation import Signer
from audit.errors import StoreError
from audit.model import DeviceStatus
from audit.policy import load_policy, load_policy_file
from audit.store import Store
from audit.store.behind import OLDER_VERSION, UNWITNESSED
from audit.store.policy_use import check_usable
from tests.audit.store import factory as f
from tests.audit.store.test_earlier_presets import NZ_2023_EARLIER
from tests.audit.store.test_history_lines import _three_devices
from tests.audit.store.test_trust_attacks import USB, cabled, changed_preset, drop

DAY = date(2023, 3, 28)
COUNTED = (*DeviceStatus, UNWITNESSED)


def _lists(store: Store, policy_id: str, day: date, witnessed_only: bool) -> dict[str, int]:
    return {
        str(key): len(
            store.behind(policy_id, str(key), day, witnessed_only=witnessed_only, limit=None)
        )
        for key in COUNTED
    }


def _counts(store: Store, policy_id: str, day: date, witnessed_only: bool) -> dict[str, int]:
    board = store.dashboard(policy_id, day, witnessed_only=witnessed_only)
    counts = {str(s): board.counts.of(s) for s in DeviceStatus}
    counts[UNWITNESSED] = (
        board.counts.unwitnessed if witnessed_only else store.unwitnessed_count(policy_id, day)
    )
    return counts


def test_each_trust_count_lists_the_audits_it_counts(store: Store, tmp_path: Path) -> None:
    policy_id = _three_devices(store, tmp_path)  # witnessed, self-attested, not signed
    for only in (False, True):
        assert _lists(store, policy_id, DAY, only) == _counts(store, policy_id, DAY, only)
    behind = store.behind(policy_id, UNWITNESSED, DAY)
    assert sorted(a.staff_id for a in behind) == ["PS-1042", "PS-8000"]
    assert {a.assurance for a in behind} == {"self-attested", ""}
    witnessed = store.behind(policy_id, DeviceStatus.COMPLIANT.value, DAY, witnessed_only=True)
    assert [(a.staff_id, a.assurance) for a in witnessed] == [("PS-7000", "witnessed")]
    every = store.behind(policy_id, DeviceStatus.COMPLIANT.value, DAY)
    assert len(every) == 3
    assert store.unwitnessed_count(policy_id, DAY) == 2
    assert not store.asks_witnessed(policy_id)


def test_a_policy_that_asks_for_witnessed_receipts_is_said_so(store: Store, tmp_path: Path) -> None:
    file = changed_preset(tmp_path, own_id="org-witnessed-2023")
    file.write_text(
        file.read_text("utf-8").replace("\nid = ", "\nwitnessed_only = true\nid = ", 1), "utf-8"
    )
    policy_id = _three_devices(store, tmp_path, file)
    assert store.asks_witnessed(policy_id)
    assert store.dashboard(policy_id, DAY).counts.unwitnessed == 2
    assert store.unwitnessed_count(policy_id, DAY) == 2


def test_a_compliant_device_whose_exemption_ended_is_not_behind_not_witnessed(
    store: Store, tmp_path: Path
) -> None:
    """An exemption ended since the check: the device counts as not compliant, so it is not
    among the compliant devices without a witnessed receipt either."""
    granted = f.exemption(f.BEN, DAY)  # the helpdesk accepted it: not held (audit.store.holds)
    store.accept_exemptions(f.exemptions_file(tmp_path / "ex.toml", granted), by="Lead")
    before, after, actions = f.audit_inputs(
        f.phone("E1"), f.BEN, f.Outcome.EXCEPTED, day=DAY, exemption_expires=DAY
    )
    store.record_audit([before, after], actions, person_name=f.BEN.name, staff_id=f.BEN.staff_id)
    assert store.unwitnessed_count(f.POLICY.id, DAY) == 1
    later = DAY + timedelta(days=1)
    assert store.unwitnessed_count(f.POLICY.id, later) == 0
    assert store.dashboard(f.POLICY.id, later, witnessed_only=True).counts.unwitnessed == 0
    assert store.behind(f.POLICY.id, UNWITNESSED, later) == []


def test_the_audits_under_an_older_version_are_listed(store: Store) -> None:
    earlier = replace(f.POLICY, sha256=NZ_2023_EARLIER)
    for serial, person, policy in (("OLD", f.AROHA, earlier), ("NEW", f.BEN, f.POLICY)):
        before, after, actions = f.audit_inputs(
            f.phone(serial), person, f.Outcome.CLEAN, day=DAY, policy=policy
        )
        store.record_audit(
            [before, after], actions, person_name=person.name, staff_id=person.staff_id
        )
    (old,) = store.behind(f.POLICY.id, OLDER_VERSION, DAY)
    assert old.device_id == "android:OLD" and "older version" in old.older_policy
    assert store.dashboard(f.POLICY.id, DAY).older_version == 1


def test_a_limit_keeps_the_newest(store: Store, tmp_path: Path) -> None:
    policy_id = _three_devices(store, tmp_path)
    every = store.behind(policy_id, UNWITNESSED, DAY, limit=None)
    assert store.behind(policy_id, UNWITNESSED, DAY, limit=1) == every[:1]
    assert store.behind(policy_id, UNWITNESSED, DAY, limit=-5) == []


# One device: who signed its receipt, how it was reached, what its check found, when.
_DEVICE = st.tuples(
    st.sampled_from(["witnessed", "self", "none", "network"]),
    st.sampled_from([f.Outcome.CLEAN, f.Outcome.EXCEPTED, f.Outcome.VIOLATION]),
    st.integers(min_value=-6, max_value=0),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(devices=st.lists(_DEVICE, min_size=1, max_size=5), ahead=st.integers(0, 20))
def test_the_lists_add_up_to_the_counts_on_any_history(
    tmp_path_factory: pytest.TempPathFactory,
    devices: list[tuple[str, f.Outcome, int]],
    ahead: int,
) -> None:
    """Whatever the mix of witnessed, self-attested, unsigned and network receipts, and
    whatever day it is counted on (deadline passed, exemptions ended), each count opens as
    many audits as it says, in both ways of counting."""
    tmp = tmp_path_factory.mktemp("mix")
    bench = Signer.generate()
    with Store(tmp / "h.sqlite3") as store:
        store.enrol_technician("Sam", bench.fingerprint, by="Lead")
        folder = tmp / "in"
        for index, (who, outcome, offset) in enumerate(devices):
            person = f.Person(f"Person {index}", f"PS-{5000 + index}")
            day = DAY + timedelta(days=offset)
            device = cabled(f"D{index}", None if who == "network" else USB)
            if who == "none":
                before, after, actions = f.audit_inputs(device, person, outcome, day=day)
                store.record_audit(
                    [before, after], actions, person_name=person.name, staff_id=person.staff_id
                )
                continue
            signer = bench if who in ("witnessed", "network") else Signer.generate()
            technician = "Sam" if who in ("witnessed", "network") else ""
            envelope = f.receipt(
                signer,
                device,
                person,
                outcome,
                day=day,
                technician=technician,
                exemption_expires=DAY + timedelta(days=3),
            )
            drop(folder, f"{index}.json", envelope)
        if folder.exists():
            store.import_folder(folder)
        today = DAY + timedelta(days=ahead)
        for only in (False, True):
            assert _lists(store, f.POLICY.id, today, only) == _counts(
                store, f.POLICY.id, today, only
            )


def test_an_unsigned_policy_file_cannot_be_used_where_signed_ones_are_required(
    tmp_path: Path,
) -> None:
    policy = load_policy_file(changed_preset(tmp_path, own_id="org-unsigned-2023"))
    check_usable(policy, signed_required=False)  # no requirement: any policy
    with pytest.raises(StoreError) as refused:
        check_usable(policy, signed_required=True)
    assert "not signed by whoever issued it" in refused.value.message
    assert "requires signed policies" in refused.value.message
    assert "policy.toml.sig" in refused.value.next_step
    assert "require-signed off" in refused.value.next_step
    check_usable(load_policy("nz-parliament-2023"), signed_required=True)  # a preset: fine
    check_usable(replace(policy, issuer_key="ab" * 32), signed_required=True)
    # a file claiming a preset's id with other content is not taken for the preset
    posing = replace(policy, id="nz-parliament-2023")
    with pytest.raises(StoreError):
        check_usable(posing, signed_required=True)


def test_a_day_before_a_later_audit_counts_the_audit_that_stood_then(store: Store) -> None:
    """Looked at for an earlier day, a device counts by the audit that stood that day, not by
    its latest one: the lists follow the dashboard there too."""
    phone = f.phone("T1")
    for day, outcome in ((DAY - timedelta(days=5), f.Outcome.CLEAN), (DAY, f.Outcome.VIOLATION)):
        before, after, actions = f.audit_inputs(phone, f.AROHA, outcome, day=day)
        store.record_audit(
            [before, after], actions, person_name=f.AROHA.name, staff_id=f.AROHA.staff_id
        )
    earlier = DAY - timedelta(days=2)
    assert store.dashboard(f.POLICY.id, earlier, witnessed_only=True).counts.unwitnessed == 1
    assert store.unwitnessed_count(f.POLICY.id, earlier) == 1
    (stood,) = store.behind(f.POLICY.id, UNWITNESSED, earlier)
    assert stood.status is DeviceStatus.COMPLIANT and not stood.latest
    assert store.unwitnessed_count(f.POLICY.id, DAY) == 0
    assert store.behind(f.POLICY.id, UNWITNESSED, DAY) == []
