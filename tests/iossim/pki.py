"""The certificates of one pairing, as an iPhone and a computer make them when a person taps
"Trust This Computer": a root certificate of the computer's own, a host certificate the computer
shows the phone, and a device certificate for the phone's key, both signed by the root.

The simulated lockdownd serves TLS with the device certificate and accepts only a client that
shows the host certificate it was paired with, so a client that does not really do TLS over
the pair record cannot read the phone. Keys are RSA 2048 like a real pair record; making three
costs a fraction of a second, so each phone's set is made once per process (`for_udid`).
"""

from __future__ import annotations

import datetime
import threading
import uuid
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Pairing:
    """One computer's pairing with one phone: PEM bytes, as a pair record holds them."""

    root_certificate: bytes
    root_private_key: bytes
    host_certificate: bytes
    host_private_key: bytes
    device_certificate: bytes
    device_private_key: bytes
    device_public_key: bytes  # what lockdownd gives as DevicePublicKey (PEM, PKCS#1)
    host_id: str
    system_buid: str

    def record(self, udid: str) -> dict[str, object]:
        """The pair record usbmuxd keeps for the phone (what ReadPairRecord returns)."""
        return {
            "DeviceCertificate": self.device_certificate,
            "EscrowBag": uuid.uuid5(uuid.NAMESPACE_URL, udid).bytes * 2,
            "HostCertificate": self.host_certificate,
            "HostID": self.host_id,
            "HostPrivateKey": self.host_private_key,
            "RootCertificate": self.root_certificate,
            "RootPrivateKey": self.root_private_key,
            "SystemBUID": self.system_buid,
            "WiFiMACAddress": "f0:99:b6:12:34:56",
        }

    def host_certificate_der(self) -> bytes:
        return x509.load_pem_x509_certificate(self.host_certificate).public_bytes(
            serialization.Encoding.DER
        )


_NAMES = {1: "Device Audit test root", 2: "Device Audit test host", 3: "Simulated iPhone"}
_LOCK = threading.Lock()
_MADE: dict[str, Pairing] = {}


def for_udid(udid: str) -> Pairing:
    """The pairing of this phone, made on first use and kept for the process."""
    with _LOCK:
        if udid not in _MADE:
            _MADE[udid] = make_pairing(udid)
        return _MADE[udid]


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _certificate(
    subject_key: rsa.RSAPrivateKey | rsa.RSAPublicKey,
    issuer_key: rsa.RSAPrivateKey,
    serial: int,
    *,
    ca: bool,
) -> x509.Certificate:
    public = subject_key.public_key() if isinstance(subject_key, rsa.RSAPrivateKey) else subject_key
    # Apple's pair-record certificates carry empty names; names here let OpenSSL tell the root
    # from what it signed when the simulated phone checks the computer's certificate.
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _NAMES[serial])])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _NAMES[1])])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650 * 3))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def make_pairing(udid: str) -> Pairing:
    root_key, host_key, device_key = _key(), _key(), _key()
    root = _certificate(root_key, root_key, 1, ca=True)
    host = _certificate(host_key, root_key, 2, ca=False)
    device = _certificate(device_key, root_key, 3, ca=False)
    pem = serialization.Encoding.PEM
    return Pairing(
        root_certificate=root.public_bytes(pem),
        root_private_key=_pem_key(root_key),
        host_certificate=host.public_bytes(pem),
        host_private_key=_pem_key(host_key),
        device_certificate=device.public_bytes(pem),
        device_private_key=_pem_key(device_key),
        device_public_key=device_key.public_key().public_bytes(
            pem, serialization.PublicFormat.PKCS1
        ),
        host_id=str(uuid.uuid5(uuid.NAMESPACE_DNS, "host." + udid)).upper(),
        system_buid=str(uuid.uuid5(uuid.NAMESPACE_DNS, "buid.device-audit-tests")).upper(),
    )
