"""Several programs side by side on the phone, inside the one shell command of a round trip.

A real phone charges per program: each `pm`, `cmd` or `dumpsys` starts a process (for the Java
tools a whole runtime, 100-400 ms) before it prints a line. Run one after another, the programs
of a scan add up; run as background jobs of the one shell command they overlap on the phone's
cores, and a round costs about its slowest program.

Each job writes its section (the same begin marker, output and exit-status marker as the
sequential script in commands.Script) to its own scratch file in /data/local/tmp, the one
directory the shell user may write; once every job is done (`wait`) the files are printed in
order and removed. Two programs printing to one stream mix mid-line (pipe writes of a few KB
each), so jobs never share one. The sections therefore read exactly as the sequential ones
(parsers.parse_sections with the script's nonce), exit statuses included; a job that died or
never started leaves its section missing or without its end marker, which the scan reports
as a failed read, never as an empty list.

The scratch files are named by the script's random nonce, and the shell user alone can write
there (apps cannot). A phone whose shell cannot start jobs (it refuses `&` or subshells) or
write scratch files gives back none of the sections: rounds.PhoneScan then sends the same
commands one after another (commands.Script) and keeps to that for the rest of the scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audit.sources.android.commands import Argv, Script, build_script, quote

SCRATCH = "/data/local/tmp"
"""Where the shell user (uid 2000) may write: adb's own push target on every Android version."""


@dataclass(frozen=True)
class JobsScript:
    """Commands run as background jobs of one shell invocation, each into its own file."""

    script: Script  # the nonce and sections, as the sequential script has them

    @property
    def nonce(self) -> str:
        return self.script.nonce

    @property
    def sections(self) -> tuple[tuple[str, Argv], ...]:
        return self.script.sections

    def files(self) -> list[str]:
        return [f"{SCRATCH}/.da-{self.nonce}-{index}" for index in range(len(self.sections))]

    @property
    def text(self) -> str:
        files = self.files()
        jobs = []
        for (name, argv), path in zip(self.sections, files, strict=True):
            begin = f"echo ===DA:{self.nonce}:{name}:begin==="
            end = f"echo ===DA:{self.nonce}:{name}:rc=$?==="
            # 2>&1 inside: errors belong to their command's section; outside: so does a
            # message of the job's own shell (a program that could not be started).
            jobs.append(f"({begin}; {quote(argv)} 2>&1; {end}) >{path} 2>&1 &")
        listed = " ".join(files)
        return f"{' '.join(jobs)} wait; cat {listed}; rm -f {listed}"


def build_jobs_script(sections: Sequence[tuple[str, Argv]]) -> JobsScript:
    """A concurrent script with a fresh nonce (see build_script: output cannot forge markers)."""
    return JobsScript(build_script(sections))
