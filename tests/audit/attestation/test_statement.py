"""What the signed statement holds, built from hand-made assessments."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from audit import __version__
from audit.attestation import (
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    Attester,
    attestation_blockers,
    build_statement,
)
from audit.attestation.statement import canonical_json, device_digest, device_identity
from audit.inventory import inventory_digest
from audit.model import ActionKind, ActionResult, AppState, DeviceStatus
from tests.audit.attestation import builders as b

NOW = datetime(2023, 3, 28, 9, 10, tzinfo=UTC)


def statement(**overrides: object) -> dict:  # type: ignore[type-arg]
    return build_statement(**b.clean(**{"now": NOW, **overrides}))


def test_statement_is_in_toto_v1_about_the_device() -> None:
    s = statement()
    assert s["_type"] == STATEMENT_TYPE == "https://in-toto.io/Statement/v1"
    assert s["predicateType"] == PREDICATE_TYPE
    (subject,) = s["subject"]
    assert subject["name"] == "android:R58M123ABC"
    identity = {
        "id": "android:R58M123ABC",
        "kind": "android",
        "serial": "R58M123ABC",
        "manufacturer": "samsung",
        "model": "SM-G991B",
    }
    assert device_identity(b.PHONE) == identity
    expected = hashlib.sha256(
        json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert subject["digest"] == {"sha256": expected} == {"sha256": device_digest(b.PHONE)}


def test_device_digest_ignores_what_changes_with_updates() -> None:
    updated = replace(b.PHONE, os_version="14", sdk=34, build="new build", name="Work phone")
    assert device_digest(updated) == device_digest(b.PHONE)
    assert device_digest(replace(b.PHONE, serial="OTHER")) != device_digest(b.PHONE)


def test_predicate_holds_policy_scans_people_and_times() -> None:
    p = statement()["predicate"]
    assert p["kind"] == "compliance_attestation"
    assert p["status"] == "compliant"
    assert p["policy"]["id"] == "nz-parliament-2023"
    assert p["policy"]["sha256"] == b.POLICY.sha256
    assert p["policy"]["deadline"] == "2023-03-31"
    assert p["scan_before"]["inventory_digest"] == inventory_digest(b.before().scan)
    assert p["rescan"]["inventory_digest"] == inventory_digest(b.after_clean().scan)
    assert p["scan_before"]["inventory_digest"] != p["rescan"]["inventory_digest"]
    assert p["rescan"]["complete"] is True
    assert p["rescan"]["finished_at"] == "2023-03-28T09:05:20+00:00"
    assert p["times"] == {"scanned": "2023-03-28T09:05:20+00:00", "attested": NOW.isoformat()}
    assert p["statement"] == b.STATEMENT
    assert p["attester"] == {
        "mode": "self",
        "name": "Aroha Ngata",
        "staff_id": "PS-1042",
        "technician": "",
    }
    assert p["tool"] == {"name": "device-audit", "version": __version__}
    assert p["device"]["name"] == "Samsung Galaxy S21"
    assert p["incomplete"] is False
    assert p["usb_debugging"] is None


def test_findings_carry_their_state_before_and_final_state() -> None:
    findings = {f["app"]: f for f in statement()["predicate"]["findings"]}
    tiktok = findings["com.zhiliaoapp.musically"]
    assert tiktok["user"] == "10"
    assert tiktok["user_kind"] == "work_profile"
    assert (tiktok["state_before"], tiktok["status_before"]) == ("installed", "violation")
    assert (tiktok["state"], tiktok["status"]) == ("absent", "resolved")
    assert findings["com.lemon.lvoverseas"]["user_kind"] == "owner"
    assert len(findings) == 2


def test_finding_still_there_keeps_its_violation() -> None:
    findings = {
        f["app"]: f for f in statement(after=b.after_tiktok_left())["predicate"]["findings"]
    }
    assert findings["com.zhiliaoapp.musically"]["status"] == "violation"
    assert findings["com.zhiliaoapp.musically"]["state"] == "installed"
    assert findings["com.lemon.lvoverseas"]["status"] == "resolved"


def test_finding_not_seen_by_an_incomplete_rescan_is_unverified_not_resolved() -> None:
    p = statement(after=b.after_clean(complete=False))["predicate"]
    assert {f["status"] for f in p["findings"]} == {"unverified"}
    assert p["incomplete"] is True
    assert p["status"] == "incomplete"
    assert p["rescan"]["gaps"] == [
        {"source": "user 10", "status": "failed", "detail": "the shell cannot read user 10"}
    ]


def test_exemptions_used_are_recorded_in_full() -> None:
    p = statement(after=b.after_tiktok_exempted())["predicate"]
    (exemption,) = p["exemptions"]
    assert exemption["id"] == "EX-7"
    assert exemption["approver"] == "Clerk of the House"
    assert exemption["expires"] == "2023-12-31"
    assert exemption["mitigations"] == [
        "separate work profile",
        "no parliamentary accounts in the app",
    ]
    tiktok = next(f for f in p["findings"] if f["app"] == "com.zhiliaoapp.musically")
    assert (tiktok["status"], tiktok["exemption"]) == ("excepted", "EX-7")


def test_actions_and_their_results_are_recorded() -> None:
    failed = ActionResult(
        kind=ActionKind.UNINSTALL,
        device=b.PHONE.id,
        identifier="com.zhiliaoapp.musically",
        user="10",
        ok=False,
        message="The phone refused to remove TikTok.",
        advice="Your organisation manages this profile: contact IT.",
        code="DELETE_FAILED_DEVICE_POLICY_MANAGER",
        output="Failure [DELETE_FAILED_DEVICE_POLICY_MANAGER]",
    )
    actions = statement(actions=(*b.actions(), failed))["predicate"]["actions"]
    assert actions[-1] == {
        "kind": "uninstall",
        "device": b.PHONE.id,
        "identifier": "com.zhiliaoapp.musically",
        "user": "10",
        "ok": False,
        "message": "The phone refused to remove TikTok.",
        "advice": "Your organisation manages this profile: contact IT.",
        "code": "DELETE_FAILED_DEVICE_POLICY_MANAGER",
        "at": None,
    }
    assert [a["ok"] for a in actions] == [True, True, False]


def test_technician_attesting_for_a_person() -> None:
    attester = Attester(name="Aroha Ngata", staff_id="PS-1042", technician="Sam Helpdesk")
    p = statement(attester=attester)["predicate"]
    assert p["attester"]["mode"] == "technician"
    assert p["attester"]["technician"] == "Sam Helpdesk"
    assert p["attester"]["name"] == "Aroha Ngata"


def test_usb_debugging_outcome_is_recorded_and_checked() -> None:
    assert statement(usb_debugging="confirmed")["predicate"]["usb_debugging"] == "confirmed"
    assert statement(usb_debugging="not_applicable")["predicate"]["usb_debugging"] == (
        "not_applicable"
    )
    with pytest.raises(ValueError):
        statement(usb_debugging="maybe")


def test_every_statement_has_its_own_id() -> None:
    assert statement()["predicate"]["id"] != statement()["predicate"]["id"]


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": "é", "a": [1, {"d": None, "c": True}]}) == (
        '{"a":[1,{"c":true,"d":null}],"b":"é"}'.encode()
    )
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_blockers_name_what_prevents_an_attestation() -> None:
    assert attestation_blockers(b.before(), b.after_clean(), b.actions()) == ()
    assert attestation_blockers(b.before(), b.after_tiktok_exempted(), b.actions()) == ()
    (left,) = attestation_blockers(b.before(), b.after_tiktok_left(), b.actions())
    assert left == "TikTok is still installed in the Work profile"
    (incomplete,) = attestation_blockers(b.before(), b.after_clean(complete=False), b.actions())
    assert incomplete == "the last scan could not read everything (user 10)"
    late = replace(b.actions()[0], at=b.T0 + timedelta(hours=1))
    (stale,) = attestation_blockers(b.before(), b.after_clean(), (late,))
    assert "after the last scan started" in stale
    assert (
        "the first scan is of android:OTHER"
        in attestation_blockers(b.other_device(b.before()), b.after_clean(), ())[0]
    )
    other_policy = replace(b.after_clean(), policy=replace(b.POLICY, sha256="cd" * 32))
    assert attestation_blockers(b.before(), other_policy, ()) == (
        "the first scan and the rescan were checked against different policies",
    )
    assert attestation_blockers(
        b.before(), replace(b.after_clean(), status=DeviceStatus.OVERDUE), ()
    ) == ("the device status is overdue",)


def test_blockers_say_the_state_and_name_the_profile_or_else_the_user_id() -> None:
    disabled = replace(b.TIKTOK_WORK, state=AppState.DISABLED)
    after = b.assessment(
        replace(b.scan([disabled, b.MAPS], at=b.T0 + timedelta(minutes=5)), users=()),
        [b.finding(disabled, b.TIKTOK)],
        DeviceStatus.NON_COMPLIANT,
    )
    # The rescan lost the user list; the first scan still names the profile.
    assert attestation_blockers(b.before(), after, b.actions()) == (
        "TikTok is still there (disabled) in the Work profile",
    )
    unnamed = replace(b.before(), scan=replace(b.before().scan, users=()))
    assert attestation_blockers(unnamed, after, b.actions()) == (
        "TikTok is still there (disabled) for user 10",
    )
    many = [replace(b.TIKTOK_WORK, identifier=f"com.tiktok.copy{n}", name="") for n in range(7)]
    crowded = b.assessment(
        b.scan(many, at=b.T0 + timedelta(minutes=5)),
        [b.finding(app, b.TIKTOK) for app in many],
        DeviceStatus.NON_COMPLIANT,
    )
    reasons = attestation_blockers(b.before(), crowded, b.actions())
    assert reasons[0] == "com.tiktok.copy0 is still installed in the Work profile"
    assert reasons[5:] == ("2 more banned apps are still there",)
