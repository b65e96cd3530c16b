"""The desktop app against the real adb server and simulated phones: plug in, scan, explain,
unplug mid-scan. (The demo phone needs no adb server: tests/ui/test_demo_phone.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from audit.model import FindingStatus
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.ui.drive import start_main_window
from tests.ui.samples import DAY
from ui.apps_model import Column
from ui.device_list import ScanPhase
from ui.main_window import MainWindow
from ui.sources import real_sources

pytestmark = pytest.mark.adb

NZ = "nz-parliament-2023"
WAIT_MS = 30_000


@pytest.fixture
def window(qtbot: QtBot, adb_server: AdbServer) -> Iterator[MainWindow]:
    main = MainWindow(real_sources(adb_server.port), auto_scan_local=False, today=lambda: DAY)
    qtbot.addWidget(main)
    yield start_main_window(qtbot, main, timeout=WAIT_MS, policy=NZ)


def settled(window: MainWindow, serial: str) -> bool:
    entry = window.devices.entry(serial)
    session = window.sessions.get(serial)
    if entry is None or session is None or window.ops.is_running(serial):
        return False
    if entry.phase is ScanPhase.FAILED:
        return True
    return entry.phase in (ScanPhase.SCANNED, ScanPhase.INCOMPLETE) and (
        session.assessment is not None
    )


def test_a_plugged_in_phone_is_scanned_without_a_click_and_tiktok_is_explained(
    qtbot: QtBot, window: MainWindow, sim_phone: PhoneFactory
) -> None:
    phone = sim_phone("samsung-work-profile")
    serial = phone.address
    qtbot.waitUntil(lambda: settled(window, serial), timeout=WAIT_MS)
    entry = window.devices.entry(serial)
    assert entry is not None and entry.phase is ScanPhase.SCANNED
    window.device_panel.select(serial)
    assessment = window.sessions[serial].assessment
    assert assessment is not None
    banned = [
        f
        for f in assessment.with_status(FindingStatus.VIOLATION)
        if f.app.identifier == "com.zhiliaoapp.musically"
    ]
    assert banned, "TikTok was not flagged"
    work = next(u for u in window.sessions[serial].scan.users if u.id == banned[0].app.user)
    assert work.kind.value == "work_profile"
    assert window.proxy.index(0, Column.NAME).data() == "TikTok"
    assert window.proxy.index(0, Column.USER).data() == "Work profile"
    assert window.banner.badge.text() == "Action needed"
    assert window.select_app("com.zhiliaoapp.musically", banned[0].app.user)
    text = "\n".join(window.details.labels_text())
    assert "This app is banned: remove it." in text
    assert "Recognised by its identifier: com.zhiliaoapp.musically" in text
    assert "Legal basis:" in text
    assert "switch to the Work tab" in text


def test_unplugging_mid_scan_is_explained_and_the_app_stays_usable(
    qtbot: QtBot, window: MainWindow, sim_phone: PhoneFactory
) -> None:
    phone = sim_phone("samsung-work-profile", latency_ms=200)
    serial = phone.address
    qtbot.waitUntil(lambda: window.ops.is_running(serial), timeout=WAIT_MS)
    phone.unplug()
    qtbot.waitUntil(lambda: settled(window, serial), timeout=WAIT_MS)
    entry = window.devices.entry(serial)
    assert entry is not None
    window.device_panel.select(serial)
    if entry.phase is ScanPhase.FAILED:
        assert window.banner.badge.text() == "Check failed"
    else:
        assert entry.phase is ScanPhase.INCOMPLETE
        assert window.banner.badge.text() == "Incomplete"
    sentence = window.banner.sentence.text()
    assert "plug" in sentence or "could not see everything" in sentence
    # Still usable: another phone is found and checked.
    second = sim_phone("pixel-tiktok-lite")
    qtbot.waitUntil(lambda: settled(window, second.address), timeout=WAIT_MS)
    assert window.devices.entry(second.address).phase is ScanPhase.SCANNED
