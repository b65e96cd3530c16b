"""Reading a verified receipt's statement into the records an imported audit is made of.

A valid signature proves only that someone holding a key signed the content; anyone can make a
key, so the content is as untrusted as any file. verify_bytes checks the statement's frame; this
reads the rest strictly (types, enum values, dates) and names the first thing that is wrong, so
a malformed receipt is refused with a reason instead of half-stored or crashing the import.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from audit.attestation import VerifiedAttestation
from audit.attestation.ranges import MAX_COUNT, MAX_SDK, SPAN, day_in_range, time_in_range
from audit.i18n import _
from audit.model import (
    ActionKind,
    ActionResult,
    AppState,
    Connection,
    Device,
    DeviceKind,
    DeviceStatus,
    EnumT,
    Exemption,
    FindingStatus,
    IdentifierKind,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
    members_by_value,
)
from audit.provenance import connection_from_dict

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
    """Typed reads of one object of the statement. Every import reads thousands of fields
    through these, so each method checks its own field (no call into another) and builds the
    field's path only for the message of a field that is wrong."""

    __slots__ = ("data", "where")

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise MalformedReceipt(_("'{field}' is not an object").format(field=where))
        self.data: dict[str, Any] = data
        self.where = where

    def path(self, key: str) -> str:
        return f"{self.where}.{key}"

    def wrong(self, key: str) -> MalformedReceipt:
        return MalformedReceipt(
            _("'{field}' is missing or of the wrong type").format(field=self.path(key))
        )

    def value(self, key: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if isinstance(value, bool) and kind is int:
            value = None
        if not isinstance(value, kind):
            raise self.wrong(key)
        return value

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if isinstance(value, str):
            return value
        raise self.wrong(key)

    def optional_text(self, key: str) -> str:
        """The text, or "" when the field is missing or null."""
        value = self.data.get(key)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        raise self.wrong(key)

    def maybe_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self.wrong(key)

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if isinstance(value, bool):
            return value
        raise self.wrong(key)

    def number(self, key: str, limit: int = MAX_COUNT) -> int:
        """A count: a whole number from 0 to `limit`."""
        value = self.data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            if 0 <= value <= limit:
                return value
            raise MalformedReceipt(
                _("'{field}' is {value}, not a number from 0 to {limit}").format(
                    field=self.path(key), value=value, limit=limit
                )
            )
        raise self.wrong(key)

    def enum(self, key: str, allowed: Mapping[str, EnumT]) -> EnumT:
        """`allowed` maps each known value to its member (members_by_value)."""
        return self._member(key, self.text(key), allowed)

    def maybe_enum(self, key: str, allowed: Mapping[str, EnumT]) -> EnumT | None:
        raw = self.maybe_text(key)
        return None if raw is None else self._member(key, raw, allowed)

    def _member(self, key: str, raw: str, allowed: Mapping[str, EnumT]) -> EnumT:
        member = allowed.get(raw)
        if member is None:
            raise MalformedReceipt(
                _("'{field}' is {value}, not a known value").format(
                    field=self.path(key), value=repr(raw)
                )
            )
        return member

    def time(self, key: str) -> datetime:
        return self._time(key, self.text(key))

    def maybe_time(self, key: str) -> datetime | None:
        raw = self.maybe_text(key)
        return None if raw is None else self._time(key, raw)

    def _time(self, key: str, raw: str) -> datetime:
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:
            raise MalformedReceipt(_("'{field}' is not a UTC time").format(field=self.path(key)))
        if not time_in_range(value):
            raise MalformedReceipt(
                _("'{field}' is {value}, not a time {span}").format(
                    field=self.path(key), value=raw, span=_(SPAN)
                )
            )
        return value

    def day(self, key: str) -> date:
        return self._day(key, self.text(key))

    def maybe_day(self, key: str) -> date | None:
        raw = self.maybe_text(key)
        return None if raw is None else self._day(key, raw)

    def _day(self, key: str, raw: str) -> date:
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            raise MalformedReceipt(
                _("'{field}' is not a date").format(field=self.path(key))
            ) from None
        if not day_in_range(value):
            raise MalformedReceipt(
                _("'{field}' is {value}, not a day {span}").format(
                    field=self.path(key), value=raw, span=_(SPAN)
                )
            )
        return value

    def child(self, key: str) -> _Obj:
        return _Obj(self.data.get(key), self.path(key))

    def items(self, key: str) -> list[_Obj]:
        values = self.data.get(key)
        if not isinstance(values, list):
            raise self.wrong(key)
        return [_Obj(v, f"{self.path(key)}[{i}]") for i, v in enumerate(values)]

    def strings(self, key: str) -> tuple[str, ...]:
        values = self.data.get(key)
        if not isinstance(values, list):
            raise self.wrong(key)
        if not all(isinstance(v, str) for v in values):
            raise MalformedReceipt(
                _("'{field}' is not a list of texts").format(field=self.path(key))
            )
        return tuple(values)


_ACTION_KINDS = members_by_value(ActionKind)
_APP_STATES = members_by_value(AppState)
_DEVICE_KINDS = members_by_value(DeviceKind)
_DEVICE_STATUSES = members_by_value(DeviceStatus)
_IDENTIFIER_KINDS = members_by_value(IdentifierKind)
_SOURCE_STATUSES = members_by_value(SourceStatus)
_USER_KINDS = members_by_value(UserKind)


def device_from_dict(data: Any, where: str = "device") -> Device:
    """A Device from its inventory-file form (audit.inventory.device_to_dict)."""
    d = _Obj(data, where)
    sdk = d.value("sdk", int, optional=True)
    if sdk is not None and not 0 <= sdk <= MAX_SDK:
        raise MalformedReceipt(
            _("'{field}' is {value}, not an Android API level").format(
                field=d.path("sdk"), value=sdk
            )
        )
    managed = d.value("managed", bool, optional=True)
    return Device(
        id=d.text("id"),
        kind=d.enum("kind", _DEVICE_KINDS),
        name=d.optional_text("name"),
        serial=d.optional_text("serial"),
        manufacturer=d.optional_text("manufacturer"),
        model=d.optional_text("model"),
        os_name=d.optional_text("os_name"),
        os_version=d.optional_text("os_version"),
        sdk=sdk,
        build=d.optional_text("build"),
        user=d.optional_text("user"),
        managed=managed,
        has_work_profile=bool(d.value("has_work_profile", bool, optional=True)),
        simulated=bool(d.value("simulated", bool, optional=True)),
        connection=_connection(d),
    )


def _connection(d: _Obj) -> Connection | None:
    """How the device was reached (null or absent in receipts made before it was recorded)."""
    try:
        return connection_from_dict(d.data.get("connection"), device_kind=d.data.get("kind"))
    except ValueError as error:
        raise MalformedReceipt(
            _("'{field}' is malformed: {problem}").format(field=d.path("connection"), problem=error)
        ) from None


# How a device is stored (audits.device_json): made once, not per receipt.
_DEVICE_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


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
                _("a finding names exemption {exemption}, which the receipt does not list").format(
                    exemption=repr(row.exemption_id)
                )
            )
    day = predicate.maybe_day("day") or verified.attested_at.date()
    return ReceiptContent(
        device=device,
        device_json=_DEVICE_JSON.encode(device_data),
        policy_title=policy.text("title"),
        deadline=policy.maybe_day("deadline"),
        day=day,
        before=_scan(predicate.child("scan_before")),
        rescan=_scan(predicate.child("rescan")),
        findings=findings,
        actions=tuple(_action(a) for a in predicate.items("actions")),
        exemptions=exemptions,
    )


