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

All of that is audit.workflow's DeviceAudit: checking, carrying out steps, rescanning, signing,
the history and the saved removal. This module asks the questions, prints what the workflow
says (its notices: warnings on stderr) and turns results into exit codes.

The PDF is drawn by Qt, which audit/ never imports: main.py sets audit.cli.receipt_pdf_writer.
Without it (audit used on its own) the signed receipt is written and the PDF is skipped, saying
why.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import audit.cli as audit_cli
from audit.cli import EXIT_NOT_COMPLIANT, EXIT_OK, EXIT_USAGE, add_adb_port, iso_date
from audit.cli import target as history_target
from audit.cli.policy_cmds import render, safe
from audit.cli.scan_cmd import reach_target, terminal_progress
from audit.errors import AuditError, DeviceError
from audit.files import folder_write_problem
from audit.i18n import N_, _, ngettext
from audit.model import (
    ActionKind,
    ActionResult,
    Assessment,
    Device,
    DeviceKind,
    DeviceStatus,
    Exemption,
    Policy,
    ScanResult,
)
from audit.policy import load_exemptions, load_policy, status_text
from audit.remediation import (
    Operation,
    RemediationSession,
    Step,
    StepState,
    appeared_message,
    pending,
    statement_text,
)
from audit.remediation.execute import ALREADY_GONE, not_there_words
from audit.remediation.plan import profile_words

if TYPE_CHECKING:  # imported where a command runs: `remove --help` needs neither (issue 15)
    from audit.attestation import Attester
    from audit.workflow import DeviceAudit, Notice, Proof


def register(sub: Any) -> None:
    remove = sub.add_parser(
        "remove",
        help=_("remove the banned apps from a phone, then scan again"),
        description=_(
            "Remove the banned apps from the phone with this serial: every step Device "
            "Audit can do over USB, each after a confirmation (or none with --yes). Then print "
            "what is left to do by hand, scan every user again and print what the rescan shows. "
            "What was found and done is kept for 'attest', so the receipt shows the apps that "
            "were there before and how they were removed; running 'remove' again adds to it (a "
            "record older than {days} days, or made under a policy that has changed since, is "
            "set aside and a new one begun). Everything is also recorded in the history. Exit "
            "code 0 when the phone is compliant afterwards, 1 when it is not, 2 on bad input."
        ).format(days=pending.MAX_AGE.days),
    )
    remove.add_argument("--device", required=True, metavar="SERIAL", help=_("the phone's serial"))
    _common(remove)
    remove.add_argument(
        "--person", metavar="STAFF_ID", default="", help=_("whose phone it is (for exemptions)")
    )
    remove.add_argument(
        "--all-users",
        action="store_true",
        help=_("remove apps installed by the user from every user and profile at once"),
    )
    remove.add_argument(
        "--yes", action="store_true", help=_("do not ask before each removal (for scripts)")
    )
    remove.set_defaults(func=run_remove)

    attest = sub.add_parser(
        "attest",
        help=_("scan again and write a signed attestation of compliance"),
        description=_(
            "Scan the device again and, only when it is compliant, write a signed "
            "attestation receipt (FILE) and a readable PDF of it beside it. After 'remove', the "
            "receipt holds the scan from before the removal, what was done, and this scan: the "
            "banned apps found, how each was removed and that it is gone. When it is not "
            "compliant nothing is written and the findings are printed (exit code 1), unless "
            "--noncompliance-report asks for a signed report that says it is not compliant. "
            "The receipt is recorded in the history. Without --accept-statement the statement "
            "is printed for the person to read."
        ),
    )
    target = attest.add_mutually_exclusive_group(required=True)
    target.add_argument("--device", metavar="SERIAL", help=_("attest the phone with this serial"))
    target.add_argument("--local", action="store_true", help=_("attest this computer"))
    _common(attest)
    attest.add_argument(
        "--name", required=True, help=_("the name of the person whose device it is")
    )
    attest.add_argument("--staff-id", required=True, help=_("that person's staff id"))
    attest.add_argument(
        "--technician", default="", metavar="NAME", help=_("your name, when attesting for them")
    )
    attest.add_argument(
        "--accept-statement",
        action="store_true",
        help=_("the person has read and agreed to the statement (run without it to print it)"),
    )
    attest.add_argument("--out", required=True, type=Path, metavar="FILE", help=_("receipt file"))
    attest.add_argument(
        "--noncompliance-report",
        action="store_true",
        help=_("when the device is not compliant, write a signed NON-COMPLIANCE report instead"),
    )
    attest.add_argument(
        "--forget-pairing",
        action="store_true",
        # Translators: "Trust This Computer?" is the iPhone's own question (Se fier à cet
        # ordinateur?)
        help=_(
            "for an iPhone: once the receipt is written, remove this computer's pairing with "
            "it if Device Audit made it (the iPhone asks 'Trust This Computer?' again next time)"
        ),
    )
    attest.set_defaults(func=run_attest)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy", required=True, metavar="ID|FILE", help=_("a preset id or a policy .toml file")
    )
    parser.add_argument("--exemptions", metavar="FILE", type=Path, help=_("an exemptions file"))
    parser.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        type=iso_date,
        default=None,
        help=_("judge as on this day"),
    )
    add_adb_port(parser)
    parser.add_argument(
        "--db",
        type=history_target.parse,
        metavar="PATH|ADDRESS",
        help=_(history_target.DB_HELP),
    )


