"""How the app names the devices it reaches, in a module with no imports: every command that
only needs to tell an iPhone from an Android phone, or a demo device from a real one, asks here
without loading the demo devices, usbmuxd, TLS or the adb client (issue 15: each of those cost
a `scan --device` tens of milliseconds at start-up)."""

from __future__ import annotations

DEMO_ADDRESS = "demo phone"
"""How the app reaches the demo phone. adb serials never contain a space, so no phone behind
the adb server can ever be taken for the demo phone, nor the demo phone for one of them."""

DEMO_IPHONE_ADDRESS = "demo iphone"
"""How the app reaches the demo iPhone: a UDID never has a space, so no iPhone behind usbmuxd
can be taken for it, nor it for one of them."""

IOS_PREFIX = "ios:"
"""An iPhone's device id and address: "ios:<UDID>" (audit.sources.phones.route names it so)."""


def is_iphone(target: str) -> bool:
    """Whether a name the app gave a phone is an iPhone's: "ios:<UDID>" (the window's trackers
    and audit.sources.phones.route name iPhones so) or the demo iPhone. Never guessed from the
    look of a serial: an Android serial may look like a UDID (see audit.sources.phones)."""
    return target.startswith(IOS_PREFIX) or target == DEMO_IPHONE_ADDRESS
