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

from audit.i18n import N_, _, ngettext
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

_ADMIN_WHY = N_(
    "Removing it needs administrator rights, and Device Audit never asks for your password: "
    "run the command yourself."
)


def local_target(finding: Finding, device: Device) -> Target:
    app = finding.app
    if app.user == SYSTEM_USER:
        label = _("everyone on this computer")
    elif app.user:
        label = _("your user account ({user})").format(user=app.user)
    else:
        label = _("this computer")
    return Target(
        device_id=device.id,
        device_name=device.name or _("this computer"),
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
    return automatic_step(
        ActionKind.CLOSE_APP,
        Operation.CLOSE_PROCESSES,
        target,
        title=_("Close {app}").format(app=name),
        confirmation=ngettext(
            "{app} is running now ({count} process). It will be closed: anything unsaved in "
            "it will be lost. It is asked to quit first, and stopped if it has not quit after a "
            "few seconds.",
            "{app} is running now ({count} processes). It will be closed: anything unsaved in "
            "it will be lost. It is asked to quit first, and stopped if it has not quit after a "
            "few seconds.",
            count,
        ).format(app=name, count=count),
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
        confirmation=confirmation
        or _("I removed {app} from this computer myself.").format(app=target.app_name),
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
            _yourself(target.app_name),
            (
                _("Uninstall {app} the way this system removes programs.").format(
                    app=target.app_name
                ),
            ),
            why=_("Device Audit does not know how this app was installed."),
        ),
        [],
    )


# --- Windows ---------------------------------------------------------------------------------


def _settings_apps(name: str) -> tuple[str, ...]:
    # Translators: the menu names are Windows' own: use the ones Windows shows in your language.
    return (
        _("Open Start > Settings > Apps > Installed apps (on Windows 10: Apps & features)."),
        _(
            "Find {app}, click ⋯ (or select it) and choose Uninstall, then follow the uninstaller."
        ).format(app=name),
    )


def _yourself(name: str) -> str:
    return _("Remove {app} yourself").format(app=name)


def _in_settings(name: str) -> str:
    return _("Uninstall {app} in Windows Settings").format(app=name)


def _ask_it(name: str) -> str:
    return _("Ask IT about {app}").format(app=name)


def _contacted_it(name: str) -> str:
    return _("I contacted IT about {app}.").format(app=name)


def _in_terminal(name: str) -> str:
    return _("Remove {app} in a terminal").format(app=name)


def _run_command(command: str) -> str:
    return _("Run: {command}").format(command=command)


def _windows_program(app: InstalledApp, target: Target, rights: Rights) -> tuple[Step, list[Step]]:
    name = target.app_name
    raw = app.quiet_uninstall_command or app.uninstall_command
    parsed = parse_uninstall_string(raw)
    if not parsed.ok and app.quiet_uninstall_command and app.uninstall_command:
        parsed = parse_uninstall_string(app.uninstall_command)
    by_hand = _manual(target, "settings", _in_settings(name), _settings_apps(name), why="")
    if not parsed.ok:
        return _only(
            by_hand,
            why=_("Device Audit will not run it: {problem}.").format(problem=parsed.problem),
        )
    machine_wide = app.user == SYSTEM_USER
    if machine_wide and not rights.admin:
        as_admin = replace(
            by_hand,
            instructions=(
                *by_hand.instructions,
                _(
                    "Windows asks for an administrator's permission: it is installed for "
                    "everyone on this computer."
                ),
            ),
        )
        return _only(
            as_admin,
            why=_(
                "It is installed for everyone on this computer, so removing it needs "
                "administrator rights; Device Audit never asks for a password."
            ),
        )
    program = parsed.argv[0]
    if machine_wide:
        confirmation = _(
            "{app}'s own uninstaller will be started ({program}) to remove it for everyone on "
            "this computer. If it opens a window, follow it to the end. Its settings and data on "
            "this computer may be deleted."
        )
    else:
        confirmation = _(
            "{app}'s own uninstaller will be started ({program}) to remove it for your user "
            "account. If it opens a window, follow it to the end. Its settings and data on this "
            "computer may be deleted."
        )
    step = _run(
        target,
        parsed.argv,
        _("Uninstall {app}").format(app=name),
        confirmation.format(app=name, program=program),
    )
    return step, [by_hand]