def _exemptions(args: argparse.Namespace) -> tuple[Exemption, ...]:
    return () if args.exemptions is None else tuple(load_exemptions(args.exemptions))


# --- the workflow -------------------------------------------------------------------------


def say(notice: Notice) -> None:
    """A notice of the workflow on the terminal: warnings on stderr with their next step."""
    if notice.warning:
        print(_("warning: {message}").format(message=notice.text), file=sys.stderr)
        if notice.next_step:
            print(_("next step: {step}").format(step=notice.next_step), file=sys.stderr)
        return
    print(notice.text)


def device_audit(
    args: argparse.Namespace, policy: Policy, exemptions: Sequence[Exemption], *, person: str
) -> DeviceAudit:
    """The audit of the device the arguments name, judged as on --date, written to --db (never
    when --date is another day than today: see workflow.History)."""
    from audit.workflow import DeviceAudit

    return DeviceAudit(
        reach_target(args),
        policy,
        exemptions,
        day=args.date or date.today(),
        person=person,
        # --db, DEVICE_AUDIT_DB or the default file. History hands it to Store, which takes
        # an address as well; the workflow's annotation still says Path (issue 18).
        history=history_target.chosen(args),  # type: ignore[arg-type]
        exemptions_file=args.exemptions,
        say=say,
    )


# --- remove ------------------------------------------------------------------------------------


def run_remove(args: argparse.Namespace) -> int:
    if not args.yes and not sys.stdin.isatty():
        problem = _(
            "'remove' asks before each removal, but there is no terminal to ask on "
            "(its input is not a terminal)."
        )
        print(_("error: {message}").format(message=problem), file=sys.stderr)
        step = _("run it in a terminal, or add --yes to remove without asking.")
        print(_("next step: {step}").format(step=step), file=sys.stderr)
        return EXIT_USAGE
    policy = load_policy(args.policy)
    with device_audit(args, policy, _exemptions(args), person=args.person) as audit:
        before = audit.check(terminal_progress())
        device = before.scan.device
        print(
            _("Device:  {name} ({id})").format(
                name=safe(device.name or device.id), id=safe(device.id)
            )
        )
        print(_("Policy:  {title} ({id})").format(title=safe(policy.title), id=safe(policy.id)))
        print(_("Status:  {status}").format(status=safe(status_text(before), limit=1000)))
        return _remove(args, before, audit)


def _nothing_to_remove(before: Assessment) -> str:
    """Why no step is planned, without implying the phone is clean when it was not all seen."""
    if before.status is DeviceStatus.INCOMPLETE:
        where = ", ".join(safe(gap.name) for gap in before.scan.gaps) or _("it names no sources")
        return _(
            "Nothing was removed: no banned app was found in what the check could read, but it "
            "could not read everything ({missing}), so banned apps there may still be on it. "
            "Fix what stopped the check (the Status line says what) and run it again."
        ).format(missing=where)
    if before.violations:
        return _("No removal step could be planned for the banned apps listed above.")
    return _("Nothing to remove: no banned app was found.")


