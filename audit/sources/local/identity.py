"""Who this computer is: host name, operating system, user, and a stable id.

The id must stay the same across scans and reboots, so that history and attestations follow one
machine, and must not leak the machine's own identifier (systemd asks that /etc/machine-id never
be exposed). It is a keyed hash of the platform's machine id: /etc/machine-id on Linux,
MachineGuid on Windows, IOPlatformUUID on macOS. Only the hash leaves this module.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from audit.model import Connection, ConnectionKind, Device, DeviceKind, Platform
from audit.sources.local.base import LocalRoots

if TYPE_CHECKING:
    from audit.sources.local.registry import RegistryReader

# The macOS and Windows readers (plist, registry) are imported by _macos and _windows, only on
# that OS: a Linux scan does not load them (issue 15).

log = logging.getLogger(__name__)

_HASH_KEY = b"device-audit machine id\0"
_IOREG_UUID = re.compile(r'"IOPlatformUUID"\s*=\s*"([^"]+)"')
_IOREG_MODEL = re.compile(r'"model"\s*=\s*<"([^"]+)">')
_WINDOWS_NT = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion"


def device_id(machine_id: str) -> str:
    """'local:' + 16 hex digits of a keyed sha256: stable, and not the raw id."""
    digest = hashlib.sha256(_HASH_KEY + machine_id.strip().lower().encode("utf-8")).hexdigest()
    return f"local:{digest[:16]}"


def parse_os_release(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, equals, value = line.strip().partition("=")
        if equals and key and not key.startswith("#"):
            fields[key] = value.strip().strip("\"'")
    return fields


def parse_ioreg(text: str) -> tuple[str, str]:
    """(IOPlatformUUID, model) from `ioreg -rd1 -c IOPlatformExpertDevice`."""
    uuid = _IOREG_UUID.search(text)
    model = _IOREG_MODEL.search(text)
    return (uuid.group(1) if uuid else "", model.group(1) if model else "")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _linux(ctx: LocalRoots) -> dict[str, str]:
    release = parse_os_release(
        _read(ctx.path("/etc/os-release")) or _read(ctx.path("/usr/lib/os-release"))
    )
    return {
        "machine_id": _read(ctx.path("/etc/machine-id"))
        or _read(ctx.path("/var/lib/dbus/machine-id")),
        "os_name": release.get("NAME", "Linux"),
        "os_version": release.get("VERSION", release.get("VERSION_ID", "")),
        "build": _read(ctx.path("/proc/sys/kernel/osrelease")),
        "manufacturer": _read(ctx.path("/sys/class/dmi/id/sys_vendor")),
        "model": _read(ctx.path("/sys/class/dmi/id/product_name")),
    }


def _registry_value(registry: RegistryReader, path: str, *names: str) -> list[str]:
    from audit.sources.local.registry import Hive
    from audit.sources.local.windows_registry import text

    try:
        values = registry.values(Hive.HKLM, path)
    except OSError:
        return ["" for _ in names]
    return [text(values.get(name)) for name in names]


def windows_product(name: str, build: str) -> str:
    """Windows 11 still calls itself "Windows 10" in ProductName; its build number tells."""
    if name.startswith("Windows 10") and build.isdigit() and int(build) >= 22000:
        return "Windows 11" + name[len("Windows 10") :]
    return name


def _windows(ctx: LocalRoots) -> dict[str, str]:
    if ctx.registry is None:
        return {"os_name": "Windows"}
    (guid,) = _registry_value(ctx.registry, r"SOFTWARE\Microsoft\Cryptography", "MachineGuid")
    product, display, build, ubr = _registry_value(
        ctx.registry, _WINDOWS_NT, "ProductName", "DisplayVersion", "CurrentBuild", "UBR"
    )
    maker, model = _registry_value(
        ctx.registry, r"HARDWARE\DESCRIPTION\System\BIOS", "SystemManufacturer", "SystemProductName"
    )
    return {
        "machine_id": guid,
        "os_name": windows_product(product, build) or "Windows",
        "os_version": display,
        "build": f"{build}.{ubr}" if build and ubr else build,
        "manufacturer": maker,
        "model": model,
    }


def _macos(ctx: LocalRoots) -> dict[str, str]:
    from audit.sources.local.macos_bundles import PlistError, parse_plist

    found = {"os_name": "macOS"}
    try:
        version = parse_plist(
            ctx.path("/System/Library/CoreServices/SystemVersion.plist").read_bytes()
        )
        found["os_name"] = str(version.get("ProductName", "macOS"))
        found["os_version"] = str(version.get("ProductVersion", ""))
        found["build"] = str(version.get("ProductBuildVersion", ""))
    except (OSError, PlistError):
        pass
    try:
        done = ctx.run(["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"])
        uuid, model = parse_ioreg(done.stdout.decode("utf-8", "replace"))
        found.update(machine_id=uuid, model=model, manufacturer="Apple" if model else "")
    except Exception as exc:  # a missing or hung ioreg must not stop the scan
        log.info("could not read this Mac's hardware id: %s", exc)
    return found


def _hostname() -> str:
    """The host name the operating system gives. On Linux and macOS that is uname's node name,
    which is what socket.gethostname() returns there too; the socket module (and platform) are
    loaded only where there is no uname (Windows): issue 15."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import platform
    import socket

    return socket.gethostname() or platform.node()


# This computer is read directly, by the program running on it: signed into its receipts as such.
THIS_COMPUTER = Connection(ConnectionKind.THIS_COMPUTER)


def identify(ctx: LocalRoots) -> Device:
    """This computer's identity; never raises (what cannot be read is left empty)."""
    readers = {Platform.WINDOWS: _windows, Platform.MACOS: _macos}
    facts = readers.get(ctx.platform, _linux)(ctx)
    hostname = ctx.hostname or _hostname() or "this computer"
    machine_id = facts.get("machine_id", "")
    if not machine_id:
        # Still stable while the host name is; said in the log, as it is weaker.
        log.info("no machine id found; this computer's id is derived from its host name")
        machine_id = "host:" + hostname
    return Device(
        id=device_id(machine_id),
        kind=DeviceKind.COMPUTER,
        name=hostname,
        manufacturer=facts.get("manufacturer", ""),
        model=facts.get("model", ""),
        os_name=facts.get("os_name", ""),
        os_version=facts.get("os_version", ""),
        build=facts.get("build", ""),
        user=ctx.user,
        connection=THIS_COMPUTER,
    )
