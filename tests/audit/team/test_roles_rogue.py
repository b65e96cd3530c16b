"""Setting up the team's roles, tried the way a rogue technician would (issue 18): their own
login running `team roles` or `team add-person` (themselves to admin, a friend in), rights
granted before the setup that outlive it, a login name that means someone else or looks like a
colleague's, and a group or database name that is SQL. Each way in, against a real server.
"""

from __future__ import annotations

import io
import secrets
import socket
import unicodedata
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.errors import StoreError
from audit.store import Store

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")

from audit.store.pg_roles import add_person, check_login, group_roles, setup_roles  # noqa: E402
from tests.audit.team.test_roles import Team  # noqa: E402

pytestmark = pytest.mark.postgres


def _parts(dsn: str) -> dict[str, str]:
    return {k: str(v) for k, v in psycopg.conninfo.conninfo_to_dict(dsn).items()}


def _login(address: str) -> str:
    return _parts(address)["user"]


def _member_of(dsn: str, login: str) -> set[str]:
    """The team groups (and owner) of this history that `login` belongs to."""
    roles = group_roles(_parts(dsn)["dbname"])
    with psycopg.connect(dsn) as conn:
        return {
            group
            for group, role in roles.items()
            if conn.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (login, role)).fetchone()
            == (True,)
        }


def _exists(dsn: str, login: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (login,)).fetchone()
    return bool(row == (1,))


def test_a_technician_cannot_set_up_roles_promote_themselves_or_let_a_friend_in(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from audit.cli import main

    team = Team(postgres_dsn)
    mine = team.address["technician"]
    me = _login(mine)
    friend = f"friend_{secrets.token_hex(3)}"
    attempts = (
        (["team", "roles", mine], "needs the server's superuser account"),
        (["team", "add-person", mine, me, "--role", "admin", "--keep-password"], "may not create"),
        (["team", "add-person", mine, friend, "--role", "admin", "--password-stdin"], "may not"),
    )
    for argv, words in attempts:
        monkeypatch.setattr("sys.stdin", io.StringIO("friends-password-1\n"))
        assert main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == "" and words in err, (argv, err)
        assert team.passwords["technician"] not in err
    assert _member_of(postgres_dsn, me) == {"technician"}
    assert not _exists(postgres_dsn, friend)


def test_rights_granted_before_the_setup_do_not_outlive_it(postgres_server: Any) -> None:
    """The login that first opened the empty database owned the tables, and granted rights on
    them to everyone and to a colleague. `team roles` hands the tables to the owner role; the
    rights granted before once stayed, so an office login could enrol a technician key."""
    tag = secrets.token_hex(3)
    first, colleague, name = f"first_{tag}", f"mate_{tag}", f"t_first_{tag}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {first} LOGIN PASSWORD 'first-pw-1'")
        admin.execute(f"CREATE ROLE {colleague} LOGIN PASSWORD 'mate-pw-1'")
        admin.execute(
            f"CREATE DATABASE {name} OWNER {first} TEMPLATE template0 ENCODING UTF8 LOCALE 'C'"
        )
    dsn = postgres_server.dsn(name)
    p = _parts(dsn)
    as_first = f"postgresql://{first}:first-pw-1@{p['host']}:{p['port']}/{name}"
    try:
        Store(as_first).close()  # the schema, owned by the first login
        with psycopg.connect(as_first, autocommit=True) as conn:
            conn.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO PUBLIC")
            conn.execute(f"GRANT ALL ON technicians TO {colleague} WITH GRANT OPTION")
            conn.execute(f"GRANT UPDATE (status) ON audits TO {colleague}")
            conn.execute(f"GRANT CONNECT ON DATABASE {name} TO {colleague}")
            conn.execute(f"GRANT CREATE ON SCHEMA public TO {colleague}")
        setup_roles(dsn)
        office = f"office_{tag}"
        add_person(dsn, office, "office", "office-pw-1")
        as_office = f"postgresql://{office}:office-pw-1@{p['host']}:{p['port']}/{name}"
        with psycopg.connect(as_office, autocommit=True) as conn:
            conn.execute("SET default_transaction_read_only = off")  # its own session
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("INSERT INTO technicians VALUES ('x', 'x', 'x', 'x', '', NULL)")
        with psycopg.connect(dsn) as conn:
            held = conn.execute(
                "SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a"
                " WHERE c.relnamespace = 'public'::regnamespace"
                " AND a.grantee IN (0, %s::regrole)",
                (colleague,),
            ).fetchone()
            columns = conn.execute(
                "SELECT has_column_privilege(%s, 'audits', 'status', 'UPDATE'),"
                " has_database_privilege(%s, current_database(), 'CONNECT'),"
                " has_schema_privilege(%s, 'public', 'CREATE')",
                (colleague, colleague, colleague),
            ).fetchone()
        assert held == (0,) and columns == (False, False, False)
        # The database was theirs (they could drop any table of its schema): no longer even a
        # way in.
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(as_first).close()
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for role in group_roles(name).values():
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')
            for role in (f"office_{tag}", colleague, first):
                admin.execute(f"DROP ROLE IF EXISTS {role}")


NAMES_OF_SOMEONE_ELSE = ["public", "none", "current_user", "session_user", "all", "samerole"]


@pytest.mark.parametrize("login", NAMES_OF_SOMEONE_ELSE)
def test_a_login_name_that_means_someone_else_is_refused_in_words(
    postgres_dsn: str, login: str
) -> None:
    setup_roles(postgres_dsn)
    with pytest.raises(StoreError, match="means someone else"):
        add_person(postgres_dsn, login, "admin", "long-enough-pw")
    assert not _exists(postgres_dsn, login)


