"""A real PostgreSQL server for the team-history tests (issue 18), never a mock.

Where the server comes from, in order:
- DEVICE_AUDIT_TEST_POSTGRES: a DSN of a server someone runs for us (a CI service); each test
  still gets a database of its own on it.
- Otherwise a private server started here from the distribution's binaries (PostgreSQL 15 on
  Debian: /usr/lib/postgresql/15/bin): a new cluster in a temporary folder, a Unix socket in that
  folder and a private TCP port on 127.0.0.1, run as an unprivileged user (initdb and postgres
  refuse to run as root, and a test has no business running a server as root anyway), stopped
  and deleted at the end of the session.
- Otherwise the tests that need a server skip, saying why and how to get one: the README's test
  command must run without one; .ci/run installs the distribution's package and sets
  DEVICE_AUDIT_REQUIRE_POSTGRES, so there they fail instead of skipping.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ENVIRONMENT = "DEVICE_AUDIT_TEST_POSTGRES"
REQUIRED = "DEVICE_AUDIT_REQUIRE_POSTGRES"  # set by .ci/run: fail, never skip, without a server
SUPERUSER = "da_admin"


def binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, newest version first; None if absent."""
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted(
            (p for p in root.iterdir() if (p / "bin" / "pg_ctl").exists()),
            key=lambda p: int(p.name) if p.name.isdigit() else 0,
            reverse=True,
        )
        if versions:
            return versions[0] / "bin"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """One running server: `dsn(database)` connects as its superuser over TCP with a password."""

    host: str
    port: int
    password: str
    folder: Path | None = None  # ours to stop and delete; None for an outside server
    outside_dsn: str | None = None

    def dsn(self, database: str = "postgres") -> str:
        if self.outside_dsn is not None:
            import psycopg.conninfo

            params = psycopg.conninfo.conninfo_to_dict(self.outside_dsn)
            params["dbname"] = database
            return psycopg.conninfo.make_conninfo(**params)  # type: ignore[arg-type]
        return (
            f"postgresql://{SUPERUSER}:{self.password}@{self.host}:{self.port}/{database}"
            "?connect_timeout=10"
        )

    def stop(self) -> None:
        if self.folder is None:
            return
        bin_dir = binaries()
        if bin_dir is not None and (self.folder / "data" / "postmaster.pid").exists():
            _run_as_server_user(
                [str(bin_dir / "pg_ctl"), "stop", "-D", str(self.folder / "data"), "-m", "fast"],
                self.folder,
            )
        shutil.rmtree(self.folder, ignore_errors=True)


def _run_as_server_user(command: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    if os.geteuid() == 0:  # root: drop to 'nobody' for initdb, pg_ctl and the server itself
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
    return subprocess.run(
        command,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )


def start() -> Server | str:
    """A running server, or the reason there is none (a skip message that says what to do)."""
    outside = os.environ.get(ENVIRONMENT)
    if outside:
        return Server(host="", port=0, password="", outside_dsn=outside)
    bin_dir = binaries()
    if bin_dir is None:
        return (
            "no PostgreSQL server: install the distribution's package (apt-get install "
            f"postgresql) or set {ENVIRONMENT} to a DSN; .ci/run does the first"
        )
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "running as root without setpriv: cannot start PostgreSQL as an unprivileged user"
    folder = Path(tempfile.mkdtemp(prefix="device-audit-pg-"))
    password = secrets.token_hex(16)
    (folder / "pw").write_text(password + "\n", encoding="utf-8")
    if os.geteuid() == 0:
        shutil.chown(folder, "nobody", "nogroup")
        shutil.chown(folder / "pw", "nobody", "nogroup")
    folder.chmod(0o700)
    made = _run_as_server_user(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            SUPERUSER,
            "-A",
            "scram-sha-256",
            f"--pwfile={folder / 'pw'}",
            "-k",  # page checksums: the server refuses a damaged page
            "--locale=C.UTF-8",
            "-E",
            "UTF8",
        ],
        folder,
    )
    if made.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        return f"initdb failed: {made.stderr.strip()[-400:]}"
    port = _free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=on"
    started = _run_as_server_user(
        [
            str(bin_dir / "pg_ctl"),
            "start",
            "-w",
            "-D",
            str(folder / "data"),
            "-l",
            str(folder / "server.log"),
            "-o",
            options,
        ],
        folder,
    )
    if started.returncode != 0:
        log = (folder / "server.log").read_text(errors="replace")[-400:]
        shutil.rmtree(folder, ignore_errors=True)
        return f"PostgreSQL did not start: {started.stderr.strip()[-200:]} {log}"
    return Server(host="127.0.0.1", port=port, password=password, folder=folder)


# pytest fixtures (tests/conftest.py loads this module as a plugin).
import pytest  # noqa: E402 - the helpers above are usable without pytest


@pytest.fixture(scope="session")
def postgres_server() -> object:
    """The session's server; the tests that need it skip, saying why, when there is none."""
    found = start()
    if isinstance(found, str):
        if os.environ.get(REQUIRED):
            pytest.fail(f"{REQUIRED} is set (CI) but there is {found}")
        pytest.skip(found)
    yield found
    found.stop()


@pytest.fixture
def postgres_dsn(postgres_server: Server) -> object:
    """A new, empty database of this test's own on the session's server; its DSN."""
    import psycopg

    name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        # C collation: byte order, as SQLite's BINARY compares (docs/research/team-history §1).
        admin.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING UTF8 LOCALE 'C'")
    yield postgres_server.dsn(name)
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
