"""How fast receipts verify: the history import checks thousands of them in one go.

Writes N signed receipts (default 10,000) to a temporary folder, then times, over the same files:
  baseline  read each file and json.loads it (the least any import must do)
  verify    audit.attestation.verify_file (parse, Ed25519 signature, byte-for-byte form,
            statement structure)
and verify_bytes on bytes already in memory, against the floor of Ed25519 verification alone.
Prints files per second for each.

    python bench/attestation_verify.py [N]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.attestation import Signer, attest, verify_bytes, verify_file, write_receipt
from audit.attestation.dsse import pae, parse_envelope
from tests.audit.attestation import builders as b


def make_receipts(folder: Path, count: int) -> list[Path]:
    signer = Signer.generate()
    paths = []
    for i in range(count):
        after = b.after_tiktok_exempted() if i % 2 else b.after_clean()
        envelope = attest(**b.clean(after=after, signer=signer))
        path = folder / f"receipt-{i:05d}.json"
        write_receipt(envelope, path)
        paths.append(path)
    return paths


def timed(label: str, count: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    rate = count / best
    per_file = best / count * 1e6
    print(f"  {label:<40} {best * 1000:8.1f} ms {rate:10,.0f} files/s {per_file:7.1f} µs/file")
    return rate


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        paths = make_receipts(Path(tmp), count)
        made = time.perf_counter() - start
        size = sum(p.stat().st_size for p in paths) / count
        print(f"{count} receipts, {size:,.0f} bytes each on average")
        label = "sign and write (attest + write_receipt)"
        print(f"  {label:<40} {made * 1000:8.1f} ms {count / made:10,.0f} files/s")
        blobs = [p.read_bytes() for p in paths]

        def baseline() -> None:
            for p in paths:
                json.loads(p.read_bytes())

        def verify_all() -> None:
            for p in paths:
                verify_file(p)

        def verify_in_memory() -> None:
            for data in blobs:
                verify_bytes(data)

        signed = []
        for data in blobs:
            envelope = parse_envelope(json.loads(data))
            (sig,) = envelope.signatures
            message = pae(envelope.payload_type, envelope.payload)
            signed.append((Ed25519PublicKey.from_public_bytes(sig.public_key), sig.sig, message))

        def signature_only() -> None:
            for key, sig, message in signed:
                key.verify(sig, message)

        def json_in_memory() -> None:
            for data in blobs:
                json.loads(data)

        print("best of 3 runs:")
        base = timed("baseline: read + json.loads", count, baseline)
        rate = timed("verify_file", count, verify_all)
        mem_base = timed("baseline: json.loads (in memory)", count, json_in_memory)
        mem = timed("verify_bytes (in memory)", count, verify_in_memory)
        timed("floor: Ed25519 verify alone", count, signature_only)
        print(
            f"verify_file is {base / rate:.1f}x the cost of the baseline; "
            f"in memory {mem_base / mem:.1f}x"
        )
        verdict = "met" if rate > 1000 else "NOT met"
        print(f"target for the history import, > 1,000 files/s with verify_file: {verdict}")


if __name__ == "__main__":
    main()
