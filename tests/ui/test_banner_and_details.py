"""What the banner and the details pane say, for every status, and that it stays plain text."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from audit.errors import DeviceGone
from audit.model import AppState, DeviceKind, DeviceState, Exemption, FindingStatus
from audit.policy import evaluate, load_policy
from tests.ui.samples import DAY, HOSTILE, app, assess, phone_scan
from ui.banner import TONE_COLOURS, ComplianceBanner, Tone, banner_view
from ui.details import DetailsPane, details_view
from ui.device_list import DeviceEntry, ScanPhase

NZ = "nz-parliament-2023"


def entry(**changes: object) -> DeviceEntry:
    base = DeviceEntry(id="R58", name="Galaxy", kind=DeviceKind.ANDROID, phase=ScanPhase.SCANNED)
    return replace(base, **changes)  # type: ignore[arg-type]


def exemption(**changes: object) -> Exemption:
    fields: dict[str, object] = dict(
        id="EX-1",
        reason="Runs the Parliament's TikTok account",
        approver="J. Smith",
        approver_role="Chief Security Officer",
        granted=date(2023, 3, 1),
        expires=date(2023, 12, 31),
        mitigations=("a separate phone",),
    )
    fields.update(changes)
    return Exemption(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("day", "exempt", "complete", "status", "tone"),
    [
        (DAY, False, True, "Action needed", Tone.BAD),
        (date(2023, 4, 3), False, True, "Overdue", Tone.BAD),
        (DAY, True, True, "Compliant with exceptions", Tone.GOOD),
        (DAY, False, False, "Incomplete", Tone.WARN),
    ],
)
def test_banner_status_in_words_and_tone(
    day: date, exempt: bool, complete: bool, status: str, tone: Tone
) -> None:
    policy = load_policy(NZ)
    scan = phone_scan(complete=complete)
    assessment = evaluate(scan, policy, (exemption(),) if exempt else (), day=day)
    view = banner_view(entry(), policy, assessment)
    assert (view.status, view.tone) == (status, tone)
    assert view.policy == f"Policy: {policy.title}"
    assert view.deadline.startswith("Deadline 2023-03-31: ")


def test_banner_for_a_clean_device_and_the_states_before_a_result() -> None:
    policy = load_policy(NZ)
    clean = phone_scan()
    clean = replace(clean, apps=tuple(a for a in clean.apps if "musically" not in a.identifier))
    view = banner_view(entry(), policy, evaluate(clean, policy, day=DAY))
    assert (view.status, view.tone) == ("Compliant", Tone.GOOD)
    assert banner_view(entry(phase=ScanPhase.NOT_SCANNED), policy, None).status == "Not checked"
    assert banner_view(entry(phase=ScanPhase.SCANNING), policy, None).status == "Checking…"
    waiting = banner_view(entry(state=DeviceState.UNAUTHORIZED, guidance="Tap Allow."), None, None)
    assert (waiting.status, waiting.sentence) == ("Waiting", "Tap Allow.")
    failed = banner_view(entry(phase=ScanPhase.FAILED), policy, None, DeviceGone("R58", "Gone."))
    assert failed.status == "Check failed"
    assert failed.sentence == "Gone. Check the USB cable, plug the phone in again and scan again."
    no_policy = banner_view(entry(), None, None, app_count=6)
    assert no_policy.status == "No policy"
    assert no_policy.sentence.startswith("6 apps found. Choose the policy")


def test_banner_widget_shows_words_beside_the_colour(qtbot: QtBot) -> None:
    banner = ComplianceBanner()
    qtbot.addWidget(banner)
    policy = load_policy(NZ)
    banner.set_view(banner_view(entry(simulated=True), policy, assess(phone_scan())))
    assert banner.badge.text() == "Action needed"
    assert TONE_COLOURS[Tone.BAD] in banner.badge.styleSheet()
    assert "color: #ffffff" in banner.badge.styleSheet()
    assert not banner.simulated.isHidden()
    assert "Action needed." in banner.accessibleDescription()
    assert all(
        w.textFormat() == Qt.TextFormat.PlainText
        for w in banner.findChildren(QLabel)
        if w is not banner.icon
    )


def finding_for(identifier: str, scan, assessment):  # type: ignore[no-untyped-def]
    return next(f for f in assessment.findings if f.app.identifier == identifier)


def test_details_of_an_excepted_app_name_the_exemption_and_its_conditions() -> None:
    scan = phone_scan()
    policy = load_policy(NZ)
    assessment = evaluate(scan, policy, (exemption(),), day=DAY)
    finding = finding_for("com.zhiliaoapp.musically", scan, assessment)
    assert finding.status is FindingStatus.EXCEPTED
    view = details_view(finding.app, finding, scan, assessment, policy)
    text = "\n".join(line for s in view.sections for line in s.lines)
    assert "You may keep TikTok until 2023-12-31." in text
    assert "approved by J. Smith (Chief Security Officer)" in text
    assert "Conditions: a separate phone" in text


def test_details_of_an_accepted_state_say_there_is_nothing_to_do() -> None:
    scan = phone_scan()
    scan = replace(
        scan,
        apps=tuple(
            replace(a, state=AppState.REMOVED_FOR_USER, system=True)
            if "musically" in a.identifier
            else a
            for a in scan.apps
        ),
    )
    policy = load_policy(NZ)
    assessment = evaluate(scan, policy, day=DAY)
    finding = finding_for("com.zhiliaoapp.musically", scan, assessment)
    assert finding.status is FindingStatus.RESOLVED
    view = details_view(finding.app, finding, scan, assessment, policy)
    what_to_do = next(s for s in view.sections if s.heading == "What to do")
    assert what_to_do.lines == (
        "Nothing to do: this policy accepts an app that is removed for this user.",
    )


def test_details_of_an_app_the_policy_does_not_name() -> None:
    scan = phone_scan()
    policy = load_policy(NZ)
    whatsapp = scan.apps[0]
    view = details_view(whatsapp, None, scan, assess(scan), policy)
    assert view.sections[0].lines == ("Nothing: this app is not banned.",)
    assert view.links == ()
    view = details_view(whatsapp, None, scan, None, None)
    assert view.sections[0].lines == ("Choose a policy to see whether this app is banned.",)


def test_details_on_a_computer_say_how_to_uninstall_there() -> None:
    scan = phone_scan()
    scan = replace(scan, device=replace(scan.device, kind=DeviceKind.COMPUTER))
    policy = load_policy(NZ)
    assessment = evaluate(scan, policy, day=DAY)
    finding = finding_for("com.zhiliaoapp.musically", scan, assessment)
    view = details_view(finding.app, finding, scan, assessment, policy)
    assert (
        view.sections[0]
        .lines[0]
        .startswith("Press Remove (Ctrl+R) and Device Audit will guide you through removing it")
    )
    assert (
        view.sections[0]
        .lines[1]
        .startswith("Or remove it yourself: uninstall TikTok from this computer")
    )


def test_details_pane_is_plain_text_and_opens_only_web_links(qtbot: QtBot) -> None:
    pane = DetailsPane()
    qtbot.addWidget(pane)
    scan = phone_scan(app("com.zhiliaoapp.musically", HOSTILE, user="0"))
    policy = replace(
        load_policy(NZ),
        sources=("https://example.org/ban", "file:///etc/passwd", "javascript:alert(1)"),
    )
    assessment = evaluate(scan, policy, day=DAY)
    finding = next(f for f in assessment.findings if f.app.name == HOSTILE)
    pane.show_view(details_view(finding.app, finding, scan, assessment, policy))
    assert pane.labels_text()[0] == HOSTILE
    assert all(
        w.textFormat() == Qt.TextFormat.PlainText for w in pane.widget().findChildren(QLabel)
    )
    buttons = [b.text() for b in pane.widget().findChildren(QPushButton)]
    assert buttons == ["Read the policy's source 1 (example.org)"]


def test_details_show_the_version_its_build_and_the_dates_the_phone_gave() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Pacific/Auckland")
    tiktok = app(
        "com.zhiliaoapp.musically",
        "TikTok",
        user="10",
        version="34.1.4",
        version_code=2023401040,
        installed_at=datetime(2024, 2, 11, 9, 14, tzinfo=zone),
        updated_at=datetime(2024, 5, 2, 18, 31, tzinfo=zone),
    )
    scan = phone_scan()
    scan = replace(scan, apps=(*scan.apps[:1], tiktok, *scan.apps[2:]))
    policy = load_policy(NZ)
    assessment = evaluate(scan, policy, day=DAY)
    finding = finding_for("com.zhiliaoapp.musically", scan, assessment)
    facts = next(
        s
        for s in details_view(tiktok, finding, scan, assessment, policy).sections
        if s.heading == "This app"
    )
    assert "Version: 34.1.4 (build 2023401040)" in facts.lines
    assert "First installed: 2024-02-11" in facts.lines
    assert "Last updated: 2024-05-02" in facts.lines
    # An app whose details were not read: its build number, and no dates.
    plain = replace(tiktok, version="", installed_at=None, updated_at=None)
    lines = next(
        s.lines
        for s in details_view(plain, None, scan, None, policy).sections
        if s.heading == "This app"
    )
    assert "Version: build 2023401040" in lines
    assert not any(line.startswith(("First installed", "Last updated")) for line in lines)


def test_details_explain_a_state_that_is_not_plainly_installed() -> None:
    scan = phone_scan()
    capcut = next(a for a in scan.apps if a.name == "CapCut")
    removed = replace(capcut, state=AppState.REMOVED_FOR_USER, system=True)
    lines = next(
        s.lines
        for s in details_view(removed, None, scan, None, load_policy(NZ)).sections
        if s.heading == "This app"
    )
    state = next(line for line in lines if line.startswith("State: "))
    assert state.startswith("State: Removed for this user. Removed for this user or profile only")
    assert "can be brought back" in state


def test_a_turned_off_banned_app_is_not_enough_and_remove_comes_first() -> None:
    scan = phone_scan(app("com.ss.android.ugc.trill", "TikTok Asia", state=AppState.DISABLED))
    policy = load_policy(NZ)
    assessment = evaluate(scan, policy, day=date(2023, 4, 3))
    finding = finding_for("com.ss.android.ugc.trill", scan, assessment)
    view = details_view(finding.app, finding, scan, assessment, policy)
    steps = view.sections[0].lines
    assert steps[0].startswith("Press Remove (Ctrl+R) and Device Audit will remove it from the")
    assert steps[1].startswith("Or remove it yourself: on the phone, open Settings › Apps, tap")
    assert "Turning it off is not enough" in steps[1]
    assert steps[2] == "The deadline (2023-03-31) has passed: do it now."


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (
            '[H1], [TTWEB] (Google Play link), [UAD] ("TikTok App"), [CODE]',
            "the maker's own list of its apps (TikTok's HackerOne scope), the maker's own "
            'website (Google Play link), the Universal Android Debloater list ("TikTok App"), '
            "several unrelated public code projects",
        ),
        ("derived", "Device Audit's own reasoning (see the note)"),
        ("[NEW] (a source not known yet)", "NEW (a source not known yet)"),
    ],
)
def test_evidence_shorthand_is_put_in_words(source: str, words: str) -> None:
    from ui.words import evidence_words

    assert evidence_words(source) == words


def test_every_evidence_code_of_the_catalog_has_words() -> None:
    import re

    from audit.policy import default_catalog
    from ui.words import EVIDENCE_WORDS

    codes = {
        code
        for entry in default_catalog().entries.values()
        for code in re.findall(r"\[([A-Za-z0-9-]+)\]", entry.source)
    }
    assert codes and codes <= set(EVIDENCE_WORDS)


@pytest.mark.parametrize(
    ("state", "said", "how"),
    [
        (
            AppState.HIDDEN,
            "State: Hidden (frozen) in the Work profile: still on the phone, the person can "
            "bring it back in one tap",
            "Or remove it yourself: Freezing does not remove an app",
        ),
        (
            AppState.SUSPENDED,
            "State: Suspended (paused) in the Work profile: still on the phone, greyed out "
            "until whoever paused it lets it run again",
            "Pausing it does not remove it: it is still installed.",
        ),
    ],
)
def test_details_say_a_frozen_or_paused_app_is_still_on_the_phone(
    state: AppState, said: str, how: str
) -> None:
    """A hidden ("frozen") or suspended ("paused") TikTok is a violation, and the pane says
    what the state means and how to remove it for real."""
    scan = phone_scan()
    scan = replace(
        scan,
        apps=tuple(
            replace(a, state=state, state_confirmed=True) if "musically" in a.identifier else a
            for a in scan.apps
        ),
    )
    policy = load_policy(NZ)
    assessment = evaluate(scan, policy, day=DAY)
    finding = finding_for("com.zhiliaoapp.musically", scan, assessment)
    assert finding.status is FindingStatus.VIOLATION
    view = details_view(finding.app, finding, scan, assessment, policy)
    facts = next(s.lines for s in view.sections if s.heading == "This app")
    assert said in facts
    steps = next(s.lines for s in view.sections if s.heading == "What to do")
    assert how in steps[1]
