"""Errors become words here, and only here: what happened, and the next step.

Every failure the desktop app shows goes through `describe`, so a person never sees a traceback
and the same error reads the same everywhere. Details go to a rotating log file in the user's data
folder, which the message names when the error was not one we expected.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from audit import errors as e
from audit.i18n import N_, _
from audit.paths import log_dir

log = logging.getLogger(__name__)

LOG_FILE_NAME = "device-audit.log"
_LOG_BYTES = 1_000_000
_LOG_BACKUPS = 3


@dataclass(frozen=True)
class UserMessage:
    """An error as a person reads it: a short title, what happened, what to do now."""

    title: str
    text: str
    next_step: str = ""
    details: str = ""  # for whoever sets up the computer: shown folded away, not in as_text()

    def as_text(self) -> str:
        if not self.next_step:
            return self.text
        step = _("What to do: {step}").format(step=self.next_step)
        return f"{self.text}\n\n{step}"


# Most specific class first: the first isinstance match wins. Marked, translated in `describe`.
_TITLES: tuple[tuple[type[e.AuditError], str], ...] = (
    (e.DeviceNotAnswering, N_("The phone stopped answering")),
    (e.DeviceGone, N_("The phone was disconnected")),
    (e.DeviceUnauthorized, N_("The phone has not allowed this computer yet")),
    (e.DeviceOffline, N_("The phone is not responding")),
    (e.DeviceNoPermission, N_("No permission to use the phone's USB connection")),
    (e.DeviceOutputError, N_("The phone gave an answer Device Audit did not understand")),
    (e.DeviceError, N_("The phone could not be read")),
    (e.AdbUnavailable, N_("Device Audit cannot talk to phones right now")),
    (e.PolicyError, N_("This policy file cannot be used")),
    (e.ExemptionsError, N_("This exemptions file cannot be used")),
    (e.InventoryFileError, N_("This inventory file cannot be used")),
    (e.CatalogError, N_("The list of app identifiers cannot be used")),
    (e.FileFormatError, N_("This file cannot be used")),
    (e.UnknownPolicy, N_("Policy not found")),
    (e.InvalidPackageName, N_("An app name was refused")),
    (e.ActionFailed, N_("That did not work")),
    (e.CollectorError, N_("Part of this computer could not be read")),
    (e.KeyringUnavailable, N_("This computer cannot sign the receipt yet")),
    (e.AttestationRefused, N_("The attestation cannot be made yet")),
    (e.AttestationInvalid, N_("This attestation cannot be trusted")),
    (e.StoreError, N_("The audit history could not be used")),
)
DID_NOT_WORK = N_("That did not work")

NOTHING_TO_EXPORT = N_("Nothing to export")


def _nothing_to_export(error: e.NoAuditsUnderPolicy) -> UserMessage:
    """The store's next step is written for the terminal; this one for the app."""
    if not error.known:
        step = _(
            "Audits are recorded when a phone or this computer is checked in Device Audit, or "
            "when receipts staff made are brought in with File › Import receipts…; then export "
            "again."
        )
    else:
        step = _(
            "Nobody has been audited under this policy yet. Choose another policy in the Policy "
            "list (View › Dashboard lists the policies that have audits) and export again."
        )
    return UserMessage(_(NOTHING_TO_EXPORT), error.message, step)


def log_file() -> Path:
    return log_dir() / LOG_FILE_NAME


def describe(error: BaseException) -> UserMessage:
    """The one translation from an exception to words a person can act on."""
    if isinstance(error, e.AuditError):
        title = _(next((t for cls, t in _TITLES if isinstance(error, cls)), DID_NOT_WORK))
        if isinstance(error, e.KeyringUnavailable):  # the person's step; IT's part folded away
            return UserMessage(title, error.message, error.advice, error.details)
        if isinstance(error, e.NoAuditsUnderPolicy):
            return _nothing_to_export(error)
        return UserMessage(title, error.message, error.next_step)
    if isinstance(error, OSError):
        reason = error.strerror or str(error)
        if error.filename:
            text = _("Device Audit could not read or write {file}: {reason}.").format(
                file=error.filename, reason=reason
            )
        else:
            text = _("Device Audit could not read or write: {reason}.").format(reason=reason)
        return UserMessage(
            _("A file could not be used"),
            text,
            _(
                "Check that the file or folder exists and that you are allowed to open it, "
                "then try again."
            ),
        )
    return UserMessage(
        _("Something went wrong"),
        _(
            "Device Audit ran into a problem it did not expect. Nothing was changed on your "
            "devices."
        ),
        _("Try again. If it happens again, send the log file to your helpdesk: {path}").format(
            path=log_file()
        ),
    )


def show_error(parent: QWidget | None, error: BaseException) -> QMessageBox | None:
    """Show an error as a message box that does not block the caller; None for a cancel.

    The text is set as plain text: messages quote file paths and names that came from a file or a
    device, and a QMessageBox would otherwise render them as HTML.
    """
    if isinstance(error, e.Cancelled):
        return None
    if not isinstance(error, e.AuditError):
        log.error("unexpected error", exc_info=(type(error), error, error.__traceback__))
    return _open_box(parent, describe(error))


def _open_box(parent: QWidget | None, message: UserMessage) -> QMessageBox:
    box = QMessageBox(parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(message.title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(message.as_text())
    if message.details:
        box.setDetailedText(message.details)  # behind "Show Details..."
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAccessibleName(message.title)
    box.setAccessibleDescription(message.as_text())
    if parent is None:  # nothing else owns it: keep it alive until the person closes it
        _open_boxes.add(box)
        box.finished.connect(lambda _result: _open_boxes.discard(box))
    box.open()
    return box


_open_boxes: set[QMessageBox] = set()


# --- logging and the last-resort hook ----------------------------------------------------------


class _Handler(RotatingFileHandler):
    """Marks our handler so that setting up logging twice does not add a second one."""


def setup_logging(level: int = logging.INFO) -> Path:
    """Send our log records to a rotating file in the data folder; returns its path."""
    path = log_file()
    root = logging.getLogger()
    if not any(isinstance(h, _Handler) for h in root.handlers):
        handler = _Handler(path, maxBytes=_LOG_BYTES, backupCount=_LOG_BACKUPS, encoding="utf-8")
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
        )
        root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return path


def handle_uncaught(
    kind: type[BaseException], error: BaseException, tb: TracebackType | None
) -> None:
    """The excepthook: log the traceback, show the person a sentence, keep the app running."""
    if issubclass(kind, KeyboardInterrupt):
        QCoreApplication.quit()
        return
    log.error("uncaught exception", exc_info=(kind, error, tb))
    if (
        QApplication.instance() is not None
        and threading.current_thread() is threading.main_thread()
    ):
        _open_box(QApplication.activeWindow(), describe(error))


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        log.error(
            "uncaught exception in thread %s",
            args.thread.name if args.thread else "?",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )


def install_excepthook() -> None:
    sys.excepthook = handle_uncaught
    threading.excepthook = _thread_hook
