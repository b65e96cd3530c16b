"""Adversarial review of issue 18 (team history): a technician's plain SQL session and the
staff keys the history trusts.

A person's receipts are checked against the key first seen for their staff id; a receipt signed
by another key is refused and raises a dispute that only the administrator settles (key_disputes
is the admin's; `import --accept-new-key` by an administrator). The `keys` table itself, where
"this key is accepted for this staff id" is kept, takes INSERTs from every technician (trust on
first use at import) and no row rule of audit/store/pg_rules.py looks at it.

"""

from __future__ import annotations

import contextlib
import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from audit.attestation import Signer
from audit.attestation.receipt import write_receipt
from audit.errors import StoreError
from audit.store import Store
from audit.store.pg_roles import add_person, setup_roles
from audit.store.records import ImportResult
from tests.audit.store import factory as f

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")

pytestmark = [pytest.mark.postgres]

TODAY = date.today()
PERSON = f.Person("Tama Rua", "PS-4001")


def test_a_technician_cannot_accept_their_own_key_for_a_staff_member(
    postgres_dsn: str, tmp_path: Path
) -> None:
    setup_roles(postgres_dsn)
    password = f"pw-{secrets.token_hex(8)}"
    add_person(postgres_dsn, "rogue_tech", "technician", password)
    p = psycopg.conninfo.conninfo_to_dict(postgres_dsn)
    tech = f"postgresql://rogue_tech:{password}@{p['host']}:{p['port']}/{p['dbname']}"

    device = f.phone("R5CWKEYS")
    persons_key, rogues_key = Signer.generate(), Signer.generate()
    own = tmp_path / "own.json"  # the person's own report: TikTok still there
    forged = tmp_path / "forged.json"  # the technician's "clean" receipt in the person's name
    write_receipt(
        f.receipt(persons_key, device, PERSON, f.Outcome.VIOLATION, day=TODAY - timedelta(1)),
        own,
    )
    write_receipt(f.receipt(rogues_key, device, PERSON, f.Outcome.CLEAN, day=TODAY), forged)

    with Store(tech) as bench:
        assert bench.import_files([own]).imported == 1
        (refused,) = bench.import_files([forged]).outcomes
    assert refused.result is ImportResult.REFUSED  # the dispute guard works: the test can fail

    refused_by_a_rule = contextlib.suppress(psycopg.errors.InsufficientPrivilege)
    with psycopg.connect(tech, autocommit=True) as psql, refused_by_a_rule:
        psql.execute(
            "INSERT INTO keys (identity, signer, first_seen, source, accepted)"
            " VALUES (%s, %s, %s, 'import', 1)",
            (PERSON.staff_id, rogues_key.fingerprint, datetime.now(UTC).isoformat()),
        )
    with Store(tech) as bench:
        bench.import_files([forged])
    with Store(postgres_dsn) as office:
        (row,) = office.export_rows(today=TODAY)
    assert row.status not in {"compliant", "compliant_with_exceptions"} or row.trust_note


def _tech(dsn: str, login: str) -> str:
    password = f"pw-{secrets.token_hex(8)}"
    add_person(dsn, login, "technician", password)
    p = psycopg.conninfo.conninfo_to_dict(dsn)
    return f"postgresql://{login}:{password}@{p['host']}:{p['port']}/{p['dbname']}"


def _insert_key(psql: Any, identity: str, signer: str, accepted: int) -> None:
    psql.execute(
        "INSERT INTO keys (identity, signer, first_seen, source, accepted)"
        " VALUES (%s, %s, %s, 'import', %s)",
        (identity, signer, datetime.now(UTC).isoformat(), accepted),
    )


def test_a_technicians_session_adds_only_a_first_key_and_the_administrator_any(
    postgres_dsn: str, tmp_path: Path
) -> None:
    """Every way a technician's own SQL could add a key the administrator did not decide; and
    the app's own steps, which add only first keys, still go through as a technician."""
    setup_roles(postgres_dsn)
    tech = _tech(postgres_dsn, "tia_keys")
    person, rogue = Signer.generate(), Signer.generate()
    refused = psycopg.errors.InsufficientPrivilege
    with psycopg.connect(tech, autocommit=True) as psql:
        _insert_key(psql, "PS-1", person.fingerprint, 0)  # trust on first use: allowed
        for identity, signer, accepted in (
            ("PS-1", rogue.fingerprint, 0),  # a second key
            ("PS-1", rogue.fingerprint, 1),  # a second key, marked accepted
            ("PS-2", rogue.fingerprint, 1),  # a first key marked accepted
        ):
            with pytest.raises(refused) as raised:
                _insert_key(psql, identity, signer, accepted)
            assert raised.value.diag.constraint_name == "da_key"
        with pytest.raises(refused), psql.transaction():  # two "first" keys in one statement
            psql.execute(
                "INSERT INTO keys VALUES ('PS-3', 'aa', 'x', 'import', 0),"
                " ('PS-3', 'bb', 'x', 'import', 0)"
            )
        # Another session's first key, not committed yet, is invisible to a repeatable read
        # snapshot: such a transaction may not add keys at all.
        with pytest.raises(refused), psql.transaction():
            psql.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            _insert_key(psql, "PS-4", rogue.fingerprint, 0)
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:  # the administrator may
        _insert_key(admin, "PS-1", rogue.fingerprint, 1)
    # The app as a technician: the first key of a person is pinned; a new key accepted by a
    # technician (import --accept-new-key) is refused in words, the administrator's decision.
    device = f.phone("R5CWKEYS2")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    write_receipt(f.receipt(person, device, PERSON, f.Outcome.CLEAN, day=TODAY), first / "a.json")
    write_receipt(f.receipt(rogue, device, PERSON, f.Outcome.CLEAN, day=TODAY), second / "b.json")
    with Store(tech) as bench:
        assert bench.import_folder(first).imported == 1
        with pytest.raises(StoreError) as words:
            bench.import_folder(second, accept_new_keys=[f"{PERSON.staff_id}={rogue.fingerprint}"])
    assert "accepting a new key is the team's administrator's decision" in words.value.message
    assert "administrator" in words.value.next_step
    with Store(postgres_dsn) as office:
        (row,) = office.export_rows(today=TODAY)
    assert row.signer == person.fingerprint  # the rogue's receipt is not in


