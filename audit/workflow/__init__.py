"""One device audit, start to finish: check → carry out steps → rescan → sign → record.

The commands (`check`, `remove`, `attest`) call `DeviceAudit` directly, and it alone writes
their history and pending removal. The window runs it through its background helper (ui.ops):
its checks and re-judgements (ui.scanning), the removal window's checks again, exemptions and
the saved first scan (ui.wizard) are `DeviceAudit.check` / `judge` / `judge_saved`. It signs
every receipt through `sign_and_write` and `write_pdf`, and its history recorder asks
`recorded`, `assessment_key` and `record_signed_file` (history.py). Still the window's own:
the removal window keeps its pending removal with ui/wizard/kept.py and its history through
ui/recorder.py (one store, ordered writes), not through `start_removal` / `keep` / `sign`.
"""

from audit.workflow.device_audit import (
    DeviceAudit,
    Proof,
    Reach,
    Receipt,
    phone,
    saved_scan,
    this_computer,
)
from audit.workflow.history import History, recorded
from audit.workflow.notices import Notice, Say, say_nothing
from audit.workflow.receipt import Pdf, PdfWriter, Signed, sign_and_write, write_pdf

__all__ = [
    "DeviceAudit",
    "History",
    "Notice",
    "Pdf",
    "PdfWriter",
    "Proof",
    "Reach",
    "Receipt",
    "Say",
    "Signed",
    "phone",
    "recorded",
    "saved_scan",
    "say_nothing",
    "sign_and_write",
    "this_computer",
    "write_pdf",
]
