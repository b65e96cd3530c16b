"""File › Accepted exemptions…: the exemptions tab of the trust window (ui.trust_window).

"Compliant with exceptions" counts in a history only with the exemptions that history accepted
(audit.store.holds, docs/security.md): anyone can write an exemptions file, so the helpdesk
accepts the approver's file here, sees who accepted each exemption and when, and revokes one that
was withdrawn. Accepting or revoking judges the stored audits again in the core; this tab only
asks and shows. Every store call runs through the recorder, off the GUI thread. Ids, names and
approvers came from files: shown as plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from audit.errors import StoreError
from audit.i18n import N_, _
from audit.store.blanket import is_for_everyone
from audit.store.waiting import waiting_words
from audit.text import visible
from ui import errors
from ui.plain import label
from ui.recorder import AuditRecorder

if TYPE_CHECKING:
    from audit.store import Store
    from audit.store.holds import AcceptedExemption
    from audit.store.waiting import WaitingExemption

# The columns' words, marked here and translated by the table (ui.trust_window._table).
EXEMPTION_COLUMNS = (
    N_("Exemption"),
    N_("Person"),
    N_("Approver"),
    N_("Expires"),
    N_("Accepted"),
    "sha256",
    N_("State"),
)
EXPLAIN = N_(
    "A device counts as compliant with exceptions only when every exemption its audit relies on "
    "is accepted here, exactly as the approver wrote it. Anyone can write an exemptions file, so "
    "an audit resting on an exemption not accepted here counts as not compliant and says "
    '"exemption not accepted by the helpdesk". Accept the file your approver signed off; revoke '
    "an exemption that was withdrawn."
)
EVERYONE_BOX = N_("&Also accept exemptions for everyone (ones that name no person and no device)")
EVERYONE_NEXT = N_(
    "Ask the approver to name the person (one exemption for each person) or the device. If it "
    'really is meant for everyone, tick "Also accept exemptions for everyone" and accept the '
    "file again."
)


class ExemptionsTab(QWidget):
    """The accepted exemptions of the recorder's history: accept a file, revoke one, list."""

    def __init__(
        self,
        recorder: AuditRecorder,
        message: QLabel,
        table: QTableWidget,
        fill: Callable[[QTableWidget, list[tuple[str, ...]]], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.recorder = recorder
        self.message = message  # the trust window's status line
        self.rows: list[AcceptedExemption] = []
        self._fill = fill
        layout = QVBoxLayout(self)
        layout.addWidget(label(_(EXPLAIN)))
        self.table = table
        layout.addWidget(self.table)
        # What held devices wait for: the exemptions they list that nobody accepted here.
        self.waiting = label("", name="exemptions-waiting")
        layout.addWidget(self.waiting)
        # An exemption that names no person and no device covers whoever lists it, so it is
        # accepted only on purpose (audit.store.blanket), as `exemption accept --everyone`: the
        # box is ticked for one file and clears itself once that file is chosen. A blanket one
        # (no person, policy, rule or app) stays with the command line's --blanket.
        self.everyone = QCheckBox(_(EVERYONE_BOX))
        layout.addWidget(self.everyone)
        row = QHBoxLayout()
        self.by = QLineEdit()
        self.by.setPlaceholderText(_("Your name"))
        self.by.setAccessibleName(_("Accepted or revoked by"))
        self.accept_button = QPushButton(_("Accept e&xemptions file…"))
        self.accept_button.clicked.connect(self.accept_file)
        self.revoke_button = QPushButton(_("Re&voke selected exemption"))
        self.revoke_button.clicked.connect(self.revoke)
        row.addWidget(label(_("Your name:"), wrap=False, selectable=False))
        row.addWidget(self.by)
        row.addWidget(self.accept_button)
        row.addWidget(self.revoke_button)
        layout.addLayout(row)

    # --- reading ----------------------------------------------------------------------------

    def reload(self) -> None:
        def work(
            store: Store, _p: object, _c: object
        ) -> tuple[list[AcceptedExemption], list[WaitingExemption]]:
            return store.accepted_exemptions(), store.waiting_exemptions()

        self.recorder.run(
            "trust:exemptions", work, self._show, self._failed, label=_("Reading"), read_only=True
        )

    def _show(self, result: tuple[list[AcceptedExemption], list[WaitingExemption]]) -> None:
        rows, waiting = result
        lines = waiting_words(waiting)
        self.waiting.setText(
            _(
                "Waiting for your decision (these devices count as not compliant until you "
                "accept the approver's file):"
            )
            + "\n"
            + "\n".join(visible(line) for line in lines)
            if lines
            else _("No device is waiting for an exemption to be accepted.")
        )
        self.show_rows(rows)

    def show_rows(self, rows: list[AcceptedExemption]) -> None:
        self.rows = rows
        self._fill(
            self.table,
            [
                (
                    e.exemption_id,
                    e.person or _("any person"),
                    e.approver,
                    e.expires.isoformat(),
                    _("{day} by {name}").format(
                        day=f"{e.accepted_at:%Y-%m-%d}", name=e.accepted_by
                    ),
                    e.sha256,
                    _("active")
                    if e.revoked_at is None
                    else _("revoked {day} by {name}").format(
                        day=f"{e.revoked_at:%Y-%m-%d}", name=e.revoked_by
                    ),
                )
                for e in rows
            ],
        )

    # --- changing ---------------------------------------------------------------------------

    def ask_file(self) -> str:
        """Ask for an exemptions file; tests replace this."""
        path, _chosen_filter = QFileDialog.getOpenFileName(
            self, _("Choose the exemptions file to accept"), "", _("Exemptions files (*.toml)")
        )
        return path

    def _name(self) -> str:
        by = self.by.text().strip()
        if not by:
            self.message.setText(_("Type your name first: the history records who decided."))
            self.by.setFocus()
        return by

    def accept_file(self) -> None:
        by = self._name()
        if not by:
            return
        path = self.ask_file()
        if not path:
            return
        everyone = self.everyone.isChecked()
        self.everyone.setChecked(False)  # on purpose for this file only

        def work(store: Store, _p: object, _c: object) -> str:
            try:
                done = store.accept_exemptions(path, by=by, everyone=everyone)
            except StoreError as error:
                raise _for_everyone_here(error) from None
            revoked = {e.sha256 for e in store.accepted_exemptions() if not e.active}
            words = []
            for exemption, digest, added in done:
                if digest in revoked:
                    words.append(
                        _(
                            "{id} stays revoked (a revocation is undone only by a new text "
                            "from the approver)"
                        ).format(id=exemption.id)
                    )
                elif added and is_for_everyone(exemption):
                    words.append(_("{id} accepted for everyone").format(id=exemption.id))
                elif added:
                    words.append(_("{id} accepted").format(id=exemption.id))
                else:
                    words.append(_("{id} already accepted").format(id=exemption.id))
            # Translators: "Exemptions: EX-1 accepted; EX-2 already accepted."
            return _("Exemptions: {list}.").format(list="; ".join(words))

        self.recorder.run(
            "trust:exemption-accept", work, self._done, self._failed, label=_("Accepting")
        )

    def revoke(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            self.message.setText(_("Choose the exemption to revoke in the list first."))
            return
        chosen = self.rows[row]
        if not chosen.active:
            self.message.setText(_("{id} was revoked already.").format(id=chosen.exemption_id))
            return
        by = self._name()
        if not by:
            return
        digest = chosen.sha256  # this text exactly, not every exemption sharing its id

        def work(store: Store, _p: object, _c: object) -> str:
            [gone] = store.revoke_exemption(digest, by=by)
            return _(
                "Revoked {id}: audits resting on it count as not compliant from now on."
            ).format(id=gone.exemption_id)

        self.recorder.run(
            "trust:exemption-revoke", work, self._done, self._failed, label=_("Revoking")
        )

    def _done(self, words: str) -> None:
        self.message.setText(words)
        self.reload()

    def _failed(self, error: BaseException) -> None:
        words = errors.describe(error)
        self.message.setText(f"{words.text} {words.next_step}".strip())


def _for_everyone_here(error: StoreError) -> StoreError:
    """The store's refusal of a file with an exemption for everyone, its next step saying this
    window's box instead of the command line; any other refusal as it is. Known by the command
    option its next step names (a command is never translated); a blanket exemption is refused
    first and keeps its own next step (--blanket: not offered in this window)."""
    if "--everyone" not in error.next_step:
        return error
    return StoreError(error.message, _(EVERYONE_NEXT))
