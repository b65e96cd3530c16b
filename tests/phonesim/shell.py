"""A tiny POSIX-ish shell, so that the simulated phone treats a command line as `sh -c` would.

adbd hands every `shell:` command line to /system/bin/sh (mksh). Quoting therefore matters the
same way here as on a phone: `pm uninstall 'x;reboot'` passes one argument, while
`pm uninstall x;reboot` runs `reboot` as a second command. That is what makes this simulator a
real test of injection safety rather than an echo of what the test expects.

Supported: `;` `&&` `||` `|` `&` and newlines, `( list )` subshells, background jobs and `wait`
(`wait` alone, or `wait PID`), single and double quotes, backslashes, `$?`, `$!`, `$NAME`,
`${NAME}`, `$(...)` and backticks, `NAME=value`, `!`, and the redirections `>`, `>>`, `<`,
`N>&M`, `2>/dev/null`, and (compound.py) `while`/`until`/`for` loops, `case` and `read`.
Not supported (a syntax error says so): `if`, `{ list; }`, here-documents, arithmetic, globbing
outside `case` (patterns stay literal). The grammar is in grammar.py; what programs cost, and how
jobs overlap on the phone's cores, in timing.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from tests.phonesim.compound import Stream, read_builtin, run_compound
from tests.phonesim.grammar import (
    _FD,
    _NAME,
    AndOr,
    Case,
    Command,
    ForLoop,
    Loop,
    Part,
    Pipeline,
    Redirect,
    ShellSyntaxError,
    Simple,
    Subshell,
    Word,
    _leading_literal,
    parse,
)
from tests.phonesim.timing import Timing, spread

SH = "/system/bin/sh"
MAX_DEPTH = 8
MAX_INPUT = 1_000_000

Chunk = tuple[int, bytes]  # (1 = stdout or 2 = stderr, data)


@dataclass
class Output:
    """What a command (or a whole command line) wrote, in order, and its exit status.

    `times` (kept by the shell, empty for a single program's output) says when each chunk was
    written; `elapsed_ms` is when a whole command line's last program ended (timing.py)."""

    chunks: list[Chunk] = field(default_factory=list)
    status: int = 0
    times: list[float] = field(default_factory=list)
    elapsed_ms: float = 0.0

    @classmethod
    def of(cls, stdout: str | bytes = b"", stderr: str | bytes = b"", status: int = 0) -> Output:
        out = cls(status=status)
        out.write(1, stdout)
        out.write(2, stderr)
        return out

    def write(self, fd: int, data: str | bytes) -> None:
        if isinstance(data, str):
            data = encode(data)
        if data:
            self.chunks.append((fd, data))

    def add(self, fd: int, data: bytes, at: float) -> None:
        """A chunk written at `at` (the shell's own outputs keep their times)."""
        if data:
            self.chunks.append((fd, data))
            self.times.append(at)

    def in_time_order(self) -> None:
        """Chunks as the reader saw them: by the time they were written (stable for ties)."""
        if len(self.times) == len(self.chunks) and self.times:
            order = sorted(range(len(self.chunks)), key=self.times.__getitem__)
            self.chunks = [self.chunks[i] for i in order]
            self.times = [self.times[i] for i in order]

    @property
    def stdout(self) -> bytes:
        return b"".join(data for fd, data in self.chunks if fd == 1)

    @property
    def stderr(self) -> bytes:
        return b"".join(data for fd, data in self.chunks if fd == 2)

    @property
    def merged(self) -> bytes:
        return b"".join(data for _fd, data in self.chunks)


def encode(text: str) -> bytes:
    """UTF-8, giving back undecodable input bytes as they came; never raises."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that did not come from decoded bytes
        return text.encode("utf-8", "replace")


def decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


class ExitShell(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


# --- execution --------------------------------------------------------------------------------


CommandFn = Callable[["Shell", list[str], bytes], Output]


@dataclass
class Job:
    pid: int
    end: float  # virtual time (ms) when it finishes
    status: int
    holds: bool = True  # it keeps the shell's output open (adbd answers only after it ends)


class Shell:
    """Runs command lines against a table of commands; one instance per phone command line.

    `timing` is the phone's cost model (timing.py); without one programs cost nothing. A job
    (`&`) or subshell runs in a copy of this shell that shares the timing, the files and the
    output, with its own clock and variables, as a forked sh would."""

    def __init__(
        self,
        commands: dict[str, CommandFn],
        files: dict[str, bytes] | None = None,
        timing: Timing | None = None,
    ) -> None:
        self.commands = commands
        self.files = files if files is not None else {}
        self.timing = timing if timing is not None else Timing()
        self.variables: dict[str, str] = {}
        self.status = 0
        self.depth = 0
        self.clock = 0.0  # ms since the command line started, for this shell's foreground
        self.jobs: list[Job] = []
        self.last_job = ""
        self.input: Stream | None = None  # fd 0 of a compound command (`done <file`)

    name = SH

    def run(self, source: str | bytes) -> Output:
        """Run a command line; never raises, whatever the text."""
        if isinstance(source, bytes):
            source = decode(source)
        if len(source) > MAX_INPUT:
            return Output.of(stderr=f"{SH}: argument list too long\n", status=1)
        self.status = 0
        out = Output()
        try:
            script = parse(source, jobs=self.timing.jobs, loops=self.timing.loops)
        except ShellSyntaxError as error:
            return Output.of(stderr=f"{SH}: syntax error: {error}\n", status=1)
        self.execute(script, out)
        out.status = self.status
        out.in_time_order()
        out.elapsed_ms = max([self.clock, *self.timing.ends])
        return out

    def execute(self, script: list[AndOr], out: Output) -> None:
        """Run a parsed list; `exit` ends it (and only it, in a job or subshell)."""
        try:
            self.run_items(script, out)
        except ExitShell as exit_:
            self.status = exit_.status & 0xFF
        except RecursionError:
            self.error(out, f"{SH}: too deeply nested\n")
            self.status = 1

    def run_items(self, items: list[AndOr], out: Output) -> None:
        """Run a list in this shell (`exit` goes on up to the shell's own execute)."""
        for item in items:
            if item.background:
                self.background(item, out)
            else:
                self.and_or(item, out)

    def child(self) -> Shell:
        """A forked copy: same commands, files, timing and clock; its own variables."""
        copy = Shell(self.commands, self.files, self.timing)
        copy.variables = dict(self.variables)
        copy.status = self.status
        copy.depth = self.depth
        copy.clock = self.clock
        copy.input = self.input
        return copy

    def background(self, node: AndOr, out: Output) -> None:
        """`node &`: the job runs from now on its own clock; the shell goes on at once."""
        job = self.child()
        job.execute([replace(node, background=False)], out)
        pid = self.timing.new_pid()
        end = max([job.clock, *(j.end for j in job.jobs)])
        holds = holds_output(node)
        self.jobs.append(Job(pid, end, job.status, holds))
        if holds:
            self.timing.ends.append(end)
        self.last_job = str(pid)
        self.status = 0

    def wait(self, argv: list[str]) -> Output:
        """The `wait` built-in: for every job (status 0), or for the jobs named (the last one's
        status; 127 for a pid that is no job of this shell)."""
        if len(argv) == 1:
            self.clock = max([self.clock, *(job.end for job in self.jobs)])
            self.jobs = []
            return Output()
        status = 0
        for arg in argv[1:]:
            job = next((j for j in self.jobs if str(j.pid) == arg), None)
            if job is None:
                status = 127
                continue
            self.clock = max(self.clock, job.end)
            status = job.status
        return Output(status=status)

    def error(self, out: Output, text: str) -> None:
        out.add(2, encode(text), self.clock)

    def and_or(self, node: AndOr, out: Output) -> None:
        self.pipeline(node.first, out)
        for op, pipeline in node.rest:
            if (op == "&&") == (self.status == 0):
                self.pipeline(pipeline, out)

    def pipeline(self, node: Pipeline, out: Output) -> None:
        """The commands of a pipeline run side by side: it ends when its slowest one does."""
        stdin = b""
        start = end = self.clock
        for index, command in enumerate(node.commands):
            last = index == len(node.commands) - 1
            self.clock = start
            result = self.command(command, stdin)
            end = max(end, self.clock)
            stdin = b""
            for (fd, data), at in zip(result.chunks, result.times, strict=True):
                if fd == 1 and not last:
                    stdin += data
                else:
                    out.add(fd, data, at)
            self.status = result.status
        self.clock = end
        if node.negate:
            self.status = 0 if self.status else 1

    def command(self, node: Command, stdin: bytes) -> Output:
        if isinstance(node, Subshell):
            return self.subshell(node, stdin)
        if isinstance(node, Loop | ForLoop | Case):
            return self.compound(node, stdin)
        return self.simple(node, stdin)

    def compound(self, node: Loop | ForLoop | Case, stdin: bytes) -> Output:
        """A loop or case in this shell, its redirections applied to all of it."""
        out = Output()
        fds = self.redirections(node.redirects, out)
        if fds is None:
            out.status = 1
            return out
        source = fds.pop(0, "")
        saved = self.input
        if source == "null":
            self.input = Stream(b"")
        elif source.startswith("file:"):
            self.input = Stream(self.read_file(source[5:]) or b"")
        elif stdin:
            self.input = Stream(stdin)
        written = Output()
        try:
            run_compound(self, node, written)
        finally:
            self.input = saved
        self.route(written, fds, out)
        out.status = self.status
        return out

    def subshell(self, node: Subshell, stdin: bytes) -> Output:
        out = Output()
        fds = self.redirections(node.redirects, out)
        if fds is None:
            out.status = 1
            return out
        inner = self.child()
        written = Output()
        inner.execute(node.body, written)
        if fds.get(1) == "out" or fds.get(2) in ("out", "err"):  # not this shell's to wait for
            self.timing.ends.extend(job.end for job in inner.jobs if job.holds)
        self.clock = inner.clock
        self.route(written, fds, out)
        out.status = inner.status
        return out

    def simple(self, node: Simple, stdin: bytes) -> Output:
        out = Output()
        argv: list[str] = []
        assignments: list[tuple[str, str]] = []
        for word in node.words:
            name, eq, _ = _leading_literal(word).partition("=")
            if not argv and eq and _NAME.fullmatch(name):
                value = "".join(self.expand(word, out, split=False))
                assignments.append((name, value.partition("=")[2]))
            else:
                argv.extend(self.expand(word, out, split=True))
        fds = self.redirections(node.redirects, out)
        if fds is None:
            out.status = 1
            return out
        source = fds.pop(0, "")
        if source == "null":
            stdin = b""
        elif source.startswith("file:"):
            stdin = self.read_file(source[5:]) or b""
        if not argv:
            self.variables.update(assignments)
            out.status = self.status
            return out
        start, end = self.timing.run(argv[0].rpartition("/")[2], self.clock)
        result = self.call_with(assignments, argv, stdin)
        self.clock = max(self.clock, end)
        written = Output(status=result.status)
        for fd, data in result.chunks:
            for at, piece in spread(data, start, end):
                written.add(fd, piece, at)
        self.route(written, fds, out)
        out.status = result.status
        return out

    def call_with(
        self, assignments: list[tuple[str, str]], argv: list[str], stdin: bytes
    ) -> Output:
        """`NAME=value command`: the assignment holds for that command only (`IFS=: read`)."""
        saved = {name: self.variables.get(name) for name, _ in assignments}
        self.variables.update(assignments)
        try:
            return self.call(argv, stdin)
        finally:
            for name, old in saved.items():
                if old is None:
                    self.variables.pop(name, None)
                else:
                    self.variables[name] = old

    def redirections(self, redirects: list[Redirect], out: Output) -> dict[int, str] | None:
        """The fd table after the redirections; None (the error written) when one fails."""
        fds: dict[int, str] = {1: "out", 2: "err"}
        for redirect in redirects:
            error = self.redirect(redirect, fds, out)
            if error is not None:
                self.error(out, error)
                return None
        return fds

    def route(self, written: Output, fds: dict[int, str], out: Output) -> None:
        """Send what a command wrote where its fds point: the shell's output or a file."""
        for (fd, data), at in zip(written.chunks, written.times, strict=True):
            target = fds.get(fd, "err")
            if target == "out":
                out.add(1, data, at)
            elif target == "err":
                out.add(2, data, at)
            elif target.startswith("file:"):
                self.write_file(target[5:], data, at)

    def call(self, argv: list[str], stdin: bytes) -> Output:
        name = argv[0]
        if name == "wait":
            return self.wait(argv)
        if name == "read":
            return read_builtin(self, argv, stdin)
        if "/" in name:
            folder, _, base = name.rpartition("/")
            if folder not in ("/system/bin", "/system/xbin", "/bin", "/vendor/bin"):
                return Output.of(stderr=f"{SH}: {name}: inaccessible or not found\n", status=127)
            name = base
        command = self.commands.get(name)
        if command is None:
            return Output.of(stderr=f"{SH}: {argv[0]}: inaccessible or not found\n", status=127)
        return command(self, argv, stdin)

    def redirect(self, redirect: Redirect, fds: dict[int, str], out: Output) -> str | None:
        """Apply one redirection to the fd table; returns sh's error text when it fails."""
        assert redirect.target is not None
        target = "".join(self.expand(redirect.target, out, split=False))
        if redirect.op in (">&", "<&"):
            return self.duplicate(redirect.fd, target, fds)
        if target == "/dev/null":
            fds[redirect.fd] = "null"
            return None
        if redirect.op == "<":
            if self.read_file(target) is None:
                return f"{SH}: can't open {target}: No such file or directory\n"
        elif target.startswith("/data/local/tmp/") and ".." not in target:
            if not self.timing.tmp_writable:
                return f"{SH}: can't create {target}: Permission denied\n"
            if redirect.op == ">":
                self.timing.log(self.files, target, self.clock, "trunc", b"")
                self.files[target] = b""
            elif target not in self.files:
                self.timing.log(self.files, target, self.clock, "append", b"")
                self.files[target] = b""
        else:
            return f"{SH}: can't create {target}: Read-only file system\n"
        fds[redirect.fd] = "file:" + target
        return None

    @staticmethod
    def duplicate(fd: int, target: str, fds: dict[int, str]) -> str | None:
        if target == "-":
            fds[fd] = "null"
        elif _FD.fullmatch(target) and int(target) in fds:
            fds[fd] = fds[int(target)]
        elif _FD.fullmatch(target):
            return f"{SH}: {target}: bad file descriptor\n"
        else:
            return f"{SH}: {target}: illegal file descriptor name\n"
        return None

    def write_file(self, path: str, data: bytes, at: float | None = None) -> None:
        self.timing.log(self.files, path, self.clock if at is None else at, "append", data)
        self.files[path] = self.files.get(path, b"") + data

    def read_file(self, path: str) -> bytes | None:
        """The file as it is now on this shell's clock: a job still writing it has written
        only part of it (or not yet created it)."""
        return self.timing.read(self.files, path, self.clock)

    def remove_file(self, path: str) -> bool:
        if path not in self.files:
            return False
        self.timing.log(self.files, path, self.clock, "remove", b"")
        del self.files[path]
        return True

    def expand(self, word: Word, out: Output, split: bool) -> list[str]:
        """Expand one word into fields: variables, command substitution, field splitting."""
        fields: list[str] = []
        current: list[str] = []
        has_field = False
        for part in word.parts:
            if part.kind == "lit":
                current.append(part.value)
                has_field = True
                continue
            value = self.variable(part.value) if part.kind == "var" else self.substitute(part, out)
            if part.quoted or not split:
                current.append(value)
                has_field = True
                continue
            pieces = value.split()
            if not pieces:
                continue
            if value[:1].isspace() and has_field:
                fields.append("".join(current))
                current = []
            current.append(pieces[0])
            for piece in pieces[1:]:
                fields.append("".join(current))
                current = [piece]
            has_field = True
            if value[-1:].isspace():
                fields.append("".join(current))
                current = []
                has_field = False
        if has_field:
            fields.append("".join(current))
        return fields

    def variable(self, name: str) -> str:
        if name == "?":
            return str(self.status)
        if name == "$":
            return "4242"
        if name == "!":
            return self.last_job
        if name == "#":
            return "0"
        if name == "0":
            return SH
        return self.variables.get(name, "")

    def substitute(self, part: Part, out: Output) -> str:
        """`$(...)`: its output, once every program holding its pipe has finished."""
        if self.depth >= MAX_DEPTH:
            self.error(out, f"{SH}: too deeply nested\n")
            return ""
        try:
            script = parse(part.value, jobs=self.timing.jobs, loops=self.timing.loops)
        except ShellSyntaxError as error:
            self.error(out, f"{SH}: syntax error: {error}\n")
            return ""
        saved = self.status
        self.depth += 1
        try:
            inner = self.child()
            inner.variables = self.variables
            written = Output()
            inner.execute(script, written)
        finally:
            self.depth -= 1
        self.status = saved
        self.clock = max([self.clock, inner.clock, *(j.end for j in inner.jobs if j.holds)])
        written.in_time_order()
        for (fd, data), at in zip(written.chunks, written.times, strict=True):
            if fd == 2:
                out.add(2, data, at)
        return decode(written.stdout).rstrip("\n")


def holds_output(node: AndOr) -> bool:
    """Whether a job keeps the shell's output open: it does unless every command of it sends
    both its stdout and stderr elsewhere (`>file 2>&1`, `>/dev/null 2>&1`), as a forked sh's
    redirections replace the inherited descriptors. Such a detached job runs on after the
    shell exits, and adbd answers without waiting for it."""
    for pipeline in (node.first, *(p for _, p in node.rest)):
        for index, command in enumerate(pipeline.commands):
            fds = {1: "stream" if index == len(pipeline.commands) - 1 else "pipe", 2: "stream"}
            for redirect in command.redirects:
                if redirect.fd not in (1, 2):
                    continue
                target = redirect.target.literal if redirect.target is not None else None
                if redirect.op in (">", ">>"):
                    fds[redirect.fd] = "file"
                elif redirect.op == ">&" and target is not None and target in ("1", "2"):
                    fds[redirect.fd] = fds[int(target)]
                elif redirect.op == ">&" and target == "-":
                    fds[redirect.fd] = "closed"
            if "stream" in fds.values():
                return True
    return False
