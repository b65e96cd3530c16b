"""The details pane: why the selected app is flagged, on what legal basis, and what to do next.

Every value here came from a device, a policy file or the catalog, so every label is plain text;
the policy's links are opened by buttons (http and https only), never rendered as HTML anchors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from audit.model import (
    AppState,
    Assessment,
    DeviceKind,
    Finding,
    FindingStatus,
    InstalledApp,
    MatchKind,
    Policy,
    ScanResult,
    UserKind,
)
from ui.plain import label, tooltip
from ui.words import CONFIDENCE_WORDS, FINDING_SENTENCES, STATE_WORDS, source_words, user_words

MATCH_WORDS = {
    MatchKind.IDENTIFIER: "its identifier",
    MatchKind.NAME: "its name",
    MatchKind.PUBLISHER: "its publisher",
    MatchKind.PROCESS: "a running program's name",
}


@dataclass(frozen=True)
class Section:
    heading: str
    lines: tuple[str, ...]
    column: int = 0  # 0: what this means for you; 1: the policy and the app's facts


@dataclass(frozen=True)
class DetailsView:
    title: str
    sections: tuple[Section, ...]
    links: tuple[str, ...] = ()


def details_view(
    app: InstalledApp | None,
    finding: Finding | None,
    scan: ScanResult | None,
    assessment: Assessment | None,
    policy: Policy | None,
) -> DetailsView:
    """Everything the pane says about one app, as data."""
    if app is None:
        return DetailsView("", (Section("", ("Select an app to see the details.",)),))
    name = app.name or (finding.matcher.app if finding else "") or app.identifier
    where = (
        f"Identifier: {app.identifier}",
        f"User or profile: {user_words(scan, app.user) or 'not known'}",
        f"State: {STATE_WORDS[app.state]}",
        f"Installed from: {source_words(app)}",
        f"Version: {app.version or 'not known'}",
    )
    facts = Section("This app", where, column=1)
    if policy is None:
        choose = Section("Policy", ("Choose a policy to see whether this app is banned.",))
        return DetailsView(name, (choose, facts))
    if finding is None:
        return DetailsView(
            name,
            (
                Section("What to do", ("Nothing: this app is not banned.",)),
                Section("Not flagged", (f"This app is not on the list of {policy.title}.",)),
                facts,
            ),
        )
    day = assessment.day if assessment is not None else date.today()
    step = next_step(name, app, finding, scan=scan, policy=policy, day=day)
    return DetailsView(
        name,
        (
            Section("What to do", (step,)),
            Section("Why it is flagged", _why(finding, day)),
            Section("The policy", _basis(policy), column=1),
            Section("Exceptions", _exceptions(policy, finding), column=1),
            facts,
        ),
        tuple(policy.sources),
    )


def _why(finding: Finding, day: date) -> tuple[str, ...]:
    from audit.policy import default_catalog, finding_reason

    matcher = finding.matcher
    why = [
        FINDING_SENTENCES[finding.status],
        finding_reason(finding, day),
        f"Recognised by {MATCH_WORDS[matcher.kind]}: {matcher.pattern}",
    ]
    if matcher.catalog_entry:
        entry = default_catalog().entries.get(matcher.catalog_entry)
        text = f"Catalog entry: {matcher.catalog_entry}"
        if entry is not None:
            text += f", {entry.app}"
            if entry.source:
                text += f". Evidence: {entry.source}"
            if entry.notes:
                text += f". {entry.notes}"
        why.append(text)
    why.append(f"Confidence: {CONFIDENCE_WORDS[matcher.confidence]}.")
    if finding.running:
        why.append(f"It is running now ({len(finding.running)} process(es)).")
    return tuple(why)


def _basis(policy: Policy) -> tuple[str, ...]:
    basis = [f"{policy.title}", f"Issued by: {policy.authority}"]
    if policy.instrument:
        basis.append(f"Legal basis: {policy.instrument}")
    if policy.scope:
        basis.append(f"Applies to: {policy.scope}")
    if policy.consequence:
        basis.append(f"If you do not comply: {policy.consequence}")
    return tuple(basis)


def _exceptions(policy: Policy, finding: Finding) -> tuple[str, ...]:
    exception = [policy.exception_route or "The policy names no way to ask for an exception."]
    if finding.exemption is not None:
        e = finding.exemption
        exception.append(
            f"Your exemption {e.id}: approved by {e.approver}"
            f"{' (' + e.approver_role + ')' if e.approver_role else ''}, "
            f"valid {e.granted.isoformat()} to {e.expires.isoformat()}. Reason: {e.reason}"
        )
        if e.mitigations:
            exception.append("Conditions: " + "; ".join(e.mitigations))
    return tuple(exception)


def next_step(
    name: str,
    app: InstalledApp,
    finding: Finding,
    *,
    scan: ScanResult | None,
    policy: Policy,
    day: date,
) -> str:
    """What the person should do about this finding now, in one or two sentences."""
    status = finding.status
    if status is FindingStatus.RESOLVED:
        return (
            f"Nothing to do: this policy accepts an app that is {STATE_WORDS[app.state].lower()}."
        )
    if status is FindingStatus.EXCEPTED:
        until = finding.exemption.expires.isoformat() if finding.exemption else "its expiry"
        return f"You may keep {name} until {until}. Keep to the conditions of your exemption."
    if status is FindingStatus.REVIEW:
        return (
            f"Check whether this really is {finding.matcher.app or 'the banned app'}. If it is, "
            "remove it; if it is not, there is nothing to do."
        )
    phone = scan is not None and scan.device.kind is DeviceKind.ANDROID
    if phone:
        profile = scan.user(app.user) if scan is not None else None
        tab = ""
        if profile is not None and profile.kind is UserKind.WORK_PROFILE:
            tab = " switch to the Work tab,"
        elif profile is not None and profile.kind is UserKind.SECURE_FOLDER:
            tab = " open Secure Folder first, then its Settings ›"
        how = f"On the phone, open Settings › Apps,{tab} tap {name}, then Uninstall."
        if app.system:
            how += (
                " It came with the phone, so if there is no Uninstall button, tap Disable "
                "(Turn off) and ask your helpdesk whether that is enough."
            )
        elif app.state is AppState.DISABLED:
            how = f"{name} is turned off but still installed. " + how
    else:
        how = f"Uninstall {name} from this computer (for example with its software manager)."
    when = ""
    if policy.deadline is not None:
        days = (policy.deadline - day).days
        when = (
            f" Do it by {policy.deadline.isoformat()}."
            if days >= 0
            else f" The deadline ({policy.deadline.isoformat()}) has passed: do it now."
        )
    return f"{how} Then press Rescan (F5) to confirm it is gone.{when}"


class DetailsPane(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPane")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Details of the selected app")
        self.view: DetailsView | None = None
        self.show_view(details_view(None, None, None, None, None))

    def show_view(self, view: DetailsView) -> None:
        """Lay the view out afresh: what it means for you on the left, the facts on the right."""
        self.view = view
        self._labels: list[QLabel] = []
        body = QWidget()
        outer = QVBoxLayout(body)
        outer.setContentsMargins(8, 4, 8, 4)
        if view.title:
            title = label(view.title, body, name="detailsTitle")
            font = title.font()
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 1.25)
            title.setFont(font)
            title.setAccessibleName("App")
            self._add(title, outer)
        row = QHBoxLayout()
        columns = (QVBoxLayout(), QVBoxLayout())
        for column in columns:
            row.addLayout(column, 1)
        outer.addLayout(row)
        for section in view.sections:
            column = columns[section.column]
            if section.heading:
                heading = label(section.heading, body, selectable=False)
                font = heading.font()
                font.setBold(True)
                heading.setFont(font)
                self._add(heading, column)
            for line in section.lines:
                self._add(label(line, body), column)
        for number, link in enumerate(view.links, start=1):
            url = QUrl(link)
            if url.scheme() not in ("http", "https") or not url.host():
                continue
            button = QPushButton(f"Read the policy's source {number} ({url.host()})", body)
            button.setText(button.text().replace("&", "&&"))
            button.setAccessibleName(f"Open the policy's source {number}")
            button.setToolTip(tooltip(link))
            button.clicked.connect(lambda _=False, u=url: QDesktopServices.openUrl(u))
            columns[1].addWidget(button)
        for column in columns:
            column.addStretch(1)
        self.setWidget(body)  # the previous body is deleted with its labels

    def _add(self, widget: QLabel, layout: QVBoxLayout) -> None:
        self._labels.append(widget)
        layout.addWidget(widget)

    def labels_text(self) -> list[str]:
        """The text of every label shown, in order."""
        return [w.text() for w in self._labels]
