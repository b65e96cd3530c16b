"""The local executor against real processes, real programs and real files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from audit.errors import ActionFailed
from audit.model import ActionKind, IdentifierKind, InstalledApp, RunningProcess
from audit.remediation import LocalExecutor, Rights, StepKind, confirm_manual, plan_for
from audit.sources.local.processes import proc_processes
from tests.audit.remediation.builders import COMPUTER, assessment, finding, local_app

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")


def plan(app: InstalledApp, running: tuple[RunningProcess, ...] = ()):  # type: ignore[no-untyped-def]
    f = finding(app, running=running)
    return plan_for(f, assessment(f, device=COMPUTER, users=()), rights=Rights(admin=False))


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[object]:
    """Start a Python child under the program name 'TikTok' (a symlink to the interpreter, so
    the OS names the process TikTok); killed after the test if still running."""
    children: list[subprocess.Popen[str]] = []
    link = tmp_path / "TikTok"
    link.symlink_to(sys.executable)

    def start(code: str) -> tuple[subprocess.Popen[str], RunningProcess]:
        child = subprocess.Popen(
            [str(link), "-c", code], stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL
        )
        children.append(child)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"  # its signal handlers are in place
        (seen,) = [p for p in proc_processes() if p.pid == child.pid]
        return child, seen

    yield start
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait()
        if child.stdout:
            child.stdout.close()


def _alive(child: subprocess.Popen[str]) -> bool:
    """psutil reaps the child it waited for, so ask the OS, not Popen's return code."""
    try:
        return psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


SLEEPER = "import time; print('ready', flush=True); time.sleep(60)"
STUBBORN = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(60)"
)


def test_running_app_is_closed_after_confirmation(spawn) -> None:  # type: ignore[no-untyped-def]
    child, seen = spawn(SLEEPER)
    assert seen.name == "TikTok"
    app = local_app(IdentifierKind.FLATPAK, "com.example.TikTok")
    close, _uninstall = plan(app, (seen,)).steps
    assert close.kind is StepKind.AUTOMATIC and close.action is ActionKind.CLOSE_APP
    result = LocalExecutor().run(close)
    assert result.ok, result.message
    assert result.message == "TikTok was closed."
    assert not _alive(child)


def test_an_app_that_ignores_the_request_to_quit_is_stopped(spawn) -> None:  # type: ignore[no-untyped-def]
    child, seen = spawn(STUBBORN)
    app = local_app(IdentifierKind.FLATPAK, "com.example.TikTok")
    close = plan(app, (seen,)).steps[0]
    result = LocalExecutor(close_timeout=0.3).run(close)
    assert result.ok
    assert "had to be stopped" in result.message
    assert not _alive(child)


def test_a_reused_pid_is_not_closed(spawn) -> None:  # type: ignore[no-untyped-def]
    """The scan saw 'TikTok' with this pid; now the pid runs something else: leave it alone."""
    child, seen = spawn(SLEEPER)
    other = RunningProcess(pid=seen.pid, name="NotTikTok", exe=seen.exe, user=seen.user)
    app = local_app(IdentifierKind.FLATPAK, "com.example.TikTok")
    close = plan(app, (other,)).steps[0]
    result = LocalExecutor(close_timeout=0.3).run(close)
    assert result.ok
    assert result.message == "TikTok was not running any more."
    assert _alive(child)


# --- uninstallers ------------------------------------------------------------------------------


def fake_uninstaller(folder: Path, exit_code: int = 0) -> Path:
    """A tiny program that records the arguments it was given, as an uninstaller would get them."""
    script = folder / "uninst.py"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys, pathlib\n"
        "pathlib.Path(sys.argv[0]).with_name('args.json').write_text(json.dumps(sys.argv[1:]))\n"
        f"if {exit_code}:\n"
        "    print('Uninstall failed: the app is in use', file=sys.stderr)\n"
        f"sys.exit({exit_code})\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_uninstall_string_runs_as_an_argument_list(tmp_path: Path) -> None:
    script = fake_uninstaller(tmp_path)
    app = local_app(IdentifierKind.ARP_KEY, "TikTok", uninstall=f'"{script}" /S --profile "a b"')
    (step,) = plan(app).steps
    result = LocalExecutor().run(step)
    assert result.ok, result.message
    assert result.kind is ActionKind.RUN_UNINSTALLER
    assert json.loads((tmp_path / "args.json").read_text()) == ["/S", "--profile", "a b"]


