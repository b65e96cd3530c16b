"""The import report says when an imported receipt does not count because a later check of the
same phone at the bench, left unnamed, does (chains.COUNTED_STATUS: the newest check decides).

The way in this closes: a staff member hands in last week's clean receipt after the bench found
TikTok today and nobody was named; the report said only "imported", and whoever imported it
believed the phone counted as compliant. Both backends (the `store` fixture).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from audit.attestation import Envelope, Signer, write_receipt
from audit.model import Device
from audit.store import FileOutcome, ImportResult, Store
from audit.store.import_decisions import _overtaken
from tests.audit.store import factory as f

DAY = date(2023, 3, 20)
LATER = DAY + timedelta(days=3)
NOTE_START = _overtaken("{day}").split("{day}")[0]


def _unnamed(store: Store, device: Device, outcome: f.Outcome, day: date) -> int:
    before, after, actions = f.audit_inputs(device, f.AROHA, outcome, day=day)
    return store.record_audit([before, after], actions)


def _import(store: Store, folder: Path, *envelopes: Envelope) -> list[FileOutcome]:
    folder.mkdir()
    for n, envelope in enumerate(envelopes):
        write_receipt(envelope, folder / f"{n:03d}.json")
    outcomes = list(store.import_folder(folder, workers=0).outcomes)
    for outcome in outcomes:
        assert outcome.result is ImportResult.IMPORTED, outcome.reason
    return outcomes


def test_an_older_receipt_imported_after_a_later_bench_check_says_the_check_counts(
    store: Store, tmp_path: Path
) -> None:
    phone, other = f.phone("R58LINE01"), f.phone("R58LINE02")
    _unnamed(store, phone, f.Outcome.VIOLATION, LATER)
    signer = Signer.generate()
    old, fine = _import(
        store,
        tmp_path / "in",
        f.receipt(signer, phone, f.AROHA, f.Outcome.CLEAN, day=DAY),
        f.receipt(signer, other, f.AROHA, f.Outcome.CLEAN, day=DAY),
    )
    assert old.reason == _overtaken(LATER.isoformat()), old.reason
    assert f"({LATER.isoformat()})" in old.reason
    assert NOTE_START not in fine.reason  # a phone nobody checked later counts as imported
    # What the line says is what the history counts: the receipt's phone is not compliant.
    [row] = [r for r in store.export_rows(today=LATER) if r.device_id == phone.id]
    assert row.staff_id == ""


def test_a_receipt_newer_than_the_bench_check_counts_and_says_nothing_more(
    store: Store, tmp_path: Path
) -> None:
    phone = f.phone("R58LINE03")
    _unnamed(store, phone, f.Outcome.VIOLATION, DAY)
    [newer] = _import(
        store,
        tmp_path / "in",
        f.receipt(Signer.generate(), phone, f.AROHA, f.Outcome.CLEAN, day=LATER),
    )
    assert NOTE_START not in newer.reason, newer.reason
    [row] = store.export_rows(today=LATER)
    assert row.staff_id == f.AROHA.staff_id


def test_the_note_names_the_newest_of_several_bench_checks(store: Store, tmp_path: Path) -> None:
    phone = f.phone("R58LINE04")
    _unnamed(store, phone, f.Outcome.CLEAN, DAY + timedelta(days=1))
    _unnamed(store, phone, f.Outcome.VIOLATION, LATER)
    [old] = _import(
        store,
        tmp_path / "in",
        f.receipt(Signer.generate(), phone, f.AROHA, f.Outcome.CLEAN, day=DAY),
    )
    assert old.reason == _overtaken(LATER.isoformat()), old.reason
