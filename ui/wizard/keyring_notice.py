"""Whether this computer can sign the receipt, said on the first page and on the signing page.

A computer without a usable keyring cannot sign, and nothing may ever be signed with a key kept
in a plain file. The person is told at the start, in plain words, that they can still remove the
apps (what they do is kept) and sign later; what IT must set up is folded away under "Details
for IT". "Try again" makes keyring read its settings again, so a keyring set up while the app
runs is found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from audit.errors import KeyringUnavailable
from audit.i18n import N_, _
from ui.errors import describe
from ui.plain import label
from ui.wizard.widgets import Kind, Notice

if TYPE_CHECKING:
    from ui.wizard.host import WizardHost

TITLE = N_("This computer cannot sign the receipt yet")
AT_START = N_(
    "You can still remove the apps now: what you do is kept on this computer, and you can sign "
    "later, once IT has set up the keyring."
)
AT_SIGNING = N_(
    "What was done is kept on this computer: you can close this window and sign later, once IT "
    "has set up the keyring. To come back then, {reopen}. Or press \u201cTry again\u201d here "
    "once it is set up."
)


class KeyringNotice(QWidget):
    """The keyring's state as the wizard last checked it; hidden while it is usable."""

    def __init__(self, wizard: WizardHost, parent: QWidget, *, signing: bool) -> None:
        super().__init__(parent)
        self.w = wizard
        self.signing = signing
        self.setObjectName("keyringNotice")
        self.notice = Notice(self, name="keyringProblem")
        self.again = QPushButton(_("&Try again"), self)
        self.again.setAccessibleName(_("Look for the keyring again"))
        self.again.clicked.connect(lambda: self.w.check_keyring(again=True))
        self.checked = label("", self, name="keyringChecked")
        row = QHBoxLayout()
        row.addWidget(self.again)
        row.addWidget(self.checked, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.notice)
        layout.addLayout(row)
        wizard.keyring_changed.connect(self.refresh)
        self.refresh()

    def _then(self) -> str:
        return _(AT_SIGNING).format(reopen=self.w.how_to_reopen) if self.signing else _(AT_START)

    def refresh(self) -> None:
        problem = self.w.keyring_problem
        self.setVisible(problem is not None)
        if problem is None:
            self.notice.clear()
            return
        message = describe(problem)
        self.notice.show_message(
            Kind.WARN,
            _(TITLE),
            f"{message.text} {self._then()}",  # two sentences, each translated
            message.next_step,
            message.details,
        )
        checking = self.w.keyring_checking
        self.again.setEnabled(not checking)
        at = self.w.keyring_checked_at
        if checking:
            self.checked.setText(_("Looking for the keyring\u2026"))
        elif at is not None:
            self.checked.setText(
                _("Looked for it at {time}: not usable yet.").format(time=f"{at:%H:%M:%S}")
            )
        else:
            self.checked.setText("")


def look_for_keyring(*, again: bool = False) -> None:
    """Off the GUI thread: raise KeyringUnavailable when this computer cannot sign (never makes
    a key). `again` makes keyring read its settings again first ("Try again"); so does a first
    look that finds no usable keyring, for one set up since the app started."""
    from audit.attestation.keys import reload_keyring, usable_keyring

    if again:
        reload_keyring()
        return
    try:
        usable_keyring()
    except KeyringUnavailable:
        reload_keyring()
