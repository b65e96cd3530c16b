"""File › Accept policy…, Technician keys… and Accepted exemptions…: what the history trusts.

One window, three tabs. *Policies* lists the built-in presets and the policy files the helpdesk
accepted (id, version, digest, who accepted it); "Accept policy file…" adds one, so receipts
made under it are imported (audit.store.trust). *Technician keys* lists the enrolled keys (name,
fingerprint, enrolled by, date, revoked); a receipt that names a technician is witnessed only
when signed by one of them, of a phone on a cable. Every store call runs through the recorder,
off the GUI thread; the lists are read through the history's read-only reader. Names and
ids came from files: shown as plain text. *Exemptions*
(ui.trust_exemptions) lists the exemptions the helpdesk accepted; an audit "compliant with
exceptions" counts so only with those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from audit.attestation import format_fingerprint, parse_fingerprint
from audit.i18n import N_, _
from audit.text import visible
from ui import errors
from ui.plain import label
from ui.recorder import AuditRecorder
from ui.windows import add_window_keys, fit_to_screen

if TYPE_CHECKING:
    from audit.store import Store
    from audit.store.trust import KnownPolicies, Technician

# The columns' words: marked here, translated by `_table`.
POLICY_COLUMNS = (N_("Policy"), N_("Version"), "sha256", N_("Known as"))
TECH_COLUMNS = (
    N_("Technician"),
    N_("Key fingerprint"),
    N_("Enrolled by"),
    N_("Enrolled"),
    N_("Revoked"),
)


def install_menu(window: Any, menu: QMenu) -> None:
    """Add File › Accept policy…, Technician keys… and Accepted exemptions… to the main
    window's menu (the main window's "Exemptions file" loads one for a check; this one
    decides which exemptions the history counts)."""

    def open_tab(tab: int) -> TrustWindow:
        found = window.windows.get("trust")
        if not isinstance(found, TrustWindow):
            found = TrustWindow(window.recorder, window)
            window.windows["trust"] = found
        found.tabs.setCurrentIndex(tab)
        found.show()
        found.raise_()
        found.activateWindow()
        return found

    accept = QAction(_("Accept &policy…"), window)
    accept.setStatusTip(
        _("Let receipts made under your organisation's own policy file be imported")
    )
    accept.triggered.connect(lambda _=False: open_tab(0))
    techs = QAction(_("&Technician keys…"), window)
    techs.setStatusTip(_("Enrol or revoke the keys whose bench receipts count as witnessed"))
    techs.triggered.connect(lambda _=False: open_tab(1))
    exemptions = QAction(_("Accepted e&xemptions…"), window)
    exemptions.setStatusTip(
        _("Accept or revoke the exemptions that let a device count as compliant with exceptions")
    )
    exemptions.triggered.connect(lambda _=False: open_tab(2))
    menu.addAction(accept)
    menu.addAction(techs)
    menu.addAction(exemptions)


def _table(columns: tuple[str, ...], name: str) -> QTableWidget:
    """A table of records under `columns` (marked words, translated here), named `name`."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels([_(column) for column in columns])
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setStretchLastSection(True)
    table.setAccessibleName(name)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(visible(text)))
    table.resizeColumnsToContents()


