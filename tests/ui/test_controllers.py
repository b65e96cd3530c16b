"""The main window's controllers work on their own, wired only by signals (issue 12): a policy
chosen in the policy controller, a phone checked by the devices controller, its check
recorded by the removals controller, without a MainWindow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from audit.model import Assessment, DeviceState
from audit.store import Store
from tests.ui.fakes import FeedTracker, Phones, fake_sources
from tests.ui.samples import DAY
from ui.device_list import DeviceListModel, PhoneEvent, ScanPhase
from ui.ops import Operations
from ui.policies import PolicyController
from ui.recorder import AuditRecorder
from ui.removals import RemovalsController
from ui.scanning import DevicesController

NZ = "nz-parliament-2023"
SERIAL = "R58M123"
TIKTOK = "com.zhiliaoapp.musically"


@pytest.fixture
def parent(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def ops(parent: QWidget) -> Iterator[Operations]:
    operations = Operations(parent, max_workers=2)
    yield operations
    operations.shutdown()


def test_a_policy_chosen_in_the_controller_is_in_force_and_in_its_box(
    qtbot: QtBot, parent: QWidget, ops: Operations
) -> None:
    policies = PolicyController(ops, parent)
    with qtbot.waitSignal(policies.presets_loaded, timeout=10_000):
        policies.load("", "")
    with qtbot.waitSignal(policies.policy_changed, timeout=10_000):
        policies.choose(NZ)
    assert policies.policy is not None and policies.policy.id == NZ
    assert policies.box.currentData() == NZ


def test_a_phone_is_checked_judged_by_the_workflow_and_its_check_recorded(
    qtbot: QtBot, parent: QWidget, ops: Operations, tmp_path: Path
) -> None:
    policies = PolicyController(ops, parent)
    with qtbot.waitSignal(policies.policy_changed, timeout=10_000):
        policies.choose(NZ)
    phones = Phones()  # a phone with TikTok in its work profile (tests.ui.samples.phone_scan)
    model = DeviceListModel(parent)
    devices = DevicesController(
        fake_sources(phones, FeedTracker()),
        ops,
        model,
        policies,
        today=lambda: DAY,
        person="",
        auto_scan_phones=True,
        helpdesk=lambda: False,
        parent=parent,
    )
    recorder = AuditRecorder(ops, tmp_path / "history.sqlite3", parent)
    removals = RemovalsController(
        parent,
        devices,
        recorder,
        helpdesk=lambda: False,
        receipts_dir=tmp_path / "receipts",
        queue_action=parent.addAction("Go to the queue"),
    )
    devices.judged.connect(removals.record)
    judged: list[Assessment] = []
    devices.judged.connect(lambda _device, assessment: judged.append(assessment))

    with qtbot.waitSignal(devices.judged, timeout=10_000):
        devices.on_phone_event(PhoneEvent(SERIAL, DeviceState.READY))  # checked at once
    (assessment,) = judged
    assert [f.app.identifier for f in assessment.violations] == [TIKTOK]
    entry = model.entry(SERIAL)
    assert entry is not None and entry.phase is ScanPhase.SCANNED
    assert removals.facts(SERIAL).violations == 1
    assert not removals.signature_pending(SERIAL)

    qtbot.waitUntil(recorder.wait_idle, timeout=10_000)
    recorder.close()
    with Store(tmp_path / "history.sqlite3") as store:
        (audit,) = store.history()
    assert audit.device_id == assessment.scan.device.id
