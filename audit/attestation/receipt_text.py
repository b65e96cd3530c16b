"""What a receipt says, in words a person reads: the content of the PDF beside the signed file.

Built from a verified receipt (never from unverified data), as plain data with no markup, so
the PDF writer (ui/receipt_pdf.py, Qt) and a text view lay out the same words. Every value came
from the receipt file and is untrusted: renderers must show it as plain text.

The words are in the language the receipt records (predicate.language: the language the person
read and signed the statement in; English when absent), whatever the reader's language, so the
statement and the words around it agree. ReceiptContent.language carries it to the PDF writer.
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
from audit.i18n import ENGLISH, N_, PSEUDO, _, language, record_date, record_time_utc, speaking
from audit.model import DeviceStatus
from audit.profiles import ProfileWords, profile_words
from audit.provenance import reached_words, server_listing
from audit.words import status_meaning

VERIFY_COMMAND = "device-audit verify {file}"

# Marked here, translated where they are shown (in the receipt's language).
_STATE_WORDS = {
    "installed": N_("installed"),
    "disabled": N_("disabled"),
    "hidden": N_("hidden (frozen): still on the phone, one tap brings it back"),
    "suspended": N_("suspended (paused): still on the phone"),
    "removed_for_user": N_("removed for this user"),
    "absent": N_("gone"),
    None: N_("not verified"),
}
_ACCEPTED_WORDS = {
    "absent": N_("the app gone"),
    "removed_for_user": N_("removed for this user (a built-in app kept but not usable)"),
    "disabled": N_("turned off (installed but unable to run)"),
}
# A finding's result as the first check saw it; a rescan's differ only where "still" matters.
FINDING_STATUS_WORDS = {
    "violation": N_("banned, found"),
    "resolved": N_("resolved"),
    "excepted": N_("exempted"),
    "review": N_("for review"),
    "unverified": N_("not verified"),
}
_RESCAN_STATUS_WORDS = {"violation": N_("banned, still there")}
SIMULATED_LINE = N_(
    "SIMULATED DEMO RECEIPT: made on Device Audit's demo phone, not a record of a real device."
)
_USER_GAP = re.compile(r"user (\S+)")
_USB_WORDS = {
    "confirmed": N_("switched off again (confirmed)"),
    "skipped": N_("not switched off (skipped)"),
    "not_applicable": N_("not applicable"),
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
    # The language the words above are in (the receipt's): the PDF writes its own in it too.
    language: str = ENGLISH

    def to_text(self) -> str:
        """The same content as plain text (for a terminal or a .txt beside the receipt)."""
        with speaking(self.language):
            return self._text()

    def _text(self) -> str:
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
        out.append(_("Signed by key {fingerprint}").format(fingerprint=self.fingerprint))
        out.append(self.verify_hint)
        return "\n".join(out)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _status(code: str) -> str:
    """A device status code in words; an unknown code (a newer tool's) as it is."""
    try:
        return status_meaning(DeviceStatus(code))
    except ValueError:
        return code


def _marked(table: Mapping[Any, str], key: Any, fallback: str) -> str:
    """The translated words for `key` in a table of marked words, else `fallback`."""
    found = table.get(key)
    return _(found) if found is not None else fallback


def receipt_language(receipt: VerifiedAttestation) -> str:
    """The language the receipt's statement was read and signed in, as one of ours: a receipt
    without one is English (all receipts were, before it was recorded); one we have no words
    for (a newer tool's language) is shown in English, and its statement as it was signed."""
    from audit.i18n import match_language

    recorded = _get(_get(receipt.statement, "predicate"), "language")
    if not isinstance(recorded, str) or not recorded:
        return ENGLISH
    found = match_language(recorded)
    return found if found != PSEUDO else ENGLISH  # a test language is never a record's


def _get(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, Mapping) else None


def _rows(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def finding_status_words(status: str, *, rescan: bool) -> str:
    """A finding's result in words; `rescan` when the check that saw it came after removals,
    where a banned app is "still there", and not the first check, where it was simply found."""
    if rescan and status in _RESCAN_STATUS_WORDS:
        return _(_RESCAN_STATUS_WORDS[status])
    return _marked(FINDING_STATUS_WORDS, status, status.replace("_", " "))


def judged_elsewhen(day: str, signed: datetime) -> str:
    """The words for a receipt judged as of another day than it was signed (more than a time
    zone apart), or "": its status is the device's as of that day, and it says so."""
    try:
        apart = abs((date.fromisoformat(day) - signed.astimezone(UTC).date()).days)
    except (ValueError, OverflowError):
        return ""
    if apart <= 1:
        return ""
    return _("{day}, NOT the day it was signed").format(day=_day(day))


def receipt_content(receipt: VerifiedAttestation, *, file_name: str = "FILE") -> ReceiptContent:
    """The receipt in words, in the language it records (receipt_language)."""
    with speaking(receipt_language(receipt)) as spoken:
        return _content(receipt, file_name, spoken)


def _content(receipt: VerifiedAttestation, file_name: str, spoken: str) -> ReceiptContent:
    predicate = _get(receipt.statement, "predicate") or {}
    report = receipt.kind is StatementKind.NONCOMPLIANCE_REPORT
    device = _get(predicate, "device") or {}
    simulated = _get(device, "simulated") is True
    if report:
        title = (
            _("Device Audit: non-compliance report (SIMULATED DEMO)")
            if simulated
            else _("Device Audit: non-compliance report")
        )
        kind_line = _(
            "NON-COMPLIANCE REPORT: this device was NOT shown to be compliant. This is not an "
            "attestation of compliance."
        )
    else:
        title = (
            _("Device Audit: attestation of compliance (SIMULATED DEMO)")
            if simulated
            else _("Device Audit: attestation of compliance")
        )
        kind_line = _("Attestation of compliance, signed.")
    policy = _get(predicate, "policy") or {}
    attester = receipt.attester
    rescan = _get(predicate, "rescan") or {}
    device_lines = _device_lines(receipt, device)
    summary = [
        Line(_("Status"), _status(receipt.status.value)),
        Line(_("Date"), record_time_utc(receipt.attested_at)),
        Line(
            _("Person"),
            _("{name} (staff id {staff_id})").format(
                name=attester.name, staff_id=attester.staff_id
            ),
        ),
    ]
    judged = judged_elsewhen(_text(_get(predicate, "day")), receipt.attested_at)
    if judged:
        summary.insert(2, Line(_("Judged as of"), judged))
    if attester.technician:
        summary.append(
            Line(
                _("Technician"),
                _("{technician}, on the person's behalf").format(technician=attester.technician),
            )
        )
    summary.append(Line(_("Assurance"), assurance_claim(receipt)))
    summary.append(Line(_("Receipt id"), receipt.id))
    deadline = _text(_get(policy, "deadline"))
    policy_lines = [
        Line(_("Policy"), f"{receipt.policy_title} ({receipt.policy_id})"),
        Line(_("Authority"), _text(_get(policy, "authority"))),
        Line(_("Policy version"), _version_words(receipt)),
        Line(_("Policy issued"), _issuer_words(receipt, _text(_get(policy, "authority")))),
        Line(_("Deadline"), _day(deadline) if deadline else _("none")),
        Line(
            _("The policy accepts"),
            # Translators: joins the states a policy accepts: "the app gone, or disabled"
            _(", or ").join(
                _marked(_ACCEPTED_WORDS, s, _text(s))
                for s in _rows(_get(policy, "compliant_states"))
            ),
        ),
    ]
    technical = [Line(_("Policy file fingerprint (sha256)"), receipt.policy_sha256)]
    listing = server_listing(receipt.connection)
    if listing:
        technical.append(Line(_("Connection, as the adb server listed it"), listing))
    before = _get(predicate, "scan_before") or {}
    users = _user_names(before, rescan, findings=_rows(_get(predicate, "findings")))
    scan_lines = _scan_lines(rescan, users, technical)
    usb = _get(predicate, "usb_debugging")
    if usb is not None:
        scan_lines.append(Line(_("USB debugging"), _marked(_USB_WORDS, _text(usb), _text(usb))))
    sections = [
        Section(_("Summary"), tuple(summary)),
        Section(_("Device"), tuple(device_lines)),
        Section(_("Policy"), tuple(policy_lines)),
    ]
    if _get(before, "inventory_digest") not in (None, _get(rescan, "inventory_digest")):
        sections.append(
            Section(
                _("First scan (before anything was removed)"),
                (
                    Line(_("Scanned"), _when(_get(before, "finished_at"))),
                    Line(_("Status then"), _status(_text(_get(before, "status")))),
                ),
            )
        )
        technical.append(
            Line(_("Inventory digest, first scan"), _text(_get(before, "inventory_digest")))
        )
    sections.append(Section(_("Verifying scan"), tuple(scan_lines)))
    exemptions = _rows(_get(predicate, "exemptions"))
    if exemptions:
        sections.append(
            Section(
                _("Exemptions used"),
                tuple(
                    Line(
                        _text(_get(e, "id")),
                        _("approved by {approver} until {expires}: {reason}").format(
                            approver=_text(_get(e, "approver")),
                            expires=_day(_text(_get(e, "expires"))),
                            reason=_text(_get(e, "reason")),
                        ),
                    )
                    for e in exemptions
                ),
            )
        )
    statement = _text(_get(predicate, "statement"))
    if statement:
        sections.append(Section(_("Statement agreed to"), text=statement))
    if report:
        sections.append(Section(_("What to do next"), text=_next_step(receipt, policy)))
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
        verify_hint=_("Verify with: {command}").format(
            command=VERIFY_COMMAND.format(file=file_name)
        ),
        simulated_line=_(SIMULATED_LINE) if simulated else "",
        technical=Section(_("Technical details"), tuple(technical)),
        language=spoken,
    )


def assurance_claim(receipt: VerifiedAttestation) -> str:
    """What the receipt itself can say about its assurance (docs/security.md): whether it is
    witnessed depends on the helpdesk's enrolled keys, which only the helpdesk's history knows."""
    technician = receipt.attester.technician
    connection = receipt.connection
    if not technician:
        return _("self-attested: signed by the person's own key, a signed claim")
    if connection is None or not connection.cabled:
        return _("self-attested: a technician signed, but the phone was not on a USB cable")
    return _(
        "witnessed only if the helpdesk enrolled technician {technician}'s key "
        "(device-audit verify --db HISTORY says); otherwise self-attested"
    ).format(technician=technician)


def _rescanned(before: Any, rescan: Any) -> bool:
    """Whether the device was checked again after the first scan (a report made straight after
    the first check records that one scan as both)."""
    return bool(rescan) and rescan != before


def _device_lines(receipt: VerifiedAttestation, device: Any) -> list[Line]:
    lines = [
        Line(_("Device"), receipt.device_name or receipt.device_id),
        Line(_("Device id"), receipt.device_id),
    ]
    model = " ".join(
        t for t in (_text(_get(device, "manufacturer")), _text(_get(device, "model"))) if t
    )
    if model:
        lines.append(Line(_("Model"), model))
    os_text = " ".join(
        t for t in (_text(_get(device, "os_name")), _text(_get(device, "os_version"))) if t
    )
    if os_text:
        lines.append(Line(_("System"), os_text))
    # How it was reached, as signed: a phone over the network or an emulator is named as such.
    lines.append(Line(_("Reached"), reached_words(receipt.connection)))
    if _get(device, "simulated") is True:
        lines.append(Line(_("Note"), _("a SIMULATED device (demo), not a real phone")))
    return lines


def _scan_lines(
    rescan: Any, users: Mapping[str, ProfileWords], technical: list[Line]
) -> list[Line]:
    """The verifying scan in words; its digest and the shell's own words go to `technical`."""
    lines = [
        Line(_("Last scan"), _when(_get(rescan, "finished_at"))),
        Line(_("Complete"), _("yes") if _get(rescan, "complete") is True else _("NO")),
        Line(
            _("Profiles"),
            ", ".join(_user(users, _text(_get(u, "id"))) for u in _rows(_get(rescan, "users")))
            or "-",
        ),
        Line(_("Apps seen"), _text(_get(rescan, "apps"))),
    ]
    technical.append(Line(_("Inventory digest"), _text(_get(rescan, "inventory_digest"))))
    for gap in _rows(_get(rescan, "gaps")):
        source, detail = _text(_get(gap, "source")), _text(_get(gap, "detail"))
        user = _USER_GAP.match(source)
        if user is None:
            lines.append(Line(_("Not read"), f"{source}: {detail}"))
            continue
        words = users.get(user.group(1)) or profile_words(user.group(1))
        profile = f"{words.name[:1].upper()}{words.name[1:]}"
        lines.append(Line(_("Not read"), _("{profile} could not be read").format(profile=profile)))
        technical.append(Line(_("Not read: {source}").format(source=source), detail))
    return lines


def _version_words(receipt: VerifiedAttestation) -> str:
    """The policy's version and when it was last checked against its sources, as signed."""
    if receipt.policy_version is None:
        return _("not recorded (a receipt made before Device Audit recorded it)")
    checked = receipt.policy_last_verified
    if checked is None:
        return _("{version}, not checked against published sources").format(
            version=receipt.policy_version
        )
    return _("{version}, last checked against its sources on {day}").format(
        version=receipt.policy_version, day=record_date(checked)
    )


def _issuer_words(receipt: VerifiedAttestation, authority: str) -> str:
    """Whether the policy file was signed by its issuer, as the receipt records it."""
    key = receipt.policy_issuer_key
    if key is None:
        return _("not recorded (a receipt made before Device Audit recorded it)")
    if not key:
        return _("not signed")
    return _("Issued by {authority}, key {fingerprint} (signature checked)").format(
        authority=authority, fingerprint=format_fingerprint(key)
    )


def _next_step(receipt: VerifiedAttestation, policy: Any) -> str:
    """What the person should do about a non-compliance report."""
    route = _text(_get(policy, "exception_route")).strip()
    authority = _text(_get(policy, "authority")) if _get(policy, "authority") else ""
    if route:
        ask = _("ask for an exception: {route}").format(route=route)
    elif authority:
        ask = _("ask for an exception from whoever set this policy ({authority})").format(
            authority=authority
        )
    else:
        ask = _("ask for an exception from whoever set this policy")
    if receipt.status.value == "incomplete":
        return _(
            "Check the device again when every part of it can be read (unlock it, and any "
            "profile that could not be read), remove any banned apps found, or {ask}."
        ).format(ask=ask)
    deadline = _text(_get(policy, "deadline"))
    if receipt.status.value == "overdue":
        return _("The deadline has passed: remove the banned apps now, or {ask}.").format(ask=ask)
    if deadline:
        return _("Remove the banned apps before the deadline, {deadline}, or {ask}.").format(
            deadline=_day(deadline), ask=ask
        )
    return _("Remove the banned apps, or {ask}.").format(ask=ask)


def _english() -> bool:
    return language() == ENGLISH


def _when(value: Any) -> str:
    """A signed time (ISO 8601, UTC) as the receipt's language writes it; "-" when none. A
    time written with another offset is shown as its moment in UTC in every language (English
    once showed the file's characters with "UTC" after them, another moment than French's)."""
    text = _text(value)
    if text:
        try:
            moment = datetime.fromisoformat(text)
            # signed times carry their offset; one without is read as UTC, never local time
            return record_time_utc(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        except (ValueError, OverflowError):
            pass  # not a time: shown as English shows it, the characters the file holds
    text = text[:16].replace("T", " ")
    return f"{text} UTC" if text else "-"


def _day(text: str) -> str:
    """A signed day (YYYY-MM-DD) as the receipt's language writes it; other text as it is."""
    if not text or _english():
        return text
    try:
        return record_date(date.fromisoformat(text))
    except ValueError:
        return text


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
    if words == profile_words(uid) and name and name != uid:
        # a kind this version does not know, or none kept: the name, with the id to tell it by
        said = _("{name} (user {uid})").format(name=name, uid=uid)
        return ProfileWords(said, said, said, _("in {profile}").format(profile=said))
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
                _state(_get(row, "state_before")),
                _state(_get(row, "state")),
                finding_status_words(_text(_get(row, "status")), rescan=rescan),
            )
        )
    return Table(
        _("Findings"),
        (_("App"), _("User"), _("Before"), _("Now"), _("Result")),
        tuple(body),
        _("No banned apps were found."),
    )


