"""The pending removal of one device under one policy, as the workflow reads and writes it.

A removal and its receipt may be separate runs (a technician removes, hands the phone back and
attests when the person is there), so what was found before and what was done is kept as a
pending removal (audit.remediation.pending) until a receipt holds it. These are the workflow's
only ways to touch that file: continue it or set it aside, add to it, use it for a receipt,
retire it once the receipt is written, and forget a device's (the demo phone switched on
afresh). A record that cannot be read is renamed aside, never deleted, and every decision is
told to the person as a Notice.
"""

from __future__ import annotations

import logging
from pathlib import Path

from audit.errors import AuditError
from audit.i18n import _, ngettext
from audit.model import Policy
from audit.remediation import pending
from audit.remediation.pending import PendingFileError, PendingRemoval
from audit.text import visible
from audit.workflow.notices import Notice, Say

log = logging.getLogger(__name__)


def when(record: PendingRemoval) -> str:
    return f"{record.created_at.astimezone():%Y-%m-%d %H:%M}"


def read_saved(path: Path, say: Say, *, instead: str) -> PendingRemoval | None:
    """The saved removal at `path`, or None. One that cannot be read is renamed aside (never
    deleted) with a warning naming both files; `instead` says what happens without it."""
    try:
        return pending.load(path)
    except PendingFileError as error:
        try:
            aside = pending.set_aside(path)
        except OSError as problem:
            raise AuditError(
                _("The saved removal {path} cannot be read, nor moved aside ({problem}).").format(
                    path=path, problem=problem
                ),
                _("Move the file out of the folder yourself, then run the command again."),
            ) from None
        say(
            Notice(
                # Translators: {instead} is "a new record of the removal is begun" or "the
                # receipt is made from this scan alone"
                _(
                    "{problem} It was set aside as {aside} (nothing in it is deleted); {instead}."
                ).format(problem=error.message, aside=aside, instead=instead),
                warning=True,
            )
        )
        return None


def to_continue(path: Path, policy: Policy, say: Say) -> PendingRemoval | None:
    """The saved removal a new removal adds to, when there is one it may continue; one too old
    or made under another version of the policy is set aside."""
    record = read_saved(path, say, instead=_("a new record of the removal is begun"))
    if record is None:
        return None
    reason = record.stale_reason(policy)
    if reason:
        try:
            text = _(
                "The removal saved for this device is not continued: {reason}. A new record is "
                "begun; the old record is kept as {aside}."
            ).format(reason=reason, aside=pending.set_aside(path, "replaced"))
        except OSError as problem:
            text = _(
                "The removal saved for this device is not continued: {reason}. A new record is "
                "begun; the old record could not be moved aside ({problem}) and will be replaced."
            ).format(reason=reason, problem=problem)
        say(Notice(text))
        return None
    count = len(record.actions)
    say(
        Notice(
            ngettext(
                "Continuing the removal begun {when}: its first scan (from before anything was "
                "done) is kept, and what is done now is added to its {count} action(s).",
                "Continuing the removal begun {when}: its first scan (from before anything was "
                "done) is kept, and what is done now is added to its {count} action(s).",
                count,
            ).format(when=when(record), count=count)
        )
    )
    return record


def to_attest(path: Path, policy: Policy, exemptions_file: str, say: Say) -> PendingRemoval | None:
    """The saved removal of this device under this policy that a receipt is to show."""
    record = read_saved(path, say, instead=_("the receipt is made from this scan alone"))
    if record is None:
        return None
    reason = record.stale_reason(policy)
    if reason:
        say(
            Notice(
                _(
                    "The removal saved for this device is not used: {reason}. The receipt is made "
                    "from this scan alone; the next 'remove' sets the old record aside."
                ).format(reason=reason)
            )
        )
        return None
    count = len(record.actions)
    say(
        Notice(
            ngettext(
                "Using the removal begun {when}: the scan from before it and its {count} "
                "action(s) go into the receipt, with this scan.",
                "Using the removal begun {when}: the scan from before it and its {count} "
                "action(s) go into the receipt, with this scan.",
                count,
            ).format(when=when(record), count=count)
        )
    )
    if record.exemptions_file != exemptions_file:
        say(
            Notice(
                # Translators: {then} and {now} are "the exemptions file F" or "no exemptions file"
                _(
                    "Note: the removal was judged with {then}; both scans are now judged with "
                    "{now}."
                ).format(
                    then=_exemptions_words(record.exemptions_file),
                    now=_exemptions_words(exemptions_file),
                )
            )
        )
    return record


def _exemptions_words(file: str) -> str:
    if not file:
        return _("no exemptions file")
    return _("the exemptions file {file}").format(file=visible(file, limit=500))


def save(record: PendingRemoval, path: Path, say: Say) -> OSError | None:
    """Write the record; a failure is said (what was done stays done, and in memory) and
    returned, for a window that tells of it again when it is closed."""
    try:
        pending.save(record, path)
    except OSError as error:
        say(
            Notice(
                _(
                    "what was done could not be saved for 'attest' in {path} ({problem}): its "
                    "receipt would show only its own scan."
                ).format(path=path, problem=error.strerror or error),
                _("check that the disk is not full and that you may write to the folder."),
                warning=True,
            )
        )
        return error
    return None


def retire(path: Path, *, in_history: bool, say: Say) -> None:
    """The saved removal is in a receipt now: removed when the history holds it too (or never
    will: the demo phone), else renamed aside, kept but never used for a receipt again."""
    if in_history:
        try:
            pending.discard(path)
        except OSError as error:
            say(
                Notice(
                    _(
                        "the saved removal {path} could not be removed ({problem}); remove it "
                        "yourself, or the next attest shows that removal again."
                    ).format(path=path, problem=error),
                    warning=True,
                )
            )
        return
    try:
        aside = pending.set_aside(path, "attested")
    except OSError as error:
        say(
            Notice(
                _("the saved removal {path} could not be retired ({problem}).").format(
                    path=path, problem=error
                ),
                warning=True,
            )
        )
        return
    say(
        Notice(
            _("The saved removal is in the receipt; its record is kept as {aside}.").format(
                aside=aside
            )
        )
    )


def forget(device_id: str) -> None:
    """Discard the saved removals of a device under every policy: for the demo phone switched
    on afresh, whose removals no phone shows any more. One that cannot be read is left as it
    is (said in the log): it names no device this can be sure of."""
    prefix = pending.file_name(device_id, "x").split("--")[0]
    for path in pending.pending_folder().glob(f"{prefix}--*.json"):
        try:
            record = pending.load(path)
        except (AuditError, OSError) as error:
            log.info("%s left as it is: %s", path, error)
            continue
        if record is not None and record.device_id == device_id:
            pending.discard(path)
