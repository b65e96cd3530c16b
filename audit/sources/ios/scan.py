"""One iPhone's inventory: one lockdown session, one installation_proxy Browse.

The identity (UDID, model, iOS version, name) is read from lockdownd inside the TLS session,
the app list from installation_proxy with placeholders. How the phone was reached is
usbmuxd's word, not the phone's: USB when this computer's own usbmuxd says USB; when
USBMUXD_SOCKET_ADDRESS points elsewhere, whatever answered may be a program (a simulator, a
relay), and the receipt says so (loopback or network), whatever the daemon claims.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from audit.addresses import IOS_PREFIX
from audit.errors import DeviceError, DeviceGone
from audit.i18n import _, ngettext
from audit.model import (
    Connection,
    ConnectionKind,
    Device,
    DeviceKind,
    InstalledApp,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress
from audit.sources.ios import apps
from audit.sources.ios.guidance import CODES, GUIDANCE, IPhoneState
from audit.sources.ios.lockdown import Lockdown, LockdownError
from audit.sources.ios.pairing import pair
from audit.sources.ios.usbmux import MuxDevice, Usbmux
from audit.sources.ios.wire import ENV, WireError, usbmuxd_address
from audit.text import visible
from audit.this_computer import reaches_this_computer

PREFIX = IOS_PREFIX

_MODELS = {
    "iPhone12,8": "iPhone SE (2nd generation)", "iPhone13,2": "iPhone 12",
    "iPhone14,5": "iPhone 13", "iPhone14,6": "iPhone SE (3rd generation)",
    "iPhone14,7": "iPhone 14", "iPhone15,3": "iPhone 14 Pro Max", "iPhone15,4": "iPhone 15",
    "iPhone16,1": "iPhone 15 Pro", "iPhone17,3": "iPhone 16",
}  # fmt: skip


class IPhoneNotReady(DeviceError):
    """The iPhone cannot be read yet; `state` says why and the next step says what to do."""

    def __init__(self, udid: str, state: IPhoneState, name: str = "") -> None:
        self.state = state
        self.name = name
        who = repr(name) if name else visible(udid)
        # Translators: {state} is a code ("waiting", "locked"); the next step explains it
        message = _("The iPhone {name} cannot be read yet: {state}.").format(
            name=who, state=state.value
        )
        super().__init__(udid, message, _(GUIDANCE[state]))


def udid_of(target: str) -> str:
    """The UDID in "ios:<UDID>" or a bare UDID."""
    return target[len(PREFIX) :] if target.startswith(PREFIX) else target


def find(mux: Usbmux, udid: str) -> MuxDevice:
    for device in mux.devices():
        if device.udid == udid:
            return device
    raise DeviceGone(
        udid,
        _("No iPhone with the UDID {udid} is plugged in.").format(udid=visible(udid)),
        _(
            "Plug the iPhone in with its cable and unlock it, then run 'device-audit devices' to "
            "see the iPhones this computer finds."
        ),
    )


@contextmanager
def session(mux: Usbmux, device: MuxDevice, *, may_pair: bool = True) -> Iterator[Lockdown]:
    """A lockdown session over TLS with this computer's pair record; pairing first when there is
    none (the iPhone then asks "Trust This Computer?"). IPhoneNotReady until the person lets
    this computer in."""
    try:
        lockdown = Lockdown(mux, device)
    except WireError as error:
        raise DeviceGone(device.udid, error.message) from None
    try:
        basics = lockdown.values()
        name = basics.get("DeviceName")
        record = mux.pair_record(device.udid)
        try:
            if record is None:
                if not may_pair:
                    raise IPhoneNotReady(device.udid, IPhoneState.WAITING, _s(name))
                record = pair(mux, lockdown, basics)
            lockdown.start_session(record)
        except LockdownError as error:
            if error.code in ("InvalidHostID", "PairingNoLongerValid") and may_pair:
                # The iPhone forgot this computer: pair again, on a fresh connection.
                lockdown.close()
                lockdown = Lockdown(mux, device)
                try:
                    lockdown.start_session(pair(mux, lockdown, basics))
                except LockdownError as again:
                    raise _not_ready(device.udid, again, name) from None
            else:
                raise _not_ready(device.udid, error, name) from None
        yield lockdown
    except WireError as error:
        raise DeviceGone(
            device.udid, _("The iPhone stopped answering: {problem}").format(problem=error.message)
        ) from None
    finally:
        lockdown.close()


def _not_ready(udid: str, error: LockdownError, name: object) -> DeviceError:
    state = CODES.get(error.code)
    if state is None:
        return DeviceError(udid, error.message, _(GUIDANCE[IPhoneState.NOT_ANSWERING]))
    return IPhoneNotReady(udid, state, _s(name))


def _s(value: object) -> str:
    return value[:200] if isinstance(value, str) else ""


def connection_for(mux: Usbmux, device: MuxDevice) -> Connection:
    """How the phone was reached, from usbmuxd and where usbmuxd was found (see the module)."""
    default = usbmuxd_address({}) == mux.address
    location = f"usbmuxd location 0x{device.location:08x}" if device.location else ""
    if default and device.connection == "USB":
        return Connection(ConnectionKind.USB, usb_path=location)
    if default:
        return Connection(ConnectionKind.NETWORK, address=f"Wi-Fi sync via usbmuxd ({device.udid})")
    where = str(mux.address)
    local = mux.address.path != "" or reaches_this_computer(mux.address.host)
    kind = ConnectionKind.LOOPBACK if local else ConnectionKind.NETWORK
    return Connection(kind, address=f"usbmuxd at {where} ({ENV})")


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() and len(head) < 4 else 0


def identity(values: dict[str, Any], device: MuxDevice, connection: Connection) -> Device:
    """The Device a receipt names: ios:<UDID> (usbmuxd's UDID, which lockdownd must agree
    with), the phone's name, model and iOS version as lockdownd gave them."""
    product = _s(values.get("ProductType"))
    version = _s(values.get("ProductVersion"))
    ipad = _s(values.get("DeviceClass")) == "iPad"
    return Device(
        id=PREFIX + device.udid,
        kind=DeviceKind.IOS,
        name=_s(values.get("DeviceName")) or _MODELS.get(product, product) or "iPhone",
        serial=device.udid,
        address=device.udid,
        manufacturer="Apple",
        model=_MODELS.get(product, product),
        os_name="iPadOS" if ipad and _major(version) >= 13 else "iOS",
        os_version=version,
        build=_s(values.get("BuildVersion")),
        connection=connection,
    )


