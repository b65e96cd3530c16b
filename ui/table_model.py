"""A read-only table whose columns are an IntEnum, for the windows that list records.

The history, the import report and the helpdesk queue each show a list of rows under fixed
columns. What Qt asks of such a table (how many rows and columns, the headers, which cells can
be selected, and that out-of-range indexes answer nothing) is the same for all of them, so it
lives here once; each model says only what a cell shows for a role.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
RowT = TypeVar("RowT")
ColumnT = TypeVar("ColumnT", bound=IntEnum)


class EnumTableModel(QAbstractTableModel, Generic[RowT, ColumnT]):
    """Rows in `self.rows`, columns from `columns`, header words from `headers`.

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
            return self.headers[self.columns(section)]
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