def _windows_store_app(app: InstalledApp, target: Target) -> tuple[Step, list[Step]]:
    name = target.app_name
    by_hand = _manual(target, "settings", _in_settings(name), _settings_apps(name), why="")
    if app.system:
        return (
            _manual(
                target,
                "contact-it",
                _ask_it(name),
                (
                    _(
                        "{app} is part of Windows on this computer and cannot be uninstalled "
                        "by a user."
                    ).format(app=name),
                    _("Contact your IT department."),
                ),
                why=_("Windows does not let a user remove its own built-in apps."),
                confirmation=_contacted_it(name),
            ),
            [],
        )
    full_name = appx_full_name(app.uninstall_command)
    if full_name is None:
        return _only(by_hand, why=_("The scan did not record the Store package's full name."))
    step = _run(
        target,
        remove_appx_argv(full_name),
        _("Uninstall {app}").format(app=name),
        _(
            "{app} (a Microsoft Store app) will be removed for your user account with "
            "Remove-AppxPackage. Its data for your account will be deleted. Other accounts on "
            "this computer are not changed."
        ).format(app=name),
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
        # Translators: "Applications" is the Mac's folder, as Finder names it in your language.
        _("In Finder, open the folder {folder}.").format(folder=folder or _("Applications")),
        _(
            "Drag {app} to the Trash (macOS may ask for an administrator's name and password), "
            "then empty the Trash."
        ).format(app=name),
    )
    if app.system or path.startswith("/System/"):
        return (
            _manual(
                target,
                "contact-it",
                _ask_it(name),
                (_("{app} is part of macOS and cannot be removed by a user.").format(app=name),),
                why=_("macOS protects the apps it comes with."),
                confirmation=_contacted_it(name),
            ),
            [],
        )
    by_hand = _manual(
        target, "finder", _("Move {app} to the Trash yourself").format(app=name), finder, why=""
    )
    if not path or not _writable_parent(path):
        return _only(
            by_hand,
            why=_(
                "Your account may not change the folder it is in: moving it needs an "
                "administrator, and Device Audit never asks for a password."
            ),
        )
    step = automatic_step(
        ActionKind.RUN_UNINSTALLER,
        Operation.MOVE_TO_TRASH,
        target,
        way="trash",
        title=_("Move {app} to the Trash").format(app=name),
        confirmation=_(
            "{app} ({path}) will be moved to the Trash. You can put it back from the "
            "Trash until you empty it. Its settings in your Library folder are not deleted."
        ).format(app=name, path=path),
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
                _yourself(name),
                (
                    _("Uninstall {app} with your software centre or {tool}.").format(
                        app=name, tool=how.tool
                    ),
                ),
                why=_(
                    "{package} is not a valid {tool} package name, so Device Audit will not "
                    "put it into a command."
                ).format(package=repr(package), tool=how.tool),
            ),
            [],
        )
    command = how.copy.format(package)
    terminal = (
        _("Open a terminal."),
        _run_command(command),
        _(
            "Enter your password when sudo asks, check the list of what {tool} will remove, and "
            "confirm."
        ).format(tool=how.tool),
    )
    by_hand = _manual(
        target, "terminal", _in_terminal(name), terminal, why="", copy_command=command
    )
    if not rights.admin:
        return _only(by_hand, why=_(_ADMIN_WHY))
    step = _run(
        target,
        (*how.as_root, package),
        _("Remove the package {package}").format(package=package),
        _(
            "The package {package} will be removed from this computer, for every user, with "
            "{tool}. If other installed packages need it, nothing is removed and you are "
            "told so."
        ).format(package=package, tool=how.as_root[0]),
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
                _yourself(name),
                (_("Uninstall {app} with your software centre.").format(app=name),),
                why=_("{ref} is not a valid Flatpak application id.").format(ref=repr(ref)),
            ),
            [],
        )
    command = f"flatpak uninstall {scope} {ref}"
    terminal = (_("Open a terminal."), _run_command(command), _("Confirm when flatpak asks."))
    by_hand = _manual(
        target, "terminal", _in_terminal(name), terminal, why="", copy_command=command
    )
    if not user_install and not rights.admin:
        return _only(
            by_hand,
            why=_(
                "It is installed for everyone on this computer, so removing it needs "
                "administrator rights; Device Audit never asks for your password."
            ),
        )
    if user_install:
        confirmation = _(
            "{app} will be uninstalled for your user account with flatpak ({ref}). Its data in "
            "~/.var/app/{ref} stays until you delete it."
        )
    else:
        confirmation = _(
            "{app} will be uninstalled for everyone on this computer with flatpak ({ref})."
        )
    step = _run(
        target,
        ("flatpak", "uninstall", scope, "--assumeyes", "--noninteractive", ref),
        _("Uninstall {app} (Flatpak)").format(app=name),
        confirmation.format(app=name, ref=ref),
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
                _delete_appimage(name),
                (_("Open a terminal."), _run_command(f"sudo {command}")),
                why=_(
                    "Your account may not change the folder the file is in; Device Audit never "
                    "asks for a password."
                ),
                copy_command=f"sudo {command}",
            ),
            [],
        )
    step = automatic_step(
        ActionKind.RUN_UNINSTALLER,
        Operation.DELETE_FILE,
        target,
        way="delete",
        title=_delete_appimage(name),
        confirmation=_(
            "The file {path} will be deleted. It is not moved to the Trash and cannot be restored."
        ).format(path=path),
        path=path,
    )
    by_hand = _manual(
        target,
        "files",
        _("Delete the {app} AppImage yourself").format(app=name),
        (_("In your file manager, delete {path}.").format(path=path),),
        why="",
    )
    return step, [by_hand]


