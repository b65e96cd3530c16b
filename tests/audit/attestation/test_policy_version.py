"""A receipt carries its policy's version and when the policy was last checked against its
sources (issue 14): signed into the statement, read back by verify, shown by `verify` and in
the receipt's text (the PDF). A receipt made before they were recorded still reads, and says
so; a malformed value is refused with the field named."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.attestation import Signer, attest, verify_bytes, write_receipt
from audit.attestation.dsse import sign
from audit.attestation.receipt_text import receipt_content
from audit.attestation.statement import canonical_json
from audit.cli import main
from audit.errors import AttestationInvalid
from tests.audit.attestation import builders as b

CHECKED = date(2026, 1, 15)


def _under_version_3(signer: Signer) -> dict[str, Any]:
    policy = replace(b.POLICY, version=3, last_verified=CHECKED)
    return b.clean(
        before=replace(b.before(), policy=policy),
        after=replace(b.after_clean(), policy=policy),
        signer=signer,
    )


def resigned(statement: dict[str, Any], signer: Signer) -> bytes:
    return sign(canonical_json(statement), signer).to_file_bytes()


def _policy_lines(content: Any) -> dict[str, str]:
    (section,) = [s for s in content.sections if s.title == "Policy"]
    return {line.label: line.value for line in section.lines}


def test_the_receipt_signs_the_policy_version_and_last_verified(signer: Signer) -> None:
    envelope = attest(**_under_version_3(signer))
    policy = json.loads(envelope.payload)["predicate"]["policy"]
    assert policy["version"] == 3 and policy["last_verified"] == "2026-01-15"
    verified = verify_bytes(envelope.to_file_bytes())
    assert verified.policy_version == 3
    assert verified.policy_last_verified == CHECKED
    lines = _policy_lines(receipt_content(verified))
    assert lines["Policy version"] == "3, last checked against its sources on 2026-01-15"


def test_verify_shows_the_signed_version(
    signer: Signer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_receipt(attest(**_under_version_3(signer)), tmp_path / "r.json")
    main(["verify", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert "signed under version 3, last checked against its sources 2026-01-15" in out
    main(["verify", "--json", str(tmp_path / "r.json")])
    policy = json.loads(capsys.readouterr().out)[0]["policy"]
    assert policy["signed_version"] == 3 and policy["last_verified"] == "2026-01-15"


def test_an_older_receipt_without_them_still_reads_and_says_so(
    signer: Signer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    statement = json.loads(attest(**b.clean(signer=signer)).payload)
    del statement["predicate"]["policy"]["version"]
    del statement["predicate"]["policy"]["last_verified"]
    data = resigned(statement, signer)
    verified = verify_bytes(data)
    assert verified.policy_version is None and verified.policy_last_verified is None
    assert _policy_lines(receipt_content(verified))["Policy version"].startswith("not recorded")
    (tmp_path / "old.json").write_bytes(data)
    main(["verify", str(tmp_path / "old.json")])
    assert "does not record the policy's version" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("version", "3"),
        ("version", 0),
        ("version", True),
        ("version", 2**40),
        ("version", 1.5),
        ("last_verified", "2026-13-01"),
        ("last_verified", "1999-12-31"),
        ("last_verified", "2026-01-15T00:00:00"),
        ("last_verified", 20260115),
    ],
)
def test_a_malformed_version_or_day_is_refused_naming_it(
    key: str, value: Any, signer: Signer
) -> None:
    statement = json.loads(attest(**b.clean(signer=signer)).payload)
    statement["predicate"]["policy"][key] = value
    with pytest.raises(AttestationInvalid, match=f"policy.{key}"):
        verify_bytes(resigned(statement, signer))


_SIGNER = Signer.generate()
_STATEMENT = json.loads(attest(**b.clean(signer=_SIGNER)).payload)
_ANY = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    version=_ANY,
    last_verified=_ANY,
    issuer_key=_ANY | st.sampled_from(["", "ab" * 32, "AB" * 32, "ab" * 31]),
)
def test_verify_reads_any_version_day_and_issuer_or_names_the_fault(
    version: Any, last_verified: Any, issuer_key: Any
) -> None:
    statement = json.loads(json.dumps(_STATEMENT))
    statement["predicate"]["policy"].update(
        version=version, last_verified=last_verified, issuer_key=issuer_key
    )
    try:
        data = resigned(statement, _SIGNER)
    except ValueError:  # a float canonical JSON does not write (NaN, infinity)
        return
    try:
        verified = verify_bytes(data)
    except AttestationInvalid as error:
        assert "policy" in error.message
    else:
        assert verified.policy_version == version
        assert verified.policy_issuer_key == issuer_key
        receipt_content(verified)
