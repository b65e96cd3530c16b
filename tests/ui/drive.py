"""Starting the main window in tests the way the app starts it, then waiting until it is ready."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from ui.main_window import MainWindow


def start_main_window(
    qtbot: QtBot, main: MainWindow, *, timeout: int, policy: str = ""
) -> MainWindow:
    """Show and start `main`, wait for the policy presets to load, and choose `policy` if given
    (waiting until it is in force)."""
    main.show()
    main.start()
    qtbot.waitUntil(lambda: bool(main.presets), timeout=timeout)
    if policy:
        main.choose_policy(policy)
        qtbot.waitUntil(lambda: main.policy is not None, timeout=timeout)
    return main
