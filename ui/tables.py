"""Read-only tables of records: the model base and how the view is set up.

The history, the import report and the helpdesk queue each show a list of rows under fixed
columns. What Qt asks of such a table (how many rows and columns, the headers, which cells can
be selected, and that out-of-range indexes answer nothing) is the same for all of them, so it
lives here once in `EnumTableModel`; each model says only what a cell shows for a role. Every
window's table of records (apps, audits, people, files, phones) behaves alike to a keyboard user
because `set_up_table` sets each one up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from audit.i18n import _

Index = QModelIndex | QPersistentModelIndex
RowT = TypeVar("RowT")
ColumnT = TypeVar("ColumnT", bound=IntEnum)


class EnumTableModel(QAbstractTableModel, Generic[RowT, ColumnT]):
    """Rows in `self.rows`, columns from `columns`, header words from `headers` (marked with
    `N_`, translated here when Qt asks, so the headers follow the language in use).

    Subclasses implement `cell_data`, called only for an index inside the table.
    """

    def __init__(
        self,
        columns: type[ColumnT],
        headers: Mapping[ColumnT, str],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = columns
        self.headers = headers
        self.rows: list[RowT] = []

    def cell_data(self, row: RowT, column: ColumnT, role: int) -> Any:
        raise NotImplementedError

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.columns)
        ):
            return _(self.headers[self.columns(section)])
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        if not 0 <= index.column() < len(self.columns):
            return None
        return self.cell_data(self.rows[index.row()], self.columns(index.column()), role)


def set_up_table(
    view: QTableView,
    model: QAbstractItemModel,
    *,
    name: str,
    accessible_name: str,
    widths: Iterable[tuple[int, int]] = (),
    single_selection: bool = True,
    wrap: bool = False,
) -> QHeaderView:
    """Show `model` as a list of records: whole rows selected, nothing edited in place, Tab
    moving on to the next control rather than through the cells, alternating row colours, no
    row numbers, the last column stretched. Returns the column header for any further set-up."""
    view.setObjectName(name)
    view.setAccessibleName(accessible_name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single_selection:
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setTabKeyNavigation(False)
    view.setAlternatingRowColors(True)
    view.setWordWrap(wrap)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    for column, width in widths:
        # Never narrower than the column's own title: a translated title ("Numéro d'employé")
        # is often longer than the English one the width was chosen for.
        header.resizeSection(column, max(width, header.sectionSizeHint(column)))
    return header
