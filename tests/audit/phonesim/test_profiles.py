"""The shipped phone profiles load, look like real phones and say what each is for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.sources.android.packages import is_listable_package_name
from tests.phonesim import (
    ProfileError,
    SimState,
    list_profiles,
    load_profile_data,
    load_state,
)
from tests.phonesim.daemon import default_features

EXPECTED = {
    "samsung-work-profile",
    "samsung-secure-folder",
    "pixel-tiktok-lite",
    "oem-preinstalled-tiktok",
    "android7-old",
    "demo-phone",
    "hostile-names",
    "odd-names",
    "huawei-emui",
    "shelter-frozen-tiktok",
    "pixel-four-users-slow",  # 200 ms per program, 4 users: programs side by side (issue 15)
}


def test_the_profiles_are_listed_without_the_shared_sets() -> None:
    assert set(list_profiles()) == EXPECTED


@pytest.mark.parametrize("profile", sorted(EXPECTED))
def test_profile_is_a_plausible_phone(profile: str) -> None:
    state = load_state(profile)
    owner = [p for p in state.packages.values() if p.installed_for(0)]
    assert len(owner) >= (100 if profile in ("hostile-names", "odd-names") else 150)
    assert state.users[0].id == 0 and state.description
    assert state.properties["ro.build.version.sdk"] == str(state.sdk)
    for package in state.packages.values():
        if package.garbled:  # stands for garbled output: no real phone could hold the name
            assert not is_listable_package_name(package.name)
            continue
        assert is_listable_package_name(package.name)
        assert package.apk.startswith("/") and package.apk.endswith(".apk")
        assert package.app_id >= 1000
        assert package.last_update >= package.first_install or package.system
    app_ids = [p.app_id for p in state.packages.values() if p.shared_user is None]
    assert len(app_ids) == len(set(app_ids)), "two unrelated packages share an app id"


def test_profiles_match_what_they_are_for() -> None:
    samsung = load_state("samsung-work-profile")
    assert samsung.state_of("com.zhiliaoapp.musically", 10) == SimState.INSTALLED
    assert samsung.state_of("com.zhiliaoapp.musically", 0) == SimState.ABSENT
    assert samsung.state_of("com.lemon.lvoverseas", 0) == SimState.INSTALLED
    assert all(user.readable for user in samsung.users)
    folder = load_state("samsung-secure-folder")
    assert [u.id for u in folder.users if not u.readable] == [150]
    pixel = load_state("pixel-tiktok-lite")
    assert pixel.state_of("com.zhiliaoapp.musically.go", 0) == SimState.INSTALLED
    assert pixel.state_of("com.lemon.lvoverseas", 0) == SimState.DISABLED
    oem = load_state("oem-preinstalled-tiktok")
    assert oem.packages["com.zhiliaoapp.musically"].system
    old = load_state("android7-old")
    assert old.sdk == 25 and default_features(old.sdk) == ["shell_v2", "cmd"]
    demo = load_state("demo-phone")
    assert "simulated" in demo.properties["ro.product.model"]
    # Nothing in a profile marks a phone simulated: only the app's own demo phone is.
    assert not any("simulated" in key for key in demo.properties)
    garbled = {p.name for p in load_state("hostile-names").packages.values() if p.garbled}
    assert garbled == {"A1._", "com.example.__"}
    odd = load_state("odd-names")
    assert not any(p.garbled for p in odd.packages.values())
    assert max(len(name) for name in odd.packages) == 255
    assert demo.state_of("com.zhiliaoapp.musically", 10) == SimState.INSTALLED
    assert demo.state_of("com.lemon.lvoverseas", 0) == SimState.INSTALLED


def test_generation_is_deterministic_and_each_load_is_independent() -> None:
    first, second = load_state("samsung-work-profile"), load_state("samsung-work-profile")
    assert {n: p.apk for n, p in first.packages.items()} == {
        n: p.apk for n, p in second.packages.items()
    }
    first.uninstall("com.lemon.lvoverseas", 0, keep_data=False)
    assert "com.lemon.lvoverseas" not in first.packages
    assert "com.lemon.lvoverseas" in second.packages


def test_a_profile_can_be_given_as_a_file(tmp_path: Path) -> None:
    data = load_profile_data("demo-phone")
    data["properties"]["ro.product.model"] = "Copied phone"
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_state(path).properties["ro.product.model"] == "Copied phone"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["users"].pop(0), "the first user must be user 0"),
        (lambda d: d["packages"][0]["users"].update({"42": "installed"}), "unknown user 42"),
        (lambda d: d["packages"][0]["users"].update({"0": "maybe"}), "unknown state 'maybe'"),
        (lambda d: d["users"][0].pop("name"), "KeyError"),
    ],
)
def test_a_broken_profile_names_its_problem(change: object, problem: str) -> None:
    data = load_profile_data("demo-phone")
    change(data)  # type: ignore[operator]
    with pytest.raises(ProfileError, match=problem) as caught:
        load_state(data)
    assert "demo-phone" in str(caught.value)


def test_an_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match="known ones: android7-old, demo-phone"):
        load_state("no-such-phone")


def test_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{\n  nope", encoding="utf-8")
    with pytest.raises(ProfileError, match="line 2"):
        load_state(path)
