"""The app table: every app a scan saw, joined with what the policy found about it.

`AppsTableModel` holds one row per installed app (per user) with its cells worked out once, when a
scan arrives, so painting and filtering never format text. `AppsFilterProxy` filters as the person
types and by two toggles. 10,000 rows stay smooth because the per-row work in Python is one
attribute check and one substring test, and sorting happens once in the source model (Python's
sort over precomputed keys) instead of through thousands of lessThan calls across the Qt boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont, QFontMetrics

from audit.i18n import N_, _
from audit.model import Assessment, Finding, FindingStatus, InstalledApp, ScanResult
from ui import icons
from ui.plain import tooltip
from ui.words import (
    FINDING_RANK,
    FINDING_WORDS,
    ORIGIN_WORDS,
    STATE_TIPS,
    STATE_WORDS,
    USER_KIND_WORDS,
    source_words,
    user_words,
    version_words,
)

Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NAME = 0
    IDENTIFIER = 1
    VERSION = 2
    USER = 3
    STATE = 4
    SOURCE = 5
    FINDING = 6


HEADERS = {
    Column.NAME: N_("Name"),
    Column.IDENTIFIER: N_("Identifier"),
    Column.VERSION: N_("Version"),
    Column.USER: N_("User or profile"),
    Column.STATE: N_("State"),
    Column.SOURCE: N_("Installed from"),
    Column.FINDING: N_("Finding"),
}

APP_ROLE = Qt.ItemDataRole.UserRole + 1
FINDING_ROLE = Qt.ItemDataRole.UserRole + 2

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_DECORATION = Qt.ItemDataRole.DecorationRole
_FONT = Qt.ItemDataRole.FontRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
_NO_RANK = len(FINDING_RANK)


@dataclass(frozen=True, slots=True)
class AppRow:
    """One app for one user, with everything the table shows worked out in advance."""

    app: InstalledApp
    finding: Finding | None
    cells: tuple[str, ...]
    haystack: str  # what the filter searches: every cell, case-folded
    flagged: bool  # the policy matched it (whatever the finding's status)
    user_installed: bool
    rank: int  # the finding's urgency, for sorting

    @property
    def urgent(self) -> bool:
        return self.finding is not None and self.finding.status is FindingStatus.VIOLATION


def build_rows(scan: ScanResult | None, assessment: Assessment | None = None) -> list[AppRow]:
    """Join a scan's apps with the assessment's findings, most urgent first, then by name."""
    if scan is None:
        return []
    findings: dict[tuple[str, str, str], Finding] = {}
    if assessment is not None:
        for found in assessment.findings:
            key = (found.app.identifier, found.app.user, found.app.kind.value)
            current = findings.get(key)
            if current is None or FINDING_RANK[found.status] < FINDING_RANK[current.status]:
                findings[key] = found
    users: dict[str, str] = {}
    rows = []
    for app in scan.apps:
        finding = findings.get((app.identifier, app.user, app.kind.value))
        if app.user not in users:
            users[app.user] = user_words(scan, app.user)
        name = app.name or (finding.matcher.app if finding else "") or app.identifier
        cells = (
            name,
            app.identifier,
            version_words(app),
            users[app.user],
            _(STATE_WORDS[app.state]),
            source_words(app),
            _(FINDING_WORDS[finding.status]) if finding else "",
        )
        rows.append(
            AppRow(
                app=app,
                finding=finding,
                cells=cells,
                haystack="\n".join(cells).casefold(),
                flagged=finding is not None,
                user_installed=not app.system,
                rank=FINDING_RANK[finding.status] if finding else _NO_RANK,
            )
        )
    rows.sort(key=lambda r: (r.rank, r.cells[Column.NAME].casefold(), r.cells[Column.USER]))
    return rows


class AppsTableModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[AppRow] = []
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: list[AppRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def set_scan(self, scan: ScanResult | None, assessment: Assessment | None = None) -> None:
        self.set_rows(build_rows(scan, assessment))

    def row_at(self, row: int) -> AppRow | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    # --- QAbstractItemModel ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        # The base class checks bounds by calling rowCount and columnCount, two more trips into
        # Python for every cell a proxy maps; checking here directly halves the cost of painting.
        if parent.isValid() or not (0 <= row < len(self.rows) and 0 <= column < len(Column)):
            return QModelIndex()
        return self.createIndex(row, column)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if role in (_DISPLAY, _ACCESSIBLE):
            if not index.isValid():
                return None
            return self.rows[index.row()].cells[index.column()]
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == _DECORATION:
            if column == Column.FINDING and row.finding is not None:
                return icons.finding_icon(row.finding.status)
            return None
        if role == _FONT:
            return self._bold if row.urgent and column in (Column.NAME, Column.FINDING) else None
        if role == _TOOLTIP:
            return tooltip(_tooltip_text(row, column))
        if role == APP_ROLE:
            return row.app
        if role == FINDING_ROLE:
            return row.finding
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and 0 <= section < len(Column) and role in (_DISPLAY, _ACCESSIBLE):
            return _(HEADERS[Column(section)])
        return super().headerData(section, orientation, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(Column):
            return
        reverse = order == Qt.SortOrder.DescendingOrder
        if column == Column.FINDING:
            key: Any = lambda r: (r.rank, r.cells[Column.NAME].casefold())  # noqa: E731
        elif column == Column.VERSION:
            key = lambda r: _version_key(r.cells[Column.VERSION])  # noqa: E731
        else:
            key = lambda r: r.cells[column].casefold()  # noqa: E731
        self.layoutAboutToBeChanged.emit()
        old_rows = self.rows
        order_of = sorted(range(len(old_rows)), key=lambda i: key(old_rows[i]), reverse=reverse)
        new_position = [0] * len(order_of)
        for new, old in enumerate(order_of):
            new_position[old] = new
        self.rows = [old_rows[i] for i in order_of]
        persistent = self.persistentIndexList()
        moved = [
            self.createIndex(new_position[i.row()], i.column()) if i.isValid() else QModelIndex()
            for i in persistent
        ]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()


# The columns whose words come from a known vocabulary are made wide enough for the longest of
# them, so "Removed for this user" is never cut short; name and identifier get a fixed share.
# (A rare installer name longer than the kinds of origin is cut, and shown whole in its tool tip.)
# The words are translated when the widths are worked out, so they fit in the language in use.
_VOCABULARY = {
    Column.USER: tuple(USER_KIND_WORDS.values()),
    Column.STATE: tuple(STATE_WORDS.values()),
    Column.SOURCE: tuple(ORIGIN_WORDS.values()),
}
_FIXED = {Column.NAME: 25, Column.IDENTIFIER: 30}  # in average character widths
_PADDING = 14  # the cell's margins
_HEADER_PADDING = 34  # the header's margins and its sort arrow


def column_widths(cells: QFontMetrics, header: QFontMetrics) -> list[tuple[int, int]]:
    """A width for every column but the last (which stretches), from the fonts in use."""
    widths: list[tuple[int, int]] = [
        (column, cells.averageCharWidth() * chars) for column, chars in _FIXED.items()
    ]
    vocabulary = {
        Column.VERSION: (_("build {number}").format(number=2023401040),),
        **{column: tuple(_(word) for word in words) for column, words in _VOCABULARY.items()},
    }
    for column, words in vocabulary.items():
        widest = max(cells.horizontalAdvance(w) for w in words) + _PADDING
        title = header.horizontalAdvance(_(HEADERS[column])) + _HEADER_PADDING
        widths.append((column, max(widest, title)))
    return widths


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Sort "9.2" before "10.1", and "build 99" before "build 100": numbers as numbers, the
    rest as text."""
    parts: list[tuple[int, int | str]] = []
    for piece in version.replace("-", ".").replace(" ", ".").split("."):
        parts.append((0, int(piece)) if piece.isdigit() else (1, piece.casefold()))
    return tuple(parts)


