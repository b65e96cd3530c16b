"""The team history's link to its server (issue 18): how long a bench waits, and what a failure
to connect means, in words a person can act on.

Why the time limits (the review of issue 18 found a bench hung for ever, and the whole team
"busy", when the link to the server went silent after the bench took the team's write lock):
- A dead network (a VPN that stalls, a NAT that forgets the connection, a Wi-Fi that drops) is
  found by TCP itself: keepalives probe a silent connection after KEEPALIVES_IDLE_S and give up
  after KEEPALIVES_COUNT probes KEEPALIVES_INTERVAL_S apart (about 90 s), and data left
  unacknowledged for TCP_USER_TIMEOUT_MS ends the connection (Linux). A slow or congested Wi-Fi
  still acknowledges within seconds, and a hand-over between access points takes a few; only a
  link that answers nothing for a minute and more is taken for dead. The server probes the
  bench the same way, so a bench that vanished frees its connection.
- A server or tunnel that accepts bytes but never answers (the kernel still acknowledges, so
  TCP sees nothing wrong): the server cancels any statement after STATEMENT_TIMEOUT, so an
  answer that has not come by then plus the address's connect_timeout (the time the network
  is given to answer) never will; the bench then gives up on the connection (`watch`). The
  longest statement the store runs is an import batch (up to 32 MB of receipts: seconds on a
  LAN, about four minutes at 1 Mbit/s); bringing the schema up to date has no limit.
- A dead bench's session on the server: a transaction left idle for IDLE_IN_TRANSACTION is
  ended by the server, which frees the team's one write lock. The store never waits on a person
  or a phone inside a transaction, and its longest pause between two statements is Python work
  on one batch (well under a second), so a minute keeps the other benches "busy" briefly at
  worst and never cuts a working bench.
An address may set these time limits itself (libpq's keepalives..., tcp_user_timeout and
connect_timeout, and `options=-c statement_timeout=...` and the others in TIME_LIMITS), for a
link known to be slower, or faster to give up; it may set no other server option.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import psycopg.conninfo
import psycopg.errors

from audit.errors import StoreError
from audit.i18n import _, ngettext

KEEPALIVES_IDLE_S = 30
KEEPALIVES_INTERVAL_S = 10
KEEPALIVES_COUNT = 6
TCP_USER_TIMEOUT_MS = 60_000
STATEMENT_TIMEOUT = "5min"
IDLE_IN_TRANSACTION = "1min"

# The server options an address may set: time limits only (a search_path or a
# synchronous_commit from an address would change what the store reads or what "saved" means).
TIME_LIMITS = {
    "statement_timeout": STATEMENT_TIMEOUT,
    "idle_in_transaction_session_timeout": IDLE_IN_TRANSACTION,
    "tcp_keepalives_idle": str(KEEPALIVES_IDLE_S),
    "tcp_keepalives_interval": str(KEEPALIVES_INTERVAL_S),
    "tcp_keepalives_count": str(KEEPALIVES_COUNT),
    "tcp_user_timeout": str(TCP_USER_TIMEOUT_MS),
}
# libpq's own settings of the link, used where the address names none.
LIBPQ_DEFAULTS = {
    "keepalives": "1",
    "keepalives_idle": str(KEEPALIVES_IDLE_S),
    "keepalives_interval": str(KEEPALIVES_INTERVAL_S),
    "keepalives_count": str(KEEPALIVES_COUNT),
    "tcp_user_timeout": str(TCP_USER_TIMEOUT_MS),
}


def _bad_address(problem: str) -> StoreError:
    return StoreError(
        problem, _("Check how it is written: postgresql://user@server:port/database.")
    )


def check_host_names(params: dict[str, Any]) -> None:
    """Refuse a server name no resolver takes (a part over 63 characters, an empty part):
    Python's resolver raises a UnicodeError for it, which is no message for a person."""
    for host in str(params.get("host") or "").split(","):
        if not host or host.startswith("/") or ":" in host:  # a socket folder, an IPv6 address
            continue
        try:
            host.encode("idna")
        except UnicodeError:
            raise _bad_address(
                _(
                    "The server name in the address given for the team history is not a valid "
                    "name (a part of it is empty or longer than 63 characters)."
                )
            ) from None


