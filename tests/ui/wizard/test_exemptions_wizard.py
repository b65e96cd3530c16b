"""Exemptions, exception requests, incomplete checks and the helpdesk's signature, on phone scans
built by hand (the rescan is a small function returning a fresh copy of the phone's state)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QPlainTextEdit, QRadioButton
from pytestqt.qtbot import QtBot

from audit.attestation import verify_file
from audit.model import ActionResult, Exemption, FindingStatus, ScanResult
from audit.policy import evaluate, load_policy
from audit.progress import CancelCheck, Progress
from audit.remediation import Step, step_result
from tests.helpers.memkeyring import MemoryKeyring
from tests.ui.samples import phone_scan
from tests.ui.wizard.conftest import WizardFactory
from tests.ui.wizard.drive import can_go_on, click, go_to, sign, wait_idle
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import AttestPage
from ui.wizard.pages_check import ExemptionsPage, VerifyPage

NZ = "nz-parliament-2023"
DAY = date(2023, 3, 20)
FIRST = datetime(2023, 3, 20, 9, 0, tzinfo=UTC)


def exemption(exemption_id: str, person: str) -> Exemption:
    return Exemption(
        id=exemption_id,
        reason="Runs the party's TikTok account",
        approver="Jane Smith",
        approver_role="Parliamentary Service",
        granted=date(2023, 3, 18),
        expires=date(2099, 12, 31),  # in force on the day it is signed (today)
        person=person,
        policy=NZ,
        rules=("tiktok",),
        apps=("com.zhiliaoapp.musically",),
    )


class Phone:
    """The phone's state as a rescan reads it: the same apps, read again now (an action is
    accepted and changes nothing, like a phone that puts the app straight back)."""

    def __init__(self, *, complete: bool = True) -> None:
        self.complete = complete
        self.scans = 0
        self.steps: list[Step] = []

    def run(self, step: Step) -> ActionResult:
        self.steps.append(step)
        return step_result(step, True, "done")

    def rescan(self, _progress: Progress, _cancelled: CancelCheck) -> ScanResult:
        self.scans += 1
        now = datetime.now(UTC)
        scan = phone_scan(complete=self.complete)
        return replace(scan, started_at=now, finished_at=now + timedelta(seconds=1))


def first_check(exemptions: tuple[Exemption, ...] = ()) -> tuple:
    scan = replace(phone_scan(), started_at=FIRST, finished_at=FIRST)
    return evaluate(scan, load_policy(NZ), exemptions, day=DAY), exemptions


def to_page(qtbot: QtBot, wizard: RemovalWizard, page: int) -> None:
    """Walk forward (pressing nothing on the removal pages, skipping the USB question)."""
    while wizard.currentId() != page:
        if wizard.currentId() == Pages.USB_DEBUGGING:
            wizard.currentPage().skipped.setChecked(True)
        go_to(qtbot, wizard, wizard.currentPage().nextId())
        wait_idle(qtbot, wizard)


def texts(widget: object) -> list[str]:
    return [w.text() for w in widget.findChildren(QLabel)]  # type: ignore[attr-defined]


def test_picking_an_exemption_for_the_person_keeps_the_app_and_the_helpdesk_signs_for_them(
    qtbot: QtBot, make_wizard: WizardFactory, memory_keyring: MemoryKeyring
) -> None:
    mine, theirs = exemption("EX-1", "s1234"), exemption("EX-2", "s999")
    before, loaded = first_check((mine, theirs))
    assert [f.app.label for f in before.violations] == ["TikTok"]  # nobody named yet
    phone = Phone()
    wizard = make_wizard(before, exemptions=loaded, rescan=phone.rescan, helpdesk=True)
    to_page(qtbot, wizard, Pages.EXEMPTIONS)
    page = wizard.currentPage()
    assert isinstance(page, ExemptionsPage)
    assert set(page.checks) == {"EX-1", "EX-2"}
    assert not any(c.isChecked() for c in page.checks.values())
    assert any("Only for staff id s1234" in t for t in texts(page.choices))

    page.checks["EX-2"].setChecked(True)
    wait_idle(qtbot, wizard)
    page.checks["EX-1"].setChecked(True)  # two people's exemptions: refused, nothing applied
    wait_idle(qtbot, wizard)
    assert page.applied.title.text() == "These exemptions are for different people"
    page.checks["EX-2"].setChecked(False)
    wait_idle(qtbot, wizard)
    after = wizard.session.after
    assert after is not None
    assert [(f.app.label, f.status, f.exemption) for f in after.findings] == [
        ("TikTok", FindingStatus.EXCEPTED, mine)
    ]
    assert wizard.session.person == "s1234"
    assert wizard.session.can_attest
    assert "\u2022 TikTok, installed in the work profile (exemption EX-1)" in texts(page.left)

    go_to(qtbot, wizard, Pages.USB_DEBUGGING)
    wizard.currentPage().skipped.setChecked(True)
    go_to(qtbot, wizard, Pages.ATTEST)
    attest = wizard.currentPage()
    assert isinstance(attest, AttestPage)
    assert attest.staff_id.text() == "s1234"
    attest.technician.setText("Tom Tech")
    attest.name.setText("Anna Smith")
    attest.agree.setChecked(True)
    attest.staff_id.setText("s999")  # the exemption is not theirs
    assert attest.person_problem.isVisibleTo(attest)
    assert not can_go_on(wizard)
    attest.staff_id.setText("s1234")
    assert can_go_on(wizard)
    attest.technician.setText("")  # the technician's name is required in helpdesk mode
    assert not can_go_on(wizard)
    sign(qtbot, wizard, "Anna Smith", "s1234", technician="Tom Tech")

    assert wizard.saved is not None
    verified = verify_file(wizard.saved.path)
    assert verified.status.value == "compliant_with_exceptions"
    assert verified.attester.technician == "Tom Tech"
    predicate = verified.statement["predicate"]
    assert [e["id"] for e in predicate["exemptions"]] == ["EX-1"]
    assert predicate["statement"].startswith("I, Tom Tech, audited the phone Galaxy S21")
    assert "on behalf of Anna Smith (staff id s1234)" in predicate["statement"]
    # the technician is told to give the person their copy, not to send it to "your organisation"
    keep = wizard.currentPage().findChild(QLabel, "keep").text()
    assert keep.startswith("Give the staff member their copy")
    assert "View \u203a History" in keep
    assert "organisation asks" not in keep


def test_an_exception_request_is_saved_beside_the_receipts_and_changes_nothing(
    qtbot: QtBot, make_wizard: WizardFactory, receipts: Path
) -> None:
    before, _ = first_check()
    wizard = make_wizard(before, rescan=Phone().rescan, person="s1234")
    to_page(qtbot, wizard, Pages.EXEMPTIONS)
    page = wizard.currentPage()
    assert isinstance(page, ExemptionsPage)
    assert "No exemptions file is loaded" in page.none_loaded.text()
    assert page.request_staff.text() == "s1234"
    assert not page.request_save.isEnabled()
    page.request_name.setText("Anna Smith")
    page.request_reason.setPlainText("I run the party's TikTok account.")
    click(qtbot, wizard, page.request_save)
    assert page.request_saved.title.text() == "Request saved"
    (saved,) = receipts.iterdir()
    assert saved.name.startswith("exception-request-galaxy-s21-")
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["kind"] == "exception_request" and data["status"] == "pending"
    assert "does not make the device compliant" in data["note"]
    assert data["requested_by"] == {"name": "Anna Smith", "staff_id": "s1234"}
    assert data["apps"] == [
        {
            "identifier": "com.zhiliaoapp.musically",
            "name": "TikTok",
            "user": "10",
            "where": "the work profile",
            "rule": "tiktok",
        }
    ]
    assert "Parliamentary Service" in page.request_saved.next_step.text()  # the policy's route
    # A request is not an exemption: the device is exactly as non-compliant as before.
    assert wizard.session.after is not None
    assert [f.status for f in wizard.session.after.findings] == [FindingStatus.VIOLATION]
    assert not wizard.session.can_attest


def test_an_incomplete_check_proves_nothing_and_says_what_it_could_not_read(
    qtbot: QtBot, make_wizard: WizardFactory
) -> None:
    before, _ = first_check()
    phone = Phone(complete=False)
    wizard = make_wizard(before, rescan=phone.rescan)
    to_page(qtbot, wizard, Pages.VERIFY)
    page = wizard.currentPage()
    assert isinstance(page, VerifyPage)
    assert page.summary.title.text() == (
        "This check could not see everything, so it proves nothing yet"
    )
    lines = texts(page.results)
    assert "Could not be read" in lines
    assert "\u2022 The rescan could not read user 10: the phone was unplugged." in lines
    assert any("not verified" in line for line in lines)
    click(qtbot, wizard, page.again)  # "Check again" runs another scan
    assert phone.scans == 2
    to_page(qtbot, wizard, Pages.ATTEST)
    attest = wizard.currentPage()
    assert isinstance(attest, AttestPage)
    blockers = texts(attest.blockers)
    assert any(b.startswith("\u2022 The last check could not read user 10") for b in blockers)
    assert not can_go_on(wizard)


@pytest.mark.parametrize("helpdesk", [False, True])
def test_the_statement_shown_is_the_statement_signed_word_for_word(
    qtbot: QtBot, make_wizard: WizardFactory, memory_keyring: MemoryKeyring, helpdesk: bool
) -> None:
    scan = replace(phone_scan(), apps=(), started_at=FIRST, finished_at=FIRST)
    clean = evaluate(scan, load_policy(NZ), day=DAY)

    def rescan(_p: Progress, _c: CancelCheck) -> ScanResult:
        now = datetime.now(UTC)
        return replace(scan, started_at=now, finished_at=now)

    wizard = make_wizard(clean, rescan=rescan, helpdesk=helpdesk)
    to_page(qtbot, wizard, Pages.USB_DEBUGGING)
    wizard.currentPage().confirmed.setChecked(True)
    go_to(qtbot, wizard, Pages.ATTEST)
    attest = wizard.currentPage()
    assert isinstance(attest, AttestPage)
    assert attest.technician.isVisibleTo(attest) is helpdesk
    attest.name.setText("Zoë O'Neil & <Co>")
    attest.staff_id.setText("s-1 {x}")
    if helpdesk:
        attest.technician.setText("Tom")
    shown = attest.statement.toPlainText()
    assert "Zoë O'Neil & <Co> (staff id s-1 {x})" in shown
    assert attest.usb.text() == "The record also says that USB debugging was switched off again."
    sign(qtbot, wizard, "Zoë O'Neil & <Co>", "s-1 {x}", technician="Tom" if helpdesk else "")
    assert wizard.saved is not None
    predicate = verify_file(wizard.saved.path).statement["predicate"]
    assert predicate["statement"] == shown
    assert predicate["attester"]["mode"] == ("technician" if helpdesk else "self")


def test_every_control_on_every_page_is_named_and_reachable_by_keyboard(
    qtbot: QtBot, make_wizard: WizardFactory
) -> None:
    before, loaded = first_check((exemption("EX-1", "s1234"),))
    phone = Phone()
    wizard = make_wizard(
        before, exemptions=loaded, rescan=phone.rescan, executor=phone, helpdesk=True
    )
    seen: set[int] = set()
    while True:
        seen.add(wizard.currentId())
        page = wizard.currentPage()
        controls = [
            w
            for kind in (QAbstractButton, QLineEdit, QPlainTextEdit)
            for w in page.findChildren(kind)
            if w.isVisibleTo(page)
        ]
        assert controls, page.objectName()
        for control in controls:
            name = control.accessibleName() or getattr(control, "text", lambda: "")()
            assert name.strip(), f"{type(control).__name__} on {page.objectName()} has no name"
            # Of a group of radio buttons, Tab reaches the one chosen (or first) and the arrow
            # keys the others: Qt takes Tab off the rest once one of them has had the focus.
            in_group = isinstance(control, QRadioButton) and any(
                isinstance(other, QRadioButton)
                and other is not control
                and other.parent() is control.parent()
                and other.focusPolicy() & Qt.FocusPolicy.TabFocus
                for other in controls
            )
            assert control.focusPolicy() & Qt.FocusPolicy.TabFocus or in_group, name
        if wizard.currentId() == Pages.REMOVE:
            box = page.panel.step_boxes[0]
            box.button.setFocus()
            qtbot.keyClick(box.button, Qt.Key.Key_Space)  # the keyboard runs the step
            wait_idle(qtbot, wizard)
            assert [s.id for s in phone.steps] == [box.step.id]
        if wizard.currentId() == Pages.ATTEST:
            break
        to_page(qtbot, wizard, wizard.currentPage().nextId())
    assert seen == {
        Pages.REVIEW,
        Pages.REMOVE,
        Pages.VERIFY,
        Pages.EXEMPTIONS,
        Pages.USB_DEBUGGING,
        Pages.ATTEST,
    }


@pytest.mark.parametrize("helpdesk", [False, True])
def test_the_technician_is_not_made_to_speak_as_the_staff_member(
    qtbot: QtBot, make_wizard: WizardFactory, helpdesk: bool
) -> None:
    """At the helpdesk the technician reads the pages: they speak of the staff member, never
    as if the technician were the one who installed the apps or needs an exception."""
    before, _ = first_check()
    phone = Phone()
    wizard = make_wizard(before, rescan=phone.rescan, helpdesk=helpdesk)
    review = wizard.currentPage()
    assert review.all_users.text() == "Remove downloaded apps from every user and profile at once"
    to_page(qtbot, wizard, Pages.EXEMPTIONS)
    page = wizard.currentPage()
    assert isinstance(page, ExemptionsPage)
    words = " ".join(texts(page))
    fields = [page.request_name, page.request_staff, page.request_reason]
    if helpdesk:
        assert "If the staff member needs a banned app for their work" in words
        assert "If the staff member was granted an exemption" in page.none_loaded.text()
        assert [f.accessibleName() for f in fields] == [
            "Staff member's name",
            "Staff id",
            "Why they need it",
        ]
        assert "your work" not in words and "you were granted" not in words
    else:
        assert "If you need a banned app for your work" in words
        assert [f.accessibleName() for f in fields] == [
            "Your name",
            "Your staff id",
            "Why you need it",
        ]
    assert "open this window again: what was done so far is kept" in page.none_loaded.text()
    reopen = "Work on this phone" if helpdesk else "Attest\u2026 (Ctrl+Shift+A)"
    assert reopen in wizard.how_to_reopen
