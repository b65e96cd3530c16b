"""Re-judging stored audits under a policy's new version without a rescan (issue 14 §2): real
policy files accepted into real SQLite histories, real receipts signed with real keys, the CLI
run as a helpdesk runs it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from audit.attestation import Attester, Signer, attest, write_receipt
from audit.cli import main
from audit.errors import StoreError
from audit.inventory import inventory_digest, save
from audit.model import DeviceStatus
from audit.policy import load_policy_file
from audit.store import HistoryFilter, Origin, Store
from audit.store.inventories import encode
from tests.audit.store import factory as f
from tests.audit.store import rejudging as r
from tests.audit.store.cli_target import cli_db

EVERYTHING = HistoryFilter(limit=None)
WITH_CAPCUT = (r.capcut(), *r.everyday_apps(3))
CLEAN = r.everyday_apps(3)


def _two_phones(store: Store, tmp_path: Path) -> tuple[int, int, Path]:
    """Aroha's phone holds CapCut, Ben's does not; both compliant under version 1, then
    version 2 (CapCut banned too) is accepted."""
    v1, second = r.accept_v1(store, tmp_path / "policies")
    aroha = r.record(store, v1, f.AROHA, f.phone("P1"), WITH_CAPCUT)
    ben = r.record(store, v1, f.BEN, f.phone("P2"), CLEAN)
    store.accept_policy(second, by="Lead")
    return aroha, ben, second


def _rows(db: str) -> int:
    """The audits table's rows, through the store's own connection (either backend)."""
    with Store(db) as reopened:
        return int(reopened._db.execute("SELECT count(*) FROM audits").fetchone()[0])


def test_a_new_version_re_judges_stored_audits_in_dashboard_history_and_export(
    store: Store, tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    db = cli_db(store, request)  # its file, or its PostgreSQL address
    aroha, ben, _second = _two_phones(store, tmp_path)
    board = store.dashboard(r.POLICY_ID, r.LATER)
    assert (board.counts.compliant, board.older_version) == (2, 2)
    store.close()

    code = main(["history", "rejudge", "--policy", r.POLICY_ID, "--db", db])
    out = capsys.readouterr().out
    assert code == 1  # a device got worse
    assert (
        "PS-1042's Pixel 7 [android:P1]: compliant under version 1 → not compliant under "
        "version 2: CapCut" in out
    )
    assert "PS-2001's Pixel 7 [android:P2]: still compliant" in out
    assert "no device was rescanned" in out

    # The command re-judges as of the computer's own day, which is the fixtures' LATER only on
    # the day the test was written: read the board as of whichever comes later.
    ran = max(r.LATER, date.today())
    with Store(db) as reopened:
        board = reopened.dashboard(r.POLICY_ID, ran)
        assert (board.counts.compliant, board.counts.non_compliant) == (1, 1)
        assert board.older_version == 1  # Ben's verdict stands on its version 1 check
        assert board.series[-2].counts.compliant == 2  # the days before are not rewritten
        latest = {a.staff_id: a for a in reopened.history(HistoryFilter(latest_only=True))}
        derived = latest[f.AROHA.staff_id]
        assert derived.origin is Origin.REJUDGED and derived.status is DeviceStatus.NON_COMPLIANT
        assert derived.older_policy == "" and derived.receipt_uid == "" and derived.assurance == ""
        assert derived.trust_note.startswith("re-judged from the stored inventory, not rescanned")
        assert f"audit #{aroha}" in derived.trust_note
        assert latest[f.BEN.staff_id].id == ben
        assert not reopened.audit(aroha).latest  # the source stays in the history
        export = {row.staff_id: row for row in reopened.export_rows(today=ran)}
        assert export[f.AROHA.staff_id].status == "non_compliant"
        assert export[f.AROHA.staff_id].origin == "rejudged"
        assert "not rescanned" in export[f.AROHA.staff_id].trust_note
        assert export[f.AROHA.staff_id].policy_version == "2"
        assert export[f.BEN.staff_id].status == "compliant"

    assert main(["history", "--db", db]) == 0
    assert capsys.readouterr().out.count("re-judged from the stored inventory, not rescanned") == 1


def test_running_it_twice_adds_nothing(store: Store, tmp_path: Path) -> None:
    _two_phones(store, tmp_path)
    first, _ = store.rejudge(r.POLICY_ID, today=r.LATER)
    assert len(first.changed) == 1
    rows = store.count(HistoryFilter(limit=None, unnamed_scans=True))
    counts = store.dashboard(r.POLICY_ID, r.LATER)
    again, _ = store.rejudge(r.POLICY_ID, today=r.LATER)
    assert again.changed == () and len(again.unchanged) == 1
    assert store.count(HistoryFilter(limit=None, unnamed_scans=True)) == rows
    assert store.dashboard(r.POLICY_ID, r.LATER) == counts


def test_a_re_judgement_never_makes_a_non_compliant_device_compliant(
    store: Store, tmp_path: Path
) -> None:
    """Version 2 asks only for a review of TikTok: the stored inventory now passes, but the
    audit (and its receipt) said not compliant, and only a new check can change that."""
    v1, _ = r.accept_v1(store, tmp_path / "policies")
    audit_id = r.record(store, v1, f.AROHA, f.phone("P1"), (f.tiktok(),))
    assert store.audit(audit_id).status is DeviceStatus.NON_COMPLIANT
    text = (tmp_path / "policies" / "acme-v1.toml").read_text("utf-8")
    lenient = tmp_path / "lenient-v2.toml"
    lenient.write_text(
        text.replace("version = 1", "version = 2").replace(
            'title = "The TikTok app"', 'title = "The TikTok app"\nreview_only = true'
        ),
        "utf-8",
    )
    store.accept_policy(lenient, by="Lead")
    report, _ = store.rejudge(r.POLICY_ID, today=r.LATER)
    (verdict,) = report.verdicts
    assert verdict.judged is DeviceStatus.COMPLIANT and not verdict.changed
    assert verdict.before is DeviceStatus.NON_COMPLIANT
    (row,) = store.history(EVERYTHING)
    assert row.id == audit_id and row.status is DeviceStatus.NON_COMPLIANT
    assert store.dashboard(r.POLICY_ID, r.LATER).counts.compliant == 0


def test_an_imported_receipt_is_reported_not_guessed_until_its_inventory_is_given(
    store: Store, tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    db = cli_db(store, request)  # its file, or its PostgreSQL address
    v1, second = r.accept_v1(store, tmp_path / "policies")
    device = f.phone("R1")
    before = r.judged(v1, device, WITH_CAPCUT)
    signed = attest(
        before=before,
        after=before,
        actions=(),
        attester=Attester(f.AROHA.name, f.AROHA.staff_id),
        statement_text=f.STATEMENT,
        signer=Signer.generate(),
        now=before.scan.finished_at + timedelta(minutes=1),
    )
    folder = tmp_path / "in"
    folder.mkdir()
    write_receipt(signed, folder / "aroha.json")
    assert store.import_folder(folder).imported == 1
    store.accept_policy(second, by="Lead")
    report, _ = store.rejudge(r.POLICY_ID, today=r.LATER)
    (skipped,) = report.not_rejudged
    assert report.verdicts == ()
    assert "imported from a receipt" in skipped.reason and "--inventories" in skipped.reason
    store.close()

    inventories = tmp_path / "inventories"
    inventories.mkdir()
    save(before.scan, inventories / "aroha.inventory.json")
    # The same phone with CapCut left out: no receipt signed that inventory, so it is not kept.
    save(r.phone_scan(device, r.DAY, CLEAN), inventories / "tampered.inventory.json")
    (inventories / "notes.txt").write_text("not an inventory", "utf-8")
    args = ["history", "rejudge", "--policy", r.POLICY_ID, "--db", db, "--json"]
    assert main([*args, "--inventories", str(inventories)]) == 1
    document = json.loads(capsys.readouterr().out)
    kept = {Path(i["file"]).name: i for i in document["inventory_files"]}
    assert kept["aroha.inventory.json"]["kept"] is True
    assert kept["tampered.inventory.json"]["kept"] is False
    assert "no audit in the history was judged on" in kept["tampered.inventory.json"]["reason"]
    assert kept["notes.txt"]["kept"] is False
    (changed,) = document["changed"]
    assert changed["new_violations"] == ["CapCut"] and document["rescanned"] is False
    assert changed["before"] == "compliant" and changed["judged"] == "non_compliant"


def test_a_forged_inventory_is_refused_and_said(
    store: Store, tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    """Someone with the history file (or the database's owner) swaps Aroha's stored inventory
    for one without CapCut, and spoils Ben's: neither is judged, both are named with the
    reason."""
    db = cli_db(store, request)  # its file, or its PostgreSQL address
    _two_phones(store, tmp_path)
    # Straight into the tables, past the store's own writes (on PostgreSQL each statement
    # commits on its own; SQLite's connection is in autocommit between transactions).
    conn = store._db
    aroha_digest, ben_digest = (
        conn.execute(
            "SELECT s.inventory_digest FROM scans s JOIN audits a ON a.id = s.audit_id"
            " WHERE a.staff_id = ?",
            (person.staff_id,),
        ).fetchone()[0]
        for person in (f.AROHA, f.BEN)
    )
    innocent = encode(r.phone_scan(f.phone("P1"), r.DAY, CLEAN))
    conn.execute("UPDATE inventories SET blob = ? WHERE digest = ?", (innocent, aroha_digest))
    conn.execute("UPDATE inventories SET blob = ? WHERE digest = ?", (b"\x00junk", ben_digest))
    store.close()
    assert main(["history", "rejudge", "--policy", r.POLICY_ID, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "2 could not be re-judged" in out
    assert "holds another inventory" in out and "cannot be read" in out
    with Store(db) as reopened:
        assert {a.origin for a in reopened.history(EVERYTHING)} == {Origin.LOCAL}


def test_a_later_check_of_the_device_supersedes_the_re_judgement(
    store: Store, tmp_path: Path
) -> None:
    *_, second = _two_phones(store, tmp_path)
    store.rejudge(r.POLICY_ID, today=r.LATER)
    v2 = load_policy_file(second)
    fixed = r.record(store, v2, f.AROHA, f.phone("P1"), CLEAN, day=r.LATER)
    latest = {a.staff_id: a.id for a in store.history(HistoryFilter(latest_only=True))}
    assert latest[f.AROHA.staff_id] == fixed
    assert store.dashboard(r.POLICY_ID, r.LATER).counts.compliant == 2


def test_a_receipt_checked_before_the_re_judgement_but_arriving_after_it_supersedes_it(
    store: Store, tmp_path: Path
) -> None:
    """Aroha removed CapCut and signed under version 2 the day before the helpdesk re-judged;
    her receipt arrives after: the real check counts, not the reading of old data."""
    *_, second = _two_phones(store, tmp_path)
    store.rejudge(r.POLICY_ID, today=r.LATER)
    v2 = load_policy_file(second)
    device = f.phone("P1")
    clean = r.judged(v2, device, CLEAN, day=r.LATER - timedelta(days=1))
    signed = attest(
        before=clean,
        after=clean,
        actions=(),
        attester=Attester(f.AROHA.name, f.AROHA.staff_id),
        statement_text=f.STATEMENT,
        signer=Signer.generate(),
        now=clean.scan.finished_at + timedelta(minutes=1),
    )
    folder = tmp_path / "in"
    folder.mkdir()
    write_receipt(signed, folder / "aroha.json")
    assert store.import_folder(folder).imported == 1
    latest = {a.staff_id: a for a in store.history(HistoryFilter(latest_only=True))}
    assert latest[f.AROHA.staff_id].origin is Origin.IMPORTED
    assert store.dashboard(r.POLICY_ID, r.LATER).counts.compliant == 2


def test_nothing_can_be_added_to_a_re_judged_audit(store: Store, tmp_path: Path) -> None:
    """A rogue hand cannot make the derived row look checked or signed."""
    *_, second = _two_phones(store, tmp_path)
    report, _ = store.rejudge(r.POLICY_ID, today=r.LATER)
    (changed,) = report.changed
    assert changed.rejudged_id is not None
    clean = r.judged(load_policy_file(second), f.phone("P1"), CLEAN, day=r.LATER)
    with pytest.raises(StoreError, match="re-judged from a stored inventory"):
        store.record_assessment(changed.rejudged_id, clean)
    with pytest.raises(StoreError, match="re-judged from a stored inventory"):
        store.set_person(changed.rejudged_id, person_name="Someone", staff_id="PS-9")
    assert store.audit(changed.rejudged_id).status is DeviceStatus.NON_COMPLIANT


def test_only_the_current_known_text_re_judges(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    *_, second = _two_phones(store, tmp_path)
    with pytest.raises(StoreError, match="version 2, not 1"):
        store.rejudge(r.POLICY_ID, version="1")
    stranger = tmp_path / "v3.toml"
    stranger.write_text(second.read_text("utf-8").replace("version = 2", "version = 3"), "utf-8")
    with pytest.raises(StoreError, match="has not accepted"):
        store.rejudge(r.POLICY_ID, file=stranger)
    with pytest.raises(StoreError, match="knows no policy"):
        store.rejudge("nobody-knows-this")
    report, _ = store.rejudge(r.POLICY_ID, file=second, today=r.LATER)
    assert len(report.changed) == 1
    assert report.version == "2"


def test_an_audit_recorded_before_inventories_were_kept_is_reported(
    store: Store, tmp_path: Path
) -> None:
    _two_phones(store, tmp_path)
    store._db.execute("DELETE FROM inventories")
    report, _ = store.rejudge(r.POLICY_ID, today=r.LATER)
    assert len(report.not_rejudged) == 2 and report.verdicts == ()
    assert all("not held" in n.reason for n in report.not_rejudged)


def test_phones_with_the_same_apps_share_one_stored_inventory(store: Store, tmp_path: Path) -> None:
    v1, _ = r.accept_v1(store, tmp_path / "policies")
    for serial in ("S1", "S2", "S3"):
        r.record(store, v1, f.AROHA, f.phone(serial), CLEAN)
    digests = {
        inventory_digest(r.phone_scan(f.phone(serial), r.DAY, CLEAN))
        for serial in ("S1", "S2", "S3")
    }
    held = store._db.execute("SELECT count(*) FROM inventories").fetchone()[0]
    assert held == len(digests) == 3  # the device id is part of the digest: one per phone
    r.record(store, v1, f.AROHA, f.phone("S1"), CLEAN, day=r.LATER)  # the same phone again
    assert store._db.execute("SELECT count(*) FROM inventories").fetchone()[0] == 3


def test_an_audit_checked_again_while_it_was_being_re_judged_is_left_to_the_new_check(
    store: Store, tmp_path: Path
) -> None:
    """Judging runs without the write lock; a check recorded meanwhile wins over it."""
    from audit.store.rejudge import judge_again, record

    *_, second = _two_phones(store, tmp_path)
    v2 = load_policy_file(second)
    judged = store._read(lambda conn: judge_again(conn, v2, day=r.LATER))
    assert len(judged.changes) == 1
    fixed = r.record(store, v2, f.AROHA, f.phone("P1"), CLEAN, day=r.LATER)
    with store._write() as conn:
        report = record(conn, judged)
    assert report.changed == ()
    latest = {a.staff_id: a.id for a in store.history(HistoryFilter(latest_only=True))}
    assert latest[f.AROHA.staff_id] == fixed
    assert Origin.REJUDGED not in {a.origin for a in store.history(EVERYTHING)}


def test_a_device_already_in_violation_stays_one_row_and_the_new_app_is_named(
    store: Store, tmp_path: Path
) -> None:
    from audit.store.rejudge import report_lines

    v1, second = r.accept_v1(store, tmp_path / "policies")
    audit_id = r.record(store, v1, f.AROHA, f.phone("P1"), (f.tiktok(), r.capcut()))
    store.accept_policy(second, by="Lead")
    report, _ = store.rejudge(r.POLICY_ID, today=r.LATER)
    (verdict,) = report.unchanged
    assert verdict.audit_id == audit_id and verdict.apps == ("CapCut",)
    text = "\n".join(report_lines(report))
    assert "still not compliant; under version 2 also: CapCut" in text
    assert [a.id for a in store.history(EVERYTHING)] == [audit_id]


def test_a_witnessed_compliant_device_now_in_violation_stops_counting_as_compliant(
    store: Store, tmp_path: Path
) -> None:
    """Counting witnessed receipts only, the device was compliant (witnessed at the bench);
    re-judged from its held inventory it is not compliant, and not 'compliant, not witnessed'
    either: the derived row is never witnessed, and never compliant where the receipt was."""
    from tests.audit.store.test_trust_attacks import cabled

    v1, second = r.accept_v1(store, tmp_path / "policies")
    bench = Signer.generate()
    store.enrol_technician("Sam", bench.fingerprint, by="Lead")
    judged = r.judged(v1, cabled("W1"), WITH_CAPCUT)
    signed = attest(
        before=judged,
        after=judged,
        actions=(),
        attester=Attester(f.AROHA.name, f.AROHA.staff_id, technician="Sam"),
        statement_text=f.STATEMENT,
        signer=bench,
        now=judged.scan.finished_at + timedelta(minutes=1),
    )
    folder = tmp_path / "in"
    folder.mkdir()
    write_receipt(signed, folder / "w.json")
    assert store.import_folder(folder).imported == 1
    board = store.dashboard(r.POLICY_ID, r.LATER, witnessed_only=True)
    assert (board.counts.compliant, board.witnessed) == (1, 1)
    save(judged.scan, tmp_path / "w.inventory.json")
    assert [h.held for h in store.hold_inventories([tmp_path / "w.inventory.json"])] == [True]
    store.accept_policy(second, by="Lead")
    report, _ = store.rejudge(r.POLICY_ID, today=r.LATER)
    assert len(report.changed) == 1
    for witnessed_only in (True, False):
        counts = store.dashboard(r.POLICY_ID, r.LATER, witnessed_only=witnessed_only).counts
        assert (counts.compliant, counts.unwitnessed, counts.non_compliant) == (0, 0, 1)
    (row,) = store.export_rows(today=r.LATER)
    assert (row.status, row.assurance, row.attestation_id) == ("non_compliant", "", "")


def test_the_command_refuses_a_version_that_is_not_the_current_one(
    store: Store, tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    db = cli_db(store, request)  # its file, or its PostgreSQL address
    _two_phones(store, tmp_path)
    store.close()
    args = ["history", "rejudge", "--policy", r.POLICY_ID, "--db", db]
    assert main([*args, "--version", "1"]) == 2
    err = capsys.readouterr().err
    assert "is version 2, not 1" in err and "next step:" in err
    assert _rows(db) == 2  # nothing written
    assert main(["history", "--db", db, "rejudge", "--policy", r.POLICY_ID]) == 1
    assert _rows(db) == 3  # the history's own --db is used by its action too
