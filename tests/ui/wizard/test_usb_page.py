"""Switching USB debugging off at the end: the steps for this phone's maker, or Device Audit
switches it off (the phone then disconnects) and the signed record says so."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from audit.attestation import verify_file
from audit.policy import load_policy
from audit.sources.android.guidance import (
    DISABLE_USB_DEBUGGING_STEPS,
    disable_usb_debugging_steps,
    phone_maker,
)
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.ui.wizard.conftest import PhoneWizard
from tests.ui.wizard.drive import can_go_on, click, go_to, open_box, remove_page, sign, wait_idle
from ui.guides import guide_for
from ui.wizard import Pages, RemovalWizard
from ui.wizard.pages_attest import UsbPage

MANUFACTURERS = {
    "samsung": "samsung",
    "Google": "pixel",
    "Xiaomi": "xiaomi",
    "OnePlus": "oneplus-oppo-realme",
    "realme": "oneplus-oppo-realme",
    "motorola": "motorola",
    "HONOR": "huawei-honor",
    "HMD Global": "generic",
    "": "generic",
}


@pytest.mark.parametrize(("manufacturer", "maker"), MANUFACTURERS.items())
def test_the_maker_is_the_one_the_switch_on_guides_use(manufacturer: str, maker: str) -> None:
    assert phone_maker(manufacturer) == maker
    assert guide_for(manufacturer) == maker  # the help menu's guide is the same maker's


def test_the_steps_say_where_developer_options_is_on_that_makers_phones() -> None:
    assert disable_usb_debugging_steps("samsung")[0] == (
        "Open Settings, scroll to the very bottom and tap Developer options."
    )
    assert disable_usb_debugging_steps("Google")[0] == (
        "Open Settings > System > Developer options."
    )
    assert "Additional settings" in disable_usb_debugging_steps("Xiaomi")[0]
    assert "USB debugging (Security settings)" in " ".join(disable_usb_debugging_steps("Redmi"))
    assert "search box" in disable_usb_debugging_steps("Acme")[0]
    for manufacturer in MANUFACTURERS:
        steps = disable_usb_debugging_steps(manufacturer)
        assert "Switch off 'USB debugging'." in steps
        assert any("Revoke USB debugging authorizations" in s for s in steps)
    assert DISABLE_USB_DEBUGGING_STEPS  # kept for the adb action's advice


def usb_page(wizard: RemovalWizard) -> UsbPage:
    page = wizard.page(Pages.USB_DEBUGGING)
    assert isinstance(page, UsbPage)
    return page


def page_text(page: UsbPage) -> list[str]:
    return [w.text() for w in page.content.findChildren(QLabel)]


@pytest.mark.adb
def test_the_usb_page_shows_the_steps_for_the_phones_maker(
    wizard_for: PhoneWizard, sim_phone: PhoneFactory
) -> None:
    policy = load_policy("us-federal-2023")
    pixel = usb_page(wizard_for(sim_phone("pixel-tiktok-lite"), policy))
    assert "On the Google Pixel:" in page_text(pixel)
    assert "1. Open Settings > System > Developer options." in page_text(pixel)
    other = usb_page(wizard_for(sim_phone("android7-old"), policy))  # made by HMD Global
    assert "On the phone:" in page_text(other)
    assert any("search box" in line for line in page_text(other))


@pytest.mark.adb
def test_switching_usb_debugging_off_from_the_wizard_warns_then_records_it(
    qtbot: QtBot,
    wizard_for: PhoneWizard,
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    memory_keyring: MemoryKeyring,
) -> None:
    phone = sim_phone("samsung-work-profile")
    wizard = wizard_for(phone, load_policy("us-federal-2023"))
    for _ in wizard.remove_ids:
        go_to(qtbot, wizard, wizard.currentPage().nextId())
        click(qtbot, wizard, open_box(remove_page(wizard)).button)
    go_to(qtbot, wizard, Pages.VERIFY)
    wait_idle(qtbot, wizard)
    go_to(qtbot, wizard, Pages.USB_DEBUGGING)
    page = usb_page(wizard)
    assert "On the Samsung Galaxy:" in page_text(page)
    assert any("The phone disconnects from this computer at once" in t for t in page_text(page))
    assert not can_go_on(wizard)  # an answer is needed
    click(qtbot, wizard, page.switch_off)
    assert not phone.state.adb_enabled
    adb_server.wait_until(lambda: phone.unplugged)
    assert page.switched.title.text() == "USB debugging is off"
    assert page.switched.next_step.text().startswith(
        "What to do: To finish, on the phone: Tap 'Revoke USB debugging authorizations'"
    )
    assert page.confirmed.isChecked() and not page.switch_off.isEnabled()
    go_to(qtbot, wizard, Pages.ATTEST)
    sign(qtbot, wizard, "Anna Smith", "S1234")
    assert wizard.saved is not None
    predicate = verify_file(wizard.saved.path).statement["predicate"]
    assert predicate["usb_debugging"] == "confirmed"
    # Not an action: done after the last check, it would leave that check unverified.
    assert {a["kind"] for a in predicate["actions"]} == {"uninstall"}
