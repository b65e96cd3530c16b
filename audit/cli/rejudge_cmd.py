"""`device-audit history rejudge --policy ID`: judge stored audits again under a policy's current
version, without a rescan (audit.store.rejudge says the rules).

What it prints is what a helpdesk acts on: each device whose verdict got worse ("PS-1042's
Pixel 7: compliant under version 1 → not compliant under version 2: CapCut"), how many stayed as
they were, and each audit that could not be re-judged with the reason (an imported receipt
carries only its inventory's digest). Exit code 1 when some device got worse, 0 otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.cli import EXIT_NOT_COMPLIANT, EXIT_OK, json_words, print_json, target
from audit.errors import AuditError
from audit.files import path_problem
from audit.i18n import _
from audit.text import visible

if TYPE_CHECKING:
    from audit.store.inventories import HeldFile
    from audit.store.rejudge import RejudgeReport, Verdict


def register_under(history: argparse.ArgumentParser) -> None:
    """Add `rejudge` as an action of the `history` command."""
    actions = history.add_subparsers(dest="history_action", metavar="ACTION")
    parser = actions.add_parser(
        "rejudge",
        help=_("judge stored audits again under the policy's current version, without a rescan"),
        description=_(
            "Judge every device whose latest audit was made under an older version of "
            "the policy again, under the current version (built in, or the latest you accepted), "
            "from the inventory the history holds for it. A device that is now worse is recorded "
            "as 're-judged from the stored inventory, not rescanned' and counted so in the "
            "dashboard and export; a re-judgement never makes a device compliant. Running it "
            "again adds nothing. Exit code 1 when some device got worse."
        ),
    )
    parser.add_argument(
        "--policy", required=True, metavar="ID", dest="rejudge_policy", help=_("the policy's id")
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--version", metavar="V", help=_("the version you expect to be current (a check)")
    )
    which.add_argument(
        "--file",
        type=Path,
        metavar="FILE",
        help=_("the policy file you expect to be current; it must have been accepted"),
    )
    parser.add_argument(
        "--inventories",
        type=Path,
        metavar="DIR",
        help=_(
            "inventory files (scan --json) of imported receipts: each one whose digest a "
            "receipt signed is kept, so that audit can be re-judged"
        ),
    )
    parser.add_argument(
        "--db", type=target.parse, metavar="PATH|ADDRESS", dest="rejudge_db", help=_(target.DB_HELP)
    )
    parser.add_argument(
        "--json", action="store_true", dest="rejudge_json", help=_("print the result as JSON")
    )
    parser.set_defaults(func=run_rejudge)
    from audit.cli.move_cmd import add_action  # `history move-to` (issue 18)

    add_action(actions)


def run_rejudge(args: argparse.Namespace) -> int:
    db = target.existing(args, "rejudge_db", "db")  # also `history --db X rejudge`
    files, left_out = _inventory_files(args.inventories) if args.inventories else ([], [])
    # --json: reasons in English
    with target.open_store(db) as store, json_words(args.rejudge_json):
        report, held = store.rejudge(
            args.rejudge_policy,
            version=args.version,
            file=args.file,
            inventories=files,
        )
    held = sorted([*held, *left_out], key=lambda h: h.path)
    if args.rejudge_json:
        print_json(_document(report, held))
    else:
        _print(report, held)
    return EXIT_NOT_COMPLIANT if report.changed else EXIT_OK


def _inventory_files(folder: Path) -> tuple[list[Path], list[HeldFile]]:
    """(the files of `folder` to read, each entry left out with its reason), listed as the
    import lists a folder (audit.store.intake): a hidden file, a sub-folder, a pipe or a link
    to a device is named with why, never passed over in silence nor read (/dev/zero has no end).
    """
    from audit.store.intake import left_out_reason, passed_over
    from audit.store.inventories import HeldFile

    if not folder.is_dir():
        raise AuditError(
            _("{path} is not a folder.").format(path=visible(str(folder))),
            _("Give the folder that holds the inventory files (--inventories DIR)."),
        )
    reader = "history rejudge --inventories"
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise AuditError(
            _("The folder {path} cannot be read ({problem}).").format(
                path=visible(str(folder)), problem=path_problem(exc)
            ),
            _("Check that you may read the folder."),
        ) from None
    files = [p for p in entries if not left_out_reason(p, reader)]
    left_out = [HeldFile(o.path, False, o.reason) for o in passed_over(folder, reader)]
    return files, left_out


def _print(report: RejudgeReport, held: list[HeldFile]) -> None:
    from audit.store.rejudge import report_lines

    for outcome in held:
        if not outcome.held:
            print(
                # Translators: a file not kept; "not kept" and the spaces after it make a column
                _("not kept  {file}: {reason}").format(
                    file=visible(outcome.path.name), reason=visible(outcome.reason)
                )
            )
    *lines, total = report_lines(report)
    print("\n".join(lines))
    print(f"\n{total}")


def _document(report: RejudgeReport, held: list[HeldFile]) -> dict[str, Any]:
    def verdict(v: Verdict) -> dict[str, Any]:
        return {
            "audit_id": v.audit_id,
            "rejudged_audit_id": v.rejudged_id,
            "person_name": v.person_name,
            "staff_id": v.staff_id,
            "device": {"id": v.device_id, "name": v.device_name},
            "was_version": v.was_version or None,
            "before": v.before.value,
            "judged": v.judged.value,
            "new_violations": list(v.apps),
        }

    return {
        "policy": {"id": report.policy_id, "version": report.version, "sha256": report.sha256},
        "day": report.day.isoformat(),
        "rescanned": False,
        "changed": [verdict(v) for v in report.changed],
        "unchanged": [verdict(v) for v in report.unchanged],
        "not_rejudged": [
            {
                "audit_id": n.audit_id,
                "person_name": n.person_name,
                "staff_id": n.staff_id,
                "device": {"id": n.device_id, "name": n.device_name},
                "reason": n.reason,
            }
            for n in report.not_rejudged
        ],
        "inventory_files": [
            {"file": str(h.path), "kept": h.held, "reason": h.reason or None} for h in held
        ],
    }
