"""The simulated phone's sh: its compound commands (`while`, `until`, `for`, `case`) and the
`read` built-in, as mksh runs them. Split from shell.py, which runs everything else.

A compound command runs in the shell itself (its variables stay set after it), with the
redirections after its last word applied to all of it: `done <file` makes every `read` in the
loop take the next line of that file. The scan's one-stage script (audit/sources/android/
onestage.py) uses them to start the lists of users found in `pm list users` on the phone; a
phone whose sh lacks them (quirk `loops: none`) refuses the whole command line, as a real
sh refuses a syntax error, and the scan falls back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.phonesim.grammar import AndOr, Case, ForLoop, Loop, Word

if TYPE_CHECKING:
    from tests.phonesim.shell import Output, Shell

MAX_ITERATIONS = 10_000
"""A loop that would run longer is stopped (a real sh would run on; a test must never hang)."""

IFS_DEFAULT = " \t\n"


@dataclass
class Stream:
    """A file descriptor open for reading: each `read` takes the next line."""

    data: bytes
    pos: int = 0

    def readline(self) -> tuple[bytes, bool]:
        """The next line without its newline, and whether it ended with one."""
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            line, self.pos = self.data[self.pos :], len(self.data)
            return line, False
        line, self.pos = self.data[self.pos : end], end + 1
        return line, True


def run_compound(shell: Shell, node: Loop | ForLoop | Case, out: Output) -> None:
    if isinstance(node, Case):
        run_case(shell, node, out)
        return
    if isinstance(node, ForLoop):
        values = [v for word in node.words for v in shell.expand(word, out, split=True)]
        shell.status = 0
        for value in values[:MAX_ITERATIONS]:
            shell.variables[node.name] = value
            shell.run_items(node.body, out)
        return
    status = 0
    for _ in range(MAX_ITERATIONS):
        shell.run_items(node.condition, out)
        if (shell.status == 0) == node.until:
            break
        shell.run_items(node.body, out)
        status = shell.status
    else:
        shell.error(out, f"{shell.name}: loop stopped after {MAX_ITERATIONS} turns\n")
    shell.status = status


def run_case(shell: Shell, node: Case, out: Output) -> None:
    subject = "".join(shell.expand(node.word, out, split=False))
    shell.status = 0
    for item in node.items:
        if any(pattern_of(shell, p, out).fullmatch(subject) for p in item.patterns):
            run_list(shell, item.body, out)
            return


def run_list(shell: Shell, items: list[AndOr], out: Output) -> None:
    shell.status = 0
    shell.run_items(items, out)


def pattern_of(shell: Shell, word: Word, out: Output) -> re.Pattern[str]:
    """A case pattern as a regular expression: `*`, `?` and `[...]` (`[!...]` negated) where
    unquoted; quoted text matches itself."""
    regex: list[str] = []
    for part in word.parts:
        if part.kind == "lit":
            value = part.value
        elif part.kind == "var":
            value = shell.variable(part.value)
        else:
            value = shell.substitute(part, out)
        regex.append(re.escape(value) if part.quoted else glob_regex(value))
    return re.compile("".join(regex), re.DOTALL)


def glob_regex(glob: str) -> str:
    regex: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "*":
            regex.append(".*")
        elif char == "?":
            regex.append(".")
        elif char == "[":
            end = glob.find("]", i + 2 if glob[i + 1 : i + 2] in ("!", "^") else i + 1)
            if end < 0:
                regex.append(re.escape(char))
            else:
                inner = glob[i + 1 : end]
                negate = inner[:1] in ("!", "^")
                inner = inner[1:] if negate else inner
                body = "".join(
                    "\\" + c if c in "\\^[]" else c for c in inner
                )  # ranges (a-z) keep their '-'
                regex.append(f"[{'^' if negate else ''}{body}]")
                i = end
        else:
            regex.append(re.escape(char))
        i += 1
    return "".join(regex)


def read_builtin(shell: Shell, argv: list[str], stdin: bytes) -> Output:
    """`read [-r] NAME...`: the next line of the input, split by $IFS into the names (the last
    one takes the rest of the line); status 1 at the end of the input."""
    from tests.phonesim.shell import Output, decode

    raw = False
    names: list[str] = []
    for arg in argv[1:]:
        if arg == "-r" and not names:
            raw = True
        elif arg.startswith("-") and not names:
            return Output.of(stderr=f"{shell.name}: read: {arg}: unknown option\n", status=2)
        else:
            names.append(arg)
    names = names or ["REPLY"]
    stream = Stream(stdin) if stdin else shell.input
    if stream is None:
        line, ended = b"", False
    else:
        line, ended = stream.readline()
    text = decode(line)
    if not raw:
        text = re.sub(r"\\(.)", r"\1", text).removesuffix("\\")
    values = split_fields(text, shell.variables.get("IFS", IFS_DEFAULT), len(names))
    for name, value in zip(names, values, strict=True):
        shell.variables[name] = value
    return Output(status=0 if ended else 1)


def split_fields(text: str, ifs: str, count: int) -> list[str]:
    """`read`'s splitting: IFS white space around fields is dropped, each other IFS character
    ends one field; the last name gets the rest of the line, trailing IFS white space removed."""
    white = "".join(c for c in ifs if c in IFS_DEFAULT)
    i, n = 0, len(text)
    while i < n and text[i] in white:
        i += 1
    values: list[str] = []
    while len(values) < count - 1 and i < n:
        j = i
        while j < n and text[j] not in ifs:
            j += 1
        values.append(text[i:j])
        i = j
        while i < n and text[i] in white:
            i += 1
        if i < n and text[i] in ifs:
            i += 1
            while i < n and text[i] in white:
                i += 1
    rest = text[i:].rstrip(white) if white else text[i:]
    if rest and rest[-1] in ifs:
        # One field and its delimiter lose the delimiter ("a:" reads as "a"); more fields
        # stay as they were ("a:b:"), as mksh and dash both do.
        single = rest[:-1].rstrip(white) if white else rest[:-1]
        if not any(c in ifs for c in single):
            rest = single
    if len(values) < count:
        values.append(rest)
    return values + [""] * (count - len(values))
