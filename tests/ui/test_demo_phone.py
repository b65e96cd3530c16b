"""The demo phone in the desktop app, from Help › Try the demo phone to a signed receipt.

It runs with the app's own phone sources and no adb server at all: every socket connection is
refused for the whole test, so the demo phone cannot lean on the network or the adb server.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from audit.attestation import verify_file
from audit.attestation.receipt_text import SIMULATED_LINE, receipt_content
from audit.demo import DEMO_ADDRESS
from audit.model import DeviceState, FindingStatus
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture, for these tests
from tests.ui.drive import start_main_window
from tests.ui.samples import DAY
from ui.apps_model import Column
from ui.device_list import PhoneEvent, ScanPhase
from ui.main_window import MainWindow
from ui.sources import Sources, real_sources

NZ = "nz-parliament-2023"
TIKTOK = "com.zhiliaoapp.musically"
WAIT_MS = 10_000


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every attempt to open a connection is refused and listed."""
    tried: list[object] = []

    def refuse(_sock: socket.socket, address: object) -> None:
        tried.append(address)
        raise ConnectionRefusedError(f"no network in this test: {address}")

    def refuse_create(address: object, *_args: Any, **_kwargs: Any) -> socket.socket:
        tried.append(address)
        raise ConnectionRefusedError(f"no network in this test: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse_create)
    return tried


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, no_network: list[object]) -> Iterator[MainWindow]:
    """The app's own phone sources (the ones `device-audit` uses), without the phone tracker,
    which would start an adb server."""
    real = real_sources()
    sources = Sources(None, real.scan_phone, None, phone_details=real.phone_details)
    main = MainWindow(
        sources,
        auto_scan_local=False,
        today=lambda: DAY,
        history_path=tmp_path / "history.db",
        receipts_dir=tmp_path / "receipts",
    )
    qtbot.addWidget(main)
    yield start_main_window(qtbot, main, timeout=WAIT_MS, policy=NZ)
    main.shutdown()


def checked(window: MainWindow, serial: str) -> bool:
    entry = window.devices.entry(serial)
    session = window.sessions.get(serial)
    return (
        entry is not None
        and entry.phase is ScanPhase.SCANNED
        and session is not None
        and session.assessment is not None
        and not window.ops.is_running(serial)
    )


@pytest.mark.usefixtures("memory_keyring")
def test_the_demo_phone_walks_the_whole_flow_inside_the_app_and_its_receipt_says_simulated(
    qtbot: QtBot,
    window: MainWindow,
    no_network: list[object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.ui.wizard.drive import go_to, open_box, remove_page, sign, wait_idle
    from ui.wizard import Pages, RemovalWizard
    from ui.wizard.pages_attest import UsbPage

    monkeypatch.setattr(RemovalWizard, "ask_confirm", classmethod(lambda *_a, **_k: True))
    said: list[str] = []
    window.recorder.not_recorded.connect(said.append)
    window.set_demo(True)
    serial = window.demo
    assert serial == DEMO_ADDRESS
    entry = window.devices.entry(serial)
    assert entry is not None and entry.simulated  # labelled from the moment it is listed
    assert entry.title == "Demo phone (SIMULATED)"
    assert "simulated phone" in entry.advice
    qtbot.waitUntil(lambda: checked(window, serial), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bool(said), timeout=WAIT_MS)  # the demo stays out of the history
    assert said == ["The demo phone is not recorded in the history."]
    window.device_panel.select(serial)
    assert window.banner.simulated.isVisibleTo(window)
    assert "SIMULATED" in window.banner.simulated.text()

    # TikTok, in the work profile, with the version and dates a real phone's details give.
    assessment = window.sessions[serial].assessment
    assert assessment is not None and assessment.scan.device.simulated
    banned = assessment.with_status(FindingStatus.VIOLATION)
    assert [(f.app.identifier, f.app.user) for f in banned] == [(TIKTOK, "10")]
    assert window.proxy.index(0, Column.NAME).data() == "TikTok"
    assert window.proxy.index(0, Column.VERSION).data() == "34.1.4"
    assert window.select_app(TIKTOK, "10")
    text = window.details.labels_text()
    assert "Version: 34.1.4 (build 2023401040)" in text
    assert any(line.startswith("First installed: 2024") for line in text)

    # Remove… → the removal window removes it from the demo phone; the check shows it gone.
    window.remove_action.trigger()
    wizard = window.sessions[serial].wizard
    assert wizard is not None and len(wizard.remove_ids) == 1
    go_to(qtbot, wizard, wizard.remove_ids[0])
    open_box(remove_page(wizard)).button.click()
    wait_idle(qtbot, wizard)
    assert [(a.identifier, a.user, a.ok, a.message) for a in wizard.session.actions] == [
        (TIKTOK, "10", True, "TikTok was removed from the Work profile.")
    ]
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    after = wizard.session.after
    assert after is not None and after.status.compliant and not after.violations
    qtbot.waitUntil(lambda: window.banner.badge.text() == "Compliant", timeout=WAIT_MS)

    # USB debugging switched off by the app, then the signed receipt says SIMULATED.
    go_to(qtbot, wizard, Pages.USB_DEBUGGING)
    usb = wizard.currentPage()
    assert isinstance(usb, UsbPage)
    usb.switch_off.click()
    wait_idle(qtbot, wizard)
    assert wizard.usb_result is not None and wizard.usb_result.ok
    go_to(qtbot, wizard, Pages.ATTEST)
    sign(qtbot, wizard, "Anna Smith", "S1234")
    assert wizard.saved is not None
    verified = verify_file(wizard.saved.path)
    assert verified.simulated and verified.compliant
    assert receipt_content(verified).simulated_line == SIMULATED_LINE
    assert no_network == []  # the whole flow without a single connection

    # Switched off: gone from the list; switched on again, it is as new (TikTok back).
    wizard.reject()
    qtbot.waitUntil(lambda: window.sessions[serial].wizard is None, timeout=WAIT_MS)
    window.set_demo(False)
    assert window.devices.entry(serial) is None
    assert not window.banner.simulated.isVisibleTo(window)
    window.set_demo(True)
    qtbot.waitUntil(lambda: checked(window, serial), timeout=WAIT_MS)
    again = window.sessions[serial].assessment
    assert again is not None and [f.app.identifier for f in again.violations] == [TIKTOK]


def test_no_phone_behind_the_adb_server_can_be_taken_for_the_demo_phone(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The demo phone's address has a space, which no adb serial has, and the tracker's phones
    are never marked simulated, whatever they are called."""
    window.on_phone_event(PhoneEvent("DEMO-0001", DeviceState.UNAUTHORIZED, name="Demo phone"))
    entry = window.devices.entry("DEMO-0001")
    assert entry is not None and not entry.simulated
    assert " " in DEMO_ADDRESS
    assert window.demo == ""
