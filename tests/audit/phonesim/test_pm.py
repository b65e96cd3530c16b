"""What the simulated phones print and how they change, per Android version (no adb here)."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from tests.phonesim import SimState, SimulatedPhone, load_profile_data

LINE = re.compile(
    r"package:(?P<apk>/\S+\.apk)=(?P<pkg>[A-Za-z][\w.]*) versionCode:(?P<vc>\d+)"
    r"  installer=(?P<inst>\S+) uid:(?P<uids>\d+(,\d+)*)"
)


def run(phone: SimulatedPhone, line: str) -> tuple[str, str, int]:
    out = phone.run(line)
    return out.stdout.decode(), out.stderr.decode(), out.status


def listed(phone: SimulatedPhone, flags: str) -> set[str]:
    stdout, stderr, status = run(phone, f"pm list packages {flags}")
    assert (stderr, status) == ("", 0)
    return {line.split("=")[-1].split()[0].removeprefix("package:") for line in stdout.split()
            if line.startswith("package:")}  # fmt: skip


# --- pm list packages --------------------------------------------------------------------------


def test_full_line_format_on_android_14() -> None:
    phone = SimulatedPhone("samsung-work-profile")
    stdout, _, status = run(phone, "pm list packages -f -i -U -u --show-versioncode --user 10")
    lines = stdout.splitlines()
    assert status == 0 and len(lines) > 150
    assert all(LINE.fullmatch(line) for line in lines), [x for x in lines if not LINE.fullmatch(x)]
    tiktok = next(LINE.fullmatch(x) for x in lines if "=com.zhiliaoapp.musically " in x)
    assert tiktok is not None
    assert tiktok["apk"].startswith("/data/app/~~") and tiktok["apk"].endswith("/base.apk")
    assert (tiktok["vc"], tiktok["inst"]) == ("2023401040", "com.android.vending")
    assert int(tiktok["uids"]) // 100_000 == 10


@pytest.mark.parametrize("order", list(itertools.permutations(["-f", "-i", "-U", "-u"]))[:8])
def test_flag_order_does_not_matter(order: tuple[str, ...]) -> None:
    phone = SimulatedPhone("pixel-tiktok-lite")
    reference = run(phone, "pm list packages -f -i -U -u --user 0")[0]
    assert sorted(run(phone, f"pm list packages {' '.join(order)} --user 0")[0].splitlines()) == (
        sorted(reference.splitlines())
    )


def test_without_user_android_14_lists_every_user_with_all_uids() -> None:
    phone = SimulatedPhone("samsung-work-profile")
    stdout = run(phone, "pm list packages -U")[0]
    uids = dict(line.removeprefix("package:").split(" uid:") for line in stdout.splitlines())
    assert uids["com.zhiliaoapp.musically"].split(",") == [str(10 * 100_000 + int(
        uids["com.zhiliaoapp.musically"]) % 100_000)]  # fmt: skip
    gms = uids["com.google.android.gms"].split(",")
    assert len(gms) == 2 and int(gms[1]) == int(gms[0]) + 1_000_000


def test_filters() -> None:
    phone = SimulatedPhone("pixel-tiktok-lite")
    assert listed(phone, "-d --user 0") == {"com.lemon.lvoverseas"}
    third = listed(phone, "-3 --user 0")
    assert {"com.zhiliaoapp.musically.go", "com.lemon.lvoverseas"} <= third
    assert "com.google.android.gms" not in third
    assert "com.zhiliaoapp.musically.go" not in listed(phone, "-s --user 0")
    assert "com.lemon.lvoverseas" not in listed(phone, "-e --user 0")
    assert listed(phone, "--user 0 tiktok") == set()
    assert listed(phone, "--user 0 musically") == {"com.zhiliaoapp.musically.go"}


def test_bad_options_answer_like_android() -> None:
    phone = SimulatedPhone("samsung-work-profile")
    assert run(phone, "pm list packages --bogus") == ("Error: Unknown option: --bogus\n", "", 255)
    assert run(phone, "pm list packages -fi") == (
        'Error: java.lang.IllegalArgumentException: No argument expected after "-fi"\n',
        "",
        255,
    )
    assert run(phone, "pm list packages --user") == (
        'Error: java.lang.IllegalArgumentException: Argument expected after "--user"\n',
        "",
        255,
    )
    assert run(phone, "pm list packages --user ten")[0] == (
        "Error: java.lang.IllegalArgumentException: Bad user number: ten\n"
    )
    assert run(phone, "pm list packages --user 99") == ("", "", 0)


def test_android_7_rejects_new_flags_on_stdout_with_status_0() -> None:
    phone = SimulatedPhone("android7-old")
    for flag in ("-U", "--show-versioncode", "--uid 10000", "-a"):
        option = flag.split()[0]
        assert run(phone, f"pm list packages -f {flag}") == (
            f"Error: Unknown option: {option}\n",
            "",
            0,
        )
        assert run(phone, f"cmd package list packages {flag}")[::2] == (
            f"Error: Unknown option: {option}\n",
            0,
        )
    stdout, _, status = run(phone, "pm list packages -f -i -u")
    assert status == 0
    expected = re.compile(
        r"package:/data/app/com\.zhiliaoapp\.musically-[12]/base\.apk="
        r"com\.zhiliaoapp\.musically  installer=com\.android\.vending"
    )
    assert sum(1 for x in stdout.splitlines() if expected.fullmatch(x)) == 1


def test_android_7_lacks_install_existing() -> None:
    phone = SimulatedPhone("android7-old")
    assert run(phone, "cmd package install-existing com.android.egg")[::2] == (
        "Unknown command: install-existing\n",
        0,
    )
    _, stderr, status = run(phone, "pm install-existing com.android.egg")
    assert status == 1 and stderr.startswith("Error: unknown command 'install-existing'\n")


def test_secure_folder_throws_uncaught_on_android_14() -> None:
    phone = SimulatedPhone("samsung-secure-folder")
    stdout, stderr, status = run(phone, "pm list packages --user 150")
    assert (stdout, status) == ("", 255)
    assert stderr.startswith(
        "\nException occurred while executing 'list':\n"
        "java.lang.SecurityException: Shell does not have permission to access user 150\n\tat "
    )
    # Without --user every user is read, so the Secure Folder spoils the whole list...
    assert run(phone, "pm list packages")[::2] == ("", 255)
    # ...while the readable users still answer on their own.
    assert "com.whatsapp" in listed(phone, "--user 95")


def test_secure_folder_error_caught_from_android_15() -> None:
    data = load_profile_data("samsung-secure-folder")
    data["properties"]["ro.build.version.sdk"] = "35"
    phone = SimulatedPhone(data)
    assert run(phone, "pm list packages --user 150") == (
        "",
        "Error: java.lang.SecurityException: Shell does not have permission to access user 150\n",
        0,
    )
    stdout, stderr, status = run(phone, "pm list packages -U")
    assert status == 0 and "user 150" in stderr
    assert "package:com.whatsapp uid:" in stdout


def test_uninstalled_system_apps_and_kept_data_show_with_u() -> None:
    phone = SimulatedPhone("oem-preinstalled-tiktok")
    assert run(phone, "pm uninstall --user 0 com.zhiliaoapp.musically")[0] == "Success\n"
    assert "com.zhiliaoapp.musically" not in listed(phone, "--user 0")
    assert "com.zhiliaoapp.musically" in listed(phone, "-u --user 0")
    assert phone.state.state_of("com.zhiliaoapp.musically", 0) == SimState.REMOVED_FOR_USER
    assert phone.state.state_of("com.zhiliaoapp.musically", 11) == SimState.INSTALLED


def test_u_on_android_8_and_later_lists_this_users_apps_and_every_system_app() -> None:
    """On a phone whose owner has no profile (user 10 is a second person, not a profile)."""
    data = load_profile_data("samsung-work-profile")
    for user in data["users"]:
        if user["id"] == 10:
            user.update(kind="secondary", flags="0x410", parent=None, profile_owner=None)
    phone = SimulatedPhone(data)
    tiktok = "com.zhiliaoapp.musically"  # a store app installed in the work profile only
    system = {p.name for p in phone.state.packages.values() if p.system}
    owner = listed(phone, "-u --user 0")
    assert tiktok not in owner
    assert system <= owner  # removed-for-user system apps included
    assert tiktok in listed(phone, "-u --user 10")
    # Uninstalled with its data kept (-k): still listed with -u for that user, for no other.
    assert run(phone, f"pm uninstall -k --user 10 {tiktok}")[0] == "Success\n"
    assert tiktok not in listed(phone, "--user 10")
    assert tiktok in listed(phone, "-u --user 10")
    assert tiktok not in listed(phone, "-u --user 0")
    assert phone.state.state_of(tiktok, 10) == SimState.REMOVED_FOR_USER


def test_u_lists_every_users_apps_when_the_owner_has_a_profile() -> None:
    """updateFlagsForPackage adds MATCH_ANY_USER to `-u` for the shell (a caller in user 0)
    when user 0 has a profile: the work profile's apps are listed for the owner, and the
    owner's for the work profile, though neither is installed there."""
    phone = SimulatedPhone("samsung-work-profile")
    tiktok = "com.zhiliaoapp.musically"  # a store app installed in the work profile only
    assert tiktok in listed(phone, "-u --user 0")
    assert tiktok not in listed(phone, "--user 0")
    assert phone.state.state_of(tiktok, 0) == SimState.ABSENT


