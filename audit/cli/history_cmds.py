"""`device-audit history`, `import DIR` and `export`: the audit history from the command line.

All three work on the history in the user's data folder, or on the one given with --db (a file
or a team history's postgresql:// address) or DEVICE_AUDIT_DB: audit/cli/target.py decides.
Every text shown comes from a device or a receipt file: control characters are shown escaped,
never sent to the terminal.
"""

from __future__ import annotations

import argparse
import io
import shlex
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.cli import (
    EXIT_NOT_COMPLIANT,
    EXIT_OK,
    iso_date,
    json_words,
    output_problem,
    print_json,
    target,
)
from audit.errors import AuditError
from audit.i18n import N_, _, ngettext
from audit.model import DeviceStatus
from audit.text import visible

if TYPE_CHECKING:
    from audit.store.records import FileOutcome


def register(sub: Any) -> None:
    _history_parser(sub)
    _import_parser(sub)
    _export_parser(sub)


def db_option(parser: argparse.ArgumentParser) -> None:
    """--db, as every command that reads or writes the history takes it."""
    parser.add_argument("--db", type=target.parse, metavar="PATH|ADDRESS", help=_(target.DB_HELP))


def _history_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "history",
        help=_("list past audits"),
        description=_(
            "List audits, newest first (times in this computer's time zone): who, "
            "which device, which policy, the result and whether a signed receipt was made."
        ),
    )
    db_option(parser)
    parser.add_argument("--search", default="", help=_("text in a name, staff id or device"))
    parser.add_argument("--person", default="", help=_("a staff id or a person's full name"))
    parser.add_argument("--device", default="", help=_("a device id, serial or name"))
    parser.add_argument("--policy", default="", metavar="ID", help=_("a policy id"))
    parser.add_argument(
        "--status",
        action="append",
        choices=[s.value for s in DeviceStatus],
        default=[],
        help=_("only audits with this result (may be repeated)"),
    )
    parser.add_argument("--since", type=iso_date, metavar="DAY", help=_("audits on or after DAY"))
    parser.add_argument("--until", type=iso_date, metavar="DAY", help=_("audits on or before DAY"))
    parser.add_argument(
        "--latest", action="store_true", help=_("only the latest audit of each person's device")
    )
    parser.add_argument(
        "--unnamed-scans",
        action="store_true",
        help=_(
            "list the unnamed scans of a device someone was named for as rows of their own "
            "(by default they are part of that person's audit)"
        ),
    )
    parser.add_argument("--limit", type=int, default=200, help=_("at most this many (default 200)"))
    _day_option(parser)
    parser.add_argument("--json", action="store_true", help=_("print the audits as JSON"))
    parser.set_defaults(func=run_history)
    from audit.cli.rejudge_cmd import register_under  # `history rejudge`

    register_under(parser)


def _import_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "import",
        help=_("import staff receipts from a folder"),
        description=_(
            "Verify every receipt file in a folder and add it to the history. "
            "Duplicates are skipped. The first key seen for each staff id (or technician) is "
            "remembered; a receipt signed by another key is refused unless you accept the new "
            "key. Exit code 0 when nothing was refused, 1 otherwise."
        ),
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help=_("the folder of receipt files"))
    db_option(parser)
    parser.add_argument(
        "--accept-new-key",
        action="append",
        default=[],
        metavar="ID=FINGERPRINT",
        help=_(
            "accept this key (its fingerprint, as the person's own Device Audit shows it) for "
            "this staff id (or 'technician:NAME'), once you checked it with the person; the "
            "import's report prints the command for each refused key; may be repeated"
        ),
    )
    parser.add_argument("--json", action="store_true", help=_("print the report as JSON"))
    parser.set_defaults(func=run_import)


def _export_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "export",
        help=_("export audits for the compliance office"),
        description=_(
            "Write one row per person's device (its latest audit) as CSV or JSON, "
            "and/or every stored receipt as a file (--receipts), which another Device Audit can "
            "import."
        ),
    )
    db_option(parser)
    parser.add_argument("--format", choices=["csv", "json"], help=_("csv (default) or json"))
    parser.add_argument("--policy", metavar="ID", help=_("only audits under this policy"))
    parser.add_argument("--out", type=Path, metavar="FILE", help=_("write here (default: stdout)"))
    parser.add_argument(
        "--receipts", type=Path, metavar="DIR", help=_("also write every stored receipt into DIR")
    )
    _day_option(parser)
    parser.set_defaults(func=run_export)


