"""What to tell the person at the phone, for each connection state and at the end of an audit.

The most common failure in every Android tool's tracker is "no device found"; the fix is almost
always something the person does on the phone or the computer. These words are shared by the
CLI and the GUI so both say the same thing.
"""

from __future__ import annotations

from audit.model import DeviceState

STATE_LABELS: dict[DeviceState, str] = {
    DeviceState.READY: "ready",
    DeviceState.UNAUTHORIZED: "waiting for permission",
    DeviceState.OFFLINE: "not answering",
    DeviceState.NO_PERMISSION: "no USB permission",
    DeviceState.CONNECTING: "connecting",
    DeviceState.GONE: "unplugged",
}

GUIDANCE: dict[DeviceState, str] = {
    DeviceState.READY: "Ready to scan.",
    DeviceState.UNAUTHORIZED: (
        "Unlock the phone and tap Allow on 'Allow USB debugging?'. Tick 'Always allow from "
        "this computer' only if this is your own computer."
    ),
    DeviceState.OFFLINE: (
        "The phone is connected but not answering. Unlock it; if that does not help, unplug it, "
        "plug it in again, and check that USB debugging is still on."
    ),
    DeviceState.NO_PERMISSION: (
        "This computer is not allowed to open the phone's USB connection. On Linux, add a udev "
        "rule for the phone: create /etc/udev/rules.d/51-android.rules with the line "
        'SUBSYSTEM=="usb", ATTR{idVendor}=="<vendor id>", MODE="0660", GROUP="plugdev" '
        "(the vendor id is shown by lsusb), make sure you are in the plugdev group, run "
        "'sudo udevadm control --reload-rules', then unplug the phone and plug it in again."
    ),
    DeviceState.CONNECTING: "The phone is connecting. Unlock it and wait a moment.",
    DeviceState.GONE: "The phone was unplugged. Plug it in again to continue.",
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


def guidance(state: DeviceState, raw: str = "") -> str:
    """The sentence for the person at the phone; the special boot modes get their own."""
    word = raw.strip().lower()
    if word in _SPECIAL_MODES:
        return (
            f"The phone is in {word} mode, not running Android. Restart it normally, unlock "
            "it, and plug it in again."
        )
    return GUIDANCE[state]


ENABLE_USB_DEBUGGING_STEPS: tuple[str, ...] = (
    "Open Settings > About phone and tap 'Build number' seven times (on Samsung: Settings > "
    "About phone > Software information > Build number). Enter your PIN if asked.",
    "Go back to Settings > System > Developer options (on Samsung: Settings > Developer "
    "options) and switch on 'USB debugging'.",
    "Plug the phone into this computer, unlock it, and tap Allow on 'Allow USB debugging?'.",
)

DISABLE_USB_DEBUGGING_STEPS: tuple[str, ...] = (
    "Open Settings > System > Developer options (on Samsung: Settings > Developer options).",
    "Tap 'Revoke USB debugging authorizations' and confirm, so this computer is forgotten.",
    "Switch off 'USB debugging'.",
    "Switch off Developer options with the switch at the top of that screen.",
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
    "samsung": "Samsung Galaxy",
    "pixel": "Google Pixel",
    "xiaomi": "Xiaomi, Redmi or POCO phone",
    "oneplus-oppo-realme": "OnePlus, OPPO or realme phone",
    "motorola": "Motorola phone",
    "huawei-honor": "Huawei or Honor phone",
}


def phone_maker(manufacturer: str) -> str:
    """The maker's guide name for a phone's manufacturer; "generic" when it is not known."""
    maker = manufacturer.strip().lower()
    return next((guide for word, guide in MAKER_WORDS.items() if word in maker), "generic")


# Where Developer options is on each maker's phones (the same place the switch-on guide uses).
_DEVELOPER_OPTIONS: dict[str, str] = {
    "samsung": "Open Settings, scroll to the very bottom and tap Developer options.",
    "pixel": "Open Settings > System > Developer options.",
    "motorola": "Open Settings > System > Developer options.",
    "xiaomi": "Open Settings > Additional settings > Developer options.",
    "oneplus-oppo-realme": (
        "Open Settings > Additional settings (on some phones: System) > Developer options."
    ),
    "huawei-honor": (
        "Open Settings > System & updates (on some phones: System) > Developer options."
    ),
    "generic": (
        "Open Settings and find Developer options: it is often under System, or at the very "
        "bottom of Settings. You can also type 'developer' in the Settings search box."
    ),
}
_ALSO_OFF: dict[str, str] = {
    "xiaomi": "Switch off 'USB debugging (Security settings)' too, if it is on.",
    "huawei-honor": "Switch off 'Allow ADB debugging in charge only mode' too, if it is on.",
}


def disable_usb_debugging_steps(manufacturer: str) -> tuple[str, ...]:
    """The steps to switch USB debugging off on this maker's phones (general ones when the maker
    is not known): where Developer options is differs, the rest is Android's own."""
    maker = phone_maker(manufacturer)
    steps = [
        _DEVELOPER_OPTIONS[maker],
        "Tap 'Revoke USB debugging authorizations' and confirm, so this computer is forgotten.",
        "Switch off 'USB debugging'.",
    ]
    if maker in _ALSO_OFF:
        steps.append(_ALSO_OFF[maker])
    steps.append("Switch off Developer options with the switch at the top of that screen.")
    return tuple(steps)
