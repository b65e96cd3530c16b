"""`device-audit history` judges each status as it stands on a day (today, or --day), as the
dashboard, the export and the history window do, on both backends through the real parser.

An audit recorded "compliant with exceptions" whose exemption has since ended, or "not
compliant" whose deadline has since passed, is listed, filtered and printed as it counts now:
a helpdesk that scripts its follow-up (`history --latest --status overdue --json`) must chase
the same people the dashboard counts, and see why the status differs from the one recorded.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from audit.cli import main
from audit.model import DeviceStatus
from audit.store import Store
from tests.audit.store import factory as f

MERE, KIRI = f.Person("Mere Tane", "PS-3"), f.Person("Kiri Hau", "PS-4")
DEADLINE = f.POLICY.deadline  # 2023-03-31


def _record(
    store: Store,
    person: f.Person,
    serial: str,
    outcome: f.Outcome,
    day: date,
    *,
    expires: date | None = None,
) -> int:
    before, after, actions = f.audit_inputs(
        f.phone(serial), person, outcome, day=day, exemption_expires=expires
    )
    f.accept_exemptions(store, *after.exemptions)  # the helpdesk accepted the approver's file
    return store.record_audit(
        [before, after], actions, person_name=person.name, staff_id=person.staff_id
    )


def _address(store: Store, request: pytest.FixtureRequest, db_path: Path) -> str:
    """What `--db` takes for the history the `store` fixture opened."""
    return request.getfixturevalue("postgres_dsn") if store.team else str(db_path)


def _json(capsys: pytest.CaptureFixture[str], db: str, *extra: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["history", "--db", db, "--latest", "--json", *extra]) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def _text(capsys: pytest.CaptureFixture[str], db: str, *extra: str) -> list[str]:
    """The listing's lines, without a team history's "recorded by login" line and note."""
    capsys.readouterr()
    assert main(["history", "--db", db, "--latest", *extra]) == 0
    listing = capsys.readouterr().out.split("\n\n")[0]
    return [line for line in listing.splitlines() if "recorded by login" not in line]


@pytest.fixture
def db(store: Store, request: pytest.FixtureRequest, db_path: Path) -> str:
    """Aroha: covered until 30 June (after the deadline); Mere: covered until 10 March (before
    it); Ben: TikTok still there on 28 March (not compliant until the 31st); Kiri: clean."""
    _record(store, f.AROHA, "A1", f.Outcome.EXCEPTED, date(2023, 3, 1), expires=date(2023, 6, 30))
    _record(store, MERE, "M1", f.Outcome.EXCEPTED, date(2023, 3, 1), expires=date(2023, 3, 10))
    _record(store, f.BEN, "B1", f.Outcome.VIOLATION, date(2023, 3, 28))
    _record(store, KIRI, "K1", f.Outcome.CLEAN, date(2023, 3, 2))
    return _address(store, request, db_path)


def _statuses(rows: list[dict[str, object]]) -> dict[object, tuple[object, object]]:
    return {r["staff_id"]: (r["status"], r["recorded_status"]) for r in rows}


def test_the_json_says_the_status_on_the_day_beside_the_one_recorded(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    excepted, violation = "compliant_with_exceptions", "non_compliant"
    assert _statuses(_json(capsys, db, "--day", "2023-03-09")) == {
        "PS-1042": (excepted, excepted),
        "PS-3": (excepted, excepted),
        "PS-2001": (violation, violation),
        "PS-4": ("compliant", "compliant"),
    }
    assert _statuses(_json(capsys, db, "--day", "2023-03-30")) == {
        "PS-1042": (excepted, excepted),
        "PS-3": ("non_compliant", excepted),  # her exemption ended on the 10th
        "PS-2001": (violation, violation),
        "PS-4": ("compliant", "compliant"),
    }
    today = _statuses(_json(capsys, db))  # no --day: today, years after every date here
    assert today == {
        "PS-1042": ("overdue", excepted),
        "PS-3": ("overdue", excepted),
        "PS-2001": ("overdue", violation),
        "PS-4": ("compliant", "compliant"),
    }


@pytest.mark.parametrize(
    ("day", "wanted"),
    [
        (
            "2023-03-09",
            {"compliant_with_exceptions": {"PS-1042", "PS-3"}, "non_compliant": {"PS-2001"}},
        ),
        (
            "2023-03-30",
            {"compliant_with_exceptions": {"PS-1042"}, "non_compliant": {"PS-3", "PS-2001"}},
        ),
        ("2023-07-01", {"overdue": {"PS-1042", "PS-3", "PS-2001"}}),
    ],
)
def test_the_status_filter_matches_what_the_rows_say(
    db: str, capsys: pytest.CaptureFixture[str], day: str, wanted: dict[str, set[str]]
) -> None:
    wanted = {"compliant": {"PS-4"}, **wanted}
    for status in DeviceStatus:
        rows = _json(capsys, db, "--day", day, "--status", status.value)
        assert {str(r["staff_id"]) for r in rows} == wanted.get(status.value, set()), status
        assert {r["status"] for r in rows} <= {status.value}  # each row says what was asked


def test_a_scripted_chase_lists_an_expired_exemption_as_the_dashboard_counts_it(
    store: Store, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The helpdesk's two scripts (the people to chase, the people covered) agree with the
    dashboard on every day, for every status: one rule, three readers."""
    for day in (date(2023, 3, 28), date(2023, 3, 30), date(2023, 7, 1), date.today()):
        counts = store.dashboard(f.POLICY.id, day).counts
        for status in DeviceStatus:
            rows = _json(capsys, db, "--day", day.isoformat(), "--status", status.value)
            assert len(rows) == counts.of(status), (day, status, rows)


def test_the_text_shows_the_status_on_the_day_and_why_it_differs(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _text(capsys, db, "--person", "PS-1042")
    assert "  overdue  " in lines[0] and "compliant_with_exceptions" not in lines[0]
    assert lines[1] == (
        "    recorded as compliant_with_exceptions; the exemption it relied on ended on "
        "2023-06-30, so it counts as overdue: check the device again, or renew the exemption"
    )
    [ben, why] = _text(capsys, db, "--person", "PS-2001")
    assert "  overdue  " in ben
    assert why == (
        f"    recorded as non_compliant; the deadline {DEADLINE} has passed, so it counts "
        "as overdue"
    )
    # Before the exemption ended, and for an audit whose status has not moved: one line each.
    [covered] = _text(capsys, db, "--person", "PS-1042", "--day", "2023-03-30")
    assert "  compliant_with_exceptions  " in covered
    [clean] = _text(capsys, db, "--person", "PS-4")
    assert "  compliant  " in clean


def test_a_day_that_is_not_a_date_is_refused_naming_it(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["history", "--db", db, "--day", "last tuesday"])
    assert stopped.value.code == 2
    assert "last tuesday" in capsys.readouterr().err
