"""Issue 13's attacks on what a receipt is worth, each through the command line with real keys
and real history files: a copied preset, an unknown policy, a poisoned deadline, a technician
named to slip past a staff id's key, and a phone on the network passed off as witnessed."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from audit.attestation import Envelope, Signer, write_receipt
from audit.cli import main
from audit.model import Connection, ConnectionKind, Device
from audit.paths import resource
from audit.policy import load_policy_file
from audit.policy.loader import PRESET_ID_TAKEN
from audit.store import Store
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)
USB = Connection(ConnectionKind.USB, usb_path="1-1.2", product="panther", model="Pixel_7")
NETWORK = Connection(ConnectionKind.NETWORK, address="192.168.1.20:5555")
LOOPBACK = Connection(ConnectionKind.LOOPBACK, address="127.0.0.1:5555")
SEVEN = f.Person("Pat Seven", "PS-7000")
EIGHT = f.Person("Ola Eight", "PS-8000")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cabled(serial: str, connection: Connection | None = USB) -> Device:
    return replace(f.phone(serial), connection=connection)


def drop(folder: Path, name: str, envelope: Envelope) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_receipt(envelope, folder / name)
    return folder / name


def import_json(capsys: pytest.CaptureFixture[str], folder: Path, db: Path) -> dict[str, dict]:
    _code, out, _ = run(capsys, "import", str(folder), "--db", str(db), "--json")
    return {Path(o["file"]).name: o for o in json.loads(out)["files"]}


def changed_preset(tmp_path: Path, *, own_id: str = "") -> Path:
    """nz-parliament-2023.toml with one rule made review-only (TikTok no longer a violation)."""
    text = resource("policies").joinpath("nz-parliament-2023.toml").read_text("utf-8")
    rule = 'catalog = ["tiktok-app"]'
    assert text.count(rule) == 1
    text = text.replace(rule, rule + "\nreview_only = true")
    if own_id:  # a policy of its own: its own id and title (neither may read as the preset's)
        text = text.replace('id = "nz-parliament-2023"', f'id = "{own_id}"', 1)
        # its first version, whatever version the preset it was copied from has reached
        text = re.sub(r"^version = \d+$", "version = 1", text, count=1, flags=re.MULTILINE)
        start = text.index("\ntitle = ")
        text = (
            text[:start]
            + f'\ntitle = "Our own policy {own_id}"'
            + text[text.index("\n", start + 1) :]
        )
    path = tmp_path / "policy.toml"
    path.write_text(text, "utf-8")
    return path


# --- (a) a file may not take a preset's id ---------------------------------------------------


def test_a_changed_copy_of_a_preset_is_refused_under_the_presets_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    inventory = tmp_path / "inventory.json"
    inventory.write_text("{}", "utf-8")
    code, out, err = run(
        capsys, "check", "--policy", str(changed_preset(tmp_path)), "--inventory", str(inventory)
    )
    assert code == 2 and out == ""
    assert PRESET_ID_TAKEN in err and "next step:" in err


def test_a_byte_for_byte_copy_of_a_preset_loads_as_that_preset(tmp_path: Path) -> None:
    copy = tmp_path / "nz.toml"
    copy.write_bytes(resource("policies").joinpath("nz-parliament-2023.toml").read_bytes())
    assert load_policy_file(copy).sha256 == f.POLICY.sha256


# --- (b) import and verify know the policy ---------------------------------------------------


def test_a_receipt_under_an_altered_preset_is_refused_by_verify_and_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    altered = replace(
        f.POLICY, sha256=load_policy_file(changed_preset(tmp_path, own_id="x")).sha256
    )
    path = drop(
        tmp_path / "in",
        "r.json",
        f.receipt(signer, cabled("A1"), f.AROHA, f.Outcome.CLEAN, day=DAY, policy=altered),
    )
    code, out, _ = run(capsys, "verify", str(path))
    assert code == 1 and "NOT A KNOWN POLICY" in out
    assert "is not the built-in policy of that id" in out
    outcome = import_json(capsys, tmp_path / "in", tmp_path / "h.sqlite3")["r.json"]
    assert outcome["result"] == "refused"
    assert "is not the built-in policy of that id" in outcome["reason"]
    with Store(tmp_path / "h.sqlite3") as store:
        assert store.history() == []


def test_an_organisations_policy_is_imported_once_the_helpdesk_accepts_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    file = changed_preset(tmp_path, own_id="org-tiktok-2023")
    policy = load_policy_file(file)
    drop(
        tmp_path / "in",
        "r.json",
        f.receipt(signer, cabled("A1"), f.AROHA, f.Outcome.CLEAN, day=DAY, policy=policy),
    )
    db = tmp_path / "h.sqlite3"
    outcome = import_json(capsys, tmp_path / "in", db)["r.json"]
    assert outcome["result"] == "refused"
    assert "device-audit policy accept FILE" in outcome["reason"]
    code, out, _ = run(
        capsys, "policy", "accept", str(file), "--by", "Helpdesk lead", "--db", str(db)
    )
    assert code == 0 and policy.sha256 in out
    assert import_json(capsys, tmp_path / "in", db)["r.json"]["result"] == "imported"
    code, out, _ = run(capsys, "verify", str(tmp_path / "in" / "r.json"), "--db", str(db))
    assert code == 0 and "accepted by this helpdesk, version 1, digest checked" in out
    code, out, _ = run(capsys, "export", "--db", str(db), "--day", DAY.isoformat())
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert (row["policy_id"], row["policy_version"], row["policy_sha256"]) == (
        "org-tiktok-2023",
        "1",
        policy.sha256,
    )
    assert row["status"] == "compliant" and row["assurance"] == "self-attested"


# --- (c) deadline poisoning ------------------------------------------------------------------


def test_a_receipt_claiming_a_2099_deadline_changes_no_other_row_nor_the_dashboard(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    late = f.receipt(signer, cabled("B1"), f.BEN, f.Outcome.VIOLATION, day=date(2023, 3, 20))
    drop(folder, "1-ben.json", late)
    poisoned = replace(f.POLICY, deadline=date(2099, 1, 1), title="Nothing is due until 2099")
    newest = f.receipt(
        Signer.generate(), cabled("A1"), f.AROHA, f.Outcome.CLEAN, day=DAY, policy=poisoned
    )
    drop(folder, "2-aroha.json", newest)
    results = import_json(capsys, folder, db)
    assert [o["result"] for o in results.values()] == ["imported", "imported"]
    code, out, _ = run(capsys, "export", "--db", str(db), "--day", "2023-04-02")
    rows = {r["staff_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows[f.BEN.staff_id]["status"] == "overdue"
    with Store(db) as store:
        board = store.dashboard(f.POLICY.id, date(2023, 4, 2))
        assert board.deadline == date(2023, 3, 31)
        assert board.counts.overdue == 1
        [summary] = [p for p in store.policies() if p.id == f.POLICY.id]
        assert summary.deadline == date(2023, 3, 31) and "2099" not in summary.title
    code, out, _ = run(capsys, "history", "--db", str(db), "--json")
    assert code == 0
    for audit in json.loads(out):
        assert "2099" not in audit["policy"]["title"]


# --- (d) technician key bypass ---------------------------------------------------------------


def test_naming_a_technician_does_not_get_past_a_staff_ids_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    own, stranger = Signer.generate(), Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(folder, "1.json", f.receipt(own, cabled("S1"), SEVEN, f.Outcome.VIOLATION, day=DAY))
    drop(folder, "2.json", f.receipt(stranger, cabled("S1"), SEVEN, f.Outcome.CLEAN, day=DAY))
    drop(
        folder,
        "3.json",
        f.receipt(stranger, cabled("S1"), SEVEN, f.Outcome.CLEAN, day=DAY, technician="Sam"),
    )
    results = import_json(capsys, folder, db)
    assert [o["result"] for o in results.values()] == ["imported", "refused", "refused"]
    assert results["3.json"]["key_changed"] and "staff id PS-7000" in results["3.json"]["reason"]
    # both keys and both dates: the new key's receipt and when the pinned key was first seen
    changed = results["2.json"]["reason"]
    assert f"{stranger.display_fingerprint} (on 2023-03-28)" in changed
    assert f"{own.display_fingerprint} (first seen in 1.json on " in changed
    code, out, _ = run(capsys, "export", "--db", str(db), "--day", DAY.isoformat())
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and row["status"] == "non_compliant"


def test_only_an_enrolled_technician_key_witnesses_and_a_revoked_one_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    own, bench = Signer.generate(), Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(folder, "1.json", f.receipt(own, cabled("S1"), SEVEN, f.Outcome.VIOLATION, day=DAY))
    import_json(capsys, folder, db)
    code, out, _ = run(
        capsys, "technician", "enrol", "Sam", bench.fingerprint, "--by", "Lead", "--db", str(db)
    )
    assert code == 0
    code, out, _ = run(capsys, "technician", "list", "--db", str(db), "--json")
    [listed] = json.loads(out)
    assert (listed["name"], listed["fingerprint"], listed["enrolled_by"]) == (
        "Sam",
        bench.fingerprint,
        "Lead",
    )
    assert listed["enrolled_at"] and listed["revoked_at"] is None
    drop(
        folder,
        "2.json",
        f.receipt(bench, cabled("S1"), SEVEN, f.Outcome.CLEAN, day=DAY, technician="Sam"),
    )
    assert import_json(capsys, folder, db)["2.json"]["result"] == "imported"
    code, out, _ = run(capsys, "history", "--db", str(db), "--json", "--latest")
    [latest] = json.loads(out)
    assert (latest["status"], latest["assurance"]) == ("compliant", "witnessed")
    code, out, _ = run(capsys, "verify", str(folder / "2.json"), "--db", str(db))
    assert code == 0 and "assurance witnessed" in out
    # Someone else signing in Sam's name is refused; so is Sam's key once revoked.
    impostor = Signer.generate()
    drop(
        folder,
        "3.json",
        f.receipt(impostor, cabled("T1"), EIGHT, f.Outcome.CLEAN, day=DAY, technician="Sam"),
    )
    assert (
        "not by the key this helpdesk enrolled for Sam"
        in import_json(capsys, folder, db)["3.json"]["reason"]
    )
    run(capsys, "technician", "revoke", bench.fingerprint, "--by", "Lead", "--db", str(db))
    drop(
        folder,
        "4.json",
        f.receipt(bench, cabled("T2"), EIGHT, f.Outcome.CLEAN, day=DAY, technician="Sam"),
    )
    outcome = import_json(capsys, folder, db)["4.json"]
    assert outcome["result"] == "refused" and "revoked" in outcome["reason"]


def test_a_key_seen_under_two_staff_ids_is_flagged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shared = Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(folder, "1.json", f.receipt(shared, cabled("S1"), SEVEN, f.Outcome.CLEAN, day=DAY))
    drop(folder, "2.json", f.receipt(shared, cabled("E1"), EIGHT, f.Outcome.CLEAN, day=DAY))
    results = import_json(capsys, folder, db)
    assert results["1.json"]["reason"] == ""
    assert "has also signed for PS-7000" in results["2.json"]["reason"]
    code, out, _ = run(capsys, "export", "--db", str(db), "--day", DAY.isoformat())
    rows = {r["staff_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert code == 0
    assert "one key under two identities" in rows[EIGHT.staff_id]["trust_note"]


# --- (e) assurance, and phones that were not on a cable --------------------------------------


@pytest.mark.parametrize("connection", [NETWORK, LOOPBACK, None])
def test_a_phone_not_on_a_cable_is_never_witnessed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, connection: Connection | None
) -> None:
    bench = Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    run(capsys, "technician", "enrol", "Sam", bench.fingerprint, "--by", "Lead", "--db", str(db))
    envelope = f.receipt(
        bench, cabled("W1", connection), SEVEN, f.Outcome.CLEAN, day=DAY, technician="Sam"
    )
    drop(folder, "1.json", envelope)
    outcome = import_json(capsys, folder, db)["1.json"]
    assert outcome["result"] == "imported" and "not witnessed" in outcome["reason"]
    code, out, _ = run(capsys, "export", "--db", str(db), "--day", DAY.isoformat())
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["assurance"] == "self-attested" and "not witnessed" in row["trust_note"]
    code, out, _ = run(capsys, "verify", str(folder / "1.json"), "--db", str(db))
    assert code == 0 and "assurance self-attested" in out and "not witnessed" in out
    with Store(db) as store:
        board = store.dashboard(f.POLICY.id, DAY)
        assert (board.witnessed, board.self_attested) == (0, 1)


@pytest.mark.parametrize(
    ("technician", "connection", "words"),
    [
        ("", USB, "self-attested: signed by the person's own key"),
        ("Sam", NETWORK, "self-attested: a technician signed, but the phone was not on a USB"),
        ("Sam", USB, "witnessed only if the helpdesk enrolled technician Sam's key"),
    ],
)
def test_the_receipt_and_its_pdf_say_what_assurance_it_can_claim(
    signer: Signer, technician: str, connection: Connection, words: str
) -> None:
    from audit.attestation import verify_bytes
    from audit.attestation.receipt_text import receipt_content

    envelope = f.receipt(
        signer, cabled("P1", connection), SEVEN, f.Outcome.CLEAN, day=DAY, technician=technician
    )
    content = receipt_content(verify_bytes(envelope.to_file_bytes()))
    lines = {line.label: line.value for section in content.sections for line in section.lines}
    assert lines["Assurance"].startswith(words)


def test_the_key_seen_first_is_the_suspect_once_a_later_key_is_accepted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A forger who imports first gets their key pinned; the person's genuine key is refused,
    and the words must not call the genuine one the forgery."""
    forger, genuine = Signer.generate(), Signer.generate()
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(folder, "1.json", f.receipt(forger, cabled("S1"), SEVEN, f.Outcome.CLEAN, day=DAY))
    drop(folder, "2.json", f.receipt(genuine, cabled("S1"), SEVEN, f.Outcome.VIOLATION, day=DAY))
    refused = import_json(capsys, folder, db)["2.json"]
    assert refused["result"] == "refused"
    assert "the key seen first is no more proven than this one" in refused["reason"]
    accept = f"{SEVEN.staff_id}={genuine.fingerprint}"
    code, out, _ = run(capsys, "import", str(folder), "--db", str(db), "--accept-new-key", accept)
    assert code == 0
    code, out, _ = run(capsys, "history", "--db", str(db), "--json")
    notes = {a["receipt"]["signer"]: a["trust_note"] for a in json.loads(out)}
    assert "(this receipt's) is the suspect" in (notes[forger.fingerprint] or "")
    assert notes[genuine.fingerprint] is None
