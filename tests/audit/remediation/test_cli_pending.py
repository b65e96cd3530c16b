"""`remove` then `attest` as a technician runs them: the receipt shows what was found before the
removal and what was done, and both commands record into the history. Against a simulated phone
through the real adb server, with a real history file."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import audit.cli
import audit.paths
from audit import demo as audit_demo
from audit.attestation import StatementKind, VerifiedAttestation, verify_file
from audit.cli import main
from audit.model import Device
from audit.policy import evaluate, load_policy
from audit.remediation import pending
from audit.store import Store
from tests.helpers.phones import AdbServer
from tests.phonesim import SimulatedPhone

pytestmark = [pytest.mark.adb, pytest.mark.usefixtures("memory_keyring", "no_pdf")]

NZ = "nz-parliament-2023"
US = "us-federal-2023"  # TikTok in the work profile and CapCut in the owner user
TIKTOK = "com.zhiliaoapp.musically"
CAPCUT = "com.lemon.lvoverseas"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def no_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit.cli, "receipt_pdf_writer", None)


class Bench:
    """One simulated phone on the test's adb server, a history file, and the two commands."""

    def __init__(self, phone: SimulatedPhone, adb_server: AdbServer, folder: Path) -> None:
        self.phone = phone
        self.adb_server = adb_server
        self.folder = folder
        self.db = folder / "history.sqlite3"
        self._stores: list[Store] = []

    def _target(self) -> list[str]:
        return ["--device", self.phone.address, "--adb-port", str(self.adb_server.port)]

    def remove(self, policy: str = NZ, *extra: str) -> int:
        return main(["remove", *self._target(), "--policy", policy, "--db", str(self.db), *extra])

    def attest(self, out: Path, policy: str = NZ, *extra: str) -> int:
        return main(
            [
                "attest",
                *self._target(),
                "--policy",
                policy,
                "--name",
                "Aroha Ngata",
                "--staff-id",
                "PS-1042",
                "--accept-statement",
                "--out",
                str(out),
                "--db",
                str(self.db),
                *extra,
            ]
        )

    def saved_path(self, policy: str = NZ) -> Path:
        # named by the phone's own serial number (ro.serialno), not its adb address
        return pending.pending_path(Device.android_id(self.phone.state.serialno), policy)

    def history(self) -> Store:
        self._stores.append(Store(self.db))
        return self._stores[-1]

    def close(self) -> None:
        for store in self._stores:
            store.close()


@pytest.fixture
def bench(sim_phone: Any, adb_server: AdbServer, tmp_path: Path) -> Iterator[Bench]:
    made = Bench(sim_phone("samsung-work-profile"), adb_server, tmp_path)
    yield made
    made.close()


def predicate(receipt: VerifiedAttestation) -> dict[str, Any]:
    result: dict[str, Any] = receipt.statement["predicate"]
    return result


