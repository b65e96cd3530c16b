"""What the history and dashboard say beyond the counts: unnamed scans merged into their named
audit in the full list (issue 13 §4), audits judged under an older version of their policy
(issue 14 §2), and a dashboard that counts witnessed receipts only (issue 13 §2), with real
SQLite histories and real keys."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from audit.attestation import Signer
from audit.cli import main
from audit.model import DeviceStatus
from audit.policy import load_policy_file
from audit.store import HistoryFilter, Store
from tests.audit.store import factory as f
from tests.audit.store.cli_target import cli_db
from tests.audit.store.test_earlier_presets import NZ_2023_EARLIER
from tests.audit.store.test_one_device_once import _four_phones_and_the_bench
from tests.audit.store.test_trust_attacks import USB, cabled, changed_preset, drop

DAY = date(2023, 3, 28)
EVERYTHING = HistoryFilter(limit=None)


# --- unnamed scans are part of their named audit's line --------------------------------------


def test_the_full_history_lists_each_phone_s_audit_once_with_its_unnamed_scans(
    store: Store, signer: Signer, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    db = cli_db(store, request)  # its file, or its PostgreSQL address
    _four_phones_and_the_bench(store, signer)
    listed = store.history(EVERYTHING)
    phones = [a for a in listed if a.device_id.startswith("android:")]
    assert len(phones) == 4  # one line per phone, not three
    assert all(a.staff_id and a.merged_scans == 2 for a in phones)
    assert store.count(EVERYTHING) == len(listed)
    # the bench's own start-up scan has no named audit to merge into: it stays as it was
    assert [a.device_id for a in listed if not a.device_id.startswith("android:")] == [
        "local:0123456789abcdef"
    ]
    # asked for, the unnamed scans are rows of their own
    every_scan = HistoryFilter(limit=None, unnamed_scans=True)
    assert len(store.history(every_scan)) == 4 * 3 + 1 == store.count(every_scan)
    store.close()

    assert main(["history", "--json", "--db", db]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len([r for r in rows if r["staff_id"]]) == 4 and len(rows) == 5
    assert {r["merged_scans"] for r in rows if r["staff_id"]} == {2}
    assert main(["history", "--db", db]) == 0
    assert capsys.readouterr().out.count("with 2 unnamed scans of this device (one audit)") == 4
    assert main(["history", "--unnamed-scans", "--json", "--db", db]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 13


def test_a_scan_of_a_phone_nobody_was_named_for_stays_in_the_full_history(store: Store) -> None:
    before, _, _ = f.audit_inputs(f.phone("ALONE"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    store.record_audit([before])
    (row,) = store.history(EVERYTHING)
    assert row.staff_id == "" and row.merged_scans == 0


# --- audits judged under an older version of the policy --------------------------------------


def test_audits_judged_under_an_older_version_of_the_policy_are_marked(
    store: Store, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    db = cli_db(store, request)  # its file, or its PostgreSQL address
    earlier = replace(f.POLICY, sha256=NZ_2023_EARLIER)
    for serial, person, policy in (("OLD", f.AROHA, earlier), ("NEW", f.BEN, f.POLICY)):
        before, after, actions = f.audit_inputs(
            f.phone(serial), person, f.Outcome.CLEAN, day=DAY, policy=policy
        )
        store.record_audit(
            [before, after], actions, person_name=person.name, staff_id=person.staff_id
        )
    marks = {a.device_id: a.older_policy for a in store.history(EVERYTHING)}
    assert marks["android:NEW"] == ""
    assert "judged under an older version of the policy" in marks["android:OLD"]
    assert "as an earlier release shipped it" in marks["android:OLD"]
    board = store.dashboard(f.POLICY.id, DAY)
    assert board.older_version == 1 and board.counts.total == 2
    store.close()
    assert main(["history", "--db", db]) == 0
    assert capsys.readouterr().out.count("judged under an older version of the policy") == 1


def test_an_accepted_policy_s_earlier_text_is_older_once_a_new_text_is_accepted(
    store: Store, tmp_path: Path
) -> None:
    first = changed_preset(tmp_path, own_id="org-tiktok-2023")
    store.accept_policy(first, by="Lead")
    old = load_policy_file(first)
    second = tmp_path / "v2.toml"
    text = first.read_text("utf-8")
    assert "\nversion = 1\n" in text
    second.write_text(text.replace("\nversion = 1\n", "\nversion = 2\n", 1), "utf-8")
    before, after, actions = f.audit_inputs(
        f.phone("A1"), f.AROHA, f.Outcome.CLEAN, day=DAY, policy=old
    )
    store.record_audit(
        [before, after], actions, person_name=f.AROHA.name, staff_id=f.AROHA.staff_id
    )
    assert store.history(EVERYTHING)[0].older_policy == ""
    store.accept_policy(second, by="Lead")
    (row,) = store.history(EVERYTHING)
    assert "(version 1; the current one is version 2)" in row.older_policy
    assert store.dashboard(old.id, DAY).older_version == 1


# --- witnessed receipts only -------------------------------------------------------------------


def _three_devices(store: Store, tmp_path: Path, policy_file: Path | None = None) -> str:
    """One witnessed receipt, one self-attested, one audit signed by nobody, all compliant."""
    policy = f.POLICY if policy_file is None else load_policy_file(policy_file)
    if policy_file is not None:
        store.accept_policy(policy_file, by="Lead")
    bench, own = Signer.generate(), Signer.generate()
    store.enrol_technician("Sam", bench.fingerprint, by="Lead")
    folder = tmp_path / "in"
    seven, eight = f.Person("Pat Seven", "PS-7000"), f.Person("Ola Eight", "PS-8000")
    drop(
        folder,
        "w.json",
        f.receipt(
            bench,
            cabled("W1", USB),
            seven,
            f.Outcome.CLEAN,
            day=DAY,
            policy=policy,
            technician="Sam",
        ),
    )
    drop(
        folder,
        "s.json",
        f.receipt(own, cabled("S1", USB), eight, f.Outcome.CLEAN, day=DAY, policy=policy),
    )
    report = store.import_folder(folder)
    assert report.imported == 2, report
    before, after, actions = f.audit_inputs(
        f.phone("L1"), f.AROHA, f.Outcome.CLEAN, day=DAY, policy=policy
    )
    store.record_audit(
        [before, after], actions, person_name=f.AROHA.name, staff_id=f.AROHA.staff_id
    )
    return policy.id


def test_the_dashboard_can_count_witnessed_receipts_only(store: Store, tmp_path: Path) -> None:
    policy_id = _three_devices(store, tmp_path)
    every = store.dashboard(policy_id, DAY)
    assert (every.counts.compliant, every.counts.unwitnessed, every.witnessed_only) == (3, 0, False)
    only = store.dashboard(policy_id, DAY, witnessed_only=True)
    assert only.witnessed_only
    assert (only.counts.compliant, only.counts.unwitnessed) == (1, 2)
    assert only.counts.total == every.counts.total == 3
    assert only.series[-1].counts == only.counts
    assert only.counts.of(DeviceStatus.COMPLIANT) == 1


def test_a_policy_can_ask_for_witnessed_receipts_only(store: Store, tmp_path: Path) -> None:
    file = changed_preset(tmp_path, own_id="org-witnessed-2023")
    file.write_text(
        file.read_text("utf-8").replace("\nid = ", "\nwitnessed_only = true\nid = ", 1), "utf-8"
    )
    assert load_policy_file(file).witnessed_only
    policy_id = _three_devices(store, tmp_path, file)
    asked = store.dashboard(policy_id, DAY)
    assert asked.witnessed_only and (asked.counts.compliant, asked.counts.unwitnessed) == (1, 2)
    overridden = store.dashboard(policy_id, DAY, witnessed_only=False)
    assert (overridden.counts.compliant, overridden.counts.unwitnessed) == (3, 0)
