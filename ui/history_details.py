"""One audit of the history in full: its checks, what was done and its receipt, in words.

Split out of ui/history.py (the window). Names, staff ids and device names come from devices
and receipt files: plain text, invisible characters shown as escapes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from audit.attestation.receipt_text import finding_status_words
from audit.i18n import N_, _, ngettext, record_date
from audit.provenance import reached_words
from ui.history_model import (
    ACTION_WORDS,
    origin_words,
    receipt_words,
    result_on,
    result_words,
    shown,
    when,
)
from ui.plain import label
from ui.windows import NotOpened

if TYPE_CHECKING:
    from audit.store import AuditDetails, AuditSummary
    from audit.store.trust import KnownPolicies


def heading(text: str, parent: QWidget) -> QLabel:
    widget = label(text, parent, selectable=False)
    font = QFont(widget.font())
    font.setBold(True)
    widget.setFont(font)
    return widget


def about_lines(head: AuditSummary, as_of: date | None = None) -> list[str]:
    """Who, what and the result; with `as_of`, the result as it stands that day (as the list and
    the dashboard say it), then what was recorded when it differs."""
    now, result = result_on(head, as_of)
    who = shown(head.person_name) or _("(not named)")
    if head.staff_id:
        who = _("{person} (staff id {staff_id})").format(person=who, staff_id=shown(head.staff_id))
    about = [
        _("Person: {person}").format(person=who),
        _("Device: {device} [{device_id}]").format(
            device=shown(head.device_name or head.device_id), device_id=shown(head.device_id)
        ),
        _("Policy: {title} ({policy_id})").format(
            title=shown(head.policy_title), policy_id=shown(head.policy_id)
        ),
        _("Result: {result}").format(result=result),
    ]
    if now is not head.status:
        about.append(_("Recorded then: {result}").format(result=result_words(head.status)))
    if head.technician:
        about.append(_("Technician: {name}").format(name=shown(head.technician)))
    about.extend(recorded_by_lines(head))
    if head.exemption_expires is not None:
        about.append(
            _("Relies on an exemption until {day}").format(day=record_date(head.exemption_expires))
        )
    about.append(_(ORIGIN_ABOUT.get(head.origin.value, ORIGIN_ABOUT["local"])))
    return about


def recorded_by_lines(head: AuditSummary) -> list[str]:
    """Which login recorded the audit, on a team history only (the store gives none on
    SQLite, where nobody vouches for a name), said as the server's word, not a typed name."""
    if not head.recorded_by:
        return []
    return [
        # Translators: "Recorded by: ann_smith (the team history's login)"
        _("Recorded by: {login} (the team history's login)").format(
            login=shown(head.recorded_by, 80)
        ),
        "    " + _(RECORDED_BY_MEANS),
    ]


RECORDED_BY_MEANS = N_(
    "The database server wrote this login itself when the audit was recorded: no technician "
    "or administrator of the team can type another name or change it later, unlike a name "
    "typed at the bench or in a receipt. It says who recorded the audit, not that what the "
    "audit says is true."
)

ORIGIN_ABOUT = {
    "local": N_("Audited on this computer"),
    "imported": N_("Imported from a receipt made elsewhere"),
    "rejudged": N_(
        "Re-judged from the apps the history holds, under the policy's current "
        "version: not rescanned, not signed"
    ),
}

ASSURANCE_MEANS = {
    "witnessed": N_(
        "witnessed: signed at the helpdesk bench by an enrolled technician's key, "
        "the phone on a cable"
    ),
    "self-attested": N_(
        "self-attested: a signed claim by the holder of the key (the staff "
        "member's own word), not a check by the helpdesk"
    ),
}


def evidence_lines(details: AuditDetails, known: KnownPolicies | None = None) -> list[str]:
    """What the audit's result rests on, for the compliance office: its receipt, how much the
    receipt is worth, the exact policy text, how the device was reached, and the checks before
    and after. `known`: the policies this helpdesk knows, for the policy's version."""
    head = details.summary
    return [
        *_receipt_evidence(details),
        *assurance_lines(head),
        *policy_evidence(head, known),
        # how the device was reached: a phone over the network or an emulator is named so
        _("Reached: {how}").format(how=shown(reached_words(head.connection), 200)),
        *_scan_evidence(details),
    ]


def _receipt_evidence(details: AuditDetails) -> list[str]:
    head = details.summary
    if not details.receipts:
        return [_("Receipt: none signed. The result is what this computer recorded, unsigned.")]
    receipt = details.receipts[-1]
    kind = receipt_words(receipt.kind)
    state = _("no longer verifies") if receipt.problem else _("signature checked again")
    # Translators: where a receipt came from, in "Receipt: Attested on ..., imported, ..."
    origin = _("imported") if head.origin.value == "imported" else origin_words("local")
    return [
        # Translators: "Receipt: Attested on 2026-03-20 14:05, made here, signature checked again"
        _("Receipt: {kind} on {when}, {origin}, {state}").format(
            kind=kind, when=when(receipt.attested_at), origin=origin, state=state
        ),
        "    " + _("Receipt id {uid}").format(uid=shown(receipt.uid, 80)),
    ]


