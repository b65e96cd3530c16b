"""Row rules in the team history's database (issue 18, audit/store/pg_rules.py): a rogue
technician's own SQL session (psql, their own login) tries every way in to make an audit count
as compliant or to move the dashboard's numbers, and each is refused by the database, while the
app's real workflows, run as technicians with the same logins, keep working and count exactly
as one SQLite history doing the same."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from audit.attestation import Signer, write_receipt
from audit.errors import StoreError
from audit.store import Store
from audit.store.move import move_history
from audit.store.pg_roles import add_person, refusal, setup_roles
from tests.audit.store import factory as f
from tests.audit.store.test_trust_attacks import cabled
from tests.audit.team.test_roles import _as
from tests.audit.team.test_team_store import DAY

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")

pytestmark = pytest.mark.postgres

SEVEN = f.Person("Sev Ngata", "PS-7000")
_NOW = datetime.now(UTC).isoformat(timespec="microseconds")  # a time the clock rule takes


class Team:
    """A history with its roles, two technicians (ann, bob), an administrator and an office."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.roles = setup_roles(dsn).roles
        tag = secrets.token_hex(3)
        self.login: dict[str, str] = {}
        self.address: dict[str, str] = {}
        for who, group in (
            ("ann", "technician"),
            ("bob", "technician"),
            ("admin", "admin"),
            ("office", "office"),
        ):
            login = f"{who}_{tag}"
            password = f"pw-{secrets.token_hex(8)}"
            add_person(dsn, login, group, password)
            self.login[who], self.address[who] = login, _as(dsn, login, password)

    def store(self, who: str) -> Store:
        return Store(self.address[who])

    def sql(self, who: str) -> Any:
        """The person's own plain SQL session, outside the app."""
        return psycopg.connect(self.address[who], autocommit=True)


@pytest.fixture
def team(postgres_dsn: str) -> Team:
    return Team(postgres_dsn)


def _drop(folder: Path, name: str, envelope: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_receipt(envelope, folder / name)
    return folder / name


@dataclass
class Scene:
    ann_violation: int  # Ann's local audit of a phone that still has TikTok
    ann_clean: int  # Ann's imported signed receipt: compliant
    ann_held: int  # Ann's imported receipt "compliant with exceptions": held (not accepted)
    bob_violation: int  # Bob's local audit, not compliant


def _scene(team: Team, tmp_path: Path) -> Scene:
    signer = Signer.generate()
    _drop(
        tmp_path / "ann",
        "clean.json",
        f.receipt(signer, cabled("C1"), f.BEN, f.Outcome.CLEAN, day=DAY),
    )
    _drop(
        tmp_path / "ann",
        "excepted.json",
        f.receipt(Signer.generate(), cabled("E1"), SEVEN, f.Outcome.EXCEPTED, day=DAY),
    )
    with team.store("ann") as ann:
        first, rescan, actions = f.audit_inputs(
            f.phone("V1"), f.AROHA, f.Outcome.VIOLATION, day=DAY
        )
        violation = ann.record_audit(
            [first, rescan], actions, person_name=f.AROHA.name, staff_id=f.AROHA.staff_id
        )
        assert ann.import_folder(tmp_path / "ann").imported == 2
    bob_person = f.Person("Bo Tui", "PS-3000")
    with team.store("bob") as bob:
        first, rescan, actions = f.audit_inputs(
            f.phone("B1"), bob_person, f.Outcome.VIOLATION, day=DAY
        )
        bob_violation = bob.record_audit(
            [first, rescan], actions, person_name=bob_person.name, staff_id=bob_person.staff_id
        )
    with team.sql("office") as office:
        ids = dict(office.execute("SELECT device_id, id FROM audits").fetchall())
        held = office.execute("SELECT status FROM audits WHERE id = %s", (ids["android:E1"],))
        assert held.fetchone() == ("non_compliant",)  # the exemption nobody accepted
    return Scene(violation, ids["android:C1"], ids["android:E1"], bob_violation)


def _board(team: Team) -> tuple[Any, ...]:
    """What the compliance office sees: the dashboard, the running totals, every judged
    audit's status and counted columns (an empty audit, not judged yet, counts nowhere)."""
    with team.store("office") as office:
        counts = office.dashboard(f.POLICY.id, DAY)
    with team.sql("office") as sql:
        totals = sql.execute("SELECT * FROM status_changes ORDER BY 1, 2, 3, 4").fetchall()
        audits = sql.execute(
            "SELECT id, status, latest, until_day, counted_status, counted_day, recorded_by,"
            " person_name, signer, attested_at FROM audits WHERE status IS NOT NULL ORDER BY id"
        ).fetchall()
    return counts, totals, audits


@pytest.fixture
def scene(team: Team, tmp_path: Path) -> Iterator[Scene]:
    s = _scene(team, tmp_path)
    before = _board(team)
    assert before[0].counts.compliant == 1  # the test can fail: Ann's signed clean receipt
    yield s
    assert _board(team) == before  # whatever was tried, the office sees what it saw


def _refused(team: Team, who: str, *statements: str, rule: str | None = None) -> Any:
    """Run `statements` in one transaction of `who`'s own session: the database refuses."""
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege) as refused,
        team.sql(who) as sql,
        sql.transaction(),
    ):
        for statement in statements:
            sql.execute(statement)
    if rule is not None:
        assert refused.value.diag.constraint_name == rule, refused.value
    return refused.value


