"""What a receipt says, in words a person reads: the content of the PDF beside the signed file.

Built from a verified receipt (never from unverified data), as plain data with no markup, so
the PDF writer (ui/receipt_pdf.py, Qt) and a text view lay out the same words. Every value came
from the receipt file and is untrusted: renderers must show it as plain text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from audit.attestation.statement import StatementKind
from audit.attestation.verify import VerifiedAttestation

VERIFY_COMMAND = "device-audit verify {file}"

_STATUS_WORDS = {
    "compliant": "Compliant",
    "compliant_with_exceptions": "Compliant with exceptions",
    "non_compliant": "Not compliant",
    "overdue": "Not compliant, deadline passed",
    "incomplete": "Incomplete: the device could not be fully checked",
}
_STATE_WORDS = {
    "installed": "installed",
    "disabled": "disabled",
    "removed_for_user": "removed for this user",
    "absent": "gone",
    None: "not verified",
}
_ACCEPTED_WORDS = {
    "absent": "gone (absent)",
    "removed_for_user": "removed for this user",
    "disabled": "disabled",
}
FINDING_STATUS_WORDS = {
    "violation": "banned, still there",
    "resolved": "resolved",
    "excepted": "exempted",
    "review": "for review",
    "unverified": "not verified",
}
_USB_WORDS = {
    "confirmed": "switched off again (confirmed)",
    "skipped": "not switched off (skipped)",
    "not_applicable": "not applicable",
}


@dataclass(frozen=True)
class Line:
    label: str
    value: str


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[Line, ...] = ()
    text: str = ""  # a paragraph (the statement)


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str  # what to print when there are no rows


@dataclass(frozen=True)
class ReceiptContent:
    title: str
    kind_line: str  # what kind of record this is, loud for a non-compliance report
    compliant: bool
    sections: tuple[Section, ...]
    findings: Table
    actions: Table
    fingerprint: str  # the signer's key fingerprint, in groups of four
    verify_hint: str  # "Verify with: device-audit verify receipt.json"

    def to_text(self) -> str:
        """The same content as plain text (for a terminal or a .txt beside the receipt)."""
        out = [self.title, self.kind_line, ""]
        for section in self.sections:
            out.append(section.title)
            width = max((len(line.label) for line in section.lines), default=0)
            out += [f"  {line.label:<{width}}  {line.value}" for line in section.lines]
            if section.text:
                out.append(f"  {section.text}")
            out.append("")
        for table in (self.findings, self.actions):
            out.append(table.title)
            if not table.rows:
                out.append(f"  {table.empty}")
            for row in table.rows:
                out.append("  " + " | ".join(row))
            out.append("")
        out.append(f"Signed by key {self.fingerprint}")
        out.append(self.verify_hint)
        return "\n".join(out)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _get(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, Mapping) else None


def _rows(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def receipt_content(receipt: VerifiedAttestation, *, file_name: str = "FILE") -> ReceiptContent:
    predicate = _get(receipt.statement, "predicate") or {}
    report = receipt.kind is StatementKind.NONCOMPLIANCE_REPORT
    if report:
        title = "Device Audit: non-compliance report"
        kind_line = (
            "NON-COMPLIANCE REPORT: this device was NOT shown to be compliant. This is not an "
            "attestation of compliance."
        )
    else:
        title = "Device Audit: attestation of compliance"
        kind_line = "Attestation of compliance, signed."
    device = _get(predicate, "device") or {}
    policy = _get(predicate, "policy") or {}
    attester = receipt.attester
    rescan = _get(predicate, "rescan") or {}
    os_text = " ".join(
        t for t in (_text(_get(device, "os_name")), _text(_get(device, "os_version"))) if t
    )
    device_lines = [
        Line("Device", receipt.device_name or receipt.device_id),
        Line("Device id", receipt.device_id),
    ]
    model = " ".join(
        t for t in (_text(_get(device, "manufacturer")), _text(_get(device, "model"))) if t
    )
    if model:
        device_lines.append(Line("Model", model))
    if os_text:
        device_lines.append(Line("System", os_text))
    if _get(device, "simulated") is True:
        device_lines.append(Line("Note", "a SIMULATED device (demo), not a real phone"))
    summary = [
        Line("Status", _STATUS_WORDS.get(receipt.status.value, receipt.status.value)),
        Line("Date", receipt.attested_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        Line("Person", f"{attester.name} (staff id {attester.staff_id})"),
    ]
    if attester.technician:
        summary.append(Line("Technician", f"{attester.technician}, on the person's behalf"))
    summary.append(Line("Receipt id", receipt.id))
    policy_lines = [
        Line("Policy", f"{receipt.policy_title} ({receipt.policy_id})"),
        Line("Authority", _text(_get(policy, "authority"))),
        Line("Deadline", _text(_get(policy, "deadline")) or "none"),
        Line(
            "Accepted states",
            ", ".join(
                _STATE_WORDS.get(s, _text(s)) for s in _rows(_get(policy, "compliant_states"))
            ),
        ),
        Line("Policy sha256", receipt.policy_sha256),
    ]
    before = _get(predicate, "scan_before") or {}
    users = _user_names(before, rescan)
    scan_lines = [
        Line("Last scan", _when(_get(rescan, "finished_at"))),
        Line("Complete", "yes" if _get(rescan, "complete") is True else "NO"),
        Line(
            "Users",
            ", ".join(
                f"{_text(_get(u, 'name'))} ({_text(_get(u, 'id'))})"
                for u in _rows(_get(rescan, "users"))
            )
            or "-",
        ),
        Line("Apps seen", _text(_get(rescan, "apps"))),
        Line("Inventory digest", _text(_get(rescan, "inventory_digest"))),
    ]
    for gap in _rows(_get(rescan, "gaps")):
        scan_lines.append(
            Line("Not read", f"{_text(_get(gap, 'source'))}: {_text(_get(gap, 'detail'))}")
        )
    usb = _get(predicate, "usb_debugging")
    if usb is not None:
        scan_lines.append(Line("USB debugging", _USB_WORDS.get(_text(usb), _text(usb))))
    sections = [
        Section("Summary", tuple(summary)),
        Section("Device", tuple(device_lines)),
        Section("Policy", tuple(policy_lines)),
    ]
    if _get(before, "inventory_digest") not in (None, _get(rescan, "inventory_digest")):
        sections.append(
            Section(
                "First scan (before anything was removed)",
                (
                    Line("Scanned", _when(_get(before, "finished_at"))),
                    Line(
                        "Status then",
                        _STATUS_WORDS.get(
                            _text(_get(before, "status")), _text(_get(before, "status"))
                        ),
                    ),
                    Line("Inventory digest", _text(_get(before, "inventory_digest"))),
                ),
            )
        )
    sections.append(Section("Verifying scan", tuple(scan_lines)))
    exemptions = _rows(_get(predicate, "exemptions"))
    if exemptions:
        sections.append(
            Section(
                "Exemptions used",
                tuple(
                    Line(
                        _text(_get(e, "id")),
                        f"approved by {_text(_get(e, 'approver'))} until "
                        f"{_text(_get(e, 'expires'))}: {_text(_get(e, 'reason'))}",
                    )
                    for e in exemptions
                ),
            )
        )
    statement = _text(_get(predicate, "statement"))
    sections.append(Section("Statement agreed to", text=statement or "(no statement)"))
    return ReceiptContent(
        title=title,
        kind_line=kind_line,
        compliant=receipt.compliant,
        sections=tuple(sections),
        findings=_findings(_rows(_get(predicate, "findings")), users),
        actions=_actions(_rows(_get(predicate, "actions")), _app_names(predicate), users),
        fingerprint=receipt.display_signer,
        verify_hint="Verify with: " + VERIFY_COMMAND.format(file=file_name),
    )


def _when(value: Any) -> str:
    text = _text(value)[:16].replace("T", " ")
    return f"{text} UTC" if text else "-"


def _user_names(*scans: Any) -> dict[str, str]:
    """User id -> "Work profile (10)", from the scans' own user lists."""
    names: dict[str, str] = {}
    for scan in scans:
        for user in _rows(_get(scan, "users")):
            uid, name = _text(_get(user, "id")), _text(_get(user, "name"))
            if uid and name and name != uid:
                names.setdefault(uid, f"{name} ({uid})")
    return names


