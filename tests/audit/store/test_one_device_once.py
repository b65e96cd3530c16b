"""One device counts once: the unnamed scans of a phone (at start-up, before a restart, an
incomplete one) and its signed audit under the same policy are one line, and the helpdesk's
own bench computer is not a staff device unless someone is audited on it. The dashboard, the
history and the export give the same count for the same store."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date

import pytest

from audit.attestation import Signer
from audit.cli import main
from audit.model import Device, DeviceKind
from audit.store import HistoryFilter, Store
from tests.audit.store import factory as f
from tests.audit.store.cli_target import cli_db

DAY = date(2023, 3, 28)
BENCH = Device(id="local:0123456789abcdef", kind=DeviceKind.COMPUTER, name="helpdesk-bench")


def _four_phones_and_the_bench(store: Store, signer: Signer) -> None:
    bench_before, _, _ = f.audit_inputs(BENCH, f.AROHA, f.Outcome.CLEAN, day=DAY)
    store.record_audit([bench_before])  # the bench scans itself at start-up
    for index in range(4):
        phone = f.phone(f"PHONE{index}")
        person = f.Person(f"Person {index}", f"PS-{index}")
        before, after, actions = f.audit_inputs(phone, person, f.Outcome.CLEAN, day=DAY)
        store.record_audit([before])  # unnamed: the scan when the phone was plugged in
        incomplete = replace(after, scan=replace(after.scan, sources=()))
        store.record_audit([incomplete])  # unnamed again, after the phone restarted
        envelope = f.receipt(signer, phone, person, f.Outcome.CLEAN, day=DAY)
        store.record_audit(
            [before, after],
            actions,
            person_name=person.name,
            staff_id=person.staff_id,
            envelope=envelope,
        )


def test_four_phones_count_as_four_in_the_dashboard_the_history_and_the_export(
    store: Store, signer: Signer, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    db = cli_db(store, request)  # its file, or its PostgreSQL address
    _four_phones_and_the_bench(store, signer)
    dashboard = store.dashboard(f.POLICY.id, DAY)
    latest = store.history(HistoryFilter(latest_only=True))
    exported = store.export_rows(today=DAY)
    assert dashboard.counts.total == 4
    assert dashboard.counts.compliant == 4
    assert len(latest) == 4
    assert len(exported) == 4
    assert sorted(r.staff_id for r in exported) == [f"PS-{i}" for i in range(4)]
    assert {a.staff_id for a in latest} == {r.staff_id for r in exported}
    store.close()

    assert main(["export", "--format", "csv", "--db", db]) in (0, 1)
    assert len(list(csv.DictReader(io.StringIO(capsys.readouterr().out)))) == 4
    assert main(["history", "--latest", "--json", "--db", db]) in (0, 1)
    assert len(json.loads(capsys.readouterr().out)) == 4


def test_the_bench_computer_counts_once_someone_is_audited_on_it(
    store: Store, signer: Signer
) -> None:
    _four_phones_and_the_bench(store, signer)
    before, after, actions = f.audit_inputs(BENCH, f.BEN, f.Outcome.CLEAN, day=DAY)
    store.record_audit([before, after], actions, person_name=f.BEN.name, staff_id=f.BEN.staff_id)
    assert store.dashboard(f.POLICY.id, DAY).counts.total == 5
    assert len(store.export_rows(today=DAY)) == 5


def test_an_unnamed_scan_of_a_phone_nobody_was_named_for_still_counts(store: Store) -> None:
    before, _, _ = f.audit_inputs(f.phone("ALONE"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    store.record_audit([before])
    assert store.dashboard(f.POLICY.id, DAY).counts.total == 1
    assert len(store.export_rows(today=DAY)) == 1
