"""Captured phone output for the Android tests."""

from __future__ import annotations

from pathlib import Path

CAPTURES = Path(__file__).parent / "captures"


def capture(name: str) -> str:
    return (CAPTURES / name).read_text(encoding="utf-8")
