"""What a receipt says, in words a person reads: the content of the PDF beside the signed file.

Built from a verified receipt (never from unverified data), as plain data with no markup, so
the PDF writer (ui/receipt_pdf.py, Qt) and a text view lay out the same words. Every value came
from the receipt file and is untrusted: renderers must show it as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from audit.attestation.keys import format_fingerprint
from audit.attestation.statement import StatementKind
from audit.attestation.verify import VerifiedAttestation
from audit.profiles import ProfileWords, profile_words
from audit.provenance import reached_words, server_listing

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
    "hidden": "hidden (frozen): still on the phone, one tap brings it back",
    "suspended": "suspended (paused): still on the phone",
    "removed_for_user": "removed for this user",
    "absent": "gone",
    None: "not verified",
}
_ACCEPTED_WORDS = {
    "absent": "the app gone",
    "removed_for_user": "removed for this user (a built-in app kept but not usable)",
    "disabled": "turned off (installed but unable to run)",
}
# A finding's result as the first check saw it; a rescan's differ only where "still" matters.
FINDING_STATUS_WORDS = {
    "violation": "banned, found",
    "resolved": "resolved",
    "excepted": "exempted",
    "review": "for review",
    "unverified": "not verified",
}
_RESCAN_STATUS_WORDS = {"violation": "banned, still there"}
SIMULATED_LINE = (
    "SIMULATED DEMO RECEIPT: made on Device Audit's demo phone, not a record of a real device."
)
_USER_GAP = re.compile(r"user (\S+)")
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
    # Shown before everything else when the receipt is of the demo phone, so a copy sent on
    # by email is never taken for proof about a real device.
    simulated_line: str = ""
    # Fingerprints and digests for whoever checks the file; after the tables, out of the way.
    technical: Section | None = None

    def to_text(self) -> str:
        """The same content as plain text (for a terminal or a .txt beside the receipt)."""
        out = [self.simulated_line] if self.simulated_line else []
        out += [self.title, self.kind_line, ""]
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
        if self.technical is not None:
            out.append(self.technical.title)
            width = max((len(line.label) for line in self.technical.lines), default=0)
            out += [f"  {line.label:<{width}}  {line.value}" for line in self.technical.lines]
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


def finding_status_words(status: str, *, rescan: bool) -> str:
    """A finding's result in words; `rescan` when the check that saw it came after removals,
    where a banned app is "still there", and not the first check, where it was simply found."""
    if rescan and status in _RESCAN_STATUS_WORDS:
        return _RESCAN_STATUS_WORDS[status]
    return FINDING_STATUS_WORDS.get(status, status.replace("_", " "))


def judged_elsewhen(day: str, signed: datetime) -> str:
    """The words for a receipt judged as of another day than it was signed (more than a time
    zone apart), or "": its status is the device's as of that day, and it says so."""
    try:
        apart = abs((date.fromisoformat(day) - signed.astimezone(UTC).date()).days)
    except (ValueError, OverflowError):
        return ""
    return f"{day}, NOT the day it was signed" if apart > 1 else ""


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
    simulated = _get(device, "simulated") is True
    if simulated:
        title += " (SIMULATED DEMO)"
    policy = _get(predicate, "policy") or {}
    attester = receipt.attester
    rescan = _get(predicate, "rescan") or {}
    device_lines = _device_lines(receipt, device)
    summary = [
        Line("Status", _STATUS_WORDS.get(receipt.status.value, receipt.status.value)),
        Line("Date", receipt.attested_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        Line("Person", f"{attester.name} (staff id {attester.staff_id})"),
    ]
    judged = judged_elsewhen(_text(_get(predicate, "day")), receipt.attested_at)
    if judged:
        summary.insert(2, Line("Judged as of", judged))
    if attester.technician:
        summary.append(Line("Technician", f"{attester.technician}, on the person's behalf"))
    summary.append(Line("Assurance", assurance_claim(receipt)))
    summary.append(Line("Receipt id", receipt.id))
    policy_lines = [
        Line("Policy", f"{receipt.policy_title} ({receipt.policy_id})"),
        Line("Authority", _text(_get(policy, "authority"))),
        Line("Policy version", _version_words(receipt)),
        Line("Policy issued", _issuer_words(receipt, _text(_get(policy, "authority")))),
        Line("Deadline", _text(_get(policy, "deadline")) or "none"),
        Line(
            "The policy accepts",
            ", or ".join(
                _ACCEPTED_WORDS.get(s, _text(s)) for s in _rows(_get(policy, "compliant_states"))
            ),
        ),
    ]
    technical = [Line("Policy file fingerprint (sha256)", receipt.policy_sha256)]
    listing = server_listing(receipt.connection)
    if listing:
        technical.append(Line("Connection, as the adb server listed it", listing))
    before = _get(predicate, "scan_before") or {}
    users = _user_names(before, rescan, findings=_rows(_get(predicate, "findings")))
    scan_lines = _scan_lines(rescan, users, technical)
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
                ),
            )
        )
        technical.append(
            Line("Inventory digest, first scan", _text(_get(before, "inventory_digest")))
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
    if statement:
        sections.append(Section("Statement agreed to", text=statement))
    if report:
        sections.append(Section("What to do next", text=_next_step(receipt, policy)))
    return ReceiptContent(
        title=title,
        kind_line=kind_line,
        compliant=receipt.compliant,
        sections=tuple(sections),
        findings=_findings(
            _rows(_get(predicate, "findings")), users, rescan=_rescanned(before, rescan)
        ),
        actions=_actions(_rows(_get(predicate, "actions")), _app_names(predicate), users),
        fingerprint=receipt.display_signer,
        verify_hint="Verify with: " + VERIFY_COMMAND.format(file=file_name),
        simulated_line=SIMULATED_LINE if simulated else "",
        technical=Section("Technical details", tuple(technical)),
    )


def assurance_claim(receipt: VerifiedAttestation) -> str:
    """What the receipt itself can say about its assurance (docs/security.md): whether it is
    witnessed depends on the helpdesk's enrolled keys, which only the helpdesk's history knows."""
    technician = receipt.attester.technician
    connection = receipt.connection
    if not technician:
        return "self-attested: signed by the person's own key, a signed claim"
    if connection is None or not connection.cabled:
        return "self-attested: a technician signed, but the phone was not on a USB cable"
    return (
        f"witnessed only if the helpdesk enrolled technician {technician}'s key "
        "(device-audit verify --db HISTORY says); otherwise self-attested"
    )


def _rescanned(before: Any, rescan: Any) -> bool:
    """Whether the device was checked again after the first scan (a report made straight after
    the first check records that one scan as both)."""
    return bool(rescan) and rescan != before


def _device_lines(receipt: VerifiedAttestation, device: Any) -> list[Line]:
    lines = [
        Line("Device", receipt.device_name or receipt.device_id),
        Line("Device id", receipt.device_id),
    ]
    model = " ".join(
        t for t in (_text(_get(device, "manufacturer")), _text(_get(device, "model"))) if t
    )
    if model:
        lines.append(Line("Model", model))
    os_text = " ".join(
        t for t in (_text(_get(device, "os_name")), _text(_get(device, "os_version"))) if t
    )
    if os_text:
        lines.append(Line("System", os_text))
    # How it was reached, as signed: a phone over the network or an emulator is named as such.
    lines.append(Line("Reached", reached_words(receipt.connection)))
    if _get(device, "simulated") is True:
        lines.append(Line("Note", "a SIMULATED device (demo), not a real phone"))
    return lines


def _scan_lines(
    rescan: Any, users: Mapping[str, ProfileWords], technical: list[Line]
) -> list[Line]:
    """The verifying scan in words; its digest and the shell's own words go to `technical`."""
    lines = [
        Line("Last scan", _when(_get(rescan, "finished_at"))),
        Line("Complete", "yes" if _get(rescan, "complete") is True else "NO"),
        Line(
            "Profiles",
            ", ".join(_user(users, _text(_get(u, "id"))) for u in _rows(_get(rescan, "users")))
            or "-",
        ),
        Line("Apps seen", _text(_get(rescan, "apps"))),
    ]
    technical.append(Line("Inventory digest", _text(_get(rescan, "inventory_digest"))))
    for gap in _rows(_get(rescan, "gaps")):
        source, detail = _text(_get(gap, "source")), _text(_get(gap, "detail"))
        user = _USER_GAP.match(source)
        if user is None:
            lines.append(Line("Not read", f"{source}: {detail}"))
            continue
        words = users.get(user.group(1)) or profile_words(user.group(1))
        lines.append(
            Line("Not read", f"{words.name[:1].upper()}{words.name[1:]} could not be read")
        )
        technical.append(Line(f"Not read: {source}", detail))
    return lines


def _version_words(receipt: VerifiedAttestation) -> str:
    """The policy's version and when it was last checked against its sources, as signed."""
    if receipt.policy_version is None:
        return "not recorded (a receipt made before Device Audit recorded it)"
    checked = receipt.policy_last_verified
    when = (
        f", last checked against its sources on {checked.isoformat()}"
        if checked is not None
        else ", not checked against published sources"
    )
    return f"{receipt.policy_version}{when}"


def _issuer_words(receipt: VerifiedAttestation, authority: str) -> str:
    """Whether the policy file was signed by its issuer, as the receipt records it."""
    key = receipt.policy_issuer_key
    if key is None:
        return "not recorded (a receipt made before Device Audit recorded it)"
    if not key:
        return "not signed"
    return f"Issued by {authority}, key {format_fingerprint(key)} (signature checked)"


def _next_step(receipt: VerifiedAttestation, policy: Any) -> str:
    """What the person should do about a non-compliance report."""
    route = _text(_get(policy, "exception_route")).strip()
    ask = (
        f"ask for an exception: {route}"
        if route
        else "ask for an exception from whoever set this policy"
        + (f" ({_text(_get(policy, 'authority'))})" if _get(policy, "authority") else "")
    )
    if receipt.status.value == "incomplete":
        return (
            "Check the device again when every part of it can be read (unlock it, and any "
            f"profile that could not be read), remove any banned apps found, or {ask}."
        )
    deadline = _text(_get(policy, "deadline"))
    if receipt.status.value == "overdue":
        return f"The deadline has passed: remove the banned apps now, or {ask}."
    when = f" before the deadline, {deadline}" if deadline else ""
    return f"Remove the banned apps{when}, or {ask}."


def _when(value: Any) -> str:
    text = _text(value)[:16].replace("T", " ")
    return f"{text} UTC" if text else "-"


def _user_names(*scans: Any, findings: Sequence[Any] = ()) -> dict[str, ProfileWords]:
    """User id -> "Work profile", from the scans' own user lists (or, failing those, the kind
    kept with a finding); only a user the receipt knows by nothing but its id is "User 10"."""
    names: dict[str, ProfileWords] = {}
    for scan in scans:
        for user in _rows(_get(scan, "users")):
            uid, name = _text(_get(user, "id")), _text(_get(user, "name"))
            if uid and uid not in names:
                names[uid] = _words(uid, name, _get(user, "kind"))
    for finding in findings:
        uid = _text(_get(finding, "user"))
        if uid and uid not in names and _get(finding, "user_kind"):
            names[uid] = _words(uid, "", _get(finding, "user_kind"))
    return names


def _words(uid: str, name: str, kind: Any) -> ProfileWords:
    words = profile_words(uid, name, kind if isinstance(kind, str) else None)
    if words.label == f"User {uid}" and name and name != uid:
        # a kind this version does not know, or none kept: the name, with the id to tell it by
        said = f"{name} (user {uid})"
        return ProfileWords(said, said, said, f"in {said}")
    return words


def _user(users: Mapping[str, ProfileWords], uid: str) -> str:
    """The label for a table or list; a phone's user known only by its number is "User 10"."""
    if uid in users:
        return users[uid].label
    return profile_words(uid).label if uid.isdigit() else uid


def _app_names(predicate: Any) -> dict[str, str]:
    return {
        _text(_get(f, "app")): _text(_get(f, "name"))
        for f in _rows(_get(predicate, "findings"))
        if _get(f, "name")
    }


def _findings(rows: Sequence[Any], users: Mapping[str, ProfileWords], *, rescan: bool) -> Table:
    body = []
    for row in rows:
        name = _text(_get(row, "name")) or _text(_get(row, "app"))
        user = _text(_get(row, "user"))
        body.append(
            (
                f"{name} ({_text(_get(row, 'app'))})" if name != _text(_get(row, "app")) else name,
                _user(users, user),
                _STATE_WORDS.get(_get(row, "state_before"), _text(_get(row, "state_before"))),
                _STATE_WORDS.get(_get(row, "state"), _text(_get(row, "state"))),
                finding_status_words(_text(_get(row, "status")), rescan=rescan),
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


def _actions(
    rows: Sequence[Any], apps: Mapping[str, str], users: Mapping[str, ProfileWords]
) -> Table:
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
                _user(users, user) or "-",
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
