"""lockdownd, the phone's front door on port 62078: its values, a session over TLS with the
pair record, and starting a service such as installation_proxy.

Before a session a phone gives a few basics (name, model, iOS version, UDID); everything else,
and every service, needs a session, and a session needs a pair record: the certificates this
computer and the phone exchanged when a person tapped Trust and entered the passcode. The
phone checks the host certificate in the TLS handshake, so only the paired computer reads it.
"""

from __future__ import annotations

import os
import socket
import ssl
import tempfile
from collections.abc import Mapping
from typing import Any

from audit.errors import AuditError
from audit.i18n import _
from audit.sources.ios.usbmux import MuxDevice, Usbmux
from audit.sources.ios.wire import WireError, read_plist, send_plist
from audit.text import visible

LOCKDOWN_PORT = 62078
LABEL = "device-audit"


class LockdownError(AuditError):
    """lockdownd answered with an error; `code` is its word (PasswordProtected...)."""

    def __init__(self, request: str, code: str) -> None:
        self.code = code
        # Translators: {request} is a request's name (StartSession, Pair), {code} the phone's word
        super().__init__(
            _("The phone refused {request}: {code}.").format(request=request, code=visible(code))
        )


class Lockdown:
    """One lockdownd connection to one phone (close it, or use it as a context manager)."""

    def __init__(self, mux: Usbmux, device: MuxDevice) -> None:
        self.mux, self.device = mux, device
        self.sock: socket.socket = mux.connect(device.device_id, LOCKDOWN_PORT)
        self.session = False
        self._context: ssl.SSLContext | None = None
        try:
            kind = self.request("QueryType").get("Type")
            if kind != "com.apple.mobile.lockdown":
                raise WireError(
                    _("Port {port} answered as {kind}, not as lockdownd.").format(
                        port=LOCKDOWN_PORT, kind=repr(kind)
                    )
                )
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Lockdown:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def request(self, name: str, **fields: Any) -> dict[str, Any]:
        send_plist(self.sock, {"Label": LABEL, "Request": name, **fields})
        answer = read_plist(self.sock)
        error = answer.get("Error")
        if error is not None:
            raise LockdownError(name, str(error)[:80])
        if answer.get("Request") not in (name, None):
            raise WireError(
                _("lockdownd answered {answer} to {request}.").format(
                    answer=repr(answer.get("Request")), request=name
                )
            )
        return answer

    def values(self) -> dict[str, Any]:
        """Every value the phone gives now (a few before a session, all after)."""
        value = self.request("GetValue").get("Value")
        return value if isinstance(value, dict) else {}

    def start_session(self, record: Mapping[str, Any]) -> None:
        """A session with the pair record; TLS from here on when the phone asks for it."""
        host_id, buid = record.get("HostID"), record.get("SystemBUID")
        if not isinstance(host_id, str) or not isinstance(buid, str):
            raise LockdownError("StartSession", "InvalidPairRecord")
        answer = self.request("StartSession", HostID=host_id, SystemBUID=buid)
        if answer.get("EnableSessionSSL"):
            self._context = tls_context(record)
            try:
                self.sock = self._context.wrap_socket(self.sock)
            except (ssl.SSLError, OSError) as error:
                # A phone that forgot this computer (Reset Location & Privacy) ends the
                # handshake: the pair record no longer opens it.
                raise LockdownError(_("the secure session"), "PairingNoLongerValid") from error
        self.session = True

    def start_service(self, name: str) -> socket.socket:
        """A socket to one of the phone's services, over TLS when the phone says so."""
        answer = self.request("StartService", Service=name)
        port = answer.get("Port")
        if not isinstance(port, int) or not 0 < port < 65536:
            raise WireError(
                _("lockdownd started {service} on no usable port ({port}).").format(
                    service=name, port=repr(port)
                )
            )
        sock = self.mux.connect(self.device.device_id, port)
        if answer.get("EnableServiceSSL"):
            if self._context is None:
                sock.close()
                raise WireError(
                    _("{service} asks for TLS, but no session was started.").format(service=name)
                )
            try:
                return self._context.wrap_socket(sock)
            except (ssl.SSLError, OSError) as error:
                sock.close()
                raise WireError(
                    _("The secure connection to {service} failed ({problem}).").format(
                        service=name, problem=error
                    )
                ) from None
        return sock


def tls_context(record: Mapping[str, Any]) -> ssl.SSLContext:
    """The TLS a phone speaks: the computer shows the pair record's host certificate; the
    phone's own certificate is not checked against a CA (Apple's pairing has none; the phone
    is who usbmuxd tunnelled to), as in libimobiledevice and pymobiledevice3."""
    certificate, key = record.get("HostCertificate"), record.get("HostPrivateKey")
    if not isinstance(certificate, bytes) or not isinstance(key, bytes):
        raise LockdownError("StartSession", "InvalidPairRecord")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # Older phones offer only ciphers OpenSSL's default level refuses.
    context.set_ciphers("ALL:!aNULL:!eNULL:@SECLEVEL=0")
    # load_cert_chain reads files only: a private folder, gone once the key is loaded.
    with tempfile.TemporaryDirectory(prefix="device-audit-tls-") as folder:
        path = os.path.join(folder, "host.pem")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(certificate.strip() + b"\n" + key.strip() + b"\n")
        try:
            context.load_cert_chain(path)
        except (ssl.SSLError, ValueError) as error:
            raise LockdownError("StartSession", "InvalidPairRecord") from error
    return context
