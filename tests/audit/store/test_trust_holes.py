"""The second review's ways into a false "compliant" or a wrong record, each through the command
line with real keys and real history files: a self-written exemption, a new key accepted for
an id without its fingerprint, a copier's key pinned first, a receipt signed after midnight in
the signer's time zone, a technician key used as a staff key, look-alike technician names, and a
revoked technician's earlier receipts."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from audit.attestation import Attester, Envelope, Signer, attest, write_receipt
from audit.attestation.dsse import sign
from audit.attestation.statement import canonical_json
from audit.cli import main
from audit.model import Connection, ConnectionKind, Device, DeviceStatus
from audit.store import Store
from audit.store.holds import DISPUTE_NOTE, EXEMPTION_NOTE
from tests.audit.store import factory as f
from tests.helpers.nz_tiktok import STATEMENT

DAY = date(2023, 3, 28)
USB = Connection(ConnectionKind.USB, usb_path="1-1.2", product="panther", model="Pixel_7")
SEVEN = f.Person("Pat Seven", "PS-7000")
EIGHT = f.Person("Ola Eight", "PS-8000")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cabled(serial: str) -> Device:
    return replace(f.phone(serial), connection=USB)


def drop(folder: Path, name: str, envelope: Envelope) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_receipt(envelope, folder / name)
    return folder / name


def import_json(
    capsys: pytest.CaptureFixture[str], folder: Path, db: Path, *extra: str
) -> dict[str, dict[str, Any]]:
    _code, out, _ = run(capsys, "import", str(folder), "--db", str(db), "--json", *extra)
    return {Path(o["file"]).name: o for o in json.loads(out)["files"]}


def latest(capsys: pytest.CaptureFixture[str], db: Path) -> dict[str, dict[str, Any]]:
    """The latest audit of each device, as `history --latest --json` gives it on DAY (each
    status as it stands that day: the receipts here are judged on DAY)."""
    _code, out, _ = run(capsys, "history", "--db", str(db), "--json", "--latest", "--day", f"{DAY}")
    return {a["device"]["id"]: a for a in json.loads(out)}


def exported(capsys: pytest.CaptureFixture[str], db: Path, day: date) -> dict[str, dict[str, str]]:
    code, out, _ = run(capsys, "export", "--db", str(db), "--day", day.isoformat())
    assert code == 0
    return {r["device_id"]: r for r in csv.DictReader(io.StringIO(out))}


# --- 1. an exemption is the signer's word until the helpdesk accepts it -----------------------


def test_a_self_written_exemption_counts_as_not_compliant_until_the_helpdesk_accepts_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bench = Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    run(capsys, "technician", "enrol", "Sam", bench.fingerprint, "--by", "Lead", "--db", str(db))
    receipt = drop(
        folder,
        "1.json",
        f.receipt(bench, cabled("X1"), SEVEN, f.Outcome.EXCEPTED, day=DAY, technician="Sam"),
    )
    outcome = import_json(capsys, folder, db)["1.json"]
    assert outcome["result"] == "imported" and EXEMPTION_NOTE in outcome["reason"]
    row = latest(capsys, db)["android:X1"]
    # Witnessed, and still not "compliant with exceptions": the exemption is only its word.
    assert (row["status"], row["assurance"]) == ("non_compliant", "witnessed")
    assert EXEMPTION_NOTE in row["trust_note"]
    line = exported(capsys, db, DAY)["android:X1"]
    assert line["status"] == "non_compliant" and EXEMPTION_NOTE in line["trust_note"]
    with Store(db) as store:
        board = store.dashboard(f.POLICY.id, DAY)
        assert (board.counts.excepted, board.counts.non_compliant) == (0, 1)
    code, out, _ = run(capsys, "verify", str(receipt), "--db", str(db))
    assert EXEMPTION_NOTE in out
    code, out, _ = run(capsys, "exemption", "list", "--db", str(db))
    assert code == 0 and "No exemption is accepted" in out

    # A look-alike of the approved exemption (another expiry) is not the approved one.
    granted = f.exemption(SEVEN, DAY + timedelta(days=180))
    forged = replace(granted, expires=date(2199, 12, 31), approver="Me")
    code, out, _ = run(
        capsys,
        "exemption",
        "accept",
        str(f.exemptions_file(tmp_path / "forged.toml", forged)),
        "--by",
        "Lead",
        "--db",
        str(db),
    )
    assert code == 0
    assert latest(capsys, db)["android:X1"]["status"] == "non_compliant"

    approved = f.exemptions_file(tmp_path / "approved.toml", granted)
    code, out, _ = run(
        capsys, "exemption", "accept", str(approved), "--by", "Lead", "--db", str(db)
    )
    assert code == 0 and "Accepted: exemption EX-PS-7000" in out
    row = latest(capsys, db)["android:X1"]
    assert row["status"] == "compliant_with_exceptions"
    assert EXEMPTION_NOTE not in (row["trust_note"] or "")
    assert exported(capsys, db, DAY)["android:X1"]["status"] == "compliant_with_exceptions"
    with Store(db) as store:
        assert store.dashboard(f.POLICY.id, DAY).counts.excepted == 1
    code, out, _ = run(capsys, "verify", str(receipt), "--db", str(db))
    assert code == 0 and EXEMPTION_NOTE not in out
    code, out, _ = run(capsys, "exemption", "list", "--db", str(db), "--json")
    assert {e["id"]: e["accepted_by"] for e in json.loads(out)} == {"EX-PS-7000": "Lead"}

    code, out, _ = run(capsys, "exemption", "revoke", "EX-PS-7000", "--by", "Lead", "--db", str(db))
    assert code == 0
    assert latest(capsys, db)["android:X1"]["status"] == "non_compliant"
    code, _out, err = run(capsys, "exemption", "revoke", "EX-NONE", "--by", "Lead", "--db", str(db))
    assert code != 0 and "No accepted exemption has the id" in err


def test_an_exemption_accepted_for_one_person_does_not_cover_another(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A receipt for PS-8000 listing PS-7000's accepted exemption (a person's scope is signed
    by the signer's own app, which may lie) is held."""
    own = Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    granted = f.exemption(SEVEN, DAY + timedelta(days=180))
    before, after, actions = f.audit_inputs(cabled("Y1"), SEVEN, f.Outcome.EXCEPTED, day=DAY)
    envelope = attest(
        before=before,
        after=after,
        actions=actions,
        attester=Attester(name=EIGHT.name, staff_id=EIGHT.staff_id),
        statement_text=STATEMENT,
        signer=own,
        now=f.noon(DAY) + timedelta(minutes=10),
    )
    drop(folder, "1.json", envelope)
    run(capsys, "exemption", "accept", str(f.exemptions_file(tmp_path / "e.toml", granted)),
        "--by", "Lead", "--db", str(db))  # fmt: skip
    import_json(capsys, folder, db)
    row = latest(capsys, db)["android:Y1"]
    assert row["status"] == "non_compliant"
    assert "accepted for PS-7000, not for PS-8000" in row["trust_note"]


