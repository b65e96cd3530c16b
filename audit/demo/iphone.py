"""The demo iPhone: an iPhone held in memory, beside the demo Android phone, so a new user can
walk an iPhone's whole flow (an offloaded TikTok found, deleted, the rescan proving it) without
one.

It keeps its apps as installation_proxy's entries and reads them through the very code that
reads a real iPhone's (audit.sources.ios: apps.to_app, scan.inventory_from), and it answers
Uninstall with the statuses a real one sends, turned into words by the same function
(removal.answered). There is no usbmuxd, no socket and no TLS behind it: nothing outside the
app can reach it. Its Device is simulated by construction, with a DEMO connection, as for the
demo phone (phone.py): a device never makes itself "simulated" by saying so.
"""

from __future__ import annotations

import plistlib
import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from audit.addresses import DEMO_IPHONE_ADDRESS
from audit.errors import ActionFailed
from audit.i18n import _
from audit.model import ActionResult, Connection, ConnectionKind, ScanResult, UserKind, UserProfile
from audit.progress import CancelCheck, Progress, never_cancelled, no_progress, raise_if_cancelled

if TYPE_CHECKING:
    from audit.remediation.steps import Step

DEMO_IPHONE_UDID = "DEMO IPHONE 0001"
DEMO_IPHONE_NAME = "Demo iPhone"

_VALUES = {
    "DeviceName": DEMO_IPHONE_NAME,
    "ProductType": "iPhone15,4",
    "ProductVersion": "18.1",
    "BuildVersion": "22B83",
    "DeviceClass": "iPhone",
    "UniqueDeviceID": DEMO_IPHONE_UDID,
}

_SYSTEM = ("Camera", "Photos", "Messages", "Mail", "Safari", "Maps", "Settings", "Wallet")
_STORE = (  # bundle id, name, version, App Store id, seller
    ("com.zhiliaoapp.musically", "TikTok", "36.5.0", 835599320, "TikTok Ltd."),
    ("com.google.chrome.ios", "Chrome", "131.0.6778.73", 535886823, "Google LLC"),
    ("net.whatsapp.WhatsApp", "WhatsApp", "24.23.79", 310633997, "WhatsApp Inc."),
    ("com.microsoft.Office.Outlook", "Outlook", "4.2446.0", 951937596, "Microsoft Corporation"),
)
OFFLOADED = "com.zhiliaoapp.musically"  # offloaded: icon and data kept, one tap away


def _entries() -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for name in _SYSTEM:
        bundle = "com.apple." + name.lower()
        entries[bundle] = {
            "CFBundleIdentifier": bundle,
            "CFBundleDisplayName": name,
            "CFBundleShortVersionString": "18.1",
            "ApplicationType": "System",
        }
    for bundle, name, version, item, seller in _STORE:
        metadata = {"itemId": item, "artistName": seller, "itemName": name}
        entries[bundle] = {
            "CFBundleIdentifier": bundle,
            "CFBundleDisplayName": name,
            "CFBundleShortVersionString": version,
            "ApplicationType": "User",
            "IsDemotedApp": bundle == OFFLOADED,
            "iTunesMetadata": plistlib.dumps(metadata, fmt=plistlib.FMT_BINARY),
        }
    return entries


class DemoIPhone:
    """See the module docstring. Safe from several threads; an Executor (`run`) for the steps
    of a removal plan made for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries = _entries()
        self.device = self._scan(no_progress, never_cancelled).device

    def scan(
        self, progress: Progress = no_progress, cancelled: CancelCheck = never_cancelled
    ) -> ScanResult:
        return self._scan(progress, cancelled)

    def _scan(self, progress: Progress, cancelled: CancelCheck) -> ScanResult:
        from audit.sources.ios import apps
        from audit.sources.ios.scan import identity, inventory_from
        from audit.sources.ios.usbmux import MuxDevice

        started = datetime.now(UTC)
        raise_if_cancelled(cancelled)
        progress(0.1, _("Reading the app list"))
        with self._lock:
            entries = [dict(e) for e in self._entries.values()]
        browsed = apps.Browsed(entries, len(entries), complete=True)
        found, report = inventory_from(browsed)
        mux_device = MuxDevice(0, DEMO_IPHONE_UDID, "USB")
        device = identity(_VALUES, mux_device, Connection(ConnectionKind.DEMO))
        device = replace(device, address=DEMO_IPHONE_ADDRESS, simulated=True)
        progress(1.0, _("Done"))
        return ScanResult(
            device=device,
            started_at=started,
            finished_at=datetime.now(UTC),
            apps=found,
            users=(UserProfile(apps.USER, "iPhone user", UserKind.OWNER),),
            sources=(report,),
        )

    def run(self, step: Step) -> ActionResult:
        """Delete the app a plan's automatic step names, answering as a real iPhone does."""
        from audit.remediation.steps import Operation, StepKind
        from audit.sources.ios.apps import Uninstalled
        from audit.sources.ios.removal import answered

        if step.kind is StepKind.MANUAL or step.operation is not Operation.IPHONE:
            raise ActionFailed(
                _("'{step}' is not something Device Audit does on an iPhone.").format(
                    step=step.title
                )
            )
        if step.target.device_id != self.device.id:
            raise ActionFailed(
                _("'{step}' is for {device}, not for the demo iPhone.").format(
                    step=step.title, device=step.target.device_id
                ),
                _("Choose the phone the plan was made for."),
            )
        with self._lock:
            found = self._entries.pop(step.target.identifier, None) is not None
        steps = ("RemovingApplication", "GeneratingApplicationMap") if found else ()
        return answered(step, Uninstalled(True, "", "", (*steps, "Complete")))
