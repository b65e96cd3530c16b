"""UI test isolation: every test gets its own settings file and organisation name."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from tests.ui.fakes import FeedTracker, Phones
from tests.ui.history_data import fill
from ui.ops import Operations
from ui.recorder import AuditRecorder


@pytest.fixture(autouse=True)
def isolated_settings(qapp: QApplication, tmp_path: Path) -> Iterator[Path]:
    """QSettings.setPath to a temporary folder and a per-test organisation (MNELAB's pattern)."""
    folder = tmp_path / "qsettings"
    previous = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QCoreApplication.setOrganizationName(f"device-audit-test-{uuid.uuid4().hex[:12]}")
    QCoreApplication.setApplicationName("Device Audit")
    yield folder
    QCoreApplication.setOrganizationName(previous[0])
    QCoreApplication.setApplicationName(previous[1])


@pytest.fixture
def keep_alive() -> Iterator[list[object]]:
    """Holds windows a test made without a parent until pytest-qt has closed them.

    qtbot keeps only weak references: when the test returns, the last reference to such a
    window goes, and Python deletes it directly, possibly from a garbage collection run in
    the middle of Qt delivering a deferred delete to one of its children (which then crashes).
    The app's own windows always have the main window as parent.
    """
    kept: list[object] = []
    yield kept


@pytest.fixture
def phones() -> Phones:
    """Phones the fake sources scan (tests/ui/fakes.py)."""
    return Phones()


@pytest.fixture
def tracker() -> FeedTracker:
    """What the fake sources report as plugged in and unplugged; the test feeds it."""
    return FeedTracker()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A history with audits in it (tests/ui/history_data.py); a module may start empty instead."""
    return fill(tmp_path / "history.sqlite3", tmp_path / "receipts")


@pytest.fixture
def recorder(db: Path) -> Iterator[AuditRecorder]:
    """The windows' history writer and reader over `db`, closed after the test."""
    ops = Operations(max_workers=2)
    recorder = AuditRecorder(ops, db)
    yield recorder
    recorder.close()
    ops.shutdown()


# The offscreen platform cannot resize a window to its size hints and says so whenever a
# top-level window's minimum size changes, nor raise a window (the helpdesk brings an open
# removal window to the front); that is the test platform talking, not our code.
OFFSCREEN_NOISE = r"This plugin does not support (propagateSizeHints|raise)\(\)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))
