"""The stored inventories behind re-judging: a blob is used only when it is exactly the inventory
its digest names. Fuzzed (bounded hypothesis examples), plus the attacks a person with the history
file could try, and schema v8 brought to a history made before it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.inventory import app_to_dict, inventory_digest
from audit.model import AppId, AppState, IdentifierKind, InstalledApp, ScanResult
from audit.store import Store
from audit.store.inventories import (
    MAX_INVENTORY_BYTES,
    ForgedInventory,
    decode,
    encode,
    preimage,
)
from audit.store.schema import APPLICATION_ID, MIGRATIONS
from tests.audit.store import factory as f
from tests.audit.store import rejudging as r

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


_HEAD = json.dumps(["device-audit-inventory", 1, "android:FZ", True])
# App lines near the real thing: right length, wrong types or values in one field.
_REAL = json.loads(preimage(r.phone_scan(f.phone("FZ"), r.DAY, (r.capcut(),))).split(b"\n")[1])
_SHAPES = [
    json.dumps(_REAL),
    json.dumps([*_REAL, True]),
    json.dumps([*_REAL, False]),
    json.dumps([1, *_REAL[1:]]),
    json.dumps([_REAL[0], "no-such-kind", *_REAL[2:]]),
    json.dumps(_REAL[:-1]),
    json.dumps({"identifier": "x"}),
    json.dumps([*_REAL[:15], [{"kind": "android_pkg"}], *_REAL[16:]]),
    json.dumps([*_REAL[:13], "not a time", *_REAL[14:]]),
    json.dumps([*_REAL[:10], 1, *_REAL[11:]]),
]


def _line(app: InstalledApp) -> str:
    return json.dumps(app_to_dict(app), sort_keys=True)


def _scan(apps: tuple[InstalledApp, ...], complete: bool = True) -> ScanResult:
    return r.phone_scan(f.phone("FZ"), r.DAY, apps, complete=complete)


_APPS = st.lists(
    st.builds(
        InstalledApp,
        identifier=_TEXT,
        kind=st.sampled_from(IdentifierKind),
        name=_TEXT,
        version=_TEXT,
        user=st.sampled_from(["0", "10", "system"]),
        state=st.sampled_from(AppState),
        system=st.booleans(),
        version_code=st.none() | st.integers(-(2**53), 2**53),
        installed_at=st.none() | st.datetimes(timezones=st.just(UTC)),
        other_ids=st.lists(
            st.builds(AppId, st.sampled_from(IdentifierKind), _TEXT), max_size=2
        ).map(tuple),
        state_confirmed=st.booleans(),
    ),
    max_size=8,
).map(tuple)


@settings(max_examples=100, deadline=None)
@given(apps=_APPS, complete=st.booleans())
def test_what_is_stored_is_read_back_as_the_same_inventory(
    apps: tuple[InstalledApp, ...], complete: bool
) -> None:
    scan = _scan(apps, complete)
    digest = inventory_digest(scan)
    assert hashlib.sha256(preimage(scan)).hexdigest() == digest  # the blob is what was hashed
    stored = decode(digest, encode(scan))
    assert stored.digest == digest and stored.complete == scan.complete
    # the same apps, field for field as the digest covers them (a datetime's `fold` is not)
    assert sorted(map(_line, stored.apps)) == sorted(map(_line, apps))


@settings(max_examples=200, deadline=None)
@given(blob=st.binary(max_size=512))
def test_any_bytes_are_an_inventory_with_that_digest_or_refused(blob: bytes) -> None:
    digest = inventory_digest(_scan(()))
    try:
        stored = decode(digest, blob)
    except ForgedInventory as refused:
        assert refused.message and refused.next_step
    else:
        assert stored.digest == digest


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    document=st.recursive(
        st.none() | st.booleans() | st.integers() | _TEXT,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
        max_leaves=20,
    ),
    apps=_APPS,
)
def test_compressed_json_that_is_not_the_inventory_is_refused(
    document: object, apps: tuple[InstalledApp, ...]
) -> None:
    """Well-formed zlib and JSON, but not the inventory the digest names: refused, never read."""
    digest = inventory_digest(_scan(apps))
    blob = zlib.compress(json.dumps(document).encode("utf-8"))
    with pytest.raises(ForgedInventory):
        decode(digest, blob)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_TEXT | st.sampled_from(_SHAPES), max_size=4))
def test_text_hashed_into_a_digest_but_not_written_by_device_audit_is_refused(
    lines: list[str],
) -> None:
    """Whoever can write the history could store any text with its own sha256 as the digest:
    it is read only when every line is one an inventory holds."""
    text = "\n".join([_HEAD, *lines]).encode("utf-8")
    try:
        stored = decode(hashlib.sha256(text).hexdigest(), zlib.compress(text))
    except ForgedInventory as refused:
        assert "not one Device Audit wrote" in refused.message
    else:
        assert len(stored.apps) == len(lines)


def test_a_blob_that_expands_without_end_is_refused_before_it_fills_memory() -> None:
    bomb = zlib.compress(b" " * (MAX_INVENTORY_BYTES + 1024), 9)
    assert len(bomb) < 100_000
    with pytest.raises(ForgedInventory, match="expands beyond"):
        decode("0" * 64, bomb)


def test_a_blob_cut_short_is_refused() -> None:
    scan = _scan((r.capcut(),))
    blob = encode(scan)
    with pytest.raises(ForgedInventory, match="cut short"):
        decode(inventory_digest(scan), blob[: len(blob) // 2])


def test_another_inventory_under_a_digest_is_refused_naming_both() -> None:
    honest, swapped = _scan((r.capcut(),)), _scan(())
    with pytest.raises(ForgedInventory, match="holds another inventory") as refused:
        decode(inventory_digest(honest), encode(swapped))
    assert inventory_digest(swapped)[:12] in refused.value.message


def test_the_same_apps_in_another_order_give_the_same_blob() -> None:
    apps = (r.capcut(), f.tiktok(), *r.everyday_apps(4))
    assert encode(_scan(apps)) == encode(_scan(tuple(reversed(apps))))


# --- schema v8 on a history made before it ---------------------------------------------------


def test_a_version_7_history_keeps_every_row_and_takes_re_judged_audits(db_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for migration in MIGRATIONS[:7]:
        migration(conn)
    conn.execute(
        "INSERT INTO audits (id, uid, origin, person_name, staff_id, technician, device_id,"
        " device_name, device_json, policy_id, policy_title, policy_sha256, started_at, at,"
        " search, status, day) VALUES (1, 'u1', 'local', 'Aroha', 'PS-1042', '', 'android:P1',"
        " 'Pixel 7', '{}', 'p', 'P', 'sha', '2026-11-02T12:00:00.000000+00:00',"
        " '2026-11-02T12:00:00.000000+00:00', 'aroha', 'compliant', '2026-11-02')"
    )
    conn.execute(
        "INSERT INTO scans (id, audit_id, started_at, finished_at, complete, inventory_digest,"
        " app_count, gaps, policy_sha256) VALUES (7, 1, 'a', 'b', 1, 'd', 0, '[]', 'sha')"
    )
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 7")
    conn.execute("COMMIT")
    conn.close()

    with Store(db_path) as store:
        db = store._db
        assert store.integrity_check() == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("SELECT id, origin, derived_from FROM audits").fetchall() == [
            (1, "local", None)
        ]
        assert db.execute("SELECT audit_id FROM scans WHERE id = 7").fetchone() == (1,)
        scans = db.execute("SELECT sql FROM sqlite_schema WHERE name = 'scans'").fetchone()[0]
        assert "REFERENCES audits (id)" in scans
        db.execute("BEGIN")
        db.execute(
            "UPDATE audits SET origin = 'rejudged' WHERE id = 1"
        )  # the wider check takes it...
        with pytest.raises(sqlite3.IntegrityError):  # ...and still refuses anything else
            db.execute("UPDATE audits SET origin = 'made-up' WHERE id = 1")
        db.execute("ROLLBACK")
        with pytest.raises(sqlite3.IntegrityError):  # and the scans still need their audit
            db.execute("DELETE FROM audits WHERE id = 1")