def policy_evidence(head: AuditSummary, known: KnownPolicies | None) -> list[str]:
    """The policy text the audit was judged against: id, version and digest, and whether it
    is the text in force now."""
    then = known.by_sha.get(head.policy_sha256) if known is not None else None
    if then is not None and then.id == head.policy_id:
        version = _("version {version}").format(version=shown(then.version, 40))
    elif known is not None:
        version = _("a text this helpdesk does not know")
    else:
        version = _("version not read")
    digest = shown(head.policy_sha256, 80) or _("not recorded")
    lines = [
        _("Policy judged against: {policy_id}, {version}").format(
            policy_id=shown(head.policy_id), version=version
        ),
        f"    sha256 {digest}",
    ]
    older = head.older_policy
    if not older and known is not None:  # one audit read in full is not annotated by the store
        from audit.store.lineage import older_policy_words

        older = older_policy_words(known, head.policy_id, head.policy_sha256)
    if older:
        lines.append("    " + _("Older version: {words}").format(words=shown(older, 400)))
    elif then is not None:
        lines.append("    " + _("The version in force now"))
    return lines


def _scan_evidence(details: AuditDetails) -> list[str]:
    """The check before and the check after (the rescan that the result rests on)."""
    scans = details.scans
    lines = []
    if not scans:
        lines.append(_("Checks: none recorded"))
    else:
        first, last = scans[0], scans[-1]
        lines.append(
            _("Check before: {when}, {result}").format(
                when=when(first.started_at), result=result_words(first.status)
            )
        )
        if len(scans) > 1:
            lines.append(
                _("Check after: {when}, {result}").format(
                    when=when(last.started_at), result=result_words(last.status)
                )
            )
        else:
            lines.append(_("Check after: none (one check only)"))
    merged = details.summary.merged_scans
    if merged:
        also = ngettext(
            "Also {count} unnamed scan of this device, part of this audit (not counted apart)",
            "Also {count} unnamed scans of this device, part of this audit (not counted apart)",
            merged,
        )
        lines.append("    " + also.format(count=merged))
    return lines


def check_lines(details: AuditDetails) -> list[str]:
    checks = []
    for number, scan in enumerate(details.scans, start=1):
        line = _("Check {number}, {when}: {result}").format(
            number=number, when=when(scan.started_at), result=result_words(scan.status)
        )
        if scan.app_count:  # the apps looked at, not the apps found against the policy
            line += " " + ngettext(
                "({count} app checked)", "({count} apps checked)", scan.app_count
            ).format(count=scan.app_count)
        if not scan.complete:
            gaps = ", ".join(shown(g.name, 40) for g in scan.gaps)
            # Translators: added to a check's line: "; could not read the Work profile"
            line += _("; could not read {what}").format(what=gaps) if gaps else _("; incomplete")
        checks.append(line)
        for finding in scan.findings:
            where = f" {shown(details.profile(finding.user).where, 80)}" if finding.user else ""
            status = finding_status_words(finding.status, rescan=number > 1)
            # Translators: "TikTok in the Work profile: banned, still installed"
            checks.append(
                "    "
                + _("{app}{where}: {status}").format(
                    app=shown(finding.label, 80), where=where, status=status
                )
            )
    return checks or [_("No check was recorded.")]


def detail_lines(
    details: AuditDetails, as_of: date | None = None, known: KnownPolicies | None = None
) -> list[tuple[str, list[str]]]:
    """The audit as sections of plain lines: what the details pane shows, testable as text.
    With `as_of`, the result is as it stands that day; `known` names the policy's version."""
    sections = [
        (_("About"), about_lines(details.summary, as_of)),
        (_("Evidence"), evidence_lines(details, known)),
        (_("Checks"), check_lines(details)),
    ]

    actions = []
    for action in details.actions:
        at = f"{when(action.at)}: " if action.at is not None else ""
        # Translators: "Done: TikTok was removed from the Work profile."
        result = _("{outcome}: {message}").format(
            outcome=_(ACTION_WORDS[action.ok]), message=shown(action.message, 300)
        )
        actions.append(f"{at}{result}")
        if not action.ok and action.advice:
            actions.append(
                "    " + _("Advice given: {advice}").format(advice=shown(action.advice, 300))
            )
    sections.append((_("What was done"), actions or [_("Nothing was removed or changed.")]))

    receipts = []
    for receipt in details.receipts:
        receipts.append(
            _("{kind} on {when}: {result}").format(
                kind=receipt_words(receipt.kind),
                when=when(receipt.attested_at),
                result=result_words(receipt.status),
            )
        )
        if receipt.problem:
            receipts.append(
                "    "
                + _("This receipt no longer verifies: {problem}. Do not rely on it.").format(
                    problem=shown(receipt.problem, 300)
                )
            )
        else:
            receipts.append("    " + _("Signature checked again: the receipt is intact."))
        receipts.append(
            "    "
            + _("Signed with key {fingerprint}").format(fingerprint=_fingerprint(receipt.signer))
        )
        if receipt.file_name:
            receipts.append("    " + _("File: {name}").format(name=shown(receipt.file_name, 300)))
    sections.append((_("Receipt"), receipts or [_("No receipt was signed.")]))
    return sections


