from __future__ import annotations

from datetime import date

from audit.model import (
    NEVER_COMPLIANT,
    AppState,
    Confidence,
    Exemption,
    IdentifierKind,
    Platform,
    SourceReport,
    SourceStatus,
)
from tests.audit.test_inventory import sample_scan


def test_scan_is_incomplete_when_any_source_failed_or_partial() -> None:
    ok = SourceReport("dpkg", SourceStatus.OK)
    absent = SourceReport("flatpak", SourceStatus.ABSENT)
    assert sample_scan(sources=(ok, absent)).complete
    for status in (SourceStatus.FAILED, SourceStatus.PARTIAL):
        scan = sample_scan(sources=(ok, SourceReport("snap", status, "denied")))
        assert not scan.complete
        assert [g.name for g in scan.gaps] == ["snap"]


def test_a_scan_naming_no_sources_is_not_complete() -> None:
    assert not sample_scan(sources=()).complete


def test_six_android_states_one_iphone_state_and_which_are_still_on_the_device() -> None:
    assert {s.value for s in AppState} == {
        "installed",
        "disabled",
        "hidden",
        "suspended",
        "removed_for_user",
        "absent",
        "offloaded",  # an iPhone app offloaded: data and icon kept, one tap downloads it again
    }
    on = {s.value for s in AppState if s.on_device}
    assert on == {"installed", "disabled", "hidden", "suspended"}  # usable without a download
    # Not usable this minute, yet no policy may count it as gone (audit.policy.loader).
    assert AppState.OFFLOADED in NEVER_COMPLIANT


def test_only_high_and_medium_high_are_enforceable() -> None:
    assert [c for c in Confidence if c.enforceable] == [Confidence.HIGH, Confidence.MEDIUM_HIGH]


def test_every_identifier_kind_has_a_platform() -> None:
    assert IdentifierKind.APPX_PFN.platform is Platform.WINDOWS
    assert all(isinstance(kind.platform, Platform) for kind in IdentifierKind)


def test_exemption_active_until_expiry_inclusive() -> None:
    e = Exemption("E1", "comms", "CSO", granted=date(2023, 4, 1), expires=date(2023, 9, 30))
    assert not e.active_on(date(2023, 3, 31))
    assert e.active_on(date(2023, 9, 30))
    assert not e.active_on(date(2023, 10, 1))
