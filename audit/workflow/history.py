"""The history as one device audit writes it: opened when first needed, never in the way.

One removal is one audit in the history, however many runs it takes: the pending record
(audit.remediation.pending) carries the audit's uid (and, from older versions, its id) from
`remove` to `attest`. The uid is chosen before the audit's first write and is the same in every
history, the outbox and the team history included, where the id is per file. The audit is only
continued when this history holds it, of this device and policy version, and not yet signed
for; otherwise (another --db, a history moved aside, a policy changed) a new audit is started
with everything the pending record holds, so the history never misses the first scan or an
action. When that new audit can keep the removal's uid (this history lacks it: the outbox,
while the team holds the start), it does, and sending it completes the one audit
(audit.store.move).

A history that cannot be written (a full disk, a damaged file, another --db) is said once, with
the next step, and the audit goes on: a history problem never stops a removal or loses a
receipt (the receipt file is written before the history is). The simulated demo phone is never
written (`recorded`), and that too is said once, so the history, its dashboard and its exports
hold real devices only while the demo walks the whole flow.

A team history (a postgresql:// address) whose server cannot be reached (a restart, a network
drop) does not stop the bench either: the audit is recorded in the outbox instead, an ordinary
SQLite history on this computer (audit.store.outbox), and the person is told it is sent when
the server is back. The outbox is sent when a run first opens the team history, before its
first write, so an audit it continues (`remove` while away, `attest` now) is found there by
its uid and completed, not begun again. A write the server committed just as the connection
dropped is kept in the outbox under the same uid, and sending it finds it "already there". The
switch is made only before anything of this run reached the team history: after that, an
audit id belongs to the team, and a later write of it into the outbox could land on another
audit there, so a drop then is said as any failed history is (the receipt file stays safe to
import).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from audit.attestation import Attester, Envelope
from audit.errors import AuditError, StoreError
from audit.i18n import _
from audit.model import ActionResult, Assessment, Device
from audit.store import DEMO_NOT_RECORDED, Store
from audit.store.outbox import outbox_path, send, unreachable, waiting
from audit.store.store import TEAM_SCHEMES
from audit.workflow.notices import Notice, Say

T = TypeVar("T")


def recorded(device: Device) -> bool:
    """Whether audits of this device go into the history: never the demo phone's. The one
    place this rule lives (the window's recorder asks it too)."""
    return not device.simulated


class History:
    """The history file one audit writes to (see the module docstring)."""

    def __init__(
        self,
        path: Path | str | None,
        device: Device,
        say: Say,
        *,
        by_caller: bool = False,
        judged_as_of: date | None = None,
    ) -> None:
        self.path = path
        self.say = say
        self.by_caller = by_caller  # the caller writes it (the window's ordered writer)
        # A device judged as of another day than today (`attest --date`) is never written: the
        # history holds how each device stands, and a past day's rules, deadline and exemptions
        # say nothing of that (an import refuses such a receipt too: audit.store.times).
        self.store: Store | None = None
        self.failed = False
        self.team = isinstance(path, str) and path.lower().startswith(TEAM_SCHEMES)
        self.queued = False  # writing to the outbox: the team history could not be reached
        self._team_written = False  # something of this run is in the team history
        self._outbox_tried = False  # the outbox was sent (or tried) once this run
        self.demo = not recorded(device)
        # Why nothing is written, said once at the first write: the demo phone, another day.
        self.unrecorded: Notice | None = None
        if self.demo:
            self.unrecorded = Notice(_(DEMO_NOT_RECORDED))
        elif judged_as_of is not None:
            self.unrecorded = Notice(
                _(
                    "Judged as of {day}, not today: nothing of this run is recorded in the "
                    "history, and a helpdesk will not import its receipt."
                ).format(day=judged_as_of.isoformat()),
                warning=True,
            )
        self._unrecorded_said = False

    def run(self, what: str, write: Callable[[Store], T], next_step: str) -> T | None:
        """`write(store)`, or None when it is not written (the demo phone, a failed history);
        `what` names the record in the warning ("The scan could not be recorded...")."""
        if self.by_caller:
            return None
        if self.unrecorded is not None:
            if not self._unrecorded_said:
                self._unrecorded_said = True
                self.say(self.unrecorded)
            return None
        if self.failed:
            return None
        try:
            if self.store is None:
                self.store = Store(self.path)
                if self.team and not self.queued:
                    # Before this run's first write: the audit it continues (`remove` while
                    # the server was away, `attest` now) may wait in the outbox; sent first,
                    # the write finds it in the team history by its uid and completes it.
                    self._send_outbox()
            result = write(self.store)
        except AuditError as error:  # StoreError; AttestationInvalid cannot happen here
            if self.team and not self.queued and not self._team_written and unreachable(error):
                return self._queue(what, write, next_step, error)
            self.failed = True
            step = " ".join(t for t in (error.next_step, next_step) if t)
            self.say(
                Notice(
                    # Translators: {what} is "The scan", "The receipt", ... (translated already)
                    _("{what} could not be recorded in the history: {problem}").format(
                        what=what, problem=error.message
                    ),
                    step,
                    warning=True,
                )
            )
            return None
        if self.team and not self.queued:
            self._team_written = True
        return result

    def _queue(
        self, what: str, write: Callable[[Store], T], next_step: str, error: AuditError
    ) -> T | None:
        """Record into the outbox (the team history cannot be reached). "Saved on this
        computer" is said only once the outbox holds it: an outbox that cannot be written
        either is said as a failed history, then the team history's own problem."""
        if self.store is not None:
            self.store.close()  # its connection is gone; nothing of this run was written there
        self.store = None
        self.queued = True
        try:
            self.path = outbox_path()
        except OSError as problem:  # the data folder cannot be made: no outbox either
            self.path = Path(str(problem.filename or "outbox.sqlite3"))
        result = self.run(what, write, next_step)
        if self.failed:
            self.say(Notice(error.message, error.next_step, warning=True))
            return result
        self.say(queued_notice(error.message, self.path))
        return result

    def _send_outbox(self) -> None:
        """Send what waits in the outbox, once the team history is open and before this run
        writes to it; a failure leaves it waiting and is said, never in the way of the audit
        (a server gone meanwhile: the write that follows goes to the outbox)."""
        if self._outbox_tried or self.store is None:
            return
        self._outbox_tried = True
        said = send_waiting(self.store)
        if said is not None:
            self.say(said)

    @property
    def file(self) -> str:
        """The history file in use, as a pending record keeps it ("" before it is open)."""
        return "" if self.store is None else location(self.store)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


def queued_notice(problem: str, path: Path) -> Notice:
    """What the command line says when an audit went to the outbox (the app: kept_notice)."""
    return Notice(
        # Translators: {problem} is the sentence saying the server cannot be reached.
        _(
            "{problem} This audit is saved on this computer ({path}); it is sent to "
            "the team history when the server is back."
        ).format(problem=problem, path=path),
        _(
            "Nothing is lost. It is sent at the next audit recorded while the server "
            "is up, or run `device-audit history send ADDRESS`."
        ),
        warning=True,
    )


def kept_notice(problem: str) -> Notice:
    """What the app says when an audit went to the outbox: the plain news first (a status bar
    shows the start of a long line only), then the server's own words, for the administrator.
    No file path and no command: the main window counts what waits and has a Send now button
    for it (ui.outbox_badge); the app's writes after this one go to the outbox too, so "the
    next audit" would not send it in this run."""
    return Notice(
        _(
            "The team history cannot be reached: this audit is saved on this computer for now. "
            "Nothing is lost: press Send now at the bottom of the main window once the server "
            "is back."
        ),
        # Translators: {problem} is the sentence saying why the server cannot be reached.
        _("If this lasts, tell your administrator: {problem}").format(problem=problem),
        warning=True,
    )


def kept_receipt_notice() -> Notice:
    """What the app says when a signed receipt went to the outbox: the receipt page says where
    the file is, not where the history is, and the window's "History:" names the team's."""
    return Notice(
        _(
            "The signed receipt is saved on this computer with its audit, not yet in the team "
            "history: the server cannot be reached. Nothing is lost: press Send now at the "
            "bottom of the main window once the server is back."
        ),
        warning=True,
    )


def send_waiting(team: Store) -> Notice | None:
    """Send what waits in the outbox to `team`; what to say about it (None: nothing waited).
    A failure leaves it waiting and is said, never in the way of the audit."""
    try:
        if waiting() == 0:
            return None
        report = send(team)
    except AuditError as error:
        return Notice(
            _(
                "The audits waiting on this computer could not be sent to the team "
                "history yet: {problem}"
            ).format(problem=error.message),
            _(
                "They stay on this computer; they are sent at the next audit, or run "
                "`device-audit history send ADDRESS`."
            ),
            warning=True,
        )
    return Notice(" ".join(report.lines()), warning=bool(report.refused))


def location(store: Store) -> str:
    """Where the store's history is, the same from any folder: a file's absolute path, or a team
    history's address (without its password)."""
    return store.where if store.team else str(store.path.resolve())


def same_file(store: Store, history_file: str) -> bool:
    """Whether `history_file` (as a pending record keeps it) is the store's history."""
    if not history_file:
        return True
    if store.team:
        return history_file == store.where
    return Path(history_file).resolve() == store.path.resolve()


def find_uid(store: Store, uid: str) -> int | None:
    """The id of the audit `uid` in this history, None when it holds none."""
    if not uid:
        return None

    def query(conn: Any) -> int | None:
        row = conn.execute("SELECT id FROM audits WHERE uid = ?", (uid,)).fetchone()
        return None if row is None else int(row[0])

    return store._read(query)


def uid_of(store: Store, audit_id: int) -> str:
    """The uid of audit `audit_id` of this history."""
    return store.audit(audit_id).uid


def new_uid() -> str:
    """A new audit's identity, chosen before its first write (see `open_audit`)."""
    return str(uuid.uuid4())


def open_audit(
    store: Store,
    audit_id: int | None,
    before: Assessment,
    history_file: str = "",
    uid: str = "",
) -> int | None:
    """The audit that can take more of this removal in this history, else None.

    `uid` is the removal's audit in any history: an audit begun in the outbox while the team
    history's server was away keeps its uid when it is sent, where its id changes, so it is
    looked up by uid first (and only, when given). Without one (a pending record of an older
    Device Audit), `audit_id`, whose ids are per history file: one kept from another file
    (`history_file`) is not looked up. Never the id when a uid is given: the outbox hands a
    sent audit's id to the next audit it keeps."""
    if uid:
        audit_id = find_uid(store, uid)
    elif not same_file(store, history_file):
        return None
    if audit_id is None:
        return None
    try:
        summary = store.audit(audit_id)
    except StoreError:
        return None  # not in this history file
    policy = before.policy
    if (
        summary.device_id != before.scan.device.id
        or (summary.policy_id, summary.policy_sha256) != (policy.id, policy.sha256)
        or summary.attested
    ):
        return None
    return audit_id


def record_check(
    store: Store,
    assessment: Assessment,
    *,
    audit_id: int | None,
    person_name: str = "",
    staff_id: str = "",
    technician: str = "",
    uid: str = "",
) -> int:
    """Record a check: one more scan of audit `audit_id`, or (None) a new audit that begins
    with it, in one transaction (one fsync). Returns the audit's id. The window writes each
    check as it comes through this (ui.recorder), the workflow each rescan. A new audit starts
    as `uid` (chosen by the caller before the first write, as `record_removal_scan`'s), so the
    same write kept in the outbox after its answer was lost is the same audit when sent."""
    if audit_id is None:
        return store.record_audit(
            [assessment],
            person_name=person_name,
            staff_id=staff_id,
            technician=technician,
            uid=uid or None,  # a new uid (ui.recorder): no read first, one round trip less
        )
    store.record_assessment(audit_id, assessment)
    return audit_id


def record_done(store: Store, audit_id: int, actions: Sequence[ActionResult]) -> None:
    """Record what was done to the device, as it is done (a crash loses none of it)."""
    store.record_actions(audit_id, list(actions))


def record_removal_scan(
    store: Store,
    scan: Assessment,
    *,
    audit_id: int | None,
    history_file: str = "",
    first: Assessment | None = None,
    earlier_actions: Sequence[ActionResult] = (),
    staff_id: str = "",
    audit_uid: str = "",
) -> int:
    """Record the scan a `remove` run starts from; returns the audit it belongs to.

    `first` and `earlier_actions` are what an earlier run saved (its first scan, judged again,
    and its actions): recorded too when a new audit has to be started, so it is whole. It
    starts as `audit_uid` (chosen by the caller before the first write, so the same write
    retried in the outbox, or completed later, is the same audit: audit.store.move).
    """
    current = open_audit(store, audit_id, scan, history_file, audit_uid)
    if current is not None:
        store.record_assessment(current, scan)
        return current
    assessments = [scan] if first is None else [first, scan]
    return store.record_audit(
        assessments, earlier_actions, staff_id=staff_id, uid=_free(store, audit_uid)
    )


def _free(store: Store, uid: str) -> str | None:
    """`uid` for a new audit, unless this history holds it already (an audit that cannot take
    more: signed, or another device's): then a new one."""
    return uid if uid and find_uid(store, uid) is None else None


def record_receipt(
    store: Store,
    envelope: Envelope,
    *,
    audit_id: int | None,
    history_file: str = "",
    before: Assessment,
    after: Assessment,
    actions: Sequence[ActionResult],
    attester: Attester,
    file_name: str = "",
    audit_uid: str = "",
) -> int:
    """Record who attested, the rescan and the signed receipt; returns the audit's id.

    With the audit of the removal (`audit_id`), the removal's scans and actions are there
    already; without it, the whole audit is recorded at once: `before` (when it is another
    scan than `after`), the actions, `after` and the receipt.
    """
    current = open_audit(store, audit_id, before, history_file, audit_uid)
    if current is not None:
        store.set_person(
            current,
            person_name=attester.name,
            staff_id=attester.staff_id,
            technician=attester.technician,
        )
        store.record_assessment(current, after)
        store.record_receipt(current, envelope, file_name=file_name)
        return current
    assessments = [after] if before is after else [before, after]
    return store.record_audit(
        assessments,
        actions,
        person_name=attester.name,
        staff_id=attester.staff_id,
        technician=attester.technician,
        envelope=envelope,
        file_name=file_name,
        uid=_free(store, audit_uid),
    )


def assessment_key(assessment: Assessment) -> tuple[str, str, str]:
    """What makes two assessments the same record: the scan, and how it was judged (the
    window writes each check once, however often it shows it)."""
    scan = assessment.scan
    exemptions = ",".join(sorted(e.id for e in assessment.exemptions))
    return (
        f"{scan.device.id}@{scan.started_at.isoformat()}",
        f"{assessment.policy.id}:{assessment.policy.sha256}:{assessment.day.isoformat()}",
        f"{assessment.status.value}:{len(assessment.findings)}:{exemptions}",
    )


def exemption_notice(store: Store, audit_id: int, exemptions_file: str = "") -> Notice | None:
    """What to tell the person when the history holds the audit back because an exemption it
    rests on was not accepted in this history (audit.store.holds, docs/security.md): the
    receipt still says "compliant with exceptions", the history counts it as not compliant.
    None when the audit counts as it claims. The CLI prints it after `attest`; the window can
    show it after recording a receipt (`record_signed_file` returns it)."""
    from audit.store.holds import EXEMPTION_NOTE

    summary = store.audit(audit_id)
    if EXEMPTION_NOTE not in summary.trust_note:
        return None
    file = exemptions_file or "FILE"
    return Notice(
        _(
            "This history counts the audit as not compliant, although the receipt says "
            '"compliant with exceptions": an exemption it relies on has not been accepted by the '
            "helpdesk here. Anyone can write an exemptions file, so an exemption counts only once "
            "the helpdesk accepted it."
        ),
        _(
            "Ask your helpdesk to accept this exemption file, or run `device-audit exemption "
            "accept {file} --by NAME` if you are the helpdesk."
        ).format(file=file),
        warning=True,
    )


def record_signed_file(
    store: Store,
    audit_id: int,
    path: Path,
    *,
    person_name: str,
    staff_id: str,
    technician: str,
) -> Notice | None:
    """Record a receipt file signed for an audit whose scans and actions are in the history
    already (the window writes them as they come), read back from the file. The audit's person
    is named first: the receipt's signed attester is who the audit is for. Returns what to tell
    the person when the history holds the audit back (exemption_notice), else None."""
    summary = store.audit(audit_id)
    if not summary.attested and (summary.staff_id, summary.person_name) != (
        staff_id,
        person_name,
    ):
        store.set_person(
            audit_id, person_name=person_name, staff_id=staff_id, technician=technician
        )
    store.record_receipt(audit_id, path.read_bytes(), file_name=str(path))
    return exemption_notice(store, audit_id)
