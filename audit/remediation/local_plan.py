"""Removal plans on this computer: close the app, then its uninstaller, or steps to follow.

What Device Audit does itself, after the person confirms: close the app's running processes;
run a per-user uninstaller (a Windows UninstallString read into an argument list, Remove-
AppxPackage for a Store app, `flatpak uninstall --user`); move a macOS app to the Trash; delete
an AppImage the person owns; and, when running as root, remove a system package with dpkg, rpm
or snap. As root, dpkg and rpm are used rather than apt or dnf because they refuse to remove a
package other packages need instead of removing those too, without asking, under --yes.

What needs rights the person does not have becomes a MANUAL step with the exact command to
copy (`sudo apt remove ...`): Device Audit never asks for a password. Browser web apps are
removed in the browser (browsers.py).
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, replace

from audit.model import (
    ActionKind,
    Device,
    Finding,
    IdentifierKind,
    InstalledApp,
    InstallOrigin,
)
from audit.policy.evaluate import PROCESS_COLLECTOR
from audit.remediation.browsers import browser_of, web_app_instructions
from audit.remediation.commandline import (
    appx_full_name,
    parse_uninstall_string,
    remove_appx_argv,
)
from audit.remediation.steps import (
    Operation,
    RemovalPlan,
    Rights,
    Step,
    Target,
    automatic_step,
    manual_step,
)

SYSTEM_USER = "system"  # InstalledApp.user of machine-wide installs (audit.sources.local.base)

DEB_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
RPM_NAME = re.compile(r"^[A-Za-z0-9_+][A-Za-z0-9._+-]*$")
SNAP_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*(?:_[a-z0-9]+)?$")
FLATPAK_ID = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$")


@dataclass(frozen=True)
class PackageTool:
    """How a system package of one kind is removed: as root by us, or by the person's command."""

    grammar: re.Pattern[str]  # a package name this tool accepts (anything else is refused)
    as_root: tuple[str, ...]  # what we run as root, before the package name
    copy: str  # the command the person runs ({} is the package name)
    tool: str  # what the person knows the tool as


PACKAGE_TOOLS = {
    IdentifierKind.DEB: PackageTool(DEB_NAME, ("dpkg", "--remove"), "sudo apt remove {}", "apt"),
    IdentifierKind.RPM: PackageTool(RPM_NAME, ("rpm", "--erase"), "sudo dnf remove {}", "dnf"),
    IdentifierKind.SNAP: PackageTool(SNAP_NAME, ("snap", "remove"), "sudo snap remove {}", "snap"),
}

_ADMIN_WHY = (
    "Removing it needs administrator rights, and Device Audit never asks for your password: "
    "run the command yourself."
)


def local_target(finding: Finding, device: Device) -> Target:
    app = finding.app
    if app.user == SYSTEM_USER:
        label = "everyone on this computer"
    elif app.user:
        label = f"your user account ({app.user})"
    else:
        label = "this computer"
    return Target(
        device_id=device.id,
        device_name=device.name or "this computer",
        identifier=app.identifier,
        id_kind=app.kind,
        user=app.user,
        user_label=label,
        app_name=app.label,
    )


def local_plan(finding: Finding, device: Device, *, rights: Rights) -> RemovalPlan:
    target = local_target(finding, device)
    app = finding.app
    steps: list[Step] = []
    if finding.running:
        steps.append(close_step(finding, target))
    removal, alternatives = _removal(app, target, rights=rights)
    steps.append(removal)
    return RemovalPlan(finding, device, tuple(steps), tuple(alternatives))


def close_step(finding: Finding, target: Target) -> Step:
    name = target.app_name
    count = len(finding.running)
    what = "1 process" if count == 1 else f"{count} processes"
    return automatic_step(
        ActionKind.CLOSE_APP,
        Operation.CLOSE_PROCESSES,
        target,
        title=f"Close {name}",
        confirmation=f"{name} is running now ({what}). It will be closed: anything unsaved in "
        "it will be lost. It is asked to quit first, and stopped if it has not quit after a few "
        "seconds.",
        processes=finding.running,
    )


