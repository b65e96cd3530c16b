"""The desktop app against the real adb server and simulated phones: plug in, scan, explain,
unplug mid-scan, and the demo phone."""

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


def test_the_demo_phone_walks_the_flow_from_plugged_in_to_removal(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Labelled SIMULATED everywhere; scanned without a click; TikTok flagged with the version
    and dates the phone gave; Remove… opens the removal window, which removes it over adb.
    (Signing and the rest of the removal window: tests/ui/wizard.)"""
    from tests.ui.wizard.drive import go_to, open_box, remove_page, wait_idle
    from ui.wizard import Pages, RemovalWizard

    said: list[str] = []
    window.recorder.not_recorded.connect(said.append)
    window.set_demo(True)
    qtbot.waitUntil(lambda: window.demo is not None and bool(window.demo.serial), timeout=WAIT_MS)
    serial = window.demo.serial
    qtbot.waitUntil(lambda: settled(window, serial), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bool(said), timeout=WAIT_MS)  # the demo stays out of the history
    assert said == ["The demo phone is not recorded in the history."]
    entry = window.devices.entry(serial)
    assert entry is not None and entry.simulated
    assert entry.title == "Demo phone (SIMULATED)"
    window.device_panel.select(serial)
    assert window.banner.simulated.isVisibleTo(window)
    assert "SIMULATED" in window.banner.simulated.text()

    # Flagged, with what only `dumpsys package` tells (read for the flagged app alone).
    assert window.proxy.index(0, Column.NAME).data() == "TikTok"
    assert window.proxy.index(0, Column.FINDING).data() == "Banned"
    assert window.proxy.index(0, Column.VERSION).data() == "34.1.4"
    assert window.select_app("com.zhiliaoapp.musically")
    text = window.details.labels_text()
    assert "Version: 34.1.4 (build 2023401040)" in text
    assert any(line.startswith("First installed: 20") for line in text)
    assert any(line.startswith("Press Remove (Ctrl+R)") for line in text)

    # Remove… (what the details pane points to) opens the removal window for this phone.
    assert window.remove_action.isEnabled()
    window.remove_action.trigger()
    wizard = window.sessions[serial].wizard
    assert wizard is not None and wizard.isVisible()
    assert wizard.currentId() == Pages.REVIEW
    assert len(wizard.remove_ids) == 1
    go_to(qtbot, wizard, wizard.remove_ids[0])
    open_box(remove_page(wizard)).button.click()
    wait_idle(qtbot, wizard)
    done = wizard.session.actions
    assert [(a.identifier, a.user, a.ok) for a in done] == [
        ("com.zhiliaoapp.musically", "10", True)
    ]
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    assert wizard.session.after is not None and not wizard.session.after.violations
    # The main window shows the phone as checked again: nothing banned left.
    qtbot.waitUntil(lambda: window.banner.badge.text() == "Compliant", timeout=WAIT_MS)
    asked: list[str] = []

    def close_unsigned(_cls: type, _parent: object, title: str, *_words: str, **_kw: str) -> bool:
        asked.append(title)
        return True

    monkeypatch.setattr(RemovalWizard, "ask_confirm", classmethod(close_unsigned))
    wizard.reject()
    assert asked == ["Close without signing?"]
    qtbot.waitUntil(lambda: window.sessions[serial].wizard is None, timeout=WAIT_MS)

    window.set_demo(False)
    assert window.devices.entry(serial) is None
    assert not window.banner.simulated.isVisibleTo(window)
