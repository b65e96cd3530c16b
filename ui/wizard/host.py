"""What a page of the removal window may use of the window that holds it.

The pages used to import the wizard class for its type while the wizard imported the pages to
make them: a cycle (`ui/wizard/*` ↔ `wizard.py`) that made every page depend on all of the
wizard, and the wizard impossible to read without its pages. The pages now know only this
interface: the removal under way (`session`, a RemediationSession), what is running, the
questions they may ask, and the operations they may start. `RemovalWizard` provides it; a page
can be tested with anything else that does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QUrl, SignalInstance
from PySide6.QtWidgets import QWidget, QWizardPage

if TYPE_CHECKING:
    from audit.model import ActionResult, Device, Exemption
    from audit.progress import CancelCheck, Progress
    from audit.remediation import Attempt, RemediationSession, RemovalPlan, Step
    from audit.remediation.pending import PendingRemoval
    from ui.wizard.files import SavedReceipt, SignRequest


class WizardHost(Protocol):
    """The removal window as its pages see it (see the module docstring)."""

    # --- the removal under way ----------------------------------------------------------------
    session: RemediationSession
    helpdesk: bool
    receipts_dir: Path
    loaded_exemptions: tuple[Exemption, ...]
    first_plans: tuple[RemovalPlan, ...]
    kept_note: str
    resumed: PendingRemoval | None
    saved: SavedReceipt | None
    request_path: Path | None

    # --- what runs now, and how it went -------------------------------------------------------
    busy_with: str
    busy_text: str
    step_errors: dict[str, BaseException]
    rescan_error: BaseException | None
    usb_result: ActionResult | None
    usb_error: BaseException | None
    keyring_problem: BaseException | None
    keyring_checking: bool
    keyring_checked_at: datetime | None

    @property
    def busy(self) -> bool: ...
    @property
    def is_phone(self) -> bool: ...
    @property
    def device(self) -> Device: ...
    @property
    def remove_ids(self) -> tuple[int, ...]: ...
    @property
    def how_to_reopen(self) -> str: ...

    # --- signals ------------------------------------------------------------------------------
    @property
    def changed(self) -> SignalInstance: ...
    @property
    def busy_changed(self) -> SignalInstance: ...
    @property
    def progressed(self) -> SignalInstance: ...
    @property
    def acted(self) -> SignalInstance: ...
    @property
    def keyring_changed(self) -> SignalInstance: ...
    @property
    def currentIdChanged(self) -> SignalInstance: ...  # QWizard's name

    def currentPage(self) -> QWizardPage: ...  # QWizard's name

    # --- what the pages may start -------------------------------------------------------------
    def run_step(self, step: Step) -> bool: ...
    def undo_step(self, step: Step) -> bool: ...
    def confirm_step(self, step: Step) -> bool: ...
    def last_attempt(self, step: Step) -> Attempt | None: ...
    def set_all_users(self, on: bool) -> bool: ...
    def start_rescan(self) -> bool: ...
    def apply_exemptions(
        self, chosen: Sequence[Exemption], person: str, failed: Callable[[BaseException], None]
    ) -> bool: ...
    def check_keyring(self, *, again: bool = False) -> bool: ...
    def switch_off_usb_debugging(self) -> bool: ...
    def sign(self, request: SignRequest, failed: Callable[[BaseException], None]) -> bool: ...
    def run_in_background(
        self,
        what: str,
        text: str,
        work: Callable[[Progress, CancelCheck], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
    ) -> bool: ...

    # --- questions and the desktop (tests replace these on the wizard class) ------------------
    def ask_confirm(
        self, parent: QWidget, title: str, text: str, button: str, *, keep: str = ""
    ) -> bool: ...
    def ask_folder(self, parent: QWidget, start: str) -> str: ...
    def open_url(self, url: QUrl) -> bool: ...
