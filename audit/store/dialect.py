"""The one place where the history's SQL differs between SQLite and PostgreSQL (issue 18).

The store's statements are written once, in the SQL SQLite understands, and run unchanged on
SQLite. For a team history on PostgreSQL each statement is translated here, once (cached), by
the small set of rewrites the research measured (docs/research/team-history §2): placeholders,
scalar min/max, the one `INSERT OR IGNORE`, `instr`, `LIMIT -1`, `AND (0)`, an ambiguous upsert
column and SQLite's ASCII case-blind LIKE on device ids. Why not SQLAlchemy Core: it cost every
user (SQLite too) half a second of start-up and 1.6x-5.7x per statement, and would not help
with the parts that need real work (write lock, ids, roles, error words); §5 of the research.

Pure text, no driver: importing this module never imports psycopg, and the translation is
fuzzed (tests/audit/team/test_dialect.py) so odd statements fail loudly instead of changing
meaning quietly.
"""

from __future__ import annotations

import re
from functools import lru_cache

# One application-wide advisory lock number: "the write lock", SQLite's BEGIN IMMEDIATE
# counterpart ("DAud", as the SQLite history's application_id). Research §3.3: without it the
# constraints still stop every duplicate, but concurrent benches fail or the running totals drift.
WRITE_LOCK = 0x44417564

# Tables whose id the database hands out (SQLite's INTEGER PRIMARY KEY): an INSERT into one of
# them through execute() gets `RETURNING id`, standing in for sqlite3's cursor.lastrowid.
ID_TABLES = frozenset({"audits", "scans", "findings", "actions", "attestations"})

# `INSERT OR IGNORE` ignores every constraint in SQLite; PostgreSQL needs the conflict named,
# which is better: only the key's own identity is ignored, a NOT NULL or CHECK still raises.
_CONFLICT_TARGETS = {"keys": "(identity, signer)"}

_INSERT_OR_IGNORE = re.compile(r"\s*INSERT OR IGNORE INTO (\w+)", re.IGNORECASE)
_MIN_MAX = re.compile(r"\b(min|max)\(", re.IGNORECASE)
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_INSERT_INTO = re.compile(r"\s*INSERT INTO (\w+)\b", re.IGNORECASE)


class UntranslatableSql(ValueError):
    """A statement the PostgreSQL seam cannot translate faithfully (a bug in the store's SQL,
    never the user's): it must fail loudly, not run with another meaning."""


def _segments(sql: str) -> list[tuple[bool, str]]:
    """The statement cut into (quoted, text) pieces: rewrites apply outside string literals
    only ('local:%' holds a ':' and a '%' that are not placeholders)."""
    pieces: list[tuple[bool, str]] = []
    start, i, n = 0, 0, len(sql)
    while i < n:
        if sql[i] == "'":
            if i > start:
                pieces.append((False, sql[start:i]))
            end = i + 1
            while True:
                end = sql.find("'", end)
                if end < 0:
                    raise UntranslatableSql(f"unterminated string literal: {sql[:200]}")
                if end + 1 < n and sql[end + 1] == "'":  # '' inside a literal
                    end += 2
                    continue
                break
            pieces.append((True, sql[i : end + 1]))
            start = i = end + 1
        else:
            i += 1
    if start < n:
        pieces.append((False, sql[start:]))
    return pieces


def _closing(text: str, start: int) -> tuple[int, bool]:
    """From the '(' at `start`: the index of its ')' and whether a comma stands at its level."""
    depth, comma, quoted = 0, False, False
    for i in range(start, len(text)):
        c = text[i]
        if c == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i, comma
        elif c == "," and depth == 1:
            comma = True
    raise UntranslatableSql(f"unbalanced parentheses: {text[:200]}")


def _scalar_min_max(sql: str) -> str:
    """SQLite's scalar min(a, b) / max(a, b) -> LEAST / GREATEST; the aggregates (one
    argument) stay. Every use in the store has non-NULL arguments, where both agree (LEAST
    ignores NULLs, SQLite's min returns NULL)."""
    out: list[str] = []
    i = 0
    while True:
        found = _MIN_MAX.search(sql, i)
        if found is None or _inside_literal(sql, found.start()):
            if found is None:
                out.append(sql[i:])
                return "".join(out)
            out.append(sql[i : found.end()])
            i = found.end()
            continue
        end, comma = _closing(sql, found.end() - 1)
        inner = _scalar_min_max(sql[found.end() : end])
        name = found.group(1)
        if comma:
            name = "LEAST" if name.lower() == "min" else "GREATEST"
        out.append(f"{sql[i : found.start()]}{name}({inner})")
        i = end + 1


def _inside_literal(sql: str, index: int) -> bool:
    return sql.count("'", 0, index) % 2 == 1


