"""The phone's words in the reader's language (issue 17): guidance, actions' results and advice,
and what a scan says it could not read.

Run in the pseudo-language, which wraps every catalogue string in ⟦ ⟧, so a sentence that does
not start with ⟦ bypassed the catalogue. What the phone itself says (its failure code, a line it
printed) stays as the phone said it, inside the translated sentence. Actions run against the
in-process phone of tests/audit/android/fakephone.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from audit.i18n import ENGLISH, PSEUDO, set_language
from audit.model import ActionKind, DeviceState, UserProfile
from audit.sources.android import guidance as g
from audit.sources.android.actions import perform, switch_off_usb_debugging
from audit.sources.android.inventory import (
    UserLists,
    invalid_names_sentence,
    user_profile,
    user_report,
)
from audit.sources.android.parsers import Problem, parse_getprop, parse_package_list, parse_users
from tests.audit.android.fakephone import TIKTOK, samsung_with_work_profile

MARK = "⟦"
DEVICE = "android:R5CW31ABCDE"


@pytest.fixture(autouse=True)
def pseudo() -> Iterator[None]:
    set_language(PSEUDO)
    yield
    set_language(ENGLISH)


@pytest.mark.parametrize("state", list(DeviceState))
def test_every_connection_state_is_named_and_explained_in_the_readers_language(
    state: DeviceState,
) -> None:
    assert g.state_label(state).startswith(MARK)
    assert g.guidance(state).startswith(MARK)


def test_a_special_boot_mode_keeps_the_phones_word_inside_a_translated_sentence() -> None:
    said = g.guidance(g.device_state("recovery"), "recovery")
    assert said.startswith(MARK) and " recovery " in said


@pytest.mark.parametrize("maker", ["Samsung", "Google", "Xiaomi", "HUAWEI", "Acme"])
def test_switching_usb_debugging_off_is_explained_in_the_readers_language(maker: str) -> None:
    steps = g.disable_usb_debugging_steps(maker)
    assert len(steps) >= 4 and all(step.startswith(MARK) for step in steps)
    guide = g.phone_maker(maker)
    assert g.maker_name(guide).startswith(MARK) or guide == "generic"
    assert all(
        s.startswith(MARK) for s in (*g.enable_usb_debugging_steps(), *g.general_disable_steps())
    )


@pytest.mark.parametrize(
    ("kind", "package", "user", "where"),
    [
        (ActionKind.UNINSTALL, TIKTOK, "10", "the Work profile"),
        (ActionKind.UNINSTALL, TIKTOK, "10", ""),
        (ActionKind.UNINSTALL, "com.example.nothere", "0", "the main profile"),  # a failure code
        (ActionKind.DISABLE, "com.facebook.katana", "0", ""),
        (ActionKind.UNINSTALL_ALL_USERS, TIKTOK, "", ""),
    ],
)
def test_what_an_action_did_and_the_advice_are_in_the_readers_language(
    kind: ActionKind, package: str, user: str, where: str
) -> None:
    phone = samsung_with_work_profile()
    result = perform(phone, DEVICE, kind, package, user, label="TikTok", where=where)
    assert result.message.startswith(MARK), result.message
    assert not result.advice or result.advice.startswith(MARK)
    if not result.ok:
        assert result.code in result.message  # the phone's own code, untranslated, inside


def test_switching_usb_debugging_off_says_so_in_the_readers_language() -> None:
    result = switch_off_usb_debugging(samsung_with_work_profile(), DEVICE)
    assert result.message.startswith(MARK) and result.advice.startswith(MARK)


def test_what_a_scan_could_not_read_is_said_in_the_readers_language() -> None:
    _users, user_problems = parse_users("Users:\nnonsense\n")
    _props, prop_problems = parse_getprop("[ro.product.model]: [Pixel\n")
    _entries, list_problems = parse_package_list("package:com.a\ngarbage\npackage:x;reboot\n")
    problems = [*user_problems, *prop_problems, *list_problems]
    assert problems and all(p.message.startswith(MARK) for p in problems)
    invalid = [Problem("", invalid_name="x;reboot"), Problem("", invalid_name="y;z")]
    assert invalid_names_sentence(invalid).startswith(MARK)
    [user] = [u for u in _users_of_a_phone() if u.id == "10"]
    report = user_report(UserLists(user, problems=list_problems), 0)
    assert report.detail.startswith(MARK)


def _users_of_a_phone() -> list[UserProfile]:
    entries, _problems = parse_users(
        "Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{10:Work profile:1030} running\n"
    )
    return [user_profile(e) for e in entries]
