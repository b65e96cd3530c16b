"""`device-audit policies` and `device-audit check`: the policy engine from a shell.

`check` judges an inventory file (written by `scan --json`) against a preset or a policy file,
so a helpdesk can script audits and a compliance office can re-check a stored inventory.
Everything that came from a device or a file is printed through `safe()`: an app named with
escape sequences must not be able to rewrite the technician's terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from audit import inventory
from audit.cli import EXIT_NOT_COMPLIANT, EXIT_OK, iso_date
from audit.model import (
    Assessment,
    Exemption,
    Finding,
    FindingStatus,
    Policy,
    PolicyStatus,
    ScanResult,
)
from audit.policy import (
    assessment_to_dict,
    deadline_words,
    finding_reason,
    list_presets,
    load_exemptions,
    load_policy,
    policy_state_words,
    status_text,
)
from audit.policy.exemptions import problems
from audit.policy.loader import preset_digests
from audit.policy.signed import issuer_words
from audit.text import visible


def safe(text: str, limit: int = 200) -> str:
    """Text fit for a terminal (see audit.text.visible), cut to `limit` characters."""
    return visible(text, limit=limit)


def register(sub: Any) -> None:
    policies = sub.add_parser(
        "policies",
        help="list the policy presets",
        description="List the policy presets shipped with Device Audit: id, title, deadline, "
        "version, the day it was last checked against its sources, and whether a newer preset "
        "replaces it.",
    )
    policies.set_defaults(func=run_policies)

    check = sub.add_parser(
        "check",
        help="judge an inventory file against a policy",
        description="Judge an inventory file (from 'device-audit scan --json FILE') against a "
        "policy preset or policy file, with any exemptions, and print the findings and the "
        "device's status. Exit code 0 when compliant (with or without exceptions), 1 when not "
        "compliant, overdue or incomplete, 2 when an input is wrong.",
    )
    check.add_argument(
        "--policy", required=True, metavar="ID|FILE", help="a preset id or a policy .toml file"
    )
    check.add_argument(
        "--inventory", required=True, metavar="FILE", type=Path, help="an inventory JSON file"
    )
    check.add_argument("--exemptions", metavar="FILE", type=Path, help="an exemptions .toml file")
    check.add_argument(
        "--person",
        metavar="STAFF_ID",
        default="",
        help="whose device this is; exemptions granted to a person apply only with it",
    )
    check.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        type=iso_date,
        default=None,
        help="judge as on this day (default: today)",
    )
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.set_defaults(func=run_check)


def run_policies(_args: argparse.Namespace) -> int:
    presets = list_presets()
    id_width = max((len(p.id) for p in presets), default=0)
    title_width = max((len(p.title) for p in presets), default=0)
    for policy in presets:
        deadline = policy.deadline.isoformat() if policy.deadline else "-"
        verified = policy.last_verified.isoformat() if policy.last_verified else "never"
        line = (
            f"{policy.id:<{id_width}}  {policy.title:<{title_width}}  {deadline:<10}  "
            f"v{policy.version}  verified {verified}"
        )
        if policy.status is not PolicyStatus.ACTIVE:
            state = policy.status.value
            line += f"  {state} by {policy.superseded_by}" if policy.superseded_by else f"  {state}"
        print(line)
    return EXIT_OK


def _issued(policy: Policy) -> str:
    """Who issued the policy file: a built-in preset, a checked signature, or not signed."""
    if preset_digests().get(policy.id) == policy.sha256:
        return "built in (shipped with Device Audit)"
    return issuer_words(policy.authority, policy.issuer_key)


def run_check(args: argparse.Namespace) -> int:
    from audit.workflow import DeviceAudit, saved_scan

    policy = load_policy(args.policy)
    scan = inventory.load(args.inventory)
    exemptions: tuple[Exemption, ...] = ()
    if args.exemptions is not None:
        exemptions = load_exemptions(args.exemptions)
    day: date = args.date or date.today()
    person: str = args.person
    # No phone to ask: a flagged phone app whose state the file does not confirm, and which
    # the package lists alone would call compliant, leaves the check incomplete (audit.assess).
    assessment = DeviceAudit(saved_scan(scan), policy, exemptions, day=day, person=person).check()
    for problem in problems(exemptions, policy):
        print(f"warning: {safe(problem)}", file=sys.stderr)
    if args.json:
        data = assessment_to_dict(assessment)
        data["person"] = person
        print(json.dumps(data, indent=2, ensure_ascii=True))
    else:
        print(render(assessment, person=person, exemptions=exemptions))
    return EXIT_OK if assessment.status.compliant else EXIT_NOT_COMPLIANT


# --- text output ----------------------------------------------------------------------------


def render(
    assessment: Assessment, *, person: str = "", exemptions: Sequence[Exemption] = ()
) -> str:
    policy = assessment.policy
    scan = assessment.scan
    device = scan.device
    lines = [
        f"Policy:  {safe(policy.title)} ({safe(policy.id)}, version {policy.version})",
        f"Device:  {safe(device.name or device.id)} ({safe(device.id)})"
        + (
            f", {safe(device.os_name)} {safe(device.os_version)}".rstrip() if device.os_name else ""
        ),
    ]
    state = policy_state_words(policy)
    if state:
        lines.append(f"         {safe(state, limit=1000)}")
    lines.append(f"         {safe(_issued(policy), limit=1000)}")
    if person:
        lines.append(f"Person:  {safe(person)}")
    lines.append(f"Day:     {assessment.day.isoformat()}")
    lines.append(f"Status:  {safe(status_text(assessment), limit=1000)}")
    lines.append(f"         {deadline_words(assessment)}")

    findings = sorted(
        assessment.findings,
        key=lambda f: (_ORDER[f.status], f.app.label.casefold(), f.app.user),
    )
    lines.append("")
    if findings:
        lines.append(f"Findings ({len(findings)}):")
        lines.extend(_table(findings, scan))
        lines.append("")
        lines.append("Why:")
        for finding in findings:
            lines.append(
                f"  {safe(_app_name(finding))} ({safe(finding.app.identifier)}): "
                f"{safe(finding_reason(finding, assessment.day, policy), limit=1000)}"
            )
        if any(f.status is FindingStatus.REVIEW for f in findings):
            lines.append(
                "Review findings are possible matches for a person to check; on their own "
                "they do not make the device non-compliant."
            )
    else:
        lines.append("Findings: none.")

    waiting = _needs_person(assessment, exemptions, person)
    if waiting:
        lines.append("")
        lines.extend(waiting)

    gaps = scan.gaps
    lines.append("")
    if gaps:
        lines.append("Not seen by this scan (so it cannot be called compliant):")
        for gap in gaps:
            detail = f": {safe(gap.detail, limit=1000)}" if gap.detail else ""
            lines.append(f"  {safe(gap.name)} ({gap.status.value}){detail}")
        lines.append(
            "Next step: fix what is named above if you can (unlock the phone, plug it in again, "
            "repair or remove the damaged file), then scan again. A profile the phone never "
            "lets USB debugging read (Samsung's Secure Folder, for one) cannot be checked from "
            "here: ask your IT department, as an incomplete scan cannot be attested."
        )
    elif not scan.sources:
        lines.append(
            "The inventory names no sources, so what it covers is unknown: it cannot be called "
            "compliant."
        )
        lines.append(
            "Next step: scan the device again (device-audit scan ... --json FILE) and check the "
            "new inventory."
        )
    else:
        lines.append("The scan saw everything it looked for.")

    if not assessment.status.compliant and policy.exception_route:
        lines.append("")
        lines.append(f"Exceptions: {safe(policy.exception_route, limit=1000)}")
    return "\n".join(lines)


_ORDER = {
    FindingStatus.VIOLATION: 0,
    FindingStatus.EXCEPTED: 1,
    FindingStatus.REVIEW: 2,
    FindingStatus.RESOLVED: 3,
}


def _app_name(finding: Finding) -> str:
    return finding.app.name or finding.matcher.app or finding.app.identifier


def _user(finding: Finding, scan: ScanResult) -> str:
    """Say "10 (Work profile)", not a bare user id a person cannot place."""
    user = scan.user(finding.app.user)
    if user is None or not user.name or user.name == user.id:
        return finding.app.user
    return f"{finding.app.user} ({user.name})"


def _table(findings: Sequence[Finding], scan: ScanResult) -> list[str]:
    header = ("STATUS", "APP", "IDENTIFIER", "USER", "STATE", "RULE", "CONFIDENCE", "")
    rows = [header]
    for f in findings:
        rows.append(
            (
                f.status.value,
                safe(_app_name(f), 40),
                safe(f.app.identifier, 60),
                safe(_user(f, scan), 40),
                f.app.state.value,
                safe(f.rule.id, 30),
                f.matcher.confidence.value,
                "running now" if f.running else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _needs_person(
    assessment: Assessment, exemptions: Sequence[Exemption], person: str
) -> list[str]:
    """Exemptions that would apply if the check knew whose device this is."""
    if person:
        return []
    from audit.policy.exemptions import applies

    device = assessment.scan.device
    waiting = [
        e
        for e in exemptions
        if e.person and applies(replace(e, person=""), assessment.policy, device, "")
    ]
    return [
        f"Exemption {safe(e.id)} is granted to person {safe(e.person)}: give --person to apply it."
        for e in waiting
    ]
