"""The programs running now, so a finding can say "running now" and removal can close it.

On Linux /proc is read directly: name, executable and owner take three system calls per
process, where psutil's richer objects cost ten times as much and were the slowest part of a
whole local scan. Elsewhere (and on a Linux without /proc) psutil does it. Processes we may not
look into (another user's, as a normal user) are listed with what can be seen; kernel threads
and processes that exit while we look are skipped.
"""

from __future__ import annotations

import os
import sys

from audit.i18n import ngettext
from audit.model import Platform, RunningProcess
from audit.sources.local.base import CollectorOutput, LocalRoots

PROC = "/proc"


def proc_processes(proc: str = PROC) -> list[RunningProcess]:
    """Running processes from a Linux /proc; raises FileNotFoundError without one."""
    import pwd

    users: dict[int, str] = {}
    found: list[RunningProcess] = []
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        base = f"{proc}/{entry}"
        try:
            exe = os.readlink(base + "/exe")
        except FileNotFoundError:
            continue  # a kernel thread (no executable) or a process that just exited
        except OSError:
            exe = ""  # another user's process: we may not see its executable
        try:
            with open(base + "/comm", "rb") as handle:
                name = handle.read().decode("utf-8", "replace").rstrip("\n")
            uid = os.stat(base).st_uid
        except OSError:
            continue
        exe = exe.removesuffix(" (deleted)")
        # comm is cut at 15 bytes; the executable's file name is the full name when it agrees.
        base_name = os.path.basename(exe)
        if len(name) >= 15 and base_name.startswith(name):
            name = base_name
        user = users.get(uid)
        if user is None:
            try:
                user = pwd.getpwuid(uid).pw_name
            except KeyError:
                user = str(uid)
            users[uid] = user
        found.append(RunningProcess(pid=int(entry), name=name, exe=exe, user=user))
    return found


def psutil_processes() -> list[RunningProcess]:
    import psutil

    found: list[RunningProcess] = []
    # process_iter skips processes that exit while we look; ad_value stands in for what an
    # AccessDenied or ZombieProcess hides.
    for process in psutil.process_iter(["pid", "name", "exe", "username"], ad_value=None):
        info = process.info
        found.append(
            RunningProcess(
                pid=int(info["pid"]),
                name=str(info.get("name") or ""),
                exe=str(info.get("exe") or ""),
                user=str(info.get("username") or ""),
            )
        )
    return found


def system_processes() -> list[RunningProcess]:
    if sys.platform.startswith("linux") and os.path.isdir(PROC + "/self"):
        return proc_processes()
    return psutil_processes()


class ProcessesCollector:
    name = "running processes"
    platform: Platform | None = None
    runs_program = False

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        lister = ctx.list_processes or system_processes
        processes = lister()
        count = len(processes)
        # Translators: how many programs are running now, e.g. "212 running"
        note = ngettext("{count} running", "{count} running", count).format(count=count)
        return CollectorOutput(processes=processes, note=note)