def test_with_exceptions_resting_on_no_exemption_is_never_counted_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A changed app signs "compliant with exceptions" and leaves the exemption out (nothing
    to accept, nothing to check): refused as not a receipt, or held, never counted so."""
    own = Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    envelope = f.receipt(own, cabled("Z1"), SEVEN, f.Outcome.EXCEPTED, day=DAY)
    statement = json.loads(envelope.payload)
    statement["predicate"]["exemptions"] = []
    for finding in statement["predicate"]["findings"]:
        finding["exemption"] = None
    drop(folder, "1.json", sign(canonical_json(statement), own))
    outcome = import_json(capsys, folder, db)["1.json"]
    if outcome["result"] == "imported":
        row = latest(capsys, db)["android:Z1"]
        assert row["status"] == "non_compliant" and "lists no exemption" in row["trust_note"]
    else:
        assert outcome["result"] == "refused"


# --- 2. a new key is accepted by its fingerprint ------------------------------------------------


def test_a_new_key_is_accepted_only_with_the_fingerprint_checked_with_the_person(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    own, laptop, stranger = Signer.generate(), Signer.generate(), Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(folder, "1.json", f.receipt(own, cabled("S1"), SEVEN, f.Outcome.VIOLATION, day=DAY))
    drop(folder, "2.json", f.receipt(laptop, cabled("S2"), SEVEN, f.Outcome.CLEAN, day=DAY))
    drop(folder, "3.json", f.receipt(stranger, cabled("S3"), SEVEN, f.Outcome.CLEAN, day=DAY))
    code, out, _ = run(capsys, "import", str(folder), "--db", str(db))
    assert code == 1
    assert f"--accept-new-key PS-7000={laptop.fingerprint}" in out
    assert f"--accept-new-key PS-7000={stranger.fingerprint}" in out

    # A bare id would accept the stranger's key with the laptop's: refused, nothing imported.
    code, out, err = run(
        capsys, "import", str(folder), "--db", str(db), "--accept-new-key", SEVEN.staff_id
    )
    assert code != 0 and "Nothing was imported" in err
    for key in (own, laptop, stranger):
        assert key.display_fingerprint in err
    assert f"--accept-new-key PS-7000={laptop.fingerprint} " in err  # the exact command
    with Store(db) as store:
        assert store.count() == 1

    accept = f"{SEVEN.staff_id}={laptop.fingerprint}"
    results = import_json(capsys, folder, db, "--accept-new-key", accept)
    assert results["2.json"]["result"] == "imported"
    assert results["3.json"]["result"] == "refused"  # the stranger's key was not checked
    code, _out, err = run(
        capsys, "import", str(folder), "--db", str(db), "--accept-new-key", "PS-7000=zz"
    )
    assert code != 0 and "ID=FINGERPRINT" in err


# --- 3. the key pinned first is disputed once another is refused --------------------------------


def test_a_copy_imported_first_is_disputed_until_the_helpdesk_accepts_one_fingerprint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A technician re-signs a colleague's genuine "compliant" receipt with their own key and
    imports it first: the copier's key is pinned for PS-7000, and the genuine receipt is
    refused. From then on the copy does not count as compliant, and says why."""
    genuine, copier = Signer.generate(), Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    real = f.receipt(genuine, cabled("S1"), SEVEN, f.Outcome.CLEAN, day=DAY)
    drop(folder, "1-copy.json", sign(real.payload, copier))
    drop(tmp_path / "later", "2-genuine.json", real)
    assert import_json(capsys, folder, db)["1-copy.json"]["result"] == "imported"
    assert latest(capsys, db)["android:S1"]["status"] == "compliant"

    refused = import_json(capsys, tmp_path / "later", db)["2-genuine.json"]
    assert refused["result"] == "refused"
    row = latest(capsys, db)["android:S1"]
    assert row["status"] == "non_compliant" and row["receipt"]["signer"] == copier.fingerprint
    note = row["trust_note"]
    assert DISPUTE_NOTE in note
    assert genuine.display_fingerprint in note and copier.display_fingerprint in note
    today = datetime.now(UTC).date().isoformat()  # when the copier's key was first seen
    assert f"signed on {DAY.isoformat()}" in note and f"since {today}" in note
    assert exported(capsys, db, DAY)["android:S1"]["status"] == "non_compliant"
    with Store(db) as store:
        assert store.dashboard(f.POLICY.id, DAY).counts.compliant == 0

    # The helpdesk asks the person, and accepts their fingerprint: the copy stays held.
    drop(
        tmp_path / "third",
        "3.json",
        f.receipt(genuine, cabled("S2"), SEVEN, f.Outcome.CLEAN, day=DAY),
    )
    accept = f"{SEVEN.staff_id}={genuine.fingerprint}"
    assert (
        import_json(capsys, tmp_path / "third", db, "--accept-new-key", accept)["3.json"]["result"]
        == "imported"
    )
    rows = latest(capsys, db)
    assert rows["android:S2"]["status"] == "compliant"
    assert rows["android:S1"]["status"] == "non_compliant"
    assert "the helpdesk accepted key" in rows["android:S1"]["trust_note"]


