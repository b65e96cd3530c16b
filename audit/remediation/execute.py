"""Carrying out steps: one executor per kind of device, each returning an ActionResult.

Executors never decide what to do: the plan did, and the person confirmed. They run exactly the
step they are given, through argument lists (never a shell), and say what happened in words.
A manual step is recorded by `confirm_manual` when the person says it is done.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import psutil

from audit.errors import ActionFailed, AuditError, DeviceGone, InvalidPackageName
from audit.i18n import _, ngettext
from audit.model import ActionKind, ActionResult, Device, DeviceKind, RunningProcess
from audit.remediation.steps import Operation, Step, StepKind
from audit.sources.android.actions import command_for, run_action
from audit.sources.android.connection import Adb
from audit.sources.android.scan import phone_device_id

log = logging.getLogger(__name__)

MAX_OUTPUT = 4000
# Codes that mean an uninstall had nothing left to do: the app is already gone for that user
# (removed on the phone by hand, or by an earlier attempt cut short by an unplugged cable).
ALREADY_GONE = frozenset({"NOT_INSTALLED_FOR_USER", "UNKNOWN_PACKAGE"})
# msiexec: the product is not installed (already gone); done, restart needed.
_MSI_ALREADY_GONE = 1605
_MSI_RESTART = (1641, 3010)


class Executor(Protocol):
    def run(self, step: Step) -> ActionResult:
        """Carry out one AUTOMATIC step that the person confirmed."""
        ...


def _now() -> datetime:
    return datetime.now(UTC)


def _refuse_manual(step: Step) -> None:
    if step.kind is StepKind.MANUAL:
        raise ActionFailed(
            _("'{step}' is done by hand; Device Audit cannot do it.").format(step=step.title),
            _("Follow the instructions, then confirm that it is done."),
        )


def confirm_manual(step: Step, person: str, note: str = "") -> ActionResult:
    """The record of a person saying they did a manual step ("I've done this")."""
    if step.kind is not StepKind.MANUAL:
        raise ActionFailed(
            _("'{step}' is done by Device Audit, not by hand.").format(step=step.title),
            _("Run it instead of confirming it."),
        )
    who = person.strip() or _("the person at the device")
    if note.strip():
        text = _("Confirmed by {person}: {confirmation} Note: {note}").format(
            person=who, confirmation=step.confirmation, note=note.strip()
        )
    else:
        text = _("Confirmed by {person}: {confirmation}").format(
            person=who, confirmation=step.confirmation
        )
    return step_result(step, True, text)


def step_result(
    step: Step, ok: bool, message: str, *, advice: str = "", code: str = "", output: str = ""
) -> ActionResult:
    """What became of a step, recorded now against its app and user (output cut to its end)."""
    return ActionResult(
        kind=step.action,
        device=step.target.device_id,
        identifier=step.target.identifier,
        user=step.target.user,
        ok=ok,
        message=message,
        advice=advice,
        code=code,
        output=output[-MAX_OUTPUT:],
        at=_now(),
    )


# --- phones ----------------------------------------------------------------------------------


class AndroidExecutor:
    """Runs a plan's phone steps over adb on the phone reached at `serial` (its adb serial).

    `device_id` is the Device.id the plan names (from the phone's own serial number, which may
    differ from the adb serial of a phone on Wi-Fi); steps for another device are refused.
    """

    def __init__(
        self,
        serial: str,
        *,
        device_id: str = "",
        adb_port: int | None = None,
        adb: Adb | None = None,
    ):
        self.serial = serial
        self._device_id = device_id
        self.adb = adb if adb is not None else Adb(adb_port)

    @property
    def device_id(self) -> str:
        """The Device.id of the phone at `serial`: given, or asked of the phone once."""
        if not self._device_id:
            self._device_id = phone_device_id(self.serial, self.adb)
        return self._device_id

    def run(self, step: Step) -> ActionResult:
        _refuse_manual(step)
        target = step.target
        if step.operation is not Operation.PHONE:
            raise ActionFailed(
                _("'{step}' is not something done on a phone.").format(step=step.title)
            )
        try:
            command_for(step.action, target.identifier, target.user)  # refuse bad input first
        except InvalidPackageName as error:
            return self._not_done(step, error, "INVALID_PACKAGE")
        try:
            mine = self.device_id
        except AuditError as error:  # the phone went away before it could say who it is
            return self._not_done(step, error, "DEVICE_GONE")
        if target.device_id != mine:
            raise ActionFailed(
                _("'{step}' is for {device}, not for {other}.").format(
                    step=step.title, device=target.device_id, other=mine
                ),
                _("Choose the phone the plan was made for."),
            )
        try:
            result = run_action(
                self.serial,
                step.action,
                target.identifier,
                target.user,
                adb=self.adb,
                label=target.app_name,
                where=target.user_words,
            )
        except AuditError as error:  # bad input, or the adb server itself is unavailable
            code = "INVALID_PACKAGE" if isinstance(error, InvalidPackageName) else "ADB_UNAVAILABLE"
            return self._not_done(step, error, code)
        return replace(already_gone(step, result), device=self.device_id)

    def _not_done(self, step: Step, error: AuditError, code: str) -> ActionResult:
        return ActionResult(
            kind=step.action,
            device=self._device_id or step.target.device_id,
            identifier=step.target.identifier,
            user=step.target.user,
            ok=False,
            message=_not_done(step, error),
            advice=error.next_step,
            code=code,
            at=_now(),
        )


# --- this computer ---------------------------------------------------------------------------


class LocalExecutor:
    """Runs a plan's steps on this computer: closing apps, uninstallers, the Trash."""

    def __init__(
        self,
        *,
        home: Path | None = None,
        close_timeout: float = 5.0,
        command_timeout: float = 1800.0,
        use_finder: bool | None = None,
    ) -> None:
        self.home = home or Path.home()
        self.close_timeout = close_timeout
        self.command_timeout = command_timeout
        # On a Mac, Finder's Trash remembers where an app came from ("Put Back").
        self.use_finder = sys.platform == "darwin" if use_finder is None else use_finder

    def run(self, step: Step) -> ActionResult:
        _refuse_manual(step)
        handlers = {
            Operation.CLOSE_PROCESSES: self.close,
            Operation.RUN_COMMAND: self.run_command,
            Operation.MOVE_TO_TRASH: self.move_to_trash,
            Operation.DELETE_FILE: self.delete_file,
        }
        handler = handlers.get(step.operation)
        if handler is None:
            raise ActionFailed(
                _("'{step}' is not something done on this computer.").format(step=step.title)
            )
        return handler(step)

    # --- closing the app -------------------------------------------------------------------

    def close(self, step: Step) -> ActionResult:
        """Ask the app's processes to quit, then stop those still running after a timeout.

        Only processes that are still what the scan saw are touched (a pid can be reused by
        another program once the app exits).
        """
        name = step.target.app_name
        found = _matching_processes(step.processes)
        if not found:
            return step_result(step, True, _("{app} was not running any more.").format(app=name))
        for process in found:
            try:
                process.terminate()
            except psutil.NoSuchProcess:
                continue
            except psutil.AccessDenied:
                pass
        _gone, alive = psutil.wait_procs(found, timeout=self.close_timeout)
        forced = list(alive)
        for process in forced:
            try:
                process.kill()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        _done, still = psutil.wait_procs(forced, timeout=self.close_timeout) if forced else ([], [])
        if still:
            pids = ", ".join(str(p.pid) for p in still)
            return step_result(
                step,
                False,
                ngettext(
                    "{app} could not be closed (process {pids} is still running).",
                    "{app} could not be closed (processes {pids} are still running).",
                    len(still),
                ).format(app=name, pids=pids),
                advice=_("Close {app} yourself (or restart the computer), then try again.").format(
                    app=name
                ),
                code="STILL_RUNNING",
            )
        if forced:
            return step_result(
                step, True, _("{app} was closed (it had to be stopped).").format(app=name)
            )
        return step_result(step, True, _("{app} was closed.").format(app=name))

    # --- uninstallers and package managers --------------------------------------------------

    def run_command(self, step: Step) -> ActionResult:
        name = step.target.app_name
        argv = list(step.command)
        if not argv:
            raise ActionFailed(_("'{step}' has no command to run.").format(step=step.title))
        log.info("running %s", argv)
        try:
            done = subprocess.run(
                argv,
                shell=False,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.command_timeout,
                check=False,
            )
        except FileNotFoundError:
            return step_result(
                step,
                False,
                _("{app} was not removed: the program {program} was not found.").format(
                    app=name, program=argv[0]
                ),
                advice=_(
                    "The app's uninstaller may have been deleted already. Remove the app "
                    "the way your system removes programs, then scan again."
                ),
                code="PROGRAM_MISSING",
            )
        except PermissionError:
            return step_result(
                step,
                False,
                _("{app} was not removed: this account may not start {program}.").format(
                    app=name, program=argv[0]
                ),
                advice=_("Ask someone with administrator rights to remove it."),
                code="PERMISSION_DENIED",
            )
        except subprocess.TimeoutExpired:
            return step_result(
                step,
                False,
                _("{app}'s uninstaller did not finish within {seconds} seconds.").format(
                    app=name, seconds=f"{self.command_timeout:.0f}"
                ),
                advice=_("If its window is still open, finish it there; then scan again."),
                code="TIMEOUT",
            )
        except OSError as exc:
            return step_result(
                step,
                False,
                _("{app} was not removed: {program} could not be started ({error}).").format(
                    app=name, program=argv[0], error=exc.strerror or exc
                ),
                advice=_("Remove the app the way your system removes programs, then scan again."),
                code="FAILED",
            )
        output = _text(done.stdout) + _text(done.stderr)
        program = Path(argv[0]).name.casefold()
        if program.startswith("msiexec"):
            if done.returncode == _MSI_ALREADY_GONE:
                return step_result(
                    step, True, _("{app} was already uninstalled.").format(app=name), output=output
                )
            if done.returncode in _MSI_RESTART:
                return step_result(
                    step,
                    True,
                    _("{app} was uninstalled; restart the computer to finish.").format(app=name),
                    output=output,
                )
        if done.returncode != 0:
            last = output.strip().splitlines()[-1:] or [""]
            if last[0]:
                # Translators: {said} is the uninstaller's own last line of output.
                message = _(
                    "{app} was not removed: {program} ended with exit status {status}: {said}."
                ).format(app=name, program=argv[0], status=done.returncode, said=last[0][:300])
            else:
                message = _(
                    "{app} was not removed: {program} ended with exit status {status}."
                ).format(app=name, program=argv[0], status=done.returncode)
            return step_result(
                step,
                False,
                message,
                advice=_(
                    "Read the message above; fix what it says, or remove the app by hand, "
                    "then scan again."
                ),
                code=f"EXIT_{done.returncode}",
                output=output,
            )
        return step_result(
            step, True, _("{app}'s uninstaller finished.").format(app=name), output=output
        )

    # --- files -----------------------------------------------------------------------------

    def move_to_trash(self, step: Step) -> ActionResult:
        name = step.target.app_name
        path = Path(step.path)
        if not path.exists():
            return step_result(step, True, _not_there(name, path))
        if self.use_finder and self._finder_delete(path):
            return step_result(step, True, _("{app} was moved to the Trash.").format(app=name))
        trash = self.home / ".Trash"
        try:
            trash.mkdir(parents=True, exist_ok=True)
            destination = unique_path(trash / path.name)
            shutil.move(str(path), str(destination))
        except OSError as exc:
            return step_result(
                step,
                False,
                _("{app} could not be moved to the Trash ({error}).").format(
                    app=name, error=exc.strerror or exc
                ),
                advice=_("Drag {app} to the Trash in Finder yourself.").format(app=name),
                code="FAILED",
            )
        return step_result(
            step,
            True,
            _("{app} was moved to the Trash ({path}).").format(app=name, path=destination),
        )

    def _finder_delete(self, path: Path) -> bool:
        """Finder's delete, with the path passed as an argument (never spliced into a script)."""
        script = [
            "osascript",
            "-e",
            "on run argv",
            "-e",
            'tell application "Finder" to delete (POSIX file (item 1 of argv))',
            "-e",
            "end run",
            str(path),
        ]
        try:
            done = subprocess.run(
                script, capture_output=True, timeout=60, check=False, stdin=subprocess.DEVNULL
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.info("Finder could not move %s to the Trash: %s", path, exc)
            return False
        if done.returncode != 0:
            log.info("Finder could not move %s to the Trash: %s", path, _text(done.stderr))
        return done.returncode == 0 and not path.exists()

    def delete_file(self, step: Step) -> ActionResult:
        name = step.target.app_name
        path = Path(step.path)
        try:
            if path.is_dir() and not path.is_symlink():
                return step_result(
                    step,
                    False,
                    _("{path} is a folder, not the single file Device Audit was to delete.").format(
                        path=path
                    ),
                    advice=_("Scan again; if it is still listed, delete it yourself."),
                    code="NOT_A_FILE",
                )
            path.unlink()
        except FileNotFoundError:
            return step_result(step, True, _not_there(name, path))
        except OSError as exc:
            return step_result(
                step,
                False,
                _("{path} could not be deleted ({error}).").format(
                    path=path, error=exc.strerror or exc
                ),
                advice=_("Delete it yourself in your file manager."),
                code="FAILED",
            )
        return step_result(step, True, _("{path} was deleted.").format(path=path))


def _not_there(name: str, path: Path) -> str:
    return _("{app} was not at {path} any more.").format(app=name, path=path)


def _not_done(step: Step, error: AuditError) -> str:
    """A step that could not be carried out, and the error's own sentence saying why."""
    return _("{step}: not done. {error}").format(step=step.title, error=error.message)


def unique_path(path: Path) -> Path:
    """`path`, or `name 2.app`, `name 3.app`... when something of that name is there already."""
    if not path.exists() and not path.is_symlink():
        return path
    stem, suffix = path.stem, path.suffix
    for number in range(2, 10_000):
        candidate = path.with_name(f"{stem} {number}{suffix}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    raise OSError(_("the Trash already holds too many items called {name}").format(name=path.name))


def _matching_processes(seen: tuple[RunningProcess, ...]) -> list[psutil.Process]:
    """The processes the scan saw that are still the same program: same pid, same name, and
    the same executable when the scan knew it. Nothing is matched by executable alone: that
    would close every program sharing an interpreter (every Python or Java program)."""
    found: dict[int, psutil.Process] = {}
    own = os.getpid()
    for record in seen:
        if record.pid == own:
            continue
        try:
            process = psutil.Process(record.pid)
            if process.name() != record.name:
                continue
            if record.exe:
                try:
                    exe = process.exe()
                except psutil.AccessDenied:
                    exe = ""
                if exe and exe != record.exe:
                    continue
            found[process.pid] = process
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return list(found.values())


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", "replace")


def not_there_words(app: str, place: str, code: str) -> str:
    """What an uninstall the phone answered "not there" did, `place` being "the Work profile"
    ("" for every user). "Not installed for user N" is also the answer for an app hidden
    (frozen) there, which `pm uninstall --user N` cannot see: say both, and leave the verdict
    to the rescan."""
    if code == "NOT_INSTALLED_FOR_USER" and place:
        return _(
            "{app} was not found installed in {where}: it is gone, or hidden (frozen) there, "
            "where Android does not let USB debugging remove it. The check that follows says "
            "which."
        ).format(app=app, where=place)
    if not place:
        return _("{app} was already gone from every user: nothing was left to remove.").format(
            app=app
        )
    return _("{app} was already gone from {where}: nothing was left to remove.").format(
        app=app, where=place
    )


def already_gone(step: Step, result: ActionResult) -> ActionResult:
    """An uninstall the phone refused because the app was not there: done, with nothing left
    to do (removed by hand meanwhile, or by an earlier try cut short by an unplugged cable)."""
    if (
        result.ok
        or result.code not in ALREADY_GONE
        or step.action not in (ActionKind.UNINSTALL, ActionKind.UNINSTALL_ALL_USERS)
    ):
        return result
    target = step.target
    if step.action is ActionKind.UNINSTALL_ALL_USERS:
        place = ""
    else:
        place = target.user_words or _("user {user}").format(user=target.user)
    return replace(
        result,
        ok=True,
        message=not_there_words(target.app_name, place, result.code),
        advice="",
    )


class DemoExecutor:
    """The demo phone's steps, done by the demo phone in the app (audit.demo) while it is on;
    once it is switched off, a step is not done, as on a phone that went away."""

    def run(self, step: Step) -> ActionResult:
        from audit.demo import DEMO_ADDRESS, phone_at

        try:
            phone = phone_at(DEMO_ADDRESS)
        except DeviceGone as error:
            return step_result(
                step,
                False,
                _not_done(step, error),
                advice=error.next_step,
                code="DEVICE_GONE",
            )
        assert phone is not None
        return already_gone(step, phone.run(step))


def executor_for(device: Device, *, adb_port: int | None = None) -> Executor:
    """The executor for a device: the demo phone itself (audit.demo), over adb for a phone,
    on this computer otherwise."""
    if device.kind is DeviceKind.ANDROID:
        from audit.demo import DEMO_ADDRESS

        if device.address == DEMO_ADDRESS:
            return DemoExecutor()
        return AndroidExecutor(
            device.address or device.serial, device_id=device.id, adb_port=adb_port
        )
    if device.kind is DeviceKind.IOS:
        from audit.demo import DEMO_IPHONE_ADDRESS, DemoIPhoneExecutor
        from audit.sources.ios.removal import IPhoneExecutor

        if device.address == DEMO_IPHONE_ADDRESS:
            return DemoIPhoneExecutor()
        return IPhoneExecutor(device.address or device.serial, device_id=device.id)
    return LocalExecutor()