# A stretch of the dashboard's running totals: +1 on the audit's day, what Bob would have to
# move to make a count look right.
_MOVE_TOTALS = (
    "UPDATE status_changes SET delta = delta - 1 WHERE status = 'non_compliant' AND day = '{day}'",
    "INSERT INTO status_changes VALUES ('{policy}', '{day}', 'compliant', '', 1)"
    " ON CONFLICT (policy_id, day, status, expires) DO UPDATE SET delta ="
    " status_changes.delta + 1",
)


def _totals(scene: Scene) -> tuple[str, ...]:
    return tuple(s.format(day=DAY.isoformat(), policy=f.POLICY.id) for s in _MOVE_TOTALS)


def test_another_technicians_audit_cannot_be_changed(team: Team, scene: Scene) -> None:
    ann = scene.ann_violation
    for statement, rule in (
        (f"UPDATE audits SET status = 'compliant' WHERE id = {ann}", "da_others_audit"),
        (f"UPDATE audits SET person_name = 'Someone' WHERE id = {ann}", "da_others_audit"),
        (f"UPDATE audits SET day = '2020-01-01' WHERE id = {ann}", "da_others_audit"),
        (f"UPDATE audits SET policy_id = 'other' WHERE id = {ann}", "da_others_audit"),
        (f"UPDATE audits SET status = 'compliant' WHERE id = {scene.ann_held}", "da_others_audit"),
        (  # a scan that says compliant, slipped into Ann's audit for a later re-judging
            "INSERT INTO scans (audit_id, started_at, finished_at, complete, inventory_digest,"
            " app_count, gaps, policy_sha256, day, status) SELECT id, at, at, 1, 'x', 0, '[]',"
            f" policy_sha256, day, 'compliant' FROM audits WHERE id = {ann}",
            "da_others_audit",
        ),
        (f"DELETE FROM exemptions WHERE audit_id = {scene.ann_held}", "da_others_audit"),
        (
            f"UPDATE attestations SET identity = 'PS-9' WHERE audit_id = {scene.ann_held}",
            "da_receipt",  # refused for anyone but the administrator, once the receipt is in
        ),
        (
            "INSERT INTO actions (audit_id, kind, device_id, identifier, user_id, ok, message,"
            f" advice, code, output) VALUES ({ann}, 'uninstall', 'x', 'x', '0', 1, '', '', '',"
            " '')",
            "da_others_audit",
        ),
    ):
        _refused(team, "bob", statement, rule=rule)


