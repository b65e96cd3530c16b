"""Signed attestations: an in-toto Statement v1 in a DSSE envelope, signed with Ed25519.

The key lives in the OS keyring (keys.py); the statement says what was scanned, found, done and
verified, by whom (statement.py); receipt.py refuses what may not be attested and writes the
file; verify.py checks every byte of it.
"""

from audit.attestation.dsse import PAYLOAD_TYPE, Envelope, Signature, SigningKey
from audit.attestation.keys import (
    SERVICE,
    USERNAME,
    Signer,
    fingerprint_of,
    format_fingerprint,
    parse_fingerprint,
    usable_keyring,
)
from audit.attestation.receipt import attest, report_noncompliance, write_receipt
from audit.attestation.statement import (
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    Attester,
    AttesterMode,
    StatementKind,
    UsbDebugging,
    attestation_blockers,
    build_statement,
)
from audit.attestation.verify import VerifiedAttestation, verify_bytes, verify_file

__all__ = [
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "SERVICE",
    "STATEMENT_TYPE",
    "USERNAME",
    "Attester",
    "AttesterMode",
    "Envelope",
    "Signature",
    "Signer",
    "SigningKey",
    "StatementKind",
    "UsbDebugging",
    "VerifiedAttestation",
    "attest",
    "attestation_blockers",
    "build_statement",
    "fingerprint_of",
    "format_fingerprint",
    "parse_fingerprint",
    "report_noncompliance",
    "usable_keyring",
    "verify_bytes",
    "verify_file",
    "write_receipt",
]
