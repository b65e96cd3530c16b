"""How a device was reached for a scan, as data and in words.

A receipt signs how the phone was reached (predicate.device.connection), because a valid
signature over a scan proves nothing about which device answered: a program on this computer or
a phone over the network can answer as a phone. USB is the only way a person at the desk sees
the phone that is audited, so everything else is named in words wherever a receipt is shown
(verify, the PDF, the history, the export): "reached over the network, not a USB cable".

One reader (`connection_from_dict`) serves every file that carries the value: inventory files,
receipts and the history's stored copy of a receipt's device. It raises ValueError naming what
is wrong, and each caller turns that into its own error; an old file without the value reads as
None, "not recorded", which is never taken for USB.
"""

from __future__ import annotations

from typing import Any

from audit.i18n import N_, _
from audit.model import Connection, ConnectionKind, members_by_value

_KINDS = members_by_value(ConnectionKind)
_TEXT_FIELDS = ("usb_path", "address", "product", "model", "device")
# Kinds named by an adb serial (HOST:PORT, an mDNS service, emulator-5554): without it the value
# says nothing of where the phone was.
_ADDRESSED = frozenset({ConnectionKind.NETWORK, ConnectionKind.LOOPBACK, ConnectionKind.EMULATOR})
_PHONE_KINDS = frozenset(
    {
        ConnectionKind.USB,
        ConnectionKind.NETWORK,
        ConnectionKind.LOOPBACK,
        ConnectionKind.EMULATOR,
        ConnectionKind.DEMO,
    }
)

# Each phrase follows "reached" (the label where it is shown: verify, the PDF, the export).
# Marked, not translated (set at import): `reached_words` translates them.
NOT_RECORDED = N_("not recorded (made before Device Audit recorded how a device was reached)")
NETWORK_WORDS = N_("over the network, not a USB cable")
LOOPBACK_WORDS = N_(
    "over the network from a program on this computer, not a USB cable "
    "(it may be a simulator, not a phone)"
)
EMULATOR_WORDS = N_("through a phone emulator on this computer, not a real phone on a USB cable")
DEMO_WORDS = N_("inside the app: Device Audit's demo phone, no phone at all")
THIS_COMPUTER_WORDS = N_("directly: this computer itself")


def connection_to_dict(connection: Connection | None) -> dict[str, str] | None:
    if connection is None:
        return None
    return {
        "kind": connection.kind.value,
        "usb_path": connection.usb_path,
        "address": connection.address,
        "product": connection.product,
        "model": connection.model,
        "device": connection.device,
    }


def connection_from_dict(data: Any, *, device_kind: str | None = None) -> Connection | None:
    """The connection a file records; None when it records none (null or absent).

    Raises ValueError with a clause naming what is wrong ("its kind is 'x', ...") when the
    value is not what Device Audit writes: not an object, an unknown kind, a field that is not
    text, an address missing where the kind needs one, a USB path on a kind that has none, or
    (given `device_kind`, the device's own kind) a phone's connection on a computer or the
    other way round.
    """
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError(_("it is not an object"))
    raw = data.get("kind")
    kind = _KINDS.get(raw) if isinstance(raw, str) else None
    if kind is None:
        raise ValueError(
            _("its kind is {kind}, not a known way of reaching a device").format(kind=repr(raw))
        )
    values: dict[str, str] = {}
    for key in _TEXT_FIELDS:
        value = data.get(key, "")
        if not isinstance(value, str):
            raise ValueError(_("its {field} is not text").format(field=key))
        values[key] = value
    if kind in _ADDRESSED and not values["address"].strip():
        raise ValueError(
            # Translators: {kind} is a code: network, loopback, emulator
            _("its address is missing, which a {kind} connection needs").format(kind=kind.value)
        )
    if kind is not ConnectionKind.USB and values["usb_path"]:
        raise ValueError(_("it gives a usb_path for a {kind} connection").format(kind=kind.value))
    if device_kind is not None:
        phone = device_kind != "computer"
        if phone != (kind in _PHONE_KINDS):
            raise ValueError(
                # Translators: {kind} and {device_kind} are codes (network; computer, android)
                _("its kind, {kind}, does not fit a {device_kind} device").format(
                    kind=kind.value, device_kind=device_kind
                )
            )
    return Connection(kind=kind, **values)


def reached_words(connection: Connection | None, *, translated: bool = True) -> str:
    """How the device was reached, as a phrase that follows the word "reached" ("over the
    network, not a USB cable (192.168.1.20:5555)"). Parts of it came from a file or the adb
    server: show it as plain text. `translated=False` gives the English words, for a value the
    compliance office's tools read (an export's column), which never changes with the language.
    """
    t = _ if translated else _as_written  # the messages are marked N_() for the catalogue
    if connection is None:
        return t(NOT_RECORDED)
    kind = connection.kind
    address = connection.address
    if kind is ConnectionKind.USB:
        if connection.usb_path:
            return t(N_("by USB cable (USB port {port})")).format(port=connection.usb_path)
        return t(N_("by USB cable"))
    if kind is ConnectionKind.NETWORK:
        return t(N_("{words} ({address})")).format(words=t(NETWORK_WORDS), address=address)
    if kind is ConnectionKind.LOOPBACK:
        return t(N_("{words}: {address}")).format(words=t(LOOPBACK_WORDS), address=address)
    if kind is ConnectionKind.EMULATOR:
        return t(N_("{words} ({address})")).format(words=t(EMULATOR_WORDS), address=address)
    if kind is ConnectionKind.DEMO:
        return t(DEMO_WORDS)
    return t(THIS_COMPUTER_WORDS)


def _as_written(message: str) -> str:
    return message


def server_listing(connection: Connection | None) -> str:
    """The fields as the adb server listed them (`usb:1-1 product:sunfish ...`), for the
    technical details of a receipt; "" when there are none."""
    if connection is None:
        return ""
    parts = [("usb", connection.usb_path)] + [
        (key, getattr(connection, key)) for key in ("product", "model", "device")
    ]
    return " ".join(f"{key}:{value}" for key, value in parts if value)


def remote(connection: Connection | None) -> bool:
    """Reached over the network, from a program on this computer, or an emulator: what a
    reader of a receipt must be told is not a phone on a cable."""
    return connection is not None and connection.kind in _ADDRESSED


def short_note(connection: Connection | None) -> str:
    """A few words to put beside a phone's name in a list ("over the network"); "" for a cable,
    this computer or a connection not recorded."""
    if connection is None:
        return ""
    if connection.kind in (ConnectionKind.NETWORK, ConnectionKind.LOOPBACK):
        return _("over the network")
    if connection.kind is ConnectionKind.EMULATOR:
        return _("emulator")
    return ""
