"""device-audit history, import and export, end to end through the real argument parser."""

from __future__ import annotations

import csv
import io
import json
import shlex
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from audit.attestation import Signer, write_receipt
from audit.cli import main
from audit.store import Store
from audit.store.schema import LATEST_VERSION
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)


@pytest.fixture
def receipts(tmp_path: Path, signer: Signer) -> Path:
    folder = tmp_path / "receipts"
    folder.mkdir()
    hostile = f.phone("H1", name="Pixel\x1b[31m\nFAKE LINE")
    write_receipt(f.receipt(signer, hostile, f.AROHA, f.Outcome.CLEAN, day=DAY), folder / "a.json")
    write_receipt(
        f.receipt(signer, f.phone("B1"), f.BEN, f.Outcome.VIOLATION, day=date(2023, 4, 2)),
        folder / "b.json",
    )
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_reports_each_file_and_the_totals(
    capsys: pytest.CaptureFixture[str], receipts: Path, db_path: Path
) -> None:
    code, out, _ = run(capsys, "import", str(receipts), "--db", str(db_path))
    assert code == 0
    assert "imported   a.json" in out and "imported   b.json" in out
    assert "2 files: 2 imported, 0 already in the history, 0 refused" in out

    (receipts / "junk.txt").write_text("junk")
    code, out, _ = run(capsys, "import", str(receipts), "--db", str(db_path))
    assert code == 1
    assert "duplicate  a.json" in out and "REFUSED    junk.txt: " in out
    assert "3 files: 0 imported, 2 already in the history, 1 refused" in out


def test_import_counts_the_pdf_copy_of_a_receipt_as_skipped_not_refused(
    capsys: pytest.CaptureFixture[str], receipts: Path, db_path: Path
) -> None:
    (receipts / "a.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")  # the readable copy beside a.json
    code, out, _ = run(capsys, "import", str(receipts), "--db", str(db_path))
    assert code == 0
    assert "skipped    a.pdf: a PDF, the readable copy of the receipt a.json" in out
    assert (
        "3 files: 2 imported, 0 already in the history, 0 refused, 1 skipped (not receipts)" in out
    )
    code, out, _ = run(capsys, "import", str(receipts), "--db", str(db_path), "--json")
    report = json.loads(out)
    assert (report["imported"], report["duplicates"], report["skipped"]) == (0, 2, 1)


def test_import_json_and_accepting_a_new_key(
    capsys: pytest.CaptureFixture[str], receipts: Path, db_path: Path
) -> None:
    run(capsys, "import", str(receipts), "--db", str(db_path))
    laptop = Signer.generate()
    write_receipt(
        f.receipt(laptop, f.phone("A9"), f.AROHA, f.Outcome.CLEAN, day=DAY),
        receipts / "c-new-laptop.json",
    )
    code, out, _ = run(capsys, "import", str(receipts), "--db", str(db_path), "--json")
    assert code == 1
    report = json.loads(out)
    [refused] = [x for x in report["files"] if x["result"] == "refused"]
    assert refused["key_changed"] and refused["signed_for"] == "PS-1042"
    assert refused["person"] == "Aroha Ngata"
    assert report["refused"] == 1 and report["duplicates"] == 2
    accept = f"PS-1042={laptop.fingerprint}"
    code, out, _ = run(
        capsys, "import", str(receipts), "--db", str(db_path), "--accept-new-key", accept
    )
    assert code == 0 and "imported   c-new-laptop.json: accepted as a new key" in out


