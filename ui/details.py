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

from audit.i18n import N_, _, ngettext
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

# Marked here, translated where shown (issue 17): words inside "Recognised by {how}: ...".
MATCH_WORDS = {
    MatchKind.IDENTIFIER: N_("its identifier"),
    MatchKind.NAME: N_("its name"),
    MatchKind.PUBLISHER: N_("its publisher"),
    MatchKind.PROCESS: N_("a running program's name"),
}
WHY_FLAGGED = N_("Why it is flagged")  # the section the technical details fold under


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
        return DetailsView("", (Section("", (_("Select an app to see the details."),)),))
    name = app.name or (finding.matcher.app if finding else "") or app.identifier
    facts = Section(_("This app"), _facts(app, scan), column=1)
    if policy is None:
        choose = Section(_("Policy"), (_("Choose a policy to see whether this app is banned."),))
        return DetailsView(name, (choose, facts))
    if finding is None:
        not_listed = _("This app is not on the list of {policy}.").format(policy=policy.title)
        return DetailsView(
            name,
            (
                Section(_("What to do"), (_("Nothing: this app is not banned."),)),
                Section(_("Not flagged"), (not_listed,)),
                facts,
            ),
        )
    day = assessment.day if assessment is not None else date.today()
    steps = next_steps(name, app, finding, scan=scan, policy=policy, day=day)
    return DetailsView(
        name,
        (
            Section(_("What to do"), steps),
            Section(_(WHY_FLAGGED), _why(finding, day)),
            facts,
            Section(_("The policy"), _basis(policy), column=1),
            Section(_("Exceptions"), _exceptions(policy, finding), column=1),
        ),
        tuple(policy.sources),
        _technical(finding),
    )


def _facts(app: InstalledApp, scan: ScanResult | None) -> tuple[str, ...]:
    """What the device said about the app; the dates only when it said them (a phone tells
    them for the apps the policy flags)."""
    state = _(STATE_WORDS[app.state])
    if app.state in (AppState.HIDDEN, AppState.SUSPENDED):
        # "Hidden (frozen) in the Work profile: still on the phone, ... in one tap"
        where = words_of(scan.user(app.user) if scan is not None else None, app.user).name
        state = explained(app.state, where)
        state = state[:1].upper() + state[1:]
    elif app.state is not AppState.INSTALLED:
        state = f"{state}. {_(STATE_TIPS[app.state])}"  # a label, then its meaning
    version = version_words(app) or _("not known")
    if app.version and app.version_code is not None:
        # Translators: "1.2.3 (build 2023401040)"
        version = _("{version} (build {number})").format(version=version, number=app.version_code)
    user = user_words(scan, app.user) or _("not known")
    facts = [
        _("Identifier: {identifier}").format(identifier=app.identifier),
        _("User or profile: {user}").format(user=user),
        _("State: {state}").format(state=state),
        _("Installed from: {source}").format(source=source_words(app)),
        _("Version: {version}").format(version=version),
    ]
    if app.installed_at is not None:
        facts.append(_("First installed: {day}").format(day=_day(app.installed_at)))
    if app.updated_at is not None:
        facts.append(_("Last updated: {day}").format(day=_day(app.updated_at)))
    return tuple(facts)


def _day(moment: datetime) -> str:
    """The day, as the device's own clock saw it."""
    return moment.date().isoformat()


def _why(finding: Finding, day: date) -> tuple[str, ...]:
    matcher = finding.matcher
    how = _(MATCH_WORDS[matcher.kind])
    why = [
        _(FINDING_SENTENCES[finding.status]),
        reason(finding, day),
        # Translators: {how} is "its identifier", "its name"...; {pattern} what matched
        _("Recognised by {how}: {pattern}").format(how=how, pattern=matcher.pattern),
        _("How sure: {confidence}.").format(confidence=_(CONFIDENCE_WORDS[matcher.confidence])),
    ]
    if finding.running:
        count = len(finding.running)
        why.append(
            ngettext(
                "It is running now ({count} program).",
                "It is running now ({count} programs).",
                count,
            ).format(count=count)
        )
    return tuple(why)


