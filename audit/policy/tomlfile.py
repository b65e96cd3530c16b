"""Strict reading of the TOML files people write: policies, exemptions, the catalog.

These files are written by hand, so a typo must fail loudly and point at the spot: every error
names the file, the key (counted from 1, as a person counts tables in the file), the line where
it can be found, and what was expected. Unknown keys are errors because a misspelt key
(`dealine = ...`) silently ignored would change what the policy means.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from audit.errors import TOO_DEEP, FileFormatError
from audit.files import path_problem, read_limited
from audit.i18n import N_, _

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

# One step of the way to a value: a table key, or a 0-based index into an array.
PathPart = str | int

_LINE_IN_MESSAGE = re.compile(r"\(at line (\d+), column \d+\)")

_TYPE_WORDS: dict[type, str] = {
    str: N_("text in quotes"),
    bool: N_("true or false"),
    int: N_("a whole number"),
    list: N_("a list in [brackets]"),
    dict: N_("a table"),
    date: N_("a date like 2023-03-31"),
}


def _expected(kind: type, value: object) -> str:
    return _("expected {expected}, found {found}").format(
        expected=_(_TYPE_WORDS[kind]), found=describe(value)
    )


def describe(value: object) -> str:
    """Say what was found, in a person's words (TOML's names, not Python's)."""
    if isinstance(value, bool):
        return _("true/false ({value})").format(value=str(value).lower())
    if isinstance(value, datetime):
        return _("a date with a time ({value})").format(value=value.isoformat())
    if isinstance(value, date):
        return _("a date ({value})").format(value=value.isoformat())
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return _("text ({value})").format(value=repr(shown))
    if isinstance(value, int | float):
        return _("a number ({value})").format(value=value)
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a table")
    return type(value).__name__


