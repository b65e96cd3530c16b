"""executemany() on a team history does what SQLite's does, however it runs it (issue 18).

PostgreSQL runs a plain keyed UPDATE (`UPDATE t SET a = ?, b = ? WHERE id = ?`) for a whole
batch as one statement over arrays (audit.store.pg), where SQLite runs it row by row. These
tests give both backends the same statements and rows (duplicate ids, NULLs, ids that match
nothing, quotes and odd text) and compare the tables they leave: the last row of an id must win,
as it does one by one, and a statement the array form cannot serve must still run row by row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.store.dialect import keyed_update

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")

TABLE = (
    "CREATE TABLE t (id bigint PRIMARY KEY, name text, n integer NOT NULL DEFAULT 0,"
    " note text NOT NULL DEFAULT '', big bigint)"
)
# Enough rows for the planner to join by the index, where the first of two rows of one id
# would win if the array form sent both (a small table is hashed, and there the last wins).
START = [(i, f"name {i}", i, "", None) for i in range(1, 1001)]


def test_only_plain_keyed_updates_are_recognised() -> None:
    assert keyed_update("UPDATE audits SET assurance = ?, trust_note = ? WHERE id = ?") == (
        "audits",
        ["assurance", "trust_note"],
        "id",
    )
    assert keyed_update("UPDATE t SET a=? WHERE id=?") == ("t", ["a"], "id")
    for other in (
        "UPDATE t SET a = a || ? WHERE id = ?",  # depends on the row as it stands: one by one
        "UPDATE t SET a = ?, b = 'x' WHERE id = ?",
        "UPDATE t SET a = ? WHERE id = ? AND b = ?",
        "UPDATE t SET a = ? WHERE id > ?",
        "UPDATE t SET a = ?, a = ? WHERE id = ?",  # SQLite lets the last one win
        "UPDATE t SET id = ? WHERE id = ?",  # renumbering one by one chains
        "UPDATE t SET a = ? WHERE id = ? RETURNING id",
        "UPDATE t SET a = ? WHERE id = ?; DROP TABLE t",
        "INSERT INTO t (a) VALUES (?)",
    ):
        assert keyed_update(other) is None, other


@pytest.fixture
def both(postgres_dsn: str) -> Iterator[tuple[sqlite3.Connection, Any]]:
    """The same table on SQLite and through the team history's connection."""
    from audit.store.pg import PgConnection

    lite = sqlite3.connect(":memory:", isolation_level=None)
    lite.execute(TABLE.replace("bigint PRIMARY KEY", "INTEGER PRIMARY KEY"))
    team = PgConnection(psycopg.connect(postgres_dsn, autocommit=True))
    team.raw.execute(TABLE)
    try:
        yield lite, team
    finally:
        team.close()
        lite.close()


def _reset(lite: sqlite3.Connection, team: Any) -> None:
    for conn in (lite, team):
        conn.execute("DELETE FROM t")
        conn.executemany("INSERT INTO t (id, name, n, note, big) VALUES (?, ?, ?, ?, ?)", START)
    team.raw.execute("ANALYZE t")


def _rows(conn: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute("SELECT id, name, n, note, big FROM t ORDER BY id")]


_TEXT = st.one_of(st.none(), st.text(max_size=12).filter(lambda t: "\x00" not in t))
_IDS = st.one_of(st.integers(0, 10), st.none())


@pytest.mark.postgres
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(_TEXT, st.integers(-(2**31), 2**31 - 1), _IDS), min_size=0, max_size=12),
)
def test_a_batch_of_keyed_updates_leaves_what_sqlite_leaves(
    both: tuple[sqlite3.Connection, Any], rows: list[tuple[Any, ...]]
) -> None:
    lite, team = both
    _reset(lite, team)
    sql = "UPDATE t SET name = ?, n = ? WHERE id = ?"
    lite.executemany(sql, rows)
    team.execute("BEGIN IMMEDIATE")
    team.executemany(sql, rows)
    team.execute("COMMIT")
    assert _rows(team) == _rows(lite)


@pytest.mark.postgres
def test_the_last_row_of_an_id_wins_and_nulls_are_kept(
    both: tuple[sqlite3.Connection, Any],
) -> None:
    lite, team = both
    rows = [
        ("first", "a", 3),
        ("second", None, 3),
        ("", "it's; 50% ?", 4),
        ("x", "y", 99),  # no such row
        ("z", "z", None),  # matches nothing, as on SQLite
    ]
    _reset(lite, team)
    for conn in (lite, team):
        conn.executemany("UPDATE t SET note = ?, name = ? WHERE id = ?", rows)
    assert _rows(team) == _rows(lite)
    assert _rows(team)[2] == (3, None, 3, "second", None)


