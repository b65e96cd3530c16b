"""Telling a phone that was unplugged as its check began from a link that only reset.

Split from scan.py (issue 15: files stay under ~600 lines); scan.py re-exports `settled`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from audit.errors import DeviceError, DeviceGone
from audit.i18n import _
from audit.model import ScanResult
from audit.progress import CancelCheck, raise_if_cancelled
from audit.text import visible

log = logging.getLogger(__name__)


SETTLE_S = 1.0
SETTLE_POLL_S = 0.05
RECONNECT_S = 0.25
"""How long the adb server takes to connect again to a phone whose link dropped (measured:
about 0.25 s for a phone on the network, after which it lists it as `device` again)."""


def settled(
    serial: str,
    scan: Callable[[], ScanResult],
    state_of: Callable[[], str | None],
    cancelled: CancelCheck,
    *,
    settle_s: float = SETTLE_S,
) -> ScanResult:
    """Run `scan`; when the adb server refuses the phone without a reason (a bare "closed"
    DeviceError, not one of its typed kinds, as when the cable is pulled just as the scan
    opens the phone), ask the server how the phone is: not listed as ready within `settle_s`
    means it was unplugged (DeviceGone, with its next step); ready all along, scan once more.

    When the connection drops on the very first command (DeviceGone: nothing was read, since
    a drop later gives an incomplete result instead), the link may only have reset: the adb
    server connects again within about RECONNECT_S. The scan is tried once more if the server
    lists the phone as ready again within `settle_s`; only then is the phone called gone. A
    phone that stopped answering (DeviceNotAnswering) is not retried: that would only wait as
    long again."""
    try:
        return scan()
    except DeviceError as error:
        if type(error) is DeviceGone:
            return _after_drop(serial, scan, state_of, cancelled, error, settle_s=settle_s)
        if type(error) is not DeviceError:
            raise  # gone, unauthorized, offline...: the error already says what to do
        refused = error
    deadline = time.monotonic() + settle_s
    while True:
        raise_if_cancelled(cancelled)
        try:
            state = state_of()
        except Exception as error:  # the server itself is in trouble: keep the first words
            log.info("cannot list phones after %s was refused: %s", serial, error)
            raise refused from error
        if state != "device":
            log.info("phone %s was refused (%s) and is now %s", serial, refused.message, state)
            raise DeviceGone(
                serial,
                _("The phone {serial} was disconnected as its check began.").format(
                    serial=visible(serial)
                ),
            ) from refused
        if time.monotonic() >= deadline:
            break
        time.sleep(SETTLE_POLL_S)
    log.info("phone %s was refused (%s) but is ready: checking it again", serial, refused.message)
    return scan()


def _after_drop(
    serial: str,
    scan: Callable[[], ScanResult],
    state_of: Callable[[], str | None],
    cancelled: CancelCheck,
    dropped: DeviceGone,
    *,
    settle_s: float,
) -> ScanResult:
    """Scan once more when the server lists the phone as ready again, no sooner than
    RECONNECT_S after the drop (before that it may not have noticed the drop) and no later than
    `settle_s`; else raise the drop as it was. A link the server is reconnecting is listed as
    `offline` meanwhile; a phone it no longer lists at all was unplugged, and is gone now."""
    start = time.monotonic()
    while True:
        raise_if_cancelled(cancelled)
        waited = time.monotonic() - start
        if waited >= RECONNECT_S:
            try:
                state = state_of()
            except Exception as error:  # the server itself is in trouble: keep the first words
                log.info("cannot list phones after %s dropped: %s", serial, error)
                raise dropped from error
            if state == "device":
                log.info("phone %s dropped its link (%s), is back: again", serial, dropped.message)
                return scan()
            if state is None or waited >= settle_s:  # not listed at all: unplugged, not reset
                log.info("phone %s dropped its link and is %s: gone", serial, state)
                raise dropped
        time.sleep(SETTLE_POLL_S)
