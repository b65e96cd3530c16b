"""The human-readable PDF receipt beside the signed one, with Qt's PDF writer.

The content (audit.attestation.receipt_text) comes from the receipt file, so every value is
untrusted: it is escaped with html.escape before it goes into the QTextDocument, so an app
called `<b>TikTok</b>` prints those characters and never becomes markup; invisible control and
direction characters are printed as visible escapes so they cannot reorder or hide text.

Its own words (the signature's heading, the note under it) are in the receipt's language
(ReceiptContent.language), like the rest of the content, whatever the reader's language.

Works headless: the CLI calls it on servers with no display, so a QGuiApplication is made when
none exists, on the offscreen platform when Linux has no display to use.
"""

from __future__ import annotations

import html
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF, QSizeF
from PySide6.QtGui import (
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPdfWriter,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextTable,
)

from audit.attestation.receipt_text import ReceiptContent, Section, Table
from audit.i18n import _, speaking
from audit.text import visible

_APPS: list[QGuiApplication] = []  # keeps the application made here alive


def ensure_gui_application() -> QCoreApplication:
    """The running Qt application, or a new offscreen-capable QGuiApplication."""
    existing = QCoreApplication.instance()
    if existing is not None:
        return existing
    on_linux = sys.platform.startswith("linux")
    if on_linux and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication(["device-audit"])
    _APPS.append(app)
    return app


def _esc(text: str) -> str:
    return html.escape(visible(text, keep="\n"), quote=True).replace("\n", "<br>")


def _table(table: Table) -> str:
    parts = [f"<h3>{_esc(table.title)}</h3>"]
    if not table.rows:
        parts.append(f"<p>{_esc(table.empty)}</p>")
        return "".join(parts)
    parts.append("<table border='1' cellspacing='0' cellpadding='3' width='100%'>")
    # A header row: printed again at the top of each page the table goes on to.
    parts.append(
        "<thead><tr>"
        + "".join(f"<th align='left'>{_esc(c)}</th>" for c in table.columns)
        + "</tr></thead>"
    )
    for row in table.rows:
        parts.append("<tr>" + "".join(f"<td>{_esc(cell)}</td>" for cell in row) + "</tr>")
    parts.append("</table>")
    return "".join(parts)


def _section(section: Section) -> str:
    parts = [f"<h3>{_esc(section.title)}</h3>"]
    if section.lines:
        parts.append("<table cellspacing='0' cellpadding='2'>")
        for line in section.lines:
            parts.append(
                f"<tr><td valign='top'><b>{_esc(line.label)}</b>&nbsp;&nbsp;</td>"
                f"<td>{_esc(line.value)}</td></tr>"
            )
        parts.append("</table>")
    if section.text:
        parts.append(f"<p>{_esc(section.text)}</p>")
    return "".join(parts)


def receipt_html(content: ReceiptContent) -> str:
    """The document; only the tags written here are markup, every value is escaped."""
    with speaking(content.language):
        return _html(content)


def _html(content: ReceiptContent) -> str:
    colour = "#1a7f37" if content.compliant and not content.simulated_line else "#b42318"
    parts = []
    if content.simulated_line:
        # A demo receipt says so before anything else, in a red box, on its first line.
        parts.append(
            "<table width='100%' cellpadding='8' cellspacing='0' bgcolor='#b42318'><tr><td>"
            f"<span style='color:#ffffff; font-size:large'><b>{_esc(content.simulated_line)}"
            "</b></span></td></tr></table>"
        )
    parts += [
        f"<h1>{_esc(content.title)}</h1>",
        f"<p style='color:{colour}'><b>{_esc(content.kind_line)}</b></p>",
    ]
    parts += [_section(section) for section in content.sections]
    parts.append(_table(content.findings))
    parts.append(_table(content.actions))
    # (no _() inside an f-string: the extractor cannot see it there)
    heading, signed_by = _("Signature"), _("Signed by the key with fingerprint")
    parts.append(f"<h3>{_esc(heading)}</h3>")
    parts.append(f"<p>{_esc(signed_by)}<br><tt>{_esc(content.fingerprint)}</tt></p>")
    parts.append(f"<p>{_esc(content.verify_hint)}</p>")
    note = _(
        "This PDF is a readable copy. The signed receipt file is the record: check it with the "
        "command above."
    )
    parts.append(f"<p><i>{_esc(note)}</i></p>")
    if content.technical is not None:
        parts.append(f"<div style='font-size:small'>{_section(content.technical)}</div>")
    # Which app wrote this copy (the version that signed is inside the receipt file).
    parts.append(f"<p style='font-size:small'>{_esc(written_by())}</p>")
    return "".join(parts)


