"""Plain-text `device-audit history` says what the JSON and the window say of each audit's
trust: self-attested or witnessed, a technician key revoked since, a disputed key, an
exemption not accepted. Real keys, real history files, the CLI only."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from audit.attestation import Envelope, Signer, write_receipt
from audit.cli import main
from audit.model import Connection, ConnectionKind, Device
from audit.store.holds import DISPUTE_NOTE, EXEMPTION_NOTE
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)
USB = Connection(ConnectionKind.USB, usb_path="1-1.2", product="panther", model="Pixel_7")
SEVEN = f.Person("Pat Seven", "PS-7000")
EIGHT = f.Person("Ola Eight", "PS-8000")
NINE = f.Person("Ana Nine", "PS-9000")


def cabled(serial: str) -> Device:
    return replace(f.phone(serial), connection=USB)


def drop(folder: Path, name: str, envelope: Envelope) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_receipt(envelope, folder / name)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_plain_history_prints_every_trust_note_the_json_holds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bench, own, stranger, nine = (Signer.generate() for _ in range(4))
    db, folder = str(tmp_path / "h.sqlite3"), tmp_path / "in"
    run(capsys, "technician", "enrol", "Sam", bench.fingerprint, "--by", "Lead", "--db", db)
    witnessed = f.receipt(bench, cabled("W1"), EIGHT, f.Outcome.CLEAN, day=DAY, technician="Sam")
    drop(folder, "1-witnessed.json", witnessed)
    drop(folder, "2-own.json", f.receipt(own, cabled("S1"), SEVEN, f.Outcome.CLEAN, day=DAY))
    drop(folder, "3-other.json", f.receipt(stranger, cabled("S2"), SEVEN, f.Outcome.CLEAN, day=DAY))
    drop(
        folder, "4-excepted.json", f.receipt(nine, cabled("N1"), NINE, f.Outcome.EXCEPTED, day=DAY)
    )
    run(capsys, "import", str(folder), "--db", db)
    run(capsys, "technician", "revoke", bench.fingerprint, "--by", "Lead", "--db", db)

    _code, out = run(capsys, "history", "--db", db, "--json")
    notes = {a["device"]["id"]: a["trust_note"] or "" for a in json.loads(out)}
    assert "technician revoked" in notes["android:W1"]
    assert DISPUTE_NOTE in notes["android:S1"]
    assert EXEMPTION_NOTE in notes["android:N1"]

    code, text = run(capsys, "history", "--db", db)
    assert code == 0
    blocks: dict[str, str] = {}
    current = ""
    for line in text.splitlines():
        if not line.startswith(" "):
            current = line.split("[", 1)[1].split("]", 1)[0] if "[" in line else ""
            blocks[current] = line
        else:
            blocks[current] += "\n" + line
    assert "witnessed" in blocks["android:W1"] and "technician revoked" in blocks["android:W1"]
    assert "self-attested" in blocks["android:S1"] and DISPUTE_NOTE in blocks["android:S1"]
    assert EXEMPTION_NOTE in blocks["android:N1"]
    assert "ask your helpdesk to accept this exemption file" in blocks["android:N1"]
    for device, note in notes.items():  # nothing the JSON says is left out of the text
        assert (note == "") or (note.replace("\n", "\\x0a") in blocks[device])
