"""The statement a person agrees to before an attestation is signed, in plain words.

The text is signed into the receipt as it was shown, so whoever reads the receipt later reads
exactly what the person agreed to. The templates are ours; the values (names, device, policy)
are filled in with str.format, so braces in a name are kept literally.

The text is in the language the person reads (audit.i18n), and the receipt records that
language beside it (predicate.language), so a reader knows what was read and signed.
"""

from __future__ import annotations

from datetime import date

from audit.attestation import Attester
from audit.i18n import N_, _, pgettext, record_date
from audit.model import Device, DeviceKind, Policy

# Translators: the statement a staff member signs about their own device. {device} reads like
# "the phone Galaxy S23 (serial R58M123)"; keep every {placeholder}.
SELF_TEMPLATE = N_(
    "I, {name} (staff id {staff_id}), checked {device} on {date} against the policy "
    '"{policy}". Every app that policy bans has been removed from the device, or is covered by '
    "an exemption listed in this record. I have not hidden any app or user profile from this "
    "check, and I will not install a banned app on this device again while the policy applies "
    "to it. I understand that this statement is signed and kept as a record."
)

# Translators: the statement a technician signs on a staff member's behalf.
TECHNICIAN_TEMPLATE = N_(
    "I, {technician}, audited {device} on {date} on behalf of {name} (staff id {staff_id}), "
    'against the policy "{policy}". Every app that policy bans has been removed from the '
    "device, or is covered by an exemption listed in this record. {name} was told what was "
    "removed and agreed to this record being made. I understand that this statement is signed "
    "and kept as a record."
)


def statement_text(
    *,
    name: str,
    staff_id: str,
    device: str,
    policy: str,
    day: date,
    technician: str = "",
) -> str:
    """The statement for a person attesting themselves, or a technician on their behalf."""
    template = TECHNICIAN_TEMPLATE if technician.strip() else SELF_TEMPLATE
    return _(template).format(
        name=name.strip(),
        staff_id=staff_id.strip(),
        device=device.strip() or _("this device"),
        policy=policy.strip(),
        date=record_date(day),
        technician=technician.strip(),
    )


def describe_device(device: Device) -> str:
    """How the statement names a device: "the phone Galaxy S23 (serial R58M123)"."""
    if device.kind is DeviceKind.ANDROID:
        name = device.name or device.model
        if device.serial:
            return _("the phone {name} (serial {serial})").format(
                name=name or _("phone"), serial=device.serial
            )
        # Translators: {name} is a phone's name or model ("the Galaxy S23").
        return pgettext("a phone", "the {name}").format(name=name) if name else _("the phone")
    if device.kind is DeviceKind.IOS:
        return _("the iPhone {name} (UDID {serial})").format(
            name=device.name or device.model or "iPhone", serial=device.serial
        )
    if device.name:
        return _("the computer {name}").format(name=device.name)
    return _("the computer")


def statement_for(attester: Attester, device: Device | str, policy: Policy, day: date) -> str:
    return statement_text(
        name=attester.name,
        staff_id=attester.staff_id,
        device=device if isinstance(device, str) else describe_device(device),
        policy=f"{policy.title} ({policy.id})" if policy.title else policy.id,
        day=day,
        technician=attester.technician,
    )
