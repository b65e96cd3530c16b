"""Adversarial review of issue 18 (team history): a bench whose clock is wrong.

Every bench writes its own clock's times into the team history (Store.record_audit takes the
scan's times from the bench). An import refuses a receipt dated later than now by more than
CLOCK_SKEW, and counts an imported audit no later than its arrival; an audit a bench records
live had no such bound, though on a team history the server's clock is there to give one. The
clock rule (audit/store/pg_rules.py, rule 7, installed by `team roles`) now refuses any time
written more than CLOCK_SKEW ahead of the server's clock.

Two benches record the same person's phone, through the store API the bench's workflow calls:
bench A, its clock a year ahead (a dead CMOS battery, a wrong NTP server, or a technician who
set it), records a clean removal; bench B, its clock right, then finds TikTok still there.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.errors import StoreError
from audit.store import Store
from audit.store.pg_roles import _clock_ahead, add_person, setup_roles
from audit.store.times import ahead_words
from tests.audit.store import factory as f
from tests.audit.team.test_roles import _as
from tests.helpers.nz_tiktok import POLICY

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")

TODAY = date.today()


def _login(dsn: str, who: str, group: str = "technician") -> str:
    password = f"pw-{secrets.token_hex(8)}"
    login = f"{who}_{secrets.token_hex(3)}"
    add_person(dsn, login, group, password)
    return _as(dsn, login, password)


def _record(dsn: str, outcome: f.Outcome, day: date) -> None:
    first, after, actions = f.audit_inputs(f.phone("R5CW31CLOCK"), f.AROHA, outcome, day=day)
    with Store(dsn) as bench:
        bench.record_audit(
            [first, after], actions, person_name=f.AROHA.name, staff_id=f.AROHA.staff_id
        )


@pytest.mark.postgres
def test_a_bench_clock_ahead_cannot_outrank_todays_finding(postgres_dsn: str) -> None:
    setup_roles(postgres_dsn)
    ahead, right = _login(postgres_dsn, "bench_a"), _login(postgres_dsn, "bench_b")
    with pytest.raises(StoreError) as refused:
        _record(ahead, f.Outcome.CLEAN, TODAY + timedelta(days=365))
    said = refused.value
    assert "This computer's clock is ahead of the team history's server" in said.message
    assert "about 36" in said.message  # a year, in days ("about 365 days" or 366)
    assert "pw-" not in f"{said.message} {said.next_step}"
    assert "Set this computer's date, time and time zone right" in said.next_step
    _record(right, f.Outcome.VIOLATION, TODAY)
    with Store(postgres_dsn) as office:
        (row,) = office.export_rows(today=TODAY)
        counts = office.dashboard(POLICY.id, TODAY).counts
        assert len(office.history()) == 1  # nothing of bench A's audit was kept
    assert counts.overdue == 1  # the dashboard sees today's finding (the test can fail)
    assert row.status not in {"compliant", "compliant_with_exceptions"}, row.scanned_at


@pytest.mark.postgres
def test_the_clock_rule_holds_for_every_login_and_every_time_written(postgres_dsn: str) -> None:
    """The administrator's bench too; a receipt row, a scan and an action dated ahead by a
    technician's own SQL; a time moved ahead on one's own audit. A clock a few hours ahead
    (a time zone set wrong) is within the import's slack and records."""
    setup_roles(postgres_dsn)
    admin, tech = _login(postgres_dsn, "lead", "admin"), _login(postgres_dsn, "tia")
    with pytest.raises(StoreError, match="clock is ahead"):
        _record(admin, f.Outcome.CLEAN, TODAY + timedelta(days=3))
    _record(tech, f.Outcome.VIOLATION, TODAY)  # noon today: up to 12 hours ahead, within
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="microseconds")
    with psycopg.connect(tech, autocommit=True) as psql:
        (audit_id,) = psql.execute("SELECT id FROM audits").fetchone()
        for statement in (
            f"UPDATE audits SET at = '{later}' WHERE id = {audit_id}",
            f"UPDATE audits SET day = '{later[:10]}' WHERE id = {audit_id}",
            "INSERT INTO scans (audit_id, started_at, finished_at, complete, inventory_digest,"
            f" app_count, gaps, policy_sha256, day, status) VALUES ({audit_id}, '{later}',"
            f" '{later}', 1, 'x', 0, '[]', 'x', NULL, NULL)",
            "INSERT INTO actions (audit_id, kind, device_id, identifier, user_id, ok, message,"
            f" advice, code, output, at) SELECT {audit_id}, 'uninstall', device_id, 'x', '0', 1,"
            f" '', '', '', '', '{later}' FROM audits WHERE id = {audit_id}",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
                psql.execute(statement)
            assert raised.value.diag.constraint_name == "da_clock", statement
        # A time that does not move is not checked again: the chain's own columns still move.
        psql.execute(f"UPDATE audits SET trust_note = trust_note WHERE id = {audit_id}")


def test_how_far_ahead_is_said_in_words() -> None:
    server = "2026-12-08T01:00:00.000000+00:00"
    assert ahead_words("2027-12-08T01:00:00.000000+00:00", server) == "about 365 days"
    assert ahead_words("2026-12-09T07:00:00.000000+00:00", server) == "about 30 hours"
    assert ahead_words("2026-12-10", server) == "about 47 hours"  # a day: from its midnight
    assert ahead_words("2026-12-08T01:10:00.000000+00:00", server) == ""  # not an hour
    assert ahead_words("now", server) == ahead_words("", "") == ""


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_whatever_the_server_reports_the_words_are_made(detail: str) -> None:
    """The refusal's detail comes from the database (a rogue's own odd text in a time
    column): never a crash, always the words and the next step."""
    said = _clock_ahead("postgresql://ann@server/audits", detail)
    assert said.message.startswith("This computer's clock is ahead")
    assert "Set this computer's date" in said.next_step
