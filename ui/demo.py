"""The demo phone: a simulated phone the real adb server talks to, to try the whole flow.

It is audit's SimulatedPhone serving the "demo-phone" profile on a loopback port, connected with
`adb connect`, so everything after that (the tracker, the scan, the policy) is the real thing.
Everywhere it appears it is labelled SIMULATED, so nobody mistakes it for their own phone.

The adb server outlives the app: when the app is killed with the demo phone on, the server keeps
listing its address as a phone that does not answer, and the next run would show a "Demo phone,
not responding". So the address is remembered in the settings while the phone is on, and the
next start disconnects what is left (`left_over`, `disconnect_left_over`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal

from audit.progress import CancelCheck, Progress
from ui.ops import Operations

log = logging.getLogger(__name__)

DEMO_PROFILE = "demo-phone"
ADDRESSES_KEY = "demo/addresses"  # the addresses of demo phones on now (or left by a killed run)


def left_over() -> list[str]:
    """The demo phone addresses a run left behind (or this run's, while its phone is on)."""
    value = QSettings().value(ADDRESSES_KEY, [])
    # One value reads back as a string from an INI file, several as a list.
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [str(v) for v in values if str(v).startswith("127.0.0.1:")]


def _remember(address: str) -> None:
    QSettings().setValue(ADDRESSES_KEY, sorted({*left_over(), address}))


def _forget(addresses: list[str]) -> None:
    kept = [a for a in left_over() if a not in addresses]
    if kept:
        QSettings().setValue(ADDRESSES_KEY, kept)
    else:
        QSettings().remove(ADDRESSES_KEY)


def disconnect_left_over(adb: Any, addresses: list[str]) -> list[str]:
    """Off the GUI thread: disconnect the given demo addresses the adb server lists but that do
    not answer (a phone another running copy of the app is showing answers: it is left alone).
    Returns the addresses dealt with (disconnected, or not listed any more)."""
    listed = {serial: state for serial, state, _tags in adb.devices()}
    done = []
    for address in addresses:
        state = listed.get(address)
        if state == "device":
            continue
        if state is not None:
            answer = adb.disconnect_device(address)
            log.info("demo phone left by an earlier run, %s: %s", address, answer)
        done.append(address)
    return done


def clean_up_left_over(
    ops: Operations, adb: Callable[[], Any], done: Callable[[list[str]], None]
) -> list[str]:
    """At start-up, in the background: disconnect the demo phones an earlier run left (see
    the module docstring); `done` gets the addresses dealt with. Returns the addresses looked
    at, which the window does not show meanwhile."""
    addresses = left_over()
    if not addresses:
        return []

    def work(_progress: Progress, _cancelled: CancelCheck) -> list[str]:
        return disconnect_left_over(adb(), addresses)

    def finished(cleaned: list[str]) -> None:
        _forget(cleaned)
        done(cleaned)

    def failed(error: BaseException) -> None:
        log.info("demo phones left by an earlier run could not be disconnected: %s", error)
        done([])

    ops.start("demo-left-over", work, finished, failed)
    return addresses


class DemoPhone(QObject):
    ready = Signal(str)  # the serial the phone will have in adb ("127.0.0.1:PORT")
    failed = Signal(object)

    def __init__(
        self,
        ops: Operations,
        adb: Callable[[], Any],
        parent: QObject | None = None,
        *,
        profile: str = DEMO_PROFILE,
        **phone_options: Any,
    ) -> None:
        super().__init__(parent)
        self.ops = ops
        self.adb = adb  # the app's shared Adb (ui.sources.SharedAdb)
        self.profile = profile
        self.phone_options = phone_options
        self.phone: Any = None
        self.serial = ""
        self._stopped = False

    def start(self) -> None:
        """Start the simulated phone, then connect it; the tracker then shows it."""

        def start_phone(_progress: Progress, _cancelled: CancelCheck) -> Any:
            from tests.phonesim import SimulatedPhone

            return SimulatedPhone(self.profile, **self.phone_options).start()

        self.ops.start("demo", start_phone, self._on_started, self._on_failed)

    def _on_started(self, phone: Any) -> None:
        if self._stopped:
            _stop_phone(phone, None)
            return
        self.phone = phone
        self.serial = phone.address
        _remember(self.serial)
        self.ready.emit(self.serial)

        def connect(_progress: Progress, _cancelled: CancelCheck) -> str:
            answer: str = self.adb().connect_device(phone.address)
            return answer

        self.ops.start(
            "demo", connect, lambda answer: log.info("demo phone: %s", answer), self._on_failed
        )

    def _on_failed(self, error: BaseException) -> None:
        self.stop()
        self.failed.emit(error)

    def stop(self, wait: bool = False) -> None:
        """Disconnect and stop the phone; off the GUI thread unless `wait`."""
        self._stopped = True
        self.ops.cancel("demo")
        phone, self.phone = self.phone, None
        if phone is None:
            return
        _forget([phone.address])
        if wait:
            _stop_phone(phone, self.adb)
        else:
            threading.Thread(
                target=_stop_phone, args=(phone, self.adb), name="demo-stop", daemon=True
            ).start()


def _stop_phone(phone: Any, adb: Callable[[], Any] | None) -> None:
    if adb is not None:
        try:
            adb().disconnect_device(phone.address)
        except Exception as error:  # the server may be gone already; the phone stops anyway
            log.info("demo phone: disconnect failed: %s", error)
    phone.stop()
