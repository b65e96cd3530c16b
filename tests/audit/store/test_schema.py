"""Opening, creating and migrating the history file, and refusing files it must not touch."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from audit.attestation import Signer, write_receipt
from audit.errors import StoreError
from audit.model import DeviceStatus
from audit.store import HistoryFilter, Store, default_path
from audit.store import db as store_db
from audit.store.schema import APPLICATION_ID, LATEST_VERSION, MIGRATIONS
from tests.audit.store import factory as f
from tests.audit.store.test_connection import DROP_V5


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_history_is_created_in_the_data_folder_with_safe_settings(isolated_home: Path) -> None:
    with Store() as store:
        assert store.path == default_path() == isolated_home / "history.sqlite3"
        conn = sqlite3.connect(store.path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        conn.close()
        own = store._db
        assert own.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert own.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.integrity_check() == "ok"


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store._db.execute(
            "INSERT INTO actions (audit_id, kind, device_id, identifier, user_id, ok, message,"
            " advice, code, output) VALUES (999, 'uninstall', 'd', 'i', '0', 1, '', '', '', '')"
        )


def make_v1(path: Path) -> None:
    """A history as the first schema wrote it: three audits of two people, no latest flags."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    MIGRATIONS[0](conn)
    rows = [
        (
            "u1",
            "PS-1",
            "android:A",
            "2023-03-20",
            "non_compliant",
            "2023-03-20T10:00:00.000000+00:00",
        ),
        ("u2", "PS-1", "android:A", "2023-03-28", "compliant", "2023-03-28T10:00:00.000000+00:00"),
        (
            "u3",
            "PS-2",
            "android:B",
            "2023-03-25",
            "non_compliant",
            "2023-03-25T10:00:00.000000+00:00",
        ),
    ]
    for uid, staff, device, day, status, at in rows:
        conn.execute(
            "INSERT INTO audits (uid, origin, person_name, staff_id, technician, device_id,"
            " device_name, device_json, policy_id, policy_title, policy_sha256, deadline, status,"
            " day, started_at, at, search) VALUES (?, 'local', ?, ?, '', ?, 'Phone', ?, 'p',"
            " 'Policy', '', '2023-03-31', ?, ?, ?, ?, '')",
            (
                uid,
                f"Person {staff}",
                staff,
                device,
                f'{{"id": "{device}", "kind": "android", "name": "Phone"}}',
                status,
                day,
                at,
                at,
            ),
        )
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("COMMIT")
    conn.close()


def test_a_version_1_history_is_migrated_to_the_latest_with_its_audits(db_path: Path) -> None:
    make_v1(db_path)
    with Store(db_path) as store:
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        assert len(store.history()) == 3
        latest = store.history(HistoryFilter(latest_only=True))
        assert sorted(a.uid for a in latest) == ["u2", "u3"]
        board = store.dashboard("p", date(2023, 4, 1))
        assert board.counts.compliant == 1
        assert board.counts.overdue == 1  # PS-2 was non-compliant and the deadline passed
        assert board.series[-1].counts == board.counts


def test_a_history_from_a_newer_version_is_refused_and_left_untouched(db_path: Path) -> None:
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.execute("PRAGMA journal_mode = DELETE")  # a newer program may have chosen otherwise
    conn.close()
    before = digest(db_path)
    with pytest.raises(StoreError, match="newer Device Audit") as caught:
        Store(db_path)
    assert "Update Device Audit" in caught.value.next_step
    assert digest(db_path) == before
    assert not db_path.with_name(db_path.name + "-wal").exists()


def test_another_programs_database_is_refused_and_left_untouched(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    conn.commit()
    conn.close()
    before = digest(db_path)
    with pytest.raises(StoreError, match="not a Device Audit history"):
        Store(db_path)
    assert digest(db_path) == before


def test_a_file_that_is_not_a_database_is_refused(db_path: Path) -> None:
    db_path.write_bytes(b"this is a text file, not SQLite\n" * 100)
    with pytest.raises(StoreError, match="cannot be used") as caught:
        Store(db_path)
    assert "move it aside" in caught.value.next_step
    assert "File › Import receipts… in the app" in caught.value.next_step  # the app's way too
    assert db_path.read_bytes().startswith(b"this is a text file")


def test_a_failed_migration_changes_nothing(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store(db_path).close()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store_db, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(store_db, "LATEST_VERSION", LATEST_VERSION + 1)
    with pytest.raises(StoreError):
        Store(db_path)
    monkeypatch.undo()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    assert "half_done" not in names
    conn.close()


def test_a_closed_store_says_so(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.history()


def test_statuses_are_stored_as_their_enum_values(store: Store) -> None:
    # the dashboard's SQL compares with this literal
    assert DeviceStatus.COMPLIANT_WITH_EXCEPTIONS.value == "compliant_with_exceptions"


def test_a_version_2_history_gets_each_scans_users_from_its_receipts(
    db_path: Path, tmp_path: Path
) -> None:
    signer = Signer.generate()
    folder = tmp_path / "in"
    folder.mkdir()
    write_receipt(
        f.receipt(signer, f.phone("M1"), f.AROHA, f.Outcome.CLEAN, day=date(2023, 3, 28)),
        folder / "a.json",
    )
    with Store(db_path) as store:
        store.import_folder(folder)
        before, after, actions = f.audit_inputs(
            f.phone("M2"), f.BEN, f.Outcome.CLEAN, day=date(2023, 3, 28)
        )
        store.record_audit([before, after], actions)  # no receipt: nothing to learn users from
        conn = store._db
        # Back to the second schema: no users column (nor the later connection), version 2.
        conn.execute("ALTER TABLE scans DROP COLUMN users")
        conn.execute("ALTER TABLE audits DROP COLUMN connection")
        for statement in DROP_V5:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
    with Store(db_path) as store:
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        imported, local = sorted(store.history(), key=lambda a: a.device_id)
        details = store.audit_details(imported.id)
        assert [s.users for s in details.scans] == [f.USERS, f.USERS]
        assert details.profile("10").where == "in the Work profile"
        unnamed = store.audit_details(local.id)
        assert [s.users for s in unnamed.scans] == [(), ()]
        assert unnamed.profile("10").where == "for user 10"
        assert store.integrity_check() == "ok"


@pytest.mark.parametrize(
    "envelope",
    [b"", b"{}", b'{"payload": "!!"}', b'{"payload": "e30="}', b'{"payload": "W10="}'],
)
def test_a_stored_receipt_the_migration_cannot_read_gives_no_users(envelope: bytes) -> None:
    from audit.store.schema import receipt_users

    assert receipt_users(envelope) == []


def test_the_older_version_count_reads_only_its_covering_index(store: Store) -> None:
    """The dashboard's "checked under an older version" count: SQLite's plan uses the covering
    partial index and no temporary B-tree (grouped by digest alone it took the policy-and-time
    index and sorted, 16x slower at 100,000 audits)."""
    from audit.store.lineage import OLDER_COUNT_QUERY

    with sqlite3.connect(store.path) as conn:
        plan = " ".join(
            str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + OLDER_COUNT_QUERY, ("p",))
        )
    assert "audits_latest_trust" in plan and "TEMP B-TREE" not in plan, plan
