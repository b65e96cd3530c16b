"""The receipt PDF never leaves a table's title or header row alone at the bottom of a page: it
goes on the next page with the table's first row. Read back page by page with Qt's own PDF
reader, for receipts whose earlier sections are one line longer each time, so every place a
page can end is tried."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtPdf import QPdfDocument

from audit.attestation.receipt_text import Line, ReceiptContent, Section, Table
from ui.receipt_pdf import write_receipt_pdf


def content(lines: int) -> ReceiptContent:
    return ReceiptContent(
        title="Attestation of compliance",
        kind_line="Compliant.",
        compliant=True,
        sections=(Section("Device", tuple(Line(f"Detail {i}:", "value") for i in range(lines))),),
        findings=Table(
            "Findings",
            ("HeadApp", "HeadUser"),
            tuple((f"FindRow{i}", "Work") for i in range(3)),
            "",
        ),
        actions=Table(
            "Actions",
            ("HeadTime", "HeadAction"),
            tuple((f"ActRow{i}", "done") for i in range(3)),
            "",
        ),
        fingerprint="ABCD 1234",
        verify_hint="Verify with: device-audit verify receipt.json",
    )


def pages(path: Path) -> list[str]:
    document = QPdfDocument()
    document.load(str(path))
    texts = [document.getAllText(page).text() for page in range(document.pageCount())]
    document.close()
    return texts


def test_a_table_s_title_and_header_stay_with_its_first_row(tmp_path: Path) -> None:
    alone: list[tuple[int, int, str]] = []
    breaks = 0
    for lines in range(28, 46):  # the page ends before, in and after each table
        path = tmp_path / f"receipt-{lines}.pdf"
        write_receipt_pdf(content(lines), path)
        texts = pages(path)
        breaks += len(texts) > 1
        for number, text in enumerate(texts, 1):
            for head, rows in (
                ("Findings", "FindRow"),
                ("HeadApp", "FindRow"),
                ("Actions", "ActRow"),
                ("HeadTime", "ActRow"),
            ):
                if head in text and rows not in text:
                    alone.append((lines, number, head))
    assert breaks, "no receipt here went on to a second page: the test tries nothing"
    assert alone == []
