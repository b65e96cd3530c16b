"""The attestation statement: an in-toto Statement v1 about one device under one policy.

Layout (documented for anyone who reads receipts without Device Audit):

    _type          "https://in-toto.io/Statement/v1"
    subject        [{name: Device.id, digest: {sha256: sha256 of the canonical device identity}}]
    predicateType  PREDICATE_TYPE below (a fixed URI under a reserved domain; it names this
                   schema and is never fetched)
    predicate      kind ("compliance_attestation" | "noncompliance_report"), id (uuid4),
                   status, device, policy, scan_before, rescan, findings, actions, exemptions,
                   statement (the text agreed to), language (the language of that text as
                   the person read it: "en", "fr_CA"; absent in receipts made before it was
                   recorded, which were all English), attester, tool, times, incomplete,
                   usb_debugging

The device identity is the part of a Device that does not change with updates (id, kind,
serial, manufacturer, model); the full Device record is in the predicate, with how the device
was reached for the scan (predicate.device.connection: kind usb | network | loopback | emulator
| this_computer | demo, the adb server's usb path, the address, and the product/model/device
fields of `adb devices -l`; null when not recorded). The signature covers it like every byte.
All times are UTC ISO 8601. The payload is canonical JSON (sorted keys, no whitespace, UTF-8),
so the same statement always gives the same bytes and digest.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from audit import __version__
from audit.confusables import mixed_alphabets, reads_as_technician
from audit.errors import AttestationRefused
from audit.i18n import ENGLISH, N_, PSEUDO, _, language, ngettext, pgettext
from audit.inventory import device_to_dict, inventory_digest
from audit.model import (
    ActionResult,
    AppState,
    Assessment,
    Device,
    DeviceStatus,
    Exemption,
    FindingStatus,
)
from audit.profiles import words_among
from audit.text import visible

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://device-audit.example/attestation/v1"
TOOL_NAME = "device-audit"
# A finding seen before but not in a complete rescan is gone; in an incomplete one, unknown.
STATUS_UNVERIFIED = "unverified"


class StatementKind(StrEnum):
    ATTESTATION = "compliance_attestation"
    NONCOMPLIANCE_REPORT = "noncompliance_report"


class UsbDebugging(StrEnum):
    """Whether USB debugging was switched off again after the audit of a phone."""

    CONFIRMED = "confirmed"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"


class AttesterMode(StrEnum):
    SELF = "self"
    TECHNICIAN = "technician"


@dataclass(frozen=True)
class Attester:
    """Who attests: the person themselves, or a technician on behalf of that named person."""

    name: str  # the person whose device it is
    staff_id: str
    technician: str = ""  # the technician's name, when attesting on the person's behalf

    @property
    def mode(self) -> AttesterMode:
        return AttesterMode.TECHNICIAN if self.technician else AttesterMode.SELF

    def to_dict(self) -> dict[str, str]:
        return {
            "mode": self.mode.value,
            "name": self.name,
            "staff_id": self.staff_id,
            "technician": self.technician,
        }

    def describe(self) -> str:
        if self.technician:
            return _(
                "{name} (staff id {staff_id}), by technician {technician} on their behalf"
            ).format(name=self.name, staff_id=self.staff_id, technician=self.technician)
        return _("{name} (staff id {staff_id})").format(name=self.name, staff_id=self.staff_id)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same statement always gives the same bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def device_identity(device: Device) -> dict[str, str]:
    return {
        "id": device.id,
        "kind": device.kind.value,
        "serial": device.serial,
        "manufacturer": device.manufacturer,
        "model": device.model,
    }


def device_digest(device: Device) -> str:
    return hashlib.sha256(canonical_json(device_identity(device))).hexdigest()


# --- may this be attested? -------------------------------------------------------------------


def mismatches(before: Assessment, after: Assessment, actions: Sequence[ActionResult]) -> list[str]:
    """Inputs that do not belong together: no statement of any kind can be made from them."""
    problems = []
    device = after.scan.device.id
    if before.scan.device.id != device:
        problems.append(
            _("the first scan is of {first} but the rescan is of {device}").format(
                first=before.scan.device.id, device=device
            )
        )
    if (before.policy.id, before.policy.sha256) != (after.policy.id, after.policy.sha256):
        problems.append(_("the first scan and the rescan were checked against different policies"))
    others = sorted({a.device for a in actions if a.device != device})
    if others:
        problems.append(
            _("some actions were done on another device ({devices})").format(
                devices=", ".join(others)
            )
        )
    return problems


def effective_status(after: Assessment, actions: Sequence[ActionResult]) -> DeviceStatus:
    """The rescan's status, made INCOMPLETE when the rescan did not see everything, or started
    before the last action (so it cannot show that action's result)."""
    if not after.scan.complete:
        return DeviceStatus.INCOMPLETE
    if any(a.at is not None and a.at > after.scan.started_at for a in actions):
        return DeviceStatus.INCOMPLETE
    if after.violations and after.status.compliant:
        return DeviceStatus.NON_COMPLIANT
    return after.status


SHOWN_APPS = 5  # banned apps still there named one by one; the rest are counted
# A violation is an app in a state the policy does not accept: say which state.
# One sentence each: {app} is the app's name, {where} says for whom ("for the work profile").
_STILL = {
    AppState.INSTALLED: N_("{app} is still installed {where}"),
    AppState.DISABLED: N_("{app} is still there (disabled) {where}"),
    AppState.HIDDEN: N_("{app} is still there, hidden (frozen; one tap brings it back) {where}"),
    AppState.SUSPENDED: N_("{app} is still there, suspended (paused) {where}"),
    AppState.REMOVED_FOR_USER: N_(
        "{app} can still be restored (removed for that user only) {where}"
    ),
    AppState.ABSENT: N_("{app} is still listed {where}"),
    AppState.OFFLOADED: N_(
        "{app} is still there, offloaded (its data and icon stay, one tap away) {where}"
    ),
}


def _status_code_words(code: str) -> str:
    """A status code in a sentence: English keeps the code as it is stored ("overdue")."""
    # Translators: a device's status code in "the device status is ..."; English keeps the code.
    if code == DeviceStatus.OVERDUE.value:
        return pgettext("status code", "overdue")
    if code == DeviceStatus.NON_COMPLIANT.value:
        return pgettext("status code", "non_compliant")
    if code == DeviceStatus.INCOMPLETE.value:
        return pgettext("status code", "incomplete")
    return code


def attestation_blockers(
    before: Assessment, after: Assessment, actions: Sequence[ActionResult]
) -> tuple[str, ...]:
    """Why a compliance attestation cannot be made now, in words; empty when it can."""
    reasons = mismatches(before, after, actions)
    if not after.scan.complete:
        gaps = ", ".join(g.name for g in after.scan.gaps)
        reasons.append(_("the last scan could not read everything ({gaps})").format(gaps=gaps))
    if any(a.at is not None and a.at > after.scan.started_at for a in actions):
        reasons.append(_("something was done after the last scan started, so it is not verified"))
    remaining = after.violations
    users = (*after.scan.users, *before.scan.users)
    for finding in remaining[:SHOWN_APPS]:
        where = words_among(users, finding.app.user).where
        reasons.append(_(_STILL[finding.app.state]).format(app=finding.app.label, where=where))
    if len(remaining) > SHOWN_APPS:
        more = len(remaining) - SHOWN_APPS
        reasons.append(
            ngettext(
                "{count} more banned app is still there",
                "{count} more banned apps are still there",
                more,
            ).format(count=more)
        )
    if not remaining and after.scan.complete and not after.status.compliant:
        shown = _status_code_words(after.status.value)
        reasons.append(_("the device status is {status}").format(status=shown))
    return tuple(reasons)


# --- building --------------------------------------------------------------------------------


def build_statement(
    *,
    before: Assessment,
    after: Assessment,
    actions: Sequence[ActionResult],
    attester: Attester,
    statement_text: str,
    usb_debugging: UsbDebugging | str | None = None,
    now: datetime | None = None,
    kind: StatementKind = StatementKind.ATTESTATION,
    statement_language: str | None = None,
) -> dict[str, Any]:
    """The in-toto statement as plain JSON data. Does not check that it may be made: attest()
    and report_noncompliance() do. `statement_language` is the language `statement_text` was
    shown in; by default the language in use, the one statement_for() wrote it in."""
    device = after.scan.device
    attested_at = now or datetime.now(UTC)
    usb = None if usb_debugging is None else UsbDebugging(usb_debugging).value
    predicate: dict[str, Any] = {
        "kind": kind.value,
        "id": str(uuid.uuid4()),
        "status": effective_status(after, actions).value,
        "day": after.day.isoformat(),
        "device": device_to_dict(device),
        "policy": _policy(after),
        "scan_before": _scan(before),
        "rescan": _scan(after),
        "findings": _findings(before, after),
        "actions": [action_to_dict(a) for a in actions],
        "exemptions": [_exemption(e) for e in _exemptions_used(after)],
        "statement": statement_text,
        # the language the statement was shown and signed in (receipts without it: English)
        "language": statement_language or _signed_language(),
        "attester": attester.to_dict(),
        "tool": {"name": TOOL_NAME, "version": __version__},
        "times": {"scanned": _time(after.scan.finished_at), "attested": _time(attested_at)},
        "incomplete": not after.scan.complete,
        "usb_debugging": usb,
    }
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": device.id, "digest": {"sha256": device_digest(device)}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


def _signed_language() -> str:
    """The language in use, as a receipt records it ("en", "fr_CA"; the test pseudo-language
    is recorded as English, the language its words are made from)."""
    code = language()
    return code if code != PSEUDO else ENGLISH


def check_attester(attester: Attester) -> None:
    name_missing, id_missing = not attester.name.strip(), not attester.staff_id.strip()
    if name_missing or id_missing:
        if name_missing and id_missing:
            message = _("An attestation needs the person's name and staff id.")
        elif name_missing:
            message = _("An attestation needs the person's name.")
        else:
            message = _("An attestation needs staff id.")
        raise AttestationRefused(message, _("Fill them in and try again."))
    # A staff id that reads as "technician:NAME" would take that technician's key pin in a
    # helpdesk's history; a staff id or technician name mixing look-alike alphabets ("РS-1042"
    # with a Cyrillic Р) reads as someone else's. The import refuses both (store.lookalike);
    # refusing them here tells the person before anything is signed.
    if reads_as_technician(attester.staff_id):
        raise AttestationRefused(
            _(
                "The staff id {staff_id} is written like a technician's name in the history, "
                "which no staff id may be."
            ).format(staff_id=repr(visible(attester.staff_id, limit=80))),
            _("Type the person's own staff id (a technician's name goes in the technician field)."),
        )
    # mixed_alphabets translates the label it is given (audit.confusables.WHATS)
    mixed = mixed_alphabets("staff id", attester.staff_id) or mixed_alphabets(
        "technician's name", attester.technician
    )
    if mixed:
        raise AttestationRefused(f"{mixed[:1].upper()}{mixed[1:]}.", _("Type it again and sign."))


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _policy(assessment: Assessment) -> dict[str, Any]:
    policy = assessment.policy
    return {
        "id": policy.id,
        "title": policy.title,
        "authority": policy.authority,
        "instrument": policy.instrument,
        "sha256": policy.sha256,
        # The policy's version and when its text was last checked against its sources, so
        # whoever reads the receipt knows which version judged it (absent in older receipts).
        "version": policy.version,
        "last_verified": _day(policy.last_verified),
        # the key that signed the policy file ("" when not signed: audit.policy.signed)
        "issuer_key": policy.issuer_key,
        "deadline": _day(policy.deadline),
        "compliant_states": sorted(s.value for s in policy.compliant_states),
        "origin": policy.origin,
        # so that a non-compliance report can say how to ask for an exception
        "exception_route": policy.exception_route,
    }


def _scan(assessment: Assessment) -> dict[str, Any]:
    scan = assessment.scan
    return {
        "started_at": _time(scan.started_at),
        "finished_at": _time(scan.finished_at),
        "complete": scan.complete,
        "inventory_digest": inventory_digest(scan),
        "apps": len(scan.apps),
        "users": [{"id": u.id, "name": u.name, "kind": u.kind.value} for u in scan.users],
        "gaps": [
            {"source": g.name, "status": g.status.value, "detail": g.detail} for g in scan.gaps
        ],
        "status": assessment.status.value,
    }


def _findings(before: Assessment, after: Assessment) -> list[dict[str, Any]]:
    """Every finding of either scan, with its state before and its final state in the rescan."""
    first = {f.key: f for f in before.findings}
    final = {f.key: f for f in after.findings}
    rows = []
    for key in dict.fromkeys([*first, *final]):
        was, now = first.get(key), final.get(key)
        ref = now or was
        assert ref is not None
        if now is not None:
            state, status = now.app.state.value, now.status.value
        elif after.scan.complete:
            state, status = AppState.ABSENT.value, FindingStatus.RESOLVED.value
        else:
            state, status = None, STATUS_UNVERIFIED
        exemption = now.exemption if now is not None else None
        profile = after.scan.user(ref.app.user) or before.scan.user(ref.app.user)
        rows.append(
            {
                "rule": ref.rule.id,
                "rule_title": ref.rule.title,
                "app": ref.app.identifier,
                "id_kind": ref.app.kind.value,
                "name": ref.app.name,
                "user": ref.app.user,
                "user_kind": profile.kind.value if profile else None,
                "system": ref.app.system,
                "confidence": ref.matcher.confidence.value,
                "state_before": was.app.state.value if was else None,
                "status_before": was.status.value if was else None,
                "state": state,
                "status": status,
                "exemption": exemption.id if exemption else None,
            }
        )
    return rows


def _exemptions_used(after: Assessment) -> list[Exemption]:
    used: dict[str, Exemption] = {}
    for finding in after.findings:
        if finding.status is FindingStatus.EXCEPTED and finding.exemption is not None:
            used.setdefault(finding.exemption.id, finding.exemption)
    return list(used.values())


def _exemption(exemption: Exemption) -> dict[str, Any]:
    return {
        "id": exemption.id,
        "approver": exemption.approver,
        "approver_role": exemption.approver_role,
        "reason": exemption.reason,
        "granted": _day(exemption.granted),
        "expires": _day(exemption.expires),
        "mitigations": list(exemption.mitigations),
        "person": exemption.person,
        "device": exemption.device,
        "rules": list(exemption.rules),
        "apps": list(exemption.apps),
    }


def action_to_dict(action: ActionResult) -> dict[str, Any]:
    """The raw device output stays in the log; the statement keeps what a person reads."""
    return {
        "kind": action.kind.value,
        "device": action.device,
        "identifier": action.identifier,
        "user": action.user,
        "ok": action.ok,
        "message": action.message,
        "advice": action.advice,
        "code": action.code,
        "at": _time(action.at),
    }
