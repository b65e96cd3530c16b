"""An organisation's policy in two versions (version 2 bans CapCut too) and phones audited under
version 1, for the re-judging tests and bench/store.py. Real policy files, accepted into a real
history through the accept machinery; real audits recorded as the wizard records them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from audit.model import (
    AppState,
    Assessment,
    Device,
    IdentifierKind,
    InstalledApp,
    Policy,
    ScanResult,
)
from audit.policy import evaluate, load_policy_file
from audit.store import Store
from tests.audit.store import factory as f

POLICY_ID = "acme-apps-2026"
DAY = date(2026, 11, 2)  # audits under version 1
LATER = date(2026, 12, 7)  # the day version 2 is out and the helpdesk re-judges

_HEAD = f"""id = "{POLICY_ID}"
title = "Acme: banned apps on phones that read company mail"
authority = "Acme Ltd, Chief Information Security Officer"
deadline = 2099-12-31
version = {{version}}
compliant_states = ["absent", "removed_for_user"]

[[rule]]
id = "tiktok"
title = "The TikTok app"
identifiers = [{{{{ kind = "android_pkg", value = "com.zhiliaoapp.musically", app = "TikTok" }}}}]
"""
_CAPCUT = """
[[rule]]
id = "capcut"
title = "The CapCut app"
identifiers = [{ kind = "android_pkg", value = "com.lemon.lvoverseas", app = "CapCut" }]
"""


def policy_files(folder: Path) -> tuple[Path, Path]:
    """Version 1 (TikTok) and version 2 (TikTok and CapCut) of one policy."""
    folder.mkdir(parents=True, exist_ok=True)
    first, second = folder / "acme-v1.toml", folder / "acme-v2.toml"
    first.write_text(_HEAD.format(version=1), "utf-8")
    second.write_text(_HEAD.format(version=2) + _CAPCUT, "utf-8")
    return first, second


def capcut(user: str = "0") -> InstalledApp:
    return InstalledApp(
        identifier="com.lemon.lvoverseas",
        kind=IdentifierKind.ANDROID_PACKAGE,
        name="CapCut",
        user=user,
        state=AppState.INSTALLED,
    )


def everyday_apps(count: int) -> tuple[InstalledApp, ...]:
    """Apps no policy bans, so an inventory is as large as a real phone's."""
    return tuple(
        InstalledApp(
            identifier=f"com.example.app{index}",
            kind=IdentifierKind.ANDROID_PACKAGE,
            name=f"App {index}",
            version="1.0",
            user="0",
        )
        for index in range(count)
    )


def phone_scan(
    device: Device, day: date, apps: tuple[InstalledApp, ...], *, complete: bool = True
) -> ScanResult:
    at = f.noon(day)
    return ScanResult(
        device=device,
        started_at=at,
        finished_at=at + timedelta(seconds=20),
        apps=apps,
        users=f.USERS,
        sources=f.phone_sources(complete=complete),
    )


def judged(
    policy: Policy, device: Device, apps: tuple[InstalledApp, ...], day: date = DAY
) -> Assessment:
    return evaluate(phone_scan(device, day, apps), policy, (), day=day, person="")


def record(
    store: Store,
    policy: Policy,
    person: f.Person,
    device: Device,
    apps: tuple[InstalledApp, ...],
    *,
    day: date = DAY,
) -> int:
    """One local audit (a single check at the bench), judged under `policy` on `day`."""
    return store.record_audit(
        [judged(policy, device, apps, day)], person_name=person.name, staff_id=person.staff_id
    )


def accept_v1(store: Store, folder: Path) -> tuple[Policy, Path]:
    first, second = policy_files(folder)
    store.accept_policy(first, by="Lead")
    return load_policy_file(first), second


def renamed(device: Device, name: str) -> Device:
    return replace(device, name=name)