def _app_names(predicate: Any) -> dict[str, str]:
    return {
        _text(_get(f, "app")): _text(_get(f, "name"))
        for f in _rows(_get(predicate, "findings"))
        if _get(f, "name")
    }


def _findings(rows: Sequence[Any], users: Mapping[str, str]) -> Table:
    body = []
    for row in rows:
        name = _text(_get(row, "name")) or _text(_get(row, "app"))
        user = _text(_get(row, "user"))
        body.append(
            (
                f"{name} ({_text(_get(row, 'app'))})" if name != _text(_get(row, "app")) else name,
                users.get(user, user),
                _STATE_WORDS.get(_get(row, "state_before"), _text(_get(row, "state_before"))),
                _STATE_WORDS.get(_get(row, "state"), _text(_get(row, "state"))),
                FINDING_STATUS_WORDS.get(_text(_get(row, "status")), _text(_get(row, "status"))),
            )
        )
    return Table(
        "Findings",
        ("App", "User", "Before", "Now", "Result"),
        tuple(body),
        "No banned apps were found.",
    )


_ACTION_WORDS = {
    "uninstall": "Uninstall",
    "uninstall_all_users": "Uninstall for every user",
    "disable": "Disable",
    "enable": "Enable again",
    "restore": "Restore",
    "force_stop": "Stop",
    "close_app": "Close",
    "run_uninstaller": "Run the uninstaller of",
    "manual": "By hand:",
    "disable_usb_debugging": "Switch off USB debugging",
}


def _actions(rows: Sequence[Any], apps: Mapping[str, str], users: Mapping[str, str]) -> Table:
    body = []
    for row in rows:
        kind = _text(_get(row, "kind"))
        identifier = _text(_get(row, "identifier"))
        user = _text(_get(row, "user"))
        what = " ".join(
            part
            for part in (
                _ACTION_WORDS.get(kind, kind.replace("_", " ")),
                apps.get(identifier, identifier) if kind != "disable_usb_debugging" else "",
            )
            if part
        )
        body.append(
            (
                _text(_get(row, "at"))[:19].replace("T", " "),
                what,
                users.get(user, user) or "-",
                "done" if _get(row, "ok") is True else "FAILED",
                _text(_get(row, "message")),
            )
        )
    return Table(
        "Actions",
        ("Time (UTC)", "Action", "User", "Result", "What happened"),
        tuple(body),
        "Nothing was done to the device.",
    )
