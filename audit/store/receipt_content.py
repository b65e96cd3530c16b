"""Reading a verified receipt's statement into the records an imported audit is made of.

A valid signature proves only that someone holding a key signed the content; anyone can make a
key, so the content is as untrusted as any file. verify_bytes checks the statement's frame; this
reads the rest strictly (types, enum values, dates) and names the first thing that is wrong, so
a malformed receipt is refused with a reason instead of half-stored or crashing the import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from audit.attestation import VerifiedAttestation
from audit.model import (
    ActionKind,
    ActionResult,
    AppState,
    Device,
    DeviceKind,
    DeviceStatus,
    Exemption,
    FindingStatus,
    IdentifierKind,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)

# What a finding's status may be in a receipt: a FindingStatus, or "unverified" when the rescan
# could not see whether the app was still there.
FINDING_STATUSES = frozenset({*(s.value for s in FindingStatus), "unverified"})


class MalformedReceipt(ValueError):
    """The receipt verified, but its content is not what Device Audit writes."""


@dataclass(frozen=True)
class ScanSummary:
    started_at: datetime
    finished_at: datetime
    complete: bool
    inventory_digest: str
    app_count: int
    gaps: tuple[SourceReport, ...]
    status: DeviceStatus
    users: tuple[UserProfile, ...] = ()  # the device's users and profiles, as the scan saw them


@dataclass(frozen=True)
class FindingRow:
    rule_id: str
    rule_title: str
    identifier: str
    id_kind: str
    name: str
    user: str
    confidence: str
    state_before: str | None
    status_before: str | None
    state: str | None
    status: str
    exemption_id: str | None


@dataclass(frozen=True)
class ReceiptContent:
    device: Device
    device_json: str
    policy_title: str
    deadline: date | None
    day: date
    before: ScanSummary
    rescan: ScanSummary
    findings: tuple[FindingRow, ...]
    actions: tuple[ActionResult, ...]
    exemptions: tuple[Exemption, ...]


class _Obj:
    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise MalformedReceipt(f"'{where}' is not an object")
        self.data: dict[str, Any] = data
        self.where = where

    def path(self, key: str) -> str:
        return f"{self.where}.{key}"

    def value(self, key: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if isinstance(value, bool) and kind is int:
            value = None
        if not isinstance(value, kind):
            raise MalformedReceipt(f"'{self.path(key)}' is missing or of the wrong type")
        return value

    def text(self, key: str, *, optional: bool = False) -> str:
        value = self.value(key, str, optional=optional)
        return "" if value is None else str(value)

    def maybe_text(self, key: str) -> str | None:
        value = self.value(key, str, optional=True)
        return None if value is None else str(value)

    def flag(self, key: str) -> bool:
        return bool(self.value(key, bool))

    def number(self, key: str) -> int:
        return int(self.value(key, int))

    def enum(self, key: str, allowed: Any, *, optional: bool = False) -> Any:
        raw = self.maybe_text(key) if optional else self.text(key)
        if raw is None:
            return None
        try:
            return allowed(raw)
        except ValueError:
            raise MalformedReceipt(f"'{self.path(key)}' is {raw!r}, not a known value") from None

    def time(self, key: str, *, optional: bool = False) -> datetime | None:
        raw = self.maybe_text(key) if optional else self.text(key)
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:
            raise MalformedReceipt(f"'{self.path(key)}' is not a UTC time")
        return value

    def day(self, key: str, *, optional: bool = False) -> date | None:
        raw = self.maybe_text(key) if optional else self.text(key)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise MalformedReceipt(f"'{self.path(key)}' is not a date") from None

    def child(self, key: str) -> _Obj:
        return _Obj(self.data.get(key), self.path(key))

    def items(self, key: str) -> list[_Obj]:
        return [_Obj(v, f"{self.path(key)}[{i}]") for i, v in enumerate(self.value(key, list))]

    def strings(self, key: str) -> tuple[str, ...]:
        values = self.value(key, list)
        if not all(isinstance(v, str) for v in values):
            raise MalformedReceipt(f"'{self.path(key)}' is not a list of texts")
        return tuple(values)


def device_from_dict(data: Any, where: str = "device") -> Device:
    """A Device from its inventory-file form (audit.inventory.device_to_dict)."""
    d = _Obj(data, where)
    sdk = d.value("sdk", int, optional=True)
    managed = d.value("managed", bool, optional=True)
    return Device(
        id=d.text("id"),
        kind=d.enum("kind", DeviceKind),
        name=d.text("name", optional=True),
        serial=d.text("serial", optional=True),
        manufacturer=d.text("manufacturer", optional=True),
        model=d.text("model", optional=True),
        os_name=d.text("os_name", optional=True),
        os_version=d.text("os_version", optional=True),
        sdk=sdk,
        build=d.text("build", optional=True),
        user=d.text("user", optional=True),
        managed=managed,
        has_work_profile=bool(d.value("has_work_profile", bool, optional=True)),
        simulated=bool(d.value("simulated", bool, optional=True)),
    )


def read_receipt(verified: VerifiedAttestation) -> ReceiptContent:
    """Raises MalformedReceipt naming the first part of the statement that is wrong."""
    predicate = _Obj(verified.statement.get("predicate"), "predicate")
    device_data = predicate.data.get("device")
    device = device_from_dict(device_data, "predicate.device")
    policy = predicate.child("policy")
    policy.text("id")
    exemptions = tuple(_exemption(e) for e in predicate.items("exemptions"))
    findings = tuple(_finding(f) for f in predicate.items("findings"))
    known = {e.id for e in exemptions}
    for row in findings:
        if row.exemption_id is not None and row.exemption_id not in known:
            raise MalformedReceipt(
                f"a finding names exemption {row.exemption_id!r}, which the receipt does not list"
            )
    day = predicate.day("day", optional=True) or verified.attested_at.date()
    return ReceiptContent(
        device=device,
        device_json=json.dumps(device_data, sort_keys=True, ensure_ascii=False),
        policy_title=policy.text("title"),
        deadline=policy.day("deadline", optional=True),
        day=day,
        before=_scan(predicate.child("scan_before")),
        rescan=_scan(predicate.child("rescan")),
        findings=findings,
        actions=tuple(_action(a) for a in predicate.items("actions")),
        exemptions=exemptions,
    )


def _scan(s: _Obj) -> ScanSummary:
    started = s.time("started_at")
    finished = s.time("finished_at", optional=True) or started
    assert started is not None and finished is not None
    gaps = tuple(
        SourceReport(
            name=g.text("source"), status=g.enum("status", SourceStatus), detail=g.text("detail")
        )
        for g in s.items("gaps")
    )
    digest = s.text("inventory_digest")
    users = _users(s) if s.data.get("users") is not None else ()
    return ScanSummary(
        started_at=started,
        finished_at=finished,
        complete=s.flag("complete"),
        inventory_digest=digest,
        app_count=s.number("apps"),
        gaps=gaps,
        status=s.enum("status", DeviceStatus),
        users=users,
    )


_USER_KINDS = {kind.value: kind for kind in UserKind}


def _users(s: _Obj) -> tuple[UserProfile, ...]:
    """A scan's users; read on every import, so checked directly rather than field by field."""
    users = []
    for index, user in enumerate(s.value("users", list)):
        where = f"{s.path('users')}[{index}]"
        if not isinstance(user, dict):
            raise MalformedReceipt(f"'{where}' is not an object")
        uid, name, kind = user.get("id"), user.get("name"), user.get("kind")
        for key, value in (("id", uid), ("name", name), ("kind", kind)):
            if not isinstance(value, str):
                raise MalformedReceipt(f"'{where}.{key}' is missing or of the wrong type")
        if kind not in _USER_KINDS:
            raise MalformedReceipt(f"'{where}.kind' is {kind!r}, not a known value")
        users.append(UserProfile(id=str(uid), name=str(name), kind=_USER_KINDS[kind]))
    return tuple(users)


