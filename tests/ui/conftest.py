"""UI test isolation: every test gets its own settings file and organisation name."""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import (
    QApplication,
    QColorDialog,
    QDialog,
    QFileDialog,
    QFontDialog,
    QInputDialog,
    QMenu,
    QMessageBox,
    QWidget,
)

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


# Everything that runs a nested event loop until a person answers. Under a test nobody answers,
# and pytest-timeout cannot end the wait: its alarm is a Python signal handler, which runs only
# when Qt's loop next calls Python (a slot, a timer), and the failure it raises there is
# swallowed by that slot's wrapper while the loop goes on. So the whole run hangs. The static
# helpers run their loop in C++, out of reach of a Python exec(), so they are replaced too.
_EXEC: tuple[tuple[type, str], ...] = (
    (QDialog, "exec"),
    (QDialog, "exec_"),
    (QMenu, "exec"),
    (QMenu, "exec_"),
)
_STATIC: tuple[tuple[type, tuple[str, ...]], ...] = (
    (QMessageBox, ("about", "aboutQt", "critical", "information", "question", "warning")),
    (
        QFileDialog,
        (
            "getExistingDirectory",
            "getExistingDirectoryUrl",
            "getOpenFileName",
            "getOpenFileNames",
            "getOpenFileUrl",
            "getOpenFileUrls",
            "getSaveFileName",
            "getSaveFileUrl",
        ),
    ),
    (QInputDialog, ("getDouble", "getInt", "getItem", "getMultiLineText", "getText")),
    (QColorDialog, ("getColor",)),
    (QFontDialog, ("getFont",)),
)


@pytest.fixture(autouse=True)
def unanswered_modals(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A modal dialog that the test did not answer fails the test instead of hanging the run.

    A test answers a question by replacing the window's hook (`ask_confirm`, `ask_save_path`,
    ...). Should the code reach a real modal loop instead, it is not entered: exec() returns as
    if the person pressed Escape and the code carries on (a static helper such as
    QFileDialog.getSaveFileName raises where it was called), and the test fails at teardown,
    after pytest-qt has closed its windows (closing a wizard may ask), naming the dialog and
    where it was opened. A test that opens one on purpose clears the list this yields.
    """
    opened: list[str] = []

    def record(what: str) -> None:
        where = "".join(traceback.format_stack(limit=8)[:-2])
        opened.append(f"{what}, opened at:\n{where}")

    def no_exec(widget: QWidget, *_args: Any) -> int:
        text = widget.text() if isinstance(widget, QMessageBox) else ""
        record(f"{type(widget).__name__} {widget.windowTitle()!r} {text!r}")
        return 0  # QDialog.Rejected; a QMessageBox's clickedButton() stays None

    for cls, name in _EXEC:
        monkeypatch.setattr(cls, name, no_exec)
    for kind, names in _STATIC:
        for name in names:

            def no_static(*args: Any, _what: str = f"{kind.__name__}.{name}", **_: Any) -> None:
                record(f"{_what}{args[1:3]!r}")
                raise AssertionError(f"{_what}: a modal dialog the test did not answer")

            monkeypatch.setattr(kind, name, staticmethod(no_static))
    yield opened
    if opened:
        pytest.fail(
            "a modal dialog was opened that the test did not answer (replace the window's "
            "ask_* hook):\n" + "\n".join(opened),
            pytrace=False,
        )


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
