"""Removal actions on a phone, and the phone's failure codes turned into advice a person can act on.

Every action validates the package name against Android's grammar and builds its command from
an argument list (shlex-quoted), so a hostile name never reaches the phone's shell. Each returns
an ActionResult; a failure carries the phone's code and the next step. After any action the
caller rescans every user (`scan.rescan`): OEM builds remove or reinstall apps on other users.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from audit.errors import ActionFailed, DeviceError
from audit.i18n import N_, _
from audit.model import ActionKind, ActionResult, Device
from audit.sources.android import commands
from audit.sources.android.commands import Argv
from audit.sources.android.connection import Adb
from audit.sources.android.guidance import general_disable_steps
from audit.sources.android.packages import validate_package_name
from audit.sources.android.parsers import ErrorKind, decode_output, find_command_error
from audit.sources.android.shell import AdbShell, Shell, ShellOutput

MAX_OUTPUT = 4000

DEFAULT_ADVICE = N_(
    "Restart the phone and try again. If it keeps failing, remove the app on the phone itself "
    "(Settings > Apps)."
)

# The advice for each of the phone's failure codes (marked here, translated in `advice_for`).
ADVICE: dict[str, str] = {
    "DELETE_FAILED_DEVICE_POLICY_MANAGER": N_(
        "This app is managed by your organisation's device management, which does not allow "
        "removing it. Contact your IT department."
    ),
    "DELETE_FAILED_USER_RESTRICTED": N_(
        "This user or profile is not allowed to remove apps (a restriction set by your "
        "organisation or the phone's owner). Try disabling the app instead, or ask your IT "
        "department."
    ),
    "DELETE_FAILED_OWNER_BLOCKED": N_(
        "The phone's administrator has blocked removing this app. Contact your IT department."
    ),
    "DELETE_FAILED_INTERNAL_ERROR": N_(
        "Android could not remove it. If the app came with the phone, remove it for each user "
        "rather than for all users, or disable it. Otherwise restart the phone and try again."
    ),
    "DELETE_FAILED_ABORTED": N_(
        "The removal was cancelled on the phone. Try again and confirm on the phone if it asks."
    ),
    "DELETE_FAILED_USED_SHARED_LIBRARY": N_(
        "Other apps on the phone need this package, so Android keeps it. Remove those apps first."
    ),
    "DELETE_FAILED_APP_PINNED": N_("The app is pinned to the screen. Unpin it and try again."),
    "NOT_INSTALLED_FOR_USER": N_(
        "The app is not installed for this user, so there is nothing to remove here. Scan again "
        "to see where it is."
    ),
    "UNKNOWN_PACKAGE": N_("The phone no longer has this app. Scan again to see the current state."),
    "SHELL_NOT_ALLOWED": N_(
        "The phone does not let USB debugging change this profile (your organisation disallows "
        "it). Remove the app on the phone, in the profile's Settings > Apps, or ask your IT "
        "department."
    ),
    "PROTECTED_PACKAGE": N_(
        "Android protects this app (the system or device management needs it) and will not "
        "disable it."
    ),
    "SHELL_CANNOT_CHANGE_STATE": N_(
        "The app was switched off by the phone's settings or by device management, not over USB, "
        "so it can only be changed on the phone (Settings > Apps)."
    ),
    "NOT_ON_PHONE": N_(
        "No copy of this app is left on the phone to restore. Install it again from its store "
        "if it is needed."
    ),
    "RESTORE_UNSUPPORTED": N_(
        "This phone's Android cannot restore removed apps over USB. Install the app again from "
        "its store if it is needed."
    ),
}


def advice_for(code: str) -> str:
    """What a person can do about one of the phone's failure codes, in the language in use."""
    return _(ADVICE.get(code, DEFAULT_ADVICE))


