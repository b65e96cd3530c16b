"""The version a person sees: Help › About and the receipt PDF say the version that git gave
(audit.version), and a copy that cannot tell its own says so in words instead of a number."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

import audit
from audit.attestation.receipt_text import ReceiptContent, Section, Table
from audit.version import UNKNOWN
from tests.ui.drive import start_main_window
from tests.ui.fakes import FeedTracker, Phones, fake_sources
from tests.ui.samples import DAY
from ui.main_window import MainWindow
from ui.receipt_pdf import receipt_html


@pytest.fixture
def window(qtbot: QtBot, phones: Phones, tracker: FeedTracker) -> Iterator[MainWindow]:
    main = MainWindow(fake_sources(phones, tracker), auto_scan_local=False, today=lambda: DAY)
    qtbot.addWidget(main)
    yield start_main_window(qtbot, main, timeout=5000)
    main.shutdown()


@pytest.fixture
def version(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """What audit.__version__ says in this test (worked out once per process, as the app does)."""
    monkeypatch.setattr(audit, "_version", "4.2.1.dev3+gabcdef12")
    yield "4.2.1.dev3+gabcdef12"


def shown_box() -> QMessageBox | None:
    return next(
        (w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()),
        None,
    )


def about_text(qtbot: QtBot, window: MainWindow) -> str:
    window.about_action.trigger()
    qtbot.waitUntil(lambda: shown_box() is not None)
    box = shown_box()
    assert box is not None
    text = box.text()
    box.close()
    return text


def test_about_says_the_version(qtbot: QtBot, window: MainWindow, version: str) -> None:
    assert f"Version {version}" in about_text(qtbot, window)


def test_about_says_in_words_when_the_version_is_unknown(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "_version", UNKNOWN)
    text = about_text(qtbot, window)
    assert "Version unknown: this copy was made without its git history" in text


def test_the_receipt_pdf_names_the_version_that_wrote_it(version: str) -> None:
    content = ReceiptContent(
        title="Attestation of compliance",
        kind_line="Compliant.",
        compliant=True,
        sections=(Section("Device", ()),),
        findings=Table("Findings", ("App",), (), "None."),
        actions=Table("Actions", ("Action",), (), "None."),
        fingerprint="ABCD",
        verify_hint="Verify with: device-audit verify receipt.json",
    )
    assert f"This copy was written by Device Audit {version}." in receipt_html(content)
