"""Actions against the in-process phone: what they send, what they return, and the advice."""

from __future__ import annotations

import pytest

from audit.errors import ActionFailed, InvalidPackageName
from audit.model import ActionKind, AppState
from audit.sources.android.actions import (
    ADVICE,
    command_for,
    failure_code,
    perform,
    switch_off_usb_debugging,
)
from audit.sources.android.scan import scan_with_shell
from tests.audit.android.conftest import capture
from tests.audit.android.fakephone import TIKTOK, FakePhone, samsung_with_work_profile

DEVICE = "android:R5CW31ABCDE"


def state(phone: FakePhone, package: str, user: str) -> AppState:
    scan = scan_with_shell(phone, "R5CW31ABCDE", name_of=lambda p: "")
    found = [a for a in scan.apps if a.identifier == package and a.user == user]
    return found[0].state if found else AppState.ABSENT


def test_tiktok_removed_from_the_work_profile() -> None:
    phone = samsung_with_work_profile()
    result = perform(phone, DEVICE, ActionKind.UNINSTALL, TIKTOK, "10", label="TikTok")
    assert result.ok
    assert result.message == "TikTok was removed for user 10."
    assert (result.kind, result.device, result.identifier, result.user) == (
        ActionKind.UNINSTALL,
        DEVICE,
        TIKTOK,
        "10",
    )
    assert result.at is not None and result.output.strip() == "Success"
    assert phone.commands[-1] == f"pm uninstall --user 10 {TIKTOK}"
    assert state(phone, TIKTOK, "10") is AppState.ABSENT


def test_a_system_app_removed_for_a_user_stays_restorable_and_comes_back() -> None:
    phone = samsung_with_work_profile()
    assert perform(phone, DEVICE, ActionKind.UNINSTALL, "com.facebook.katana", "10").ok
    assert state(phone, "com.facebook.katana", "10") is AppState.REMOVED_FOR_USER
    restored = perform(phone, DEVICE, ActionKind.RESTORE, "com.facebook.katana", "10")
    assert restored.ok, restored.message
    assert phone.commands[-1] == "cmd package install-existing --user 10 com.facebook.katana"
    assert state(phone, "com.facebook.katana", "10") is AppState.INSTALLED


def test_restore_falls_back_to_pm_where_cmd_lacks_install_existing() -> None:
    phone = samsung_with_work_profile()
    phone.cmd_verbs_missing = ("install-existing",)
    restored = perform(phone, DEVICE, ActionKind.RESTORE, "com.facebook.katana", "0")
    assert restored.ok
    assert phone.commands[-2:] == [
        "cmd package install-existing --user 0 com.facebook.katana",
        "pm install-existing --user 0 com.facebook.katana",
    ]


def test_disable_and_enable_for_a_user() -> None:
    phone = samsung_with_work_profile()
    disabled = perform(phone, DEVICE, ActionKind.DISABLE, TIKTOK, "10")
    assert disabled.ok and disabled.message.endswith("was disabled for user 10.")
    assert state(phone, TIKTOK, "10") is AppState.DISABLED
    assert perform(phone, DEVICE, ActionKind.ENABLE, TIKTOK, "10").ok
    assert state(phone, TIKTOK, "10") is AppState.INSTALLED


def test_force_stop() -> None:
    phone = samsung_with_work_profile()
    result = perform(phone, DEVICE, ActionKind.FORCE_STOP, TIKTOK, "10")
    assert result.ok
    assert phone.commands[-1] == f"am force-stop --user 10 {TIKTOK}"


def test_device_policy_app_cannot_be_removed_and_the_advice_says_who_to_ask() -> None:
    phone = samsung_with_work_profile()
    result = perform(
        phone, DEVICE, ActionKind.UNINSTALL, "com.google.android.apps.work.clouddpc", "10"
    )
    assert not result.ok
    assert result.code == "DELETE_FAILED_DEVICE_POLICY_MANAGER"
    assert "the phone answered DELETE_FAILED_DEVICE_POLICY_MANAGER" in result.message
    assert "Contact your IT department" in result.advice


def test_not_installed_for_the_user() -> None:
    phone = samsung_with_work_profile()
    result = perform(phone, DEVICE, ActionKind.UNINSTALL, TIKTOK, "0")
    assert not result.ok and result.code == "NOT_INSTALLED_FOR_USER"
    assert result.advice == ADVICE["NOT_INSTALLED_FOR_USER"]


def test_a_system_app_for_all_users_is_refused_with_advice() -> None:
    phone = samsung_with_work_profile()
    result = perform(phone, DEVICE, ActionKind.UNINSTALL_ALL_USERS, "com.android.chrome")
    assert not result.ok and result.code == "DELETE_FAILED_INTERNAL_ERROR"
    assert "for each user" in result.advice
    assert result.user == ""
    assert phone.commands[-1] == "pm uninstall com.android.chrome"


@pytest.mark.parametrize("name", ["x;reboot", "$(id)", "`id`", "a.b c", "com.x\nreboot", "-k"])
def test_hostile_names_are_refused_before_anything_is_sent(name: str) -> None:
    phone = samsung_with_work_profile()
    for kind in (ActionKind.UNINSTALL, ActionKind.RESTORE, ActionKind.UNINSTALL_ALL_USERS):
        with pytest.raises(InvalidPackageName):
            perform(phone, DEVICE, kind, name, "0")
    assert phone.commands == []


