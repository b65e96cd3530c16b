"""One device audit, from the first check to the signed receipt: the one place that judges a
device, carries out its removal, signs its receipt, writes its history and its pending removal.

Before this object the flow was put together in each caller (the window, the wizard, each
command), and copies drift apart: sign → write → verify → record → retire was written twice,
and each caller judged in its own order. Like Anki's Collection, it is a facade over the core
whose named operations take a progress callback and a cancel check where they do slow work
and return plain values, so the command line calls them directly and the window can run them
through its one background helper:

    audit = DeviceAudit(phone(serial), policy, exemptions, person="S1234", day=today)
    before = audit.check()                       # scan → judge → flagged apps' details → judge
    session = audit.start_removal(before)        # continues a saved removal; records the scan
    audit.run_automatic(confirm=ask)             # each result saved and recorded at once
    after = audit.rescan()                       # every user again, recorded
    proof = audit.proof(audit.check())           # what a receipt shows: before, actions, after
    receipt = audit.sign(proof, attester, statement, out, pdf_writer=writer)
    audit.close()

Removal and receipt may be separate runs (`remove`, later `attest`): the pending removal carries
the first scan, the actions and the history's audit id from one to the other (saved.py).
Whatever the person needs to hear along the way (a saved removal continued, a history that could
not be written) goes to `say` as a Notice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from audit.assess import SCAN_SHARE, DetailsFetch, judge_with_details, packages_to_ask
from audit.attestation import (
    Attester,
    Envelope,
    Signer,
    SigningKey,
    UsbDebugging,
    attestation_blockers,
)
from audit.attestation.keys import replaced_key_words
from audit.errors import ActionFailed
from audit.model import ActionResult, Assessment, Device, Exemption, Policy, ScanResult
from audit.progress import (
    CancelCheck,
    Progress,
    never_cancelled,
    no_progress,
    raise_if_cancelled,
)
from audit.remediation import RemediationSession, Rights, Step, executor_for, pending
from audit.remediation.execute import Executor
from audit.remediation.pending import PendingRemoval
from audit.store.evidence import refuse_older_text
from audit.workflow import saved
from audit.workflow.history import (
    History,
    exemption_notice,
    new_uid,
    record_check,
    record_done,
    record_receipt,
    record_removal_scan,
    uid_of,
)
from audit.workflow.notices import Notice, Say, say_nothing
from audit.workflow.receipt import Pdf, PdfWriter, Signed, sign_and_write, write_pdf

if TYPE_CHECKING:
    from audit.sources.android.connection import Adb
    from audit.store import Store

REMOVE_NEXT = (
    "What was done is also kept for 'attest', which records it in the history when it can."
)


@dataclass(frozen=True)
class Reach:
    """How the workflow reaches the device: how to scan it, how to ask the phone about the
    apps a policy flagged (None: nothing to ask, as for an inventory file), and the address
    and adb port its removal steps go to ("" keeps the address the scan found)."""

    scan: Callable[[Progress, CancelCheck], ScanResult]
    details: DetailsFetch | None = None
    address: str = ""
    adb_port: int | None = None
    # A scan that also reads, in its own round trip, the per-user records of the packages it
    # is given (an Android phone: audit.sources.android.onestage): the check passes the
    # packages the policy names, so a phone with a banned app needs no second round trip.
    scan_asking: Callable[[Progress, CancelCheck, Collection[str]], ScanResult] | None = None


def phone(serial: str, adb_port: int | None = None, *, adb: Adb | None = None) -> Reach:
    """A phone over the adb server (or the demo phone at its address); one connection object
    (`adb`, or one made on first use) serves the scan and the details round trip. Each scan
    after the first (the rescan after a removal, the receipt's) starts early what the one
    before it found (audit.sources.android.hints), even where no hint file can be kept."""
    from audit.sources.android.connection import Adb
    from audit.sources.android.hints import Hint, hint_of
    from audit.sources.android.scan import details_for, scan_phone

    server: list[Adb] = [] if adb is None else [adb]
    learned: list[Hint] = []

    def connection() -> Adb:
        if not server:
            server.append(Adb(adb_port))
        return server[0]

    def scan(
        progress: Progress, cancelled: CancelCheck, packages: Collection[str] = ()
    ) -> ScanResult:
        result = scan_phone(
            serial,
            adb=connection(),
            progress=progress,
            cancelled=cancelled,
            detail_packages=packages,
            hint=learned[0] if learned else None,
        )
        learned[:] = [hint_of(result, packages, *learned)]
        return result

    return Reach(
        scan,
        lambda packages: details_for(serial, packages, adb=connection()),
        address=serial,
        adb_port=adb.port if adb is not None else adb_port,
        scan_asking=scan,
    )


def iphone(udid: str) -> Reach:
    """An iPhone over usbmuxd (USBMUXD_SOCKET_ADDRESS, else the system's): the scan reads every
    app's state from the phone's own record, so there are no details to ask for afterwards."""

    def scan(progress: Progress, cancelled: CancelCheck) -> ScanResult:
        from audit.sources.ios.scan import scan_iphone

        return scan_iphone(udid, progress=progress, cancelled=cancelled)

    return Reach(scan, address=udid)


def this_computer() -> Reach:
    """This computer: its collectors list every app; removal steps run here."""

    def scan(progress: Progress, cancelled: CancelCheck) -> ScanResult:
        from audit.sources.local import scan_local

        return scan_local(progress, cancelled)

    return Reach(scan)


def saved_scan(scan: ScanResult) -> Reach:
    """An inventory read from a file: judged as it is, with no phone to ask about its apps."""
    return Reach(lambda _progress, _cancelled: scan)


@dataclass(frozen=True)
class Proof:
    """What a receipt is made from: the first scan, what was done, the rescan, and the saved
    removal they came from (None: one scan stands for both)."""

    before: Assessment
    after: Assessment
    actions: tuple[ActionResult, ...]
    saved: PendingRemoval | None
    path: Path  # where the saved removal is (or would be)

    @property
    def blockers(self) -> tuple[str, ...]:
        """Why a compliance attestation cannot be signed; empty when it can."""
        return attestation_blockers(self.before, self.after, self.actions)


@dataclass(frozen=True)
class Receipt:
    """A signed receipt, written, verified, recorded and drawn."""

    signed: Signed
    audit_id: int | None  # the history's audit holding it (None: not recorded)
    pdf: Pdf | None  # None when no PDF was asked for
    fingerprint: str  # the signer's key, as people read it

    @property
    def path(self) -> Path:
        return self.signed.path


def judged_elsewhen(day: date) -> bool:
    """Whether `day` is another day than today, beyond the signer's time zone."""
    from audit.store.times import JUDGED_DAY_SLACK

    return abs(day - date.today()) > JUDGED_DAY_SLACK


class DeviceAudit:
    """One device audit under one policy (see the module docstring)."""

    def __init__(
        self,
        reach: Reach,
        policy: Policy,
        exemptions: Sequence[Exemption] = (),
        *,
        day: date,
        person: str = "",
        history: Path | None = None,
        pending_folder: Path | None = None,
        exemptions_file: Path | str | None = None,
        say: Say = say_nothing,
        history_by_caller: bool = False,
    ) -> None:
        self.reach = reach
        self.policy = policy
        self.exemptions = tuple(exemptions)
        self.day = day
        self.person = person
        self.history_path = history
        self.pending_folder = pending_folder
        self.exemptions_file = "" if exemptions_file is None else str(exemptions_file)
        self.say = say
        # The window writes its history itself, in order, off the GUI thread (ui.recorder,
        # through this package's history functions): this object then writes none of it.
        self.history_by_caller = history_by_caller
        self.session: RemediationSession | None = None
        self.audit_id: int | None = None
        self.record: PendingRemoval | None = None
        self._history: History | None = None
        self._executor: Executor | None = None

    def __enter__(self) -> DeviceAudit:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._history is not None:
            self._history.close()

    # --- judging -----------------------------------------------------------------------------

    def judge(
        self,
        scan: ScanResult,
        *,
        details: DetailsFetch | None = None,
        progress: Progress = no_progress,
        cancelled: CancelCheck = never_cancelled,
    ) -> Assessment:
        """Judge a scan of the device, reading the state and details of the flagged apps with
        `details` (audit.assess): a verdict never rests on the package lists alone."""
        return judge_with_details(
            scan,
            self.policy,
            self.exemptions,
            day=self.day,
            person=self.person,
            details=details,
            progress=progress,
            cancelled=cancelled,
        )

    def judge_saved(self, scan: ScanResult) -> Assessment:
        """Judge a first scan kept with a saved removal exactly as the rescans are judged (the
        receipt compares the two); it holds the details it was saved with."""
        from audit.policy import evaluate

        return evaluate(scan, self.policy, self.exemptions, day=self.day, person=self.person)

    def check(
        self, progress: Progress = no_progress, cancelled: CancelCheck = never_cancelled
    ) -> Assessment:
        """Scan the device (every user) and judge it: scan → judge → details → judge."""

        def scan_progress(fraction: float, message: str) -> None:
            progress(fraction * SCAN_SHARE, message)

        if self.reach.scan_asking is not None:
            scan = self.reach.scan_asking(scan_progress, cancelled, packages_to_ask(self.policy))
        else:
            scan = self.reach.scan(scan_progress, cancelled)
        judged = self.judge(
            scan, details=self.reach.details, progress=progress, cancelled=cancelled
        )
        progress(1.0, "Checked")
        return judged

    # --- the history and the saved removal ---------------------------------------------------

    def history(self, device: Device) -> History:
        if self._history is None:
            self._history = History(
                self.history_path,
                device,
                self.say,
                by_caller=self.history_by_caller,
                judged_as_of=self.day if judged_elsewhen(self.day) else None,
            )
        return self._history

    @property
    def recorded_id(self) -> int | None:
        """The history's audit, when this run's writes to it went through."""
        if self._history is None or self._history.failed:
            return None
        return self.audit_id

    def pending_path(self, device: Device) -> Path:
        return pending.pending_path(device.id, self.policy.id, self.pending_folder)

    # --- removal -----------------------------------------------------------------------------

    def start_removal(
        self, before: Assessment, *, all_users: bool = False, rights: Rights | None = None
    ) -> RemediationSession:
        """Plan the removal of what `before` found, continue the removal saved for this device
        and policy (or set a stale one aside), and record the scan in the history."""
        device = before.scan.device
        path = self.pending_path(device)
        earlier = self.resume(device)
        history = self.history(device)
        # The saved first scan, judged as this run judges, for a history that lacks it.
        first = None if earlier is None else self.judge_saved(earlier.first_scan)
        # The removal's audit is its uid in every history (the outbox, the team history), chosen
        # before its first write: a write retried in the outbox is the same audit (history.py).
        uid = (earlier.audit_uid if earlier is not None else "") or new_uid()
        recorded = history.run(
            "The scan",
            lambda store: _with_uid(
                store,
                record_removal_scan(
                    store,
                    before,
                    audit_id=None if earlier is None else earlier.audit_id,
                    history_file="" if earlier is None else earlier.history_file,
                    first=first,
                    earlier_actions=() if earlier is None else earlier.actions,
                    staff_id=self.person,
                    audit_uid=uid,
                ),
            ),
            REMOVE_NEXT,
        )
        self.audit_id, uid = (None, uid) if recorded is None else recorded
        self.record = earlier or PendingRemoval.start(
            before.scan,
            self.policy,
            exemptions_file=self.exemptions_file,
            person=self.person,
            day=self.day,
        )
        where = history.file
        known = (self.record.audit_id, self.record.history_file, self.record.audit_uid)
        if self.audit_id is not None:
            self.record = replace(self.record, audit_id=self.audit_id, history_file=where)
        self.record = replace(self.record, audit_uid=uid)
        now = (self.record.audit_id, self.record.history_file, self.record.audit_uid)
        if earlier is not None and now != known:
            saved.save(self.record, path, self.say)  # the removal's audit is another now
        self.session = RemediationSession.start(
            before,
            exemptions=self.exemptions,
            person=self.person,
            all_users=all_users,
            rights=rights,
        )
        return self.session

    def resume(self, device: Device) -> PendingRemoval | None:
        """The removal saved for this device and policy that a new removal continues, kept as
        the record later results go to; a damaged or stale one is set aside and said
        (saved.to_continue). The one rule for `remove` and the removal window."""
        self.record = saved.to_continue(self.pending_path(device), self.policy, self.say)
        return self.record

    def _removal(self) -> RemediationSession:
        if self.session is None:
            raise ActionFailed("Nothing is being removed yet.", "Check the device first.")
        return self.session

    def executor(self) -> Executor:
        """Where removal steps run: the address the device was reached at."""
        if self._executor is None:
            device = self._removal().device
            if self.reach.address:
                device = replace(device, address=self.reach.address)
            self._executor = executor_for(device, adb_port=self.reach.adb_port)
        return self._executor

    def keep(self, result: ActionResult) -> None:
        """Save a result in the pending removal and the history at once, so a crash or an
        unplugged phone loses nothing that was done."""
        self.keep_all([result], self._removal().before)

    def keep_all(self, results: Sequence[ActionResult], first: Assessment) -> OSError | None:
        """Add results to the pending removal (begun from `first`, the removal's first scan,
        when there is none yet), save it and record them in the history. Returns the error
        when the file could not be saved: they stay in memory and go with the next ones."""
        if not results:
            return None
        done = list(results)
        if self.record is None:
            self.record = PendingRemoval.start(
                first.scan,
                self.policy,
                exemptions_file=self.exemptions_file,
                person=self.person,
                day=self.day,
            )
        self.record = self.record.with_actions(done)
        device = first.scan.device
        problem = saved.save(self.record, self.pending_path(device), self.say)
        audit_id = self.audit_id
        if audit_id is not None:
            self.history(device).run(
                "The removal", lambda store: record_done(store, audit_id, done), REMOVE_NEXT
            )
        return problem

    def carry_out(
        self,
        step: Step | str,
        progress: Progress = no_progress,
        cancelled: CancelCheck = never_cancelled,
    ) -> ActionResult:
        """Run one automatic step the person confirmed, and keep its result."""
        session = self._removal()
        raise_if_cancelled(cancelled)
        progress(0.0, step if isinstance(step, str) else step.title)
        result = session.run(step, self.executor(), confirmed=True)
        self.keep(result)
        return result

    def confirm_manual(self, step: Step | str, note: str = "") -> ActionResult:
        """The person did a step by hand and says so; kept like any result."""
        result = self._removal().confirm_manual(step, self.person, note)
        self.keep(result)
        return result

    def run_automatic(
        self,
        *,
        confirm: Callable[[Step], bool],
        report: Callable[[Step, ActionResult], None] | None = None,
        progress: Progress = no_progress,
        cancelled: CancelCheck = never_cancelled,
    ) -> list[ActionResult]:
        """Every automatic step `confirm` accepts, in order, each result kept as it comes;
        stops at a phone that went away."""

        def kept(step: Step, result: ActionResult) -> None:
            if report is not None:
                report(step, result)
            self.keep(result)

        return self._removal().run_automatic(
            self.executor(), confirm=confirm, report=kept, progress=progress, cancelled=cancelled
        )

    def rescan(
        self, progress: Progress = no_progress, cancelled: CancelCheck = never_cancelled
    ) -> Assessment:
        """Check every user again after the removal, verify it, and record it."""
        session = self._removal()
        after = self.check(progress, cancelled)
        session.record_assessment(after)
        audit_id = self.audit_id
        if audit_id is not None:
            self.history(session.device).run(
                "The rescan",
                lambda store: record_check(store, after, audit_id=audit_id),
                REMOVE_NEXT,
            )
        return after

    # --- the receipt -------------------------------------------------------------------------

    def proof(self, after: Assessment) -> Proof:
        """What a receipt of `after` shows: the removal this object carried out, else the one
        saved for this device and policy, else `after` alone."""
        path = self.pending_path(after.scan.device)
        record = self.record
        if record is None:
            record = saved.to_attest(path, self.policy, self.exemptions_file, self.say)
        if record is None:
            return Proof(after, after, (), None, path)
        before = self.judge_saved(record.first_scan)
        return Proof(before, after, record.actions, record, path)

    def sign(
        self,
        proof: Proof,
        attester: Attester,
        statement: str,
        out: Path,
        *,
        report: bool = False,
        signer: SigningKey | None = None,
        usb_debugging: UsbDebugging | None = None,
        pdf_writer: PdfWriter | None = None,
        pdf: bool = True,
        progress: Progress = no_progress,
        cancelled: CancelCheck = never_cancelled,
    ) -> Receipt:
        """Sign → write atomically → verify → record in the history → retire the saved removal
        → PDF (with `pdf_writer`; `pdf` False leaves it to the caller). AttestationRefused
        when it may not be signed; the key comes from the keyring unless `signer` is given."""
        if not report and not proof.after.scan.device.simulated:  # a newer text in force?
            refuse_older_text(self.history_path, self.policy.id, self.policy.sha256)
        progress(0.1, "Opening the signing key")
        key: SigningKey = signer if signer is not None else Signer.from_keyring()
        replaced = replaced_key_words(key)
        if replaced:
            self.say(
                Notice(
                    replaced,
                    "Tell your helpdesk the new fingerprint: their import asks them to accept "
                    "the new key for you.",
                    warning=True,
                )
            )
        raise_if_cancelled(cancelled)  # the last moment to stop: nothing is written yet
        progress(0.3, "Signing")
        signed = sign_and_write(
            before=proof.before,
            after=proof.after,
            actions=proof.actions,
            attester=attester,
            statement=statement,
            signer=key,
            path=out,
            report=report,
            usb_debugging=usb_debugging,
        )
        progress(0.8, "Recording it in the history")
        audit_id = self._record_receipt(proof, signed.envelope, attester, out)
        if proof.saved is not None:
            history = self.history(proof.after.scan.device)
            in_history = audit_id is not None or history.demo or history.by_caller
            saved.retire(proof.path, in_history=in_history, say=self.say)
            self.record = None
        drawn = write_pdf(signed.verified, out, pdf_writer) if pdf else None
        progress(1.0, "Saved")
        fingerprint = getattr(key, "display_fingerprint", "") or signed.verified.display_signer
        return Receipt(signed, audit_id, drawn, fingerprint)

    def _record_receipt(
        self, proof: Proof, envelope: Envelope, attester: Attester, out: Path
    ) -> int | None:
        history = self.history(proof.after.scan.device)
        # Chosen before the first write, as for a removal (start_removal).
        uid = (proof.saved.audit_uid if proof.saved is not None else "") or new_uid()
        audit_id = history.run(
            "The receipt",
            lambda store: record_receipt(
                store,
                envelope,
                audit_id=None if proof.saved is None else proof.saved.audit_id,
                history_file="" if proof.saved is None else proof.saved.history_file,
                before=proof.before,
                after=proof.after,
                actions=proof.actions,
                attester=attester,
                file_name=out.name,
                audit_uid=uid,
            ),
            f"The receipt {out} is safe: add it to the history later with "
            f"'device-audit import {out.parent}'.",
        )
        if audit_id is not None:
            self.audit_id = audit_id
            recorded_id = audit_id
            notice = history.run(
                "The receipt",
                lambda store: exemption_notice(store, recorded_id, self.exemptions_file),
                "",
            )
            if notice is not None:
                self.say(notice)
        return audit_id


def _with_uid(store: Store, audit_id: int) -> tuple[int, str]:
    """The audit's id and its uid (the one it was given, or a new one: history._free)."""
    return audit_id, uid_of(store, audit_id)
