"""A later cabled check at the bench that found TikTok stops counting the moment any receipt
naming a person arrives for the same phone, even an older one: the phone counts compliant.

How a person does it: a technician plugs the staff member's phone into the bench (helpdesk
mode checks it at once; or `device-audit remove --device X` without `--person`). TikTok is
found, the person says "I'll take it off myself" (or the removal is refused by the phone's
device policy), and the bench records that unnamed, cabled, overdue check. The staff member
then hands in the self-attested receipt they made at their own desk the week before, when
TikTok was briefly off the phone. The history's rule "an unnamed audit counts only until
someone is named for an audit of that device" (audit/store/schema.py, COUNTED_STATUS) drops the
bench's newer check altogether: the dashboard and the export count the phone compliant on the
older receipt, and nothing says a later check on a cable found TikTok. The network rule
("never replaces a cabled check that found it not compliant") does not apply: the receipt was
made on a cable too. The README promises the unnamed scans "join" the named audit; they
vanish instead.

What the product should do: an unnamed audit of the device that is later than the named
person's latest audit stays in that line (or the named audit is held, "a later check of this
phone found a banned app"), so the newest check of the phone decides, as it would had the
bench named the person.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audit.attestation import Signer, write_receipt
from audit.model import Connection, ConnectionKind, DeviceStatus
from audit.store import ImportResult, Store
from tests.audit.store import factory as f
from tests.helpers.nz_tiktok import POLICY

CABLE = Connection(ConnectionKind.USB, usb_path="1-1.2", model="Pixel_7")
PHONE = replace(f.phone("R58MBENCH01"), connection=CABLE)


def test_an_older_named_receipt_does_not_outweigh_a_later_cabled_check_that_found_tiktok(
    tmp_path: Path,
) -> None:
    today = datetime.now(UTC).date()
    week_ago = today - timedelta(days=7)
    with Store(tmp_path / "bench.sqlite3") as bench:
        # Today at the bench: nobody named yet, TikTok found on the cable, nothing removed.
        first, _after, _actions = f.audit_inputs(PHONE, f.AROHA, f.Outcome.VIOLATION, day=today)
        at = datetime.now(UTC) - timedelta(hours=1)
        first = replace(first, scan=replace(first.scan, started_at=at, finished_at=at))
        bench.record_audit([first])
        [row] = bench.export_rows()
        assert row.recorded_status == DeviceStatus.OVERDUE.value  # the bench's own word

        # Then the staff member's own receipt from a week ago, made on a cable at their desk.
        folder = tmp_path / "in"
        folder.mkdir()
        old = f.receipt(Signer.generate(), PHONE, f.AROHA, f.Outcome.CLEAN, day=week_ago)
        write_receipt(old, folder / "aroha.json")
        [outcome] = bench.import_folder(folder).outcomes
        assert outcome.result is ImportResult.IMPORTED, outcome.reason

        rows = bench.export_rows()
        board = bench.dashboard(POLICY.id)
    statuses = {(r.staff_id, r.recorded_status) for r in rows}
    # Today: {("PS-1042", "compliant")}; the bench's overdue check is gone from the export.
    assert ("PS-1042", "compliant") not in statuses, rows
    assert board.counts.compliant == 0, board.counts
