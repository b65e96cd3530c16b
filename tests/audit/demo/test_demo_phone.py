"""The demo phone in the app: a real inventory, removals that the rescan proves, and a receipt
that is SIMULATED because the app made the phone, never because a phone said so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from audit import demo
from audit.attestation import Attester, Signer, VerifiedAttestation, verify_file, write_receipt
from audit.errors import DeviceGone
from audit.model import (
    ActionKind,
    AppState,
    Assessment,
    ConnectionKind,
    Device,
    DeviceKind,
    ScanResult,
    UserKind,
)
from audit.policy import evaluate, load_policy
from audit.remediation import RemediationSession, executor_for, statement_for
from audit.remediation.execute import DemoExecutor
from audit.remediation.plan import restore_step
from audit.sources.android.actions import disable_usb_debugging
from audit.sources.android.scan import details_for, scan_phone
from tests.helpers.phones import AdbServer

NZ = "nz-parliament-2023"
DAY = date(2023, 3, 20)
TIKTOK = "com.zhiliaoapp.musically"


@pytest.fixture
def phone() -> Iterator[demo.DemoPhone]:
    yield demo.switch_on()
    demo.switch_off()


def state(scan: ScanResult, package: str, user: str) -> AppState:
    found = [a.state for a in scan.apps if a.identifier == package and a.user == user]
    return found[0] if found else AppState.ABSENT


def signed(session: RemediationSession, folder: Path) -> VerifiedAttestation:
    attester = Attester("Anna Smith", "S1234")
    policy = session.before.policy
    text = statement_for(attester, session.device, policy, session.before.day)
    path = folder / "receipt.json"
    write_receipt(session.attest(attester, text, Signer.generate()), path)
    return verify_file(path)


def test_the_demo_phone_is_an_owner_and_a_work_profile_with_tiktok_in_the_work_profile(
    phone: demo.DemoPhone,
) -> None:
    scan = scan_phone(demo.DEMO_ADDRESS)  # the Android source's own entry point
    assert scan.complete and [g.name for g in scan.sources] == [
        "user 0 (Owner)",
        "user 10 (Work profile)",
    ]
    assert [(u.id, u.kind) for u in scan.users] == [
        ("0", UserKind.OWNER),
        ("10", UserKind.WORK_PROFILE),
    ]
    assert state(scan, TIKTOK, "10") is AppState.INSTALLED
    assert state(scan, TIKTOK, "0") is AppState.ABSENT
    assert len({a.identifier for a in scan.apps}) > 50  # a phone's worth, not a toy list
    tiktok = next(a for a in scan.apps if a.identifier == TIKTOK)
    assert (tiktok.name, tiktok.version, tiktok.version_code) == ("TikTok", "34.1.4", 2023401040)
    assert tiktok.installed_at is not None and tiktok.installed_at.tzinfo is not None
    assert tiktok.uid == 10 * 100_000 + tiktok.uid % 100_000
    device = scan.device
    assert device.simulated and device.kind is DeviceKind.ANDROID
    assert device.connection is not None and device.connection.kind is ConnectionKind.DEMO
    assert device.address == demo.DEMO_ADDRESS and device.has_work_profile
    assert details_for(demo.DEMO_ADDRESS, [TIKTOK]) == {}  # the scan has every detail already
    first = evaluate(scan, load_policy(NZ), day=DAY)
    assert [(f.app.identifier, f.app.user) for f in first.violations] == [(TIKTOK, "10")]


def test_removing_tiktok_is_proved_by_the_rescan_and_the_receipt_says_simulated(
    phone: demo.DemoPhone, tmp_path: Path
) -> None:
    before = evaluate(phone.scan(), load_policy(NZ), day=DAY)
    session = RemediationSession.start(before)
    executor = executor_for(before.scan.device)
    assert isinstance(executor, DemoExecutor)  # never an adb executor
    results = session.run_automatic(executor, confirm=lambda _step: True)
    assert [(r.kind, r.identifier, r.user, r.ok, r.message) for r in results] == [
        (ActionKind.UNINSTALL, TIKTOK, "10", True, "TikTok was removed from the Work profile.")
    ]
    after = scan_phone(demo.DEMO_ADDRESS)
    assert state(after, TIKTOK, "10") is AppState.ABSENT
    session.record_rescan(after)
    assert session.verification is not None and session.verification.complete
    assert session.can_attest
    receipt = signed(session, tmp_path)
    assert receipt.simulated and receipt.compliant
    assert receipt.statement["predicate"]["device"]["simulated"] is True


def test_steps_change_the_phone_as_android_does_and_say_so_in_its_words(
    phone: demo.DemoPhone,
) -> None:
    before = evaluate(phone.scan(), load_policy(NZ), day=DAY)
    [plan] = RemediationSession.start(before).plans
    step = plan.steps[0]

    # A built-in app uninstalled for a user stays on the phone, restorable.
    chrome = phone.answer("pm uninstall --user 10 com.android.chrome")
    assert chrome.output == b"Success\n"
    assert state(phone.scan(), "com.android.chrome", "10") is AppState.REMOVED_FOR_USER
    assert phone.answer("cmd package install-existing --user 10 com.android.chrome").exit_code == 0
    assert state(phone.scan(), "com.android.chrome", "0") is AppState.INSTALLED
    assert phone.answer("pm disable-user --user 0 com.android.chrome").exit_code == 0
    assert state(phone.scan(), "com.android.chrome", "0") is AppState.DISABLED

    # Removed twice: the second time the phone says it is not there (already gone).
    assert phone.run(step).ok
    again = phone.run(step)
    assert not again.ok and again.code == "NOT_INSTALLED_FOR_USER"
    assert "TikTok was not removed from the Work profile" in again.message
    # ...which the app takes, as for any phone, as done with nothing left to do.
    settled = DemoExecutor().run(step)
    assert settled.ok and settled.message.startswith(
        "TikTok was not found installed in the Work profile: it is gone, or hidden (frozen)"
    )
    # A store app removed from its only user is gone from the phone: nothing to restore.
    gone = phone.run(restore_step(step.target))
    assert not gone.ok and gone.code == "NOT_ON_PHONE"

    usb = disable_usb_debugging(demo.DEMO_ADDRESS)
    assert usb.ok and usb.kind is ActionKind.DISABLE_USB_DEBUGGING and not phone.usb_debugging


def test_a_switched_off_app_reads_as_such_with_nothing_left_to_ask_the_phone(
    phone: demo.DemoPhone,
) -> None:
    """The demo phone knows each app's state for each user, as a phone's own record says it:
    a judgement with details never finds it unconfirmed (an incomplete check), even under a
    policy for which a switched-off app is compliant."""
    from dataclasses import replace

    from audit.assess import judge_with_details

    lenient = replace(
        load_policy(NZ), compliant_states=frozenset({AppState.ABSENT, AppState.DISABLED})
    )
    phone.answer(f"pm disable-user --user 10 {TIKTOK}")
    scan = scan_phone(demo.DEMO_ADDRESS)
    judged = judge_with_details(
        scan,
        lenient,
        day=DAY,
        details=lambda packages: details_for(demo.DEMO_ADDRESS, packages),
    )
    assert judged.scan.complete and judged.status.compliant
    [finding] = judged.findings
    assert finding.app.state is AppState.DISABLED and finding.app.user == "10"


def test_a_step_for_another_device_or_a_hostile_name_is_refused(phone: demo.DemoPhone) -> None:
    from dataclasses import replace

    from audit.errors import ActionFailed

    before = evaluate(phone.scan(), load_policy(NZ), day=DAY)
    [plan] = RemediationSession.start(before).plans
    step = plan.steps[0]
    other = replace(step, target=replace(step.target, device_id="android:R58M12345"))
    with pytest.raises(ActionFailed, match="not for the demo phone"):
        phone.run(other)
    hostile = replace(step, target=replace(step.target, identifier="x; reboot"))
    refused = phone.run(hostile)
    assert not refused.ok and refused.code == "INVALID_PACKAGE"
    assert state(phone.scan(), TIKTOK, "10") is AppState.INSTALLED


def test_only_the_demo_address_is_the_demo_phone_and_off_it_is_a_phone_that_went_away() -> None:
    assert demo.phone_at("R58M12345") is None
    assert demo.phone_at("127.0.0.1:5555") is None
    with pytest.raises(DeviceGone, match="The demo phone is switched off"):
        scan_phone(demo.DEMO_ADDRESS)
    first = demo.switch_on()
    assert demo.phone_at(demo.DEMO_ADDRESS) is first is demo.switch_on()
    first.answer(f"pm uninstall --user 10 {TIKTOK}")
    demo.switch_off()
    fresh = demo.switch_on()  # switched on again, it is as new
    assert fresh is not first
    assert state(fresh.scan(), TIKTOK, "10") is AppState.INSTALLED


def test_a_device_is_simulated_only_when_the_app_made_it() -> None:
    """The sources that read devices never set `simulated` (no property, no name can), so only
    audit.demo, which builds its Device itself, makes one."""
    made = demo.demo_device()
    assert made.simulated and made.connection is not None
    sources = Path(demo.__file__).parents[1] / "sources"
    setting = sorted(
        str(path.relative_to(sources))
        for path in sources.rglob("*.py")
        if "simulated=" in path.read_text(encoding="utf-8")
    )
    assert setting == []
    assert "simulated=True" in Path(demo.__file__).with_name("phone.py").read_text("utf-8")


@pytest.mark.adb
def test_a_phone_behind_the_adb_server_is_never_simulated_whatever_it_reports(
    sim_phone: Any, adb_server: AdbServer, tmp_path: Path
) -> None:
    """A simulator shaped like the demo phone that claims, in every property it has, to be
    simulated is a phone reached over the network, and its receipt is a real phone's."""
    from tests.phonesim.profiles import load_profile_data

    profile = load_profile_data("demo-phone")
    profile["properties"].update(
        {
            "ro.device_audit.simulated": "1",
            "ro.product.model": "SIMULATED demo phone",
            "ro.serialno": demo.DEMO_SERIAL,
            "ro.boot.serialno": demo.DEMO_SERIAL,
        }
    )
    faker = sim_phone(profile)
    adb_port = adb_server.port
    scan = scan_phone(faker.address, adb_port=adb_port)
    assert not scan.device.simulated
    assert scan.device.id != demo.demo_device().id  # nor the demo's identity
    assert scan.device.address == faker.address != demo.DEMO_ADDRESS
    before: Assessment = evaluate(scan, load_policy(NZ), day=DAY)
    session = RemediationSession.start(before)
    executor = executor_for(scan.device, adb_port=adb_port)
    assert not isinstance(executor, DemoExecutor)
    session.run_automatic(executor, confirm=lambda _step: True)
    session.record_rescan(scan_phone(faker.address, adb_port=adb_port))
    assert not signed(session, tmp_path).simulated


def test_a_device_read_back_from_the_demo_is_the_demo_only_at_its_address() -> None:
    """executor_for goes by where the device is reached, so a real phone's Device, whatever
    its name, never goes to the demo phone."""
    real = Device(id="android:X", kind=DeviceKind.ANDROID, name="Demo phone", address="X")
    assert not isinstance(executor_for(real), DemoExecutor)
    assert isinstance(executor_for(demo.demo_device()), DemoExecutor)
