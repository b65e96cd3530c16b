"""The grammar of the simulated phone's sh: words, operators, redirections, and the syntax tree
of a command line (lists, and-or lists, pipelines, simple commands, subshells, background jobs).

Parsed whole before anything runs, as sh does: a syntax error runs nothing. Split from shell.py,
which runs the tree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field


class ShellSyntaxError(Exception):
    pass


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
            if op == "(" and self.source.startswith("((", self.pos):
                # ksh's `((...))` is arithmetic, not two subshells (`( (...) )` is).
                raise ShellSyntaxError("arithmetic is not supported by the simulated phone")
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
class Subshell:
    """`( list )`: the list runs in a copy of the shell (its variables and `exit` stay inside),
    with the redirections after the `)` applied to all of it."""

    body: list[AndOr]
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Loop:
    """`while list; do list; done` (`until` when `until`), redirections after `done` applied to
    the whole loop (`done <file`: every `read` in it takes the next line of the file)."""

    condition: list[AndOr]
    body: list[AndOr]
    until: bool = False
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class ForLoop:
    """`for NAME in WORDS; do list; done`: the words expanded and split once, before the loop."""

    name: str
    words: list[Word]
    body: list[AndOr]
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class CaseItem:
    patterns: list[Word]
    body: list[AndOr]


@dataclass
class Case:
    """`case WORD in PATTERN|PATTERN) list ;; ... esac`: the first item whose pattern matches."""

    word: Word
    items: list[CaseItem]
    redirects: list[Redirect] = field(default_factory=list)


Command = Simple | Subshell | Loop | ForLoop | Case


@dataclass
class Pipeline:
    commands: list[Command]
    negate: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)
    background: bool = False  # ended by `&`: runs as a job while the shell goes on


def parse(source: str, *, jobs: bool = True, loops: bool = True) -> list[AndOr]:
    """Parse a whole command line first, as sh does: a syntax error runs nothing. `jobs=False`
    stands for a shell that cannot start jobs or subshells (`&` and `(` are refused),
    `loops=False` for one without `while`, `for` and `case` (a syntax error names them)."""
    tokens = _Lexer(source).run()
    parser = _Parser(tokens, jobs=jobs, loops=loops)
    items = parser.script()
    if parser.peek() is not None:
        raise parser.unexpected()
    return items


class _Parser:
    def __init__(self, tokens: list[Token], *, jobs: bool = True, loops: bool = True) -> None:
        self.tokens = tokens
        self.pos = 0
        self.jobs = jobs
        self.loops = loops

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def peek_op(self) -> str | None:
        token = self.peek()
        return token.value if isinstance(token, Op) else None

    def script(self, inside: bool = False, ends: frozenset[str] = frozenset()) -> list[AndOr]:
        """A list of and-or lists; `inside` a subshell it ends at the `)` (left for the caller),
        in a compound command at one of the reserved words or operators in `ends`."""
        items: list[AndOr] = []
        while True:
            while self.peek_op() == "\n":
                self.pos += 1
            if self.peek() is None or (inside and self.peek_op() == ")") or self.at_end(ends):
                return items
            items.append(self.and_or())
            op = self.peek_op()
            if op == "&" and not self.jobs:
                raise ShellSyntaxError("'&' unexpected")
            if op in (";", "&", "\n"):
                items[-1].background = op == "&"
                self.pos += 1
            elif (inside and op == ")") or self.at_end(ends):
                return items
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
        commands = [self.command()]
        while self.peek_op() == "|":
            self.pos += 1
            while self.peek_op() == "\n":
                self.pos += 1
            commands.append(self.command())
        return Pipeline(commands, negate)

    def at_end(self, ends: frozenset[str]) -> bool:
        token = self.peek()
        if isinstance(token, Op):
            return token.value in ends
        return isinstance(token, Word) and token.unquoted_literal in ends

    def command(self) -> Command:
        token = self.peek()
        if isinstance(token, Word) and token.unquoted_literal in ("while", "until", "for", "case"):
            return self.compound(token.unquoted_literal)
        if self.peek_op() != "(":
            return self.simple()
        if not self.jobs:
            raise ShellSyntaxError("'(' unexpected")
        self.pos += 1
        body = self.script(inside=True)
        if self.peek_op() != ")":
            raise self.unexpected()
        if not body:
            raise ShellSyntaxError("')' unexpected")
        self.pos += 1
        subshell = Subshell(body)
        while isinstance(token := self.peek(), Redirect):
            subshell.redirects.append(self.redirect(token))
        if isinstance(self.peek(), Word):
            raise ShellSyntaxError("word unexpected (expecting ';' after ')')")
        return subshell

    def compound(self, keyword: str) -> Loop | ForLoop | Case:
        """`while`/`until`/`for`/`case` and the redirections after it."""
        if not self.loops:
            raise ShellSyntaxError(f"'{keyword}' unexpected")
        self.pos += 1
        compound: Loop | ForLoop | Case
        if keyword == "case":
            compound = self.case()
        elif keyword == "for":
            compound = self.for_loop()
        else:
            condition = self.compound_list(frozenset({"do"}))
            compound = Loop(condition, self.do_group(), keyword == "until")
        while isinstance(redirect := self.peek(), Redirect):
            compound.redirects.append(self.redirect(redirect))
        if isinstance(self.peek(), Word):
            raise ShellSyntaxError("word unexpected")
        return compound

    def compound_list(self, ends: frozenset[str]) -> list[AndOr]:
        """A non-empty list up to one of `ends` (not taken)."""
        body = self.script(ends=ends)
        if not body or not self.at_end(ends):
            raise self.unexpected()
        return body

    def keyword(self, word: str) -> None:
        while self.peek_op() == "\n":
            self.pos += 1
        token = self.peek()
        if not (isinstance(token, Word) and token.unquoted_literal == word):
            raise self.unexpected()
        self.pos += 1

    def do_group(self) -> list[AndOr]:
        self.keyword("do")
        body = self.compound_list(frozenset({"done"}))
        self.pos += 1
        return body

    def name_word(self) -> Word:
        token = self.peek()
        if not isinstance(token, Word):
            raise self.unexpected()
        self.pos += 1
        return token

    def for_loop(self) -> ForLoop:
        name = self.name_word().unquoted_literal
        if name is None or not _NAME.fullmatch(name):
            raise ShellSyntaxError("bad for-loop variable")
        words: list[Word] = []
        while self.peek_op() == "\n":
            self.pos += 1
        self.keyword("in")
        while isinstance(token := self.peek(), Word):
            words.append(token)
            self.pos += 1
        if self.peek_op() not in (";", "\n"):
            raise self.unexpected()
        self.pos += 1
        return ForLoop(name, words, self.do_group())

    def case(self) -> Case:
        word = self.name_word()
        self.keyword("in")
        items: list[CaseItem] = []
        while True:
            while self.peek_op() == "\n":
                self.pos += 1
            if self.at_end(frozenset({"esac"})):
                self.pos += 1
                return Case(word, items)
            if self.peek_op() == "(":
                self.pos += 1
            patterns = [self.name_word()]
            while self.peek_op() == "|":
                self.pos += 1
                patterns.append(self.name_word())
            if self.peek_op() != ")":
                raise self.unexpected()
            self.pos += 1
            body = self.script(ends=frozenset({";;", "esac"}))
            items.append(CaseItem(patterns, body))
            if self.peek_op() == ";;":
                self.pos += 1
            elif not self.at_end(frozenset({"esac"})):
                raise self.unexpected()

    def redirect(self, token: Redirect) -> Redirect:
        self.pos += 1
        target = self.peek()
        if not isinstance(target, Word):
            raise self.unexpected()
        self.pos += 1
        return Redirect(token.op, token.fd, target)

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
                command.redirects.append(self.redirect(token))
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
