"""The details pane: why the selected app is flagged, on what legal basis, and what to do next.

Written for someone who is not technical: what to do comes first and points to Remove…, which
does the work; the catalog's entries, rule ids and evidence shorthand sit in a collapsed
"Technical details" part, in words, for the helpdesk.

Every value here came from a device, a policy file or the catalog, so every label is plain text;
the policy's links are opened by buttons (http and https only), never rendered as HTML anchors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
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
from audit.policy import policy_state_words, rule_dates_sentence, verified_words
from audit.profiles import words_of
from audit.states import explained, how_to_remove
from ui.availability import REMOVE_SHORTCUT
from ui.plain import label, tooltip
from ui.words import (
    CONFIDENCE_WORDS,
    FINDING_SENTENCES,
    STATE_TIPS,
    STATE_WORDS,
    evidence_words,
    exemption_not_active,
    source_words,
    user_words,
    version_words,
)

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
    technical: tuple[str, ...] = ()  # shown only when "Technical details" is opened


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
    facts = Section("This app", _facts(app, scan), column=1)
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
    steps = next_steps(name, app, finding, scan=scan, policy=policy, day=day)
    return DetailsView(
        name,
        (
            Section("What to do", steps),
            Section("Why it is flagged", _why(finding, day)),
            facts,
            Section("The policy", _basis(policy), column=1),
            Section("Exceptions", _exceptions(policy, finding), column=1),
        ),
        tuple(policy.sources),
        _technical(finding),
    )


def _facts(app: InstalledApp, scan: ScanResult | None) -> tuple[str, ...]:
    """What the device said about the app; the dates only when it said them (a phone tells
    them for the apps the policy flags)."""
    state = STATE_WORDS[app.state]
    if app.state in (AppState.HIDDEN, AppState.SUSPENDED):
        # "Hidden (frozen) in the Work profile: still on the phone, ... in one tap"
        where = words_of(scan.user(app.user) if scan is not None else None, app.user).name
        state = explained(app.state, where)
        state = state[:1].upper() + state[1:]
    elif app.state is not AppState.INSTALLED:
        state += f". {STATE_TIPS[app.state]}"
    version = version_words(app) or "not known"
    if app.version and app.version_code is not None:
        version += f" (build {app.version_code})"
    facts = [
        f"Identifier: {app.identifier}",
        f"User or profile: {user_words(scan, app.user) or 'not known'}",
        f"State: {state}",
        f"Installed from: {source_words(app)}",
        f"Version: {version}",
    ]
    if app.installed_at is not None:
        facts.append(f"First installed: {_day(app.installed_at)}")
    if app.updated_at is not None:
        facts.append(f"Last updated: {_day(app.updated_at)}")
    return tuple(facts)


def _day(moment: datetime) -> str:
    """The day, as the device's own clock saw it."""
    return moment.date().isoformat()


def _why(finding: Finding, day: date) -> tuple[str, ...]:
    matcher = finding.matcher
    why = [
        FINDING_SENTENCES[finding.status],
        reason(finding, day),
        f"Recognised by {MATCH_WORDS[matcher.kind]}: {matcher.pattern}",
        f"How sure: {CONFIDENCE_WORDS[matcher.confidence]}.",
    ]
    if finding.running:
        count = len(finding.running)
        why.append(f"It is running now ({count} program{'s' if count != 1 else ''}).")
    return tuple(why)


def reason(finding: Finding, day: date) -> str:
    """Why the finding has its status on `day`, in words (no rule ids: those are technical)."""
    app = finding.app
    rule = finding.rule
    status = finding.status
    exemption = finding.exemption
    if status is FindingStatus.RESOLVED:
        return f"It is {STATE_WORDS[app.state].lower()}, which this policy accepts."
    if status is FindingStatus.EXCEPTED and exemption is not None:
        return f"Your exemption lets you keep it until {exemption.expires.isoformat()}."
    if status is FindingStatus.REVIEW:
        if rule.announced is not None and day < rule.announced:
            return rule_dates_sentence(rule, day)  # a rule added to the ban later
        if rule.review_only:
            about = f" {rule.description}" if rule.description else ""
            return f"The policy asks for a look at {rule.title}, but does not ban it.{about}"
        if finding.matcher.kind is MatchKind.NAME and finding.matcher.publisher:
            return "Its name matches a banned app, but it does not say who published it."
        return "It looks like a banned app, but the evidence is not strong enough to be sure."
    text = f"It is on this policy's list of banned apps ({rule.title})."
    dates = rule_dates_sentence(rule, day)  # a rule with dates of its own: since when
    if dates:
        text += f" {dates}"
    if exemption is not None:
        text += " " + exemption_not_active(exemption, day, "Your exemption")
    return text


