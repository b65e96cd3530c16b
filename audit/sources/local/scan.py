"""A scan of this computer: every collector for its OS, each isolated from the others.

Each collector runs in its own thread and reports back through a queue, so that a collector
that hangs (a stuck network home folder, a PowerShell that never answers) is reported as failed
when the time is up while the others' results are kept, and so that a person can cancel at any
moment. Waiting for PowerShell on Windows or rpm on Fedora also overlaps with reading files.

Outcomes become source reports: "absent" (not on this computer: nothing missed), "failed"
(raised or timed out: nothing read), "partial" (read, with problems). Only the last two make the
scan incomplete, and the report names what is missing.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from audit.errors import Cancelled
from audit.i18n import _, ngettext
from audit.model import (
    Connection,
    ConnectionKind,
    Device,
    DeviceKind,
    InstalledApp,
    Platform,
    RunningProcess,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress
from audit.sources.local.base import (
    SYSTEM_USER,
    Collector,
    CollectorAbsent,
    CollectorOutput,
    LocalRoots,
    current_platform,
    describe_error,
    make_readable,
)
from audit.sources.local.identity import identify
from audit.sources.local.processes import ProcessesCollector

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1  # how often a waiting scan checks whether it was cancelled
MAX_PROBLEMS_SHOWN = 3


def collectors_for(platform: Platform) -> list[Collector]:
    """The collectors of one operating system. Each OS's modules are imported here, only for
    the OS asked for: a scan of a Linux computer does not load the plist reader or the registry
    code (issue 15: what a command does not use, it does not load)."""
    if platform is Platform.WINDOWS:
        from audit.sources.local.windows_appx import WindowsAppxCollector
        from audit.sources.local.windows_registry import WindowsRegistryCollector

        return [WindowsRegistryCollector(), WindowsAppxCollector(), ProcessesCollector()]
    if platform is Platform.MACOS:
        from audit.sources.local.macos_bundles import MacBundlesCollector

        return [MacBundlesCollector(), ProcessesCollector()]
    from audit.sources.local.linux_appimage import AppImageCollector
    from audit.sources.local.linux_desktop import DesktopEntriesCollector
    from audit.sources.local.linux_dpkg import DpkgCollector
    from audit.sources.local.linux_flatpak import FlatpakCollector
    from audit.sources.local.linux_rpm import RpmCollector
    from audit.sources.local.linux_snap import SnapCollector

    return [
        DpkgCollector(),
        RpmCollector(),
        FlatpakCollector(),
        SnapCollector(),
        AppImageCollector(),
        DesktopEntriesCollector(),
        ProcessesCollector(),
    ]


def default_roots() -> LocalRoots:
    """The real computer. Tests that drive the CLI replace this function (monkeypatch) to point
    `device-audit scan --local` at a fixture tree."""
    platform = current_platform()
    data_dirs = tuple(
        d for d in os.environ.get("XDG_DATA_DIRS", "").split(os.pathsep) if d.startswith("/")
    )
    data_home = os.environ.get("XDG_DATA_HOME", "")
    registry = None
    if platform is Platform.WINDOWS:
        from audit.sources.local.registry import open_windows_registry

        registry = open_windows_registry()
    return LocalRoots(
        platform=platform,
        data_dirs=data_dirs or LocalRoots.data_dirs,
        data_home=Path(data_home) if data_home.startswith("/") else None,
        registry=registry,
    )


@dataclass(frozen=True)
class _Done:
    index: int
    output: CollectorOutput | None
    error: BaseException | None


def _summary(problems: list[str]) -> str:
    shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    if more <= 0:
        return shown
    return ngettext("{problems} (and {count} more)", "{problems} (and {count} more)", more).format(
        problems=shown, count=more
    )


def report(collector: Collector, done: _Done | None, timeout: float) -> SourceReport:
    """What one collector's outcome means for the scan."""
    name = collector.name
    if done is None:
        log.info("%s did not finish within %.0f seconds", name, timeout)
        words = _("did not finish within {seconds} seconds").format(seconds=f"{timeout:g}")
        return SourceReport(name, SourceStatus.FAILED, words)
    if isinstance(done.error, CollectorAbsent):
        return SourceReport(name, SourceStatus.ABSENT, str(done.error))
    if done.error is not None:
        # the report says why in words; the traceback is for the log file, not the terminal
        log.info("%s failed: %s", name, done.error, exc_info=done.error)
        return SourceReport(name, SourceStatus.FAILED, describe_error(done.error))
    output = done.output or CollectorOutput()
    count = len(output.apps)
    for problem in output.problems:
        log.info("%s: %s", name, problem)
    if not output.problems:
        return SourceReport(name, SourceStatus.OK, output.note, count)
    status = SourceStatus.PARTIAL if count or output.processes else SourceStatus.FAILED
    return SourceReport(name, status, _summary(output.problems), count)


