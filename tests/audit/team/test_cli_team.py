"""The team history from the command line (issue 18): every command that takes --db takes a
postgresql:// address as well, a scripted bench sets it once with DEVICE_AUDIT_DB (--db wins),
and a bad or unreachable address is named without its password, with the next step.

Real PostgreSQL (tests/helpers/postgres.py), real receipts signed with real keys, the CLI's own
main() as a helpdesk runs it.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import quote

import keyring
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from audit.attestation import Signer, write_receipt
from audit.cli import main, target
from audit.errors import AuditError
from audit.policy import load_policy_file
from audit.store import Store
from tests.audit.store import factory as f
from tests.audit.store import rejudging as r
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")

DAY = date(2023, 3, 28)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _password(dsn: str) -> str:
    return str(psycopg.conninfo.conninfo_to_dict(dsn)["password"])


def _receipts(folder: Path, signers: dict[str, Signer], *, technician: str = "") -> list[Path]:
    """Three staff receipts (two compliant, one not), each person's own key."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for n, outcome in enumerate((f.Outcome.CLEAN, f.Outcome.CLEAN, f.Outcome.VIOLATION)):
        person = f.Person(f"Person {n}", f"PS-{n:04d}")
        signer = signers.setdefault(person.staff_id, Signer.generate())
        envelope = f.receipt(
            signer, f.phone(f"SERIAL{n}"), person, outcome, day=DAY, technician=technician
        )
        written.append(folder / f"r{n}.json")
        write_receipt(envelope, written[-1])
    return written