def key_name(path: Sequence[PathPart]) -> str:
    """`("rule", 2, "names", 0, "value")` -> `rule[3].names[1].value` (counted from 1)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += f".{part}" if out else part
    return out


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")


def _key_line(key: str) -> re.Pattern[str]:
    return re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")


def locate(text: str, path: Sequence[PathPart]) -> int | None:
    """Best-effort line (1-based) where the value at `path` is written, or None.

    TOML parsers give line numbers only for syntax errors; for a wrongly typed or unknown key we
    find the line ourselves by walking the table headers. Files written with inline tables get
    the line of the enclosing key, which is still the right place to look.
    """
    lines = text.splitlines()
    headers = _headers(lines)
    start, end, table = 0, len(lines), ""
    best: int | None = None
    i = 0
    while i < len(path):
        part = path[i]
        if isinstance(part, int):
            break
        dotted = f"{table}.{part}" if table else part
        nxt = path[i + 1] if i + 1 < len(path) else None
        index = nxt if isinstance(nxt, int) else None
        header = _find_header(headers, start, end, dotted, index)
        if header is None:
            return _find_key(lines, headers, start, end, part) or best
        start, end = header + 1, _next_header(headers, header, dotted, len(lines))
        best, table = header + 1, dotted
        i += 1 if index is None else 2
    return best


def _headers(lines: Sequence[str]) -> list[tuple[int, str, bool]]:
    """(line index, dotted name, is an array of tables) of every [table] header."""
    headers = []
    for index, line in enumerate(lines):
        match = _HEADER.match(line)
        if match and not _key_line_any(line):
            name = ".".join(p.strip().strip("\"'") for p in match.group(2).split("."))
            headers.append((index, name, match.group(1) == "[["))
    return headers


def _find_header(
    headers: list[tuple[int, str, bool]], start: int, end: int, dotted: str, index: int | None
) -> int | None:
    count = -1
    for line_index, name, is_array in headers:
        if start <= line_index < end and name == dotted and (index is None or is_array):
            count += 1
            if index is None or count == index:
                return line_index
    return None


def _key_line_any(line: str) -> bool:
    return bool(re.match(r"^\s*[A-Za-z0-9_\-\"']+\s*=", line))


def _next_header(headers: list[tuple[int, str, bool]], after: int, table: str, default: int) -> int:
    """The line where the table that starts at `after` ends: the next header not inside it."""
    for line_index, name, _is_array in headers:
        if line_index > after and not name.startswith(table + "."):
            return line_index
    return default


def _find_key(
    lines: Sequence[str], headers: list[tuple[int, str, bool]], start: int, end: int, key: str
) -> int | None:
    """A plain `key = ...` line inside the current table, before any sub-table header."""
    pattern = _key_line(key)
    stop = min([h for h, _n, _a in headers if start <= h < end] + [end])
    for line_index in range(start, stop):
        if pattern.match(lines[line_index]):
            return line_index + 1
    return None


class TomlDocument:
    """A parsed file with its text, so errors can point at lines."""

    def __init__(self, path: Path | str, text: str, data: dict[str, Any], error: type) -> None:
        self.path = str(path)
        self.text = text
        self.data = data
        self.error: type[FileFormatError] = error

    def fail(self, path: Sequence[PathPart], problem: str) -> FileFormatError:
        return self.error(
            self.path, problem, key=key_name(path), line=locate(self.text, path) if path else None
        )

    def root(self) -> Table:
        return Table(self, (), self.data)


def parse_text(text: str, path: Path | str, error: type[FileFormatError]) -> TomlDocument:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _LINE_IN_MESSAGE.search(message)
        line = int(found.group(1)) if found else getattr(exc, "lineno", None)
        problem = _LINE_IN_MESSAGE.sub("", message).strip()
        # Translators: {problem} is the TOML reader's own explanation, in English
        raise error(
            path, _("it is not valid TOML ({problem})").format(problem=problem), line=line
        ) from None
    except RecursionError:
        raise error(path, TOO_DEEP) from None  # marked: FileFormatError translates it
    return TomlDocument(path, text, data, error)


def read_file(path: Path | str, error: type[FileFormatError]) -> tuple[TomlDocument, bytes]:
    """Read and parse a TOML file; also return its bytes (policies are identified by sha256)."""
    path = Path(path)
    try:
        raw = read_limited(path)
    except OSError as exc:
        problem = path_problem(exc)
        raise error(path, _("it cannot be read ({problem})").format(problem=problem)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(path, _("it is not UTF-8 text")) from None
    return parse_text(text, path, error), raw


class Table:
    """Typed, strict access to one TOML table. Each getter names the key when it fails."""

    def __init__(self, doc: TomlDocument, path: tuple[PathPart, ...], data: dict[str, Any]):
        self.doc = doc
        self.path = path
        self.data = data

    def fail(self, key: str | None, problem: str) -> FileFormatError:
        return self.doc.fail(self.path if key is None else (*self.path, key), problem)

    def only(self, allowed: Sequence[str]) -> None:
        """Reject keys this table does not know: a typo must not silently change a policy."""
        for key in self.data:
            if key not in allowed:
                hint = _suggest(key, allowed)
                known = ", ".join(allowed)
                raise self.fail(
                    key,
                    _("'{key}' is not a known key{hint}. Known keys here: {known}").format(
                        key=key, hint=hint, known=known
                    ),
                )

    def _get(self, key: str, required: bool) -> Any:
        if key not in self.data:
            if required:
                raise self.fail(None, _("the key '{key}' is missing").format(key=key))
            return None
        return self.data[key]

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        value = self._get(key, required)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.fail(key, _expected(str, value))
        if required and not value.strip():
            raise self.fail(key, _("it is empty"))
        return value

    def flag(self, key: str, *, default: bool = False) -> bool:
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(key, _expected(bool, value))
        return value

    def whole(self, key: str, *, default: int, minimum: int = 0) -> int:
        """A whole number, at least `minimum` (true/false is not a number here)."""
        value = self._get(key, False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, _expected(int, value))
        if value < minimum:
            raise self.fail(
                key,
                _("expected {minimum} or more, found {value}").format(minimum=minimum, value=value),
            )
        return value

    def day(self, key: str, *, required: bool = False) -> date | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, datetime):
            raise self.fail(key, _expected(date, value))
        if not isinstance(value, date):
            if isinstance(value, str):
                words = _(
                    "expected a date like 2023-03-31, found {found}; write the date without quotes"
                )
                raise self.fail(key, words.format(found=describe(value)))
            raise self.fail(key, _expected(date, value))
        return value

    def texts(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        """A list of text; a single text is also accepted as a list of one."""
        value = self._get(key, required)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list):
            raise self.fail(
                key,
                _("expected a list in [brackets] of text, found {found}").format(
                    found=describe(value)
                ),
            )
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.doc.fail((*self.path, key, index), _expected(str, item))
        return tuple(value)

    def enum(self, key: str, enum: type[E], *, required: bool = False) -> E | None:
        value = self._get(key, required)
        if value is None:
            return None
        return self._enum_value(value, (*self.path, key), enum)

    def _enum_value(self, value: object, path: tuple[PathPart, ...], enum: type[E]) -> E:
        allowed = ", ".join(f'"{e.value}"' for e in enum)
        if not isinstance(value, str):
            raise self.doc.fail(
                path,
                _("expected one of {allowed}; found {found}").format(
                    allowed=allowed, found=describe(value)
                ),
            )
        try:
            return enum(value)
        except ValueError:
            hint = _suggest(value, [e.value for e in enum])
            raise self.doc.fail(
                path,
                _("{value} is not one of {allowed}{hint}").format(
                    value=repr(value), allowed=allowed, hint=hint
                ),
            ) from None

    def enums(self, key: str, enum: type[E]) -> tuple[E, ...] | None:
        value = self._get(key, False)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self.fail(key, _expected(list, value))
        return tuple(
            self._enum_value(item, (*self.path, key, index), enum)
            for index, item in enumerate(value)
        )

    def tables(
        self, key: str, *, shorthand: Callable[[str], dict[str, Any]] | None = None
    ) -> list[Table]:
        """An array of tables (`[[rule]]` or `key = [{...}]`); text items use `shorthand`."""
        value = self._get(key, False)
        if value is None:
            return []
        if isinstance(value, dict) or not isinstance(value, list):
            raise self.fail(
                key,
                _("expected a list of tables ([[{key}]] sections), found {found}").format(
                    key=key, found=describe(value)
                ),
            )
        tables = []
        for index, item in enumerate(value):
            path = (*self.path, key, index)
            table = shorthand(item) if isinstance(item, str) and shorthand is not None else item
            if not isinstance(table, dict):
                raise self.doc.fail(
                    path, _("expected a table, found {found}").format(found=describe(item))
                )
            tables.append(Table(self.doc, path, table))
        return tables


def _suggest(word: str, known: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    # Translators: added after "'x' is not a known key" or "'x' is not one of ...", space included
    return _(" (did you mean '{word}'?)").format(word=close[0]) if close else ""