# What an action did, one whole sentence per action: (in a named profile, for a user id).
# {app} is the app, {where} the profile after a preposition ("the Work profile"), {user} the
# phone's user id. Removing for every user names no place.
_ALL_USERS_DONE = N_("{app} was removed for every user.")
_DONE: dict[ActionKind, tuple[str, str]] = {
    ActionKind.UNINSTALL: (
        N_("{app} was removed from {where}."),
        N_("{app} was removed for user {user}."),
    ),
    ActionKind.DISABLE: (
        N_("{app} was disabled in {where}."),
        N_("{app} was disabled for user {user}."),
    ),
    ActionKind.ENABLE: (
        N_("{app} was enabled again in {where}."),
        N_("{app} was enabled again for user {user}."),
    ),
    ActionKind.RESTORE: (
        N_("{app} was restored to {where}."),
        N_("{app} was restored for user {user}."),
    ),
    ActionKind.FORCE_STOP: (
        N_("{app} was stopped in {where}."),
        N_("{app} was stopped for user {user}."),
    ),
}

# The phone answered with a failure code ({code}).
_ALL_USERS_NOT_DONE = N_("{app} was not removed for every user: the phone answered {code}.")
_NOT_DONE: dict[ActionKind, tuple[str, str]] = {
    ActionKind.UNINSTALL: (
        N_("{app} was not removed from {where}: the phone answered {code}."),
        N_("{app} was not removed for user {user}: the phone answered {code}."),
    ),
    ActionKind.DISABLE: (
        N_("{app} was not disabled in {where}: the phone answered {code}."),
        N_("{app} was not disabled for user {user}: the phone answered {code}."),
    ),
    ActionKind.ENABLE: (
        N_("{app} was not enabled in {where}: the phone answered {code}."),
        N_("{app} was not enabled for user {user}: the phone answered {code}."),
    ),
    ActionKind.RESTORE: (
        N_("{app} was not restored to {where}: the phone answered {code}."),
        N_("{app} was not restored for user {user}: the phone answered {code}."),
    ),
    ActionKind.FORCE_STOP: (
        N_("{app} was not stopped in {where}: the phone answered {code}."),
        N_("{app} was not stopped for user {user}: the phone answered {code}."),
    ),
}

# The phone went away while the action ran ({error} is a whole sentence saying why).
_ALL_USERS_MAYBE = N_(
    "{app} may not have been removed for every user: {error} Scan again to see what happened."
)
_MAYBE: dict[ActionKind, tuple[str, str]] = {
    ActionKind.UNINSTALL: (
        N_(
            "{app} may not have been removed from {where}: {error} Scan again to see what happened."
        ),
        N_(
            "{app} may not have been removed for user {user}: {error} Scan again to see what "
            "happened."
        ),
    ),
    ActionKind.DISABLE: (
        N_("{app} may not have been disabled in {where}: {error} Scan again to see what happened."),
        N_(
            "{app} may not have been disabled for user {user}: {error} Scan again to see what "
            "happened."
        ),
    ),
    ActionKind.ENABLE: (
        N_("{app} may not have been enabled in {where}: {error} Scan again to see what happened."),
        N_(
            "{app} may not have been enabled for user {user}: {error} Scan again to see what "
            "happened."
        ),
    ),
    ActionKind.RESTORE: (
        N_("{app} may not have been restored to {where}: {error} Scan again to see what happened."),
        N_(
            "{app} may not have been restored for user {user}: {error} Scan again to see what "
            "happened."
        ),
    ),
    ActionKind.FORCE_STOP: (
        N_("{app} may not have been stopped in {where}: {error} Scan again to see what happened."),
        N_(
            "{app} may not have been stopped for user {user}: {error} Scan again to see what "
            "happened."
        ),
    ),
}


def _sentence(
    table: dict[ActionKind, tuple[str, str]], every_user: str, kind: ActionKind, where: str
) -> str:
    """The untranslated sentence of `table` for an action: in the profile `where` when the
    caller named it, else for the phone's user id."""
    if kind is ActionKind.UNINSTALL_ALL_USERS:
        return every_user
    in_profile, for_user = table[kind]
    return in_profile if where else for_user


_FAILURE = re.compile(r"Failure \[(?P<code>[^\]]*)\]")


