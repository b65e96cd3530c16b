"""How ui/ is put together: the removal window's pages know an interface, not the window, and
the main window's controllers know nothing of the window that wires them (issue 12)."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "ui"


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at run time or for type checking alone."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_page_of_the_removal_window_imports_the_window() -> None:
    parts = [p for p in (UI / "wizard").glob("*.py") if p.stem not in ("__init__", "wizard")]
    assert parts, "the wizard's modules were not found"
    offenders = [p.name for p in parts if {"ui.wizard.wizard", "ui.wizard"} & imported(p)]
    assert offenders == []


def test_the_main_window_controllers_do_not_import_the_window() -> None:
    controllers = [
        "device_view",
        "helpdesk_queue",
        "history_windows",
        "main_actions",
        "policies",
        "removals",
        "scanning",
        "status_progress",
    ]
    offenders = [c for c in controllers if "ui.main_window" in imported(UI / f"{c}.py")]
    assert offenders == []
