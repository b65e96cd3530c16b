"""The demo iPhone through the one workflow (audit.workflow.DeviceAudit), as the window walks
it: an offloaded TikTok found, deleted, the rescan proving it, a receipt that says simulated."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from audit import demo
from audit.attestation import Attester, verify_file
from audit.errors import DeviceGone
from audit.model import AppState, ConnectionKind, DeviceKind
from audit.policy import load_policy
from audit.sources.ios.scan import scan_iphone
from audit.workflow import DeviceAudit, iphone

pytestmark = pytest.mark.usefixtures("memory_keyring")

TIKTOK = "com.zhiliaoapp.musically"
SAM = Attester("Sam Staff", "S1234")


def test_the_demo_iphone_walks_to_a_simulated_receipt(tmp_path: Path) -> None:
    demo.switch_on_iphone()
    with DeviceAudit(
        iphone(demo.DEMO_IPHONE_ADDRESS),
        load_policy("nz-parliament-2023"),
        day=date.today(),
        person=SAM.staff_id,
        history=tmp_path / "history.sqlite3",
        pending_folder=tmp_path / "pending",
    ) as audit_:
        before = audit_.check()
        device = before.scan.device
        assert device.kind is DeviceKind.IOS and device.simulated
        assert device.connection is not None and device.connection.kind is ConnectionKind.DEMO
        (violation,) = before.violations
        assert (violation.app.identifier, violation.app.state) == (TIKTOK, AppState.OFFLOADED)
        audit_.start_removal(before)
        (result,) = audit_.run_automatic(confirm=lambda _step: True)
        assert result.ok and "The iPhone answered that it deleted TikTok" in result.message
        after = audit_.rescan()
        assert after.status.compliant
        receipt = audit_.sign(
            audit_.proof(after), SAM, "I deleted TikTok.", tmp_path / "receipt.json"
        )
    verified = verify_file(receipt.path)
    assert verified.simulated and verified.compliant


def test_a_switched_off_demo_iphone_is_gone_not_scanned_elsewhere() -> None:
    demo.switch_on_iphone()
    demo.switch_off()
    with pytest.raises(DeviceGone, match="demo iPhone is switched off"):
        scan_iphone(demo.DEMO_IPHONE_ADDRESS)