@pytest.mark.parametrize(
    "login",
    [
        "Ann_smith",  # PostgreSQL would fold it into ann_smith, a colleague
        "\u0430nn_smith",  # a Cyrillic a
        "ann_smith\u200b",  # an invisible space
        "ann_smith ",
        "ann_smith\x1b[2K",  # a terminal's "erase the line"
    ],
)
def test_a_login_name_that_looks_like_a_colleagues_is_refused_and_shown_as_typed(
    login: str,
) -> None:
    with pytest.raises(StoreError, match="cannot be a login name") as refused:
        check_login(login)
    assert "\x1b" not in refused.value.message and "\u200b" not in refused.value.message


def test_a_group_that_is_sql_is_refused_before_anything_is_sent() -> None:
    with socket.socket() as probe:  # nothing listens there: connecting would say so instead
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for group in ("admin; DROP ROLE postgres; --", "technician\x1b[2K", "ADMIN", "owner"):
        with pytest.raises(StoreError, match="is not a team role") as refused:
            add_person(f"postgresql://boss@127.0.0.1:{port}/audits", "ann_q", group, "pw-long-1")
        assert "\x1b" not in refused.value.message


def test_a_database_name_that_is_sql_gets_roles_of_its_own_and_harms_nothing(
    postgres_server: Any,
) -> None:
    tag = secrets.token_hex(3)
    name = f'x"; DROP ROLE canary_{tag}; --'
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE canary_{tag} NOLOGIN")
        admin.execute(
            psycopg.sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING UTF8 LOCALE 'C'"
            ).format(psycopg.sql.Identifier(name))
        )
    p = _parts(postgres_server.dsn())
    dsn = f"postgresql://{p['user']}:{p['password']}@{p['host']}:{p['port']}/{quote(name, safe='')}"
    try:
        report = setup_roles(dsn)
        assert report.database == name
        assert all(role.startswith("da_") and '"' not in role for role in report.roles.values())
        add_person(dsn, f"tech_{tag}", "technician", "long-enough-pw")
        assert _member_of(dsn, f"tech_{tag}") == {"technician"}
        assert _exists(dsn, f"canary_{tag}")
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
            admin.execute(
                psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    psycopg.sql.Identifier(name)
                )
            )
            for role in (f"tech_{tag}", *group_roles(name).values(), f"canary_{tag}"):
                admin.execute(
                    psycopg.sql.SQL("DROP ROLE IF EXISTS {}").format(psycopg.sql.Identifier(role))
                )


def test_a_login_given_the_owner_role_by_hand_is_not_made_a_team_member(postgres_dsn: str) -> None:
    """A member of the tables' owner role passes every grant whatever their group, and owns
    the database: such a login is refused, and told so, as one with server powers is."""
    roles = setup_roles(postgres_dsn).roles
    login = f"own_{secrets.token_hex(3)}"
    add_person(postgres_dsn, login, "technician", "long-enough-pw")
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(
            psycopg.sql.SQL("GRANT {} TO {}").format(
                psycopg.sql.Identifier(roles["owner"]), psycopg.sql.Identifier(login)
            )
        )
    assert _member_of(postgres_dsn, login) == {"technician", "owner"}
    with pytest.raises(StoreError, match="not an ordinary login"):
        add_person(postgres_dsn, login, "office")


def test_a_login_given_the_right_to_let_others_in_loses_it_when_added(postgres_dsn: str) -> None:
    """A technician holding ADMIN OPTION on their group (given by hand) could make an office
    login a writer without asking anyone: being added again keeps the group, not that right."""
    roles = setup_roles(postgres_dsn).roles
    login = f"opt_{secrets.token_hex(3)}"
    add_person(postgres_dsn, login, "technician", "long-enough-pw")
    grant = "GRANT {} TO {} WITH ADMIN OPTION"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(
            psycopg.sql.SQL(grant).format(
                psycopg.sql.Identifier(roles["technician"]), psycopg.sql.Identifier(login)
            )
        )
    add_person(postgres_dsn, login, "technician")
    with psycopg.connect(postgres_dsn) as conn:
        row = conn.execute(
            "SELECT admin_option FROM pg_auth_members"
            " WHERE roleid = %s::regrole AND member = %s::regrole",
            (roles["technician"], login),
        ).fetchone()
    assert row == (False,)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_no_two_databases_share_a_group_role(first: str, second: str) -> None:
    """Roles belong to the whole server: a database named after another's digest (someone who
    may create databases names one so) must not get that history's groups."""
    import hashlib
    from itertools import combinations

    names = {first, second} | {hashlib.sha256(n.encode()).hexdigest()[:16] for n in (first, second)}
    for one, other in combinations(sorted(names), 2):
        shared = set(group_roles(one).values()) & set(group_roles(other).values())
        assert not shared, (one, other)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_group_but_the_three_is_refused_before_connecting_and_shown_safely(
    group: str,
) -> None:
    if group in ("technician", "office", "admin"):
        return
    with pytest.raises(StoreError, match="is not a team role") as refused:
        # No server on port 1: connecting first would have said it cannot be reached.
        add_person("postgresql://boss@127.0.0.1:1/audits", "ann_q", group, "pw-long-1")
    shown = refused.value.message  # nothing that moves a terminal's cursor or hides text
    assert not [c for c in shown if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
