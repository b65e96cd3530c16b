"""A fake usbmuxd with simulated iPhones behind it: lockdownd (with TLS over the pair record)
and installation_proxy, speaking the wire formats of the real ones.

usbmuxd messages: a 16-byte header (total length, protocol version 1, message type 8 =
plist, tag; little-endian) and an XML plist. Connect's PortNumber arrives byte-swapped
(network order in a little-endian field); once Connect succeeds the socket carries the device
port's own protocol. lockdownd and installation_proxy send plists each preceded by its length
as 4 big-endian bytes. StartSession switches the lockdown socket to TLS: the phone shows its
device certificate and accepts only the host certificate of a computer it was paired with.

The reference client (pymobiledevice3) is run against this in tests/audit/ios, so the fake is
held to what a real client expects, not to what the project's own client happens to send.
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import queue
import socket
import socketserver
import ssl
import struct
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.iossim import pki
from tests.iossim.profiles import App, Profile, load

LOCKDOWN_PORT = 62078
INSTALLATION_PROXY = "com.apple.mobile.installation_proxy"
RESULT_OK, RESULT_BADCOMMAND, RESULT_BADDEV, RESULT_CONNREFUSED = 0, 1, 2, 3
_HEADER = struct.Struct("<IIII")
# What lockdownd tells a computer it has no pairing with (a real phone gives a few basics).
_PUBLIC_VALUES = (
    "BuildVersion",
    "DeviceClass",
    "DeviceName",
    "DevicePublicKey",
    "ProductType",
    "ProductVersion",
    "UniqueDeviceID",
)


class SimulatedIPhone:
    """One phone: its lockdown values, its apps (mutated by Uninstall) and its trust state."""

    def __init__(self, profile: str | Path | Profile) -> None:
        self.profile = profile if isinstance(profile, Profile) else load(profile)
        self.udid = self.profile.udid
        self.apps: dict[str, App] = {app.bundle: app for app in self.profile.apps}
        self.device_id = 0
        self.attached = False
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.service_ports: set[int] = set()
        self.pairing = pki.for_udid(self.udid)
        # HostID -> the host certificate (DER) it trusts and the root (PEM) that signed it
        self.paired_hosts: dict[str, tuple[bytes, bytes]] = {}
        self.requests: list[str] = []  # every lockdown and installation_proxy request seen
        self.browse_count = 0
        if self.profile.trust in ("trusted", "passcode"):
            self.paired_hosts[self.pairing.host_id] = (
                self.pairing.host_certificate_der(),
                self.pairing.root_certificate,
            )

    def values(self, paired: bool) -> dict[str, Any]:
        values = dict(self.profile.values)
        values["DevicePublicKey"] = self.pairing.device_public_key
        if paired:
            return values
        return {k: v for k, v in values.items() if k in _PUBLIC_VALUES}

    def dumps(self, message: dict[str, Any]) -> bytes:
        fmt = plistlib.FMT_BINARY if self.profile.plist_format == "binary" else plistlib.FMT_XML
        return plistlib.dumps(message, fmt=fmt)


class SimulatedUsbmuxd:
    """usbmuxd on a TCP port of 127.0.0.1 (or a unix socket), with phones plugged in or out.

    `address` is what USBMUXD_SOCKET_ADDRESS takes. Pair records usbmuxd holds: those of
    the phones that trust this computer, plus whatever a client saves (SavePairRecord).
    """

    def __init__(self, *phones: SimulatedIPhone, unix_path: Path | None = None) -> None:
        self.phones: dict[str, SimulatedIPhone] = {}
        self.records: dict[str, bytes] = {}
        self.buid = str(uuid.uuid5(uuid.NAMESPACE_DNS, "buid.device-audit-tests")).upper()
        self._listeners: list[queue.Queue[dict[str, Any] | None]] = []
        self._lock = threading.Lock()
        self._next_id = 0
        self._unix_path = unix_path
        self._server: socketserver.BaseServer | None = None
        self._tls_dir = tempfile.TemporaryDirectory(prefix="iossim-")
        for phone in phones:
            self.plug(phone)

    # --- the daemon -------------------------------------------------------------------

    def start(self) -> SimulatedUsbmuxd:
        handler = _handler_for(self)
        server: socketserver.BaseServer
        if self._unix_path is not None:
            server = _UnixServer(str(self._unix_path), handler)
        else:
            server = _TcpServer(("127.0.0.1", 0), handler)
        self._server = server
        threading.Thread(target=server.serve_forever, name="iossim", daemon=True).start()
        return self

    @property
    def address(self) -> str:
        if self._unix_path is not None:
            return str(self._unix_path)
        assert isinstance(self._server, socketserver.TCPServer)
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            for listener in self._listeners:
                listener.put(None)
        for phone in list(self.phones.values()):
            self._cut(phone)
        self._tls_dir.cleanup()

    def __enter__(self) -> SimulatedUsbmuxd:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- phones plugged in and out ----------------------------------------------------

    def plug(self, phone: SimulatedIPhone) -> SimulatedIPhone:
        with self._lock:
            self._next_id += 1
            phone.device_id = self._next_id
            phone.attached = True
            self.phones[phone.udid] = phone
            if phone.profile.trust in ("trusted", "passcode"):
                self.records[phone.udid] = plistlib.dumps(phone.pairing.record(phone.udid))
            self._notify(_attached(phone))
        return phone

    def unplug(self, udid: str) -> None:
        phone = self.phones.get(udid)
        if phone is None or not phone.attached:
            return
        with self._lock:
            phone.attached = False
            self._notify({"MessageType": "Detached", "DeviceID": phone.device_id})
        self._cut(phone)

    def _cut(self, phone: SimulatedIPhone) -> None:
        with phone.lock:
            for sock in list(phone.sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            phone.sockets.clear()

    def _notify(self, message: dict[str, Any]) -> None:
        for listener in self._listeners:
            listener.put(message)

    def attached(self) -> list[SimulatedIPhone]:
        return [p for p in self.phones.values() if p.attached]

    # --- usbmuxd's own protocol -------------------------------------------------------

    def serve(self, sock: socket.socket) -> None:  # noqa: PLR0912 (one branch per message)
        while True:
            packet = _read_mux(sock)
            if packet is None:
                return
            version, message_type, tag, payload = packet
            if message_type != 8 or version != 1:
                _send_mux(sock, tag, {"MessageType": "Result", "Number": RESULT_BADCOMMAND})
                continue
            try:
                request = plistlib.loads(payload)
            except Exception:
                _send_mux(sock, tag, {"MessageType": "Result", "Number": RESULT_BADCOMMAND})
                continue
            kind = request.get("MessageType")
            if kind == "ReadBUID":
                _send_mux(sock, tag, {"BUID": self.buid})
            elif kind == "ListDevices":
                with self._lock:
                    listing = [_attached(p) for p in self.attached()]
                _send_mux(sock, tag, {"DeviceList": listing})
            elif kind == "Listen":
                self._listen(sock, tag)
                return
            elif kind == "Connect":
                self._connect(sock, tag, request)
                return
            elif kind == "ReadPairRecord":
                record = self.records.get(str(request.get("PairRecordID")))
                if record is None:
                    _send_mux(sock, tag, {"MessageType": "Result", "Number": RESULT_BADDEV})
                else:
                    _send_mux(sock, tag, {"PairRecordData": record})
            elif kind == "SavePairRecord":
                self.records[str(request.get("PairRecordID"))] = bytes(request["PairRecordData"])
                _send_mux(sock, tag, {"MessageType": "Result", "Number": RESULT_OK})
            elif kind == "DeletePairRecord":
                found = self.records.pop(str(request.get("PairRecordID")), None)
                number = RESULT_OK if found is not None else RESULT_BADDEV
                _send_mux(sock, tag, {"MessageType": "Result", "Number": number})
            else:
                _send_mux(sock, tag, {"MessageType": "Result", "Number": RESULT_BADCOMMAND})

    def _listen(self, sock: socket.socket, tag: int) -> None:
        events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        with self._lock:
            _send_mux(sock, tag, {"MessageType": "Result", "Number": RESULT_OK})
            for phone in self.attached():
                events.put(_attached(phone))
            self._listeners.append(events)
        try:
            while (message := events.get()) is not None:
                _send_mux(sock, 0, message)
        except OSError:
            pass
        finally:
            with self._lock:
                self._listeners.remove(events)

    def _connect(self, sock: socket.socket, tag: int, request: dict[str, Any]) -> None:
        phone = next((p for p in self.attached() if p.device_id == request.get("DeviceID")), None)
        port = socket.ntohs(int(request.get("PortNumber", 0)) & 0xFFFF)
        if phone is None:
            _send_mux(sock, tag, {"MessageType": "Result", "Number": RESULT_BADDEV})
            return
        if port != LOCKDOWN_PORT and port not in phone.service_ports:
            _send_mux(sock, tag, {"MessageType": "Result", "Number": RESULT_CONNREFUSED})
            return
        _send_mux(sock, tag, {"MessageType": "Result", "Number": RESULT_OK})
        with phone.lock:
            phone.sockets.add(sock)
        try:
            if port == LOCKDOWN_PORT:
                lockdownd = Lockdownd(self, phone, sock)
                try:
                    lockdownd.serve()
                finally:
                    if lockdownd.conn is not sock:
                        lockdownd.conn.close()
            else:
                phone.service_ports.discard(port)
                InstallationProxy(self, phone, sock).serve()
        except (OSError, ssl.SSLError):
            pass
        finally:
            with phone.lock:
                phone.sockets.discard(sock)

    def tls_files(self, phone: SimulatedIPhone) -> tuple[str, str]:
        folder = Path(self._tls_dir.name)
        cert, key = folder / f"{phone.udid}.crt", folder / f"{phone.udid}.key"
        if not cert.exists():
            cert.write_bytes(phone.pairing.device_certificate)
            key.write_bytes(phone.pairing.device_private_key)
        return str(cert), str(key)


class Lockdownd:
    """lockdownd on port 62078: values, pairing, a TLS session, and starting services."""

    def __init__(self, mux: SimulatedUsbmuxd, phone: SimulatedIPhone, sock: socket.socket):
        self.mux, self.phone, self.sock = mux, phone, sock
        self.conn: socket.socket = sock
        self.session = False
        self.host_id = ""

    def serve(self) -> None:
        while (request := _read_framed(self.conn)) is not None:
            name = str(request.get("Request", ""))
            self.phone.requests.append(name)
            answer = self.answer(name, request)
            self.reply(name, answer)
            if name == "StartSession" and "Error" not in answer:
                self.start_tls()

    def reply(self, name: str, answer: dict[str, Any]) -> None:
        answer = {"Request": name, **answer}
        _send_framed(self.conn, self.phone.dumps(answer))

    def answer(self, name: str, request: dict[str, Any]) -> dict[str, Any]:  # noqa: PLR0912
        phone = self.phone
        if name == "QueryType":
            return {"Type": "com.apple.mobile.lockdown"}
        if name == "GetValue":
            values = phone.values(self.session)
            key = request.get("Key")
            if request.get("Domain"):
                return {"Error": "MissingValue"}
            if key is None:
                return {"Value": values}
            if key not in values:
                return {"Error": "MissingValue"}
            return {"Key": key, "Value": values[key]}
        if name == "Pair":
            trust = phone.profile.trust
            if trust == "locked":
                return {"Error": "PasswordProtected"}
            if trust == "waiting":
                return {"Error": "PairingDialogResponsePending"}
            if trust == "refused":
                return {"Error": "UserDeniedPairing"}
            record = request.get("PairRecord") or {}
            host, host_id = record.get("HostCertificate"), record.get("HostID")
            root = record.get("RootCertificate")
            if not isinstance(host, bytes) or not isinstance(host_id, str):
                return {"Error": "InvalidPairRecord"}
            if not isinstance(root, bytes):
                return {"Error": "InvalidPairRecord"}
            phone.paired_hosts[host_id] = (_der(host), root)
            return {"EscrowBag": b"\x00" * 32}
        if name == "StartSession":
            host_id = request.get("HostID")
            if host_id not in phone.paired_hosts:
                return {"Error": "InvalidHostID"}
            self.host_id = str(host_id)
            return {"SessionID": str(uuid.uuid4()).upper(), "EnableSessionSSL": True}
        if name == "StopSession":
            self.session = False
            return {"Result": "Success"}
        if name == "StartService":
            if not self.session:
                return {"Error": "SessionInactive"}
            service = request.get("Service")
            if phone.profile.trust == "passcode":  # restarted, not unlocked since
                return {"Error": "PasscodeRequired"}
            if service != INSTALLATION_PROXY:
                return {"Error": "InvalidService"}
            port = 49152 + (hash((phone.udid, time.monotonic_ns())) % 10000)
            phone.service_ports.add(port)
            return {"Port": port, "Service": service, "EnableServiceSSL": False}
        return {"Error": "UnknownRequest" if name else "MissingRequest"}

    def start_tls(self) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self.mux.tls_files(self.phone))
        context.verify_mode = ssl.CERT_REQUIRED
        host, root = self.phone.paired_hosts[self.host_id]
        context.load_verify_locations(cadata=root.decode())
        tls = context.wrap_socket(self.sock, server_side=True)
        if tls.getpeercert(binary_form=True) != host:
            tls.close()
            raise ssl.SSLError("the computer showed a certificate this phone was not paired with")
        self.conn = tls
        self.session = True


class InstallationProxy:
    """com.apple.mobile.installation_proxy: Browse (in chunks), Lookup and Uninstall."""

    def __init__(self, mux: SimulatedUsbmuxd, phone: SimulatedIPhone, sock: socket.socket):
        self.mux, self.phone, self.sock = mux, phone, sock

    def send(self, message: dict[str, Any]) -> None:
        _send_framed(self.sock, self.phone.dumps(message))

    def serve(self) -> None:
        while (request := _read_framed(self.sock)) is not None:
            command = str(request.get("Command", ""))
            self.phone.requests.append(command)
            options = request.get("ClientOptions") or {}
            if command == "Browse":
                if not self.browse(options):
                    return
            elif command == "Lookup":
                found = {a.bundle: self.entry(a, options) for a in self.selected(options)}
                self.send({"LookupResult": found, "Status": "Complete"})
            elif command == "Uninstall":
                self.uninstall(str(request.get("ApplicationIdentifier", "")))
            else:
                self.send({"Error": "UnknownCommand", "ErrorDescription": command})

    def selected(self, options: dict[str, Any]) -> list[App]:
        kind = options.get("ApplicationType", "Any")
        wanted = options.get("BundleIDs")
        apps = []
        for app in list(self.phone.apps.values()):
            if kind not in ("Any", app.type):
                continue
            if app.offloaded and not options.get("ShowPlaceholders"):
                continue
            if wanted is not None and app.bundle not in wanted:
                continue
            apps.append(app)
        return apps

    def browse(self, options: dict[str, Any]) -> bool:
        phone = self.phone
        phone.browse_count += 1
        time.sleep(phone.profile.browse_cost_ms / 1000)  # the phone reading its app records
        apps = self.selected(options)
        size = phone.profile.browse_chunk
        for sent, start in enumerate(range(0, len(apps), size)):
            cut = phone.profile.unplug_after_chunks
            if cut is not None and sent >= cut:
                self.mux.unplug(phone.udid)
                return False
            chunk = apps[start : start + size]
            self.send(
                {
                    "Status": "BrowsingApplications",
                    "CurrentIndex": start,
                    "CurrentAmount": len(chunk),
                    "Total": len(apps),
                    "CurrentList": [self.entry(a, options) for a in chunk],
                }
            )
        self.send({"Status": "Complete"})
        return True

    def entry(self, app: App, options: dict[str, Any]) -> dict[str, Any]:
        full: dict[str, Any] = {
            "CFBundleIdentifier": app.bundle,
            "CFBundleDisplayName": app.name,
            "CFBundleName": app.name,
            "CFBundleShortVersionString": app.version,
            "CFBundleVersion": app.build,
            "ApplicationType": app.type,
            "SignerIdentity": "Apple iPhone OS Application Signing",
            "Entitlements": {"application-identifier": "ABCDE12345." + app.bundle},
        }
        container = str(uuid.uuid5(uuid.NAMESPACE_URL, app.bundle)).upper()
        folder = "/private/var/containers/Bundle/Application/" + container
        if app.type == "System":
            folder = "/Applications"
        full["Path"] = f"{folder}/{app.name or 'App'}.app"
        if app.type == "User":
            full["IsDemotedApp"] = app.offloaded
            full["ApplicationDSID"] = 1_234_567_890
        if app.item_id is not None:
            full["iTunesMetadata"] = plistlib.dumps(_itunes_metadata(app), fmt=plistlib.FMT_BINARY)
        wanted = options.get("ReturnAttributes")
        if wanted is None:
            return full
        return {k: v for k, v in full.items() if k in wanted}

    def uninstall(self, bundle: str) -> None:
        app = self.phone.apps.get(bundle)
        if app is not None and app.uninstall_error is not None:
            code, description = app.uninstall_error
            self.send({"Error": code, "ErrorDescription": description, "Status": "Error"})
            return
        if app is not None:
            for percent, status in ((10, "RemovingApplication"), (50, "RemovingApplication")):
                self.send({"Status": status, "PercentComplete": percent})
            del self.phone.apps[bundle]
            self.send({"Status": "GeneratingApplicationMap", "PercentComplete": 90})
        self.send({"Status": "Complete"})


def _itunes_metadata(app: App) -> dict[str, Any]:
    """What the App Store writes beside a bought app, buyer included (the client must drop it)."""
    account = {"AppleID": app.buyer, "DSPersonID": 1_234_567_890, "FirstName": "Sam"}
    return {
        "itemId": app.item_id,
        "itemName": app.name,
        "artistName": app.seller,
        "sellerName": app.seller,
        "bundleId": app.bundle,
        "bundleShortVersionString": app.version,
        "appleId": app.buyer,
        "com.apple.iTunesStore.downloadInfo": {"accountInfo": account},
        "purchaseDate": "2024-03-01T09:30:00Z",
    }


def _attached(phone: SimulatedIPhone) -> dict[str, Any]:
    return {
        "MessageType": "Attached",
        "DeviceID": phone.device_id,
        "Properties": {
            "ConnectionType": "USB",
            "DeviceID": phone.device_id,
            "LocationID": 0x14100000 + phone.device_id,
            "ProductID": 0x12A8,
            "SerialNumber": phone.udid,
            "USBSerialNumber": phone.udid.replace("-", ""),
            "ConnectionSpeed": 480000000,
        },
    }


def _der(pem: bytes) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.decode())


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        try:
            chunk = sock.recv(size - len(data))
        except (OSError, ssl.SSLError):
            return None
        if not chunk:
            return None
        data += chunk
    return data


def _read_mux(sock: socket.socket) -> tuple[int, int, int, bytes] | None:
    header = _recv_exactly(sock, _HEADER.size)
    if header is None:
        return None
    length, version, message_type, tag = _HEADER.unpack(header)
    if length < _HEADER.size or length > 1 << 20:
        return None
    payload = _recv_exactly(sock, length - _HEADER.size)
    return None if payload is None else (version, message_type, tag, payload)


def _send_mux(sock: socket.socket, tag: int, message: dict[str, Any]) -> None:
    payload = plistlib.dumps(message)
    sock.sendall(_HEADER.pack(_HEADER.size + len(payload), 1, 8, tag) + payload)


def _read_framed(sock: socket.socket) -> dict[str, Any] | None:
    size = _recv_exactly(sock, 4)
    if size is None:
        return None
    payload = _recv_exactly(sock, struct.unpack(">I", size)[0])
    if payload is None:
        return None
    try:
        message = plistlib.loads(payload)
    except Exception:
        return None
    return message if isinstance(message, dict) else None


def _send_framed(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">I", len(payload)) + payload)


def _handler_for(mux: SimulatedUsbmuxd) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            with contextlib.suppress(OSError, ssl.SSLError):
                mux.serve(self.request)

    return Handler


class _TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@contextlib.contextmanager
def running(*profiles: str, unix_path: Path | None = None) -> Iterator[SimulatedUsbmuxd]:
    """A started usbmuxd with these profiles plugged in, stopped afterwards."""
    mux = SimulatedUsbmuxd(*(SimulatedIPhone(p) for p in profiles), unix_path=unix_path)
    with mux:
        yield mux


def environment(mux: SimulatedUsbmuxd) -> dict[str, str]:
    """The environment a program needs to find this usbmuxd instead of the real one."""
    return {**os.environ, "USBMUXD_SOCKET_ADDRESS": mux.address}