def _fingerprint(signer: str) -> str:
    from audit.attestation import format_fingerprint

    return format_fingerprint(signer) if signer.isalnum() else shown(signer, 80)


def assurance_lines(head: AuditSummary) -> list[str]:
    """Self-attested or witnessed (docs/security.md), and why a claim was not taken."""
    if not head.assurance:
        lines = [
            _("Assurance: no signed receipt")
            if not head.receipt_uid
            else _("Assurance: not recorded")
        ]
    else:
        means = ASSURANCE_MEANS.get(head.assurance)
        words = _(means) if means is not None else shown(head.assurance, 40)
        lines = [_("Assurance: {words}").format(words=words)]
    if head.trust_note:  # why the history holds it back, signed or not (an exemption...)
        lines.append(f"    {shown(head.trust_note, 400)}")
    return lines


def receipt_files(details: AuditDetails) -> tuple[Path | None, Path | None]:
    """The latest receipt's file and PDF, when they are on this computer."""
    if not details.receipts:
        return None, None
    name = details.receipts[-1].file_name
    path = Path(name) if name else None
    if path is None or not path.is_absolute() or not path.is_file():
        return None, None
    pdf = path.with_suffix(".pdf")
    return path, pdf if pdf.is_file() else None


SELECT_AN_AUDIT = N_("Select an audit to see its checks, actions and receipt.")


class DetailsPane(QWidget):
    """One audit in full. The text scrolls; the receipt's buttons stay below it, in sight
    however long the audit is."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditDetails")
        self.setAccessibleName(_("The selected audit"))
        self.reading = QScrollArea(self)
        self.reading.setObjectName("auditDetailsText")
        self.reading.setAccessibleName(_("The selected audit's checks, actions and receipt"))
        self.reading.setWidgetResizable(True)
        self.reading.setFrameShape(QFrame.Shape.NoFrame)
        self.content = QWidget(self.reading)
        self.body = QVBoxLayout(self.content)
        self.title = heading(_(SELECT_AN_AUDIT), self.content)
        self.sections = QVBoxLayout()
        self.body.addWidget(self.title)
        self.body.addLayout(self.sections)
        self.body.addStretch(1)
        self.reading.setWidget(self.content)
        self.open_pdf = QPushButton(_("Open the &PDF"), self)
        self.open_pdf.setAccessibleName(_("Open the receipt's PDF"))
        self.show_file = QPushButton(_("Show the receipt &file"), self)
        self.show_file.setAccessibleName(_("Show the receipt file in its folder"))
        self.save_copy = QPushButton(_("&Save a copy of the receipt…"), self)
        self.save_copy.setAccessibleName(_("Save a copy of the signed receipt"))
        buttons = QHBoxLayout()
        for button in (self.open_pdf, self.show_file, self.save_copy):
            buttons.addWidget(button)
            button.hide()
        buttons.addStretch(1)
        self.not_opened = NotOpened(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.reading, 1)
        outer.addLayout(buttons)
        outer.addWidget(self.not_opened)
        self.details: AuditDetails | None = None
        self.labels: list[QLabel] = []
        self.file: Path | None = None
        self.pdf: Path | None = None

    def clear(self, text: str | None = None) -> None:
        """Show nothing but `text` (by default, what to select)."""
        self.details = None
        self.title.setText(_(SELECT_AN_AUDIT) if text is None else text)
        for widget in self.labels:
            widget.hide()
            widget.deleteLater()  # the layout lets go of a widget as it is deleted
        self.labels = []
        for button in (self.open_pdf, self.show_file, self.save_copy):
            button.hide()
        self.not_opened.hide()

    def show_details(
        self,
        details: AuditDetails,
        as_of: date | None = None,
        known: KnownPolicies | None = None,
    ) -> None:
        """Show the audit; with `as_of`, its result as it stands that day; `known`: the
        policies the helpdesk knows (the policy's version in the evidence)."""
        self.clear()
        self.details = details
        head = details.summary
        # Translators: the details' title, "Ana Smith · Pixel 7: Compliant"
        self.title.setText(
            _("{person} · {device}: {result}").format(
                person=shown(head.person_name) or _("(not named)"),
                device=shown(head.device_name),
                result=result_on(head, as_of)[1],
            )
        )
        for title, lines in detail_lines(details, as_of, known):
            caption = heading(title, self.content)
            text = label("\n".join(lines), self.content)
            text.setAccessibleName(title)
            for widget in (caption, text):
                self.sections.addWidget(widget)
                self.labels.append(widget)
        self.file, self.pdf = receipt_files(details)
        self.open_pdf.setVisible(self.pdf is not None)
        self.show_file.setVisible(self.file is not None)
        self.save_copy.setVisible(bool(details.receipts))

    def texts(self) -> list[str]:
        """Everything the pane says, title first."""
        return [self.title.text(), *(w.text() for w in self.labels)]
