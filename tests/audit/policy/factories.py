"""Small builders for scans, so each test states only what matters to it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from audit.model import (
    AppId,
    AppState,
    Device,
    DeviceKind,
    Exemption,
    IdentifierKind,
    InstalledApp,
    RunningProcess,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)

T0 = datetime(2023, 3, 20, 9, 30, tzinfo=UTC)

PHONE = Device(
    id="android:R58M123",
    kind=DeviceKind.ANDROID,
    name="Galaxy S21",
    serial="R58M123",
    os_name="Android",
    os_version="13",
)
LAPTOP = Device(
    id="local:abc123",
    kind=DeviceKind.COMPUTER,
    name="laptop-42",
    os_name="Windows",
    os_version="11",
)


def app(
    kind: IdentifierKind | str,
    identifier: str,
    name: str = "",
    *,
    publisher: str = "",
    state: AppState = AppState.INSTALLED,
    user: str = "0",
    other_ids: Sequence[tuple[IdentifierKind | str, str]] = (),
    location: str = "",
) -> InstalledApp:
    return InstalledApp(
        identifier=identifier,
        kind=IdentifierKind(kind),
        name=name,
        publisher=publisher,
        state=state,
        user=user,
        location=location,
        other_ids=tuple(AppId(IdentifierKind(k), v) for k, v in other_ids),
    )


def scan(
    *apps: InstalledApp,
    device: Device = PHONE,
    processes: Sequence[RunningProcess] = (),
    failed: Sequence[str] = (),
) -> ScanResult:
    sources = [SourceReport("user 0", SourceStatus.OK, count=len(apps))]
    sources += [SourceReport(name, SourceStatus.FAILED, "SecurityException") for name in failed]
    return ScanResult(
        device=device,
        started_at=T0,
        finished_at=T0,
        apps=tuple(apps),
        users=(UserProfile("0", "Owner", UserKind.OWNER),),
        processes=tuple(processes),
        sources=tuple(sources),
    )


def exemption(
    granted: date = date(2023, 3, 1),
    expires: date = date(2023, 6, 30),
    **fields: object,
) -> Exemption:
    values: dict[str, object] = {
        "id": "EX-1",
        "reason": "Runs the party's TikTok account",
        "approver": "Jane Smith",
        "granted": granted,
        "expires": expires,
    }
    values.update(fields)
    return Exemption(**values)  # type: ignore[arg-type]


TIKTOK = app("android_pkg", "com.zhiliaoapp.musically", "TikTok")
