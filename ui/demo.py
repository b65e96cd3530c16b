"""The demo phones in the window: switched on and off from Help › Try the demo phone.

An Android phone and an iPhone come on together, so that a new user sees both ways a phone is
checked (USB debugging and adb; "Trust This Computer?" and an offloaded app).

The phone itself is audit's (audit.demo): held in memory, with no adb server and no network
behind it, and its Device is marked simulated when it is made. The window shows it like any
phone, keyed by its address, with everything after that (the check, the removal window, the
receipt) going through the same code as for a real phone; audit.demo answers for it wherever a
phone is reached by its address. Everywhere it appears it is labelled SIMULATED, so nobody takes
it for their own phone, and the history never records it.

Nothing outlives the app: a run that is killed leaves no phone behind for the next one.
"""

from __future__ import annotations

from audit import demo
from audit.i18n import _
from audit.model import DeviceKind
from ui.device_list import DeviceEntry


def switch_on() -> str:
    """Switch the demo phone on (afresh, unless it is on already); returns the id the window
    knows it by."""
    return demo.switch_on().device.address


def switch_on_iphone() -> str:
    """Switch the demo iPhone on beside it (an offloaded TikTok to find); its id in the window
    (audit.demo.DEMO_IPHONE_ADDRESS, which the window's phone scan sends to the iPhone client,
    and audit.demo answers for it there)."""
    demo.switch_on_iphone()
    return demo.DEMO_IPHONE_ADDRESS


def switch_off() -> None:
    demo.switch_off()


def entry() -> DeviceEntry:
    """The demo phone's row in the device list, SIMULATED from the start."""
    return DeviceEntry(
        id=demo.DEMO_ADDRESS, name=demo.DEMO_NAME, kind=DeviceKind.ANDROID, simulated=True
    )


def iphone_entry() -> DeviceEntry:
    """The demo iPhone's row, SIMULATED from the start like the demo phone's."""
    return DeviceEntry(
        id=demo.DEMO_IPHONE_ADDRESS,
        name=_("Demo iPhone"),
        kind=DeviceKind.IOS,
        simulated=True,
        manufacturer="Apple",
    )
