"""The removal plans' words in the reader's language (issue 17).

Run in the pseudo-language, which wraps every catalogue string in ⟦ ⟧: a step whose title,
confirmation, instructions or reason do not start with ⟦ carries words that bypassed the
catalogue, and a French reader would meet English in the middle of the removal window.
Also: what a plan decides from a profile must not hang on the profile's English label (the
'Work' tab hint once compared the label with "Work profile", which no French label equals).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from audit.i18n import ENGLISH, PSEUDO, set_language
from audit.model import AppState, IdentifierKind, InstallOrigin, RunningProcess
from audit.remediation import build_plans, undo_step
from audit.remediation.execute import confirm_manual, not_there_words
from audit.remediation.local_plan import local_plan
from audit.remediation.steps import RemovalPlan, Rights, Step
from audit.remediation.verify import verify
from tests.audit.remediation import builders as b

MARK = "⟦"


@pytest.fixture(autouse=True)
def pseudo() -> Iterator[None]:
    set_language(PSEUDO)
    yield
    set_language(ENGLISH)


def texts(step: Step) -> list[str]:
    return [step.title, step.confirmation, *step.instructions, step.why_manual]


def untranslated(plans: tuple[RemovalPlan, ...]) -> list[str]:
    found = []
    for plan in plans:
        for step in plan.all_steps:
            found += [t for t in texts(step) if t and not t.startswith(MARK)]
        if plan.policy_note and not plan.policy_note.startswith(MARK):
            found.append(plan.policy_note)
    return found


PHONE_CASES = [
    b.phone_app(system=True),
    b.phone_app(user="10", state=AppState.HIDDEN),
    b.phone_app(user="10", system=True, state=AppState.HIDDEN),
    b.phone_app("com.example.paused", "Paused", state=AppState.SUSPENDED),
    b.phone_app("x;reboot", "Hostile"),
    b.phone_app("androidhwext", "Framework", system=True),
]


@pytest.mark.parametrize(
    "states",
    [
        (),
        (AppState.REMOVED_FOR_USER,),
        (AppState.DISABLED,),
        (AppState.REMOVED_FOR_USER, AppState.DISABLED),
    ],
)
@pytest.mark.parametrize("all_users", [False, True])
def test_every_phone_step_is_in_the_readers_language(
    states: tuple[AppState, ...], all_users: bool
) -> None:
    findings = [b.finding(app) for app in PHONE_CASES]
    assessment = b.assessment(*findings, the_policy=b.policy(*states))
    plans = build_plans(assessment, all_users=all_users)
    assert len(plans) == len(PHONE_CASES)
    assert untranslated(plans) == []
    undos = [undo_step(s) for p in plans for s in p.all_steps]
    assert [u.confirmation for u in undos if u and not u.confirmation.startswith(MARK)] == []


COMPUTER_CASES = [
    b.local_app(IdentifierKind.ARP_KEY, "TikTok", uninstall='"C:\\Apps\\TikTok\\uninst.exe" /S'),
    b.local_app(IdentifierKind.ARP_KEY, "TikTok", uninstall="cmd /c del C:\\x", user="system"),
    b.local_app(IdentifierKind.ARP_KEY, "TikTok", uninstall="C:\\u.exe", user="system"),
    b.local_app(
        IdentifierKind.APPX_NAME,
        "BytedancePte.Ltd.TikTok",
        uninstall="powershell -NoProfile -Command Remove-AppxPackage -Package "
        "BytedancePte.Ltd.TikTok_1.0.0.0_x64__6yccndn6064se",
    ),
    b.local_app(IdentifierKind.APPX_NAME, "TikTok", system=True),
    b.local_app(
        IdentifierKind.MACOS_BUNDLE, "com.zhiliaoapp.TikTok", location="/Applications/T.app"
    ),
    b.local_app(IdentifierKind.MACOS_BUNDLE, "com.apple.x", location="/System/Applications/X.app"),
    b.local_app(IdentifierKind.DEB, "tiktok"),
    b.local_app(IdentifierKind.DEB, "Bad Name;rm"),
    b.local_app(IdentifierKind.FLATPAK, "com.tiktok.App"),
    b.local_app(IdentifierKind.FLATPAK, "com.tiktok.App", user="system"),
    b.local_app(IdentifierKind.FLATPAK, "not a ref"),
    b.local_app(IdentifierKind.APPIMAGE, "TikTok.AppImage", location="/nonexistent/T.AppImage"),
    b.local_app(IdentifierKind.DESKTOP, "tiktok.desktop"),
    b.local_app(
        IdentifierKind.DESKTOP,
        "chrome-tiktok.desktop",
        origin=InstallOrigin.BROWSER,
        installer="Google Chrome web app",
    ),
    b.local_app(IdentifierKind.DESKTOP, "web.desktop", origin=InstallOrigin.BROWSER),
]


@pytest.mark.parametrize("admin", [False, True])
def test_every_step_on_this_computer_is_in_the_readers_language(admin: bool) -> None:
    running = [RunningProcess(pid=4242, name="tiktok")]
    plans = tuple(
        local_plan(b.finding(app, running=running), b.COMPUTER, rights=Rights(admin=admin))
        for app in COMPUTER_CASES
    )
    assert untranslated(plans) == []
    assert all(p.steps[0].title.startswith(MARK) for p in plans)  # "Close TikTok" included


def test_the_work_tab_hint_follows_the_profiles_kind_not_its_english_label() -> None:
    work = build_plans(b.assessment(b.finding(b.phone_app(user="10"))))[0]
    main = build_plans(b.assessment(b.finding(b.phone_app(user="0"))))[0]
    by_hand_work = " ".join(work.alternatives[0].instructions)
    by_hand_main = " ".join(main.alternatives[0].instructions)
    assert "'Wørk' táb" in by_hand_work  # the pseudo-language's "'Work' tab"
    assert "'Wørk'" not in by_hand_main


def test_what_a_person_confirms_and_what_the_rescan_says_are_in_their_language() -> None:
    assessment = b.assessment(b.finding(b.phone_app(user="10")))
    [plan] = build_plans(assessment)
    done = confirm_manual(plan.alternatives[0], "", "left it on the desk")
    assert done.message.startswith(MARK) and "left it on the desk" in done.message
    checks = verify(assessment, assessment).checks  # the same scan: a rescan that started early
    assert checks and all(c.message.startswith(MARK) for c in checks)
    assert not_there_words("TikTok", "", "UNKNOWN_PACKAGE").startswith(MARK)
