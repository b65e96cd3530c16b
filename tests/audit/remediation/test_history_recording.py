"""One removal is one audit in the history, across `remove` runs and the `attest` that ends it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from audit.attestation import Envelope, Signer, attest
from audit.inventory import inventory_digest
from audit.model import Assessment
from audit.store import Store
from audit.workflow import history
from tests.audit.attestation import builders as b


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "history.sqlite3") as opened:
        yield opened


def signed(before: Assessment, after: Assessment) -> Envelope:
    return attest(**b.clean(before=before, after=after, signer=Signer.generate()))


def digests(store: Store, audit_id: int) -> list[str]:
    return [s.inventory_digest for s in store.audit_details(audit_id).scans]


def test_remove_then_attest_is_one_audit_with_scans_actions_and_receipt(store: Store) -> None:
    before, after = b.before(), b.after_clean()
    audit_id = history.record_removal_scan(store, before, audit_id=None)
    store.record_actions(audit_id, b.actions())
    recorded = history.record_receipt(
        store,
        signed(before, after),
        audit_id=audit_id,
        history_file=str(store.path),
        before=before,
        after=after,
        actions=b.actions(),
        attester=b.ATTESTER,
        file_name="receipt.json",
    )
    assert recorded == audit_id
    assert len(store.history()) == 1
    details = store.audit_details(audit_id)
    assert digests(store, audit_id) == [
        inventory_digest(before.scan),
        inventory_digest(after.scan),
    ]
    assert details.actions == b.actions()
    assert [r.file_name for r in details.receipts] == ["receipt.json"]
    assert (details.summary.person_name, details.summary.staff_id) == ("Aroha Ngata", "PS-1042")


def test_a_second_remove_adds_its_scan_to_the_same_audit(store: Store) -> None:
    before = b.before()
    audit_id = history.record_removal_scan(store, before, audit_id=None)
    again = history.record_removal_scan(store, b.after_tiktok_left(), audit_id=audit_id)
    assert again == audit_id
    assert len(digests(store, audit_id)) == 2


@pytest.mark.parametrize(
    "why",
    [
        "not in this history",
        "another history file",
        "policy changed",
        "already attested",
        "another device",
    ],
)
def test_an_audit_that_cannot_take_more_starts_a_whole_new_one(store: Store, why: str) -> None:
    """The pending record's audit id is only a hint: the new audit holds everything it knew."""
    before, later = b.before(), b.after_tiktok_left()
    audit_id = history.record_removal_scan(store, before, audit_id=None)
    history_file = ""
    if why == "not in this history":
        audit_id += 1000
    elif why == "another history file":  # where the same id is another audit
        history_file = str(store.path.with_name("other.sqlite3"))
    elif why == "policy changed":
        changed = replace(b.POLICY, sha256="cd" * 32)
        before, later = replace(before, policy=changed), replace(later, policy=changed)
    elif why == "already attested":
        history.record_receipt(
            store,
            signed(before, b.after_clean()),
            audit_id=audit_id,
            before=before,
            after=b.after_clean(),
            actions=b.actions(),
            attester=b.ATTESTER,
        )
    else:
        before, later = b.other_device(before), b.other_device(later)
    done = tuple(replace(a, device=later.scan.device.id) for a in b.actions()[:1])
    new = history.record_removal_scan(
        store,
        later,
        audit_id=audit_id,
        history_file=history_file,
        first=before,
        earlier_actions=done,
    )
    assert new != audit_id
    details = store.audit_details(new)
    assert digests(store, new) == [inventory_digest(before.scan), inventory_digest(later.scan)]
    assert details.actions == done


def test_a_receipt_without_a_recorded_removal_records_the_whole_audit(store: Store) -> None:
    before, after = b.before(), b.after_clean()
    audit_id = history.record_receipt(
        store,
        signed(before, after),
        audit_id=None,
        before=before,
        after=after,
        actions=b.actions(),
        attester=b.ATTESTER,
    )
    details = store.audit_details(audit_id)
    assert digests(store, audit_id) == [inventory_digest(before.scan), inventory_digest(after.scan)]
    assert details.actions == b.actions()
    assert len(details.receipts) == 1


def test_one_scan_standing_for_both_is_recorded_once(store: Store) -> None:
    after = b.after_clean()
    envelope = attest(
        before=after,
        after=after,
        actions=(),
        attester=b.ATTESTER,
        statement_text=b.STATEMENT,
        signer=Signer.generate(),
    )
    audit_id = history.record_receipt(
        store, envelope, audit_id=None, before=after, after=after, actions=(), attester=b.ATTESTER
    )
    assert digests(store, audit_id) == [inventory_digest(after.scan)]
