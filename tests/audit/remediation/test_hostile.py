"""Hostile input never reaches a device, and never crashes the readable receipt."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Attester, StatementKind, VerifiedAttestation
from audit.attestation.receipt_text import receipt_content
from audit.model import DeviceStatus
from audit.remediation import AndroidExecutor, StepKind, plan_for
from tests.audit.remediation.builders import assessment, finding, phone_app


def test_a_hostile_package_name_is_planned_by_hand_and_refused_by_the_executor() -> None:
    hostile = phone_app("com.x; reboot", "TikTok")
    f = finding(hostile)
    (manual,) = plan_for(f, assessment(f)).steps
    assert manual.kind is StepKind.MANUAL
    assert "not a valid Android package name" in manual.why_manual
    good = finding(phone_app())
    (step,) = plan_for(good, assessment(good)).steps
    forged = replace(step, target=replace(step.target, identifier="com.x; reboot"))
    # Port 1: nothing listens there, so any attempt to talk to adb would fail differently.
    result = AndroidExecutor("R58M123", adb_port=1).run(forged)
    assert not result.ok
    assert result.code == "INVALID_PACKAGE"
    assert "not a valid Android package name" in result.message


def test_a_listed_name_that_may_not_go_to_a_shell_is_planned_by_hand_with_the_reason() -> None:
    """A maker's framework package (no '.') is listed, but only app names go into commands."""
    framework = phone_app("androidhwext", "Huawei framework")
    f = finding(framework)
    (manual,) = plan_for(f, assessment(f)).steps
    assert manual.kind is StepKind.MANUAL
    assert manual.why_manual == (
        "'androidhwext' is part of the phone's own system software (its name has no '.'), not an "
        "app that can be installed or removed, so Device Audit will not send it to the phone."
    )
    escaped = finding(phone_app("com.x;\x1b[2Jreboot", "TikTok"))
    (manual,) = plan_for(escaped, assessment(escaped)).steps
    assert "\x1b" not in manual.why_manual and "\\x1b[2J" in manual.why_manual


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = (
    "device",
    "policy",
    "rescan",
    "findings",
    "actions",
    "exemptions",
    "statement",
    "usb_debugging",
    "users",
    "gaps",
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=len(KEYS)))
def test_receipt_content_never_crashes_on_odd_predicates(predicate: dict[str, Any]) -> None:
    receipt = VerifiedAttestation(
        id="x",
        kind=StatementKind.ATTESTATION,
        signer="ab" * 32,
        device_id="android:X",
        device_name="",
        device_digest="cd" * 32,
        policy_id="p",
        policy_title="P",
        policy_sha256="ef" * 32,
        status=DeviceStatus.COMPLIANT,
        attested_at=datetime(2023, 3, 28, tzinfo=UTC),
        attester=Attester("A", "1"),
        tool_version="0",
        payload_sha256="01" * 32,
        statement={"predicate": predicate},
    )
    content = receipt_content(receipt)
    assert content.fingerprint.startswith("abab abab")
    assert isinstance(content.to_text(), str)
    replace(content)  # a plain frozen value
