"""A device's newest check decides between its unnamed and its named audits, and the device
still counts once (chains.COUNTED_STATUS, v11).

A phone checked at the bench and left unnamed (the person said "I'll take it off myself", the
removal was refused) is a check of that phone like any other: an older receipt naming the
person, imported after it, must not hide it; a newer audit naming the person takes its place
again. Never both: a device's named line and its unnamed line never count side by side
(the earlier false count: tests/audit/store/test_one_device_once.py).

The oracle of the random tests is twofold: schema.recount (every write ends as a rebuild from
the audits alone would make it) and a plain Python reading of the rule over the audits table.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from audit.attestation import Envelope, Signer, write_receipt
from audit.model import Device, DeviceKind, DeviceStatus
from audit.store import HistoryFilter, ImportResult, Store, chains
from audit.store.db import parse_time, transaction
from audit.store.schema import recount
from tests.audit.store import factory as f
from tests.audit.store.cli_target import cli_db

DAY = date(2023, 3, 20)
BENCH = Device(id="local:0123456789abcdef", kind=DeviceKind.COMPUTER, name="helpdesk-bench")
CHAIN = (
    "SELECT id, until_day, latest, counted_day, counted_status, counted_expires FROM audits"
    " ORDER BY id"
)
TOTALS = (
    "SELECT policy_id, day, status, expires, sum(delta) FROM status_changes"
    " GROUP BY policy_id, day, status, expires HAVING sum(delta) <> 0 ORDER BY 1, 2, 3, 4"
)


def _unnamed(store: Store, device: Device, outcome: f.Outcome, day: date) -> int:
    """The bench checks the phone and nobody is named: the rescan's verdict, unnamed."""
    before, after, actions = f.audit_inputs(device, f.AROHA, outcome, day=day)
    return store.record_audit([before, after], actions)


def _named(store: Store, device: Device, person: f.Person, outcome: f.Outcome, day: date) -> int:
    before, after, actions = f.audit_inputs(device, person, outcome, day=day)
    return store.record_audit(
        [before, after], actions, person_name=person.name, staff_id=person.staff_id
    )


def _import(store: Store, folder: Path, *envelopes: Envelope) -> None:
    folder.mkdir()
    for n, envelope in enumerate(envelopes):
        write_receipt(envelope, folder / f"{n:03d}.json")
    report = store.import_folder(folder, workers=0)
    for outcome in report.outcomes:
        assert outcome.result is ImportResult.IMPORTED, outcome.reason


def _rows(store: Store) -> dict[str, str]:
    """staff id ('' unnamed) -> the export's recorded status, one row per line."""
    rows = store.export_rows(today=DAY + timedelta(days=30))
    found = {r.staff_id: r.recorded_status for r in rows}
    assert len(found) == len(rows), rows  # never two lines of one person and device
    return found


def test_a_later_unnamed_check_that_found_tiktok_outweighs_an_older_named_audit(
    store: Store,
) -> None:
    phone = f.phone("R58BENCH02")
    _named(store, phone, f.AROHA, f.Outcome.CLEAN, DAY)  # compliant on the 20th
    _unnamed(store, phone, f.Outcome.VIOLATION, DAY + timedelta(days=3))  # TikTok back
    later = DAY + timedelta(days=3)
    assert _rows(store) == {"": DeviceStatus.NON_COMPLIANT.value}
    board = store.dashboard(f.POLICY.id, later)
    assert (board.counts.total, board.counts.compliant) == (1, 0)
    [latest] = store.history(HistoryFilter(latest_only=True))
    assert latest.staff_id == ""
    # The days before the bench's check: the device is not counted (the named audit stopped
    # counting), never as compliant.
    assert store.dashboard(f.POLICY.id, DAY).counts.compliant == 0


