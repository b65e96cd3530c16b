"""State icons, drawn from SVG files in resources/icons so they stay sharp at any scale.

Each status has its own shape as well as its own colour (octagon with a cross, triangle with an
exclamation mark, circle with a tick...), so no state is told by colour alone.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from audit.model import DeviceState, DeviceStatus, FindingStatus
from audit.paths import resource

FINDING_ICONS = {
    FindingStatus.VIOLATION: "violation",
    FindingStatus.REVIEW: "review",
    FindingStatus.EXCEPTED: "excepted",
    FindingStatus.RESOLVED: "resolved",
}

STATUS_ICONS = {
    DeviceStatus.COMPLIANT: "ok",
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: "excepted",
    DeviceStatus.NON_COMPLIANT: "violation",
    DeviceStatus.OVERDUE: "overdue",
    DeviceStatus.INCOMPLETE: "incomplete",
}


def path(name: str) -> str:
    return str(resource("icons", f"{name}.svg"))


@cache
def icon(name: str) -> QIcon:
    return QIcon(path(name))


def finding_icon(status: FindingStatus) -> QIcon:
    return icon(FINDING_ICONS[status])


def status_icon(status: DeviceStatus | None) -> QIcon:
    return icon(STATUS_ICONS[status]) if status is not None else icon("unknown")


def state_icon(state: DeviceState | str) -> QIcon:
    """Connection states, plus the scan states "scanning" and "failed"."""
    value = state.value if isinstance(state, DeviceState) else state
    return icon(f"state-{value}")
