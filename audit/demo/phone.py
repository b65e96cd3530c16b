"""The demo phone: a phone held in memory, so a new user can walk the whole flow without one.

It answers a scan with a ScanResult built from its own state, and it carries out removal steps
by changing that state, so the rescan proves the removal as it would on a real phone. There is
no adb server, no socket and no real shell behind it: nothing outside the app can reach it.

Its Device is built here with `simulated=True` and a DEMO connection. That is the only way a
device is ever marked simulated: a phone cannot say so about itself (a property it reports, a
model name), so someone's own simulator behind the adb server is a phone reached over the
network, never a demo, and a demo can never be mistaken for a real phone.

Removal steps go through the same `perform` as a real phone's, with the phone's answers
("Success", "Failure [not installed for 10]") coming from `answer`, so the demo shows the real
words for what was done and for what went wrong.
"""

from __future__ import annotations

import shlex
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from audit.addresses import DEMO_ADDRESS
from audit.errors import ActionFailed, AuditError, InvalidPackageName
from audit.i18n import _
from audit.model import (
    ActionResult,
    AppState,
    Connection,
    ConnectionKind,
    Device,
    DeviceKind,
    IdentifierKind,
    InstalledApp,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserProfile,
)
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress, raise_if_cancelled
from audit.sources.android.actions import perform, switch_off_usb_debugging
from audit.sources.android.inventory import install_origin, source_name
from audit.sources.android.shell import ShellOutput

from .inventory import APPS, USERS, DemoApp

if TYPE_CHECKING:  # importing audit.remediation loads the whole removal and signing stack,
    # which every real phone's scan would pay for only to ask whether it is the demo (issue 15)
    from audit.remediation.steps import Step


DEMO_SERIAL = "DEMO 0001"
"""Its serial number. A phone's own serial number never has a space either (the Android source
takes none that has), so the demo phone's Device.id, and all kept under it (a removal not yet
signed, a helpdesk's record), is never a real phone's."""
DEMO_NAME = "Demo phone"


def demo_device() -> Device:
    """The demo phone's identity: simulated by construction (see the module docstring)."""
    return Device(
        id=Device.android_id(DEMO_SERIAL),
        kind=DeviceKind.ANDROID,
        name=DEMO_NAME,
        serial=DEMO_SERIAL,
        address=DEMO_ADDRESS,
        manufacturer="Device Audit",
        model="Demo phone (simulated)",
        os_name="Android",
        os_version="14",
        sdk=34,
        build="demo/demo_phone/demo:14/UQ1A.240205.004/1:user/release-keys",
        managed=True,  # the work profile has a profile owner (Android Device Policy)
        has_work_profile=True,
        simulated=True,
        connection=Connection(ConnectionKind.DEMO),
    )


@dataclass
class _Package:
    app: DemoApp
    app_id: int
    states: dict[str, AppState]  # by user id; a user app uninstalled for a user is not there


