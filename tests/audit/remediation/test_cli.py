"""`device-audit remove` and `device-audit attest` end to end, against a simulated phone through
the real adb server."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import audit.cli
from audit.attestation import StatementKind, verify_file
from audit.attestation.receipt_text import ReceiptContent
from audit.cli import main
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.phones import AdbServer, phone_args
from tests.phonesim import SimulatedPhone, load_profile_data

pytestmark = pytest.mark.adb

POLICY = "us-federal-2023"
DATE = "2023-03-20"


class Terminal(io.StringIO):
    """Typed answers on a stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def attest_args(phone: SimulatedPhone, adb_server: AdbServer, out: Path) -> list[str]:
    return [
        "attest",
        *phone_args(phone, adb_server),
        "--policy",
        POLICY,
        "--date",
        DATE,
        "--name",
        "Anna Smith",
        "--staff-id",
        "S1234",
        "--out",
        str(out),
    ]


@pytest.fixture
def no_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit.cli, "receipt_pdf_writer", None)


def test_remove_yes_removes_everything_rescans_and_exits_0(
    sim_phone, adb_server: AdbServer, capsys: pytest.CaptureFixture[str]
) -> None:
    phone = sim_phone("samsung-work-profile")
    code = main(["remove", *phone_args(phone, adb_server), "--policy", POLICY, "--yes"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "TikTok will be uninstalled from the Work profile on " in out
    assert "Done: TikTok was removed from the Work profile." in out
    assert "Done: CapCut was removed from the main profile." in out
    assert "Scanning again (every user)" in out
    assert "TikTok is gone in the work profile." in out
    assert "Status:  Compliant" in out
    assert phone.state.state_of("com.zhiliaoapp.musically", 10) == "absent"


def test_remove_asks_before_each_step(
    sim_phone,
    adb_server: AdbServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phone = sim_phone("samsung-work-profile")
    monkeypatch.setattr("sys.stdin", Terminal("n\ny\n"))
    code = main(["remove", *phone_args(phone, adb_server), "--policy", POLICY])
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("Go ahead? [y/N]") == 2
    assert "Skipped." in out
    remaining = [
        p
        for p in ("com.zhiliaoapp.musically", "com.lemon.lvoverseas")
        if phone.state.state_of(p, 10 if p.endswith("musically") else 0) == "installed"
    ]
    assert len(remaining) == 1
    assert "is still installed" in out


def test_remove_without_a_terminal_or_yes_refuses_before_touching_the_phone(
    sim_phone,
    adb_server: AdbServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phone = sim_phone("samsung-work-profile")
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    sent = len(phone.commands)
    code = main(["remove", *phone_args(phone, adb_server), "--policy", POLICY])
    err = capsys.readouterr().err
    assert code == 2
    assert "no terminal to ask on" in err and "--yes" in err
    assert len(phone.commands) == sent


def test_remove_prints_what_is_left_by_hand(
    sim_phone, adb_server: AdbServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A built-in TikTok under a policy that accepts only 'absent': nothing to do over USB."""
    strict = tmp_path / "strict.toml"
    strict.write_text(
        'id = "strict-tiktok"\ntitle = "Strict TikTok ban"\nauthority = "Test"\n'
        'compliant_states = ["absent"]\n\n[[rule]]\nid = "tiktok"\ntitle = "TikTok"\n'
        'catalog = ["tiktok-app"]\n',
        encoding="utf-8",
    )
    phone = sim_phone("oem-preinstalled-tiktok")
    code = main(["remove", *phone_args(phone, adb_server), "--policy", str(strict), "--yes"])
    out = capsys.readouterr().out
    assert code == 1
    assert "This policy accepts neither 'removed for this user' nor 'disabled'" in out
    assert "Left to do by hand:" in out
    assert "Contact your IT department" in out
    assert phone.state.state_of("com.zhiliaoapp.musically", 0) == "installed"


def test_attest_without_accepting_prints_the_statement_and_does_nothing(
    sim_phone, adb_server: AdbServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    phone = sim_phone("samsung-work-profile")
    sent = len(phone.commands)
    out_file = tmp_path / "receipt.json"
    code = main(attest_args(phone, adb_server, out_file))
    out = capsys.readouterr().out
    assert code == 2
    assert "I, Anna Smith (staff id S1234), checked the phone with serial" in out
    assert "--accept-statement" in out
    assert not out_file.exists()
    assert len(phone.commands) == sent  # not even scanned


def test_attest_refuses_while_banned_apps_remain_and_writes_nothing(
    sim_phone,
    adb_server: AdbServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
) -> None:
    phone = sim_phone("samsung-work-profile")
    out_file = tmp_path / "receipt.json"
    code = main([*attest_args(phone, adb_server, out_file), "--accept-statement"])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "Not attested: CapCut is still installed in the main profile; TikTok is still "
        "installed in the Work profile." in out
    )
    assert "com.zhiliaoapp.musically" in out and "com.lemon.lvoverseas" in out
    assert "Nothing was written." in out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("memory_keyring", "no_pdf")
def test_a_signed_noncompliance_report_on_request(
    sim_phone, adb_server: AdbServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    phone = sim_phone("samsung-work-profile")
    out_file = tmp_path / "report.json"
    args = [
        *attest_args(phone, adb_server, out_file),
        "--accept-statement",
        "--noncompliance-report",
    ]
    code = main(args)
    out = capsys.readouterr().out
    assert code == 1
    assert "NON-COMPLIANCE REPORT written to" in out
    report = verify_file(out_file)
    assert report.kind is StatementKind.NONCOMPLIANCE_REPORT and not report.compliant


@pytest.mark.usefixtures("memory_keyring")
def test_remove_then_attest_writes_a_receipt_that_verifies(
    sim_phone,
    adb_server: AdbServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phone = sim_phone("samsung-work-profile")
    assert main(["remove", *phone_args(phone, adb_server), "--policy", POLICY, "--yes"]) == 0
    drawn: list[tuple[ReceiptContent, Path]] = []

    def writer(content: ReceiptContent, path: Path) -> None:
        path.write_text(content.to_text(), encoding="utf-8")
        drawn.append((content, path))

    monkeypatch.setattr(audit.cli, "receipt_pdf_writer", writer)
    out_file = tmp_path / "receipt.json"
    capsys.readouterr()
    code = main([*attest_args(phone, adb_server, out_file), "--accept-statement"])
    out = capsys.readouterr().out
    assert code == 0, out
    receipt = verify_file(out_file)
    assert receipt.compliant
    assert receipt.attester.name == "Anna Smith"
    assert receipt.statement["predicate"]["statement"].startswith("I, Anna Smith (staff id S1234)")
    ((content, pdf),) = drawn
    assert pdf == tmp_path / "receipt.pdf"
    assert content.fingerprint in out
    assert "Verify with: device-audit verify receipt.json" in pdf.read_text(encoding="utf-8")
    assert main(["verify", str(out_file)]) == 0
    # A receipt is never overwritten.
    assert main([*attest_args(phone, adb_server, out_file), "--accept-statement"]) == 2
    assert "never overwritten" in capsys.readouterr().err


@pytest.mark.usefixtures("memory_keyring", "no_pdf")
def test_attest_says_the_pdf_was_skipped_without_qt(
    sim_phone, adb_server: AdbServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    phone = sim_phone("samsung-work-profile")
    assert main(["remove", *phone_args(phone, adb_server), "--policy", POLICY, "--yes"]) == 0
    out_file = tmp_path / "receipt.json"
    assert main([*attest_args(phone, adb_server, out_file), "--accept-statement"]) == 0
    assert "PDF skipped: the desktop part of Device Audit (Qt) is not available" in (
        capsys.readouterr().out
    )
    assert verify_file(out_file).compliant
    assert not (tmp_path / "receipt.pdf").exists()


def test_attest_without_a_keyring_says_what_to_do_before_scanning(
    sim_phone, adb_server: AdbServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    phone = sim_phone("samsung-work-profile")
    sent = len(phone.commands)
    code = main([*attest_args(phone, adb_server, tmp_path / "r.json"), "--accept-statement"])
    err = capsys.readouterr().err
    assert code == 2
    assert "No keyring is available" in err
    assert len(phone.commands) == sent


def test_remove_on_a_phone_not_seen_whole_never_says_nothing_to_remove(
    sim_phone, adb_server: AdbServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """TikTok sits in a Secure Folder that USB debugging may not read and, its users being no
    profiles of the owner here, no list names it: nothing is planned, and the words must not
    read as a clean phone."""
    data = load_profile_data("samsung-secure-folder")
    for user in data["users"]:
        user["parent"] = None
    phone = sim_phone(data)
    code = main(["remove", *phone_args(phone, adb_server), "--policy", POLICY, "--yes"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "Nothing to remove" not in out
    assert "could not read everything (user 150 (Secure Folder))" in out
    assert "run it again" in out
    assert phone.state.state_of("com.zhiliaoapp.musically", 150) == "installed"


def test_tiktok_in_a_secure_folder_the_shell_may_not_read_is_still_found(
    sim_phone, adb_server: AdbServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-u` lists the Secure Folder's apps for the owner (a profile of the owner), and the
    phone's own record of TikTok names the Secure Folder: it is a violation there, and the
    removal the phone refuses says what to do."""
    phone = sim_phone("samsung-secure-folder")
    code = main(["remove", *phone_args(phone, adb_server), "--policy", POLICY, "--yes"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "Secure Folder" in out and "TikTok" in out
    assert "Compliant" not in out.split("Status:")[-1].splitlines()[0]
