"""An app hidden ("frozen") or suspended ("paused") is still on the phone: checked, refused,
removed and rescanned end to end, through the real adb server and the simulated phone (Shelter
froze TikTok in the work profile of `shelter-frozen-tiktok`)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import date
from pathlib import Path

import pytest

from audit.assess import assess_phone, judge_with_details
from audit.cli import main
from audit.errors import DeviceError
from audit.model import AppState, DeviceStatus, FindingStatus, SourceStatus
from audit.policy import load_policy
from audit.remediation import build_plans
from audit.remediation.steps import StepKind
from audit.sources.android.connection import Adb
from audit.sources.android.dumpsys import PackageDetails
from audit.sources.android.scan import details_for, scan_phone
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.phones import AdbServer, PhoneFactory, phone_args
from tests.phonesim import SimState, SimulatedPhone

pytestmark = pytest.mark.adb

TIKTOK = "com.zhiliaoapp.musically"
NZ = "nz-parliament-2023"
DATE = "2023-03-20"
DAY = date(2023, 3, 20)


def attest_args(phone: SimulatedPhone, adb_server: AdbServer, out: Path) -> list[str]:
    return [
        "attest",
        *phone_args(phone, adb_server),
        "--policy",
        NZ,
        "--date",
        DATE,
        "--name",
        "Anna Smith",
        "--staff-id",
        "S1234",
        "--out",
        str(out),
        "--accept-statement",
    ]


@pytest.fixture
def no_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    import audit.cli

    monkeypatch.setattr(audit.cli, "receipt_pdf_writer", None)


def shell_calls(phone: SimulatedPhone, since: int = 0) -> list[str]:
    """The shell commands the phone ran (one per round trip), action commands included."""
    return phone.commands[since:]


# --- check, attest, remove -----------------------------------------------------------------------


def test_a_tiktok_frozen_in_the_work_profile_is_a_violation_for_check(
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    phone = sim_phone("shelter-frozen-tiktok")
    inventory = tmp_path / "inventory.json"
    assert main(["scan", *phone_args(phone, adb_server), "--json", str(inventory)]) == 0
    saved = [a for a in json.loads(inventory.read_text())["apps"] if a["identifier"] == TIKTOK]
    assert [(a["user"], a["state"], a.get("state_confirmed")) for a in saved] == [
        ("10", "hidden", True)
    ]
    capsys.readouterr()
    code = main(["check", "--policy", NZ, "--inventory", str(inventory), "--date", DATE])
    out = capsys.readouterr().out
    assert code == 1
    assert "Status:  Not compliant: 1 banned app to remove." in out
    row = next(line.split() for line in out.splitlines() if line.startswith("  violation"))
    assert row[:3] == ["violation", "TikTok", TIKTOK] and "hidden" in row
    assert (
        "It is hidden (frozen): still on the phone, the person can bring it back in one tap." in out
    )
    assert "Unfreeze it in the app that froze it" in out


def test_attest_refuses_a_phone_with_a_frozen_tiktok(
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    memory_keyring: MemoryKeyring,
) -> None:
    phone = sim_phone("shelter-frozen-tiktok")
    out_file = tmp_path / "receipt.json"
    code = main(attest_args(phone, adb_server, out_file))
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "Not attested: TikTok is still there, hidden (frozen; one tap brings it back) in the "
        "Work profile." in out
    )
    assert "Nothing was written." in out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("memory_keyring", "no_pdf")
def test_remove_takes_the_frozen_tiktok_off_and_the_rescan_proves_it(
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    phone = sim_phone("shelter-frozen-tiktok")
    code = main(["remove", *phone_args(phone, adb_server), "--policy", NZ, "--yes", "--date", DATE])
    out = capsys.readouterr().out
    assert code == 0, out
    # Android will not remove a frozen app from one profile over USB: from every profile.
    assert "TikTok is hidden (frozen) in the Work profile: still on the phone" in out
    assert "Done: TikTok was removed for every user." in out
    assert f"pm uninstall {TIKTOK}" in phone.commands
    assert "TikTok is gone in the work profile." in out
    assert "Status:  Compliant" in out
    assert phone.state.state_of(TIKTOK, 10) == SimState.ABSENT
    out_file = tmp_path / "receipt.json"
    assert main(attest_args(phone, adb_server, out_file)) == 0
    assert out_file.exists()


def test_a_tiktok_suspended_in_the_work_profile_is_a_violation(
    sim_phone: PhoneFactory, adb_server: AdbServer, capsys: pytest.CaptureFixture[str]
) -> None:
    phone = sim_phone("samsung-work-profile")
    with phone.state.lock:
        phone.state.packages[TIKTOK].users[10].suspended = True
        phone.state.touch()
    assessment = assess_phone(phone.address, load_policy(NZ), day=DAY, adb=Adb(adb_server.port))
    finding = next(f for f in assessment.findings if f.app.identifier == TIKTOK)
    assert finding.status is FindingStatus.VIOLATION
    assert (finding.app.state, finding.app.state_confirmed) == (AppState.SUSPENDED, True)
    assert not assessment.status.compliant
    code = main(["remove", *phone_args(phone, adb_server), "--policy", NZ, "--yes", "--date", DATE])
    out = capsys.readouterr().out
    assert code == 0, out
    assert (
        "TikTok is suspended (paused) in the Work profile: still on the phone, greyed out until "
        "whoever paused it lets it run again; pausing does not remove it." in out
    )
    assert "Done: TikTok was removed from the Work profile." in out
    assert phone.state.state_of(TIKTOK, 10) == SimState.ABSENT


# --- the per-user state read, and what a failed read leaves --------------------------------------


def preinstalled_removed_for_owner(sim_phone: PhoneFactory) -> SimulatedPhone:
    """A phone whose built-in TikTok was removed for both its users: a removed-for-user app,
    which the package lists show exactly like a hidden one."""
    phone = sim_phone("oem-preinstalled-tiktok")
    for user in (0, 11):
        assert phone.run(f"pm uninstall --user {user} {TIKTOK}").status == 0
    return phone


def test_a_removed_built_in_app_is_compliant_once_the_phone_confirms_it(
    sim_phone: PhoneFactory, adb_server: AdbServer
) -> None:
    phone = preinstalled_removed_for_owner(sim_phone)
    sent = len(phone.commands)
    assessment = assess_phone(phone.address, load_policy(NZ), day=DAY, adb=Adb(adb_server.port))
    assert assessment.status is DeviceStatus.COMPLIANT
    states = {(f.app.user, f.app.state, f.app.state_confirmed) for f in assessment.findings}
    removed = AppState.REMOVED_FOR_USER
    assert states == {("0", removed, True), ("11", removed, True)}
    # One round trip (issue 15): the one-stage script lists every user and reads the record
    # of the app the policy names, in every user, since the lists hold its built-in copy.
    calls = shell_calls(phone, sent)
    assert len(calls) == 1 and "dumpsys package" in calls[0]


@pytest.mark.parametrize("how", ["unplugged", "no entry for the user", "garbled"])
def test_a_failed_state_read_leaves_the_check_incomplete_never_compliant(
    sim_phone: PhoneFactory, adb_server: AdbServer, how: str
) -> None:
    phone = preinstalled_removed_for_owner(sim_phone)
    adb = Adb(adb_server.port)
    policy = load_policy(NZ)
    scan = scan_phone(phone.address, adb=adb)
    details_text = phone.run(f"dumpsys package {TIKTOK}").merged.decode()

    def details(packages: Collection[str]) -> Mapping[str, PackageDetails]:
        if how == "unplugged":
            return details_for(phone.address, packages, adb=adb)
        found = dict(details_for(phone.address, packages, adb=adb))
        if how == "no entry for the user":  # the record of the owner missing from the answer
            info = found[TIKTOK]
            found[TIKTOK] = PackageDetails(
                **{**info.__dict__, "users": {u: s for u, s in info.users.items() if u != 0}}
            )
        else:  # an answer that is not a package dump at all
            found.pop(TIKTOK)
        return found

    if how == "unplugged":
        phone.unplug()
        adb_server.wait_for_state(phone.address, {None, "offline"})
        with pytest.raises(DeviceError):
            details_for(phone.address, [TIKTOK], adb=adb)
    assert "installed=false" in details_text  # the phone would have said it, had it answered
    assessment = judge_with_details(scan, policy, day=DAY, details=details)
    assert assessment.status is DeviceStatus.INCOMPLETE
    assert not assessment.status.compliant
    gaps = {g.name: g for g in assessment.scan.gaps}
    owner = gaps[f"state of {TIKTOK} in user 0 (Owner)"]
    assert owner.status is SourceStatus.PARTIAL
    assert "TikTok (com.zhiliaoapp.musically) in the main profile is listed as removed" in (
        owner.detail
    )
    assert "hidden (frozen)" in owner.detail
    if how == "no entry for the user":
        assert set(gaps) == {owner.name}  # the guest's record was read: confirmed there
    else:
        assert f"state of {TIKTOK} in user 11 (Guest)" in gaps


def test_without_a_phone_to_ask_the_state_is_unconfirmed(
    sim_phone: PhoneFactory, adb_server: AdbServer
) -> None:
    phone = preinstalled_removed_for_owner(sim_phone)
    scan = scan_phone(phone.address, adb=Adb(adb_server.port))
    assessment = judge_with_details(scan, load_policy(NZ), day=DAY)
    assert assessment.status is DeviceStatus.INCOMPLETE
    # Judged again (as the removal window does with the same scan): no report twice.
    again = judge_with_details(assessment.scan, load_policy(NZ), day=DAY)
    assert again.status is DeviceStatus.INCOMPLETE
    assert len(again.scan.sources) == len(assessment.scan.sources)


# --- the plans ---------------------------------------------------------------------------------


def test_the_plan_for_a_frozen_built_in_app_asks_to_unfreeze_it_first(
    sim_phone: PhoneFactory, adb_server: AdbServer
) -> None:
    phone = sim_phone("oem-preinstalled-tiktok")
    with phone.state.lock:
        phone.state.packages[TIKTOK].users[0].hidden = True
        phone.state.touch()
    assessment = assess_phone(phone.address, load_policy(NZ), day=DAY, adb=Adb(adb_server.port))
    plans = {p.finding.app.user: p for p in build_plans(assessment)}
    frozen = plans["0"]
    assert frozen.finding.app.state is AppState.HIDDEN
    (step,) = frozen.steps
    assert step.kind is StepKind.MANUAL
    assert step.title == "Unfreeze TikTok in the main profile, then remove it"
    assert "it came with the phone" in step.why_manual
    assert "Shelter, Island, Insular" in " ".join(step.instructions)
    # The guest's copy is not frozen: removed for that user over USB, as usual.
    assert plans["11"].steps[0].kind is StepKind.AUTOMATIC
