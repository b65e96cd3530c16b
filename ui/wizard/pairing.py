"""The end of an iPhone's audit: this computer's pairing with it, the iPhone's equivalent of
switching USB debugging off.

A pairing (made when the person tapped Trust and entered the passcode) lets this computer read
the iPhone's apps whenever it is plugged in, without asking again. When Device Audit made it
for this check, the receipt page offers to remove it; one another program made (Finder, iTunes,
Apple Devices) is left alone and the person is told how to remove every pairing on the iPhone
itself. It comes after the signature: removing the pairing changes nothing the receipt says,
and a check made after it would have to ask "Trust This Computer?" again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from audit.i18n import N_, _
from audit.model import DeviceKind
from ui.plain import label
from ui.wizard.widgets import heading

if TYPE_CHECKING:
    from ui.wizard.host import WizardHost

MADE_HERE = N_(
    "Device Audit paired this computer with the iPhone for this check (when Trust was tapped). "
    "While the pairing stays, this computer can read the iPhone's apps whenever it is plugged "
    'in, without "Trust This Computer?". Remove it now unless you will check this iPhone here '
    "again soon. The receipt is saved already: removing the pairing changes nothing in it."
)
MADE_ELSEWHERE = N_(
    "This computer's pairing with the iPhone was made before this check, by another program "
    "(Finder, iTunes or Apple Devices), so Device Audit leaves it as it is. To make the iPhone "
    "forget every computer it trusts: on the iPhone, Settings > General > Transfer or Reset "
    "iPhone > Reset > Reset Location & Privacy."
)
DEMO = N_(
    "On a real iPhone, Device Audit offers here to remove this computer's pairing with it, if "
    "it made that pairing for the check. The demo iPhone has none."
)


class PairingBox(QWidget):
    """The offer (or the words) about this computer's pairing; hidden for other devices."""

    def __init__(self, wizard: WizardHost, parent: QWidget) -> None:
        super().__init__(parent)
        self.w = wizard
        self.setObjectName("pairingBox")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading(_("This computer's pairing with the iPhone"), self))
        self.words = label("", self, name="pairingWords")
        layout.addWidget(self.words)
        row = QHBoxLayout()
        self.remove = QPushButton(_("Remove this computer's &pairing"), self)
        self.remove.setAccessibleName(_("Remove this computer's pairing with the iPhone"))
        self.remove.clicked.connect(self.forget)
        row.addWidget(self.remove)
        row.addStretch(1)
        layout.addLayout(row)
        self.result = label("", self, name="pairingResult")
        self.result.hide()
        layout.addWidget(self.result)
        self.refresh()

    @property
    def udid(self) -> str:
        return self.w.device.serial

    def refresh(self) -> None:
        device = self.w.device
        if device.kind is not DeviceKind.IOS:
            self.hide()
            return
        self.show()
        if device.simulated:
            self.words.setText(_(DEMO))
            self.remove.hide()
            return
        from audit.sources.ios.pairing import made_here

        made = made_here(self.udid)
        if not made and self.result.isVisible():
            return  # removed from here: the result says so
        self.words.setText(_(MADE_HERE) if made else _(MADE_ELSEWHERE))
        self.remove.setVisible(made)

    def forget(self) -> None:
        udid = self.udid

        def work(_progress: object, _cancelled: object) -> str:
            from audit.sources.ios.pairing import end_of_audit

            return end_of_audit(udid, True)

        def done(words: str) -> None:
            self.result.setText(words)
            self.result.show()
            self.remove.hide()

        def failed(error: BaseException) -> None:
            from ui.errors import describe

            message = describe(error)
            self.result.setText(f"{message.text} {message.next_step}")
            self.result.show()

        self.w.run_in_background(
            "pairing", _("Removing this computer's pairing with the iPhone"), work, done, failed
        )