def test_history_lists_and_filters_with_device_text_escaped(
    capsys: pytest.CaptureFixture[str], receipts: Path, db_path: Path
) -> None:
    run(capsys, "import", str(receipts), "--db", str(db_path))
    code, out, _ = run(capsys, "history", "--db", str(db_path))
    assert code == 0
    lines = [line for line in out.splitlines() if not line.startswith(" ")]  # not trust notes
    assert len(lines) == 2
    assert "Ben Clarke (PS-2001)" in lines[0] and "overdue" in lines[0]  # newest first
    assert "Pixel\\x1b[31m\\x0aFAKE LINE" in lines[1] and "\x1b" not in out
    code, out, _ = run(capsys, "history", "--db", str(db_path), "--status", "compliant")
    assert "Aroha Ngata" in out and "Ben" not in out
    code, out, _ = run(capsys, "history", "--db", str(db_path), "--since", "2023-04-01")
    assert "Ben" in out and "Aroha" not in out
    code, out, _ = run(capsys, "history", "--db", str(db_path), "--search", "nobody")
    assert out.strip() == "No audits match."
    code, out, _ = run(capsys, "history", "--db", str(db_path), "--person", "PS-1042", "--json")
    [audit] = json.loads(out)
    assert audit["device"]["name"] == "Pixel\x1b[31m\nFAKE LINE"
    assert audit["status"] == "compliant" and audit["receipt"]["kind"] == "compliance_attestation"
    code, out, _ = run(capsys, "history", "--db", str(db_path), "--limit", "1")
    assert "1 of 2 audits shown" in out


def test_history_uses_the_data_folder_by_default(
    capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    code, out, _ = run(capsys, "history")
    assert code == 0 and out.startswith("The history is empty: no audit has been recorded yet.")
    assert "device-audit import DIR" in out
    assert (isolated_home / "history.sqlite3").exists()


def test_export_csv_json_and_receipts(
    capsys: pytest.CaptureFixture[str], receipts: Path, db_path: Path, tmp_path: Path
) -> None:
    run(capsys, "import", str(receipts), "--db", str(db_path))
    code, out, _ = run(capsys, "export", "--db", str(db_path), "--day", "2023-04-03")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert {r["staff_id"]: r["status"] for r in rows} == {
        "PS-1042": "compliant",
        "PS-2001": "overdue",
    }
    out_file = tmp_path / "export.json"
    code, _, err = run(
        capsys,
        "export",
        "--db",
        str(db_path),
        "--format",
        "json",
        "--policy",
        f.POLICY.id,
        "--out",
        str(out_file),
        "--receipts",
        str(tmp_path / "copies"),
    )
    assert code == 0 and "2 rows written" in err and "2 receipts written" in err
    assert len(json.loads(out_file.read_text())["rows"]) == 2
    assert sorted(p.read_bytes() for p in (tmp_path / "copies").iterdir()) == sorted(
        p.read_bytes() for p in receipts.iterdir()
    )
    code, out, _ = run(capsys, "export", "--db", str(db_path), "--receipts", str(tmp_path / "r2"))
    assert code == 0 and out == ""  # receipts only: no rows on stdout


def test_export_into_a_missing_folder_is_an_error_in_words(
    capsys: pytest.CaptureFixture[str], db_path: Path, tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "export", "--db", str(db_path), "--out", str(tmp_path / "nowhere" / "x.csv")
    )
    assert code == 2 and "cannot be written" in err and "next step:" in err


def test_a_newer_history_is_refused_by_every_command(
    capsys: pytest.CaptureFixture[str], db_path: Path, receipts: Path
) -> None:
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    for argv in (["history"], ["import", str(receipts)], ["export"]):
        code, out, err = run(capsys, *argv, "--db", str(db_path))
        assert code == 2 and out == ""
        assert "newer Device Audit" in err and "next step: Update Device Audit" in err


def test_bad_dates_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["history", "--since", "last tuesday"])
    assert exit_info.value.code == 2
    assert "not a date like 2023-03-31" in capsys.readouterr().err


