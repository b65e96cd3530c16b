"""The demo phone that ships in the app (see `phone.py`), and where the app finds it.

The app reaches every phone by its address. `phone_at(address)` is the one place that says
whether an address is the demo phone's, and every path that reaches a phone (the check, the
removal steps, switching USB debugging off) asks it first; only for any other address does it
go to the adb server. The person switches the demo phone on and off (Help › Try the demo phone);
while it is off, asking for it is a phone that went away.
"""

from __future__ import annotations

import threading

from audit.demo.phone import DEMO_ADDRESS, DEMO_NAME, DEMO_SERIAL, DemoPhone, demo_device
from audit.errors import DeviceGone

__all__ = [
    "DEMO_ADDRESS",
    "DEMO_NAME",
    "DEMO_SERIAL",
    "DemoPhone",
    "demo_device",
    "phone_at",
    "switch_off",
    "switch_on",
]

SWITCHED_OFF = "The demo phone is switched off."
SWITCH_ON = "Switch it on again in Help › Try the demo phone; it starts afresh."

_lock = threading.Lock()
_on: dict[str, DemoPhone] = {}  # DEMO_ADDRESS -> the phone, while it is on


def switch_on() -> DemoPhone:
    """The demo phone, as it is when new (TikTok in the work profile); the same one while it
    stays on."""
    with _lock:
        if DEMO_ADDRESS not in _on:
            _forget_removals()
            _on[DEMO_ADDRESS] = DemoPhone()
        return _on[DEMO_ADDRESS]


def switch_off() -> None:
    """Switch the demo phone off: its removals are forgotten, and it starts afresh."""
    with _lock:
        _on.pop(DEMO_ADDRESS, None)


def _forget_removals() -> None:
    """A demo phone switched on afresh has TikTok again: a removal of an earlier one kept
    unsigned (audit.remediation.pending) would say it is done on a phone that no longer shows
    it, and the removal window would carry it on instead of starting afresh."""
    from audit.workflow.saved import forget

    forget(demo_device().id)


def phone_at(address: str) -> DemoPhone | None:
    """The demo phone when `address` is its address; None for any other (a real phone).

    Raises DeviceGone when the address is the demo phone's and it is switched off, so nothing
    meant for the demo phone ever goes to the adb server.
    """
    if address != DEMO_ADDRESS:
        return None
    with _lock:
        phone = _on.get(DEMO_ADDRESS)
    if phone is None:
        raise DeviceGone(DEMO_ADDRESS, SWITCHED_OFF, SWITCH_ON)
    return phone
