"""Moving a bench's SQLite history into the team history (audit.store.move, issue 18).

A bench with local audits (scans, findings, actions, a receipt) and imported receipts moves into
a team history that already holds some of the same receipts from another bench: each audit lands
once, a second move moves nothing, the team's dashboard counts what a single history holding
both would, and an audit signed by a key the team pins to someone else is refused with the
reason, never slipped in.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from audit.attestation import Signer, write_receipt
from audit.store import HistoryFilter, Store
from audit.store.move import move_history
from audit.store.schema import recount
from tests.audit.store import factory as f

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")
pytestmark = pytest.mark.postgres

DAY = date(2023, 3, 28)
EVERYTHING = HistoryFilter(limit=None, unnamed_scans=True)


def _receipts(folder: Path, start: int, count: int, signers: dict[int, Signer]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(start, start + count):
        person = f.Person(f"Person {n}", f"PS-{n:04d}")
        signer = signers.setdefault(n, Signer.generate())
        envelope = f.receipt(
            signer,
            f.phone(f"SERIAL{n:04d}"),
            person,
            (f.Outcome.CLEAN, f.Outcome.VIOLATION)[n % 2],
            day=DAY - timedelta(days=n % 4),
        )
        write_receipt(envelope, folder / f"r{n:04d}.json")


def _local_audit(store: Store, n: int, signer: Signer) -> int:
    """An audit done at the bench itself: first scan, removal, rescan, signed receipt."""
    person = f.Person(f"Local {n}", f"PS-L{n:03d}")
    device = f.phone(f"LOCAL{n:03d}")
    before, after, actions = f.audit_inputs(device, person, f.Outcome.CLEAN, day=DAY)
    envelope = f.receipt(signer, device, person, f.Outcome.CLEAN, day=DAY)
    return store.record_audit(
        [before, after],
        actions,
        person_name=person.name,
        staff_id=person.staff_id,
        envelope=envelope,
    )


def _totals(conn: object) -> list[tuple[object, ...]]:
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT * FROM status_changes WHERE delta <> 0 ORDER BY 1, 2, 3, 4"
    ).fetchall()
    return [tuple(row) for row in rows]


def _summary(store: Store) -> list[tuple[object, ...]]:
    return sorted(
        (a.uid, a.status, a.latest, a.person_name, a.receipt_uid, a.merged_scans)
        for a in store.history(EVERYTHING)
    )


def test_a_bench_moves_once_and_the_team_counts_as_one_history_would(
    postgres_dsn: str, tmp_path: Path
) -> None:
    _receipts(tmp_path / "all", 0, 12, {})
    for name, wanted in (("bench", range(8)), ("other", range(4, 12))):  # 4..7 at both
        (tmp_path / name).mkdir()
        for n in wanted:
            shutil.copy(tmp_path / "all" / f"r{n:04d}.json", tmp_path / name)
    bench_path = tmp_path / "bench.sqlite3"
    with Store(bench_path) as bench:
        bench.import_folder(tmp_path / "bench")
        for n in range(3):
            _local_audit(bench, n, Signer.generate())
        bench_lines = _summary(bench)
    with Store(postgres_dsn) as team:
        team.import_folder(tmp_path / "other")
        with Store(bench_path, read_only=True) as bench:
            report = move_history(bench, team)
        assert (report.moved, report.already_there, report.refused) == (4 + 3, 4, [])
        assert report.rows["attestations"] == 7 and report.rows["actions"] > 0
        assert report.rows["scans"] == 2 * 7 and report.rows["findings"] > 0
        assert "7 audits moved, 4 already in the team history." in report.lines()

        with Store(bench_path, read_only=True) as bench:
            again = move_history(bench, team)
        assert (again.moved, again.already_there, again.rows) == (0, 11, {})

        # One SQLite history that got everything by itself counts the same.
        with Store(tmp_path / "one.sqlite3") as one:
            one.import_folder(tmp_path / "bench")
            one.import_folder(tmp_path / "other")
            assert team.dashboard(f.POLICY.id, DAY).counts.total == (
                one.dashboard(f.POLICY.id, DAY).counts.total + 3
            )
        team_lines = _summary(team)
        assert set(bench_lines) <= set(team_lines)  # each bench audit, as the bench had it
        assert len(team_lines) == 8 + 4 + 3
        local = [a for a in team.history(EVERYTHING) if a.person_name.startswith("Local")]
        details = team.audit_details(local[0].id)
        assert details.receipts and details.actions and len(details.scans) == 2
        with team._write() as conn:
            totals = _totals(conn)
            recount(conn)
            assert _totals(conn) == totals  # the team's relink counted the moved audits


def test_an_audit_signed_by_a_key_the_team_pins_to_someone_else_is_refused(
    postgres_dsn: str, tmp_path: Path
) -> None:
    """A rogue bench signs a receipt as Person 1 with its own key: the team already trusts
    Person 1's real key, so the move refuses that audit and says why."""
    real = {1: Signer.generate()}
    _receipts(tmp_path / "real", 1, 1, real)
    rogue = {1: Signer.generate(), 2: Signer.generate()}
    folder = tmp_path / "rogue"
    folder.mkdir()
    for n, signer in rogue.items():
        person = f.Person(f"Person {n}", f"PS-{n:04d}")
        envelope = f.receipt(
            signer, f.phone(f"OTHER{n}"), person, f.Outcome.CLEAN, day=DAY + timedelta(days=1)
        )
        write_receipt(envelope, folder / f"r{n}.json")
    bench_path = tmp_path / "bench.sqlite3"
    with Store(bench_path) as bench:
        bench.import_folder(folder)
    with Store(postgres_dsn) as team:
        team.import_folder(tmp_path / "real")
        with Store(bench_path, read_only=True) as bench:
            report = move_history(bench, team)
        assert report.moved == 1
        [(uid, person, reason)] = report.refused
        assert person == "Person 1" and "PS-0001" in reason and "another key" in reason
        assert any("Not moved" in line for line in report.lines())
        assert uid not in {a.uid for a in team.history(EVERYTHING)}


