"""The one contract every collector of this computer follows, and the few helpers they share.

A collector reads one inventory source (the dpkg database, the Uninstall registry keys, the app
bundles...) and returns what it found plus the problems it met on the way. It never decides
what a problem means for the scan: `scan.py` turns "absent", "some problems" and "raised" into
the scan's source reports, so that one broken source never hides the others.

Every path a collector reads goes through `LocalRoots`, so tests can point the whole scan at a
fixture tree (a root folder, a home folder, a registry export, fake programs on a private PATH)
and the Windows and macOS code runs on any machine.
"""

from __future__ import annotations

import getpass
import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from audit.i18n import _
from audit.model import AppId, InstalledApp, Platform, RunningProcess

if TYPE_CHECKING:
    import subprocess

    from audit.sources.local.registry import RegistryReader

log = logging.getLogger(__name__)

SYSTEM_USER = "system"
"""`InstalledApp.user` for machine-wide installs; per-user installs carry the user's name."""


class CollectorAbsent(Exception):
    """The source does not exist on this computer (no flatpak, no rpm): nothing was missed."""


class ProgramMissing(CollectorAbsent):
    """A program a collector runs is not installed."""


@dataclass
class CollectorOutput:
    """What a collector found, and each thing it could not read (in words, naming the path)."""

    apps: list[InstalledApp] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    processes: list[RunningProcess] = field(default_factory=list)
    note: str = ""  # a fact worth showing next to the source, e.g. "183 running processes"


class Collector(Protocol):
    """One inventory source. `collect` raises `CollectorAbsent` when the source is not here;
    anything else it raises marks the source as failed, and the scan goes on."""

    name: str  # becomes SourceReport.name and InstalledApp.collector
    platform: Platform | None  # None: runs on every platform (running processes)
    runs_program: bool  # waits on another program (rpm, PowerShell): run it alongside the rest

    def collect(self, ctx: LocalRoots) -> CollectorOutput: ...


ProcessLister = Callable[[], list[RunningProcess]]


def _current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "user"


def current_platform() -> Platform:
    if sys.platform == "win32":
        return Platform.WINDOWS
    if sys.platform == "darwin":
        return Platform.MACOS
    return Platform.LINUX


