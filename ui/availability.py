"""When Remove… and Attest… can be used, and in words why not.

A greyed-out button that does not say why is a dead end for someone who is not technical, so
each rule gives the sentence the tool tip and the status bar show. A pure function of plain
facts, tested without a window.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.i18n import N_, _, ngettext
from audit.model import DeviceState, DeviceStatus


@dataclass(frozen=True)
class ActionFacts:
    """What the main window knows about the selected device."""

    is_phone: bool
    state: DeviceState
    policy_chosen: bool
    scanning: bool
    scanned: bool  # a scan judged against the policy is there
    complete: bool  # that scan saw everything
    status: DeviceStatus | None
    violations: int
    wizard_open: bool = False
    unsigned: bool = False  # a removal on it waits to be signed (its window was closed)


@dataclass(frozen=True)
class Availability:
    enabled: bool
    why: str  # what the action does when enabled; why it cannot be used when not


REMOVE_SHORTCUT = "Ctrl+R"
ATTEST_SHORTCUT = "Ctrl+Shift+A"
SHOW_OPEN = N_("The removal window for this device is open: show it.")


def _blocked(facts: ActionFacts) -> str:
    """Why neither action can be used now; "" when both may be considered."""
    if not facts.policy_chosen:
        return _("Choose a policy first: it says which apps are banned.")
    if facts.state is DeviceState.GONE:
        return _(
            "The phone is unplugged. Plug it in again: removing apps and checking again need "
            "the phone."
        )
    if facts.state is not DeviceState.READY:
        return _("The phone is not ready: follow the advice under the list of devices first.")
    if facts.scanning:
        return _("Wait for the check to finish.")
    if not facts.scanned:
        return _("Check the device first (Scan, F5).")
    if not facts.complete or facts.status is DeviceStatus.INCOMPLETE:
        return _(
            "The last check could not see everything. Scan again (F5) before removing apps "
            "or signing."
        )
    return ""


def remove_availability(facts: ActionFacts) -> Availability:
    if facts.wizard_open:
        return Availability(True, _(SHOW_OPEN))
    blocked = _blocked(facts)
    if blocked:
        return Availability(False, blocked)
    if facts.violations == 0 and facts.unsigned:
        return Availability(
            False,
            _(
                "Nothing left to remove. To sign the record of the apps removed, choose Attest… "
                "({shortcut})."
            ).format(shortcut=ATTEST_SHORTCUT),
        )
    if facts.violations == 0:
        return Availability(False, _("Nothing to remove: no banned app was found on this device."))
    count = facts.violations
    return Availability(
        True,
        ngettext(
            "Remove the {count} banned app step by step, check the device again and sign a "
            "record ({shortcut}).",
            "Remove the {count} banned apps step by step, check the device again and sign a "
            "record ({shortcut}).",
            count,
        ).format(count=count, shortcut=REMOVE_SHORTCUT),
    )


def attest_availability(facts: ActionFacts) -> Availability:
    if facts.wizard_open:
        return Availability(True, _(SHOW_OPEN))
    blocked = _blocked(facts)
    if blocked:
        return Availability(False, blocked)
    if facts.unsigned:
        text = _(
            "Check the device again and sign the record of the apps removed earlier ({shortcut})."
        )
    elif facts.violations:
        text = _(
            "Banned apps are still on this device: remove them first (Remove…), or sign a "
            "report that they remain ({shortcut})."
        )
    else:
        text = _(
            "Check the device once more and sign a statement that it is compliant ({shortcut})."
        )
    return Availability(True, text.format(shortcut=ATTEST_SHORTCUT))
