"""Scans and assessments built by hand for UI tests, judged by the real policy engine."""

from __future__ import annotations

from datetime import UTC, date, datetime

from audit.model import (
    AppState,
    Assessment,
    Device,
    DeviceKind,
    IdentifierKind,
    InstalledApp,
    InstallOrigin,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)

T0 = datetime(2023, 3, 20, 9, 30, tzinfo=UTC)
DAY = date(2023, 3, 20)  # eleven days before the NZ Parliament deadline
HOSTILE = "<b>x</b><img src=file:///etc/passwd>"
PKG = IdentifierKind.ANDROID_PACKAGE


def app(identifier: str, name: str, user: str = "0", **changes: object) -> InstalledApp:
    fields: dict[str, object] = dict(
        identifier=identifier,
        kind=PKG,
        name=name,
        version="1.0",
        installer="com.android.vending",
        origin=InstallOrigin.STORE,
        user=user,
    )
    fields.update(changes)
    return InstalledApp(**fields)  # type: ignore[arg-type]


def phone_scan(*extra: InstalledApp, complete: bool = True, serial: str = "R58M123") -> ScanResult:
    apps = (
        app("com.whatsapp", "WhatsApp", version="2.23.5"),
        app("com.zhiliaoapp.musically", "TikTok", user="10", version="29.3.4"),
        app(
            "com.google.android.gm",
            "Gmail",
            system=True,
            origin=InstallOrigin.PREINSTALLED,
            installer="",
        ),
        app(
            "com.android.chrome",
            "Chrome",
            user="10",
            system=True,
            origin=InstallOrigin.PREINSTALLED,
            installer="",
            version="10.2",
        ),
        app("com.example.notes", "Notes (c++ edition)", version="9.1"),
        app("com.lemon.lvoverseas", "CapCut", state=AppState.DISABLED, version="8.0"),
        *extra,
    )
    sources = (
        SourceReport("user 0", SourceStatus.OK, count=4),
        SourceReport(
            "user 10",
            SourceStatus.OK if complete else SourceStatus.FAILED,
            detail="" if complete else "the phone was unplugged",
            count=2,
        ),
    )
    return ScanResult(
        device=Device(
            id=Device.android_id(serial),
            kind=DeviceKind.ANDROID,
            name="Galaxy S21",
            serial=serial,
            manufacturer="samsung",
            model="SM-G991B",
            os_name="Android",
            os_version="13",
            has_work_profile=True,
        ),
        started_at=T0,
        finished_at=T0,
        apps=apps,
        users=(
            UserProfile("0", "Owner", UserKind.OWNER),
            UserProfile("10", "Work profile", UserKind.WORK_PROFILE),
        ),
        sources=sources,
    )


def assess(scan: ScanResult, policy: str = "nz-parliament-2023", day: date = DAY) -> Assessment:
    from audit.policy import evaluate, load_policy

    return evaluate(scan, load_policy(policy), day=day)


def many_apps(count: int) -> ScanResult:
    """A big phone: `count` apps, a few of them TikTok in one profile or another."""
    apps = []
    for i in range(count):
        if i % 1000 == 0:
            apps.append(app("com.zhiliaoapp.musically", "TikTok", user=str(10 + i // 1000)))
        else:
            apps.append(app(f"com.example.app{i:05d}", f"Example app {i:05d}", system=i % 3 == 0))
    scan = phone_scan()
    users = tuple(
        UserProfile(str(u), f"User {u}", UserKind.SECONDARY)
        for u in range(10, 10 + count // 1000 + 1)
    )
    return ScanResult(
        device=scan.device,
        started_at=T0,
        finished_at=T0,
        apps=tuple(apps),
        users=(*scan.users, *users),
        sources=scan.sources,
    )
