"""Small builders for findings and assessments, so each plan test states only what matters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime

from audit.model import (
    AppState,
    Assessment,
    Device,
    DeviceKind,
    DeviceStatus,
    Finding,
    FindingStatus,
    IdentifierKind,
    InstalledApp,
    InstallOrigin,
    Matcher,
    MatchKind,
    Policy,
    Rule,
    RunningProcess,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)

T0 = datetime(2023, 3, 20, 9, 30, tzinfo=UTC)
DAY = date(2023, 3, 20)

PHONE = Device(
    id="android:R58M123",
    kind=DeviceKind.ANDROID,
    name="Galaxy S21",
    serial="R58M123",
    os_name="Android",
    os_version="13",
)
COMPUTER = Device(id="local:abc", kind=DeviceKind.COMPUTER, name="laptop-42", os_name="Linux")
PHONE_USERS = (
    UserProfile("0", "Owner", UserKind.OWNER),
    UserProfile("10", "Work profile", UserKind.WORK_PROFILE),
)
RULE = Rule(
    id="tiktok",
    title="The TikTok app",
    matchers=(Matcher(MatchKind.NAME, "TikTok"),),
)
POLICY = Policy(
    id="test-policy",
    title="Test policy",
    authority="Test authority",
    rules=(RULE,),
    compliant_states=frozenset({AppState.ABSENT, AppState.REMOVED_FOR_USER}),
    exception_route="Ask the Clerk.",
)


def policy(*states: AppState) -> Policy:
    return replace(POLICY, compliant_states=frozenset({AppState.ABSENT, *states}))


def phone_app(
    package: str = "com.zhiliaoapp.musically",
    name: str = "TikTok",
    *,
    user: str = "0",
    system: bool = False,
    state: AppState = AppState.INSTALLED,
) -> InstalledApp:
    return InstalledApp(
        identifier=package,
        kind=IdentifierKind.ANDROID_PACKAGE,
        name=name,
        user=user,
        system=system,
        state=state,
    )


def local_app(
    kind: IdentifierKind,
    identifier: str,
    name: str = "TikTok",
    *,
    user: str = "anna",
    origin: InstallOrigin = InstallOrigin.UNKNOWN,
    installer: str = "",
    location: str = "",
    system: bool = False,
    uninstall: str = "",
    quiet: str = "",
) -> InstalledApp:
    return InstalledApp(
        identifier=identifier,
        kind=kind,
        name=name,
        user=user,
        origin=origin,
        installer=installer,
        location=location,
        system=system,
        uninstall_command=uninstall,
        quiet_uninstall_command=quiet,
    )


def finding(
    app: InstalledApp,
    *,
    status: FindingStatus = FindingStatus.VIOLATION,
    running: Iterable[RunningProcess] = (),
) -> Finding:
    return Finding(
        app=app,
        rule=RULE,
        matcher=RULE.matchers[0],
        status=status,
        running=tuple(running),
    )


def assessment(
    *findings: Finding,
    device: Device = PHONE,
    the_policy: Policy = POLICY,
    users: tuple[UserProfile, ...] = PHONE_USERS,
) -> Assessment:
    scan = ScanResult(
        device=device,
        started_at=T0,
        finished_at=T0,
        apps=tuple(f.app for f in findings),
        users=users,
        sources=(SourceReport("user 0", SourceStatus.OK),),
    )
    violations = any(f.status is FindingStatus.VIOLATION for f in findings)
    return Assessment(
        scan=scan,
        policy=the_policy,
        day=DAY,
        status=DeviceStatus.NON_COMPLIANT if violations else DeviceStatus.COMPLIANT,
        findings=findings,
    )