@dataclass(frozen=True)
class LocalRoots:
    """Where the collectors look: the real computer by default, a fixture tree in tests.

    `root` prefixes every absolute path a Linux or macOS collector reads; `home` is the user's
    home folder (not under `root`, so a test can give both). `programs_path` is the PATH used to
    find programs (rpm, PowerShell, ioreg). `registry` is the Windows registry reader.
    """

    platform: Platform = field(default_factory=current_platform)
    root: Path = Path("/")
    home: Path = field(default_factory=Path.home)
    user: str = field(default_factory=_current_user)
    hostname: str = ""  # "" = ask the operating system
    data_dirs: tuple[str, ...] = ("/usr/local/share", "/usr/share")  # XDG_DATA_DIRS, under root
    data_home: Path | None = None  # XDG_DATA_HOME; None = home/.local/share
    registry: RegistryReader | None = None
    programs_path: str | None = None  # None = this process's PATH
    list_processes: ProcessLister | None = None  # None = psutil
    timeout: float = 60.0  # seconds one collector may take before it is reported as failed

    def path(self, absolute: str) -> Path:
        """An absolute path of the computer being scanned, under `root`."""
        return self.root / absolute.lstrip("/")

    @property
    def user_data(self) -> Path:
        return self.data_home if self.data_home is not None else self.home / ".local" / "share"

    def which(self, program: str) -> str | None:
        return shutil.which(program, path=self.programs_path)

    def run(self, argv: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
        """Run a program with a timeout; `ProgramMissing` if it is not installed.

        Arguments are passed as a list, never through a shell. A timeout raises
        `subprocess.TimeoutExpired`, which the scan reports as a failed source.
        """
        program = self.which(argv[0])
        if program is None:
            raise ProgramMissing(_("{program} is not installed").format(program=argv[0]))
        import subprocess  # here: a scan that runs no program (Linux, dpkg) never loads it

        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console flash on Windows
        return subprocess.run(
            [program, *argv[1:]],
            capture_output=True,
            timeout=self.timeout,
            check=False,
            stdin=subprocess.DEVNULL,
            creationflags=flags,
        )


# --- helpers shared by the collectors ----------------------------------------------------------


def decode(data: bytes, what: str, problems: list[str]) -> str:
    """UTF-8 text from untrusted bytes; bad bytes become U+FFFD and a problem names the file
    (`what`, in the words of the language in use: "the output of rpm")."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(
            _("{what} is not valid UTF-8; unreadable characters were replaced").format(what=what)
        )
        return data.decode("utf-8", errors="replace")


def mtime(path: Path | str) -> datetime | None:
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
    except (OSError, OverflowError, ValueError):
        return None


def list_dir(path: Path) -> list[os.DirEntry[str]]:
    """Entries of a folder, sorted by name so scans are reproducible; raises OSError."""
    with os.scandir(path) as entries:
        return sorted(entries, key=lambda e: e.name)


def read_dir(path: Path, problems: list[str]) -> list[os.DirEntry[str]]:
    """Entries of a folder; a missing folder is empty, an unreadable one is a problem."""
    try:
        return list_dir(path)
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        problems.append(_("{path} should be a folder but is a file").format(path=path))
        return []
    except OSError as exc:
        problems.append(
            _("cannot read the folder {path}: {problem}").format(
                path=path, problem=exc.strerror or exc
            )
        )
        return []


def is_dir(entry: os.DirEntry[str], *, follow: bool = True) -> bool:
    try:
        return entry.is_dir(follow_symlinks=follow)
    except OSError:
        return False


def is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def walk_files(
    folder: Path, suffix: str, problems: list[str], depth: int = 1, *, prefix: str = ""
) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Files ending in `suffix` (any case) down to `depth` folders, with their path relative to
    `folder`. Symlinked folders are not followed, so a link loop cannot trap the scan."""
    for entry in read_dir(folder, problems):
        if entry.name.lower().endswith(suffix):
            yield prefix + entry.name, entry
        elif depth > 1 and is_dir(entry, follow=False):
            yield from walk_files(
                Path(entry.path), suffix, problems, depth - 1, prefix=f"{prefix}{entry.name}/"
            )


def cannot_read(path: object, problem: object) -> str:
    """ "cannot read PATH: why", the words every collector uses for a file it could not read."""
    return _("cannot read {path}: {problem}").format(path=path, problem=problem)


def _unreadable(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _readable(text: str) -> str:
    try:  # the bytes of a file name, as the operating system gave them
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # other lone surrogates (broken UTF-16 in the registry)
        data = text.encode("utf-8", "surrogatepass")
    return data.decode("utf-8", "replace")


_APP_TEXT = (
    *("identifier", "name", "version", "publisher", "installer", "location"),
    *("uninstall_command", "quiet_uninstall_command"),
)


def make_readable(output: CollectorOutput) -> None:
    """Replace what is not text (U+FFFD) in what a collector found, and say so.

    File names on Linux and macOS are bytes, and Python carries the ones that are not UTF-8 as
    lone surrogates; the registry can hold broken UTF-16 too. An inventory is UTF-8 JSON, so
    such a name would stop the scan from being saved. The app is kept under the readable form
    of its name, and a problem is recorded because an exact identifier may no longer match.
    """
    for index, app in enumerate(output.apps):
        changes: dict[str, object] = {
            key: _readable(value) for key in _APP_TEXT if _unreadable(value := getattr(app, key))
        }
        ids = app.other_ids
        if any(_unreadable(i.value) for i in ids):
            changes["other_ids"] = tuple(AppId(i.kind, _readable(i.value)) for i in ids)
        if changes:
            output.apps[index] = replace(app, **changes)  # type: ignore[arg-type]
            output.problems.append(
                _(
                    "the name {name} ({location}) is not valid UTF-8; unreadable characters "
                    "were replaced"
                ).format(name=repr(_readable(app.identifier)), location=_readable(app.location))
            )
    for index, process in enumerate(output.processes):
        if _unreadable(process.name) or _unreadable(process.exe) or _unreadable(process.user):
            output.processes[index] = replace(
                process,
                name=_readable(process.name),
                exe=_readable(process.exe),
                user=_readable(process.user),
            )


def describe_error(exc: BaseException) -> str:
    """An exception in words a person can act on, naming the file when there is one."""
    if "subprocess" in sys.modules:  # only a program that was run can time out
        import subprocess

        if isinstance(exc, subprocess.TimeoutExpired):
            program = Path(str(exc.cmd[0] if exc.cmd else "?")).name
            return _("{program} did not answer in time").format(program=program)
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        if not exc.filename:
            return reason
        return cannot_read(exc.filename, reason)
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return message
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
