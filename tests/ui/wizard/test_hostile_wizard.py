"""Names from the phone are shown literally: an app labelled with HTML stays those characters."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from audit.model import ActionResult
from audit.policy import load_policy
from audit.remediation import Step, step_result
from tests.helpers.phones import PhoneFactory
from tests.ui.samples import HOSTILE, assess, phone_scan
from tests.ui.wizard.conftest import PhoneWizard, WizardFactory
from tests.ui.wizard.drive import click, go_to, open_box, remove_page
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_remove import ReviewPage

MODEL = "<b>Pwn</b><img src=file:///etc/passwd>;reboot $(id)"
# The maker's name carries a right-to-left override; it is shown as a visible escape, so it
# cannot reverse the text after it.
DEVICE = "Acme\\u202eevil " + MODEL


def markup_labels(wizard: RemovalWizard) -> list[QLabel]:
    """Every visible label of the current page (and the wizard's title) showing a '<'."""
    return [w for w in wizard.findChildren(QLabel) if "<" in w.text() and w.isVisibleTo(wizard)]


@pytest.mark.adb
def test_a_hostile_device_name_is_shown_literally_with_its_direction_override_escaped(
    qtbot: QtBot, wizard_for: PhoneWizard, sim_phone: PhoneFactory
) -> None:
    phone = sim_phone("hostile-names")
    wizard = wizard_for(phone, load_policy("nz-parliament-2023"))
    assert wizard.titleFormat() is Qt.TextFormat.PlainText
    assert wizard.subTitleFormat() is Qt.TextFormat.PlainText
    assert wizard.windowTitle() == f"Remove banned apps \u2014 {DEVICE}"
    review = wizard.currentPage()
    assert isinstance(review, ReviewPage)
    assert review.title() == f"Banned apps on {DEVICE}"
    go_to(qtbot, wizard, Pages.REMOVE)
    box = open_box(remove_page(wizard))
    assert f"on {DEVICE}." in box.confirmation.text()
    shown = markup_labels(wizard)
    assert box.confirmation in shown
    assert all(w.textFormat() is Qt.TextFormat.PlainText for w in shown)
    click(qtbot, wizard, box.button)
    assert box.result.title.text() == "Done: TikTok was removed from the main profile."
    assert not [w for w in wizard.findChildren(QLabel) if "\u202e" in w.text()]


class Recorder:
    """An executor for a phone that is not there: it records each step and says it worked."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def run(self, step: Step) -> ActionResult:
        self.steps.append(step)
        return step_result(step, True, "done")


def test_a_hostile_app_label_is_shown_literally_on_every_page_it_reaches(
    qtbot: QtBot, make_wizard: WizardFactory
) -> None:
    hostile = f"{HOSTILE} & Co"
    scan = phone_scan()
    apps = tuple(
        replace(a, name=hostile) if a.identifier == "com.zhiliaoapp.musically" else a
        for a in scan.apps
    )
    recorder = Recorder()
    wizard = make_wizard(assess(replace(scan, apps=apps)), executor=recorder)
    review = wizard.currentPage()
    assert f"\u2022 {hostile}, installed in the work profile" in texts(review)
    go_to(qtbot, wizard, Pages.REMOVE)
    page = remove_page(wizard)
    assert page.title() == f"Remove {hostile} from the Work profile"
    box = open_box(page)
    # On a button, '&' is a character, not a keyboard shortcut marker.
    assert box.button.text() == f"Remove {HOSTILE} && Co from the Work profile"
    assert box.confirmation.text().startswith(f"{hostile} will be uninstalled")
    click(qtbot, wizard, box.button)
    assert [s.target.app_name for s in recorder.steps] == [hostile]
    assert box.result.title.text() == f"Done: {hostile} was removed from the work profile."
    shown = markup_labels(wizard)
    assert {w.text() for w in shown} >= {
        f"Found: {hostile}, installed in the work profile.",
        f"Done: {hostile} was removed from the work profile.",
    }
    assert all(w.textFormat() is Qt.TextFormat.PlainText for w in shown)


def texts(widget: QWidget) -> list[str]:
    return [w.text() for w in widget.findChildren(QLabel)]
