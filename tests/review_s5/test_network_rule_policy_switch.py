"""The network rule ("a phone reached over the network never replaces a check on a cable that
found it not compliant") is kept per policy id, so a bench check under the superseded preset
that found TikTok does not hold a network receipt under the preset that replaced it.

How a person does it: the helpdesk checked the staff member's phone on a cable under
nz-parliament-2023 and found TikTok (overdue). The office then moved to nz-parliament-2025
("superseded_by" in the 2023 file; it bans TikTok too, and more). The staff member now hands in
a receipt under nz-parliament-2025 from a "phone" reached over the network (their own
simulator, `adb connect 192.168.1.20:5555`): with no cabled check under the 2025 id, the rule
finds nothing before it and the 2025 dashboard counts the phone compliant. Under the 2023 id
the same receipt would be held ("reached over the network, after a check on a cable").

What the product should do: a cabled check under a policy the receipt's policy supersedes
(the superseded_by chain), for a rule both ban, holds the network receipt as the same policy's
check would.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audit.attestation import Signer, write_receipt
from audit.model import Connection, ConnectionKind
from audit.policy import load_policy
from audit.store import ImportResult, Store
from tests.audit.store import factory as f

CABLE = Connection(ConnectionKind.USB, usb_path="1-1.2", model="Pixel_7")
WIFI = Connection(ConnectionKind.NETWORK, address="192.168.1.20:5555", model="Pixel_7")
SERIAL = "R58MSWITCH1"


def _held_after_cable(tmp_path: Path, receipt_policy_id: str) -> tuple[str, str]:
    """(status in the export, trust note) of the network receipt under `receipt_policy_id`,
    imported after a cabled bench check under nz-parliament-2023 that found TikTok."""
    today = datetime.now(UTC).date()
    with Store(tmp_path / f"{receipt_policy_id}.sqlite3") as bench:
        cabled = replace(f.phone(SERIAL), connection=CABLE)
        first, _after, _actions = f.audit_inputs(cabled, f.AROHA, f.Outcome.VIOLATION, day=today)
        at = datetime.now(UTC) - timedelta(hours=2)
        first = replace(first, scan=replace(first.scan, started_at=at, finished_at=at))
        bench.record_audit([first], person_name=f.AROHA.name, staff_id=f.AROHA.staff_id)

        remote = replace(f.phone(SERIAL), connection=WIFI)
        folder = tmp_path / f"in-{receipt_policy_id}"
        folder.mkdir()
        envelope = f.receipt(
            Signer.generate(),
            remote,
            f.AROHA,
            f.Outcome.CLEAN,
            day=today,
            policy=load_policy(receipt_policy_id),
        )
        write_receipt(envelope, folder / "aroha.json")
        [outcome] = bench.import_folder(folder).outcomes
        assert outcome.result is ImportResult.IMPORTED, outcome.reason
        [row] = [r for r in bench.export_rows() if r.policy_id == receipt_policy_id]
        return row.status, row.trust_note


def test_control_the_same_policy_holds_the_network_receipt(tmp_path: Path) -> None:
    status, note = _held_after_cable(tmp_path, "nz-parliament-2023")
    assert status != "compliant" and "reached over the network, after a check on a cable" in note


def test_the_policy_that_supersedes_it_holds_the_network_receipt_too(tmp_path: Path) -> None:
    status, note = _held_after_cable(tmp_path, "nz-parliament-2025")
    # Today: "compliant", no trust note.
    assert status != "compliant", note
