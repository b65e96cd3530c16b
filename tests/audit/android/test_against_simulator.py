"""The scan against the simulated phones' own model: every package, every user, every field.

The simulator knows the truth (`PhoneState.state_of`, each package's APK, version, installer and
app id); the scan only sees what `pm` prints. Run without adb (the simulator's shell directly) so
every profile and every change to it is checked in milliseconds; the adb path is tested in
test_adb_phones.
"""

from __future__ import annotations

from typing import Any

import pytest

from audit.assess import needs_state
from audit.model import AppState, ScanResult, SourceStatus
from audit.sources.android.scan import scan_with_shell
from audit.sources.android.shell import ShellOutput
from tests.phonesim import SimulatedPhone, list_profiles, load_profile_data
from tests.phonesim.state import Package, User

TIKTOK = "com.zhiliaoapp.musically"


class SimShell:
    """The Shell protocol straight onto a SimulatedPhone (no adb server in between)."""

    def __init__(self, phone: SimulatedPhone) -> None:
        self.phone = phone
        self.commands: list[str] = []

    def run(self, command: str) -> ShellOutput:
        self.commands.append(command)
        out = self.phone.run(command)
        return ShellOutput(out.merged, out.status)


def scan(phone: SimulatedPhone) -> ScanResult:
    return scan_with_shell(SimShell(phone), phone.state.profile_id, name_of=lambda _: "")


def lists_show(phone: SimulatedPhone, package: Package, user: User) -> AppState:
    """The state the package lists alone can give the package in `user`, from the simulator's
    own model of what `pm list packages` prints (PhoneState.visible_to).

    They show a hidden app as removed for the user and a suspended one as installed. Where
    `-u` lists every user's apps (Android 7, or an owner with a profile), a user app listed but
    not installed in this user is read as another user's when it is plainly installed in one
    the scan read, and as removed for this user otherwise: only the phone's per-user record
    (assess.py) tells which it really is."""
    state = phone.state
    truth = AppState(state.state_of(package.name, user.id))
    if state.visible_to(package, user.id, False):
        return AppState.INSTALLED if truth is AppState.SUSPENDED else truth
    if not state.visible_to(package, user.id, True):
        return AppState.ABSENT
    merged = state.sdk <= 25 or state.owner_has_profile()
    elsewhere = any(
        other.id != user.id and other.readable and state.visible_to(package, other.id, False)
        for other in state.users
    )
    if merged and not package.system and elsewhere:
        return AppState.ABSENT
    return AppState.REMOVED_FOR_USER


def assert_matches_the_phone(result: ScanResult, phone: SimulatedPhone) -> None:
    """Every (package, user) has the state the phone's model says, with its fields: exactly
    where the phone's per-user record was read (`state_confirmed`), else as the lists show it.
    A user the shell may not read has only the apps its record named."""
    state = phone.state
    found = {(a.identifier, int(a.user)): a for a in result.apps}
    assert len(found) == len(result.apps), "an app is listed twice for one user"
    sdk = state.sdk
    for user in state.users:
        for package in state.packages.values():
            app = found.get((package.name, user.id))
            if package.garbled:
                assert app is None
                continue
            truth = AppState(state.state_of(package.name, user.id))
            if app is None and truth is AppState.ABSENT:
                continue  # not there, and not shown: right whatever the lists could show
            if app is not None and app.state_confirmed:
                assert app.state is truth, (package.name, user.id)
            elif not user.readable:
                assert app is None, (package.name, user.id)
                continue
            else:
                seen = app.state if app is not None else AppState.ABSENT
                assert seen is lists_show(phone, package, user), (package.name, user.id)
            if app is None:
                continue
            assert app.system is package.system
            assert app.location == package.apk
            assert app.installer == (package.installer or "")
            assert app.version_code == (package.version_code if sdk >= 28 else None)
            assert app.uid == (user.uid(package.app_id) if sdk >= 26 else None)


@pytest.mark.parametrize("profile", list_profiles())
def test_every_user_app_in_doubt_reads_exactly_with_its_per_user_record(profile: str) -> None:
    """The apps the person installed that the lists do not show as plainly installed, read
    with `dumpsys package`: each then has the phone's own state (hidden, removed with its data
    kept, ...) and is confirmed."""
    phone = SimulatedPhone(profile)
    doubtful = {a.identifier for a in scan(phone).apps if needs_state(a) and not a.system}
    result = scan_with_shell(
        SimShell(phone), phone.state.profile_id, name_of=lambda _: "", detail_packages=doubtful
    )
    assert_matches_the_phone(result, phone)
    for app in result.apps:
        if app.identifier in doubtful:
            assert app.state_confirmed, (app.identifier, app.user)


@pytest.mark.parametrize("profile", list_profiles())
def test_every_profile_is_read_exactly(profile: str) -> None:
    phone = SimulatedPhone(profile)
    result = scan(phone)
    assert_matches_the_phone(result, phone)
    garbled = any(p.garbled for p in phone.state.packages.values())
    unreadable = any(not u.readable for u in phone.state.users)
    assert result.complete is not (garbled or unreadable)


