"""Signed attestations: an in-toto Statement v1 in a DSSE envelope, signed with Ed25519.

The key lives in the OS keyring (keys.py); the statement says what was scanned, found, done and
verified, by whom (statement.py); receipt.py refuses what may not be attested and writes the
file; verify.py checks every byte of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_names

if TYPE_CHECKING:  # for type checkers and readers; at run time each name loads on first use
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

_WHERE = {
    "Attester": "audit.attestation.statement",
    "AttesterMode": "audit.attestation.statement",
    "Envelope": "audit.attestation.dsse",
    "PAYLOAD_TYPE": "audit.attestation.dsse",
    "PREDICATE_TYPE": "audit.attestation.statement",
    "SERVICE": "audit.attestation.keys",
    "STATEMENT_TYPE": "audit.attestation.statement",
    "Signature": "audit.attestation.dsse",
    "Signer": "audit.attestation.keys",
    "SigningKey": "audit.attestation.dsse",
    "StatementKind": "audit.attestation.statement",
    "USERNAME": "audit.attestation.keys",
    "UsbDebugging": "audit.attestation.statement",
    "VerifiedAttestation": "audit.attestation.verify",
    "attest": "audit.attestation.receipt",
    "attestation_blockers": "audit.attestation.statement",
    "build_statement": "audit.attestation.statement",
    "fingerprint_of": "audit.attestation.keys",
    "format_fingerprint": "audit.attestation.keys",
    "parse_fingerprint": "audit.attestation.keys",
    "report_noncompliance": "audit.attestation.receipt",
    "usable_keyring": "audit.attestation.keys",
    "verify_bytes": "audit.attestation.verify",
    "verify_file": "audit.attestation.verify",
    "write_receipt": "audit.attestation.receipt",
}
"""Each public name's module: importing the package loads none of them (issue 15: `remove
--help` and `attest --help` need none, and some pull in cryptography and keyring)."""


__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals())


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