@pytest.mark.postgres
def test_import_history_export_and_verify_work_on_a_team_history(
    postgres_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _receipts(tmp_path / "in", {})
    code, out, err = run(capsys, "import", str(tmp_path / "in"), "--db", postgres_dsn, "--json")
    assert code == 0, err
    assert json.loads(out)["imported"] == 3
    assert "Created a new history" not in err  # a server's database is not a new file
    # again: each receipt is stored once (the team history's constraints)
    code, out, _ = run(capsys, "import", str(tmp_path / "in"), "--db", postgres_dsn, "--json")
    assert (code, json.loads(out)["duplicates"]) == (0, 3)

    code, out, _ = run(capsys, "history", "--json", "--db", postgres_dsn)
    assert code == 0
    assert sorted(a["staff_id"] for a in json.loads(out)) == ["PS-0000", "PS-0001", "PS-0002"]
    code, out, _ = run(
        capsys, "export", "--format", "csv", "--day", "2023-03-28", "--db", postgres_dsn
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 3
    assert sorted(row["status"] for row in rows) == ["compliant", "compliant", "non_compliant"]

    code, out, _ = run(capsys, "verify", "--json", "--db", postgres_dsn, str(files[0]))
    assert code == 0
    (result,) = json.loads(out)
    assert result["valid"] and result["assurance"] == "self-attested"
    # nothing of the password in anything printed
    assert _password(postgres_dsn) not in out + err


@pytest.mark.postgres
def test_the_trust_commands_and_rejudge_work_on_a_team_history(
    postgres_dsn: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """policy, technician, exemption and history rejudge, the team history chosen once with
    DEVICE_AUDIT_DB as a scripted bench does."""
    monkeypatch.setenv(target.ENVIRONMENT, postgres_dsn)
    first, second = r.policy_files(tmp_path / "policies")
    code, out, err = run(capsys, "policy", "accept", str(first), "--by", "Lead")
    assert code == 0, err
    bench = Signer.generate()
    code, _, err = run(capsys, "technician", "enrol", "Sam", bench.fingerprint, "--by", "Lead")
    assert code == 0, err
    code, out, _ = run(capsys, "technician", "list", "--json")
    assert code == 0 and "Sam" in out
    code, out, _ = run(capsys, "exemption", "list")
    assert code == 0
    code, out, _ = run(capsys, "policy", "list", "--json")
    assert code == 0 and r.POLICY_ID in out

    # what the commands wrote is in the team history, read with the store itself
    with Store(postgres_dsn) as team:
        assert [t.name for t in team.technicians()] == ["Sam"]
        assert r.POLICY_ID in {p.id for p in team.known_policies().by_sha.values()}
        r.record(team, load_policy_file(first), f.AROHA, f.phone("P1"), (r.capcut(),))
        team.accept_policy(second, by="Lead")
    code, out, err = run(capsys, "history", "rejudge", "--policy", r.POLICY_ID)
    assert code == 1, err  # Aroha's phone holds CapCut, banned by version 2: worse
    assert "PS-1042" in out
    code, out, _ = run(capsys, "history")
    assert code == 0 and "re-judged from the stored inventory, not rescanned" in out


@pytest.mark.postgres
def test_a_refused_key_s_command_names_the_team_history_without_its_password(
    postgres_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signers: dict[str, Signer] = {}
    _receipts(tmp_path / "first", signers)
    assert run(capsys, "import", str(tmp_path / "first"), "--db", postgres_dsn)[0] == 0
    _receipts(tmp_path / "copier", {})  # the same staff ids, other keys
    code, out, err = run(capsys, "import", str(tmp_path / "copier"), "--db", postgres_dsn)
    assert code == 1
    assert "--accept-new-key" in out and "--db postgresql://da_admin@" in out
    assert _password(postgres_dsn) not in out + err


@pytest.mark.postgres
def test_db_wins_over_the_environment(
    postgres_dsn: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _receipts(tmp_path / "in", {})
    monkeypatch.setenv(target.ENVIRONMENT, postgres_dsn)
    assert run(capsys, "import", str(tmp_path / "in"))[0] == 0  # into the team history
    local = tmp_path / "bench.sqlite3"
    code, out, _ = run(capsys, "import", str(tmp_path / "in"), "--db", str(local), "--json")
    assert (code, json.loads(out)["imported"]) == (0, 3)  # the file, not the server
    code, out, _ = run(capsys, "history", "--json")
    assert len(json.loads(out)) == 3
    with Store(postgres_dsn) as team:
        assert team.count() == 3  # the second import did not go to the server


def test_an_environment_file_that_is_not_there_is_named_with_where_to_fix_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "typo.sqlite3"
    monkeypatch.setenv(target.ENVIRONMENT, str(missing))
    for argv in (["history"], ["export"], ["policy", "list"], ["exemption", "list"]):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, ""), argv
        assert f"There is no history at {missing}." in err
        assert "DEVICE_AUDIT_DB" in err
    code, _, err = run(capsys, "history", "rejudge", "--policy", "x")
    assert code == 2 and "DEVICE_AUDIT_DB" in err
    assert not missing.exists()  # a typo never becomes a new, empty history


def test_an_empty_environment_variable_is_the_default_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(target.ENVIRONMENT, "  ")
    args = _namespace()
    assert target.chosen(args) is None
    assert not target.from_environment(args)


def _namespace(**values: object) -> argparse.Namespace:
    return argparse.Namespace(**({"db": None} | values))


@pytest.mark.parametrize("source", ["--db", "DEVICE_AUDIT_DB"])
def test_an_address_that_cannot_be_read_is_named_by_where_it_came_from_never_echoed(
    source: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("psycopg")
    bad = "postgresql://clerk:Hunter2-secret@[::1/team"  # an unclosed IPv6 bracket
    if source == "DEVICE_AUDIT_DB":
        monkeypatch.setenv(target.ENVIRONMENT, bad)
    given_db = ["--db", bad] if source == "--db" else []
    for argv in (["history"], ["import", str(tmp_path)], ["technician", "list"]):
        code, out, err = run(capsys, *argv, *given_db)
        assert code == 2, argv
        assert f"The team history's address in {source} cannot be read." in err
        assert "next step: Write it as postgresql://user@server:port/database" in err
        assert "Hunter2" not in out + err and "clerk" not in err


@pytest.mark.postgres
def test_a_server_that_cannot_be_reached_is_named_without_the_password(
    postgres_server: object, capsys: pytest.CaptureFixture[str]
) -> None:
    # A closed port on this computer: refused at once, no timeout to wait for.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"postgresql://clerk:Hunter2-secret@127.0.0.1:{port}/team"
    for argv in (["history"], ["export"], ["policy", "list"], ["verify", "x.json"]):
        code, out, err = run(capsys, *argv, "--db", address)
        assert code == 2, (argv, err)
        assert f"The team history postgresql://clerk@127.0.0.1:{port}/team cannot be reached" in err
        assert "next step: Check the network and that the server is running" in err
        assert "Hunter2" not in out + err


def test_a_team_address_without_the_postgresql_driver_says_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A staff install without the `team` extra: words and the command, not an ImportError."""
    import audit.store

    monkeypatch.setitem(sys.modules, "psycopg", None)  # what an absent package looks like
    ours = ["audit.store.pg", "audit.store.pg_roles"]
    for name in [m for m in sys.modules if m.startswith("psycopg.")] + ours:
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.delattr(audit.store, "pg", raising=False)
    monkeypatch.delattr(audit.store, "pg_roles", raising=False)
    address = "postgresql://clerk:Hunter2@server/team"
    monkeypatch.setattr("sys.stdin", io.StringIO("Hunter2pass\n"))
    for argv in (
        ("history", "--db", address),
        ("team", "roles", address),  # these once ended in an ImportError's traceback
        ("team", "add-person", address, "ann", "--role", "technician", "--password-stdin"),
    ):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, ""), (argv, out, err)
        assert "installed without PostgreSQL support" in err, argv
        assert "next step: Install it with: pip install 'device-audit[team]'" in err, argv
        assert "Hunter2" not in err


def test_commands_on_a_file_never_load_the_postgresql_driver(tmp_path: Path) -> None:
    """DEVICE_AUDIT_DB naming a file, --db naming a file: psycopg stays unloaded."""
    history = tmp_path / "h.sqlite3"
    code = (
        "import sys; from audit.cli import main; "
        f"main(['import', {str(tmp_path)!r}, '--db', {str(history)!r}]); "
        "main(['history']); main(['technician', 'list']); "
        "print('psycopg' in sys.modules)"
    )
    environment = {**os.environ, target.ENVIRONMENT: str(history)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=environment,
    )
    assert out.stdout.strip().splitlines()[-1] == "False"
    assert history.exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(password=st.text(min_size=6, max_size=40), rest=st.text(max_size=30))
@example(password="000000", rest="%80")  # not UTF-8 once decoded: psycopg's UnicodeDecodeError
def test_no_address_shows_its_password_however_it_is_written(password: str, rest: str) -> None:
    """Whatever follows the scheme, what the CLI shows or prints to paste (target.shown,
    target.argument) and the error for an address it cannot read never hold the password."""
    pytest.importorskip("psycopg")
    assume(password not in f"postgresql://u@h:5432/db{rest}")  # it must be the password shown
    for address in (
        f"postgresql://u:{quote(password, safe='')}@h:5432/db{rest}",
        f"postgresql://u@h/db?password={quote(password, safe='')}&{rest}",
        f"postgresql://u:{password}@h/db{rest}",  # typed without quoting
    ):
        args = _namespace(db=target.parse(address))
        for text in (target.shown(address), target.argument(address)):
            assert password not in text and quote(password, safe="") not in text
        try:
            target.chosen(args)
        except AuditError as error:  # words of its own, nothing of the address
            assert error.message == "The team history's address in --db cannot be read."


@pytest.mark.parametrize(
    "argv",
    [
        ("history",),
        ("import", "receipts"),
        ("export", "--out", "out.csv"),
        ("history", "move-to", "postgresql://ann@127.0.0.1:9/team"),
    ],
)
@pytest.mark.parametrize("via", ["--db", "DEVICE_AUDIT_DB"])
def test_a_key_value_connection_on_the_command_line_is_refused_and_never_made_a_file(
    argv: tuple[str, ...],
    via: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The command line makes a Path of every --db value that is not a postgresql:// address,
    so libpq's "host=... password=..." form once slipped past the store's check: `import`
    created a history on this computer named after it, password included, and reported an
    import into it; `history` answered "There is no history at host=... password=...". Both
    refused now, from the option and from the variable, before anything names it a file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "receipts").mkdir()
    address = "host=127.0.0.1 dbname=team user=ann password=s3cretPW"
    if via == "--db":
        argv = (*argv, "--db", address)
    elif argv[1:2] == ("move-to",):
        return  # moves this bench's file: the variable names the team history, not the source
    else:
        monkeypatch.setenv("DEVICE_AUDIT_DB", address)
    code, out, err = run(capsys, *argv)
    assert code == 2, (argv, out, err)
    assert "key=value form" in err and "postgresql://user@server:port/database" in err
    assert "s3cretPW" not in out + err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["receipts"]


@pytest.mark.postgres
@pytest.mark.usefixtures("memory_keyring")
def test_a_password_kept_with_save_password_serves_an_address_without_one(
    postgres_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`team save-password` puts the login's password in the keyring (the app's dialog uses
    the same entry), so --db needs none; before it, the same address without a password is
    refused by the server. The password is never printed."""
    Store(postgres_dsn).close()  # an empty team history
    secret = _password(postgres_dsn)
    parts = psycopg.conninfo.conninfo_to_dict(postgres_dsn)
    bare = f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")  # nor a .pgpass of the person running it
    code, out, err = run(capsys, "history", "--db", bare)
    assert code == 2, (out, err)
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    code, out, err = run(capsys, "team", "save-password", bare, "--password-stdin")
    assert code == 0, err
    assert f"--db {bare}" in out and secret not in out + err
    assert keyring.get_password("Device Audit team history", bare) == secret
    code, out, err = run(capsys, "history", "--db", bare)
    assert code == 0, err
    assert secret not in out + err


@pytest.mark.usefixtures("memory_keyring")
def test_save_password_refuses_an_empty_password_and_a_file(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    address = "postgresql://ann@127.0.0.1:9/team"
    code, _, err = run(capsys, "team", "save-password", address, "--password-stdin")
    assert code == 2 and "No password was given" in err
    code, _, err = run(capsys, "team", "save-password", "history.sqlite3", "--password-stdin")
    assert code == 2 and "is not the address of a team history" in err
    assert keyring.get_password("Device Audit team history", address) is None


@pytest.mark.parametrize("terminal", [True, False])
def test_a_password_typed_in_db_is_warned_about_at_a_terminal(
    terminal: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The process list shows a password typed in --db to anyone on the computer: a person at
    a terminal is told, with the command that keeps it in the keyring; a script's output is
    left as it is (and DEVICE_AUDIT_DB, private to its user, is never warned about)."""
    monkeypatch.setattr("sys.stderr.isatty", lambda: terminal)
    _, _, err = run(capsys, "history", "--db", "postgresql://ann:Hunter2pw@127.0.0.1:9/team")
    warned = "team save-password postgresql://ann@127.0.0.1:9/team" in err
    assert warned is terminal, err
    assert "Hunter2pw" not in err
    monkeypatch.setenv(target.ENVIRONMENT, "postgresql://ann:Hunter2pw@127.0.0.1:9/team")
    _, _, err = run(capsys, "history")
    assert "cannot be reached" in err and "save-password" not in err
