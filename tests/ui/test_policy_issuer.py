"""The policy selector says who stands behind each policy (issue 13 §1): "Built-in preset, last
checked D", "Issued by … (signature checked)", or "Not signed"; the banner says it under the
policy's name; and where the history requires signed policies, an unsigned policy file is
refused with the reason before any device is checked against it. Real policy files signed with
real keys, a real SQLite history, real widgets offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from audit.attestation import Signer
from audit.errors import AuditError
from audit.policy import load_policy, load_policy_file
from audit.policy.signed import sign_policy_file
from audit.store import Store
from tests.audit.store.test_trust_attacks import changed_preset
from ui.banner import banner_view, no_phone_view
from ui.errors import describe
from ui.ops import Operations
from ui.policies import PolicyController, issuer_words
from ui.recorder import AuditRecorder

WAIT = 10_000
NZ = "nz-parliament-2025"


class Holder(QWidget):
    """A window with a history, as the main window is to its policy controller."""

    def __init__(self, recorder: AuditRecorder) -> None:
        super().__init__()
        self.recorder = recorder


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "history.sqlite3"
    Store(path).close()
    return path


@pytest.fixture
def controller(qtbot: QtBot, history: Path, keep_alive: list[object]) -> Iterator[PolicyController]:
    ops = Operations(max_workers=2)
    recorder = AuditRecorder(ops, history)
    parent = Holder(recorder)
    keep_alive.append(parent)
    qtbot.addWidget(parent)
    policies = PolicyController(ops, parent)
    assert policies.recorder is recorder  # found on its window, as the main window's
    with qtbot.waitSignal(policies.presets_loaded, timeout=WAIT):
        policies.load("", "")
    yield policies
    recorder.close()
    ops.shutdown()


def org_file(tmp_path: Path, *, signed: bool) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    file = changed_preset(tmp_path, own_id="org-tiktok-2023")
    if signed:
        sign_policy_file(file, Signer.generate())
    return file


def choose(qtbot: QtBot, policies: PolicyController, what: str) -> None:
    with qtbot.waitSignal(policies.policy_changed, timeout=WAIT):
        policies.choose(what)


def tooltip_of(policies: PolicyController, data: str) -> str:
    box = policies.box
    return str(box.itemData(box.findData(data), Qt.ItemDataRole.ToolTipRole))


def test_each_preset_says_it_is_built_in_and_when_it_was_last_checked(
    qtbot: QtBot, controller: PolicyController
) -> None:
    assert controller.presets
    for preset in controller.presets:
        tip = tooltip_of(controller, preset.id)
        if preset.last_verified is not None:
            assert "Built-in preset, last checked " in tip, preset.id
        else:
            assert "Built-in preset, not checked against its sources" in tip, preset.id
    choose(qtbot, controller, NZ)
    words = issuer_words(load_policy(NZ))
    assert words.startswith("Built-in preset, last checked ")
    assert words in controller.box.toolTip() and words in controller.box.accessibleDescription()


def test_a_signed_file_names_its_issuer_and_an_unsigned_one_says_it_is_not_signed(
    qtbot: QtBot, controller: PolicyController, tmp_path: Path
) -> None:
    signed = org_file(tmp_path / "signed", signed=True)
    choose(qtbot, controller, str(signed))
    policy = controller.policy
    assert policy is not None and policy.issuer_key
    assert controller.box.currentText().endswith("(from a file, signed by its issuer)")
    assert "Issued by " in controller.box.toolTip()
    assert "(signature checked, key " in controller.box.toolTip()
    assert "the name is the file's own" in controller.box.toolTip()  # a name anyone can write
    unsigned = org_file(tmp_path / "unsigned", signed=False)
    choose(qtbot, controller, str(unsigned))
    assert controller.box.currentText().endswith("(from a file, not signed)")
    assert "Not signed: nobody has vouched for this file" in controller.box.toolTip()


def test_the_banner_says_who_issued_the_policy(tmp_path: Path) -> None:
    preset = load_policy(NZ)
    view = banner_view(None, preset, None)
    assert view.policy == f"Policy: {preset.title}"
    assert view.issuer.startswith("Built-in preset, last checked ")
    assert no_phone_view(preset).issuer == view.issuer
    unsigned = load_policy_file(org_file(tmp_path, signed=False))
    assert banner_view(None, unsigned, None).issuer.startswith("Not signed")
    assert banner_view(None, None, None).issuer == ""


def test_where_signed_policies_are_required_an_unsigned_file_cannot_be_used(
    qtbot: QtBot, controller: PolicyController, history: Path, tmp_path: Path
) -> None:
    with Store(history) as store:
        store.require_signed_policies(True, by="Lead")
    choose(qtbot, controller, NZ)  # a built-in preset needs no signature
    unsigned = org_file(tmp_path / "unsigned", signed=False)
    with qtbot.waitSignal(controller.failed, timeout=WAIT) as failed:
        controller.choose(str(unsigned))
    error = failed.args[0]
    assert isinstance(error, AuditError)
    message = describe(error)
    assert "is not signed by whoever issued it" in message.text
    assert "this helpdesk requires signed policies" in message.text
    assert "policy.toml.sig" in message.next_step
    assert controller.policy is not None and controller.policy.id == NZ  # nothing changed
    assert controller.box.currentData() == NZ
    assert "requires signed policies" in controller.box.toolTip()
    # the signed text of the same policy is used
    signed = org_file(tmp_path / "signed", signed=True)
    choose(qtbot, controller, str(signed))
    assert controller.policy is not None and controller.policy.id == "org-tiktok-2023"


def test_an_unsigned_file_remembered_from_before_is_refused_at_start_up(
    qtbot: QtBot, history: Path, tmp_path: Path, keep_alive: list[object]
) -> None:
    """The requirement was switched on after the person last used an unsigned file: the app
    does not quietly carry on with it."""
    with Store(history) as store:
        store.require_signed_policies(True, by="Lead")
    unsigned = org_file(tmp_path, signed=False)
    ops = Operations(max_workers=2)
    recorder = AuditRecorder(ops, history)
    parent = Holder(recorder)
    keep_alive.append(parent)
    qtbot.addWidget(parent)
    policies = PolicyController(ops, parent)
    problems: list[object] = []
    policies.failed.connect(problems.append)
    try:
        with qtbot.waitSignal(policies.presets_loaded, timeout=WAIT):
            policies.load(str(unsigned), "")
        assert policies.policy is None
        assert len(problems) == 1 and "requires signed policies" in str(problems[0])
    finally:
        recorder.close()
        ops.shutdown()
