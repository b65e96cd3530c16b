"""Every number and time in a signed receipt is range-checked where it is read: a receipt with
an integer of 2^70 or a time in year 1 is refused with the field named, the genuine receipts of
its batch are all imported, and verify prints every file's result."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.attestation import Signer, verify_bytes, write_receipt
from audit.attestation.dsse import sign
from audit.attestation.statement import canonical_json
from audit.cli import main
from audit.errors import AttestationInvalid
from audit.store import ImportResult, Store
from audit.store.receipt_content import MalformedReceipt, read_receipt
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)
Change = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Change:
    def change(predicate: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = predicate
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[last] = value

    return change


MALFORMED: dict[str, tuple[Change, str]] = {
    "huge-sdk": (_set("device.sdk", 2**70), "larger than any number a receipt holds"),
    "huge-count": (_set("rescan.apps", 2**64), "larger than any number a receipt holds"),
    "negative-count": (_set("rescan.apps", -5), "'predicate.rescan.apps' is -5"),
    "year-1-attested": (
        _set("times.attested", "0001-01-01T00:00:00+00:00"),
        "'predicate.times.attested' is 0001-01-01T00:00:00+00:00, not a time between",
    ),
    "year-1-day": (_set("day", "0001-01-01"), "'predicate.day' is 0001-01-01, not a day"),
    "year-9999-scan": (
        _set("rescan.started_at", "9999-12-31T23:59:59+00:00"),
        "'predicate.rescan.started_at' is 9999-12-31T23:59:59+00:00",
    ),
    "year-1-action": (
        _set("actions.0.at", "0001-01-01T00:00:00+14:00"),
        "'predicate.actions[0].at' is 0001-01-01T00:00:00+14:00",
    ),
}


def _receipt(signer: Signer, serial: str, change: Change | None, path: Path) -> None:
    envelope = f.receipt(signer, f.phone(serial), f.AROHA, f.Outcome.CLEAN, day=DAY)
    if change is not None:
        statement = json.loads(envelope.payload)
        change(statement["predicate"])
        envelope = sign(canonical_json(statement), signer)
    write_receipt(envelope, path)


@pytest.fixture
def batch(tmp_path: Path, signer: Signer) -> Path:
    """Genuine receipts with every malformed one between them, in one folder (one batch)."""
    folder = tmp_path / "in"
    folder.mkdir()
    _receipt(signer, "GENUINE-A", None, folder / "a-genuine.json")
    for name, (change, _) in MALFORMED.items():
        _receipt(signer, f"BAD-{name}", change, folder / f"m-{name}.json")
    _receipt(signer, "GENUINE-Z", None, folder / "z-genuine.json")
    return folder


def test_out_of_range_receipts_are_refused_and_the_genuine_ones_of_the_batch_imported(
    store: Store, batch: Path
) -> None:
    report = store.import_folder(batch)
    outcomes = {o.path.name: o for o in report.outcomes}
    assert outcomes["a-genuine.json"].result is ImportResult.IMPORTED
    assert outcomes["z-genuine.json"].result is ImportResult.IMPORTED
    for name, (_, reason) in MALFORMED.items():
        outcome = outcomes[f"m-{name}.json"]
        assert outcome.result is ImportResult.REFUSED, name
        assert reason in outcome.reason, (name, outcome.reason)
    assert store.integrity_check() == "ok"
    assert len(store.export_rows()) == 2


def test_verify_names_each_out_of_range_field_and_prints_every_other_file(
    batch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = sorted(str(p) for p in batch.iterdir())
    assert main(["verify", *files]) == 1
    out = capsys.readouterr().out
    assert f"{len(files)} files: 2 valid, {len(MALFORMED)} not valid" in out
    for name, (_, reason) in MALFORMED.items():
        block = out.split(f"m-{name}.json: ")[1].split("\n\n")[0]
        assert block.startswith("INVALID") and reason in block, (name, block)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    field=st.sampled_from(
        [
            "device.sdk",
            "rescan.apps",
            "scan_before.apps",
            "times.attested",
            "times.scanned",
            "day",
            "rescan.started_at",
            "rescan.finished_at",
            "actions.0.at",
            "policy.deadline",
        ]
    ),
    value=st.one_of(
        st.integers(min_value=-(2**80), max_value=2**80),
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
        st.dates().map(lambda d: d.isoformat()),
        st.text(max_size=30),
        st.none(),
        st.booleans(),
    ),
)
def test_any_value_in_any_number_or_time_field_is_read_or_refused_never_a_crash(
    signer: Signer, field: str, value: Any
) -> None:
    envelope = f.receipt(signer, f.phone("FUZZ"), f.AROHA, f.Outcome.CLEAN, day=DAY)
    statement = json.loads(envelope.payload)
    _set(field, value)(statement["predicate"])
    data = sign(canonical_json(statement), signer).to_file_bytes()
    with contextlib.suppress(AttestationInvalid, MalformedReceipt):  # refused with a reason
        read_receipt(verify_bytes(data))
