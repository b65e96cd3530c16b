"""installation_proxy: the phone's list of apps and one app removed; and what one entry of
that list becomes in an inventory.

Browse asks for user AND system apps WITH placeholders: an offloaded app (Settings > General >
iPhone Storage > Offload App) is listed only when ShowPlaceholders is sent, and it is not gone:
its data stays and one tap on its icon downloads it again. It becomes AppState.OFFLOADED, never
"absent". Only the attributes needed are asked for. The App Store id and the seller come from
iTunesMetadata, which also carries the buyer's Apple ID, name and account number: those are read
past and dropped here, never stored, never signed.
"""

from __future__ import annotations

import plistlib
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.i18n import _
from audit.model import AppId, AppState, IdentifierKind, InstalledApp, InstallOrigin
from audit.progress import CancelCheck, raise_if_cancelled
from audit.sources.ios.wire import WireError, read_plist, send_plist
from audit.text import visible

SERVICE = "com.apple.mobile.installation_proxy"
COLLECTOR = "installation_proxy"
USER = "mobile"  # an iPhone has one user; iOS names its account "mobile"
ATTRIBUTES = [
    "CFBundleIdentifier",
    "CFBundleDisplayName",
    "CFBundleName",
    "CFBundleShortVersionString",
    "CFBundleVersion",
    "ApplicationType",
    "IsDemotedApp",  # offloaded ("demoted"): data kept, one tap brings it back
    "IsPlaceholder",  # being downloaded or restored: on its way back
    "iTunesMetadata",  # App Store id and seller; the buyer's details are dropped
]
_MAX_ID = 255
_MAX_TEXT = 500


@dataclass
class Browsed:
    """What one Browse returned: the entries, and whether the phone said it had finished."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None  # how many apps the phone said it would send
    complete: bool = False
    problem: str = ""  # why it stopped early, in words


class InstallationProxy:
    """Requests to installation_proxy over a socket lockdownd opened for it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def close(self) -> None:
        self.sock.close()

    def browse(
        self,
        on_chunk: Callable[[int, int | None], None] | None = None,
        cancelled: CancelCheck | None = None,
    ) -> Browsed:
        """Every app, user and system, placeholders included. A cable pulled half-way leaves
        what came so far with `complete` False and the reason: never an exception that loses
        the partial list, never a list that looks whole."""
        options = {
            "ApplicationType": "Any",
            "ShowPlaceholders": True,
            "ReturnAttributes": ATTRIBUTES,
        }
        result = Browsed()
        try:
            send_plist(self.sock, {"Command": "Browse", "ClientOptions": options})
            while True:
                if cancelled is not None:
                    raise_if_cancelled(cancelled)
                answer = read_plist(self.sock)
                if "Error" in answer:
                    result.problem = _("the phone stopped the list: {problem}").format(
                        problem=_words(answer)
                    )
                    return result
                chunk = answer.get("CurrentList")
                if isinstance(chunk, list):
                    result.entries += [e for e in chunk if isinstance(e, dict)]
                total = answer.get("Total")
                if isinstance(total, int) and total >= 0:
                    result.total = total
                if on_chunk is not None:
                    on_chunk(len(result.entries), result.total)
                if answer.get("Status") == "Complete":
                    result.complete = True
                    return result
        except WireError as error:
            result.problem = error.message
            return result

    def uninstall(
        self, bundle_id: str, on_progress: Callable[[int, str], None] | None = None
    ) -> Uninstalled:
        """Ask the phone to delete the app (and its data); its exact answer comes back."""
        request = {"Command": "Uninstall", "ApplicationIdentifier": bundle_id, "ClientOptions": {}}
        send_plist(self.sock, request)
        steps: list[str] = []
        while True:
            answer = read_plist(self.sock)
            if "Error" in answer:
                code = str(answer.get("Error"))[:80]
                return Uninstalled(False, code, _words(answer), tuple(steps))
            status = answer.get("Status")
            if isinstance(status, str):
                if not steps or steps[-1] != status[:80]:
                    steps.append(status[:80])
                percent = answer.get("PercentComplete")
                if on_progress is not None and isinstance(percent, int):
                    on_progress(percent, status[:80])
                if status == "Complete":
                    return Uninstalled(True, "", "", tuple(steps))


@dataclass(frozen=True)
class Uninstalled:
    ok: bool
    code: str  # installation_proxy's error word, e.g. UninstallProhibited
    description: str  # its ErrorDescription, as the phone wrote it
    steps: tuple[str, ...]  # the statuses it reported along the way


def _words(answer: Mapping[str, Any]) -> str:
    """The phone's own error words, made safe to show (they are the phone's to choose)."""
    code = visible(str(answer.get("Error", ""))[:80])
    detail = answer.get("ErrorDescription")
    return f"{code} ({visible(detail[:300])})" if isinstance(detail, str) and detail else code


def _text(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return value if len(value) <= _MAX_TEXT else value[: _MAX_TEXT - 1] + "…"


def store_facts(metadata: object) -> tuple[int | None, str]:
    """The App Store id and the seller from iTunesMetadata, and nothing else from it: the
    buyer's Apple ID, name and account number in the same blob are never kept."""
    if not isinstance(metadata, bytes) or len(metadata) > 1 << 20:
        return None, ""
    try:
        info = plistlib.loads(metadata)
    except Exception:
        return None, ""
    if not isinstance(info, dict):
        return None, ""
    item = info.get("itemId")
    if isinstance(item, str) and item.isdigit() and len(item) < 16:
        item = int(item)
    item_id = item if isinstance(item, int) and not isinstance(item, bool) and item > 0 else None
    seller = _text(info.get("artistName")) or _text(info.get("sellerName"))
    return item_id, seller


def to_app(entry: Mapping[str, Any]) -> InstalledApp | None:
    """One Browse entry as an app; None when it has no usable bundle id."""
    bundle = entry.get("CFBundleIdentifier")
    if not isinstance(bundle, str) or not bundle or len(bundle) > _MAX_ID:
        return None
    item_id, seller = store_facts(entry.get("iTunesMetadata"))
    offloaded = entry.get("IsDemotedApp") is True or entry.get("IsPlaceholder") is True
    kind = entry.get("ApplicationType")
    system = isinstance(kind, str) and kind != "User"
    build = entry.get("CFBundleVersion")
    code = int(build) if isinstance(build, str) and build.isdigit() and len(build) < 16 else None
    if item_id is not None:
        origin = InstallOrigin.STORE
    elif system:
        origin = InstallOrigin.PREINSTALLED
    else:
        origin = InstallOrigin.UNKNOWN  # TestFlight, a company's own app, a developer build
    return InstalledApp(
        identifier=bundle,
        kind=IdentifierKind.IOS_BUNDLE,
        name=_text(entry.get("CFBundleDisplayName")) or _text(entry.get("CFBundleName")),
        version=_text(entry.get("CFBundleShortVersionString")),
        version_code=code,
        publisher=seller,
        installer="App Store" if item_id is not None else "",
        origin=origin,
        user=USER,
        state=AppState.OFFLOADED if offloaded else AppState.INSTALLED,
        system=system,
        other_ids=(AppId(IdentifierKind.APPSTORE_ID, str(item_id)),) if item_id else (),
        collector=COLLECTOR,
        state_confirmed=True,  # read from the phone's own record of the app
    )
