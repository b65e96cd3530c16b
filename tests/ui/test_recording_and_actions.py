"""Every judged scan is written to the history, and Remove…/Attest… say when and why they can
be used."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from pytestqt.qtbot import QtBot

from audit.model import DeviceState, DeviceStatus
from audit.store import HistoryFilter, Store
from tests.ui.drive import start_main_window
from tests.ui.fakes import FeedTracker, Phones, fake_sources
from tests.ui.samples import DAY, phone_scan
from ui.availability import ActionFacts, attest_availability, remove_availability
from ui.device_list import ScanPhase
from ui.main_window import MainWindow

NZ = "nz-parliament-2023"
SERIAL = "R58M123"
WAIT = 10_000


@pytest.fixture
def window(qtbot: QtBot, phones: Phones, tracker: FeedTracker) -> Iterator[MainWindow]:
    main = MainWindow(fake_sources(phones, tracker), auto_scan_local=False, today=lambda: DAY)
    qtbot.addWidget(main)
    yield start_main_window(qtbot, main, timeout=WAIT)


def use_policy(qtbot: QtBot, window: MainWindow, name: str = NZ) -> None:
    window.choose_policy(name)
    qtbot.waitUntil(lambda: window.policy is not None and window.policy.id == name, timeout=WAIT)


def plug_in_and_scan(qtbot: QtBot, window: MainWindow, tracker: FeedTracker) -> None:
    tracker.put(SERIAL)
    qtbot.waitUntil(lambda: window.devices.entry(SERIAL) is not None, timeout=WAIT)
    window.device_panel.select(SERIAL)
    qtbot.waitUntil(
        lambda: (
            window.sessions[SERIAL].assessment is not None and not window.ops.is_running(SERIAL)
        ),
        timeout=WAIT,
    )


def written(qtbot: QtBot, window: MainWindow) -> Store:
    qtbot.waitUntil(window.recorder.wait_idle, timeout=WAIT)
    return Store(window.recorder.store_path)


def test_a_plain_scan_is_recorded_and_a_rescan_joins_the_same_audit(
    qtbot: QtBot, window: MainWindow, tracker: FeedTracker, phones: Phones
) -> None:
    use_policy(qtbot, window)
    plug_in_and_scan(qtbot, window, tracker)
    with written(qtbot, window) as store:
        [audit] = store.history()
        assert audit.device_id == f"android:{SERIAL}" and audit.device_name == "Galaxy S21"
        assert audit.policy_id == NZ and audit.status is DeviceStatus.NON_COMPLIANT
        assert not audit.attested and audit.person_name == ""
        details = store.audit_details(audit.id)
        assert [f.identifier for f in details.scans[0].findings] == ["com.zhiliaoapp.musically"]

    # TikTok gone on the next check: the same audit gets a second scan, now compliant.
    clean = phone_scan(serial=SERIAL)
    phones.results[SERIAL] = replace(
        clean,
        apps=tuple(a for a in clean.apps if a.identifier != "com.zhiliaoapp.musically"),
        started_at=clean.started_at.replace(minute=45),
    )
    window.scan_current()
    qtbot.waitUntil(
        lambda: (
            window.sessions[SERIAL].assessment is not None
            and window.sessions[SERIAL].assessment.status is DeviceStatus.COMPLIANT
        ),
        timeout=WAIT,
    )
    with written(qtbot, window) as store:
        [audit] = store.history()
        assert audit.status is DeviceStatus.COMPLIANT
        assert len(store.audit_details(audit.id).scans) == 2


def test_a_scan_judged_under_another_policy_is_another_audit(
    qtbot: QtBot, window: MainWindow, tracker: FeedTracker
) -> None:
    use_policy(qtbot, window)
    plug_in_and_scan(qtbot, window, tracker)
    use_policy(qtbot, window, "us-federal-2023")
    qtbot.waitUntil(
        lambda: (
            window.sessions[SERIAL].assessment is not None
            and window.sessions[SERIAL].assessment.policy.id == "us-federal-2023"
        ),
        timeout=WAIT,
    )
    use_policy(qtbot, window)  # back to the first: judged again, but nothing new to write
    qtbot.waitUntil(
        lambda: (
            window.sessions[SERIAL].assessment is not None
            and window.sessions[SERIAL].assessment.policy.id == NZ
        ),
        timeout=WAIT,
    )
    with written(qtbot, window) as store:
        assert sorted(a.policy_id for a in store.history()) == [NZ, "us-federal-2023"]
        assert store.count(HistoryFilter(policy=NZ)) == 1


def test_nothing_is_recorded_without_a_policy(
    qtbot: QtBot, window: MainWindow, tracker: FeedTracker
) -> None:
    plug_in_and_scan_without_policy(qtbot, window, tracker)
    with written(qtbot, window) as store:
        assert store.history() == []


def plug_in_and_scan_without_policy(qtbot: QtBot, window: MainWindow, tracker: FeedTracker) -> None:
    tracker.put(SERIAL)
    qtbot.waitUntil(
        lambda: (
            window.devices.entry(SERIAL) is not None
            and window.devices.entry(SERIAL).phase is ScanPhase.SCANNED
        ),
        timeout=WAIT,
    )


# --- Remove… and Attest… ------------------------------------------------------------------------

READY = ActionFacts(
    is_phone=True,
    state=DeviceState.READY,
    policy_chosen=True,
    scanning=False,
    scanned=True,
    complete=True,
    status=DeviceStatus.NON_COMPLIANT,
    violations=2,
)


@pytest.mark.parametrize(
    ("changes", "remove", "attest"),
    [
        ({}, "Remove the 2 banned apps step by step", "Banned apps are still on this device"),
        (
            {"violations": 1, "status": DeviceStatus.OVERDUE},
            "Remove the 1 banned app step by step",
            "Banned apps are still on this device",
        ),
        (
            {"violations": 0, "status": DeviceStatus.COMPLIANT},
            "-Nothing to remove: no banned app was found",
            "Check the device once more and sign a statement that it is compliant",
        ),
        ({"policy_chosen": False}, "-Choose a policy first", "-Choose a policy first"),
        ({"state": DeviceState.GONE}, "-The phone is unplugged", "-The phone is unplugged"),
        (
            {"state": DeviceState.UNAUTHORIZED},
            "-The phone is not ready",
            "-The phone is not ready",
        ),
        ({"scanning": True}, "-Wait for the check to finish", "-Wait for the check to finish"),
        (
            {"scanned": False, "status": None, "violations": 0},
            "-Check the device first",
            "-Check the device first",
        ),
        (
            {"complete": False, "status": DeviceStatus.INCOMPLETE},
            "-The last check could not see everything",
            "-The last check could not see everything",
        ),
        (
            {"wizard_open": True, "state": DeviceState.GONE},
            "The removal window for this device is open",
            "The removal window for this device is open",
        ),
    ],
)
def test_when_remove_and_attest_can_be_used_and_why_not(
    changes: dict[str, object], remove: str, attest: str
) -> None:
    facts = replace(READY, **changes)  # type: ignore[arg-type]
    for availability, expected in (
        (remove_availability(facts), remove),
        (attest_availability(facts), attest),
    ):
        enabled = not expected.startswith("-")
        assert availability.enabled is enabled
        assert availability.why.startswith(expected.lstrip("-"))


def test_the_toolbar_actions_follow_the_selected_device_and_explain_themselves(
    qtbot: QtBot, window: MainWindow, tracker: FeedTracker
) -> None:
    assert not window.remove_action.isEnabled()
    assert window.remove_action.toolTip() == "Choose a policy first: it says which apps are banned."
    use_policy(qtbot, window)
    plug_in_and_scan(qtbot, window, tracker)
    assert window.remove_action.isEnabled() and window.attest_action.isEnabled()
    assert window.remove_action.toolTip().startswith("Remove the 1 banned app step by step")
    assert window.remove_action.shortcut().toString() == "Ctrl+R"
    tracker.put(SERIAL, DeviceState.GONE)
    qtbot.waitUntil(lambda: not window.remove_action.isEnabled(), timeout=WAIT)
    assert window.remove_action.statusTip().startswith("The phone is unplugged.")
    assert not window.attest_action.isEnabled()


def test_attest_on_a_compliant_phone_opens_the_window_and_its_recheck_updates_the_main_window(
    qtbot: QtBot, window: MainWindow, tracker: FeedTracker, phones: Phones
) -> None:
    from tests.ui.wizard.drive import go_to, wait_idle
    from ui.wizard import Pages

    clean = phone_scan(serial=SERIAL)
    phones.results[SERIAL] = replace(
        clean, apps=tuple(a for a in clean.apps if a.identifier != "com.zhiliaoapp.musically")
    )
    use_policy(qtbot, window)
    plug_in_and_scan(qtbot, window, tracker)
    assert not window.remove_action.isEnabled()
    assert window.attest_action.isEnabled()
    window.attest_action.trigger()
    wizard = window.open_wizards()[SERIAL]
    assert not wizard.helpdesk  # the person checks their own phone
    assert wizard.session.before is window.sessions[SERIAL].assessment
    assert window.remove_action.isEnabled()  # now: show the open window
    scans = len(phones.scans)
    later = phones.results[SERIAL]
    phones.results[SERIAL] = replace(later, started_at=later.started_at.replace(minute=50))
    go_to(qtbot, wizard, Pages.VERIFY)  # nothing to remove: straight to checking again
    wait_idle(qtbot, wizard)
    assert len(phones.scans) == scans + 1  # the window rechecked through the app's sources
    session = window.sessions[SERIAL]
    assert session.assessment is not None and session.assessment.scan.started_at.minute == 50
    assert session.assessment.status is DeviceStatus.COMPLIANT
    wizard.reject()
    qtbot.waitUntil(lambda: window.open_wizards() == {}, timeout=WAIT)
    with written(qtbot, window) as store:
        [audit] = store.history()
        assert len(store.audit_details(audit.id).scans) == 2  # the recheck joined the audit