def test_a_counted_status_or_the_totals_cannot_be_forged(team: Team, scene: Scene) -> None:
    """Not on another's audit, not on one's own, not even with the totals balanced."""
    for audit_id in (scene.ann_violation, scene.bob_violation):
        _refused(
            team,
            "bob",
            f"UPDATE audits SET counted_status = 'compliant' WHERE id = {audit_id}",
            rule="da_totals",
        )
        _refused(  # the totals moved to match: the counted status is still not the audit's own
            team,
            "bob",
            f"UPDATE audits SET counted_status = 'compliant' WHERE id = {audit_id}",
            *_totals(scene),
            rule="da_totals",
        )
        _refused(  # taken out of the count, totals balanced: relink would count it
            team,
            "bob",
            f"UPDATE audits SET counted_status = NULL, counted_day = NULL, latest = 0,"
            f" until_day = NULL WHERE id = {audit_id}",
            _MOVE_TOTALS[0].format(day=DAY.isoformat()),
            rule="da_totals",
        )
    for statement in (
        f"INSERT INTO status_changes VALUES ('{f.POLICY.id}', '2020-01-01', 'compliant', '', 1)",
        "UPDATE status_changes SET delta = delta + 1",
        "UPDATE status_changes SET status = 'compliant_with_exceptions', expires = '2999-01-01'"
        " WHERE status = 'non_compliant'",
        f"UPDATE audits SET latest = 0 WHERE id = {scene.bob_violation}",
    ):
        _refused(team, "bob", statement, rule="da_totals")
    _refused(team, "bob", "DELETE FROM status_changes")  # no right at all
    _refused(team, "bob", "TRUNCATE status_changes")


def test_ones_own_audit_counts_only_as_what_it_rests_on(team: Team, scene: Scene) -> None:
    """Bob's own audit: its status is its latest scan's; Ann's signed receipts count at most
    as signed, and a hold on one is released only by the administrator."""
    bob = scene.bob_violation
    _refused(
        team, "bob", f"UPDATE audits SET status = 'compliant' WHERE id = {bob}", rule="da_receipt"
    )
    _refused(  # with the chain and the totals moved along: still not what its scan says
        team,
        "bob",
        f"UPDATE audits SET status = 'compliant', counted_status = 'compliant' WHERE id = {bob}",
        *_totals(scene),
        rule="da_receipt",
    )
    held = scene.ann_held
    _refused(
        team,
        "ann",
        "UPDATE audits SET status = 'compliant_with_exceptions', trust_note = ''"
        f" WHERE id = {held}",
        rule="da_receipt",
    )
    _refused(  # out of reach of a key dispute about her staff id: a later re-judging releases
        team,
        "ann",
        f"UPDATE attestations SET identity = 'technician:Tia' WHERE audit_id = {held}",
        rule="da_receipt",
    )
    clean = scene.ann_clean
    for change in (
        "signer = 'ab'",
        "attested_at = '2020-01-01T00:00:00.000000Z'",
        "receipt_kind = 'x'",
    ):
        _refused(team, "ann", f"UPDATE audits SET {change} WHERE id = {clean}", rule="da_receipt")
    _refused(  # a receipt row of another audit lent to this one
        team,
        "ann",
        f"UPDATE audits SET receipt_uid = (SELECT receipt_uid FROM audits WHERE id = {clean})"
        f" WHERE id = {scene.ann_violation}",
        rule="da_receipt",
    )