def test_an_enrolled_technicians_new_key_records_as_a_technician(postgres_dsn: str) -> None:
    """Enrolling a technician's key is the administrator's decision: a technician whose new
    laptop's key was enrolled (a second key for `technician:NAME`) still records."""
    setup_roles(postgres_dsn)
    tech = _tech(postgres_dsn, "sam_keys")
    old, new = Signer.generate(), Signer.generate()
    with Store(postgres_dsn) as admin:
        admin.enrol_technician("Sam Lee", old.fingerprint, by="Lead")
        admin.enrol_technician("Sam Lee", new.fingerprint, by="Lead")
    with psycopg.connect(tech, autocommit=True) as psql:
        _insert_key(psql, "technician:Sam Lee", old.fingerprint, 0)
        _insert_key(psql, "technician:Sam Lee", new.fingerprint, 1)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # a name not enrolled for it
            _insert_key(psql, "technician:Other", new.fingerprint, 1)


def test_a_bench_history_moves_a_persons_first_key_only(postgres_dsn: str, tmp_path: Path) -> None:
    """A bench that accepted a second key for someone (its own decision, on its own file) moves
    into the team as a technician: the first key comes as a first key, the audit signed by the
    second is refused alone with the reason, and nothing of the bench's word on who recorded
    the audits is taken."""
    from audit.store.move import move_history

    setup_roles(postgres_dsn)
    tech = _tech(postgres_dsn, "mo_keys")
    own, other = Signer.generate(), Signer.generate()
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    envelope = f.receipt(own, f.phone("MV1"), PERSON, f.Outcome.CLEAN, day=TODAY)
    write_receipt(envelope, first / "a.json")
    envelope = f.receipt(other, f.phone("MV2"), PERSON, f.Outcome.CLEAN, day=TODAY)
    write_receipt(envelope, second / "b.json")
    with Store(tmp_path / "bench.sqlite3") as bench:
        assert bench.import_folder(first).imported == 1
        accept = [f"{PERSON.staff_id}={other.fingerprint}"]
        assert bench.import_folder(second, accept_new_keys=accept).imported == 1
        bench._db.execute("UPDATE audits SET recorded_by = 'someone_else'")
        with Store(tech) as team:
            report = move_history(bench, team)
    assert report.moved == 1 and len(report.refused) == 1
    assert "trusts another key" in report.refused[0][2]
    with psycopg.connect(postgres_dsn) as admin:
        keys = admin.execute("SELECT signer, accepted FROM keys").fetchall()
        who = admin.execute("SELECT DISTINCT recorded_by FROM audits").fetchall()
    assert keys == [(own.fingerprint, 0)]
    assert who == [("mo_keys",)]


def test_a_bench_key_not_enrolled_cannot_sign_for_someone_known_by_another_key(
    postgres_dsn: str, tmp_path: Path
) -> None:
    """What the rule costs a bench: its key, not enrolled, signing at the bench for a person
    the team knows by another key is a second key for that person, so the recording is
    refused in words (enrol the bench's key); on SQLite the bench takes it as accepted."""
    setup_roles(postgres_dsn)
    tech = _tech(postgres_dsn, "kai_keys")
    persons, bench_key = Signer.generate(), Signer.generate()
    folder = tmp_path / "own"
    folder.mkdir()
    envelope = f.receipt(persons, f.phone("RK1"), PERSON, f.Outcome.CLEAN, day=TODAY)
    write_receipt(envelope, folder / "own.json")
    first, after, actions = f.audit_inputs(f.phone("RK2"), PERSON, f.Outcome.CLEAN, day=TODAY)
    signed = f.receipt(bench_key, f.phone("RK2"), PERSON, f.Outcome.CLEAN, day=TODAY)
    with Store(tech) as bench:
        assert bench.import_folder(folder).imported == 1
        with pytest.raises(StoreError) as refused:
            bench.record_audit(
                [first, after],
                actions,
                person_name=PERSON.name,
                staff_id=PERSON.staff_id,
                envelope=signed,
            )
    assert "already trusts another key for this person" in refused.value.message
    assert "enrol this bench's key" in refused.value.next_step
