"""A hidden ("frozen") and a suspended ("paused") app on the simulated phone answer as on a real
one (PackageUserStateUtils.isAvailable, PackageManagerShellCommand.runUninstall): hidden is
listed only with -u, like an app removed for the user, and the per-user uninstall does not find
it; suspended is installed in every list. No adb here."""

from __future__ import annotations

import pytest

from tests.phonesim import SimState, SimulatedPhone

TIKTOK = "com.zhiliaoapp.musically"


def run(phone: SimulatedPhone, line: str) -> tuple[str, int]:
    out = phone.run(line)
    return out.merged.decode(), out.status


def names(phone: SimulatedPhone, flags: str) -> set[str]:
    text, status = run(phone, f"pm list packages {flags}")
    assert status == 0
    return {line.split("=")[-1].removeprefix("package:").split()[0] for line in text.split()}


@pytest.fixture
def frozen() -> SimulatedPhone:
    return SimulatedPhone("shelter-frozen-tiktok")


def test_a_hidden_app_is_listed_only_with_u_like_one_removed_for_the_user(
    frozen: SimulatedPhone,
) -> None:
    assert frozen.state.state_of(TIKTOK, 10) == SimState.HIDDEN
    assert TIKTOK not in names(frozen, "--user 10")
    assert TIKTOK not in names(frozen, "-d --user 10")
    assert TIKTOK not in names(frozen, "-3 --user 10")
    assert TIKTOK in names(frozen, "-u --user 10")
    assert TIKTOK in names(frozen, "-3 -f -i -U -u --show-versioncode --user 10")
    # Removed for the user (with its data kept) reads exactly the same in the lists.
    run(frozen, "pm uninstall -k --user 0 com.whatsapp")
    assert "com.whatsapp" not in names(frozen, "--user 0")
    assert "com.whatsapp" in names(frozen, "-u --user 0")


def test_dumpsys_tells_hidden_from_removed(frozen: SimulatedPhone) -> None:
    text, _ = run(frozen, f"dumpsys package {TIKTOK}")
    user_10 = next(line for line in text.splitlines() if line.strip().startswith("User 10:"))
    assert "installed=true hidden=true suspended=false" in user_10
    user_0 = next(line for line in text.splitlines() if line.strip().startswith("User 0:"))
    assert "installed=false hidden=false" in user_0


def test_the_per_user_uninstall_does_not_find_a_hidden_app(frozen: SimulatedPhone) -> None:
    assert run(frozen, f"pm uninstall --user 10 {TIKTOK}") == (
        "Failure [not installed for 10]\n",
        1,
    )
    assert run(frozen, f"pm path --user 10 {TIKTOK}") == ("", 1)
    assert frozen.state.state_of(TIKTOK, 10) == SimState.HIDDEN  # still there
    # Uninstalling for every user does not ask for the user's copy first: it goes.
    assert run(frozen, f"pm uninstall {TIKTOK}") == ("Success\n", 0)
    assert frozen.state.state_of(TIKTOK, 10) == SimState.ABSENT


def test_a_suspended_app_is_listed_as_installed_and_can_be_uninstalled() -> None:
    phone = SimulatedPhone("samsung-work-profile")
    phone.state.packages[TIKTOK].users[10].suspended = True
    phone.state.touch()
    assert phone.state.state_of(TIKTOK, 10) == SimState.SUSPENDED
    assert TIKTOK in names(phone, "--user 10")
    assert TIKTOK not in names(phone, "-d --user 10")
    text, _ = run(phone, f"dumpsys package {TIKTOK}")
    assert "installed=true hidden=false suspended=true" in text
    assert run(phone, f"pm uninstall --user 10 {TIKTOK}") == ("Success\n", 0)
    assert phone.state.state_of(TIKTOK, 10) == SimState.ABSENT


def test_a_profile_may_say_hidden_or_suspended() -> None:
    from tests.phonesim.profiles import load_state

    data = {
        "id": "states",
        "users": [{"id": 0, "name": "Owner", "flags": "0x13", "kind": "owner"}],
        "packages": [
            {"package": "com.example.frozen", "users": {"0": "hidden"}},
            {"package": "com.example.paused", "users": {"0": "suspended"}},
        ],
    }
    state = load_state(data)
    assert state.state_of("com.example.frozen", 0) == SimState.HIDDEN
    assert state.state_of("com.example.paused", 0) == SimState.SUSPENDED
