"""`device-audit scan`: inventory this computer or phones, and write the inventory files.

A phone's inventory also holds the state read from the phone's own per-user record of each app
the catalog knows that does not read as plainly installed (one more round trip, only when there
are such apps): `check` judges the file later without the phone, and the package lists show an
app hidden ("frozen") in a profile exactly as one removed for it.

Several phones (`--device A --device B`, or `--all`) are scanned side by side in this one
process by audit.cli.scan_phones, each into its own file under --out-dir.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit import inventory
from audit.cli import EXIT_NOT_COMPLIANT, EXIT_OK, EXIT_USAGE, add_adb_port, output_problem
from audit.errors import AuditError, CannotWrite
from audit.i18n import _, ngettext
from audit.model import AppState, DeviceKind, InstalledApp, ScanResult, SourceStatus
from audit.progress import CancelCheck, Progress, never_cancelled
from audit.text import visible

if TYPE_CHECKING:
    from audit.workflow import Reach


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "scan",
        help=_("list every installed app on this computer or on phones"),
        description=_(
            "List every installed app on this computer (--local) or on phones "
            "plugged in over USB (--device SERIAL, once per phone, or --all), every user and "
            "profile included. Several phones are scanned at the same time. Exit code 0 when the "
            "scan saw everything, 1 when part of it could not be read, 2 when a phone could not "
            "be scanned at all."
        ),
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--local", action="store_true", help=_("scan this computer"))
    target.add_argument(
        "--device",
        metavar="SERIAL",
        action="append",
        help=_("scan the phone with this serial (repeat it to scan several phones at once)"),
    )
    target.add_argument(
        "--all", action="store_true", help=_("scan every phone plugged in and ready")
    )
    parser.add_argument(
        "--json",
        metavar="FILE",
        type=Path,
        help=_(
            "write the inventory to FILE ('-' for stdout: with several phones, a list of those "
            "that could be scanned)"
        ),
    )
    parser.add_argument(
        "--out-dir",
        metavar="DIR",
        type=Path,
        help=_("write each phone's inventory to its own file in DIR, named by its serial"),
    )
    add_adb_port(parser)
    parser.set_defaults(func=run)


def scan_target(args: argparse.Namespace) -> ScanResult:
    """Run the scan the arguments ask for (the inventory alone, judged by no policy)."""
    progress = terminal_progress()
    if getattr(args, "local", False):
        from audit.sources.local import scan_local

        return scan_local(progress=progress)
    return scan_device(args.device, args.adb_port, progress)


def scan_device(
    serial: str,
    adb_port: int | None,
    progress: Progress,
    cancelled: CancelCheck = never_cancelled,
) -> ScanResult:
    """The one place that says how a phone named on the command line is scanned: its
    inventory, judged by no policy. iPhone or Android is decided by asking usbmuxd and adb
    which of them has the phone (audit.sources.phones), never by the look of the serial."""
    from audit.errors import DeviceGone
    from audit.sources.phones import neither, route

    where = route(serial, adb_port)
    if where.kind is DeviceKind.IOS:
        from audit.sources.ios.scan import scan_iphone

        return scan_iphone(where.target, progress=progress, cancelled=cancelled)
    from audit.sources.android.scan import scan_phone

    # How connection.device_error's "no such phone" begins, in the language in use (a test of
    # the English words would take every French "no such phone" for an unplugging).
    no_such_phone = _("No phone with serial {serial} is connected.").split("{serial}")[0]
    try:
        return scan_phone(serial, adb_port=adb_port, progress=progress, cancelled=cancelled)
    except DeviceGone as error:
        if not error.message.startswith(no_such_phone):
            raise  # unplugged during the scan, not "no such phone"
        raise neither(where, error) from None


def reach_target(args: argparse.Namespace) -> Reach:
    """How the workflow reaches what the arguments name (--local, or --device with
    --adb-port), for every command that judges a device it can reach (remove, attest)."""
    from audit.workflow import iphone, phone, this_computer

    if getattr(args, "local", False):
        return this_computer()
    from audit.sources.phones import route

    where = route(args.device, args.adb_port)  # usbmuxd or adb: whichever has the phone
    if where.kind is DeviceKind.IOS:
        return iphone(where.target)
    return phone(args.device, args.adb_port)


def terminal_progress() -> Progress:
    """A progress line on stderr when it is a terminal; nothing in a script's log."""
    return _print_progress if sys.stderr.isatty() else _no_progress


