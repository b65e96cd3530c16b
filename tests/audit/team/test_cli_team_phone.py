"""`remove` and `attest` record into a team history (issue 18): a simulated phone with TikTok in
its work profile, reached through the real adb server, removed, checked again and signed, the
team history on a real PostgreSQL server chosen once with DEVICE_AUDIT_DB as a scripted bench
does. The removal and its receipt are one audit there, as they are in a file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import audit.cli
from audit.cli import main, target
from audit.model import DeviceStatus
from audit.store import Store
from audit.store.evidence import LOOPBACK_NOTE
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from tests.helpers.phones import AdbServer, phone_args

pytestmark = [pytest.mark.adb, pytest.mark.postgres, pytest.mark.usefixtures("memory_keyring")]

NZ = "nz-parliament-2023"
DAY = date.today().isoformat()  # a receipt judged as of another day is never recorded
NAME, STAFF_ID = "Aroha Ngata", "PS-1042"


def test_remove_and_attest_record_one_audit_in_the_team_history(
    *,
    sim_phone: Any,
    adb_server: AdbServer,
    postgres_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(audit.cli, "receipt_pdf_writer", None)
    monkeypatch.setenv(target.ENVIRONMENT, postgres_dsn)
    monkeypatch.chdir(tmp_path)
    phone = sim_phone("samsung-work-profile")
    common = [*phone_args(phone, adb_server), "--policy", NZ, "--date", DAY]
    assert main(["remove", *common, "--person", STAFF_ID, "--yes"]) == 0
    # attest from another folder: the saved removal names the team history by its address, so
    # it still continues the same audit (a relative path once made it a second audit)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    out = tmp_path / "receipt.json"
    attest = ["attest", *common, "--name", NAME, "--staff-id", STAFF_ID, "--accept-statement"]
    assert main([*attest, "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "could not be recorded" not in printed.err  # no history problem was said

    with Store(postgres_dsn) as team:
        (summary,) = team.history()
        details = team.audit_details(summary.id)
    assert summary.staff_id == STAFF_ID and summary.status is not None
    # Clean after the removal, and held as every phone reached from a program on this
    # computer is (the simulator behind `adb connect 127.0.0.1`): the same as its receipt
    # imported would count (audit.store.evidence), whichever road reaches the team first.
    assert summary.status.value == "non_compliant"
    assert summary.trust_note.startswith(LOOPBACK_NOTE), summary.trust_note
    assert [s.status for s in details.scans][-1] is DeviceStatus.COMPLIANT
    assert len(details.scans) == 3  # remove's check, its rescan, attest's check
    assert [r.kind for r in details.receipts] == ["compliance_attestation"]
    assert main(["history", "--json"]) == 0  # read back through the same variable
    (row,) = json.loads(capsys.readouterr().out)
    assert row["receipt"]["kind"] == "compliance_attestation"
