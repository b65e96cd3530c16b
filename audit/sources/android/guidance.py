"""What to tell the person at the phone, for each connection state and at the end of an audit.

The most common failure in every Android tool's tracker is "no device found"; the fix is almost
always something the person does on the phone or the computer. These words are shared by the
CLI and the GUI so both say the same thing.
"""

from __future__ import annotations

from audit.i18n import N_, _
from audit.model import DeviceState

# The constants below are marked for the catalogue (N_) and translated where they are shown:
# `state_label()`, `guidance()`, `maker_name()`, or `_(CONSTANT[key])` in a caller.
STATE_LABELS: dict[DeviceState, str] = {
    DeviceState.READY: N_("ready"),
    DeviceState.UNAUTHORIZED: N_("waiting for permission"),
    DeviceState.OFFLINE: N_("not answering"),
    DeviceState.NO_PERMISSION: N_("no USB permission"),
    DeviceState.CONNECTING: N_("connecting"),
    DeviceState.GONE: N_("unplugged"),
}

GUIDANCE: dict[DeviceState, str] = {
    DeviceState.READY: N_("Ready to scan."),
    # Translators: "Allow", "Allow USB debugging?" and "Always allow from this computer" are the
    # phone's own words: use the ones Android shows in your language.
    DeviceState.UNAUTHORIZED: N_(
        "Unlock the phone and tap Allow on 'Allow USB debugging?'. Tick 'Always allow from "
        "this computer' only if this is your own computer."
    ),
    DeviceState.OFFLINE: N_(
        "The phone is connected but not answering. Unlock it; if that does not help, unplug it, "
        "plug it in again, and check that USB debugging is still on."
    ),
    DeviceState.NO_PERMISSION: N_(
        "This computer is not allowed to open the phone's USB connection. On Linux, add a udev "
        "rule for the phone: create /etc/udev/rules.d/51-android.rules with the line "
        'SUBSYSTEM=="usb", ATTR{idVendor}=="<vendor id>", MODE="0660", GROUP="plugdev" '
        "(the vendor id is shown by lsusb), make sure you are in the plugdev group, run "
        "'sudo udevadm control --reload-rules', then unplug the phone and plug it in again."
    ),
    DeviceState.CONNECTING: N_("The phone is connecting. Unlock it and wait a moment."),
    DeviceState.GONE: N_("The phone was unplugged. Plug it in again to continue."),
}

_SPECIAL_MODES = ("bootloader", "recovery", "sideload", "rescue", "fastboot")


def device_state(raw: str) -> DeviceState:
    """Our state for the state word the adb server reports ("device", "unauthorized"...)."""
    word = raw.strip().lower()
    if word == "device":
        return DeviceState.READY
    if word == "unauthorized":
        return DeviceState.UNAUTHORIZED
    if word.startswith(("no permissions", "insufficient permissions")):
        return DeviceState.NO_PERMISSION
    if word in ("authorizing", "connecting", "detached"):
        return DeviceState.CONNECTING
    if word in ("absent", "gone", ""):
        return DeviceState.GONE
    return DeviceState.OFFLINE  # offline, host, and the special boot modes


def state_label(state: DeviceState) -> str:
    """ "waiting for permission": a phone's state in a list, in the language in use."""
    return _(STATE_LABELS[state])


def guidance(state: DeviceState, raw: str = "") -> str:
    """The sentence for the person at the phone; the special boot modes get their own."""
    word = raw.strip().lower()
    if word in _SPECIAL_MODES:
        # Translators: {mode} is the phone's own word for its boot mode ("recovery",
        # "bootloader", "fastboot"...), shown as the phone says it.
        return _(
            "The phone is in {mode} mode, not running Android. Restart it normally, unlock "
            "it, and plug it in again."
        ).format(mode=word)
    return _(GUIDANCE[state])


ENABLE_USB_DEBUGGING_STEPS: tuple[str, ...] = (
    # Translators: the setting names are the phone's own: "Settings", "About phone", "Build
    # number", "Software information", "System", "Developer options", "USB debugging", "Allow",
    # "Allow USB debugging?": use the ones Android shows in your language.
    N_(
        "Open Settings > About phone and tap 'Build number' seven times (on Samsung: Settings > "
        "About phone > Software information > Build number). Enter your PIN if asked."
    ),
    N_(
        "Go back to Settings > System > Developer options (on Samsung: Settings > Developer "
        "options) and switch on 'USB debugging'."
    ),
    N_("Plug the phone into this computer, unlock it, and tap Allow on 'Allow USB debugging?'."),
)