def run_collectors(
    collectors: list[Collector],
    ctx: LocalRoots,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
) -> list[tuple[SourceReport, CollectorOutput]]:
    """Run the collectors; one report (and output) per collector, in their order.

    Each runs in its own thread, so one that hangs can be left behind (a daemon thread cannot
    keep the program alive) and reported as failed after `ctx.timeout` seconds. Collectors that
    wait on another program start first, side by side, and their waiting overlaps with the
    others. Collectors that read files run one after the other: side by side they only take
    turns at the interpreter lock, which measured 20% slower than one at a time.
    """
    results: queue.Queue[_Done] = queue.Queue()
    finished: dict[int, _Done] = {}

    def work(index: int, collector: Collector) -> None:
        try:
            output = collector.collect(ctx)
            make_readable(output)
            results.put(_Done(index, output, None))
        except Exception as exc:
            results.put(_Done(index, None, exc))

    def start(index: int) -> None:
        name = f"collector {collectors[index].name}"
        thread = threading.Thread(target=work, args=(index, collectors[index]), name=name)
        thread.daemon = True
        thread.start()

    def wait_for(indices: list[int], deadline: float) -> None:
        while any(index not in finished for index in indices):
            if cancelled():
                raise Cancelled()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                done = results.get(timeout=min(remaining, POLL_SECONDS))
            except queue.Empty:
                continue
            finished[done.index] = done
            # Translators: {source} is a source's name ("dpkg", "flatpak", "running processes")
            step = _("Read {source}").format(source=collectors[done.index].name)
            progress(len(finished) / (len(collectors) + 1), step)

    waiting = [i for i, c in enumerate(collectors) if c.runs_program]
    started = time.monotonic()
    for index in waiting:
        start(index)
    for index, collector in enumerate(collectors):
        if not collector.runs_program:
            start(index)
            wait_for([index], time.monotonic() + ctx.timeout)
    wait_for(waiting, started + ctx.timeout)
    outcomes = []
    for index, collector in enumerate(collectors):
        done_or_none = finished.get(index)
        output = done_or_none.output if done_or_none and done_or_none.output else None
        outcomes.append((report(collector, done_or_none, ctx.timeout), output or CollectorOutput()))
    return outcomes


def _identify(ctx: LocalRoots) -> Device:
    try:
        return identify(ctx)
    except Exception:  # identify reads defensively; this is the last line, not the plan
        log.warning("could not identify this computer", exc_info=True)
        return Device(
            id="local:unknown",
            kind=DeviceKind.COMPUTER,
            name="this computer",
            connection=Connection(ConnectionKind.THIS_COMPUTER),
        )


def scan_local(
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
    *,
    roots: LocalRoots | None = None,
) -> ScanResult:
    """Every installed app on this computer, the running processes, and what could not be read.

    `roots` points the scan somewhere else than the real computer (tests use fixture trees);
    by default it is `default_roots()`.
    """
    ctx = roots if roots is not None else default_roots()
    started = datetime.now(UTC)
    progress(0.0, _("Looking at this computer"))
    if cancelled():
        raise Cancelled()
    collectors = collectors_for(ctx.platform)
    device = _identify(ctx)
    outcomes = run_collectors(collectors, ctx, progress, cancelled)
    apps: list[InstalledApp] = []
    processes: list[RunningProcess] = []
    for _report, output in outcomes:
        apps.extend(output.apps)
        processes.extend(output.processes)
    users = (
        UserProfile(SYSTEM_USER, "All users", UserKind.SYSTEM),
        UserProfile(ctx.user, ctx.user, UserKind.LOCAL_USER),
    )
    progress(
        1.0, ngettext("Found {count} app", "Found {count} apps", len(apps)).format(count=len(apps))
    )
    return ScanResult(
        device=device,
        started_at=started,
        finished_at=datetime.now(UTC),
        apps=tuple(apps),
        users=users,
        processes=tuple(processes),
        sources=tuple(source for source, _output in outcomes),
    )