def test_who_recorded_an_audit_is_the_databases_word(team: Team, scene: Scene) -> None:
    with team.sql("office") as office:
        who = dict(office.execute("SELECT id, recorded_by FROM audits").fetchall())
    assert who[scene.ann_violation] == who[scene.ann_clean] == team.login["ann"]
    assert who[scene.bob_violation] == team.login["bob"]
    with team.sql("bob") as bob:
        # Ann's name on Bob's audit, and Bob's on Ann's: the database keeps its own word.
        bob.execute(
            f"UPDATE audits SET recorded_by = '{team.login['ann']}'"
            f" WHERE id = {scene.bob_violation}"
        )
        _refused(
            team,
            "bob",
            f"UPDATE audits SET recorded_by = '{team.login['bob']}', status = 'compliant'"
            f" WHERE id = {scene.ann_violation}",
            rule="da_others_audit",
        )
        with bob.transaction():  # an empty audit in Ann's name (the judged part comes later)
            (new,) = bob.execute(
                "INSERT INTO audits (uid, origin, person_name, staff_id, technician, device_id,"
                " device_name, device_json, policy_id, policy_title, policy_sha256, started_at,"
                f" at, search, recorded_by) VALUES ('fake', 'local', 'x', 'x', 'Ann', 'x', 'x',"
                f" '{{}}', 'p', 'p', 'p', '{_NOW}', '{_NOW}', '', '{team.login['ann']}')"
                " RETURNING id"
            ).fetchone()
        assert bob.execute(f"SELECT recorded_by FROM audits WHERE id = {new}").fetchone() == (
            team.login["bob"],
        )
    with team.sql("admin") as admin:  # the administrator repairs, but cannot rename either
        admin.execute(f"UPDATE audits SET recorded_by = 'x' WHERE id = {new}")
        assert admin.execute(f"SELECT recorded_by FROM audits WHERE id = {new}").fetchone() == (
            team.login["bob"],
        )
    with team.sql("bob") as bob:  # Bob's empty audit: a status needs a scan that says it
        _refused(
            team, "bob", f"UPDATE audits SET status = 'compliant', day = '{DAY}' WHERE id = {new}"
        )
    # the fixture's check: the board is as before (an unjudged audit counts nowhere)