_TIME = re.compile(r"[0-9]{1,9}[a-z]{0,3}")
_UNITS = "abcdefghijklmnopqrstuvwxyz"


def server_options(address_options: str) -> str:
    """The `options` sent to the server: the time limits (the address's own where it sets
    them); StoreError for any other option in the address (not echoed: it may hold anything)."""
    limits = dict(TIME_LIMITS)
    tokens = address_options.split()
    while tokens:
        token = tokens.pop(0)
        if token == "-c" and tokens:
            token = tokens.pop(0)
        elif token.startswith(("-c", "--")):
            token = token[2:]
        else:
            token = ""
        name, equals, value = token.partition("=")
        name = name.strip().lower().replace("-", "_")
        # A value is a number and its unit ("90s", "5min"): nothing the server would read as
        # more than one option.
        # Nor the dead bench's guard switched off (0): the whole team would wait on its lock.
        off = name == "idle_in_transaction_session_timeout" and not value.strip("0" + _UNITS)
        if not equals or name not in TIME_LIMITS or not _TIME.fullmatch(value) or off:
            raise _bad_address(
                _(
                    "The address given for the team history sets a server option Device Audit "
                    "does not take; only these time limits may be set there: {names}."
                ).format(names=", ".join(TIME_LIMITS))
            )
        limits[name] = value
    return " ".join(f"-c {name}={value}" for name, value in limits.items())


class NoAnswer(psycopg.OperationalError):
    """The server did not answer within the time it was given (`watch`)."""


class _Watchdog:
    """One thread for the process: shuts the socket of a connection whose answer is overdue,
    so the wait on it ends (libpq has no time limit on an answer, and a connection belongs to
    the thread that uses it: shutting its socket is the one safe thing another thread may do)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._due: dict[int, tuple[float, int, list[bool]]] = {}
        self._thread: threading.Thread | None = None
        self._wake_at: float | None = None  # when the thread looks next (None: when told)

    @contextlib.contextmanager
    def watch(self, fileno: int, seconds: float) -> Iterator[list[bool]]:
        fired = [False]
        key = id(fired)
        due = time.monotonic() + seconds
        with self._lock:
            self._due[key] = (due, fileno, fired)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="team-history-watchdog", daemon=True
                )
                self._thread.start()
            # Woken only for a deadline sooner than the one it waits for: waking it for every
            # statement cost a switch between threads each time (~50 us a statement).
            if self._wake_at is None or due < self._wake_at:
                self._lock.notify()
        try:
            yield fired
        finally:
            with self._lock:
                self._due.pop(key, None)

    def _run(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                for key, (due, fileno, fired) in list(self._due.items()):
                    if due <= now:
                        del self._due[key]
                        fired[0] = True
                        _shut(fileno)
                self._wake_at = min((due for due, _f, _x in self._due.values()), default=None)
                self._lock.wait(None if self._wake_at is None else max(0.0, self._wake_at - now))


def _shut(fileno: int) -> None:
    with contextlib.suppress(OSError):
        twin = socket.fromfd(fileno, socket.AF_INET, socket.SOCK_STREAM)  # a duplicate
        with twin:
            twin.shutdown(socket.SHUT_RDWR)  # acts on the connection, not on the duplicate


_WATCHDOG = _Watchdog()


class WatchedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait for the server ends after `answer_within`
    seconds (None: no limit), with NoAnswer. `wait` is the one place psycopg waits on an open
    connection, whatever its version."""

    answer_within: float | None = None

    def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
        seconds = self.answer_within
        if seconds is None:
            return super().wait(gen, *args, **kwargs)
        with _WATCHDOG.watch(self.pgconn.socket, seconds) as fired:
            try:
                return super().wait(gen, *args, **kwargs)
            except psycopg.OperationalError:
                if not fired[0]:
                    raise
        with contextlib.suppress(Exception):
            self.close()
        shown = max(1, round(seconds))
        raise NoAnswer(
            ngettext(
                "no answer from the server in {seconds} second",
                "no answer from the server in {seconds} seconds",
                shown,
            ).format(seconds=shown)
        ) from None


