"""The right-hand side of the main window: the banner, the filters, the app table, the details.

Split out of the main window so that the window lays out and the view shows: this widget
knows how to show a list of rows (keeping the selected app when the same device's rows are
replaced, and the person's sort order), filter them as the person types, count them, and find
an app. What to show comes from the window; the view holds no device state beyond which
device's rows are on screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from audit.i18n import _, ngettext
from audit.model import Policy
from ui.apps_model import (
    AppRow,
    AppsFilterProxy,
    AppsTableModel,
    Column,
    build_rows,
    column_widths,
)
from ui.banner import ComplianceBanner, banner_view, no_phone_view, on_device_count
from ui.details import DetailsPane, details_view
from ui.device_list import DeviceEntry
from ui.plain import label
from ui.tables import set_up_table

if TYPE_CHECKING:
    from ui.scanning import Session


class DeviceView(QWidget):
    """The selected device's banner, apps and details."""

    app_selected = Signal()
    """The selected app changed: the window shows its details."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown_device = ""
        self.banner = ComplianceBanner(self)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText(_("Type to filter: app name, identifier, profile…"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName(_("Filter apps"))
        self.flagged_box = QCheckBox(_("&Flagged only"), self)
        self.flagged_box.setAccessibleName(_("Show flagged apps only"))
        self.user_box = QCheckBox(_("&User-installed only"), self)
        self.user_box.setAccessibleName(_("Show user-installed apps only"))
        self.count_label = label("", self, wrap=False, selectable=False, name="countLabel")

        self.apps = AppsTableModel(self)
        self.proxy = AppsFilterProxy(self)
        self.proxy.setSourceModel(self.apps)
        self.table = QTableView(self)
        header = set_up_table(
            self.table,
            self.proxy,
            name="appsTable",
            accessible_name=_("Apps on the selected device"),
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
        self._lay_out()
        self._connect()

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.flagged_box)
        filters.addWidget(self.user_box)
        filters.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addLayout(filters)
        self.table_split = QSplitter(Qt.Orientation.Vertical, self)
        self.table_split.setObjectName("tableSplit")
        self.table_split.addWidget(self.table)
        self.table_split.addWidget(self.details)
        self.table_split.setStretchFactor(0, 3)
        self.table_split.setStretchFactor(1, 2)
        self.table_split.setSizes([420, 300])
        layout.addWidget(self.table_split, 1)

    def _connect(self) -> None:
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.flagged_box.toggled.connect(self.proxy.set_flagged_only)
        self.user_box.toggled.connect(self.proxy.set_user_installed_only)
        self.table.selectionModel().selectionChanged.connect(self.app_selected)
        self.proxy.modelReset.connect(self.update_count)
        self.proxy.rowsInserted.connect(self.update_count)
        self.proxy.rowsRemoved.connect(self.update_count)
        self.proxy.layoutChanged.connect(self.update_count)

    def show_device(
        self,
        device_id: str,
        entry: DeviceEntry | None,
        session: Session,
        policy: Policy | None,
        *,
        unsigned: bool,
    ) -> None:
        """Show a device: its banner (with a signature still to make), apps and details."""
        if session.rows is None:
            session.rows = build_rows(session.scan, session.assessment)
        self.show_rows(device_id, session.rows)
        count = on_device_count(session.scan) if session.scan is not None else None
        self.banner.set_view(
            banner_view(entry, policy, session.assessment, session.error, count, unsigned=unsigned)
        )
        self.update_count()
        self.show_details(session, policy)

    def show_no_phone(self, session: Session, policy: Policy | None) -> None:
        """Helpdesk mode with no phone of the queue selected: say so, show nothing else."""
        self.show_nothing()
        self.banner.set_view(no_phone_view(policy))
        self.update_count()
        self.show_details(session, policy)

    def show_details(self, session: Session, policy: Policy | None) -> None:
        """The selected app's details (the device's, with none selected)."""
        row = self.current_row()
        self.details.show_view(
            details_view(
                row.app if row else None,
                row.finding if row else None,
                session.scan,
                session.assessment,
                policy,
            )
        )

    def show_rows(self, device_id: str, rows: list[AppRow]) -> None:
        """Show a device's rows; the same device's new rows keep the app selected."""
        if device_id == self.shown_device and self.apps.rows is rows:
            return
        selected = self._selected_app_key()
        self.apps.set_rows(rows)
        header = self.table.horizontalHeader()
        if header.sortIndicatorSection() != Column.FINDING or (
            header.sortIndicatorOrder() != Qt.SortOrder.AscendingOrder
        ):
            self.proxy.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        if device_id == self.shown_device:
            self._reselect(selected)
        self.shown_device = device_id

    def show_nothing(self) -> None:
        if self.shown_device or self.apps.rows:
            self.apps.set_rows([])
        self.shown_device = ""

    def current_row(self) -> AppRow | None:
        row = self.proxy.row_at(self.table.currentIndex())
        if row is None:
            selected = self.table.selectionModel().selectedRows()
            row = self.proxy.row_at(selected[0]) if selected else None
        return row

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

    @Slot()
    def update_count(self, *_args: object) -> None:
        total = self.apps.rowCount()
        shown = self.proxy.rowCount()
        if total == 0:
            self.count_label.setText("")
        elif shown == total:
            self.count_label.setText(
                ngettext("{total} app", "{total} apps", total).format(total=total)
            )
        else:
            self.count_label.setText(
                ngettext(
                    "Showing {shown} of {total} app", "Showing {shown} of {total} apps", total
                ).format(shown=shown, total=total)
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

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()
