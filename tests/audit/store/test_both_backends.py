"""Where SQLite and PostgreSQL could answer differently, they must not (issue 18).

Each runs on both backends through the `store` fixture: the person and device look-ups are
case-blind (SQLite's NOCASE; an ICU collation on PostgreSQL), and the search is case-blind and
takes LIKE's wildcards literally on both.
"""

from __future__ import annotations

from datetime import date

from audit.store import HistoryFilter, Store
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)


def _record(store: Store, person: f.Person, serial: str, name: str = "Pixel 7") -> int:
    before, after, actions = f.audit_inputs(f.phone(serial, name), person, f.Outcome.CLEAN, day=DAY)
    return store.record_audit(
        [before, after], actions, person_name=person.name, staff_id=person.staff_id
    )


def test_people_and_devices_are_found_whatever_the_case(store: Store) -> None:
    aroha = _record(store, f.AROHA, "R58M123ABC", "Aroha's Pixel")
    _record(store, f.BEN, "OTHER")
    for asked in ("Aroha Ngata", "aroha ngata", "AROHA NGATA", "PS-1042"):
        assert [a.id for a in store.history(HistoryFilter(person=asked))] == [aroha], asked
    for asked in ("aroha's pixel", "AROHA'S PIXEL"):
        assert [a.id for a in store.history(HistoryFilter(device=asked))] == [aroha], asked
    for asked in ("NGATA", "ngata", "r58m123"):
        assert [a.id for a in store.history(HistoryFilter(search=asked))] == [aroha], asked
    assert store.history(HistoryFilter(person="Aroha")) == []  # a full name, not a part


def test_a_percent_or_underscore_in_a_search_is_taken_literally(store: Store) -> None:
    odd = _record(store, f.Person("Ana 100%_sure", "PS-7"), "SERIAL7")
    _record(store, f.Person("Ana 1000 sure", "PS-8"), "SERIAL8")
    assert [a.id for a in store.history(HistoryFilter(search="100%_"))] == [odd]
