"""Times a receipt claims cannot bend the history: a receipt dated in the future beyond the
stated clock skew is refused, one judged before its policy was announced is flagged, when each
arrived is recorded, and a faked clock cannot make a receipt "the latest" audit of a device."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from audit.attestation import (
    Attester,
    Envelope,
    Signer,
    attest,
    report_noncompliance,
    write_receipt,
)
from audit.model import DeviceStatus
from audit.store import ImportResult, Store
from audit.store.times import CLOCK_SKEW
from tests.audit.store import factory as f
from tests.helpers.nz_tiktok import STATEMENT

ATTESTER = Attester(name=f.AROHA.name, staff_id=f.AROHA.staff_id)
PHONE = f.phone("R58M123ABC")


def _signed(signer: Signer, outcome: f.Outcome, day: date, at: datetime) -> Envelope:
    before, after, actions = f.audit_inputs(PHONE, f.AROHA, outcome, day=day)
    make = attest if outcome is f.Outcome.CLEAN else report_noncompliance
    kwargs = {"statement_text": STATEMENT} if outcome is f.Outcome.CLEAN else {}
    return make(  # type: ignore[operator]
        before=before,
        after=after,
        actions=actions,
        attester=ATTESTER,
        signer=signer,
        now=at,
        **kwargs,
    )


def _import(
    store: Store, folder: Path, **envelopes: Envelope
) -> dict[str, tuple[ImportResult, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, envelope in envelopes.items():
        write_receipt(envelope, folder / f"{name}.json")
    report = store.import_folder(folder)
    return {o.path.stem: (o.result, o.reason) for o in report.outcomes}


def test_a_receipt_dated_in_the_future_beyond_the_clock_skew_is_refused(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    today = now.date()
    results = _import(
        store,
        tmp_path / "in",
        year2099=_signed(signer, f.Outcome.CLEAN, date(2099, 1, 1), f.noon(date(2099, 1, 1))),
        tomorrow_plus=_signed(
            signer, f.Outcome.CLEAN, today, now + CLOCK_SKEW + timedelta(hours=2)
        ),
        within_skew=_signed(signer, f.Outcome.CLEAN, today, now + CLOCK_SKEW - timedelta(hours=2)),
    )
    for name in ("year2099", "tomorrow_plus"):
        result, reason = results[name]
        assert result is ImportResult.REFUSED, name
        assert "later than now" in reason and "by more than a day" in reason, reason
    assert results["within_skew"][0] is ImportResult.IMPORTED


def test_a_faked_clock_cannot_make_a_receipt_the_latest_audit_of_a_device(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    """A compliant receipt dated 20 hours ahead arrives first; the genuine non-compliance report
    made after it, with a right clock, is the device's latest audit everywhere."""
    now = datetime.now(UTC)
    faked = _signed(signer, f.Outcome.CLEAN, now.date(), now + timedelta(hours=20))
    assert _import(store, tmp_path / "first", faked=faked)["faked"][0] is ImportResult.IMPORTED
    later = datetime.now(UTC) + timedelta(seconds=1)
    genuine = _signed(signer, f.Outcome.VIOLATION, later.date(), later)
    results = _import(store, tmp_path / "second", genuine=genuine)
    assert results["genuine"][0] is ImportResult.IMPORTED
    [row] = store.export_rows()
    assert row.recorded_status != DeviceStatus.COMPLIANT.value
    assert row.receipt_kind == "noncompliance_report"
    # when each receipt arrived is recorded beside the time it claims
    arrived = dict(store._db.execute("SELECT file_name, recorded_at FROM attestations"))
    assert set(arrived) == {"faked.json", "genuine.json"}
    assert all(value.startswith(now.date().isoformat()[:4]) for value in arrived.values())


def test_a_receipt_judged_before_its_policy_was_announced_is_flagged(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    early = date(2023, 3, 1)  # nz-parliament-2023 was announced on 17 March 2023
    results = _import(
        store,
        tmp_path / "in",
        early=f.receipt(signer, PHONE, f.AROHA, f.Outcome.CLEAN, day=early),
        on_time=f.receipt(
            signer, f.phone("OTHER"), f.AROHA, f.Outcome.CLEAN, day=date(2023, 3, 28)
        ),
    )
    result, reason = results["early"]
    assert result is ImportResult.IMPORTED
    assert "before the policy was announced (2023-03-17)" in reason
    assert "announced" not in results["on_time"][1]


def test_verify_does_not_accept_a_receipt_dated_in_the_future(
    signer: Signer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from audit.cli import main

    path = tmp_path / "2099.json"
    write_receipt(
        _signed(signer, f.Outcome.CLEAN, date(2099, 1, 1), f.noon(date(2099, 1, 1))), path
    )
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: NOT ACCEPTED (dated in the future)")
    assert "It is dated 2099-01-01 12:" in out and "later than now by more than a day" in out


def test_a_receipt_judged_as_of_another_day_than_it_was_signed_is_refused(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    """`attest --date 2023-06-01` signed today judges the phone as it stood then (the rules in
    force, the deadline, the exemptions of that day): it says nothing of the phone today and
    must never stand as its compliance. A day off either way is the signer's time zone."""
    now = datetime.now(UTC)
    # The signer's date a day from UTC's, on the side where the factory's noon scans are less
    # than a day from now (tomorrow's noon after 12:00 UTC, yesterday's before): the test once
    # failed between midnight and noon UTC, refused as dated in the future.
    zone_day = now.date() + timedelta(days=1 if now.hour >= 12 else -1)
    outcomes = _import(
        store,
        tmp_path / "in",
        past=_signed(signer, f.Outcome.CLEAN, date(2023, 6, 1), now),
        zone=_signed(signer, f.Outcome.CLEAN, zone_day, now),
    )
    result, reason = outcomes["past"]
    assert result is ImportResult.REFUSED
    assert "judges the device as of 2023-06-01, not as of the day it was signed" in reason
    assert "without --date" in reason
    assert outcomes["zone"][0] is ImportResult.IMPORTED
