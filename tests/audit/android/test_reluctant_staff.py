"""Ways a reluctant staff member tried to keep TikTok and still get "Compliant", each with a
behaviour a real phone can show (found by an adversarial review of issue 11). Every test drives
the CLI against a simulated phone through the real adb server."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from audit.cli import main
from audit.sources.android.parsers import parse_users
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.phonesim import SimulatedPhone
from tests.phonesim.profiles import PROFILES_DIR

TIKTOK = "com.zhiliaoapp.musically"
NZ = "nz-parliament-2023"


def profile(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PROFILES_DIR / f"{name}.json").read_text())
    return data


def only(prof: dict[str, Any], package: str, users: dict[str, str]) -> dict[str, Any]:
    """The profile with every banned app taken out and one TikTok-like package put in."""
    prof = copy.deepcopy(prof)
    banned = ("musically", "trill", "capcut", "lemon", "lvoverseas", "aweme")
    prof["packages"] = [p for p in prof["packages"] if not any(b in p["package"] for b in banned)]
    prof["packages"].append(
        {"package": package, "label": "TikTok", "installer": "com.android.vending", "users": users}
    )
    return prof


def attest(phone: SimulatedPhone, adb_server: AdbServer, out: Path) -> int:
    return main(
        [
            "attest",
            "--device",
            phone.address,
            "--adb-port",
            str(adb_server.port),
            "--policy",
            NZ,
            "--name",
            "Kim",
            "--staff-id",
            "S9",
            "--accept-statement",
            "--out",
            str(out),
        ]
    )


# --- a user whose name holds a line break ---------------------------------------------------


def test_a_users_name_may_hold_a_line_break() -> None:
    text = "Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{11:Tom\nphone:410}\n"
    users, problems = parse_users(text)
    assert [(u.id, u.name) for u in users] == [(0, "Owner"), (11, "Tom\nphone")]
    assert problems == []


def test_a_line_that_is_no_user_loses_data_and_is_never_skipped_quietly() -> None:
    users, problems = parse_users("Users:\n\tUserInfo{0:Owner:c13} running\n\tgarbage here\n")
    assert [u.id for u in users] == [0]
    assert [p.data_lost for p in problems] == [True]
    assert "garbage here" in problems[0].message


@pytest.mark.adb
@pytest.mark.usefixtures("memory_keyring")
def test_tiktok_in_a_user_named_over_two_lines_is_found(
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`pm create-user "$(printf 'Tom\\nphone')"` (or a profile's management app naming its
    profile so) makes `pm list users` print that user over two lines. It used to be dropped
    without a word: TikTok installed only there got a signed "Compliant"."""
    prof = only(profile("samsung-work-profile"), TIKTOK, {"11": "installed"})
    prof["users"].append({"id": 11, "name": "Tom\nphone", "flags": "0x410", "kind": "secondary"})
    prof["base"]["share"]["11"] = 0.5
    phone = sim_phone(prof)
    assert attest(phone, adb_server, tmp_path / "r.json") == 1
    out = capsys.readouterr().out
    assert not (tmp_path / "r.json").exists()
    assert "TikTok" in out and "11" in out