def seconds(value: object, default: int) -> int:
    """A whole number from an address or a setting; `default` when it is not one (libpq
    itself refuses an address whose connect_timeout is not a number)."""
    try:
        return int(str(value))
    except ValueError:
        return default


def _guarantees(read_only: bool) -> str:
    """The server options after the time limits: what "saved" and "busy" mean in the store,
    which an address cannot change (lock_timeout bounds a wait for a lock as busy_timeout
    does on SQLite; see audit.store.pg)."""
    from audit.store.db import BUSY_TIMEOUT_MS

    return (
        f"-c lock_timeout={BUSY_TIMEOUT_MS} -c synchronous_commit=on -c TimeZone=UTC -c jit=off"
        + (" -c default_transaction_read_only=on" if read_only else "")
    )


def connect(
    conninfo: str, params: dict[str, Any], *, wait_s: int, read_only: bool = False
) -> WatchedConnection:
    """A session on the team history's server with the link's time limits, the store's
    guarantees and its answer deadline set (autocommit: transactions are explicit).

    The one way Device Audit opens a session there: the store (audit.store.pg) and the team's
    setup commands (`team roles`, `team add-person`: audit.store.pg_roles) alike, so none of
    them waits for ever on a silent server, and a failure means the same whoever meets it.
    `conninfo`: the address with its password; `params`: its parts (pg.parsed); `wait_s`: the
    connect_timeout where the address gives none. Raises what the driver raises (psycopg.Error;
    UnicodeError for a name no resolver takes), for the caller to say in words (`failure`), and
    StoreError, before connecting, for a server option the address may not set."""
    link = {k: v for k, v in LIBPQ_DEFAULTS.items() if not params.get(k)}
    timeout = seconds(params.get("connect_timeout"), wait_s)
    options = server_options(str(params.get("options") or ""))
    raw = WatchedConnection.connect(
        psycopg.conninfo.make_conninfo(conninfo, **link),
        autocommit=True,
        connect_timeout=timeout,
        application_name="Device Audit",
        options=f"{options} {_guarantees(read_only)}",
    )
    try:
        # An answer not come when the server would have cancelled the statement, and the
        # network had its connect_timeout to bring it, is not coming.
        grace = timeout if timeout > 0 else wait_s  # libpq: 0 is no limit
        raw.answer_within = grace
        row = raw.execute(
            "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'"
        ).fetchone()
        limit_ms = seconds(row[0] if row else None, 0)
        raw.answer_within = limit_ms / 1000 + grace if limit_ms else None
    except BaseException:
        raw.close()
        raise
    return raw


# --- what a failure to connect means ---------------------------------------------------------

AWAY, LOGIN, NO_PASSWORD, NO_DATABASE, NOT_LET_IN, ADDRESS, SLOW, ANSWERED = range(8)

# libpq's connection failures carry no SQLSTATE. Its own words are English (the driver's libpq
# has no translations); the server's, after "failed: ", start with their severity ("FATAL:  ").
_SERVER_SAID = re.compile(r"failed: [^\s:]+:  |FATAL:")
_AWAY_WORDS = ("the database system is starting up", "the database system is shutting down")
_ADDRESS_WORDS = re.compile(
    r'invalid (?:\S+|"[^"]*") value|invalid value "|invalid integer value|invalid port number'
    r"|invalid connection option|could not match \d+|cannot be mixed|weak sslmode"
    r"|invalid SSL protocol version range|host name must be specified"
    r"|is not supported on this platform"
)
# The server answered, but not as this address asked (TLS, authentication methods).
_CONFIG_WORDS = re.compile(
    r"SSL was required|certificate|channel binding|server requested|authentication method"
    r"|received invalid|expected authentication request"
)


def kind(exc: BaseException) -> int:
    """What a failure to connect (or a connection lost) means: AWAY only when the server did
    not answer; the others are answers (or an address libpq refused) that waiting won't fix."""
    if isinstance(exc, UnicodeError):
        return ADDRESS
    if isinstance(exc, NoAnswer):
        return AWAY
    state = str(getattr(exc, "sqlstate", None) or "")
    if state:
        return _by_state(state)
    with contextlib.suppress(Exception):  # a pgconn of another psycopg version
        if exc.pgconn is not None and exc.pgconn.needs_password:  # type: ignore[attr-defined]
            return NO_PASSWORD
    return _by_words(str(exc))