def _day_option(parser: argparse.ArgumentParser) -> None:
    """--day: `history` and `export` judge each status as it stands on one day, as the
    dashboard and the history window do (an exemption since ended, a deadline since passed)."""
    parser.add_argument(
        "--day",
        type=iso_date,
        metavar="DAY",
        help=_("judge deadlines and exemption expiry as of DAY (default: today)"),
    )


def _open(args: argparse.Namespace) -> Any:
    """The history to read. A --db file that does not exist is a mistyped path, not an empty
    history: opening it would create an empty file and report nothing as if all were well.
    """
    db = target.existing(
        args,
        missing_step=_(
            "Check the path. A new history is started by `device-audit import DIR --db "
            "PATH`; without --db the history in Device Audit's data folder is used."
        ),
    )
    # Reading writes nothing, so a history on read-only media (or a compliance office's
    # account on a team history) can be read.
    return target.open_to_read(db)


# --- history ---------------------------------------------------------------------------------


def run_history(args: argparse.Namespace) -> int:
    """The audits, each status as it stands on --day (today): an audit recorded "compliant with
    exceptions" whose exemption has since ended lists, filters and prints as the dashboard and
    the export count it (overdue after the deadline), never as the claim it was recorded with."""
    from audit.store import HistoryFilter

    today = args.day or date.today()
    query = HistoryFilter(
        search=args.search,
        person=args.person,
        device=args.device,
        policy=args.policy,
        statuses=frozenset(DeviceStatus(s) for s in args.status),
        since=args.since,
        until=args.until,
        latest_only=args.latest,
        unnamed_scans=args.unnamed_scans,
        as_of=today,
        limit=max(0, args.limit),
    )
    with _open(args) as store, json_words(args.json):  # --json: its notes in English
        audits = store.history(query)
        total = store.count(query)
        empty = not audits and store.count() == 0
    if args.json:
        print_json([_audit_dict(a, today) for a in audits])
        return EXIT_OK
    if empty:
        print(
            _(
                "The history is empty: no audit has been recorded yet. Audits are recorded when "
                "a device is checked in the app, by `device-audit remove` and `attest`, and by "
                "`device-audit import DIR` (receipts staff made themselves)."
            )
        )
        return EXIT_OK
    if not audits:
        print(_("No audits match."))
        return EXIT_OK
    for a in audits:
        # The status column shows the code (a script greps it), as the JSON does: the status
        # as it stands on the day, with the recorded one on a line of its own when they differ
        now = status_now(a, today)
        # Translators: an audit not finished yet, in a column 25 characters wide
        status = now.value if now is not None else _("in progress")
        receipt = _(_RECEIPT_WORDS.get(a.receipt_kind, _NO_RECEIPT))
        if a.assurance:  # self-attested or witnessed (a code): audit.store.trust
            receipt += f", {assurance_label(a.assurance)}"
        who = _("{name} ({staff_id})").format(
            name=visible(a.person_name) or _("(no name)"),
            staff_id=visible(a.staff_id) or _("no staff id"),
        )
        print(
            f"{a.at.astimezone().strftime('%Y-%m-%d %H:%M')}  {status:<25}  {receipt:<24}  "
            f"{who}  {visible(a.device_name)} [{visible(a.device_id)}]  {visible(a.policy_id)}"
            f"  #{a.id}"
        )
        changed = since_recorded(a, today)
        if changed:
            print(f"    {changed}")
        if a.merged_scans:
            merged = ngettext(
                "    with {count} unnamed scan of this device (one audit)",
                "    with {count} unnamed scans of this device (one audit)",
                a.merged_scans,
            )
            print(merged.format(count=a.merged_scans))
        if a.older_policy:
            print(f"    {visible(a.older_policy)}")
        if a.trust_note:  # as the JSON and the window say it: held (an exemption not accepted
            # here), disputed key, technician revoked, a claim not taken, re-judged: a reader
            # of the plain text must not see a status without why it may not count so
            print(f"    {visible(a.trust_note)}")
        if a.recorded_by:  # a team history's login, never on SQLite: output there unchanged
            print("    " + _("recorded by login {login}").format(login=visible(a.recorded_by)))
    if any(a.recorded_by for a in audits):
        print("\n" + _(RECORDED_BY_MEANS))
    if total > len(audits):
        shown = ngettext(
            "{count} of {total} audits shown; narrow the search or use --limit.",
            "{count} of {total} audits shown; narrow the search or use --limit.",
            total,
        )
        print("\n" + shown.format(count=len(audits), total=total))
    return EXIT_OK


