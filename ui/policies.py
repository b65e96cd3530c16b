"""The policy in force in the main window: the presets, the chosen policy, the exemptions file.

Split out of the main window so that choosing a policy is one small object: it loads presets,
policy files and exemptions through the one background helper (ui.ops), keeps the policy box
in step, and says what changed with signals. The window re-judges its devices on
`policy_changed` / `exemptions_changed`; it never loads a policy itself. The file dialogs stay
the window's (tests replace them there).

The box says who stands behind each policy's text (`issuer_words`): a built-in preset and the
day it was last checked against its sources, "Issued by … (signature checked)" for a policy
file its issuer signed, or "not signed". When the history requires signed policies (`device-audit
policy require-signed on`), an unsigned policy file is refused with the reason before any
device is checked against it (audit.store.policy_use): receipts under it would be refused.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QWidget

from audit.errors import AuditError
from audit.i18n import N_, _
from audit.model import Exemption, Policy
from audit.progress import CancelCheck, Progress
from ui import settings
from ui.ops import Operations
from ui.plain import tooltip

if TYPE_CHECKING:
    from ui.recorder import AuditRecorder

log = logging.getLogger(__name__)

OPEN_FILE = "\x00open-file"
DEMO_POLICY = "nz-parliament-2025"  # the NZ Parliament preset in force (2023 is superseded)


# Marked here, translated where shown.
BOX_TIP = N_("The policy to check devices against")
SIGNED_REQUIRED_TIP = N_(
    "This helpdesk requires signed policies: a policy file can be used only with its issuer's "
    "signature beside it (FILE.toml.sig). The built-in presets need none."
)

KEY_TIP = N_(
    "The signature proves the file was not changed since the holder of that key signed it; the "
    "name is the file's own. Compare the key with the one your organisation published."
)


def built_in(policy: Policy) -> bool:
    """A shipped preset, byte for byte (audit.store.policy_use.built_in, without loading the
    history's modules on the GUI thread)."""
    from audit.policy.loader import preset_digests

    return bool(policy.sha256) and preset_digests().get(policy.id) == policy.sha256


def issuer_words(policy: Policy | None) -> str:
    """Who stands behind the policy's text, in a line: "Built-in preset, last checked D",
    "Issued by X (signature checked)", or "Not signed"."""
    if policy is None:
        return ""
    from audit.policy.report import day_words

    if built_in(policy):
        checked = policy.last_verified
        if checked is None:
            return _("Built-in preset, not checked against its sources since it was written")
        return _("Built-in preset, last checked {day}").format(day=day_words(checked))
    if policy.issuer_key:
        from audit.attestation.keys import format_fingerprint

        return _("Issued by {issuer} (signature checked, key {fingerprint})").format(
            issuer=policy.authority or _("its issuer"),
            fingerprint=format_fingerprint(policy.issuer_key),
        )
    return _("Not signed: nobody has vouched for this file's text")


def _file_words(policy: Policy) -> str:
    """How a policy file is named in the box, beside its title."""
    if built_in(policy):
        return _("a copy of the built-in preset")
    if policy.issuer_key:
        return _("from a file, signed by its issuer")
    return _("from a file, not signed")


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

    def __init__(
        self, operations: Operations, parent: QWidget, *, recorder: AuditRecorder | None = None
    ) -> None:
        super().__init__(parent)
        self.ops = operations
        # The history, for its "signed policies only" setting; the main window's own when it
        # passes none (it makes its recorder before this controller).
        self.recorder = recorder if recorder is not None else _recorder_of(parent)
        self.signed_required = False  # as the history said when a policy was last loaded
        self.box = box = QComboBox(parent)
        box.setObjectName("policyBox")
        box.setAccessibleName(_("Policy"))
        box.setToolTip(_(BOX_TIP))
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
        box.addItem(_("Choose your policy…"), "")
        tips = [""]
        for preset in self.presets:
            box.addItem(preset.title, preset.id)
            tips.append(issuer_words(preset))
        current = self.policy
        key = policy_key(current)
        if current is not None and box.findData(key) < 0:
            # Translators: a policy file in the list, "Our ban (from a file, not signed)"
            box.addItem(
                _("{title} ({origin})").format(title=current.title, origin=_file_words(current)),
                key,
            )
            tips.append(issuer_words(current))
        box.addItem(_("Open policy file…"), OPEN_FILE)
        tips.append(_(SIGNED_REQUIRED_TIP) if self.signed_required else "")
        box.setCurrentIndex(max(box.findData(key), 0))
        self._index = box.currentIndex()
        for i, tip in enumerate(tips):
            text = box.itemText(i) + (f"\n{tip}" if tip else "")
            box.setItemData(i, tooltip(text), Qt.ItemDataRole.ToolTipRole)
        lines = [_(BOX_TIP), issuer_words(current)]
        if current is not None and current.issuer_key and not built_in(current):
            lines.append(_(KEY_TIP))  # a name anyone can write; the key is what was checked
        if self.signed_required:
            lines.append(_(SIGNED_REQUIRED_TIP))
        box.setToolTip(tooltip("\n".join(line for line in lines if line)))
        box.setAccessibleDescription(" ".join(line for line in lines[1:] if line))
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
                    policy = self._usable(load_policy(last))
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

        self.ops.start("presets", work, done, self.failed.emit, label=_("Loading policies"))

    def choose(self, name_or_path: str, *, remember: bool = True) -> None:
        """Load a preset by id or a policy file by path, and put it in force."""

        def work(_progress: Progress, _cancelled: CancelCheck) -> Policy:
            from audit.policy import load_policy

            return self._usable(load_policy(name_or_path))

        def failed(error: BaseException) -> None:
            self.box.setCurrentIndex(self._index)
            self.fill_box()  # the policy in force stays; its tips say what the history requires
            self.failed.emit(error)

        self.ops.start(
            "policy",
            work,
            lambda policy: self.set_policy(policy, remember=remember),
            failed,
            label=_("Loading the policy"),
        )

    def _usable(self, policy: Policy) -> Policy:
        """The policy, unless the history requires signed policies and it is not signed
        (StoreError saying why and what to do). Runs on a worker thread: it opens the history.
        A history that cannot be read does not stop a check: recording it will say why."""
        if self.recorder is None or built_in(policy):
            return policy
        from audit.store.policy_use import check_usable

        try:
            self.signed_required = self.recorder.store().signed_policies_required()
        except AuditError:
            log.warning("the history's signed-policies setting cannot be read", exc_info=True)
            return policy
        check_usable(policy, signed_required=self.signed_required)
        return policy

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

        self.ops.start("exemptions", work, done, self.failed.emit, label=_("Loading exemptions"))


def _recorder_of(parent: QWidget) -> AuditRecorder | None:
    from ui.recorder import AuditRecorder

    recorder = getattr(parent, "recorder", None)
    return recorder if isinstance(recorder, AuditRecorder) else None
