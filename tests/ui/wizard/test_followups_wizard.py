"""This computer's steps done by hand, apps that appear on another profile after a removal,
steps that cannot run, closing while the phone is busy, and the main window's entry point."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from audit.attestation import verify_file
from audit.errors import ActionFailed
from audit.model import (
    ActionKind,
    ActionResult,
    AppState,
    Device,
    DeviceKind,
    IdentifierKind,
    InstalledApp,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)
from audit.policy import evaluate, loads_policy
from audit.progress import CancelCheck, Progress
from audit.remediation import Rights, Step, step_result
from tests.helpers.memkeyring import MemoryKeyring
from tests.ui.samples import phone_scan
from tests.ui.wizard.conftest import WizardFactory
from tests.ui.wizard.drive import can_go_on, click, go_to, open_box, remove_page, sign, wait_idle
from ui.ops import Operations
from ui.wizard import Pages, RemovalWizard, open_removal_wizard
from ui.wizard.pages_check import VerifyPage

DAY = date(2023, 3, 20)
POLICY = """
id = "test-desktop"
title = "Test: no TikTok desktop package"
authority = "Test authority"
compliant_states = ["absent", "removed_for_user"]

[[rule]]
id = "tiktok"
title = "TikTok"
catalog = ["tiktok-app"]
identifiers = [{ kind = "deb", value = "tiktok-desktop", app = "TikTok" }]
"""


def computer(*apps: InstalledApp, at: datetime) -> ScanResult:
    return ScanResult(
        device=Device(id="local:test", kind=DeviceKind.COMPUTER, name="laptop-42"),
        started_at=at,
        finished_at=at + timedelta(seconds=1),
        apps=apps,
        users=(UserProfile("system", "Everyone", UserKind.SYSTEM),),
        sources=(SourceReport("dpkg", SourceStatus.OK, count=len(apps)),),
    )


DEB = InstalledApp(
    identifier="tiktok-desktop",
    kind=IdentifierKind.DEB,
    name="TikTok",
    user="system",
    collector="dpkg",
)


def test_a_step_done_by_hand_on_this_computer_shows_the_command_and_is_recorded(
    qtbot: QtBot, make_wizard: WizardFactory, memory_keyring: MemoryKeyring
) -> None:
    policy = loads_policy(POLICY)
    before = evaluate(computer(DEB, at=datetime(2023, 3, 20, 9, tzinfo=UTC)), policy, day=DAY)
    installed = [True]

    def rescan(_p: Progress, _c: CancelCheck) -> ScanResult:
        apps = (DEB,) if installed[0] else ()
        return computer(*apps, at=datetime.now(UTC))

    wizard = make_wizard(before, rescan=rescan, rights=Rights(admin=False), person="s1")
    go_to(qtbot, wizard, Pages.REMOVE)
    box = open_box(remove_page(wizard))
    assert not box.step.automatic
    assert "never asks for your password" in box.step.why_manual
    command = box.step.copy_command
    assert command == "sudo apt remove tiktok-desktop"
    copy = next(b for b in box.findChildren(type(box.button)) if b.text() == "Copy")
    copy.click()
    assert QGuiApplication.clipboard().text() == command
    assert box.button.text() == "I've done this"
    assert "records: I removed TikTok from this computer myself." in box.confirmation.text()
    installed[0] = False  # the person ran the command
    click(qtbot, wizard, box.button)
    assert box.state.text() == "Done."
    (action,) = wizard.session.actions
    assert action.kind is ActionKind.MANUAL and action.message.startswith("Confirmed by s1:")

    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    go_to(qtbot, wizard, Pages.ATTEST)  # a computer: no USB-debugging page
    sign(qtbot, wizard, "Sam", "s1")
    assert wizard.saved is not None
    verified = verify_file(wizard.saved.path)
    assert verified.compliant
    assert verified.statement["predicate"]["usb_debugging"] == "not_applicable"
    assert "the computer laptop-42" in verified.statement["predicate"]["statement"]


class OemPhone:
    """A phone whose firmware puts TikTok into the owner profile when it is removed from the
    work profile (some OEM builds do this): a small model with that one behaviour."""

    def __init__(self) -> None:
        self.state = {("com.zhiliaoapp.musically", "10"): AppState.INSTALLED}
        self.lock = threading.Lock()
        self.rescans = 0

    def run(self, step: Step) -> ActionResult:
        with self.lock:
            key = (step.target.identifier, step.target.user)
            ok = self.state.get(key) is AppState.INSTALLED
            if ok:
                del self.state[key]
                if key[1] == "10":
                    self.state[(key[0], "0")] = AppState.INSTALLED
        return step_result(
            step,
            ok,
            "done" if ok else "not installed",
            code="" if ok else "NOT_INSTALLED",
            advice="" if ok else "Check again.",
        )

    def rescan(self, _p: Progress, _c: CancelCheck) -> ScanResult:
        base = phone_scan()
        others = [a for a in base.apps if a.identifier != "com.zhiliaoapp.musically"]
        with self.lock:
            self.rescans += 1
            tiktok = [
                replace(next(a for a in base.apps if a.name == "TikTok"), user=user)
                for (_pkg, user), _state in self.state.items()
            ]
        now = datetime.now(UTC)
        return replace(base, apps=(*others, *tiktok), started_at=now, finished_at=now)


def test_an_app_that_appears_on_another_profile_is_shown_and_removed_from_the_check_page(
    qtbot: QtBot, make_wizard: WizardFactory
) -> None:
    phone = OemPhone()
    first = replace(phone_scan(), started_at=datetime(2023, 3, 20, 9, tzinfo=UTC))
    from audit.policy import load_policy

    before = evaluate(first, load_policy("nz-parliament-2023"), day=DAY)
    wizard = make_wizard(before, rescan=phone.rescan, executor=phone)
    go_to(qtbot, wizard, Pages.REMOVE)
    click(qtbot, wizard, open_box(remove_page(wizard)).button)
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    page = wizard.currentPage()
    assert isinstance(page, VerifyPage)
    lines = [w.text() for w in page.results.findChildren(QLabel)]
    assert "Newly found on other profiles" in lines
    assert any("which the first scan did not show" in line for line in lines)
    assert page.summary.title.text() == "Some banned apps are still on the device"
    (panel,) = page.panels.values()
    assert panel.plan.finding.app.user == "0"
    rescans = phone.rescans
    click(qtbot, wizard, open_box(panel).button)  # remove it right there
    assert ("com.zhiliaoapp.musically", "0") not in phone.state
    # The page checks again by itself: it never shows a check older than what was done, and
    # Next does not lead to the exemptions page for an app already removed.
    qtbot.waitUntil(lambda: phone.rescans == rescans + 1, timeout=10_000)
    wait_idle(qtbot, wizard)
    assert wizard.session.verification is not None
    assert wizard.session.verification.all_resolved
    assert page.summary.title.text() == (
        "Every banned app is gone, or in a state the policy allows "
        "(for example removed for this profile)"
    )
    assert not page.panels
    assert wizard.session.can_attest
    assert page.nextId() == Pages.USB_DEBUGGING
    go_to(qtbot, wizard, Pages.USB_DEBUGGING)


class Refusing:
    """An executor for another device: it refuses, as AndroidExecutor does for a wrong phone."""

    def run(self, step: Step) -> ActionResult:
        raise ActionFailed(
            f"'{step.title}' is for another phone.", "Choose the phone the plan was made for."
        )


def test_a_step_the_executor_refuses_shows_why_and_can_be_tried_again(
    qtbot: QtBot, make_wizard: WizardFactory
) -> None:
    from audit.policy import load_policy

    first = replace(phone_scan(), started_at=datetime(2023, 3, 20, 9, tzinfo=UTC))
    before = evaluate(first, load_policy("nz-parliament-2023"), day=DAY)
    wizard = make_wizard(before, executor=Refusing(), rescan=OemPhone().rescan)
    go_to(qtbot, wizard, Pages.REMOVE)
    box = open_box(remove_page(wizard))
    click(qtbot, wizard, box.button)
    assert box.result.title.text() == "That did not work"
    assert "is for another phone" in box.result.text.text()
    assert box.result.next_step.text() == "What to do: Choose the phone the plan was made for."
    assert box.button.isEnabled()
    assert not wizard.session.actions  # nothing ran, so nothing is recorded


class Held:
    """An executor that waits until the test lets it finish (a slow phone)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    def run(self, step: Step) -> ActionResult:
        self.started.set()
        self.release.wait(10)
        return OemPhone().run(step)


