"""Importing a folder of receipts: verify each, skip duplicates, trust the first key, refuse the
rest with a reason, and never stop on a bad file."""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.attestation import Envelope, Signer, format_fingerprint, write_receipt
from audit.attestation.dsse import sign
from audit.attestation.statement import canonical_json
from audit.errors import Cancelled, StoreError
from audit.model import ActionKind, DeviceStatus
from audit.store import ImportResult, KeyNote, Origin, Store
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)


def write(folder: Path, name: str, envelope: Envelope) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    write_receipt(envelope, path)
    return path


def resign(
    envelope: Envelope, signer: Signer, change: Callable[[dict[str, Any]], None]
) -> Envelope:
    """The same statement, changed and signed again (as a forger with a key would)."""
    statement = json.loads(envelope.payload)
    change(statement)
    return sign(canonical_json(statement), signer)


def results(report: Any) -> dict[str, ImportResult]:
    return {o.path.name: o.result for o in report.outcomes}


def reasons(report: Any) -> dict[str, str]:
    return {o.path.name: o.reason for o in report.outcomes}


def test_an_imported_receipt_becomes_an_audit_with_everything_it_says(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    phone = f.phone("R58M123ABC", "Aroha's phone")
    envelope = f.receipt(signer, phone, f.AROHA, f.Outcome.EXCEPTED, day=DAY, technician="Sam")
    write(tmp_path / "in", "aroha.json", envelope)
    store.enrol_technician("Sam", signer.fingerprint, by="Helpdesk lead")
    granted = f.exemption(f.AROHA, DAY + timedelta(days=180))  # as audit_inputs grants it
    store.accept_exemptions(f.exemptions_file(tmp_path / "ex.toml", granted), by="Lead")
    report = store.import_folder(tmp_path / "in")
    [outcome] = report.outcomes
    assert outcome.result is ImportResult.IMPORTED and outcome.audit_id is not None
    assert outcome.identity == "technician:Sam" and not outcome.key_changed
    details = store.audit_details(outcome.audit_id)
    head = details.summary
    assert head.origin is Origin.IMPORTED and head.latest
    assert (head.person_name, head.staff_id, head.technician) == (
        f.AROHA.name,
        f.AROHA.staff_id,
        "Sam",
    )
    assert head.status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS and head.day == DAY
    assert head.device_name == "Aroha's phone" and details.device == phone
    assert head.deadline == f.POLICY.deadline
    before, after, _ = f.audit_inputs(phone, f.AROHA, f.Outcome.EXCEPTED, day=DAY)
    assert details.exemptions == after.exemptions
    assert head.exemption_expires == after.exemptions[0].expires
    assert [a.kind for a in details.actions] == []  # an exempted app is kept, not removed
    assert [s.status for s in details.scans] == [before.status, after.status]
    assert [(x.status, x.exemption_id) for x in details.scans[-1].findings] == [
        ("excepted", "EX-PS-1042")
    ]
    assert head.scanned_at == after.scan.finished_at
    [receipt] = details.receipts
    assert receipt.envelope == envelope.to_file_bytes() and receipt.file_name == "aroha.json"
    assert receipt.key_note is KeyNote.FIRST and receipt.problem == ""


def test_removals_in_a_receipt_are_imported_as_actions(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    phone = f.phone("P1")
    write(tmp_path / "in", "r.json", f.receipt(signer, phone, f.AROHA, f.Outcome.CLEAN, day=DAY))
    [outcome] = store.import_files([tmp_path / "in" / "r.json"]).outcomes
    assert outcome.audit_id is not None
    details = store.audit_details(outcome.audit_id)
    _, _, actions = f.audit_inputs(phone, f.AROHA, f.Outcome.CLEAN, day=DAY)
    assert details.actions == actions
    assert [x.state for x in details.scans[0].findings] == ["installed"]
    assert [(x.state, x.status) for x in details.scans[1].findings] == [("absent", "resolved")]


def test_garbage_files_are_refused_with_reasons_and_the_rest_imported(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    good = write(
        folder, "good.json", f.receipt(signer, f.phone("G"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    )
    data = good.read_bytes()
    (folder / "notes.txt").write_text("not a receipt\n")
    (folder / "empty.json").write_bytes(b"")
    (folder / "truncated.json").write_bytes(data[: len(data) // 2])
    tampered = bytearray(data)
    tampered[len(data) // 3] ^= 0x01
    (folder / "tampered.json").write_bytes(bytes(tampered))
    (folder / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "array.json").write_text("[1, 2, 3]")
    (folder / ".hidden.json").write_bytes(data)  # hidden files are not read, only listed
    (folder / "subfolder").mkdir()
    write(
        folder / "subfolder",
        "nested.json",
        f.receipt(signer, f.phone("N"), f.AROHA, f.Outcome.CLEAN, day=DAY),
    )
    with open(folder / "huge.json", "wb") as handle:
        handle.truncate(17 * 1024 * 1024)  # sparse: costs no disk
    report = store.import_folder(folder)
    assert results(report) == {
        ".hidden.json": ImportResult.SKIPPED,
        "subfolder": ImportResult.SKIPPED,
        "array.json": ImportResult.REFUSED,
        "binary.bin": ImportResult.REFUSED,
        "empty.json": ImportResult.REFUSED,
        "good.json": ImportResult.IMPORTED,
        "huge.json": ImportResult.REFUSED,
        "notes.txt": ImportResult.REFUSED,
        "tampered.json": ImportResult.REFUSED,
        "truncated.json": ImportResult.REFUSED,
    }
    why = reasons(report)
    assert "not JSON" in why["notes.txt"] and "not JSON" in why["truncated.json"]
    assert "far too large" in why["huge.json"]
    assert "not valid" in why["tampered.json"]
    assert (report.imported, report.duplicates, report.refused) == (1, 0, 7)
    assert store.count() == 1


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_file_is_refused(store: Store, signer: Signer, tmp_path: Path) -> None:
    path = write(
        tmp_path / "in",
        "locked.json",
        f.receipt(signer, f.phone("L"), f.AROHA, f.Outcome.CLEAN, day=DAY),
    )
    path.chmod(0)
    try:
        [outcome] = store.import_files([path]).outcomes
    finally:
        path.chmod(0o600)
    assert outcome.result is ImportResult.REFUSED and "cannot be read" in outcome.reason


def test_a_folder_that_is_not_there(store: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a folder"):
        store.import_folder(tmp_path / "missing")


@pytest.mark.parametrize("batch_size", [1, 250])
def test_duplicates_are_skipped_whatever_their_file_name(
    store: Store, signer: Signer, tmp_path: Path, batch_size: int
) -> None:
    folder = tmp_path / "in"
    first = write(
        folder, "a.json", f.receipt(signer, f.phone("D"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    )
    shutil.copy(first, folder / "b-copy.json")
    report = store.import_folder(folder, batch_size=batch_size)
    assert results(report) == {
        "a.json": ImportResult.IMPORTED,
        "b-copy.json": ImportResult.DUPLICATE,
    }
    again = store.import_folder(folder, batch_size=batch_size)
    assert (again.imported, again.duplicates, again.refused) == (0, 2, 0)
    assert store.count() == 1


def test_a_receipt_altered_and_signed_again_under_the_same_id_is_refused(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    original = f.receipt(signer, f.phone("D"), f.AROHA, f.Outcome.CLEAN, day=DAY)

    def rename(statement: dict[str, Any]) -> None:
        statement["predicate"]["device"]["name"] = "someone else's phone"

    write(tmp_path / "in", "1-original.json", original)
    write(tmp_path / "in", "2-altered.json", resign(original, signer, rename))
    write(
        tmp_path / "in",
        "3-copy-by-another-key.json",
        resign(original, Signer.generate(), lambda s: None),
    )
    report = store.import_folder(tmp_path / "in")
    assert [o.result for o in report.outcomes] == [
        ImportResult.IMPORTED,
        ImportResult.REFUSED,
        ImportResult.REFUSED,
    ]
    why = reasons(report)
    assert "different receipt with the same id" in why["2-altered.json"]
    assert "signed by another key" in why["3-copy-by-another-key.json"]


def test_a_changed_key_is_refused_until_accepted(store: Store, tmp_path: Path) -> None:
    laptop, new_laptop = Signer.generate(), Signer.generate()
    folder = tmp_path / "in"
    write(folder, "1.json", f.receipt(laptop, f.phone("P1"), f.AROHA, f.Outcome.CLEAN, day=DAY))
    write(folder, "2.json", f.receipt(new_laptop, f.phone("P2"), f.AROHA, f.Outcome.CLEAN, day=DAY))
    write(folder, "3.json", f.receipt(new_laptop, f.phone("P3"), f.BEN, f.Outcome.CLEAN, day=DAY))
    report = store.import_folder(folder)
    assert results(report) == {
        "1.json": ImportResult.IMPORTED,
        "2.json": ImportResult.REFUSED,
        "3.json": ImportResult.IMPORTED,  # Ben's first key, even if Aroha's was refused
    }
    refused = report.outcomes[1]
    assert refused.key_changed and refused.identity == f.AROHA.staff_id
    assert format_fingerprint(new_laptop.fingerprint) in refused.reason
    assert format_fingerprint(laptop.fingerprint) in refused.reason
    assert "1.json" in refused.reason and refused.reason.endswith("a reinstall), accept it.")
    assert report.changed_keys == ("PS-1042",)

    again = store.import_folder(folder, accept_new_keys={f"PS-1042={new_laptop.fingerprint}"})
    assert results(again)["2.json"] is ImportResult.IMPORTED
    assert again.outcomes[1].key_changed and again.changed_keys == ()
    keys = store.trusted_keys("PS-1042")
    assert [(k.signer, k.accepted) for k in keys] == [
        (laptop.fingerprint, False),
        (new_laptop.fingerprint, True),
    ]
    assert keys[0].source == "1.json"
    # Both keys are trusted from now on: people use more than one computer.
    write(folder, "4.json", f.receipt(laptop, f.phone("P4"), f.AROHA, f.Outcome.CLEAN, day=DAY))
    assert results(store.import_folder(folder))["4.json"] is ImportResult.IMPORTED
    [accepted] = [o for o in again.outcomes if o.path.name == "2.json"]
    assert accepted.audit_id is not None
    assert store.audit_details(accepted.audit_id).receipts[0].key_note is KeyNote.ACCEPTED


def test_technicians_and_staff_have_their_own_keys(store: Store, tmp_path: Path) -> None:
    own, helpdesk = Signer.generate(), Signer.generate()
    write(
        tmp_path / "in", "1.json", f.receipt(own, f.phone("P1"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    )
    write(
        tmp_path / "in",
        "2.json",
        f.receipt(helpdesk, f.phone("P2"), f.AROHA, f.Outcome.CLEAN, day=DAY, technician="Sam"),
    )
    write(
        tmp_path / "in",
        "3.json",
        f.receipt(helpdesk, f.phone("P3"), f.BEN, f.Outcome.CLEAN, day=DAY, technician="Sam"),
    )
    store.enrol_technician("Sam", helpdesk.fingerprint, by="Helpdesk lead")
    report = store.import_folder(tmp_path / "in")
    assert report.imported == 3
    assert [k.identity for k in store.trusted_keys()] == ["PS-1042", "technician:Sam"]


def test_a_receipt_signed_on_this_computer_sets_the_key_imports_are_checked_against(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    phone = f.phone("P1")
    before, after, actions = f.audit_inputs(phone, f.AROHA, f.Outcome.CLEAN, day=DAY)
    store.enrol_technician("Sam", signer.fingerprint, by="Helpdesk lead")
    store.record_audit(
        [before, after],
        actions,
        envelope=f.receipt(signer, phone, f.AROHA, f.Outcome.CLEAN, day=DAY, technician="Sam"),
    )
    impostor = Signer.generate()
    write(
        tmp_path / "in",
        "x.json",
        f.receipt(impostor, f.phone("P9"), f.BEN, f.Outcome.CLEAN, day=DAY, technician="Sam"),
    )
    [outcome] = store.import_folder(tmp_path / "in").outcomes
    assert outcome.result is ImportResult.REFUSED
    assert "not by the key this helpdesk enrolled for Sam" in outcome.reason


def test_signed_but_malformed_content_is_refused(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    good = f.receipt(signer, f.phone("P1"), f.AROHA, f.Outcome.CLEAN, day=DAY)

    def bad_action(statement: dict[str, Any]) -> None:
        statement["predicate"]["actions"][0]["kind"] = "explode"

    def bad_exemption(statement: dict[str, Any]) -> None:
        statement["predicate"]["findings"][0]["exemption"] = "EX-NOWHERE"

    def bad_device(statement: dict[str, Any]) -> None:
        statement["predicate"]["device"]["sdk"] = "thirty-four"

    write(tmp_path / "in", "action.json", resign(good, signer, bad_action))
    write(tmp_path / "in", "exemption.json", resign(good, signer, bad_exemption))
    write(tmp_path / "in", "device.json", resign(good, signer, bad_device))
    report = store.import_folder(tmp_path / "in")
    assert report.refused == 3
    why = reasons(report)
    assert "predicate.actions[0].kind" in why["action.json"]
    assert "EX-NOWHERE" in why["exemption.json"]
    assert "predicate.device.sdk" in why["device.json"]
    assert store.count() == 0 and store.trusted_keys() == []


def test_progress_and_cancelling(store: Store, signer: Signer, tmp_path: Path) -> None:
    for i in range(5):
        write(
            tmp_path / "in",
            f"{i}.json",
            f.receipt(signer, f.phone(f"P{i}"), f.AROHA, f.Outcome.CLEAN, day=DAY),
        )
    seen: list[float] = []
    store.import_folder(
        tmp_path / "in", batch_size=2, progress=lambda done, _text: seen.append(done)
    )
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == 6

    other = Store(tmp_path / "other.sqlite3")
    checks = iter([False, False, True])
    with pytest.raises(Cancelled):
        other.import_folder(tmp_path / "in", batch_size=2, cancelled=lambda: next(checks))
    assert other.count() == 2  # the batch written before cancelling stays
    other.close()


# --- fuzz -------------------------------------------------------------------------------------

FUZZ_SIGNER = Signer.generate()
TEMPLATE = f.receipt(FUZZ_SIGNER, f.phone("FZ"), f.AROHA, f.Outcome.EXCEPTED, day=DAY)
PATHS = [
    ("device",),
    ("device", "kind"),
    ("device", "id"),
    ("policy",),
    ("policy", "deadline"),
    ("policy", "title"),
    ("day",),
    ("scan_before",),
    ("scan_before", "started_at"),
    ("rescan", "gaps"),
    ("rescan", "apps"),
    ("findings",),
    ("findings", 0),
    ("findings", 0, "state"),
    ("findings", 0, "status"),
    ("findings", 0, "id_kind"),
    ("actions",),
    ("exemptions",),
    ("exemptions", 0),
    ("exemptions", 0, "expires"),
    ("exemptions", 0, "mitigations"),
    ("attester",),
    ("times", "attested"),
    ("status",),
    ("id",),
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def test_a_finding_with_a_malformed_status_is_refused_and_the_import_goes_on(
    store: Store, tmp_path: Path
) -> None:
    def unhashable(statement: dict[str, Any]) -> None:
        statement["predicate"]["findings"][0]["status"] = {"not": "a status"}

    write(tmp_path / "in", "1-bad.json", resign(TEMPLATE, FUZZ_SIGNER, unhashable))
    write(tmp_path / "in", "2-good.json", TEMPLATE)
    report = store.import_folder(tmp_path / "in")
    assert [o.result for o in report.outcomes] == [ImportResult.REFUSED, ImportResult.IMPORTED]
    assert report.outcomes[0].reason


def _step(target: Any, step: str | int) -> Any:
    if isinstance(target, dict) and isinstance(step, str):
        return target.get(step)
    if isinstance(target, list) and isinstance(step, int) and step < len(target):
        return target[step]
    return None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=3))
def test_any_signed_content_is_imported_or_refused_never_a_crash(
    store: Store,
    tmp_path_factory: pytest.TempPathFactory,
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    def change(statement: dict[str, Any]) -> None:
        for path, value in changes:
            target: Any = statement["predicate"]
            for step in path[:-1]:
                target = _step(target, step)
            last = path[-1]
            settable = isinstance(target, dict) and isinstance(last, str)
            settable |= isinstance(target, list) and isinstance(last, int) and last < len(target)
            if settable:
                target[last] = value

    envelope = resign(TEMPLATE, FUZZ_SIGNER, change)
    folder = tmp_path_factory.mktemp("fuzz")
    write(folder, "fuzzed.json", envelope)
    [outcome] = store.import_folder(folder).outcomes
    assert outcome.result in (ImportResult.IMPORTED, ImportResult.REFUSED, ImportResult.DUPLICATE)
    if outcome.result is ImportResult.IMPORTED:
        assert outcome.audit_id is not None
        details = store.audit_details(outcome.audit_id)  # what was stored reads back
        assert details.receipts[0].problem == ""
    else:
        assert outcome.reason


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_any_damaged_file_is_refused_never_a_crash(
    store: Store, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    original = TEMPLATE.to_file_bytes()
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(damaged) - 1))
        damaged[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(damaged)))
    blob = bytes(damaged[:cut])
    folder = tmp_path_factory.mktemp("damaged")
    (folder / "damaged.json").write_bytes(blob)
    [outcome] = store.import_folder(folder).outcomes
    if blob == original:
        assert outcome.result in (ImportResult.IMPORTED, ImportResult.DUPLICATE)
    else:
        assert outcome.result is ImportResult.REFUSED and outcome.reason


def test_payload_base64_is_what_is_signed() -> None:
    # the fuzz above relies on resign() signing exactly what it serialised
    envelope = resign(TEMPLATE, FUZZ_SIGNER, lambda s: None)
    assert base64.b64decode(envelope.to_dict()["payload"]) == envelope.payload
    assert ActionKind("uninstall") is ActionKind.UNINSTALL


def test_verifying_in_worker_processes_gives_the_same_report(tmp_path: Path) -> None:
    mine, other = Signer.generate(), Signer.generate()
    folder = tmp_path / "in"
    for n in range(12):
        person = (f.AROHA, f.BEN)[n % 2]
        signer = other if n == 7 else mine  # Ben's key changes at file 07
        write(
            folder,
            f"{n:02d}.json",
            f.receipt(signer, f.phone(f"P{n}"), person, f.Outcome.CLEAN, day=DAY),
        )
    shutil.copy(folder / "03.json", folder / "03-copy.json")
    (folder / "05-junk.json").write_text("{")

    def summary(store: Store, workers: int) -> list[tuple[str, ImportResult, str, bool]]:
        report = store.import_folder(folder, batch_size=3, workers=workers)
        return [(o.path.name, o.result, o.reason, o.key_changed) for o in report.outcomes]

    with Store(tmp_path / "a.sqlite3") as alone, Store(tmp_path / "b.sqlite3") as helped:
        expected = summary(alone, 0)
        assert summary(helped, 2) == expected
        assert [r for _, r, _, _ in expected].count(ImportResult.IMPORTED) == 11
        assert alone.export_rows(today=DAY) == [
            replace(row, audit_uid=a.audit_uid)
            for row, a in zip(
                helped.export_rows(today=DAY), alone.export_rows(today=DAY), strict=True
            )
        ]
        checks = iter([False] * 4 + [True])
        with pytest.raises(Cancelled):
            helped.import_folder(folder, batch_size=3, workers=2, cancelled=lambda: next(checks))


def test_a_receipt_of_the_demo_phone_is_refused_and_the_real_ones_imported(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    demo_phone = replace(f.phone("DEMO-1", "Demo phone"), simulated=True)
    write(folder, "a-demo.json", f.receipt(signer, demo_phone, f.AROHA, f.Outcome.CLEAN, day=DAY))
    write(folder, "b-real.json", f.receipt(signer, f.phone("R"), f.BEN, f.Outcome.CLEAN, day=DAY))
    report = store.import_folder(folder)
    assert results(report) == {
        "a-demo.json": ImportResult.REFUSED,
        "b-real.json": ImportResult.IMPORTED,
    }
    demo, real = report.outcomes
    assert demo.simulated and not real.simulated
    assert "SIMULATED demo phone, not on a real device" in demo.reason
    assert demo.identity == f.AROHA.staff_id  # whose receipt it was is still said
    assert [a.device_id for a in store.history()] == ["android:R"]
    assert store.trusted_keys(f.AROHA.staff_id) == []  # a demo does not set anyone's key
    again = store.import_folder(folder)
    assert results(again)["a-demo.json"] is ImportResult.REFUSED


def test_an_imported_receipt_keeps_the_users_its_scans_listed(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    envelope = f.receipt(signer, f.phone("U1"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    write(tmp_path / "in", "a.json", envelope)
    [outcome] = store.import_folder(tmp_path / "in").outcomes
    assert outcome.audit_id is not None
    details = store.audit_details(outcome.audit_id)
    assert [s.users for s in details.scans] == [f.USERS, f.USERS]
    assert details.profile("10").label == "Work profile"


def test_a_receipt_with_a_malformed_user_list_is_refused(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    envelope = f.receipt(signer, f.phone("U2"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    bad = resign(
        envelope,
        signer,
        lambda s: s["predicate"]["rescan"]["users"].append({"id": "11", "kind": "robot"}),
    )
    write(tmp_path / "in", "a.json", bad)
    [outcome] = store.import_folder(tmp_path / "in").outcomes
    assert outcome.result is ImportResult.REFUSED
    assert "'predicate.rescan.users[2].name' is missing" in outcome.reason


def test_a_duplicate_says_which_receipt_it_is_and_whom_it_was_signed_for(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    envelope = f.receipt(signer, f.phone("S1"), f.AROHA, f.Outcome.CLEAN, day=DAY, technician="Sam")
    first = write(tmp_path / "in", "a.json", envelope)
    store.enrol_technician("Sam", signer.fingerprint, by="Helpdesk lead")
    [imported] = store.import_folder(tmp_path / "in").outcomes
    shutil.copy(first, tmp_path / "in" / "b.json")
    same_file, copy = store.import_folder(tmp_path / "in").outcomes
    for duplicate in (same_file, copy):
        assert duplicate.result is ImportResult.DUPLICATE
        assert (duplicate.attestation_id, duplicate.signer, duplicate.identity) == (
            imported.attestation_id,
            signer.fingerprint,
            "technician:Sam",
        )
        assert duplicate.reason == (
            f"this file is already in the history (receipt {imported.attestation_id})"
        )


# The start of the PDF Device Audit writes beside each receipt (Qt's PDF writer); only the first
# bytes matter to the import. The desktop test imports a PDF the real writer made.
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


def test_the_pdf_copy_of_a_receipt_is_skipped_not_refused(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write(folder, "a.json", f.receipt(signer, f.phone("P"), f.AROHA, f.Outcome.CLEAN, day=DAY))
    (folder / "a.pdf").write_bytes(PDF)
    (folder / "lonely.PDF").write_bytes(PDF)  # handed in without its receipt
    (folder / "renamed.json").write_bytes(PDF)  # a PDF saved under a receipt's name
    report = store.import_folder(folder)
    assert results(report) == {
        "a.json": ImportResult.IMPORTED,
        "a.pdf": ImportResult.SKIPPED,
        "lonely.PDF": ImportResult.SKIPPED,
        "renamed.json": ImportResult.SKIPPED,
    }
    why = reasons(report)
    assert why["a.pdf"] == (
        "a PDF, the readable copy of the receipt a.json, which is imported on its own (the .json "
        "file is the signed receipt)"
    )
    assert "lonely.json is not here; ask for it" in why["lonely.PDF"]
    assert "a PDF saved under a receipt's name" in why["renamed.json"]
    assert (report.imported, report.duplicates, report.refused, report.skipped) == (1, 0, 0, 3)
    assert store.count() == 1
    # named one by one, as the desktop app does when it imports again, the PDF is still skipped
    [outcome] = store.import_files([folder / "a.pdf"]).outcomes
    assert outcome.result is ImportResult.SKIPPED and not outcome.attestation_id
    again = store.import_folder(folder)
    assert (again.imported, again.duplicates, again.refused, again.skipped) == (0, 1, 0, 3)


def test_json_that_is_not_a_receipt_is_refused_in_plain_words(store: Store, tmp_path: Path) -> None:
    from audit import inventory
    from tests.audit.attestation import builders as b

    folder = tmp_path / "in"
    folder.mkdir()
    inventory.save(b.scan([b.MAPS]), folder / "inv.json")
    (folder / "settings.json").write_text('{"theme": "dark"}\n')
    report = store.import_folder(folder)
    assert results(report) == {
        "inv.json": ImportResult.REFUSED,
        "settings.json": ImportResult.REFUSED,
    }
    assert reasons(report) == {
        "inv.json": "This is not a receipt (it looks like a Device Audit inventory file).",
        "settings.json": (
            "This file is not a receipt: it holds JSON, but not a signed Device Audit receipt."
        ),
    }