def _outside(text: str) -> str:
    """Rewrites for the SQL text outside string literals."""
    text = re.sub(r"\binstr\(", "strpos(", text, flags=re.IGNORECASE)
    text = text.replace("COLLATE NOCASE", "COLLATE nocase")
    text = text.replace("LIMIT -1 OFFSET", "LIMIT ALL OFFSET")
    text = text.replace("AND (0)", "AND (FALSE)")
    # In ON CONFLICT ... DO UPDATE a bare column is ambiguous (the row or EXCLUDED).
    text = text.replace("SET delta = delta +", "SET delta = status_changes.delta +")
    text = text.replace("%", "%%")
    text = _NAMED.sub(r"%(\1)s", text)
    return text.replace("?", "%s")


@lru_cache(maxsize=1024)
def to_postgres(sql: str) -> str:
    """The store's SQLite statement as PostgreSQL (psycopg placeholders); cached, since the
    store runs the same few hundred statements again and again."""
    text = sql
    ignore = _INSERT_OR_IGNORE.match(text)
    if ignore:
        target = _CONFLICT_TARGETS.get(ignore.group(1))
        if target is None:
            raise UntranslatableSql(f"INSERT OR IGNORE into {ignore.group(1)}")
        text = text.replace("INSERT OR IGNORE INTO", "INSERT INTO", 1)
        text += f" ON CONFLICT {target} DO NOTHING"
    text = _scalar_min_max(text)
    # SQLite's LIKE is ASCII case-blind: a device id 'LOCAL:x' counts as this computer there.
    text = text.replace("device_id LIKE 'local:%'", "device_id ILIKE 'local:%'")
    return "".join(
        piece.replace("%", "%%") if quoted else _outside(piece) for quoted, piece in _segments(text)
    )


_PLAIN_INSERT = re.compile(
    r"\s*INSERT INTO (\w+) \(([\w\s,]+)\)\s*VALUES\s*\(\s*\?(?:\s*,\s*\?)*\s*\)\s*$",
    re.IGNORECASE,
)


def copy_target(sql: str) -> tuple[str, list[str]] | None:
    """(table, columns) of a plain `INSERT INTO t (cols) VALUES (?, ...)` with one mark per
    column, which COPY can load with the same meaning (constraints and triggers apply alike);
    None for anything else (ON CONFLICT, SELECT, RETURNING, literals among the values)."""
    found = _PLAIN_INSERT.match(sql)
    if found is None:
        return None
    columns = [c.strip() for c in found.group(2).split(",")]
    if sql.count("?") != len(columns):
        return None
    return found.group(1), columns


def inserted_table(sql: str) -> str | None:
    """The table an INSERT adds a row with a database-given id to (ID_TABLES), else None."""
    found = _INSERT_INTO.match(sql)
    if found is None or found.group(1) not in ID_TABLES or "RETURNING" in sql.upper():
        return None
    return found.group(1)


_PLAIN_UPDATE = re.compile(
    r"\s*UPDATE (\w+) SET ((?:\w+\s*=\s*\?\s*,\s*)*\w+\s*=\s*\?)\s+WHERE (\w+)\s*=\s*\?\s*$",
    re.IGNORECASE,
)


def keyed_update(sql: str) -> tuple[str, list[str], str] | None:
    """(table, columns set, key column) of a plain `UPDATE t SET a = ?, b = ? WHERE k = ?`
    whose every value is a mark, which one UPDATE ... FROM over arrays can run with the same
    meaning as one UPDATE per row (the last row of a key wins, as it does one by one); None for
    anything else (an expression, a literal, another condition), which runs row by row."""
    found = _PLAIN_UPDATE.match(sql)
    if found is None:
        return None
    columns = [part.split("=")[0].strip() for part in found.group(2).split(",")]
    key = found.group(3)
    if len(set(columns)) != len(columns) or key in columns:
        return None  # SQLite lets a later assignment win; changing the key changes the match
    return found.group(1), columns, key


_IN_LIST = re.compile(r"\b(NOT\s+)?IN\s*\(\s*\?(?:\s*,\s*\?)+\s*\)", re.IGNORECASE)


@lru_cache(maxsize=1024)
def in_arrays(sql: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The statement with each list of marks `IN (?, ?, ...)` written `= ANY(?)` (`NOT IN`:
    `<> ALL(?)`), and (first mark, marks) of each list, for the caller to pass its values as
    one array; ((), no lists) leaves the statement as it is. PostgreSQL's parser reads an IN
    list as `= ANY(ARRAY[...])` itself, so the meaning is the same, NULLs included. Why: the
    import asks about a batch's thousand ids at once, and a statement of a thousand marks cost
    the driver more to parse and the server more to plan than to run."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    marks = 0
    for quoted, piece in _segments(sql):
        if quoted:
            out.append(piece)
            continue
        at = 0
        for found in _IN_LIST.finditer(piece):
            before = piece[at : found.start()]
            marks += before.count("?")
            count = found.group(0).count("?")
            spans.append((marks, count))
            marks += count
            out.append(before + ("<> ALL(?)" if found.group(1) else "= ANY(?)"))
            at = found.end()
        marks += piece[at:].count("?")
        out.append(piece[at:])
    return ("".join(out), tuple(spans)) if spans else (sql, ())
