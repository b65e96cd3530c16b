"""The issue's "done when": a technician plugs in three simulated phones one after another and
finishes all three from the queue (two at once), through the real adb server; the history and
the dashboard show them; the compliance office's CSV export and an import of the receipts into
another history round-trip."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from audit.attestation import verify_file
from audit.model import DeviceStatus
from audit.store import Store, export_receipts
from audit.store.evidence import LOOPBACK_NOTE
from tests.helpers.memkeyring import (
    MemoryKeyring,
    memory_keyring,  # noqa: F401  # the fixture
)
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.ui.drive import start_main_window
from tests.ui.wizard.drive import click, go_to, open_box, press_next, remove_page, sign, wait_idle
from ui import exports
from ui.dashboard import DashboardWindow
from ui.helpdesk import STAGE_WORDS
from ui.history import HistoryWindow
from ui.main_window import MainWindow
from ui.ops import Operations
from ui.receipts_import import ImportWindow
from ui.recorder import AuditRecorder
from ui.sources import real_sources
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import AttestPage, UsbPage

pytestmark = pytest.mark.adb

NZ = "nz-parliament-2023"
WAIT = 30_000
TECHNICIAN = "Sam Tech"
STAFF = {
    "samsung-work-profile": ("Aroha Ngata", "PS-1042"),
    "pixel-tiktok-lite": ("Ben Clarke", "PS-2001"),
    "oem-preinstalled-tiktok": ("Mere Tūhoe", "PS-3003"),
}

# The bench works today: a receipt judged as of another day than it is signed is never imported
# (audit.store.times), and the receipts travel to another history below.
TODAY = date.today()


@pytest.fixture
def window(
    qtbot: QtBot, adb_server: AdbServer, tmp_path: Path, keep_alive: list[object]
) -> Iterator[MainWindow]:
    main = MainWindow(
        real_sources(adb_server.port),
        auto_scan_local=False,
        helpdesk=True,
        today=lambda: TODAY,
        receipts_dir=tmp_path / "receipts",
    )
    keep_alive.append(main)
    qtbot.addWidget(main)
    yield start_main_window(qtbot, main, timeout=WAIT, policy=NZ)


def stage(window: MainWindow, serial: str) -> str:
    item = window.queue_panel.model.item(serial)
    return STAGE_WORDS[item.stage] if item is not None else ""


def plug_in(qtbot: QtBot, window: MainWindow, sim_phone: PhoneFactory, profile: str) -> str:
    serial = sim_phone(profile).address
    qtbot.waitUntil(lambda: stage(window, serial) == "Needs removal", timeout=WAIT)
    return serial


def open_from_queue(qtbot: QtBot, window: MainWindow, serial: str) -> RemovalWizard:
    window.queue_panel.select(serial)
    window.queue_panel.view.setFocus()
    qtbot.keyClick(window.queue_panel.view, Qt.Key.Key_Return)
    wizard = window.open_wizards()[serial]
    assert wizard.helpdesk
    return wizard


def remove_and_verify(qtbot: QtBot, wizard: RemovalWizard) -> None:
    """Press each removal page's button, then check the phone again."""
    for _ in wizard.remove_ids:
        go_to(qtbot, wizard, wizard.currentPage().nextId())
        click(qtbot, wizard, open_box(remove_page(wizard)).button)
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    assert wizard.session.can_attest, wizard.session.blockers()


def attest(qtbot: QtBot, wizard: RemovalWizard, profile: str, *, technician: str = "") -> None:
    go_to(qtbot, wizard, Pages.USB_DEBUGGING)
    usb = wizard.currentPage()
    assert isinstance(usb, UsbPage)
    usb.confirmed.setChecked(True)
    go_to(qtbot, wizard, Pages.ATTEST)
    page = wizard.currentPage()
    assert isinstance(page, AttestPage)
    if not technician:  # the name signed with last time is offered
        assert page.technician.text() == TECHNICIAN
    name, staff_id = STAFF[profile]
    sign(qtbot, wizard, name, staff_id, technician=technician)
    press_next(wizard)  # Finish: the window closes


