"""Importing a folder of receipts that staff signed on their own computers.

The store verifies each file, skips the ones already in the history (and the PDF copies of
receipts) and refuses the rest with a reason (audit.store.importer); this window runs it off the
GUI thread with progress and a Stop button, then lists every file with what became of it. A
receipt signed with a different key than the one first seen for its staff id (or technician) is
refused, because that is exactly what a forged receipt looks like; if the person really has a
new key, the window offers to accept it, one signer at a time, after an explicit confirmation,
and imports their refused files again. File names and reasons quote files: plain text,
invisible characters escaped.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from audit.errors import ALTERED_RECEIPT_NEXT_STEP
from audit.i18n import N_, _, ngettext
from audit.text import visible
from ui import errors, icons
from ui.plain import label, tooltip
from ui.recorder import AuditRecorder
from ui.tables import EnumTableModel, set_up_table
from ui.windows import fit_to_screen
from ui.wizard.widgets import INFO_ICON

if TYPE_CHECKING:
    from audit.store import FileOutcome, ImportReport, Store

RESULT_WORDS = {
    "imported": N_("Imported"),
    "duplicate": N_("Already in the history"),
    "refused": N_("Refused"),
    "skipped": N_("Skipped: not a receipt"),
}
RESULT_ICONS = {
    "imported": "ok",
    "duplicate": "resolved",
    "refused": "violation",
    "skipped": "info",  # the PDF copy of a receipt: nothing wrong, nothing to do, not a success
}
DEMO_NEXT = N_("Ask the person for the receipt of their real device.")
UNREADABLE_NEXT = N_("Check that the file can be opened, then import the folder again.")


def _start_of(message: str) -> str:
    """The words of a store's message before its first placeholder, in the language in use."""
    return message.split("{", 1)[0]


def _end_of(message: str) -> str:
    """The words of a store's message after its last placeholder, in the language in use."""
    return message.rsplit("}", 1)[-1]


def reason_words(outcome: FileOutcome) -> str:
    """The store's reason, without the command-line advice (this window offers its own), and
    for a refused file what to do about it."""
    reason = outcome.reason[:1].upper() + outcome.reason[1:]
    if outcome.key_changed and outcome.result.value == "refused":
        # The store's reason ends with a sentence on accepting the key at the command line
        # ("If ... accept it."): this window's own button says it instead.
        kept = reason.rsplit(". ", 1)[0]
        accept = _("Accept the new key below if it is really theirs.")
        reason = f"{kept}. {accept}"
    elif outcome.result.value == "refused":
        step = next_step(outcome)
        if step:
            reason = f"{reason.rstrip('.')}. {step}"
    return visible(reason, limit=600)


def next_step(outcome: FileOutcome) -> str:
    """What to do about a refused file whose reason does not already say it."""
    if outcome.simulated:
        return _(DEMO_NEXT)
    # The store's reasons, recognised in the language they were written in (audit.store.importer
    # writes them with these very messages).
    if outcome.reason.startswith(_start_of(_("the file cannot be read ({problem})"))):
        return _(UNREADABLE_NEXT)
    fault = _(
        "Device Audit could not check this file ({problem}); it was not imported. Please "
        "report this."
    )
    if outcome.reason.endswith(_end_of(fault)):  # a fault of Device Audit, not the file
        return ""
    return _(ALTERED_RECEIPT_NEXT_STEP)


def result_icon(outcome: FileOutcome) -> QIcon:
    name = RESULT_ICONS[outcome.result.value]
    # The wizard's information icon: the state icons in resources/icons are all statuses, and
    # a grey tick read as "done" for a file passed over.
    return QIcon(str(INFO_ICON)) if name == "info" else icons.icon(name)


def signed_for(outcome: FileOutcome) -> str:
    """ "Aroha Ngata (staff id PS-1042)": a technician at the bench knows people by name."""
    key = who(outcome.identity)
    if not outcome.person_name:
        return key
    if outcome.identity.startswith("technician:"):
        return _("{person} (signed by {signer})").format(person=outcome.person_name, signer=key)
    return f"{outcome.person_name} ({key})"


def who(identity: str) -> str:
    if identity.startswith("technician:"):
        return _("technician {name}").format(name=identity.removeprefix("technician:"))
    return _("staff id {id}").format(id=identity) if identity else ""


class ImportColumn(IntEnum):
    FILE = 0
    RESULT = 1
    SIGNED_FOR = 2
    REASON = 3


HEADERS = {
    ImportColumn.FILE: N_("File"),
    ImportColumn.RESULT: N_("Result"),
    ImportColumn.SIGNED_FOR: N_("Signed for"),
    ImportColumn.REASON: N_("Why"),
}
OUTCOME_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class ImportRow:
    outcome: FileOutcome
    cells: tuple[str, ...]


def import_row(outcome: FileOutcome) -> ImportRow:
    cells = {
        ImportColumn.FILE: visible(outcome.path.name, limit=120),
        ImportColumn.RESULT: _(RESULT_WORDS[outcome.result.value]),
        ImportColumn.SIGNED_FOR: visible(signed_for(outcome), limit=120),
        ImportColumn.REASON: reason_words(outcome),
    }
    return ImportRow(outcome, tuple(cells[c] for c in ImportColumn))