@pytest.mark.parametrize("user", ["0; reboot", "$(id)", "", "all", "-1"])
def test_bad_user_ids_are_refused(user: str) -> None:
    phone = samsung_with_work_profile()
    with pytest.raises(ActionFailed, match="not an Android user id"):
        perform(phone, DEVICE, ActionKind.UNINSTALL, TIKTOK, user)
    assert phone.commands == []


def test_the_phone_going_away_during_an_action_says_to_rescan() -> None:
    phone = samsung_with_work_profile()
    phone.drop_after = 0
    result = perform(phone, DEVICE, ActionKind.UNINSTALL, TIKTOK, "10", label="TikTok")
    assert not result.ok and result.code == "DEVICE_GONE"
    assert result.message.startswith("TikTok may not have been removed for user 10")
    assert "Scan again" in result.message
    assert "plug the phone in again" in result.advice


@pytest.mark.parametrize(
    ("capture_name", "kind", "code"),
    [
        ("pm_uninstall_success.txt", ActionKind.UNINSTALL, ""),
        (
            "pm_uninstall_device_policy_manager.txt",
            ActionKind.UNINSTALL,
            "DELETE_FAILED_DEVICE_POLICY_MANAGER",
        ),
        ("pm_uninstall_user_restricted.txt", ActionKind.UNINSTALL, "DELETE_FAILED_USER_RESTRICTED"),
        ("pm_uninstall_not_installed_for_10.txt", ActionKind.UNINSTALL, "NOT_INSTALLED_FOR_USER"),
        ("pm_disable_user.txt", ActionKind.DISABLE, ""),
        ("pm_disable_protected.txt", ActionKind.DISABLE, "PROTECTED_PACKAGE"),
        ("cmd_install_existing_success.txt", ActionKind.RESTORE, ""),
        ("cmd_install_existing_unknown_android7.txt", ActionKind.RESTORE, "UNKNOWN_COMMAND"),
        ("pm_install_existing_unknown_android7.txt", ActionKind.RESTORE, "UNKNOWN_COMMAND"),
        ("pm_security_exception_android12.txt", ActionKind.UNINSTALL, "SHELL_NOT_ALLOWED"),
    ],
)
def test_failure_codes_from_captured_answers(
    capture_name: str, kind: ActionKind, code: str
) -> None:
    assert failure_code(kind, capture(capture_name), 0) == code


def test_every_named_code_has_advice_a_person_can_act_on() -> None:
    for code, advice in ADVICE.items():
        assert advice.endswith("."), code
        assert "_" not in advice, code  # words, not another code


def test_commands_are_argument_lists() -> None:
    assert command_for(ActionKind.DISABLE, TIKTOK, "10") == (
        "pm",
        "disable-user",
        "--user",
        "10",
        TIKTOK,
    )
    with pytest.raises(ActionFailed):
        command_for(ActionKind.MANUAL, TIKTOK, "0")


def test_switching_usb_debugging_off_ends_the_connection() -> None:
    phone = samsung_with_work_profile()
    result = switch_off_usb_debugging(phone, DEVICE)
    assert result.ok and result.kind is ActionKind.DISABLE_USB_DEBUGGING
    assert phone.settings["adb_enabled"] == "0"
    assert "Revoke USB debugging authorizations" in result.advice
    gone = switch_off_usb_debugging(phone, DEVICE)  # the phone is gone now
    assert gone.ok and "disconnected, as expected" in gone.message


def test_a_named_profile_replaces_the_user_id_in_every_message() -> None:
    phone = samsung_with_work_profile()
    work = {"label": "TikTok", "where": "the Work profile"}
    assert perform(phone, DEVICE, ActionKind.DISABLE, TIKTOK, "10", **work).message == (
        "TikTok was disabled in the Work profile."
    )
    assert perform(phone, DEVICE, ActionKind.ENABLE, TIKTOK, "10", **work).message == (
        "TikTok was enabled again in the Work profile."
    )
    assert perform(phone, DEVICE, ActionKind.FORCE_STOP, TIKTOK, "10", **work).message == (
        "TikTok was stopped in the Work profile."
    )
    removed = perform(phone, DEVICE, ActionKind.UNINSTALL, TIKTOK, "10", **work)
    assert removed.message == "TikTok was removed from the Work profile."
    assert removed.user == "10"  # the record keeps the id; only the words change
    again = perform(phone, DEVICE, ActionKind.UNINSTALL, TIKTOK, "10", **work)
    assert again.message == (
        "TikTok was not removed from the Work profile: the phone answered NOT_INSTALLED_FOR_USER."
    )
    phone.drop_after = 0
    gone = perform(
        phone, DEVICE, ActionKind.RESTORE, TIKTOK, "0", label="TikTok", where="the main profile"
    )
    assert gone.message.startswith("TikTok may not have been restored to the main profile:")
    assert "user 0" not in gone.message and "user 10" not in removed.message
