"""Assessments built by hand from audit.model types: a phone before and after removal.

The policy engine is not used here on purpose: these tests pin the attestation to the shared
vocabulary, whatever the engine decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from audit.attestation import Attester
from audit.model import (
    ActionKind,
    ActionResult,
    AppState,
    Assessment,
    Device,
    DeviceKind,
    DeviceStatus,
    Exemption,
    Finding,
    FindingStatus,
    IdentifierKind,
    InstalledApp,
    Matcher,
    MatchKind,
    Policy,
    Rule,
    ScanResult,
    UserKind,
    UserProfile,
)
from tests.helpers.nz_tiktok import POLICY as NZ_POLICY
from tests.helpers.nz_tiktok import (
    STATEMENT,
    TIKTOK,
    phone_sources,
)

T0 = datetime(2023, 3, 28, 9, 0, tzinfo=UTC)
DAY = date(2023, 3, 28)
PHONE = Device(
    id="android:R58M123ABC",
    kind=DeviceKind.ANDROID,
    name="Samsung Galaxy S21",
    serial="R58M123ABC",
    manufacturer="samsung",
    model="SM-G991B",
    os_name="Android",
    os_version="13",
    sdk=33,
    build="samsung/o1sxeea/o1s:13/TP1A.220624.014/G991BXXU5DWA1:user/release-keys",
    has_work_profile=True,
)
USERS = (
    UserProfile("0", "Owner", UserKind.OWNER),
    UserProfile("10", "Work profile", UserKind.WORK_PROFILE),
)

CAPCUT = Rule(
    id="capcut",
    title="CapCut",
    matchers=(
        Matcher(MatchKind.IDENTIFIER, "com.lemon.lvoverseas", IdentifierKind.ANDROID_PACKAGE),
    ),
)
POLICY = replace(NZ_POLICY, rules=(TIKTOK, CAPCUT))
ATTESTER = Attester(name="Aroha Ngata", staff_id="PS-1042")


def app(
    identifier: str, user: str, state: AppState = AppState.INSTALLED, name: str = ""
) -> InstalledApp:
    return InstalledApp(
        identifier=identifier,
        kind=IdentifierKind.ANDROID_PACKAGE,
        name=name,
        user=user,
        state=state,
        collector=f"user {user}",
    )


TIKTOK_WORK = app("com.zhiliaoapp.musically", "10", name="TikTok")
CAPCUT_OWNER = app("com.lemon.lvoverseas", "0", name="CapCut")
MAPS = app("com.google.android.apps.maps", "0", name="Maps")


def scan(apps: Sequence[InstalledApp], *, at: datetime = T0, complete: bool = True) -> ScanResult:
    return ScanResult(
        device=PHONE,
        started_at=at,
        finished_at=at + timedelta(seconds=20),
        apps=tuple(apps),
        users=USERS,
        sources=phone_sources(complete=complete),
    )


def finding(
    installed: InstalledApp,
    rule: Rule,
    status: FindingStatus = FindingStatus.VIOLATION,
    exemption: Exemption | None = None,
) -> Finding:
    return Finding(
        app=installed, rule=rule, matcher=rule.matchers[0], status=status, exemption=exemption
    )


def assessment(
    result: ScanResult,
    findings: Sequence[Finding],
    status: DeviceStatus,
    policy: Policy = POLICY,
) -> Assessment:
    return Assessment(scan=result, policy=policy, day=DAY, status=status, findings=tuple(findings))


def before() -> Assessment:
    """TikTok in the work profile and CapCut in the owner user: two violations."""
    return assessment(
        scan([TIKTOK_WORK, CAPCUT_OWNER, MAPS]),
        [finding(TIKTOK_WORK, TIKTOK), finding(CAPCUT_OWNER, CAPCUT)],
        DeviceStatus.NON_COMPLIANT,
    )


def actions() -> tuple[ActionResult, ...]:
    return tuple(
        ActionResult(
            kind=ActionKind.UNINSTALL,
            device=PHONE.id,
            identifier=a.identifier,
            user=a.user,
            ok=True,
            message=f"{a.name} was removed for user {a.user}.",
            at=T0 + timedelta(minutes=2),
        )
        for a in (TIKTOK_WORK, CAPCUT_OWNER)
    )


def after_clean(*, complete: bool = True) -> Assessment:
    """The rescan after both removals: nothing banned left."""
    status = DeviceStatus.COMPLIANT if complete else DeviceStatus.INCOMPLETE
    return assessment(scan([MAPS], at=T0 + timedelta(minutes=5), complete=complete), [], status)


def clean(**changes: Any) -> dict[str, Any]:
    """The arguments of attest() (or build_statement) for the clean removal: both apps removed,
    nothing banned left, Aroha agreeing to the statement; `changes` add or replace any."""
    return {
        "before": before(),
        "after": after_clean(),
        "actions": actions(),
        "attester": ATTESTER,
        "statement_text": STATEMENT,
        **changes,
    }


def after_tiktok_left() -> Assessment:
    """CapCut removed, TikTok still in the work profile."""
    return assessment(
        scan([TIKTOK_WORK, MAPS], at=T0 + timedelta(minutes=5)),
        [finding(TIKTOK_WORK, TIKTOK)],
        DeviceStatus.NON_COMPLIANT,
    )


def after_tiktok_exempted() -> Assessment:
    exemption = Exemption(
        id="EX-7",
        reason="Needed to perform democratic duties (the member's public channel)",
        approver="Clerk of the House",
        granted=date(2023, 3, 20),
        expires=date(2023, 12, 31),
        person=ATTESTER.staff_id,
        mitigations=("separate work profile", "no parliamentary accounts in the app"),
    )
    return assessment(
        scan([TIKTOK_WORK, MAPS], at=T0 + timedelta(minutes=5)),
        [finding(TIKTOK_WORK, TIKTOK, FindingStatus.EXCEPTED, exemption)],
        DeviceStatus.COMPLIANT_WITH_EXCEPTIONS,
    )


def other_device(assessment_: Assessment) -> Assessment:
    device = replace(PHONE, id="android:OTHER", serial="OTHER")
    return replace(assessment_, scan=replace(assessment_.scan, device=device))


def on_demo_phone(assessment_: Assessment) -> Assessment:
    """The same assessment, made on Device Audit's simulated demo phone."""
    return replace(assessment_, scan=replace(assessment_.scan, device=DEMO_PHONE))


DEMO_PHONE = replace(PHONE, name="Demo phone", simulated=True)


def demo_clean(**changes: Any) -> dict[str, Any]:
    """clean(), on the demo phone: a real signature over a simulated device."""
    return clean(
        before=on_demo_phone(before()),
        after=on_demo_phone(after_clean()),
        **changes,
    )