def test_remove_then_attest_signs_what_was_found_and_done(
    bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.remove(NZ, "--yes") == 0
    out = capsys.readouterr().out
    assert "Done: TikTok was removed from the Work profile." in out
    assert "Kept for 'device-audit attest': the scan from before the removal and 1 action(s)" in (
        out
    )
    assert bench.saved_path().is_file()

    receipt_file = bench.folder / "receipt.json"
    assert bench.attest(receipt_file) == 0
    out = capsys.readouterr().out
    assert "Using the removal begun " in out and "its 1 action(s) go into the receipt" in out

    receipt = verify_file(receipt_file)
    assert receipt.compliant
    facts = predicate(receipt)
    (tiktok,) = [f for f in facts["findings"] if f["app"] == TIKTOK]
    assert (tiktok["user"], tiktok["state_before"], tiktok["status_before"]) == (
        "10",
        "installed",
        "violation",
    )
    assert (tiktok["state"], tiktok["status"]) == ("absent", "resolved")
    (action,) = facts["actions"]
    assert (action["kind"], action["identifier"], action["user"], action["ok"]) == (
        "uninstall",
        TIKTOK,
        "10",
        True,
    )
    before_digest = facts["scan_before"]["inventory_digest"]
    after_digest = facts["rescan"]["inventory_digest"]
    assert before_digest != after_digest
    assert facts["scan_before"]["status"] == "overdue"  # judged today, after 31 March 2023
    assert facts["rescan"]["status"] == "compliant"

    audits = bench.history().history()
    assert len(audits) == 1
    details = bench.history().audit_details(audits[0].id)
    digests = [s.inventory_digest for s in details.scans]
    assert digests[0] == before_digest and digests[-1] == after_digest
    assert [(a.kind.value, a.identifier, a.ok) for a in details.actions] == [
        ("uninstall", TIKTOK, True)
    ]
    assert [r.uid for r in details.receipts] == [receipt.id]
    assert (details.summary.person_name, details.summary.staff_id) == ("Aroha Ngata", "PS-1042")
    assert not bench.saved_path().exists()
    assert f"Recorded in the history as audit {audits[0].id}." in out


def test_attest_without_a_removal_signs_one_scan_as_both(
    bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.phone.state.uninstall(TIKTOK, 10, keep_data=False)  # removed by hand on the phone
    receipt_file = bench.folder / "receipt.json"
    assert bench.attest(receipt_file) == 0
    assert "Using the removal" not in capsys.readouterr().out
    facts = predicate(verify_file(receipt_file))
    assert facts["actions"] == [] and facts["findings"] == []
    assert facts["scan_before"] == facts["rescan"]
    (audit_,) = bench.history().history()
    details = bench.history().audit_details(audit_.id)
    assert len(details.scans) == 1 and len(details.receipts) == 1


def test_a_second_remove_adds_to_the_first_and_keeps_its_first_scan(
    bench: Bench, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal("n\ny\n"))  # CapCut skipped, TikTok removed
    assert bench.remove(US) == 1
    first = pending.load(bench.saved_path(US))
    assert first is not None and len(first.actions) == 1
    capsys.readouterr()

    assert bench.remove(US, "--yes") == 0
    out = capsys.readouterr().out
    assert "Continuing the removal begun " in out
    second = pending.load(bench.saved_path(US))
    assert second is not None
    assert second.first_scan == first.first_scan
    assert [(a.identifier, a.ok) for a in second.actions] == [(TIKTOK, True), (CAPCUT, True)]
    assert second.audit_id == first.audit_id is not None
    assert len(bench.history().history()) == 1

    receipt_file = bench.folder / "receipt.json"
    assert bench.attest(receipt_file, US) == 0
    facts = predicate(verify_file(receipt_file))
    assert {(f["app"], f["status_before"], f["status"]) for f in facts["findings"]} == {
        (TIKTOK, "violation", "resolved"),
        (CAPCUT, "violation", "resolved"),
    }
    assert [a["identifier"] for a in facts["actions"]] == [TIKTOK, CAPCUT]
    (audit_,) = bench.history().history()
    details = bench.history().audit_details(audit_.id)
    assert len(details.actions) == 2 and len(details.receipts) == 1
    # first remove: scan + rescan; second: scan + rescan; attest: rescan
    assert len(details.scans) == 5


def _age(path: Path, days: int) -> None:
    record = pending.load(path)
    assert record is not None
    old = datetime.now(UTC) - timedelta(days=days)
    pending.save(replace(record, created_at=old, updated_at=old), path)


def test_an_old_removal_is_not_used_by_attest_nor_continued_by_remove(
    bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.remove(NZ, "--yes") == 0
    path = bench.saved_path()
    _age(path, 8)
    capsys.readouterr()

    receipt_file = bench.folder / "receipt.json"
    assert bench.attest(receipt_file) == 0
    out = capsys.readouterr().out
    assert "The removal saved for this device is not used: it was begun 8 days ago" in out
    assert "the next 'remove' sets the old record aside" in out
    assert predicate(verify_file(receipt_file))["actions"] == []
    assert path.is_file()  # not used, not lost

    assert bench.remove(NZ, "--yes") == 0
    out = capsys.readouterr().out
    assert "The removal saved for this device is not continued: it was begun 8 days ago" in out
    (aside,) = path.parent.glob(path.name + ".replaced-*")
    assert pending.load(aside) is not None
    assert "Nothing to remove: no banned app was found." in out


def test_a_policy_changed_since_the_removal_begins_a_new_record(
    bench: Bench, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The organisation's own copy of the preset: under its own id (a file that differs from a
    # preset may not take the preset's id, docs/security.md).
    own = f"{US}-local"
    policy = bench.folder / "policy.toml"
    policy.write_text(
        audit.paths.resource("policies", f"{US}.toml")
        .read_text(encoding="utf-8")
        .replace(f'id = "{US}"', f'id = "{own}"', 1),
        encoding="utf-8",
    )
    monkeypatch.setattr("sys.stdin", Terminal("n\ny\n"))
    assert bench.remove(str(policy)) == 1
    path = bench.saved_path(own)
    first = pending.load(path)
    assert first is not None
    with policy.open("a", encoding="utf-8") as handle:
        handle.write("\n# reviewed again\n")
    capsys.readouterr()

    assert bench.remove(str(policy), "--yes") == 0
    out = capsys.readouterr().out
    assert f"not continued: the policy {own} has changed since it was saved" in out
    again = pending.load(path)
    assert again is not None
    assert again.policy_sha256 != first.policy_sha256
    assert again.first_scan != first.first_scan  # begun from this run's scan
    assert [a.identifier for a in again.actions] == [CAPCUT]
    assert len(list(path.parent.glob(path.name + ".replaced-*"))) == 1


@pytest.mark.parametrize("command", ["attest", "remove"])
def test_a_damaged_saved_removal_is_set_aside_with_a_warning(
    bench: Bench, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = bench.saved_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'{"format": "device-audit-pending-removal", "version": 1, "acti')
    receipt_file = bench.folder / "receipt.json"
    if command == "attest":
        bench.phone.state.uninstall(TIKTOK, 10, keep_data=False)
        assert bench.attest(receipt_file) == 0
    else:
        assert bench.remove(NZ, "--yes") == 0
    err = capsys.readouterr().err
    assert f"warning: The saved removal {path}" in err and "it is not JSON" in err
    (aside,) = path.parent.glob(path.name + ".damaged-*")
    assert f"It was set aside as {aside}" in err
    assert aside.read_bytes().endswith(b'"acti')
    if command == "attest":
        assert verify_file(receipt_file).compliant
        assert not path.exists()
    else:
        saved = pending.load(path)  # a new record, begun by this removal
        assert saved is not None and [a.identifier for a in saved.actions] == [TIKTOK]


def test_a_history_that_cannot_be_written_never_stops_the_removal_or_loses_the_receipt(
    bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.db.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    assert bench.remove(NZ, "--yes") == 0
    captured = capsys.readouterr()
    assert "warning: The scan could not be recorded in the history" in captured.err
    assert "kept for 'attest'" in captured.err
    assert "Done: TikTok was removed from the Work profile." in captured.out
    assert captured.err.count("could not be recorded") == 1  # said once, not per action

    receipt_file = bench.folder / "receipt.json"
    assert bench.attest(receipt_file) == 0
    captured = capsys.readouterr()
    assert "warning: The receipt could not be recorded in the history" in captured.err
    assert f"add it to the history later with 'device-audit import {bench.folder}'" in (
        captured.err
    )
    receipt = verify_file(receipt_file)
    assert [a["identifier"] for a in predicate(receipt)["actions"]] == [TIKTOK]
    path = bench.saved_path()
    assert not path.exists()
    (kept,) = path.parent.glob(path.name + ".attested-*")
    assert f"its record is kept as {kept}" in captured.out


def test_a_noncompliance_report_holds_the_removal_too(
    bench: Bench, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal("n\ny\n"))  # CapCut stays
    assert bench.remove(US) == 1
    report_file = bench.folder / "report.json"
    assert bench.attest(report_file, US) == 1
    assert not report_file.exists()
    assert "What 'remove' did is kept for the next attest." in capsys.readouterr().out
    assert bench.saved_path(US).is_file()

    assert bench.attest(report_file, US, "--noncompliance-report") == 1
    report = verify_file(report_file)
    assert report.kind is StatementKind.NONCOMPLIANCE_REPORT
    facts = predicate(report)
    assert {(f["app"], f["status"]) for f in facts["findings"]} == {
        (CAPCUT, "violation"),
        (TIKTOK, "resolved"),
    }
    assert [a["identifier"] for a in facts["actions"]] == [TIKTOK]
    assert not bench.saved_path(US).exists()
    (audit_,) = bench.history().history()
    assert bench.history().audit_details(audit_.id).receipts[0].kind == "noncompliance_report"


def test_the_saved_removal_is_readable_json(bench: Bench) -> None:
    assert bench.remove(NZ, "--yes") == 0
    data = json.loads(bench.saved_path().read_text(encoding="utf-8"))
    assert data["format"] == "device-audit-pending-removal"
    assert data["policy"]["id"] == NZ and len(data["policy"]["sha256"]) == 64
    assert data["judged"]["exemptions_file"] == "" and data["audit_id"] == 1
    assert data["history_file"] == str(bench.db.resolve())
    assert any(a["identifier"] == TIKTOK for a in data["first_scan"]["apps"])


def test_attest_with_another_history_file_records_the_whole_audit_there(
    bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    """Audit ids are per file: the removal's audit in one file is not looked up in another."""
    assert bench.remove(NZ, "--yes") == 0
    other = bench.folder / "other.sqlite3"
    saved = pending.load(bench.saved_path())
    assert saved is not None and saved.audit_id == 1
    with Store(other) as store:  # audit 1 of this file: the same phone, not this removal
        store.record_audit([evaluate(saved.first_scan, load_policy(NZ), (), day=date.today())])
    receipt_file = bench.folder / "receipt.json"
    bench.db, first_db = other, bench.db
    assert bench.attest(receipt_file) == 0
    receipt = verify_file(receipt_file)
    with Store(other) as store:
        (audit_,) = [a for a in store.history() if a.attested]
        details = store.audit_details(audit_.id)
        assert audit_.id != 1
        assert [s.inventory_digest for s in details.scans] == [
            predicate(receipt)["scan_before"]["inventory_digest"],
            predicate(receipt)["rescan"]["inventory_digest"],
        ]
        assert [a.identifier for a in details.actions] == [TIKTOK]
        assert [r.uid for r in details.receipts] == [receipt.id]
        assert store.audit(1).attested is False
    with Store(first_db) as store:
        (removal,) = store.history()
        assert not removal.attested  # the removal's own file still has it, unsigned


class DemoBench(Bench):
    """The app's demo phone (audit.demo, in this process: no adb server), through the commands
    run in this process too, as the desktop app would run them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "history.sqlite3"
        self._stores = []

    def _target(self) -> list[str]:
        return ["--device", audit_demo.DEMO_ADDRESS]

    def saved_path(self, policy: str = NZ) -> Path:
        return pending.pending_path(audit_demo.demo_device().id, policy)


def test_the_demo_phone_walks_remove_then_attest_but_is_never_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit_demo.switch_on()
    demo = DemoBench(tmp_path)
    try:
        assert demo.remove(NZ, "--yes") == 0
        out = capsys.readouterr().out
        assert "Done: TikTok was removed from the Work profile." in out
        assert out.count("The demo phone is not recorded in the history.") == 1
        assert "Recorded in the history" not in out
        saved = pending.load(demo.saved_path())
        assert saved is not None and len(saved.actions) == 1 and saved.audit_id is None

        receipt_file = tmp_path / "demo-receipt.json"
        assert demo.attest(receipt_file) == 0
        out = capsys.readouterr().out
        assert "its 1 action(s) go into the receipt" in out  # the pending removal was used
        assert out.count("The demo phone is not recorded in the history.") == 1
        receipt = verify_file(receipt_file)
        assert receipt.simulated and receipt.compliant
        assert [a["identifier"] for a in predicate(receipt)["actions"]] == [TIKTOK]
        assert not demo.saved_path().exists()  # used up: a next demo starts afresh
        assert not list(demo.saved_path().parent.glob("*attested*"))
        assert demo.history().count() == 0
    finally:
        demo.close()


def test_a_phone_behind_the_adb_server_is_never_the_demo_phone_whatever_it_says(
    sim_phone: Any, adb_server: AdbServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A simulator shaped like the demo phone (its model even says "simulated") is a phone
    reached over the network: its removal is recorded and its receipt is not a demo's."""
    bench = Bench(sim_phone("demo-phone"), adb_server, tmp_path)
    try:
        assert bench.remove(NZ, "--yes") == 0
        out = capsys.readouterr().out
        assert "The demo phone is not recorded in the history." not in out
        receipt_file = tmp_path / "receipt.json"
        assert bench.attest(receipt_file) == 0
        assert not verify_file(receipt_file).simulated
        assert bench.history().count() == 1
    finally:
        bench.close()
