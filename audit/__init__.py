"""Device Audit's core: inventory, policy, remediation and attestation, without any Qt.

Nothing under this package may import PySide6; tests/test_boundary.py enforces it.

`__version__` comes from git (audit.version): worked out the first time it is asked for, so a
command that never shows or signs it does not run git.
"""

from __future__ import annotations

from pathlib import Path

_version: str | None = None


def __getattr__(name: str) -> str:
    global _version  # noqa: PLW0603 - one answer per process, worked out on first use
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _version is None:
        from audit.version import find_version

        _version = find_version(Path(__file__).resolve().parent)
    return _version
