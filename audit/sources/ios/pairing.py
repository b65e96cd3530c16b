"""Pairing this computer with an iPhone: what happens when the person taps "Trust This
Computer?" and enters the passcode, and the record that lets this computer in afterwards.

The computer makes a root certificate, a host certificate, and a certificate for the phone's
public key, and asks lockdownd to Pair. Until the person answers, the phone says
PairingDialogResponsePending; a locked phone says PasswordProtected; "Don't Trust" says
UserDeniedPairing. A pairing made here is saved into usbmuxd (so other tools see one record,
not two) and noted in Device Audit's data folder: at the end of an audit the app offers to
remove only a pairing it made, the iPhone's equivalent of switching USB debugging off.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import TYPE_CHECKING, Any

from audit.i18n import _
from audit.inventory import write_atomic
from audit.paths import data_dir
from audit.sources.ios.lockdown import Lockdown, LockdownError
from audit.sources.ios.usbmux import Usbmux
from audit.text import visible

if TYPE_CHECKING:  # made only when a phone is paired: a paired phone's scan never loads them
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

_MADE_HERE = "ios-pairings.json"
_asking: dict[str, dict[str, Any]] = {}


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _certificate(
    public: Any, issuer: rsa.RSAPrivateKey, serial: int, name: str, *, ca: bool
) -> x509.Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Device Audit")])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer, hashes.SHA256())
    )


def new_record(device_public_key: bytes, buid: str) -> dict[str, Any]:
    """A pair record for a phone whose public key (PEM, as lockdownd gives it) is given."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        device_key = serialization.load_pem_public_key(device_public_key)
    except ValueError:
        raise LockdownError("Pair", "InvalidDevicePublicKey") from None
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    host_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = serialization.Encoding.PEM
    root = _certificate(root_key.public_key(), root_key, 1, "Device Audit", ca=True)
    host = _certificate(host_key.public_key(), root_key, 2, "Device Audit host", ca=False)
    device = _certificate(device_key, root_key, 3, "iPhone", ca=False)
    return {
        "DeviceCertificate": device.public_bytes(pem),
        "HostCertificate": host.public_bytes(pem),
        "HostID": str(uuid.uuid4()).upper(),
        "RootCertificate": root.public_bytes(pem),
        "SystemBUID": buid,
        "HostPrivateKey": _pem(host_key),
        "RootPrivateKey": _pem(root_key),
    }


_SENT = ("DeviceCertificate", "HostCertificate", "HostID", "RootCertificate", "SystemBUID")


def pair(mux: Usbmux, lockdown: Lockdown, values: dict[str, Any]) -> dict[str, Any]:
    """Ask the phone to trust this computer; the saved record when it does. LockdownError
    (PairingDialogResponsePending, PasswordProtected, UserDeniedPairing) when it does not yet."""
    key = values.get("DevicePublicKey")
    if not isinstance(key, bytes):
        raise LockdownError("Pair", "MissingDevicePublicKey")
    udid = lockdown.device.udid
    # One record per phone while it waits for an answer: each look at a waiting phone asks
    # with the same computer, as a person sees one question, not one per look.
    record = _asking.get(udid)
    if record is None:
        record = _asking[udid] = new_record(key, mux.buid() or str(uuid.uuid4()).upper())
    answer = lockdown.request(
        "Pair",
        PairRecord={k: record[k] for k in _SENT},
        PairingOptions={"ExtendedPairingErrors": True},
        ProtocolVersion="2",
    )
    escrow = answer.get("EscrowBag")
    if isinstance(escrow, bytes):
        record["EscrowBag"] = escrow
    _asking.pop(udid, None)
    mux.save_pair_record(udid, lockdown.device.device_id, record)
    _remember(udid, str(record["HostID"]))
    return record


def made_here(udid: str) -> bool:
    """Whether Device Audit made this computer's pairing with the phone."""
    return udid in _made()


def forget(mux: Usbmux, udid: str) -> bool:
    """Remove this computer's pairing with the phone, only if Device Audit made it; True when
    it was removed. The phone asks "Trust This Computer?" again next time.

    "Made it" means the record usbmuxd holds now is the one Device Audit saved (same HostID):
    a pairing Finder, iTunes or another tool made since then, for the same phone, is theirs
    and stays, and so does one whose record cannot be read."""
    host_id = _made().get(udid)
    if host_id is None:
        return False
    record = mux.pair_record(udid)
    if record is None or record.get("HostID") != host_id:
        _remember(udid, None)  # gone already, or another program's now: not ours to remove
        return False
    mux.delete_pair_record(udid)
    _remember(udid, None)
    return True


def end_of_audit(udid: str, forget_now: bool, mux: Usbmux | None = None) -> str:
    """What `attest` says about this computer's pairing with the iPhone once the receipt is
    written (the iPhone's equivalent of switching USB debugging off): removed when asked and
    Device Audit made it, offered when it made it; "" for a pairing it did not make, unless
    removing was asked for."""
    from audit.errors import AuditError

    if not made_here(udid):
        if forget_now:
            return _(
                "This computer's pairing with the iPhone was not made by Device Audit (Finder, "
                "iTunes or Apple Devices did), so it was left as it is."
            )
        return ""
    if not forget_now:
        return _(
            "Device Audit paired this computer with the iPhone for this check. To remove that "
            'pairing (the iPhone then asks "Trust This Computer?" again next time), run: '
            "{command}"
        ).format(command=f"device-audit devices --forget-pairing ios:{visible(udid)}")
    try:
        removed = forget(mux if mux is not None else Usbmux(), udid)
    except AuditError as error:
        return _(
            "This computer's pairing with the iPhone could not be removed: {problem} "
            "Plug the iPhone in and run: {command}"
        ).format(
            problem=error.message,
            command=f"device-audit devices --forget-pairing ios:{visible(udid)}",
        )
    if not removed:
        return _(
            "This computer's pairing with the iPhone is no longer the one Device Audit made "
            "(another program paired it since): left as it is."
        )
    return _(
        "This computer's pairing with the iPhone, which Device Audit made, was removed: the "
        'iPhone asks "Trust This Computer?" again next time it is plugged in here.'
    )


def _made() -> dict[str, str]:
    """UDID -> the HostID of the pairing Device Audit made; anything else in the file is
    ignored (nothing is removed on its word alone: forget compares HostIDs)."""
    try:
        raw = json.loads((data_dir() / _MADE_HERE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {u: h for u, h in raw.items() if isinstance(u, str) and isinstance(h, str) and h}


def _remember(udid: str, host_id: str | None) -> None:
    known = _made()
    if host_id is None:
        known.pop(udid, None)
    else:
        known[udid] = host_id
    write_atomic(data_dir() / _MADE_HERE, json.dumps(known, sort_keys=True).encode())
