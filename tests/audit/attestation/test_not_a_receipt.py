"""Choosing the wrong file: `device-audit verify` names what the file is in plain words, not in
the envelope's jargon."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit import inventory
from audit.cli import main
from tests.audit.attestation import builders as b


def test_verifying_an_inventory_says_it_is_not_a_receipt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "inv.json"
    inventory.save(b.scan([b.MAPS]), path)
    assert main(["verify", str(path)]) == 1
    assert capsys.readouterr().out == (
        f"{path}: INVALID\n  This is not a receipt (it looks like a Device Audit inventory file).\n"
        "  An inventory is what a scan saw, unsigned. A receipt is the signed .json file Device "
        "Audit writes when an audit is attested (device-audit attest); check that this is the "
        "file you meant.\n"
    )


def test_verifying_other_json_says_it_is_not_a_receipt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"theme": "dark"}))
    assert main(["verify", "--json", str(path)]) == 1
    [result] = json.loads(capsys.readouterr().out)
    assert not result["valid"]
    assert result["reason"] == (
        "This file is not a receipt: it holds JSON, but not a signed Device Audit receipt."
    )
