"""One removal is one audit in the team history, whatever the server did meanwhile (issue 18).

The staff member's CLI runs in a subprocess, as they run it, against a real PostgreSQL server of
this module's own that the test stops and starts (pg_ctl), a simulated phone through the real
adb server, and a keyring backend kept in a file (tests/audit/team/filekeyring.py) so `attest`
signs in its own process. Every order of `remove` and `attest` with the server away or back,
`history send` before or after, and the receipt file imported by the helpdesk before or after
the outbox is sent, must end as one audit: signed, with the scan from before the removal, what
was done and the rescan, counted once on the dashboard, and nothing left waiting.

A write the server committed just before the connection dropped is reproduced with a real
proxy on loopback that loses the server's answer to the COMMIT (tests/audit/team/cutproxy.py):
the bench keeps the audit in the outbox, and sending it says "already there", never a second
audit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from audit.attestation import Attester, Signer
from audit.store import Store, outbox
from audit.store.inventories import held as held_inventory
from audit.store.move import move_history
from audit.workflow.history import History, new_uid, record_receipt, record_removal_scan
from audit.workflow.notices import Notice
from tests.audit.store import factory as f
from tests.audit.team import filekeyring
from tests.audit.team.cutproxy import cut_after_commit
from tests.audit.team.test_outbox import _ctl, own_server, team  # noqa: F401  # fixtures
from tests.helpers import postgres as pg

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")
pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[3]
DAY = date.today()
POLICY = "us-federal-2023"
CLI = "import sys; from audit.cli import main; sys.exit(main(sys.argv[1:]))"


class Bench:
    """The staff member's terminal: the CLI in a subprocess, and the server's switch."""

    def __init__(
        self, server: pg.Server, dsn: str, reach: list[str], folder: Path, env: dict[str, str]
    ) -> None:
        self.server, self.dsn, self.reach, self.folder, self.env = server, dsn, reach, folder, env
        self.receipt = folder / "receipts" / "receipt.json"
        self.receipt.parent.mkdir()
        self.remove_for: list[str] = []  # `remove --person STAFF_ID`, when given

    def run(self, *args: str) -> tuple[int, str]:
        done = subprocess.run(
            [sys.executable, "-c", CLI, *args],
            capture_output=True,
            text=True,
            timeout=300,
            env=self.env,
            cwd=ROOT,
            check=False,
        )
        return done.returncode, done.stdout + done.stderr

    def step(self, what: str) -> str:
        """One step of a sequence: remove-on/-off, attest-on/-off, send, import."""
        action, _, where = what.partition("-")
        _ctl(self.server, "stop" if where == "off" else "start")
        if action == "remove":
            code, said = self.run(
                "remove", *self.reach, "--db", self.dsn, "--yes", *self.remove_for
            )
        elif action == "attest":
            person = ["--name", "Anna Smith", "--staff-id", "S1234", "--out", str(self.receipt)]
            code, said = self.run(
                "attest", *self.reach, "--db", self.dsn, *person, "--accept-statement"
            )
        elif action == "send":
            code, said = self.run("history", "send", self.dsn)
        else:
            assert action == "import", what
            code, said = self.run("import", str(self.receipt.parent), "--db", self.dsn)
        assert code == 0, f"{what}: {said}"
        assert self.server.password not in said
        if where == "off":
            assert "saved on this computer" in said, said
        return said


def _team(dsn: str) -> list[dict[str, Any]]:
    """Every audit of the team history, read straight from the server."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT a.uid, a.staff_id, a.receipt_uid,"
            " (SELECT count(*) FROM attestations t WHERE t.audit_id = a.id),"
            " (SELECT count(*) FROM actions c WHERE c.audit_id = a.id),"
            " (SELECT count(*) FROM scans s WHERE s.audit_id = a.id)"
            " FROM audits a ORDER BY a.id"
        ).fetchall()
    keys = ("uid", "staff_id", "receipt_uid", "receipts", "actions", "scans")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _devices_counted(dsn: str) -> int:
    with Store(dsn, read_only=True) as store:
        counts = store.dashboard(POLICY, DAY, witnessed_only=False).counts
    return (
        counts.compliant
        + counts.excepted
        + counts.non_compliant
        + counts.overdue
        + counts.incomplete
        + counts.unwitnessed
    )