def test_u_on_android_7_lists_user_apps_of_other_users_too() -> None:
    data = load_profile_data("samsung-work-profile")
    data["properties"]["ro.build.version.sdk"] = "25"
    phone = SimulatedPhone(data)
    assert "com.zhiliaoapp.musically" in listed(phone, "-u --user 0")
    assert "com.zhiliaoapp.musically" not in listed(phone, "--user 0")


def test_cached_lists_follow_every_change() -> None:
    phone = SimulatedPhone("pixel-tiktok-lite")
    capcut = "com.lemon.lvoverseas"
    assert listed(phone, "-d --user 0") == {capcut}
    assert run(phone, f"pm enable --user 0 {capcut}")[2] == 0
    assert listed(phone, "-d --user 0") == set()
    # A test that edits the state by hand says so with touch().
    phone.state.packages[capcut].users[0].installed = False
    phone.state.touch()
    assert capcut not in listed(phone, "--user 0")


# --- users, path, getprop ---------------------------------------------------------------------


def test_list_users_formats() -> None:
    assert run(SimulatedPhone("samsung-work-profile"), "pm list users")[0] == (
        "Users:\n\tUserInfo{0:Owner:4c13} running\n\tUserInfo{10:Work profile:1030} running\n"
    )
    assert run(SimulatedPhone("android7-old"), "pm list users")[0] == (
        "Users:\n\tUserInfo{0:Owner:13} running\n"
    )
    verbose = run(SimulatedPhone("samsung-work-profile"), "cmd user list -v")[0].splitlines()
    assert verbose[0] == "2 users:"
    assert verbose[3].startswith("1: id=10, name=Work profile, type=profile.MANAGED, flags=")
    assert "(parentId=0)" in verbose[3] and "(profile-owner)" in verbose[3]


