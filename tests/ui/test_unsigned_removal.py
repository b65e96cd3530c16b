"""A removal closed before it was signed (no keyring yet, or the person chose to sign later):
the main window shows on the device's row and in the banner that a signature is still to be
made, and the action that makes it, which is not the greyed-out Remove…."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.ui.drive import start_main_window
from tests.ui.samples import DAY
from ui.device_list import ScanPhase
from ui.main_window import MainWindow
from ui.sources import Sources, real_sources
from ui.wizard import Pages, RemovalWizard

NZ = "nz-parliament-2023"
WAIT_MS = 10_000


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    real = real_sources()  # the demo phone is in-process: no tracker, no adb server
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


def test_a_removal_closed_unsigned_shows_on_the_row_and_banner_with_attest_to_finish_it(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ui.wizard.drive import go_to, open_box, remove_page, wait_idle

    asked: list[str] = []

    def answer(_cls: type, _parent: object, title: str, text: str, *_a: object, **_k: object):
        asked.append(f"{title}: {text}")
        return True

    monkeypatch.setattr(RemovalWizard, "ask_confirm", classmethod(answer))
    window.set_demo(True)
    serial = window.demo
    qtbot.waitUntil(
        lambda: (
            (entry := window.devices.entry(serial)) is not None
            and entry.phase is ScanPhase.SCANNED
            and window.sessions[serial].assessment is not None
        ),
        timeout=WAIT_MS,
    )
    window.device_panel.select(serial)
    window.remove_action.trigger()
    wizard = window.sessions[serial].wizard
    go_to(qtbot, wizard, wizard.remove_ids[0])
    open_box(remove_page(wizard)).button.click()
    wait_idle(qtbot, wizard)
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    assert window.devices.entry(serial).badge != "Not signed yet"  # its window is open
    wizard.reject()  # "Close, and sign later"
    qtbot.waitUntil(lambda: window.sessions[serial].wizard is None, timeout=WAIT_MS)

    # The question said which action finishes it: one that can be used now.
    [question] = asked
    assert "choose Attest\u2026 (Ctrl+Shift+A)" in question
    assert "Remove\u2026" not in question
    assert not window.remove_action.isEnabled()
    assert "Attest\u2026 (Ctrl+Shift+A)" in window.remove_action.toolTip()
    assert window.attest_action.isEnabled()
    assert window.attest_action.toolTip().startswith(
        "Check the device again and sign the record of the apps removed earlier"
    )
    # The row and the banner say a signature is still to be made, and how.
    assert window.devices.entry(serial).badge == "Not signed yet"
    assert window.banner.badge.text() == "Compliant"
    sentence = window.banner.sentence.text()
    assert sentence.startswith("Not signed yet: what was removed is kept on this computer.")
    assert "choose Attest\u2026 (Ctrl+Shift+A)" in sentence

    # Attest… carries the removal on; once signed, nothing is pending any more.
    window.attest_action.trigger()
    again = window.sessions[serial].wizard
    assert again is not None and again.resumed is not None
    assert window.devices.entry(serial).badge != "Not signed yet"


def test_the_helpdesk_queue_says_a_removal_is_not_signed_yet() -> None:
    from audit.model import DeviceStatus
    from ui.helpdesk import PhoneFacts, Stage, queue_item

    facts = PhoneFacts(
        serial="S1",
        name="Galaxy S21",
        status=DeviceStatus.COMPLIANT,
        phase=ScanPhase.SCANNED,
        unsigned=True,
    )
    item = queue_item(facts, 1)
    assert item.stage is Stage.CLEAN and item.needs_you
    assert item.next_step == "Removed, not signed yet: press Enter to check again and sign"