def _user_arg(user: str) -> str:
    if not user.isdigit():
        raise ActionFailed(
            _("{user} is not an Android user id, so nothing was sent to the phone.").format(
                user=repr(user)
            ),
            _("Choose the user from the scan (0 is the phone's owner)."),
        )
    return user


def command_for(kind: ActionKind, package: str, user: str) -> Argv:
    """The argument list of an action; the package and user are validated first."""
    name = validate_package_name(package)
    if kind is ActionKind.UNINSTALL_ALL_USERS:
        return ("pm", "uninstall", name)
    uid = _user_arg(user)
    argv: dict[ActionKind, Argv] = {
        ActionKind.UNINSTALL: ("pm", "uninstall", "--user", uid, name),
        ActionKind.DISABLE: ("pm", "disable-user", "--user", uid, name),
        ActionKind.ENABLE: ("pm", "enable", "--user", uid, name),
        ActionKind.RESTORE: ("cmd", "package", "install-existing", "--user", uid, name),
        ActionKind.FORCE_STOP: ("am", "force-stop", "--user", uid, name),
    }
    if kind not in argv:
        raise ActionFailed(
            _("{action} is not something Device Audit does on a phone.").format(action=kind.value)
        )
    return argv[kind]


def failure_code(kind: ActionKind, output: str, exit_code: int | None) -> str:
    """ "" when the action worked, else the phone's failure code (or one of ours)."""
    if kind in (ActionKind.UNINSTALL, ActionKind.UNINSTALL_ALL_USERS):
        if re.search(r"^Success\s*$", output, re.MULTILINE):
            return ""
        if match := _FAILURE.search(output):
            code = match.group("code").strip()
            if code.startswith("not installed for"):
                return "NOT_INSTALLED_FOR_USER"
            return code or "FAILED"
    elif kind in (ActionKind.DISABLE, ActionKind.ENABLE):
        wanted = "disabled" if kind is ActionKind.DISABLE else "enabled"
        if re.search(rf"new state: {wanted}", output):
            return ""
    elif kind is ActionKind.RESTORE:
        if "installed for user" in output:
            return ""
        if "doesn't exist" in output or "NameNotFoundException" in output:
            return "NOT_ON_PHONE"
    elif (
        kind is ActionKind.FORCE_STOP
        and exit_code in (0, None)
        and find_command_error(output) is None
    ):
        return ""
    return _error_code(output)


def _error_code(output: str) -> str:
    if "Cannot disable a protected package" in output or "protected package" in output:
        return "PROTECTED_PACKAGE"
    if "Shell cannot change component state" in output:
        return "SHELL_CANNOT_CHANGE_STATE"
    if "Unknown package" in output:
        return "UNKNOWN_PACKAGE"
    error = find_command_error(output)
    if error is not None:
        if error.kind is ErrorKind.SECURITY:
            return "SHELL_NOT_ALLOWED"
        if error.kind is ErrorKind.UNKNOWN_COMMAND:
            return "UNKNOWN_COMMAND"
    if match := _FAILURE.search(output):
        return match.group("code").strip() or "FAILED"
    return "FAILED"


