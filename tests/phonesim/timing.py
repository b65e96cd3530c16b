"""What programs cost on the simulated phone: a clock per shell, cores shared by its programs.

A real phone charges per program, not per shell command: each `pm`, `cmd`, `dumpsys` starts a
process (for the Java tools, a whole runtime) that takes 100-400 ms before it prints a line, while
the shell's own built-ins (`echo`, `wait`) and toybox's small tools (`cat`, `rm`) take a
millisecond or so, counted here as nothing. A profile's `program_ms` is that cost and `cores` how
many such programs run side by side: programs started as background jobs (`&`) overlap up to
the number of cores and queue for a core beyond it; programs run one after another add up.

Nothing sleeps here. Each shell keeps a virtual clock in milliseconds; a command line's
`Output.elapsed_ms` is when its last program ended (background jobs included when they print to
the shell's output: they hold it open, so adbd closes the stream only after them; a job whose
output all goes to files runs on detached), and the daemon waits that long before answering,
as the phone would. Output written by concurrent programs to the same stream
is merged by the time each piece was written (a program's output leaves it in pieces of
PIPE_CHUNK bytes over its run), so two jobs printing to one stream interleave mid-line, as they
do on a phone; a file read at some moment holds only what was written to it by then.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COSTLY = frozenset({"pm", "cmd", "dumpsys", "getprop", "am", "settings", "monkey", "service"})
"""Programs that start a process worth counting (the Java tools and the property service)."""

PIPE_CHUNK = 4096
"""Bytes a program writes at a time (a pipe buffer page): the grain at which outputs mix."""


class Cores:
    """The phone's cores as a calendar of busy spans: a program takes a core for its whole
    run, starting at the earliest moment one is free (first come, first served in the order the
    shell starts them)."""

    def __init__(self, count: int) -> None:
        self.count = max(1, count)
        self.busy: list[tuple[float, float]] = []

    def book(self, ready: float, duration: float) -> float:
        """Start time of a program that is ready at `ready` and runs `duration` ms."""
        if duration <= 0:
            return ready
        candidates = sorted({ready, *(end for _, end in self.busy if end > ready)})
        for start in candidates:
            if self._peak(start, start + duration) < self.count:
                self.busy.append((start, start + duration))
                return start
        raise AssertionError("unreachable: the latest end always has a free core")

    def _peak(self, start: float, end: float) -> int:
        """The most programs running at once within [start, end)."""
        spans = [(s, e) for s, e in self.busy if s < end and e > start]
        points = [start, *(s for s, _ in spans if s > start)]
        return max((sum(1 for s, e in spans if s <= p < e) for p in points), default=0)


@dataclass
class Timing:
    """The cost model of one command line: shared by the shell and every job and subshell it
    starts, so their programs compete for the same cores."""

    program_ms: float = 0.0
    cores: Cores = field(default_factory=lambda: Cores(8))
    jobs: bool = True  # False: a shell that cannot start background jobs or subshells
    tmp_writable: bool = True  # False: /data/local/tmp refuses the shell's files
    loops: bool = True  # False: a shell without `while`, `for`, `case` (a syntax error)
    last_pid: int = 4242
    ends: list[float] = field(default_factory=list)  # when each job started anywhere ends
    writes: dict[str, list[tuple[float, str, bytes]]] = field(default_factory=dict)
    before: dict[str, bytes | None] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        program_ms: float,
        cores: int,
        *,
        jobs: bool = True,
        tmp_writable: bool = True,
        loops: bool = True,
    ) -> Timing:
        return cls(
            program_ms=program_ms,
            cores=Cores(cores),
            jobs=jobs,
            tmp_writable=tmp_writable,
            loops=loops,
        )

    def cost(self, name: str) -> float:
        return self.program_ms if name in COSTLY else 0.0

    def run(self, name: str, ready: float) -> tuple[float, float]:
        """(start, end) of program `name` started at `ready`."""
        duration = self.cost(name)
        start = self.cores.book(ready, duration)
        return start, start + duration

    def new_pid(self) -> int:
        self.last_pid += 1
        return self.last_pid

    # --- files, as they are at a moment --------------------------------------------------

    def log(self, files: dict[str, bytes], path: str, at: float, kind: str, data: bytes) -> None:
        """Record a change to a file (kind: "trunc", "append", "remove") made at `at`."""
        if path not in self.writes:
            self.before[path] = files.get(path)
            self.writes[path] = []
        self.writes[path].append((at, kind, data))

    def read(self, files: dict[str, bytes], path: str, at: float) -> bytes | None:
        """The file as it was at `at` (None: it did not exist then)."""
        changes = self.writes.get(path)
        if changes is None:
            return files.get(path)
        content = self.before.get(path)
        for when, kind, data in sorted(changes, key=lambda change: change[0]):
            if when > at:
                break
            if kind == "remove":
                content = None
            elif kind == "trunc":
                content = data
            else:
                content = (content or b"") + data
        return content


def spread(data: bytes, start: float, end: float) -> list[tuple[float, bytes]]:
    """A program's output as the pieces it wrote over its run from `start` to `end`."""
    if end <= start or len(data) <= PIPE_CHUNK:
        return [(end, data)]
    pieces = [data[i : i + PIPE_CHUNK] for i in range(0, len(data), PIPE_CHUNK)]
    count = len(pieces)
    # The last piece at exactly `end`: a float sum could land just after it, and the program's
    # output would then seem unfinished to a reader that waited for the program.
    times = [start + (end - start) * (index + 1) / count for index in range(count - 1)] + [end]
    return list(zip(times, pieces, strict=True))
