"""The workflow object on its own, with the app's demo phone (in this process, no adb server):
one object from the first check to the receipt, what it tells its caller, and what it writes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from audit import demo
from audit.attestation import Attester, verify_file
from audit.errors import Cancelled
from audit.policy import load_policy
from audit.remediation import pending
from audit.store import DEMO_NOT_RECORDED, Store
from audit.workflow import DeviceAudit, Notice, phone, saved_scan
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture

pytestmark = pytest.mark.usefixtures("memory_keyring")

NZ = "nz-parliament-2023"
DAY = date.today()  # a run judged as of another day is never recorded
TIKTOK = "com.zhiliaoapp.musically"
ANNA = Attester("Anna Smith", "S1234")


def demo_audit(folder: Path, heard: list[Notice]) -> DeviceAudit:
    demo.switch_on()
    return DeviceAudit(
        phone(demo.DEMO_ADDRESS),
        load_policy(NZ),
        day=DAY,
        person=ANNA.staff_id,
        history=folder / "history.sqlite3",
        pending_folder=folder / "pending",
        say=heard.append,
    )


def removed(audit_: DeviceAudit) -> None:
    audit_.start_removal(audit_.check())
    (result,) = audit_.run_automatic(confirm=lambda _step: True)
    assert result.ok and result.identifier == TIKTOK
    assert audit_.rescan().status.compliant


def test_one_object_walks_the_demo_phone_to_its_receipt_and_records_nothing(
    tmp_path: Path,
) -> None:
    heard: list[Notice] = []
    with demo_audit(tmp_path, heard) as audit_:
        removed(audit_)
        saved = audit_.pending_path(audit_.check().scan.device)
        assert saved.parent == tmp_path / "pending"
        kept = pending.load(saved)
        assert kept is not None and [a.identifier for a in kept.actions] == [TIKTOK]

        proof = audit_.proof(audit_.check())
        receipt = audit_.sign(proof, ANNA, "I removed TikTok.", tmp_path / "receipt.json")
    assert receipt.audit_id is None and not saved.exists()
    verified = verify_file(receipt.path)
    assert verified.simulated and verified.compliant
    assert [n.text for n in heard].count(DEMO_NOT_RECORDED) == 1
    assert not any(n.warning for n in heard)
    with Store(tmp_path / "history.sqlite3") as store:
        assert store.count() == 0


def test_a_sign_cancelled_before_signing_writes_nothing_and_keeps_the_removal(
    tmp_path: Path,
) -> None:
    with demo_audit(tmp_path, []) as audit_:
        removed(audit_)
        proof = audit_.proof(audit_.check())
        out = tmp_path / "receipt.json"
        with pytest.raises(Cancelled):
            audit_.sign(proof, ANNA, "I removed TikTok.", out, cancelled=lambda: True)
    assert not out.exists()
    assert proof.saved is not None and pending.load(proof.path) is not None


def test_a_history_that_cannot_be_written_is_said_once_and_the_removal_goes_on(
    tmp_path: Path,
) -> None:
    """A real phone would be recorded: this one reads like a phone reached over adb."""
    heard: list[Notice] = []
    (tmp_path / "history.sqlite3").write_bytes(b"a shopping list, not a database\n" * 100)
    with demo_audit(tmp_path, heard) as audit_:
        before = audit_.check()
        real = replace(
            before, scan=replace(before.scan, device=replace(before.scan.device, simulated=False))
        )
        audit_.start_removal(real)
        audit_.run_automatic(confirm=lambda _step: True)
        audit_.rescan()
    warnings = [n for n in heard if n.warning]
    assert len(warnings) == 1
    assert warnings[0].text.startswith("The scan could not be recorded in the history")
    assert "kept for 'attest'" in warnings[0].next_step


def test_an_inventory_file_is_judged_without_a_phone_to_ask(tmp_path: Path) -> None:
    """No phone to confirm a state: judged as it is, nothing written anywhere."""
    with demo_audit(tmp_path, []) as live:
        scan = live.check().scan
    audit_ = DeviceAudit(saved_scan(scan), load_policy(NZ), day=DAY)
    judged = audit_.check()
    assert [f.app.identifier for f in judged.violations] == [TIKTOK]
    assert not (tmp_path / "history.sqlite3").exists()