def test_export_of_a_policy_the_history_does_not_hold_is_an_error_naming_those_it_does(
    capsys: pytest.CaptureFixture[str], receipts: Path, db_path: Path, tmp_path: Path
) -> None:
    Store(db_path).close()  # an empty history (a missing one is refused before this)
    code, out, err = run(capsys, "export", "--db", str(db_path), "--policy", "nosuch")
    assert (code, out) == (2, "")
    assert "error: No audits under policy 'nosuch' in the history; the history holds no " in err
    run(capsys, "import", str(receipts), "--db", str(db_path))
    out_file = tmp_path / "export.csv"
    for extra in (["--out", str(out_file)], ["--receipts", str(tmp_path / "r")]):
        code, out, err = run(capsys, "export", "--db", str(db_path), "--policy", "nosuch", *extra)
        assert (code, out) == (2, "")
        assert err.startswith(
            "error: No audits under policy 'nosuch' in the history; policies there: "
            f"{f.POLICY.id}.\nnext step: "
        )
    assert not out_file.exists() and not (tmp_path / "r").exists()
    code, out, _ = run(capsys, "export", "--db", str(db_path), "--policy", f.POLICY.id)
    assert code == 0 and len(out.splitlines()) == 3  # the header and two people


def test_a_refused_new_key_suggests_a_command_that_runs_as_printed(
    capsys: pytest.CaptureFixture[str], receipts: Path, tmp_path: Path
) -> None:
    db = tmp_path / "my history.sqlite3"
    run(capsys, "import", str(receipts), "--db", str(db))
    folder = tmp_path / "rc 2"
    folder.mkdir()
    laptop = Signer.generate()
    write_receipt(
        f.receipt(laptop, f.phone("A9"), f.AROHA, f.Outcome.CLEAN, day=DAY),
        folder / "new-laptop.json",
    )
    code, out, _ = run(capsys, "import", str(folder), "--db", str(db))
    assert code == 1
    accept = f"PS-1042={laptop.fingerprint}"
    command = shlex.join(
        ["device-audit", "import", "--accept-new-key", accept, str(folder), "--db", str(db)]
    )
    assert f"accept it: {command}\n" in out  # the file's line
    assert out.rstrip().endswith(f"if it is this one, run: {command}")
    code, out, _ = run(capsys, "import", str(folder), "--db", str(db), "--json")
    [refused] = json.loads(out)["files"]
    assert refused["reason"].endswith(f"accept it: {command}")
    argv = shlex.split(command)
    assert argv[0] == "device-audit"
    code, out, _ = run(capsys, *argv[1:])
    assert code == 0 and "imported   new-laptop.json: accepted as a new key" in out


def test_history_and_export_refuse_a_db_that_does_not_exist(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "newdb.sqlite"
    for argv in (["history"], ["export", "--format", "csv"], ["export", "--format", "json"]):
        code, out, err = run(capsys, *argv, "--db", str(missing))
        assert (code, out) == (2, "")
        assert err.startswith(
            f"error: There is no history at {missing}.\nnext step: Check the path."
        )
        assert not missing.exists()


def test_import_says_when_it_starts_a_new_history(
    capsys: pytest.CaptureFixture[str], receipts: Path, tmp_path: Path
) -> None:
    db = tmp_path / "new.sqlite3"
    code, _, err = run(capsys, "import", str(receipts), "--db", str(db))
    assert code == 0 and f"Created a new history at {db}." in err
    code, _, err = run(capsys, "import", str(receipts), "--db", str(db))
    assert code == 0 and "Created" not in err
    code, out, _ = run(capsys, "history", "--db", str(db))
    audits = [line for line in out.splitlines() if not line.startswith(" ")]  # not trust notes
    assert code == 0 and len(audits) == 2


def test_export_to_a_folder_is_refused_before_anything_is_written(
    capsys: pytest.CaptureFixture[str], receipts: Path, db_path: Path, tmp_path: Path
) -> None:
    run(capsys, "import", str(receipts), "--db", str(db_path))
    copies = tmp_path / "copies"
    code, out, err = run(
        capsys, "export", "--db", str(db_path), "--out", str(tmp_path), "--receipts", str(copies)
    )
    assert (code, out) == (2, "")
    assert err == (
        f"error: The export cannot be written to {tmp_path}: {tmp_path} is a folder; give the "
        "name of a file to write in it.\nnext step: Nothing was exported. Choose a file in a "
        "folder that exists and that you may write to.\n"
    )
    assert not copies.exists()
