"""`device-audit scan`: inventory this computer or one phone, and write the inventory file.

A phone's inventory also holds the state read from the phone's own per-user record of each app
the catalog knows that does not read as plainly installed (one more round trip, only when there
are such apps): `check` judges the file later without the phone, and the package lists show an
app hidden ("frozen") in a profile exactly as one removed for it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit import inventory
from audit.cli import EXIT_NOT_COMPLIANT, EXIT_OK, add_adb_port, output_problem
from audit.errors import AuditError, CannotWrite
from audit.model import AppState, InstalledApp, ScanResult, SourceStatus
from audit.progress import Progress
from audit.text import visible

if TYPE_CHECKING:
    from audit.workflow import Reach


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "scan",
        help="list every installed app on this computer or on a phone",
        description="List every installed app on this computer (--local) or on a phone "
        "plugged in over USB (--device SERIAL), every user and profile included. "
        "Exit code 0 when the scan saw everything, 1 when part of it could not be read.",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--local", action="store_true", help="scan this computer")
    target.add_argument("--device", metavar="SERIAL", help="scan the phone with this serial")
    parser.add_argument(
        "--json", metavar="FILE", type=Path, help="write the inventory to FILE ('-' for stdout)"
    )
    add_adb_port(parser)
    parser.set_defaults(func=run)


def scan_target(args: argparse.Namespace) -> ScanResult:
    """Run the scan the arguments ask for (the inventory alone, judged by no policy)."""
    progress = terminal_progress()
    if getattr(args, "local", False):
        from audit.sources.local import scan_local

        return scan_local(progress=progress)
    from audit.sources.android.scan import scan_phone

    return scan_phone(args.device, adb_port=args.adb_port, progress=progress)


def reach_target(args: argparse.Namespace) -> Reach:
    """How the workflow reaches what the arguments name (--local, or --device with
    --adb-port), for every command that judges a device it can reach (remove, attest)."""
    from audit.workflow import phone, this_computer

    if getattr(args, "local", False):
        return this_computer()
    return phone(args.device, args.adb_port)


def terminal_progress() -> Progress:
    """A progress line on stderr when it is a terminal; nothing in a script's log."""
    return _print_progress if sys.stderr.isatty() else _no_progress


def _known_app(app: InstalledApp) -> bool:
    """Whether the shipped catalog knows the app (any policy preset could ban it)."""
    from audit.policy import default_catalog

    return default_catalog().app_name(app.app_id) is not None


def confirmed_phone_scan(args: argparse.Namespace, scan: ScanResult) -> ScanResult:
    """The phone's scan with the per-user state of the catalog's apps that need one read from
    the phone (one more round trip, only when there are any): an inventory file is judged
    later, without the phone, and a hidden app reads like a removed one in the lists."""
    from audit.assess import confirm_states
    from audit.sources.android.scan import details_for

    return confirm_states(
        scan,
        lambda packages: details_for(args.device, packages, adb_port=args.adb_port),
        _known_app,
    )


def run(args: argparse.Namespace) -> int:
    if args.json is not None and str(args.json) != "-":
        problem = output_problem(args.json)
        if problem:
            raise AuditError(
                f"The inventory cannot be written to {visible(str(args.json))}: "
                f"{visible(problem)}.",
                "Nothing was scanned. Give --json a file in a folder that exists (for example "
                "--json inventory.json) and run the scan again.",
            )
    scan = scan_target(args)
    if not getattr(args, "local", False):
        scan = confirmed_phone_scan(args, scan)
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
                    "The inventory was not saved. Run the scan again with --json naming a file "
                    "in a folder you can write to.",
                ) from None
            print(f"Inventory written to {args.json}")
    return EXIT_OK if scan.complete else EXIT_NOT_COMPLIANT


def summary(scan: ScanResult) -> str:
    device = scan.device
    lines = [f"{visible(device.name)} ({visible(device.id)})"]
    if device.os_name:
        lines[0] += visible(f", {device.os_name} {device.os_version}".rstrip())
    present = [a for a in scan.apps if a.state.on_device]
    removed = sum(1 for a in scan.apps if a.state is AppState.REMOVED_FOR_USER)
    found = f"{len(present)} apps found by {len(scan.sources)} sources"
    if removed:  # listed by the phone, but not there for that user: not counted as found
        found += f" (and {removed} removed for a user, not counted)"
    lines.append(found)
    for source in scan.sources:
        mark = {SourceStatus.OK: "ok", SourceStatus.ABSENT: "not here"}.get(
            source.status, source.status.value.upper()
        )
        found = f"{source.count} apps" if source.count or not source.detail else ""
        text = ": ".join(part for part in (found, visible(source.detail)) if part)
        lines.append(f"  {visible(source.name):<28} {mark:<8} {text}")
    if not scan.complete:
        missing = ", ".join(visible(g.name) for g in scan.gaps)
        lines.append(f"INCOMPLETE: this scan could not read {missing}.")
    return "\n".join(lines)


def _print_progress(fraction: float, message: str) -> None:
    print(f"\r[{fraction:4.0%}] {message[:70]:<70}", end="", file=sys.stderr, flush=True)
    if fraction >= 1.0:
        print(file=sys.stderr)


def _no_progress(fraction: float, message: str) -> None:
    pass
