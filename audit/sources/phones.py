"""Which phone a `--device X` names: an iPhone behind usbmuxd, or an Android phone behind adb.

Decided by asking, never by the look of X: a UDID has 40 hex digits (or 8-16 with a dash), and
so may an Android serial (any USB descriptor string, forged ones included), so a serial that
merely looks like a UDID proves nothing. usbmuxd's own device list says whether an iPhone with
that UDID is plugged in; when it is, a running adb server is asked too, and a phone both list
is refused with words that say why (two phones answering to one name is how a swapped phone
would pass). A phone usbmuxd does not list goes to adb, whose answer (a phone, or "no phone
with this serial") stands, with the iPhone side said too when nothing has that serial.

"ios:<UDID>" names an iPhone explicitly; it is still looked up in usbmuxd's list. The demo
phones' addresses (audit.demo) contain a space, which no real serial has.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.errors import AuditError, DeviceGone
from audit.i18n import _
from audit.model import DeviceKind
from audit.text import visible

IOS_PREFIX = "ios:"


class AmbiguousDevice(AuditError):
    """Both usbmuxd and the adb server list a phone by the name given."""


@dataclass(frozen=True)
class Route:
    """Where a named phone is: its kind and the name its source knows it by ("ios:<UDID>"
    for an iPhone, the adb serial for an Android phone). `mux_problem` says why usbmuxd could
    not be asked ("" when it answered), for the words when adb has no such phone either."""

    kind: DeviceKind
    target: str
    mux_problem: str = ""


def route(target: str, adb_port: int | None = None) -> Route:
    """Which transport has the phone `target` names; AmbiguousDevice when both do, DeviceGone
    when it is named "ios:<UDID>" and usbmuxd does not list it."""
    from audit.addresses import DEMO_ADDRESS, DEMO_IPHONE_ADDRESS

    if target == DEMO_IPHONE_ADDRESS:
        return Route(DeviceKind.IOS, target)
    if target == DEMO_ADDRESS:
        return Route(DeviceKind.ANDROID, target)
    udid = target[len(IOS_PREFIX) :] if target.startswith(IOS_PREFIX) else target
    listed, problem = _usbmuxd_lists(udid)
    if listed:
        if _running_adb_lists({target, udid}, adb_port):
            raise AmbiguousDevice(
                _(
                    "Two phones answer to {udid}: an iPhone (through Apple's usbmuxd) and an "
                    "Android phone (through adb). Nothing was checked, since either could be "
                    "taken for the other."
                ).format(udid=visible(udid)),
                _(
                    "Unplug every phone but the one to check, then run the command again (name "
                    "an iPhone as {prefix}UDID)."
                ).format(prefix=IOS_PREFIX),
            )
        return Route(DeviceKind.IOS, IOS_PREFIX + udid)
    if target.startswith(IOS_PREFIX):
        raise DeviceGone(
            target,
            (
                _("No iPhone with the UDID {udid} is plugged in ({problem}).")
                if problem
                else _("No iPhone with the UDID {udid} is plugged in.")
            ).format(udid=visible(udid), problem=problem),
            _iphone_next_step(problem),
        )
    return Route(DeviceKind.ANDROID, target, problem)


def neither(route_: Route, error: DeviceGone) -> DeviceGone:
    """adb's "no phone with this serial", saying that usbmuxd has no iPhone by it either."""
    iphone = (
        _("Usbmuxd could not be asked ({problem}).").format(problem=route_.mux_problem)
        if route_.mux_problem
        else _("No iPhone plugged in has this UDID either.")
    )
    return DeviceGone(
        route_.target,
        f"{error.message} {iphone}",
        _(
            "Plug the phone in with its cable and unlock it, then run 'device-audit devices' to "
            "see the phones this computer finds, and use the serial (or iPhone UDID) it lists."
        ),
    )


def _usbmuxd_lists(udid: str) -> tuple[bool, str]:
    """Whether usbmuxd lists an iPhone with this UDID; why it could not be asked, if so."""
    from audit.sources.ios.usbmux import Usbmux
    from audit.sources.ios.wire import UsbmuxdMissing

    try:
        return any(d.udid == udid for d in Usbmux().devices()), ""
    except UsbmuxdMissing:
        return False, _("Apple's iPhone service, usbmuxd, is not running on this computer")
    except AuditError as error:
        return False, _("usbmuxd did not answer: {problem}").format(problem=error.message)


def _running_adb_lists(serials: set[str], adb_port: int | None) -> bool:
    """Whether an adb server already running lists one of `serials`. None is started for it:
    with no adb server running, the phone usbmuxd lists is the one checked, a real iPhone by the
    word of the daemon that owns the USB bus, never a phone claiming to be one."""
    from audit.sources.android.connection import Adb

    try:
        return any(serial in serials for serial, _s, _t in Adb(adb_port, start=False).devices())
    except (AuditError, OSError):
        return False


def _iphone_next_step(problem: str) -> str:
    if problem:
        from audit.sources.ios.guidance import usbmuxd_missing

        return usbmuxd_missing()
    return _(
        "Plug the iPhone in with its cable and unlock it, then run 'device-audit devices' to "
        "see the iPhones this computer finds."
    )