def _known_app(app: InstalledApp) -> bool:
    """Whether the shipped catalog knows the app (any policy preset could ban it)."""
    from audit.policy import default_catalog

    return default_catalog().app_name(app.app_id) is not None


def confirmed_phone_scan(serial: str, adb_port: int | None, scan: ScanResult) -> ScanResult:
    """The phone's scan with the per-user state of the catalog's apps that need one read from
    the phone (one more round trip, only when there are any): an inventory file is judged
    later, without the phone, and a hidden app reads like a removed one in the lists."""
    from audit.assess import confirm_states
    from audit.sources.android.scan import details_for

    return confirm_states(
        scan,
        lambda packages: details_for(serial, packages, adb_port=adb_port),
        _known_app,
    )


def inventory_of_phone(
    serial: str, adb_port: int | None, progress: Progress, cancelled: CancelCheck
) -> ScanResult:
    """What `scan` writes for one phone: its scan, the catalog's apps' states confirmed.

    Garbage collection waits while the phone's rows are parsed and built (a quarter more CPU
    at 30,000 rows otherwise; see inventory.paused_gc), also when phones run side by side."""
    with inventory.paused_gc():
        scan = scan_device(serial, adb_port, progress, cancelled)
        if scan.device.kind is DeviceKind.IOS:
            return scan  # installation_proxy gave every app's state: nothing to confirm
        return confirmed_phone_scan(serial, adb_port, scan)


def run(args: argparse.Namespace) -> int:
    several = args.all or (args.device is not None and len(set(args.device)) > 1)
    if args.out_dir is not None or several:
        return run_phones(args)
    if args.json is not None and str(args.json) != "-":
        problem = output_problem(args.json)
        if problem:
            raise AuditError(
                _("The inventory cannot be written to {path}: {problem}.").format(
                    path=visible(str(args.json)), problem=visible(problem)
                ),
                _(
                    "Nothing was scanned. Give --json a file in a folder that exists (for example "
                    "--json inventory.json) and run the scan again."
                ),
            )
    if getattr(args, "local", False):
        with inventory.paused_gc():
            scan = scan_target(args)
    else:
        serial = args.device[0]  # the same serial, perhaps given twice
        scan = inventory_of_phone(serial, args.adb_port, terminal_progress(), never_cancelled)
    if args.json is not None and str(args.json) == "-":
        sys.stdout.write(inventory.dumps(scan))
    else:
        print(summary(scan), flush=True)  # shown even if the file cannot be written
        if args.json is not None:
            try:
                inventory.save(scan, args.json)
            except CannotWrite as error:
                raise AuditError(
                    error.message,
                    _(
                        "The inventory was not saved. Run the scan again with --json naming a "
                        "file in a folder you can write to."
                    ),
                ) from None
            print(_("Inventory written to {path}").format(path=args.json))
    return EXIT_OK if scan.complete else EXIT_NOT_COMPLIANT