class DemoPhone:
    """See the module docstring. Safe to use from several threads (scans run in the background).

    It is an Executor (`run`) for the steps of a removal plan made for it.
    """

    def __init__(self) -> None:
        self.device = demo_device()
        self._lock = threading.Lock()
        self.usb_debugging = True
        self._packages = {
            app.package: _Package(
                app, 10_000 + index, {user: AppState.INSTALLED for user in app.users}
            )
            for index, app in enumerate(APPS)
        }

    # --- the scan ----------------------------------------------------------------------------

    def scan(
        self, progress: Progress = no_progress, cancelled: CancelCheck = never_cancelled
    ) -> ScanResult:
        """Every app of every user, as a scan of a real phone gives them (with the version and
        dates a real scan reads for flagged apps only: here they cost nothing)."""
        started = datetime.now(UTC)
        apps: list[InstalledApp] = []
        reports: list[SourceReport] = []
        for number, user in enumerate(USERS):
            raise_if_cancelled(cancelled)
            # Translators: {user} is the phone's own name for the profile ("Work profile")
            progress(
                number / len(USERS), _("Reading the apps of the {user}").format(user=user.name)
            )
            with self._lock:
                found = [self._app(package, user) for package in self._packages.values()]
            mine = [app for app in found if app is not None]
            apps.extend(mine)
            reports.append(SourceReport(source_name(user), SourceStatus.OK, "", len(mine)))
        progress(1.0, _("Done"))
        return ScanResult(
            device=self.device,
            started_at=started,
            finished_at=datetime.now(UTC),
            apps=tuple(apps),
            users=USERS,
            sources=tuple(reports),
        )

    def _app(self, package: _Package, user: UserProfile) -> InstalledApp | None:
        state = package.states.get(user.id)
        if state is None:
            if not package.app.system:
                return None  # a user app uninstalled for this user: not listed at all
            state = AppState.REMOVED_FOR_USER  # a copy stays in /system
        app = package.app
        if app.system:
            location = f"/system/priv-app/{app.label.replace(' ', '')}/base.apk"
        else:
            location = f"/data/app/~~demo/{app.package}-1/base.apk"
        return InstalledApp(
            identifier=app.package,
            kind=IdentifierKind.ANDROID_PACKAGE,
            name=app.label,
            version=app.version,
            version_code=app.version_code,
            installer=app.installer,
            origin=install_origin(app.installer, app.system),
            user=user.id,
            state=state,
            system=app.system,
            location=location,
            uid=int(user.id) * 100_000 + package.app_id,
            installed_at=app.installed_at,
            updated_at=app.updated_at,
            collector=source_name(user),
            state_confirmed=True,  # from the phone's own record of the app, as `dumpsys` gives
        )

    # --- removal -----------------------------------------------------------------------------

    def run(self, step: Step) -> ActionResult:
        """Carry out one automatic phone step of a plan made for this phone (the Executor)."""
        from audit.remediation.steps import Operation, StepKind

        if step.kind is StepKind.MANUAL or step.operation is not Operation.PHONE:
            raise ActionFailed(
                _("'{step}' is not something Device Audit does on a phone.").format(step=step.title)
            )
        target = step.target
        if target.device_id != self.device.id:
            raise ActionFailed(
                _("'{step}' is for {device}, not for the demo phone.").format(
                    step=step.title, device=target.device_id
                ),
                _("Choose the phone the plan was made for."),
            )
        try:
            return perform(
                _Shell(self),
                self.device.id,
                step.action,
                target.identifier,
                target.user,
                label=target.app_name,
                where=target.user_words,
            )
        except AuditError as error:
            code = "INVALID_PACKAGE" if isinstance(error, InvalidPackageName) else "FAILED"
            return ActionResult(
                kind=step.action,
                device=self.device.id,
                identifier=target.identifier,
                user=target.user,
                ok=False,
                message=_("{step}: not done. {reason}").format(
                    step=step.title, reason=error.message
                ),
                advice=error.next_step,
                code=code,
                at=datetime.now(UTC),
            )

    def switch_off_usb_debugging(self) -> ActionResult:
        return switch_off_usb_debugging(_Shell(self), self.device.id)

    # --- the phone's side of the commands ----------------------------------------------------

    def answer(self, command: str) -> ShellOutput:
        """Answer one command `perform` sends, as Android 14's pm, cmd, am and settings do."""
        argv = shlex.split(command)
        with self._lock:
            text, status = self._answer(argv)
        return ShellOutput(text.encode(), status)

    def _answer(self, argv: list[str]) -> tuple[str, int]:
        match argv:
            case ["pm", "uninstall", "--user", user, name]:
                return self._uninstall(name, user)
            case ["pm", "uninstall", name]:
                return self._uninstall(name, None)
            case ["pm", "disable-user", "--user", user, name]:
                return self._set(name, user, AppState.DISABLED, "disabled-user")
            case ["pm", "enable", "--user", user, name]:
                return self._set(name, user, AppState.INSTALLED, "enabled")
            case ["cmd", "package", "install-existing", "--user", user, name]:
                return self._restore(name, user)
            case ["am", "force-stop", "--user", _user, _name]:
                return "", 0
            case ["settings", "put", "global", "adb_enabled", "0"]:
                self.usb_debugging = False
                return "", 0
        return f"/system/bin/sh: {argv[0] if argv else ''}: not found\n", 127

    def _uninstall(self, name: str, user: str | None) -> tuple[str, int]:
        package = self._packages.get(name)
        users = [u.id for u in USERS] if user is None else [user]
        if package is None or not any(u in package.states for u in users):
            return f"Failure [not installed for {user or 0}]\n", 1
        if user is None and package.app.system:
            return "Failure [DELETE_FAILED_INTERNAL_ERROR]\n", 1
        for each in users:
            package.states.pop(each, None)
        return "Success\n", 0

    def _set(self, name: str, user: str, state: AppState, words: str) -> tuple[str, int]:
        package = self._packages.get(name)
        if package is None or user not in package.states:
            return f"Error: Unknown package: {name}\n", 1
        package.states[user] = state
        return f"Package {name} new state: {words}\n", 0

    def _restore(self, name: str, user: str) -> tuple[str, int]:
        package = self._packages.get(name)
        # Android keeps an app's files while any user has it, and a system app's always.
        if package is None or not (package.app.system or package.states):
            return f"Error: Package {name} doesn't exist\n", 1
        package.states.setdefault(user, AppState.INSTALLED)
        return f"Package {name} installed for user: {user}\n", 0


class _Shell:
    """The Shell protocol `perform` talks to, answered by the demo phone itself."""

    def __init__(self, phone: DemoPhone) -> None:
        self.phone = phone

    def run(self, command: str) -> ShellOutput:
        return self.phone.answer(command)
