"""The published sample key (packaging/make_sample_receipt.py, seed in the repository) signs
nothing that counts: `verify` names a receipt it signed a SAMPLE and exits 1, whatever the
receipt says and whatever flags are given."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.attestation import Signer, attest, verify_file, write_receipt
from audit.attestation.verify import SAMPLE_KEY_FINGERPRINT, SAMPLE_REASON
from audit.cli import main
from tests.audit.attestation import builders as b

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "resources" / "samples" / "sample-receipt.json"


def sample_signer() -> Signer:
    """The sample key, re-created from the seed the repository publishes (as anyone can)."""
    spec = importlib.util.spec_from_file_location(
        "_make_sample_receipt", ROOT / "packaging" / "make_sample_receipt.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seed: bytes = module.SEED
    return Signer(Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest()))


def test_the_product_knows_the_published_sample_key() -> None:
    assert sample_signer().fingerprint == SAMPLE_KEY_FINGERPRINT
    assert verify_file(SHIPPED).sample


def test_verify_of_the_shipped_sample_says_sample_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["verify", str(SHIPPED)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{SHIPPED}: NOT ACCEPTED (a SAMPLE receipt): valid attestation")
    assert f"  {SAMPLE_REASON}." in out
    assert SAMPLE_REASON.startswith(
        "SAMPLE receipt signed by the published sample key: it proves nothing about any device"
    )


def test_a_copy_re_signed_with_the_sample_key_for_a_real_person_is_not_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a reluctant staff member would do: sign today's clean receipt, under their own name,
    with the key anyone can re-create; and even expect exactly that key."""
    forged = tmp_path / "mine.json"
    write_receipt(attest(**b.clean(signer=sample_signer())), forged)
    assert main(["verify", str(forged)]) == 1
    out = capsys.readouterr().out
    assert "NOT ACCEPTED (a SAMPLE receipt)" in out and "Aroha Ngata" in out
    assert main(["verify", "--expect-key", SAMPLE_KEY_FINGERPRINT, str(forged)]) == 1
    capsys.readouterr()
    assert main(["verify", "--json", "--allow-demo", str(forged)]) == 1
    [result] = json.loads(capsys.readouterr().out)
    assert (result["sample"], result["valid"], result["signature_valid"]) == (True, False, True)
    assert SAMPLE_REASON in result["reason"]


def test_a_demo_receipt_signed_by_the_sample_key_fails_even_with_allow_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = tmp_path / "demo.json"
    write_receipt(attest(**b.demo_clean(signer=sample_signer())), demo)
    assert main(["verify", "--allow-demo", str(demo)]) == 1
    assert "NOT ACCEPTED (a SAMPLE receipt)" in capsys.readouterr().out


def test_another_key_is_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.json"
    write_receipt(attest(**b.clean(signer=Signer.generate())), good)
    assert main(["verify", "--json", str(good)]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert (result["sample"], result["valid"]) == (False, True)
