"""What to tell the person holding an iPhone, for each state it can be in, and when the piece
of Apple's USB support this computer needs is missing. The CLI and the window say the same."""

from __future__ import annotations

import sys
from enum import StrEnum

from audit.i18n import N_, _
from audit.model import DeviceState
from audit.sources.ios.wire import ENV, Address, usbmuxd_address


class IPhoneState(StrEnum):
    PAIRED = "paired"  # trusts this computer: ready to scan
    WAITING = "waiting"  # "Trust This Computer?" is on the screen, not yet answered
    REFUSED = "refused"  # the person tapped Don't Trust
    LOCKED = "locked"  # locked: it cannot show the Trust question until unlocked
    PASSCODE = "passcode"  # trusted, but restarted and not unlocked since
    GONE = "gone"  # unplugged
    NOT_ANSWERING = "not_answering"

    @property
    def device_state(self) -> DeviceState:
        """The state the device list shows (shared with Android phones)."""
        return _DEVICE_STATE[self]


_DEVICE_STATE = {
    IPhoneState.PAIRED: DeviceState.READY,
    IPhoneState.WAITING: DeviceState.UNAUTHORIZED,
    IPhoneState.REFUSED: DeviceState.UNAUTHORIZED,
    IPhoneState.LOCKED: DeviceState.UNAUTHORIZED,
    IPhoneState.PASSCODE: DeviceState.UNAUTHORIZED,
    IPhoneState.GONE: DeviceState.GONE,
    IPhoneState.NOT_ANSWERING: DeviceState.OFFLINE,
}

# Marked, not translated (set at import): shown with `_(LABELS[state])`, `_(GUIDANCE[state])`.
# Translators: "Trust This Computer?", Trust, Don't Trust are the iPhone's own words: use the
# French iPhone's ("Se fier à cet ordinateur?", "Se fier", "Ne pas se fier").
LABELS: dict[IPhoneState, str] = {
    IPhoneState.PAIRED: N_("ready (trusts this computer)"),
    IPhoneState.WAITING: N_('waiting for "Trust This Computer?"'),
    IPhoneState.REFUSED: N_("trust refused"),
    IPhoneState.LOCKED: N_("locked"),
    IPhoneState.PASSCODE: N_("passcode needed"),
    IPhoneState.GONE: N_("unplugged"),
    IPhoneState.NOT_ANSWERING: N_("not answering"),
}

GUIDANCE: dict[IPhoneState, str] = {
    IPhoneState.PAIRED: N_("Ready to scan."),
    IPhoneState.WAITING: N_(
        'Unlock the iPhone. It asks "Trust This Computer?": tap Trust, then enter the '
        "iPhone's passcode. Then check again."
    ),
    IPhoneState.REFUSED: N_(
        "Don't Trust was tapped on the iPhone. Unplug it and plug it in again: the iPhone asks "
        '"Trust This Computer?" once more; tap Trust and enter the passcode.'
    ),
    IPhoneState.LOCKED: N_(
        "The iPhone is locked. Unlock it with its passcode (Face ID alone may not do after a "
        'restart) and keep it unlocked until it asks "Trust This Computer?".'
    ),
    IPhoneState.PASSCODE: N_(
        "The iPhone has restarted and must be unlocked once with its passcode before this "
        "computer can read it. Enter the passcode on the iPhone, then check again."
    ),
    IPhoneState.GONE: N_("The iPhone was unplugged. Plug it in again to continue."),
    IPhoneState.NOT_ANSWERING: N_(
        "The iPhone is connected but not answering. Unlock it; if that does not help, unplug "
        "it and plug it in again, or restart it."
    ),
}

# lockdownd's error words, as the states they mean
CODES: dict[str, IPhoneState] = {
    "PairingDialogResponsePending": IPhoneState.WAITING,
    "UserDeniedPairing": IPhoneState.REFUSED,
    "PasswordProtected": IPhoneState.LOCKED,
    "PasscodeRequired": IPhoneState.PASSCODE,
    "DeviceLocked": IPhoneState.LOCKED,
}


def usbmuxd_missing(address: Address | None = None, platform: str = "") -> str:
    """How to get the piece that lets this computer talk to iPhones, for this system."""
    where = address if address is not None else usbmuxd_address()
    system = platform or sys.platform
    if _overridden():
        return _(
            "Nothing answers at {address}, the address {setting} names. Start the program that "
            "should listen there, or unset {setting} to use this computer's own usbmuxd."
        ).format(address=where, setting=ENV)
    if system.startswith("win"):
        return _(
            "To check iPhones, Windows needs Apple Mobile Device Service: install Apple Devices "
            "from the Microsoft Store (or iTunes from apple.com), then plug the iPhone in again."
        )
    if system == "darwin":
        return _(
            "macOS's own iPhone service (usbmuxd) is not answering. Restart this Mac, then "
            "plug the iPhone in again."
        )
    return _(
        "To check iPhones, Linux needs the usbmuxd service: install it (Debian and Ubuntu: "
        "sudo apt install usbmuxd; Fedora: sudo dnf install usbmuxd), then plug the iPhone in "
        "again."
    )


def _overridden() -> bool:
    import os

    return bool(os.environ.get(ENV, "").strip())
