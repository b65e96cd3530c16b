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
from audit.i18n import N_, _
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
        help=_("list the policy presets"),
        description=_(
            "List the policy presets shipped with Device Audit: id, title, deadline, "
            "version, the day it was last checked against its sources, and whether a newer preset "
            "replaces it."
        ),
    )
    policies.set_defaults(func=run_policies)

    check = sub.add_parser(
        "check",
        help=_("judge an inventory file against a policy"),
        description=_(
            "Judge an inventory file (from 'device-audit scan --json FILE') against a "
            "policy preset or policy file, with any exemptions, and print the findings and the "
            "device's status. Exit code 0 when compliant (with or without exceptions), 1 when not "
            "compliant, overdue or incomplete, 2 when an input is wrong."
        ),
    )
    check.add_argument(
        "--policy", required=True, metavar="ID|FILE", help=_("a preset id or a policy .toml file")
    )
    check.add_argument(
        "--inventory", required=True, metavar="FILE", type=Path, help=_("an inventory JSON file")
    )
    check.add_argument(
        "--exemptions", metavar="FILE", type=Path, help=_("an exemptions .toml file")
    )
    check.add_argument(
        "--person",
        metavar="STAFF_ID",
        default="",
        help=_("whose device this is; exemptions granted to a person apply only with it"),
    )
    check.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        type=iso_date,
        default=None,
        help=_("judge as on this day (default: today)"),
    )
    check.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    check.set_defaults(func=run_check)


def run_policies(_args: argparse.Namespace) -> int:
    presets = list_presets()
    id_width = max((len(p.id) for p in presets), default=0)
    title_width = max((len(p.title) for p in presets), default=0)
    for policy in presets:
        deadline = policy.deadline.isoformat() if policy.deadline else "-"
        if policy.last_verified:
            verified = _("verified {day}").format(day=policy.last_verified.isoformat())
        else:
            verified = _("verified never")
        line = (
            f"{policy.id:<{id_width}}  {policy.title:<{title_width}}  {deadline:<10}  "
            f"v{policy.version}  {verified}"
        )
        if policy.status is not PolicyStatus.ACTIVE:
            state = _(_POLICY_STATES.get(policy.status, policy.status.value))
            if policy.superseded_by:
                state = _("{state} by {policy}").format(state=state, policy=policy.superseded_by)
            line += f"  {state}"
        print(line)
    return EXIT_OK


# A preset that no longer stands, in the list of presets ("superseded by nz-2024").
_POLICY_STATES = {PolicyStatus.SUPERSEDED: N_("superseded"), PolicyStatus.LIFTED: N_("lifted")}


def _issued(policy: Policy) -> str:
    """Who issued the policy file: a built-in preset, a checked signature, or not signed."""
    if preset_digests().get(policy.id) == policy.sha256:
        return _("built in (shipped with Device Audit)")
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
        print(_("warning: {message}").format(message=safe(problem)), file=sys.stderr)
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
        # Translators: the labels at the start of these lines are 9 characters wide with their
        # spaces, so the values line up (keep the width if you can)
        _("Policy:  {title} ({id}, version {version})").format(
            title=safe(policy.title), id=safe(policy.id), version=policy.version
        ),
        _("Device:  {name} ({id})").format(name=safe(device.name or device.id), id=safe(device.id))
        + (
            f", {safe(device.os_name)} {safe(device.os_version)}".rstrip() if device.os_name else ""
        ),
    ]
    state = policy_state_words(policy)
    if state:
        lines.append(f"         {safe(state, limit=1000)}")
    lines.append(f"         {safe(_issued(policy), limit=1000)}")
    if person:
        lines.append(_("Person:  {person}").format(person=safe(person)))
    lines.append(_("Day:     {day}").format(day=assessment.day.isoformat()))
    lines.append(_("Status:  {status}").format(status=safe(status_text(assessment), limit=1000)))
    lines.append(f"         {deadline_words(assessment)}")

    findings = sorted(
        assessment.findings,
        key=lambda f: (_ORDER[f.status], f.app.label.casefold(), f.app.user),
    )
    lines.append("")
    if findings:
        lines.append(_("Findings ({count}):").format(count=len(findings)))
        lines.extend(_table(findings, scan))
        lines.append("")
        lines.append(_("Why:"))
        for finding in findings:
            lines.append(
                f"  {safe(_app_name(finding))} ({safe(finding.app.identifier)}): "
                f"{safe(finding_reason(finding, assessment.day, policy), limit=1000)}"
            )
        if any(f.status is FindingStatus.REVIEW for f in findings):
            lines.append(
                _(
                    "Review findings are possible matches for a person to check; on their own "
                    "they do not make the device non-compliant."
                )
            )
    else:
        lines.append(_("Findings: none."))

    waiting = _needs_person(assessment, exemptions, person)
    if waiting:
        lines.append("")
        lines.extend(waiting)

    gaps = scan.gaps
    lines.append("")
    if gaps:
        lines.append(_("Not seen by this scan (so it cannot be called compliant):"))
        for gap in gaps:
            detail = f": {safe(gap.detail, limit=1000)}" if gap.detail else ""
            lines.append(f"  {safe(gap.name)} ({gap.status.value}){detail}")
        lines.append(
            _(
                "Next step: fix what is named above if you can (unlock the phone, plug it in "
                "again, repair or remove the damaged file), then scan again. A profile the phone "
                "never lets USB debugging read (Samsung's Secure Folder, for one) cannot be "
                "checked from here: ask your IT department, as an incomplete scan cannot be "
                "attested."
            )
        )
    elif not scan.sources:
        lines.append(
            _(
                "The inventory names no sources, so what it covers is unknown: it cannot be "
                "called compliant."
            )
        )
        lines.append(
            _(
                "Next step: scan the device again (device-audit scan ... --json FILE) and check "
                "the new inventory."
            )
        )
    else:
        lines.append(_("The scan saw everything it looked for."))

    if not assessment.status.compliant and policy.exception_route:
        lines.append("")
        lines.append(
            _("Exceptions: {route}").format(route=safe(policy.exception_route, limit=1000))
        )
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
    # Translators: the column headings of the findings table (capitals, as a heading)
    header = (
        _("STATUS"),
        _("APP"),
        _("IDENTIFIER"),
        _("USER"),
        _("STATE"),
        _("RULE"),
        _("CONFIDENCE"),
        "",
    )
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
                _("running now") if f.running else "",
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
        _("Exemption {id} is granted to person {person}: give --person to apply it.").format(
            id=safe(e.id), person=safe(e.person)
        )
        for e in waiting
    ]