def _state(value: Any) -> str:
    """An app state code in words (any hashable value from the file; an unknown one as text)."""
    try:
        return _marked(_STATE_WORDS, value, _text(value))
    except TypeError:  # a list or a dict where a state belongs: not a key of any table
        return _text(value)


# What was done, with {app} the app's name.
_ACTION_WORDS = {
    "uninstall": N_("Uninstall {app}"),
    "uninstall_all_users": N_("Uninstall for every user {app}"),
    "disable": N_("Disable {app}"),
    "enable": N_("Enable again {app}"),
    "restore": N_("Restore {app}"),
    "force_stop": N_("Stop {app}"),
    "close_app": N_("Close {app}"),
    "run_uninstaller": N_("Run the uninstaller of {app}"),
    "manual": N_("By hand: {app}"),
}


def _actions(
    rows: Sequence[Any], apps: Mapping[str, str], users: Mapping[str, ProfileWords]
) -> Table:
    body = []
    for row in rows:
        kind = _text(_get(row, "kind"))
        identifier = _text(_get(row, "identifier"))
        user = _text(_get(row, "user"))
        app = apps.get(identifier, identifier)
        if kind == "disable_usb_debugging":
            what = _("Switch off USB debugging")
        elif kind in _ACTION_WORDS:
            what = _(_ACTION_WORDS[kind]).format(app=app).strip()
        else:  # a newer tool's action: its code in words, then the app
            what = " ".join(part for part in (kind.replace("_", " "), app) if part)
        body.append(
            (
                _text(_get(row, "at"))[:19].replace("T", " "),
                what,
                _user(users, user) or "-",
                _("done") if _get(row, "ok") is True else _("FAILED"),
                _text(_get(row, "message")),
            )
        )
    return Table(
        _("Actions"),
        (_("Time (UTC)"), _("Action"), _("User"), _("Result"), _("What happened")),
        tuple(body),
        _("Nothing was done to the device."),
    )
