"""Device Audit's entry point: no command opens the desktop app, a command runs headless.

The CLI path never imports Qt, so scripts on a server without a display work.
"""

from __future__ import annotations

import os
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
    if no_display():
        from audit.cli import NO_DISPLAY, language_option
        from audit.i18n import _, set_language

        set_language(language_option(args))
        print(_(NO_DISPLAY), file=sys.stderr)
        return 2
    from ui.app import run

    return run(args)


def no_display() -> bool:
    """On Linux and other X11/Wayland systems, Qt aborts without a display: say so instead."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


if __name__ == "__main__":
    sys.exit(main())
