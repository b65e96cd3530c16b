"""Make resources/samples/sample-receipt.json: a SAMPLE receipt that the packaged app's smoke test
verifies (packaging/smoke.sh), so the bundle's `verify` is tried on a file it ships.

It is signed by a sample key anyone can re-create (its seed is below), for a made-up person named
SAMPLE, from the test suite's example phone (tests/audit/attestation/builders.py): it proves
nothing about any device; `verify` says so and exits 1, and `import` refuses any receipt that
key signed (audit.attestation.verify.SAMPLE_KEY_FINGERPRINT). Run from the repository root when
the receipt format changes:

    .venv/bin/python packaging/make_sample_receipt.py
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from audit.attestation import Attester, Signer, attest, verify_file, write_receipt  # noqa: E402
from audit.attestation.verify import SAMPLE_KEY_FINGERPRINT  # noqa: E402
from tests.audit.attestation import builders as b  # noqa: E402

SEED = b"Device Audit SAMPLE key: public on purpose, proves nothing"
TARGET = ROOT / "resources" / "samples" / "sample-receipt.json"


def main() -> int:
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(SEED).digest())
    signer = Signer(key)
    if signer.fingerprint != SAMPLE_KEY_FINGERPRINT:  # verify and import refuse it by that
        print(f"the sample key changed: set SAMPLE_KEY_FINGERPRINT to {signer.fingerprint}")
        return 1
    envelope = attest(
        before=b.before(),
        after=b.after_clean(),
        actions=b.actions(),
        attester=Attester(name="SAMPLE (not a real person or audit)", staff_id="SAMPLE-0000"),
        statement_text="SAMPLE receipt shipped with Device Audit to test the app: it proves "
        "nothing about any device.",
        signer=signer,
    )
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    write_receipt(envelope, TARGET)
    verified = verify_file(TARGET)
    print(f"{TARGET}: {verified.status} signed by {signer.display_fingerprint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
