"""Fixtures for the removal wizard: a real Operations, and a wizard per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from audit.model import Assessment
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture, for these tests
from ui.ops import Operations
from ui.wizard import RemovalWizard

WizardFactory = Callable[..., RemovalWizard]


@pytest.fixture
def ops() -> Iterator[Operations]:
    operations = Operations(max_workers=2)
    yield operations
    operations.shutdown()


@pytest.fixture
def receipts(tmp_path: Path) -> Path:
    return tmp_path / "receipts"


@pytest.fixture
def make_wizard(qtbot: QtBot, ops: Operations, receipts: Path) -> WizardFactory:
    def make(assessment: Assessment, **options: Any) -> RemovalWizard:
        options.setdefault("receipts_dir", receipts)
        wizard = RemovalWizard(None, assessment=assessment, operations=ops, **options)
        qtbot.addWidget(wizard)
        wizard.show()
        return wizard

    return make
