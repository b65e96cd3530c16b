"""iPhones in the desktop app, through the simulated usbmuxd (tests/iossim) and the app's own
sources (`real_sources`, the ones the app runs with): an iPhone appears by itself, is checked,
the removal window deletes the offloaded TikTok, the check proves it and a receipt is signed;
at the helpdesk an iPhone and an Android phone (the real adb server and tests/phonesim) are
finished side by side; untrusted, locked and unplugged iPhones get their guidance and are never
"compliant"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from audit.attestation import verify_file
from audit.model import AppState, DeviceKind, DeviceState, DeviceStatus
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.iossim.daemon import SimulatedIPhone, SimulatedUsbmuxd
from tests.ui.drive import start_main_window
from tests.ui.samples import DAY
from tests.ui.wizard.drive import click, go_to, open_box, remove_page, sign, wait_idle
from ui.device_list import ScanPhase
from ui.helpdesk import STAGE_WORDS
from ui.main_window import MainWindow
from ui.sources import real_sources
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import ReceiptPage, UsbPage
from ui.wizard.pairing import MADE_ELSEWHERE, MADE_HERE

pytestmark = pytest.mark.adb

NZ = "nz-parliament-2023"
TIKTOK = "com.zhiliaoapp.musically"
OFFLOADED = "00008120-000C45A21E38C01E"
FIRST_TIME = "00008110-0016FACE0B0C801E"
WAIT = 30_000

Start = Callable[..., SimulatedUsbmuxd]


@pytest.fixture
def iphones(monkeypatch: pytest.MonkeyPatch) -> Iterator[Start]:
    """start("tiktok-offloaded", ...): a simulated usbmuxd with those iPhones plugged in, which
    USBMUXD_SOCKET_ADDRESS names for the app; stopped after the test."""
    started: list[SimulatedUsbmuxd] = []

    def start(*profiles: str) -> SimulatedUsbmuxd:
        mux = SimulatedUsbmuxd(*(SimulatedIPhone(p) for p in profiles)).start()
        started.append(mux)
        monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", mux.address)
        return mux

    yield start
    for mux in started:
        mux.stop()


def make_window(
    qtbot: QtBot, adb_server: AdbServer, tmp_path: Path, keep: list[object], **options: object
) -> MainWindow:
    main = MainWindow(
        real_sources(adb_server.port),
        auto_scan_local=False,
        history_path=tmp_path / "history.db",
        receipts_dir=tmp_path / "receipts",
        **options,  # type: ignore[arg-type]
    )
    keep.append(main)
    qtbot.addWidget(main)
    return start_main_window(qtbot, main, timeout=WAIT, policy=NZ)


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


@pytest.fixture
def confirm_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemovalWizard, "ask_confirm", classmethod(lambda *_a, **_k: True))


def delete_and_check(qtbot: QtBot, wizard: RemovalWizard) -> None:
    """Press the removal page's button (Device Audit asks the iPhone to delete the app), then
    check again: the rescan, with placeholders, proves it is gone and not offloaded."""
    assert len(wizard.remove_ids) == 1
    go_to(qtbot, wizard, wizard.remove_ids[0])
    click(qtbot, wizard, open_box(remove_page(wizard)).button)
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    after = wizard.session.after
    assert after is not None and after.scan.complete and not after.violations
    assert wizard.session.can_attest, wizard.session.blockers()


@pytest.mark.usefixtures("memory_keyring", "confirm_all")
def test_an_iphone_appears_by_itself_and_walks_to_a_signed_receipt(
    qtbot: QtBot, adb_server: AdbServer, iphones: Start, tmp_path: Path, keep_alive: list[object]
) -> None:
    window = make_window(qtbot, adb_server, tmp_path, keep_alive, today=lambda: DAY)
    mux = iphones("tiktok-offloaded")  # usbmuxd and the iPhone arrive after the app started
    serial = f"ios:{OFFLOADED}"
    qtbot.waitUntil(lambda: settled(window, serial), timeout=WAIT)
    entry = window.devices.entry(serial)
    assert entry is not None and entry.kind is DeviceKind.IOS
    assert entry.phase is ScanPhase.SCANNED and entry.name == "Alex iPhone 15"
    assessment = window.sessions[serial].assessment
    assert assessment is not None and assessment.status is DeviceStatus.NON_COMPLIANT
    (banned,) = assessment.violations
    assert (banned.app.identifier, banned.app.state) == (TIKTOK, AppState.OFFLOADED)
    window.device_panel.select(serial)
    assert window.banner.badge.text() == "Action needed"
    assert window.select_app(TIKTOK, banned.app.user)
    text = "\n".join(window.details.labels_text())
    assert "ask the iPhone to delete it" in text and "Delete App (not Offload App" in text
    assert "from this computer" not in text  # the steps are the iPhone's, not a computer's
    assert "Offloaded" in text

    window.remove_action.trigger()
    wizard = window.sessions[serial].wizard
    assert wizard is not None and not wizard.is_phone  # no USB debugging page for it
    delete_and_check(qtbot, wizard)
    assert [(a.identifier, a.ok) for a in wizard.session.actions] == [(TIKTOK, True)]
    assert TIKTOK not in mux.phones[OFFLOADED].apps
    qtbot.waitUntil(lambda: window.banner.badge.text() == "Compliant", timeout=WAIT)

    go_to(qtbot, wizard, Pages.ATTEST)  # straight on: an iPhone has no USB debugging
    sign(qtbot, wizard, "Alex Staff", "S1234")
    assert wizard.saved is not None
    verified = verify_file(wizard.saved.path)
    assert verified.compliant and not verified.simulated
    assert verified.device_id == serial
    page = wizard.currentPage()
    assert isinstance(page, ReceiptPage)
    # Paired before Device Audit (Finder's pairing): left alone, and the person told how.
    assert page.pairing.isVisibleTo(page) and page.pairing.words.text() == MADE_ELSEWHERE
    assert not page.pairing.remove.isVisibleTo(page)
    wizard.reject()
    window.shutdown()


@pytest.mark.usefixtures("memory_keyring", "confirm_all")
def test_the_helpdesk_finishes_an_iphone_and_an_android_phone_side_by_side(  # noqa: PLR0917
    qtbot: QtBot,
    adb_server: AdbServer,
    sim_phone: PhoneFactory,
    iphones: Start,
    tmp_path: Path,
    keep_alive: list[object],
) -> None:
    mux = iphones("first-time")  # plugged in for the first time: the person taps Trust
    today = date.today()
    window = make_window(
        qtbot, adb_server, tmp_path, keep_alive, helpdesk=True, today=lambda: today
    )
    android = sim_phone("pixel-tiktok-lite").address
    iphone = f"ios:{FIRST_TIME}"
    queue = window.queue_panel
    assert queue is not None

    def stage(serial: str) -> str:
        item = queue.model.item(serial)
        return STAGE_WORDS[item.stage] if item is not None else ""

    qtbot.waitUntil(lambda: stage(iphone) == stage(android) == "Needs removal", timeout=WAIT)
    items = [queue.model.item(s) for s in (iphone, android)]
    assert sorted(i.number for i in items if i is not None) == [1, 2]

    wizards = {}
    for serial in (iphone, android):
        queue.select(serial)
        queue.view.setFocus()
        qtbot.keyClick(queue.view, Qt.Key.Key_Return)
        wizards[serial] = window.open_wizards()[serial]
        assert wizards[serial].helpdesk
    assert set(window.open_wizards()) == {iphone, android}

    # The iPhone: deleted, checked, signed; then this computer's pairing, made for the check,
    # is removed from the receipt page.
    wizard = wizards[iphone]
    delete_and_check(qtbot, wizard)
    go_to(qtbot, wizard, Pages.ATTEST)
    sign(qtbot, wizard, "Aroha Ngata", "PS-1042", technician="Sam Tech")
    page = wizard.currentPage()
    assert isinstance(page, ReceiptPage) and page.pairing.words.text() == MADE_HERE
    assert FIRST_TIME in mux.records
    click(qtbot, wizard, page.pairing.remove)
    assert "was removed" in page.pairing.result.text()
    assert FIRST_TIME not in mux.records

    # The Android phone, meanwhile waiting in its own window: removed, USB debugging, signed.
    second = wizards[android]
    for _ in second.remove_ids:
        go_to(qtbot, second, second.currentPage().nextId())
        click(qtbot, second, open_box(remove_page(second)).button)
    go_to(qtbot, second, Pages.VERIFY)
    wait_idle(qtbot, second)
    go_to(qtbot, second, Pages.USB_DEBUGGING)
    usb = second.currentPage()
    assert isinstance(usb, UsbPage)
    usb.confirmed.setChecked(True)
    go_to(qtbot, second, Pages.ATTEST)
    sign(qtbot, second, "Ben Clarke", "PS-2001", technician="Sam Tech")
    for w in (wizard, second):
        w.accept()
    qtbot.waitUntil(lambda: stage(iphone) == stage(android) == "Attested", timeout=WAIT)
    receipts = [w.saved for w in (wizard, second)]
    ids = [verify_file(r.path).device_id for r in receipts if r is not None]
    assert ids[0] == iphone and ids[1].startswith("android:"), ids


@pytest.mark.usefixtures("memory_keyring")
def test_iphones_that_cannot_be_read_get_guidance_and_are_never_compliant(
    qtbot: QtBot, adb_server: AdbServer, iphones: Start, tmp_path: Path, keep_alive: list[object]
) -> None:
    iphones("untrusted", "locked", "trust-refused", "passcode-needed", "unplugged-mid-browse")
    window = make_window(qtbot, adb_server, tmp_path, keep_alive, today=lambda: DAY)
    waiting = {
        "ios:00008101-000A3C5E2E91001E": "tap Trust",  # untrusted
        "ios:00008110-000E1A2B3C4D801E": "is locked",
        "ios:00008101-000B7D1C0A22001E": "Don't Trust was tapped",
        "ios:00008110-000E1A2B3C4D802E": "passcode",
    }
    unplugged = "ios:00008110-000F00BA12C4801E"

    def listed() -> bool:
        entries = [window.devices.entry(s) for s in waiting]
        return all(e is not None and e.state is DeviceState.UNAUTHORIZED for e in entries)

    qtbot.waitUntil(listed, timeout=WAIT)
    qtbot.waitUntil(lambda: settled(window, unplugged), timeout=WAIT)
    for serial, words in waiting.items():
        entry = window.devices.entry(serial)
        assert entry is not None and words in entry.advice, (serial, entry)
        assert entry.status is None and entry.phase is ScanPhase.NOT_SCANNED
        window.device_panel.select(serial)
        assert window.banner.badge.text() != "Compliant"
    entry = window.devices.entry(unplugged)
    assert entry is not None and entry.status is not DeviceStatus.COMPLIANT
    assert entry.phase in (ScanPhase.INCOMPLETE, ScanPhase.FAILED)
    window.device_panel.select(unplugged)
    assert window.banner.badge.text() != "Compliant"
    window.shutdown()
