"""The compliance banner: where the selected device stands, in words, with a deadline.

The status is a word in a coloured badge with its own icon shape, followed by a sentence, so it
reads the same to someone who cannot tell red from green. Only the badge has fixed colours (dark
enough for white text on any palette); everything else uses the palette's roles, so the banner
follows light and dark themes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from audit.i18n import N_, _, ngettext
from audit.model import Assessment, DeviceState, DeviceStatus, Policy, ScanResult
from audit.words import status_label
from ui import icons
from ui.availability import ATTEST_SHORTCUT
from ui.device_list import GUIDANCE, DeviceEntry, ScanPhase
from ui.errors import describe
from ui.plain import label
from ui.policies import issuer_words


class Tone(StrEnum):
    GOOD = "good"
    BAD = "bad"
    WARN = "warn"
    INFO = "info"
    NEUTRAL = "neutral"


# White text on each keeps a contrast ratio above 4.5:1, whatever the palette.
TONE_COLOURS = {
    Tone.GOOD: "#1e7b34",
    Tone.BAD: "#b3261e",
    Tone.WARN: "#9a5b00",
    Tone.INFO: "#1a5fb4",
    Tone.NEUTRAL: "#5f6368",
}

_TONES = {
    DeviceStatus.COMPLIANT: Tone.GOOD,
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: Tone.GOOD,
    DeviceStatus.NON_COMPLIANT: Tone.BAD,
    DeviceStatus.OVERDUE: Tone.BAD,
    DeviceStatus.INCOMPLETE: Tone.WARN,
}
# The badge says what to do where the status word would only judge ("Action needed", not "Not
# compliant"); every other status is named as on every screen (audit.words).
ACTION_NEEDED = N_("Action needed")


def status_badge(status: DeviceStatus) -> str:
    """The badge's word for a status, in the language in use."""
    if status is DeviceStatus.NON_COMPLIANT:
        return _(ACTION_NEEDED)
    return status_label(status)


@dataclass(frozen=True)
class BannerView:
    """What the banner says; worked out by `banner_view`, a pure function, so it is testable."""

    status: str  # one or three words in the badge
    tone: Tone
    icon: str
    sentence: str  # where the device stands, and what to do
    policy: str = ""  # "Policy: ..." line
    deadline: str = ""
    simulated: bool = False
    issuer: str = ""  # who stands behind the policy's text (ui.policies.issuer_words)


UNSIGNED_SENTENCE = N_(
    "Not signed yet: what was removed is kept on this computer. To sign the record, choose "
    "Attest\u2026 ({shortcut}): it checks the device again and carries on where you "
    "left off."
)


def on_device_count(scan: ScanResult) -> int:
    """The apps found on the device: an app removed for a user (the phone still lists it) or
    absent is not one of them."""
    return sum(1 for app in scan.apps if app.state.on_device)


def banner_view(
    entry: DeviceEntry | None,
    policy: Policy | None,
    assessment: Assessment | None,
    error: BaseException | None = None,
    app_count: int | None = None,
    *,
    unsigned: bool = False,
) -> BannerView:
    """`unsigned`: apps were removed from the device and the record of it is not signed yet
    (the removal window was closed before signing)."""
    from audit.policy import deadline_sentence, deadline_words, status_text

    policy_line = _policy_line(policy)
    simulated = entry is not None and entry.simulated
    deadline = ""
    if policy is not None and assessment is not None:
        deadline = deadline_words(assessment)
    elif policy is not None:
        deadline = deadline_sentence(policy.deadline, date.today())

    issuer = issuer_words(policy)

    def view(status: str, tone: Tone, icon: str, sentence: str) -> BannerView:
        return BannerView(status, tone, icon, sentence, policy_line, deadline, simulated, issuer)

    if entry is None:
        return view(_("No device"), Tone.NEUTRAL, "unknown", _("Select a device on the left."))
    if entry.phase is ScanPhase.FAILED and error is not None:
        message = describe(error)
        sentence = f"{message.text} {message.next_step}".strip()
        return view(_("Check failed"), Tone.BAD, "state-failed", sentence)
    gone = entry.state is DeviceState.GONE
    if entry.state is not DeviceState.READY and not (gone and assessment is not None):
        advice = entry.guidance or _(GUIDANCE[entry.state])
        word = _("Unplugged") if gone else _("Waiting")
        return view(word, Tone.WARN, f"state-{entry.state.value}", advice)
    if entry.phase is ScanPhase.SCANNING:
        sentence = _("Listing the apps on this device. You can keep working; Esc stops the check.")
        return view(_("Checking…"), Tone.INFO, "state-scanning", sentence)
    if assessment is not None and policy is not None:
        word, tone = status_badge(assessment.status), _TONES[assessment.status]
        sentence = status_text(assessment)
        # Each sentence added is translated on its own: the banner reads them in a row.
        if assessment.status in (DeviceStatus.NON_COMPLIANT, DeviceStatus.OVERDUE):
            sentence += " " + _("Select a banned app below to see why and what to do.")
        if gone:
            sentence += " " + _("The phone is unplugged now: this is its last check.")
        if unsigned:
            unsigned_words = _(UNSIGNED_SENTENCE).format(shortcut=ATTEST_SHORTCUT)
            sentence = f"{unsigned_words} {sentence}"
        return view(word, tone, icons.STATUS_ICONS[assessment.status], sentence)
    if entry.phase in (ScanPhase.SCANNED, ScanPhase.INCOMPLETE):
        choose = _(
            "Choose the policy that applies to you (the letter you received names it) "
            "to see which apps are banned."
        )
        if app_count is not None:
            found = ngettext("{count} app found.", "{count} apps found.", app_count).format(
                count=app_count
            )
            choose = f"{found} {choose}"
        return view(_("No policy"), Tone.NEUTRAL, "unknown", choose)
    return view(
        _("Not checked"),
        Tone.NEUTRAL,
        "unknown",
        _("Press Scan (F5) to list the apps on this device."),
    )