def _tooltip_text(row: AppRow, column: int) -> str:
    app = row.app
    if column == Column.NAME:
        return f"{row.cells[Column.NAME]}\n{app.identifier}"
    if column == Column.SOURCE:
        return f"{row.cells[Column.SOURCE]}\n{app.installer}" if app.installer else ""
    if column == Column.FINDING and row.finding is not None:
        # Translators: a tool tip, "Banned: TikTok and its sister apps"
        return _("{finding}: {rule}").format(
            finding=row.cells[Column.FINDING], rule=row.finding.rule.title
        )
    if column == Column.VERSION and not app.version and app.version_code is not None:
        return _(
            "Build number {number}. The version name, install and update dates "
            "are read from the phone only for the apps the policy flags."
        ).format(number=app.version_code)
    if column == Column.STATE:
        return _(STATE_TIPS[app.state]) if app.state in STATE_TIPS else row.cells[column]
    return row.cells[column]


class AppsFilterProxy(QSortFilterProxyModel):
    """Filter as you type (literal text, any column, ignoring case) plus two toggles.

    The text is matched literally, never as a pattern, so "c++" or "(" mean themselves. Sorting
    is handed to the source model, which sorts once over precomputed keys.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._needle = ""
        self._flagged_only = False
        self._user_installed_only = False
        self._model: AppsTableModel | None = None
        self._accepted: list[bool] | None = None  # per source row, for the current filter
        self.setDynamicSortFilter(False)

    def setSourceModel(self, model: Any) -> None:
        if not isinstance(model, AppsTableModel):
            raise TypeError("AppsFilterProxy filters an AppsTableModel")
        self._model = model
        self._accepted = None
        super().setSourceModel(model)
        # Verdicts are per source row: new rows or a new order make them stale.
        for signal in (
            model.modelAboutToBeReset,
            model.layoutAboutToBeChanged,
            model.rowsAboutToBeInserted,
            model.rowsAboutToBeRemoved,
            model.dataChanged,
        ):
            signal.connect(self._forget)

    def _forget(self, *_: object) -> None:
        self._accepted = None

    @property
    def text(self) -> str:
        return self._needle

    @property
    def flagged_only(self) -> bool:
        return self._flagged_only

    @property
    def user_installed_only(self) -> bool:
        return self._user_installed_only

    def set_text(self, text: str) -> None:
        needle = text.strip().casefold()
        if needle != self._needle:
            widening = self._needle.startswith(needle)
            self._change(lambda: setattr(self, "_needle", needle), widening=widening)

    def set_flagged_only(self, on: bool) -> None:
        if on != self._flagged_only:
            self._change(lambda: setattr(self, "_flagged_only", on), widening=not on)

    def set_user_installed_only(self, on: bool) -> None:
        if on != self._user_installed_only:
            self._change(lambda: setattr(self, "_user_installed_only", on), widening=not on)

    def _change(self, apply: Any, *, widening: bool) -> None:
        """Re-filter. Narrowing removes rows in place; widening may bring back thousands of rows,
        which Qt inserts faster by rebuilding its mapping than by inserting them in runs."""
        if widening:
            apply()
            self._accepted = None
            self.invalidate()
            return
        if not hasattr(self, "beginFilterChange"):  # Qt before 6.9 (the oldest we support: 6.6)
            apply()
            self._accepted = None
            self.invalidateRowsFilter()
            return
        self.beginFilterChange()
        apply()
        self._accepted = None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _accepts(self) -> list[bool]:
        """Every source row's verdict, worked out in one pass: Qt then asks row by row, and a
        list look-up per call is all that runs in Python for each of 10,000 rows."""
        assert self._model is not None
        needle, flagged, user = self._needle, self._flagged_only, self._user_installed_only
        return [
            (not flagged or row.flagged)
            and (not user or row.user_installed)
            and (not needle or needle in row.haystack)
            for row in self._model.rows
        ]

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: ARG002
        accepted = self._accepted
        if accepted is None:
            accepted = self._accepted = self._accepts()
        return accepted[source_row]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self._model is not None:
            self._model.sort(column, order)

    def row_at(self, index: QModelIndex) -> AppRow | None:
        if not index.isValid() or self._model is None:
            return None
        return self._model.row_at(self.mapToSource(index).row())
