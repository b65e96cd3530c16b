"""What `remove` prints after each step: the profile by name, never "user 10"."""

from __future__ import annotations

from dataclasses import replace

import pytest

from audit.cli.remediation_cmds import result_words
from audit.model import ActionKind, ActionResult, AppState, IdentifierKind
from audit.remediation import Step, build_plans
from tests.audit.remediation.builders import (
    COMPUTER,
    T0,
    assessment,
    finding,
    local_app,
    phone_app,
    policy,
)

WORK = assessment(finding(phone_app(user="10")))


def step_of(kind: ActionKind, the_assessment=WORK) -> Step:  # type: ignore[no-untyped-def]
    for plan in build_plans(the_assessment):
        for step in plan.all_steps:
            if step.action is kind:
                return step
    raise AssertionError(f"no {kind} step")


def result(step: Step, *, ok: bool = True, code: str = "", message: str = "") -> ActionResult:
    return ActionResult(
        kind=step.action,
        device=step.target.device_id,
        identifier=step.target.identifier,
        user=step.target.user,
        ok=ok,
        message=message or f"TikTok was removed for user {step.target.user}.",
        code=code,
        at=T0,
    )


def test_a_removal_names_the_profile() -> None:
    step = step_of(ActionKind.UNINSTALL)
    assert (
        result_words(step, result(step), WORK.scan) == "TikTok was removed from the Work profile."
    )


def test_the_owner_is_the_main_profile() -> None:
    owner = assessment(finding(phone_app(user="0")))
    step = step_of(ActionKind.UNINSTALL, owner)
    assert result_words(step, result(step), owner.scan) == (
        "TikTok was removed from the main profile."
    )


def test_a_user_the_scan_does_not_name_is_called_by_its_number() -> None:
    step = step_of(ActionKind.UNINSTALL)
    unnamed = replace(WORK.scan, users=())
    assert result_words(step, result(step), unnamed) == "TikTok was removed from user 10."


def test_an_app_not_there_for_the_user_may_be_gone_or_frozen() -> None:
    """The phone gives the same answer for an app frozen there since the check: never 'gone'."""
    step = step_of(ActionKind.UNINSTALL)
    done = result(step, code="NOT_INSTALLED_FOR_USER")
    assert result_words(step, done, WORK.scan) == (
        "TikTok was not found installed in the Work profile: it is gone, or hidden (frozen) "
        "there, where Android does not let USB debugging remove it. The check that follows "
        "says which."
    )


def test_an_app_the_phone_does_not_know_was_already_gone() -> None:
    step = step_of(ActionKind.UNINSTALL)
    done = result(step, code="UNKNOWN_PACKAGE")
    assert result_words(step, done, WORK.scan) == (
        "TikTok was already gone from the Work profile: nothing was left to remove."
    )


def test_a_built_in_app_disabled_names_the_profile() -> None:
    built_in = assessment(
        finding(phone_app(user="10", system=True)), the_policy=policy(AppState.DISABLED)
    )
    step = step_of(ActionKind.DISABLE, built_in)
    assert result_words(step, result(step), built_in.scan) == (
        "TikTok was disabled in the Work profile."
    )


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (
            "DELETE_FAILED_DEVICE_POLICY_MANAGER",
            "Remove TikTok from the Work profile: not done. The phone answered "
            "DELETE_FAILED_DEVICE_POLICY_MANAGER.",
        ),
        (
            "DEVICE_GONE",
            "Remove TikTok from the Work profile: the phone stopped answering, so it is not "
            "known whether it was done. Scan again to see what happened.",
        ),
    ],
)
def test_a_failure_names_the_step(code: str, words: str) -> None:
    step = step_of(ActionKind.UNINSTALL)
    assert result_words(step, result(step, ok=False, code=code), WORK.scan) == words


def test_a_message_made_from_the_step_is_kept() -> None:
    step = step_of(ActionKind.UNINSTALL)
    message = f"{step.title}: not done. The adb server could not be reached."
    failed = result(step, ok=False, code="ADB_UNAVAILABLE", message=message)
    assert result_words(step, failed, WORK.scan) == message


def test_this_computers_results_keep_their_own_words() -> None:
    laptop = assessment(
        finding(local_app(IdentifierKind.DEB, "tiktok-desktop", user="system")),
        device=COMPUTER,
    )
    step = build_plans(laptop)[0].all_steps[0]
    done = result(step, message="The package tiktok-desktop was removed.")
    assert result_words(step, done, laptop.scan) == "The package tiktok-desktop was removed."
