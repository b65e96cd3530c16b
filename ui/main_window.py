"""The main window: devices on the left; the banner, the app table and the details on the right.

The window owns no business rules. It asks `audit` for inventories and assessments through the
one background helper (`ui.ops`), keeps the latest result per device, and shows the selected one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
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
from ui.apps_model import AppRow, AppsFilterProxy, AppsTableModel, Column, build_rows
from ui.banner import ComplianceBanner, banner_view
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
from ui.sources import Sources

log = logging.getLogger(__name__)

OPEN_FILE = "\x00open-file"
PROGRESS_DELAY_MS = 300
COMING_REMOVE = (
    "Coming soon: a guided removal that does it for you. For now, select a banned app and "
    "follow its next step."
)
COMING_ATTEST = "Coming soon: sign a statement that this device is compliant."


@dataclass
class Session:
    """What the window knows about one device."""

    scan: ScanResult | None = None
    assessment: Assessment | None = None
    error: BaseException | None = None
    rows: list[AppRow] | None = None


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
        self.ops = Operations(self)
        self.devices = DeviceListModel(self)
        self.sessions: dict[str, Session] = {LOCAL_ID: Session()}
        self.presets: tuple[Policy, ...] = ()
        self.policy: Policy | None = None
        self.exemptions: tuple[Exemption, ...] = ()
        self.exemptions_path = ""
        self.demo: Any = None  # ui.demo.DemoPhone while the demo phone is on
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
        self.device_panel.select(LOCAL_ID)
        self._show_device(LOCAL_ID)

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
        self.remove_action = self._action("&Remove…", None, tip=COMING_REMOVE)
        self.remove_action.setEnabled(False)
        self.attest_action = self._action("&Attest…", None, tip=COMING_ATTEST)
        self.attest_action.setEnabled(False)
        self.export_action = self._action(
            "&Export inventory…",
            self.export_inventory,
            "Ctrl+E",
            "Save the list of apps on the selected device as a JSON inventory file",
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
        self.table.setObjectName("appsTable")
        self.table.setAccessibleName("Apps on the selected device")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        widths = {
            Column.NAME: 180,
            Column.IDENTIFIER: 210,
            Column.VERSION: 80,
            Column.USER: 110,
            Column.STATE: 120,
            Column.SOURCE: 140,
        }
        for column, width in widths.items():
            header.resizeSection(column, width)
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
        self.setCentralWidget(self.main_split)

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

    def _splitters(self) -> list[QSplitter]:
        return [self.main_split, self.table_split]

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
        self.ops.shutdown()
        if self.demo is not None:
            self.demo.stop(wait=True)
            self.demo = None

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
            if self.demo is not None:
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
        simulated = self.demo is not None and self.demo.serial == event.serial
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
                name="Demo phone" if simulated else f"Android phone {event.serial}",
                kind=DeviceKind.ANDROID,
                simulated=simulated,
                manufacturer=event.manufacturer,
            )
            self.session(event.serial)
        name = " ".join(event.name.split())
        entry = replace(
            entry,
            state=event.state,
            guidance=event.guidance,
            simulated=entry.simulated or simulated,
            manufacturer=event.manufacturer or entry.manufacturer,
            name=entry.name
            if entry.simulated or not name or self.session(event.serial).scan
            else name,
        )
        self.devices.upsert(entry)
        if (
            event.state is DeviceState.READY
            and self.auto_scan_phones
            and self.session(event.serial).scan is None
            and not self.ops.is_running(event.serial)
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
        scanner = self._scanner(entry)
        if scanner is None:
            self.statusBar().showMessage("This device cannot be checked here.", 5000)
            return
        policy = self.policy
        exemptions = self.exemptions
        day = self.today()
        person = self.person

        def work(progress: Progress, cancelled: CancelCheck) -> ScanOutcome:
            scan = scanner(progress, cancelled)
            if policy is None:
                return ScanOutcome(scan, None, None)
            from audit.policy import evaluate

            progress(1.0, "Checking the apps against the policy")
            assessment = evaluate(scan, policy, exemptions, day=day, person=person)
            return ScanOutcome(scan, assessment, policy)

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
        scan, policy, exemptions = session.scan, self.policy, self.exemptions
        day, person = self.today(), self.person
        if policy is None:
            session.assessment = None
            session.rows = None
            self.devices.update(device_id, status=None)
            return

        def work(_progress: Progress, _cancelled: CancelCheck) -> Assessment:
            from audit.policy import evaluate

            return evaluate(scan, policy, exemptions, day=day, person=person)

        def done(assessment: Assessment) -> None:
            if session.scan is not scan:
                return  # a newer scan arrived and was judged with its own policy
            session.assessment = assessment
            session.rows = None
            self.devices.update(device_id, status=assessment.status)
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
        entry = self.devices.entry(device_id)
        session = self.session(device_id)
        running = self.ops.is_running(device_id)
        ready = entry is not None and entry.state is DeviceState.READY
        self.scan_action.setText("Re&scan" if session.scan is not None else "&Scan")
        self.scan_action.setEnabled(ready and not running)
        self.cancel_action.setEnabled(running)
        self.export_action.setEnabled(session.scan is not None)

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

    # --- demo and help -------------------------------------------------------------------------

    @Slot(bool)
    def set_demo(self, on: bool) -> None:
        if self.demo_action.isChecked() != on:
            self.demo_action.setChecked(on)  # toggled calls back with the same value
            return
        if on and self.demo is None:
            from ui.demo import DemoPhone

            if self.sources.adb is None:
                self.statusBar().showMessage("The demo phone needs phone support.", 5000)
                self.demo_action.setChecked(False)
                return
            self.demo = DemoPhone(self.ops, self.sources.adb, self)
            self.demo.ready.connect(self._on_demo_ready)
            self.demo.failed.connect(self._on_demo_failed)
            self.demo.start()
            self._choose_demo_policy()
        elif not on and self.demo is not None:
            serial = self.demo.serial
            self.demo.stop()
            self.demo = None
            if serial:
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

    @Slot(str)
    def _on_demo_ready(self, serial: str) -> None:
        if self.devices.entry(serial) is not None:
            self.devices.update(serial, simulated=True, name="Demo phone")
            self._refresh()

    @Slot(object)
    def _on_demo_failed(self, error: BaseException) -> None:
        self.demo = None
        self.demo_action.blockSignals(True)
        self.demo_action.setChecked(False)
        self.demo_action.blockSignals(False)
        self._show_error(error)

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


def _policy_key(policy: Policy | None) -> str:
    """How the window names a policy: a preset by its id, a file by its path."""
    if policy is None:
        return ""
    return policy.origin or policy.id