def test_the_bench_s_trust_decisions_are_left_for_the_administrator(
    postgres_dsn: str, tmp_path: Path
) -> None:
    bench_path = tmp_path / "bench.sqlite3"
    with Store(bench_path) as bench:
        bench.enrol_technician("Sam Lee", Signer.generate().fingerprint, by="Bench lead")
    with Store(postgres_dsn) as team, Store(bench_path, read_only=True) as bench:
        report = move_history(bench, team)
        assert report.for_admin["technicians"] == 1
        assert "Left for the team's administrator" in report.lines()[-1]
        assert team.technicians() == []


def _move_to(argv: list[str]) -> int:
    """`device-audit history move-to ...`, through the CLI's own entry point."""
    from audit.cli import main

    return main(["history", *argv])


def test_the_command_moves_says_what_moved_and_never_shows_the_password(
    postgres_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    _receipts(tmp_path / "in", 0, 3, {})
    bench_path = tmp_path / "bench.sqlite3"
    with Store(bench_path) as bench:
        bench.import_folder(tmp_path / "in")
    password = str(psycopg.conninfo.conninfo_to_dict(postgres_dsn)["password"])
    assert _move_to(["move-to", postgres_dsn, "--db", str(bench_path)]) == 0
    out = capsys.readouterr().out
    assert "3 audits moved, 0 already in the team history." in out and password not in out
    assert _move_to(["move-to", postgres_dsn, "--db", str(bench_path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["moved"], document["already_there"], document["refused"]) == (0, 3, [])
    assert password not in json.dumps(document)


def test_the_command_refuses_what_is_not_a_team_history_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Store(tmp_path / "bench.sqlite3").close()
    other = str(tmp_path / "other.sqlite3")
    assert _move_to(["move-to", other, "--db", str(tmp_path / "bench.sqlite3")]) == 2
    assert "not the address of a team history" in capsys.readouterr().err
    none = str(tmp_path / "none.sqlite3")
    assert _move_to(["move-to", "postgresql://ann@db/da", "--db", none]) == 2
    assert "There is no history" in capsys.readouterr().err


def test_moving_a_team_history_is_refused_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`history --db ADDRESS move-to ADDRESS`: the bench's history must be a file (it once
    crashed with a traceback); the refusal never shows a password."""
    from audit.cli import main

    code = main(
        ["history", "--db", "postgresql://ann:s3cret@db/bench", "move-to", "postgresql://ann@db/da"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "must be this bench's file" in err
    assert "s3cret" not in err and "Traceback" not in err