_REVOKE = N_(
    "Tap 'Revoke USB debugging authorizations' and confirm, so this computer is forgotten."
)
_SWITCH_OFF = N_("Switch off 'USB debugging'.")
_SWITCH_OFF_OPTIONS = N_("Switch off Developer options with the switch at the top of that screen.")

DISABLE_USB_DEBUGGING_STEPS: tuple[str, ...] = (
    N_("Open Settings > System > Developer options (on Samsung: Settings > Developer options)."),
    _REVOKE,
    _SWITCH_OFF,
    _SWITCH_OFF_OPTIONS,
)
"""Organisations often treat USB debugging as a risk (Intune can block it); leave it off."""


# --- switching USB debugging off, for the phone at hand ----------------------------------------

# Words in ro.product.manufacturer (lower case) -> the maker's guide in resources/guides.
MAKER_WORDS: dict[str, str] = {
    "samsung": "samsung",
    "google": "pixel",
    "xiaomi": "xiaomi",
    "redmi": "xiaomi",
    "poco": "xiaomi",
    "oneplus": "oneplus-oppo-realme",
    "oppo": "oneplus-oppo-realme",
    "realme": "oneplus-oppo-realme",
    "motorola": "motorola",
    "huawei": "huawei-honor",
    "honor": "huawei-honor",
}
MAKER_NAMES: dict[str, str] = {
    "samsung": N_("Samsung Galaxy"),
    "pixel": N_("Google Pixel"),
    "xiaomi": N_("Xiaomi, Redmi or POCO phone"),
    "oneplus-oppo-realme": N_("OnePlus, OPPO or realme phone"),
    "motorola": N_("Motorola phone"),
    "huawei-honor": N_("Huawei or Honor phone"),
}


def phone_maker(manufacturer: str) -> str:
    """The maker's guide name for a phone's manufacturer; "generic" when it is not known."""
    maker = manufacturer.strip().lower()
    return next((guide for word, guide in MAKER_WORDS.items() if word in maker), "generic")


# Where Developer options is on each maker's phones (the same place the switch-on guide uses).
_DEVELOPER_OPTIONS: dict[str, str] = {
    "samsung": N_("Open Settings, scroll to the very bottom and tap Developer options."),
    "pixel": N_("Open Settings > System > Developer options."),
    "motorola": N_("Open Settings > System > Developer options."),
    "xiaomi": N_("Open Settings > Additional settings > Developer options."),
    "oneplus-oppo-realme": N_(
        "Open Settings > Additional settings (on some phones: System) > Developer options."
    ),
    "huawei-honor": N_(
        "Open Settings > System & updates (on some phones: System) > Developer options."
    ),
    "generic": N_(
        "Open Settings and find Developer options: it is often under System, or at the very "
        "bottom of Settings. You can also type 'developer' in the Settings search box."
    ),
}
_ALSO_OFF: dict[str, str] = {
    "xiaomi": N_("Switch off 'USB debugging (Security settings)' too, if it is on."),
    "huawei-honor": N_("Switch off 'Allow ADB debugging in charge only mode' too, if it is on."),
}


def disable_usb_debugging_steps(manufacturer: str) -> tuple[str, ...]:
    """The steps to switch USB debugging off on this maker's phones (general ones when the maker
    is not known): where Developer options is differs, the rest is Android's own."""
    maker = phone_maker(manufacturer)
    steps = [_DEVELOPER_OPTIONS[maker], _REVOKE, _SWITCH_OFF]
    if maker in _ALSO_OFF:
        steps.append(_ALSO_OFF[maker])
    steps.append(_SWITCH_OFF_OPTIONS)
    return tuple(_(step) for step in steps)


def maker_name(maker: str) -> str:
    """ "Samsung Galaxy", for a guide name of `phone_maker`; "" for one without a name."""
    return _(MAKER_NAMES[maker]) if maker in MAKER_NAMES else ""


def enable_usb_debugging_steps() -> tuple[str, ...]:
    """ENABLE_USB_DEBUGGING_STEPS in the language in use."""
    return tuple(_(step) for step in ENABLE_USB_DEBUGGING_STEPS)


def general_disable_steps() -> tuple[str, ...]:
    """DISABLE_USB_DEBUGGING_STEPS in the language in use (when the maker is not known)."""
    return tuple(_(step) for step in DISABLE_USB_DEBUGGING_STEPS)
