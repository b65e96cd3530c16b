"""The demo phone that ships in the app (see `phone.py`), and where the app finds it.

The app reaches every phone by its address. `phone_at(address)` is the one place that says
whether an address is the demo phone's, and every path that reaches a phone (the check, the
removal steps, switching USB debugging off) asks it first; only for any other address does it
go to the adb server. The person switches the demo phone on and off (Help › Try the demo phone);
while it is off, asking for it is a phone that went away.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from audit.addresses import DEMO_ADDRESS, DEMO_IPHONE_ADDRESS
from audit.demo.iphone import DemoIPhone
from audit.demo.phone import DEMO_NAME, DEMO_SERIAL, DemoPhone, demo_device
from audit.errors import DeviceGone
from audit.i18n import N_, _
from audit.model import ActionResult

if TYPE_CHECKING:
    from audit.remediation.steps import Step

__all__ = [
    "DEMO_ADDRESS",
    "DEMO_IPHONE_ADDRESS",
    "DEMO_NAME",
    "DEMO_SERIAL",
    "DemoIPhone",
    "DemoPhone",
    "demo_device",
    "iphone_at",
    "phone_at",
    "switch_off",
    "switch_on",
    "switch_on_iphone",
]

# Marked, not translated (set at import): raised as _(SWITCHED_OFF), _(SWITCH_ON).
SWITCHED_OFF = N_("The demo phone is switched off.")
# Translators: "Help › Try the demo phone" is the app's menu: use the menu's French words
SWITCH_ON = N_("Switch it on again in Help › Try the demo phone; it starts afresh.")

_lock = threading.Lock()
_on: dict[str, DemoPhone] = {}  # DEMO_ADDRESS -> the phone, while it is on
_iphones: dict[str, DemoIPhone] = {}  # DEMO_IPHONE_ADDRESS -> the demo iPhone, while it is on


def switch_on() -> DemoPhone:
    """The demo phone, as it is when new (TikTok in the work profile); the same one while it
    stays on."""
    with _lock:
        if DEMO_ADDRESS not in _on:
            _forget_removals()
            _on[DEMO_ADDRESS] = DemoPhone()
        return _on[DEMO_ADDRESS]


def switch_off() -> None:
    """Switch the demo phones off: their removals are forgotten, and they start afresh."""
    with _lock:
        _on.pop(DEMO_ADDRESS, None)
        _iphones.pop(DEMO_IPHONE_ADDRESS, None)


def _forget_removals() -> None:
    """A demo phone switched on afresh has TikTok again: a removal of an earlier one kept
    unsigned (audit.remediation.pending) would say it is done on a phone that no longer shows
    it, and the removal window would carry it on instead of starting afresh."""
    from audit.workflow.saved import forget

    forget(demo_device().id)


def switch_on_iphone() -> DemoIPhone:
    """The demo iPhone as new (TikTok offloaded); the same one while it stays on."""
    with _lock:
        if DEMO_IPHONE_ADDRESS not in _iphones:
            _iphones[DEMO_IPHONE_ADDRESS] = DemoIPhone()
        return _iphones[DEMO_IPHONE_ADDRESS]


def iphone_at(address: str) -> DemoIPhone | None:
    """The demo iPhone when `address` is its address, None for any other; DeviceGone when it
    is its address and it is switched off (nothing meant for it ever goes to usbmuxd)."""
    if address != DEMO_IPHONE_ADDRESS:
        return None
    with _lock:
        phone = _iphones.get(DEMO_IPHONE_ADDRESS)
    if phone is None:
        raise DeviceGone(DEMO_IPHONE_ADDRESS, _("The demo iPhone is switched off."), _(SWITCH_ON))
    return phone


class DemoIPhoneExecutor:
    """The demo iPhone's steps, done by it while it is on; once off, not done."""

    def run(self, step: Step) -> ActionResult:
        from audit.remediation.execute import step_result

        try:
            phone = iphone_at(DEMO_IPHONE_ADDRESS)
        except DeviceGone as error:
            message = _("{step}: not done. {reason}").format(step=step.title, reason=error.message)
            return step_result(step, False, message, advice=error.next_step, code="DEVICE_GONE")
        assert phone is not None
        return phone.run(step)


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
        raise DeviceGone(DEMO_ADDRESS, _(SWITCHED_OFF), _(SWITCH_ON))
    return phone