class TrustWindow(QMainWindow):
    """Accepted policies and enrolled technician keys of the history the recorder writes."""

    def __init__(self, recorder: AuditRecorder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recorder = recorder
        self.tech_rows: list[Technician] = []
        self.setWindowTitle(_("Policies, technician keys and exemptions"))
        self.tabs = QTabWidget()
        self.setCentralWidget(self.tabs)
        self.tabs.addTab(self._policies_tab(), _("&Policies"))
        self.tabs.addTab(self._technicians_tab(), _("&Technician keys"))
        self.message = label("", name="trust-message")
        from ui.trust_exemptions import EXEMPTION_COLUMNS, ExemptionsTab

        self.exemptions = ExemptionsTab(
            recorder, self.message, _table(EXEMPTION_COLUMNS, _("Accepted exemptions")), _fill
        )
        self.tabs.addTab(self.exemptions, _("&Exemptions"))
        self.statusBar().addWidget(self.message, 1)
        add_window_keys(self, self.reload)
        fit_to_screen(self, 820, 480)
        self.reload()

    # --- building ---------------------------------------------------------------------------

    def _policies_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(
            label(
                _(
                    "Receipts are imported only under these policies: Device Audit's built-in "
                    "presets, and your organisation's own policy files once you accept them "
                    "here. The history takes each policy's title and deadline from this list, "
                    "never from a receipt."
                )
            )
        )
        self.policies = _table(POLICY_COLUMNS, _("Known policies"))
        layout.addWidget(self.policies)
        row = QHBoxLayout()
        self.accepted_by = QLineEdit()
        self.accepted_by.setPlaceholderText(_("Your name"))
        self.accepted_by.setAccessibleName(_("Accepted by"))
        self.accept_button = QPushButton(_("&Accept policy file…"))
        self.accept_button.clicked.connect(self.accept_policy)
        row.addWidget(label(_("Accepted by:"), wrap=False, selectable=False))
        row.addWidget(self.accepted_by)
        row.addWidget(self.accept_button)
        layout.addLayout(row)
        return page

    def _technicians_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(
            label(
                _(
                    "A receipt that names a technician counts as witnessed only when it is "
                    "signed by a key enrolled here for that technician, of a phone on a USB "
                    "cable. The fingerprint is the signer shown on a receipt made at the bench "
                    "computer."
                )
            )
        )
        self.technicians = _table(TECH_COLUMNS, _("Technician keys"))
        layout.addWidget(self.technicians)
        form = QFormLayout()
        self.tech_name = QLineEdit()
        self.tech_name.setAccessibleName(_("Technician's name"))
        self.tech_key = QLineEdit()
        self.tech_key.setAccessibleName(_("Key fingerprint"))
        self.tech_by = QLineEdit()
        self.tech_by.setAccessibleName(_("Enrolled or revoked by"))
        form.addRow(_("Technician's &name:"), self.tech_name)
        form.addRow(_("Key &fingerprint:"), self.tech_key)
        form.addRow(_("Your na&me:"), self.tech_by)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.enrol_button = QPushButton(_("&Enrol key"))
        self.enrol_button.clicked.connect(self.enrol)
        self.revoke_button = QPushButton(_("&Revoke selected key…"))
        self.revoke_button.clicked.connect(self.revoke)
        buttons.addStretch(1)
        buttons.addWidget(self.enrol_button)
        buttons.addWidget(self.revoke_button)
        layout.addLayout(buttons)
        return page

    # --- reading ----------------------------------------------------------------------------

    def reload(self) -> None:
        def work(store: Store, _p: object, _c: object) -> tuple[KnownPolicies, list[Technician]]:
            return store.known_policies(), store.technicians()

        # Only reads: a team history's read-only connection, so the lists never wait behind a
        # write (an import holds the writers' connection) and an office login can open them.
        self.recorder.run(
            "trust:read", work, self._show, self._failed, label=_("Reading"), read_only=True
        )
        self.exemptions.reload()

    def _show(self, result: tuple[KnownPolicies, list[Technician]]) -> None:
        known, techs = result
        policies = sorted(known.by_sha.values(), key=lambda k: (k.id, k.sha256))
        _fill(
            self.policies,
            [
                (
                    k.id,
                    k.version,
                    k.sha256,
                    _("built in")
                    if k.accepted_at is None
                    else _("accepted by {name} on {day}").format(
                        name=k.accepted_by, day=f"{k.accepted_at:%Y-%m-%d}"
                    ),
                )
                for k in policies
            ],
        )
        self.tech_rows = techs
        _fill(
            self.technicians,
            [
                (
                    t.name,
                    format_fingerprint(t.fingerprint),
                    t.enrolled_by,
                    f"{t.enrolled_at:%Y-%m-%d}",
                    ""
                    if t.revoked_at is None
                    else _("{day} by {name}").format(
                        day=f"{t.revoked_at:%Y-%m-%d}", name=t.revoked_by
                    ),
                )
                for t in techs
            ],
        )

    # --- changing ---------------------------------------------------------------------------

    def ask_file(self) -> str:
        """Ask for a policy file; tests replace this."""
        path, _chosen_filter = QFileDialog.getOpenFileName(
            self, _("Choose the policy file to accept"), "", _("Policy files (*.toml)")
        )
        return path

    def accept_policy(self) -> None:
        by = self.accepted_by.text().strip()
        if not by:
            self.message.setText(_("Type your name first: the history records who accepted it."))
            self.accepted_by.setFocus()
            return
        path = self.ask_file()
        if not path:
            return

        def work(store: Store, _p: object, _c: object) -> str:
            policy, added = store.accept_policy(path, by=by)
            if added:
                return _("Accepted: {policy} version {version}.").format(
                    policy=policy.id, version=policy.version
                )
            return _("Already accepted: {policy} version {version}.").format(
                policy=policy.id, version=policy.version
            )

        self.recorder.run("trust:accept", work, self._done, self._failed, label=_("Accepting"))

    def enrol(self) -> None:
        name, by = self.tech_name.text().strip(), self.tech_by.text().strip()
        try:
            fingerprint = parse_fingerprint(self.tech_key.text())
        except ValueError as error:
            self.message.setText(
                _("The fingerprint is not right: {problem}. Copy it whole.").format(problem=error)
            )
            self.tech_key.setFocus()
            return
        if not name or not by:
            self.message.setText(_("Type the technician's name and your own name first."))
            return

        def work(store: Store, _p: object, _c: object) -> str:
            tech = store.enrol_technician(name, fingerprint, by=by)
            return _("Enrolled {name}'s key {fingerprint}.").format(
                name=tech.name, fingerprint=format_fingerprint(tech.fingerprint)
            )

        self.recorder.run("trust:enrol", work, self._done, self._failed, label=_("Enrolling"))

    def revoke(self) -> None:
        row = self.technicians.currentRow()
        by = self.tech_by.text().strip()
        if not 0 <= row < len(self.tech_rows):
            self.message.setText(_("Choose the key to revoke in the list first."))
            return
        if not by:
            self.message.setText(_("Type your name first: the history records who revoked it."))
            return
        fingerprint = self.tech_rows[row].fingerprint

        def work(store: Store, _p: object, _c: object) -> str:
            tech = store.revoke_technician(fingerprint, by=by)
            return _(
                "Revoked {name}'s key: receipts signed with it are refused from now on."
            ).format(name=tech.name)

        self.recorder.run("trust:revoke", work, self._done, self._failed, label=_("Revoking"))

    def _done(self, words: str) -> None:
        self.message.setText(words)
        self.reload()

    def _failed(self, error: BaseException) -> None:
        words = errors.describe(error)
        self.message.setText(f"{words.text} {words.next_step}".strip())
