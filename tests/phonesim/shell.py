"""A tiny POSIX-ish shell, so that the simulated phone treats a command line as `sh -c` would.

adbd hands every `shell:` command line to /system/bin/sh (mksh). Quoting therefore matters the
same way here as on a phone: `pm uninstall 'x;reboot'` passes one argument, while
`pm uninstall x;reboot` runs `reboot` as a second command. That is what makes this simulator a
real test of injection safety rather than an echo of what the test expects.

Supported: `;` `&&` `||` `|` `&` and newlines, single and double quotes, backslashes, `$?`,
`$NAME`, `${NAME}`, `$(...)` and backticks, `NAME=value`, `!`, and the redirections
`>`, `>>`, `<`, `N>&M`, `2>/dev/null`. Not supported (a syntax error says so): subshells,
`if`/`for`/`while`/`case`, here-documents, arithmetic, globbing (patterns stay literal).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

SH = "/system/bin/sh"
MAX_DEPTH = 8
MAX_INPUT = 1_000_000

Chunk = tuple[int, bytes]  # (1 = stdout or 2 = stderr, data)


@dataclass
class Output:
    """What a command (or a whole command line) wrote, in order, and its exit status."""

    chunks: list[Chunk] = field(default_factory=list)
    status: int = 0

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


class ShellSyntaxError(Exception):
    pass


class ExitShell(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


# --- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    kind: str  # "lit", "var" or "sub"
    value: str
    quoted: bool


@dataclass(frozen=True)
class Word:
    parts: tuple[Part, ...]

    @property
    def literal(self) -> str | None:
        """The word's text if it has no expansions, else None."""
        if all(p.kind == "lit" for p in self.parts):
            return "".join(p.value for p in self.parts)
        return None

    @property
    def unquoted_literal(self) -> str | None:
        if all(p.kind == "lit" and not p.quoted for p in self.parts):
            return "".join(p.value for p in self.parts)
        return None


@dataclass(frozen=True)
class Op:
    value: str


@dataclass(frozen=True)
class Redirect:
    op: str  # ">", ">>", "<", ">&", "<&"
    fd: int
    target: Word | None = None


Token = Word | Op | Redirect

