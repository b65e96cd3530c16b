"""The windows over the history: the history itself, the dashboard, receipts import, exports.

Split out of the main window: one window of each kind, made on first use and shown again
after; an import makes the open history and dashboard read the history again. Questions to
the person (which folder, where to save) stay the main window's, where tests answer them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from audit.i18n import _, ngettext
from ui.recorder import AuditRecorder

if TYPE_CHECKING:
    from ui.dashboard import DashboardWindow
    from ui.history import HistoryWindow
    from ui.receipts_import import ImportWindow


class HistoryWindows(QObject):
    """The history's windows of one main window."""

    message = Signal(str, int)
    failed = Signal(object)

    def __init__(
        self,
        window: QWidget,
        recorder: AuditRecorder,
        *,
        today: Callable[[], date],
        ask_folder: Callable[[str], str],
        ask_save_path: Callable[[str, str, str], str],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.ask_folder = ask_folder
        self.ask_save_path = ask_save_path
        self.recorder = recorder
        self.today = today
        self.windows: dict[str, QWidget] = {}  # the history, dashboard... (one of each)

    def show(self, name: str, make: Callable[[], QWidget]) -> QWidget:
        """One window of each kind, made on first use and shown again after."""
        window = self.windows.get(name)
        if window is None:
            window = make()
            self.windows[name] = window
            window.destroyed.connect(lambda _obj=None, n=name: self.windows.pop(n, None))
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def show_history(self) -> HistoryWindow:
        from ui.history import HistoryWindow

        return self.show(  # type: ignore[return-value]
            "history", lambda: HistoryWindow(self.recorder, self.window, today=self.today)
        )

    def show_dashboard(self, policy_id: str) -> DashboardWindow:
        from ui.dashboard import DashboardWindow

        def make() -> QWidget:
            return DashboardWindow(
                self.recorder, self.window, policy_id=policy_id, today=self.today
            )

        return self.show("dashboard", make)  # type: ignore[return-value]

    def import_receipts(self) -> ImportWindow | None:
        """Ask for a folder of receipts, and check and import them in a window of its own."""
        folder = self.ask_folder(_("Choose the folder of receipts to import"))
        if not folder:
            return None
        from ui.receipts_import import ImportWindow

        window = ImportWindow(self.recorder, Path(folder), self.window)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.finished.connect(self.reload)
        window.show()
        window.start()
        self.windows["import"] = window
        return window

    def reload(self) -> None:
        """The history and the dashboard, when open, read the history again (an import wrote
        to it)."""
        for name in ("history", "dashboard"):
            window = self.windows.get(name)
            if window is not None:
                window.reload()  # type: ignore[attr-defined]

    def export_audits(self, policy_id: str) -> None:
        """One row per person's device for the compliance office, as CSV or JSON (the file's
        ending decides), for a policy (every policy for "")."""
        from ui import exports

        day = self.today()
        chosen = self.ask_save_path(
            _("Export audits for the compliance office"),
            exports.suggested_name(policy_id, day),
            _(exports.FILTERS),
        )
        if not chosen:
            return
        path = exports.with_suffix(chosen)
        self.recorder.run(
            "history:export",
            lambda store, _p, _c: exports.export_audits_file(store, path, policy_id, day),
            lambda count: self.message.emit(
                ngettext(
                    "{count} row exported to {path}", "{count} rows exported to {path}", count
                ).format(count=count, path=path),
                15000,
            ),
            self.failed.emit,
            label=_("Exporting audits"),
            read_only=True,  # a compliance office's export: it never writes
        )
