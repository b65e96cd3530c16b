"""A phone judged with the details of what the policy flagged: against the real adb server and
simulated phones, plus the rules (what is asked, what a failure leaves) on a scan in memory."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

import pytest

from audit.assess import SCAN_SHARE, assess_phone, flagged_packages, judge_with_details
from audit.errors import Cancelled, DeviceGone
from audit.model import AppState, FindingStatus
from audit.policy import evaluate, load_policy
from audit.sources.android.connection import Adb
from audit.sources.android.dumpsys import PackageDetails
from audit.sources.android.scan import details_for, scan_phone
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.phonesim import SimulatedPhone

TIKTOK = "com.zhiliaoapp.musically"
DAY = date(2023, 3, 20)


@pytest.fixture(scope="module")
def nz():  # type: ignore[no-untyped-def]
    return load_policy("nz-parliament-2023")


def tiktok_finding(assessment):  # type: ignore[no-untyped-def]
    return next(f for f in assessment.findings if f.app.identifier == TIKTOK)


def described(phone: SimulatedPhone) -> list[str]:
    """Record the packages the phone runs `dumpsys package NAME` for (the phone's own
    program, not the text of the command sent: the one-stage script names every package the
    policy names, and the phone describes only those its lists hold)."""
    dumpsys = phone._commands["dumpsys"]
    ran: list[str] = []

    def recorded(sh: Any, argv: list[str], stdin: bytes) -> Any:
        if argv[1:2] == ["package"]:
            ran.extend(argv[2:])
        return dumpsys(sh, argv, stdin)

    phone._commands["dumpsys"] = recorded
    return ran


@pytest.mark.adb
def test_the_flagged_app_carries_its_version_and_dates_from_the_one_round_trip(
    adb_server: AdbServer, sim_phone: PhoneFactory, nz
) -> None:  # type: ignore[no-untyped-def]
    """The check passes the policy's packages to the scan (issue 15): the phone describes the
    flagged one in the same script, so the whole check is one round trip."""
    phone = sim_phone("demo-phone")
    ran = described(phone)
    assessment = assess_phone(phone.address, nz, day=DAY, adb=Adb(adb_server.port), person="S1")
    finding = tiktok_finding(assessment)
    assert finding.status is FindingStatus.VIOLATION
    assert finding.app.version == "34.1.4"
    assert finding.app.installed_at is not None and finding.app.installed_at.tzinfo is not None
    assert finding.app.updated_at is not None
    # The same app in the scan the assessment holds (what the table shows) has them too.
    in_scan = next(a for a in assessment.scan.apps if a.identifier == TIKTOK)
    assert in_scan == finding.app
    # Only the flagged package was described, inside the one round trip of the scan.
    assert ran == [TIKTOK]
    assert len(phone.commands) == 1, phone.commands
    capcut = next(a for a in assessment.scan.apps if a.identifier == "com.lemon.lvoverseas")
    assert capcut.version == "" and capcut.installed_at is None  # not flagged: not read
    assert capcut.version_code == 119000  # the package list gives the build number


@pytest.mark.adb
def test_a_phone_with_nothing_flagged_describes_nothing(
    adb_server: AdbServer, sim_phone: PhoneFactory, nz
) -> None:  # type: ignore[no-untyped-def]
    phone = sim_phone("demo-phone")
    adb = Adb(adb_server.port)
    phone.run(f"pm uninstall --user 10 {TIKTOK}")
    ran = described(phone)
    assessment = assess_phone(phone.address, nz, day=DAY, adb=adb)
    assert not assessment.violations
    assert ran == []


@pytest.mark.adb
def test_a_phone_unplugged_before_the_details_keeps_its_judgement(
    adb_server: AdbServer, sim_phone: PhoneFactory, nz
) -> None:  # type: ignore[no-untyped-def]
    phone = sim_phone("demo-phone")
    adb = Adb(adb_server.port)
    scan = scan_phone(phone.address, adb=adb)
    phone.unplug()
    adb_server.wait_for_state(phone.address, {None, "offline"})

    def details(packages: Collection[str]) -> Mapping[str, PackageDetails]:
        return details_for(phone.address, packages, adb=adb)

    assessment = judge_with_details(scan, nz, day=DAY, details=details)
    assert assessment == evaluate(scan, nz, day=DAY)
    assert tiktok_finding(assessment).app.version == ""


class Fetch:
    """Details from a phone read earlier, counting what is asked (a phone with memory)."""

    def __init__(self, known: Mapping[str, PackageDetails], error: Exception | None = None):
        self.known = known
        self.error = error
        self.asked: list[list[str]] = []

    def __call__(self, packages: Collection[str]) -> Mapping[str, PackageDetails]:
        self.asked.append(sorted(packages))
        if self.error is not None:
            raise self.error
        return {p: self.known[p] for p in packages if p in self.known}


@pytest.fixture(scope="module")
def read_phone(adb_server: AdbServer):  # type: ignore[no-untyped-def]
    """A demo phone's scan and TikTok's details, read once through the real server."""
    from tests.phonesim import SimulatedPhone

    adb = Adb(adb_server.port)
    with SimulatedPhone("demo-phone") as phone:
        adb_server.client().connect(phone.address, timeout=10)
        adb_server.wait_for_state(phone.address, {"device"})
        try:
            scan = scan_phone(phone.address, adb=adb)
            details = details_for(phone.address, [TIKTOK], adb=adb)
        finally:
            adb_server.client().disconnect(phone.address)
    return scan, details


@pytest.mark.adb
def test_only_packages_not_read_yet_are_asked_again(read_phone, nz) -> None:  # type: ignore[no-untyped-def]
    scan, known = read_phone
    fetch = Fetch(known)
    first = judge_with_details(scan, nz, day=DAY, details=fetch)
    assert fetch.asked == [[TIKTOK]]
    assert flagged_packages(first) == [TIKTOK]
    assert flagged_packages(first, missing_only=True) == []
    again = judge_with_details(first.scan, nz, day=DAY, details=fetch)
    assert fetch.asked == [[TIKTOK]]  # nothing new to ask
    assert tiktok_finding(again).app.version == "34.1.4"


@pytest.mark.adb
def test_an_error_reading_details_leaves_the_first_judgement(read_phone, nz) -> None:  # type: ignore[no-untyped-def]
    scan, known = read_phone
    fetch = Fetch(known, DeviceGone("demo", "The phone was unplugged."))
    assessment = judge_with_details(scan, nz, day=DAY, details=fetch)
    assert fetch.asked == [[TIKTOK]]
    assert assessment == evaluate(scan, nz, day=DAY)


@pytest.mark.adb
def test_absent_and_unflagged_apps_are_never_asked_about(read_phone, nz) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    scan, known = read_phone
    gone = replace(
        scan,
        apps=tuple(
            replace(a, state=AppState.ABSENT) if a.identifier == TIKTOK else a for a in scan.apps
        ),
    )
    fetch = Fetch(known)
    assessment = judge_with_details(gone, nz, day=DAY, details=fetch)
    assert fetch.asked == []
    assert not assessment.violations


@pytest.mark.adb
def test_cancelling_before_the_details_stops(read_phone, nz) -> None:  # type: ignore[no-untyped-def]
    scan, known = read_phone
    fetch = Fetch(known)
    with pytest.raises(Cancelled):
        judge_with_details(scan, nz, day=DAY, details=fetch, cancelled=lambda: True)
    assert fetch.asked == []


@pytest.mark.adb
def test_progress_goes_on_after_the_scan_to_done(read_phone, nz) -> None:  # type: ignore[no-untyped-def]
    scan, known = read_phone
    seen: list[float] = []
    judge_with_details(
        scan, nz, day=DAY, details=Fetch(known), progress=lambda f, _m: seen.append(f)
    )
    assert seen == sorted(seen) and seen[0] >= SCAN_SHARE and len(seen) >= 2