def _by_state(state: str) -> int:
    # 25P03, 57P05: the server ended a session that went quiet (a stalled link, as a rule).
    if state.startswith("08") or state in ("57P01", "57P02", "57P03", "25P03", "57P05"):
        return AWAY
    if state.startswith("28"):
        return LOGIN
    if state == "3D000":
        return NO_DATABASE
    if state == "42501":
        return NOT_LET_IN
    return SLOW if state == "57014" else ANSWERED


def _by_words(text: str) -> int:
    if _SERVER_SAID.search(text):
        if any(words in text for words in _AWAY_WORDS):
            return AWAY
        if "password authentication failed" in text or re.search(r'role "[^"]*" does not', text):
            return LOGIN
        if re.search(r'database "[^"]*" does not exist', text):
            return NO_DATABASE
        if "permission denied for database" in text or "no pg_hba.conf entry" in text:
            return NOT_LET_IN
        return ANSWERED
    if "fe_sendauth" in text:
        return NO_PASSWORD if "no password" in text else ANSWERED
    if _ADDRESS_WORDS.search(text):
        return ADDRESS
    if _CONFIG_WORDS.search(text):
        return ANSWERED
    # Anything else libpq says before the server answered (refused, timed out, reset, no route,
    # a name that does not resolve): away. Kept for later is the safe side: nothing is lost.
    return AWAY


def failure(shown: str, exc: BaseException, reason: str) -> StoreError:
    """The StoreError for a connection that failed with `exc`; `reason` is libpq's words with
    anything secret taken out."""
    found = kind(exc)
    if found != AWAY:  # (AWAY keeps libpq's words: they name the server and port tried)
        # The server's own words (or libpq's on the setting), without the driver's "connection
        # failed: connection to server at ... failed:" and the severity before them.
        reason = re.sub(r"^(?:.*failed: |connection is bad: )(?:[^\s:]+:  )?", "", reason) or reason
    if found == LOGIN:
        return StoreError(
            _("The team history {target} refused the login name or password ({error}).").format(
                target=shown, error=reason
            ),
            _(
                "Check the login name and the password. Keep the password in the keyring with "
                "`device-audit team save-password {target}`, or ask your administrator."
            ).format(target=shown),
        )
    if found == NO_PASSWORD:
        return StoreError(
            _(
                "The team history {target} asks for a password, and none is kept on this "
                "computer for this login."
            ).format(target=shown),
            _(
                "Keep it in the keyring once with `device-audit team save-password {target}`, "
                "or ask your administrator for it."
            ).format(target=shown),
        )
    if found == NO_DATABASE:
        return StoreError(
            _(
                "The team history {target} does not exist: the server has no database of "
                "that name ({error})."
            ).format(target=shown, error=reason),
            _("Check the database name at the end of the address, or ask your administrator."),
        )
    if found == NOT_LET_IN:
        return StoreError(
            _(
                "The server of the team history {target} does not let this login in ({error})."
            ).format(target=shown, error=reason),
            _("Ask your administrator to give this login access to the team history."),
        )
    if found == ADDRESS:
        return _bad_address(
            _(
                "The address given for the team history {target} has a setting that cannot be "
                "used ({error})."
            ).format(target=shown, error=reason)
        )
    if found == SLOW:
        return StoreError(
            _("The team history {target} took too long to answer ({error}).").format(
                target=shown, error=reason
            ),
            _("Try again; tell your administrator if it persists."),
        )
    if found == ANSWERED:
        return StoreError(
            _("The team history {target} refused the connection ({error}).").format(
                target=shown, error=reason
            ),
            _("Try again; tell your administrator if it persists."),
        )
    return StoreError(
        _("The team history {target} cannot be reached ({error}).").format(
            target=shown, error=reason
        ),
        _(
            "Check the network and that the server is running, then try again; ask your "
            "administrator if it persists."
        ),
    )
