"""The dashboard: counts over the latest audit of each person's device, and the daily series."""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Signer, write_receipt
from audit.model import DeviceStatus
from audit.store import Store, status_on
from audit.store.db import transaction
from audit.store.schema import recount
from tests.audit.store import factory as f

DEADLINE = f.POLICY.deadline
assert DEADLINE is not None
SIGNER = Signer.generate()


def record(
    store: Store,
    person: f.Person,
    serial: str,
    outcome: f.Outcome,
    day: date,
    *,
    expires: date | None = None,
    policy: f.Policy = f.POLICY,
) -> int:
    before, after, actions = f.audit_inputs(
        f.phone(serial), person, outcome, day=day, policy=policy, exemption_expires=expires
    )
    f.accept_exemptions(store, *after.exemptions)  # the helpdesk accepted the approver's file
    return store.record_audit(
        [before, after], actions, person_name=person.name, staff_id=person.staff_id
    )


def test_counts_follow_the_latest_audit_and_the_day(store: Store) -> None:
    mere, kiri = f.Person("Mere", "PS-3"), f.Person("Kiri", "PS-4")
    record(store, f.AROHA, "A1", f.Outcome.VIOLATION, date(2023, 3, 20))
    record(store, f.AROHA, "A1", f.Outcome.CLEAN, date(2023, 3, 27))  # supersedes the violation
    record(store, f.AROHA, "A2", f.Outcome.VIOLATION, date(2023, 3, 22))  # her second phone
    record(store, f.BEN, "B1", f.Outcome.EXCEPTED, date(2023, 3, 21), expires=date(2023, 4, 5))
    record(store, mere, "M1", f.Outcome.EXCEPTED, date(2023, 3, 21), expires=date(2023, 3, 29))
    record(store, kiri, "K1", f.Outcome.INCOMPLETE, date(2023, 3, 23))
    record(store, kiri, "K1", f.Outcome.VIOLATION, date(2023, 3, 23), policy=f.OTHER_POLICY)
    store.begin_audit(f.phone("K2"), f.POLICY, staff_id=kiri.staff_id)  # nothing judged yet

    on_28 = store.dashboard(f.POLICY.id, date(2023, 3, 28), expiring_within=7)
    assert on_28.deadline == DEADLINE and on_28.days_to_deadline == 3
    c = on_28.counts
    assert (c.compliant, c.excepted, c.non_compliant, c.overdue, c.incomplete) == (1, 2, 1, 0, 1)
    assert on_28.expiring == 1  # Mere's ends on the 29th; Ben's on 5 April is 8 days away

    on_30 = store.dashboard(f.POLICY.id, date(2023, 3, 30), expiring_within=7)
    c = on_30.counts
    # Mere's exemption ended on the 29th: no longer covered.
    assert (c.compliant, c.excepted, c.non_compliant, c.overdue, c.incomplete) == (1, 1, 2, 0, 1)
    assert on_30.expiring == 1  # Ben's, within 7 days now

    on_apr_1 = store.dashboard(f.POLICY.id, date(2023, 4, 1))
    c = on_apr_1.counts
    assert (c.compliant, c.excepted, c.non_compliant, c.overdue, c.incomplete) == (1, 1, 0, 2, 1)
    assert on_apr_1.days_to_deadline == -1
    assert c.total == 5

    for board in (on_28, on_30, on_apr_1):
        for status in DeviceStatus:
            people = store.standing(f.POLICY.id, status, board.today, limit=None)
            assert len(people) == board.counts.of(status), (board.today, status)
            assert all(p.latest and p.policy_id == f.POLICY.id for p in people)
    expiring = store.standing(
        f.POLICY.id, DeviceStatus.COMPLIANT_WITH_EXCEPTIONS, date(2023, 3, 28), expiring_within=7
    )
    assert [p.staff_id for p in expiring] == [mere.staff_id]
    [overdue] = store.standing(f.POLICY.id, DeviceStatus.OVERDUE, date(2023, 4, 1), limit=1)
    assert overdue.staff_id in (f.AROHA.staff_id, mere.staff_id)

    other = store.dashboard(f.OTHER_POLICY.id, date(2023, 4, 1))
    assert other.counts.total == other.counts.non_compliant == 1
    assert other.deadline is None and other.days_to_deadline is None
    assert store.dashboard("no-such-policy", date(2023, 4, 1)).counts.total == 0


def test_the_series_counts_each_day_of_the_window(store: Store) -> None:
    record(store, f.AROHA, "A1", f.Outcome.VIOLATION, date(2023, 3, 20))
    record(store, f.AROHA, "A1", f.Outcome.CLEAN, date(2023, 3, 27))
    board = store.dashboard(f.POLICY.id, date(2023, 4, 2), series_days=15)
    assert [d.day for d in board.series] == [
        date(2023, 3, 19) + timedelta(days=n) for n in range(15)
    ]
    by_day = {d.day: d.counts for d in board.series}
    assert by_day[date(2023, 3, 19)].total == 0
    assert by_day[date(2023, 3, 20)].non_compliant == 1
    assert by_day[date(2023, 3, 26)].non_compliant == 1
    assert by_day[date(2023, 3, 27)].compliant == 1 and by_day[date(2023, 3, 27)].total == 1
    assert board.series[-1].counts == board.counts


# --- the same answers as a brute-force count, for any history ----------------------------------

PEOPLE = (f.AROHA, f.BEN, f.Person("Mere", "PS-3"))
SERIALS = ("P1", "P2")
FIRST = date(2023, 3, 15)


