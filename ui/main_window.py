"""The main window: devices on the left; the banner, the app table and the details on the right.

The window owns no business rules. It asks `audit` for inventories and assessments through the
one background helper (`ui.ops`), keeps the latest result per device, and shows the selected one.

Every judged scan, the removal window's actions and rechecks, and the signed receipt are written
to the history (ui.recorder). In helpdesk mode a queue of phones (ui.helpdesk) sits above the
rest; the history, the dashboard and the receipts import open in windows of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QFont,
    QFontMetrics,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from audit.errors import AuditError, DeviceError
from audit.model import (
    Assessment,
    DeviceKind,
    DeviceState,
    Exemption,
    Policy,
    ScanResult,
)
from audit.progress import CancelCheck, Progress
from ui import errors, settings
from ui.apps_model import (
    AppRow,
    AppsFilterProxy,
    AppsTableModel,
    Column,
    build_rows,
    column_widths,
)
from ui.availability import ActionFacts, Availability, attest_availability, remove_availability
from ui.banner import ComplianceBanner, banner_view, no_phone_view
from ui.details import DetailsPane, details_view
from ui.device_list import (
    LOCAL_ID,
    DeviceEntry,
    DeviceListModel,
    DevicePanel,
    PhoneEvent,
    PhoneWatcher,
    ScanPhase,
)
from ui.ops import Operations
from ui.plain import label, tooltip
from ui.recorder import AuditHandle, AuditRecorder
from ui.sources import Sources
from ui.tables import set_up_table

if TYPE_CHECKING:
    from ui.helpdesk import PhoneFacts, QueuePanel

log = logging.getLogger(__name__)

OPEN_FILE = "\x00open-file"
PROGRESS_DELAY_MS = 300


@dataclass
class Session:
    """What the window knows about one device."""

    scan: ScanResult | None = None
    assessment: Assessment | None = None
    error: BaseException | None = None
    rows: list[AppRow] | None = None
    audit: AuditHandle | None = None  # the audit its latest check was written to
    audits: dict[tuple[str, str], AuditHandle] = field(default_factory=dict)  # by policy
    wizard: Any = None  # its open removal window (ui.wizard.RemovalWizard)
    recorded_actions: int = 0  # how many of the open window's actions are in the history
    receipt: Any = None  # the VerifiedAttestation signed in its last removal window


@dataclass(frozen=True)
class ScanOutcome:
    scan: ScanResult
    assessment: Assessment | None
    policy: Policy | None


class MainWindow(QMainWindow):
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
        self.helpdesk = helpdesk
        self.auto_scan_local = auto_scan_local
        self.auto_scan_phones = auto_scan_phones
        self.today = today
        self.person = person
        self.receipts_dir = receipts_dir
        self.ops = Operations(self, max_workers=8)
        self.recorder = AuditRecorder(self.ops, history_path, self)
        self.recorder.not_recorded.connect(lambda words: self.statusBar().showMessage(words, 10000))
        self.recorder.failed.connect(self._on_history_failed)
        self._history_problem_shown = False
        self._queue_numbers: dict[str, int] = {}
        self._queue_facts: dict[str, PhoneFacts] = {}
        self.windows: dict[str, QWidget] = {}  # the history, dashboard... (one of each)
        self.devices = DeviceListModel(self)
        self.sessions: dict[str, Session] = {LOCAL_ID: Session()}
        self.presets: tuple[Policy, ...] = ()
        self.policy: Policy | None = None
        self.exemptions: tuple[Exemption, ...] = ()
        self.exemptions_path = ""
        self.demo = ""  # the demo phone's device id while it is on (ui.demo)
        self.watcher: PhoneWatcher | None = None
        self._shown_device = ""
        self._policy_index = 0
        self._started = False

        self._build_actions()
        self._build_widgets()
        self._build_menus()
        self._build_status_bar()
        self._connect()
        self.resize(1280, 860)
        splitter_states = settings.restore_window(self)
        for splitter, state in zip(self._splitters(), splitter_states, strict=False):
            splitter.restoreState(state)
        # The outer splitter's state has the queue in it: applied when the queue is made.
        self._saved_outer = splitter_states[2] if len(splitter_states) > 2 else None
        self.device_panel.select(LOCAL_ID)
        self._show_device(LOCAL_ID)
        self.set_helpdesk(helpdesk)

    # --- construction ------------------------------------------------------------------------

    def _action(
        self, text: str, slot: Callable[[], object] | None, shortcut: Any = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        if slot is not None:
            action.triggered.connect(lambda _=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        self.scan_action = self._action(
            "&Scan", self.scan_current, "F5", "List the apps on the selected device (F5)"
        )
        self.cancel_action = self._action(
            "S&top", self.cancel_current, "Esc", "Stop checking the selected device (Esc)"
        )
        self.cancel_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.remove_action = self._action(
            "&Remove…", lambda: self.open_wizard(self.current_id()), "Ctrl+R"
        )
        self.attest_action = self._action(
            "&Attest…", lambda: self.open_wizard(self.current_id()), "Ctrl+Shift+A"
        )
        self.export_action = self._action(
            "&Export inventory…",
            self.export_inventory,
            "Ctrl+E",
            "Save the list of apps on the selected device as a JSON inventory file",
        )
        self.export_audits_action = self._action(
            "Export a&udits for the compliance office…",
            self.export_audits,
            "Ctrl+Shift+E",
            "Save one row per person's device, with its result, dates, exemption and receipt, "
            "as CSV or JSON",
        )
        self.import_action = self._action(
            "&Import receipts…",
            self.import_receipts,
            "Ctrl+I",
            "Check and add the signed receipts in a folder (staff made them on their own "
            "computers) to the history",
        )
        self.history_action = self._action(
            "&History", self.show_history, "Ctrl+H", "Every audit made or imported, searchable"
        )
        self.dashboard_action = self._action(
            "&Dashboard",
            self.show_dashboard,
            "Ctrl+Shift+D",
            "Who is compliant, overdue or excepted under a policy, with a chart",
        )
        self.helpdesk_action = self._action(
            "Helpdesk &mode",
            None,
            "Ctrl+Shift+H",
            "A queue of the phones plugged in at the bench, each checked at once",
        )
        self.helpdesk_action.setCheckable(True)
        self.helpdesk_action.toggled.connect(self._on_helpdesk_toggled)
        self.queue_focus_action = self._action(
            "Go to the &queue", self._focus_queue, "F6", "Move to the list of phones (F6)"
        )
        self.queue_next_action = self._action(
            "&Next phone that needs me",
            lambda: self._queue_step(1),
            "F7",
            "Select the next phone in the queue that needs you (F7)",
        )
        self.queue_previous_action = self._action(
            "&Previous phone that needs me",
            lambda: self._queue_step(-1),
            "Shift+F7",
            "Select the previous phone in the queue that needs you (Shift+F7)",
        )
        self.open_policy_action = self._action(
            "&Open policy file…", self.open_policy_file, key.Open, "Use a policy file"
        )
        self.exemptions_action = self._action(
            "Load e&xemptions file…",
            self.open_exemptions_file,
            "Ctrl+Shift+O",
            "Load the exemptions your organisation granted",
        )
        self.find_action = self._action("&Find app", self._focus_filter, key.Find)
        self.quit_action = self._action("&Quit", self.close, key.Quit)
        self.demo_action = self._action(
            "Try the &demo phone",
            None,
            "Ctrl+D",
            "Add a SIMULATED phone, to try Device Audit without a real one",
        )
        self.demo_action.setCheckable(True)
        self.demo_action.toggled.connect(self.set_demo)
        self.guide_action = self._action(
            "How to switch on &USB debugging", lambda: self.show_guide(""), key.HelpContents
        )
        self.turn_off_action = self._action(
            "Switch USB debugging &off again", lambda: self.show_guide("turn-off")
        )
        self.udev_action = self._action(
            "USB permissions on &Linux", lambda: self.show_guide("linux-usb-permissions")
        )
        self.log_action = self._action("Open the &log folder", self._open_log_folder)
        self.about_action = self._action("&About Device Audit", self._about)

    def _build_widgets(self) -> None:
        self.policy_box = QComboBox(self)
        self.policy_box.setObjectName("policyBox")
        self.policy_box.setAccessibleName("Policy")
        self.policy_box.setToolTip("The policy to check devices against")
        self.policy_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.policy_box.setMinimumContentsLength(30)
        self._fill_policy_box()

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        policy_label = label("&Policy:", self, wrap=False, selectable=False)
        policy_label.setTextFormat(Qt.TextFormat.PlainText)
        policy_label.setBuddy(self.policy_box)
        toolbar.addWidget(policy_label)
        toolbar.addWidget(self.policy_box)
        toolbar.addAction(self.exemptions_action)
        toolbar.addSeparator()
        for action in (
            self.scan_action,
            self.cancel_action,
            self.remove_action,
            self.attest_action,
            self.export_action,
        ):
            toolbar.addAction(action)
        for button in toolbar.findChildren(QToolButton):
            if button.defaultAction() is not None:
                button.setAccessibleName(button.defaultAction().text().replace("&", ""))

        self.device_panel = DevicePanel(self.devices, self)
        self.queue_panel: QueuePanel | None = None  # made when helpdesk mode is first on
        self._build_table()
        self._layout_widgets()

    def _build_table(self) -> None:
        self.banner = ComplianceBanner(self)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText("Type to filter: app name, identifier, profile…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter apps")
        self.flagged_box = QCheckBox("&Flagged only", self)
        self.flagged_box.setAccessibleName("Show flagged apps only")
        self.user_box = QCheckBox("&User-installed only", self)
        self.user_box.setAccessibleName("Show user-installed apps only")
        self.count_label = label("", self, wrap=False, selectable=False, name="countLabel")

        self.apps = AppsTableModel(self)
        self.proxy = AppsFilterProxy(self)
        self.proxy.setSourceModel(self.apps)
        self.table = QTableView(self)
        header = set_up_table(
            self.table,
            self.proxy,
            name="appsTable",
            accessible_name="Apps on the selected device",
        )
        bold = QFont(self.table.font())
        bold.setBold(True)  # some styles draw headers in bold
        for column, width in column_widths(self.table.fontMetrics(), QFontMetrics(bold)):
            header.resizeSection(column, width)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        header.setSectionsMovable(True)
        self.table.setSortingEnabled(True)
        header.setSortIndicator(Column.FINDING, Qt.SortOrder.AscendingOrder)

        self.details = DetailsPane(self)

    def _layout_widgets(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.flagged_box)
        filters.addWidget(self.user_box)
        filters.addWidget(self.count_label)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.banner)
        right_layout.addLayout(filters)
        self.table_split = QSplitter(Qt.Orientation.Vertical, self)
        self.table_split.setObjectName("tableSplit")
        self.table_split.addWidget(self.table)
        self.table_split.addWidget(self.details)
        self.table_split.setStretchFactor(0, 3)
        self.table_split.setStretchFactor(1, 2)
        self.table_split.setSizes([420, 300])
        right_layout.addWidget(self.table_split, 1)

        self.main_split = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_split.setObjectName("mainSplit")
        self.main_split.addWidget(self.device_panel)
        self.main_split.addWidget(right)
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

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_policy_action)
        file_menu.addAction(self.exemptions_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.export_audits_action)
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        device_menu = bar.addMenu("&Device")
        for action in (
            self.scan_action,
            self.cancel_action,
            self.remove_action,
            self.attest_action,
        ):
            device_menu.addAction(action)
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.find_action)
        view_menu.addSeparator()
        view_menu.addAction(self.history_action)
        view_menu.addAction(self.dashboard_action)
        view_menu.addSeparator()
        view_menu.addAction(self.helpdesk_action)
        view_menu.addAction(self.queue_focus_action)
        view_menu.addAction(self.queue_next_action)
        view_menu.addAction(self.queue_previous_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.demo_action)
        help_menu.addSeparator()
        help_menu.addAction(self.guide_action)
        help_menu.addAction(self.turn_off_action)
        help_menu.addAction(self.udev_action)
        help_menu.addSeparator()
        help_menu.addAction(self.log_action)
        help_menu.addAction(self.about_action)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setAccessibleName("Progress")
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setMaximumWidth(220)
        self.progress_text = label("", self, wrap=False, selectable=False, name="progressText")
        self.progress_cancel = QToolButton(self)
        self.progress_cancel.setDefaultAction(self.cancel_action)
        self.progress_cancel.setAccessibleName("Stop")
        bar.addPermanentWidget(self.progress_text)
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.progress_cancel)
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_DELAY_MS)
        self._progress_timer.timeout.connect(self._update_progress_widgets)
        self._set_progress_visible(False)

    def _connect(self) -> None:
        self.device_panel.view.selectionModel().currentChanged.connect(self._on_device_selected)
        self.device_panel.guide_requested.connect(self._on_guide_requested)
        self.devices.dataChanged.connect(self._on_device_changed)
        self.filter_edit.textChanged.connect(self._on_filter_text)
        self.flagged_box.toggled.connect(self._on_flagged_only)
        self.user_box.toggled.connect(self._on_user_only)
        self.table.selectionModel().selectionChanged.connect(self._on_app_selected)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self.policy_box.activated.connect(self._on_policy_chosen)
        self.ops.progress.connect(self._on_progress)
        self.ops.running_changed.connect(self._on_running_changed)
        self.devices.dataChanged.connect(self._sync_queue)
        self.devices.rowsInserted.connect(self._sync_queue)
        self.devices.rowsRemoved.connect(self._sync_queue)

    def _splitters(self) -> list[QSplitter]:
        return [self.main_split, self.table_split, self.outer_split]

    # --- start and stop ------------------------------------------------------------------------

    def start(self) -> None:
        """Work that waits until the window is on screen: policies, the phone tracker, scans."""
        if self._started:
            return
        self._started = True
        self._load_policies(settings.last_policy(), settings.last_exemptions())
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

    # --- policies --------------------------------------------------------------------------

    def _fill_policy_box(self) -> None:
        """Presets, then the policy file in use (if any), then "Open policy file…"."""
        box = self.policy_box
        box.blockSignals(True)
        box.clear()
        box.addItem("Choose your policy…", "")
        for preset in self.presets:
            box.addItem(preset.title, preset.id)
        current = self.policy
        key = _policy_key(current)
        if current is not None and box.findData(key) < 0:
            box.addItem(f"{current.title} (from a file)", key)
        box.addItem("Open policy file…", OPEN_FILE)
        box.setCurrentIndex(max(box.findData(key), 0))
        self._policy_index = box.currentIndex()
        for i in range(box.count()):
            box.setItemData(i, tooltip(box.itemText(i)), Qt.ItemDataRole.ToolTipRole)
        box.blockSignals(False)

    def _load_policies(self, last: str, exemptions_path: str) -> None:
        def work(_progress: Progress, _cancelled: CancelCheck) -> tuple[Any, ...]:
            from audit.policy import list_presets, load_exemptions, load_policy

            presets = list_presets()
            policy: Policy | None = None
            problems: list[BaseException] = []
            if last:
                try:
                    policy = load_policy(last)
                except AuditError as error:
                    problems.append(error)
            exemptions: tuple[Exemption, ...] = ()
            if exemptions_path:
                try:
                    exemptions = load_exemptions(exemptions_path)
                except AuditError as error:
                    problems.append(error)
            return presets, policy, exemptions, problems

        def done(result: tuple[Any, ...]) -> None:
            presets, policy, exemptions, problems = result
            self.presets = presets
            if not self.exemptions_path:
                self.exemptions = exemptions
                self.exemptions_path = exemptions_path if exemptions else ""
            if self.policy is None and not self.ops.is_running("policy"):
                self._set_policy(policy, remember=False)
            else:
                self._fill_policy_box()
            for problem in problems:
                errors.show_error(self, problem)
            if self.demo:
                self._choose_demo_policy()

        self.ops.start("presets", work, done, self._show_error, label="Loading policies")

    def choose_policy(self, name_or_path: str, *, remember: bool = True) -> None:
        """Load a preset by id or a policy file by path, and judge every device against it."""

        def work(_progress: Progress, _cancelled: CancelCheck) -> Policy:
            from audit.policy import load_policy

            return load_policy(name_or_path)

        def failed(error: BaseException) -> None:
            self.policy_box.setCurrentIndex(self._policy_index)
            self._show_error(error)

        self.ops.start(
            "policy",
            work,
            lambda policy: self._set_policy(policy, remember=remember),
            failed,
            label="Loading the policy",
        )

    def _set_policy(self, policy: Policy | None, remember: bool = True) -> None:
        self.policy = policy
        self._fill_policy_box()
        if remember:
            settings.set_last_policy(_policy_key(policy))
        for device_id in self.sessions:
            self._reassess(device_id)
        self._refresh()

    @Slot(int)
    def _on_policy_chosen(self, index: int) -> None:
        data = self.policy_box.itemData(index)
        if data == OPEN_FILE:
            self.policy_box.setCurrentIndex(self._policy_index)
            self.open_policy_file()
        elif not data:
            self._policy_index = index
            self._set_policy(None)
        elif data != _policy_key(self.policy):
            self.choose_policy(str(data))

    def open_policy_file(self) -> None:
        path = self.ask_open_path("Open a policy file", "Policy files (*.toml);;All files (*)")
        if path:
            self.choose_policy(path)

    def open_exemptions_file(self) -> None:
        path = self.ask_open_path("Load an exemptions file", "Exemptions (*.toml);;All files (*)")
        if not path:
            return

        def work(_progress: Progress, _cancelled: CancelCheck) -> tuple[Exemption, ...]:
            from audit.policy import load_exemptions

            return load_exemptions(path)

        def done(exemptions: tuple[Exemption, ...]) -> None:
            self.exemptions = exemptions
            self.exemptions_path = path
            settings.set_last_exemptions(path)
            for device_id in self.sessions:
                self._reassess(device_id)
            self.statusBar().showMessage(f"{len(exemptions)} exemptions loaded.", 5000)

        self.ops.start("exemptions", work, done, self._show_error, label="Loading exemptions")

    def ask_open_path(self, title: str, filters: str) -> str:
        """Ask for a file to open; tests replace this."""
        path, _ = QFileDialog.getOpenFileName(self, title, "", filters)
        return path

    def ask_save_path(self, title: str, suggested: str, filters: str) -> str:
        """Ask where to save; tests replace this."""
        path, _ = QFileDialog.getSaveFileName(self, title, suggested, filters)
        return path

    # --- devices -----------------------------------------------------------------------------

    def current_id(self) -> str:
        return self.device_panel.selected_id() or LOCAL_ID

    def session(self, device_id: str) -> Session:
        return self.sessions.setdefault(device_id, Session())

    @Slot(object)
    def on_phone_event(self, event: PhoneEvent) -> None:
        entry = self.devices.entry(event.serial)
        if event.state is DeviceState.GONE:
            if entry is None:
                return
            session = self.session(event.serial)
            if (
                session.scan is None
                and session.error is None
                and not self.ops.is_running(event.serial)
            ):
                self.devices.remove(event.serial)  # nothing to show about it: let it go
                self.sessions.pop(event.serial, None)
                self._refresh()
                return
            # A running scan reports the loss itself, as an error or an incomplete scan.
        if entry is None:
            entry = DeviceEntry(
                id=event.serial,
                name=f"Android phone {event.serial}",
                kind=DeviceKind.ANDROID,
                manufacturer=event.manufacturer,
            )
            self.session(event.serial)
        name = " ".join(event.name.split())
        came_back = entry.state is not DeviceState.READY and event.state is DeviceState.READY
        entry = replace(
            entry,
            state=event.state,
            guidance=event.guidance,
            manufacturer=event.manufacturer or entry.manufacturer,
            name=entry.name
            if entry.simulated or not name or self.session(event.serial).scan
            else name,
        )
        self.devices.upsert(entry)
        session = self.session(event.serial)
        if (
            event.state is DeviceState.READY
            and self.auto_scan_phones
            and not self.ops.is_running(event.serial)
            and (
                session.scan is None
                # At the bench a phone plugged in again is checked again, unless its removal
                # window is open (it checks itself) or it is finished.
                or (self.helpdesk and came_back and session.wizard is None and not session.receipt)
            )
        ):
            self.scan(event.serial)
        self._refresh()

    @Slot(object)
    def _on_tracker_failed(self, error: BaseException) -> None:
        message = errors.describe(error)
        self.device_panel.show_tracker_problem(
            f"Phones cannot be seen right now. {message.text} {message.next_step}".strip()
        )

    @Slot(QModelIndex, QModelIndex)
    def _on_device_selected(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._refresh()

    @Slot(QModelIndex, QModelIndex)
    def _on_device_changed(self, first: QModelIndex, last: QModelIndex) -> None:
        if first.row() <= self.devices.row_of(self.current_id()) <= last.row():
            self._refresh()

    # --- scanning --------------------------------------------------------------------------

    def scan_current(self) -> None:
        self.scan(self.current_id())

    def scan(self, device_id: str) -> None:
        entry = self.devices.entry(device_id)
        if entry is None:
            return
        if entry.state is not DeviceState.READY:
            self.statusBar().showMessage(entry.advice, 10000)
            return
        work = self._checker(entry, self.policy)
        if work is None:
            self.statusBar().showMessage("This device cannot be checked here.", 5000)
            return
        self.session(device_id).error = None
        self.devices.update(device_id, phase=ScanPhase.SCANNING, progress="")
        self.ops.start(
            device_id,
            work,
            lambda outcome: self._scan_done(device_id, outcome),
            lambda error: self._scan_failed(device_id, error),
            on_cancelled=lambda: self._scan_cancelled(device_id),
            label=f"Checking {entry.title}",
        )
        self._refresh()

    def _scanner(self, entry: DeviceEntry) -> Callable[[Progress, CancelCheck], ScanResult] | None:
        if entry.kind is DeviceKind.COMPUTER:
            return self.sources.scan_local
        scan_phone = self.sources.scan_phone
        if scan_phone is None:
            return None
        serial = entry.id
        return lambda progress, cancelled: scan_phone(serial, progress, cancelled)

    def _details(self, entry: DeviceEntry) -> Callable[[Collection[str]], Mapping[str, Any]] | None:
        """How to read the details (version, install dates) of some of a phone's apps."""
        fetch = self.sources.phone_details
        if entry.kind is not DeviceKind.ANDROID or fetch is None:
            return None
        serial = entry.id
        return lambda packages: fetch(serial, packages)

    def _checker(
        self, entry: DeviceEntry, policy: Policy | None
    ) -> Callable[[Progress, CancelCheck], ScanOutcome] | None:
        """The whole check of a device, off the GUI thread: the scan, then (with a policy) the
        judgement with the details of the flagged apps (audit.assess)."""
        scanner = self._scanner(entry)
        if scanner is None:
            return None
        judge = None if policy is None else self._judgement(policy, self._details(entry))

        def check(progress: Progress, cancelled: CancelCheck) -> ScanOutcome:
            if judge is None:
                return ScanOutcome(scanner(progress, cancelled), None, None)
            from audit.assess import SCAN_SHARE

            scan = scanner(lambda part, words: progress(part * SCAN_SHARE, words), cancelled)
            assessment = judge(scan, progress, cancelled)
            return ScanOutcome(assessment.scan, assessment, policy)

        return check

    def _judgement(
        self, policy: Policy, details: Callable[[Collection[str]], Mapping[str, Any]] | None
    ) -> Callable[[ScanResult, Progress, CancelCheck], Assessment]:
        """The judgement of a scan off the GUI thread, with this window's exemptions, day and
        person as they are now (audit.assess: the details of flagged apps read on the way)."""
        exemptions, day, person = self.exemptions, self.today(), self.person

        def judge(scan: ScanResult, progress: Progress, cancelled: CancelCheck) -> Assessment:
            from audit.assess import judge_with_details

            return judge_with_details(
                scan,
                policy,
                exemptions,
                day=day,
                person=person,
                details=details,
                progress=progress,
                cancelled=cancelled,
            )

        return judge

    def _scan_done(self, device_id: str, outcome: ScanOutcome) -> None:
        session = self.session(device_id)
        session.scan = outcome.scan
        session.assessment = outcome.assessment
        session.error = None
        session.rows = None
        complete = outcome.scan.complete
        device = outcome.scan.device
        changes: dict[str, Any] = {
            "phase": ScanPhase.SCANNED if complete else ScanPhase.INCOMPLETE,
            "status": outcome.assessment.status if outcome.assessment else None,
            "progress": "",
        }
        entry = self.devices.entry(device_id)
        if entry is not None and device.kind is DeviceKind.ANDROID and device.name:
            changes["name"] = "Demo phone" if entry.simulated else device.name
            changes["manufacturer"] = device.manufacturer or entry.manufacturer
            changes["simulated"] = entry.simulated or device.simulated
        self.devices.update(device_id, **changes)
        if outcome.assessment is not None:
            self._record(device_id, outcome.assessment)
        if outcome.policy is not self.policy:
            self._reassess(device_id)
        if not complete:
            gaps = ", ".join(g.name for g in outcome.scan.gaps)
            self.statusBar().showMessage(
                f"The check of {entry.title if entry else device.name} is incomplete: "
                f"{gaps} could not be read. Scan again to finish it.",
                15000,
            )
        self._refresh()

    def _scan_failed(self, device_id: str, error: BaseException) -> None:
        if not isinstance(error, AuditError):
            errors.show_error(self, error)
        else:
            log.info("scan of %s failed: %s", device_id, error.message)
        session = self.session(device_id)
        session.error = error
        entry = self.devices.update(device_id, phase=ScanPhase.FAILED, progress="")
        message = errors.describe(error)
        name = entry.title if entry else device_id
        self.statusBar().showMessage(f"{name}: {message.text} {message.next_step}", 20000)
        if isinstance(error, DeviceError) and entry is not None and entry.state is DeviceState.GONE:
            self.devices.update(device_id, phase=ScanPhase.FAILED)
        self._refresh()

    def _scan_cancelled(self, device_id: str) -> None:
        session = self.session(device_id)
        phase = ScanPhase.NOT_SCANNED
        if session.scan is not None:
            phase = ScanPhase.SCANNED if session.scan.complete else ScanPhase.INCOMPLETE
        self.devices.update(device_id, phase=phase, progress="")
        self.statusBar().showMessage("Check stopped.", 5000)
        self._refresh()

    def cancel_current(self) -> None:
        self.ops.cancel(self.current_id())

    def _reassess(self, device_id: str) -> None:
        session = self.sessions.get(device_id)
        if session is None or session.scan is None:
            return
        scan, policy = session.scan, self.policy
        if policy is None:
            session.assessment = None
            session.rows = None
            self.devices.update(device_id, status=None)
            return
        entry = self.devices.entry(device_id)
        # A phone still plugged in is asked about the apps this policy newly flags.
        ready = entry is not None and entry.state is DeviceState.READY
        details = self._details(entry) if entry is not None and ready else None
        judge = self._judgement(policy, details)

        def work(progress: Progress, cancelled: CancelCheck) -> Assessment:
            return judge(scan, progress, cancelled)

        def done(assessment: Assessment) -> None:
            if session.scan is not scan:
                return  # a newer scan arrived and was judged with its own policy
            session.scan = assessment.scan  # with the details of what it flags
            session.assessment = assessment
            session.rows = None
            self.devices.update(device_id, status=assessment.status)
            self._record(device_id, assessment)
            self._refresh()

        self.ops.start(f"assess:{device_id}", work, done, self._show_error)

    # --- progress --------------------------------------------------------------------------

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
        """Show progress for the selected device once its work has run a moment (quick work
        never flashes a progress bar)."""
        key = self.current_id()
        if not self.ops.is_running(key):
            self._set_progress_visible(False)
            return
        wait_ms = PROGRESS_DELAY_MS - round(self.ops.running_for(key) * 1000)
        if wait_ms > 0:
            self._progress_timer.start(wait_ms)
            self._set_progress_visible(False)
            return
        latest = self.ops.current_progress(key)
        fraction, message = latest if latest is not None else (0.0, self.ops.label(key))
        self.progress_bar.setValue(round(fraction * 100))
        self.progress_text.setText(message)
        self._set_progress_visible(True)

    def _set_progress_visible(self, visible: bool) -> None:
        self.progress_bar.setVisible(visible)
        self.progress_text.setVisible(visible)
        self.progress_cancel.setVisible(visible)

    # --- showing the selected device ---------------------------------------------------------

    def _refresh(self) -> None:
        self._show_device(self.current_id())

    def _show_device(self, device_id: str) -> None:
        if self.helpdesk and device_id not in self._queue_numbers:
            self._show_no_phone()
            return
        entry = self.devices.entry(device_id)
        session = self.session(device_id)
        if session.rows is None:
            session.rows = build_rows(session.scan, session.assessment)
        if device_id != self._shown_device or self.apps.rows is not session.rows:
            selected = self._selected_app_key()
            self.apps.set_rows(session.rows)
            header = self.table.horizontalHeader()
            if header.sortIndicatorSection() != Column.FINDING or (
                header.sortIndicatorOrder() != Qt.SortOrder.AscendingOrder
            ):
                self.proxy.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
            if device_id == self._shown_device:
                self._reselect(selected)
            self._shown_device = device_id
        self.banner.set_view(
            banner_view(
                entry,
                self.policy,
                session.assessment,
                session.error,
                len(session.scan.apps) if session.scan is not None else None,
            )
        )
        self.device_panel.show_advice(entry)
        self._update_count()
        self._on_app_selected()
        self._update_actions()
        if self.ops.is_running(device_id):
            self._update_progress_widgets()
        else:
            self._set_progress_visible(False)

    def _show_no_phone(self) -> None:
        """Helpdesk mode with no phone of the queue selected: say so, show nothing else."""
        if self._shown_device or self.apps.rows:
            self.apps.set_rows([])
        self._shown_device = ""
        self.banner.set_view(no_phone_view(self.policy))
        self._update_count()
        self._on_app_selected()
        self._update_actions()
        self._set_progress_visible(False)

    def _selected_app_key(self) -> tuple[str, str] | None:
        row = self.proxy.row_at(self.table.currentIndex())
        return (row.app.identifier, row.app.user) if row is not None else None

    def _reselect(self, key: tuple[str, str] | None) -> None:
        if key is None:
            return
        for source_row, row in enumerate(self.apps.rows):
            if (row.app.identifier, row.app.user) == key:
                index = self.proxy.mapFromSource(self.apps.index(source_row, 0))
                if index.isValid():
                    self.table.setCurrentIndex(index)
                return

    def _update_actions(self) -> None:
        device_id = self.current_id()
        if self.helpdesk and device_id not in self._queue_numbers:
            self.scan_action.setText("&Scan")
            for action in (
                self.scan_action,
                self.cancel_action,
                self.export_action,
                self.remove_action,
                self.attest_action,
            ):
                action.setEnabled(False)
            _set_availability(
                self.remove_action, Availability(False, "Select a phone in the queue first.")
            )
            _set_availability(
                self.attest_action, Availability(False, "Select a phone in the queue first.")
            )
            return
        entry = self.devices.entry(device_id)
        session = self.session(device_id)
        running = self.ops.is_running(device_id)
        ready = entry is not None and entry.state is DeviceState.READY
        self.scan_action.setText("Re&scan" if session.scan is not None else "&Scan")
        self.scan_action.setEnabled(ready and not running)
        self.cancel_action.setEnabled(running)
        self.export_action.setEnabled(session.scan is not None)
        facts = self.action_facts(device_id)
        _set_availability(self.remove_action, remove_availability(facts))
        _set_availability(self.attest_action, attest_availability(facts))

    def action_facts(self, device_id: str) -> ActionFacts:
        entry = self.devices.entry(device_id)
        session = self.session(device_id)
        assessment = session.assessment
        return ActionFacts(
            is_phone=entry is not None and entry.kind is DeviceKind.ANDROID,
            state=entry.state if entry is not None else DeviceState.GONE,
            policy_chosen=self.policy is not None,
            scanning=self.ops.is_running(device_id),
            scanned=assessment is not None,
            complete=session.scan is not None and session.scan.complete,
            status=assessment.status if assessment is not None else None,
            violations=len(assessment.violations) if assessment is not None else 0,
            wizard_open=session.wizard is not None,
        )

    @Slot()
    def _update_count(self, *_args: object) -> None:
        total = self.apps.rowCount()
        shown = self.proxy.rowCount()
        if total == 0:
            self.count_label.setText("")
        elif shown == total:
            self.count_label.setText(f"{total} apps")
        else:
            self.count_label.setText(f"Showing {shown} of {total} apps")

    @Slot()
    def _on_app_selected(self, *_args: object) -> None:
        device_id = self.current_id()
        session = self.session(device_id)
        row = self.proxy.row_at(self.table.currentIndex())
        if row is None:
            selected = self.table.selectionModel().selectedRows()
            row = self.proxy.row_at(selected[0]) if selected else None
        self.details.show_view(
            details_view(
                row.app if row else None,
                row.finding if row else None,
                session.scan,
                session.assessment,
                self.policy,
            )
        )

    def select_app(self, identifier: str, user: str = "") -> bool:
        """Select the first row of this app (and user); True if it is shown."""
        for proxy_row in range(self.proxy.rowCount()):
            row = self.proxy.row_at(self.proxy.index(proxy_row, 0))
            if row is not None and row.app.identifier == identifier and user in ("", row.app.user):
                self.table.selectRow(proxy_row)
                self.table.setCurrentIndex(self.proxy.index(proxy_row, 0))
                return True
        return False

    # --- filter ------------------------------------------------------------------------------

    @Slot(str)
    def _on_filter_text(self, text: str) -> None:
        self.proxy.set_text(text)

    @Slot(bool)
    def _on_flagged_only(self, on: bool) -> None:
        self.proxy.set_flagged_only(on)

    @Slot(bool)
    def _on_user_only(self, on: bool) -> None:
        self.proxy.set_user_installed_only(on)

    def _focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    # --- export ------------------------------------------------------------------------------

    def export_inventory(self) -> None:
        session = self.session(self.current_id())
        scan = session.scan
        if scan is None:
            return
        suggested = f"{scan.device.name or 'device'}-inventory.json".replace("/", "-")
        path = self.ask_save_path(
            "Export the inventory", suggested, "Inventory files (*.json);;All files (*)"
        )
        if not path:
            return

        def work(_progress: Progress, _cancelled: CancelCheck) -> str:
            from audit import inventory

            inventory.save(scan, Path(path))
            return path

        self.ops.start(
            "export",
            work,
            lambda saved: self.statusBar().showMessage(f"Inventory saved to {saved}", 10000),
            self._show_error,
        )

    # --- the history ---------------------------------------------------------------------------

    def _record(self, device_id: str, assessment: Assessment) -> AuditHandle | None:
        """Write a judged scan to the device's audit under its policy, or begin one (a first
        scan under that policy, or after a signed receipt closed the last)."""
        session = self.session(device_id)
        if session.wizard is not None:
            return None  # its removal window writes the audit it is working on
        return self._audit_for(session, assessment)

    def _audit_for(self, session: Session, assessment: Assessment) -> AuditHandle:
        key = (assessment.policy.id, assessment.policy.sha256)
        handle = session.audits.get(key)
        if handle is None or handle.closed or handle.device_id != assessment.scan.device.id:
            handle = self.recorder.begin(assessment, staff_id=self.person)
            session.audits[key] = handle
        else:
            self.recorder.add_assessment(handle, assessment)
        session.audit = handle
        return handle

    @Slot(object)
    def _on_history_failed(self, error: BaseException) -> None:
        message = errors.describe(error)
        self.statusBar().showMessage(
            f"The audit could not be saved in the history: {message.text} {message.next_step}",
            30000,
        )
        if not self._history_problem_shown:  # once: the status bar tells of later ones
            self._history_problem_shown = True
            errors.show_error(self, error)

    # --- the removal window --------------------------------------------------------------------

    def open_wizard(self, device_id: str) -> Any:
        """Open the removal and attestation window for a device (or show the one open)."""
        session = self.session(device_id)
        if session.wizard is not None:
            session.wizard.show()
            session.wizard.raise_()
            session.wizard.activateWindow()
            return session.wizard
        facts = self.action_facts(device_id)
        availability = attest_availability(facts)
        assessment = session.assessment
        if not availability.enabled or assessment is None:
            self.statusBar().showMessage(availability.why, 10000)
            return None
        from ui.wizard import open_removal_wizard

        handle = self._audit_for(session, assessment)
        session.recorded_actions = 0
        session.receipt = None
        wizard = open_removal_wizard(
            self,
            assessment=assessment,
            exemptions=self.exemptions,
            person=self.person,
            operations=self.ops,
            helpdesk=self.helpdesk,
            on_finished=lambda path: self._wizard_finished(device_id, wizard, handle, path),
            adb_port=self.sources.adb_port,
            rescan=self._scanner_for(device_id, assessment.policy),
            receipts_dir=self.receipts_dir,
        )
        session.wizard = wizard
        if self.helpdesk:
            wizard.currentIdChanged.connect(lambda _page: self._prefill_technician(wizard))
        wizard.rescanned.connect(
            lambda after: self._wizard_rescanned(device_id, wizard, handle, after)
        )
        wizard.receipt_saved.connect(
            lambda saved: self._wizard_signed(device_id, wizard, handle, saved)
        )
        wizard.changed.connect(self._sync_queue)
        self._sync_queue()
        self._update_actions()
        return wizard

    def _scanner_for(
        self, device_id: str, policy: Policy | None
    ) -> Callable[[Progress, CancelCheck], ScanResult] | None:
        """The removal window's check again: a scan with the details of what `policy` flags
        (the window judges it itself)."""
        entry = self.devices.entry(device_id)
        check = self._checker(entry, policy) if entry is not None else None
        if check is None:
            return None
        return lambda progress, cancelled: check(progress, cancelled).scan

    def _wizard_actions(self, device_id: str, wizard: Any, handle: AuditHandle) -> None:
        """Write the window's actions not written yet."""
        session = self.session(device_id)
        actions = wizard.session.actions
        self.recorder.add_actions(handle, actions[session.recorded_actions :])
        session.recorded_actions = len(actions)

    def _wizard_rescanned(
        self, device_id: str, wizard: Any, handle: AuditHandle, after: Assessment
    ) -> None:
        session = self.session(device_id)
        if session.wizard is not wizard:
            return
        self._wizard_actions(device_id, wizard, handle)
        self.recorder.add_assessment(handle, after)
        policy = self.policy
        session.scan = after.scan
        session.rows = None
        session.error = None
        same_policy = policy is not None and (policy.id, policy.sha256) == (
            after.policy.id,
            after.policy.sha256,
        )
        session.assessment = after if same_policy else None
        self.devices.update(
            device_id,
            phase=ScanPhase.SCANNED if after.scan.complete else ScanPhase.INCOMPLETE,
            status=after.status if same_policy else None,
        )
        if not same_policy:
            self._reassess(device_id)
        self._refresh()

    def _wizard_signed(self, device_id: str, wizard: Any, handle: AuditHandle, saved: Any) -> None:
        session = self.session(device_id)
        if session.wizard is not wizard or session.receipt is not None:
            return
        verified = saved.verified
        attester = verified.attester
        self._wizard_actions(device_id, wizard, handle)
        self.recorder.add_receipt(
            handle,
            Path(saved.path),
            person_name=attester.name,
            staff_id=attester.staff_id,
            technician=attester.technician,
        )
        session.receipt = verified
        if self.helpdesk and attester.technician:
            settings.set_technician(attester.technician)
        self._sync_queue()

    def _wizard_finished(
        self, device_id: str, wizard: Any, handle: AuditHandle, path: str | None
    ) -> None:
        session = self.sessions.get(device_id)
        if session is None or session.wizard is not wizard:
            return
        if wizard.saved is not None:
            self._wizard_signed(device_id, wizard, handle, wizard.saved)
        self._wizard_actions(device_id, wizard, handle)
        session.wizard = None
        if path:
            self.statusBar().showMessage(f"Receipt saved: {path}", 15000)
        self._sync_queue()
        self._update_actions()

    def _prefill_technician(self, wizard: Any) -> None:
        """At the bench the same technician signs phone after phone: when the signing page
        comes, offer the name signed with last."""
        from ui.wizard import Pages

        if wizard.currentId() != Pages.ATTEST:
            return
        name = settings.technician()
        field = getattr(wizard.currentPage(), "technician", None)
        if name and field is not None and not field.text():
            field.setText(name)

    def open_wizards(self) -> dict[str, Any]:
        return {d: s.wizard for d, s in self.sessions.items() if s.wizard is not None}

    # --- helpdesk mode -------------------------------------------------------------------------

    @Slot(bool)
    def _on_helpdesk_toggled(self, on: bool) -> None:
        self.set_helpdesk(on, remember=True)

    def set_helpdesk(self, on: bool, *, remember: bool = False) -> None:
        """Show or hide the queue; open removal windows keep the mode they were opened in."""
        self.helpdesk = on
        if self.helpdesk_action.isChecked() != on:
            self.helpdesk_action.blockSignals(True)
            self.helpdesk_action.setChecked(on)
            self.helpdesk_action.blockSignals(False)
        if remember:
            settings.set_helpdesk(on)
        if on:
            self._ensure_queue()
        if self.queue_panel is not None:
            self.queue_panel.setVisible(on)
        self.device_panel.setVisible(not on)
        for action in (self.queue_focus_action, self.queue_next_action, self.queue_previous_action):
            action.setEnabled(on)
        self.setWindowTitle("Device Audit \u2014 Helpdesk" if on else "Device Audit")
        self._sync_queue()
        if on and self.queue_panel is not None:
            self.queue_panel.select(self.current_id())
        self._refresh()

    def _ensure_queue(self) -> QueuePanel:
        """The queue, made the first time helpdesk mode is on (keeps start-up lean)."""
        if self.queue_panel is not None:
            return self.queue_panel
        from ui.helpdesk import QueuePanel

        queue = QueuePanel(self)
        self.queue_panel = queue
        self.outer_split.insertWidget(0, queue)
        self.outer_split.setStretchFactor(0, 2)
        self.outer_split.setStretchFactor(1, 5)
        self.outer_split.setSizes([260, 600])
        if self._saved_outer is not None:
            self.outer_split.restoreState(self._saved_outer)
        for first, second in (
            (self.policy_box, queue.view),
            (queue.view, queue.open_button),
            (queue.open_button, queue.next_button),
            (queue.next_button, queue.clear_button),
            (queue.clear_button, self.device_panel.view),
        ):
            QWidget.setTabOrder(first, second)
        queue.selected.connect(self._on_queue_selected)
        queue.open_requested.connect(self.open_wizard)
        queue.clear_requested.connect(self.clear_unplugged)
        return queue

    def phone_facts(self, serial: str) -> PhoneFacts:
        from ui.helpdesk import PhoneFacts

        entry = self.devices.entry(serial)
        session = self.sessions.get(serial) or Session()
        previous = self._queue_facts.get(serial)
        assessment = session.assessment
        wizard = session.wizard
        receipt = session.receipt
        plugged = entry is not None and entry.state is not DeviceState.GONE
        problem = ""
        if entry is not None and entry.phase is ScanPhase.FAILED and session.error is not None:
            message = errors.describe(session.error)
            problem = f"{message.text} {message.next_step}".strip()
        elif entry is not None and entry.phase is ScanPhase.INCOMPLETE:
            problem = "The check could not see everything: press F5 to check again"
        name = entry.title if entry is not None else (previous.name if previous else serial)
        if entry is not None and entry.simulated:
            name = entry.name
        return PhoneFacts(
            serial=serial,
            name=name,
            simulated=entry.simulated if entry is not None else False,
            plugged=plugged,
            ready=entry is not None and entry.state is DeviceState.READY,
            waiting_words=entry.advice if entry is not None else "",
            scanning=self.ops.is_running(serial),
            phase=entry.phase if entry is not None else ScanPhase.NOT_SCANNED,
            status=assessment.status if assessment is not None else None,
            violations=len(assessment.violations) if assessment is not None else 0,
            policy_chosen=self.policy is not None,
            wizard_open=wizard is not None,
            verified=wizard is not None
            and wizard.session.after is not None
            and wizard.session.can_attest,
            receipt_kind=("attestation" if receipt.compliant else "report") if receipt else "",
            person=f"{receipt.attester.name} ({receipt.attester.staff_id})" if receipt else "",
            problem=problem,
        )

    @Slot()
    def _sync_queue(self, *_args: object) -> None:
        """Bring the queue up to date with the devices, their checks and removal windows."""
        if not self.helpdesk or self.queue_panel is None:
            return
        from ui.helpdesk import queue_item

        for entry in self.devices.entries():
            if entry.kind is DeviceKind.ANDROID and entry.id not in self._queue_numbers:
                self._queue_numbers[entry.id] = len(self._queue_numbers) + 1
        items = []
        for serial, number in self._queue_numbers.items():
            facts = self.phone_facts(serial)
            self._queue_facts[serial] = facts
            items.append(queue_item(facts, number))
        self.queue_panel.set_items(items)
        if items and self.current_id() not in self._queue_numbers:
            # The banner, table and details below the queue follow its selected phone: with
            # none selected yet, the first that needs the technician (else the first) is.
            first = next((i for i in items if i.needs_you), items[0])
            self.queue_panel.select(first.serial)

    @Slot(str)
    def _on_queue_selected(self, serial: str) -> None:
        if self.devices.entry(serial) is not None and self.current_id() != serial:
            self.device_panel.select(serial)

    def _focus_queue(self) -> None:
        if self.helpdesk and self.queue_panel is not None:
            self.queue_panel.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _queue_step(self, step: int) -> None:
        if not self.helpdesk or self.queue_panel is None:
            return
        if not self.queue_panel.select_next(step):
            self.statusBar().showMessage("No phone in the queue needs you now.", 5000)
        self._focus_queue()

    def clear_unplugged(self) -> None:
        """Take unplugged phones off the queue (and the device list); their audits stay in the
        history. Phones whose removal window is still open stay."""
        for serial in list(self._queue_numbers):
            session = self.sessions.get(serial)
            entry = self.devices.entry(serial)
            if entry is not None and entry.state is not DeviceState.GONE:
                continue
            if session is not None and session.wizard is not None:
                continue
            del self._queue_numbers[serial]
            self._queue_facts.pop(serial, None)
            if entry is not None:
                self.devices.remove(serial)
            self.sessions.pop(serial, None)
        self._sync_queue()
        self._refresh()

    # --- history, dashboard, import, export ---------------------------------------------------

    def _window(self, name: str, make: Callable[[], QWidget]) -> QWidget:
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

    def show_history(self) -> Any:
        from ui.history import HistoryWindow

        return self._window("history", lambda: HistoryWindow(self.recorder, self, today=self.today))

    def show_dashboard(self) -> Any:
        from ui.dashboard import DashboardWindow

        def make() -> QWidget:
            policy = self.policy.id if self.policy is not None else ""
            return DashboardWindow(self.recorder, self, policy_id=policy, today=self.today)

        return self._window("dashboard", make)

    def import_receipts(self) -> Any:
        folder = self.ask_folder("Choose the folder of receipts to import")
        if not folder:
            return None
        from ui.receipts_import import ImportWindow

        window = ImportWindow(self.recorder, Path(folder), self)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.show()
        window.start()
        self.windows["import"] = window
        return window

    def export_audits(self, policy_id: str | None = None) -> None:
        """One row per person's device for the compliance office, as CSV or JSON (the file's
        ending decides), for the selected policy (every policy when none is chosen)."""
        from ui import exports

        if policy_id is None:
            policy_id = self.policy.id if self.policy is not None else ""
        day = self.today()
        chosen = self.ask_save_path(
            "Export audits for the compliance office",
            exports.suggested_name(policy_id, day),
            exports.FILTERS,
        )
        if not chosen:
            return
        path = exports.with_suffix(chosen)
        self.recorder.run(
            "history:export",
            lambda store, _p, _c: exports.export_audits_file(store, path, policy_id, day),
            lambda count: self.statusBar().showMessage(
                f"{count} row{'s' if count != 1 else ''} exported to {path}", 15000
            ),
            self._show_error,
            label="Exporting audits",
        )

    def ask_folder(self, title: str) -> str:
        """Ask for a folder; tests replace this."""
        return QFileDialog.getExistingDirectory(self, title, "")

    # --- demo and help -------------------------------------------------------------------------

    @Slot(bool)
    def set_demo(self, on: bool) -> None:
        if self.demo_action.isChecked() != on:
            self.demo_action.setChecked(on)  # toggled calls back with the same value
            return
        from ui import demo

        if on and not self.demo:
            if self.sources.scan_phone is None:
                self.statusBar().showMessage("The demo phone needs phone support.", 5000)
                self.demo_action.setChecked(False)
                return
            self.demo = demo.switch_on()
            self.devices.upsert(demo.entry())
            self._choose_demo_policy()
            self.on_phone_event(PhoneEvent(self.demo, DeviceState.READY))
        elif not on and self.demo:
            serial, self.demo = self.demo, ""
            demo.switch_off()
            self.ops.cancel(serial)
            self.devices.remove(serial)
            self.sessions.pop(serial, None)
            self._refresh()

    def _choose_demo_policy(self) -> None:
        """The demo needs a policy to show a flagged app; pick one if the person has none."""
        if self.policy is not None or not self.presets or self.ops.is_running("policy"):
            return
        ids = [p.id for p in self.presets]
        # Shown for the demo only: the person's own choice is what is remembered.
        self.choose_policy(DEMO_POLICY if DEMO_POLICY in ids else ids[0], remember=False)

    def show_guide(self, guide: str) -> None:
        from ui.guides import GuideDialog, guide_for

        dialog = GuideDialog(self, guide or guide_for(""))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @Slot(str)
    def _on_guide_requested(self, manufacturer: str) -> None:
        from ui.guides import guide_for

        self.show_guide(guide_for(manufacturer))

    def _open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(errors.log_file().parent)))

    def _about(self) -> None:
        from audit import __version__

        box = QMessageBox(self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowTitle("About Device Audit")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            f"Device Audit {__version__}\n\nFinds banned apps on this computer and on Android "
            "phones, explains why they are banned, and what to do next."
        )
        box.open()

    def _show_error(self, error: BaseException) -> None:
        errors.show_error(self, error)


DEMO_POLICY = "nz-parliament-2023"


def _set_availability(action: QAction, availability: Availability) -> None:
    action.setEnabled(availability.enabled)
    action.setToolTip(availability.why)
    action.setStatusTip(availability.why)


def _policy_key(policy: Policy | None) -> str:
    """How the window names a policy: a preset by its id, a file by its path."""
    if policy is None:
        return ""
    return policy.origin or policy.id