def test_pm_path_defaults_to_user_0() -> None:
    phone = SimulatedPhone("samsung-work-profile")
    assert run(phone, "pm path com.zhiliaoapp.musically") == ("", "", 1)
    stdout, _, status = run(phone, "pm path --user 10 com.zhiliaoapp.musically")
    assert status == 0
    assert [x.rsplit("/", 1)[1] for x in stdout.splitlines()] == [
        "base.apk", "split_config.arm64_v8a.apk", "split_config.en.apk", "split_config.xxhdpi.apk"
    ]  # fmt: skip


def test_getprop() -> None:
    phone = SimulatedPhone("hostile-names")
    assert run(phone, "getprop ro.product.model")[0] == (
        "<b>Pwn</b><img src=file:///etc/passwd>;reboot $(id)\n"
    )
    dump = run(phone, "getprop")[0].splitlines()
    assert dump == sorted(dump) and "[ro.product.name]: [evil]: [injected]" in dump
    assert run(phone, "getprop no.such.prop")[0] == "\n"
    assert not phone.state.rebooted


# --- mutations ---------------------------------------------------------------------------------


def test_remove_tiktok_from_the_work_profile() -> None:
    phone = SimulatedPhone("samsung-work-profile")
    assert run(phone, "pm uninstall --user 0 com.zhiliaoapp.musically") == (
        "Failure [not installed for 0]\n",
        "",
        1,
    )
    assert run(phone, "pm uninstall --user 10 com.zhiliaoapp.musically") == ("Success\n", "", 0)
    assert "com.zhiliaoapp.musically" not in listed(phone, "-u")
    assert phone.state.state_of("com.zhiliaoapp.musically", 10) == SimState.ABSENT
    assert run(phone, "cmd package install-existing --user 10 com.zhiliaoapp.musically") == (
        "android.content.pm.PackageManager$NameNotFoundException: "
        "Package com.zhiliaoapp.musically doesn't exist\n", "", 1,
    )  # fmt: skip


