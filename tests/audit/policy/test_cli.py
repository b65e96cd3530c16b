"""`device-audit policies` and `device-audit check`, end to end through the real entry point."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from audit import inventory
from audit.cli import main
from audit.model import AppState, RunningProcess, ScanResult
from audit.policy import list_presets
from tests.audit.policy.factories import PHONE, TIKTOK, app, scan

EXEMPTIONS = """\
[[exemption]]
id = "EX-7"
person = "s1234"
policy = "nz-parliament-2023"
approver = "Jane Smith"
approver_role = "Parliamentary Service"
reason = "Democratic duties"
granted = 2023-03-20
expires = 2023-06-30
mitigations = ["Separate phone"]
"""


def write(tmp_path: Path, result: ScanResult, name: str = "inv.json") -> str:
    path = tmp_path / name
    inventory.save(result, path)
    return str(path)


def check(tmp_path: Path, result: ScanResult, *extra: str) -> int:
    return main(
        ["check", "--policy", "nz-parliament-2023", "--inventory", write(tmp_path, result), *extra]
    )


def test_policies_lists_one_preset_a_line_in_aligned_columns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["policies"]) == 0
    lines = capsys.readouterr().out.splitlines()
    presets = list_presets()
    assert len(lines) == len(presets)
    for line, policy in zip(lines, presets, strict=True):
        assert line.startswith(policy.id + " ")
        assert policy.title in line
        assert f"  v{policy.version}  verified " in line
    # the deadline column starts at the same place on every line
    assert len({line.index("  v") for line in lines}) == 1
    assert any(
        re.search(r"^nz-parliament-2025 .* 2025-02-24  v1  verified 2026-12-07$", line)
        for line in lines
    )
    assert any(
        re.search(
            r"^nz-parliament-2023 .* 2023-03-31  v2  .* superseded by nz-parliament-2025$", line
        )
        for line in lines
    )


def test_check_non_compliant_before_deadline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running = scan(TIKTOK, processes=[RunningProcess(4, "com.zhiliaoapp.musically", user="u0_a1")])
    assert check(tmp_path, running, "--date", "2023-03-20") == 1
    out = capsys.readouterr().out
    assert "Status:  Not compliant: 1 banned app to remove." in out
    assert "Deadline 2023-03-31: 11 days left." in out
    row = next(line for line in out.splitlines() if line.strip().startswith("violation"))
    assert row.split()[:8] == [
        "violation",
        "TikTok",
        "com.zhiliaoapp.musically",
        "0",
        "(Owner)",  # the user's name, so a person can tell the owner from a work profile
        "installed",
        "tiktok",
        "high",
    ]
    assert row.endswith("running now")
    assert "democratic duties" in out  # the exception route is shown when not compliant


def test_check_overdue_after_deadline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(tmp_path, scan(TIKTOK), "--date", "2023-04-02") == 1
    out = capsys.readouterr().out
    assert "Status:  Overdue: 1 banned app to remove." in out
    assert "Deadline 2023-03-31: passed 2 days ago." in out


def test_check_compliant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Removed for the user, as the phone's own per-user record said when it was scanned."""
    removed = replace(TIKTOK, state=AppState.REMOVED_FOR_USER, state_confirmed=True)
    assert check(tmp_path, scan(removed), "--date", "2023-04-02") == 0
    out = capsys.readouterr().out
    assert "Status:  Compliant: no banned apps found." in out
    assert re.search(r"resolved\s+TikTok", out)
    assert "The scan saw everything it looked for." in out


