"""The wizard for a TikTok hidden ("frozen") in the work profile, against the real adb server:
the check reads the app's per-user state as the window's does, the removal takes it off every
profile (Android will not remove a frozen app from one profile over USB), the rescan proves it."""

from __future__ import annotations

from datetime import date

import pytest
from pytestqt.qtbot import QtBot

from audit.assess import assess_phone
from audit.model import AppState
from audit.policy import load_policy
from audit.sources.android.connection import Adb
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.ui.wizard.conftest import WizardFactory
from tests.ui.wizard.drive import click, go_to, remove_page, wait_idle
from ui.wizard import Pages
from ui.wizard.pages_check import VerifyPage
from ui.wizard.pages_remove import ReviewPage

pytestmark = pytest.mark.adb

TIKTOK = "com.zhiliaoapp.musically"


def test_a_frozen_tiktok_is_removed_from_every_profile_and_checked_again(
    qtbot: QtBot, make_wizard: WizardFactory, sim_phone: PhoneFactory, adb_server: AdbServer
) -> None:
    phone = sim_phone("shelter-frozen-tiktok")
    first = assess_phone(
        phone.address, load_policy("nz-parliament-2023"), day=date(2023, 3, 20),
        adb=Adb(adb_server.port),
    )  # fmt: skip
    (finding,) = first.violations
    assert finding.app.state is AppState.HIDDEN
    wizard = make_wizard(first, adb_port=adb_server.port)
    review = wizard.currentPage()
    assert isinstance(review, ReviewPage)
    assert review.summary.title.text() == "1 banned app to remove"

    go_to(qtbot, wizard, wizard.currentPage().nextId())
    page = remove_page(wizard)
    (box,) = [b for b in page.panel.step_boxes if b.step.automatic and b.button.isVisible()]
    assert box.confirmation.text().startswith(
        "TikTok is hidden (frozen) in the Work profile: still on the phone, the person can "
        "bring it back in one tap."
    )
    click(qtbot, wizard, box.button)
    assert box.state.text() == "Done."
    assert phone.state.state_of(TIKTOK, 10) == "absent"

    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    verify = wizard.currentPage()
    assert isinstance(verify, VerifyPage)
    texts = [w.text() for w in verify.results.findChildren(type(verify.summary.title))]
    assert "\u2022 TikTok is gone in the work profile." in texts
    assert wizard.session.after is not None and wizard.session.after.status.compliant


def test_the_wizards_own_check_again_reads_the_frozen_state(
    sim_phone: PhoneFactory, adb_server: AdbServer
) -> None:
    """Without the window's checker (a wizard opened on its own), the check again still asks
    the phone about the flagged app: the lists alone would say "removed for this user"."""
    from audit.progress import never_cancelled, no_progress
    from ui.wizard.wizard import default_rescan

    phone = sim_phone("shelter-frozen-tiktok")
    policy = load_policy("nz-parliament-2023")
    first = assess_phone(phone.address, policy, day=date(2023, 3, 20), adb=Adb(adb_server.port))
    scan = default_rescan(first, adb_server.port)(no_progress, never_cancelled)
    (tiktok,) = [a for a in scan.apps if a.identifier == TIKTOK]
    assert (tiktok.user, tiktok.state, tiktok.state_confirmed) == ("10", AppState.HIDDEN, True)
