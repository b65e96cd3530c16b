"""`device-audit remove` and `device-audit attest`: the removal flow and the signed receipt,
for technicians' scripts.

`remove` runs the automatic steps of the plan (asking before each one unless --yes), prints what
is left to do by hand, rescans every user and prints what the rescan shows. `attest` rescans and
writes the signed receipt (and its PDF) only when the device is compliant; otherwise it writes
nothing, unless asked for a signed non-compliance report, which says so on its face.

The two are separate runs, yet the receipt must show what was found BEFORE the removal and what
was done. So `remove` saves its first scan and every action as a pending removal for the device
and policy (audit.remediation.pending), and `attest` signs that first scan, those actions and
its own rescan together, then removes the pending record. Both record what they saw and did in
the history (--db); a history that cannot be written is said, and never stops a removal or
loses a receipt (the receipt is written first). The simulated demo phone goes through the same
steps, the pending record included, but is never recorded in the history (that is said once).

The PDF is drawn by Qt, which audit/ never imports: main.py sets audit.cli.receipt_pdf_writer.
Without it (audit used on its own) the signed receipt is written and the PDF is skipped, saying
why.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import audit.cli
from audit.attestation import (
    Attester,
    Envelope,
    Signer,
    VerifiedAttestation,
    attest,
    attestation_blockers,
    report_noncompliance,
    usable_keyring,
    verify_file,
    write_receipt,
)
from audit.attestation.receipt_text import receipt_content
from audit.cli import EXIT_NOT_COMPLIANT, EXIT_OK, EXIT_USAGE, add_adb_port, iso_date
from audit.cli.policy_cmds import render, safe
from audit.cli.scan_cmd import judge_target
from audit.errors import AuditError, DeviceError
from audit.model import (
    ActionKind,
    ActionResult,
    Assessment,
    Device,
    DeviceStatus,
    Exemption,
    Policy,
    ScanResult,
)
from audit.policy import evaluate, load_exemptions, load_policy, status_text
from audit.remediation import (
    Operation,
    RemediationSession,
    Step,
    StepState,
    appeared_message,
    executor_for,
    pending,
    statement_text,
)
from audit.remediation import history as removal_history
from audit.remediation.execute import ALREADY_GONE
from audit.remediation.pending import PendingFileError, PendingRemoval
from audit.remediation.plan import profile_words
from audit.store import Store

T = TypeVar("T")


def register(sub: Any) -> None:
    remove = sub.add_parser(
        "remove",
        help="remove the banned apps from a phone, then scan again",
        description="Remove the banned apps from the phone with this serial: every step Device "
        "Audit can do over USB, each after a confirmation (or none with --yes). Then print what "
        "is left to do by hand, scan every user again and print what the rescan shows. What was "
        "found and done is kept for 'attest', so the receipt shows the apps that were there "
        "before and how they were removed; running 'remove' again adds to it (a record older "
        f"than {pending.MAX_AGE.days} days, or made under a policy that has changed since, is "
        "set aside and a new one begun). Everything is also recorded in the history. Exit "
        "code 0 when the phone is compliant afterwards, 1 when it is not, 2 on bad input.",
    )
    remove.add_argument("--device", required=True, metavar="SERIAL", help="the phone's serial")
    _common(remove)
    remove.add_argument(
        "--person", metavar="STAFF_ID", default="", help="whose phone it is (for exemptions)"
    )
    remove.add_argument(
        "--all-users",
        action="store_true",
        help="remove apps installed by the user from every user and profile at once",
    )
    remove.add_argument(
        "--yes", action="store_true", help="do not ask before each removal (for scripts)"
    )
    remove.set_defaults(func=run_remove)

    attest = sub.add_parser(
        "attest",
        help="scan again and write a signed attestation of compliance",
        description="Scan the device again and, only when it is compliant, write a signed "
        "attestation receipt (FILE) and a readable PDF of it beside it. After 'remove', the "
        "receipt holds the scan from before the removal, what was done, and this scan: the "
        "banned apps found, how each was removed and that it is gone. When it is not "
        "compliant nothing is written and the findings are printed (exit code 1), unless "
        "--noncompliance-report asks for a signed report that says it is not compliant. "
        "The receipt is recorded in the history. Without --accept-statement the statement is "
        "printed for the person to read.",
    )
    target = attest.add_mutually_exclusive_group(required=True)
    target.add_argument("--device", metavar="SERIAL", help="attest the phone with this serial")
    target.add_argument("--local", action="store_true", help="attest this computer")
    _common(attest)
    attest.add_argument("--name", required=True, help="the name of the person whose device it is")
    attest.add_argument("--staff-id", required=True, help="that person's staff id")
    attest.add_argument(
        "--technician", default="", metavar="NAME", help="your name, when attesting for them"
    )
    attest.add_argument(
        "--accept-statement",
        action="store_true",
        help="the person has read and agreed to the statement (run without it to print it)",
    )
    attest.add_argument("--out", required=True, type=Path, metavar="FILE", help="receipt file")
    attest.add_argument(
        "--noncompliance-report",
        action="store_true",
        help="when the device is not compliant, write a signed NON-COMPLIANCE report instead",
    )
    attest.set_defaults(func=run_attest)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy", required=True, metavar="ID|FILE", help="a preset id or a policy .toml file"
    )
    parser.add_argument("--exemptions", metavar="FILE", type=Path, help="an exemptions file")
    parser.add_argument(
        "--date", metavar="YYYY-MM-DD", type=iso_date, default=None, help="judge as on this day"
    )
    add_adb_port(parser)
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="the history database file (default: history.sqlite3 in Device Audit's data folder)",
    )


def _exemptions(args: argparse.Namespace) -> tuple[Exemption, ...]:
    return () if args.exemptions is None else tuple(load_exemptions(args.exemptions))


# --- the history and the saved removal ----------------------------------------------------

_REMOVE_NEXT = (
    "What was done is also kept for 'attest', which records it in the history when it can."
)


class _History:
    """The history for one command, opened when first needed. When it cannot be written, that
    is said once with the next step and the command goes on: a history problem never stops a
    removal or loses a receipt. For the demo phone (`device.simulated`) nothing is written, and
    that is said once."""

    def __init__(self, path: Path | None, device: Device) -> None:
        self.path = path
        self.store: Store | None = None
        self.failed = False
        self.demo = not removal_history.recorded(device)
        self._demo_said = False

    def run(self, what: str, write: Callable[[Store], T], next_step: str) -> T | None:
        if self.demo:
            if not self._demo_said:
                self._demo_said = True
                print(removal_history.DEMO_NOT_RECORDED)
            return None
        if self.failed:
            return None
        try:
            if self.store is None:
                self.store = Store(self.path)
            return write(self.store)
        except AuditError as error:  # StoreError; AttestationInvalid cannot happen here
            self.failed = True
            print(
                f"warning: {what} could not be recorded in the history: {error.message}",
                file=sys.stderr,
            )
            step = " ".join(t for t in (error.next_step, next_step) if t)
            print(f"next step: {step}", file=sys.stderr)
            return None

    @property
    def file(self) -> str:
        """The history file in use, as a pending record keeps it ("" before it is open)."""
        return "" if self.store is None else str(self.store.path.resolve())

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


def _when(record: PendingRemoval) -> str:
    return f"{record.created_at.astimezone():%Y-%m-%d %H:%M}"


def _read_saved(path: Path, *, instead: str) -> PendingRemoval | None:
    """The saved removal at `path`, or None. One that cannot be read is renamed aside (never
    deleted) with a warning naming both files."""
    try:
        return pending.load(path)
    except PendingFileError as error:
        print(f"warning: {error.message}", file=sys.stderr)
        try:
            aside = pending.set_aside(path)
        except OSError as problem:
            raise AuditError(
                f"The saved removal {path} cannot be read, nor moved aside ({problem}).",
                "Move the file out of the folder yourself, then run the command again.",
            ) from None
        print(
            f"It was set aside as {aside} (nothing in it is deleted); {instead}.",
            file=sys.stderr,
        )
        return None


def _continue_removal(path: Path, policy: Policy) -> PendingRemoval | None:
    """The saved removal a new `remove` run adds to, when there is one it may continue."""
    record = _read_saved(path, instead="a new record of the removal is begun")
    if record is None:
        return None
    reason = record.stale_reason(policy)
    if reason:
        try:
            kept = f"; the old record is kept as {pending.set_aside(path, 'replaced')}"
        except OSError as problem:
            kept = f"; the old record could not be moved aside ({problem}) and will be replaced"
        print(
            f"\nThe removal saved for this device is not continued: {reason}. A new record is "
            f"begun{kept}."
        )
        return None
    print(
        f"\nContinuing the removal begun {_when(record)}: its first scan (from before anything "
        f"was done) is kept, and what is done now is added to its {len(record.actions)} "
        "action(s)."
    )
    return record


def _save(record: PendingRemoval, path: Path) -> None:
    try:
        pending.save(record, path)
    except OSError as error:
        print(
            f"warning: what was done could not be saved for 'attest' in {path} "
            f"({error.strerror or error}): its receipt would show only its own scan.",
            file=sys.stderr,
        )
        print(
            "next step: check that the disk is not full and that you may write to the folder.",
            file=sys.stderr,
        )


# --- remove ------------------------------------------------------------------------------------


def run_remove(args: argparse.Namespace) -> int:
    if not args.yes and not sys.stdin.isatty():
        print(
            "error: 'remove' asks before each removal, but there is no terminal to ask on "
            "(its input is not a terminal).",
            file=sys.stderr,
        )
        print(
            "next step: run it in a terminal, or add --yes to remove without asking.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    policy = load_policy(args.policy)
    exemptions = _exemptions(args)
    day: date = args.date or date.today()
    before = judge_target(args, policy, exemptions, day=day, person=args.person)
    device = before.scan.device
    print(f"Device:  {safe(device.name or device.id)} ({safe(device.id)})")
    print(f"Policy:  {safe(policy.title)} ({safe(policy.id)})")
    print(f"Status:  {safe(status_text(before), limit=1000)}")
    path = pending.pending_path(device.id, policy.id)
    earlier = _continue_removal(path, policy)
    history = _History(args.db, device)
    try:
        removal = _Removal(args, before, exemptions, earlier, path=path, history=history)
        return _remove(args, before, exemptions, removal)
    finally:
        history.close()


class _Removal:
    """What one `remove` run keeps: the saved removal (for `attest`) and the history's audit,
    both brought up to date after every action, so a crash or an unplugged phone loses
    nothing that was done."""

    def __init__(
        self,
        args: argparse.Namespace,
        before: Assessment,
        exemptions: Sequence[Exemption],
        earlier: PendingRemoval | None,
        *,
        path: Path,
        history: _History,
    ) -> None:
        self.path = path
        self.history = history
        first = None
        if earlier is not None:  # judged as this run judges, for a history that lacks it
            first = evaluate(
                earlier.first_scan, before.policy, exemptions, day=before.day, person=args.person
            )
        self.audit_id = history.run(
            "The scan",
            lambda store: removal_history.record_removal_scan(
                store,
                before,
                audit_id=None if earlier is None else earlier.audit_id,
                history_file="" if earlier is None else earlier.history_file,
                first=first,
                earlier_actions=() if earlier is None else earlier.actions,
                staff_id=args.person,
            ),
            _REMOVE_NEXT,
        )
        self.record = earlier or PendingRemoval.start(
            before.scan,
            before.policy,
            exemptions_file=args.exemptions,
            person=args.person,
            day=before.day,
        )
        where = history.file
        if self.audit_id is not None and (self.audit_id, where) != (
            self.record.audit_id,
            self.record.history_file,
        ):
            self.record = replace(self.record, audit_id=self.audit_id, history_file=where)
            if earlier is not None:
                _save(self.record, path)  # the removal's audit is another one from now on

    def keep(self, result: ActionResult) -> None:
        self.record = self.record.with_actions([result])
        _save(self.record, self.path)
        audit_id = self.audit_id
        if audit_id is not None:
            self.history.run(
                "The removal",
                lambda store: store.record_actions(audit_id, [result]),
                _REMOVE_NEXT,
            )

    def keep_rescan(self, rescan: Assessment) -> None:
        audit_id = self.audit_id
        if audit_id is not None:
            self.history.run(
                "The rescan", lambda store: store.record_assessment(audit_id, rescan), _REMOVE_NEXT
            )


def _nothing_to_remove(before: Assessment) -> str:
    """Why no step is planned, without implying the phone is clean when it was not all seen."""
    if before.status is DeviceStatus.INCOMPLETE:
        where = ", ".join(safe(gap.name) for gap in before.scan.gaps) or "it names no sources"
        return (
            "Nothing was removed: no banned app was found in what the check could read, but it "
            f"could not read everything ({where}), so banned apps there may still be on it. "
            "Fix what stopped the check (the Status line says what) and run it again."
        )
    if before.violations:
        return "No removal step could be planned for the banned apps listed above."
    return "Nothing to remove: no banned app was found."


def _remove(
    args: argparse.Namespace,
    before: Assessment,
    exemptions: Sequence[Exemption],
    removal: _Removal,
) -> int:
    session = RemediationSession.start(
        before, exemptions=exemptions, person=args.person, all_users=args.all_users
    )
    if not session.plans:
        print("\n" + _nothing_to_remove(before))
        _say_recorded(removal.history, removal.audit_id)
        return EXIT_OK if before.status.compliant else EXIT_NOT_COMPLIANT

    # The phone at --device: over adb, or the demo phone when it is on in this process.
    phone = replace(before.scan.device, address=args.device)
    executor = executor_for(phone, adb_port=args.adb_port)

    def confirm(step: Step) -> bool:
        print(f"\n{safe(step.title)}")
        print(f"  {safe(step.confirmation, limit=2000)}")
        if args.yes:
            return True
        try:
            answer = input("  Go ahead? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("  Skipped.")
            return False
        return True

    def report(step: Step, result: ActionResult) -> None:
        words = safe(result_words(step, result, before.scan), limit=1000)
        if result.ok:
            print(f"  Done: {words}")
        else:
            print(f"  FAILED: {words}")
            if result.advice:
                print(f"  Next step: {safe(result.advice, limit=1000)}")
        removal.keep(result)

    results = session.run_automatic(executor, confirm=confirm, report=report)
    if results and results[-1].code == "DEVICE_GONE":
        print(
            "\nThe phone went away. Plug it in again and run 'remove' again: what was done is "
            "not done twice, and what was done so far is kept."
        )
        return EXIT_NOT_COMPLIANT

    _print_manual(session)
    print("\nScanning again (every user)...")
    try:
        after = session.record_assessment(
            judge_target(
                args, before.policy, session.exemptions, day=before.day, person=session.person
            )
        )
    except DeviceError as error:
        print(f"Could not scan again: {safe(error.message, limit=1000)}")
        print("Nothing is verified until the phone is scanned again.")
        return EXIT_NOT_COMPLIANT
    for check in after.checks:
        print(f"  {safe(check.message, limit=1000)}")
    rescan = session.after
    assert rescan is not None
    for finding in after.appeared:
        print(f"  {safe(appeared_message(finding, rescan), limit=1000)}")
    print(f"Status:  {safe(status_text(rescan), limit=1000)}")
    removal.keep_rescan(rescan)
    if removal.record.actions:
        print(
            f"\nKept for 'device-audit attest': the scan from before the removal and "
            f"{len(removal.record.actions)} action(s), so the receipt shows what was found and "
            "what was done."
        )
    _say_recorded(removal.history, removal.audit_id)
    return EXIT_OK if rescan.status.compliant else EXIT_NOT_COMPLIANT


def _say_recorded(history: _History, audit_id: int | None) -> None:
    if audit_id is not None and not history.failed:
        print(f"Recorded in the history as audit {audit_id}.")


_PHONE_DONE = {
    ActionKind.UNINSTALL: "{app} was removed from {where}.",
    ActionKind.UNINSTALL_ALL_USERS: "{app} was removed from every user and profile.",
    ActionKind.DISABLE: "{app} was disabled in {where}.",
    ActionKind.ENABLE: "{app} was enabled again in {where}.",
    ActionKind.RESTORE: "{app} was restored to {where}.",
    ActionKind.FORCE_STOP: "{app} was stopped in {where}.",
}


def result_words(step: Step, result: ActionResult, scan: ScanResult) -> str:
    """What happened, naming the user or profile ("from the Work profile") where the phone's
    own message says "for user 10"; other results keep their message."""
    target = step.target
    if step.operation is not Operation.PHONE or not target.user.isdigit():
        return result.message
    app = target.app_name
    where = profile_words(scan, target.user)[1]
    if result.ok and result.code in ALREADY_GONE:
        return f"{app} was already gone from {where}: nothing was left to remove."
    if result.ok:
        return _PHONE_DONE.get(result.kind, "{app}: done.").format(app=app, where=where)
    if result.message.startswith(step.title):
        return result.message  # made by the executor from the step, not the phone: plain already
    if result.code == "DEVICE_GONE":
        return (
            f"{step.title}: the phone stopped answering, so it is not known whether it was done. "
            "Scan again to see what happened."
        )
    answered = f" The phone answered {result.code}." if result.code else ""
    return f"{step.title}: not done.{answered}"


def _print_manual(session: RemediationSession) -> None:
    """What is left for a person to do: manual steps, and other ways round failed steps."""
    todo: list[Step] = list(session.manual_steps_left)
    for plan in session.plans:
        if any(session.step_state(s) is StepState.FAILED for s in plan.steps):
            todo += [s for s in plan.alternatives if not s.automatic and s not in todo]
    if not todo:
        return
    print("\nLeft to do by hand:")
    for step in todo:
        print(f"\n* {safe(step.title)}")
        if step.why_manual:
            print(f"  Why: {safe(step.why_manual, limit=1000)}")
        for number, line in enumerate(step.instructions, 1):
            print(f"  {number}. {safe(line, limit=1000)}")
        if step.copy_command:
            print(f"  Command: {safe(step.copy_command, limit=1000)}")


# --- attest ------------------------------------------------------------------------------------


def _device_words(args: argparse.Namespace) -> str:
    if args.local:
        return f"this computer ({socket.gethostname()})"
    return f"the phone with serial {args.device}"


def run_attest(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy)
    exemptions = _exemptions(args)
    day: date = args.date or date.today()
    attester = Attester(
        name=args.name.strip(), staff_id=args.staff_id.strip(), technician=args.technician.strip()
    )
    text = statement_text(
        name=attester.name,
        staff_id=attester.staff_id,
        device=_device_words(args),
        policy=f"{policy.title} ({policy.id})",
        day=day,
        technician=attester.technician,
    )
    if not args.accept_statement:
        print("The statement to agree to:\n")
        print(f"  {safe(text, limit=5000)}\n")
        print(
            "Nothing was scanned or written. Read the statement with the person; if they agree, "
            "run the same command again with --accept-statement."
        )
        return EXIT_USAGE
    out: Path = args.out
    problem = _out_problem(out)
    if problem:
        raise AuditError(problem, "Choose another file name with --out.")
    usable_keyring()  # before a long scan: say now if the key has nowhere to live
    after = judge_target(args, policy, exemptions, day=day, person=attester.staff_id)
    path = pending.pending_path(after.scan.device.id, policy.id)
    earlier = _removal_to_attest(path, policy, args)
    if earlier is None:
        return _sign(args, _Proof(after, after, (), None, path), attester, text, out)
    # The scan from before the removal, judged exactly as the rescan is (the statement compares
    # the two), with the actions done in between.
    before = evaluate(earlier.first_scan, policy, exemptions, day=day, person=attester.staff_id)
    return _sign(args, _Proof(before, after, earlier.actions, earlier, path), attester, text, out)


def _removal_to_attest(
    path: Path, policy: Policy, args: argparse.Namespace
) -> PendingRemoval | None:
    """The saved removal of this device under this policy that the receipt is to show."""
    record = _read_saved(path, instead="the receipt is made from this scan alone")
    if record is None:
        return None
    reason = record.stale_reason(policy)
    if reason:
        print(
            f"The removal saved for this device is not used: {reason}. The receipt is made "
            "from this scan alone; the next 'remove' sets the old record aside."
        )
        return None
    print(
        f"Using the removal begun {_when(record)}: the scan from before it and its "
        f"{len(record.actions)} action(s) go into the receipt, with this scan."
    )
    used = "" if args.exemptions is None else str(args.exemptions)
    if record.exemptions_file != used:
        print(
            f"Note: the removal was judged with {_exemptions_words(record.exemptions_file)}; "
            f"both scans are now judged with {_exemptions_words(used)}."
        )
    return record


def _exemptions_words(file: str) -> str:
    return f"the exemptions file {safe(file, limit=500)}" if file else "no exemptions file"


@dataclass(frozen=True)
class _Proof:
    """What a receipt is made from: the first scan, what was done, the rescan, and the saved
    removal they came from (None: one scan stands for both)."""

    before: Assessment
    after: Assessment
    actions: tuple[ActionResult, ...]
    saved: PendingRemoval | None
    path: Path  # where the saved removal is (or would be)


def _out_problem(out: Path) -> str:
    if out.suffix.lower() == ".pdf":
        return f"{out} ends in .pdf, but it is the signed receipt; its PDF goes beside it."
    if out.exists():
        return f"{out} already exists, and receipts are never overwritten."
    if not out.parent.is_dir():
        return f"The folder {out.parent} does not exist."
    return ""


def _sign(
    args: argparse.Namespace,
    proof: _Proof,
    attester: Attester,
    text: str,
    out: Path,
) -> int:
    before, after, actions = proof.before, proof.after, proof.actions
    blockers = attestation_blockers(before, after, actions)
    if blockers:
        print(render(after, person=attester.staff_id))
        print("\nNot attested: " + safe("; ".join(blockers), limit=2000) + ".")
        if not args.noncompliance_report:
            kept = " What 'remove' did is kept for the next attest." if proof.saved else ""
            if not after.violations and not after.scan.complete:
                # Nothing to remove: the phone was not read in full, and that is what to fix.
                print(
                    "Nothing was written. Part of the device could not be read (see 'Not seen "
                    "by this scan' above): fix what is named there if you can, then attest "
                    "again. If it keeps happening, restart the phone or ask your IT "
                    f"department: an incomplete scan cannot be attested.{kept}"
                )
                return EXIT_NOT_COMPLIANT
            print(
                "Nothing was written. Remove the apps (device-audit remove) or record an "
                "exemption, then attest again; or add --noncompliance-report to sign a report "
                f"that the device is not compliant.{kept}"
            )
            return EXIT_NOT_COMPLIANT
        envelope = report_noncompliance(
            before=before,
            after=after,
            actions=actions,
            attester=attester,
            signer=Signer.from_keyring(),
            statement_text=text,
        )
        write_receipt(envelope, out)
        print(f"\nNON-COMPLIANCE REPORT written to {out} (signed; it does NOT attest compliance).")
        verified = verify_file(out)
        _after_receipt(args, proof, envelope, attester, out)
        _write_pdf(verified, out)
        return EXIT_NOT_COMPLIANT
    signer = Signer.from_keyring()
    envelope = attest(
        before=before,
        after=after,
        actions=actions,
        attester=attester,
        statement_text=text,
        signer=signer,
    )
    write_receipt(envelope, out)
    verified = verify_file(out)  # prove the file on disk is what was signed
    print(f"Attestation of compliance written to {out}.")
    print(f"  device   {safe(verified.device_name)} ({safe(verified.device_id)})")
    print(f"  status   {verified.status.value}")
    print(f"  signer   {signer.display_fingerprint}")
    _after_receipt(args, proof, envelope, attester, out)
    _write_pdf(verified, out)
    print(f"Verify with: device-audit verify {out}")
    return EXIT_OK


def _after_receipt(
    args: argparse.Namespace, proof: _Proof, envelope: Envelope, attester: Attester, out: Path
) -> None:
    """Record the written receipt in the history, then retire the saved removal it holds."""
    history = _History(args.db, proof.after.scan.device)
    try:
        audit_id = history.run(
            "The receipt",
            lambda store: removal_history.record_receipt(
                store,
                envelope,
                audit_id=None if proof.saved is None else proof.saved.audit_id,
                history_file="" if proof.saved is None else proof.saved.history_file,
                before=proof.before,
                after=proof.after,
                actions=proof.actions,
                attester=attester,
                file_name=out.name,
            ),
            f"The receipt {out} is safe: add it to the history later with "
            f"'device-audit import {out.parent}'.",
        )
    finally:
        history.close()
    _say_recorded(history, audit_id)
    if proof.saved is None:
        return
    if audit_id is not None or history.demo:
        try:
            # In the receipt and in the history now (the demo phone's is in the receipt only,
            # as it is never recorded): a next attest starts afresh.
            pending.discard(proof.path)
        except OSError as error:
            print(
                f"warning: the saved removal {proof.path} could not be removed ({error}); "
                "remove it yourself, or the next attest shows that removal again."
            )
        return
    try:  # in the receipt but not in the history: kept, yet never used for a receipt again
        aside = pending.set_aside(proof.path, "attested")
    except OSError as error:
        print(f"warning: the saved removal {proof.path} could not be retired ({error}).")
        return
    print(f"The saved removal is in the receipt; its record is kept as {aside}.")


def _write_pdf(verified: VerifiedAttestation, out: Path) -> None:
    pdf = out.with_suffix(".pdf")
    writer = audit.cli.receipt_pdf_writer
    if writer is None:
        print(
            "PDF skipped: the desktop part of Device Audit (Qt) is not available here. The "
            "signed receipt is the record; its PDF can be made later on a computer with the app."
        )
        return
    try:
        writer(receipt_content(verified, file_name=out.name), pdf)
    except ImportError as error:
        print(
            f"PDF skipped: Qt (PySide6) could not be loaded ({error}). The signed receipt is "
            "the record."
        )
        return
    except OSError as error:
        print(f"PDF not written ({error.strerror or error}); the signed receipt is the record.")
        return
    print(f"Readable copy written to {pdf}.")
