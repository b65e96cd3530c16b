"""`device-audit team roles ADDRESS` and `device-audit team add-person ADDRESS LOGIN --role
technician|office|admin`: the team history's roles in the database (issue 18, audit.store.pg_roles).

Run by the server's administrator: ADDRESS is the team history's address with the
administrator's login (its password from the keyring, or libpq's PGPASSWORD / .pgpass). The
new person's password is asked twice and never echoed; `--password-stdin` reads one line from
standard input instead, for a script (never a command-line argument: it would be seen in the
process list and the shell's history). Nothing printed shows a password.

Both connect as the store does (the same time limits, the same words for a server that cannot
be reached or refuses the login) and make their changes in one transaction: a server lost
half-way leaves nothing half made, and running the command again makes what is missing.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from audit.cli import EXIT_OK
from audit.errors import AuditError
from audit.i18n import N_, _
from audit.text import visible

# Marked here, translated when printed (after the language is chosen).
ROLE_WORDS = {
    "technician": N_("records audits and imports receipts; reads everything"),
    "office": N_("reads, searches and exports; never writes"),
    "admin": N_(
        "what a technician may, and enrols technician keys, accepts policies and exemptions, "
        "changes settings"
    ),
}


def register(sub: Any) -> None:
    team = sub.add_parser(
        "team",
        help=_("set up the team history's roles on its server, and give people their logins"),
        description=_(
            "Roles in the team history's database: technicians record audits and import "
            "receipts, the compliance office reads and exports, the administrator also enrols "
            "technician keys and accepts policies. Each person logs in with a login of their "
            "own. Run roles and add-person with the server's administrator account, "
            "save-password with your own login."
        ),
    )
    actions = team.add_subparsers(dest="action", metavar="ACTION", required=True)
    roles = actions.add_parser(
        "roles",
        help=_("create the three roles and their rights (again after each upgrade)"),
        description=_(
            "Create the team history's three roles (technician, office, admin) and give each "
            "its rights. Running it again changes nothing, or puts the rights back to what "
            "they should be; run it again after each upgrade of Device Audit."
        ),
    )
    _address(roles)
    roles.set_defaults(func=run_roles)
    person = actions.add_parser(
        "add-person",
        help=_("give a person a login of their own in one role"),
        description=_(
            "Give a person a login of their own in one role of the team history. An existing "
            "login is moved to that role; its password is kept unless a new one is given."
        ),
    )
    _address(person)
    person.add_argument(
        "login", metavar="LOGIN", help=_("the person's login name (e.g. ann_smith)")
    )
    person.add_argument(
        "--role", required=True, choices=sorted(ROLE_WORDS), help=_("what the person may do")
    )
    person.add_argument(
        "--password-stdin",
        action="store_true",
        help=_("read the person's password from standard input instead of asking"),
    )
    person.add_argument(
        "--keep-password",
        action="store_true",
        help=_("an existing login: change only its role, not its password"),
    )
    person.set_defaults(func=run_add_person)
    keep = actions.add_parser(
        "save-password",
        help=_("keep your password for a team history in this computer's keyring"),
        description=_(
            "Keep your password for a team history in this computer's keyring, so the "
            "address you give with --db or DEVICE_AUDIT_DB needs no password: a password "
            "typed in an address can be seen by anyone on this computer while the command "
            "runs. Anyone may run this, with their own login."
        ),
    )
    keep.add_argument(
        "target",
        metavar="postgresql://USER@SERVER/DATABASE",
        help=_("the team history's address, with your own login and no password"),
    )
    keep.add_argument(
        "--password-stdin",
        action="store_true",
        help=_("read the password from standard input instead of asking"),
    )
    keep.set_defaults(func=run_save_password)


def _address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        metavar="postgresql://ADMIN@SERVER/DATABASE",
        help=_("the team history's address, with the server administrator's login"),
    )


def _team_address(args: argparse.Namespace) -> str:
    target = str(args.target).strip()
    if not target.lower().startswith(("postgresql://", "postgres://")):
        # Not echoed in full: it could be a password typed in the wrong place.
        raise AuditError(
            _("{target} is not the address of a team history.").format(
                target=visible(target[:20]) + ("…" if len(target) > 20 else "")
            ),
            _("Give it as postgresql://user@server:port/database."),
        )
    return target


def _roles(target: str) -> Any:
    """audit.store.pg_roles, or the missing driver said in words (a pip install without the
    `team` extra), not an ImportError's traceback."""
    try:
        from audit.store import pg_roles
    except ImportError as missing:
        from audit.cli.target import no_driver, shown

        raise no_driver(shown(target), missing) from None
    return pg_roles


def run_roles(args: argparse.Namespace) -> int:
    target = _team_address(args)
    roles = _roles(target)
    from audit.store.pg import redact  # importable: pg_roles imports it

    report = roles.setup_roles(target)
    print(_("The team history {target} has its roles:").format(target=redact(target)))
    for group in roles.GROUPS:
        made = _("new") if group in report.created else _("already there")
        print(f"  {group:<11} {report.roles[group]} ({made}): {_(ROLE_WORDS[group])}")
    print(
        _(
            "Next: give each person a login with `device-audit team add-person ADDRESS LOGIN "
            "--role ROLE`."
        )
    )
    return EXIT_OK


def _password(args: argparse.Namespace) -> str | None:
    if args.keep_password:
        return None
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass(_("Password for {login}: ").format(login=args.login))
    again = getpass.getpass(_("The same password again: "))
    if first != again:
        raise AuditError(_("The two passwords differ; nothing was changed."), _("Run it again."))
    return first


def run_add_person(args: argparse.Namespace) -> int:
    target = _team_address(args)
    roles = _roles(target)
    roles.check_login(args.login)  # before asking for a password it would not use
    person = roles.add_person(target, args.login, args.role, _password(args))
    if person.created:
        print(
            _("{login} may now use the team history as {role}: {address}").format(
                login=person.login, role=person.group, address=person.address
            )
        )
    else:
        print(
            _("{login} is now {role} on the team history: {address}").format(
                login=person.login, role=person.group, address=person.address
            )
        )
    print(
        _(
            "Give the person this address and their password yourself; the password is not "
            "kept on this computer."
        )
    )
    return EXIT_OK


def run_save_password(args: argparse.Namespace) -> int:
    """The password of a team history's login into the keyring (audit.store.pg's entry, the
    one the app's File > Team history... fills too), asked without showing it."""
    target = _team_address(args)
    _roles(target)  # psycopg present, or what to install
    from audit.store import pg

    pg.parsed(target)  # an address libpq cannot read is refused before asking anything
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass(_("Password for {target}: ").format(target=pg.redact(target)))
    if not password:
        raise AuditError(_("No password was given; nothing was kept."), _("Run it again."))
    shown = pg.remember_password(target, password)
    print(
        _(
            "The password for {target} is kept in this computer's keyring. Give the address "
            "without a password from now on: --db {target}"
        ).format(target=shown)
    )
    return EXIT_OK