def test_a_hostile_uninstall_string_never_reaches_a_shell(tmp_path: Path) -> None:
    script = fake_uninstaller(tmp_path)
    pwned = tmp_path / "pwned"
    hostile = f'"{script}" /S & touch {pwned} ; echo $(touch {pwned}2) | tee {pwned}3 `id`'
    app = local_app(IdentifierKind.ARP_KEY, "TikTok", uninstall=hostile)
    (step,) = plan(app).steps
    result = LocalExecutor().run(step)
    assert result.ok
    args = json.loads((tmp_path / "args.json").read_text())
    assert args == [
        "/S",
        "&",
        "touch",
        str(pwned),
        ";",
        "echo",
        "$(touch",
        f"{pwned}2)",
        "|",
        "tee",
        f"{pwned}3",
        "`id`",
    ]
    assert not any(p.exists() for p in (pwned, Path(f"{pwned}2"), Path(f"{pwned}3")))


def test_a_failing_uninstaller_says_what_it_said(tmp_path: Path) -> None:
    script = fake_uninstaller(tmp_path, exit_code=3)
    app = local_app(IdentifierKind.ARP_KEY, "TikTok", uninstall=f'"{script}"')
    result = LocalExecutor().run(plan(app).steps[0])
    assert not result.ok
    assert result.code == "EXIT_3"
    assert "the app is in use" in result.message
    assert result.advice


def test_a_missing_uninstaller_is_a_failure_with_advice(tmp_path: Path) -> None:
    app = local_app(IdentifierKind.ARP_KEY, "TikTok", uninstall=f'"{tmp_path / "gone.exe"}" /S')
    result = LocalExecutor().run(plan(app).steps[0])
    assert (result.ok, result.code) == (False, "PROGRAM_MISSING")
    assert "not found" in result.message


# --- files -------------------------------------------------------------------------------------


def test_a_mac_app_is_moved_to_the_trash_under_a_unique_name(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".Trash" / "TikTok.app").mkdir(parents=True)  # something of that name is there
    apps = tmp_path / "Applications"
    bundle = apps / "TikTok.app"
    (bundle / "Contents").mkdir(parents=True)
    (bundle / "Contents" / "Info.plist").write_text("<plist/>")
    app = local_app(IdentifierKind.MACOS_BUNDLE, "com.zhiliaoapp.musically", location=str(bundle))
    (step,) = plan(app).steps
    result = LocalExecutor(home=home, use_finder=False).run(step)
    assert result.ok, result.message
    assert not bundle.exists()
    assert (home / ".Trash" / "TikTok 2.app" / "Contents" / "Info.plist").read_text() == "<plist/>"
    again = LocalExecutor(home=home, use_finder=False).run(step)
    assert again.ok and "not at" in again.message


def test_an_appimage_is_deleted(tmp_path: Path) -> None:
    image = tmp_path / "TikTok-1.0-x86_64.AppImage"
    image.write_bytes(b"\x7fELF")
    app = local_app(IdentifierKind.APPIMAGE, image.name, location=str(image))
    result = LocalExecutor().run(plan(app).steps[0])
    assert result.ok and not image.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_file_that_cannot_be_deleted_is_a_failure(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    image = folder / "TikTok.AppImage"
    image.write_bytes(b"x")
    app = local_app(IdentifierKind.APPIMAGE, image.name, location=str(image))
    step = plan(app).steps[0]
    folder.chmod(0o500)
    try:
        result = LocalExecutor().run(step)
    finally:
        folder.chmod(0o700)
    assert not result.ok and image.exists()
    assert result.advice


# --- manual steps ------------------------------------------------------------------------------


def test_manual_steps_are_confirmed_by_a_person_not_run() -> None:
    app = local_app(IdentifierKind.DEB, "tiktok", user="system")
    (step,) = plan(app).steps
    assert step.kind is StepKind.MANUAL
    with pytest.raises(ActionFailed, match="done by hand"):
        LocalExecutor().run(step)
    result = confirm_manual(step, "Anna Smith", note="ran it in a terminal")
    assert result.ok and result.kind is ActionKind.MANUAL
    assert result.message.startswith("Confirmed by Anna Smith: I removed TikTok")
    assert result.message.endswith("Note: ran it in a terminal")
    assert (result.device, result.identifier, result.user) == (COMPUTER.id, "tiktok", "system")


def test_automatic_steps_cannot_be_merely_confirmed(tmp_path: Path) -> None:
    image = tmp_path / "x.AppImage"
    image.write_bytes(b"x")
    app = local_app(IdentifierKind.APPIMAGE, image.name, location=str(image))
    with pytest.raises(ActionFailed, match="not by hand"):
        confirm_manual(plan(app).steps[0], "Anna")
