"""The demo iPhone beside the demo phone (Help › Try the demo phone), from the list to a signed
receipt that says SIMULATED, with no usbmuxd, adb server or network behind it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from audit.attestation import verify_file
from audit.demo import DEMO_ADDRESS, DEMO_IPHONE_ADDRESS
from audit.model import AppState, DeviceKind
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from tests.ui.drive import start_main_window
from tests.ui.samples import DAY
from tests.ui.wizard.drive import click, go_to, open_box, remove_page, sign, wait_idle
from ui.device_list import ScanPhase
from ui.main_window import MainWindow
from ui.sources import Sources, real_sources
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import ReceiptPage
from ui.wizard.pairing import DEMO

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
def test_the_demo_iphone_comes_with_the_demo_phone_and_walks_to_a_simulated_receipt(
    qtbot: QtBot, window: MainWindow, no_network: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RemovalWizard, "ask_confirm", classmethod(lambda *_a, **_k: True))
    window.set_demo(True)
    assert window.demo == DEMO_ADDRESS
    entry = window.devices.entry(DEMO_IPHONE_ADDRESS)
    assert entry is not None and entry.simulated and entry.kind is DeviceKind.IOS
    assert entry.title == "Demo iPhone (SIMULATED)"
    qtbot.waitUntil(lambda: checked(window, DEMO_IPHONE_ADDRESS), timeout=WAIT_MS)
    checked_entry = window.devices.entry(DEMO_IPHONE_ADDRESS)
    assert checked_entry is not None and checked_entry.title == "Demo iPhone (SIMULATED)"
    assessment = window.sessions[DEMO_IPHONE_ADDRESS].assessment
    assert assessment is not None and assessment.scan.device.simulated
    (banned,) = assessment.violations
    assert (banned.app.identifier, banned.app.state) == (TIKTOK, AppState.OFFLOADED)
    window.device_panel.select(DEMO_IPHONE_ADDRESS)
    assert window.banner.simulated.isVisibleTo(window)

    window.remove_action.trigger()
    wizard = window.sessions[DEMO_IPHONE_ADDRESS].wizard
    assert wizard is not None
    go_to(qtbot, wizard, wizard.remove_ids[0])
    click(qtbot, wizard, open_box(remove_page(wizard)).button)
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    assert wizard.session.can_attest, wizard.session.blockers()
    go_to(qtbot, wizard, Pages.ATTEST)
    sign(qtbot, wizard, "Anna Smith", "S1234")
    assert wizard.saved is not None
    verified = verify_file(wizard.saved.path)
    assert verified.simulated and verified.compliant
    page = wizard.currentPage()
    assert isinstance(page, ReceiptPage) and page.pairing.words.text() == DEMO
    assert not page.pairing.remove.isVisibleTo(page)
    assert no_network == []
    wizard.reject()
    qtbot.waitUntil(lambda: window.sessions[DEMO_IPHONE_ADDRESS].wizard is None, timeout=WAIT_MS)

    window.set_demo(False)  # both demo phones go
    assert window.devices.entry(DEMO_IPHONE_ADDRESS) is None
    assert window.devices.entry(DEMO_ADDRESS) is None