def test_three_phones_finished_from_the_queue_then_history_dashboard_export_and_import(  # noqa: PLR0917  # pytest passes fixtures by position
    qtbot: QtBot,
    window: MainWindow,
    sim_phone: PhoneFactory,
    memory_keyring: MemoryKeyring,  # noqa: F811  # the fixture imported above
    tmp_path: Path,
    keep_alive: list[object],
) -> None:
    profiles = list(STAFF)
    first = plug_in(qtbot, window, sim_phone, profiles[0])
    wizard = open_from_queue(qtbot, window, first)
    qtbot.waitUntil(lambda: stage(window, first) == "Removing…", timeout=WAIT)
    remove_and_verify(qtbot, wizard)
    qtbot.waitUntil(lambda: stage(window, first) == "Verified", timeout=WAIT)

    # A second phone arrives while the first waits for its signature: both are in progress.
    second = plug_in(qtbot, window, sim_phone, profiles[1])
    second_wizard = open_from_queue(qtbot, window, second)
    assert set(window.open_wizards()) == {first, second}
    qtbot.waitUntil(lambda: stage(window, second) == "Removing…", timeout=WAIT)
    assert stage(window, first) == "Verified"
    attest(qtbot, wizard, profiles[0], technician=TECHNICIAN)
    qtbot.waitUntil(lambda: stage(window, first) == "Attested", timeout=WAIT)
    remove_and_verify(qtbot, second_wizard)
    attest(qtbot, second_wizard, profiles[1])

    third = plug_in(qtbot, window, sim_phone, profiles[2])
    third_wizard = open_from_queue(qtbot, window, third)
    assert len(third_wizard.remove_ids) == 2  # the owner and the guest user
    remove_and_verify(qtbot, third_wizard)
    attest(qtbot, third_wizard, profiles[2])

    serials = [first, second, third]
    qtbot.waitUntil(lambda: [stage(window, s) for s in serials] == ["Attested"] * 3, timeout=WAIT)
    assert window.open_wizards() == {}
    people = [window.queue_panel.model.item(s).person for s in serials]
    assert people == [f"{name} ({staff})" for name, staff in STAFF.values()]
    assert window.queue_panel.counts.text() == "3 phones: 0 need you, 0 in progress, 3 done"
    qtbot.waitUntil(window.recorder.wait_idle, timeout=WAIT)

    # The history: one audit per phone, named, attested, clean after the removal, its receipt
    # on disk; counted as not compliant all the same, since these phones are simulators reached
    # over loopback (a program on this computer answered: audit.store.evidence), as their
    # receipts count wherever they are imported (below): one rule whichever road.
    db = window.recorder.store_path
    with Store(db) as store:
        audits = store.history()
        assert len(audits) == 3
        assert {(a.person_name, a.staff_id) for a in audits} == set(STAFF.values())
        assert {a.technician for a in audits} == {TECHNICIAN}
        assert all(a.status is DeviceStatus.NON_COMPLIANT and a.attested for a in audits)
        assert all(LOOPBACK_NOTE in a.trust_note for a in audits), [a.trust_note for a in audits]
        for audit in audits:
            details = store.audit_details(audit.id)
            assert len(details.scans) >= 2 and details.actions
            assert details.scans[-1].status is DeviceStatus.COMPLIANT
            [receipt] = details.receipts
            assert receipt.problem == ""
            assert verify_file(Path(receipt.file_name)).id == receipt.uid
        dashboard_counts = store.dashboard(NZ, TODAY)
    assert dashboard_counts.counts.overdue == 3 and dashboard_counts.counts.total == 3

    history = window.show_history()
    assert isinstance(history, HistoryWindow)
    qtbot.waitUntil(lambda: history.model.rowCount() == 3, timeout=WAIT)
    assert {r.cells[5] for r in history.model.rows} == {"Overdue (deadline passed)"}
    dashboard = window.show_dashboard()
    assert isinstance(dashboard, DashboardWindow)
    qtbot.waitUntil(lambda: dashboard.counts is not None, timeout=WAIT)
    assert {k: t.count for k, t in dashboard.tiles.items()} == {
        "compliant": 0,
        "compliant_with_exceptions": 0,
        "non_compliant": 0,
        "overdue": 3,
        "expiring": 0,
        "incomplete": 0,
        "unwitnessed": 0,  # of the compliant ones (none here): self-attested, not witnessed
        "older_version": 0,
    }

    # The compliance office's CSV.
    office = tmp_path / "office.csv"
    window.ask_save_path = lambda *_a: str(office)  # type: ignore[method-assign]
    window.export_audits()
    qtbot.waitUntil(office.exists, timeout=WAIT)
    with office.open(newline="", encoding="utf-8") as file:
        exported = list(csv.DictReader(file))
    assert sorted(r["staff_id"] for r in exported) == ["PS-1042", "PS-2001", "PS-3003"]
    assert {r["status"] for r in exported} == {"overdue"}

    # The receipts travel to another history, which then exports the same rows.
    with Store(db) as store:
        folder = tmp_path / "receipts-for-the-office"
        export_receipts(store.receipts(NZ), folder)
    other_ops = Operations(max_workers=2)
    other = AuditRecorder(other_ops, tmp_path / "office.sqlite3")
    importer = ImportWindow(other, folder)
    keep_alive.append(importer)
    qtbot.addWidget(importer)
    with qtbot.waitSignal(importer.finished, timeout=WAIT):
        importer.start()
    assert importer.report is not None and importer.report.imported == 3
    with Store(tmp_path / "office.sqlite3") as store:
        again = tmp_path / "office-again.csv"
        exports.export_audits_file(store, again, NZ, TODAY)
    other.close()
    other_ops.shutdown()
    with again.open(newline="", encoding="utf-8") as file:
        reimported = list(csv.DictReader(file))
    same = ("person_name", "staff_id", "device_id", "attestation_id", "signer")

    def key(row: dict[str, str]) -> tuple[str, ...]:
        return tuple(row[c] for c in same)

    assert sorted(map(key, reimported)) == sorted(map(key, exported))
    assert {r["origin"] for r in reimported} == {"imported"}
    # These phones were simulators on a loopback address: elsewhere their receipts never count
    # as compliant (audit.store.evidence), and the export says why.
    assert {r["status"] for r in reimported} == {"overdue"}
    assert all("reached from a program on this computer" in r["trust_note"] for r in reimported)
