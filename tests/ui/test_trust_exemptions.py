"""File › Accepted exemptions…: the helpdesk accepts the approver's exemptions file, sees who
accepted each exemption, and revokes one, on real widgets over a real history; the audit that
rests on the exemption is held, released and held again as the core's rule says
(audit.store.holds)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMainWindow, QMenu, QTableWidget
from pytestqt.qtbot import QtBot

from audit.model import DeviceStatus
from audit.store import Store
from audit.store.holds import EXEMPTION_NOTE
from tests.audit.store import factory as f
from tests.ui.drive import start_main_window
from tests.ui.fakes import FeedTracker, Phones, fake_sources
from tests.ui.samples import DAY
from ui.main_window import MainWindow
from ui.recorder import AuditRecorder
from ui.trust_window import TrustWindow, install_menu

WAIT = 10_000
KIRI = f.Person("Kiri Exempt", "PS-6200")


@pytest.fixture
def window(qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]) -> TrustWindow:
    trust = TrustWindow(recorder)
    keep_alive.append(trust)
    qtbot.addWidget(trust)
    trust.show()
    trust.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: trust.policies.rowCount() > 0, timeout=WAIT)
    return trust


def cells(table: QTableWidget, column: int) -> list[str]:
    items = [table.item(row, column) for row in range(table.rowCount())]
    return ["" if item is None else item.text() for item in items]


def held_audit(db: Path, tmp_path: Path) -> tuple[int, Path]:
    """A bench audit of Kiri's phone "compliant with exceptions", and the approver's file."""
    day = date.today()
    before, after, actions = f.audit_inputs(f.phone("KIRI1"), KIRI, f.Outcome.EXCEPTED, day=day)
    with Store(db) as store:
        audit_id = store.record_audit(
            [before, after], actions, person_name=KIRI.name, staff_id=KIRI.staff_id
        )
    return audit_id, f.exemptions_file(tmp_path / "kiri.toml", *after.exemptions)


def status(db: Path, audit_id: int) -> tuple[DeviceStatus | None, str]:
    with Store(db) as store:
        audit = store.audit(audit_id)
    return audit.status, audit.trust_note


def test_an_exemption_is_accepted_listed_and_revoked_and_the_audit_follows(
    qtbot: QtBot, window: TrustWindow, db: Path, tmp_path: Path
) -> None:
    audit_id, approved = held_audit(db, tmp_path)
    held, note = status(db, audit_id)
    assert held is DeviceStatus.NON_COMPLIANT and EXEMPTION_NOTE in note
    tab = window.exemptions
    tab.reload()  # the audit was recorded after the window read the history
    qtbot.waitUntil(lambda: "EX-PS-6200 for PS-6200" in tab.waiting.text(), timeout=WAIT)
    assert "1 device held until it is accepted" in tab.waiting.text()
    tab.ask_file = lambda: str(approved)  # type: ignore[method-assign]
    tab.accept_button.click()
    assert "Type your name first" in window.message.text()  # nothing accepted without a name
    tab.by.setText("Helpdesk lead")
    tab.accept_button.click()
    qtbot.waitUntil(lambda: "EX-PS-6200" in cells(tab.table, 0), timeout=WAIT)
    row = cells(tab.table, 0).index("EX-PS-6200")  # the history had accepted Ben's already
    assert cells(tab.table, 1)[row] == "PS-6200"
    assert cells(tab.table, 4)[row].endswith("by Helpdesk lead")
    assert cells(tab.table, 6)[row] == "active"
    assert "EX-PS-6200 accepted" in window.message.text()
    released, note = status(db, audit_id)
    assert released is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS and EXEMPTION_NOTE not in note
    qtbot.waitUntil(lambda: "EX-PS-6200" not in tab.waiting.text(), timeout=WAIT)

    tab.revoke_button.click()
    assert "Choose the exemption to revoke" in window.message.text()
    tab.table.selectRow(row)
    tab.revoke_button.click()
    qtbot.waitUntil(lambda: cells(tab.table, 6)[row].startswith("revoked "), timeout=WAIT)
    assert "Revoked EX-PS-6200" in window.message.text()
    assert status(db, audit_id)[0] is DeviceStatus.NON_COMPLIANT

    # Accepting the same text again does not quietly undo the revocation.
    tab.accept_button.click()
    qtbot.waitUntil(lambda: "stays revoked" in window.message.text(), timeout=WAIT)
    assert status(db, audit_id)[0] is DeviceStatus.NON_COMPLIANT


def test_a_file_that_is_no_exemptions_file_is_refused_in_words(
    qtbot: QtBot, window: TrustWindow, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.toml"
    junk.write_text("[[exemption]]\nid = 3\n", "utf-8")
    tab = window.exemptions
    tab.ask_file = lambda: str(junk)  # type: ignore[method-assign]
    tab.by.setText("Helpdesk lead")
    tab.accept_button.click()
    qtbot.waitUntil(lambda: tab.table.rowCount() > 0, timeout=WAIT)
    listed = tab.table.rowCount()
    tab.accept_button.click()
    qtbot.waitUntil(lambda: "junk.toml" in window.message.text(), timeout=WAIT)
    assert tab.table.rowCount() == listed


def test_the_file_menu_opens_the_exemptions_tab(qtbot: QtBot, recorder: AuditRecorder) -> None:
    main = QMainWindow()
    qtbot.addWidget(main)
    main.recorder = recorder  # type: ignore[attr-defined]
    main.windows = {}  # type: ignore[attr-defined]
    menu = main.menuBar().addMenu("&File")
    install_menu(main, menu)
    [exemptions] = [a for a in menu.actions() if a.text() == "Accepted e&xemptions…"]
    exemptions.trigger()
    opened = main.windows["trust"]  # type: ignore[attr-defined]
    assert isinstance(opened, TrustWindow) and opened.tabs.currentIndex() == 2
    assert opened.tabs.tabText(2) == "&Exemptions"
    qtbot.waitUntil(lambda: opened.policies.rowCount() > 0, timeout=WAIT)


def test_the_main_windows_file_menu_opens_it(
    qtbot: QtBot, phones: Phones, tracker: FeedTracker
) -> None:
    main = MainWindow(fake_sources(phones, tracker), auto_scan_local=False, today=lambda: DAY)
    qtbot.addWidget(main)
    start_main_window(qtbot, main, timeout=5000)
    # By its title, not QAction.menu(): before PySide6 6.9 that hands back a wrapper whose
    # object is already gone ("Internal C++ object already deleted").
    first = main.menuBar().actions()[0].text()
    file_menu = next(m for m in main.menuBar().findChildren(QMenu) if m.title() == first)
    actions = {a.text(): a for a in file_menu.actions()}
    actions["Accepted e&xemptions…"].trigger()
    opened = main.windows["trust"]
    assert isinstance(opened, TrustWindow) and opened.tabs.currentIndex() == 2
    qtbot.waitUntil(lambda: opened.policies.rowCount() > 0, timeout=WAIT)
