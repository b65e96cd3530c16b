"""`device-audit history move-to postgresql://user@server/database [--db FILE]`: move this
bench's history (a SQLite file) into the helpdesk team's history on PostgreSQL (issue 18).

Idempotent (audit.store.move says the rules): run it again, or after a cut connection, and
each audit is moved once; one the team holds by its id is completed with what the bench adds.
It prints what moved (the inventories the audits were judged on among it), what was there
already or completed, each audit it refused with the reason, and the bench's trust decisions
it left for the team's administrator. The
address is shown without its password; the password comes from the keyring (or libpq's
PGPASSWORD / .pgpass). Exit code 1 when some audit was refused, 0 otherwise.

`device-audit history send [ADDRESS]`: send the audits this bench kept on this computer while
the team history's server could not be reached (audit.store.outbox) into the team history; the
address defaults to DEVICE_AUDIT_DB. Exit code 1 while some audit is still waiting (refused by
the team, with the reason), 0 otherwise. A server still away is an error: nothing is lost.

Hooked under `history` by `add_action(actions)` beside `rejudge` (audit/cli/rejudge_cmd.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.cli import EXIT_NOT_COMPLIANT, EXIT_OK, json_words, print_json
from audit.errors import AuditError
from audit.i18n import _
from audit.text import visible

if TYPE_CHECKING:
    from audit.store.move import MoveReport


def add_action(actions: Any) -> None:
    """Add `move-to` to the `history` command's actions (the subparsers rejudge made)."""
    parser = actions.add_parser(
        "move-to",
        help=_("move this bench's history into the helpdesk team's history (PostgreSQL)"),
        description=_(
            "Move every audit of this bench's history into the team history on a PostgreSQL "
            "server. An audit the team history already holds (by its id or its receipt) is not "
            "moved again, so running it twice moves nothing more. Audits signed by a key the "
            "team trusts for someone else are refused with the reason. Exit code 1 when some "
            "audit was refused."
        ),
    )
    parser.add_argument(
        "target",
        metavar="postgresql://USER@SERVER/DATABASE",
        help=_("the team history's address (the password comes from the keyring)"),
    )
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        dest="move_db",
        help=_(
            "this bench's history file (default: history.sqlite3 in Device Audit's data folder)"
        ),
    )
    parser.add_argument(
        "--json", action="store_true", dest="move_json", help=_("print the result as JSON")
    )
    parser.set_defaults(func=run_move_to)
    add_send(actions)


def add_send(actions: Any) -> None:
    """Add `send` to the `history` command's actions."""
    from audit.cli import target as history_target

    parser = actions.add_parser(
        "send",
        help=_("send the audits kept on this computer while the team history was away"),
        description=_(
            "When the team history's server cannot be reached, audits are kept on this "
            "computer and sent at the next audit recorded while it is up. This sends them now. "
            "An audit the team history already holds is not sent again. One the team history "
            "refuses stays on this computer, with the reason. Exit code 1 while some audit is "
            "still waiting."
        ),
    )
    parser.add_argument(
        "send_target",
        nargs="?",
        type=history_target.parse,
        metavar="postgresql://USER@SERVER/DATABASE",
        help=_("the team history's address (default: DEVICE_AUDIT_DB)"),
    )
    parser.set_defaults(func=run_send)


def run_send(args: argparse.Namespace) -> int:
    from audit.cli import target as history_target
    from audit.store import outbox

    target = history_target.chosen(args, "send_target")
    if not history_target.is_team(target):
        raise AuditError(
            _("Give the team history's address to send the waiting audits to."),
            _("Give it as postgresql://user@server:port/database, or set DEVICE_AUDIT_DB to it."),
        )
    if outbox.waiting() == 0:
        print(_("Nothing was waiting to be sent to the team history."))
        return EXIT_OK
    with history_target.open_store(target) as team:
        report = outbox.send(team)
        shown = team.where
    print(_("Into {target}:").format(target=shown))
    print("\n".join(visible(line) for line in report.lines()))
    return EXIT_NOT_COMPLIANT if report.waiting else EXIT_OK


def run_move_to(args: argparse.Namespace) -> int:
    from audit.store import Store, default_path
    from audit.store.db import OlderHistory
    from audit.store.move import move_history
    from audit.store.store import TEAM_SCHEMES, refuse_keyword_address

    target = str(args.target)
    if not target.lower().startswith(TEAM_SCHEMES):
        raise AuditError(
            _("{target} is not the address of a team history.").format(target=visible(target[:80])),
            _("Give it as postgresql://user@server:port/database."),
        )
    given = args.move_db or getattr(args, "db", None)  # `history --db X move-to` gives it too
    if given is not None and not isinstance(given, Path):  # an address (audit.cli.target.parse)
        raise AuditError(
            _("The history to move must be this bench's file, not a team history's address."),
            _("Give the bench's history file with --db (or none, for the one in the data folder)."),
        )
    db: Path = given or default_path()
    refuse_keyword_address(db)  # libpq's key=value form is no file: never name it as one
    if not db.exists():
        raise AuditError(
            _("There is no history at {path}.").format(path=visible(str(db))),
            _("Check the path; without --db the history in Device Audit's data folder is used."),
        )
    try:
        bench = Store(db, read_only=True)  # moving reads the bench; it writes nothing there
    except OlderHistory:
        bench = Store(db)  # brought up to date first, where it can be written
    with bench, Store(target) as team, json_words(args.move_json):  # --json: reasons in English
        report = move_history(bench, team)
        shown = team.where
    if args.move_json:
        print_json(_document(report, shown))
    else:
        print(_("Into {target}:").format(target=shown))
        print("\n".join(visible(line) for line in report.lines()))
    return EXIT_NOT_COMPLIANT if report.refused else EXIT_OK


def _document(report: MoveReport, shown: str) -> dict[str, Any]:
    return {
        "team_history": shown,
        "moved": report.moved,
        "already_there": report.already_there,
        "completed": report.completed,  # held already, given what this history added
        "rows": dict(sorted(report.rows.items())),  # "inventories" among them
        "inventories_not_moved": report.forged_inventories,  # not the inventory their digest names
        "refused": [
            {"audit_uid": uid, "person_name": person, "reason": reason}
            for uid, person, reason in report.refused
        ],
        "left_for_administrator": {k: v for k, v in sorted(report.for_admin.items()) if v},
    }