def test_a_later_unnamed_clean_check_outweighs_an_older_named_violation(store: Store) -> None:
    """The rule is the newest check, not the worse one: the phone was cleaned on a cable."""
    phone = f.phone("R58BENCH03")
    _named(store, phone, f.AROHA, f.Outcome.VIOLATION, DAY)
    _unnamed(store, phone, f.Outcome.CLEAN, DAY + timedelta(days=1))
    assert _rows(store) == {"": DeviceStatus.COMPLIANT.value}
    assert store.dashboard(f.POLICY.id, DAY + timedelta(days=1)).counts.total == 1


def test_naming_the_person_at_a_newer_check_makes_the_named_line_count_again(
    store: Store, tmp_path: Path
) -> None:
    phone = f.phone("R58BENCH04")
    signer = Signer.generate()
    _import(store, tmp_path / "a", f.receipt(signer, phone, f.AROHA, f.Outcome.CLEAN, day=DAY))
    _unnamed(store, phone, f.Outcome.VIOLATION, DAY + timedelta(days=2))
    assert _rows(store) == {"": DeviceStatus.NON_COMPLIANT.value}
    # The person removes it at their desk and hands in a new receipt, newer than the check.
    newer = f.receipt(signer, phone, f.AROHA, f.Outcome.CLEAN, day=DAY + timedelta(days=4))
    _import(store, tmp_path / "b", newer)
    assert _rows(store) == {"PS-1042": DeviceStatus.COMPLIANT.value}
    board = store.dashboard(f.POLICY.id, DAY + timedelta(days=4))
    assert (board.counts.total, board.counts.compliant) == (1, 1)
    # The older receipt stays uncounted: the bench's check stood between it and the new one,
    # so the days in between never show the phone compliant.
    assert store.dashboard(f.POLICY.id, DAY + timedelta(days=2)).counts.compliant == 0
    assert store.dashboard(f.POLICY.id, DAY).counts.compliant == 0


def test_the_same_check_named_and_unnamed_counts_as_the_named_one(store: Store) -> None:
    """The bench records the scan at plug-in unnamed, then the audit naming the person with the
    same scans: same time, the named audit wins (one line, the person's)."""
    phone = f.phone("R58BENCH05")
    before, after, actions = f.audit_inputs(phone, f.AROHA, f.Outcome.VIOLATION, day=DAY)
    store.record_audit([before, after])
    store.record_audit(
        [before, after], actions, person_name=f.AROHA.name, staff_id=f.AROHA.staff_id
    )
    assert _rows(store) == {"PS-1042": DeviceStatus.NON_COMPLIANT.value}


def test_an_older_unnamed_check_stays_merged_into_a_named_audit(store: Store) -> None:
    phone = f.phone("R58BENCH06")
    _unnamed(store, phone, f.Outcome.VIOLATION, DAY)
    _named(store, phone, f.AROHA, f.Outcome.CLEAN, DAY + timedelta(days=1))
    assert _rows(store) == {"PS-1042": DeviceStatus.COMPLIANT.value}


def test_a_later_unnamed_check_uncounts_every_person_named_for_the_device(store: Store) -> None:
    """A phone handed from one person to another, then checked unnamed: one line, not three."""
    phone = f.phone("R58BENCH07")
    _named(store, phone, f.AROHA, f.Outcome.CLEAN, DAY)
    _named(store, phone, f.BEN, f.Outcome.CLEAN, DAY + timedelta(days=1))
    _unnamed(store, phone, f.Outcome.VIOLATION, DAY + timedelta(days=2))
    assert _rows(store) == {"": DeviceStatus.NON_COMPLIANT.value}
    assert store.dashboard(f.POLICY.id, DAY + timedelta(days=2)).counts.total == 1


def test_the_bench_computer_scanned_unnamed_later_never_takes_its_audited_line(
    store: Store,
) -> None:
    _named(store, BENCH, f.BEN, f.Outcome.VIOLATION, DAY)
    _unnamed(store, BENCH, f.Outcome.CLEAN, DAY + timedelta(days=1))  # its start-up scan
    assert _rows(store) == {"PS-2001": DeviceStatus.NON_COMPLIANT.value}


