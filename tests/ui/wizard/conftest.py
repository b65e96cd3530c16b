"""Fixtures for the removal wizard: a real Operations, and a wizard per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from audit import demo
from audit.errors import ActionFailed
from audit.model import ActionResult, Assessment, Policy
from audit.policy import evaluate
from audit.remediation import Step
from audit.sources.android.scan import scan_phone
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture, for these tests
from tests.helpers.phones import AdbServer
from tests.phonesim import SimulatedPhone
from ui.ops import Operations
from ui.wizard import RemovalWizard

WizardFactory = Callable[..., RemovalWizard]
PhoneWizard = Callable[..., RemovalWizard]
DAY = date(2023, 3, 20)


def assess(phone: SimulatedPhone, adb_server: AdbServer, policy: Policy) -> Assessment:
    """The first check of a simulated phone, through the real adb server."""
    return evaluate(scan_phone(phone.address, adb_port=adb_server.port), policy, day=DAY)


@pytest.fixture
def ops() -> Iterator[Operations]:
    operations = Operations(max_workers=2)
    yield operations
    operations.shutdown()


@pytest.fixture
def receipts(tmp_path: Path) -> Path:
    return tmp_path / "receipts"


class NoPhone:
    """The executor of a wizard made without an adb server: a test must never reach the
    developer's adb server (or start one) by leaving the executor to its default."""

    def run(self, step: Step) -> ActionResult:
        raise ActionFailed(f"'{step.title}': this test has no phone to do it on.")


@pytest.fixture(autouse=True)
def answer_yes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Questions the wizard asks in a dialog are answered "yes" (and listed), so no test ever
    waits on a modal dialog: closing a wizard at the end of a test asks one."""
    asked: list[str] = []

    def ask(_cls: type, _parent: object, title: str, _text: str, _button: str, **_: str) -> bool:
        asked.append(title)
        return True

    monkeypatch.setattr(RemovalWizard, "ask_confirm", classmethod(ask))
    return asked


@pytest.fixture
def make_wizard(qtbot: QtBot, ops: Operations, receipts: Path) -> WizardFactory:
    def make(assessment: Assessment, **options: Any) -> RemovalWizard:
        options.setdefault("receipts_dir", receipts)
        if "adb_port" not in options:
            options.setdefault("executor", NoPhone())
        wizard = RemovalWizard(None, assessment=assessment, operations=ops, **options)
        qtbot.addWidget(wizard)
        wizard.show()
        return wizard

    return make


@pytest.fixture
def wizard_for(make_wizard: WizardFactory, adb_server: AdbServer) -> PhoneWizard:
    """`wizard_for(phone, policy)`: the wizard for the phone's first check under the policy."""

    def make(phone: SimulatedPhone, policy: Policy, **options: object) -> RemovalWizard:
        return make_wizard(assess(phone, adb_server, policy), adb_port=adb_server.port, **options)

    return make


@pytest.fixture
def demo_wizard(make_wizard: WizardFactory) -> Callable[..., RemovalWizard]:
    """`demo_wizard(policy)`: the wizard for the first check of the app's demo phone (switched
    on afresh), doing its steps and checks the way the app does them for the demo phone."""

    def make(policy: Policy, **options: object) -> RemovalWizard:
        demo.switch_on()
        first = evaluate(scan_phone(demo.DEMO_ADDRESS), policy, day=DAY)
        return make_wizard(first, executor=None, **options)

    return make
