"""usbmuxd: which Apple devices are plugged in, the pair records it keeps, and a tunnel to a
port on one phone.

One request per connection, as libimobiledevice does: a socket that has carried a Connect
belongs to the phone from then on, and a Listen socket to the events. The device list is
usbmuxd's, never something a phone said about itself: the connection type (USB or Network)
and location id come from the daemon that owns the USB bus.
"""

from __future__ import annotations

import plistlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from audit.i18n import N_, _
from audit.sources.ios.wire import (
    Address,
    WireError,
    connect,
    mux_packet,
    read_mux,
    send_all,
    usbmuxd_address,
)

_RESULTS = {  # marked, translated where the error is made
    1: N_("usbmuxd did not understand the request"),
    2: N_("the phone is not (or no longer) connected"),
    3: N_("the phone refused the connection"),
    4: N_("the phone has no such service"),
    6: N_("usbmuxd speaks another version of its protocol"),
}
_LABEL = {"ClientVersionString": "device-audit", "ProgName": "device-audit"}


class MuxRefused(WireError):
    """usbmuxd answered a request with a failure number."""

    def __init__(self, request: str, number: int) -> None:
        self.number = number
        known = _RESULTS.get(number)
        reason = _(known) if known else _("usbmuxd error {number}").format(number=number)
        # Translators: {request} is a request's name (ListDevices, Listen) or "a connection to ..."
        super().__init__(
            _("usbmuxd refused {request}: {reason}.").format(request=request, reason=reason)
        )


@dataclass(frozen=True)
class MuxDevice:
    """A phone as usbmuxd lists it."""

    device_id: int
    udid: str
    connection: str  # "USB" or "Network", as usbmuxd says
    location: int = 0
    product_id: int = 0


@dataclass(frozen=True)
class MuxEvent:
    """A phone plugged in (`device` set) or out (only `device_id`)."""

    attached: bool
    device_id: int
    device: MuxDevice | None = None


def _device(entry: object) -> MuxDevice | None:
    """A device from an Attached record; None when it lacks what identifies it."""
    if not isinstance(entry, dict):
        return None
    props = entry.get("Properties")
    device_id = entry.get("DeviceID")
    if not isinstance(props, dict) or not isinstance(device_id, int):
        return None
    udid = props.get("SerialNumber")
    if not isinstance(udid, str) or not udid or len(udid) > 64:
        return None
    location, product = props.get("LocationID", 0), props.get("ProductID", 0)
    connection = props.get("ConnectionType", "")
    return MuxDevice(
        device_id,
        udid,
        connection if isinstance(connection, str) else "",
        location if isinstance(location, int) else 0,
        product if isinstance(product, int) else 0,
    )


class Usbmux:
    """Requests to one usbmuxd (its address: USBMUXD_SOCKET_ADDRESS, else the system's)."""

    def __init__(self, address: Address | None = None, timeout: float = 20.0) -> None:
        self.address = address if address is not None else usbmuxd_address()
        self.timeout = timeout
        self._tag = 0

    def _open(self, message: dict[str, Any]) -> tuple[socket.socket, dict[str, Any]]:
        sock = connect(self.address, self.timeout)
        self._tag += 1
        try:
            send_all(sock, mux_packet(self._tag, {**_LABEL, **message}))
            _tag, answer = read_mux(sock)
        except BaseException:
            sock.close()
            raise
        return sock, answer

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        sock, answer = self._open(message)
        sock.close()
        return answer

    def _result(self, name: str, answer: dict[str, Any]) -> None:
        if answer.get("MessageType") == "Result" and answer.get("Number") != 0:
            number = answer.get("Number")
            raise MuxRefused(name, number if isinstance(number, int) else -1)

    def devices(self) -> list[MuxDevice]:
        answer = self.request({"MessageType": "ListDevices"})
        self._result("ListDevices", answer)
        listing = answer.get("DeviceList")
        if not isinstance(listing, list):
            raise WireError(_("usbmuxd answered ListDevices without a device list."))
        found = [d for d in map(_device, listing) if d is not None]
        return list({d.udid: d for d in found}.values())

    def buid(self) -> str:
        value = self.request({"MessageType": "ReadBUID"}).get("BUID")
        return value if isinstance(value, str) else ""

    def pair_record(self, udid: str) -> dict[str, Any] | None:
        """The pair record usbmuxd keeps for the phone; None when this computer has none."""
        answer = self.request({"MessageType": "ReadPairRecord", "PairRecordID": udid})
        data = answer.get("PairRecordData")
        if not isinstance(data, bytes):
            return None
        try:
            record = plistlib.loads(data)
        except Exception:
            return None
        return record if isinstance(record, dict) else None

    def save_pair_record(self, udid: str, device_id: int, record: dict[str, Any]) -> None:
        data = plistlib.dumps(record)
        answer = self.request(
            {
                "MessageType": "SavePairRecord",
                "PairRecordID": udid,
                "PairRecordData": data,
                "DeviceID": device_id,
            }
        )
        self._result("SavePairRecord", answer)

    def delete_pair_record(self, udid: str) -> None:
        answer = self.request({"MessageType": "DeletePairRecord", "PairRecordID": udid})
        self._result("DeletePairRecord", answer)

    def connect(self, device_id: int, port: int) -> socket.socket:
        """A socket that now carries the phone's `port` (sent byte-swapped, as usbmuxd wants)."""
        request = {
            "MessageType": "Connect",
            "DeviceID": device_id,
            "PortNumber": socket.htons(port),
        }
        sock, answer = self._open(request)
        try:
            self._result(_("a connection to port {port}").format(port=port), answer)
        except BaseException:
            sock.close()
            raise
        return sock

    def listen(self) -> Iterator[MuxEvent]:
        """Phones plugged in and out, from those already there, until the socket closes."""
        sock, answer = self._open({"MessageType": "Listen"})
        sock.settimeout(None)
        try:
            self._result("Listen", answer)
            while True:
                _tag, message = read_mux(sock)
                kind = message.get("MessageType")
                if kind == "Attached" and (device := _device(message)) is not None:
                    yield MuxEvent(True, device.device_id, device)
                elif kind == "Detached" and isinstance(message.get("DeviceID"), int):
                    yield MuxEvent(False, message["DeviceID"])
        finally:
            sock.close()