def _delete_appimage(name: str) -> str:
    return _("Delete the {app} AppImage").format(app=name)


def _launcher(app: InstalledApp, target: Target) -> Step:
    name = target.app_name
    return _manual(
        target,
        "launcher",
        _yourself(name),
        (
            _(
                "{app} is in your app menu through the launcher file {file}, which does not say "
                "what installed it."
            ).format(app=name, file=app.location or app.identifier),
            _(
                "Uninstall it with your software centre, or delete the program it starts and "
                "then the launcher file."
            ),
        ),
        why=_("The launcher does not say how the program was installed."),
    )


def _portable(app: InstalledApp, target: Target) -> Step:
    name = target.app_name
    where = app.location or name
    return _manual(
        target,
        "portable",
        _("Delete the {app} program").format(app=name),
        (
            _(
                "{app} was seen running from {where}, but no installed program lists it: it is "
                "probably a copy that was downloaded and run without installing."
            ).format(app=name, where=where),
            _(
                "Close it, then delete {where} (and the folder it came in, if it was unpacked "
                "from an archive)."
            ).format(where=where),
        ),
        why=_("A program that was never installed has no uninstaller."),
    )


def _web_app(app: InstalledApp, target: Target) -> Step:
    browser = browser_of(app.installer)
    return _manual(
        target,
        "web-app",
        _("Uninstall the {app} web app in {browser}").format(
            app=target.app_name, browser=browser.name
        ),
        web_app_instructions(target.app_name, app.installer),
        why=_(
            "A web app belongs to the browser that installed it: only the browser can remove it "
            "for good."
        ),
    )
