"""Doing it on the phone by hand, for a TikTok built into the phone: Android offers no Uninstall
for such an app, so the steps say what the phone offers (Disable, Force stop, Uninstall updates)
and which of it the policy accepts."""

from __future__ import annotations

from audit.model import ActionKind, AppState
from audit.remediation import StepKind, plan_for
from tests.audit.remediation.builders import assessment, finding, phone_app, policy


def by_hand(*accepted: AppState, user: str = "0") -> tuple[str, str, str]:
    f = finding(phone_app(system=True, user=user))
    plan = plan_for(f, assessment(f, the_policy=policy(*accepted)))
    [step] = [s for s in plan.alternatives if s.action is ActionKind.MANUAL]
    assert step.kind is StepKind.MANUAL
    return step.title, " ".join(step.instructions), step.confirmation


def test_a_policy_that_accepts_disabled_is_told_to_disable_it_on_the_phone() -> None:
    title, words, confirmation = by_hand(AppState.DISABLED, user="10")
    assert title == "Disable TikTok on the phone yourself"
    assert "tap Uninstall" not in words
    assert "Android offers no Uninstall for an app that came with the phone" in words
    assert "offers Disable (on some phones Turn off), Force stop and" in words
    assert "Uninstall updates" in words
    assert "Tap Disable (or Turn off) and confirm: this policy accepts 'disabled'" in words
    assert "Force stop and Uninstall updates are not enough" in words
    assert "'Work' tab" in words
    assert confirmation == "I disabled TikTok in the Work profile on Galaxy S21 myself."


def test_a_policy_that_accepts_only_removal_for_the_user_says_the_phone_cannot_do_it() -> None:
    title, words, confirmation = by_hand(AppState.REMOVED_FOR_USER)
    assert title == "If Device Audit cannot remove TikTok over USB"
    assert "tap Uninstall" not in words and "Tap Disable" not in words
    assert "Android offers no Uninstall for an app that came with the phone" in words
    assert "None of these is accepted by this policy" in words
    assert "which only Device Audit can do, over USB" in words
    assert "ask your IT department (exceptions: Ask the Clerk.)" in words
    assert confirmation.startswith("I asked IT about TikTok")


def test_an_app_the_user_installed_is_still_uninstalled_on_the_phone() -> None:
    f = finding(phone_app())
    [step] = plan_for(f, assessment(f)).alternatives
    assert "Tap TikTok, then tap Uninstall, and confirm." in step.instructions
