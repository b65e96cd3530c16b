"""`device-audit remove` and `device-audit attest`: the removal flow and the signed receipt,
for technicians' scripts.

`remove` runs the automatic steps of the plan (asking before each one unless --yes), prints what
is left to do by hand, rescans every user and prints what the rescan shows. `attest` rescans and
writes the signed receipt (and its PDF) only when the device is compliant; otherwise it writes
nothing, unless asked for a signed non-compliance report, which says so on its face.

The PDF is drawn by Qt, which audit/ never imports: main.py sets audit.cli.receipt_pdf_writer.
Without it (audit used on its own) the signed receipt is written and the PDF is skipped, saying
why.
"""

from __future__ import annotations

import argparse
import socket
import sys
from datetime import date
from pathlib import Path
from typing import Any

import audit.cli
from audit.attestation import (
    Attester,
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
from audit.cli import EXIT_NOT_COMPLIANT, EXIT_OK, EXIT_USAGE, iso_date
from audit.cli.policy_cmds import render, safe
from audit.cli.scan_cmd import scan_target
from audit.errors import AuditError, DeviceError
from audit.model import ActionResult, Assessment, Exemption
from audit.policy import evaluate, load_exemptions, load_policy, status_text
from audit.remediation import (
    AndroidExecutor,
    RemediationSession,
    Step,
    StepState,
    appeared_message,
    statement_text,
)


def register(sub: Any) -> None:
    remove = sub.add_parser(
        "remove",
        help="remove the banned apps from a phone, then scan again",
        description="Remove the banned apps from the phone with this serial: every step Device "
        "Audit can do over USB, each after a confirmation (or none with --yes). Then print what "
        "is left to do by hand, scan every user again and print what the rescan shows. Exit "
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
        "attestation receipt (FILE) and a readable PDF of it beside it. When it is not "
        "compliant nothing is written and the findings are printed (exit code 1), unless "
        "--noncompliance-report asks for a signed report that says it is not compliant. "
        "Without --accept-statement the statement is printed for the person to read.",
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
    parser.add_argument(
        "--adb-port", type=int, default=None, help="port of the adb server (default 5037)"
    )


def _exemptions(args: argparse.Namespace) -> tuple[Exemption, ...]:
    return () if args.exemptions is None else tuple(load_exemptions(args.exemptions))


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
    before = evaluate(scan_target(args), policy, exemptions, day=day, person=args.person)
    device = before.scan.device
    print(f"Device:  {safe(device.name or device.id)} ({safe(device.id)})")
    print(f"Policy:  {safe(policy.title)} ({safe(policy.id)})")
    print(f"Status:  {safe(status_text(before), limit=1000)}")
    session = RemediationSession.start(
        before, exemptions=exemptions, person=args.person, all_users=args.all_users
    )
    if not session.plans:
        print("\nNothing to remove.")
        return EXIT_OK if before.status.compliant else EXIT_NOT_COMPLIANT

    executor = AndroidExecutor(args.device, adb_port=args.adb_port)

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

    def report(_step: Step, result: ActionResult) -> None:
        if result.ok:
            print(f"  Done: {safe(result.message, limit=1000)}")
            return
        print(f"  FAILED: {safe(result.message, limit=1000)}")
        if result.advice:
            print(f"  Next step: {safe(result.advice, limit=1000)}")

    results = session.run_automatic(executor, confirm=confirm, report=report)
    if results and results[-1].code == "DEVICE_GONE":
        print(
            "\nThe phone went away. Plug it in again and run 'remove' again: what was done is "
            "not done twice."
        )
        return EXIT_NOT_COMPLIANT

    _print_manual(session)
    print("\nScanning again (every user)...")
    try:
        after = session.record_rescan(scan_target(args), day=day)
    except DeviceError as error:
        print(f"Could not scan again: {safe(error.message, limit=1000)}")
        print("Nothing is verified until the phone is scanned again.")
        return EXIT_NOT_COMPLIANT
    for check in after.checks:
        print(f"  {safe(check.message, limit=1000)}")
    assert session.after is not None
    for finding in after.appeared:
        print(f"  {safe(appeared_message(finding, session.after), limit=1000)}")
    print(f"Status:  {safe(status_text(session.after), limit=1000)}")
    return EXIT_OK if session.after.status.compliant else EXIT_NOT_COMPLIANT


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
    assessment = evaluate(scan_target(args), policy, exemptions, day=day, person=attester.staff_id)
    return _sign(args, assessment, attester, text, out)


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
    assessment: Assessment,
    attester: Attester,
    text: str,
    out: Path,
) -> int:
    blockers = attestation_blockers(assessment, assessment, ())
    if blockers:
        print(render(assessment, person=attester.staff_id))
        print("\nNot attested: " + safe("; ".join(blockers), limit=2000) + ".")
        if not args.noncompliance_report:
            print(
                "Nothing was written. Remove the apps (device-audit remove) or record an "
                "exemption, then attest again; or add --noncompliance-report to sign a report "
                "that the device is not compliant."
            )
            return EXIT_NOT_COMPLIANT
        envelope = report_noncompliance(
            before=assessment,
            after=assessment,
            actions=(),
            attester=attester,
            signer=Signer.from_keyring(),
            statement_text=text,
        )
        write_receipt(envelope, out)
        print(f"\nNON-COMPLIANCE REPORT written to {out} (signed; it does NOT attest compliance).")
        _write_pdf(verify_file(out), out)
        return EXIT_NOT_COMPLIANT
    signer = Signer.from_keyring()
    envelope = attest(
        before=assessment,
        after=assessment,
        actions=(),
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
    _write_pdf(verified, out)
    print(f"Verify with: device-audit verify {out}")
    return EXIT_OK


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