def _scan(s: _Obj) -> ScanSummary:
    started = s.time("started_at")
    finished = s.maybe_time("finished_at") or started
    gaps = tuple(
        SourceReport(
            name=g.text("source"),
            status=g.enum("status", _SOURCE_STATUSES),
            detail=g.text("detail"),
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
        status=s.enum("status", _DEVICE_STATUSES),
        users=users,
    )


def _users(s: _Obj) -> tuple[UserProfile, ...]:
    """A scan's users; read on every import, so checked directly rather than field by field."""
    users = s.data["users"]
    if not isinstance(users, list):
        raise s.wrong("users")
    fields = []
    for index, user in enumerate(users):
        if not isinstance(user, dict):
            raise MalformedReceipt(
                _("'{field}' is not an object").format(field=f"{s.path('users')}[{index}]")
            )
        uid, name, kind = user.get("id"), user.get("name"), user.get("kind")
        if not (isinstance(uid, str) and isinstance(name, str) and isinstance(kind, str)):
            key = next(
                k
                for k, v in (("id", uid), ("name", name), ("kind", kind))
                if not isinstance(v, str)
            )
            raise MalformedReceipt(
                _("'{field}' is missing or of the wrong type").format(
                    field=f"{s.path('users')}[{index}].{key}"
                )
            )
        if kind not in _USER_KINDS:
            raise MalformedReceipt(
                _("'{field}' is {value}, not a known value").format(
                    field=f"{s.path('users')}[{index}].kind", value=repr(kind)
                )
            )
        fields.append((uid, name, kind))
    return _profiles(tuple(fields))


@functools.lru_cache(maxsize=256)
def _profiles(users: tuple[tuple[str, str, str], ...]) -> tuple[UserProfile, ...]:
    """Phones share a few user lists (Owner, Work profile), and the scans of one receipt list
    the same users: an import of thousands makes the same few again and again, so cached."""
    return tuple(
        UserProfile(id=uid, name=name, kind=_USER_KINDS[kind]) for uid, name, kind in users
    )


def _finding(f: _Obj) -> FindingRow:
    state_before = f.maybe_enum("state_before", _APP_STATES)
    state = f.maybe_enum("state", _APP_STATES)
    status = f.text("status")
    status_before = f.maybe_text("status_before")
    if status not in FINDING_STATUSES:
        raise MalformedReceipt(
            _("'{field}' is {value}, not a known value").format(
                field=f.path("status"), value=repr(status)
            )
        )
    if status_before is not None and status_before not in FINDING_STATUSES:
        raise MalformedReceipt(
            _("'{field}' is {value}, not a known value").format(
                field=f.path("status_before"), value=repr(status_before)
            )
        )
    return FindingRow(
        rule_id=f.text("rule"),
        rule_title=f.optional_text("rule_title"),
        identifier=f.text("app"),
        id_kind=f.enum("id_kind", _IDENTIFIER_KINDS).value,
        name=f.optional_text("name"),
        user=f.text("user"),
        confidence=f.optional_text("confidence"),
        state_before=None if state_before is None else state_before.value,
        status_before=status_before,
        state=None if state is None else state.value,
        status=status,
        exemption_id=f.maybe_text("exemption"),
    )


def _action(a: _Obj) -> ActionResult:
    return ActionResult(
        kind=a.enum("kind", _ACTION_KINDS),
        device=a.text("device"),
        identifier=a.text("identifier"),
        user=a.text("user"),
        ok=a.flag("ok"),
        message=a.text("message"),
        advice=a.optional_text("advice"),
        code=a.optional_text("code"),
        at=a.maybe_time("at"),
    )


def _exemption(e: _Obj) -> Exemption:
    granted = e.day("granted")
    expires = e.day("expires")
    return Exemption(
        id=e.text("id"),
        reason=e.optional_text("reason"),
        approver=e.optional_text("approver"),
        approver_role=e.optional_text("approver_role"),
        granted=granted,
        expires=expires,
        person=e.optional_text("person"),
        device=e.optional_text("device"),
        rules=e.strings("rules") if "rules" in e.data else (),
        apps=e.strings("apps") if "apps" in e.data else (),
        mitigations=e.strings("mitigations") if "mitigations" in e.data else (),
    )
