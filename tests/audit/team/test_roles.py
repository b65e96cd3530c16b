"""Roles in the team history's database (issue 18), with real logins of each role on a real
server: what each may do, that every other write is refused in words naming who may, that
nobody can make accounts, and that no address ever shows its password."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Signer
from audit.errors import AuditError, StoreError
from audit.store import Store
from audit.store.pg_roles import add_person, check_login, group_roles, setup_roles
from tests.audit.store import factory as f
from tests.audit.store import rejudging as r
from tests.audit.team.test_team_store import DAY, receipts

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")


def _as(dsn: str, login: str, password: str) -> str:
    """The history's address for `login`, its password in the address (the worst place)."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return f"postgresql://{login}:{password}@{params['host']}:{params['port']}/{params['dbname']}"


class Team:
    """One history with its roles set up and one person of each group."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        setup_roles(dsn)
        tag = secrets.token_hex(3)
        self.passwords: dict[str, str] = {}
        self.address: dict[str, str] = {}
        for group in ("technician", "office", "admin"):
            login = f"{group[:4]}_{tag}"
            password = f"pw-{secrets.token_hex(8)}"
            add_person(dsn, login, group, password)
            self.passwords[group] = password
            self.address[group] = _as(dsn, login, password)

    def store(self, group: str) -> Store:
        return Store(self.address[group])

    def raw(self, group: str) -> Any:
        return psycopg.connect(self.address[group], autocommit=True)


@pytest.fixture
def team(postgres_dsn: str) -> Team:
    return Team(postgres_dsn)


def _refused(team: Team, group: str, write: Callable[[], object]) -> StoreError:
    with pytest.raises(StoreError, match="may not do this") as refused:
        write()
    shown = f"{refused.value} {refused.value.next_step}"
    assert team.passwords[group] not in shown
    return refused.value


pytestmark = pytest.mark.postgres


def test_setting_up_twice_changes_nothing_and_the_groups_cannot_log_in(team: Team) -> None:
    again = setup_roles(team.dsn)
    assert again.created == ()
    assert set(again.roles) == {"technician", "office", "admin", "owner"}
    with psycopg.connect(team.dsn) as conn:
        for role in again.roles.values():
            row = conn.execute(
                "SELECT rolcanlogin, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s",
                (role,),
            ).fetchone()
            assert row == (False, False, False), role
        owners = {
            r[0]
            for r in conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
        }
    assert owners == {again.roles["owner"]}  # no person owns (and so bypasses) the tables


def test_the_office_reads_searches_and_exports_and_every_write_is_refused_in_words(
    team: Team, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    signer = Signer.generate()
    receipts(tmp_path / "in", signer, 3)
    with team.store("technician") as bench:
        assert bench.import_folder(tmp_path / "in").imported == 3
    receipts(tmp_path / "more", signer, 1, start=10)
    first, _second = r.policy_files(tmp_path / "policies")
    with team.store("office") as office:
        assert "pw-" not in office.where
        assert office.count() == 3
        assert office.dashboard(f.POLICY.id, DAY).counts.total == 3
        assert len(office.export_rows()) == 3
        assert len(office.history()) == 3
        refused = _refused(team, "office", lambda: office.import_folder(tmp_path / "more"))
        assert "technicians" in refused.message and "technician" in refused.next_step
        first_scan, rescan, actions = f.audit_inputs(
            f.phone("OFFICE1"), f.AROHA, f.Outcome.CLEAN, day=DAY
        )
        _refused(team, "office", lambda: office.record_audit([first_scan, rescan], actions))
        refused = _refused(
            team,
            "office",
            lambda: office.enrol_technician("Sam", Signer.generate().fingerprint, by="Cat"),
        )
        assert "administrator" in refused.next_step
        _refused(team, "office", lambda: office.accept_policy(first, by="Cat"))
        _refused(team, "office", lambda: office.require_signed_policies(True, by="Cat"))
        assert office.count() == 3 and office.technicians() == []
    with team.raw("office") as raw:  # even outside the app, straight SQL
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            raw.execute("DELETE FROM audits")
        raw.execute("SET default_transaction_read_only = off")  # its own session: no way in
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("UPDATE audits SET status = 'compliant'")
    logged = caplog.text
    assert all(password not in logged for password in team.passwords.values())


def test_a_technician_records_and_imports_but_cannot_enrol_or_accept_a_policy(
    team: Team, tmp_path: Path
) -> None:
    signer = Signer.generate()
    receipts(tmp_path / "in", signer, 2)
    first, _second = r.policy_files(tmp_path / "policies")
    with team.store("technician") as bench:
        assert bench.import_folder(tmp_path / "in").imported == 2
        first_scan, rescan, actions = f.audit_inputs(
            f.phone("BENCH1"), f.AROHA, f.Outcome.CLEAN, day=DAY
        )
        bench.record_audit([first_scan, rescan], actions, person_name="Aroha", technician="Tia")
        assert bench.count() == 3
        refused = _refused(
            team,
            "technician",
            lambda: bench.enrol_technician("Sam", Signer.generate().fingerprint, by="Tia"),
        )
        assert "administrator" in refused.message and "administrator" in refused.next_step
        _refused(team, "technician", lambda: bench.accept_policy(first, by="Tia"))
        _refused(team, "technician", lambda: bench.require_signed_policies(True, by="Tia"))
        assert bench.technicians() == [] and bench.accepted_policies() == []
    with team.raw("technician") as raw:
        for statement in (
            "DELETE FROM attestations",
            "DELETE FROM audits",
            "UPDATE attestations SET envelope = ''::bytea",
            "INSERT INTO technicians VALUES ('x', 'x', 'x', 'x', '', NULL)",
            "CREATE TABLE mine (id int)",
            "UPDATE da_meta SET user_version = 99",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute(statement)


def test_the_administrator_enrols_accepts_and_records(team: Team, tmp_path: Path) -> None:
    signer = Signer.generate()
    receipts(tmp_path / "in", signer, 2)
    first, _second = r.policy_files(tmp_path / "policies")
    with team.store("admin") as admin:
        admin.enrol_technician("Sam", Signer.generate().fingerprint, by="Dan")
        admin.accept_policy(first, by="Dan")
        admin.require_signed_policies(True, by="Dan")
        admin.require_signed_policies(False, by="Dan")
        assert admin.import_folder(tmp_path / "in").imported == 2
        assert [t.name for t in admin.technicians()] == ["Sam"]
        assert len(admin.accepted_policies()) == 1
    with team.store("office") as office:  # and everyone reads the decisions
        assert [t.name for t in office.technicians()] == ["Sam"]


@pytest.mark.parametrize("group", ["technician", "office", "admin"])
def test_no_person_can_create_accounts_or_databases(team: Team, group: str) -> None:
    with team.raw(group) as raw:
        # The office's sessions are read-only, but it can turn that off: the grants must hold.
        raw.execute("SET default_transaction_read_only = off")
        for statement in (
            "CREATE ROLE sneaky LOGIN SUPERUSER",
            "CREATE ROLE sneaky NOLOGIN",
            "CREATE DATABASE sneaky",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute(statement)
        mine = {
            r[0]
            for r in raw.execute(
                "SELECT rolname FROM pg_roles WHERE pg_has_role(current_user, oid, 'MEMBER')"
            )
        }
    # Exactly its own login and one group (the admin's group includes the technician's).
    roles = group_roles(str(psycopg.conninfo.conninfo_to_dict(team.dsn)["dbname"]))
    login = str(psycopg.conninfo.conninfo_to_dict(team.address[group])["user"])
    assert mine == {login, roles[group]} | ({roles["technician"]} if group == "admin" else set())


def test_a_person_of_one_history_cannot_even_connect_to_another(
    team: Team, postgres_server: Any
) -> None:
    other = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE \"{other}\" TEMPLATE template0 ENCODING UTF8 LOCALE 'C'")
    try:
        other_dsn = postgres_server.dsn(other)
        setup_roles(other_dsn)
        here = str(psycopg.conninfo.conninfo_to_dict(team.dsn)["dbname"])
        elsewhere = team.address["technician"].replace(f"/{here}", f"/{other}")
        with pytest.raises(StoreError, match="does not let this login in") as refused:
            Store(elsewhere)
        assert team.passwords["technician"] not in f"{refused.value} {refused.value.next_step}"
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')


def test_moving_a_person_to_the_office_takes_their_writes_away(team: Team, tmp_path: Path) -> None:
    receipts(tmp_path / "in", Signer.generate(), 1)
    login = str(psycopg.conninfo.conninfo_to_dict(team.address["technician"])["user"])
    moved = add_person(team.dsn, login, "office")  # the password is kept
    assert not moved.created and moved.group == "office"
    assert moved.address.startswith(f"postgresql://{login}@") and "pw-" not in moved.address
    with team.store("technician") as now_office:
        _refused(team, "technician", lambda: now_office.import_folder(tmp_path / "in"))


def test_an_account_with_server_powers_is_never_made_a_team_member(team: Team) -> None:
    tag = secrets.token_hex(3)  # roles belong to the whole server: new names each run
    with psycopg.connect(team.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE boss_x{tag} LOGIN CREATEROLE")
    with pytest.raises(StoreError, match="not an ordinary login"):
        add_person(team.dsn, f"boss_x{tag}", "technician", "long-enough-pw")
    with psycopg.connect(team.dsn, autocommit=True) as conn:  # powers borrowed from a role
        conn.execute(f"CREATE ROLE reader_x{tag} LOGIN IN ROLE pg_read_all_data")
        conn.execute(f"CREATE ROLE writer_x{tag} LOGIN")
        conn.execute(f"CREATE ROLE middle_x{tag} NOLOGIN IN ROLE pg_write_all_data")
        conn.execute(f"GRANT middle_x{tag} TO writer_x{tag}")
    for login in (f"reader_x{tag}", f"writer_x{tag}"):
        with pytest.raises(StoreError, match="not an ordinary login"):
            add_person(team.dsn, login, "office", "long-enough-pw")
    roles = setup_roles(team.dsn).roles
    with pytest.raises(StoreError, match="cannot be a login name"):
        add_person(team.dsn, roles["technician"], "admin", "long-enough-pw")
    with pytest.raises(StoreError, match="too weak"):
        add_person(team.dsn, "ann_x", "technician", "short")
    with pytest.raises(StoreError, match="needs a password"):
        add_person(team.dsn, f"new_person_x{tag}", "technician")


@pytest.mark.parametrize("made", ["LOGIN PASSWORD 'x'", "NOLOGIN IN ROLE pg_write_all_data"])
def test_a_hand_made_group_that_can_log_in_or_holds_powers_is_refused(
    postgres_dsn: str, made: str
) -> None:
    roles = group_roles(str(psycopg.conninfo.conninfo_to_dict(postgres_dsn)["dbname"]))
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{roles["office"]}" {made}')
    with pytest.raises(StoreError, match="cannot be used as one of the team's groups"):
        setup_roles(postgres_dsn)
    with psycopg.connect(postgres_dsn) as conn:  # one transaction: nothing half made
        made = conn.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname = ANY(%s)", (list(roles.values()),)
        ).fetchone()
    assert made == (1,)


def test_the_password_is_sent_as_a_verifier_and_never_stored_as_text(team: Team) -> None:
    login = str(psycopg.conninfo.conninfo_to_dict(team.address["office"])["user"])
    with psycopg.connect(team.dsn) as conn:
        stored = conn.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (login,)
        ).fetchone()
    assert stored is not None and str(stored[0]).startswith("SCRAM-SHA-256$")
    assert team.passwords["office"] not in str(stored[0])


def test_only_an_address_is_taken_never_a_path_or_key_value_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq's key=value form would reach Store as a file path: a SQLite file named after it,
    password and all."""
    monkeypatch.chdir(tmp_path)
    for target in ("host=db user=x password=Kv-secret-1", "history.sqlite3"):
        with pytest.raises(StoreError, match="cannot be read") as refused:
            setup_roles(target)
        with pytest.raises(StoreError, match="cannot be read") as refused_too:
            add_person(target, "ann_y", "office")
        for error in (refused.value, refused_too.value):
            assert "Kv-secret-1" not in f"{error} {error.next_step}"
    assert list(tmp_path.iterdir()) == []


