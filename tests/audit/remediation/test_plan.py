"""Removal plans from tables: which step, which words, for every kind of app and right."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audit.model import (
    ActionKind,
    AppState,
    FindingStatus,
    IdentifierKind,
    InstallOrigin,
    RunningProcess,
)
from audit.remediation import (
    Operation,
    Rights,
    StepKind,
    build_plans,
    plan_for,
    restore_step,
    undo_step,
    unique_steps,
)
from tests.audit.remediation.builders import (
    COMPUTER,
    assessment,
    finding,
    local_app,
    phone_app,
    policy,
)

USER = Rights(admin=False)
ROOT = Rights(admin=True)

# --- phones ------------------------------------------------------------------------------------


def test_user_app_in_work_profile_is_uninstalled_for_that_user_with_exact_words() -> None:
    f = finding(phone_app(user="10"))
    plan = plan_for(f, assessment(f))
    (step,) = plan.steps
    assert step.kind is StepKind.AUTOMATIC
    assert step.action is ActionKind.UNINSTALL
    assert step.operation is Operation.PHONE
    assert (step.target.user, step.target.user_label) == ("10", "Work profile")
    assert step.title == "Remove TikTok from the Work profile"
    assert step.confirmation == (
        "TikTok will be uninstalled from the Work profile on Galaxy S21. Its data in "
        "the work profile will be deleted. Other profiles are not changed."
    )
    assert not step.restorable
    # If it fails, the person can still do it on the phone.
    (by_hand,) = plan.alternatives
    assert by_hand.kind is StepKind.MANUAL
    assert any("'Work' tab" in line for line in by_hand.instructions)


def test_two_different_apps_of_the_same_name_are_told_apart_by_their_identifiers() -> None:
    global_app = finding(phone_app("com.zhiliaoapp.musically", "TikTok"))
    asia = finding(phone_app("com.ss.android.ugc.trill", "TikTok"))
    lite = finding(phone_app("com.zhiliaoapp.musically.go", "TikTok Lite"))
    titles = [plan.steps[0].title for plan in build_plans(assessment(global_app, asia, lite))]
    assert titles == [
        "Remove TikTok (com.zhiliaoapp.musically) from the main profile",
        "Remove TikTok (com.ss.android.ugc.trill) from the main profile",
        "Remove TikTok Lite from the main profile",
    ]
    # One app of that name, in two profiles, is the same app: no identifier needed.
    both = assessment(global_app, finding(phone_app(user="10")))
    assert [p.steps[0].title for p in build_plans(both)] == [
        "Remove TikTok from the main profile",
        "Remove TikTok from the Work profile",
    ]


def test_all_users_on_request_is_one_step_shared_by_every_finding_of_that_app() -> None:
    owner, work = finding(phone_app(user="0")), finding(phone_app(user="10"))
    capcut = finding(phone_app("com.lemon.lvoverseas", "CapCut", user="0"))
    plans = build_plans(assessment(owner, work, capcut), all_users=True, rights=USER)
    assert [p.steps[0].action for p in plans] == [ActionKind.UNINSTALL_ALL_USERS] * 3
    assert plans[0].steps[0].id == plans[1].steps[0].id != plans[2].steps[0].id
    steps = unique_steps(plans)
    assert len(steps) == 2
    assert (
        "every user and profile on Galaxy S21 (it is in the main profile and the work profile)"
        in steps[0].confirmation
    )


SYSTEM_CASES = [
    # accepted states, app state -> main action, alternative actions, words in the note
    (
        (AppState.REMOVED_FOR_USER,),
        AppState.INSTALLED,
        ActionKind.UNINSTALL,
        [ActionKind.MANUAL],
        "accepts 'removed for this user' (the copy built into the phone stays, and can be "
        "restored) but not 'disabled'",
    ),
    (
        (AppState.DISABLED,),
        AppState.INSTALLED,
        ActionKind.DISABLE,
        [ActionKind.MANUAL],
        "accepts 'disabled' (the app stays on the phone, switched off) but not 'removed for "
        "this user'",
    ),
    (
        (AppState.REMOVED_FOR_USER, AppState.DISABLED),
        AppState.INSTALLED,
        ActionKind.UNINSTALL,
        [ActionKind.DISABLE, ActionKind.MANUAL],
        "accepts 'removed for this user'",
    ),
    (
        (AppState.REMOVED_FOR_USER,),
        AppState.DISABLED,
        ActionKind.UNINSTALL,
        [ActionKind.MANUAL],
        "but not 'disabled'",
    ),
    ((), AppState.INSTALLED, ActionKind.MANUAL, [], "requires the manufacturer's copy"),
    (
        (AppState.DISABLED,),
        AppState.REMOVED_FOR_USER,
        ActionKind.MANUAL,
        [],
        "but not 'removed for this user'",
    ),
]


@pytest.mark.parametrize(("accepted", "state", "main", "alternatives", "note"), SYSTEM_CASES)
def test_system_app_follows_the_policys_compliant_states(
    accepted: tuple[AppState, ...],
    state: AppState,
    main: ActionKind,
    alternatives: list[ActionKind],
    note: str,
) -> None:
    f = finding(phone_app(system=True, state=state))
    plan = plan_for(f, assessment(f, the_policy=policy(*accepted)))
    (step,) = plan.steps
    assert step.action is main
    assert [s.action for s in plan.alternatives] == alternatives
    assert note in plan.policy_note
    if main is ActionKind.MANUAL:
        assert step.kind is StepKind.MANUAL
        assert "Contact your IT department" in " ".join(step.instructions)
        assert "Ask the Clerk." in " ".join(step.instructions)  # the policy's exception route
    else:
        assert step.restorable
        assert plan.policy_note in step.confirmation


def test_restoring_a_built_in_app_undoes_the_removal_for_that_user() -> None:
    f = finding(phone_app(system=True))
    (step,) = plan_for(f, assessment(f)).steps
    undo = undo_step(step)
    assert undo is not None and undo == restore_step(step.target)
    assert (undo.action, undo.target.user) == (ActionKind.RESTORE, "0")
    f2 = finding(phone_app(system=True))
    (disable,) = plan_for(f2, assessment(f2, the_policy=policy(AppState.DISABLED))).steps
    enable = undo_step(disable)
    assert enable is not None and enable.action is ActionKind.ENABLE
    user_app = finding(phone_app())
    assert undo_step(plan_for(user_app, assessment(user_app)).steps[0]) is None


def test_only_violations_get_plans() -> None:
    excepted = finding(phone_app(), status=FindingStatus.EXCEPTED)
    violation = finding(phone_app(user="10"))
    plans = build_plans(assessment(excepted, violation), rights=USER)
    assert [p.finding for p in plans] == [violation]
    with pytest.raises(ValueError, match="only violations"):
        plan_for(excepted, assessment(excepted))


# --- this computer -------------------------------------------------------------------------------


def local_plan(app_finding, rights: Rights = USER):  # type: ignore[no-untyped-def]
    return plan_for(app_finding, assessment(app_finding, device=COMPUTER, users=()), rights=rights)


GUID = "{12345678-ABCD-1234-ABCD-1234567890AB}"

WINDOWS_CASES = [
    # user, UninstallString, quiet, rights -> argv or None (manual), words of why
    (
        "anna",
        r'"C:\Users\anna\AppData\Local\CapCut\uninst.exe" /S',
        "",
        USER,
        (r"C:\Users\anna\AppData\Local\CapCut\uninst.exe", "/S"),
        "",
    ),
    (
        "anna",
        r"C:\Program Files\TikTok\uninstall.exe --mode unattended",
        "",
        USER,
        (r"C:\Program Files\TikTok\uninstall.exe", "--mode", "unattended"),
        "",
    ),
    ("system", f"MsiExec.exe /I{GUID}", "", ROOT, ("msiexec.exe", "/x", GUID), ""),
    (
        "system",
        f"MsiExec.exe /X{GUID}",
        f"MsiExec.exe /X{GUID} /qn",
        ROOT,
        ("msiexec.exe", "/x", GUID, "/qn"),
        "",
    ),
    ("system", r'"C:\Program Files\TikTok\uninst.exe"', "", USER, None, "administrator rights"),
    ("anna", r"cmd /c del /q C:\Users\anna & calc.exe", "", USER, None, "runs cmd"),
    ("anna", r"powershell -c Remove-Item ~ -Recurse", "", USER, None, "runs powershell"),
    ("anna", "uninst.exe /S", "", USER, None, "full path"),
    ("anna", "MsiExec.exe /X{not-a-guid} & calc", "", USER, None, "does not recognise"),
    ("anna", "", "", USER, None, "no uninstall command"),
]


@pytest.mark.parametrize("case", WINDOWS_CASES)
def test_windows_uninstall_strings_are_argument_lists_or_manual_steps(
    case: tuple[str, str, str, Rights, tuple[str, ...] | None, str],
) -> None:
    user, uninstall, quiet, rights, argv, why = case
    app = local_app(IdentifierKind.ARP_KEY, "TikTok", user=user, uninstall=uninstall, quiet=quiet)
    plan = local_plan(finding(app), rights)
    (step,) = plan.steps
    if argv is None:
        assert step.kind is StepKind.MANUAL
        assert why in step.why_manual
        assert "Settings > Apps" in step.instructions[0]
        assert not step.command
    else:
        assert step.kind is StepKind.AUTOMATIC
        assert step.operation is Operation.RUN_COMMAND
        assert step.command == argv
        assert step.action is ActionKind.RUN_UNINSTALLER


def test_windows_store_app_is_removed_with_remove_appxpackage_as_an_argument_list() -> None:
    full = "BytedancePte.Ltd.TikTok_1.0.0.0_x64__6yccndn6064se"
    app = local_app(
        IdentifierKind.APPX_NAME,
        "BytedancePte.Ltd.TikTok",
        uninstall=f"powershell -NoProfile -Command Remove-AppxPackage -Package {full}",
    )
    (step,) = local_plan(finding(app)).steps
    assert step.command == (
        "powershell",
        "-NoProfile",
        "-NonInteractive",
        "-Command",
        "Remove-AppxPackage",
        "-Package",
        full,
    )
    hostile = local_app(
        IdentifierKind.APPX_NAME,
        "BytedancePte.Ltd.TikTok",
        uninstall="powershell -NoProfile -Command Remove-AppxPackage -Package x;Remove-Item~",
    )
    (manual,) = local_plan(finding(hostile)).steps
    assert manual.kind is StepKind.MANUAL and not manual.command
    built_in = local_app(IdentifierKind.APPX_NAME, "Microsoft.Tiktok", system=True)
    assert "part of Windows" in local_plan(finding(built_in)).steps[0].instructions[0]


def test_macos_bundle_goes_to_the_trash_when_the_folder_is_writable(tmp_path: Path) -> None:
    bundle = tmp_path / "TikTok.app"
    bundle.mkdir()
    app = local_app(IdentifierKind.MACOS_BUNDLE, "com.zhiliaoapp.musically", location=str(bundle))
    (step,) = local_plan(finding(app)).steps
    assert (step.operation, step.path, step.restorable) == (
        Operation.MOVE_TO_TRASH,
        str(bundle),
        True,
    )
    locked = local_app(
        IdentifierKind.MACOS_BUNDLE,
        "com.zhiliaoapp.musically",
        location=str(tmp_path / "missing-folder" / "TikTok.app"),
    )
    (manual,) = local_plan(finding(locked)).steps
    assert manual.kind is StepKind.MANUAL
    assert "Drag TikTok to the Trash" in manual.instructions[1]


LINUX_PACKAGE_CASES = [
    # kind, identifier, user, rights -> argv (automatic) or the command to copy (manual)
    (IdentifierKind.DEB, "tiktok-desktop", "system", USER, None, "sudo apt remove tiktok-desktop"),
    (
        IdentifierKind.DEB,
        "tiktok-desktop",
        "system",
        ROOT,
        ("dpkg", "--remove", "tiktok-desktop"),
        "",
    ),
    (IdentifierKind.RPM, "tiktok", "system", USER, None, "sudo dnf remove tiktok"),
    (IdentifierKind.RPM, "tiktok", "system", ROOT, ("rpm", "--erase", "tiktok"), ""),
    (IdentifierKind.SNAP, "tiktok", "system", USER, None, "sudo snap remove tiktok"),
    (IdentifierKind.SNAP, "tiktok", "system", ROOT, ("snap", "remove", "tiktok"), ""),
    (
        IdentifierKind.FLATPAK,
        "com.example.TikTok",
        "anna",
        USER,
        ("flatpak", "uninstall", "--user", "--assumeyes", "--noninteractive", "com.example.TikTok"),
        "",
    ),
    (
        IdentifierKind.FLATPAK,
        "com.example.TikTok",
        "system",
        USER,
        None,
        "flatpak uninstall --system com.example.TikTok",
    ),
    (IdentifierKind.DEB, "tiktok;rm -rf ~", "system", ROOT, None, ""),
]


@pytest.mark.parametrize("case", LINUX_PACKAGE_CASES)
def test_linux_packages_run_only_with_rights_else_show_the_command(
    case: tuple[IdentifierKind, str, str, Rights, tuple[str, ...] | None, str],
) -> None:
    kind, identifier, user, rights, argv, copy = case
    app = local_app(kind, identifier, user=user, origin=InstallOrigin.PACKAGE_MANAGER)
    (step,) = local_plan(finding(app), rights).steps
    if argv is not None:
        assert step.kind is StepKind.AUTOMATIC
        assert step.command == argv
    else:
        assert step.kind is StepKind.MANUAL
        assert not step.command
        assert step.copy_command == copy
        if copy:
            assert f"Run: {copy}" in step.instructions
            assert "never asks for your password" in step.why_manual
        else:
            assert "not a valid" in step.why_manual


def test_appimage_is_deleted_when_the_person_owns_its_folder(tmp_path: Path) -> None:
    image = tmp_path / "TikTok-1.0-x86_64.AppImage"
    image.write_bytes(b"\x7fELF")
    app = local_app(IdentifierKind.APPIMAGE, image.name, location=str(image))
    (step,) = local_plan(finding(app)).steps
    assert (step.operation, step.path) == (Operation.DELETE_FILE, str(image))
    assert "cannot be restored" in step.confirmation
    elsewhere = local_app(
        IdentifierKind.APPIMAGE, "x.AppImage", location=str(tmp_path / "no" / "x.AppImage")
    )
    (manual,) = local_plan(finding(elsewhere)).steps
    assert manual.kind is StepKind.MANUAL
    assert manual.copy_command.startswith("sudo rm ")


WEB_APP_CASES = [
    (IdentifierKind.DESKTOP, "Google Chrome web app", "chrome://apps"),
    (IdentifierKind.ARP_KEY, "Microsoft Edge web app (HKCU)", "edge://apps"),
    (IdentifierKind.DESKTOP, "Chromium web app", "chrome://apps"),
    (IdentifierKind.DESKTOP, "GNOME Web web app", "about:applications"),
    (IdentifierKind.DESKTOP, "Firefox (PWAsForFirefox) web app", "Firefox itself cannot"),
    (IdentifierKind.MACOS_BUNDLE, "Safari web app", "Go > Home"),
    (IdentifierKind.DESKTOP, "Strange browser web app", "list of installed apps"),
]


@pytest.mark.parametrize(("kind", "installer", "words"), WEB_APP_CASES)
def test_web_apps_get_step_by_step_instructions_for_their_browser(
    kind: IdentifierKind, installer: str, words: str
) -> None:
    app = local_app(
        kind,
        "chrome-abc-Default.desktop",
        origin=InstallOrigin.BROWSER,
        installer=installer,
        uninstall=r'"C:\chrome_proxy.exe" --uninstall-app-id=abc',
    )
    (step,) = local_plan(finding(app), ROOT).steps
    assert step.kind is StepKind.MANUAL
    assert not step.command
    assert words in " ".join(step.instructions)
    assert "TikTok" in " ".join(step.instructions)


def test_a_running_app_is_closed_first() -> None:
    process = RunningProcess(pid=4242, name="TikTok", exe="/opt/TikTok/TikTok", user="anna")
    app = local_app(IdentifierKind.FLATPAK, "com.example.TikTok")
    close, remove = local_plan(finding(app, running=[process])).steps
    assert close.action is ActionKind.CLOSE_APP
    assert close.processes == (process,)
    assert "running now (1 process)" in close.confirmation
    assert remove.action is ActionKind.RUN_UNINSTALLER


def test_a_program_seen_only_running_is_closed_then_deleted_by_hand() -> None:
    process = RunningProcess(pid=77, name="TikTok", exe="/home/anna/Downloads/TikTok", user="anna")
    app = local_app(IdentifierKind.DESKTOP, "TikTok", location=process.exe)
    app = type(app)(**{**app.__dict__, "collector": "running processes"})
    close, delete = local_plan(finding(app, running=[process])).steps
    assert close.operation is Operation.CLOSE_PROCESSES
    assert delete.kind is StepKind.MANUAL
    assert "/home/anna/Downloads/TikTok" in " ".join(delete.instructions)


def test_rights_of_this_process_are_read_from_the_os() -> None:
    assert Rights.current().admin is (os.geteuid() == 0)
