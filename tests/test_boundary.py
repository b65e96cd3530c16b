"""The core must never import Qt: audit/ has to work on a server with no PySide6."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BLOCKER = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class BlockQt:
        def find_spec(self, name, path=None, target=None):
            if name == "PySide6" or name.startswith(("PySide6.", "shiboken6")):
                raise ImportError(f"audit must not import {name}")
            return None

    sys.meta_path.insert(0, BlockQt())
    import audit
    names = ["audit"]
    for info in pkgutil.walk_packages(audit.__path__, "audit."):
        importlib.import_module(info.name)
        names.append(info.name)
    assert not any(m.startswith("PySide6") for m in sys.modules), "Qt was imported"
    print(len(names))
    """
)


def test_audit_imports_without_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 5  # the walk really imported the package tree


def test_blocker_really_blocks_qt() -> None:
    """The check above is only worth something if importing Qt under the blocker fails."""
    code = BLOCKER.replace("import audit\n", "import PySide6.QtCore\nimport audit\n", 1)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "audit must not import PySide6" in result.stderr
