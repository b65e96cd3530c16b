"""The compliance office's export from the desktop app: the store's rows as CSV or JSON.

The file's ending decides the format (.json for JSON, CSV otherwise), so what the person typed
or chose in the save dialog is what they get. Runs on a worker thread (through the recorder).
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from audit.errors import AuditError
from audit.i18n import N_, _

if TYPE_CHECKING:
    from audit.store import Store

# The save dialog's file kinds (translated where the dialog opens: `_(FILTERS)`); keep the
# patterns in brackets as they are.
FILTERS = N_("Spreadsheet (CSV) (*.csv);;JSON (*.json)")


def suggested_name(policy_id: str, day: date) -> str:
    return f"audits-{policy_id or 'all-policies'}-{day.isoformat()}.csv"


def with_suffix(path: str) -> Path:
    """A path with no ending gets .csv."""
    chosen = Path(path)
    return chosen if chosen.suffix else chosen.with_suffix(".csv")


def export_audits_file(store: Store, path: Path, policy_id: str, day: date) -> int:
    """Write one row per person's device (its latest audit) for `policy_id` ("" for every
    policy), judged as of `day`; returns the number of rows."""
    from audit.inventory import write_atomic
    from audit.store import write_csv, write_json

    rows = store.export_rows(policy_id=policy_id or None, today=day)
    buffer = io.StringIO(newline="")
    if path.suffix.lower() == ".json":
        write_json(rows, buffer, today=day, policy_id=policy_id or None)
    else:
        write_csv(rows, buffer)
    try:
        write_atomic(path, buffer.getvalue().encode("utf-8"))
    except OSError as error:
        raise AuditError(
            _("The export cannot be written to {path} ({reason}).").format(
                path=path, reason=error.strerror or error
            ),
            _("Choose a file in a folder that exists and that you may write to."),
        ) from None
    return len(rows)