def _technical(finding: Finding) -> tuple[str, ...]:
    """For the helpdesk: which rule and catalog entry matched, and the evidence behind it."""
    from audit.policy import default_catalog

    matcher = finding.matcher
    lines = [f"Policy rule: {finding.rule.id} ({finding.rule.title})"]
    if matcher.catalog_entry:
        entry = default_catalog().entries.get(matcher.catalog_entry)
        lines.append(f"Identifier catalog entry: {matcher.catalog_entry}")
        if entry is not None:
            if entry.source:
                lines.append(f"Evidence: {evidence_words(entry.source)}")
            if entry.notes:
                lines.append(f"Note: {entry.notes}")
    lines.append(f"Matched {MATCH_WORDS[matcher.kind]}: {matcher.pattern}")
    if matcher.publisher:
        lines.append(f"Publisher it must have: {matcher.publisher}")
    lines.append(f"Confidence: {matcher.confidence.value}")
    for process in finding.running:
        lines.append(f"Running: {process.name} (process {process.pid})")
    return tuple(lines)


def _basis(policy: Policy) -> tuple[str, ...]:
    basis = [f"{policy.title}", f"Issued by: {policy.authority}"]
    if policy.instrument:
        basis.append(f"Legal basis: {policy.instrument}")
    if policy.scope:
        basis.append(f"Applies to: {policy.scope}")
    if policy.consequence:
        basis.append(f"If you do not comply: {policy.consequence}")
    if policy.last_verified is not None:
        basis.append(verified_words(policy))
    if policy_state_words(policy):
        basis.append(policy_state_words(policy))
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


def next_steps(
    name: str,
    app: InstalledApp,
    finding: Finding,
    *,
    scan: ScanResult | None,
    policy: Policy,
    day: date,
) -> tuple[str, ...]:
    """What the person should do about this finding now: the Remove button first (it does
    the work and checks again), removing it by hand second, then the deadline."""
    status = finding.status
    if status is FindingStatus.RESOLVED:
        return (
            f"Nothing to do: this policy accepts an app that is {STATE_WORDS[app.state].lower()}.",
        )
    if status is FindingStatus.EXCEPTED:
        until = finding.exemption.expires.isoformat() if finding.exemption else "its expiry"
        return (f"You may keep {name} until {until}. Keep to the conditions of your exemption.",)
    if status is FindingStatus.REVIEW:
        return (
            f"Check whether this really is {finding.matcher.app or 'the banned app'}. If it is, "
            "remove it; if it is not, there is nothing to do.",
        )
    phone = scan is not None and scan.device.kind is DeviceKind.ANDROID
    device = "the phone" if phone else "this computer"
    button = (
        f"Press Remove ({REMOVE_SHORTCUT}): Device Audit shows how to unfreeze it (Android will "
        "not remove a frozen built-in app over USB), then checks again that it is gone."
        if phone and app.state is AppState.HIDDEN and app.system
        else f"Press Remove ({REMOVE_SHORTCUT}) and Device Audit will remove it from {device} for "
        "you, then check again that it is gone."
        if phone
        else f"Press Remove ({REMOVE_SHORTCUT}) and Device Audit will guide you through "
        "removing it, doing what it can for you, then check again that it is gone."
    )
    if scan is not None and scan.device.kind is DeviceKind.IOS:
        button = (
            f"Press Remove ({REMOVE_SHORTCUT}) and Device Audit will ask the iPhone to delete "
            "it, then check again that it is gone (not only offloaded)."
        )
    steps = [button, "Or remove it yourself: " + _by_hand(name, app, scan)]
    deadline = policy.rule_deadline(finding.rule)  # a ban that grew has one per rule
    if deadline is not None:
        days = (deadline - day).days
        steps.append(
            f"Do it by {deadline.isoformat()}."
            if days >= 0
            else f"The deadline ({deadline.isoformat()}) has passed: do it now."
        )
    return tuple(steps)


