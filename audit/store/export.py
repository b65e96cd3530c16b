"""Exports for the compliance office (CSV, JSON) and of the receipts themselves.

CSV opens in a spreadsheet, and device names, person names and staff ids come from devices and
receipt files: a cell that starts with = + - @ or a tab or carriage return would run as a
formula, so such cells get a leading apostrophe (the OWASP advice), which the spreadsheet shows
as text; control characters are written escaped (\x1b). JSON keeps the values exactly.

The signed receipts are what travels between Device Audits: `export_receipts` writes each one
byte for byte, so another history imports them (device-audit import DIR) with every record.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from audit.errors import StoreError
from audit.i18n import _
from audit.inventory import write_atomic
from audit.store.records import ExportRow, ReceiptRecord
from audit.text import visible

FORMAT = "device-audit-export"
VERSION = 1
COLUMNS = tuple(f.name for f in fields(ExportRow))

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never evaluates; control characters (terminal
    escapes, line breaks) are shown escaped, as everywhere else untrusted text is shown.

    Spreadsheets skip leading spaces and read full-width signs (＝, ＋) as their ASCII forms, so
    " =1+1" and "＝1+1" are formulas too: the first character after any spaces is compared in
    its compatibility form (NFKC)."""
    head = unicodedata.normalize("NFKC", text.lstrip()[:1])
    formula = text.startswith(_FORMULA_START) or head.startswith(_FORMULA_START)
    return ("'" if formula else "") + visible(text)


def _cell(value: Any) -> str:
    if isinstance(value, tuple):
        return "; ".join(value)
    return str(value)


def write_csv(rows: Iterable[ExportRow], out: TextIO) -> int:
    """Write a header and one line per row; returns the number of rows. Open `out` with
    newline="" (the csv module writes the CRLF line ends spreadsheets expect)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([safe_cell(_cell(getattr(row, name))) for name in COLUMNS])
        count += 1
    return count


def export_document(
    rows: Sequence[ExportRow], *, today: date, policy_id: str | None
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "status_day": today.isoformat(),
        "policy": policy_id,
        "rows": [{**asdict(row), "exemption_ids": list(row.exemption_ids)} for row in rows],
    }


def write_json(
    rows: Sequence[ExportRow], out: TextIO, *, today: date, policy_id: str | None = None
) -> int:
    json.dump(export_document(rows, today=today, policy_id=policy_id), out, indent=2)
    out.write("\n")
    return len(rows)


def receipt_file_name(receipt: ReceiptRecord) -> str:
    """The attestation id when it is a plain uuid; the id comes from a file and is never
    trusted as a path, so anything else is named by its digest."""
    if _UUID.fullmatch(receipt.uid):
        return f"{receipt.uid}.json"
    return f"receipt-{receipt.payload_sha256[:32]}.json"


def export_receipts(receipts: Iterable[ReceiptRecord], folder: Path | str) -> list[Path]:
    """Write each receipt, byte for byte as signed, into `folder` (made if needed).

    A file already there with the same bytes is left as is; one with other bytes is never
    overwritten (StoreError), so exporting twice into the same folder is safe.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            _("The folder {folder} cannot be made ({problem}).").format(
                folder=folder, problem=exc.strerror or exc
            ),
            _("Choose a folder you may write to."),
        ) from None
    written = []
    for receipt in receipts:
        path = folder / receipt_file_name(receipt)
        try:
            if path.exists():
                if path.read_bytes() != receipt.envelope:
                    raise StoreError(
                        _(
                            "{path} already exists and holds something else; it was not replaced."
                        ).format(path=path),
                        _("Export into an empty folder."),
                    )
            else:
                write_atomic(path, receipt.envelope)
        except OSError as exc:
            raise StoreError(
                _("{path} cannot be written ({problem}).").format(
                    path=path, problem=exc.strerror or exc
                ),
                _("Choose a folder you may write to, with free space."),
            ) from None
        written.append(path)
    return written