def _manual(
    target: Target,
    suffix: str,
    title: str,
    instructions: tuple[str, ...],
    *,
    why: str,
    copy_command: str = "",
    confirmation: str = "",
) -> Step:
    return manual_step(
        target,
        suffix,
        title,
        instructions,
        confirmation=confirmation or f"I removed {target.app_name} from this computer myself.",
        why=why,
        copy_command=copy_command,
    )


def _only(by_hand: Step, why: str) -> tuple[Step, list[Step]]:
    """The by-hand way as the only way, saying why Device Audit cannot do it itself."""
    return replace(by_hand, why_manual=why), []


def _run(target: Target, argv: tuple[str, ...], title: str, confirmation: str) -> Step:
    return automatic_step(
        ActionKind.RUN_UNINSTALLER,
        Operation.RUN_COMMAND,
        target,
        title=title,
        confirmation=confirmation,
        command=argv,
    )


def _removal(app: InstalledApp, target: Target, *, rights: Rights) -> tuple[Step, list[Step]]:
    """The step that removes the app, and other ways to do it."""
    if app.collector == PROCESS_COLLECTOR:
        return _portable(app, target), []
    if app.origin is InstallOrigin.BROWSER:
        return _web_app(app, target), []
    kind = app.kind
    if kind is IdentifierKind.ARP_KEY:
        return _windows_program(app, target, rights)
    if kind in (IdentifierKind.APPX_NAME, IdentifierKind.APPX_PFN):
        return _windows_store_app(app, target)
    if kind is IdentifierKind.MACOS_BUNDLE:
        return _macos_bundle(app, target)
    if kind in PACKAGE_TOOLS:
        return _system_package(app, target, rights, PACKAGE_TOOLS[kind])
    if kind is IdentifierKind.FLATPAK:
        return _flatpak(app, target, rights)
    if kind is IdentifierKind.APPIMAGE:
        return _appimage(app, target)
    if kind is IdentifierKind.DESKTOP:
        return _launcher(app, target), []
    return (
        _manual(
            target,
            "remove",
            f"Remove {target.app_name} yourself",
            (f"Uninstall {target.app_name} the way this system removes programs.",),
            why="Device Audit does not know how this app was installed.",
        ),
        [],
    )


# --- Windows ---------------------------------------------------------------------------------


def _settings_apps(name: str) -> tuple[str, ...]:
    return (
        "Open Start > Settings > Apps > Installed apps (on Windows 10: Apps & features).",
        f"Find {name}, click ⋯ (or select it) and choose Uninstall, then follow the uninstaller.",
    )


def _windows_program(app: InstalledApp, target: Target, rights: Rights) -> tuple[Step, list[Step]]:
    name = target.app_name
    raw = app.quiet_uninstall_command or app.uninstall_command
    parsed = parse_uninstall_string(raw)
    if not parsed.ok and app.quiet_uninstall_command and app.uninstall_command:
        parsed = parse_uninstall_string(app.uninstall_command)
    by_hand = _manual(
        target, "settings", f"Uninstall {name} in Windows Settings", _settings_apps(name), why=""
    )
    if not parsed.ok:
        return _only(by_hand, why=f"Device Audit will not run it: {parsed.problem}.")
    machine_wide = app.user == SYSTEM_USER
    if machine_wide and not rights.admin:
        as_admin = replace(
            by_hand,
            instructions=(
                *by_hand.instructions,
                "Windows asks for an administrator's permission: it is installed for everyone "
                "on this computer.",
            ),
        )
        return _only(
            as_admin,
            why="It is installed for everyone on this computer, so removing it needs "
            "administrator rights; Device Audit never asks for a password.",
        )
    program = parsed.argv[0]
    who = "everyone on this computer" if machine_wide else "your user account"
    step = _run(
        target,
        parsed.argv,
        f"Uninstall {name}",
        f"{name}'s own uninstaller will be started ({program}) to remove it for {who}. If it "
        "opens a window, follow it to the end. Its settings and data on this computer may be "
        "deleted.",
    )
    return step, [by_hand]