def status_now(a: Any, day: date) -> DeviceStatus | None:
    """The audit's status as it stands on `day` (audit.store.status_on, the rule the dashboard,
    the export and the history window use); None for an audit still in progress."""
    from audit.store import status_on

    if a.status is None:
        return None
    return status_on(a.status, day, deadline=a.deadline, exemption_expires=a.exemption_expires)


def since_recorded(a: Any, day: date) -> str:
    """Why the status shown differs from the one recorded (an exemption ended, the deadline
    passed), or "" when it does not: a reader must see both, and why."""
    now = status_now(a, day)
    if now is None or now is a.status:
        return ""
    expires = a.exemption_expires
    if a.status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS and expires is not None and day > expires:
        return _(
            "recorded as {recorded}; the exemption it relied on ended on {day}, so it counts as "
            "{status}: check the device again, or renew the exemption"
        ).format(recorded=a.status.value, day=expires.isoformat(), status=now.value)
    deadline = a.deadline.isoformat() if a.deadline is not None else ""
    return _(
        "recorded as {recorded}; the deadline {day} has passed, so it counts as {status}"
    ).format(recorded=a.status.value, day=deadline, status=now.value)


RECORDED_BY_MEANS = N_(
    "Recorded by login: the team history's database login that wrote the audit into it (an "
    "audit moved in from a bench's history: the login that moved it). The database server "
    "writes it itself: no technician or administrator of the team can type another name or "
    "change it later, unlike the technician's name in a receipt. It says who recorded the "
    "audit, not that what the audit says is true."
)

# How a receipt's assurance (a stored code) reads on the command line: in English the code
# itself, as it always has; audit.store.technicians.ASSURANCE_WORDS says more, for windows.
_ASSURANCE = {"self-attested": N_("self-attested"), "witnessed": N_("witnessed")}


def assurance_label(code: str) -> str:
    """ "self-attested" or "witnessed" in the language in use; an unknown code as it is."""
    return _(_ASSURANCE[code]) if code in _ASSURANCE else code


# The receipt column of `history` (a column 24 characters wide).
_RECEIPT_WORDS = {"compliance_attestation": N_("attested"), "noncompliance_report": N_("report")}
_NO_RECEIPT = N_("no receipt")


def _audit_dict(a: Any, today: date) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return None if value is None else value.isoformat()

    now = status_now(a, today)
    return {
        "id": a.id,
        "uid": a.uid,
        "origin": a.origin.value,
        "person_name": a.person_name,
        "staff_id": a.staff_id,
        "technician": a.technician,
        "device": {"id": a.device_id, "name": a.device_name},
        "policy": {"id": a.policy_id, "title": a.policy_title, "sha256": a.policy_sha256},
        # as it stands on the day (--day, else today), as the export's `status`; the status
        # the audit was recorded with beside it, as the export's `recorded_status`
        "status": None if now is None else now.value,
        "recorded_status": None if a.status is None else a.status.value,
        "day": when(a.day),
        "started_at": when(a.started_at),
        "at": when(a.at),
        "scanned_at": when(a.scanned_at),
        "attested_at": when(a.attested_at),
        "exemption_expires": when(a.exemption_expires),
        "receipt": {"id": a.receipt_uid, "kind": a.receipt_kind, "signer": a.signer}
        if a.receipt_uid
        else None,
        "latest": a.latest,
        "assurance": a.assurance or None,
        "trust_note": a.trust_note or None,
        "merged_scans": a.merged_scans,
        "older_policy": a.older_policy or None,
        # the team history's login that recorded it, as its server wrote it; null on a
        # SQLite history (nobody vouches for a name there) and for audits from before v10
        "recorded_by": a.recorded_by or None,
    }


