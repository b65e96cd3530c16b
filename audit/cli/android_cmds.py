"""`device-audit devices`: the phones plugged in, their state, and what to do about it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from audit.cli import EXIT_OK, add_adb_port
from audit.i18n import _
from audit.model import DeviceState
from audit.sources.android.connection import Adb
from audit.sources.android.guidance import STATE_LABELS
from audit.sources.android.tracker import SETTLE, DeviceEvent, DeviceTracker, list_devices
from audit.text import visible


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "devices",
        help=_("list the phones plugged in over USB and what each needs"),
        description=_(
            "List the Android phones the adb server sees, with their state and what "
            "to do next (for example 'tap Allow on the phone'). With --watch, keep listing phones "
            "as they are plugged in and unplugged until Ctrl-C."
        ),
    )
    parser.add_argument(
        "--watch", action="store_true", help=_("follow phones being plugged in and out")
    )
    parser.add_argument(
        "--forget-pairing",
        metavar="UDID",
        # Translators: "Trust This Computer?" is the iPhone's own question (Se fier à cet
        # ordinateur?)
        help=_(
            "remove this computer's pairing with the iPhone UDID (ios:UDID), only if Device "
            "Audit made it; the iPhone asks 'Trust This Computer?' again next time"
        ),
    )
    add_adb_port(parser)
    parser.set_defaults(func=run)


def line(event: DeviceEvent) -> str:
    """One phone, in words; device-provided text has its control characters shown escaped."""
    label = _(STATE_LABELS[event.state])
    if event.model:
        text = _("{serial} ({model}): {state}").format(
            serial=visible(event.serial), model=visible(event.model), state=label
        )
    else:
        text = _("{serial}: {state}").format(serial=visible(event.serial), state=label)
    if event.state is not DeviceState.READY:
        text += f"\n    {event.guidance}"
    return text


def run(args: argparse.Namespace) -> int:
    from audit.sources.ios.devices import print_iphones

    if args.forget_pairing:
        from audit.sources.ios.pairing import end_of_audit

        print(end_of_audit(args.forget_pairing.removeprefix("ios:"), True))
        return EXIT_OK

    adb = Adb(args.adb_port)
    iphones = print_iphones(args.watch)  # iPhones over usbmuxd (a thread when watching)
    if not args.watch:
        devices = list_devices(adb)
        if not devices and not iphones:
            print(
                # Translators: Settings > Developer options > USB debugging: the phone's own
                # French words (Paramètres > Options pour les développeurs > Débogage USB)
                _(
                    "No phone found. Plug the phone in with a USB cable, unlock it, and make sure "
                    "USB debugging is on (Settings > Developer options > USB debugging)."
                )
            )
        for event in devices:
            print(line(event))
        return EXIT_OK
    print(_("Watching for phones; press Ctrl-C to stop."), file=sys.stderr, flush=True)
    try:
        # A phone being plugged in is listed as offline for a moment before it is ready:
        # that is said only when it lasts.
        for event in DeviceTracker(adb, settle=SETTLE).events():
            print(line(event), flush=True)
    except KeyboardInterrupt:
        pass
    return EXIT_OK