def _windows_store_app(app: InstalledApp, target: Target) -> tuple[Step, list[Step]]:
    name = target.app_name
    by_hand = _manual(
        target, "settings", f"Uninstall {name} in Windows Settings", _settings_apps(name), why=""
    )
    if app.system:
        return (
            _manual(
                target,
                "contact-it",
                f"Ask IT about {name}",
                (
                    f"{name} is part of Windows on this computer and cannot be uninstalled "
                    "by a user.",
                    "Contact your IT department.",
                ),
                why="Windows does not let a user remove its own built-in apps.",
                confirmation=f"I contacted IT about {name}.",
            ),
            [],
        )
    full_name = appx_full_name(app.uninstall_command)
    if full_name is None:
        return _only(by_hand, why="The scan did not record the Store package's full name.")
    step = _run(
        target,
        remove_appx_argv(full_name),
        f"Uninstall {name}",
        f"{name} (a Microsoft Store app) will be removed for your user account with "
        "Remove-AppxPackage. Its data for your account will be deleted. Other accounts on this "
        "computer are not changed.",
    )
    return step, [by_hand]


# --- macOS -----------------------------------------------------------------------------------


def _writable_parent(path: str) -> bool:
    parent = os.path.dirname(path.rstrip("/")) or "/"
    return bool(path) and os.access(parent, os.W_OK)


def _macos_bundle(app: InstalledApp, target: Target) -> tuple[Step, list[Step]]:
    name = target.app_name
    path = app.location
    folder = os.path.dirname(path.rstrip("/"))
    finder = (
        f"In Finder, open the folder {folder or 'Applications'}.",
        f"Drag {name} to the Trash (macOS may ask for an administrator's name and password), "
        "then empty the Trash.",
    )
    if app.system or path.startswith("/System/"):
        return (
            _manual(
                target,
                "contact-it",
                f"Ask IT about {name}",
                (f"{name} is part of macOS and cannot be removed by a user.",),
                why="macOS protects the apps it comes with.",
                confirmation=f"I contacted IT about {name}.",
            ),
            [],
        )
    by_hand = _manual(target, "finder", f"Move {name} to the Trash yourself", finder, why="")
    if not path or not _writable_parent(path):
        return _only(
            by_hand,
            why="Your account may not change the folder it is in: moving it needs an "
            "administrator, and Device Audit never asks for a password.",
        )
    step = automatic_step(
        ActionKind.RUN_UNINSTALLER,
        Operation.MOVE_TO_TRASH,
        target,
        way="trash",
        title=f"Move {name} to the Trash",
        confirmation=f"{name} ({path}) will be moved to the Trash. You can put it back from the "
        "Trash until you empty it. Its settings in your Library folder are not deleted.",
        restorable=True,
        path=path,
    )
    return step, [by_hand]


# --- Linux -----------------------------------------------------------------------------------


def _system_package(
    app: InstalledApp, target: Target, rights: Rights, how: PackageTool
) -> tuple[Step, list[Step]]:
    name = target.app_name
    package = app.identifier
    if not how.grammar.match(package):
        return (
            _manual(
                target,
                "terminal",
                f"Remove {name} yourself",
                (f"Uninstall {name} with your software centre or {how.tool}.",),
                why=f"{package!r} is not a valid {how.tool} package name, so Device Audit will not "
                "put it into a command.",
            ),
            [],
        )
    command = how.copy.format(package)
    terminal = (
        "Open a terminal.",
        f"Run: {command}",
        f"Enter your password when sudo asks, check the list of what {how.tool} will remove, and "
        "confirm.",
    )
    by_hand = _manual(
        target, "terminal", f"Remove {name} in a terminal", terminal, why="", copy_command=command
    )
    if not rights.admin:
        return _only(by_hand, why=_ADMIN_WHY)
    step = _run(
        target,
        (*how.as_root, package),
        f"Remove the package {package}",
        f"The package {package} will be removed from this computer, for every user, with "
        f"{how.as_root[0]}. If other installed packages need it, nothing is removed and you are "
        "told so.",
    )
    return step, [by_hand]


