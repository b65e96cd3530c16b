"""Windows desktop programs, from the Uninstall registry keys "Programs and Features" reads.

Three places: HKLM's 64-bit view, its 32-bit view (WOW6432Node) and the signed-in user's HKCU,
where per-user installers (CapCut, Lark) and browsers' web apps register. We list what Programs
and Features lists: entries with a DisplayName, minus system components and updates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from audit.i18n import _
from audit.model import IdentifierKind, InstalledApp, InstallOrigin, Platform
from audit.sources.local.base import (
    SYSTEM_USER,
    CollectorAbsent,
    CollectorOutput,
    LocalRoots,
    cannot_read,
)
from audit.sources.local.registry import REG_EXPAND_SZ, Hive, RegValue

UNINSTALL = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
UNINSTALL_32 = r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall"
_UPDATE_TYPES = frozenset({"update", "hotfix", "security update", "service pack"})
_WEB_APP_SWITCH = "--uninstall-app-id="
_DATE = re.compile(r"^0?(\d{4})-?(\d{2})-?(\d{2})$")  # 20230317, 2023-03-17; Chrome: 020230317


def text(value: RegValue | None, expand: Callable[[str], str] = str) -> str:
    """A value as text, whatever type an installer wrote it with; "" when missing."""
    if value is None:
        return ""
    data = value.data
    if isinstance(data, bytes):  # REG_BINARY where text belongs: most such installers wrote UTF-16
        decoded = (
            data.decode("utf-16-le", "replace") if len(data) % 2 == 0 else data.decode("latin-1")
        )
        data = decoded
    if isinstance(data, list):
        data = " ".join(data)
    if data is None:
        return ""
    result = str(data).split("\0", 1)[0].strip()
    return expand(result) if value.type == REG_EXPAND_SZ else result


def flag(value: RegValue | None) -> bool:
    """A DWORD (or string) flag such as SystemComponent=1."""
    if value is None:
        return False
    if isinstance(value.data, int):
        return value.data != 0
    return text(value) not in ("", "0")


def install_date(raw: str) -> datetime | None:
    match = _DATE.match(raw.strip())
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        return None


def _browser(publisher: str) -> str:
    """Chrome registers its web apps with Publisher "Google\\Chrome": name the browser."""
    return publisher.replace("\\", " ").strip() or "a browser"


def arp_app(
    key: str,
    values: Mapping[str, RegValue],
    *,
    installer: str,
    user: str,
    collector: str,
    expand: Callable[[str], str] = str,
) -> InstalledApp | None:
    """The app an Uninstall key describes, or None when Programs and Features hides it."""
    name = text(values.get("DisplayName"), expand)
    if not name or flag(values.get("SystemComponent")):
        return None
    if text(values.get("ParentKeyName")) or (
        text(values.get("ReleaseType")).lower() in _UPDATE_TYPES
    ):
        return None  # an update of another entry, listed under "Installed updates"
    uninstall = text(values.get("UninstallString"), expand)
    publisher = text(values.get("Publisher"), expand)
    web_app = _WEB_APP_SWITCH in uninstall
    return InstalledApp(
        identifier=key,
        kind=IdentifierKind.ARP_KEY,
        name=name,
        version=text(values.get("DisplayVersion"), expand),
        # A web app's Publisher is the browser; the site is the real publisher, and unknown.
        publisher="" if web_app else publisher,
        installer=f"{_browser(publisher)} web app ({installer})" if web_app else installer,
        origin=InstallOrigin.BROWSER if web_app else InstallOrigin.UNKNOWN,
        user=user,
        system=flag(values.get("NoRemove")),
        location=text(values.get("InstallLocation"), expand),
        installed_at=install_date(text(values.get("InstallDate"))),
        collector=collector,
        uninstall_command=uninstall,
        quiet_uninstall_command=text(values.get("QuietUninstallString"), expand),
    )


class WindowsRegistryCollector:
    name = "windows uninstall registry"
    platform: Platform | None = Platform.WINDOWS
    runs_program = False

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        registry = ctx.registry
        if registry is None:
            raise CollectorAbsent(_("no Windows registry"))
        out = CollectorOutput()
        places = (
            (Hive.HKLM, UNINSTALL, "HKLM 64-bit", SYSTEM_USER),
            (Hive.HKLM, UNINSTALL_32, "HKLM 32-bit", SYSTEM_USER),
            (Hive.HKCU, UNINSTALL, "HKCU", ctx.user),
        )
        for hive, path, label, user in places:
            try:
                keys = registry.subkeys(hive, path)
            except FileNotFoundError:
                continue  # a 32-bit Windows has no WOW6432Node; a new user may have no key
            except OSError as exc:
                out.problems.append(cannot_read(f"{hive}\\{path}", exc.strerror or exc))
                continue
            for key in keys:
                try:
                    values = registry.values(hive, f"{path}\\{key}")
                except FileNotFoundError:
                    continue  # uninstalled while we read
                except OSError as exc:
                    out.problems.append(
                        _("cannot read the Uninstall key {key} ({place}): {problem}").format(
                            key=repr(key), place=label, problem=exc.strerror or exc
                        )
                    )
                    continue
                app = arp_app(
                    key,
                    values,
                    installer=label,
                    user=user,
                    collector=self.name,
                    expand=registry.expand,
                )
                if app is not None:
                    out.apps.append(app)
        return out
