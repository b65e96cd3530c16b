"""Every iPhone plugged in and what each needs, for `device-audit devices` and the window.

Looking at an iPhone that has no pairing with this computer asks it to trust this computer
(Pair): that is what makes "Trust This Computer?" appear on the phone, as plugging an Android
phone in makes "Allow USB debugging?" appear. A phone waiting for an answer is looked at again
(`watch`), so "waiting" turns into "ready" by itself once the person taps Trust.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from audit.errors import AuditError, DeviceGone
from audit.i18n import _
from audit.sources.ios import apps
from audit.sources.ios.guidance import CODES, GUIDANCE, LABELS, IPhoneState
from audit.sources.ios.lockdown import LockdownError
from audit.sources.ios.scan import PREFIX, IPhoneNotReady, session
from audit.sources.ios.usbmux import MuxDevice, Usbmux
from audit.sources.ios.wire import UsbmuxdMissing
from audit.text import visible

RECHECK_SECONDS = 2.0
_WAITING = (IPhoneState.WAITING, IPhoneState.LOCKED, IPhoneState.PASSCODE)


@dataclass(frozen=True)
class IPhoneStatus:
    udid: str
    name: str  # as the phone gave it (untrusted text)
    model: str
    state: IPhoneState

    @property
    def guidance(self) -> str:
        return _(GUIDANCE[self.state])

    def line(self) -> str:
        """The phone in words, device-provided text shown with its control characters
        escaped; the next step on a second line when it is not ready."""
        name = visible(self.name, limit=60)
        model = f", {visible(self.model, limit=40)}" if self.model else ""
        # Translators: "ios:UDID (phone's name, model): ready (trusts this computer)"
        text = _("{device} ({name}): {state}").format(
            device=f"{PREFIX}{visible(self.udid)}",
            name=f"{name or 'iPhone'}{model}",
            state=_(LABELS[self.state]),
        )
        if self.state is not IPhoneState.PAIRED:
            text += f"\n    {self.guidance}"
        return text


def status(mux: Usbmux, device: MuxDevice) -> IPhoneStatus:
    """Where the phone stands with this computer (pairing with it if it has no pairing)."""
    name = model = ""
    try:
        with session(mux, device) as lockdown:
            values = lockdown.values()
            name = str(values.get("DeviceName", ""))[:200]
            model = str(values.get("ProductType", ""))[:40]
            try:  # ready means the app list can be opened (not so after a restart)
                lockdown.start_service(apps.SERVICE).close()
            except LockdownError as error:
                raise IPhoneNotReady(
                    device.udid, CODES.get(error.code, IPhoneState.NOT_ANSWERING), name
                ) from None
        state = IPhoneState.PAIRED
    except IPhoneNotReady as error:
        state = error.state
        name = error.name
    except DeviceGone:
        state = IPhoneState.GONE
    except AuditError:
        state = IPhoneState.NOT_ANSWERING
    return IPhoneStatus(device.udid, name, model, state)


def iphones(mux: Usbmux | None = None) -> list[IPhoneStatus]:
    """Every iPhone usbmuxd lists; UsbmuxdMissing when there is no usbmuxd to ask."""
    mux = mux if mux is not None else Usbmux()
    return [status(mux, d) for d in mux.devices() if d.connection in ("USB", "")]


def watch(mux: Usbmux | None = None, stop: threading.Event | None = None) -> Iterator[IPhoneStatus]:
    """iPhones as they are plugged in, change state, and are unplugged, until `stop` is set
    or usbmuxd goes away. A phone that is waiting for the person is looked at again every
    RECHECK_SECONDS, and said again only when its state changes."""
    mux = mux if mux is not None else Usbmux()
    stop = stop if stop is not None else threading.Event()
    known: dict[int, IPhoneStatus] = {}
    devices: dict[int, MuxDevice] = {}
    lock = threading.Condition()
    events: list[IPhoneStatus] = []

    def say(item: IPhoneStatus) -> None:
        with lock:
            events.append(item)
            lock.notify()

    def follow(device: MuxDevice) -> None:
        while not stop.is_set() and device.device_id in devices:
            now = status(mux, device)
            if device.device_id not in devices:
                return
            if known.get(device.device_id) != now:
                known[device.device_id] = now
                say(now)
            if now.state not in _WAITING or stop.wait(RECHECK_SECONDS):
                return

    def listen() -> None:
        try:
            for event in mux.listen():
                if stop.is_set():
                    return
                if event.attached and event.device is not None:
                    devices[event.device_id] = event.device
                    threading.Thread(target=follow, args=(event.device,), daemon=True).start()
                elif not event.attached and event.device_id in devices:
                    gone = devices.pop(event.device_id)
                    last = known.pop(event.device_id, None)
                    say(IPhoneStatus(gone.udid, last.name if last else "", "", IPhoneState.GONE))
        except AuditError:
            pass
        finally:
            stop.set()
            with lock:
                lock.notify()

    threading.Thread(target=listen, daemon=True).start()
    while True:
        with lock:
            while not events and not stop.is_set():
                lock.wait(0.5)
            pending, events[:] = list(events), []
        yield from pending
        if stop.is_set() and not pending:
            return


def print_iphones(watching: bool, out: Callable[[str], None] = print) -> int:
    """`devices`: the iPhones plugged in (or, watching, a thread printing them as they come
    and go); how many were listed. Without usbmuxd, one line on how to get it."""
    if watching:
        threading.Thread(target=_watch_printing, args=(out,), daemon=True).start()
        return 0
    try:
        found = iphones()
    except UsbmuxdMissing:
        from audit.sources.ios.guidance import usbmuxd_missing

        out(_("iPhones: {advice}").format(advice=usbmuxd_missing()))
        return 0
    for item in found:
        out(item.line())
    return len(found)


def _watch_printing(out: Callable[[str], None]) -> None:
    try:
        Usbmux().devices()  # usbmuxd there at all?
    except UsbmuxdMissing:
        from audit.sources.ios.guidance import usbmuxd_missing

        out(_("iPhones: {advice}").format(advice=usbmuxd_missing()))
        return
    except AuditError:
        return
    for item in watch():
        out(item.line())
