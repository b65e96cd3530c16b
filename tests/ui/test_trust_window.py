"""File › Accept policy… and File › Technician keys…: a helpdesk accepts its organisation's
policy file and enrols, then revokes, a technician's key, all written to the real history."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMainWindow, QMenu
from pytestqt.qtbot import QtBot

from audit.attestation import Signer
from audit.paths import resource
from audit.store import Store
from tests.ui.drive import start_main_window
from tests.ui.fakes import FeedTracker, Phones, fake_sources
from tests.ui.samples import DAY
from ui.main_window import MainWindow
from ui.recorder import AuditRecorder
from ui.trust_window import TrustWindow, install_menu

WAIT = 10_000


@pytest.fixture
def window(qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]) -> TrustWindow:
    trust = TrustWindow(recorder)
    keep_alive.append(trust)
    qtbot.addWidget(trust)
    trust.show()
    qtbot.waitUntil(lambda: trust.policies.rowCount() > 0, timeout=WAIT)
    return trust


def cells(table: object, column: int) -> list[str]:
    from PySide6.QtWidgets import QTableWidget

    assert isinstance(table, QTableWidget)
    return [table.item(row, column).text() for row in range(table.rowCount())]


def test_a_policy_file_is_accepted_and_listed_with_who_accepted_it(
    qtbot: QtBot, window: TrustWindow, tmp_path: Path, db: Path
) -> None:
    text = resource("policies").joinpath("nz-parliament-2023.toml").read_text("utf-8")
    own = tmp_path / "org.toml"
    text = text.replace('id = "nz-parliament-2023"', 'id = "org-tiktok"', 1)
    start = text.index("\ntitle = ")  # its own title too: a preset's may not be taken
    text = text[:start] + '\ntitle = "Our TikTok policy"' + text[text.index("\n", start + 1) :]
    own.write_text(text, "utf-8")
    window.ask_file = lambda: str(own)  # type: ignore[method-assign]
    window.accept_button.click()
    assert "Type your name first" in window.message.text()  # nothing accepted without a name
    window.accepted_by.setText("Helpdesk lead")
    window.accept_button.click()
    qtbot.waitUntil(lambda: "org-tiktok" in cells(window.policies, 0), timeout=WAIT)
    assert window.message.text() == "Accepted: org-tiktok version 2."  # as the preset copied
    row = cells(window.policies, 0).index("org-tiktok")
    assert window.policies.item(row, 3).text().startswith("accepted by Helpdesk lead on ")
    with Store(db) as store:
        [accepted] = store.accepted_policies()
    assert (accepted.id, accepted.accepted_by) == ("org-tiktok", "Helpdesk lead")


def test_a_changed_preset_is_refused_in_words(
    qtbot: QtBot, window: TrustWindow, tmp_path: Path
) -> None:
    text = resource("policies").joinpath("nz-parliament-2023.toml").read_text("utf-8")
    copy = tmp_path / "copy.toml"
    copy.write_text(text + "\n# changed\n", "utf-8")
    window.ask_file = lambda: str(copy)  # type: ignore[method-assign]
    window.accepted_by.setText("Helpdesk lead")
    window.accept_button.click()
    qtbot.waitUntil(lambda: "built-in policy but differs" in window.message.text(), timeout=WAIT)


def test_a_technician_key_is_enrolled_then_revoked(
    qtbot: QtBot, window: TrustWindow, db: Path
) -> None:
    key = Signer.generate()
    window.tabs.setCurrentIndex(1)
    window.tech_name.setText("Sam Lee")
    window.tech_key.setText(key.display_fingerprint)
    window.tech_by.setText("Helpdesk lead")
    window.enrol_button.click()
    qtbot.waitUntil(lambda: window.technicians.rowCount() == 1, timeout=WAIT)
    assert cells(window.technicians, 0) == ["Sam Lee"]
    assert cells(window.technicians, 1) == [key.display_fingerprint]
    assert cells(window.technicians, 2) == ["Helpdesk lead"]
    window.technicians.selectRow(0)
    window.revoke_button.click()
    qtbot.waitUntil(
        lambda: cells(window.technicians, 4)[0].endswith("by Helpdesk lead"), timeout=WAIT
    )
    with Store(db) as store:
        [tech] = store.technicians()
    assert tech.fingerprint == key.fingerprint and not tech.active


def test_a_mistyped_fingerprint_is_refused_before_anything_is_written(window: TrustWindow) -> None:
    window.tech_name.setText("Sam Lee")
    window.tech_key.setText("not a key")
    window.tech_by.setText("Helpdesk lead")
    window.enrol_button.click()
    assert window.message.text().startswith("The fingerprint is not right")


def test_the_file_menu_opens_each_tab(qtbot: QtBot, recorder: AuditRecorder) -> None:
    main = QMainWindow()
    qtbot.addWidget(main)
    main.recorder = recorder  # type: ignore[attr-defined]
    main.windows = {}  # type: ignore[attr-defined]
    menu = main.menuBar().addMenu("&File")
    install_menu(main, menu)
    accept, techs, _exemptions = menu.actions()  # the third: tests/ui/test_trust_exemptions.py
    assert (accept.text(), techs.text()) == ("Accept &policy…", "&Technician keys…")
    techs.trigger()
    opened = main.windows["trust"]  # type: ignore[attr-defined]
    assert isinstance(opened, TrustWindow) and opened.tabs.currentIndex() == 1
    accept.trigger()
    assert main.windows["trust"] is opened and opened.tabs.currentIndex() == 0  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: opened.policies.rowCount() > 0, timeout=WAIT)


def test_the_main_windows_file_menu_has_both(
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
    assert "Accept &policy…" in actions
    actions["&Technician keys…"].trigger()
    opened = main.windows["trust"]
    assert isinstance(opened, TrustWindow) and opened.tabs.currentIndex() == 1
    qtbot.waitUntil(lambda: opened.policies.rowCount() > 0, timeout=WAIT)
