"""One device audit, start to finish: check → carry out steps → rescan → sign → record.

The commands (`check`, `remove`, `attest`) call `DeviceAudit` directly, and it alone writes
their history and pending removal. The window runs it through its background helper (ui.ops):
its checks and re-judgements (ui.scanning), the removal window's checks again, exemptions and
the saved first scan (ui.wizard) are `DeviceAudit.check` / `judge` / `judge_saved`; the removal
window continues, keeps and retires its pending removal with `resume` / `keep_all` / `sign`
(saved.py: one set of rules for `remove`, `attest` and the window) and signs through `sign`,
drawing the PDF with `write_pdf` on its GUI thread. The window's history is written in order,
off the GUI thread, by its recorder (ui.recorder) through this package's history functions
(`record_check`, `record_done`, `record_signed_file`, `recorded`): its `DeviceAudit` is made
with `history_by_caller`, so nothing is written twice.
"""

from audit.workflow.device_audit import (
    DeviceAudit,
    Proof,
    Reach,
    Receipt,
    iphone,
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
    "iphone",
    "phone",
    "recorded",
    "saved_scan",
    "say_nothing",
    "sign_and_write",
    "this_computer",
    "write_pdf",
]
