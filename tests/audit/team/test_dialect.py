"""The SQLite -> PostgreSQL translation of the store's statements (audit.store.dialect).

No server needed: the translation is pure text. What matters is that it changes only what it
must: string literals stay byte for byte, every placeholder survives as one psycopg
placeholder, and a statement it cannot translate faithfully raises instead of running with
another meaning.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.store.dialect import UntranslatableSql, inserted_table, to_postgres
from audit.store.schema import CHAIN_TIME, COUNTED_STATUS
from audit.store.writes import INSERT_KEY


def test_positional_and_named_placeholders_become_psycopg_ones() -> None:
    assert to_postgres("SELECT a FROM t WHERE b = ? AND c = ?") == (
        "SELECT a FROM t WHERE b = %s AND c = %s"
    )
    assert to_postgres("SELECT a FROM t WHERE d <= :today LIMIT :limit") == (
        "SELECT a FROM t WHERE d <= %(today)s LIMIT %(limit)s"
    )


def test_literals_keep_their_colons_question_marks_and_percent_signs() -> None:
    sql = "SELECT 'a:b ? 50%' || x FROM t WHERE y LIKE 'local:%' AND z = ?"
    assert to_postgres(sql) == "SELECT 'a:b ? 50%%' || x FROM t WHERE y LIKE 'local:%%' AND z = %s"
    assert to_postgres("SELECT 'it''s ?' FROM t") == "SELECT 'it''s ?' FROM t"


def test_scalar_min_max_become_least_greatest_but_aggregates_stay() -> None:
    assert to_postgres("SELECT max(at, ?), min(a, max(b, c)), max(id) FROM t") == (
        "SELECT GREATEST(at, %s), LEAST(a, GREATEST(b, c)), max(id) FROM t"
    )
    assert "LEAST(a.at, coalesce((SELECT min(t.recorded_at)" in to_postgres(CHAIN_TIME)


def test_the_key_upsert_names_its_conflict_so_other_constraints_still_raise() -> None:
    assert to_postgres(INSERT_KEY).endswith("ON CONFLICT (identity, signer) DO NOTHING")
    with pytest.raises(UntranslatableSql):
        to_postgres("INSERT OR IGNORE INTO audits (uid) VALUES (?)")


def test_this_computer_s_device_ids_stay_case_blind_as_in_sqlite() -> None:
    """SQLite's LIKE folds ASCII case: a device id 'LOCAL:x' is this computer there, and must be
    on the team history too, or the two would count the dashboard differently."""
    assert "device_id ILIKE 'local:%%'" in to_postgres(COUNTED_STATUS)


def test_the_rest_of_the_inventory() -> None:
    assert to_postgres("SELECT x FROM t LIMIT -1 OFFSET ?") == "SELECT x FROM t LIMIT ALL OFFSET %s"
    assert to_postgres("SELECT x WHERE instr(n, ?) = 0 AND (0)") == (
        "SELECT x WHERE strpos(n, %s) = 0 AND (FALSE)"
    )
    assert to_postgres("a = ? COLLATE NOCASE") == "a = %s COLLATE nocase"
    assert "SET delta = status_changes.delta + excluded.delta" in to_postgres(
        "INSERT INTO status_changes VALUES (?) ON CONFLICT (x) DO UPDATE SET delta = delta +"
        " excluded.delta"
    )


def test_an_unbalanced_statement_is_refused_not_guessed() -> None:
    with pytest.raises(UntranslatableSql):
        to_postgres("SELECT 'open FROM t")
    with pytest.raises(UntranslatableSql):
        to_postgres("SELECT max(a, b FROM t")


def test_inserts_that_need_their_new_id_are_recognised() -> None:
    assert inserted_table("INSERT INTO audits (uid) VALUES (?)") == "audits"
    assert inserted_table("INSERT INTO keys (identity) VALUES (?)") is None
    assert inserted_table("INSERT INTO scans (a) VALUES (?) RETURNING id") is None
    assert inserted_table("UPDATE audits SET x = 1") is None


_PIECE = st.one_of(
    st.sampled_from(["?", ":name", ":n2", "%", "::", " ", ",", "(", ")", "max(", "min("]),
    st.text(alphabet="abc xyz=<>_019", max_size=6),
    st.text(alphabet="ab:?%( ),", max_size=8).map(lambda t: "'" + t.replace("'", "''") + "'"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECE, max_size=20))
def test_any_statement_translates_or_is_refused_and_literals_never_change(
    pieces: list[str],
) -> None:
    sql = "SELECT " + "".join(pieces)
    try:
        out = to_postgres(sql)
    except UntranslatableSql:
        return
    literals = re.findall(r"'(?:[^']|'')*'", sql)
    translated = re.findall(r"'(?:[^']|'')*'", out)
    assert translated == [lit.replace("%", "%%") for lit in literals]
    outside = re.sub(r"'(?:[^']|'')*'", " ", sql)
    outside_out = re.sub(r"'(?:[^']|'')*'", " ", out)
    assert outside_out.count("%s") == outside.count("?")
    assert len(re.findall(r"%\(\w+\)s", outside_out)) == len(
        re.findall(r"(?<![:\w]):[A-Za-z_]\w*", outside)
    )
    assert "?" not in outside_out


def test_only_plain_inserts_go_through_copy() -> None:
    from audit.store import bulk, writes
    from audit.store.dialect import copy_target

    table, columns = copy_target(writes.INSERT_FINDING) or ("", [])
    assert table == "findings" and columns[0] == "scan_id" and columns[-1] == "exemption_id"
    assert len(columns) == writes.INSERT_FINDING.count("?") == 11
    assert copy_target(bulk.INSERT_AUDIT) is not None
    assert copy_target(writes.INSERT_KEY) is None  # ON CONFLICT: COPY would raise instead
    assert copy_target("INSERT INTO t (a, b) VALUES (?, 'x')") is None
    assert copy_target("INSERT INTO t (a, b) VALUES (?, ?) RETURNING id") is None
    assert copy_target("INSERT INTO t (a) SELECT ?") is None