def _policy_line(policy: Policy | None) -> str:
    if policy is None:
        return _("No policy chosen")
    return _("Policy: {policy}").format(policy=policy.title)


def no_phone_view(policy: Policy | None) -> BannerView:
    """Helpdesk mode before a phone is chosen: the rest of the window is about phones in the
    queue only, never this computer (which a technician is not auditing)."""
    from audit.policy import deadline_sentence

    deadline = deadline_sentence(policy.deadline, date.today()) if policy is not None else ""
    return BannerView(
        _("No phone"),
        Tone.NEUTRAL,
        "unknown",
        _(
            "Plug in a phone with USB debugging on: it joins the queue above and is checked at "
            "once. Select a phone in the queue to see its apps here."
        ),
        _policy_line(policy),
        deadline,
        issuer=issuer_words(policy),
    )


class ComplianceBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("complianceBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(_("Compliance status"))
        self.icon = QLabel(self)
        self.icon.setFixedSize(QSize(40, 40))
        self.icon.setAccessibleName(_("Status icon"))
        self.badge = label("", self, wrap=False, selectable=False, name="statusBadge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sentence = label("", self, name="statusSentence")
        self.policy = label("", self, name="policyLine")
        self.issuer = label("", self, name="issuerLine")
        self.deadline = label("", self, name="deadlineLine")
        self.simulated = label(
            _(
                "SIMULATED: this is the demo phone, not a real device. Nothing you see here is "
                "about a real phone."
            ),
            self,
            name="simulatedNotice",
        )
        self.simulated.setStyleSheet(
            f"background-color: {TONE_COLOURS[Tone.INFO]}; color: #ffffff; font-weight: bold; "
            "border-radius: 4px; padding: 3px 8px;"
        )
        self.simulated.hide()
        font = self.sentence.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.sentence.setFont(font)
        top = QHBoxLayout()
        top.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.sentence, 1)
        lines = QVBoxLayout()
        lines.addLayout(top)
        lines.addWidget(self.policy)
        lines.addWidget(self.issuer)
        lines.addWidget(self.deadline)
        lines.addWidget(self.simulated)
        outer = QHBoxLayout(self)
        outer.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(lines, 1)
        self.view: BannerView | None = None

    def set_view(self, view: BannerView) -> None:
        self.view = view
        self.icon.setPixmap(icons.icon(view.icon).pixmap(QSize(36, 36), self.devicePixelRatioF()))
        self.badge.setText(view.status)
        self.badge.setStyleSheet(
            f"background-color: {TONE_COLOURS[view.tone]}; color: #ffffff; font-weight: bold; "
            "border-radius: 4px; padding: 3px 10px;"
        )
        self.sentence.setText(view.sentence)
        self.policy.setText(view.policy)
        self.issuer.setText(view.issuer)
        self.issuer.setVisible(bool(view.issuer))
        self.deadline.setText(view.deadline)
        self.deadline.setVisible(bool(view.deadline))
        self.simulated.setVisible(view.simulated)
        self.setAccessibleDescription(
            " ".join(
                p
                for p in (view.status + ".", view.sentence, view.policy, view.issuer, view.deadline)
                if p
            )
        )
