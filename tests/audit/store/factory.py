"""Audits and signed receipts for history tests and bench/store.py, built from audit.model types.

`Outcome` names the four ways an audit ends; `audit_inputs` builds the first scan, the actions
and the rescan for one, and `receipt` signs them (an attestation, or a non-compliance report
when the device cannot be attested) with a real Ed25519 key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path

from audit.attestation import Attester, Envelope, Signer, attest, report_noncompliance
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
    Policy,
    ScanResult,
    UserKind,
    UserProfile,
)
from tests.helpers.nz_tiktok import POLICY, STATEMENT, TIKTOK, phone_sources

OTHER_POLICY = replace(POLICY, id="uk-gov-2023", title="UK Government: TikTok", deadline=None)
USERS = (
    UserProfile("0", "Owner", UserKind.OWNER),
    UserProfile("10", "Work", UserKind.WORK_PROFILE),
)


class Outcome(StrEnum):
    CLEAN = "clean"  # TikTok removed: compliant
    EXCEPTED = "excepted"  # TikTok kept under an exemption
    VIOLATION = "violation"  # TikTok still there
    INCOMPLETE = "incomplete"  # the rescan could not read the work profile


@dataclass(frozen=True)
class Person:
    name: str
    staff_id: str


AROHA = Person("Aroha Ngata", "PS-1042")
BEN = Person("Ben Clarke", "PS-2001")


def phone(serial: str, name: str = "Pixel 7") -> Device:
    return Device(
        id=Device.android_id(serial),
        kind=DeviceKind.ANDROID,
        name=name,
        serial=serial,
        manufacturer="Google",
        model="Pixel 7",
        os_name="Android",
        os_version="14",
        sdk=34,
    )


def tiktok(state: AppState = AppState.INSTALLED) -> InstalledApp:
    return InstalledApp(
        identifier="com.zhiliaoapp.musically",
        kind=IdentifierKind.ANDROID_PACKAGE,
        name="TikTok",
        user="10",
        state=state,
    )


def exemption(person: Person, expires: date) -> Exemption:
    return Exemption(
        id=f"EX-{person.staff_id}",
        reason="Needed to perform democratic duties",
        approver="Clerk of the House",
        # in force on the audit's day, as the app applies it (granted after it, a history
        # holds the audit: audit.store.holds)
        granted=expires - timedelta(days=365),
        expires=expires,
        person=person.staff_id,
        mitigations=("separate work profile",),
    )


def scan(device: Device, at: datetime, *, tiktok_there: bool, complete: bool = True) -> ScanResult:
    return ScanResult(
        device=device,
        started_at=at,
        finished_at=at + timedelta(seconds=20),
        apps=(tiktok(),) if tiktok_there else (),
        users=USERS,
        sources=phone_sources(complete=complete),
    )


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def audit_inputs(
    device: Device,
    person: Person,
    outcome: Outcome,
    *,
    day: date,
    policy: Policy = POLICY,
    exemption_expires: date | None = None,
) -> tuple[Assessment, Assessment, tuple[ActionResult, ...]]:
    """The first scan (TikTok found), the actions and the rescan of one audit on `day`."""
    start = noon(day)
    overdue = policy.deadline is not None and day > policy.deadline
    violation = DeviceStatus.OVERDUE if overdue else DeviceStatus.NON_COMPLIANT
    first = Assessment(
        scan=scan(device, start, tiktok_there=True),
        policy=policy,
        day=day,
        status=violation,
        findings=(Finding(tiktok(), TIKTOK, TIKTOK.matchers[0], FindingStatus.VIOLATION),),
    )
    actions: tuple[ActionResult, ...] = ()
    if outcome in (Outcome.CLEAN, Outcome.INCOMPLETE):
        actions = (
            ActionResult(
                kind=ActionKind.UNINSTALL,
                device=device.id,
                identifier="com.zhiliaoapp.musically",
                user="10",
                ok=True,
                message="TikTok was removed from the Work profile.",
                at=start + timedelta(minutes=2),
            ),
        )
    rescan_at = start + timedelta(minutes=5)
    if outcome is Outcome.CLEAN:
        after = Assessment(
            scan=scan(device, rescan_at, tiktok_there=False),
            policy=policy,
            day=day,
            status=DeviceStatus.COMPLIANT,
        )
    elif outcome is Outcome.INCOMPLETE:
        after = Assessment(
            scan=scan(device, rescan_at, tiktok_there=False, complete=False),
            policy=policy,
            day=day,
            status=DeviceStatus.INCOMPLETE,
        )
    elif outcome is Outcome.EXCEPTED:
        granted = exemption(person, exemption_expires or day + timedelta(days=180))
        after = Assessment(
            scan=scan(device, rescan_at, tiktok_there=True),
            policy=policy,
            day=day,
            status=DeviceStatus.COMPLIANT_WITH_EXCEPTIONS,
            findings=(
                Finding(tiktok(), TIKTOK, TIKTOK.matchers[0], FindingStatus.EXCEPTED, granted),
            ),
            exemptions=(granted,),
        )
    else:
        after = replace(first, scan=scan(device, rescan_at, tiktok_there=True))
    return first, after, actions


def receipt(
    signer: Signer,
    device: Device,
    person: Person,
    outcome: Outcome,
    *,
    day: date,
    policy: Policy = POLICY,
    technician: str = "",
    exemption_expires: date | None = None,
) -> Envelope:
    """A signed receipt: an attestation when the outcome allows one, else a report."""
    before, after, actions = audit_inputs(
        device, person, outcome, day=day, policy=policy, exemption_expires=exemption_expires
    )
    attester = Attester(name=person.name, staff_id=person.staff_id, technician=technician)
    now = after.scan.finished_at + timedelta(minutes=1)
    if outcome in (Outcome.CLEAN, Outcome.EXCEPTED):
        return attest(
            before=before,
            after=after,
            actions=actions,
            attester=attester,
            statement_text=STATEMENT,
            signer=signer,
            now=now,
        )
    return report_noncompliance(
        before=before, after=after, actions=actions, attester=attester, signer=signer, now=now
    )


def exemptions_file(path: Path, *exemptions: Exemption) -> Path:
    """The exemptions file an approver would hand the helpdesk (docs/exemptions format), so a
    test can accept exactly the exemptions its receipts list."""

    def text(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string is JSON's

    def texts(values: tuple[str, ...]) -> str:
        return "[" + ", ".join(text(v) for v in values) + "]"

    blocks = []
    for e in exemptions:
        lines = [
            "[[exemption]]",
            f"id = {text(e.id)}",
            f"reason = {text(e.reason)}",
            f"approver = {text(e.approver)}",
            f"granted = {e.granted.isoformat()}",
            f"expires = {e.expires.isoformat()}",
        ]
        for key in ("person", "device", "policy", "approver_role"):
            if getattr(e, key):
                lines.append(f"{key} = {text(getattr(e, key))}")
        for key in ("rules", "apps", "mitigations"):
            if getattr(e, key):
                lines.append(f"{key} = {texts(getattr(e, key))}")
        blocks.append("\n".join(lines))
    path.write_text("\n\n".join(blocks) + "\n", "utf-8")
    return path


def accept_exemptions(store: object, *exemptions: Exemption, by: str = "Helpdesk lead") -> None:
    """Accept these exemptions in the history, as a helpdesk does with the approver's file
    (`device-audit exemption accept FILE`): "compliant with exceptions" counts in a history
    only with the exemptions it accepted (audit.store.holds)."""
    import tempfile

    from audit.store import Store

    assert isinstance(store, Store)
    if not exemptions:
        return
    with tempfile.TemporaryDirectory() as folder:
        store.accept_exemptions(exemptions_file(Path(folder) / "accepted.toml", *exemptions), by=by)
