"""The same audit through the workflow API and through the command line gives the same history
and the same receipt: a simulated phone with TikTok in its work profile, through the real adb
server, removed, checked again and signed. Only times, ids and the phone's address may differ
(each way gets a phone of its own)."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import audit.cli
from audit.attestation import Attester, verify_file
from audit.cli import main
from audit.model import Device
from audit.policy import load_policy
from audit.remediation import pending, statement_text
from audit.store import Store
from audit.workflow import DeviceAudit, Notice, phone
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from tests.helpers.phones import AdbServer
from tests.phonesim import SimulatedPhone

pytestmark = [pytest.mark.adb, pytest.mark.usefixtures("memory_keyring")]

NZ = "nz-parliament-2023"
DAY = date.today().isoformat()  # a receipt judged as of another day is never recorded
TIKTOK = "com.zhiliaoapp.musically"
NAME, STAFF_ID = "Aroha Ngata", "PS-1042"


# What may differ between two runs of one audit: when, which id, and how the phone was reached.
def volatile(key: str) -> bool:
    return key in ("id", "uid", "at") or key.endswith(("_at", "_uid"))


def plain(value: Any, address: str) -> Any:
    """`value` as JSON-like data with the volatile fields dropped and the address named."""
    text = json.dumps(value, default=_jsonable, sort_keys=True).replace(address, "<phone>")
    return _drop(json.loads(text))


def _jsonable(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else str(value)


def _drop(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop(v) for k, v in value.items() if not volatile(k)}
    if isinstance(value, list):
        return [_drop(v) for v in value]
    return value


def history_rows(db: Path, address: str) -> list[Any]:
    with Store(db) as store:
        rows = []
        for summary in store.history():
            details = store.audit_details(summary.id)
            rows.append(
                plain(
                    {
                        "summary": details.summary,
                        "scans": details.scans,
                        "actions": details.actions,
                        "receipts": [
                            (r.kind, r.file_name, r.signer, r.identity, r.status)
                            for r in details.receipts
                        ],
                    },
                    address,
                )
            )
        return rows


def receipt_facts(path: Path, address: str) -> Any:
    predicate = verify_file(path).statement["predicate"]
    predicate.pop("times", None)
    return plain(predicate, address)


def through_the_cli(phone_: SimulatedPhone, adb_server: AdbServer, folder: Path) -> Path:
    db, out = folder / "history.sqlite3", folder / "receipt.json"
    target = ["--device", phone_.address, "--adb-port", str(adb_server.port), "--policy", NZ]
    common = [*target, "--date", DAY, "--db", str(db)]
    assert main(["remove", *common, "--person", STAFF_ID, "--yes"]) == 0
    code = main(
        [
            "attest",
            *common,
            "--name",
            NAME,
            "--staff-id",
            STAFF_ID,
            "--accept-statement",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out


def through_the_api(phone_: SimulatedPhone, adb_server: AdbServer, folder: Path) -> Path:
    """The same audit as one object, the way the window drives it."""
    db, out = folder / "history.sqlite3", folder / "receipt.json"
    policy = load_policy(NZ)
    day = date.fromisoformat(DAY)
    heard: list[Notice] = []
    reach = phone(phone_.address, adb_server.port)
    with DeviceAudit(
        reach, policy, day=day, person=STAFF_ID, history=db, say=heard.append
    ) as audit_:
        before = audit_.check()
        assert [f.app.identifier for f in before.violations] == [TIKTOK]
        audit_.start_removal(before)
        (result,) = audit_.run_automatic(confirm=lambda _step: True)
        assert result.ok
        assert audit_.rescan().status.compliant
        proof = audit_.proof(audit_.check())
        assert not proof.blockers
        attester = Attester(NAME, STAFF_ID)
        text = statement_text(
            name=NAME,
            staff_id=STAFF_ID,
            device=f"the phone with serial {phone_.address}",
            policy=f"{policy.title} ({policy.id})",
            day=day,
        )
        receipt = audit_.sign(proof, attester, text, out)
        assert receipt.audit_id == audit_.recorded_id is not None
        assert receipt.pdf is not None and receipt.pdf.path is None  # no Qt writer given
    assert not [n for n in heard if n.warning]
    return out


def test_the_workflow_and_the_cli_record_and_sign_the_same_audit(
    sim_phone: Any, adb_server: AdbServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit.cli, "receipt_pdf_writer", None)
    cli_phone, api_phone = sim_phone("samsung-work-profile"), sim_phone("samsung-work-profile")
    (tmp_path / "cli").mkdir()
    (tmp_path / "api").mkdir()
    by_cli = through_the_cli(cli_phone, adb_server, tmp_path / "cli")
    saved = pending.pending_path(Device.android_id(cli_phone.state.serialno), NZ)
    assert not saved.exists()  # retired by the receipt, so the API run starts afresh
    by_api = through_the_api(api_phone, adb_server, tmp_path / "api")
    assert not saved.exists()

    for done in (cli_phone, api_phone):
        assert done.state.state_of(TIKTOK, 10) == "absent"
    cli_receipt = receipt_facts(by_cli, cli_phone.address)
    assert cli_receipt == receipt_facts(by_api, api_phone.address)
    assert [a["identifier"] for a in cli_receipt["actions"]] == [TIKTOK]
    cli_rows = history_rows(tmp_path / "cli" / "history.sqlite3", cli_phone.address)
    assert len(cli_rows) == 1 and len(cli_rows[0]["scans"]) == 3  # remove, its rescan, attest
    assert cli_rows == history_rows(tmp_path / "api" / "history.sqlite3", api_phone.address)