def app_and_version() -> str:
    from audit import __version__

    return f"Device Audit {__version__}"


def written_by() -> str:
    return _("This copy was written by {app}.").format(app=app_and_version())


def _printed_layout(document: QTextDocument, writer: QPdfWriter) -> QTextDocument:
    """A copy of `document` laid out as QTextDocument.print_ lays it out on `writer` (an
    unpaginated document: a copy on the writer's pages, with 2 cm margins)."""
    copy = document.clone()
    copy.documentLayout().setPaintDevice(writer)
    screen = QGuiApplication.primaryScreen()
    dpi_x = round(screen.logicalDotsPerInchX()) if screen is not None else 96
    dpi_y = round(screen.logicalDotsPerInchY()) if screen is not None else 96
    frame = copy.rootFrame().frameFormat()
    frame.setLeftMargin(int(2 / 2.54 * dpi_x))
    frame.setRightMargin(int(2 / 2.54 * dpi_x))
    frame.setTopMargin(int(2 / 2.54 * dpi_y))
    frame.setBottomMargin(int(2 / 2.54 * dpi_y))
    copy.rootFrame().setFrameFormat(frame)
    copy.setPageSize(QSizeF(writer.width(), writer.height()))
    return copy


def _tables(document: QTextDocument) -> list[QTextTable]:
    return [f for f in document.rootFrame().childFrames() if isinstance(f, QTextTable)]


def keep_tables_together(document: QTextDocument, writer: QPdfWriter) -> None:
    """A table's title and header row never end a page without its first row: the title
    starts the next page instead (and a header row repeats on each page a table goes on to)."""
    for _attempt in range(len(_tables(document))):  # each break may move the tables after it
        printed = _printed_layout(document, writer)
        layout = printed.documentLayout()
        height = printed.pageSize().height()
        moved = False
        for index, table in enumerate(_tables(printed)):
            if table.format().headerRowCount() < 1 or table.rows() < 2:
                continue
            title = table.firstCursorPosition().block().previous()
            first_row = table.cellAt(1, 0).firstCursorPosition().block()
            title_page = int(layout.blockBoundingRect(title).top() // height)
            row_page = int(layout.blockBoundingRect(first_row).bottom() // height)
            if row_page > title_page:
                original = _tables(document)[index].firstCursorPosition().block().previous()
                cursor = QTextCursor(original)
                block = original.blockFormat()
                block.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
                cursor.setBlockFormat(block)
                moved = True
                break
        if not moved:
            return


def write_receipt_pdf(content: ReceiptContent, path: Path | str) -> None:
    """Write the PDF atomically: a crash leaves the old file or none, never half a PDF."""
    ensure_gui_application()
    target = Path(path)
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(handle)
    temp = Path(temp_name)
    try:
        writer = QPdfWriter(str(temp))
        writer.setTitle(content.title)
        writer.setCreator(app_and_version())
        writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(18, 18, 18, 18),
                QPageLayout.Unit.Millimeter,
            )
        )
        document = QTextDocument()
        document.setDocumentMargin(0)
        document.setHtml(receipt_html(content))
        keep_tables_together(document, writer)
        document.print_(writer)
        del writer  # closes the file
        with temp.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