def android7(profile: str) -> dict[str, Any]:
    data = load_profile_data(profile)
    data["properties"]["ro.build.version.sdk"] = "25"
    data["properties"]["ro.build.version.release"] = "7.1.2"
    return data


@pytest.mark.parametrize("profile", ["samsung-work-profile", android7("samsung-work-profile")])
def test_changes_on_the_phone_are_read_exactly(profile: str | dict[str, Any]) -> None:
    phone = SimulatedPhone(profile)
    system_app = next(  # not the framework: a user without it is no user (see test_scan)
        p.name
        for p in phone.state.packages.values()
        if p.system and p.installed_for(10) and p.name != "android"
    )
    store_app = next(
        p.name
        for p in phone.state.packages.values()
        if not p.system and p.installed_for(0) and not p.installed_for(10)
    )
    for command in (
        f"pm uninstall --user 10 {system_app}",  # removed for the user, a copy stays
        f"pm uninstall -k --user 0 {store_app}",  # gone, its data kept
        f"pm uninstall --user 10 {TIKTOK}",  # gone for good
        "pm disable-user --user 0 com.google.android.youtube",
    ):
        assert phone.run(command).status == 0, command
        assert_matches_the_phone(scan(phone), phone)
    result = scan(phone)
    kept = next(a for a in result.apps if a.identifier == store_app)
    assert (kept.user, kept.state, kept.system) == ("0", AppState.REMOVED_FOR_USER, False)
    assert phone.run(f"cmd package install-existing --user 10 {system_app}").status == 0
    assert_matches_the_phone(scan(phone), phone)


def test_android_7_does_not_give_one_users_apps_to_another() -> None:
    """Up to Android 7 `-u` lists the apps of every user: TikTok, installed in the work profile
    only, is in the owner's `-u` list yet is not the owner's."""
    phone = SimulatedPhone(android7("samsung-work-profile"))
    assert TIKTOK in phone.run("pm list packages -u --user 0").stdout.decode()
    result = scan(phone)
    assert [a.user for a in result.apps if a.identifier == TIKTOK] == ["10"]


def test_the_garbled_names_are_named_in_the_users_report() -> None:
    result = scan(SimulatedPhone("hostile-names"))
    owner = next(s for s in result.sources if s.name == "user 0 (Owner)")
    assert owner.status is SourceStatus.PARTIAL
    assert owner.detail.startswith(
        "2 entries the phone listed were left out: their names ('A1._', 'com.example.__') are "
        "not valid Android package names"
    )
    # The garbled names are the owner's, but `-u` lists the owner's apps for the work profile
    # too (the owner has a profile: MATCH_ANY_USER), so its list holds them as well.
    work = next(s for s in result.sources if s.name.startswith("user 10"))
    assert work.status is SourceStatus.PARTIAL
    assert "'A1._', 'com.example.__'" in work.detail


def test_odd_but_valid_names_are_all_read() -> None:
    phone = SimulatedPhone("odd-names")
    result = scan(phone)
    assert result.complete
    odd = {"a.b", "A1.b_", "com.x_y.Z9", "Com.UPPER.Case", "a..b", "odd.system.App_1"}
    assert odd <= {a.identifier for a in result.apps}
    assert max(len(a.identifier) for a in result.apps) == 255


def test_no_phone_the_source_reads_is_marked_simulated_whatever_it_says() -> None:
    """Only the app's own demo phone (audit.demo) is simulated: a phone cannot say it is."""
    claims = load_profile_data("demo-phone")
    claims["properties"]["ro.device_audit.simulated"] = "1"
    assert scan(SimulatedPhone(claims)).device.simulated is False
    assert scan(SimulatedPhone("samsung-work-profile")).device.simulated is False


def test_each_packages_details_cross_once_whatever_the_users() -> None:
    """The system packages' paths and versions come once (user 0's list), not once per user."""
    phone = SimulatedPhone("samsung-secure-folder")
    shell = SimShell(phone)
    scan_with_shell(shell, "s", name_of=lambda _: "")
    # One script (issue 15): user 0's list, and the loop's for every other user it finds.
    assert len(shell.commands) == 1
    script = shell.commands[0]
    assert script.count("pm list packages -3 -f -i -U -u --show-versioncode --user") == 2
    assert script.count("pm list packages -s -f -i -U -u --show-versioncode") == 1
    staged = SimShell(SimulatedPhone("samsung-secure-folder"))
    scan_with_shell(staged, "s", name_of=lambda _: "", one_stage=False)
    script = staged.commands[1]
    assert script.count("pm list packages -3 -f -i -U -u --show-versioncode --user") == 3
    assert "-s -f" not in script  # the system list went in the first round, once
    assert staged.commands[0].count("pm list packages -s -f -i -U -u --show-versioncode") == 1
