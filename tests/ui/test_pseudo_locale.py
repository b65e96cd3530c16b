"""Every screen in the pseudo-language at 1280×720 (issue 17): no text bypasses the catalogue,
and no label or button is cut off when the words are a third longer.

The pseudo-language (audit.i18n) wraps every catalogue string in ⟦ ⟧ and lengthens it. A text a
person reads (a label, a button, a group's title, a window's title, a menu's action, a table's
header, a tool tip, an accessible name, a tab) without ⟦ bypassed the catalogue; the only texts
allowed through are data that no catalogue can hold: what the demo phone says about itself, what
the policy file and the history's receipts say, the product's name and version. They are
allowed by where they come from (the demo phone's scan, the policy, the history's plan), never
by listing strings. The screens: the main window with the demo phone checked, the same in
helpdesk mode, the removal window's pages, the history, the dashboard and the trust window.

Set DEVICE_AUDIT_PSEUDO_REPORT to a file to have every problem written there, screen by screen.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMenuBar,
    QScrollArea,
    QTabBar,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from audit import __version__
from audit.demo import DEMO_ADDRESS
from audit.i18n import ENGLISH, LANGUAGES, PSEUDO, set_language
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture, for these tests
from tests.helpers.nz_tiktok import POLICY
from tests.ui import history_data
from tests.ui.drive import start_main_window
from tests.ui.samples import DAY
from ui.language import install_language_menu
from ui.main_window import MainWindow
from ui.sources import Sources, real_sources

SCREEN = QSize(1280, 720)
NZ = "nz-parliament-2023"
WAIT_MS = 15_000
MARK = "⟦"


@pytest.fixture
def pseudo() -> Iterator[None]:
    set_language(PSEUDO)
    yield
    set_language(ENGLISH)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo phone needs no network and no adb server: every connection is refused."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise ConnectionRefusedError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# --- data, allowed by where it comes from ---------------------------------------------------


def strings_of(value: Any, depth: int = 0) -> Iterator[str]:
    """Every text inside a value made of our model's dataclasses, tuples, lists and dicts."""
    if depth > 8 or value is None:
        return
    if isinstance(value, Enum):
        return  # a code, never shown as it is
    if isinstance(value, str):
        if value.strip():
            yield value.strip()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from strings_of(getattr(value, field.name), depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_of(key, depth + 1)
            yield from strings_of(item, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from strings_of(item, depth + 1)


# Words that are not the catalogue's by design: each language named in its own words (the
# Language menu), and Qt's own words for the buttons Qt makes (QWizard's Back and Next), which
# Qt's translation (qtbase_fr) gives in French.
NOT_OURS = (
    tuple(LANGUAGES.values()),
    tuple(
        QCoreApplication.translate("QWizard", words)
        for words in ("< &Back", "&Next >", "&Finish", "Cancel", "&Help", "Go Back", "Continue")
    ),
)


class Data:
    """The texts that are data, from their sources; a shown text made only of them (and
    digits, punctuation and spaces) is not a word the catalogue should have had."""

    def __init__(self, sources: Iterable[Any]) -> None:
        found = {"Device Audit", __version__}
        for source in sources:
            found.update(strings_of(source))
        self.values = sorted(found, key=len, reverse=True)

    def only(self, text: str) -> bool:
        rest = text
        for value in self.values:
            rest = rest.replace(value, " ")
        return not any(char.isalpha() for char in rest)


# --- what a screen shows -----------------------------------------------------------------------


def _headers(view: QAbstractItemView) -> Iterator[str]:
    model = view.model()
    if model is None:
        return
    for orientation, header in (
        (Qt.Orientation.Horizontal, getattr(view, "horizontalHeader", lambda: None)()),
        (Qt.Orientation.Vertical, getattr(view, "verticalHeader", lambda: None)()),
    ):
        if not isinstance(header, QHeaderView) or not header.isVisibleTo(view):
            continue
        count = model.columnCount() if orientation is Qt.Orientation.Horizontal else 0
        for section in range(count):
            if header.isSectionHidden(section):
                continue
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.headerData(section, orientation, role)
                if isinstance(value, str):
                    yield value


def _menu_texts(menu: QMenu, where: str) -> Iterator[tuple[str, str]]:
    yield f"{where} menu", menu.title()
    for action in menu.actions():
        if action.isSeparator() or not action.isVisible():
            continue
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            yield from _menu_texts(submenu, where)
        else:
            yield f"{where} menu action", action.text()
            yield f"{where} menu action tip", action.toolTip()
            yield f"{where} menu action status tip", action.statusTip()


def _menu_bar(window: QWidget) -> Iterator[tuple[str, str, QWidget]]:
    bar = window.menuWidget() if isinstance(window, QMainWindow) else None
    if not isinstance(bar, QMenuBar):
        return
    for action in bar.actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.isVisible():
            for what, text in _menu_texts(menu, "bar"):
                yield what, text, bar


def shown(window: QWidget) -> Iterator[tuple[str, str, QWidget]]:
    """(what, text, widget) for every text a person reads or hears on `window` now."""
    yield "window title", window.windowTitle(), window
    yield from _menu_bar(window)
    for child in window.findChildren(QWidget):
        if child.window() is not window or not child.isVisibleTo(window):
            continue  # another window's (a dialog the window opened is checked on its own)
        if isinstance(child, QMenu):
            continue
        name = type(child).__name__
        if isinstance(child, QLabel):
            yield f"label ({child.objectName() or name})", child.text(), child
        if isinstance(child, QAbstractButton):
            yield f"button ({child.objectName() or name})", child.text(), child
        if isinstance(child, QGroupBox):
            yield "group title", child.title(), child
        if isinstance(child, QLineEdit):
            yield "placeholder", child.placeholderText(), child
        if isinstance(child, QTabBar):
            for index in range(child.count()):
                yield "tab", child.tabText(index), child
                yield "tab tip", child.tabToolTip(index), child
        if isinstance(child, QAbstractItemView):
            for text in _headers(child):
                yield f"table header ({child.objectName() or name})", text, child
        yield f"tool tip ({child.objectName() or name})", child.toolTip(), child
        yield f"accessible name ({child.objectName() or name})", child.accessibleName(), child
        yield f"accessible description ({name})", child.accessibleDescription(), child


def _where(widget: QWidget) -> str:
    """The widget's place, by its parents' class or object names (for the report)."""
    names: list[str] = []
    current: QWidget | None = widget
    while current is not None and len(names) < 4:
        names.append(current.objectName() or type(current).__name__)
        current = current.parentWidget()
    return " < ".join(names)


def cut_off(window: QWidget) -> Iterator[str]:
    """Labels and buttons narrower (or, word-wrapped, shorter) than their words need."""
    QApplication.processEvents()
    yield from _cut_off(window)


def _cut_off(window: QWidget) -> Iterator[str]:
    for child in window.findChildren(QWidget):
        if child.window() is not window or not child.isVisibleTo(window):
            continue
        if isinstance(child, QLabel) and child.text() and child.pixmap().isNull():
            if child.wordWrap():
                needed = child.heightForWidth(child.width())
                if needed > child.height() + 1:
                    yield (
                        f"label cut off (needs {needed} px high, has {child.height()}) in "
                        f"{_where(child)}: {child.text()!r}"
                    )
            elif child.width() + 1 < child.minimumSizeHint().width():
                yield (
                    f"label cut off (needs {child.minimumSizeHint().width()} px wide, has "
                    f"{child.width()}) in {_where(child)}: {child.text()!r}"
                )
        elif isinstance(child, QAbstractButton) and not isinstance(child, QToolButton):
            if child.text() and child.width() + 1 < child.minimumSizeHint().width():
                yield (
                    f"button cut off (needs {child.minimumSizeHint().width()} px, has "
                    f"{child.width()}) in {_where(child)}: {child.text()!r}"
                )
        elif isinstance(child, QScrollArea) and child.horizontalScrollBar().maximum() > 0:
            yield f"needs a horizontal scroll bar: {child.objectName() or 'a scroll area'}"


class Screens:
    """Problems found, screen by screen."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self.found: dict[str, list[str]] = {}

    def check(self, screen: str, window: QWidget) -> None:
        QApplication.sendPostedEvents()
        QApplication.processEvents()
        problems = self.found.setdefault(screen, [])
        for what, text, _widget in shown(window):
            if not any(char.isalpha() for char in text) or MARK in text:
                continue
            if self.data.only(text):
                continue
            line = f"not from the catalogue: {what}: {text!r}"
            if line not in problems:
                problems.append(line)
        for line in cut_off(window):
            if line not in problems:
                problems.append(line)

    def lines(self) -> list[str]:
        return [f"[{screen}] {line}" for screen, lines in self.found.items() for line in lines]


def fit(window: QWidget) -> None:
    """A window as a 1280×720 laptop shows it: a main window filling it, a dialog as large as
    it wants within it."""
    wanted = window.sizeHint().boundedTo(SCREEN) if window.parent() else SCREEN
    window.resize(wanted.expandedTo(window.minimumSizeHint()).boundedTo(SCREEN))
    window.show()
    QApplication.processEvents()


@pytest.mark.usefixtures("pseudo", "no_network", "memory_keyring")
def test_every_screen_reads_from_the_catalogue_and_nothing_is_cut_off(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.audit.store.factory import OTHER_POLICY
    from tests.ui.wizard.drive import go_to, wait_idle
    from ui.trust_window import TrustWindow
    from ui.wizard import Pages, RemovalWizard

    monkeypatch.setattr(RemovalWizard, "ask_confirm", classmethod(lambda *_a, **_k: True))
    history = history_data.fill(tmp_path / "history.db", tmp_path / "receipts")
    real = real_sources()
    main = MainWindow(
        Sources(None, real.scan_phone, None, phone_details=real.phone_details),
        auto_scan_local=False,
        today=lambda: DAY,
        history_path=history,
        receipts_dir=tmp_path / "receipts",
    )
    qtbot.addWidget(main)
    install_language_menu(main)
    fit(main)
    start_main_window(qtbot, main, timeout=WAIT_MS, policy=NZ)
    main.set_demo(True)
    qtbot.waitUntil(
        lambda: (s := main.sessions.get(DEMO_ADDRESS)) is not None and s.assessment is not None,
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: not main.ops.is_running(DEMO_ADDRESS), timeout=WAIT_MS)
    main.device_panel.select(DEMO_ADDRESS)
    assessment = main.sessions[DEMO_ADDRESS].assessment
    people = [(p, d, pol) for p, d, _o, _off, pol, _s in history_data.PLAN]
    data = Data([assessment, people, POLICY, OTHER_POLICY, main.presets, *NOT_OURS])
    screens = Screens(data)
    try:
        screens.check("main window, demo phone checked", main)
        wizard = main.removals.open_wizard(DEMO_ADDRESS)
        assert wizard is not None
        fit(wizard)  # the main window's: it is deleted when closed, so qtbot does not own it
        screens.check("removal window: review", wizard)
        for page in wizard.remove_ids:
            go_to(qtbot, wizard, page)
            screens.check(f"removal window: remove ({page - Pages.REMOVE + 1})", wizard)
        go_to(qtbot, wizard, Pages.VERIFY)
        wait_idle(qtbot, wizard)
        screens.check("removal window: verify", wizard)
        go_to(qtbot, wizard, Pages.EXEMPTIONS)
        screens.check("removal window: exemptions", wizard)
        go_to(qtbot, wizard, Pages.USB_DEBUGGING)
        screens.check("removal window: USB debugging", wizard)
        wizard.currentPage().skipped.setChecked(True)  # type: ignore[attr-defined]
        go_to(qtbot, wizard, Pages.ATTEST)
        screens.check("removal window: sign", wizard)
        wizard.busy_with = ""
        wizard.close()

        history_window = main.show_history()
        with qtbot.waitSignal(history_window.searched, timeout=WAIT_MS):
            history_window.reload()
        fit(history_window)
        screens.check("history", history_window)
        dashboard = main.show_dashboard()
        qtbot.waitUntil(lambda: dashboard.counts is not None, timeout=WAIT_MS)
        fit(dashboard)
        screens.check("dashboard", dashboard)
        trust = TrustWindow(main.recorder, main)  # the main window's, closed with it
        fit(trust)
        for tab in range(trust.tabs.count()):
            trust.tabs.setCurrentIndex(tab)
            screens.check(f"trust window, tab {tab + 1}", trust)
        trust.close()

        main.set_helpdesk(True)
        fit(main)
        screens.check("main window, helpdesk mode", main)
    finally:
        main.shutdown()
    lines = screens.lines()
    report = os.environ.get("DEVICE_AUDIT_PSEUDO_REPORT")
    if report:
        Path(report).write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert lines == [], "\n".join(lines[:80])
