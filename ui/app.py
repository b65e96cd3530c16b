"""Starting the desktop app: options, logging, the last-resort error hook, the main window.

`main.py` calls `run(args)` when no CLI command is given. The language is applied before any
window is made (ui/language.py): --language, else the Language menu's choice, else the
environment's or the system's. Start-up stays lean: only Qt and the
window's own modules load before the window is shown; policies, adb and the collectors load in
the background afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

ENV_BENCH_STARTUP = "DEVICE_AUDIT_BENCH_STARTUP"
"""When set, print "window-exposed <unix time>" once the main window is on screen, and quit."""

ENV_SCREENSHOT = "DEVICE_AUDIT_SCREENSHOT"
"""When set to a path, save a picture of the main window there after the demo phone is scanned
and its first flagged app selected, then quit (used to make docs/screenshot-main.png)."""


def parse_options(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options; everything else (Qt's own, like -platform or -style) goes to Qt."""
    parser = argparse.ArgumentParser(prog="device-audit", add_help=False)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--helpdesk", action="store_true")
    parser.add_argument("--adb-port", type=int, default=None)
    parser.add_argument("--language", default=None)
    return parser.parse_known_args(list(argv))


def run(argv: Sequence[str]) -> int:
    options, qt_args = parse_options(argv)
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from ui import errors, settings

    app = QApplication([sys.argv[0] if sys.argv else "device-audit", *qt_args])
    app.setApplicationDisplayName("Device Audit")
    settings.configure()
    from ui.language import apply_language, install_language_menu

    apply_language(app, options.language or settings.language())
    errors.setup_logging()
    errors.install_excepthook()

    from ui.main_window import MainWindow
    from ui.sources import real_sources

    window = MainWindow(
        real_sources(options.adb_port), helpdesk=options.helpdesk or settings.helpdesk()
    )
    install_language_menu(window)
    bench = bool(os.environ.get(ENV_BENCH_STARTUP))

    class FirstExpose(QObject):
        """Starts the background work once the window is on screen (and times it for bench)."""

        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Expose and window.windowHandle().isExposed():
                window.windowHandle().removeEventFilter(self)
                if bench:
                    print(f"window-exposed {time.time():.6f}", flush=True)
                    QTimer.singleShot(0, app.quit)
                else:
                    QTimer.singleShot(0, started)
            return False

    def started() -> None:
        window.start()
        if options.demo:
            window.set_demo(True)
        path = os.environ.get(ENV_SCREENSHOT)
        if path:
            from ui.screenshot import take_when_ready

            take_when_ready(window, path)

    window.create()  # a native window to watch before it is shown
    first_expose = FirstExpose(window)
    window.windowHandle().installEventFilter(first_expose)
    window.show()
    code = app.exec()
    window.shutdown()
    return code