_OPERATORS = ("&&", "||", ";;", ">>", ">&", "<&", "<<", ">|", ";", "&", "|", "(", ")", "<", ">")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATOR = re.compile("|".join(re.escape(op) for op in _OPERATORS))
_PLAIN_RUN = re.compile(r"[^\s;&|()<>'\"\\$`#]+")
_FD = re.compile(r"[0-9]{1,2}")
_SPECIAL_VARS = "?$#!0123456789@*-"
_RESERVED = {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done"}
_RESERVED |= {"case", "esac", "in", "function", "select", "{", "}", "[[", "]]"}


class _Lexer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.tokens: list[Token] = []
        self.parts: list[Part] = []
        self.in_word = False

    def run(self) -> list[Token]:
        handlers: dict[str, Callable[[], None]] = {
            "\n": self.newline,
            "#": self.comment,
            "'": self.single_quoted,
            '"': self.double_quoted,
            "\\": self.backslash,
            "$": lambda: self.dollar(quoted=False),
            "`": lambda: self.add(Part("sub", self.backtick(), False)),
        }
        while self.pos < len(self.source):
            char = self.source[self.pos]
            handler = handlers.get(char)
            if handler is not None:
                handler()
            elif char in " \t\r":
                self.end_word()
                self.pos += 1
            elif char in ";&|()<>":
                self.operator()
            else:
                # A run of plain characters is one part: a scan's script is mostly such runs.
                match = _PLAIN_RUN.match(self.source, self.pos)
                end = match.end() if match else self.pos + 1
                self.add(Part("lit", self.source[self.pos : end], False))
                self.pos = end
        self.end_word()
        return self.tokens

    def newline(self) -> None:
        self.end_word()
        self.tokens.append(Op("\n"))
        self.pos += 1

    def comment(self) -> None:
        if self.in_word:
            self.add(Part("lit", "#", False))
            self.pos += 1
            return
        end = self.source.find("\n", self.pos)
        self.pos = len(self.source) if end == -1 else end

    def single_quoted(self) -> None:
        end = self.source.find("'", self.pos + 1)
        if end == -1:
            raise ShellSyntaxError("no closing quote")
        self.add(Part("lit", self.source[self.pos + 1 : end], True))
        self.pos = end + 1

    def backslash(self) -> None:
        nxt = self.source[self.pos + 1 : self.pos + 2]
        if nxt and nxt != "\n":
            self.add(Part("lit", nxt, True))
        self.pos += 2

    def add(self, part: Part) -> None:
        self.parts.append(part)
        self.in_word = True

    def end_word(self) -> None:
        if self.in_word:
            self.tokens.append(Word(tuple(self.parts)))
        self.parts = []
        self.in_word = False

    def operator(self) -> None:
        match = _OPERATOR.match(self.source, self.pos)
        assert match is not None  # called on one of ;&|()<>
        op = match.group()
        if op in ("<", ">", ">>", ">&", "<&", ">|", "<<"):
            fd = 0 if op.startswith("<") else 1
            word = Word(tuple(self.parts)).unquoted_literal if self.in_word else None
            if word is not None and _FD.fullmatch(word):
                fd = int(word)
                self.parts = []
                self.in_word = False
            else:
                self.end_word()
            if op == "<<":
                raise ShellSyntaxError("here-documents are not supported by the simulated phone")
            self.tokens.append(Redirect(">" if op == ">|" else op, fd))
        else:
            self.end_word()
            self.tokens.append(Op(op))
        self.pos += len(op)

    def double_quoted(self) -> None:
        src = self.source
        self.pos += 1
        text: list[str] = []
        self.in_word = True  # "" is an (empty) word
        while True:
            if self.pos >= len(src):
                raise ShellSyntaxError("no closing quote")
            char = src[self.pos]
            if char == '"':
                self.pos += 1
                break
            if char == "\\" and self.pos + 1 < len(src) and src[self.pos + 1] in '$`"\\\n':
                if src[self.pos + 1] != "\n":
                    text.append(src[self.pos + 1])
                self.pos += 2
            elif char in "$`":
                if text:
                    self.add(Part("lit", "".join(text), True))
                    text = []
                if char == "$":
                    self.dollar(quoted=True)
                else:
                    self.add(Part("sub", self.backtick(), True))
            else:
                text.append(char)
                self.pos += 1
        self.add(Part("lit", "".join(text), True))

    def dollar(self, quoted: bool) -> None:
        src = self.source
        nxt = src[self.pos + 1] if self.pos + 1 < len(src) else ""
        if nxt == "(":
            if src.startswith("((", self.pos + 1):
                raise ShellSyntaxError("arithmetic is not supported by the simulated phone")
            end = _matching_paren(src, self.pos + 1)
            self.add(Part("sub", src[self.pos + 2 : end], quoted))
            self.pos = end + 1
        elif nxt == "{":
            end = src.find("}", self.pos + 2)
            if end == -1:
                raise ShellSyntaxError("missing '}'")
            name = src[self.pos + 2 : end]
            if not (_NAME.fullmatch(name) or (len(name) == 1 and name in _SPECIAL_VARS)):
                raise ShellSyntaxError(f"${{{name}}}: bad substitution")
            self.add(Part("var", name, quoted))
            self.pos = end + 1
        elif nxt and nxt in _SPECIAL_VARS:
            self.add(Part("var", nxt, quoted))
            self.pos += 2
        else:
            match = _NAME.match(src, self.pos + 1)
            if match:
                self.add(Part("var", match.group(0), quoted))
                self.pos = match.end()
            else:
                self.add(Part("lit", "$", quoted))
                self.pos += 1

    def backtick(self) -> str:
        src = self.source
        start = self.pos + 1
        pos = start
        text: list[str] = []
        while True:
            if pos >= len(src):
                raise ShellSyntaxError("no closing quote")
            if src[pos] == "\\" and pos + 1 < len(src) and src[pos + 1] in "`\\$":
                text.append(src[pos + 1])
                pos += 2
            elif src[pos] == "`":
                self.pos = pos + 1
                return "".join(text)
            else:
                text.append(src[pos])
                pos += 1


def _leading_literal(word: Word) -> str:
    """The unquoted literal text a word starts with (where `NAME=` of an assignment is)."""
    text = []
    for part in word.parts:
        if part.kind != "lit" or part.quoted:
            break
        text.append(part.value)
    return "".join(text)


def _matching_paren(src: str, open_at: int) -> int:
    depth = 0
    pos = open_at
    quote = ""
    while pos < len(src):
        char = src[pos]
        if quote:
            if char == "\\" and quote == '"':
                pos += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "\\":
            pos += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    raise ShellSyntaxError("no closing quote")


# --- syntax tree ------------------------------------------------------------------------------


@dataclass
class Simple:
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Pipeline:
    commands: list[Simple]
    negate: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)