def test_the_superuser_is_needed_to_set_up_and_a_role_maker_to_add_people(team: Team) -> None:
    with pytest.raises(StoreError, match="needs the server's superuser account") as refused:
        setup_roles(team.address["admin"])
    with pytest.raises(StoreError, match="may not create accounts") as refused_too:
        add_person(team.address["admin"], "ann_z", "office", "long-enough-pw")
    for error in (refused.value, refused_too.value):
        assert team.passwords["admin"] not in f"{error} {error.next_step}"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_a_login_name_is_a_plain_name_or_refused_in_words(login: str) -> None:
    try:
        check_login(login)
    except StoreError as refused:
        assert "login name" in refused.message
    else:
        assert login.isascii() and login == login.lower() and 0 < len(login) <= 63
        assert not login.startswith(("pg_", "da_")) and '"' not in login


def _cli(*argv: str) -> int:
    """The `team` command as `device-audit team ...` runs it (its parser, its function)."""
    import argparse

    from audit.cli import team_cmd

    parser = argparse.ArgumentParser(prog="device-audit")
    team_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_the_team_commands_set_up_roles_and_add_a_person_without_showing_a_password(
    postgres_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    import io

    server_password = str(psycopg.conninfo.conninfo_to_dict(postgres_dsn)["password"])
    assert _cli("team", "roles", postgres_dsn) == 0
    assert _cli("team", "roles", postgres_dsn) == 0  # again: nothing new
    said = capsys.readouterr().out
    assert said.count("(new)") == 3 and said.count("(already there)") == 3
    login = f"ann_{secrets.token_hex(3)}"
    password = f"Her-own-{secrets.token_hex(4)}"
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    assert (
        _cli("team", "add-person", postgres_dsn, login, "--role", "technician", "--password-stdin")
        == 0
    )
    said += capsys.readouterr().out
    assert f"{login} may now use the team history as technician: postgresql://{login}@" in said
    assert server_password not in said and password not in said
    receipts(tmp_path / "in", Signer.generate(), 1)
    with Store(_as(postgres_dsn, login, password)) as bench:
        assert bench.import_folder(tmp_path / "in").imported == 1
    assert (
        _cli("team", "add-person", postgres_dsn, login, "--role", "office", "--keep-password") == 0
    )
    assert f"{login} is now office on the team history" in capsys.readouterr().out
    with Store(_as(postgres_dsn, login, password)) as office:
        assert office.count() == 1


def test_the_team_commands_refuse_a_file_path_without_echoing_it() -> None:
    with pytest.raises(AuditError) as refused:
        _cli("team", "roles", "host=db password=hunter2-secret-value")
    assert "not the address of a team history" in str(refused.value)
    assert "hunter2-secret-value" not in str(refused.value)


def test_only_an_enrolled_technician_key_makes_an_audit_witnessed(
    team: Team, tmp_path: Path
) -> None:
    """The app judges it; the database holds to it too, so a technician's own SQL session
    cannot turn a self-attested audit into a witnessed one."""
    from audit.attestation import write_receipt
    from tests.audit.store.test_trust_attacks import cabled

    sam, stranger = Signer.generate(), Signer.generate()
    folder = tmp_path / "in"
    folder.mkdir()
    ben = f.Person("Ben Ito", "PS-2000")
    for name, signer, serial, person, technician in (
        ("sam.json", sam, "W1", f.AROHA, "Sam"),
        ("own.json", stranger, "S1", ben, ""),  # Ben's own key: self-attested
    ):
        envelope = f.receipt(
            signer, cabled(serial), person, f.Outcome.CLEAN, day=DAY, technician=technician
        )
        write_receipt(envelope, folder / name)
    with team.store("admin") as admin:
        admin.enrol_technician("Sam", sam.fingerprint, by="Dan")
    with team.store("technician") as bench:
        assert bench.import_folder(folder).imported == 2
    with team.raw("technician") as raw:
        kinds = dict(raw.execute("SELECT signer, assurance FROM audits").fetchall())
        assert kinds == {sam.fingerprint: "witnessed", stranger.fingerprint: "self-attested"}
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="enrolled technician"):
            raw.execute("UPDATE audits SET assurance = 'witnessed'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="enrolled technician"):
            raw.execute("UPDATE audits SET signer = %s", (stranger.fingerprint,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="enrolled technician"):
            raw.execute(  # lending Ben's audit the enrolled key's name
                "UPDATE audits SET signer = %s, assurance = 'witnessed' WHERE signer = %s",
                (sam.fingerprint, stranger.fingerprint),
            )
    with team.store("admin") as admin:  # revoking rewrites the notes; the guard lets it
        admin.revoke_technician(sam.fingerprint, by="Dan")
    with team.raw("office") as raw:
        kinds = dict(raw.execute("SELECT signer, assurance FROM audits").fetchall())
    assert kinds[sam.fingerprint] == "witnessed"  # signed before the revocation: it stays


def test_a_refusal_reaches_the_person_as_words_through_the_command_line(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through main(), as `device-audit team ...` runs once the command is listed."""
    import io

    from audit.cli import COMMANDS, main

    monkeypatch.setitem(COMMANDS, "team", "audit.cli.team_cmd")
    server_password = str(psycopg.conninfo.conninfo_to_dict(postgres_dsn)["password"])
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-password\n"))
    args = ("--role", "office", "--password-stdin")
    assert main(["team", "add-person", postgres_dsn, "cat_x", *args]) == 2  # no roles yet
    err = capsys.readouterr().err
    assert "roles are not set up" in err and "device-audit team roles" in err
    assert main(["team", "add-person", postgres_dsn, "Robert'); DROP", *args]) == 2
    err += capsys.readouterr().err
    assert "cannot be a login name" in err and server_password not in err


def test_team_roles_needs_the_superuser_and_says_so_before_making_anything(
    postgres_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """An account that may create roles and owns the database, but is not the superuser,
    once failed half-way on PostgreSQL 15 ("must be member of role ..._owner") and was told to
    ask its administrator. Now it is told what account it needs, and nothing is made: no
    schema, no group; the superuser's run then sets the team up."""
    from audit.cli import main

    tag = secrets.token_hex(3)
    boss, name, password = f"boss_y{tag}", f"t_lock_{tag}", f"pw-{secrets.token_hex(8)}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {boss} LOGIN CREATEROLE PASSWORD '{password}'")
        admin.execute(
            f"CREATE DATABASE {name} OWNER {boss} TEMPLATE template0 ENCODING UTF8 LOCALE 'C'"
        )
    try:
        params = psycopg.conninfo.conninfo_to_dict(postgres_server.dsn(name))
        as_boss = f"postgresql://{boss}:{password}@{params['host']}:{params['port']}/{name}"
        code = main(["team", "roles", as_boss])
        out, err = capsys.readouterr()
        assert code == 2 and out == ""
        assert "needs the server's superuser account" in err and "postgresql://postgres@" in err
        assert password not in err
        with psycopg.connect(postgres_server.dsn(name)) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()
            groups = conn.execute(
                "SELECT count(*) FROM pg_roles WHERE rolname LIKE %s", (f"da_{name}%",)
            ).fetchone()
        assert (tables, groups) == ((0,), (0,))
        assert main(["team", "roles", postgres_server.dsn(name)]) == 0
        capsys.readouterr()
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for group in ("technician", "office", "admin", "owner"):
                admin.execute(f'DROP ROLE IF EXISTS "da_{name}_{group}"')
            admin.execute(f"DROP ROLE IF EXISTS {boss}")