def _by_hand(name: str, app: InstalledApp, scan: ScanResult | None) -> str:
    phone = scan is not None and scan.device.kind is DeviceKind.ANDROID
    if phone:
        profile = scan.user(app.user) if scan is not None else None
        tab = ""
        if profile is not None and profile.kind is UserKind.WORK_PROFILE:
            tab = " switch to the Work tab,"
        elif profile is not None and profile.kind is UserKind.SECURE_FOLDER:
            tab = " open Secure Folder first, then its Settings ›"
        how = f"on the phone, open Settings › Apps,{tab} tap {name}, then Uninstall."
        if app.state is AppState.HIDDEN:
            how = how_to_remove(app.state)
        elif app.state is AppState.SUSPENDED:
            how += " Pausing it does not remove it: it is still installed."
        elif app.system:
            how += (
                " It came with the phone, so if there is no Uninstall button, tap Disable "
                "(Turn off) and ask your helpdesk whether that is enough."
            )
        elif app.state is AppState.DISABLED:
            how += " Turning it off is not enough: it is still installed."
    elif scan is not None and scan.device.kind is DeviceKind.IOS:
        how = (
            f"on the iPhone, touch and hold the {name} icon, tap Remove App, then Delete App "
            "(not Offload App, which keeps its data and its icon) and confirm."
        )
    else:
        how = f"uninstall {name} from this computer (for example with its software manager)."
    return f"{how} Then press Rescan (F5) to confirm it is gone."


class DetailsPane(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPane")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Details of the selected app")
        self.view: DetailsView | None = None
        self.technical_open = False  # kept from one app to the next
        self.technical_button: QToolButton | None = None
        self._technical: QWidget | None = None
        self._technical_labels: list[QLabel] = []
        self.show_view(details_view(None, None, None, None, None))

    def show_view(self, view: DetailsView) -> None:
        """Lay the view out afresh: what it means for you on the left, the facts on the right."""
        self.view = view
        self._labels: list[QLabel] = []
        self._technical_labels = []
        self.technical_button = self._technical = None
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
            # Half the width each, whatever their text would like: what to do never ends up
            # squeezed beside the policy's long sentences.
            holder = QWidget(body)
            holder.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            holder.setLayout(column)
            column.setContentsMargins(0, 0, 0, 0)
            row.addWidget(holder, 1)
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
            if section.heading == "Why it is flagged" and view.technical:
                self._add_technical(view.technical, body, column)
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

    def _add_technical(self, lines: tuple[str, ...], body: QWidget, column: QVBoxLayout) -> None:
        """The catalog's and the rule's facts, folded away: a person who is not technical does
        not need them to act, the helpdesk sometimes does."""
        button = QToolButton(body)
        button.setObjectName("technicalDetails")
        button.setText("Technical details")
        button.setAccessibleName("Technical details")
        button.setToolTip("Which rule and catalog entry matched this app, and the evidence")
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        button.setCheckable(True)
        box = QWidget(body)
        box.setObjectName("technicalBox")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(16, 0, 0, 0)
        self._technical_labels = []
        for line in lines:
            text = label(line, box)
            self._technical_labels.append(text)
            layout.addWidget(text)
        self.technical_button, self._technical = button, box
        button.toggled.connect(self._show_technical)
        button.setChecked(self.technical_open)
        self._show_technical(self.technical_open)
        column.addWidget(button)
        column.addWidget(box)

    def _show_technical(self, on: bool) -> None:
        self.technical_open = on
        if self.technical_button is not None and self._technical is not None:
            arrow = Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow
            self.technical_button.setArrowType(arrow)
            self._technical.setVisible(on)

    def _add(self, widget: QLabel, layout: QVBoxLayout) -> None:
        self._labels.append(widget)
        layout.addWidget(widget)

    def labels_text(self) -> list[str]:
        """The text of every label shown, in order (the technical details only when open)."""
        texts = [w.text() for w in self._labels]
        return texts + (self.technical_text() if self.technical_open else [])

    def technical_text(self) -> list[str]:
        """The technical details of the app shown, open or folded away."""
        return [w.text() for w in self._technical_labels]