def parse(source: str) -> list[AndOr]:
    """Parse a whole command line first, as sh does: a syntax error runs nothing."""
    tokens = _Lexer(source).run()
    parser = _Parser(tokens)
    return parser.script()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def peek_op(self) -> str | None:
        token = self.peek()
        return token.value if isinstance(token, Op) else None

    def script(self) -> list[AndOr]:
        items: list[AndOr] = []
        while True:
            while self.peek_op() == "\n":
                self.pos += 1
            if self.peek() is None:
                return items
            items.append(self.and_or())
            op = self.peek_op()
            if op in (";", "&", "\n"):
                self.pos += 1
            elif self.peek() is not None:
                raise self.unexpected()

    def and_or(self) -> AndOr:
        node = AndOr(self.pipeline())
        while self.peek_op() in ("&&", "||"):
            op = self.peek_op() or ""
            self.pos += 1
            while self.peek_op() == "\n":
                self.pos += 1
            node.rest.append((op, self.pipeline()))
        return node

    def pipeline(self) -> Pipeline:
        negate = False
        token = self.peek()
        if isinstance(token, Word) and token.unquoted_literal == "!":
            negate = True
            self.pos += 1
        commands = [self.simple()]
        while self.peek_op() == "|":
            self.pos += 1
            while self.peek_op() == "\n":
                self.pos += 1
            commands.append(self.simple())
        return Pipeline(commands, negate)

    def simple(self) -> Simple:
        command = Simple()
        while True:
            token = self.peek()
            if isinstance(token, Word):
                if not command.words and token.unquoted_literal in _RESERVED:
                    raise ShellSyntaxError(
                        f"'{token.unquoted_literal}' is not supported by the simulated phone"
                    )
                command.words.append(token)
                self.pos += 1
            elif isinstance(token, Redirect):
                self.pos += 1
                target = self.peek()
                if not isinstance(target, Word):
                    raise self.unexpected()
                self.pos += 1
                command.redirects.append(Redirect(token.op, token.fd, target))
            else:
                break
        if not command.words and not command.redirects:
            raise self.unexpected()
        return command

    def unexpected(self) -> ShellSyntaxError:
        token = self.peek()
        if token is None:
            return ShellSyntaxError("unexpected end of file")
        text = token.value if isinstance(token, Op) else "word"
        return ShellSyntaxError(f"'{'newline' if text == chr(10) else text}' unexpected")


# --- execution --------------------------------------------------------------------------------


CommandFn = Callable[["Shell", list[str], bytes], Output]


class Shell:
    """Runs command lines against a table of commands; one instance per phone."""

    def __init__(
        self, commands: dict[str, CommandFn], files: dict[str, bytes] | None = None
    ) -> None:
        self.commands = commands
        self.files = files if files is not None else {}
        self.variables: dict[str, str] = {}
        self.status = 0
        self.depth = 0

    def run(self, source: str | bytes) -> Output:
        """Run a command line; never raises, whatever the text."""
        if isinstance(source, bytes):
            source = decode(source)
        if len(source) > MAX_INPUT:
            return Output.of(stderr=f"{SH}: argument list too long\n", status=1)
        self.status = 0
        out = Output()
        try:
            script = parse(source)
        except ShellSyntaxError as error:
            return Output.of(stderr=f"{SH}: syntax error: {error}\n", status=1)
        try:
            for item in script:
                self.and_or(item, out)
        except ExitShell as exit_:
            self.status = exit_.status & 0xFF
        except RecursionError:
            out.write(2, f"{SH}: too deeply nested\n")
            self.status = 1
        out.status = self.status
        return out

    def and_or(self, node: AndOr, out: Output) -> None:
        self.pipeline(node.first, out)
        for op, pipeline in node.rest:
            if (op == "&&") == (self.status == 0):
                self.pipeline(pipeline, out)

    def pipeline(self, node: Pipeline, out: Output) -> None:
        stdin = b""
        for index, command in enumerate(node.commands):
            last = index == len(node.commands) - 1
            result = self.simple(command, stdin)
            stdin = b""
            for fd, data in result.chunks:
                if fd == 1 and not last:
                    stdin += data
                else:
                    out.chunks.append((fd, data))
            self.status = result.status
        if node.negate:
            self.status = 0 if self.status else 1

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
        fds: dict[int, str] = {1: "out", 2: "err"}
        for redirect in node.redirects:
            error = self.redirect(redirect, fds, out)
            if error is not None:
                out.write(2, error)
                out.status = 1
                return out
        source = fds.pop(0, "")
        if source == "null":
            stdin = b""
        elif source.startswith("file:"):
            stdin = self.files.get(source[5:], b"")
        if not argv:
            self.variables.update(assignments)
            out.status = self.status
            return out
        result = self.call(argv, stdin)
        for fd, data in result.chunks:
            target = fds.get(fd, "err")
            if target == "out":
                out.chunks.append((1, data))
            elif target == "err":
                out.chunks.append((2, data))
            elif target.startswith("file:"):
                path = target[5:]
                self.write_file(path, data)
        out.status = result.status
        return out

    def call(self, argv: list[str], stdin: bytes) -> Output:
        name = argv[0]
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
            if target not in self.files:
                return f"{SH}: can't open {target}: No such file or directory\n"
        elif target.startswith("/data/local/tmp/") and ".." not in target:
            if redirect.op == ">":
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

    def write_file(self, path: str, data: bytes) -> None:
        self.files[path] = self.files.get(path, b"") + data

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
        if name == "#":
            return "0"
        if name == "0":
            return SH
        return self.variables.get(name, "")

    def substitute(self, part: Part, out: Output) -> str:
        if self.depth >= MAX_DEPTH:
            out.write(2, f"{SH}: too deeply nested\n")
            return ""
        saved = self.status
        self.depth += 1
        try:
            inner = Shell(self.commands, self.files)
            inner.variables = self.variables
            inner.depth = self.depth
            result = inner.run(part.value)
        finally:
            self.depth -= 1
        self.status = saved
        for fd, data in result.chunks:
            if fd == 2:
                out.chunks.append((2, data))
        return decode(result.stdout).rstrip("\n")