@dataclass
class _Progress:
    progress: Progress

    def chunk(self, received: int, total: int | None) -> None:
        share = received / total if total else 0.5
        words = ngettext(
            "Reading the app list ({count} app)", "Reading the app list ({count} apps)", received
        ).format(count=received)
        self.progress(0.2 + 0.75 * min(share, 1.0), words)


def scan_iphone(
    target: str,
    *,
    mux: Usbmux | None = None,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
) -> ScanResult:
    """Every app on the iPhone (user and system, offloaded ones included); the demo iPhone
    (audit.demo) at its own address, which no real iPhone can have."""
    from audit.demo import iphone_at

    demo = iphone_at(target)
    if demo is not None:
        return demo.scan(progress, cancelled)
    mux = mux if mux is not None else Usbmux()
    udid = udid_of(target)
    started = datetime.now(UTC)
    progress(0.0, _("Finding the iPhone"))
    device = find(mux, udid)
    with session(mux, device) as lockdown:
        values = lockdown.values()
        if values.get("UniqueDeviceID") not in (None, udid):
            raise DeviceError(
                udid,
                _(
                    "The phone answering gives another UDID than usbmuxd listed: what answered "
                    "is not the iPhone that was plugged in."
                ),
                _("Unplug every phone, plug in only the one to check, and scan again."),
            )
        progress(0.1, _("Opening the app list"))
        try:
            sock = lockdown.start_service(apps.SERVICE)
        except LockdownError as error:
            raise _not_ready(udid, error, values.get("DeviceName")) from None
        proxy = apps.InstallationProxy(sock)
        try:
            browsed = proxy.browse(_Progress(progress).chunk, cancelled)
        finally:
            proxy.close()
    result = inventory_from(browsed)
    progress(1.0, _("Done"))
    return ScanResult(
        device=identity(values, device, connection_for(mux, device)),
        started_at=started,
        finished_at=datetime.now(UTC),
        apps=result[0],
        users=(UserProfile(apps.USER, "iPhone user", UserKind.OWNER),),
        sources=(result[1],),
    )


def inventory_from(browsed: apps.Browsed) -> tuple[tuple[InstalledApp, ...], SourceReport]:
    """The apps of a Browse, and how complete it was: a list cut short, one that never said
    it was complete or sent fewer apps than it announced, or entries without a bundle id make
    the source partial (failed when nothing was usable): never compliant."""
    found = [apps.to_app(e) for e in browsed.entries]
    listed = tuple(a for a in found if a is not None)
    unusable = len(found) - len(listed)
    problems = []
    if browsed.problem:
        count = len(browsed.entries)
        problems.append(
            ngettext(
                "the list stopped after {count} app: {problem}",
                "the list stopped after {count} apps: {problem}",
                count,
            ).format(count=count, problem=browsed.problem)
        )
    elif not browsed.complete:
        problems.append(_("the phone never said the list was complete"))
    if browsed.total is not None and len(browsed.entries) < browsed.total and not problems:
        problems.append(
            ngettext(
                "the phone announced {total} app but sent {count}",
                "the phone announced {total} apps but sent {count}",
                browsed.total,
            ).format(total=browsed.total, count=len(found))
        )
    if unusable:
        problems.append(
            ngettext(
                "{count} entry had no usable bundle id",
                "{count} entries had no usable bundle id",
                unusable,
            ).format(count=unusable)
        )
    if not problems:
        status = SourceStatus.OK
    else:
        status = SourceStatus.PARTIAL if listed else SourceStatus.FAILED
    report = SourceReport(apps.COLLECTOR, status, "; ".join(problems), len(listed))
    return listed, report
