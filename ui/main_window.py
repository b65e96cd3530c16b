"""The main window: devices on the left; the banner, the app table and the details on the right.

The window owns no business rules, and since issue 12 little state either: it lays out the
widgets, menus and actions and wires small controllers together with signals, the way
qutebrowser wires its components:

- ui.policies.PolicyController: the presets, the policy in force and the exemptions file;
- ui.scanning.DevicesController: the device list, one Session per device, the checks (through
  the one background helper, ui.ops);
- ui.removals.RemovalsController: removal windows, each device's audit in the history
  (ui.recorder) and the signatures still to make;
- ui.helpdesk_queue.QueueController: the helpdesk queue of the day (helpdesk mode);
- ui.history_windows.HistoryWindows: the history, dashboard, receipts import and exports;
- ui.device_view.DeviceView: the banner, the app table and the details of the selected device.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QSplitter,
    QWidget,
)

from audit.i18n import _, ngettext
from audit.model import DeviceState, Policy
from ui import errors, settings, team_history
from ui.availability import Availability, attest_availability, remove_availability
from ui.device_list import LOCAL_ID, DeviceListModel, DevicePanel, PhoneEvent, PhoneWatcher
from ui.device_view import DeviceView
from ui.helpdesk_queue import QueueController
from ui.history_windows import HistoryWindows
from ui.main_actions import MainWindowBase
from ui.ops import Operations
from ui.policies import DEMO_POLICY, PolicyController
from ui.recorder import AuditRecorder
from ui.removals import RemovalsController
from ui.scanning import DevicesController, ScanOutcome, Session
from ui.sources import Sources
from ui.status_progress import StatusProgress
from ui.windows import fit_to_screen, place

if TYPE_CHECKING:
    from ui.helpdesk import QueuePanel
    from ui.wizard import RemovalWizard

__all__ = ["DEMO_POLICY", "MainWindow", "ScanOutcome", "Session"]


class MainWindow(MainWindowBase):
    def __init__(
        self,
        sources: Sources,
        *,
        auto_scan_local: bool = True,
        auto_scan_phones: bool = True,
        helpdesk: bool = False,
        today: Callable[[], date] = date.today,
        person: str = "",
        history_path: Path | None = None,
        receipts_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Device Audit")
        self.sources = sources
        self.auto_scan_local = auto_scan_local
        self.today = today
        self.person = person
        self.receipts_dir = receipts_dir
        self.ops = Operations(self, max_workers=8)
        self.recorder = AuditRecorder(self.ops, history_path or team_history.chosen(), self)
        self.devices = DeviceListModel(self)
        self.demo = ""  # the demo phone's device id while it is on (ui.demo)
        self.watcher: PhoneWatcher | None = None
        self._started = False

        self._build_actions()
        self._connect_actions()
        self._build_widgets()
        self.scanning = DevicesController(
            sources,
            self.ops,
            self.devices,
            self.policies,
            today=today,
            person=person,
            auto_scan_phones=auto_scan_phones,
            helpdesk=lambda: self.helpdesk,
            parent=self,
        )
        self.scanning.session(LOCAL_ID)
        self.removals = RemovalsController(
            self,
            self.scanning,
            self.recorder,
            helpdesk=lambda: self.helpdesk,
            receipts_dir=receipts_dir,
            queue_action=self.queue_focus_action,
        )
        self.queue = QueueController(
            self.scanning,
            self.removals,
            self.recorder,
            today=today,
            current=self.current_id,
            on=helpdesk,
            parent=self,
        )
        self.history_windows = HistoryWindows(
            self,
            self.recorder,
            today=today,
            # Looked up when asked: tests replace the window's questions after it is made.
            ask_folder=lambda title: self.ask_folder(title),  # noqa: PLW0108
            ask_save_path=lambda *question: self.ask_save_path(*question),  # noqa: PLW0108
        )
        self._build_menus()
        self._build_status_bar()
        self._connect()
        fit_to_screen(self, 1280, 860)
        place(self)
        splitter_states = settings.restore_window(self)
        for splitter, state in zip(self._splitters(), splitter_states, strict=False):
            splitter.restoreState(state)
        # The outer splitter's state has the queue in it: applied when the queue is made.
        self._saved_outer = splitter_states[2] if len(splitter_states) > 2 else None
        self.device_panel.select(LOCAL_ID)
        self._show_device(LOCAL_ID)
        self.set_helpdesk(helpdesk)

    # --- the controllers' state, as the window's callers and tests read it ---------------------

    @property
    def helpdesk(self) -> bool:
        return self.queue.on if hasattr(self, "queue") else False

    @property
    def sessions(self) -> dict[str, Session]:
        return self.scanning.sessions

    @property
    def policy(self) -> Policy | None:
        return self.policies.policy

    @property
    def presets(self) -> tuple[Policy, ...]:
        return self.policies.presets

    @property
    def windows(self) -> dict[str, QWidget]:
        return self.history_windows.windows

    @property
    def queue_panel(self) -> QueuePanel | None:
        return self.queue.panel if hasattr(self, "queue") else None

    # --- construction ------------------------------------------------------------------------

    def _connect_actions(self) -> None:
        for action, slot in (
            (self.scan_action, self.scan_current),
            (self.cancel_action, self.cancel_current),
            (self.remove_action, lambda: self.open_wizard(self.current_id())),
            (self.attest_action, lambda: self.open_wizard(self.current_id())),
            (self.export_action, self.export_inventory),
            (self.export_audits_action, self.export_audits),
            (self.import_action, self.import_receipts),
            (self.history_action, self.show_history),
            (self.dashboard_action, self.show_dashboard),
            (self.queue_focus_action, self._focus_queue),
            (self.queue_next_action, lambda: self._queue_step(1)),
            (self.queue_previous_action, lambda: self._queue_step(-1)),
            (self.open_policy_action, self.open_policy_file),
            (self.exemptions_action, self.open_exemptions_file),
            (self.find_action, self._focus_filter),
            (self.quit_action, self.close),
            (self.guide_action, lambda: self.show_guide("")),
            (self.turn_off_action, lambda: self.show_guide("turn-off")),
            (self.udev_action, lambda: self.show_guide("linux-usb-permissions")),
            (self.log_action, self._open_log_folder),
            (self.about_action, self._about),
        ):
            action.triggered.connect(lambda _=False, run=slot: run())
        self.helpdesk_action.toggled.connect(self._on_helpdesk_toggled)
        self.demo_action.toggled.connect(self.set_demo)

    def _build_widgets(self) -> None:
        self.policies = PolicyController(self.ops, self)
        self.policy_box = self.policies.box

        self._build_toolbar(self.policy_box)

        self.device_panel = DevicePanel(self.devices, self)
        self.view = DeviceView(self)
        # The view's parts, by the names the window has always given them.
        self.banner, self.details = self.view.banner, self.view.details
        self.filter_edit, self.flagged_box = self.view.filter_edit, self.view.flagged_box
        self.user_box, self.count_label = self.view.user_box, self.view.count_label
        self.apps, self.proxy, self.table = self.view.apps, self.view.proxy, self.view.table
        self.table_split = self.view.table_split
        self._layout_widgets()

    def _layout_widgets(self) -> None:
        self.main_split = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_split.setObjectName("mainSplit")
        self.main_split.addWidget(self.device_panel)
        self.main_split.addWidget(self.view)
        self.main_split.setStretchFactor(0, 1)
        self.main_split.setStretchFactor(1, 4)
        self.main_split.setSizes([280, 1000])
        self.outer_split = QSplitter(Qt.Orientation.Vertical, self)
        self.outer_split.setObjectName("outerSplit")
        self.outer_split.addWidget(self.main_split)
        self.outer_split.setStretchFactor(0, 2)
        self.outer_split.setStretchFactor(1, 5)
        self.outer_split.setSizes([260, 600])
        self.outer_split.setChildrenCollapsible(False)
        self.setCentralWidget(self.outer_split)

        for first, second in (
            (self.policy_box, self.device_panel.view),
            (self.device_panel.view, self.device_panel.guide_button),
            (self.device_panel.guide_button, self.filter_edit),
            (self.filter_edit, self.flagged_box),
            (self.flagged_box, self.user_box),
            (self.user_box, self.table),
            (self.table, self.details),
        ):
            QWidget.setTabOrder(first, second)

    def _build_status_bar(self) -> None:
        self.progress = StatusProgress(self.statusBar(), self.ops, self.cancel_action, self)
        self.progress_bar = self.progress.progress_bar
        self.progress_text = self.progress.progress_text
        from ui.outbox_badge import OutboxBadge

        self.outbox_badge = OutboxBadge(self.statusBar(), self.recorder, self.send_now_action, self)
        self.outbox_badge.message.connect(self._status)

    def _connect(self) -> None:
        self.device_panel.view.selectionModel().currentChanged.connect(self._on_device_selected)
        self.device_panel.guide_requested.connect(self._on_guide_requested)
        self.devices.dataChanged.connect(self._on_device_changed)
        self.view.app_selected.connect(self._on_app_selected)
        self.policies.policy_changed.connect(self._on_policy_changed)
        self.policies.exemptions_changed.connect(self._on_exemptions_changed)
        self.policies.presets_loaded.connect(self._on_presets_loaded)
        self.policies.open_file_requested.connect(self.open_policy_file)
        self.policies.failed.connect(self._show_error)
        self.ops.progress.connect(self._on_progress)
        self.ops.running_changed.connect(self._on_running_changed)
        self.scanning.changed.connect(self._refresh)
        self.scanning.scanned.connect(self.removals.mark_unsigned)
        self.scanning.judged.connect(self.removals.record)
        self.removals.closed.connect(self._refresh)
        self.queue.changed.connect(self._refresh)
        for controller in (self.scanning, self.removals, self.history_windows):
            controller.message.connect(self._status)
            controller.failed.connect(self._show_error)
        self.devices.dataChanged.connect(self.queue.sync)
        self.devices.rowsInserted.connect(self.queue.sync)
        self.devices.rowsRemoved.connect(self.queue.sync)

    def _splitters(self) -> list[QSplitter]:
        return [self.main_split, self.table_split, self.outer_split]

    # --- start and stop ------------------------------------------------------------------------

    def start(self) -> None:
        """Work that waits until the window is on screen: policies, the phone tracker, scans."""
        if self._started:
            return
        self._started = True
        self.recorder.refresh_waiting()  # audits an earlier run kept on this computer
        self.policies.load(settings.last_policy(), settings.last_exemptions())
        if self.sources.track_phones is not None:
            self.watcher = PhoneWatcher(self.sources.track_phones, self)
            self.watcher.changed.connect(self.on_phone_event)
            self.watcher.failed.connect(self._on_tracker_failed)
            self.watcher.start()
        if self.auto_scan_local and self.sources.scan_local is not None:
            self.scan(LOCAL_ID)

    def closeEvent(self, event: QCloseEvent) -> None:
        settings.save_window(self, [s.saveState() for s in self._splitters()])
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.recorder.close()  # before the helper stops: every audit asked for is written
        self.ops.shutdown()
        if self.demo:
            from ui.demo import switch_off

            switch_off()
            self.demo = ""

    # --- policies ------------------------------------------------------------------------------

    def choose_policy(self, name_or_path: str, *, remember: bool = True) -> None:
        """Load a preset by id or a policy file by path, and judge every device against it."""
        self.policies.choose(name_or_path, remember=remember)

    @Slot()
    def _on_policy_changed(self) -> None:
        self.queue.load_signed_today()
        for device_id in list(self.sessions):
            self.removals.mark_unsigned(device_id)
            self.scanning.reassess(device_id)
        self._refresh()

    @Slot(int)
    def _on_exemptions_changed(self, count: int) -> None:
        for device_id in list(self.sessions):
            self.scanning.reassess(device_id)
        loaded = ngettext("{count} exemption loaded.", "{count} exemptions loaded.", count)
        self._status(loaded.format(count=count), 5000)

    @Slot()
    def _on_presets_loaded(self) -> None:
        if self.demo:
            self.policies.choose_for_demo()

    def open_policy_file(self) -> None:
        path = self.ask_open_path(
            _("Open a policy file"), _("Policy files (*.toml);;All files (*)")
        )
        if path:
            self.choose_policy(path)

    def open_exemptions_file(self) -> None:
        path = self.ask_open_path(
            _("Load an exemptions file"), _("Exemptions (*.toml);;All files (*)")
        )
        if path:
            self.policies.load_exemptions(path)

    def ask_open_path(self, title: str, filters: str) -> str:
        """Ask for a file to open; tests replace this."""
        path, _chosen_filter = QFileDialog.getOpenFileName(self, title, "", filters)
        return path

    def ask_save_path(self, title: str, suggested: str, filters: str) -> str:
        """Ask where to save; tests replace this."""
        path, _chosen_filter = QFileDialog.getSaveFileName(self, title, suggested, filters)
        return path

    def ask_folder(self, title: str) -> str:
        """Ask for a folder; tests replace this."""
        return QFileDialog.getExistingDirectory(self, title, "")

    # --- devices and checks --------------------------------------------------------------------

    def current_id(self) -> str:
        return self.device_panel.selected_id() or LOCAL_ID

    def session(self, device_id: str) -> Session:
        return self.scanning.session(device_id)

    @Slot(object)
    def on_phone_event(self, event: PhoneEvent) -> None:
        self.scanning.on_phone_event(event)

    @Slot(object)
    def _on_tracker_failed(self, error: BaseException) -> None:
        message = errors.describe(error)
        unseen = _("Phones cannot be seen right now.")
        self.device_panel.show_tracker_problem(
            f"{unseen} {message.text} {message.next_step}".strip()
        )

    @Slot(QModelIndex, QModelIndex)
    def _on_device_selected(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._refresh()

    @Slot(QModelIndex, QModelIndex)
    def _on_device_changed(self, first: QModelIndex, last: QModelIndex) -> None:
        if first.row() <= self.devices.row_of(self.current_id()) <= last.row():
            self._refresh()

    def scan_current(self) -> None:
        self.scan(self.current_id())

    def scan(self, device_id: str) -> None:
        self.scanning.scan(device_id)

    def cancel_current(self) -> None:
        self.ops.cancel(self.current_id())

    def export_inventory(self) -> None:
        scan = self.session(self.current_id()).scan
        if scan is None:
            return
        suggested = f"{scan.device.name or 'device'}-inventory.json".replace("/", "-")
        path = self.ask_save_path(
            _("Export the inventory"), suggested, _("Inventory files (*.json);;All files (*)")
        )
        if path:
            self.scanning.export(scan, Path(path))

    # --- progress ------------------------------------------------------------------------------

    @Slot(str, float, str)
    def _on_progress(self, key: str, fraction: float, _message: str) -> None:
        if self.devices.entry(key) is not None:
            self.devices.update(key, progress=f"{fraction:.0%}")
        if key == self.current_id():
            self._update_progress_widgets()

    @Slot(str, bool)
    def _on_running_changed(self, key: str, _running: bool) -> None:
        if key == self.current_id():
            self._update_progress_widgets()
            self._update_actions()

    def _update_progress_widgets(self) -> None:
        self.progress.show_for(self.current_id())

    # --- showing the selected device -----------------------------------------------------------

    @Slot()
    def _refresh(self, *_args: object) -> None:
        self._show_device(self.current_id())

    def _show_device(self, device_id: str) -> None:
        session = self.session(device_id)
        if self.queue.hides(device_id):
            self.view.show_no_phone(session, self.policy)
            self._update_actions()
            self.progress.set_visible(False)
            return
        entry = self.devices.entry(device_id)
        unsigned = self.removals.signature_pending(device_id)
        self.view.show_device(device_id, entry, session, self.policy, unsigned=unsigned)
        self.device_panel.show_advice(entry)
        self._update_actions()
        if self.ops.is_running(device_id):
            self._update_progress_widgets()
        else:
            self.progress.set_visible(False)

    def _update_actions(self) -> None:
        device_id = self.current_id()
        if self.queue.hides(device_id):
            self.scan_action.setText(_("&Scan"))
            for action in (
                self.scan_action,
                self.cancel_action,
                self.export_action,
                self.remove_action,
                self.attest_action,
            ):
                action.setEnabled(False)
            for action in (self.remove_action, self.attest_action):
                _set_availability(
                    action, Availability(False, _("Select a phone in the queue first."))
                )
            return
        entry = self.devices.entry(device_id)
        session = self.session(device_id)
        running = self.ops.is_running(device_id)
        ready = entry is not None and entry.state is DeviceState.READY
        self.scan_action.setText(_("Re&scan") if session.scan is not None else _("&Scan"))
        self.scan_action.setEnabled(ready and not running)
        self.cancel_action.setEnabled(running)
        self.export_action.setEnabled(session.scan is not None)
        facts = self.removals.facts(device_id)
        _set_availability(self.remove_action, remove_availability(facts))
        _set_availability(self.attest_action, attest_availability(facts))

    @Slot()
    def _on_app_selected(self, *_args: object) -> None:
        self.view.show_details(self.session(self.current_id()), self.policy)

    def select_app(self, identifier: str, user: str = "") -> bool:
        """Select the first row of this app (and user); True if it is shown."""
        return self.view.select_app(identifier, user)

    def _focus_filter(self) -> None:
        self.view.focus_filter()

    # --- the removal window --------------------------------------------------------------------

    def open_wizard(self, device_id: str) -> RemovalWizard | None:
        """Open the removal and attestation window for a device (or show the one open)."""
        wizard = self.removals.open_wizard(device_id)
        self._update_actions()
        return wizard

    def open_wizards(self) -> dict[str, RemovalWizard]:
        return self.removals.open_wizards()

    # --- helpdesk mode -------------------------------------------------------------------------

    @Slot(bool)
    def _on_helpdesk_toggled(self, on: bool) -> None:
        self.set_helpdesk(on, remember=True)

    def set_helpdesk(self, on: bool, *, remember: bool = False) -> None:
        """Show or hide the queue; open removal windows keep the mode they were opened in."""
        self.queue.on = on
        if self.helpdesk_action.isChecked() != on:
            self.helpdesk_action.blockSignals(True)
            self.helpdesk_action.setChecked(on)
            self.helpdesk_action.blockSignals(False)
        if remember:
            settings.set_helpdesk(on)
        if on:
            self._ensure_queue()
            self.queue.load_signed_today()
        if self.queue_panel is not None:
            self.queue_panel.setVisible(on)
        self.device_panel.setVisible(not on)
        for action in (self.queue_focus_action, self.queue_next_action, self.queue_previous_action):
            action.setEnabled(on)
        self.setWindowTitle(_("Helpdesk \u2014 Device Audit") if on else "Device Audit")
        self.queue.sync()
        if on and self.queue_panel is not None:
            self.queue_panel.select(self.current_id())
        self._refresh()

    def _ensure_queue(self) -> QueuePanel:
        """The queue, made the first time helpdesk mode is on (keeps start-up lean)."""
        if self.queue.panel is not None:
            return self.queue.panel
        queue = self.queue.make_panel(self, after=self.policy_box, before=self.device_panel.view)
        self.outer_split.insertWidget(0, queue)
        self.outer_split.setStretchFactor(0, 2)
        self.outer_split.setStretchFactor(1, 5)
        self.outer_split.setSizes([260, 600])
        if self._saved_outer is not None:
            self.outer_split.restoreState(self._saved_outer)
        queue.selected.connect(self._on_queue_selected)
        queue.open_requested.connect(self.open_wizard)
        return queue

    @Slot(str)
    def _on_queue_selected(self, serial: str) -> None:
        if self.devices.entry(serial) is not None and self.current_id() != serial:
            self.device_panel.select(serial)

    def _focus_queue(self) -> None:
        if self.helpdesk and self.queue_panel is not None:
            if not self.isActiveWindow():  # F6 pressed in a removal window
                self.raise_()
                self.activateWindow()
            self.queue_panel.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _queue_step(self, step: int) -> None:
        if not self.helpdesk or self.queue_panel is None:
            return
        if not self.queue_panel.select_next(step):
            self._status(_("No phone in the queue needs you now."), 5000)
        self._focus_queue()

    def clear_unplugged(self) -> None:
        """Take unplugged phones off the queue; their audits stay in the history."""
        self.queue.clear_unplugged()

    # --- history, dashboard, import, export ----------------------------------------------------

    def show_history(self) -> Any:
        return self.history_windows.show_history()

    def show_dashboard(self) -> Any:
        return self.history_windows.show_dashboard(self.policy.id if self.policy else "")

    def import_receipts(self) -> Any:
        return self.history_windows.import_receipts()

    def export_audits(self, policy_id: str | None = None) -> None:
        """Audits for the compliance office: the selected policy's (every policy: none)."""
        if policy_id is None:
            policy_id = self.policy.id if self.policy is not None else ""
        self.history_windows.export_audits(policy_id)

    # --- demo and help -------------------------------------------------------------------------

    @Slot(bool)
    def set_demo(self, on: bool) -> None:
        if self.demo_action.isChecked() != on:
            self.demo_action.setChecked(on)  # toggled calls back with the same value
            return
        if on and not self.demo:
            self.demo = self.scanning.add_demo()
            if not self.demo:
                self._status(_("The demo phone needs phone support."), 5000)
                self.demo_action.setChecked(False)
        elif not on and self.demo:
            serial, self.demo = self.demo, ""
            self.scanning.remove_demo(serial)

    @Slot(str, int)
    def _status(self, words: str, milliseconds: int) -> None:
        self.statusBar().showMessage(words, milliseconds)

    @Slot(object)
    def _show_error(self, error: BaseException) -> None:
        errors.show_error(self, error)


def _set_availability(action: QAction, availability: Availability) -> None:
    action.setEnabled(availability.enabled)
    action.setToolTip(availability.why)
    action.setStatusTip(availability.why)