def _flatpak(app: InstalledApp, target: Target, rights: Rights) -> tuple[Step, list[Step]]:
    name = target.app_name
    ref = app.identifier
    user_install = app.user != SYSTEM_USER
    scope = "--user" if user_install else "--system"
    if not FLATPAK_ID.match(ref):
        return (
            _manual(
                target,
                "terminal",
                f"Remove {name} yourself",
                (f"Uninstall {name} with your software centre.",),
                why=f"{ref!r} is not a valid Flatpak application id.",
            ),
            [],
        )
    command = f"flatpak uninstall {scope} {ref}"
    terminal = ("Open a terminal.", f"Run: {command}", "Confirm when flatpak asks.")
    by_hand = _manual(
        target, "terminal", f"Remove {name} in a terminal", terminal, why="", copy_command=command
    )
    if not user_install and not rights.admin:
        return _only(
            by_hand,
            why="It is installed for everyone on this computer, so removing it needs "
            "administrator rights; Device Audit never asks for your password.",
        )
    who = "your user account" if user_install else "everyone on this computer"
    data = f" Its data in ~/.var/app/{ref} stays until you delete it." if user_install else ""
    step = _run(
        target,
        ("flatpak", "uninstall", scope, "--assumeyes", "--noninteractive", ref),
        f"Uninstall {name} (Flatpak)",
        f"{name} will be uninstalled for {who} with flatpak ({ref}).{data}",
    )
    return step, [by_hand]


def _appimage(app: InstalledApp, target: Target) -> tuple[Step, list[Step]]:
    name = target.app_name
    path = app.location
    command = f"rm {shlex.quote(path)}"
    if not path or not _writable_parent(path):
        return (
            _manual(
                target,
                "terminal",
                f"Delete the {name} AppImage",
                ("Open a terminal.", f"Run: sudo {command}"),
                why="Your account may not change the folder the file is in; Device Audit never "
                "asks for a password.",
                copy_command=f"sudo {command}",
            ),
            [],
        )
    step = automatic_step(
        ActionKind.RUN_UNINSTALLER,
        Operation.DELETE_FILE,
        target,
        way="delete",
        title=f"Delete the {name} AppImage",
        confirmation=f"The file {path} will be deleted. It is not moved to the Trash and "
        "cannot be restored.",
        path=path,
    )
    by_hand = _manual(
        target,
        "files",
        f"Delete the {name} AppImage yourself",
        (f"In your file manager, delete {path}.",),
        why="",
    )
    return step, [by_hand]


def _launcher(app: InstalledApp, target: Target) -> Step:
    name = target.app_name
    return _manual(
        target,
        "launcher",
        f"Remove {name} yourself",
        (
            f"{name} is in your app menu through the launcher file {app.location or app.identifier}"
            ", which does not say what installed it.",
            "Uninstall it with your software centre, or delete the program it starts and then "
            "the launcher file.",
        ),
        why="The launcher does not say how the program was installed.",
    )


def _portable(app: InstalledApp, target: Target) -> Step:
    name = target.app_name
    where = app.location or name
    return _manual(
        target,
        "portable",
        f"Delete the {name} program",
        (
            f"{name} was seen running from {where}, but no installed program lists it: it is "
            "probably a copy that was downloaded and run without installing.",
            f"Close it, then delete {where} (and the folder it came in, if it was unpacked "
            "from an archive).",
        ),
        why="A program that was never installed has no uninstaller.",
    )


def _web_app(app: InstalledApp, target: Target) -> Step:
    browser = browser_of(app.installer)
    return _manual(
        target,
        "web-app",
        f"Uninstall the {target.app_name} web app in {browser.name}",
        web_app_instructions(target.app_name, app.installer),
        why="A web app belongs to the browser that installed it: only the browser can remove it "
        "for good.",
    )
