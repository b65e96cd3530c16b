"""The desktop app says when the signing key was replaced: the keyring had lost the key, a new
one was made, and the receipt page names both fingerprints (as the CLI does through the
workflow). Real keys in an in-memory keyring; the demo phone through the real workflow."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.attestation import Signer, format_fingerprint
from audit.attestation.keys import SERVICE, USERNAME
from audit.workflow import Notice
from tests.audit.workflow.test_device_audit import ANNA, demo_audit, removed
from tests.helpers.memkeyring import MemoryKeyring
from ui.wizard.files import SignRequest, sign_and_save


@pytest.mark.allow_warning_logs
def test_signing_in_the_wizard_after_the_key_was_lost_names_both_fingerprints(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    old = Signer.from_keyring()
    del memory_keyring.secrets[(SERVICE, USERNAME)]  # the keyring lost it
    heard: list[Notice] = []
    with demo_audit(tmp_path, heard) as audit_:
        removed(audit_)
        proof = audit_.proof(audit_.check())
        request = SignRequest(
            before=proof.before,
            after=proof.after,
            actions=proof.actions,
            attester=ANNA,
            statement="I removed TikTok.",
            usb_debugging=None,
            report=False,
            folder=tmp_path / "receipts",
        )
        saved = sign_and_save(audit_, request, lambda *_: None, lambda: False)
    assert format_fingerprint(old.fingerprint) in saved.key_replaced
    assert saved.fingerprint in saved.key_replaced
    assert Signer.from_keyring().replaced == ""  # said once: the new key is the key now