def test_the_rules_cannot_be_switched_off_or_bypassed(team: Team, scene: Scene) -> None:
    groups = team.roles
    for statement in (
        f"SET ROLE {groups['admin']}",
        f"SET ROLE {groups['owner']}",
        "ALTER TABLE audits DISABLE TRIGGER ALL",
        "ALTER TABLE audits DISABLE TRIGGER da_audit_facts",
        "DROP TRIGGER da_audit_facts ON audits",
        "DROP FUNCTION da_verify() CASCADE",
        "CREATE OR REPLACE FUNCTION da_verify() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RETURN NULL; END $$",
        "SET session_replication_role = replica",
        "ALTER TABLE audits DROP COLUMN recorded_by",
        "DELETE FROM da_tally",
        "INSERT INTO da_pending VALUES (pg_current_xact_id())",
        "DELETE FROM da_touched",
        "CREATE TEMP TABLE da_tally (x int)",
    ):
        _refused(team, "bob", statement)
    with team.sql("bob") as bob:  # its own group's role: session_user stays Bob
        bob.execute(f"SET ROLE {groups['technician']}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bob.execute(f"UPDATE audits SET status = 'compliant' WHERE id = {scene.ann_violation}")
    # Checking after each statement instead of at commit changes nothing: the check still sees
    # everything each statement did (and a statement after it cannot slip past).
    for forged in (
        "UPDATE status_changes SET delta = delta + 1",
        f"UPDATE audits SET status = 'compliant' WHERE id = {scene.bob_violation}",
    ):
        _refused(
            team,
            "bob",
            "SET CONSTRAINTS ALL IMMEDIATE",
            forged,
            "SELECT count(*) FROM audits",
        )
    with team.sql("office") as office:  # the bookkeeping of a transaction never outlives it
        assert office.execute("SELECT count(*) FROM da_tally").fetchone() == (0,)
        assert office.execute("SELECT count(*) FROM da_touched").fetchone() == (0,)


def test_only_the_writers_take_the_write_lock_and_only_for_one_transaction(team: Team) -> None:
    """Any login could take the benches' write lock (an advisory lock) and hold it, the
    office's read-only one too: every bench would wait, then fail. Now the office takes no
    advisory lock at all, and a technician only the one-transaction lock the app takes."""
    from audit.store.dialect import WRITE_LOCK

    lock = f"({WRITE_LOCK}::bigint)"
    for who, statement in (
        ("office", f"SELECT pg_advisory_lock{lock}"),
        ("office", f"SELECT pg_advisory_xact_lock{lock}"),
        ("office", f"SELECT pg_advisory_lock_shared{lock}"),
        ("office", f"SELECT pg_try_advisory_lock{lock}"),
        ("office", f"SELECT pg_advisory_lock({WRITE_LOCK >> 16}, {WRITE_LOCK & 0xFFFF})"),
        ("bob", f"SELECT pg_advisory_lock{lock}"),
        ("bob", f"SELECT pg_try_advisory_lock_shared{lock}"),
        ("bob", f"SELECT pg_advisory_xact_lock_shared{lock}"),
    ):
        _refused(team, who, statement)
    with team.sql("bob") as bob, bob.transaction():  # what the app's BEGIN IMMEDIATE takes
        bob.execute(f"SELECT pg_advisory_xact_lock{lock}")
    with team.store("office") as office:  # the office still reads
        assert office.history() == []
    assert setup_roles(team.dsn).lock_guarded  # run again: still guarded


def test_a_refusal_reaches_the_app_in_words(team: Team, scene: Scene) -> None:
    """Ann's bench continuing an audit Bob recorded: refused, saying who may."""
    with team.store("ann") as ann, pytest.raises(StoreError) as refused:
        ann.set_person(scene.bob_violation, person_name="Other Person", staff_id="PS-1")
    assert "only by the login that recorded it" in refused.value.message
    assert "technician who recorded it" in refused.value.next_step
    assert "pw-" not in f"{refused.value} {refused.value.next_step}"
    # The other two rules, as a session meets them, in the words the app would say.
    totals = _refused(team, "bob", "UPDATE status_changes SET delta = delta + 1")
    receipt = _refused(team, "ann", f"UPDATE audits SET signer = 'ab' WHERE id = {scene.ann_clean}")
    said = refusal("postgresql://ann@server/audits", totals)
    assert "dashboard's numbers must match the audits" in said.message
    assert "Nothing was changed" in said.message
    said = refusal("postgresql://ann@server/audits", receipt)
    assert "counts only as its receipt says" in said.message
    assert "administrator" in said.next_step


# --- the app's own workflows, as technicians ----------------------------------------------------


def _workflows(store_of: Any, tmp_path: Path, bench: Path) -> None:
    """The same steps on a team history (each step by whoever `store_of` names) or on one
    SQLite history: record, attest, import, a key dispute across two technicians and its
    settling, re-judging, and a bench history moved in."""
    first_key, second_key, staff_key = Signer.generate(), Signer.generate(), Signer.generate()
    _drop(
        tmp_path / "bob1",
        "s.json",
        f.receipt(first_key, cabled("S1"), SEVEN, f.Outcome.CLEAN, day=DAY),
    )
    _drop(
        tmp_path / "ann2",
        "s.json",
        f.receipt(second_key, cabled("S2"), SEVEN, f.Outcome.CLEAN, day=DAY),
    )
    _drop(
        tmp_path / "settle",
        "s3.json",
        f.receipt(first_key, cabled("S3"), SEVEN, f.Outcome.CLEAN, day=DAY),
    )
    for n, outcome in enumerate((f.Outcome.CLEAN, f.Outcome.VIOLATION, f.Outcome.EXCEPTED)):
        person = f.Person(f"Person {n}", f"PS-{n:04d}")
        envelope = f.receipt(staff_key, cabled(f"R{n}"), person, outcome, day=DAY)
        _drop(tmp_path / "many", f"r{n}.json", envelope)
    with store_of("ann") as ann:
        first, rescan, actions = f.audit_inputs(f.phone("A1"), f.AROHA, f.Outcome.CLEAN, day=DAY)
        envelope = f.receipt(Signer.generate(), f.phone("A1"), f.AROHA, f.Outcome.CLEAN, day=DAY)
        ann.record_audit(
            [first, rescan],
            actions,
            person_name=f.AROHA.name,
            staff_id=f.AROHA.staff_id,
            envelope=envelope,
        )
        first, rescan, actions = f.audit_inputs(f.phone("A2"), f.BEN, f.Outcome.VIOLATION, day=DAY)
        ann.record_audit([first, rescan], actions, person_name=f.BEN.name, staff_id=f.BEN.staff_id)
        ann.import_folder(tmp_path / "many")
    with store_of("bob") as bob:
        assert bob.import_folder(tmp_path / "bob1").imported == 1
        first, rescan, actions = f.audit_inputs(f.phone("A2"), f.BEN, f.Outcome.CLEAN, day=DAY)
        bob.record_audit([first, rescan], actions, person_name=f.BEN.name, staff_id=f.BEN.staff_id)
    with store_of("ann") as ann:  # a second key for Sev: Bob's receipt of Sev is held
        ann.import_folder(tmp_path / "ann2")
        seen = {a.device_id: str(a.status) for a in ann.history()}
        assert seen["android:S1"] == "non_compliant"
    with store_of("admin") as admin:  # the administrator settles for the key seen first
        admin.import_folder(
            tmp_path / "settle", accept_new_keys=[f"{SEVEN.staff_id}={first_key.fingerprint}"]
        )
    with store_of("bob") as bob, Store(bench) as moved:
        assert move_history(moved, bob).moved == 1


def _bench(path: Path) -> Path:
    with Store(path) as bench:
        first, rescan, actions = f.audit_inputs(
            f.phone("M1"), f.Person("Mo", "PS-5000"), f.Outcome.CLEAN, day=DAY
        )
        bench.record_audit([first, rescan], actions, person_name="Mo", staff_id="PS-5000")
    return path


def test_the_apps_workflows_as_technicians_count_as_one_sqlite_history(
    team: Team, tmp_path: Path
) -> None:
    _workflows(team.store, tmp_path / "team", _bench(tmp_path / "bench-a.sqlite3"))
    alone = tmp_path / "alone.sqlite3"
    _workflows(lambda _who: Store(alone), tmp_path / "alone", _bench(tmp_path / "bench-b.sqlite3"))
    with team.store("office") as office, Store(alone) as lite:
        seen = office.dashboard(f.POLICY.id, DAY)
        assert seen == lite.dashboard(f.POLICY.id, DAY)
        assert seen.counts.compliant >= 3  # the test can fail: receipts and audits counted
        statuses = sorted((a.device_id, str(a.status)) for a in office.history())
        assert statuses == sorted((a.device_id, str(a.status)) for a in lite.history())
    with team.sql("office") as sql:
        who = {r[0] for r in sql.execute("SELECT DISTINCT recorded_by FROM audits")}
    assert who == {team.login["ann"], team.login["bob"], team.login["admin"]}


def _rejudged(store_of: Any, folder: Path) -> None:
    """Ann and Bob record under version 1; the administrator accepts version 2 (CapCut banned
    too); Ann re-judges every audit: Bob's phone holds CapCut, so a row derived from his audit
    is added and becomes the latest of his chain (his audit's chain columns move)."""
    from tests.audit.store import rejudging as r

    apps = r.everyday_apps(3)
    with store_of("admin") as admin:
        v1, second = r.accept_v1(admin, folder)
    with store_of("ann") as ann:
        r.record(ann, v1, f.AROHA, f.phone("P1"), apps)
    with store_of("bob") as bob:
        r.record(bob, v1, f.BEN, f.phone("P2"), (*apps, r.capcut()))
    with store_of("admin") as admin:
        admin.accept_policy(second, by="Lead")
    with store_of("ann") as ann:
        report, _held = ann.rejudge(r.POLICY_ID, today=r.LATER)
        assert len(report.changed) == 1


def test_a_technician_re_judges_colleagues_audits_as_one_sqlite_history(
    team: Team, tmp_path: Path
) -> None:
    from tests.audit.store import rejudging as r

    _rejudged(team.store, tmp_path / "team")
    alone = tmp_path / "alone.sqlite3"
    _rejudged(lambda _who: Store(alone), tmp_path / "alone")
    with team.store("office") as office, Store(alone) as lite:
        seen = office.dashboard(r.POLICY_ID, r.LATER)
        assert seen == lite.dashboard(r.POLICY_ID, r.LATER)
        assert seen.counts.compliant == 1  # Aroha; Ben's phone holds CapCut, now banned
    with team.sql("office") as sql:
        rows = sql.execute(
            "SELECT recorded_by, latest FROM audits WHERE staff_id = %s ORDER BY id",
            (f.BEN.staff_id,),
        ).fetchall()
    assert rows == [(team.login["bob"], 0), (team.login["ann"], 1)]