def test_a_dispute_decided_for_the_key_seen_first_releases_its_receipts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    own, stranger = Signer.generate(), Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(folder, "1.json", f.receipt(own, cabled("S1"), SEVEN, f.Outcome.CLEAN, day=DAY))
    drop(folder, "2.json", f.receipt(stranger, cabled("S2"), SEVEN, f.Outcome.CLEAN, day=DAY))
    import_json(capsys, folder, db)
    assert latest(capsys, db)["android:S1"]["status"] == "non_compliant"  # disputed
    results = import_json(capsys, folder, db, "--accept-new-key", f"PS-7000={own.fingerprint}")
    assert results["2.json"]["result"] == "refused"
    row = latest(capsys, db)["android:S1"]
    assert row["status"] == "compliant" and DISPUTE_NOTE not in (row["trust_note"] or "")


# --- 4. one day for the dashboard, the history and the export -----------------------------------


def test_a_receipt_signed_after_midnight_in_the_signers_time_zone_counts_alike_everywhere(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Signed at 23:30 UTC on the 27th, which is 12:30 on the 28th in Auckland: the receipt
    judges the 28th. On the 27th the dashboard, the people behind its count, the history and
    the export must all show the same audit."""
    judged, signed = date(2023, 3, 28), datetime(2023, 3, 27, 23, 30, tzinfo=UTC)
    today = signed.date()
    before, after, actions = f.audit_inputs(cabled("TZ1"), SEVEN, f.Outcome.CLEAN, day=judged)

    def scanned(assessment: Any, minutes: int) -> Any:
        start = signed - timedelta(minutes=minutes)
        scan = replace(assessment.scan, started_at=start, finished_at=start + timedelta(seconds=20))
        return replace(assessment, scan=scan)

    envelope = attest(
        before=scanned(before, 20),
        after=scanned(after, 5),
        actions=tuple(replace(a, at=signed - timedelta(minutes=10)) for a in actions),
        attester=Attester(name=SEVEN.name, staff_id=SEVEN.staff_id),
        statement_text=STATEMENT,
        signer=Signer.generate(),
        now=signed,
    )
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(folder, "1.json", envelope)
    assert import_json(capsys, folder, db)["1.json"]["result"] == "imported"
    with Store(db) as store:
        board = store.dashboard(f.POLICY.id, today)
        behind = store.standing(f.POLICY.id, DeviceStatus.COMPLIANT, today)
    history = latest(capsys, db)
    export = exported(capsys, db, today)
    assert board.counts.compliant == board.counts.total == 1
    assert [a.device_id for a in behind] == ["android:TZ1"]
    assert history["android:TZ1"]["status"] == export["android:TZ1"]["status"] == "compliant"
    assert list(history) == list(export)


# --- 5. a technician's key is never a staff member's --------------------------------------------


def test_an_enrolled_technician_key_naming_no_technician_is_refused_not_pinned(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Pinned as PS-7000's key, the technician's key would sign self-attested receipts in
    PS-7000's name from then on, and refuse PS-7000's own key as a "new key"."""
    bench, own = Signer.generate(), Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    run(capsys, "technician", "enrol", "Sam", bench.fingerprint, "--by", "Lead", "--db", str(db))
    drop(folder, "1.json", f.receipt(bench, cabled("S1"), SEVEN, f.Outcome.CLEAN, day=DAY))
    outcome = import_json(capsys, folder, db)["1.json"]
    assert outcome["result"] == "refused"
    assert "names no technician" in outcome["reason"] and '--technician "Sam"' in outcome["reason"]
    with Store(db) as store:
        assert store.trusted_keys(SEVEN.staff_id) == []
    drop(folder, "2.json", f.receipt(own, cabled("S1"), SEVEN, f.Outcome.CLEAN, day=DAY))
    assert import_json(capsys, folder, db)["2.json"]["result"] == "imported"


# --- 6. look-alike technician names -------------------------------------------------------------


@pytest.mark.parametrize("lookalike", ["sam-lee", "Sam\u2010Lee", "Sam - Lee", "SAM-LEE\u200b"])
def test_a_lookalike_technician_name_is_refused_on_enrol_and_on_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, lookalike: str
) -> None:
    bench, other, impostor = Signer.generate(), Signer.generate(), Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    code, *_ = run(
        capsys, "technician", "enrol", "Sam-Lee", bench.fingerprint, "--by", "Lead", "--db", str(db)
    )
    assert code == 0
    code, _out, err = run(
        capsys, "technician", "enrol", lookalike, other.fingerprint, "--by", "Lead", "--db", str(db)
    )
    # (an invisible character is refused in any name: audit.store.trust_store._check_name)
    assert code != 0 and ("looks like technician 'Sam-Lee'" in err or "invisible" in err)
    # Signed by Sam-Lee's own key under the look-alike name: not a second Sam-Lee.
    drop(
        folder,
        "1.json",
        f.receipt(bench, cabled("L1"), SEVEN, f.Outcome.CLEAN, day=DAY, technician=lookalike),
    )
    # Signed by another key in a name that reads as Sam-Lee's: someone else.
    drop(
        folder,
        "2.json",
        f.receipt(impostor, cabled("L2"), EIGHT, f.Outcome.CLEAN, day=DAY, technician=lookalike),
    )
    results = import_json(capsys, folder, db)
    assert (
        results["1.json"]["result"] == "refused"
        and "only looks the same" in results["1.json"]["reason"]
    )
    assert results["2.json"]["result"] == "refused"
    assert "looks like enrolled technician 'Sam-Lee'" in results["2.json"]["reason"]