def _finding(f: _Obj) -> FindingRow:
    state_before = f.enum("state_before", AppState, optional=True)
    state = f.enum("state", AppState, optional=True)
    status = f.text("status")
    status_before = f.maybe_text("status_before")
    for key, value in (("status", status), ("status_before", status_before)):
        if value is not None and value not in FINDING_STATUSES:
            raise MalformedReceipt(f"'{f.path(key)}' is {value!r}, not a known value")
    return FindingRow(
        rule_id=f.text("rule"),
        rule_title=f.text("rule_title", optional=True),
        identifier=f.text("app"),
        id_kind=f.enum("id_kind", IdentifierKind).value,
        name=f.text("name", optional=True),
        user=f.text("user"),
        confidence=f.text("confidence", optional=True),
        state_before=None if state_before is None else state_before.value,
        status_before=status_before,
        state=None if state is None else state.value,
        status=status,
        exemption_id=f.maybe_text("exemption"),
    )


def _action(a: _Obj) -> ActionResult:
    return ActionResult(
        kind=a.enum("kind", ActionKind),
        device=a.text("device"),
        identifier=a.text("identifier"),
        user=a.text("user"),
        ok=a.flag("ok"),
        message=a.text("message"),
        advice=a.text("advice", optional=True),
        code=a.text("code", optional=True),
        at=a.time("at", optional=True),
    )


def _exemption(e: _Obj) -> Exemption:
    granted = e.day("granted")
    expires = e.day("expires")
    assert granted is not None and expires is not None
    return Exemption(
        id=e.text("id"),
        reason=e.text("reason", optional=True),
        approver=e.text("approver", optional=True),
        approver_role=e.text("approver_role", optional=True),
        granted=granted,
        expires=expires,
        person=e.text("person", optional=True),
        device=e.text("device", optional=True),
        rules=e.strings("rules") if "rules" in e.data else (),
        apps=e.strings("apps") if "apps" in e.data else (),
        mitigations=e.strings("mitigations") if "mitigations" in e.data else (),
    )