def reason(finding: Finding, day: date) -> str:
    """Why the finding has its status on `day`, in words (no rule ids: those are technical)."""
    app = finding.app
    rule = finding.rule
    status = finding.status
    exemption = finding.exemption
    if status is FindingStatus.RESOLVED:
        state = _(STATE_WORDS[app.state]).lower()
        return _("It is {state}, which this policy accepts.").format(state=state)
    if status is FindingStatus.EXCEPTED and exemption is not None:
        until = exemption.expires.isoformat()
        return _("Your exemption lets you keep it until {day}.").format(day=until)
    if status is FindingStatus.REVIEW:
        if rule.announced is not None and day < rule.announced:
            return rule_dates_sentence(rule, day)  # a rule added to the ban later
        if rule.review_only:
            text = _("The policy asks for a look at {app}, but does not ban it.").format(
                app=rule.title
            )
            return f"{text} {rule.description}" if rule.description else text
        if finding.matcher.kind is MatchKind.NAME and finding.matcher.publisher:
            return _("Its name matches a banned app, but it does not say who published it.")
        return _("It looks like a banned app, but the evidence is not strong enough to be sure.")
    text = _("It is on this policy's list of banned apps ({rule}).").format(rule=rule.title)
    dates = rule_dates_sentence(rule, day)  # a rule with dates of its own: since when
    if dates:
        text += f" {dates}"
    if exemption is not None:
        text += " " + exemption_not_active(exemption, day, _("Your exemption"))
    return text


def _technical(finding: Finding) -> tuple[str, ...]:
    """For the helpdesk: which rule and catalog entry matched, and the evidence behind it."""
    from audit.policy import default_catalog

    matcher = finding.matcher
    rule = finding.rule
    lines = [_("Policy rule: {id} ({title})").format(id=rule.id, title=rule.title)]
    if matcher.catalog_entry:
        entry = default_catalog().entries.get(matcher.catalog_entry)
        lines.append(_("Identifier catalog entry: {entry}").format(entry=matcher.catalog_entry))
        if entry is not None:
            if entry.source:
                evidence = evidence_words(entry.source)
                lines.append(_("Evidence: {evidence}").format(evidence=evidence))
            if entry.notes:  # the catalog's own note (English, like the catalog)
                lines.append(_("Note: {note}").format(note=entry.notes))
    how = _(MATCH_WORDS[matcher.kind])
    lines.append(_("Matched {how}: {pattern}").format(how=how, pattern=matcher.pattern))
    if matcher.publisher:
        lines.append(_("Publisher it must have: {publisher}").format(publisher=matcher.publisher))
    # Translators: {level} is the catalog's code for it (high, medium...), kept as it is
    lines.append(_("Confidence: {level}").format(level=matcher.confidence.value))
    for process in finding.running:
        lines.append(
            _("Running: {name} (process {pid})").format(name=process.name, pid=process.pid)
        )
    return tuple(lines)


def _basis(policy: Policy) -> tuple[str, ...]:
    basis = [f"{policy.title}", _("Issued by: {authority}").format(authority=policy.authority)]
    if policy.instrument:
        basis.append(_("Legal basis: {instrument}").format(instrument=policy.instrument))
    if policy.scope:
        basis.append(_("Applies to: {scope}").format(scope=policy.scope))
    if policy.consequence:
        basis.append(
            _("If you do not comply: {consequence}").format(consequence=policy.consequence)
        )
    if policy.last_verified is not None:
        basis.append(verified_words(policy))
    if policy_state_words(policy):
        basis.append(policy_state_words(policy))
    return tuple(basis)