@pytest.mark.postgres
def test_all_null_columns_and_big_numbers_round_trip(
    both: tuple[sqlite3.Connection, Any],
) -> None:
    lite, team = both
    _reset(lite, team)
    rows = [(None, 2**62, 1), (None, -(2**62), 2), (None, None, 5)]
    for conn in (lite, team):
        conn.executemany("UPDATE t SET name = ?, big = ? WHERE id = ?", rows)
    assert _rows(team) == _rows(lite)


@pytest.mark.postgres
def test_a_constraint_still_refuses_the_whole_batch(
    both: tuple[sqlite3.Connection, Any],
) -> None:
    """A NOT NULL broken by one row refuses the batch on both, leaving the table as it was."""
    lite, team = both
    _reset(lite, team)
    rows = [(7, 1), (None, 2)]
    for conn in (lite, team):
        conn.execute("BEGIN IMMEDIATE")
        with pytest.raises((sqlite3.IntegrityError, psycopg.errors.NotNullViolation)):
            conn.executemany("UPDATE t SET n = ? WHERE id = ?", rows)
        conn.execute("ROLLBACK")
    assert _rows(team) == _rows(lite) == [tuple(r) for r in START]


@pytest.mark.postgres
def test_what_the_array_form_cannot_serve_runs_row_by_row(
    both: tuple[sqlite3.Connection, Any],
) -> None:
    """An expression of the row, or a key of text, still means what it means one by one."""
    lite, team = both
    _reset(lite, team)
    for conn in (lite, team):
        conn.executemany(
            "UPDATE t SET note = note || ? WHERE id = ?", [("a", 1), ("b", 1), ("c", 2)]
        )
        conn.executemany("UPDATE t SET n = ? WHERE name = ?", [(10, "name 3"), (11, "name 3")])
    assert _rows(team) == _rows(lite)
    assert _rows(team)[0][3] == "ab" and _rows(team)[2][2] == 11


def _analysed_rows(raw: Any) -> float:
    """The table's rows as its statistics say: -1 until it is first analysed."""
    return float(
        raw.execute("SELECT reltuples FROM pg_class WHERE relname = 'keys_copied'").fetchone()[0]
    )


