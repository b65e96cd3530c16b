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

from audit.model import Assessment, DeviceState, DeviceStatus, Policy, ScanResult
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

_STATUS = {
    DeviceStatus.COMPLIANT: ("Compliant", Tone.GOOD),
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: ("Compliant with exceptions", Tone.GOOD),
    DeviceStatus.NON_COMPLIANT: ("Action needed", Tone.BAD),
    DeviceStatus.OVERDUE: ("Overdue", Tone.BAD),
    DeviceStatus.INCOMPLETE: ("Incomplete", Tone.WARN),
}


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


UNSIGNED_SENTENCE = (
    "Not signed yet: what was removed is kept on this computer. To sign the record, choose "
    f"Attest\u2026 ({ATTEST_SHORTCUT}): it checks the device again and carries on where you "
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

    policy_line = f"Policy: {policy.title}" if policy is not None else "No policy chosen"
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
        return view("No device", Tone.NEUTRAL, "unknown", "Select a device on the left.")
    if entry.phase is ScanPhase.FAILED and error is not None:
        message = describe(error)
        sentence = f"{message.text} {message.next_step}".strip()
        return view("Check failed", Tone.BAD, "state-failed", sentence)
    gone = entry.state is DeviceState.GONE
    if entry.state is not DeviceState.READY and not (gone and assessment is not None):
        advice = entry.guidance or GUIDANCE[entry.state]
        word = "Unplugged" if gone else "Waiting"
        return view(word, Tone.WARN, f"state-{entry.state.value}", advice)
    if entry.phase is ScanPhase.SCANNING:
        sentence = "Listing the apps on this device. You can keep working; Esc stops the check."
        return view("Checking…", Tone.INFO, "state-scanning", sentence)
    if assessment is not None and policy is not None:
        word, tone = _STATUS[assessment.status]
        sentence = status_text(assessment)
        if assessment.status in (DeviceStatus.NON_COMPLIANT, DeviceStatus.OVERDUE):
            sentence += " Select a banned app below to see why and what to do."
        if gone:
            sentence += " The phone is unplugged now: this is its last check."
        if unsigned:
            sentence = f"{UNSIGNED_SENTENCE} {sentence}"
        return view(word, tone, icons.STATUS_ICONS[assessment.status], sentence)
    if entry.phase in (ScanPhase.SCANNED, ScanPhase.INCOMPLETE):
        count = f"{app_count} apps found. " if app_count is not None else ""
        return view(
            "No policy",
            Tone.NEUTRAL,
            "unknown",
            f"{count}Choose the policy that applies to you (the letter you received names it) "
            "to see which apps are banned.",
        )
    return view(
        "Not checked", Tone.NEUTRAL, "unknown", "Press Scan (F5) to list the apps on this device."
    )


def no_phone_view(policy: Policy | None) -> BannerView:
    """Helpdesk mode before a phone is chosen: the rest of the window is about phones in the
    queue only, never this computer (which a technician is not auditing)."""
    from audit.policy import deadline_sentence

    policy_line = f"Policy: {policy.title}" if policy is not None else "No policy chosen"
    deadline = deadline_sentence(policy.deadline, date.today()) if policy is not None else ""
    return BannerView(
        "No phone",
        Tone.NEUTRAL,
        "unknown",
        "Plug in a phone with USB debugging on: it joins the queue above and is checked at "
        "once. Select a phone in the queue to see its apps here.",
        policy_line,
        deadline,
        issuer=issuer_words(policy),
    )


class ComplianceBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("complianceBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Compliance status")
        self.icon = QLabel(self)
        self.icon.setFixedSize(QSize(40, 40))
        self.icon.setAccessibleName("Status icon")
        self.badge = label("", self, wrap=False, selectable=False, name="statusBadge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sentence = label("", self, name="statusSentence")
        self.policy = label("", self, name="policyLine")
        self.issuer = label("", self, name="issuerLine")
        self.deadline = label("", self, name="deadlineLine")
        self.simulated = label(
            "SIMULATED: this is the demo phone, not a real device. Nothing you see here is about a "
            "real phone.",
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