def _remove(args: argparse.Namespace, before: Assessment, audit: DeviceAudit) -> int:
    session = audit.start_removal(before, all_users=args.all_users)
    if not session.plans:
        print("\n" + _nothing_to_remove(before))
        _say_recorded(audit, before.scan.device)
        return EXIT_OK if before.status.compliant else EXIT_NOT_COMPLIANT

    def confirm(step: Step) -> bool:
        print(f"\n{safe(step.title)}")
        print(f"  {safe(step.confirmation, limit=2000)}")
        if args.yes:
            return True
        try:
            # Translators: the person types y or yes (or the words below) to go ahead
            answer = input(_("  Go ahead? [y/N] "))
        except EOFError:
            answer = ""
        if answer.strip().lower() not in _yes_words():
            print(_("  Skipped."))
            return False
        return True

    def report(step: Step, result: ActionResult) -> None:
        words = safe(result_words(step, result, before.scan), limit=1000)
        if result.ok:
            print(_("  Done: {result}").format(result=words))
        else:
            print(_("  FAILED: {result}").format(result=words))
            if result.advice:
                print(_("  Next step: {step}").format(step=safe(result.advice, limit=1000)))

    # The phone at --device: over adb, or the demo phone when it is on in this process.
    results = audit.run_automatic(confirm=confirm, report=report)
    if results and results[-1].code == "DEVICE_GONE":
        print(
            "\n"
            + _(
                "The phone went away. Plug it in again and run 'remove' again: what was done is "
                "not done twice, and what was done so far is kept."
            )
        )
        return EXIT_NOT_COMPLIANT

    _print_manual(session)
    print("\n" + _("Scanning again (every user)..."))
    try:
        rescan = audit.rescan(terminal_progress())
    except DeviceError as error:
        print(_("Could not scan again: {problem}").format(problem=safe(error.message, limit=1000)))
        print(_("Nothing is verified until the phone is scanned again."))
        return EXIT_NOT_COMPLIANT
    after = session.verification
    assert after is not None
    for check in after.checks:
        print(f"  {safe(check.message, limit=1000)}")
    for finding in after.appeared:
        print(f"  {safe(appeared_message(finding, rescan), limit=1000)}")
    print(_("Status:  {status}").format(status=safe(status_text(rescan), limit=1000)))
    record = audit.record
    if record is not None and record.actions:
        kept = ngettext(
            "Kept for 'device-audit attest': the scan from before the removal and {count} "
            "action(s), so the receipt shows what was found and what was done.",
            "Kept for 'device-audit attest': the scan from before the removal and {count} "
            "action(s), so the receipt shows what was found and what was done.",
            len(record.actions),
        )
        print("\n" + kept.format(count=len(record.actions)))
    _say_recorded(audit, rescan.scan.device)
    return EXIT_OK if rescan.status.compliant else EXIT_NOT_COMPLIANT


def _say_recorded(audit: DeviceAudit, device: Device) -> None:
    """Where the audit is, in words that stay true. An audit the outbox kept (the team
    history's server was away) is named by its device and person, never by the outbox's
    number: the team history gives it its own when it is sent, and its audit of that number
    is another one (a technician who noted it down would send the office to the wrong one)."""
    if audit.recorded_id is None:
        return
    if not audit.history(device).queued:
        print(_("Recorded in the history as audit {id}.").format(id=audit.recorded_id))
        return
    shown = safe(device.id) if not device.name else f"{safe(device.name)}, {safe(device.id)}"
    if audit.person:
        print(
            _(
                "Not in the team history yet: this audit is kept on this computer until it is "
                "sent there, where it gets a number of its own. Look it up there by its device "
                "({device}) and staff id ({person})."
            ).format(device=shown, person=safe(audit.person))
        )
    else:
        print(
            _(
                "Not in the team history yet: this audit is kept on this computer until it is "
                "sent there, where it gets a number of its own. Look it up there by its device "
                "({device})."
            ).format(device=shown)
        )