# --- import ----------------------------------------------------------------------------------


def run_import(args: argparse.Namespace) -> int:
    bare = [entry for entry in args.accept_new_key if not _has_fingerprint(entry)]
    if bare:
        raise AuditError(*_bare_id_words(args, bare))
    db = target.chosen(args)
    new_history = db is not None and not target.is_team(db) and not Path(db).exists()
    with target.open_store(db) as store:
        if new_history:
            print(
                _("Created a new history at {path}.").format(path=target.shown(db)),
                file=sys.stderr,
            )
        with json_words(args.json):  # --json: each file's reason in English, as scripts read it
            report = store.import_folder(args.folder, accept_new_keys=args.accept_new_key)
    accept = {
        (o.identity, o.signer): accept_command(args, o.identity, o.signer)
        for o in report.outcomes
        if o.key_changed and o.result.value == "refused"
    }
    if args.json:
        document = {
            "imported": report.imported,
            "duplicates": report.duplicates,
            "refused": report.refused,
            "skipped": report.skipped,
            "files": [
                {
                    "file": str(o.path),
                    "result": o.result.value,
                    "reason": _with_command(o, accept),
                    "attestation_id": o.attestation_id or None,
                    "signer": o.signer or None,
                    "signed_for": o.identity or None,
                    "person": o.person_name or None,
                    "key_changed": o.key_changed,
                    "simulated": o.simulated,
                }
                for o in report.outcomes
            ],
        }
        print_json(document)
    else:
        for o in report.outcomes:
            # The result is a code a script greps (imported, duplicate, REFUSED, skipped).
            line = f"{o.result.value.upper() if o.result.value == 'refused' else o.result.value:<9}"
            line += f"  {visible(o.path.name)}"
            if o.reason:
                line += f": {visible(_with_command(o, accept))}"
            print(line)
        print("\n" + _import_tally(report))
        from audit.attestation import format_fingerprint

        for (identity, signer), command in accept.items():
            print(
                _(
                    "A new key ({fingerprint}) was refused for {identity}. Ask the person which "
                    "fingerprint their own Device Audit shows; if it is this one, run: {command}"
                ).format(
                    fingerprint=format_fingerprint(signer),
                    identity=visible(identity),
                    command=visible(command),
                )
            )
    return EXIT_OK if report.refused == 0 else EXIT_NOT_COMPLIANT


def _import_tally(report: Any) -> str:
    """ "5 files: 3 imported, 1 already in the history, 1 refused, 1 skipped (not receipts)"."""
    # Translators: counts of files; English keeps one form
    parts = [
        ngettext("{count} imported", "{count} imported", report.imported).format(
            count=report.imported
        ),
        ngettext(
            "{count} already in the history", "{count} already in the history", report.duplicates
        ).format(count=report.duplicates),
        ngettext("{count} refused", "{count} refused", report.refused).format(count=report.refused),
    ]
    if report.skipped:
        skipped = ngettext(
            "{count} skipped (not receipts)", "{count} skipped (not receipts)", report.skipped
        )
        parts.append(skipped.format(count=report.skipped))
    files = len(report.outcomes)
    return ngettext("{count} file: {results}", "{count} files: {results}", files).format(
        count=files, results=", ".join(parts)
    )


def _has_fingerprint(entry: str) -> bool:
    identity, mark, fingerprint = entry.rpartition("=")
    return bool(mark and identity and fingerprint.strip())


