"""The reference client, pymobiledevice3, accepts the simulated iPhone: it lists the phone,
opens a lockdown session over TLS with the pair record usbmuxd holds, reads the values, and
browses the apps (placeholders only when asked). The fake is held to a real client this way,
not to the project's own. pymobiledevice3 (GPL, about 70 packages) is for the tests only, never
in the app (pip install pymobiledevice3); without it this test is skipped, saying so."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.audit.ios.conftest import Start

pytest.importorskip(
    "pymobiledevice3", reason="the reference client is not installed: pip install pymobiledevice3"
)

UDID = "00008120-000C45A21E38C01E"


async def _session(address: str, records: Path) -> dict[str, Any]:
    from pymobiledevice3 import usbmux
    from pymobiledevice3.lockdown import create_using_usbmux
    from pymobiledevice3.services.installation_proxy import InstallationProxyService

    devices = await usbmux.list_devices(usbmux_address=address)
    lockdown = await create_using_usbmux(
        serial=UDID,
        usbmux_address=address,
        autopair=False,
        pairing_records_cache_folder=records,
    )
    try:
        proxy = InstallationProxyService(lockdown=lockdown)
        attributes = ["CFBundleIdentifier", "IsDemotedApp", "ApplicationType"]
        with_placeholders = await proxy.browse(
            {"ApplicationType": "Any", "ShowPlaceholders": True}, attributes
        )
        without = await proxy.get_apps(application_type="Any")
        await proxy.close()
        return {
            "devices": [(d.serial, d.connection_type) for d in devices],
            "paired": lockdown.paired,
            "values": dict(lockdown.all_values),
            "with_placeholders": with_placeholders,
            "without": without,
        }
    finally:
        await lockdown.close()


def test_pymobiledevice3_accepts_the_simulator(iphones: Start, tmp_path: Path) -> None:
    mux = iphones("tiktok-offloaded")
    seen = asyncio.run(_session(mux.address, tmp_path))
    assert seen["devices"] == [(UDID, "USB")]
    assert seen["paired"] is True  # the TLS session with the pair record from usbmuxd
    values = seen["values"]
    assert (values["UniqueDeviceID"], values["ProductVersion"]) == (UDID, "18.1")
    assert values["DeviceName"] == "Alex iPhone 15"
    offloaded = [a for a in seen["with_placeholders"] if a.get("IsDemotedApp")]
    assert [a["CFBundleIdentifier"] for a in offloaded] == ["com.zhiliaoapp.musically"]
    assert {a["ApplicationType"] for a in seen["with_placeholders"]} == {"User", "System"}
    assert "com.zhiliaoapp.musically" not in seen["without"]  # no placeholders asked for
    assert len(seen["without"]) == len(seen["with_placeholders"]) - 1