def _exceptions(policy: Policy, finding: Finding) -> tuple[str, ...]:
    exception = [policy.exception_route or _("The policy names no way to ask for an exception.")]
    if finding.exemption is not None:
        e = finding.exemption
        start, end = e.granted.isoformat(), e.expires.isoformat()
        if e.approver_role:
            line = _(
                "Your exemption {id}: approved by {approver} ({role}), valid {start} to {end}. "
                "Reason: {reason}"
            ).format(
                id=e.id,
                approver=e.approver,
                role=e.approver_role,
                start=start,
                end=end,
                reason=e.reason,
            )
        else:
            line = _(
                "Your exemption {id}: approved by {approver}, valid {start} to {end}. "
                "Reason: {reason}"
            ).format(id=e.id, approver=e.approver, start=start, end=end, reason=e.reason)
        exception.append(line)
        if e.mitigations:
            conditions = "; ".join(e.mitigations)
            exception.append(_("Conditions: {conditions}").format(conditions=conditions))
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
        state = _(STATE_WORDS[app.state]).lower()
        return (
            _("Nothing to do: this policy accepts an app that is {state}.").format(state=state),
        )
    if status is FindingStatus.EXCEPTED:
        until = finding.exemption.expires.isoformat() if finding.exemption else _("its expiry")
        return (
            _("You may keep {app} until {day}. Keep to the conditions of your exemption.").format(
                app=name, day=until
            ),
        )
    if status is FindingStatus.REVIEW:
        return (
            _(
                "Check whether this really is {app}. If it is, remove it; if it is not, there is "
                "nothing to do."
            ).format(app=finding.matcher.app or _("the banned app")),
        )
    phone = scan is not None and scan.device.kind is DeviceKind.ANDROID
    if phone and app.state is AppState.HIDDEN and app.system:
        button = _(
            "Press Remove ({shortcut}): Device Audit shows how to unfreeze it (Android will "
            "not remove a frozen built-in app over USB), then checks again that it is gone."
        )
    elif phone:
        button = _(
            "Press Remove ({shortcut}) and Device Audit will remove it from the phone for "
            "you, then check again that it is gone."
        )
    elif scan is not None and scan.device.kind is DeviceKind.IOS:
        button = _(
            "Press Remove ({shortcut}) and Device Audit will ask the iPhone to delete "
            "it, then check again that it is gone (not only offloaded)."
        )
    else:
        button = _(
            "Press Remove ({shortcut}) and Device Audit will guide you through "
            "removing it, doing what it can for you, then check again that it is gone."
        )
    # Translators: {how} starts in lower case: "on the phone, open Settings › Apps, ..."
    by_hand = _("Or remove it yourself: {how}").format(how=_by_hand(name, app, scan))
    steps = [button.format(shortcut=REMOVE_SHORTCUT), by_hand]
    deadline = policy.rule_deadline(finding.rule)  # a ban that grew has one per rule
    if deadline is not None:
        days = (deadline - day).days
        when = deadline.isoformat()
        steps.append(
            _("Do it by {day}.").format(day=when)
            if days >= 0
            else _("The deadline ({day}) has passed: do it now.").format(day=when)
        )
    return tuple(steps)


def _by_hand(name: str, app: InstalledApp, scan: ScanResult | None) -> str:
    phone = scan is not None and scan.device.kind is DeviceKind.ANDROID
    if phone:
        profile = scan.user(app.user) if scan is not None else None
        if profile is not None and profile.kind is UserKind.WORK_PROFILE:
            # Translators: Android's own words: "Settings", "Apps", "Work", "Uninstall"
            how = _(
                "on the phone, open Settings › Apps, switch to the Work tab, tap {app}, then "
                "Uninstall."
            )
        elif profile is not None and profile.kind is UserKind.SECURE_FOLDER:
            how = _(
                "on the phone, open Settings › Apps, open Secure Folder first, then its "
                "Settings › tap {app}, then Uninstall."
            )
        else:
            how = _("on the phone, open Settings › Apps, tap {app}, then Uninstall.")
        how = how.format(app=name)
        also = ""
        if app.state is AppState.HIDDEN:
            how = how_to_remove(app.state)
        elif app.state is AppState.SUSPENDED:
            also = _("Pausing it does not remove it: it is still installed.")
        elif app.system:
            also = _(
                "It came with the phone, so if there is no Uninstall button, tap Disable "
                "(Turn off) and ask your helpdesk whether that is enough."
            )
        elif app.state is AppState.DISABLED:
            also = _("Turning it off is not enough: it is still installed.")
        if also:
            how = f"{how} {also}"  # two sentences, each translated
    elif scan is not None and scan.device.kind is DeviceKind.IOS:
        # Translators: the iPhone's own words: "Remove App", "Delete App", "Offload App"
        how = _(
            "on the iPhone, touch and hold the {app} icon, tap Remove App, then Delete App "
            "(not Offload App, which keeps its data and its icon) and confirm."
        ).format(app=name)
    else:
        how = _(
            "uninstall {app} from this computer (for example with its software manager)."
        ).format(app=name)
    return _("{how} Then press Rescan (F5) to confirm it is gone.").format(how=how)


class DetailsPane(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPane")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName(_("Details of the selected app"))
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
            title.setAccessibleName(_("App"))
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
            if section.heading == _(WHY_FLAGGED) and view.technical:
                self._add_technical(view.technical, body, column)
        for number, link in enumerate(view.links, start=1):
            url = QUrl(link)
            if url.scheme() not in ("http", "https") or not url.host():
                continue
            words = _("Read the policy's source {number} ({host})")
            button = QPushButton(words.format(number=number, host=url.host()), body)
            button.setText(button.text().replace("&", "&&"))
            button.setAccessibleName(_("Open the policy's source {number}").format(number=number))
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
        button.setText(_("Technical details"))
        button.setAccessibleName(_("Technical details"))
        button.setToolTip(_("Which rule and catalog entry matched this app, and the evidence"))
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
