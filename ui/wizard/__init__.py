"""The removal and attestation wizard (see ui/wizard/wizard.py for the flow).

The main window opens it with `open_removal_wizard`:

    wizard = open_removal_wizard(
        window,
        assessment=session.assessment,      # the device's latest assessment (a complete scan)
        exemptions=window.exemptions,       # the loaded exemptions file (may be empty)
        person=window.person,               # the staff id the assessment was judged for
        adb_port=sources.adb_port,
        operations=window.ops,              # the app's one background helper
        helpdesk=window.helpdesk,
        on_finished=lambda receipt_path: ...,   # str path of the signed receipt, or None
    )

The wizard is a separate, non-modal window (the main window stays usable: a helpdesk can look
at other phones meanwhile), deleted when closed. It copies the assessment and policy at the
start, so changing the policy in the main window does not change a removal under way; connect
`wizard.rescanned` (an Assessment) to show the rechecked device in the main window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from audit.model import Assessment, Exemption
from audit.remediation import Executor
from ui.ops import Operations
from ui.windows import place
from ui.wizard.ids import Pages
from ui.wizard.wizard import RemovalWizard, Rescan

__all__ = ["Pages", "RemovalWizard", "open_removal_wizard"]


def open_removal_wizard(
    parent: QWidget | None,
    *,
    assessment: Assessment,
    exemptions: Sequence[Exemption],
    person: str,
    operations: Operations,
    helpdesk: bool,
    on_finished: Callable[[str | None], None],
    adb_port: int | None = None,
    executor: Executor | None = None,
    rescan: Rescan | None = None,
    receipts_dir: Path | None = None,
    cascade: int = 0,
) -> RemovalWizard:
    """Open the wizard for one device and return it (already shown).

    `on_finished` is called once, when the wizard closes: with the signed receipt's path (an
    attestation or a non-compliance report), or None when nothing was signed. `executor` and
    `rescan` default to the device's own (adb on `adb_port` for a phone, this computer
    otherwise); the main window may pass its shared ones. `receipts_dir` defaults to the
    data folder's "receipts"; the person can choose another folder on the signing page.
    `cascade` counts the removal windows open already: this one opens below and right of them.
    """
    wizard = RemovalWizard(
        parent,
        assessment=assessment,
        operations=operations,
        exemptions=exemptions,
        person=person,
        helpdesk=helpdesk,
        adb_port=adb_port,
        executor=executor,
        rescan=rescan,
        receipts_dir=receipts_dir,
    )
    wizard.setWindowFlag(Qt.WindowType.Window, True)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

    def finished(_result: int) -> None:
        saved = wizard.saved
        on_finished(str(saved.path) if saved is not None else None)

    wizard.finished.connect(finished)
    place(wizard, cascade)
    wizard.show()
    return wizard
