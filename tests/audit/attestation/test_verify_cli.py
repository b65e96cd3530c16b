"""`device-audit verify FILE...`: what it prints and its exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from audit.attestation import Signer, attest, report_noncompliance, write_receipt
from audit.attestation.dsse import sign
from audit.attestation.statement import canonical_json
from audit.cli import main
from tests.audit.attestation import builders as b

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def receipts(tmp_path: Path, signer: Signer) -> dict[str, Path]:
    good = tmp_path / "good.json"
    write_receipt(attest(**b.clean(signer=signer)), good)
    report = tmp_path / "report.json"
    write_receipt(
        report_noncompliance(
            before=b.before(),
            after=b.after_tiktok_left(),
            actions=b.actions(),
            attester=b.ATTESTER,
            signer=signer,
        ),
        report,
    )
    bad = tmp_path / "bad.json"
    bad.write_bytes(good.read_bytes().replace(b'"payloadType": "', b'"payloadType":  "'))
    return {"good": good, "report": report, "bad": bad}


def test_valid_receipt_prints_signer_device_policy_status_date(
    receipts: dict[str, Path], signer: Signer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(receipts["good"])]) == 0
    out = capsys.readouterr().out
    assert f"{receipts['good']}: valid attestation of compliance" in out
    assert f"  signer    {signer.display_fingerprint}" in out
    assert "  device    Samsung Galaxy S21 (android:R58M123ABC)" in out
    assert "  policy    nz-parliament-2023 (New Zealand Parliamentary Service: TikTok)" in out
    assert "  status    Compliant" in out
    assert "  attester  Aroha Ngata (staff id PS-1042)" in out
    date_line = next(line for line in out.splitlines() if line.startswith("  date"))
    assert date_line.endswith(" UTC")


def test_one_bad_file_among_good_ones_fails_and_is_named(
    receipts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(receipts[k]) for k in ("good", "bad", "report")]
    assert main(["verify", *files]) == 1
    out = capsys.readouterr().out
    assert (
        f"{receipts['bad']}: INVALID\n  This attestation is not valid: the file was altered" in out
    )
    assert f"{receipts['good']}: valid attestation of compliance" in out
    assert f"{receipts['report']}: valid NON-COMPLIANCE REPORT" in out
    assert out.rstrip().endswith("3 files: 2 valid, 1 not valid")


def test_noncompliance_report_alone_is_valid_but_marked(
    receipts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(receipts["report"])]) == 0
    out = capsys.readouterr().out
    assert "NON-COMPLIANCE REPORT" in out
    assert "  status    Not compliant" in out  # words, not the code non_compliant
    assert "non_compliant" not in out


def test_an_altered_receipt_says_not_to_trust_it_and_what_to_do(
    receipts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(receipts["bad"])]) == 1
    out = capsys.readouterr().out
    assert out.rstrip().endswith(
        "  Do not trust this file. Ask the person for the original file, or check the device again."
    )
    assert main(["verify", "--json", str(receipts["bad"])]) == 1
    [bad] = json.loads(capsys.readouterr().out)
    assert bad["next_step"].startswith("Do not trust this file.")


def test_the_pdf_copy_is_named_and_points_to_the_receipt_beside_it(
    receipts: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = receipts["good"].with_suffix(".pdf")
    pdf.write_bytes(b"%PDF-1.7\n% a readable copy\n")
    assert main(["verify", str(pdf)]) == 1  # not a receipt: still not valid
    out = capsys.readouterr().out
    assert f"{pdf}: NOT A RECEIPT (a PDF copy)" in out
    assert "not JSON" not in out and "damaged" not in out
    assert (
        f'Check the signed receipt beside it instead: device-audit verify "{receipts["good"]}"'
        in out
    )

    alone = tmp_path / "alone" / "receipt.pdf"
    alone.parent.mkdir()
    alone.write_bytes(pdf.read_bytes())
    assert main(["verify", "--json", str(alone)]) == 1
    [result] = json.loads(capsys.readouterr().out)
    assert result["pdf_copy_of"] is None and not result["valid"]
    assert "the .json file Device Audit saves beside the PDF" in result["next_step"]


def test_help_says_what_a_valid_report_and_a_demo_receipt_exit_with(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["verify", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "A valid non-compliance report exits 0 too: the file is genuine" in out
    assert "Exit code 0 when every file is a real device's genuine receipt" in out
    assert "A receipt of the demo phone exits 1 unless --allow-demo is given." in out
    assert "--real-only no longer needed" in out


def test_missing_file_is_reported_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(tmp_path / "nope.json")]) == 2  # a wrong path is an input error
    assert f"There is no file {tmp_path / 'nope.json'}." in capsys.readouterr().out


def test_a_wrong_path_is_an_input_error_and_does_not_hide_the_other_files(
    receipts: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.json"
    files = [str(receipts["good"]), str(missing), str(tmp_path), str(receipts["bad"])]
    assert main(["verify", *files]) == 2
    out = capsys.readouterr().out
    assert f"{receipts['good']}: valid attestation of compliance" in out
    assert f"{receipts['bad']}: INVALID" in out
    assert (
        f"{missing}: CANNOT READ\n  There is no file {missing}.\n  Check the path. To import a "
        "folder of receipts use `device-audit import DIR`." in out
    )
    assert f"{tmp_path}: CANNOT READ\n  {tmp_path} is a folder, not a receipt file." in out
    assert out.rstrip().endswith("4 files: 1 valid, 1 not valid, 2 could not be read")

    assert main(["verify", "--json", str(receipts["good"]), str(missing)]) == 2
    good, lost = json.loads(capsys.readouterr().out)
    assert good["valid"] and "error" not in good
    assert lost["file"] == str(missing) and not lost["valid"]
    assert lost["error"] == f"There is no file {missing}."
    assert lost["next_step"].startswith("Check the path.")
    # only readable files: invalid is still 1, valid still 0
    assert main(["verify", str(receipts["good"]), str(receipts["bad"])]) == 1
    assert main(["verify", str(receipts["good"])]) == 0


def test_expect_key_accepts_the_signer_and_rejects_another(
    receipts: dict[str, Path], signer: Signer, capsys: pytest.CaptureFixture[str]
) -> None:
    good = str(receipts["good"])
    assert main(["verify", "--expect-key", signer.display_fingerprint, good]) == 0
    assert "signed by the expected key" in capsys.readouterr().out
    other = Signer.generate()
    assert main(["verify", "--expect-key", other.fingerprint, good]) == 1
    out = capsys.readouterr().out
    assert f"{good}: DIFFERENT SIGNER: valid attestation of compliance" in out
    assert (
        f"The signature is valid, but it was made by another key: {signer.display_fingerprint}, "
        f"not the expected {other.display_fingerprint}."
    ) in out


def test_expect_key_that_is_not_a_fingerprint_is_a_usage_error(
    receipts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["verify", "--expect-key", "abc", str(receipts["good"])])
    assert caught.value.code == 2
    assert "64 hexadecimal digits" in capsys.readouterr().err


def test_json_output(
    receipts: dict[str, Path], signer: Signer, capsys: pytest.CaptureFixture[str]
) -> None:
    other = Signer.generate()
    files = [str(receipts[k]) for k in ("good", "bad")]
    assert main(["verify", "--json", "--expect-key", other.fingerprint, *files]) == 1
    good, bad = json.loads(capsys.readouterr().out)
    assert good["file"] == files[0]
    # a valid signature by a key other than the expected one does not count as valid
    assert (good["valid"], good["signature_valid"], good["signer_matches"]) == (False, True, False)
    assert good["signer"] == signer.fingerprint
    assert good["device"] == {"id": "android:R58M123ABC", "name": "Samsung Galaxy S21"}
    assert good["policy"]["id"] == "nz-parliament-2023"
    assert good["status"] == "compliant"
    assert good["kind"] == "compliance_attestation"
    assert good["compliant"] is True
    assert good["attester"]["staff_id"] == "PS-1042"
    assert bad["valid"] is False
    assert bad["signature_valid"] is False
    assert "altered" in bad["reason"]


def test_text_from_the_receipt_cannot_drive_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    envelope = attest(**b.clean(signer=Signer.generate()))
    statement = json.loads(envelope.payload)
    statement["predicate"]["device"]["name"] = "Phone\x1b[2J\n  status    compliant"
    path = tmp_path / "forged.json"
    path.write_bytes(sign(canonical_json(statement), Signer.generate()).to_file_bytes())
    assert main(["verify", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "  device    Phone\\x1b[2J\\x0a  status    compliant (android:R58M123ABC)" in out
    assert [line for line in out.splitlines() if line.startswith("  status")] == [
        "  status    Compliant"
    ]


def test_verify_runs_from_the_entry_point(receipts: dict[str, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "main.py", "verify", str(receipts["good"]), str(receipts["bad"])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "valid attestation of compliance" in result.stdout
    assert "INVALID" in result.stdout
    assert "PySide6" not in result.stderr


@pytest.fixture
def demo(tmp_path: Path, signer: Signer) -> Path:
    path = tmp_path / "demo.json"
    write_receipt(attest(**b.demo_clean(signer=signer)), path)
    return path


def test_a_demo_receipt_fails_unless_allowed_and_says_simulated_right_under_its_name(
    demo: Path, receipts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(demo), str(receipts["good"])]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{demo}: NOT ACCEPTED (a demo receipt): valid attestation of compliance")
    assert "verify --allow-demo accepts demo receipts" in out
    assert out.rstrip().endswith("2 files: 1 valid, 1 not valid")

    assert main(["verify", "--allow-demo", str(demo), str(receipts["good"])]) == 0
    out = capsys.readouterr().out
    demo_block, good_block = out.split("\n\n")[:2]
    assert demo_block.splitlines()[:2] == [
        f"{demo}: valid attestation of compliance",
        "  SIMULATED (demo phone): not a record of a real device",
    ]
    assert "SIMULATED" not in good_block
    assert out.rstrip().endswith("2 files: 2 valid (1 SIMULATED), 0 not valid")


def test_real_only_is_still_accepted_and_changes_nothing(
    demo: Path, receipts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Older scripts pass --real-only: what it asked for is now the rule."""
    assert main(["verify", "--real-only", str(receipts["good"])]) == 0
    capsys.readouterr()
    assert main(["verify", "--real-only", str(demo)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{demo}: NOT ACCEPTED (a demo receipt): valid attestation of compliance")


def test_json_says_whether_a_receipt_is_simulated(
    demo: Path, receipts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(demo), str(receipts["good"]), str(receipts["bad"])]
    assert main(["verify", "--json", "--allow-demo", *files]) == 1
    flags = [(r["simulated"], r["valid"]) for r in json.loads(capsys.readouterr().out)]
    assert flags == [(True, True), (False, True), (None, False)]
    assert main(["verify", "--json", str(demo)]) == 1
    [refused] = json.loads(capsys.readouterr().out)
    assert (refused["simulated"], refused["valid"], refused["signature_valid"]) == (
        True,
        False,
        True,
    )
