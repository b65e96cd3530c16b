"""`device-audit scan --device A --device B …` and `scan --all`: several phones in one process.

A helpdesk bench with a USB hub scans its phones side by side: each phone's work waits on its
own adb connection, so threads overlap the waits and eight phones cost about what one costs
(bench/cli.py measures it), with Python started once instead of once per phone.

Each phone is its own result. One that cannot be read (unplugged, not authorised) is reported
by its serial with the next step and never stops the others; the exit status says the worst
that happened to any of them, so a script cannot take "seven phones scanned" for "eight phones
checked". With --out-dir each phone's inventory goes to its own file, named from its serial
made safe for every file system (`phone_file_names`), and two phones never share a file.
"""

from __future__ import annotations

import hashlib
import re
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from audit import inventory
from audit.errors import AuditError, CannotWrite
from audit.i18n import _, ngettext
from audit.model import ScanResult
from audit.progress import CancelCheck
from audit.text import visible

EXIT_OK, EXIT_INCOMPLETE, EXIT_FAILED = 0, 1, 2
MAX_WORKERS = 16  # a big USB hub; each worker is one phone's connection, mostly waiting

# A phone's serial comes from the phone (or whoever programs its USB descriptor): untrusted.
# Kept as the file name only when it is plainly safe everywhere; anything else is replaced and
# marked with a hash of the exact serial after a '~', which a kept name never contains.
_KEPT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")  # and "." : "nul.txt" is a device on Windows
_WINDOWS_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?")

# Scans one phone by its serial: the inventory, or an AuditError saying why not.
PhoneScanner = Callable[[str, CancelCheck], ScanResult]


@dataclass(frozen=True)
class PhoneOutcome:
    """What happened to one phone: its inventory (and where it was written), or its error."""

    serial: str
    scan: ScanResult | None = None
    error: AuditError | None = None
    written_to: Path | None = None

    @property
    def exit_code(self) -> int:
        if self.scan is None or self.error is not None:
            return EXIT_FAILED
        return EXIT_OK if self.scan.complete else EXIT_INCOMPLETE


def phone_file_names(serials: Sequence[str]) -> dict[str, str]:
    """serial -> file name (`SERIAL.json`), distinct even on a file system that ignores case.

    A serial that is not plainly safe (a path, a colon, a reserved Windows name, a control
    character) gets its unsafe characters replaced and `~` plus 16 hex digits of its sha256;
    serials whose names would differ only in case get the hash too.
    """
    names: dict[str, str] = {}
    for serial in dict.fromkeys(serials):
        safe = _KEPT.fullmatch(serial) and not _WINDOWS_RESERVED.fullmatch(serial)
        names[serial] = serial if safe else _hashed(serial)
    folded: dict[str, list[str]] = {}
    for serial, name in names.items():
        folded.setdefault(name.casefold(), []).append(serial)
    for clash in (group for group in folded.values() if len(group) > 1):
        for serial in clash:
            names[serial] = _hashed(serial)
    if len({name.casefold() for name in names.values()}) != len(names):
        raise AuditError(  # two serials with the same 64-bit hash: only a forgery does that
            _("Two phones' serials would be written to the same file."),
            _("Scan those phones one at a time, each with its own --json FILE."),
        )
    return {serial: f"{name}.json" for serial, name in names.items()}


