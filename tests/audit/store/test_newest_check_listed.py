"""The history list shows the check that counts (schema.COUNTED_STATUS): an unnamed check at
the bench newer than the receipt naming the person is listed on its own, with its status, and
not folded into the receipt it overtook as "1 merged scan" (audit.store.lineage)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audit.attestation import Signer, write_receipt
from audit.model import Connection, ConnectionKind, DeviceStatus
from audit.store import HistoryFilter, Store
from tests.audit.store import factory as f

CABLE = Connection(ConnectionKind.USB, usb_path="1-1.2", model="Pixel_7")
PHONE = replace(f.phone("R58LISTED01"), connection=CABLE)


def _bench_check(store: Store, at: datetime, outcome: f.Outcome) -> None:
    first, _after, _actions = f.audit_inputs(PHONE, f.AROHA, outcome, day=at.date())
    store.record_audit([replace(first, scan=replace(first.scan, started_at=at, finished_at=at))])


def _receipt(store: Store, tmp_path: Path, day: datetime) -> None:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    envelope = f.receipt(Signer.generate(), PHONE, f.AROHA, f.Outcome.CLEAN, day=day.date())
    write_receipt(envelope, folder / f"{day:%Y%m%d}.json")
    store.import_folder(folder)


def test_a_later_unnamed_check_is_listed_not_merged(store: Store, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    _bench_check(store, now - timedelta(hours=1), f.Outcome.VIOLATION)
    _receipt(store, tmp_path, now - timedelta(days=7))
    rows = store.history(HistoryFilter())
    unnamed = [a for a in rows if not a.staff_id]
    named = [a for a in rows if a.staff_id]
    assert [a.status for a in unnamed] == [DeviceStatus.OVERDUE]
    assert [a.merged_scans for a in named] == [0]


def test_an_earlier_unnamed_check_is_still_merged(store: Store, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    _bench_check(store, now - timedelta(days=9), f.Outcome.VIOLATION)
    _receipt(store, tmp_path, now - timedelta(days=7))
    rows = store.history(HistoryFilter())
    assert [a.staff_id for a in rows] == [f.AROHA.staff_id]
    assert [a.merged_scans for a in rows] == [1]