# --- 7. a revoked technician's earlier receipts ------------------------------------------------


def test_revoking_a_technician_keeps_earlier_receipts_witnessed_with_a_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bench = Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    run(capsys, "technician", "enrol", "Sam", bench.fingerprint, "--by", "Lead", "--db", str(db))
    receipt = drop(
        folder,
        "1.json",
        f.receipt(bench, cabled("R1"), SEVEN, f.Outcome.CLEAN, day=DAY, technician="Sam"),
    )
    assert import_json(capsys, folder, db)["1.json"]["result"] == "imported"
    code, out, _ = run(capsys, "technician", "revoke", bench.fingerprint, "--by", "Lead",
                       "--db", str(db))  # fmt: skip
    assert code == 0
    revoked = f"technician revoked on {datetime.now(UTC).date().isoformat()}"
    row = latest(capsys, db)["android:R1"]
    assert row["assurance"] == "witnessed" and revoked in row["trust_note"]
    line = exported(capsys, db, DAY)["android:R1"]
    assert line["assurance"] == "witnessed" and revoked in line["trust_note"]
    code, out, _ = run(capsys, "verify", str(receipt), "--db", str(db))
    assert code == 0 and "assurance witnessed" in out and revoked in out
    # Arriving after the revocation, even dated before it: not witnessed (refused).
    drop(
        folder,
        "2.json",
        f.receipt(bench, cabled("R2"), EIGHT, f.Outcome.CLEAN, day=DAY, technician="Sam"),
    )
    outcome = import_json(capsys, folder, db)["2.json"]
    assert outcome["result"] == "refused" and "revoked" in outcome["reason"]


def test_a_history_from_before_accepted_exemptions_holds_its_receipts_on_opening(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Receipts "compliant with exceptions" imported before the helpdesk could accept
    exemptions rest on exemptions nobody accepted: the migration holds them like new ones."""
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(
        folder,
        "1.json",
        f.receipt(Signer.generate(), cabled("M1"), SEVEN, f.Outcome.EXCEPTED, day=DAY),
    )
    import_json(capsys, folder, db)
    with Store(db) as store:  # back to the eighth schema, the receipt counted as it claimed
        store._db.execute("UPDATE audits SET status = 'compliant_with_exceptions', trust_note = ''")
        store._db.execute("DROP TABLE accepted_exemptions")
        store._db.execute("DROP TABLE key_disputes")
        store._db.execute("PRAGMA user_version = 8")
    row = latest(capsys, db)["android:M1"]
    assert row["status"] == "non_compliant" and EXEMPTION_NOTE in row["trust_note"]
    with Store(db) as store:
        counts = store.dashboard(f.POLICY.id, DAY).counts
        assert (counts.excepted, counts.non_compliant) == (0, 1)
