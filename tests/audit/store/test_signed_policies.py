"""Policies signed by their issuer (DSSE over the policy file, Ed25519): `policy sign` writes
FILE.sig, `check` says "Issued by … (signature checked)" or "not signed", a receipt records the
issuer's key and verify and the PDF text show it, and a helpdesk can require signed policies.
Real files, real keys (the CLI's from an in-memory keyring), real SQLite histories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Signer, format_fingerprint, verify_bytes
from audit.attestation.receipt_text import receipt_content
from audit.errors import PolicyError, StoreError
from audit.inventory import save
from audit.paths import resource
from audit.policy import load_policy_file
from audit.policy.signed import (
    check_signature,
    sign_policy,
    sign_policy_file,
    signature_path,
)
from audit.store import Store
from tests.audit.policy.factories import TIKTOK, scan
from tests.audit.store import factory as f
from tests.audit.store.test_history_lines import DAY
from tests.audit.store.test_trust_attacks import USB, cabled, changed_preset, drop, run
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture


def org_policy(folder: Path, policy_id: str = "org-tiktok-2023") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return changed_preset(folder, own_id=policy_id)


@pytest.mark.usefixtures("memory_keyring")
def test_check_says_who_issued_the_policy_or_that_it_is_not_signed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    inventory = tmp_path / "inventory.json"
    save(scan(TIKTOK), inventory)
    file = org_policy(tmp_path)
    code, out, _ = run(capsys, "check", "--policy", str(file), "--inventory", str(inventory))
    assert "not signed" in out and "signature checked" not in out
    code, out, err = run(capsys, "policy", "sign", str(file))
    assert code == 0, err
    assert signature_path(file).is_file()
    key = Signer.from_keyring()
    assert format_fingerprint(key.fingerprint) in out
    code, out, _ = run(capsys, "check", "--policy", str(file), "--inventory", str(inventory))
    assert f"key {format_fingerprint(key.fingerprint)} (signature checked)" in out
    assert "Issued by Parliamentary Service" in out or "Issued by " in out
    assert load_policy_file(file).issuer_key == key.fingerprint
    code, out, _ = run(
        capsys, "check", "--policy", "nz-parliament-2025", "--inventory", str(inventory)
    )
    assert "built in (shipped with Device Audit)" in out


def test_a_policy_changed_after_it_was_signed_is_refused_with_a_next_step(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    file = org_policy(tmp_path)
    sign_policy_file(file, Signer.generate())
    file.write_text(file.read_text("utf-8") + "\n# one more line\n", "utf-8")
    with pytest.raises(PolicyError, match="changed after it was signed") as caught:
        load_policy_file(file)
    assert "remove" in caught.value.next_step or "remove" in str(caught.value)
    inventory = tmp_path / "inventory.json"
    save(scan(TIKTOK), inventory)
    code, out, err = run(capsys, "check", "--policy", str(file), "--inventory", str(inventory))
    assert code == 2 and out == "" and "does not check" in err


def test_a_preset_cannot_be_signed_by_anyone_else(tmp_path: Path) -> None:
    copy = tmp_path / "nz.toml"
    copy.write_bytes(resource("policies", "nz-parliament-2023.toml").read_bytes())
    with pytest.raises(PolicyError, match="built-in policy"):
        sign_policy_file(copy, Signer.generate())
    assert not signature_path(copy).exists()


def test_the_receipt_records_the_issuer_and_verify_and_the_pdf_show_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    issuer = Signer.generate()
    file = org_policy(tmp_path)
    sign_policy_file(file, issuer)
    policy = load_policy_file(file)
    envelope = f.receipt(signer, cabled("A1"), f.AROHA, f.Outcome.CLEAN, day=DAY, policy=policy)
    assert json.loads(envelope.payload)["predicate"]["policy"]["issuer_key"] == issuer.fingerprint
    verified = verify_bytes(envelope.to_file_bytes())
    assert verified.policy_issuer_key == issuer.fingerprint
    (section,) = [s for s in receipt_content(verified).sections if s.title == "Policy"]
    issued = {line.label: line.value for line in section.lines}["Policy issued"]
    assert issued.endswith(f"key {format_fingerprint(issuer.fingerprint)} (signature checked)")
    path = drop(tmp_path / "in", "r.json", envelope)
    db = tmp_path / "h.sqlite3"
    run(capsys, "policy", "accept", str(file), "--by", "Lead", "--db", str(db))
    code, out, _ = run(capsys, "verify", str(path), "--db", str(db))
    assert code == 0 and "policy file signed by key" in out
    unsigned = f.receipt(signer, cabled("A2"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    (section,) = [
        s
        for s in receipt_content(verify_bytes(unsigned.to_file_bytes())).sections
        if s.title == "Policy"
    ]
    assert {line.label: line.value for line in section.lines}["Policy issued"] == "not signed"


def test_a_helpdesk_can_require_signed_policies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    db = tmp_path / "h.sqlite3"
    unsigned_file = org_policy(tmp_path / "a", "org-unsigned-2023")
    signed_file = org_policy(tmp_path / "b", "org-signed-2023")
    issuer = Signer.generate()
    sign_policy_file(signed_file, issuer)
    # accepted while nothing was required; its receipts are imported
    assert (
        run(capsys, "policy", "accept", str(unsigned_file), "--by", "Lead", "--db", str(db))[0] == 0
    )
    unsigned = load_policy_file(unsigned_file)
    drop(
        tmp_path / "in1",
        "u.json",
        f.receipt(signer, cabled("U1", USB), f.AROHA, f.Outcome.CLEAN, day=DAY, policy=unsigned),
    )
    with Store(db) as store:
        assert store.import_folder(tmp_path / "in1").imported == 1
    code, out, _ = run(capsys, "policy", "require-signed", "on", "--by", "Lead", "--db", str(db))
    assert code == 0 and "required" in out
    with Store(db) as store:
        assert store.signed_policies_required()
        with pytest.raises(StoreError, match="requires signed policies") as refused:
            store.accept_policy(org_policy(tmp_path / "c", "org-other-2023"), by="Lead")
        assert "require-signed off" in refused.value.next_step
        store.accept_policy(signed_file, by="Lead")
        (accepted,) = [k for k in store.accepted_policies() if k.id == "org-signed-2023"]
        assert accepted.issuer_key == issuer.fingerprint
    signed = load_policy_file(signed_file)
    drop(
        tmp_path / "in2",
        "s.json",
        f.receipt(signer, cabled("S1", USB), f.BEN, f.Outcome.CLEAN, day=DAY, policy=signed),
    )
    drop(
        tmp_path / "in2",
        "u.json",
        f.receipt(signer, cabled("U2", USB), f.BEN, f.Outcome.CLEAN, day=DAY, policy=unsigned),
    )
    with Store(db) as store:
        report = store.import_folder(tmp_path / "in2")
    outcomes = {Path(o.path).name: o for o in report.outcomes}
    assert outcomes["s.json"].result.value == "imported"
    assert outcomes["u.json"].result.value == "refused"
    assert "requires signed policies" in outcomes["u.json"].reason


def test_a_new_text_of_a_signed_policy_must_come_from_the_same_issuer(tmp_path: Path) -> None:
    issuer, stranger = Signer.generate(), Signer.generate()
    first = org_policy(tmp_path / "a")
    sign_policy_file(first, issuer)
    second = tmp_path / "b" / "policy.toml"
    second.parent.mkdir(exist_ok=True)
    second.write_text(first.read_text("utf-8").replace("version = 1", "version = 2", 1), "utf-8")
    sign_policy_file(second, stranger)
    with Store(tmp_path / "h.sqlite3") as store:
        store.accept_policy(first, by="Lead")
        with pytest.raises(StoreError, match="was signed by key") as refused:
            store.accept_policy(second, by="Lead")
        assert "confirm" in refused.value.next_step
        sign_policy_file(second, issuer)
        _policy, added = store.accept_policy(second, by="Lead")
        assert added


_CONTENT = b'id = "x"\n'
_GOOD = sign_policy(_CONTENT, Signer.generate()).to_file_bytes()


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.integers(0, len(_GOOD) - 1).flatmap(
            lambda at: st.integers(0, 255).map(
                lambda byte: _GOOD[:at] + bytes([byte]) + _GOOD[at + 1 :]
            )
        ),
    )
)
def test_the_signature_reader_accepts_only_the_genuine_envelope_and_names_every_fault(
    data: bytes,
) -> None:
    try:
        checked = check_signature(data, _CONTENT)
    except ValueError as error:
        assert str(error)
    else:
        assert checked.fingerprint  # a byte flip JSON ignores (whitespace) still checks