def _yes_words() -> tuple[str, ...]:
    """What a person types to say yes: "y" and "yes" always, and the language's own words."""
    # Translators: the words that mean yes at the "Go ahead? [y/N]" question, separated by "|"
    # (French: o|oui)
    own = _("y|yes").split("|")
    return ("y", "yes", *(word.strip().lower() for word in own if word.strip()))


# Marked, not translated (set at import): shown as _(_PHONE_DONE[kind]).
_PHONE_DONE = {
    # Translators: {where} is a profile after a preposition ("the Work profile")
    ActionKind.UNINSTALL: N_("{app} was removed from {where}."),
    ActionKind.UNINSTALL_ALL_USERS: N_("{app} was removed from every user and profile."),
    ActionKind.DISABLE: N_("{app} was disabled in {where}."),
    ActionKind.ENABLE: N_("{app} was enabled again in {where}."),
    ActionKind.RESTORE: N_("{app} was restored to {where}."),
    ActionKind.FORCE_STOP: N_("{app} was stopped in {where}."),
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
        return not_there_words(app, where, result.code)
    if result.ok:
        done = _PHONE_DONE.get(result.kind, N_("{app}: done."))
        return _(done).format(app=app, where=where)
    if result.message.startswith(step.title):
        return result.message  # made by the executor from the step, not the phone: plain already
    if result.code == "DEVICE_GONE":
        return _(
            "{step}: the phone stopped answering, so it is not known whether it was done. "
            "Scan again to see what happened."
        ).format(step=step.title)
    if result.code:
        # Translators: {code} is the phone's own failure code (DELETE_FAILED_...): keep it
        return _("{step}: not done. The phone answered {code}.").format(
            step=step.title, code=result.code
        )
    return _("{step}: not done.").format(step=step.title)


def _print_manual(session: RemediationSession) -> None:
    """What is left for a person to do: manual steps, and other ways round failed steps."""
    todo: list[Step] = list(session.manual_steps_left)
    for plan in session.plans:
        if any(session.step_state(s) is StepState.FAILED for s in plan.steps):
            todo += [s for s in plan.alternatives if not s.automatic and s not in todo]
    if not todo:
        return
    print("\n" + _("Left to do by hand:"))
    for step in todo:
        print(f"\n* {safe(step.title)}")
        if step.why_manual:
            print(_("  Why: {reason}").format(reason=safe(step.why_manual, limit=1000)))
        for number, line in enumerate(step.instructions, 1):
            print(f"  {number}. {safe(line, limit=1000)}")
        if step.copy_command:
            print(_("  Command: {command}").format(command=safe(step.copy_command, limit=1000)))


# --- attest ------------------------------------------------------------------------------------


def _device_words(args: argparse.Namespace) -> str:
    if args.local:
        return _("this computer ({name})").format(name=socket.gethostname())
    return _("the phone with serial {serial}").format(serial=args.device)


def run_attest(args: argparse.Namespace) -> int:
    from audit.attestation import Attester, usable_keyring
    from audit.attestation.statement import check_attester

    policy = load_policy(args.policy)
    day: date = args.date or date.today()
    attester = Attester(
        name=args.name.strip(), staff_id=args.staff_id.strip(), technician=args.technician.strip()
    )
    check_attester(attester)  # a staff id that may not sign is refused before any scan
    text = statement_text(
        name=attester.name,
        staff_id=attester.staff_id,
        device=_device_words(args),
        policy=f"{policy.title} ({policy.id})",
        day=day,
        technician=attester.technician,
    )
    if not args.accept_statement:
        print(_("The statement to agree to:") + "\n")
        print(f"  {safe(text, limit=5000)}\n")
        print(
            _(
                "Nothing was scanned or written. Read the statement with the person; if they "
                "agree, run the same command again with --accept-statement."
            )
        )
        return EXIT_USAGE
    out: Path = args.out
    problem = _out_problem(out)
    if problem:
        raise AuditError(problem, _("Choose another file name with --out."))
    usable_keyring()  # before a long scan: say now if the key has nowhere to live
    with device_audit(args, policy, _exemptions(args), person=attester.staff_id) as audit:
        # The scan from before a saved removal is judged exactly as this rescan is (the
        # statement compares the two), with the actions done in between.
        proof = audit.proof(audit.check(terminal_progress()))
        return _sign(args, audit, proof, attester, text=text, out=out)


def _out_problem(out: Path) -> str:
    if out.suffix.lower() == ".pdf":
        return _(
            "{path} ends in .pdf, but it is the signed receipt; its PDF goes beside it."
        ).format(path=out)
    if out.exists():
        return _("{path} already exists, and receipts are never overwritten.").format(path=out)
    if not out.parent.is_dir():
        return _("The folder {folder} does not exist.").format(folder=out.parent)
    problem = folder_write_problem(out.parent)
    return _("The receipt cannot be written: {problem}.").format(problem=problem) if problem else ""


def _sign(
    args: argparse.Namespace,
    audit: DeviceAudit,
    proof: Proof,
    attester: Attester,
    *,
    text: str,
    out: Path,
) -> int:
    after = proof.after
    blockers = proof.blockers
    if blockers:
        print(render(after, person=attester.staff_id))
        reasons = safe("; ".join(blockers), limit=2000)
        print("\n" + _("Not attested: {reasons}.").format(reasons=reasons))
        if not args.noncompliance_report:
            kept = " " + _("What 'remove' did is kept for the next attest.") if proof.saved else ""
            if not after.violations and not after.scan.complete:
                # Nothing to remove: the phone was not read in full, and that is what to fix.
                print(
                    _(
                        "Nothing was written. Part of the device could not be read (see 'Not "
                        "seen by this scan' above): fix what is named there if you can, then "
                        "attest again. If it keeps happening, restart the phone or ask your IT "
                        "department: an incomplete scan cannot be attested."
                    )
                    + kept
                )
                return EXIT_NOT_COMPLIANT
            print(
                _(
                    "Nothing was written. Remove the apps (device-audit remove) or record an "
                    "exemption, then attest again; or add --noncompliance-report to sign a "
                    "report that the device is not compliant."
                )
                + kept
            )
            return EXIT_NOT_COMPLIANT
    receipt = audit.sign(
        proof,
        attester,
        text,
        out,
        report=bool(blockers),
        pdf_writer=audit_cli.receipt_pdf_writer,
    )
    verified = receipt.signed.verified
    if args.date is not None and args.date != date.today():
        print(
            _(
                "Judged as of {day}, not today ({today}): the receipt says so, and "
                "verify shows it. An exemption that has expired by today is never counted."
            ).format(day=args.date, today=date.today())
        )
    if blockers:
        print(
            "\n"
            + _(
                "NON-COMPLIANCE REPORT written to {path} (signed; it does NOT attest compliance)."
            ).format(path=out)
        )
    else:
        print(_("Attestation of compliance written to {path}.").format(path=out))
        # Translators: labels 11 characters wide with their spaces, so the values line up
        print(
            _("  device   {value}").format(
                value=f"{safe(verified.device_name)} ({safe(verified.device_id)})"
            )
        )
        print(_("  status   {value}").format(value=verified.status.value))
        print(_("  signer   {value}").format(value=receipt.fingerprint))
    _say_recorded(audit, after.scan.device)
    if after.scan.device.kind is DeviceKind.IOS:  # the iPhone's "switch USB debugging off"
        from audit.sources.ios.pairing import end_of_audit

        words = end_of_audit(after.scan.device.serial, bool(args.forget_pairing))
        if words:
            print(words)
    pdf = receipt.pdf
    if pdf is not None and pdf.path is not None:
        print(_("Readable copy written to {path}.").format(path=pdf.path))
    elif pdf is not None:
        print(pdf.problem)
    if blockers:
        return EXIT_NOT_COMPLIANT
    print(_("Verify with: device-audit verify {path}").format(path=out))
    return EXIT_OK