def test_the_wizard_cannot_be_closed_or_left_while_a_step_runs_and_asks_before_closing_after(
    qtbot: QtBot, make_wizard: WizardFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audit.policy import load_policy

    first = replace(phone_scan(), started_at=datetime(2023, 3, 20, 9, tzinfo=UTC))
    before = evaluate(first, load_policy("nz-parliament-2023"), day=DAY)
    held = Held()
    wizard = make_wizard(before, executor=held, rescan=OemPhone().rescan)
    go_to(qtbot, wizard, Pages.REMOVE)
    box = open_box(remove_page(wizard))
    box.button.click()
    qtbot.waitUntil(held.started.is_set, timeout=5000)
    assert wizard.busy
    assert not box.button.isEnabled()
    assert not can_go_on(wizard)
    assert not wizard.button(wizard.WizardButton.BackButton).isEnabled()
    assert not wizard.button(wizard.WizardButton.CancelButton).isEnabled()
    wizard.reject()  # Esc
    assert wizard.isVisible()
    qtbot.waitUntil(box.busy.isVisible, timeout=5000)
    held.release.set()
    wait_idle(qtbot, wizard)
    assert box.state.text() == "Done."
    assert can_go_on(wizard)
    assert wizard.button(wizard.WizardButton.CancelButton).isEnabled()
    answers = [False, True]
    asked: list[tuple[str, str, str, str]] = []

    def ask(_cls: type, _parent: object, title: str, text: str, button: str, keep: str) -> bool:
        asked.append((title, text, button, keep))
        return answers.pop(0)

    monkeypatch.setattr(RemovalWizard, "ask_confirm", classmethod(ask))
    wizard.reject()  # something was done and nothing signed: asked, and "no" keeps it open
    assert wizard.isVisible()
    wizard.reject()
    assert not wizard.isVisible()
    assert len(asked) == 2 and asked[0] == asked[1]
    title, text, button, keep = asked[0]
    assert title == "Close without signing?"
    # Two plain choices, not "Close" against "Cancel": which one keeps the window is clear.
    assert (button, keep) == (
        "Close, and sign later \u2014 what you did is kept",
        "Keep working",
    )
    assert "What was done is kept on this computer." in text
    assert "start over" not in text


def test_open_removal_wizard_shows_a_window_and_reports_the_receipt_when_it_closes(
    qtbot: QtBot, ops: Operations, receipts: Path, memory_keyring: MemoryKeyring
) -> None:
    policy = loads_policy(POLICY)
    clean = evaluate(computer(at=datetime(2023, 3, 20, 9, tzinfo=UTC)), policy, day=DAY)
    results: list[str | None] = []
    wizard = open_removal_wizard(
        None,
        assessment=clean,
        exemptions=(),
        person="s1",
        operations=ops,
        helpdesk=False,
        on_finished=results.append,
        rescan=lambda _p, _c: computer(at=datetime.now(UTC)),
        receipts_dir=receipts,
    )
    assert wizard.isVisible() and wizard.isWindow()
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    go_to(qtbot, wizard, Pages.ATTEST)
    sign(qtbot, wizard, "Sam", "s1")
    wizard.accept()
    qtbot.waitUntil(lambda: not shiboken6.isValid(wizard), timeout=5000)  # deleted on close
    (path,) = results
    assert path is not None
    assert Path(path).parent == receipts and Path(path).is_file()


def test_closing_without_signing_reports_nothing(
    qtbot: QtBot, ops: Operations, receipts: Path
) -> None:
    policy = loads_policy(POLICY)
    clean = evaluate(computer(at=datetime(2023, 3, 20, 9, tzinfo=UTC)), policy, day=DAY)
    results: list[str | None] = []
    wizard = open_removal_wizard(
        None,
        assessment=clean,
        exemptions=(),
        person="",
        operations=ops,
        helpdesk=True,
        on_finished=results.append,
        receipts_dir=receipts,
    )
    wizard.reject()
    qtbot.waitUntil(lambda: not shiboken6.isValid(wizard), timeout=5000)
    assert results == [None]
    assert not receipts.exists()