@pytest.fixture
def bench(
    own_server: pg.Server,  # noqa: F811 - the fixture imported above
    team: str,  # noqa: F811
    sim_phone: Any,
    adb_server: Any,
    tmp_path: Path,
) -> Bench:
    from tests.helpers.phones import phone_args

    phone = sim_phone("samsung-work-profile")
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "tests.audit.team.filekeyring.FileKeyring",
        filekeyring.ENVIRONMENT: str(tmp_path / "keyring.json"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DEVICE_AUDIT_DB", None)
    reach = [*phone_args(phone, adb_server), "--policy", POLICY]
    return Bench(own_server, team, reach, tmp_path, env)


SEQUENCES = [
    "remove-off attest-on",  # the outbox is sent first, the attest completes its audit
    "remove-off send attest-on",
    "remove-off attest-off send",
    "remove-on attest-off send",  # the outbox completes the team's audit
    "remove-off send attest-off send",
    "remove-on remove-off attest-on",  # a removal continued while away
    "remove-off attest-off import send",  # the helpdesk imports the handed-in receipt first
    "remove-on attest-off import send",
    "remove-off attest-on import",  # a receipt the bench already sent, handed in anyway
]


TWO = {"remove-on attest-off import send"}


@pytest.mark.adb
@pytest.mark.parametrize("sequence", SEQUENCES)
def test_one_removal_is_one_audit_in_the_team_history(bench: Bench, sequence: str) -> None:
    for step in sequence.split():
        bench.step(step)
    bench.step("send")  # whatever still waits (nothing, by now)
    bench.step("import")  # and the receipt file handed in once more: already there
    audits = _team(bench.dsn)
    signed = [a for a in audits if a["receipts"]]
    assert len(signed) == 1, audits
    (audit,) = signed
    assert audit["staff_id"] == "S1234"
    if sequence in TWO:
        # The helpdesk imported the receipt while the team held the unsigned removal: a receipt
        # does not say which audit it completes, so it is an audit of its own (counted once).
        assert len(audits) == 2, audits
    else:
        assert len(audits) == 1, audits
    if "import" not in sequence:  # an imported receipt carries what it signed, not the rows
        assert audit["actions"] > 0 and audit["scans"] >= 2, audits  # before, done, after
    assert _devices_counted(bench.dsn) == 1
    assert outbox.waiting() == 0


@pytest.mark.adb
@pytest.mark.parametrize("remove_for", [[], ["--person", "S9999"]])
def test_a_receipt_imported_before_the_outbox_is_sent_leaves_one_counted_device(
    bench: Bench, remove_for: list[str]
) -> None:
    """`remove` at the server, `attest` while it is away, the receipt imported by the helpdesk
    before the bench sends: the team holds the unsigned removal and the imported receipt, and
    the outbox's copy must not make the unsigned one claim a receipt it does not hold. The
    removal started for another staff id (--person) than the receipt names: the device still
    counts once (the unsigned audit is the receipt's person's, as `attest` would have made it)."""
    bench.remove_for = remove_for
    for step in ("remove-on", "attest-off", "import", "send"):
        bench.step(step)
    for audit in _team(bench.dsn):
        assert bool(audit["receipt_uid"]) == bool(audit["receipts"]), audit
    assert _devices_counted(bench.dsn) == 1


def _whole_audit(n: int) -> tuple[Any, Callable[[Store], int]]:
    person = f.Person(f"Person {n}", f"PS-{n:04d}")
    device = f.phone(f"SERIAL{n:04d}")
    before, after, actions = f.audit_inputs(device, person, f.Outcome.CLEAN, day=DAY)
    envelope = f.receipt(Signer.generate(), device, person, f.Outcome.CLEAN, day=DAY)
    uid = new_uid()  # chosen before the first write, as the workflow does

    def write(store: Store) -> int:
        return record_receipt(
            store,
            envelope,
            audit_id=None,
            before=before,
            after=after,
            actions=actions,
            attester=Attester(name=person.name, staff_id=person.staff_id),
            file_name=f"r{n}.json",
            audit_uid=uid,
        )

    return device, write


def test_a_write_committed_as_the_connection_dropped_is_not_sent_twice(
    own_server: pg.Server,  # noqa: F811
    team: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`remove`'s first write (its scan: no receipt yet, so only the audit's uid can tell it
    apart). The server commits it; the proxy loses the answer; the bench keeps the audit in the
    outbox (it cannot know). Sending it finds the team holds that very audit (its uid, by the
    UNIQUE constraint) and says "already there"."""
    from audit.cli import main

    person = f.Person("Person 1", "PS-0001")
    device = f.phone("SERIAL0001")
    before, _after, _actions = f.audit_inputs(device, person, f.Outcome.VIOLATION, day=DAY)
    uid = new_uid()  # chosen before the first write, as the workflow does
    with cut_after_commit(own_server.port) as proxy:
        proxied = team.replace(f":{own_server.port}/", f":{proxy.port}/")
        said: list[Notice] = []
        history = History(proxied, device, said.append)
        history.run(
            "The scan",
            lambda store: record_removal_scan(store, before, audit_id=None, audit_uid=uid),
            "",
        )
        history.close()
        assert proxy.cut.is_set(), "the proxy never saw the audit's COMMIT"
    assert history.queued and outbox.waiting() == 1, [n.text for n in said]
    assert len(_team(team)) == 1  # the server did commit it

    assert main(["history", "send", team]) == 0
    out = capsys.readouterr().out
    assert "0 audits sent to the team history, 1 already there." in out, out
    assert len(_team(team)) == 1
    assert outbox.waiting() == 0


@pytest.mark.adb
def test_remove_whose_first_write_was_saved_as_the_connection_dropped_is_one_audit(
    bench: Bench,
) -> None:
    """The staff member's `remove` through a proxy that loses the server's answer to the
    audit's COMMIT: the rest of the removal goes to the outbox under the same audit id, the
    send completes the team's audit with it, and `attest` signs that one audit."""
    team_address = bench.dsn
    port = bench.server.port
    with cut_after_commit(port) as proxy:
        bench.dsn = team_address.replace(f":{port}/", f":{proxy.port}/")
        code, said = bench.run("remove", *bench.reach, "--db", bench.dsn, "--yes")
        assert proxy.cut.is_set(), said
    bench.dsn = team_address
    assert code == 0 and "saved on this computer" in said, said
    assert len(_team(bench.dsn)) == 1  # the server did save the scan
    sent = bench.step("send")
    assert "0 audits sent to the team history, 0 already there." in sent, sent
    assert "1 audit the team history held already was completed" in sent, sent
    bench.step("attest-on")
    (audit,) = _team(bench.dsn)
    assert audit["receipts"] == 1 and audit["actions"] > 0 and audit["scans"] >= 2, audit
    assert _devices_counted(bench.dsn) == 1


def test_moving_a_history_moves_its_inventories_once(
    postgres_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`history move-to` takes the stored inventories along (by digest, once), so the team can
    judge the moved audits again; the report says so; a second move moves none again."""
    from audit.cli import main

    bench_file = tmp_path / "bench.sqlite3"
    with Store(bench_file) as store:
        for n in range(3):
            _device, write = _whole_audit(n)
            write(store)
        digests = {str(r[0]) for r in store._db.execute("SELECT digest FROM inventories")}
    assert digests
    assert main(["history", "move-to", postgres_dsn, "--db", str(bench_file)]) == 0
    out = capsys.readouterr().out
    assert f"{len(digests)} inventories" in out, out
    with psycopg.connect(postgres_dsn) as conn:
        there = {str(r[0]) for r in conn.execute("SELECT digest FROM inventories")}
    assert digests <= there
    assert main(["history", "move-to", postgres_dsn, "--db", str(bench_file)]) == 0
    again = capsys.readouterr().out
    assert "inventories" not in again and "0 audits moved, 3 already" in again, again
    with Store(bench_file) as bench_store, Store(postgres_dsn) as team_store:
        report = move_history(bench_store, team_store)
        assert report.moved == 0 and "inventories" not in report.rows
        # What re-judging reads on the team's side: each moved scan's inventory, checked.

        def stored(conn: Any) -> list[object]:
            scans = conn.execute("SELECT DISTINCT inventory_digest FROM scans").fetchall()
            return [held_inventory(conn, str(row[0])) for row in scans]

        assert all(team_store._read(stored))


def test_an_inventory_changed_outside_device_audit_is_not_moved(
    postgres_dsn: str, tmp_path: Path
) -> None:
    """A bench history whose stored inventory was swapped for another (a blob that is not the
    inventory its digest names): the move leaves it behind and says so; the rest moves."""
    bench_file = tmp_path / "bench.sqlite3"
    with Store(bench_file) as store:
        for n in range(2):
            _device, write = _whole_audit(n)
            write(store)
        conn = store._db
        (first, blob), (second, _blob) = conn.execute(
            "SELECT digest, blob FROM inventories ORDER BY digest LIMIT 2"
        ).fetchall()
        conn.execute("UPDATE inventories SET blob = ? WHERE digest = ?", (blob, second))
    with Store(bench_file, read_only=True) as bench_store, Store(postgres_dsn) as team_store:
        report = move_history(bench_store, team_store)
        digests = team_store._read(
            lambda c: {str(r[0]) for r in c.execute("SELECT digest FROM inventories")}
        )
    assert report.forged_inventories == 1
    assert any("1 stored inventory was not moved" in line for line in report.lines())
    assert first in digests and second not in digests


def test_an_audit_another_login_recorded_is_refused_alone_and_kept(postgres_dsn: str) -> None:
    """The row rules let only the login that recorded an audit add to it. A bench's outbox
    sent with a colleague's login: that audit is refused with the reason and stays in the
    outbox (never forgotten on the strength of its uid), the other audit in the same send goes
    through, and sending with the recorder's login completes it."""
    import secrets

    from audit.store.pg_roles import add_person, setup_roles

    setup_roles(postgres_dsn)
    params = psycopg.conninfo.conninfo_to_dict(postgres_dsn)
    logins = {}
    for name in ("ann", "bob"):
        login, password = f"{name}_{secrets.token_hex(3)}", f"pw-{secrets.token_hex(8)}"
        add_person(postgres_dsn, login, "technician", password)
        logins[name] = (
            f"postgresql://{login}:{password}@{params['host']}:{params['port']}/{params['dbname']}"
        )
    person = f.Person("Person 1", "PS-0001")
    device = f.phone("SERIAL0001")
    before, after, actions = f.audit_inputs(device, person, f.Outcome.CLEAN, day=DAY)
    uid = new_uid()
    with Store(logins["ann"]) as ann:  # `remove` at the server, with Ann's login
        record_removal_scan(ann, before, audit_id=None, audit_uid=uid)
    with Store(outbox.outbox_path()) as box:  # its `attest` while the server was away
        record_receipt(
            box,
            f.receipt(Signer.generate(), device, person, f.Outcome.CLEAN, day=DAY),
            audit_id=None,
            before=before,
            after=after,
            actions=actions,
            attester=Attester(name=person.name, staff_id=person.staff_id),
            audit_uid=uid,
        )
        _other, write = _whole_audit(2)
        write(box)  # and another audit, new to the team
    with Store(logins["bob"]) as bob:
        report = outbox.send(bob)
    assert report.sent == 1 and report.completed == 0, report
    ((refused_uid, _name, reason),) = report.refused
    assert refused_uid == uid and "recorded by another login" in reason
    assert outbox.waiting() == 1  # kept, with its receipt, scans and actions
    with Store(logins["ann"]) as ann:
        report = outbox.send(ann)
    assert (report.completed, report.refused, report.waiting) == (1, [], 0), report
    audits = _team(postgres_dsn)
    assert len(audits) == 2 and all(a["receipts"] == 1 for a in audits), audits


def test_a_derived_audit_moved_after_its_source_names_the_teams_copy(
    postgres_dsn: str, tmp_path: Path
) -> None:
    """A re-judged audit (derived_from its source) moved after its source is in the team
    history: it must name the team's copy of that source, never an id the move had offered to
    the source and the team's UNIQUE constraint turned away."""
    bench_file = tmp_path / "bench.sqlite3"
    person = f.Person("Person 1", "PS-0001")
    before, _after, _actions = f.audit_inputs(f.phone("S1"), person, f.Outcome.CLEAN, day=DAY)
    with Store(bench_file) as store:  # unsigned: only its uid says the team holds it
        source_id = store.record_audit([before], staff_id=person.staff_id, uid=new_uid())
    with Store(bench_file, read_only=True) as bench_store, Store(postgres_dsn) as team_store:
        move_history(bench_store, team_store)
        team_store.record_audit([before], staff_id="PS-0002")  # the team's ids move on
    with Store(bench_file) as store:  # the bench re-judged it since (as audit.store.rejudge)
        conn = store._db
        cols = [str(r[1]) for r in conn.execute("PRAGMA table_info(audits)") if r[1] != "id"]
        conn.execute(
            f"INSERT INTO audits ({', '.join(cols)}) SELECT"
            f" {', '.join('?' if c == 'uid' else c for c in cols)} FROM audits WHERE id = ?",
            (new_uid(), source_id),
        )
        conn.execute(
            "UPDATE audits SET origin = 'rejudged', derived_from = ? WHERE id <> ?",
            (source_id, source_id),
        )
    with Store(bench_file, read_only=True) as bench_store, Store(postgres_dsn) as team_store:
        report = move_history(bench_store, team_store)
    assert (report.moved, report.already_there) == (1, 1), report
    with psycopg.connect(postgres_dsn) as conn:
        (derived,) = conn.execute(
            "SELECT derived_from FROM audits WHERE origin = 'rejudged'"
        ).fetchone()
        source_uid = conn.execute("SELECT uid FROM audits WHERE id = %s", (derived,)).fetchone()
    with Store(bench_file, read_only=True) as bench_store:
        assert source_uid is not None and source_uid[0] == bench_store.audit(source_id).uid
