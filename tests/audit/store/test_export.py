"""Exports for the compliance office, and receipts travelling between two histories."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from audit.attestation import Signer, write_receipt
from audit.attestation.dsse import sign
from audit.attestation.statement import canonical_json
from audit.errors import NoAuditsUnderPolicy, StoreError
from audit.store import ExportRow, ImportResult, Store, export_receipts, write_csv, write_json
from audit.store.export import COLUMNS, safe_cell
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)


def record(
    store: Store,
    person: f.Person,
    device: f.Device,
    outcome: f.Outcome,
    day: date = DAY,
    *,
    signer: Signer | None = None,
) -> int:
    before, after, actions = f.audit_inputs(device, person, outcome, day=day)
    f.accept_exemptions(store, *after.exemptions)  # the helpdesk accepted the approver's file
    envelope = None
    if signer is not None:
        envelope = f.receipt(signer, device, person, outcome, day=day)
    return store.record_audit(
        [before, after],
        actions,
        person_name=person.name,
        staff_id=person.staff_id,
        envelope=envelope,
    )


def csv_rows(rows: list[ExportRow]) -> list[list[str]]:
    out = io.StringIO(newline="")
    write_csv(rows, out)
    assert "\r\n" in out.getvalue()
    return list(csv.reader(io.StringIO(out.getvalue(), newline="")))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_are_made_text(start: str) -> None:
    cell = safe_cell(start + 'HYPERLINK("http://evil","x")')
    assert cell.startswith("'")
    assert safe_cell("Pixel 7") == "Pixel 7"
    assert safe_cell("") == ""


def test_the_csv_has_one_row_per_persons_device_with_hostile_text_neutralised(
    store: Store, signer: Signer
) -> None:
    hostile = f.phone("H1", name='=cmd|" /C calc"!A0')
    record(store, f.AROHA, hostile, f.Outcome.VIOLATION, date(2023, 3, 20))
    record(store, f.AROHA, hostile, f.Outcome.EXCEPTED, DAY, signer=signer)  # supersedes
    record(store, f.Person("@evil\x1b[2J", "-1+1"), f.phone("B1"), f.Outcome.CLEAN)
    rows = store.export_rows(today=DAY)
    assert len(rows) == 2
    header, *lines = csv_rows(rows)
    assert header == list(COLUMNS)
    by_staff = {
        line[COLUMNS.index("staff_id")]: dict(zip(COLUMNS, line, strict=True)) for line in lines
    }
    aroha = by_staff["PS-1042"]
    assert aroha["device_name"] == '\'=cmd|" /C calc"!A0'
    assert aroha["status"] == "compliant_with_exceptions"
    assert aroha["exemption_ids"] == "EX-PS-1042"
    assert aroha["signer"] == signer.fingerprint and aroha["attestation_id"]
    assert aroha["attested_at"].startswith("2023-03-28T12:06")
    evil = by_staff["'-1+1"]
    assert evil["person_name"] == "'@evil\\x1b[2J"
    assert evil["signer"] == "" and evil["origin"] == "local"


def test_the_json_export_keeps_values_exactly(store: Store) -> None:
    record(store, f.Person("@evil\x1b", "=1"), f.phone("B1", name="=x"), f.Outcome.CLEAN)
    rows = store.export_rows(today=DAY)
    out = io.StringIO()
    write_json(rows, out, today=DAY, policy_id=None)
    document = json.loads(out.getvalue())
    assert document["format"] == "device-audit-export" and document["version"] == 1
    assert document["status_day"] == "2023-03-28"
    [row] = document["rows"]
    assert (row["person_name"], row["staff_id"], row["device_name"]) == ("@evil\x1b", "=1", "=x")
    assert set(row) == set(COLUMNS)


def test_the_status_is_judged_on_the_export_day_and_the_policy_filters(store: Store) -> None:
    record(store, f.AROHA, f.phone("A1"), f.Outcome.VIOLATION, date(2023, 3, 20))
    before, after, actions = f.audit_inputs(
        f.phone("A1"), f.AROHA, f.Outcome.CLEAN, day=DAY, policy=f.OTHER_POLICY
    )
    store.record_audit([before, after], actions, staff_id=f.AROHA.staff_id)
    [row] = store.export_rows(policy_id=f.POLICY.id, today=date(2023, 4, 2))
    assert (row.status, row.recorded_status) == ("overdue", "non_compliant")
    [row] = store.export_rows(policy_id=f.POLICY.id, today=date(2023, 3, 30))
    assert row.status == "non_compliant"
    assert len(store.export_rows(today=DAY)) == 2


def comparable(row: ExportRow) -> ExportRow:
    """Rows as both histories must agree on them. The trust note of a key that signed for two
    staff ids lands on whichever receipt each history saw second, so it is left out."""
    return replace(row, origin="", audit_uid="", trust_note="")


def test_receipts_exported_from_one_history_import_into_another_with_every_record(
    tmp_path: Path, signer: Signer
) -> None:
    staff = Signer.generate()
    with Store(tmp_path / "helpdesk.sqlite3") as helpdesk:
        record(helpdesk, f.AROHA, f.phone("A1"), f.Outcome.CLEAN, signer=signer)
        record(helpdesk, f.AROHA, f.phone("A2"), f.Outcome.EXCEPTED, signer=signer)
        record(helpdesk, f.BEN, f.phone("B1"), f.Outcome.VIOLATION, signer=signer)
        record(helpdesk, f.BEN, f.phone("B2"), f.Outcome.INCOMPLETE, signer=signer)
        record(helpdesk, f.BEN, f.phone("B3"), f.Outcome.CLEAN)  # never signed: cannot travel
        write_receipt(
            f.receipt(staff, f.phone("M1"), f.Person("Mere", "PS-3"), f.Outcome.CLEAN, day=DAY),
            tmp_path / "mere.json",
        )
        (tmp_path / "in").mkdir()
        (tmp_path / "mere.json").rename(tmp_path / "in" / "mere.json")
        assert helpdesk.import_folder(tmp_path / "in").imported == 1
        written = export_receipts(helpdesk.receipts(), tmp_path / "out")
        assert len(written) == 5
        source_rows = helpdesk.export_rows(today=DAY)
        source_receipts = {r.uid: r.envelope for r in helpdesk.receipts()}

    with Store(tmp_path / "office.sqlite3") as office:
        # The office accepted Aroha's exemption, as the helpdesk that recorded it had it.
        granted = f.exemption(f.AROHA, DAY + timedelta(days=180))
        office.accept_exemptions(f.exemptions_file(tmp_path / "ex.toml", granted), by="Lead")
        report = office.import_folder(tmp_path / "out")
        assert (report.imported, report.refused) == (5, 0)
        assert {r.uid: r.envelope for r in office.receipts()} == source_receipts
        signed = [r for r in source_rows if r.attestation_id]
        assert [comparable(r) for r in office.export_rows(today=DAY)] == [
            comparable(r) for r in signed
        ]
        assert {k.identity: k.signer for k in office.trusted_keys()} == {
            "PS-1042": signer.fingerprint,
            "PS-2001": signer.fingerprint,
            "PS-3": staff.fingerprint,
        }
        again = export_receipts(office.receipts(), tmp_path / "office-out")
        assert sorted(p.name for p in again) == sorted(p.name for p in written)
        for path in again:
            assert path.read_bytes() == (tmp_path / "out" / path.name).read_bytes()
        assert office.import_folder(tmp_path / "out").duplicates == 5


def test_a_receipt_id_is_never_used_as_a_path(store: Store, signer: Signer, tmp_path: Path) -> None:
    envelope = f.receipt(signer, f.phone("X"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    statement: dict[str, Any] = json.loads(envelope.payload)
    statement["predicate"]["id"] = "../../escaped"
    forged = sign(canonical_json(statement), signer)
    (tmp_path / "in").mkdir()
    write_receipt(forged, tmp_path / "in" / "forged.json")
    assert store.import_folder(tmp_path / "in").outcomes[0].result is ImportResult.IMPORTED
    [path] = export_receipts(store.receipts(), tmp_path / "out" / "deep")
    assert path.parent == tmp_path / "out" / "deep"
    assert path.name.startswith("receipt-") and path.read_bytes() == forged.to_file_bytes()
    assert not (tmp_path / "escaped").exists()


def test_exporting_twice_is_safe_and_nothing_is_overwritten(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    record(store, f.AROHA, f.phone("A1"), f.Outcome.CLEAN, signer=signer)
    [first] = export_receipts(store.receipts(), tmp_path / "out")
    [second] = export_receipts(store.receipts(), tmp_path / "out")
    assert first == second
    first.write_bytes(b"something else")
    with pytest.raises(StoreError, match="already exists"):
        export_receipts(store.receipts(), tmp_path / "out")
    assert first.read_bytes() == b"something else"


def test_exporting_a_policy_with_no_audits_says_which_policies_there_are(store: Store) -> None:
    before, after, actions = f.audit_inputs(f.phone("X1"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    store.record_audit([before, after], actions, staff_id=f.AROHA.staff_id)
    for export in (
        lambda: store.export_rows(policy_id="nz-parliament-2O23", today=DAY),
        lambda: store.receipts("nz-parliament-2O23"),
    ):
        with pytest.raises(NoAuditsUnderPolicy) as caught:
            export()
        assert caught.value.message == (
            "No audits under policy 'nz-parliament-2O23' in the history; policies there: "
            f"{f.POLICY.id}."
        )
        assert caught.value.policy_id == "nz-parliament-2O23"
        assert caught.value.known == (f.POLICY.id,)
    assert len(store.export_rows(policy_id=f.POLICY.id, today=DAY)) == 1
    assert len(store.export_rows(today=DAY)) == 1