def test_check_of_a_removed_app_the_phone_never_confirmed_is_incomplete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The package lists alone show an app hidden (frozen) in a profile just as one removed
    for it: an inventory that does not confirm the state cannot make the phone compliant."""
    removed = replace(TIKTOK, state=AppState.REMOVED_FOR_USER)
    assert check(tmp_path, scan(removed), "--date", "2023-03-20") == 1
    out = capsys.readouterr().out
    assert "Status:  Incomplete" in out
    assert "state of com.zhiliaoapp.musically in user 0 (partial)" in out
    assert "TikTok (com.zhiliaoapp.musically) in the main profile is listed as removed" in out
    assert "hidden (frozen)" in out


def test_check_with_exemption_for_the_person(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exemptions = tmp_path / "ex.toml"
    exemptions.write_text(EXEMPTIONS, encoding="utf-8")
    args = ("--exemptions", str(exemptions), "--date", "2023-04-02")
    assert check(tmp_path, scan(TIKTOK), *args, "--person", "s1234") == 0
    out = capsys.readouterr().out
    assert "Compliant with exceptions: 1 app kept under an exemption." in out
    assert "Exempted by EX-7 (approved by Jane Smith) until 2023-06-30." in out
    # without --person the exemption cannot apply, and the output says why
    assert check(tmp_path, scan(TIKTOK), *args) == 1
    out = capsys.readouterr().out
    assert "Exemption EX-7 is granted to person s1234: give --person to apply it." in out


def test_check_incomplete_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(tmp_path, scan(failed=["user 10"]), "--date", "2023-03-20") == 1
    out = capsys.readouterr().out
    assert "Incomplete" in out
    assert "Not seen by this scan (so it cannot be called compliant):" in out
    assert "user 10 (failed): SecurityException" in out


def test_check_of_an_inventory_naming_no_sources_does_not_claim_it_saw_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(tmp_path, replace(scan(), sources=()), "--date", "2023-03-20") == 1
    out = capsys.readouterr().out
    assert "it names no sources" in out
    assert "The scan saw everything it looked for." not in out
    assert "The inventory names no sources, so what it covers is unknown" in out
    assert "Next step: scan the device again" in out


def test_check_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(tmp_path, scan(TIKTOK), "--date", "2023-03-20", "--json", "--person", "s9") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "device-audit-assessment"
    assert data["status"] == "non_compliant"
    assert data["days_to_deadline"] == 11
    assert data["person"] == "s9"
    (finding,) = data["findings"]
    assert finding["status"] == "violation"
    assert finding["app"]["identifier"] == "com.zhiliaoapp.musically"
    assert finding["matched"]["catalog_entry"] == "tiktok-android"


def test_hostile_names_cannot_reach_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = "\x1b[2J\x1b]0;pwned\x07Tik\u202eTok\nFAKE LINE"
    device = replace(PHONE, name="\x1b[31mphone\x9b31m")
    result = scan(
        replace(TIKTOK, name=hostile, user="0\r\x1b[1A"),
        app("android_pkg", "com.ss.evil", state=AppState.INSTALLED),
        device=device,
        failed=["user 10\x1b[0m"],
    )
    assert check(tmp_path, result, "--date", "2023-03-20") == 1
    out = capsys.readouterr().out
    for bad in ("\x1b", "\x07", "\u202e", "\x9b", "\r"):
        assert bad not in out
    assert "\\x1b[2J" in out and "\\u202e" in out
    # the newline in the name is escaped, so the name cannot forge a line of output
    assert not any(line.startswith("FAKE LINE") for line in out.splitlines())
    assert check(tmp_path, result, "--date", "2023-03-20", "--json") == 1
    raw = capsys.readouterr().out
    for bad in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert bad not in raw
    assert json.loads(raw)["findings"][0]["app"]["name"] == hostile


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--policy", "no-such-policy", "no policy preset or file called 'no-such-policy'"),
        ("--inventory", "{tmp}/missing.json", "inventory file"),
        ("--exemptions", "{tmp}/missing.toml", "exemptions file"),
    ],
)
def test_check_input_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, words: str
) -> None:
    options = {"--policy": "nz-parliament-2023", "--inventory": write(tmp_path, scan(TIKTOK))}
    options[flag] = value.format(tmp=tmp_path)
    assert main(["check", *(x for pair in options.items() for x in pair)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert words in err
    assert "next step: " in err


def test_check_with_a_missing_exemptions_file_says_to_check_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nosuch.toml"
    for path, words in ((missing, "cannot be found"), (tmp_path, "is a folder, not a file")):
        assert check(tmp_path, scan(TIKTOK), "--exemptions", str(path)) == 2
        err = capsys.readouterr().err
        assert err == (
            f"error: The exemptions file {path} {words}.\n"
            "next step: Check the path of the exemptions file, or leave it out to judge "
            "without exemptions.\n"
        )


def test_check_with_a_folder_as_policy_says_it_is_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["check", "--policy", str(tmp_path), "--inventory", write(tmp_path, scan(TIKTOK))]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: '{tmp_path}' is a folder, not a policy.\n"
        "next step: Give a policy file (.toml) or a preset id ('device-audit policies' lists "
        "them).\n"
    )


def test_check_bad_policy_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('id = "p"\ntitle = 5\n', encoding="utf-8")
    argv = ["check", "--policy", str(policy), "--inventory", write(tmp_path, scan(TIKTOK))]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{policy}, line 2, key 'title'" in err


def test_check_bad_date_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        check(tmp_path, scan(TIKTOK), "--date", "31/03/2023")
    assert caught.value.code == 2
    assert "not a date like 2023-03-31" in capsys.readouterr().err


def test_check_warns_of_exemptions_naming_unknown_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exemptions = tmp_path / "ex.toml"
    exemptions.write_text(
        EXEMPTIONS.replace('policy = "nz-parliament-2023"', 'rules = ["tik-tok"]')
    )
    check(
        tmp_path,
        scan(TIKTOK),
        "--exemptions",
        str(exemptions),
        "--person",
        "s1234",
        "--date",
        "2023-04-01",
    )
    err = capsys.readouterr().err
    assert "Exemption EX-7 names rules this policy does not have: tik-tok." in err
