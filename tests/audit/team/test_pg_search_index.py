"""The team history's search index (pg_schema.add_search_index): trigrams on audits.search.

It serves the history's search (`search LIKE '%word%' ESCAPE '\\'`), is made with the schema
and by `team roles` for a history made before it, and where the extension cannot be created
the history goes on without it: the transaction it was tried in is left usable and unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

from audit.store import HistoryFilter, Store
from audit.store.pg_roles import setup_roles
from audit.store.pg_schema import add_search_index
from tests.audit.store import factory as f

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")
pytestmark = pytest.mark.postgres

INDEX = "SELECT count(*) FROM pg_indexes WHERE indexname = 'audits_search_trgm'"


def _has_index(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as raw:
        return bool(raw.execute(INDEX).fetchone()[0])


def test_a_new_team_history_has_it_and_the_search_uses_it(postgres_dsn: str) -> None:
    with Store(postgres_dsn) as store:
        for n in range(30):
            audit_id = store.begin_audit(
                f.phone(f"SER{n:03d}"),
                f.POLICY,
                person_name=f"Person {n}",
                staff_id=f"PS-{n:04d}",
            )
            assert audit_id
        found = store.history(HistoryFilter(search="person 17"))
        assert [a.staff_id for a in found] == ["PS-0017"]
        assert store.history(HistoryFilter(search="50%")) == []  # a % is a character here
    assert _has_index(postgres_dsn)
    with psycopg.connect(postgres_dsn, autocommit=True) as raw:
        # A history of some size, for the planner to weigh the index against reading it all.
        raw.execute(
            "INSERT INTO audits (id, uid, origin, person_name, staff_id, technician, device_id,"
            " device_name, device_json, policy_id, policy_title, policy_sha256, started_at, at,"
            " search) SELECT g, 'u' || g, 'local', 'P', 'S', '', 'd', 'n', '{}', 'p', 't', '',"
            " '2023-01-01', '2023-01-01', 'person ' || g || ' phone ' || g"
            " FROM generate_series(1000, 9000) g"
        )
        raw.execute("VACUUM (ANALYZE) audits")  # as autovacuum would: the GIN list merged
        raw.execute("SET enable_seqscan = off")  # a few thousand rows are still quick to read
        plan = " ".join(
            str(row[0])
            for row in raw.execute(
                "EXPLAIN SELECT id FROM audits WHERE search LIKE %s ESCAPE '\\'", ("%4321%",)
            )
        )
    assert "audits_search_trgm" in plan


def test_team_roles_adds_it_to_a_history_made_before_it(postgres_dsn: str) -> None:
    Store(postgres_dsn).close()
    with psycopg.connect(postgres_dsn, autocommit=True) as raw:
        raw.execute("DROP INDEX audits_search_trgm")
    assert not _has_index(postgres_dsn)
    setup_roles(postgres_dsn)
    assert _has_index(postgres_dsn)
    setup_roles(postgres_dsn)  # again: nothing new, no error
    assert _has_index(postgres_dsn)


def test_without_the_right_to_create_it_the_transaction_goes_on_unchanged(
    postgres_dsn: str,
) -> None:
    """An account that owns the tables but may not create an extension in the database."""
    Store(postgres_dsn).close()
    params = psycopg.conninfo.conninfo_to_dict(postgres_dsn)
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute("DROP INDEX audits_search_trgm")
        admin.execute("DROP EXTENSION pg_trgm")
        admin.execute("DROP ROLE IF EXISTS da_test_plain")
        admin.execute("CREATE ROLE da_test_plain LOGIN PASSWORD 'plain-pass'")
        admin.execute(f'REVOKE CREATE ON DATABASE "{params["dbname"]}" FROM PUBLIC')
        admin.execute("ALTER TABLE audits OWNER TO da_test_plain")
    plain = psycopg.conninfo.make_conninfo(
        postgres_dsn, user="da_test_plain", password="plain-pass"
    )
    try:
        with psycopg.connect(plain) as raw:  # not autocommit: one transaction, as the callers
            raw.execute("CREATE TEMP TABLE kept (n int)")
            assert add_search_index(raw) is False
            raw.execute("INSERT INTO kept VALUES (1)")  # the transaction is still usable
            assert raw.execute("SELECT count(*) FROM kept").fetchone()[0] == 1
            raw.commit()
        assert not _has_index(postgres_dsn)
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            _drop_role(admin)


def _drop_role(admin: Any) -> None:
    admin.execute("REASSIGN OWNED BY da_test_plain TO CURRENT_USER")
    admin.execute("DROP OWNED BY da_test_plain")
    admin.execute("DROP ROLE da_test_plain")
