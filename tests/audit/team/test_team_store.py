"""The history on a real PostgreSQL server (issue 18): what only a team history has to get right.

The store's ordinary behaviour runs on both backends through tests/audit/store's parametrized
`store` fixture; here: opening (refusing what is not ours, or newer), the constraints that make
a receipt's identity hold whatever the app does, the one write lock, a read-only account, the
server going away, and passwords never shown. Every test talks to a real server.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from audit.attestation import Signer, write_receipt
from audit.errors import StoreError
from audit.store import ImportResult, Store
from audit.store.dialect import WRITE_LOCK
from audit.store.schema import LATEST_VERSION, recount
from tests.audit.store import factory as f
from tests.helpers.memkeyring import memory_keyring  # noqa: F401 - the fixture

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")
pytestmark = pytest.mark.postgres

DAY = date(2023, 3, 28)


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


def _raw(store: Store) -> Any:
    """The psycopg connection under a team history's store (to play another bench's part)."""
    return store._db.raw  # type: ignore[attr-defined]


def receipts(folder: Path, signer: Signer, count: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(start, start + count):
        person = f.Person(f"Person {n}", f"PS-{n:04d}")
        outcome = (f.Outcome.CLEAN, f.Outcome.VIOLATION, f.Outcome.EXCEPTED)[n % 3]
        envelope = f.receipt(
            signer,
            f.phone(f"SERIAL{n:04d}"),
            person,
            outcome,
            day=DAY - timedelta(days=n % 5),
            exemption_expires=DAY + timedelta(days=30),
        )
        path = folder / f"r{n:04d}.json"
        write_receipt(envelope, path)
        paths.append(path)
    return paths


def test_a_new_database_gets_the_history_s_schema_and_version(postgres_dsn: str) -> None:
    with Store(postgres_dsn) as store:
        assert store.history() == []
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT application_id, user_version FROM da_meta").fetchone() == (
            0x44417564,
            LATEST_VERSION,
        )
    with Store(postgres_dsn) as again:  # opening again changes nothing
        assert again.count() == 0


def test_the_same_tables_and_columns_as_the_sqlite_history(
    postgres_dsn: str, tmp_path: Path
) -> None:
    """The two DDL lists (schema.py, pg_schema.py) cannot drift apart unnoticed."""
    Store(tmp_path / "h.sqlite3").close()
    Store(postgres_dsn).close()
    lite = sqlite3.connect(tmp_path / "h.sqlite3")
    tables = [
        r[0]
        for r in lite.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"
        ).fetchall()
    ]
    sqlite_columns = {
        t: [(r[1], bool(r[3]), r[5] > 0) for r in lite.execute(f"PRAGMA table_info({t})")]
        for t in tables
    }
    with psycopg.connect(postgres_dsn) as conn:
        pg_tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
        assert pg_tables == {*tables, "da_meta"}
        for table in tables:
            pk = {
                r[0]
                for r in conn.execute(
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid ="
                    " i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass"
                    " AND i.indisprimary",
                    (table,),
                )
            }
            columns = [
                (name, nullable == "NO", name in pk)
                for name, nullable in conn.execute(
                    "SELECT column_name, is_nullable FROM information_schema.columns"
                    " WHERE table_name = %s ORDER BY ordinal_position",
                    (table,),
                )
            ]
            # SQLite reports a rowid primary key as nullable; PostgreSQL's never is.
            expected = [
                (n, notnull or primary, primary) for n, notnull, primary in sqlite_columns[table]
            ]
            assert columns == expected, table


def test_a_database_holding_other_tables_is_refused_and_left_as_is(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE payroll (id int)")
    with pytest.raises(StoreError, match="not a Device Audit history"):
        Store(postgres_dsn)
    with psycopg.connect(postgres_dsn) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    assert tables == [("payroll",)]


def test_a_history_from_a_newer_device_audit_is_refused_untouched(postgres_dsn: str) -> None:
    Store(postgres_dsn).close()
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("UPDATE da_meta SET user_version = %s", (LATEST_VERSION + 1,))
    with pytest.raises(StoreError, match="newer Device Audit") as refused:
        Store(postgres_dsn)
    assert "Update Device Audit" in refused.value.next_step


def test_foreign_keys_are_enforced(postgres_dsn: str) -> None:
    with Store(postgres_dsn) as store, pytest.raises(psycopg.errors.ForeignKeyViolation):
        store._db.execute(
            "INSERT INTO actions (audit_id, kind, device_id, identifier, user_id, ok, message,"
            " advice, code, output) VALUES (999, 'uninstall', 'd', 'i', '0', 1, '', '', '', '')"
        )


def test_a_receipt_is_stored_once_by_constraint_even_by_a_writer_that_skips_the_app(
    postgres_dsn: str, signer: Signer, tmp_path: Path
) -> None:
    """The idempotent identity is the database's, not only the importer's reading first: a
    rogue script copying a stored receipt row under a new file digest is refused."""
    receipts(tmp_path / "in", signer, 3)
    with Store(postgres_dsn) as store:
        assert store.import_folder(tmp_path / "in").imported == 3
        again = store.import_folder(tmp_path / "in")
        assert {o.result for o in again.outcomes} == {ImportResult.DUPLICATE}
    with psycopg.connect(postgres_dsn) as conn:
        for column in ("uid", "payload_sha256", "file_sha256"):
            others = [c for c in ("uid", "payload_sha256", "file_sha256") if c != column]
            copied = ", ".join(f"{c} || 'x'" for c in others)
            with pytest.raises(psycopg.errors.UniqueViolation):
                conn.execute(
                    f"INSERT INTO attestations (id, {column}, {', '.join(others)}, audit_id, kind,"
                    " envelope, signer, identity, key_note, staff_id, person_name, technician,"
                    " device_id, policy_id, status, attested_at, recorded_at, origin, file_name)"
                    f" SELECT id + 100, {column}, {copied}, audit_id, kind, envelope, signer,"
                    " identity, key_note, staff_id, person_name, technician, device_id,"
                    " policy_id, status, attested_at, recorded_at, origin, file_name"
                    " FROM attestations LIMIT 1"
                )
            conn.rollback()
        assert conn.execute(
            "SELECT count(*), count(DISTINCT uid) FROM attestations"
        ).fetchone() == (
            3,
            3,
        )


def test_a_writer_waits_for_the_write_lock_and_says_busy_when_it_is_held_too_long(
    postgres_dsn: str, signer: Signer, tmp_path: Path
) -> None:
    receipts(tmp_path / "in", signer, 2)
    with Store(postgres_dsn) as store:
        holder = psycopg.connect(postgres_dsn)
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))  # another bench
        _raw(store).execute("SET lock_timeout = '300ms'")
        with pytest.raises(StoreError, match="busy"):
            store.import_folder(tmp_path / "in")
        assert store.count() == 0  # nothing half-written
        released = threading.Timer(0.2, holder.rollback)
        released.start()
        _raw(store).execute("SET lock_timeout = '10s'")
        assert store.import_folder(tmp_path / "in").imported == 2  # waited, then wrote
        released.join()
        holder.close()


def test_a_read_only_account_reads_and_is_told_plainly_it_may_not_write(
    postgres_dsn: str, signer: Signer, tmp_path: Path
) -> None:
    receipts(tmp_path / "in", signer, 2)
    with Store(postgres_dsn) as store:
        store.import_folder(tmp_path / "in")
    receipts(tmp_path / "more", signer, 1, start=10)
    with Store(postgres_dsn, read_only=True) as office:
        assert office.count() == 2
        assert office.dashboard(f.POLICY.id, DAY).counts.total == 2
        with pytest.raises(StoreError, match="may not do this") as refused:
            office.import_folder(tmp_path / "more")
        assert "administrator" in refused.value.next_step
        assert office.count() == 2


def test_the_server_going_away_is_said_plainly_and_loses_nothing_saved(
    postgres_dsn: str, signer: Signer, tmp_path: Path
) -> None:
    receipts(tmp_path / "in", signer, 3)
    store = Store(postgres_dsn)
    assert store.import_folder(tmp_path / "in").imported == 3
    pid = _raw(store).info.backend_pid
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(StoreError, match="cannot be reached") as gone:
        store.count()
    assert "network" in gone.value.next_step
    store.close()
    with Store(postgres_dsn) as back:
        assert back.count() == 3


def test_a_refused_password_is_never_shown(postgres_dsn: str) -> None:
    params = psycopg.conninfo.conninfo_to_dict(postgres_dsn)
    secret = "Sup3r-S3cret-pw"
    url = (
        f"postgresql://{params['user']}:{secret}@{params['host']}:{params['port']}/"
        f"{params['dbname']}"
    )
    for target in (url, url + f"?password={secret}"):
        with pytest.raises(StoreError) as refused:
            Store(target)
        shown = f"{refused.value} {refused.value.next_step}"
        assert secret not in shown
        assert "refused the login name or password" in shown and "network" not in shown
        assert "password authentication failed" in shown and "team save-password" in shown
        assert f"postgresql://{params['user']}@{params['host']}:{params['port']}/" in shown


_PASSWORD = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=4, max_size=20
).filter(lambda p: p.strip() == p and len(set(p)) > 2)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    password=_PASSWORD,
    user=st.sampled_from(["ann", "tech_bob", "o'brien", ""]),
    form=st.sampled_from(["url", "query", "kv"]),
)
def test_redact_never_shows_a_password(password: str, user: str, form: str) -> None:
    from urllib.parse import quote

    from audit.store.pg import redact

    if form == "url":
        target = f"postgresql://{quote(user)}:{quote(password, safe='')}@db.example:5432/da"
    elif form == "query":
        target = f"postgresql://{quote(user)}@db.example/da?password={quote(password, safe='')}"
    else:
        escaped = password.replace("\\", "\\\\").replace("'", "\\'")
        target = f"host=db.example dbname=da user='{user}' password='{escaped}'"
    shown = redact(target)
    assert password not in shown
    assert quote(password, safe="") not in shown
    assert shown.startswith("postgresql://") or shown.startswith("(")


@pytest.mark.parametrize(
    "target",
    [
        "postgresql://ann:pass/word@db.example/da",  # typed without quoting: "pass" reads as a port
        "postgresql://ann:pa%80ss@db.example/da",  # an escape that is not UTF-8
        "postgresql://ann:p@ss@db.example/da",
    ],
)
def test_a_password_typed_in_a_malformed_address_is_not_shown(target: str) -> None:
    from audit.store.pg import redact

    shown = redact(target)
    assert "pass" not in shown and "p@ss" not in shown and "pa%80" not in shown


def test_the_single_user_on_a_file_never_loads_the_postgresql_driver(tmp_path: Path) -> None:
    code = (
        "import sys; from audit.store import Store; "
        f"Store({str(tmp_path / 'h.sqlite3')!r}).close(); "
        "print('psycopg' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


def test_the_running_totals_equal_a_recount_after_imports(
    postgres_dsn: str, signer: Signer, tmp_path: Path
) -> None:
    receipts(tmp_path / "in", signer, 12)
    with Store(postgres_dsn) as store:
        store.import_folder(tmp_path / "in")
        before = store.dashboard(f.POLICY.id, DAY)
        with store._write() as conn:
            totals = conn.execute(
                "SELECT policy_id, day, status, expires, delta FROM status_changes"
                " WHERE delta <> 0 ORDER BY 1, 2, 3, 4"
            ).fetchall()
            recount(conn)
            again = conn.execute(
                "SELECT policy_id, day, status, expires, delta FROM status_changes"
                " WHERE delta <> 0 ORDER BY 1, 2, 3, 4"
            ).fetchall()
        assert totals == again
        assert store.dashboard(f.POLICY.id, DAY) == before


@pytest.mark.usefixtures("memory_keyring")
def test_the_password_comes_from_the_keyring_and_is_never_saved_with_the_address(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring

    from audit.store.pg import KEYRING_SERVICE, remember_password

    monkeypatch.delenv("PGPASSWORD", raising=False)  # libpq's own would be used first

    params = psycopg.conninfo.conninfo_to_dict(postgres_dsn)
    bare = f"postgresql://{params['user']}@{params['host']}:{params['port']}/{params['dbname']}"
    with pytest.raises(StoreError, match="asks for a password"):
        Store(bare)  # no password anywhere: the server refuses
    shown = remember_password(bare, str(params["password"]))
    assert shown == bare and str(params["password"]) not in shown
    assert keyring.get_keyring().secrets == {  # type: ignore[attr-defined]
        (KEYRING_SERVICE, bare): params["password"]
    }
    with Store(bare) as store:
        assert store.where == bare and store.count() == 0


def test_a_connection_cut_mid_import_keeps_every_batch_reported_saved(
    postgres_dsn: str, signer: Signer, tmp_path: Path
) -> None:
    """The server drops the bench's connection after the first batch is committed: the import
    stops with the plain message, the committed batch is there, and importing again brings the
    rest in without storing anything twice."""
    receipts(tmp_path / "in", signer, 6)
    store = Store(postgres_dsn)
    pid = store._db.raw.info.backend_pid  # type: ignore[attr-defined]
    done: list[float] = []

    def progress(fraction: float, _message: str) -> None:
        done.append(fraction)
        if len(done) == 3:  # checking the second batch, the first written: cut it
            with psycopg.connect(postgres_dsn, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    with pytest.raises(StoreError, match="cannot be reached"):
        store.import_folder(tmp_path / "in", batch_size=2, workers=0, progress=progress)
    store.close()
    with Store(postgres_dsn) as back:
        kept = back.count()
        assert 0 < kept < 6
        again = back.import_folder(tmp_path / "in", workers=0)
        assert (again.imported, kept + again.imported, back.count()) == (6 - kept, 6, 6)


_JUNK = st.sampled_from(
    ["", "[", "]", "[::1", ":", "@", "?", "?x=1", "?sslmode=bogus", "/", "%", "%zz"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(password=_PASSWORD, before=_JUNK, after=_JUNK, port=st.sampled_from(["1", "x", "", "99999"]))
def test_an_address_that_fails_never_shows_its_password(
    password: str, before: str, after: str, port: str
) -> None:
    """Malformed or unreachable addresses (nothing listens on port 1 of this computer): the
    refusal names the problem but never the password, whatever libpq quotes back."""
    from urllib.parse import quote

    def refusal(secret: str) -> str:
        address = f"postgresql://ann:{secret}@{before}127.0.0.1{':' + port if port else ':1'}"
        with pytest.raises(StoreError) as refused:
            Store(f"{address}/da{after}")
        return f"{refused.value} {refused.value.next_step}"

    encoded = quote(password, safe="")
    # A password that is a word of the refusal anyway ("post" in "postgresql://") proves nothing.
    without = refusal("S3cret-placeholder")
    assume(password not in without and encoded not in without)
    shown = refusal(encoded)
    assert password not in shown and encoded not in shown


def test_a_key_value_connection_is_refused_and_never_made_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq's "host=... password=..." form once became a SQLite file named after it, password
    included (and logged)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match="key=value") as refused:
        Store("host=db.example dbname=da user=ann password=s3cret")
    assert "s3cret" not in f"{refused.value} {refused.value.next_step}"
    assert list(tmp_path.iterdir()) == []


def test_an_address_that_is_not_utf8_is_refused_in_words() -> None:
    """'%80' in an address once escaped as a UnicodeDecodeError traceback."""
    with pytest.raises(StoreError, match="cannot be read") as refused:
        Store("postgresql://ann:pa%80ss@db.example/da")
    assert "pa%80ss" not in f"{refused.value} {refused.value.next_step}"
