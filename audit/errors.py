"""One exception hierarchy for everything Device Audit can get wrong.

Every error carries the sentence a person should read and the next step they can take, so that
the GUI and the CLI turn errors into words in one place each and never show a traceback.
"""

from __future__ import annotations

from pathlib import Path

from audit.i18n import N_, _


class AuditError(Exception):
    """Base of every error Device Audit reports to a person."""

    # A class's own next step, marked with N_() (a class attribute is set at import, before
    # the language is chosen) and translated here, when the error is made.
    default_next_step = ""

    def __init__(self, message: str, next_step: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.next_step = next_step or (_(self.default_next_step) if self.default_next_step else "")

    def __str__(self) -> str:
        if self.next_step:
            return f"{self.message}\n{self.next_step}"
        return self.message


class Cancelled(AuditError):
    """The person cancelled the work. Not a failure: never shown as an error."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or _("Cancelled."))


# --- files a person gives us --------------------------------------------------------------


TOO_DEEP = N_("it is nested too deeply (lists or tables inside each other hundreds of times)")
"""The problem for a file whose nesting exhausts Python's parser: no real file comes near it.
Marked, not translated: FileFormatError translates it (and any problem given as a constant)."""


class FileFormatError(AuditError):
    """A file a person gave us is malformed: names the file, the key and the line."""

    what = N_("file")  # translated where the message is made

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        key: str = "",
        line: int | None = None,
        next_step: str = "",
    ) -> None:
        self.path = str(path)
        self.key = key
        self.line = line
        self.problem = problem
        where = self.path
        if line is not None:
            where = _("{path}, line {line}").format(path=where, line=line)
        if key:
            where = _("{path}, key '{key}'").format(path=where, key=key)
        what = _(self.what)
        # A problem passed as a marked constant (TOO_DEEP, which several readers raise as it
        # is) is translated here; any other was made by the caller in the language in use.
        shown = _(problem) if problem in _MARKED_PROBLEMS else problem
        super().__init__(
            # Translators: {what} is "policy file", "inventory file", ... (all masculine in French)
            _("The {what} {where} is not valid: {problem}").format(
                what=what, where=where, problem=shown
            ),
            next_step
            or _("Fix the {what} and load it again; nothing was loaded from it.").format(what=what),
        )


_MARKED_PROBLEMS = frozenset({TOO_DEEP})


class PolicyError(FileFormatError):
    what = N_("policy file")


class ExemptionsError(FileFormatError):
    what = N_("exemptions file")


class InventoryFileError(FileFormatError):
    what = N_("inventory file")


class CatalogError(FileFormatError):
    what = N_("identifier catalog")


class CannotWrite(AuditError):
    """A file could not be written where the person asked (no such folder, no permission)."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        super().__init__(
            _("Could not write {path}: {reason}.").format(path=self.path, reason=reason),
            _("Choose a file in a folder you can write to, and try again."),
        )


class UnknownPolicy(AuditError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            _("There is no policy preset or file called '{name}'.").format(name=name),
            _(
                "Run 'device-audit policies' to list the presets, or give the path of a policy "
                "file."
            ),
        )


# --- devices ---------------------------------------------------------------------------------


class DeviceError(AuditError):
    """Something about a device stopped the work. `serial` says which."""

    def __init__(self, serial: str, message: str, next_step: str = "") -> None:
        self.serial = serial
        super().__init__(message, next_step)


class DeviceGone(DeviceError):
    default_next_step = N_("Check the USB cable, plug the phone in again and scan again.")


class DeviceNotAnswering(DeviceGone):
    """The phone is still connected as far as the computer knows, but stopped answering (a
    command got no answer within the timeout): a hang, not a pulled cable, so it is named apart
    and never retried (a retry would only wait as long again)."""

    default_next_step = N_(
        "Unlock the phone and check that it is not busy (an update, a frozen screen); then unplug "
        "it, plug it in again and scan again. If it keeps happening, restart the phone."
    )


class DeviceUnauthorized(DeviceError):
    # Translators: "Allow" and "Allow USB debugging?" are the phone's own words
    default_next_step = N_("Unlock the phone and tap Allow on 'Allow USB debugging?'.")


class DeviceOffline(DeviceError):
    default_next_step = N_("Unplug the phone, plug it in again and unlock it.")


class DeviceNoPermission(DeviceError):
    default_next_step = N_(
        "This computer is not allowed to open the phone's USB connection. On Linux, add a udev "
        "rule for the phone (see the guide 'USB permissions on Linux') and plug the phone in again."
    )


class DeviceOutputError(DeviceError):
    """The device answered with something we could not understand."""

    default_next_step = N_("Scan again. If it keeps happening, restart the phone.")


class AdbUnavailable(AuditError):
    """The adb server could not be started or reached."""

    default_next_step = N_(
        "Close other Android tools (Android Studio, other adb programs) and try again, "
        "or restart this computer."
    )


class InvalidPackageName(AuditError):
    """A package name from a device or a file is not a valid Android package name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            _(
                "{name} is not a valid Android package name, so Device Audit will not send it "
                "to the phone."
            ).format(name=repr(name)),
            _("Check the name; Android package names look like com.example.app."),
        )


class ActionFailed(AuditError):
    """A removal, disable or restore did not happen. The message says why and what to do."""

    def __init__(self, message: str, next_step: str = "", code: str = "") -> None:
        self.code = code
        super().__init__(message, next_step)


# --- this computer ---------------------------------------------------------------------------


class CollectorError(AuditError):
    """A local inventory source failed; the scan records it and goes on."""


# --- attestation and history -----------------------------------------------------------------


class KeyringUnavailable(AuditError):
    """No keyring can keep the signing key.

    `advice` is the person's next step in plain words; `details` is for whoever sets up the
    computer (commands, settings). `next_step` holds both, so a message printed whole (the CLI)
    loses nothing; the desktop app shows `details` folded away.
    """

    default_next_step = N_(
        "Install and unlock a keyring (GNOME Keyring or KWallet on Linux), or choose a "
        "backend explicitly with the PYTHON_KEYRING_BACKEND setting. Device Audit never "
        "stores its signing key in a plain file."
    )

    def __init__(self, message: str, next_step: str = "", *, details: str = "") -> None:
        self.advice = next_step or _(self.default_next_step)
        self.details = details
        super().__init__(message, f"{self.advice} {details}" if details else self.advice)


class SigningKeyDamaged(AuditError):
    """The keyring holds a signing key that cannot be read. Never replaced silently: a new key
    would be a new identity, and receipts signed before would no longer match it."""


class AttestationRefused(AuditError):
    """An attestation cannot be made in the current state (violations left, incomplete scan)."""


# For a receipt that is damaged or was altered, where the person can get a good copy: said by
# `device-audit verify` and the import window alike.
# Marked, not translated: shown as _(ALTERED_RECEIPT_NEXT_STEP).
ALTERED_RECEIPT_NEXT_STEP = N_(
    "Do not trust this file. Ask the person for the original file, or check the device again."
)


class AttestationInvalid(AuditError):
    """A signed attestation failed verification."""

    default_next_step = N_("Do not trust this file. Ask the person to make a new attestation.")


class StoreError(AuditError):
    default_next_step = N_("Close other copies of Device Audit and try again.")


class NoAuditsUnderPolicy(StoreError):
    """An export or query names a policy the history holds no audit under. `known` lists the
    policies it does hold (empty: the history is empty), so each front end can say what to do
    in its own words."""

    def __init__(self, message: str, next_step: str, *, policy_id: str, known: tuple[str, ...]):
        super().__init__(message, next_step)
        self.policy_id = policy_id
        self.known = known
