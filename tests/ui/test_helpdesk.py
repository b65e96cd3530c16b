"""Helpdesk mode: phones join a queue as they are plugged in, each with its stage in words,
icon and colour; the keyboard moves through the queue and opens a phone's removal window."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from audit.model import DeviceState, DeviceStatus
from tests.ui.drive import start_main_window
from tests.ui.fakes import FeedTracker, Phones, fake_sources, unplugged
from tests.ui.samples import DAY, HOSTILE, phone_scan
from ui import settings
from ui.apps_model import Column
from ui.device_list import ScanPhase
from ui.helpdesk import (
    ITEM_ROLE,
    STAGE_WORDS,
    TONE_ROLE,
    PhoneFacts,
    QueueColumn,
    QueueItem,
    QueueModel,
    Stage,
    queue_item,
    stage_of,
)
from ui.main_window import MainWindow

NZ = "nz-parliament-2023"
WAIT = 10_000
BASE = PhoneFacts(
    serial="S1",
    name="Galaxy S21",
    status=DeviceStatus.NON_COMPLIANT,
    phase=ScanPhase.SCANNED,
    violations=1,
)


@pytest.mark.parametrize(
    ("changes", "stage", "next_step"),
    [
        ({}, Stage.NEEDS_REMOVAL, "1 banned app: press Enter to remove"),
        ({"violations": 3}, Stage.NEEDS_REMOVAL, "3 banned apps: press Enter to remove"),
        (
            {"violations": 0, "status": DeviceStatus.COMPLIANT},
            Stage.CLEAN,
            "Press Enter to check again and sign",
        ),
        (
            {"status": None, "phase": ScanPhase.NOT_SCANNED, "violations": 0},
            Stage.WAITING,
            "Waiting to be checked",
        ),
        (
            {"status": None, "violations": 0, "policy_chosen": False},
            Stage.WAITING,
            "Choose the policy to check against",
        ),
        (
            {"ready": False, "waiting_words": "Unlock the phone and tap Allow"},
            Stage.WAITING,
            "Unlock the phone and tap Allow",
        ),
        ({"scanning": True}, Stage.SCANNING, "Checking every user and profile"),
        (
            {"phase": ScanPhase.FAILED, "problem": "The phone was unplugged."},
            Stage.FAILED,
            "The phone was unplugged.",
        ),
        ({"status": DeviceStatus.INCOMPLETE}, Stage.FAILED, "Press F5 to check it again"),
        ({"wizard_open": True}, Stage.REMOVING, "Working in its removal window"),
        (
            {"wizard_open": True, "verified": True},
            Stage.VERIFIED,
            "Sign for the staff member in its window",
        ),
        ({"plugged": False}, Stage.UNPLUGGED, "Plug it in again to go on"),
        ({"plugged": False, "wizard_open": True}, Stage.UNPLUGGED, "Plug it in again to go on"),
        ({"receipt_kind": "attestation"}, Stage.ATTESTED, "Done: hand the phone back"),
        (
            {"receipt_kind": "attestation", "plugged": False},
            Stage.ATTESTED,
            "Done: hand the phone back",
        ),
        ({"receipt_kind": "report"}, Stage.REPORTED, "Done: banned apps remain, reported"),
    ],
)
def test_the_stage_of_a_phone_and_the_next_step(
    changes: dict[str, object], stage: Stage, next_step: str
) -> None:
    facts = replace(BASE, **changes)  # type: ignore[arg-type]
    assert stage_of(facts) is stage
    item = queue_item(facts, 1)
    assert item.stage is stage and item.next_step == next_step


def test_names_from_phones_are_shown_with_invisible_characters_escaped() -> None:
    item = queue_item(replace(BASE, name=HOSTILE + "\u202e\n", person="Eve\x1b[31m"), 4)
    assert item.phone == HOSTILE + "\\u202e\\x0a"
    assert item.person == "Eve\\x1b[31m"
    assert queue_item(replace(BASE, name="Demo phone", simulated=True), 1).phone == (
        "Demo phone (SIMULATED)"
    )


def test_a_phone_reached_over_the_network_says_so_beside_its_name() -> None:
    def name(serial: str) -> str:
        return queue_item(replace(BASE, serial=serial, name="Pixel 7"), 1).phone

    assert name("R58M123ABC") == "Pixel 7"
    assert name("192.168.1.20:5555") == "Pixel 7 (over the network)"
    assert name("127.0.0.1:40123") == "Pixel 7 (over the network)"
    assert name("emulator-5554") == "Pixel 7 (emulator)"


def items(*stages: Stage) -> list[QueueItem]:
    return [
        queue_item(
            replace(
                BASE,
                serial=f"S{n}",
                name=f"Phone {n}",
                receipt_kind="attestation" if stage is Stage.ATTESTED else "",
                scanning=stage is Stage.SCANNING,
            ),
            n,
        )
        for n, stage in enumerate(stages, start=1)
    ]


def test_the_queue_model_passes_the_model_tester_as_rows_come_change_and_go(
    qtmodeltester: ModelTester,
) -> None:
    model = QueueModel()
    qtmodeltester.check(model)
    model.set_items(items(Stage.SCANNING, Stage.NEEDS_REMOVAL))
    assert [i.serial for i in model.items()] == ["S1", "S2"]
    changed: list[int] = []
    model.dataChanged.connect(lambda first, _last: changed.append(first.row()))
    model.set_items(items(Stage.NEEDS_REMOVAL, Stage.NEEDS_REMOVAL, Stage.ATTESTED))
    assert changed == [0] and model.rowCount() == 3
    model.set_items(items(Stage.NEEDS_REMOVAL, Stage.NEEDS_REMOVAL, Stage.ATTESTED)[1:])
    assert [i.serial for i in model.items()] == ["S2", "S3"]
    qtmodeltester.check(model)
    index = model.index(1, QueueColumn.STAGE)
    assert index.data() == "Attested"
    assert index.data(Qt.ItemDataRole.DecorationRole) is not None  # icon, not colour alone
    assert index.data(TONE_ROLE) == "good"
    assert model.index(0, QueueColumn.NUMBER).data() == "2"
    assert isinstance(index.data(ITEM_ROLE), QueueItem)


# --- in the main window -----------------------------------------------------------------------


@pytest.fixture
def window(
    qtbot: QtBot, phones: Phones, tracker: FeedTracker, keep_alive: list[object]
) -> Iterator[MainWindow]:
    main = MainWindow(
        fake_sources(phones, tracker), auto_scan_local=False, helpdesk=True, today=lambda: DAY
    )
    keep_alive.append(main)
    qtbot.addWidget(main)
    yield start_main_window(qtbot, main, timeout=WAIT, policy=NZ)


def stages(window: MainWindow) -> dict[str, str]:
    return {i.serial: STAGE_WORDS[i.stage] for i in window.queue_panel.model.items()}


def test_phones_join_the_queue_as_they_are_plugged_in_and_are_checked(
    qtbot: QtBot, window: MainWindow, phones: Phones, tracker: FeedTracker
) -> None:
    assert window.queue_panel.isVisibleTo(window)
    assert not window.device_panel.isVisibleTo(window)
    # Ends with the app's name, so the desktop (which adds it to titles without) adds nothing.
    assert window.windowTitle() == "Helpdesk \u2014 Device Audit"
    clean = phone_scan(serial="P2")
    phones.results["P2"] = replace(
        clean, apps=tuple(a for a in clean.apps if a.identifier != "com.zhiliaoapp.musically")
    )
    gate = phones.hold("P3")
    tracker.put("P1")
    tracker.put("P2")
    tracker.put("P3")
    tracker.put("P4", DeviceState.UNAUTHORIZED, "Unlock the phone and tap Allow")
    qtbot.waitUntil(
        lambda: (
            stages(window)
            == {
                "P1": "Needs removal",
                "P2": "Nothing to remove",
                "P3": "Checking…",
                "P4": "Waiting",
            }
        ),
        timeout=WAIT,
    )
    model = window.queue_panel.model
    assert [i.number for i in model.items()] == [1, 2, 3, 4]
    assert model.item("P4").next_step == "Unlock the phone and tap Allow"
    assert model.item("P1").verdict == "Action needed"
    assert window.queue_panel.counts.text() == "4 phones: 3 need you, 1 in progress, 0 done"
    gate.set()
    qtbot.waitUntil(lambda: stages(window)["P3"] == "Needs removal", timeout=WAIT)
    tracker.put("P4")  # Allow tapped: checked at once
    qtbot.waitUntil(lambda: stages(window)["P4"] == "Needs removal", timeout=WAIT)
    tracker.put("P2", DeviceState.GONE)
    qtbot.waitUntil(lambda: stages(window)["P2"] == "Unplugged", timeout=WAIT)


def test_the_keyboard_moves_through_the_phones_that_need_the_technician(
    qtbot: QtBot, window: MainWindow, phones: Phones, tracker: FeedTracker
) -> None:
    gate = phones.hold("P2")
    for serial in ("P1", "P2", "P3"):
        tracker.put(serial)
    qtbot.waitUntil(
        lambda: stages(window) == {"P1": "Needs removal", "P2": "Checking…", "P3": "Needs removal"},
        timeout=WAIT,
    )
    view = window.queue_panel.view
    qtbot.keyClick(window, Qt.Key.Key_F6)
    assert view.hasFocus()
    assert window.queue_panel.current_serial() == "P1"  # the first phone, on arrival
    assert window.current_id() == "P1"  # the rest of the window shows the selected phone
    qtbot.keyClick(window, Qt.Key.Key_F7)
    assert window.queue_panel.current_serial() == "P3"  # P2 is being checked: skipped
    assert window.current_id() == "P3"
    qtbot.keyClick(window, Qt.Key.Key_F7)
    assert window.queue_panel.current_serial() == "P1"  # round again
    qtbot.keyClick(window, Qt.Key.Key_F7, Qt.KeyboardModifier.ShiftModifier)
    assert window.queue_panel.current_serial() == "P3"
    gate.set()

    # Enter opens the selected phone's removal window; the queue says it is being worked on.
    qtbot.keyClick(view, Qt.Key.Key_Return)
    wizard = window.open_wizards().get("P3")
    assert wizard is not None and wizard.isVisible()
    assert wizard.helpdesk
    qtbot.waitUntil(lambda: stages(window)["P3"] == "Removing…", timeout=WAIT)
    assert window.remove_action.toolTip() == (
        "The removal window for this device is open: show it."
    )
    qtbot.keyClick(view, Qt.Key.Key_Return)  # again: the same window, not a second one
    assert window.open_wizards() == {"P3": wizard}
    wizard.reject()  # closed without doing anything
    qtbot.waitUntil(lambda: stages(window)["P3"] == "Needs removal", timeout=WAIT)
    assert window.open_wizards() == {}


def test_a_phone_unplugged_and_plugged_in_again_is_checked_again(
    qtbot: QtBot, window: MainWindow, phones: Phones, tracker: FeedTracker
) -> None:
    tracker.put("P1")
    qtbot.waitUntil(lambda: stages(window).get("P1") == "Needs removal", timeout=WAIT)
    tracker.put("P1", DeviceState.GONE)
    qtbot.waitUntil(lambda: stages(window)["P1"] == "Unplugged", timeout=WAIT)
    scans = len(phones.scans)
    tracker.put("P1")
    qtbot.waitUntil(lambda: len(phones.scans) == scans + 1, timeout=WAIT)
    qtbot.waitUntil(lambda: stages(window)["P1"] == "Needs removal", timeout=WAIT)


def test_clearing_takes_unplugged_phones_off_the_queue(
    qtbot: QtBot, window: MainWindow, phones: Phones, tracker: FeedTracker
) -> None:
    phones.fail["P2"] = unplugged("P2")
    tracker.put("P1")
    tracker.put("P2")
    qtbot.waitUntil(
        lambda: stages(window) == {"P1": "Needs removal", "P2": "Check failed"}, timeout=WAIT
    )
    assert "unplugged" in window.queue_panel.model.item("P2").next_step
    assert not window.queue_panel.clear_button.isEnabled()
    tracker.put("P2", DeviceState.GONE)
    qtbot.waitUntil(window.queue_panel.clear_button.isEnabled, timeout=WAIT)
    window.queue_panel.clear_button.click()
    assert list(stages(window)) == ["P1"]
    assert window.devices.entry("P2") is None


def test_helpdesk_mode_is_a_view_toggle_remembered_in_settings(
    qtbot: QtBot, phones: Phones, tracker: FeedTracker, keep_alive: list[object]
) -> None:
    main = MainWindow(fake_sources(phones, tracker), auto_scan_local=False, today=lambda: DAY)
    keep_alive.append(main)
    qtbot.addWidget(main)
    main.show()
    assert main.queue_panel is None  # made only when helpdesk mode is first on
    assert not main.queue_next_action.isEnabled()
    assert not settings.helpdesk()
    main.helpdesk_action.trigger()
    assert main.helpdesk and main.queue_panel.isVisibleTo(main)
    assert settings.helpdesk() and QSettings().value("helpdesk/on") in (True, "true")
    assert main.helpdesk_action.shortcut().toString() == "Ctrl+Shift+H"
    main.helpdesk_action.trigger()
    assert not main.helpdesk and not settings.helpdesk()
    assert main.device_panel.isVisibleTo(main) and not main.queue_panel.isVisibleTo(main)


def test_below_the_queue_the_window_follows_the_queue_s_phone_never_this_computer(
    qtbot: QtBot, phones: Phones, tracker: FeedTracker, keep_alive: list[object]
) -> None:
    main = MainWindow(fake_sources(phones, tracker), helpdesk=True, today=lambda: DAY)
    keep_alive.append(main)
    qtbot.addWidget(main)
    start_main_window(qtbot, main, timeout=WAIT, policy=NZ)
    # This computer is checked (and compliant), but the helpdesk works on phones only.
    qtbot.waitUntil(lambda: main.sessions["local"].assessment is not None, timeout=WAIT)
    assert main.banner.badge.text() == "No phone"
    assert "Plug in a phone" in main.banner.sentence.text()
    assert main.apps.rowCount() == 0
    assert not main.scan_action.isEnabled() and not main.remove_action.isEnabled()

    clean = phone_scan(serial="P2")
    phones.results["P2"] = replace(
        clean, apps=tuple(a for a in clean.apps if a.identifier != "com.zhiliaoapp.musically")
    )
    tracker.put("P1")
    qtbot.waitUntil(lambda: stages(main).get("P1") == "Needs removal", timeout=WAIT)
    # Nobody selected it: the first phone is shown, in the queue and below it.
    assert main.queue_panel.current_serial() == "P1" == main.current_id()
    qtbot.waitUntil(lambda: main.banner.badge.text() == "Action needed", timeout=WAIT)
    assert main.proxy.index(0, Column.NAME).data() == "TikTok"
    assert main.remove_action.isEnabled()

    tracker.put("P2")  # a second phone does not take the first one's place
    qtbot.waitUntil(lambda: stages(main).get("P2") == "Nothing to remove", timeout=WAIT)
    assert main.current_id() == "P1"
    main.queue_panel.select("P2")
    assert main.current_id() == "P2"
    assert main.banner.badge.text() == "Compliant"

    tracker.put("P2", DeviceState.GONE)
    qtbot.waitUntil(lambda: stages(main)["P2"] == "Unplugged", timeout=WAIT)
    main.clear_unplugged()  # the phone shown leaves: the one left is shown
    assert main.current_id() == "P1" and main.banner.badge.text() == "Action needed"
    tracker.put("P1", DeviceState.GONE)
    qtbot.waitUntil(lambda: stages(main)["P1"] == "Unplugged", timeout=WAIT)
    main.clear_unplugged()
    assert main.banner.badge.text() == "No phone"
    main.set_helpdesk(False)  # out of helpdesk mode: this computer again
    assert main.current_id() == "local" and main.banner.badge.text() == "Compliant"