def test_an_unjudged_later_unnamed_audit_changes_nothing(store: Store) -> None:
    """A check begun at the bench whose scan never finished has no verdict: it is no check."""
    phone = f.phone("R58BENCH08")
    _named(store, phone, f.AROHA, f.Outcome.CLEAN, DAY)
    store.begin_audit(
        phone, f.POLICY, person_name="", staff_id="", at=f.noon(DAY + timedelta(days=1))
    )
    assert _rows(store) == {"PS-1042": DeviceStatus.COMPLIANT.value}


# The random tests: checks of two phones, unnamed at the bench, named at the bench and
# imported receipts, in random orders of time and of arrival.

PEOPLE = (f.AROHA, f.BEN)
PHONES = ("P1", "P2")


def _state(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    conn = store._db
    return (
        [tuple(r) for r in conn.execute(CHAIN).fetchall()],
        [tuple(r) for r in conn.execute(TOTALS).fetchall()],
    )


def _check_the_rule(store: Store) -> None:
    """The rule read plainly over the stored audits: an unnamed audit counts while no named
    one of its device is at least as recent, a named one while no unnamed one is later; the
    newest check of each device is one of its latest audits, and when it is unnamed, the
    device's only one."""
    rows = store._db.execute(
        "SELECT a.id, a.staff_id, a.device_id, a.status, a.at, a.origin, a.latest,"
        " a.counted_status, (SELECT min(t.recorded_at) FROM attestations t"
        " WHERE t.audit_id = a.id) FROM audits a"
    ).fetchall()
    audits = []
    for audit_id, staff, device, status, at, origin, latest, counted, arrived in rows:
        when = parse_time(str(at))
        if origin == "imported" and arrived is not None:
            when = min(when, parse_time(str(arrived)))
        audits.append((int(audit_id), str(staff), str(device), status, when, latest, counted))
    for device in PHONES:
        judged = [a for a in audits if a[2] == f.phone(device).id and a[3] is not None]
        if not judged:
            continue
        named = [a for a in judged if a[1]]
        unnamed = [a for a in judged if not a[1]]
        for u in unnamed:
            assert (u[6] is not None) == (not any(n[4] >= u[4] for n in named)), (u, judged)
        for n in named:
            assert (n[6] is not None) == (not any(u[4] > n[4] for u in unnamed)), (n, judged)
        assert not (
            any(u[6] is not None for u in unnamed) and any(n[6] is not None for n in named)
        ), judged  # one device, one line
        newest = max(judged, key=lambda a: (a[4], bool(a[1]), a[0]))
        assert newest[5] == 1, (newest, judged)
        latest = [a for a in judged if a[5] == 1]
        if not newest[1]:
            assert latest == [newest], judged


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_any_order_of_checks_counts_by_the_rule_and_as_a_recount_does(
    store: Store, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    keys = {p.staff_id: Signer.generate() for p in PEOPLE}
    for step in range(14):
        phone = f.phone(rng.choice(PHONES))
        outcome = rng.choice(list(f.Outcome))
        day = DAY + timedelta(days=rng.randint(-5, 5))  # out of order, on purpose
        person = rng.choice(PEOPLE)
        kind = rng.choice(("unnamed", "unnamed", "named", "receipts"))
        if kind == "unnamed":
            _unnamed(store, phone, outcome, day)
        elif kind == "named":
            _named(store, phone, person, outcome, day)
        else:
            envelopes = [
                f.receipt(
                    keys[p.staff_id],
                    f.phone(rng.choice(PHONES)),
                    p,
                    rng.choice(list(f.Outcome)),
                    day=DAY + timedelta(days=rng.randint(-5, 5)),
                    exemption_expires=DAY + timedelta(days=rng.randint(1, 20)),
                )
                for p in rng.choices(PEOPLE, k=rng.randint(1, 3))
            ]
            _import(store, tmp_path / f"batch{step}", *envelopes)
        _check_the_rule(store)
        kept = _state(store)
        with transaction(store._db) as conn:
            recount(conn)
        assert _state(store) == kept, f"step {step}: {kind}"


def test_a_batch_naming_the_person_of_a_device_checked_later_counts_the_check(
    store: Store, tmp_path: Path
) -> None:
    """The import writes a device's first named audit already linked (bulk._as_latest) and
    skips reading it back only when the device has no audit in the history yet: one checked
    unnamed at the bench later than the receipt is relinked, and the check keeps counting."""
    signer = Signer.generate()
    phones = [f.phone(f"Q{n}") for n in range(4)]
    _unnamed(store, phones[0], f.Outcome.VIOLATION, DAY + timedelta(days=5))
    _import(
        store,
        tmp_path / "r",
        *[f.receipt(signer, p, f.AROHA, f.Outcome.CLEAN, day=DAY) for p in phones],
    )
    kept = _state(store)
    with transaction(store._db) as conn:
        recount(conn)
    assert _state(store) == kept
    rows = store.export_rows(today=DAY + timedelta(days=5))
    assert sorted((r.device_id, r.staff_id, r.recorded_status) for r in rows) == sorted(
        [(phones[0].id, "", DeviceStatus.NON_COMPLIANT.value)]
        + [(p.id, "PS-1042", DeviceStatus.COMPLIANT.value) for p in phones[1:]]
    )


# COUNTED_STATUS as a history before v11 counted: any named audit of a device uncounted its
# unnamed ones, whatever their dates.
_BEFORE_V11 = (
    "CASE WHEN a.staff_id = '' AND (a.device_id LIKE 'local:%' OR EXISTS (SELECT 1 FROM audits b"
    " WHERE b.policy_id = a.policy_id AND b.device_id = a.device_id AND b.staff_id <> ''"
    " AND b.status IS NOT NULL)) THEN NULL ELSE a.status END"
)


def test_opening_a_history_counted_by_the_old_rule_recounts_the_devices_checked_later(
    store: Store, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v11: a history that counts an older receipt over a later bench check (as every history
    before v11 did) is relinked when it is opened, on either backend."""
    target = cli_db(store, request)
    phone, other = f.phone("R58OLD01"), f.phone("R58OLD02")
    _named(store, phone, f.AROHA, f.Outcome.CLEAN, DAY)
    _unnamed(store, phone, f.Outcome.VIOLATION, DAY + timedelta(days=2))
    _unnamed(store, other, f.Outcome.VIOLATION, DAY)
    _named(store, other, f.BEN, f.Outcome.CLEAN, DAY + timedelta(days=1))
    monkeypatch.setattr(chains, "COUNTED_STATUS", _BEFORE_V11)
    with transaction(store._db) as conn:
        recount(conn)
    monkeypatch.undo()
    # As stored before v11: the later check is gone, the phone counts compliant.
    assert _rows(store) == {"PS-1042": "compliant", "PS-2001": "compliant"}
    if target.startswith("postgresql://"):
        store._db.execute("UPDATE da_meta SET user_version = 10")
    else:
        store._db.execute("PRAGMA user_version = 10")
    store.close()
    with Store(target) as again:
        assert _rows(again) == {"": DeviceStatus.NON_COMPLIANT.value, "PS-2001": "compliant"}
        kept = _state(again)
        with transaction(again._db) as conn:
            recount(conn)
        assert _state(again) == kept
        board = again.dashboard(f.POLICY.id, DAY + timedelta(days=2))
        assert (board.counts.total, board.counts.compliant) == (2, 1)


@pytest.mark.postgres
def test_the_team_history_s_row_rules_count_by_the_same_rule(postgres_dsn: str) -> None:
    """On the team history, with its row rules (audit/store/pg_rules.py, built from
    COUNTED_STATUS): Bob's unnamed check uncounts Ann's older audit of the phone, the app's
    writes of both pass the rules, and Ann's own SQL session cannot make her audit count again
    over the later check, even with the running totals made to match."""
    from tests.audit.team.test_row_rules import Team

    psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")
    team = Team(postgres_dsn)
    phone = f.phone("R58TEAM01")
    with team.store("ann") as ann:
        ann_id = _named(ann, phone, f.AROHA, f.Outcome.CLEAN, DAY)
    with team.store("bob") as bob:
        bob_id = _unnamed(bob, phone, f.Outcome.VIOLATION, DAY + timedelta(days=2))
        assert _rows(bob) == {"": DeviceStatus.NON_COMPLIANT.value}
    with team.store("ann") as ann:  # an older audit of hers arrives late: still uncounted
        _named(ann, phone, f.AROHA, f.Outcome.CLEAN, DAY + timedelta(days=1))
        assert _rows(ann) == {"": DeviceStatus.NON_COMPLIANT.value}
    with team.sql("ann") as sql:
        with (
            pytest.raises(psycopg.errors.InsufficientPrivilege) as refused,
            sql.transaction(),
        ):
            sql.execute(
                "UPDATE audits SET latest = 1, until_day = '9999-12-31', counted_day = day,"
                " counted_status = status, counted_expires = '' WHERE id = %s",
                (ann_id,),
            )
            sql.execute(
                "UPDATE audits SET latest = 0, until_day = NULL, counted_day = NULL,"
                " counted_status = NULL, counted_expires = NULL WHERE id = %s",
                (bob_id,),
            )
            for day, status, delta in (
                (DAY, "compliant", 1),
                (DAY + timedelta(days=2), "non_compliant", -1),
            ):
                sql.execute(
                    "INSERT INTO status_changes (policy_id, day, status, expires, delta)"
                    " VALUES (%s, %s, %s, '', %s) ON CONFLICT (policy_id, day, status,"
                    " expires) DO UPDATE SET delta = status_changes.delta + excluded.delta",
                    (f.POLICY.id, day.isoformat(), status, delta),
                )
        assert refused.value.diag.constraint_name == "da_totals"
    with team.store("office") as office:
        assert _rows(office) == {"": DeviceStatus.NON_COMPLIANT.value}


@pytest.mark.postgres
def test_a_team_history_with_the_old_row_rules_is_brought_up_to_date(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upgrade as a team meets it: its row rules were installed by the version before
    v11 (their check of the chains built from the old COUNTED_STATUS), its audits counted by
    the old rule. Opening it as the server's administrator (`team roles` does) runs v11, whose
    relinking the old check would refuse at commit; it must pass and count by the new rule."""
    from audit.store import pg_rules
    from tests.audit.team.test_row_rules import Team

    psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")
    team = Team(postgres_dsn)
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(pg_rules._VERIFY.replace(chains.COUNTED_STATUS, _BEFORE_V11))
    phone = f.phone("R58TEAM02")
    monkeypatch.setattr(chains, "COUNTED_STATUS", _BEFORE_V11)
    with team.store("ann") as ann:
        _named(ann, phone, f.AROHA, f.Outcome.CLEAN, DAY)
    with team.store("bob") as bob:
        _unnamed(bob, phone, f.Outcome.VIOLATION, DAY + timedelta(days=2))
        assert _rows(bob) == {"PS-1042": "compliant"}  # the false compliant, as stored
    monkeypatch.undo()
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute("UPDATE da_meta SET user_version = 10")
    with Store(postgres_dsn) as upgraded:  # the server's administrator
        assert _rows(upgraded) == {"": DeviceStatus.NON_COMPLIANT.value}
    with team.store("ann") as ann:  # the new code's writes pass the rules in force
        _named(ann, phone, f.AROHA, f.Outcome.CLEAN, DAY + timedelta(days=3))
        assert _rows(ann) == {"PS-1042": DeviceStatus.COMPLIANT.value}
