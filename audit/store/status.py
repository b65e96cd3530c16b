"""A recorded status as it stands on a later day.

An audit records the status on the day it was made. Two things change it afterwards without a
new audit: the deadline passing (a non-compliant device becomes overdue, as the policy engine
would judge it that day), and the exemption a device relied on expiring (it is no longer covered,
so it counts as non-compliant until it is audited again). The dashboard, its chart and the export
all use this one rule.
"""

from __future__ import annotations

from datetime import date

from audit.model import DeviceStatus


def status_on(
    recorded: DeviceStatus,
    day: date,
    *,
    deadline: date | None,
    exemption_expires: date | None,
) -> DeviceStatus:
    status = recorded
    if (
        status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS
        and exemption_expires is not None
        and day > exemption_expires
    ):
        status = DeviceStatus.NON_COMPLIANT
    if status is DeviceStatus.NON_COMPLIANT and deadline is not None and day > deadline:
        status = DeviceStatus.OVERDUE
    return status