def perform(
    shell: Shell,
    device_id: str,
    kind: ActionKind,
    package: str,
    user: str = "",
    *,
    label: str = "",
    where: str = "",
) -> ActionResult:
    """Run one action through `shell` and say what happened.

    `label` names the app and `where` its user or profile ("the Work profile") in the message;
    without them the message says the package name and "user 10". Raises InvalidPackageName
    (nothing is sent) for a name Android could not have installed.
    """
    argv = command_for(kind, package, user)
    shown = label or package
    at = datetime.now(UTC)
    result_user = "" if kind is ActionKind.UNINSTALL_ALL_USERS else user
    try:
        output = shell.run(commands.quote(argv))
        text, _problems = decode_output(output.output)
        code = failure_code(kind, text, output.exit_code)
        if kind is ActionKind.RESTORE and code in ("UNKNOWN_COMMAND", "FAILED") and _no_cmd(text):
            # Some Android 7 builds have no `cmd package install-existing`; `pm` still does it.
            output = shell.run(commands.quote(("pm", *argv[2:])))
            text, _problems = decode_output(output.output)
            code = failure_code(kind, text, output.exit_code)
            if code == "UNKNOWN_COMMAND":
                code = "RESTORE_UNSUPPORTED"
    except DeviceError as error:
        return ActionResult(
            kind=kind,
            device=device_id,
            identifier=package,
            user=result_user,
            ok=False,
            message=_(_sentence(_MAYBE, _ALL_USERS_MAYBE, kind, where)).format(
                app=shown, where=where, user=user, error=error.message
            ),
            advice=error.next_step,
            code="DEVICE_GONE",
            at=at,
        )
    if not code:
        message = _(_sentence(_DONE, _ALL_USERS_DONE, kind, where)).format(
            app=shown, where=where, user=user
        )
        advice = ""
    else:
        message = _(_sentence(_NOT_DONE, _ALL_USERS_NOT_DONE, kind, where)).format(
            app=shown, where=where, user=user, code=code
        )
        advice = advice_for(code)
    return ActionResult(
        kind=kind,
        device=device_id,
        identifier=package,
        user=result_user,
        ok=not code,
        message=message,
        advice=advice,
        code=code,
        output=text[:MAX_OUTPUT],
        at=at,
    )


def _no_cmd(text: str) -> bool:
    lowered = text.lower()
    return "unknown command" in lowered or "not found" in lowered or "can't find service" in lowered


def run_action(
    serial: str,
    kind: ActionKind,
    package: str,
    user: str = "",
    *,
    adb_port: int | None = None,
    adb: Adb | None = None,
    label: str = "",
    where: str = "",
) -> ActionResult:
    """`perform` on the phone `serial` through the adb server."""
    command_for(kind, package, user)  # refuse bad input before touching the adb server
    server = adb if adb is not None else Adb(adb_port)
    return perform(
        AdbShell(server, serial),
        Device.android_id(serial),
        kind,
        package,
        user,
        label=label,
        where=where,
    )


# --- the last step of an audit ---------------------------------------------------------------


_REVOKE = N_("To finish, revoke this computer's authorisation on the phone: {steps}")


def switch_off_usb_debugging(shell: Shell, device_id: str) -> ActionResult:
    """`settings put global adb_enabled 0`: the phone drops the connection as it obeys.

    A drop right after sending is the expected outcome and counts as done; the person is still
    shown the steps to revoke this computer's authorisation on the phone.
    """
    at = datetime.now(UTC)
    steps = " ".join(general_disable_steps())
    try:
        output: ShellOutput = shell.run(
            commands.quote(("settings", "put", "global", "adb_enabled", "0"))
        )
    except DeviceError:
        return ActionResult(
            kind=ActionKind.DISABLE_USB_DEBUGGING,
            device=device_id,
            identifier="",
            user="",
            ok=True,
            message=_("USB debugging was switched off; the phone disconnected, as expected."),
            advice=_(_REVOKE).format(steps=steps),
            at=at,
        )
    text, _problems = decode_output(output.output)
    error = find_command_error(text)
    ok = error is None and output.exit_code in (0, None)
    return ActionResult(
        kind=ActionKind.DISABLE_USB_DEBUGGING,
        device=device_id,
        identifier="",
        user="",
        ok=ok,
        message=_("USB debugging was switched off.")
        if ok
        else _("The phone did not let USB debugging be switched off from here."),
        advice=_(_REVOKE).format(steps=steps) if ok else steps,
        code="" if ok else "FAILED",
        output=text[:MAX_OUTPUT],
        at=at,
    )


def disable_usb_debugging(
    serial: str, *, adb_port: int | None = None, adb: Adb | None = None
) -> ActionResult:
    from audit.demo import phone_at

    demo = phone_at(serial)  # the demo phone is in the app, never behind the adb server
    if demo is not None:
        return demo.switch_off_usb_debugging()
    server = adb if adb is not None else Adb(adb_port)
    return switch_off_usb_debugging(AdbShell(server, serial), Device.android_id(serial))