@pytest.mark.adb
@pytest.mark.usefixtures("memory_keyring")
def test_a_user_list_with_a_line_the_scan_cannot_read_is_not_whole(
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prof = profile("samsung-work-profile")
    prof["users"].append(
        {"id": 12, "name": "x" + "\n" * 20 + "y", "flags": "0x410", "kind": "secondary"}
    )
    prof["base"]["share"]["12"] = 0.5
    phone = sim_phone(prof)
    inventory = tmp_path / "inv.json"
    assert (
        main(
            [
                "scan",
                "--device",
                phone.address,
                "--adb-port",
                str(adb_server.port),
                "--json",
                str(inventory),
            ]
        )
        == 1
    )
    sources = json.loads(inventory.read_text())["sources"]
    (users,) = [s for s in sources if s["name"] == "user list"]
    assert users["status"] == "failed"
    assert "a user may be missing" in users["detail"]


# --- a TikTok the catalog did not know ------------------------------------------------------


@pytest.mark.adb
@pytest.mark.usefixtures("memory_keyring")
@pytest.mark.parametrize(
    "package", ["com.ss.android.ugc.trill.go", "com.ss.android.ugc.tiktok.lite"]
)
def test_every_android_tiktok_lite_is_banned(
    package: str,
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """TikTok Lite's Asian (trill.go) and Japanese (tiktok.lite) builds used to read as compliant
    (one unknown, one only 'for review')."""
    phone = sim_phone(only(profile("pixel-tiktok-lite"), package, {"0": "installed"}))
    assert attest(phone, adb_server, tmp_path / "r.json") == 1
    assert package in capsys.readouterr().out
    assert not (tmp_path / "r.json").exists()


# --- files no reader should crash on --------------------------------------------------------


@pytest.mark.parametrize("which", ["inventory", "policy", "exemptions"])
def test_a_deeply_nested_file_is_an_input_error_not_a_traceback(
    which: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep_json = tmp_path / "deep.json"
    deep_json.write_text("[" * 100_000 + "]" * 100_000)
    deep_toml = tmp_path / "deep.toml"
    deep_toml.write_text("a = " + "[" * 100_000 + "]" * 100_000)
    inventory = tmp_path / "inv.json"
    assert main(["scan", "--local", "--json", str(inventory)]) in (0, 1)
    capsys.readouterr()
    args = {
        "inventory": ["--policy", NZ, "--inventory", str(deep_json)],
        "policy": ["--policy", str(deep_toml), "--inventory", str(inventory)],
        "exemptions": [
            "--policy",
            NZ,
            "--inventory",
            str(inventory),
            "--exemptions",
            str(deep_toml),
        ],
    }[which]
    assert main(["check", *args]) == 2
    err = capsys.readouterr().err
    assert "nested too deeply" in err
    assert "Traceback" not in err


def test_verify_names_a_deeply_nested_file_for_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["verify", str(deep)]) == 1
    assert "nested too deeply" in capsys.readouterr().out


@pytest.mark.adb
@pytest.mark.usefixtures("memory_keyring")
@pytest.mark.parametrize("sdk", ["23", "24", "30"])
def test_a_frozen_tiktok_is_found_in_every_android_versions_words(
    sdk: str,
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Android 6 prints a user's record without `suspended=` or `ceDataInode=`: the state is
    still read, and the frozen app still found."""
    prof = profile("shelter-frozen-tiktok")
    prof["properties"]["ro.build.version.sdk"] = sdk
    phone = sim_phone(prof)
    assert attest(phone, adb_server, tmp_path / "r.json") == 1
    assert "hidden (frozen)" in capsys.readouterr().out
    assert not (tmp_path / "r.json").exists()


# --- a profile's lists name every profile's apps ----------------------------------------------


@pytest.mark.adb
def test_tiktok_frozen_in_the_work_profile_and_installed_for_the_owner_is_found_in_both(
    sim_phone: PhoneFactory, adb_server: AdbServer, tmp_path: Path
) -> None:
    """When the owner has a profile, `-u` lists every profile's apps for each (MATCH_ANY_USER),
    so the lists read the work profile's frozen TikTok as the owner's installed one. The
    phone's own record of TikTok puts the frozen copy back where it is: an exemption for the
    owner's copy must never hide the work profile's."""
    prof = only(profile("shelter-frozen-tiktok"), TIKTOK, {"0": "installed", "10": "hidden"})
    phone = sim_phone(prof)
    inventory = tmp_path / "inv.json"
    device = ["--device", phone.address, "--adb-port", str(adb_server.port)]
    assert main(["scan", *device, "--json", str(inventory)]) == 0
    apps = json.loads(inventory.read_text())["apps"]
    states = {(a["user"], a["state"]) for a in apps if a["identifier"] == TIKTOK}
    assert states == {("0", "installed"), ("10", "hidden")}
    policy = ["--policy", NZ, "--inventory", str(inventory)]
    assert main(["check", *policy]) == 1
    from datetime import date

    from audit.assess import assess_phone
    from audit.policy import load_policy

    judged = assess_phone(
        phone.address, load_policy(NZ), day=date.today(), adb_port=adb_server.port
    )
    found = {(f.app.user, f.app.state.value) for f in judged.violations}
    assert found == {("0", "installed"), ("10", "hidden")}


# --- a receipt judged as of another day -------------------------------------------------------


@pytest.mark.adb
@pytest.mark.usefixtures("memory_keyring")
def test_a_check_judged_as_of_a_past_day_is_never_recorded_nor_imported(
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """WeChat is banned from 30 Oct 2023 under canada-gc-mobile-2025: judged as of June 2023 the
    phone reads compliant, and its receipt used to become a compliant row in the history."""
    phone = sim_phone(only(profile("pixel-tiktok-lite"), "com.tencent.mm", {"0": "installed"}))
    db, out = tmp_path / "history.sqlite3", tmp_path / "in" / "r.json"
    out.parent.mkdir()
    args = [
        "attest",
        "--device",
        phone.address,
        "--adb-port",
        str(adb_server.port),
        "--policy",
        "canada-gc-mobile-2025",
        "--date",
        "2023-06-01",
        "--db",
        str(db),
        "--name",
        "Wen Chat",
        "--staff-id",
        "PS-5000",
        "--accept-statement",
        "--out",
        str(out),
    ]
    main(args)
    said = capsys.readouterr()
    assert "Judged as of 2023-06-01, not today: nothing of this run is recorded" in said.err
    helpdesk = tmp_path / "helpdesk.sqlite3"
    assert out.exists()  # signed: how the phone stood that day, for whoever asked
    assert main(["import", str(out.parent), "--db", str(helpdesk)]) == 1
    assert "judges the device as of 2023-06-01" in capsys.readouterr().out
    assert main(["history", "--db", str(helpdesk), "--json"]) in (0, 2)
    assert "PS-5000" not in capsys.readouterr().out
