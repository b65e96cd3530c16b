"""A history for the history window and dashboard tests: real audits and signed receipts from
the store's test factory, written to a real SQLite file."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from audit.attestation import Signer, write_receipt
from audit.store import Store
from tests.audit.store import factory as f

DAY = date(2023, 3, 20)
MERE = f.Person("Mere Tūhoe", "PS-3003")
HOSTILE = f.Person("<b>Eve</b>\u202eevil", "PS-6666")

# person, device, outcome, day offset, policy, signed?
PLAN = [
    (f.AROHA, f.phone("A1", "Galaxy S21"), f.Outcome.VIOLATION, 0, f.POLICY, False),
    (f.AROHA, f.phone("A1", "Galaxy S21"), f.Outcome.CLEAN, 3, f.POLICY, True),
    (f.BEN, f.phone("B1", "Pixel 7"), f.Outcome.EXCEPTED, 1, f.POLICY, True),
    (f.BEN, f.phone("B2", "Tab 100%_off"), f.Outcome.INCOMPLETE, 5, f.OTHER_POLICY, False),
    (MERE, f.phone("M1", "Pixel 7"), f.Outcome.VIOLATION, 8, f.POLICY, False),
    (HOSTILE, f.phone("H1", "<img src=x>\x1b[31m"), f.Outcome.CLEAN, 2, f.POLICY, False),
]


def fill(path: Path, receipts: Path) -> Path:
    """Write the PLAN's audits to the history at `path`; signed receipts are also saved as
    files (and a stand-in PDF) in `receipts`, whose absolute paths the store records."""
    signer = Signer.generate()
    receipts.mkdir(parents=True, exist_ok=True)
    with Store(path) as store:
        # The helpdesk accepted the exemption Ben's device is kept under (as audit_inputs
        # grants it): an exemption nobody accepted is held as not compliant (audit.store.holds).
        for person, _device, outcome, offset, _policy, _signed in PLAN:
            if outcome is f.Outcome.EXCEPTED:
                granted = f.exemption(person, DAY + timedelta(days=offset + 180))
                file = f.exemptions_file(receipts / f"exemptions-{person.staff_id}.toml", granted)
                store.accept_exemptions(file, by="Lead")
        for person, device, outcome, offset, policy, signed in PLAN:
            day = DAY + timedelta(days=offset)
            before, after, actions = f.audit_inputs(device, person, outcome, day=day, policy=policy)
            envelope = None
            file_name = ""
            if signed:
                envelope = f.receipt(signer, device, person, outcome, day=day, policy=policy)
                file = receipts / f"receipt-{device.serial}-{offset}.json"
                write_receipt(envelope, file)
                file.with_suffix(".pdf").write_bytes(b"%PDF-1.4 stand-in")
                file_name = str(file)
            store.record_audit(
                [before, after],
                actions,
                person_name=person.name,
                staff_id=person.staff_id,
                envelope=envelope,
                file_name=file_name,
            )
    return path
