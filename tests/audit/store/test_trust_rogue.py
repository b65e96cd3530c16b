"""A rogue technician and a reluctant staff member against the exemption, dispute and technician
machinery, through the command line only, with real keys and real history files. Each way in
they found is a test here."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from audit.attestation import Attester, Envelope, Signer, attest, write_receipt
from audit.cli import main
from audit.model import Exemption
from audit.store.holds import EXEMPTION_NOTE
from tests.audit.store import factory as f
from tests.helpers.nz_tiktok import STATEMENT

DAY = date(2023, 3, 28)
SEVEN = f.Person("Pat Seven", "PS-7000")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def drop(folder: Path, name: str, envelope: Envelope) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_receipt(envelope, folder / name)
    return folder / name


def latest(capsys: pytest.CaptureFixture[str], db: Path) -> dict[str, dict[str, Any]]:
    # each status as it stands on DAY, the day the receipts here are judged
    _code, out, _ = run(capsys, "history", "--db", str(db), "--json", "--latest", "--day", f"{DAY}")
    return {a["device"]["id"]: a for a in json.loads(out)}


def test_a_staff_members_own_key_is_never_enrolled_as_a_technicians(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Pat hands in a receipt, then (at the bench, or with a helpful colleague) gets the same
    key enrolled as technician "Pat": every later self-signed receipt naming "Pat" as the
    technician would count as witnessed."""
    own = Signer.generate()
    db, folder = tmp_path / "h.sqlite3", tmp_path / "in"
    drop(folder, "pat.json", f.receipt(own, f.phone("P1"), SEVEN, f.Outcome.CLEAN, day=DAY))
    code, _out, _ = run(capsys, "import", str(folder), "--db", str(db))
    assert code == 0
    code, out, err = run(
        capsys, "technician", "enrol", "Pat", own.fingerprint, "--by", "Lead", "--db", str(db)
    )
    assert code == 2 and out == ""
    assert "staff id PS-7000" in err and "never a technician's" in err
    code, out, _ = run(capsys, "technician", "list", "--db", str(db), "--json")
    assert json.loads(out) == []


def test_accepting_a_revoked_exemption_again_says_it_stays_revoked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A technician sympathetic to Pat re-runs `exemption accept` on the file the lead revoked,
    and reads "Already accepted": the lead's decision must not look undone, and is not."""
    key = Signer.generate()
    db, folder = tmp_path / "h.sqlite3", tmp_path / "in"
    granted = f.exemption(SEVEN, DAY + timedelta(days=180))
    approved = f.exemptions_file(tmp_path / "pat.toml", granted)
    drop(folder, "pat.json", f.receipt(key, f.phone("P1"), SEVEN, f.Outcome.EXCEPTED, day=DAY))
    run(capsys, "exemption", "accept", str(approved), "--by", "Lead", "--db", str(db))
    run(capsys, "import", str(folder), "--db", str(db))
    assert latest(capsys, db)["android:P1"]["status"] == "compliant_with_exceptions"
    code, _, _ = run(capsys, "exemption", "revoke", granted.id, "--by", "Lead", "--db", str(db))
    assert code == 0
    code, out, _ = run(
        capsys, "exemption", "accept", str(approved), "--by", "Tech", "--db", str(db)
    )
    assert code == 0 and "Still revoked: exemption EX-PS-7000" in out
    assert "Already accepted" not in out
    row = latest(capsys, db)["android:P1"]
    assert row["status"] == "non_compliant" and EXEMPTION_NOTE in row["trust_note"]


