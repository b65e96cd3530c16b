"""The demo phone: a simulated phone the real adb server talks to, to try the whole flow.

It is audit's SimulatedPhone serving the "demo-phone" profile on a loopback port, connected with
`adb connect`, so everything after that (the tracker, the scan, the policy) is the real thing.
Everywhere it appears it is labelled SIMULATED, so nobody mistakes it for their own phone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from audit.progress import CancelCheck, Progress
from ui.ops import Operations

log = logging.getLogger(__name__)

DEMO_PROFILE = "demo-phone"


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
            from audit.phonesim import SimulatedPhone

            return SimulatedPhone(self.profile, **self.phone_options).start()

        self.ops.start("demo", start_phone, self._on_started, self._on_failed)

    def _on_started(self, phone: Any) -> None:
        if self._stopped:
            _stop_phone(phone, None)
            return
        self.phone = phone
        self.serial = phone.address
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
