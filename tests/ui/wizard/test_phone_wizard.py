"""The wizard against the real adb server and simulated phones: remove, check again, attest."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from audit.attestation import verify_file
from audit.attestation.statement import StatementKind
from audit.model import ActionKind
from audit.policy import load_policy
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.phones import PhoneFactory
from tests.ui.wizard.conftest import PhoneWizard
from tests.ui.wizard.drive import (
    click,
    go_to,
    open_box,
    press_back,
    press_next,
    remove_page,
    sign,
    wait_idle,
)
from ui.wizard import Pages
from ui.wizard.pages_attest import AttestPage, ReceiptPage, UsbPage
from ui.wizard.pages_check import VerifyPage
from ui.wizard.pages_remove import ReviewPage

pytestmark = pytest.mark.adb

TIKTOK = "com.zhiliaoapp.musically"
CAPCUT = "com.lemon.lvoverseas"


def test_work_profile_tiktok_and_owner_capcut_removed_checked_and_attested(
    qtbot: QtBot,
    wizard_for: PhoneWizard,
    sim_phone: PhoneFactory,
    memory_keyring: MemoryKeyring,
    receipts: Path,
) -> None:
    phone = sim_phone("samsung-work-profile")
    wizard = wizard_for(phone, load_policy("us-federal-2023"))
    review = wizard.currentPage()
    assert isinstance(review, ReviewPage)
    assert review.summary.title.text() == "2 banned apps to remove"
    assert wizard.remove_ids == (Pages.REMOVE, Pages.REMOVE + 1)

    removed: dict[str, str] = {}
    done_words = []
    for _ in range(2):
        go_to(qtbot, wizard, wizard.currentPage().nextId())
        page = remove_page(wizard)
        why = page.panel.findChild(QLabel, "why")
        assert why.text().startswith("Banned under this policy: ")  # not the rule's id
        assert "rule '" not in why.text()
        other_ways = page.panel.other_ways
        assert other_ways.text() == "Other ways to do this (if the button above fails)"
        (box,) = [b for b in page.panel.step_boxes if b.step.automatic and b.button.isVisible()]
        # The exact words of what will happen are on the page before anything is done.
        assert box.confirmation.text() == box.step.confirmation
        assert "Other profiles are not changed." in box.confirmation.text()
        assert box.state.text() == "Not done yet."
        click(qtbot, wizard, box.button)
        assert box.state.text() == "Done."
        assert not box.button.isVisible()
        assert other_ways.text() == "Other ways to do this"  # the button above is gone
        done_words.append(page.panel.state.text())
        removed[box.step.target.identifier] = box.result.title.text()
    assert removed == {
        TIKTOK: "Done: TikTok was removed from the work profile.",
        CAPCUT: "Done: CapCut was removed from the main profile.",
    }
    assert phone.state.state_of(TIKTOK, 10) == "absent"
    assert phone.state.state_of(CAPCUT, 0) == "absent"
    # the check comes after the last app, not on the page after the first
    assert done_words == [
        "Done. Device Audit checks the device again after the last app.",
        "Done. Device Audit checks the device again on the next page.",
    ]

    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    verify = wizard.currentPage()
    assert isinstance(verify, VerifyPage)
    assert verify.summary.title.text() == (
        "Every banned app is gone, or in a state the policy allows "
        "(for example removed for this profile)"
    )
    texts = [w.text() for w in verify.results.findChildren(type(verify.summary.title))]
    assert "\u2022 TikTok is gone in the work profile." in texts
    assert not verify.panels  # nothing left to do

    go_to(qtbot, wizard, Pages.USB_DEBUGGING)  # no exemptions page: nothing is left
    usb = wizard.currentPage()
    assert isinstance(usb, UsbPage)
    assert not usb.isComplete()
    usb.confirmed.setChecked(True)
    go_to(qtbot, wizard, Pages.ATTEST)
    attest = wizard.currentPage()
    assert isinstance(attest, AttestPage)
    assert attest.state.title.text() == "The check shows this device is compliant"
    assert not attest.isComplete()
    sign(qtbot, wizard, "Anna Smith", "S1234")

    saved = wizard.saved
    assert saved is not None
    verified = verify_file(saved.path)
    assert verified.kind is StatementKind.ATTESTATION and verified.compliant
    assert verified.device_id == f"android:{phone.state.serialno}"  # its own serial number
    predicate = verified.statement["predicate"]
    assert predicate["usb_debugging"] == "confirmed"
    assert predicate["statement"] == attest.statement.toPlainText()
    assert predicate["statement"].startswith("I, Anna Smith (staff id S1234), checked the phone")
    assert sorted((a["identifier"], a["user"], a["ok"]) for a in predicate["actions"]) == [
        (CAPCUT, "0", True),
        (TIKTOK, "10", True),
    ]
    assert saved.pdf is not None and saved.pdf.read_bytes().startswith(b"%PDF")
    assert saved.path.parent == receipts
    receipt = wizard.currentPage()
    assert isinstance(receipt, ReceiptPage)
    assert receipt.kind.title.text() == "Attestation of compliance signed and saved"
    assert "SIMULATED" not in receipt.kind.text.text()  # a real phone's receipt
    assert saved.fingerprint in receipt.fingerprint.text()
    assert str(saved.path) in receipt.path.text()
    keep = receipt.findChild(QLabel, "keep").text()
    assert keep.startswith("Keep both files. When your organisation asks for proof")
    # Nothing after the signature goes back to it: the signing page was a commit page.
    assert not wizard.button(wizard.WizardButton.BackButton).isEnabled()
    opened: list[str] = []
    wizard.open_url = lambda url: opened.append(url.toLocalFile()) or True  # type: ignore[method-assign]
    receipt.open_pdf.click()
    receipt.show_file.click()
    assert opened == [str(saved.pdf), str(receipts)]
    finished: list[int] = []
    wizard.finished.connect(finished.append)
    press_next(wizard)
    assert finished == [wizard.DialogCode.Accepted]


def test_every_user_at_once_replans_the_pages_before_anything_is_done(
    qtbot: QtBot, wizard_for: PhoneWizard, sim_phone: PhoneFactory
) -> None:
    phone = sim_phone("samsung-work-profile")
    wizard = wizard_for(phone, load_policy("us-federal-2023"))
    review = wizard.currentPage()
    assert isinstance(review, ReviewPage)
    assert review.all_users.isVisibleTo(review)
    review.all_users.setChecked(True)
    titles = [wizard.page(i).title() for i in wizard.remove_ids]
    assert sorted(titles) == [
        "Remove CapCut from every user and profile",
        "Remove TikTok from every user and profile",
    ]
    go_to(qtbot, wizard, Pages.REMOVE)
    box = open_box(remove_page(wizard))
    assert box.step.action is ActionKind.UNINSTALL_ALL_USERS
    assert "from every user and profile" in box.confirmation.text()
    click(qtbot, wizard, box.button)
    app = box.step.target.identifier
    assert all(phone.state.state_of(app, user) == "absent" for user in (0, 10))
    press_back(wizard)
    assert not review.all_users.isEnabled()  # something was done: the plan stays as it is
    assert wizard.session.all_users
