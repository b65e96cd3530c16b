"""The policy in force in the main window: the presets, the chosen policy, the exemptions file.

Split out of the main window so that choosing a policy is one small object: it loads presets,
policy files and exemptions through the one background helper (ui.ops), keeps the policy box
in step, and says what changed with signals. The window re-judges its devices on
`policy_changed` / `exemptions_changed`; it never loads a policy itself. The file dialogs stay
the window's (tests replace them there).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QWidget

from audit.errors import AuditError
from audit.model import Exemption, Policy
from audit.progress import CancelCheck, Progress
from ui import settings
from ui.ops import Operations
from ui.plain import tooltip

OPEN_FILE = "\x00open-file"
DEMO_POLICY = "nz-parliament-2025"  # the NZ Parliament preset in force (2023 is superseded)


def policy_key(policy: Policy | None) -> str:
    """How the window names a policy: a preset by its id, a file by its path."""
    if policy is None:
        return ""
    return policy.origin or policy.id


class PolicyController(QObject):
    """The presets, the policy and the exemptions the window judges devices with."""

    policy_changed = Signal()
    """A policy was chosen (or none): every device is to be judged again."""
    exemptions_changed = Signal(int)
    """An exemptions file was loaded (how many exemptions): devices are judged again."""
    presets_loaded = Signal()
    open_file_requested = Signal()
    """The person chose "Open policy file…" in the box: the window asks for the file."""
    failed = Signal(object)
    """An error to show (a policy or exemptions file that cannot be used)."""

    def __init__(self, operations: Operations, parent: QWidget) -> None:
        super().__init__(parent)
        self.ops = operations
        self.box = box = QComboBox(parent)
        box.setObjectName("policyBox")
        box.setAccessibleName("Policy")
        box.setToolTip("The policy to check devices against")
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        box.setMinimumContentsLength(30)
        self.presets: tuple[Policy, ...] = ()
        self.policy: Policy | None = None
        self.exemptions: tuple[Exemption, ...] = ()
        self.exemptions_path = ""
        self._index = 0
        self.fill_box()
        box.activated.connect(self._on_chosen)

    def fill_box(self) -> None:
        """Presets, then the policy file in use (if any), then "Open policy file…"."""
        box = self.box
        box.blockSignals(True)
        box.clear()
        box.addItem("Choose your policy…", "")
        for preset in self.presets:
            box.addItem(preset.title, preset.id)
        current = self.policy
        key = policy_key(current)
        if current is not None and box.findData(key) < 0:
            box.addItem(f"{current.title} (from a file)", key)
        box.addItem("Open policy file…", OPEN_FILE)
        box.setCurrentIndex(max(box.findData(key), 0))
        self._index = box.currentIndex()
        for i in range(box.count()):
            box.setItemData(i, tooltip(box.itemText(i)), Qt.ItemDataRole.ToolTipRole)
        box.blockSignals(False)

    def load(self, last: str, exemptions_path: str) -> None:
        """At start-up: the presets, the policy used last and the exemptions file used last."""

        def work(_progress: Progress, _cancelled: CancelCheck) -> tuple[Any, ...]:
            from audit.policy import list_presets, load_exemptions, load_policy

            presets = list_presets()
            policy: Policy | None = None
            problems: list[BaseException] = []
            if last:
                try:
                    policy = load_policy(last)
                except AuditError as error:
                    problems.append(error)
            exemptions: tuple[Exemption, ...] = ()
            if exemptions_path:
                try:
                    exemptions = load_exemptions(exemptions_path)
                except AuditError as error:
                    problems.append(error)
            return presets, policy, exemptions, problems

        def done(result: tuple[Any, ...]) -> None:
            presets, policy, exemptions, problems = result
            self.presets = presets
            if not self.exemptions_path:
                self.exemptions = exemptions
                self.exemptions_path = exemptions_path if exemptions else ""
            if self.policy is None and not self.ops.is_running("policy"):
                self.set_policy(policy, remember=False)
            else:
                self.fill_box()
            for problem in problems:
                self.failed.emit(problem)
            self.presets_loaded.emit()

        self.ops.start("presets", work, done, self.failed.emit, label="Loading policies")

    def choose(self, name_or_path: str, *, remember: bool = True) -> None:
        """Load a preset by id or a policy file by path, and put it in force."""

        def work(_progress: Progress, _cancelled: CancelCheck) -> Policy:
            from audit.policy import load_policy

            return load_policy(name_or_path)

        def failed(error: BaseException) -> None:
            self.box.setCurrentIndex(self._index)
            self.failed.emit(error)

        self.ops.start(
            "policy",
            work,
            lambda policy: self.set_policy(policy, remember=remember),
            failed,
            label="Loading the policy",
        )

    def choose_for_demo(self) -> None:
        """The demo needs a policy to show a flagged app; pick one if the person has none."""
        if self.policy is not None or not self.presets or self.ops.is_running("policy"):
            return
        ids = [p.id for p in self.presets]
        # Shown for the demo only: the person's own choice is what is remembered.
        self.choose(DEMO_POLICY if DEMO_POLICY in ids else ids[0], remember=False)

    def set_policy(self, policy: Policy | None, remember: bool = True) -> None:
        self.policy = policy
        self.fill_box()
        if remember:
            settings.set_last_policy(policy_key(policy))
        self.policy_changed.emit()

    @Slot(int)
    def _on_chosen(self, index: int) -> None:
        data = self.box.itemData(index)
        if data == OPEN_FILE:
            self.box.setCurrentIndex(self._index)
            self.open_file_requested.emit()
        elif not data:
            self._index = index
            self.set_policy(None)
        elif data != policy_key(self.policy):
            self.choose(str(data))

    def load_exemptions(self, path: str) -> None:
        def work(_progress: Progress, _cancelled: CancelCheck) -> tuple[Exemption, ...]:
            from audit.policy import load_exemptions

            return load_exemptions(path)

        def done(exemptions: tuple[Exemption, ...]) -> None:
            self.exemptions = exemptions
            self.exemptions_path = path
            settings.set_last_exemptions(path)
            self.exemptions_changed.emit(len(exemptions))

        self.ops.start("exemptions", work, done, self.failed.emit, label="Loading exemptions")
