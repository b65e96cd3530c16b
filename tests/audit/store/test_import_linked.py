"""An import writes each audit already linked as its key's latest (bulk.ImportBatch.flush), and
relink_keys corrects what that guessed wrong: the history must end exactly as if every audit had
been written unlinked and linked afterwards.

The oracle is schema.recount, which rebuilds the chain and the running totals from the audits
alone. The receipts come in an order that makes the guess wrong often: older audits of a key
after newer ones, two of one key in one batch, a key already in the history, an exemption, and
an unnamed check of the same phone that a named receipt makes uncounted.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from audit.attestation import Signer, write_receipt
from audit.store import Store
from audit.store.db import transaction
from audit.store.schema import recount
from tests.audit.store import factory as f

DAY = date(2023, 3, 20)
CHAIN = (
    "SELECT id, until_day, latest, counted_day, counted_status, counted_expires FROM audits"
    " ORDER BY id"
)
TOTALS = (
    "SELECT policy_id, day, status, expires, sum(delta) FROM status_changes"
    " GROUP BY policy_id, day, status, expires HAVING sum(delta) <> 0 ORDER BY 1, 2, 3, 4"
)


def _state(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    conn = store._db
    return (
        [tuple(r) for r in conn.execute(CHAIN).fetchall()],
        [tuple(r) for r in conn.execute(TOTALS).fetchall()],
    )


PEOPLE = [f.Person(f"Person {n}", f"PS-{n}") for n in range(3)]


def _receipts(
    folder: Path,
    rng: random.Random,
    count: int,
    keys: dict[str, Signer],
    phones: tuple[str, ...] = ("P1", "P2"),
) -> None:
    people = PEOPLE
    folder.mkdir()
    for n in range(count):
        person = rng.choice(people)
        outcome = rng.choice(list(f.Outcome))
        day = DAY + timedelta(days=rng.randint(-6, 6))  # out of order, on purpose
        envelope = f.receipt(
            keys[person.staff_id],
            f.phone(rng.choice(phones)),
            person,
            outcome,
            day=day,
            exemption_expires=day + timedelta(days=rng.randint(1, 20)),
        )
        write_receipt(envelope, folder / f"{n:03d}.json")


def _unnamed_check(store: Store, serial: str, day: date) -> None:
    """A check of the phone nobody was named for: uncounted once a named audit of it exists."""
    audit_id = store.begin_audit(
        f.phone(serial), f.POLICY, person_name="", staff_id="", at=f.noon(day)
    )
    _, after, _ = f.audit_inputs(f.phone(serial), f.AROHA, f.Outcome.CLEAN, day=day)
    store.record_assessment(audit_id, after)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_imported_audits_end_linked_as_a_recount_links_them(
    store: Store, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    _unnamed_check(store, "P1", DAY - timedelta(days=9))
    first, second = tmp_path / "first", tmp_path / "second"
    keys = {p.staff_id: Signer.generate() for p in PEOPLE}
    _receipts(first, rng, 14, keys)
    _receipts(second, rng, 14, keys)
    for folder, size in ((first, 3), (second, 4)):
        report = store.import_folder(folder, batch_size=size, workers=0)
        assert report.refused == 0, report.outcomes[0]
    kept = _state(store)
    with transaction(store._db) as conn:
        recount(conn)
    assert _state(store) == kept
    chain, totals = kept
    latest = [row for row in chain if row[2] == 1]
    assert len(latest) < len(chain) - 1  # keys with several audits: the guess was wrong often
    assert totals


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_a_device_first_seen_in_the_batch_is_linked_as_a_recount_links_it(
    store: Store, tmp_path: Path, seed: int
) -> None:
    """Most receipts of an import are their device's first: relink_keys does not read those
    again (bulk._first_of_their_device). Many phones here, so most keys are new, some are
    not (an earlier batch, an unnamed check recorded before, two of one phone in a batch)."""
    rng = random.Random(seed)
    phones = tuple(f"P{n}" for n in range(1, 13))
    _unnamed_check(store, "P1", DAY - timedelta(days=9))
    _unnamed_check(store, "P7", DAY + timedelta(days=9))  # after the receipts' days
    keys = {p.staff_id: Signer.generate() for p in PEOPLE}
    folders = [tmp_path / "first", tmp_path / "second"]
    for folder in folders:
        _receipts(folder, rng, 12, keys, phones)
    for folder, size in zip(folders, (4, 6), strict=True):
        report = store.import_folder(folder, batch_size=size, workers=0)
        assert report.refused == 0, report.outcomes[0]
    kept = _state(store)
    with transaction(store._db) as conn:
        recount(conn)
    assert _state(store) == kept
    chain, _totals = kept
    uncounted = [row for row in chain if row[4] is None]
    # P1's unnamed check stopped counting; P7's, later than every receipt, stopped P7's.
    assert uncounted


def test_a_batch_of_one_key_in_time_order_needs_no_relinking_of_the_new_audits(
    store: Store, tmp_path: Path
) -> None:
    """The case the guess is for: receipts that arrive in order of time, one per key a batch.
    Each new audit is written linked; only the one it follows is changed (no longer latest)."""
    signer = Signer.generate()
    folder = tmp_path / "r"
    folder.mkdir()
    for n in range(4):
        envelope = f.receipt(
            signer, f.phone("P1"), f.AROHA, f.Outcome.CLEAN, day=DAY + timedelta(days=n)
        )
        write_receipt(envelope, folder / f"{n}.json")
    store.import_folder(folder, batch_size=1, workers=0)
    chain, totals = _state(store)
    assert [row[2] for row in chain] == [0, 0, 0, 1]
    assert [row[1] for row in chain[:3]] == [str(DAY + timedelta(days=n)) for n in (1, 2, 3)]
    assert totals == [
        (f.POLICY.id, str(DAY), "compliant", "", 1),
    ]