@pytest.mark.postgres
def test_a_big_bulk_write_refreshes_statistics_only_where_the_account_may(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table that doubled through COPY is analysed after the commit (the planner otherwise
    plans for a far smaller table until autovacuum comes); an account that may not analyse
    it writes all the same, with no error."""
    from audit.store import pg

    monkeypatch.setattr(pg, "ANALYZE_FROM", 50)
    rows = [(n, f"name {n}") for n in range(60)]
    sql = "INSERT INTO keys_copied (id, name) VALUES (?, ?)"
    owner = pg.PgConnection(psycopg.connect(postgres_dsn, autocommit=True))
    try:
        owner.raw.execute("CREATE TABLE keys_copied (id bigint PRIMARY KEY, name text)")
        owner.execute("BEGIN IMMEDIATE")
        owner.executemany(sql, rows[:40])
        owner.execute("COMMIT")
        assert _analysed_rows(owner.raw) == -1  # 40 rows: not yet
        owner.execute("BEGIN IMMEDIATE")
        owner.executemany(sql, rows[40:])
        owner.execute("COMMIT")
        assert _analysed_rows(owner.raw) == 60
        owner.raw.execute("DROP ROLE IF EXISTS da_test_writer")
        owner.raw.execute("CREATE ROLE da_test_writer LOGIN PASSWORD 'writer-pass'")
        owner.raw.execute("GRANT SELECT, INSERT ON keys_copied TO da_test_writer")
        writer = pg.PgConnection(
            psycopg.connect(
                psycopg.conninfo.make_conninfo(
                    postgres_dsn, user="da_test_writer", password="writer-pass"
                ),
                autocommit=True,
            )
        )
        try:
            writer.execute("BEGIN IMMEDIATE")
            writer.executemany(sql, [(n, "more") for n in range(100, 200)])
            writer.execute("COMMIT")
        finally:
            writer.close()
        assert owner.raw.execute("SELECT count(*) FROM keys_copied").fetchone()[0] == 160
        assert _analysed_rows(owner.raw) == 60  # not analysed again: it may not
    finally:
        owner.raw.execute("DROP TABLE IF EXISTS keys_copied")
        owner.raw.execute("DROP ROLE IF EXISTS da_test_writer")
        owner.close()


_ODD_TEXT = st.text(max_size=12).filter(lambda t: "\x00" not in t) | st.sampled_from(
    ["\\", "\\N", "\t", "\n", "\r\n", "é", "日本", "'", '"', ",", "\\x00"]
)
# What an integer column may be given: ints, and the digits a moved SQLite file may hold as text.
_NUMBER = st.integers(-(2**31), 2**31 - 1) | st.integers(0, 10**6).map(str)


@settings(
    max_examples=40,
    deadline=None,
    # the table is emptied at each example: the fixture's connections are all it keeps
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(
        st.tuples(
            st.none() | _ODD_TEXT, _NUMBER, _ODD_TEXT, st.none() | st.integers(-(2**62), 2**62)
        ),
        max_size=25,
    )
)
def test_an_insert_of_many_rows_leaves_what_sqlite_leaves(
    both: tuple[sqlite3.Connection, Any], rows: list[tuple[Any, ...]]
) -> None:
    """Many INSERTs go through COPY, in binary when every value is of its column's type (the
    import's rows) and as text otherwise (digits as text in an integer column): either way the
    table holds what SQLite's does."""
    lite, team = both
    numbered = [(n, *row) for n, row in enumerate(rows, start=1)]
    for conn in (lite, team):
        conn.execute("DELETE FROM t")
        conn.executemany("INSERT INTO t (id, name, n, note, big) VALUES (?, ?, ?, ?, ?)", numbered)
    assert _rows(team) == _rows(lite)


def test_binary_copy_only_for_values_of_their_columns_type() -> None:
    from audit.store.pg import _binary_copy

    assert _binary_copy(["bigint", "text", "bytea"], [(1, "a", b"x"), (None, None, None)])
    assert not _binary_copy(["bigint", "text"], [(1, "a"), ("2", "b")])  # digits as text
    assert not _binary_copy(["bigint", "bytea"], [(1, bytearray(b"x"))])
    assert not _binary_copy(["double precision"], [(1.5,)])  # a type not sent in binary


def test_long_in_lists_become_arrays_outside_literals_only() -> None:
    from audit.store.dialect import in_arrays

    sql = (
        "SELECT id FROM t WHERE note <> 'IN (?, ?)' AND id IN (?, ?, ?) AND n = ?"
        " OR name NOT IN (?,?)"
    )
    text, spans = in_arrays(sql)
    assert text == (
        "SELECT id FROM t WHERE note <> 'IN (?, ?)' AND id = ANY(?) AND n = ? OR name <> ALL(?)"
    )
    assert spans == ((0, 3), (4, 2))
    assert in_arrays("SELECT 1 FROM t WHERE id IN (?)") == ("SELECT 1 FROM t WHERE id IN (?)", ())
    assert in_arrays("SELECT 1 FROM t JOIN (SELECT ?) x ON true")[1] == ()


_ID = st.one_of(st.none(), st.integers(-3, 1005))
_NAME = st.one_of(st.none(), st.sampled_from(["name 1", "name 7", "NAME 7", "x", ""]))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    ids=st.lists(_ID, min_size=2, max_size=40),
    names=st.lists(_NAME, min_size=2, max_size=6),
    negate=st.booleans(),
    limit=st.integers(0, 3),
)
def test_a_query_with_long_in_lists_answers_as_sqlite_does(
    both: tuple[sqlite3.Connection, Any],
    ids: list[int | None],
    names: list[str | None],
    negate: bool,
    limit: int,
) -> None:
    """Lists of ids and names (NULLs among them, which keep the statement as it is) sent as
    arrays on PostgreSQL select the rows SQLite selects, NOT IN too."""
    lite, team = both
    _reset(lite, team)
    word = "NOT IN" if negate else "IN"
    sql = (
        f"SELECT id FROM t WHERE (id {word} ({', '.join('?' * len(ids))})"
        f" OR name IN ({', '.join('?' * len(names))})) AND n >= ? ORDER BY id"
    )
    params = [*ids, *names, limit]
    assert [tuple(r) for r in team.execute(sql, params)] == [
        tuple(r) for r in lite.execute(sql, params)
    ]