def test_a_short_digest_never_revokes_someone_elses_exemption(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Revoking by a digest prefix of one or two characters would hit whichever exemption
    happens to start so: refused, and nothing is revoked."""
    db = tmp_path / "h.sqlite3"
    granted = f.exemption(SEVEN, DAY + timedelta(days=180))
    run(
        capsys,
        "exemption",
        "accept",
        str(f.exemptions_file(tmp_path / "p.toml", granted)),
        "--by",
        "Lead",
        "--db",
        str(db),
    )
    code, out, _ = run(capsys, "exemption", "list", "--db", str(db), "--json")
    [listed] = json.loads(out)
    for which in (listed["sha256"][:1], listed["sha256"][:7], "EX-PS-70"):
        code, out, err = run(capsys, "exemption", "revoke", which, "--by", "X", "--db", str(db))
        assert code == 2 and "device-audit exemption list" in err
    code, out, _ = run(capsys, "exemption", "list", "--db", str(db), "--json")
    assert json.loads(out)[0]["revoked_at"] is None


def test_an_exemption_accepted_in_a_staff_members_own_history_does_not_travel(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Pat accepts a self-written exemption in their own history (theirs to do), where the
    audit then counts; the helpdesk's history still holds the receipt until it accepts it."""
    key = Signer.generate()
    own, helpdesk, folder = tmp_path / "own.sqlite3", tmp_path / "desk.sqlite3", tmp_path / "in"
    written = f.exemption(SEVEN, DAY + timedelta(days=180))
    mine = f.exemptions_file(tmp_path / "mine.toml", written)
    drop(folder, "pat.json", f.receipt(key, f.phone("P1"), SEVEN, f.Outcome.EXCEPTED, day=DAY))
    for db in (own, helpdesk):
        run(capsys, "import", str(folder), "--db", str(db))
    run(capsys, "exemption", "accept", str(mine), "--by", "Pat", "--db", str(own))
    assert latest(capsys, own)["android:P1"]["status"] == "compliant_with_exceptions"
    row = latest(capsys, helpdesk)["android:P1"]
    assert row["status"] == "non_compliant" and EXEMPTION_NOTE in row["trust_note"]
    _code, out, _ = run(capsys, "history", "--db", str(helpdesk))
    assert "ask your helpdesk to accept this exemption file" in out


def _kept_under(signer: Signer, serial: str, granted: Exemption, app_name: str = "") -> Envelope:
    """A receipt whose TikTok is excepted by `granted`, whatever `granted` was granted for:
    what a changed app signs (the honest app applies an exemption only where it covers)."""
    device = f.phone(serial)
    before, after, actions = f.audit_inputs(device, SEVEN, f.Outcome.EXCEPTED, day=DAY)
    finding = replace(after.findings[0], exemption=granted)
    if app_name:
        finding = replace(finding, app=replace(finding.app, name=app_name))
    after = replace(after, findings=(finding,), exemptions=(granted,))
    return attest(
        before=before,
        after=after,
        actions=actions,
        attester=Attester(name=SEVEN.name, staff_id=SEVEN.staff_id),
        statement_text=STATEMENT,
        signer=signer,
        now=after.scan.finished_at + timedelta(minutes=1),
    )


@pytest.mark.parametrize(
    ("scope", "words"),
    [
        ({"device": "android:WORK1"}, "granted for device android:WORK1, not this one"),
        ({"device": "WORK1"}, "granted for device WORK1, not this one"),
        ({"policy": "uk-gov-2023"}, "granted under policy uk-gov-2023, not nz-parliament-2023"),
        ({"rules": ("capcut",)}, "does not cover rule tiktok, TikTok"),
        ({"apps": ("com.lemon.lvoverseas",)}, "does not cover TikTok"),
        ({"granted": DAY + timedelta(days=10)}, "in force 2023-04-07 to 2023-09-24, not on"),
    ],
)
def test_an_accepted_exemption_used_outside_what_it_was_granted_for_is_held(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, scope: dict[str, Any], words: str
) -> None:
    """The approver granted Pat an exemption for the work phone (or for another policy, or for
    CapCut only); the helpdesk accepted it. Pat's personal phone's receipt lists that exact
    text as excepting TikTok: same digest, same person, and still not what was granted."""
    key = Signer.generate()
    db, folder = tmp_path / "h.sqlite3", tmp_path / "in"
    granted = replace(f.exemption(SEVEN, DAY + timedelta(days=180)), **scope)
    accepted = f.exemptions_file(tmp_path / "granted.toml", granted)
    run(capsys, "exemption", "accept", str(accepted), "--by", "Lead", "--db", str(db))
    drop(folder, "home.json", _kept_under(key, "HOME1", granted))
    run(capsys, "import", str(folder), "--db", str(db))
    row = latest(capsys, db)["android:HOME1"]
    assert row["status"] == "non_compliant", row
    assert EXEMPTION_NOTE in row["trust_note"] and words in row["trust_note"]


def test_an_accepted_exemption_used_where_it_was_granted_counts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The control: the same exemption on the device, policy, rule and app it names."""
    key = Signer.generate()
    db, folder = tmp_path / "h.sqlite3", tmp_path / "in"
    granted = replace(
        f.exemption(SEVEN, DAY + timedelta(days=180)),
        device="WORK1",
        policy="nz-parliament-2023",
        rules=("tiktok",),
        apps=("com.zhiliaoapp.musically",),
    )
    accepted = f.exemptions_file(tmp_path / "granted.toml", granted)
    run(capsys, "exemption", "accept", str(accepted), "--by", "Lead", "--db", str(db))
    drop(folder, "work.json", _kept_under(key, "WORK1", granted))
    run(capsys, "import", str(folder), "--db", str(db))
    row = latest(capsys, db)["android:WORK1"]
    assert row["status"] == "compliant_with_exceptions", row


def test_accepting_an_exemption_that_has_ended_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A technician accepts last year's file without reading the dates: told it has ended."""
    db = tmp_path / "h.sqlite3"
    old = f.exemptions_file(tmp_path / "old.toml", f.exemption(SEVEN, DAY + timedelta(days=30)))
    code, out, _ = run(capsys, "exemption", "accept", str(old), "--by", "Tech", "--db", str(db))
    assert code == 0 and "It ended on 2023-04-27: it counts only for audits judged by then." in out


def test_an_exemption_naming_its_app_by_catalog_name_is_not_held_for_the_label(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The app matched "TikTok" through the rule's catalog label while the phone calls the app
    something else: the history cannot see the label, so it never holds a genuine receipt for
    it (the rule is still checked)."""
    key = Signer.generate()
    db, folder = tmp_path / "h.sqlite3", tmp_path / "in"
    granted = replace(f.exemption(SEVEN, DAY + timedelta(days=180)), apps=("TikTok",))
    run(capsys, "exemption", "accept", str(f.exemptions_file(tmp_path / "g.toml", granted)),
        "--by", "Lead", "--db", str(db))  # fmt: skip
    envelope = _kept_under(key, "P9", granted, app_name="抖音")
    drop(folder, "p9.json", envelope)
    run(capsys, "import", str(folder), "--db", str(db))
    assert latest(capsys, db)["android:P9"]["status"] == "compliant_with_exceptions"


def test_an_exemption_granted_on_the_day_judged_counts_though_that_day_is_counted_earlier(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Signed at 12:30 on the 28th in Auckland (23:30 UTC on the 27th) under an exemption
    granted on the 28th: the history counts the audit from the 27th (times.counted_day), but
    the exemption was in force on the day the app judged, so it is not held for the day."""
    judged, signed = DAY, datetime(2023, 3, 27, 23, 30, tzinfo=UTC)
    granted = replace(f.exemption(SEVEN, DAY + timedelta(days=180)), granted=DAY)
    before, after, actions = f.audit_inputs(f.phone("TZ2"), SEVEN, f.Outcome.EXCEPTED, day=judged)
    finding = replace(after.findings[0], exemption=granted)
    after = replace(after, findings=(finding,), exemptions=(granted,))

    def scanned(assessment: Any, minutes: int) -> Any:
        start = signed - timedelta(minutes=minutes)
        scan = replace(assessment.scan, started_at=start, finished_at=start + timedelta(seconds=20))
        return replace(assessment, scan=scan)

    envelope = attest(
        before=scanned(before, 20),
        after=scanned(after, 5),
        actions=actions,
        attester=Attester(name=SEVEN.name, staff_id=SEVEN.staff_id),
        statement_text=STATEMENT,
        signer=Signer.generate(),
        now=signed,
    )
    db, folder = tmp_path / "h.sqlite3", tmp_path / "in"
    run(capsys, "exemption", "accept", str(f.exemptions_file(tmp_path / "g.toml", granted)),
        "--by", "Lead", "--db", str(db))  # fmt: skip
    drop(folder, "tz.json", envelope)
    run(capsys, "import", str(folder), "--db", str(db))
    row = latest(capsys, db)["android:TZ2"]
    assert row["day"] == "2023-03-27"  # counted from the UTC day it was signed
    assert row["status"] == "compliant_with_exceptions", row["trust_note"]