def run_phones(args: argparse.Namespace) -> int:
    """Several phones (or one into --out-dir): each scanned on its own thread, into its own
    file; a phone that fails is reported and the others carry on."""
    from audit.cli import scan_phones

    to_stdout = args.json is not None and str(args.json) == "-"
    if args.local:
        raise AuditError(
            _("--out-dir is for phones; this computer's inventory is one file."),
            _("Use --json FILE with --local."),
        )
    if args.json is not None and not to_stdout:
        raise AuditError(
            _("--json FILE holds one inventory, and several phones were asked for."),
            _(
                "Nothing was scanned. Give --out-dir DIR (one file per phone) or --json - (a list "
                "on the screen), and run the scan again."
            ),
        )
    if args.out_dir is not None:
        problem = folder_problem(args.out_dir)
        if problem:
            raise AuditError(
                _("The inventories cannot be written to {path}: {problem}.").format(
                    path=visible(str(args.out_dir)), problem=visible(problem)
                ),
                _(
                    "Nothing was scanned. Give --out-dir a folder that exists and that you may "
                    "write to, and run the scan again."
                ),
            )
    skipped: list[scan_phones.PhoneOutcome] = []
    serials = list(args.device or ())
    if args.all:
        serials, skipped = scan_phones.ready_phones(args.adb_port)
        if not serials and not skipped:
            raise AuditError(
                _("No phone found."),
                # Translators: Settings > Developer options > USB debugging: the phone's own
                # French words (Paramètres > Options pour les développeurs > Débogage USB)
                _(
                    "Plug the phones in with USB cables, unlock them, and make sure USB debugging "
                    "is on (Settings > Developer options > USB debugging)."
                ),
            )
    outcomes = scan_phones.scan_phones(
        serials,
        lambda serial, cancelled: inventory_of_phone(
            serial, args.adb_port, _no_progress, cancelled
        ),
        args.out_dir,
    )
    outcomes += skipped
    if to_stdout:
        sys.stdout.write(scan_phones.json_list(outcomes))
    scan_phones.report(outcomes, summary, quiet=to_stdout)
    return max(scan_phones.exit_code(outcomes), EXIT_OK if outcomes else EXIT_USAGE)


def folder_problem(folder: Path) -> str:
    """Why no inventory can be written into `folder`, or "" when it can be tried."""
    if not folder.exists():
        return _("this folder does not exist")
    if not folder.is_dir():
        return _("this is a file, not a folder")
    from audit.files import folder_write_problem

    return folder_write_problem(folder)


def summary(scan: ScanResult) -> str:
    device = scan.device
    lines = [f"{visible(device.name)} ({visible(device.id)})"]
    if device.os_name:
        lines[0] += visible(f", {device.os_name} {device.os_version}".rstrip())
    present = [a for a in scan.apps if a.state.on_device]
    removed = sum(1 for a in scan.apps if a.state is AppState.REMOVED_FOR_USER)
    counts = {"count": len(present), "sources": len(scan.sources), "removed": removed}
    # English has always said "1 apps" here (the singular is the plural's words, so the output
    # stays as it was); a language with a singular gives it.
    if removed:  # listed by the phone, but not there for that user: not counted as found
        # Translators: the form follows {count} (apps); English keeps one form for all counts
        found = ngettext(
            "{count} apps found by {sources} sources (and {removed} removed for a user, "
            "not counted)",
            "{count} apps found by {sources} sources (and {removed} removed for a user, "
            "not counted)",
            len(present),
        ).format(**counts)
    else:
        # Translators: the form follows {count} (apps); English keeps one form for all counts
        found = ngettext(
            "{count} apps found by {sources} sources",
            "{count} apps found by {sources} sources",
            len(present),
        ).format(**counts)
    lines.append(found)
    for source in scan.sources:
        # Translators: a source's state in a column 8 letters wide: keep it short
        mark = {SourceStatus.OK: _("ok"), SourceStatus.ABSENT: _("not here")}.get(
            source.status, source.status.value.upper()
        )
        count = ""
        if source.count or not source.detail:
            count = ngettext("{count} apps", "{count} apps", source.count).format(
                count=source.count
            )
        text = ": ".join(part for part in (count, visible(source.detail)) if part)
        lines.append(f"  {visible(source.name):<28} {mark:<8} {text}")
    if not scan.complete:
        missing = ", ".join(visible(g.name) for g in scan.gaps)
        lines.append(_("INCOMPLETE: this scan could not read {sources}.").format(sources=missing))
    return "\n".join(lines)


def _print_progress(fraction: float, message: str) -> None:
    print(f"\r[{fraction:4.0%}] {message[:70]:<70}", end="", file=sys.stderr, flush=True)
    if fraction >= 1.0:
        print(file=sys.stderr)


def _no_progress(fraction: float, message: str) -> None:
    pass