class ImportReportModel(EnumTableModel[ImportRow, ImportColumn]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(ImportColumn, HEADERS, parent)

    def set_outcomes(self, outcomes: Collection[FileOutcome]) -> None:
        self.beginResetModel()
        self.rows = [import_row(o) for o in outcomes]
        self.endResetModel()

    def cell_data(self, row: ImportRow, column: ImportColumn, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.cells[column]
        if role == Qt.ItemDataRole.DecorationRole and column is ImportColumn.RESULT:
            return result_icon(row.outcome)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(f"{row.cells[ImportColumn.FILE]}\n{row.cells[ImportColumn.REASON]}")
        if role == OUTCOME_ROLE:
            return row.outcome
        return None


def summary_words(report: ImportReport) -> str:
    files = len(report.outcomes)
    if files == 0:
        return _("The folder holds no files to import.")
    counts = {
        "count": files,
        "imported": report.imported,
        "duplicates": report.duplicates,
        "refused": report.refused,
        "skipped": report.skipped,
    }
    if report.skipped:
        return ngettext(
            "{count} file: {imported} imported, {duplicates} already in the history, "
            "{refused} refused, {skipped} skipped (not receipts).",
            "{count} files: {imported} imported, {duplicates} already in the history, "
            "{refused} refused, {skipped} skipped (not receipts).",
            files,
        ).format(**counts)
    return ngettext(
        "{count} file: {imported} imported, {duplicates} already in the history, "
        "{refused} refused.",
        "{count} files: {imported} imported, {duplicates} already in the history, "
        "{refused} refused.",
        files,
    ).format(**counts)


class ImportWindow(QMainWindow):
    """Runs one import and reports on it."""

    finished = Signal()
    """An import (or a re-import with an accepted key) ended and its report is shown."""

    def __init__(self, recorder: AuditRecorder, folder: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("importWindow")
        self.setWindowTitle(_("Import receipts \u2014 Device Audit"))
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.recorder = recorder
        self.folder = folder
        self.report: ImportReport | None = None
        self.key = f"import:{id(self)}"
        self.accepted: set[str] = set()
        self._build()
        fit_to_screen(self, 1000, 600)
        recorder.ops.progress.connect(self._on_progress)

    def _build(self) -> None:
        self.heading = label(
            _("Receipts from {folder}").format(folder=visible(str(self.folder))),
            self,
            name="folder",
        )
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.status = label("", self, name="importStatus")
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setAccessibleName(_("Import progress"))
        self.stop_button = QPushButton(_("&Stop"), self)
        self.stop_button.setAccessibleName(_("Stop the import"))
        self.model = ImportReportModel(self)
        self.table = QTableView(self)
        set_up_table(
            self.table,
            self.model,
            name="importReport",
            accessible_name=_("What became of each file"),
            widths=(
                (ImportColumn.FILE, 220),
                (ImportColumn.RESULT, 170),
                (ImportColumn.SIGNED_FOR, 160),
            ),
            single_selection=False,
            wrap=True,
        )
        self.keys = QWidget(self)
        self.keys.setObjectName("changedKeys")
        self.keys_layout = QVBoxLayout(self.keys)
        self.keys_layout.setContentsMargins(0, 0, 0, 0)
        self.key_buttons: dict[str, QPushButton] = {}
        self.key_widgets: list[QWidget] = []
        self.close_button = QPushButton(_("&Close"), self)
        self.close_button.clicked.connect(self.close)
        self.stop_button.clicked.connect(self.stop)

        progress = QHBoxLayout()
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.stop_button)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addWidget(self.heading)
        layout.addWidget(self.status)
        layout.addLayout(progress)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.keys)
        layout.addLayout(bottom)
        self.setCentralWidget(central)

    # --- running ----------------------------------------------------------------------------

    def start(self, accept_new_keys: Collection[str] = (), paths: list[Path] | None = None) -> None:
        """Import the folder (or only `paths`, with new keys accepted for some signers)."""
        folder = self.folder
        accept = frozenset(accept_new_keys)

        def work(store: Store, progress: Any, cancelled: Any) -> ImportReport:
            if paths is not None:
                return store.import_files(
                    paths, accept_new_keys=accept, progress=progress, cancelled=cancelled
                )
            return store.import_folder(
                folder, accept_new_keys=accept, progress=progress, cancelled=cancelled
            )

        self._running(True, _("Checking each receipt's signature and adding it to the history…"))
        self.recorder.run(
            self.key,
            work,
            lambda report: self._done(report, paths is not None),
            self._failed,
            on_cancelled=self._stopped,
            label=_("Importing receipts"),
        )

    def stop(self) -> None:
        self.recorder.ops.cancel(self.key)

    def _running(self, on: bool, text: str) -> None:
        self.progress.setVisible(on)
        self.stop_button.setVisible(on)
        self.progress.setValue(0)
        self.status.setText(text)
        for button in self.key_buttons.values():
            button.setEnabled(not on)

    def _on_progress(self, key: str, fraction: float, message: str) -> None:
        if key == self.key:
            self.progress.setValue(round(fraction * 100))
            if message:
                self.status.setText(visible(message, limit=200))

    def _done(self, report: ImportReport, again: bool) -> None:
        if again and self.report is not None:
            report = _merged(self.report, report)
        self.report = report
        self._running(False, summary_words(report))
        self.model.set_outcomes(report.outcomes)
        self.table.resizeRowsToContents()
        self._show_changed_keys(report)
        self.finished.emit()

    def _failed(self, error: BaseException) -> None:
        message = errors.describe(error)
        self._running(False, f"{message.text} {message.next_step}".strip())
        self.finished.emit()

    def _stopped(self) -> None:
        self._running(
            False,
            _(
                "Import stopped. Receipts imported before you stopped stay in the history; "
                "import the folder again to finish (files already imported are skipped)."
            ),
        )
        self.finished.emit()

    # --- changed keys -----------------------------------------------------------------------

    def _show_changed_keys(self, report: ImportReport) -> None:
        for widget in self.key_widgets:
            widget.hide()
            widget.deleteLater()  # the layout lets go of a widget as it is deleted
        self.key_widgets = []
        self.key_buttons = {}
        for identity in report.changed_keys:
            shown = visible(who(identity), limit=120)
            count = len(_refused_for_key(report, identity))
            note = label(
                ngettext(
                    "Receipts for {who} are signed with a different key than before. That is "
                    "what a forged receipt looks like, and also what a new computer or a "
                    "reinstall looks like: check with the person before you accept it. "
                    "Accepting the key imports their {count} refused receipt signed with it.",
                    "Receipts for {who} are signed with a different key than before. That is "
                    "what a forged receipt looks like, and also what a new computer or a "
                    "reinstall looks like: check with the person before you accept it. "
                    "Accepting the key imports their {count} refused receipts signed with it.",
                    count,
                ).format(who=shown, count=count),
                self.keys,
            )
            words = ngettext(
                "Accept the new key for {who} and import their {count} refused receipt",
                "Accept the new key for {who} and import their {count} refused receipts",
                count,
            ).format(who=shown, count=count)
            button = QPushButton(words.replace("&", "&&") + "…", self.keys)
            button.setAccessibleName(words)
            button.clicked.connect(lambda _=False, i=identity: self.accept_key(i))
            row = QWidget(self.keys)
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            button.setParent(row)
            line.addWidget(button)
            line.addStretch(1)
            self.keys_layout.addWidget(note)
            self.keys_layout.addWidget(row)
            self.key_widgets += [note, row]
            self.key_buttons[identity] = button
        self.keys.setVisible(bool(report.changed_keys))

    def accept_key(self, identity: str) -> bool:
        """After an explicit yes: trust the new key of `identity` and import its refused files
        again."""
        if self.report is None:
            return False
        paths = _refused_for_key(self.report, identity)
        if not paths:
            return False
        shown = visible(who(identity), limit=120)
        # A key is accepted by its fingerprint, checked with the person (audit.store.importer).
        signers = sorted({o.signer for o in self.report.outcomes if o.path in paths})
        if len(signers) != 1:
            self.status.setText(
                _(
                    "Receipts for {who} are signed with {count} different new keys: ask the "
                    "person which fingerprint their Device Audit shows, and accept that one "
                    "alone: device-audit import --accept-new-key ID=FINGERPRINT"
                ).format(who=shown, count=len(signers))
            )
            return False
        from audit.attestation import format_fingerprint

        if not self.ask_confirm(
            _("Accept a new signing key?"),
            _(
                "Only accept this if you have checked with {who} that their own Device Audit "
                "shows this fingerprint:\n\n{fingerprint}\n\nTheir receipts signed with it will "
                "then be imported. The key seen first stops counting as compliant unless it is "
                "theirs too.\n\nIf you are not sure, do not accept it: a receipt signed with an "
                "unknown key may be forged."
            ).format(who=shown, fingerprint=format_fingerprint(signers[0])),
            _("Accept the new key for {who}").format(who=shown),
        ):
            return False
        self.accepted.add(identity)
        self.start(accept_new_keys={f"{identity}={signers[0]}"}, paths=paths)
        return True

    # --- questions (tests replace this) --------------------------------------------------------

    def ask_confirm(self, title: str, text: str, button: str) -> bool:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(text)
        yes = box.addButton(button.replace("&", "&&"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is yes

    def closeEvent(self, event: QCloseEvent) -> None:
        self.recorder.ops.cancel(self.key)
        super().closeEvent(event)


def _refused_for_key(report: ImportReport, identity: str) -> list[Path]:
    """The files refused only because `identity` signed them with a new key: accepting the key
    imports exactly these again."""
    return [
        o.path
        for o in report.outcomes
        if o.key_changed and o.identity == identity and o.result.value == "refused"
    ]


def _merged(first: ImportReport, again: ImportReport) -> ImportReport:
    """The first report with the files imported again replaced by their new outcome."""
    from audit.store import ImportReport

    newer = {o.path: o for o in again.outcomes}
    return ImportReport(tuple(newer.get(o.path, o) for o in first.outcomes))