def test_system_app_removal_and_restore() -> None:
    phone = SimulatedPhone("oem-preinstalled-tiktok")
    run(phone, "pm uninstall --user 0 com.zhiliaoapp.musically")
    assert run(phone, "cmd package install-existing --user 0 com.zhiliaoapp.musically") == (
        "Package com.zhiliaoapp.musically installed for user: 0\n",
        "",
        0,
    )
    assert "com.zhiliaoapp.musically" in listed(phone, "--user 0")
    assert run(phone, "pm uninstall com.zhiliaoapp.musically")[0] == (
        "Failure [DELETE_FAILED_INTERNAL_ERROR]\n"
    )


def test_keep_data_leaves_the_app_visible_with_u() -> None:
    phone = SimulatedPhone("samsung-work-profile")
    assert run(phone, "pm uninstall -k --user 0 com.lemon.lvoverseas")[0] == "Success\n"
    assert "com.lemon.lvoverseas" not in listed(phone, "--user 0")
    assert "com.lemon.lvoverseas" in listed(phone, "-u --user 0")
    assert phone.state.state_of("com.lemon.lvoverseas", 0) == SimState.REMOVED_FOR_USER


def test_disable_and_enable() -> None:
    phone = SimulatedPhone("samsung-work-profile")
    assert run(phone, "pm disable-user --user 0 com.lemon.lvoverseas") == (
        "Package com.lemon.lvoverseas new state: disabled-user\n",
        "",
        0,
    )
    assert "com.lemon.lvoverseas" in listed(phone, "-d --user 0")
    assert phone.state.state_of("com.lemon.lvoverseas", 0) == SimState.DISABLED
    assert run(phone, "pm enable --user 0 com.lemon.lvoverseas")[0] == (
        "Package com.lemon.lvoverseas new state: enabled\n"
    )
    assert phone.state.state_of("com.lemon.lvoverseas", 0) == SimState.INSTALLED
    _, stderr, status = run(phone, "pm disable com.lemon.lvoverseas")
    assert status == 255 and "Shell cannot change component state" in stderr
    _, stderr, status = run(phone, "pm disable-user --user 0 com.no.such")
    assert (
        status == 255
        and "java.lang.IllegalArgumentException: Unknown package: com.no.such" in stderr
    )


def test_device_policy_apps_refuse_to_go() -> None:
    phone = SimulatedPhone("samsung-work-profile")
    dpc = "com.google.android.apps.work.clouddpc"
    assert run(phone, f"pm uninstall --user 10 {dpc}")[0] == (
        "Failure [DELETE_FAILED_DEVICE_POLICY_MANAGER]\n"
    )
    _, stderr, status = run(phone, f"pm disable-user --user 10 {dpc}")
    assert status == 255 and f"Cannot disable a protected package: {dpc}" in stderr
    assert run(phone, "pm uninstall --user 10 com.microsoft.teams")[0] == (
        "Failure [DELETE_FAILED_OWNER_BLOCKED]\n"
    )


def test_user_restriction_blocks_uninstall() -> None:
    data: dict[str, Any] = load_profile_data("samsung-work-profile")
    data["users"][1]["restrictions"] = ["no_uninstall_apps"]
    phone = SimulatedPhone(data)
    assert run(phone, "pm uninstall --user 10 com.zhiliaoapp.musically")[0] == (
        "Failure [DELETE_FAILED_USER_RESTRICTED]\n"
    )
    assert phone.state.state_of("com.zhiliaoapp.musically", 10) == SimState.INSTALLED


def test_actions_on_the_secure_folder_throw() -> None:
    phone = SimulatedPhone("samsung-secure-folder")
    for line in (
        "pm uninstall --user 150 com.zhiliaoapp.musically",
        "cmd package install-existing --user 150 com.zhiliaoapp.musically",
        "pm path --user 150 com.zhiliaoapp.musically",
        "am force-stop --user 150 com.zhiliaoapp.musically",
    ):
        _, stderr, status = run(phone, line)
        assert status == 255, line
        assert "Shell does not have permission to access user 150" in stderr
    assert phone.state.state_of("com.zhiliaoapp.musically", 150) == SimState.INSTALLED


