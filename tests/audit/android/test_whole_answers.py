"""An empty or impossible answer is a failed read, never a clean phone; a hang is a hang; a
dropped link is tried once more; every maker's phone scans complete.

The phone's answer is the only evidence a scan has: a user's list with no framework package, a
user list without the owner, properties without the Android version, output cut mid-line all
mean the answer is not whole, so the scan says so in words and `attest` refuses. Tested on the
small fake phone, on the simulator in-process, and end to end through the real adb server and
the CLI.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.cli import main
from audit.errors import DeviceGone, DeviceNotAnswering
from audit.model import AppState, ScanResult, SourceStatus, UserKind, UserProfile
from audit.sources.android.rounds import ERROR_WORDS_LIMIT, error_words
from audit.sources.android.scan import scan_phone, scan_with_shell, settled
from audit.sources.android.shell import ShellOutput
from audit.sources.android.whole import implausible_listing
from tests.audit.android.fakephone import (
    TIKTOK,
    FakePhone,
    samsung_with_work_profile,
)
from tests.audit.test_inventory import sample_scan
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.phonesim import SimulatedPhone, load_profile_data

WORK = "user 10 (Work profile)"


def reports(scan: ScanResult) -> dict[str, Any]:
    return {s.name: s for s in scan.sources}


class SimShell:
    """The Shell protocol straight onto a SimulatedPhone (no adb server in between)."""

    def __init__(self, phone: SimulatedPhone) -> None:
        self.phone = phone

    def run(self, command: str) -> ShellOutput:
        out = self.phone.run(command)
        return ShellOutput(out.merged, out.status)


def with_quirks(profile: str, **quirks: str) -> dict[str, Any]:
    data = load_profile_data(profile)
    data.setdefault("quirks", {}).update(quirks)
    return data


def sim_scan(profile: str | dict[str, Any]) -> ScanResult:
    phone = SimulatedPhone(profile)
    return scan_with_shell(SimShell(phone), "s", name_of=lambda _: "")


# --- empty and impossible lists, on the simulator in-process --------------------------------


def test_an_empty_list_for_the_work_profile_fails_that_user_in_words() -> None:
    phone = SimulatedPhone(with_quirks("samsung-work-profile", empty_list="10"))
    assert phone.run("pm list packages --user 10").merged == b""  # the fault, exit status 0
    assert phone.run("pm list packages --user 10").status == 0
    scan = scan_with_shell(SimShell(phone), "s", name_of=lambda _: "")
    work = reports(scan)[WORK]
    assert work.status is SourceStatus.FAILED
    assert work.detail.startswith("the phone gave an empty list for the Work profile")
    assert not scan.complete and [g.name for g in scan.gaps] == [WORK]
    # Nothing of the work profile is reported, least of all TikTok as "removed for this user".
    assert not [a for a in scan.apps if a.user == "10"]
    assert reports(scan)["user 0 (Owner)"].status is SourceStatus.OK


def test_a_user_list_without_the_owner_is_not_the_whole_list() -> None:
    scan = sim_scan(with_quirks("samsung-work-profile", users_without_owner="true"))
    users = reports(scan)["user list"]
    assert users.status is SourceStatus.FAILED
    assert "does not include the owner (user 0)" in users.detail
    assert [u.id for u in scan.users] == ["0", "10"]  # the owner is read all the same
    assert any(a.user == "0" for a in scan.apps)
    assert not scan.complete


def test_properties_without_the_android_version_are_not_the_whole_answer() -> None:
    scan = sim_scan(with_quirks("pixel-tiktok-lite", props_without="ro.build.version.sdk"))
    identity = reports(scan)["phone identity"]
    assert identity.status is SourceStatus.PARTIAL
    assert "do not say which Android version it runs (ro.build.version.sdk" in identity.detail
    assert scan.device.sdk is None and scan.device.model == "Pixel 8"  # the rest is kept
    assert not scan.complete


# --- the same on the small fake phone --------------------------------------------------------


class ListingPhone(FakePhone):
    """A fake phone whose `pm list packages` for some users prints what a test says."""

    listings: dict[int, tuple[str, int]]

    def _list_packages(self, options: list[str]) -> tuple[str, int]:
        user = int(options[options.index("--user") + 1]) if "--user" in options else 0
        if user in self.listings and "-3" not in options and "-d" not in options:
            return self.listings[user]
        return super()._list_packages(options)


def listing_phone(listings: dict[int, tuple[str, int]]) -> ListingPhone:
    base = samsung_with_work_profile()
    phone = ListingPhone(base.props, base.users, base.packages, base.policy)
    phone.listings = listings
    return phone


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (("package:com.zhiliaoapp.musically\n", 0), "does not hold the Android framework"),
        (("package:android\n", 0), "holds none of the built-in apps that every other user has"),
        (("package:android\npackage:com.android.setti", 0), "the phone's answer was cut off"),
    ],
)
def test_a_list_that_cannot_be_whole_fails_the_user(answer: tuple[str, int], words: str) -> None:
    scan = scan_with_shell(listing_phone({10: answer}), "s")
    work = reports(scan)[WORK]
    assert work.status is not SourceStatus.OK and words in work.detail
    assert not scan.complete


def test_a_debloated_owner_and_a_small_work_profile_are_whole_lists() -> None:
    """Not every built-in app is in every user: a work profile gets a few, and a person may
    remove some for one user. Neither is a failed read."""
    phone = samsung_with_work_profile()
    phone.users = phone.users[:2]  # no Secure Folder
    phone.packages["com.android.chrome"].installed = {10}  # removed for the owner
    phone.packages["com.android.settings"].installed = {0}  # not in the work profile
    phone.packages["com.facebook.katana"].installed = {0, 10}
    scan = scan_with_shell(phone, "s")
    assert scan.complete, scan.gaps


def test_an_empty_list_of_built_in_apps_is_no_phone_without_them() -> None:
    phone = listing_phone({})
    original = phone._list_packages

    def system_list_empty(options: list[str]) -> tuple[str, int]:
        return ("", 0) if "-s" in options else original(options)

    phone._list_packages = system_list_empty  # type: ignore[method-assign]
    scan = scan_with_shell(phone, "s")
    owner = reports(scan)["user 0 (Owner)"]
    assert owner.status is SourceStatus.PARTIAL
    assert "the phone gave an empty list of its built-in apps" in owner.detail
    assert not scan.complete


def test_a_listing_failure_shows_the_phones_whole_error() -> None:
    error = (
        "Exception occurred while executing 'list':\n"
        "java.lang.IllegalStateException: Package manager is busy: try again\n"
        + "\tat com.android.server.pm.PackageManagerShellCommand.onCommand(X.java:1)\n"
        * 40
    )
    scan = scan_with_shell(listing_phone({10: (error, 255)}), "s")
    detail = reports(scan)[WORK].detail
    assert "Exception occurred while executing 'list': java.lang.IllegalStateException: " in detail
    assert "Package manager is busy: try again" in detail  # the reason, not the first line only
    assert len(detail) < ERROR_WORDS_LIMIT + 200 and detail.count("\tat") == 0
    assert "\t" not in detail and "\n" not in detail


class DyingShell:
    """A phone that answers the first round, then fails with `error`."""

    def __init__(self, error: Exception) -> None:
        self.phone = samsung_with_work_profile()
        self.error = error

    def run(self, command: str) -> ShellOutput:
        if self.phone.commands:
            raise self.error
        return self.phone.run(command)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (
            DeviceNotAnswering("s", "no answer for 30 s"),
            "the phone stopped answering during the scan",
        ),
        (DeviceGone("s", "connection reset"), "the phone was disconnected during the scan"),
    ],
)
def test_a_hang_is_not_called_a_disconnection(error: Exception, words: str) -> None:
    seen: list[str] = []
    scan = scan_with_shell(  # stage by stage: the one-stage script is a single answer
        DyingShell(error), "s", progress=lambda _f, m: seen.append(m), one_stage=False
    )
    assert {g.detail for g in scan.gaps} == {words}
    assert seen[-1] == f"Scan incomplete: {words}"


# --- one more try after a dropped link -------------------------------------------------------


def test_a_link_dropped_on_the_first_command_is_tried_once_more_when_adb_is_back() -> None:
    answers = iter(["offline", "offline", "device"])
    calls: list[int] = []
    result = sample_scan()

    def scan() -> ScanResult:
        calls.append(1)
        if len(calls) == 1:
            raise DeviceGone("s", "The phone s was disconnected during a command (reset).")
        return result

    assert settled("s", scan, lambda: next(answers), lambda: False) is result
    assert len(calls) == 2


def test_a_link_that_stays_down_is_the_phone_gone_in_the_first_words() -> None:
    dropped = DeviceGone("s", "The phone s was disconnected during a command (reset).")
    calls: list[int] = []

    def scan() -> ScanResult:
        calls.append(1)
        raise dropped

    for listed in ("offline", None):  # still reconnecting at the deadline; not listed at all
        with pytest.raises(DeviceGone) as raised:
            settled("s", scan, lambda: listed, lambda: False, settle_s=0.3)  # noqa: B023
        assert raised.value is dropped
    assert len(calls) == 2  # once per call: never tried again


def test_a_phone_that_stopped_answering_is_not_tried_again() -> None:
    asked: list[int] = []

    def scan() -> ScanResult:
        raise DeviceNotAnswering("s", "The phone s stopped answering.")

    with pytest.raises(DeviceNotAnswering):
        settled("s", scan, lambda: asked.append(1) or "device", lambda: False)
    assert not asked


# --- fuzzed: the checks never raise ----------------------------------------------------------

NAME_SETS = st.sets(st.sampled_from(["android", "a.b", "c.d", "e.f", "androidhwext"]))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["0", "10", "150"]), NAME_SETS), NAME_SETS)
def test_the_plausibility_check_never_raises(read: dict[str, set[str]], system: set[str]) -> None:
    for uid in ("0", "10", "150"):
        user = UserProfile(id=uid, name="x", kind=UserKind.WORK_PROFILE)
        doubt = implausible_listing(user, read, system)
        names = read.get(uid)
        if names is None:
            assert doubt == ""
        elif "android" not in names:
            assert doubt


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000))
def test_error_words_are_bounded_and_printable(text: str) -> None:
    words = error_words(text)
    assert len(words) <= ERROR_WORDS_LIMIT
    invisible = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}  # what audit.text.visible escapes
    assert not any(unicodedata.category(c) in invisible for c in words)


# --- through the real adb server and the CLI -------------------------------------------------


@pytest.mark.adb
@pytest.mark.usefixtures("memory_keyring")
def test_an_empty_list_through_adb_is_incomplete_and_the_cli_says_why(
    adb_server: AdbServer,
    sim_phone: PhoneFactory,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    data = with_quirks("samsung-work-profile", empty_list="10")
    # No banned app anywhere: what is left to say is only that the work profile was not read.
    data["packages"] = [p for p in data["packages"] if p["package"] != TIKTOK]
    phone = sim_phone(data)
    scan = scan_phone(phone.address, adb_port=adb_server.port)
    assert [g.name for g in scan.gaps] == [WORK]
    assert "the phone gave an empty list for the Work profile" in scan.gaps[0].detail

    device = ["--device", phone.address, "--adb-port", str(adb_server.port)]
    inventory = tmp_path / "phone.json"
    assert main(["scan", *device, "--json", str(inventory)]) == 1
    out = capsys.readouterr().out
    assert f"INCOMPLETE: this scan could not read {WORK}." in out
    assert "the phone gave an empty list for the Work profile" in out
    policy = ["--policy", "nz-parliament-2023", "--date", "2023-03-20"]
    assert main(["check", *policy, "--inventory", str(inventory)]) == 1
    out = capsys.readouterr().out
    assert "Status:  Incomplete" in out, out
    assert "the phone gave an empty list for the Work profile" in out

    receipt = tmp_path / "receipt.json"
    person = ["--name", "Anna Smith", "--staff-id", "S1234", "--out", str(receipt)]
    code = main(["attest", *device, *policy, *person, "--accept-statement"])
    out = capsys.readouterr().out
    assert code == 1 and not receipt.exists()
    assert "Not attested: the last scan could not read everything" in out
    assert "the phone gave an empty list for the Work profile" in out
    assert "Remove the apps" not in out and "device-audit remove" not in out
    assert "Part of the device could not be read" in out


@pytest.mark.adb
@pytest.mark.parametrize(
    ("quirks", "gap", "words"),
    [
        ({"empty_list": "0"}, "user 0 (Owner)", "the phone gave an empty list for the main"),
        ({"users_without_owner": "true"}, "user list", "does not include the owner (user 0)"),
        ({"props_without": "ro.build.version.sdk"}, "phone identity", "which Android version"),
    ],
)
def test_each_impossible_answer_through_adb_makes_the_scan_incomplete(
    adb_server: AdbServer,
    sim_phone: PhoneFactory,
    quirks: dict[str, str],
    gap: str,
    words: str,
) -> None:
    phone = sim_phone(with_quirks("samsung-work-profile", **quirks))
    scan = scan_phone(phone.address, adb_port=adb_server.port)
    gaps = {g.name: g.detail for g in scan.gaps}
    assert words in gaps[gap]
    # The owner's empty list is also the list of built-in apps: every user is then partial.
    assert set(gaps) == ({gap, "user 10 (Work profile)"} if gap.startswith("user 0") else {gap})


@pytest.mark.adb
def test_a_huawei_phone_with_androidhwext_scans_complete(
    adb_server: AdbServer, sim_phone: PhoneFactory
) -> None:
    phone = sim_phone("huawei-emui")
    scan = scan_phone(phone.address, adb_port=adb_server.port)
    assert scan.complete, scan.gaps
    framework = [a for a in scan.apps if a.identifier == "androidhwext"]
    assert {a.user for a in framework} == {"0", "128"}
    assert all(a.system and a.state is AppState.INSTALLED for a in framework)
    tiktok = [a for a in scan.apps if a.identifier == TIKTOK]
    assert [(a.user, a.state) for a in tiktok] == [("0", AppState.INSTALLED)]


@pytest.mark.adb
def test_a_link_dropped_on_the_first_command_is_read_after_adb_reconnects(
    adb_server: AdbServer, sim_phone: PhoneFactory
) -> None:
    phone = sim_phone("pixel-tiktok-lite", drop_once_at=1)
    scan = scan_phone(phone.address, adb_port=adb_server.port)
    assert scan.complete, scan.gaps
    assert phone.handshakes >= 2  # adb connected again after the drop
    assert len(phone.commands) == 2  # the dropped first command, then the scan's one


@pytest.mark.adb
def test_a_phone_that_hangs_is_said_to_have_stopped_answering(
    adb_server: AdbServer, sim_phone: PhoneFactory
) -> None:
    from audit.sources.android.connection import Adb

    phone = sim_phone("pixel-tiktok-lite", latency_ms=3000)
    with pytest.raises(DeviceNotAnswering) as raised:
        scan_phone(phone.address, adb=Adb(adb_server.port, timeout=0.3))
    assert "stopped answering" in raised.value.message
    assert "disconnected" not in raised.value.message
    assert len(phone.commands) == 1  # a hang is not tried again


@pytest.mark.adb
def test_tiktok_in_a_profile_whose_list_came_back_empty_is_still_found(
    adb_server: AdbServer, sim_phone: PhoneFactory
) -> None:
    """The owner's `-u` list names the work profile's apps (the owner has a profile), and
    TikTok's own per-user record puts it in the work profile, whose list the phone gave
    empty: a violation there, on top of the incomplete scan."""
    from datetime import date

    from audit.assess import assess_phone
    from audit.policy import load_policy

    phone = sim_phone(with_quirks("samsung-work-profile", empty_list="10"))
    judged = assess_phone(
        phone.address, load_policy("nz-parliament-2023"), day=date.today(), adb_port=adb_server.port
    )
    assert not judged.scan.complete
    assert {(f.app.identifier, f.app.user) for f in judged.violations} == {(TIKTOK, "10")}
