"""The core's own words (errors, files, inventories, profiles, states, connections, look-alike
names, the demo phones) come from the catalogue, in the language in use, and never at import:
a class attribute or a module constant is marked, and translated when it is shown (issue 17).

The pseudo-language stands in for a translation: every catalogue string comes back wrapped in
⟦ ⟧, so a word that bypassed the catalogue shows at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audit import inventory
from audit.confusables import mixed_alphabets
from audit.demo import DEMO_ADDRESS, phone_at, switch_off
from audit.errors import (
    TOO_DEEP,
    AttestationInvalid,
    Cancelled,
    DeviceGone,
    DeviceUnauthorized,
    InventoryFileError,
    KeyringUnavailable,
    PolicyError,
)
from audit.i18n import ENGLISH, PSEUDO, pseudo_text, set_language
from audit.model import AppState, Connection, ConnectionKind, UserKind
from audit.profiles import profile_words
from audit.provenance import reached_words
from audit.states import explained, how_to_remove

WRAPPED = "⟦"


@pytest.fixture
def pseudo() -> Iterator[None]:
    set_language(PSEUDO)
    yield
    set_language(ENGLISH)


def test_a_class_next_step_is_in_the_language_in_use_when_the_error_is_made(
    pseudo: None,
) -> None:
    """A default next step is set at import; it must not stay English for a French reader."""
    for error in (
        DeviceGone("X1", "gone"),
        DeviceUnauthorized("X1", "waiting"),
        AttestationInvalid("bad"),
        KeyringUnavailable("no keyring"),
    ):
        assert error.next_step.startswith(WRAPPED), error.next_step
    assert Cancelled().message.startswith(WRAPPED)


def test_english_next_steps_are_as_they_were() -> None:
    assert DeviceGone("X1", "gone").next_step == (
        "Check the USB cable, plug the phone in again and scan again."
    )
    assert DeviceUnauthorized("X1", "x").next_step == (
        "Unlock the phone and tap Allow on 'Allow USB debugging?'."
    )
    assert Cancelled().message == "Cancelled."


def test_a_file_error_names_the_file_and_the_problem_in_the_language_in_use(
    pseudo: None,
) -> None:
    """The kind of file ("policy file") and a problem given as a marked constant (TOO_DEEP,
    which several readers raise as it is) are translated where the message is made."""
    error = PolicyError("/tmp/p.toml", TOO_DEEP, line=3)
    assert error.message.startswith(WRAPPED)
    assert pseudo_text("policy file") in error.message
    assert pseudo_text(TOO_DEEP) in error.message
    assert "/tmp/p.toml" in error.message and "3" in error.message


def test_english_file_errors_read_as_before() -> None:
    error = InventoryFileError("inv.json", "this key is missing", key="device.id", line=2)
    assert error.message == (
        "The inventory file inv.json, line 2, key 'device.id' is not valid: this key is missing"
    )
    assert (
        error.next_step == "Fix the inventory file and load it again; nothing was loaded from it."
    )


def test_an_inventory_read_in_another_language_says_what_is_wrong_in_it(
    pseudo: None, tmp_path: Path
) -> None:
    bad = tmp_path / "inv.json"
    bad.write_text('{"format": "device-audit-inventory", "started_at": "soon"}', "utf-8")
    with pytest.raises(InventoryFileError) as raised:
        inventory.load(bad)
    message = raised.value.message
    assert message.startswith(WRAPPED) and "'soon'" in message and "started_at" in message
    assert raised.value.next_step.startswith(WRAPPED)


def test_the_export_column_of_how_a_device_was_reached_never_changes_with_the_language(
    pseudo: None,
) -> None:
    """The compliance office's tools read the export: its words stay English; a person's
    screen gets them in the language in use."""
    network = Connection(ConnectionKind.NETWORK, address="192.168.1.20:5555")
    cases = {
        None: "not recorded (made before Device Audit recorded how a device was reached)",
        network: "over the network, not a USB cable (192.168.1.20:5555)",
        Connection(ConnectionKind.USB, usb_path="1-1.2"): "by USB cable (USB port 1-1.2)",
        Connection(ConnectionKind.DEMO): (
            "inside the app: Device Audit's demo phone, no phone at all"
        ),
    }
    for connection, english in cases.items():
        assert reached_words(connection, translated=False) == english
        shown = reached_words(connection)
        assert shown.startswith(WRAPPED) and shown != english
    assert "192.168.1.20:5555" in reached_words(network)


def test_profiles_and_states_are_named_in_the_language_in_use(pseudo: None) -> None:
    work = profile_words("10", "Work profile", UserKind.WORK_PROFILE)
    assert work.label == pseudo_text("Work profile")
    assert work.name == pseudo_text("the Work profile")
    assert pseudo_text("the Work profile") in work.where
    unknown = profile_words("12")
    assert unknown.label.startswith(WRAPPED) and "12" in unknown.label
    said = explained(AppState.HIDDEN, work.name)
    assert pseudo_text("hidden (frozen)") in said and pseudo_text("the Work profile") in said
    assert how_to_remove(AppState.OFFLOADED).startswith(WRAPPED)


def test_profile_and_state_words_read_as_before_in_english() -> None:
    work = profile_words("10", "Work profile", UserKind.WORK_PROFILE)
    assert (work.label, work.name, work.lower, work.where) == (
        "Work profile",
        "the Work profile",
        "the work profile",
        "in the Work profile",
    )
    assert profile_words("12").where == "for user 12"
    assert profile_words("11", "", UserKind.SECONDARY).name == "the user user 11"
    assert explained(AppState.HIDDEN, "the Work profile") == (
        "hidden (frozen) in the Work profile: still on the phone, the person can bring it back "
        "in one tap"
    )


def test_a_mixed_alphabet_name_is_refused_in_the_language_in_use(pseudo: None) -> None:
    """The callers pass "staff id" as it is: it is translated here all the same."""
    refusal = mixed_alphabets("staff id", "P\u0421-1042")  # a Cyrillic С among Latin letters
    assert refusal.startswith(WRAPPED)
    assert pseudo_text("staff id") in refusal and pseudo_text("Cyrillic") in refusal


def test_a_switched_off_demo_phone_says_so_in_the_language_in_use(pseudo: None) -> None:
    switch_off()
    with pytest.raises(DeviceGone) as raised:
        phone_at(DEMO_ADDRESS)
    assert raised.value.message == pseudo_text("The demo phone is switched off.")
    assert raised.value.next_step.startswith(WRAPPED)