def test_android_7_results_always_exit_0() -> None:
    phone = SimulatedPhone("android7-old")
    assert run(phone, "pm uninstall --user 0 com.no.such") == (
        "Failure [not installed for 0]\n",
        "",
        0,
    )
    assert run(phone, "pm disable-user com.lemon.lvoverseas")[0] == (
        "Package com.lemon.lvoverseas new state: disabled-user\n"
    )
    assert run(phone, "pm clear com.lemon.lvoverseas") == ("", "Success\n", 0)


def test_usb_debugging_switch() -> None:
    phone = SimulatedPhone("demo-phone")
    assert run(phone, "settings get global adb_enabled")[0] == "1\n"
    assert run(phone, "settings put global adb_enabled 0") == ("", "", 0)
    assert not phone.state.adb_enabled


# --- dumpsys ------------------------------------------------------------------------------------


def block(text: str, name: str) -> str:
    start = text.index(f"  Package [{name}]")
    return text[start:]


def test_dumpsys_package_android_14() -> None:
    phone = SimulatedPhone("pixel-tiktok-lite")
    text = block(run(phone, "dumpsys package com.lemon.lvoverseas")[0], "com.lemon.lvoverseas")
    app_id = phone.state.packages["com.lemon.lvoverseas"].app_id
    assert f"\n    appId={app_id}\n" in text and "userId=" not in text
    assert "\n    versionName=11.6.0\n" in text
    assert "\n    installerPackageName=com.android.vending\n" in text
    assert re.search(r"\n    User 0: ceDataInode=\d+ installed=true hidden=false suspended=false "
                     r"distractionFlags=0 stopped=false notLaunched=false enabled=3 instant=false "
                     r"virtual=false\n", text)  # fmt: skip
    assert re.search(r"\n      firstInstallTime=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n", text)
    assert "\n    firstInstallTime=" not in text


def test_dumpsys_package_older_versions() -> None:
    old = run(SimulatedPhone("android7-old"), "dumpsys package com.zhiliaoapp.musically")[0]
    assert "\n    userId=" in old and "appId=" not in old
    assert "\n    firstInstallTime=2021-03-05 10:22:03\n" in old
    assert "\n    versionCode=2021903030 targetSdk=29\n" in old
    t = run(SimulatedPhone("oem-preinstalled-tiktok"), "dumpsys package com.zhiliaoapp.musically")[
        0
    ]
    assert "\n    userId=" in t and "flags=[ SYSTEM HAS_CODE" in t
    assert "\n    codePath=/product/app/TikTok\n" in t


def test_dumpsys_unknown_package() -> None:
    assert run(SimulatedPhone("demo-phone"), "dumpsys package com.no.such") == (
        "Unable to find package: com.no.such\n",
        "",
        0,
    )
    assert run(SimulatedPhone("android7-old"), "dumpsys package com.no.such") == ("", "", 0)


def test_dumpsys_shows_removal_per_user() -> None:
    phone = SimulatedPhone("oem-preinstalled-tiktok")
    run(phone, "pm uninstall --user 0 com.zhiliaoapp.musically")
    text = run(phone, "dumpsys package com.zhiliaoapp.musically")[0]
    assert re.search(r"\n    User 0: ceDataInode=0 installed=false ", text)
    assert re.search(r"\n    User 11: ceDataInode=\d+ installed=true ", text)


def test_dumpsys_device_policy() -> None:
    text = run(SimulatedPhone("samsung-work-profile"), "dumpsys device_policy")[0]
    assert "\n  Profile Owner (User 10): \n    admin=ComponentInfo{com.google.android.apps." in text
    assert "\n    package=com.google.android.apps.work.clouddpc\n" in text
    assert "Device Owner" not in text
    assert (
        "Profile Owner" not in run(SimulatedPhone("pixel-tiktok-lite"), "dumpsys device_policy")[0]
    )


def test_android_11_lists_user_0_only_without_user() -> None:
    data = load_profile_data("samsung-work-profile")
    data["properties"]["ro.build.version.sdk"] = "30"
    phone = SimulatedPhone(data)
    stdout, _, status = run(phone, "pm list packages -U --show-versioncode")
    assert status == 0
    assert "com.zhiliaoapp.musically" not in stdout  # it lives in user 10 only
    assert all(int(line.rsplit("uid:", 1)[1]) < 100_000 for line in stdout.splitlines())
    assert "com.zhiliaoapp.musically" in listed(phone, "--user 10")
    assert run(phone, "pm list packages --show-stopped")[0] == (
        "Error: Unknown option: --show-stopped\n"
    )