def _bare_id_words(args: argparse.Namespace, bare: list[str]) -> tuple[str, str]:
    """Why `--accept-new-key ID` without a fingerprint is refused, with the fingerprints seen
    for each id (pinned in the history, and signing receipts in the folder) and the exact
    command for each: the helpdesk picks the one the person confirms."""
    from audit.attestation import format_fingerprint
    from audit.store.importer import receipt_files, verify_all
    from audit.store.records import FileOutcome

    seen: dict[str, dict[str, str]] = {identity: {} for identity in bare}
    db = target.chosen(args)
    if db is None or target.is_team(db) or Path(db).exists():
        with target.open_store(db) as store:
            for identity in bare:
                for key in store.trusted_keys(identity):
                    since = _("pinned in the history since {day}").format(
                        day=f"{key.first_seen:%Y-%m-%d}"
                    )
                    seen[identity][key.signer] = since
    try:
        files = receipt_files(args.folder)
    except AuditError:
        files = []
    jobs = []
    for path in files:
        try:
            if path.stat().st_size <= 4 * 1024 * 1024:
                jobs.append((path, path.read_bytes()))
        except OSError:
            continue
    for checked in verify_all(jobs):
        if isinstance(checked, FileOutcome) or checked.identity not in seen:
            continue
        seen[checked.identity].setdefault(checked.signer, _("signs receipts in this folder"))
    lines = []
    for identity, keys in seen.items():
        if not keys:
            lines.append(
                _("no key has signed for {identity} here or in the history").format(
                    identity=visible(identity)
                )
            )
        for signer, where in keys.items():
            lines.append(
                f"{visible(identity)}: {format_fingerprint(signer)} ({where}): "
                f"{accept_command(args, identity, signer)}"
            )
    return (
        _(
            "--accept-new-key needs the fingerprint you checked with the person "
            "(ID=FINGERPRINT), not only {ids}: a bare id would accept any new key for it, a "
            "copier's as readily as the person's. Nothing was imported. Fingerprints seen:"
        ).format(ids=", ".join(repr(visible(b)) for b in bare))
        + "\n  "
        + "\n  ".join(lines),
        _(
            "Ask the person which fingerprint their own Device Audit shows, then run the command "
            "on its line."
        ),
    )


def accept_command(args: argparse.Namespace, identity: str, signer: str) -> str:
    """The import command that accepts `signer` as `identity`'s key, ready to paste. An
    address is written without its password (the keyring or PGPASSWORD gives it); a history
    DEVICE_AUDIT_DB chose is chosen by it again."""
    words = ["device-audit", "import", "--accept-new-key", f"{identity}={signer}", str(args.folder)]
    if args.db is not None:
        words += ["--db", target.argument(args.db)]
    return shlex.join(words)


def _with_command(outcome: FileOutcome, accept: dict[tuple[str, str], str]) -> str:
    """The reason, and for a refused new key the command that accepts it, whole (folder and
    --db included) so that it can be copied as it is."""
    command = accept.get((outcome.identity, outcome.signer)) if outcome.key_changed else None
    if command is None or outcome.result.value != "refused":
        return outcome.reason
    return f"{outcome.reason.removesuffix('.')}: {command}"


# --- export ----------------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    from audit.inventory import write_atomic
    from audit.store import export_receipts, write_csv, write_json

    today = args.day or date.today()
    fmt = args.format or ("csv" if args.receipts is None or args.out is not None else None)
    problem = "" if args.out is None else output_problem(args.out)
    if problem:
        raise AuditError(
            _("The export cannot be written to {path}: {problem}.").format(
                path=visible(str(args.out)), problem=visible(problem)
            ),
            _(
                "Nothing was exported. Choose a file in a folder that exists and that you may "
                "write to."
            ),
        )
    with _open(args) as store:
        rows = store.export_rows(policy_id=args.policy, today=today) if fmt else []
        receipts = store.receipts(args.policy) if args.receipts is not None else []
    if args.receipts is not None:
        written = export_receipts(receipts, args.receipts)
        print(
            ngettext(
                "{count} receipt written to {folder}",
                "{count} receipts written to {folder}",
                len(written),
            ).format(count=len(written), folder=visible(str(args.receipts))),
            file=sys.stderr,
        )
    if fmt is None:
        return EXIT_OK
    buffer = io.StringIO(newline="")
    if fmt == "csv":
        write_csv(rows, buffer)
    else:
        write_json(rows, buffer, today=today, policy_id=args.policy)
    if args.out is None:
        sys.stdout.write(buffer.getvalue())
    else:
        try:
            write_atomic(args.out, buffer.getvalue().encode("utf-8"))
        except OSError as exc:
            raise AuditError(
                _("The export cannot be written to {path} ({problem}).").format(
                    path=args.out, problem=exc.strerror or exc
                ),
                _("Choose a file in a folder that exists and that you may write to."),
            ) from None
        print(
            ngettext(
                "{count} rows written to {path}", "{count} rows written to {path}", len(rows)
            ).format(count=len(rows), path=visible(str(args.out))),
            file=sys.stderr,
        )
    return EXIT_OK