def _hashed(serial: str) -> str:
    base = _UNSAFE.sub("_", serial)[:48].lstrip(".") or "phone"
    digest = hashlib.sha256(serial.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{base}~{digest}"


def scan_phones(
    serials: Sequence[str],
    scanner: PhoneScanner,
    out_dir: Path | None = None,
    *,
    max_workers: int = MAX_WORKERS,
) -> list[PhoneOutcome]:
    """Scan every phone at once, each on its own thread; outcomes in the order given.

    Each inventory is written (atomically) by its own thread as soon as its phone is done, so
    a phone that takes long delays no other's file. Ctrl-C stops every scan at its next step.
    """
    serials = list(dict.fromkeys(serials))
    names = phone_file_names(serials) if out_dir is not None else {}
    stop = threading.Event()

    def one(serial: str) -> PhoneOutcome:
        try:
            scan = scanner(serial, stop.is_set)
        except AuditError as error:
            return PhoneOutcome(serial, error=error)
        except Exception as error:  # a bug met on one phone must not cost the others theirs
            import logging

            logging.getLogger(__name__).exception("scanning %s failed unexpectedly", serial)
            return PhoneOutcome(
                serial,
                error=AuditError(
                    _("Scanning {serial} failed unexpectedly: {problem}.").format(
                        serial=visible(serial), problem=visible(str(error))
                    ),
                    _(
                        "Run the scan of this phone again on its own with -v, and report the "
                        "details if it fails again."
                    ),
                ),
            )
        if out_dir is None:
            return PhoneOutcome(serial, scan=scan)
        target = out_dir / names[serial]
        try:
            inventory.save(scan, target)
        except CannotWrite as error:
            return PhoneOutcome(serial, scan=scan, error=error)
        return PhoneOutcome(serial, scan=scan, written_to=target)

    workers = max(1, min(max_workers, len(serials)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scan-phone") as pool:
        futures: list[Future[PhoneOutcome]] = [pool.submit(one, s) for s in serials]
        try:
            return [future.result() for future in futures]
        except BaseException:  # Ctrl-C: every scan stops at its next step, none is left behind
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def report(
    outcomes: Sequence[PhoneOutcome], summary: Callable[[ScanResult], str], *, quiet: bool
) -> None:
    """Each phone's summary (stdout) or error (stderr) in the order given, then the tally.

    `quiet` when stdout carries the JSON list: then only the errors and the tally, on stderr.
    """
    for outcome in outcomes:
        if outcome.scan is not None and not quiet:
            print(summary(outcome.scan))
            if outcome.written_to is not None:
                print(_("Inventory written to {path}").format(path=outcome.written_to))
        if outcome.error is not None:
            print_error(outcome.serial, outcome.error)
        if not quiet:
            print()
    print(tally(outcomes), file=sys.stderr if quiet else sys.stdout)


def ready_phones(adb_port: int | None) -> tuple[list[str], list[PhoneOutcome]]:
    """The serials of every phone ready to scan, and an outcome for each phone that is not
    (unauthorised, offline, no permission): `--all` names those too, so a phone waiting for
    "Allow" on its screen is never silently left out of the bench's count."""
    from audit.model import DeviceState
    from audit.sources.android.connection import Adb
    from audit.sources.android.guidance import STATE_LABELS
    from audit.sources.android.tracker import list_devices

    ready, skipped = [], []
    for event in list_devices(Adb(adb_port)):
        if event.state is DeviceState.READY:
            ready.append(event.serial)
        else:
            state = _(STATE_LABELS[event.state])
            error = AuditError(_("Not scanned: {state}.").format(state=state), event.guidance)
            skipped.append(PhoneOutcome(event.serial, error=error))
    iphones, waiting = ready_iphones()
    return ready + iphones, skipped + waiting


def ready_iphones() -> tuple[list[str], list[PhoneOutcome]]:
    """The iPhones usbmuxd lists, as `ready_phones` gives Android phones ("ios:<UDID>"); none
    without usbmuxd. Looking at an iPhone that does not trust this computer yet asks it to
    ("Trust This Computer?" appears), and it is reported with what to do, never left out."""
    from audit.sources.ios.devices import iphones
    from audit.sources.ios.guidance import LABELS, IPhoneState
    from audit.sources.ios.wire import UsbmuxdMissing

    try:
        found = iphones()
    except UsbmuxdMissing:
        return [], []
    except AuditError as unreadable:  # usbmuxd is there but its list is unreadable: say so
        return [], [PhoneOutcome("iPhones (usbmuxd)", error=unreadable)]
    ready, skipped = [], []
    for phone in found:
        serial = f"ios:{phone.udid}"
        if phone.state is IPhoneState.PAIRED:
            ready.append(serial)
        else:
            state = _(LABELS[phone.state])
            error = AuditError(_("Not scanned: {state}.").format(state=state), phone.guidance)
            skipped.append(PhoneOutcome(serial, error=error))
    return ready, skipped


def print_error(serial: str, error: AuditError) -> None:
    message = _("{serial}: {message}").format(serial=visible(serial), message=error.message)
    print(_("error: {message}").format(message=message), file=sys.stderr)
    if error.next_step:
        print(_("next step: {step}").format(step=error.next_step), file=sys.stderr)


def tally(outcomes: Sequence[PhoneOutcome]) -> str:
    """One line a technician reads at a glance: how many phones, and how many need a look."""
    complete = sum(1 for o in outcomes if o.exit_code == EXIT_OK)
    incomplete = sum(1 for o in outcomes if o.exit_code == EXIT_INCOMPLETE)
    failed = len(outcomes) - complete - incomplete
    # Translators: counts of phones ("3 scanned completely"); English keeps one form
    done = ngettext("{count} scanned completely", "{count} scanned completely", complete)
    parts = [done.format(count=complete)]
    if incomplete:
        part = ngettext(
            "{count} only in part (INCOMPLETE)", "{count} only in part (INCOMPLETE)", incomplete
        )
        parts.append(part.format(count=incomplete))
    if failed:
        part = ngettext("{count} NOT scanned", "{count} NOT scanned", failed)
        parts.append(part.format(count=failed))
    # Translators: {counts} is the list of counts, "3 scanned completely, 1 NOT scanned"
    return ngettext("{count} phone: {counts}.", "{count} phones: {counts}.", len(outcomes)).format(
        count=len(outcomes), counts=", ".join(parts)
    )


def json_list(outcomes: Sequence[PhoneOutcome]) -> str:
    """The scanned phones' inventories as one JSON list (a failed phone is on stderr only)."""
    texts = [inventory.dumps(o.scan).rstrip("\n") for o in outcomes if o.scan is not None]
    return "[\n" + ",\n".join(texts) + "\n]\n" if texts else "[]\n"


def exit_code(outcomes: Sequence[PhoneOutcome]) -> int:
    """The worst of the phones: 2 when any could not be scanned, else 1 when any was read only
    in part, else 0."""
    return max((o.exit_code for o in outcomes), default=EXIT_FAILED)