@dataclass(frozen=True)
class Planned:
    order: int  # the order receipts are imported in
    person: f.Person
    serial: str
    outcome: f.Outcome
    day: date
    expires: date | None

    @property
    def status(self) -> DeviceStatus:
        if self.outcome is f.Outcome.CLEAN:
            return DeviceStatus.COMPLIANT
        if self.outcome is f.Outcome.EXCEPTED:
            return DeviceStatus.COMPLIANT_WITH_EXCEPTIONS
        if self.outcome is f.Outcome.INCOMPLETE:
            return DeviceStatus.INCOMPLETE
        return DeviceStatus.OVERDUE if self.day > DEADLINE else DeviceStatus.NON_COMPLIANT


def covering(plan: list[Planned], day: date) -> list[Planned]:
    """The audit each person's device stands on at the end of `day`."""
    result = []
    for key in {(p.person.staff_id, p.serial) for p in plan}:
        alive = [p for p in plan if (p.person.staff_id, p.serial) == key and p.day <= day]
        if alive:
            result.append(max(alive, key=lambda p: (p.day, p.order)))
    return result


def expected_on(plan: list[Planned], day: date) -> dict[DeviceStatus, int]:
    counts: dict[DeviceStatus, int] = {}
    for last in covering(plan, day):
        now = status_on(last.status, day, deadline=DEADLINE, exemption_expires=last.expires)
        counts[now] = counts.get(now, 0) + 1
    return counts


def expected_expiring(plan: list[Planned], day: date, within: int) -> int:
    return sum(
        1
        for p in covering(plan, day)
        if p.expires is not None and day <= p.expires <= day + timedelta(days=within)
    )


audits = st.builds(
    lambda person, serial, outcome, offset, expiry: (person, serial, outcome, offset, expiry),
    st.sampled_from(PEOPLE),
    st.sampled_from(SERIALS),
    st.sampled_from(list(f.Outcome)),
    st.integers(0, 30),
    st.integers(0, 40),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(audits, max_size=14), st.integers(0, 35), st.integers(1, 20))
def test_dashboard_matches_a_brute_force_count(
    raw: list[tuple[f.Person, str, f.Outcome, int, int]], today_offset: int, window: int
) -> None:
    plan = [
        Planned(
            order=i,
            person=person,
            serial=serial,
            outcome=outcome,
            day=FIRST + timedelta(days=offset),
            # An exemption expired by the day of signing is never signed as an exception.
            expires=FIRST + timedelta(days=max(expiry, offset))
            if outcome is f.Outcome.EXCEPTED
            else None,
        )
        for i, (person, serial, outcome, offset, expiry) in enumerate(raw)
    ]
    today = FIRST + timedelta(days=today_offset)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "receipts")
        folder.mkdir()
        for p in plan:
            envelope = f.receipt(
                SIGNER,
                f.phone(p.serial),
                p.person,
                p.outcome,
                day=p.day,
                exemption_expires=p.expires,
            )
            write_receipt(envelope, folder / f"{p.order:03d}.json")
        with Store(Path(tmp, "history.sqlite3")) as store:
            for p in plan:  # the helpdesk accepted each exemption the receipts rest on
                if p.expires is not None:
                    granted = f.exemption(p.person, p.expires)
                    path = f.exemptions_file(Path(tmp, f"ex{p.order}.toml"), granted)
                    store.accept_exemptions(path, by="Lead")
            report = store.import_folder(folder, batch_size=5)
            assert report.imported == len(plan)
            board = store.dashboard(f.POLICY.id, today, expiring_within=5, series_days=window)
    assert board.counts == _counts(expected_on(plan, today))
    assert board.expiring == expected_expiring(plan, today, 5)
    for day_counts in board.series:
        assert day_counts.counts == _counts(expected_on(plan, day_counts.day)), day_counts.day
    assert len(board.series) == window and board.series[-1].day == today


def _counts(mapping: dict[DeviceStatus, int]) -> object:
    from audit.store import StatusCounts

    return StatusCounts.from_mapping(mapping)


def totals(store: Store) -> list[tuple[str, str, str, str, int]]:
    return store._db.execute(
        "SELECT policy_id, day, status, expires, delta FROM status_changes"
        " WHERE delta != 0 ORDER BY 1, 2, 3, 4"
    ).fetchall()


def test_running_totals_never_drift_from_the_audits(store: Store) -> None:
    """Whatever order audits are begun, judged, re-judged, attested and given to other people
    in, the totals kept step by step equal the totals rebuilt from scratch."""
    rng = random.Random(5)
    people = [f.AROHA, f.BEN, f.Person("Mere", "PS-3")]
    open_audits: list[tuple[int, str]] = []
    for _ in range(120):
        choice = rng.random()
        serial = rng.choice(("P1", "P2"))
        day = FIRST + timedelta(days=rng.randint(0, 25))
        if choice < 0.3 or not open_audits:
            person = rng.choice(people)
            audit_id = store.begin_audit(
                f.phone(serial),
                f.POLICY,
                person_name=person.name,
                staff_id=person.staff_id,
                at=f.noon(day),
            )
            open_audits.append((audit_id, serial))
        elif choice < 0.8:
            audit_id, serial = rng.choice(open_audits)
            outcome = rng.choice(list(f.Outcome))
            _, after, _ = f.audit_inputs(
                f.phone(serial),
                f.AROHA,
                outcome,
                day=day,
                exemption_expires=day + timedelta(days=rng.randint(0, 9)),
            )
            store.record_assessment(audit_id, after)
        else:
            audit_id, _ = rng.choice(open_audits)
            person = rng.choice(people)
            store.set_person(audit_id, person_name=person.name, staff_id=person.staff_id)
    kept = totals(store)
    with transaction(store._db) as conn:
        recount(conn)
    assert totals(store) == kept
    assert kept  # the sequence did judge audits
