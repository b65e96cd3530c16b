"""The history list: search, filters, order and paging."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from audit.model import DeviceStatus
from audit.store import HistoryFilter, Origin, Store
from tests.audit.store import factory as f

DAY = date(2023, 3, 20)
MERE = f.Person("Mere Tūhoe", "PS-3003")


@pytest.fixture
def filled(store: Store) -> Store:
    """Five audits: Aroha's phone twice, Ben's phone and laptop-ish tablet, Mere's phone."""
    plan = [
        (f.AROHA, f.phone("A1", "Galaxy S21"), f.Outcome.VIOLATION, 0, f.POLICY),
        (f.AROHA, f.phone("A1", "Galaxy S21"), f.Outcome.CLEAN, 3, f.POLICY),
        (f.BEN, f.phone("B1", "Pixel 7"), f.Outcome.EXCEPTED, 1, f.POLICY),
        (f.BEN, f.phone("B2", "Tab 100%_off"), f.Outcome.INCOMPLETE, 5, f.OTHER_POLICY),
        (MERE, f.phone("M1", "Pixel 7"), f.Outcome.CLEAN, 8, f.POLICY),
    ]
    for person, device, outcome, offset, policy in plan:
        before, after, actions = f.audit_inputs(
            device, person, outcome, day=DAY + timedelta(days=offset), policy=policy
        )
        f.accept_exemptions(store, *after.exemptions)  # the helpdesk accepted the approver's file
        store.record_audit(
            [before, after], actions, person_name=person.name, staff_id=person.staff_id
        )
    return store


def names(store: Store, **criteria: object) -> list[tuple[str, str]]:
    return [
        (a.staff_id, a.device_id.removeprefix("android:"))
        for a in store.history(HistoryFilter(**criteria))  # type: ignore[arg-type]
    ]


def test_newest_first(filled: Store) -> None:
    audits = filled.history()
    assert [a.at for a in audits] == sorted((a.at for a in audits), reverse=True)
    assert names(filled)[0] == ("PS-3003", "M1")


def test_search_is_case_insensitive_and_every_word_must_match(filled: Store) -> None:
    assert {n for n in names(filled, search="aroha")} == {("PS-1042", "A1")}
    assert names(filled, search="TŪHOE") == [("PS-3003", "M1")]
    assert set(names(filled, search="pixel")) == {("PS-2001", "B1"), ("PS-3003", "M1")}
    assert names(filled, search="pixel ben") == [("PS-2001", "B1")]
    assert names(filled, search="b2") == [("PS-2001", "B2")]
    assert names(filled, search="nobody") == []


def test_search_wildcards_are_taken_literally(filled: Store) -> None:
    assert names(filled, search="100%_off") == [("PS-2001", "B2")]
    assert names(filled, search="%") == [("PS-2001", "B2")]
    assert names(filled, search="_") == [("PS-2001", "B2")]


def test_person_is_a_staff_id_or_a_full_name(filled: Store) -> None:
    assert len(names(filled, person="PS-1042")) == 2
    assert len(names(filled, person="aroha ngata")) == 2
    assert names(filled, person="Aroha") == []


def test_device_is_an_id_a_serial_or_a_name(filled: Store) -> None:
    assert len(names(filled, device="android:A1")) == 2
    assert len(names(filled, device="A1")) == 2
    assert len(names(filled, device="pixel 7")) == 2


def test_policy_status_and_dates(filled: Store) -> None:
    assert names(filled, policy="uk-gov-2023") == [("PS-2001", "B2")]
    excepted = frozenset({DeviceStatus.COMPLIANT_WITH_EXCEPTIONS, DeviceStatus.INCOMPLETE})
    assert set(names(filled, statuses=excepted)) == {("PS-2001", "B1"), ("PS-2001", "B2")}
    assert names(filled, since=DAY + timedelta(days=5)) == [("PS-3003", "M1"), ("PS-2001", "B2")]
    assert names(filled, until=DAY) == [("PS-1042", "A1")]
    window = names(filled, since=DAY + timedelta(days=1), until=DAY + timedelta(days=3))
    assert window == [("PS-1042", "A1"), ("PS-2001", "B1")]
    assert names(filled, origin=Origin.IMPORTED) == []


def test_latest_only_leaves_out_superseded_audits(filled: Store) -> None:
    latest = filled.history(HistoryFilter(person="PS-1042", latest_only=True))
    assert [a.status for a in latest] == [DeviceStatus.COMPLIANT]


def test_paging_and_count(filled: Store) -> None:
    everything = filled.history()
    pages = [filled.history(HistoryFilter(limit=2, offset=o)) for o in (0, 2, 4)]
    assert [a.id for page in pages for a in page] == [a.id for a in everything]
    assert filled.count(HistoryFilter(limit=2)) == 5
    assert filled.count(HistoryFilter(person="PS-2001")) == 2
    assert len(filled.history(HistoryFilter(limit=None, offset=3))) == 2


def test_policies_lists_what_audits_were_made_under(filled: Store) -> None:
    policies = {p.id: p for p in filled.policies()}
    assert set(policies) == {"nz-parliament-2023", "uk-gov-2023"}
    assert policies["nz-parliament-2023"].audits == 4
    assert policies["nz-parliament-2023"].deadline == date(2023, 3, 31)
    assert policies["uk-gov-2023"].deadline is None


def test_status_as_of_a_day_is_the_status_that_day_shows(filled: Store) -> None:
    """The history window lists each audit as it stands today, so its result filter must match
    the same rule the dashboard uses (status_on), not the status recorded then."""
    from audit.store import status_on

    late = f.Person("Late Person", "PS-4004")  # audited after the deadline: recorded overdue
    before, after, actions = f.audit_inputs(
        f.phone("L1", "Moto"), late, f.Outcome.VIOLATION, day=date(2023, 4, 5)
    )
    filled.record_audit([before, after], actions, person_name=late.name, staff_id=late.staff_id)
    everything = filled.history()
    assert {a.status for a in everything} == set(DeviceStatus)
    expires = next(a.exemption_expires for a in everything if a.exemption_expires is not None)
    days = [DAY, date(2023, 3, 31), date(2023, 4, 1), expires, expires + timedelta(days=1)]
    for day in days:
        for status in DeviceStatus:
            expected = {
                a.id
                for a in everything
                if a.status is not None
                and status_on(
                    a.status, day, deadline=a.deadline, exemption_expires=a.exemption_expires
                )
                is status
            }
            got = filled.history(HistoryFilter(statuses=frozenset({status}), as_of=day))
            assert {a.id for a in got} == expected, (day, status)
            assert filled.count(HistoryFilter(statuses=frozenset({status}), as_of=day)) == len(
                expected
            )
    # After the deadline and the exemption's end, Aroha's first audit and Ben's phone are
    # overdue, though neither was recorded so.
    gone = expires + timedelta(days=1)
    assert set(names(filled, statuses=frozenset({DeviceStatus.OVERDUE}), as_of=gone)) == {
        ("PS-1042", "A1"),
        ("PS-2001", "B1"),
        ("PS-4004", "L1"),
    }
    assert names(filled, statuses=frozenset({DeviceStatus.NON_COMPLIANT}), as_of=gone) == []
    both = frozenset({DeviceStatus.COMPLIANT, DeviceStatus.OVERDUE})
    assert len(filled.history(HistoryFilter(statuses=both, as_of=gone))) == 5
