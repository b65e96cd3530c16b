"""Device Audit's entry point: no command opens the desktop app, a command runs headless.

The CLI path never imports Qt, so scripts on a server without a display work.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from audit.attestation.receipt_text import ReceiptContent


def write_receipt_pdf(content: ReceiptContent, path: Path) -> None:
    """The CLI's PDF writer: Qt is imported only when a PDF is actually written."""
    from ui.receipt_pdf import write_receipt_pdf as write

    write(content, path)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from audit.cli import is_cli_invocation
    from audit.cli import main as cli_main

    if is_cli_invocation(args):
        import audit.cli

        audit.cli.receipt_pdf_writer = write_receipt_pdf
        return cli_main(args)
    from ui.app import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
