"""macOS apps: the `.app` bundles in the Applications folders, read from their Info.plist.

Covers /Applications (and its subfolders, such as Utilities or a vendor's folder),
/System/Applications, and ~/Applications, where Chrome and Edge put the web apps a person
installs ("Chrome Apps.localized") and Safari puts its web apps. iPhone and iPad apps installed
on Apple silicon Macs are wrappers whose Info.plist sits in `Wrapper/<name>.app`; they carry an
iOS bundle id, which is how a Mac can have TikTok without a "Mac TikTok". A bundle inside
another bundle (a helper app) is part of that app and is not listed again.
"""

from __future__ import annotations

import plistlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.i18n import _
from audit.model import AppId, IdentifierKind, InstalledApp, InstallOrigin, Platform
from audit.sources.local.base import (
    SYSTEM_USER,
    CollectorAbsent,
    CollectorOutput,
    LocalRoots,
    is_dir,
    mtime,
    read_dir,
)
from audit.sources.local.linux_desktop import domain_of

MAX_DEPTH = 3  # /Applications/<vendor folder>/<subfolder>/X.app
MAX_PLIST_BYTES = 4 * 1024 * 1024
_COPYRIGHT_WORDS = re.compile(
    r"(copyright|\(c\)|©|all rights reserved\.?|\b\d{4}(\s*[-–]\s*\d{4})?\b,?)", re.IGNORECASE
)
# Chromium-family app shims: com.google.Chrome.app.<id>, com.microsoft.edgemac.app.<id>...
_CHROMIUM_SHIM = re.compile(
    r"^(com\.google\.Chrome|com\.microsoft\.edgemac|com\.brave\.Browser|"
    r"org\.chromium\.Chromium|com\.vivaldi\.Vivaldi)(?:\.\w+)*\.app\."
)
_BROWSERS = {
    "com.google.Chrome": "Google Chrome",
    "com.microsoft.edgemac": "Microsoft Edge",
    "com.brave.Browser": "Brave",
    "org.chromium.Chromium": "Chromium",
    "com.vivaldi.Vivaldi": "Vivaldi",
}
_SAFARI_WEB_APP = "com.apple.Safari.WebApp"


class PlistError(ValueError):
    pass


def parse_plist(data: bytes) -> dict[str, Any]:
    """An Info.plist in XML or binary form; PlistError when it is not a dictionary plist."""
    try:
        value = plistlib.loads(data)
    except Exception as exc:  # plistlib raises many types on malformed input; all mean "broken"
        raise PlistError(
            _("not a valid property list ({problem})").format(problem=type(exc).__name__)
        ) from None
    if not isinstance(value, dict):
        raise PlistError(_("the property list is not a dictionary"))
    return value


def _string(info: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = info.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            text = str(value).strip()
            if text:
                return text
    return ""


def publisher_from_copyright(text: str) -> str:
    """'Copyright © 2023 Bytedance Pte. Ltd. All rights reserved.' -> 'Bytedance Pte. Ltd.'"""
    cleaned = _COPYRIGHT_WORDS.sub(" ", text)
    return " ".join(cleaned.split()).strip(" ,;-")


@dataclass(frozen=True)
class Bundle:
    path: Path
    info: dict[str, Any]
    wrapped_ios: bool  # an iPhone/iPad app running on a Mac
    store_receipt: bool


def bundle_app(bundle: Bundle, *, user: str, system: bool, collector: str) -> InstalledApp:
    info = bundle.info
    bundle_id = _string(info, "CFBundleIdentifier")
    folder_name = bundle.path.name.removesuffix(".app")
    other_ids: list[AppId] = []
    origin = InstallOrigin.PREINSTALLED if system else InstallOrigin.UNKNOWN
    installer = "macOS" if system else ""
    if bundle.wrapped_ios and bundle_id:
        other_ids.append(AppId(IdentifierKind.IOS_BUNDLE, bundle_id))
        origin, installer = InstallOrigin.STORE, "App Store (iPhone/iPad app)"
    elif bundle.store_receipt:
        origin, installer = InstallOrigin.STORE, "Mac App Store"
    url = ""
    shim = _CHROMIUM_SHIM.match(bundle_id)
    if shim or "CrAppModeShortcutURL" in info:
        browser = _BROWSERS.get(shim.group(1), "a browser") if shim else "a browser"
        origin, installer = InstallOrigin.BROWSER, f"{browser} web app"
        url = _string(info, "CrAppModeShortcutURL")
    elif bundle_id.startswith(_SAFARI_WEB_APP):
        origin, installer = InstallOrigin.BROWSER, "Safari web app"
        manifest = info.get("Manifest")
        if isinstance(manifest, dict):
            url = _string(manifest, "start_url", "scope")
    domain = domain_of(url) if url else ""
    if domain:
        other_ids.append(AppId(IdentifierKind.DOMAIN, domain))
    web = origin is InstallOrigin.BROWSER
    copyright_text = _string(info, "NSHumanReadableCopyright")
    return InstalledApp(
        identifier=bundle_id or folder_name,
        kind=IdentifierKind.MACOS_BUNDLE,
        name=_string(info, "CFBundleDisplayName", "CFBundleName", "CrAppModeShortcutName")
        or folder_name,
        version=_string(info, "CFBundleShortVersionString", "CFBundleVersion"),
        publisher="" if web else publisher_from_copyright(copyright_text),
        installer=installer,
        origin=origin,
        user=user,
        system=system,
        location=str(bundle.path),
        installed_at=mtime(bundle.path),
        other_ids=tuple(other_ids),
        collector=collector,
    )


def read_bundle(path: Path) -> Bundle:
    """A bundle's Info.plist; raises PlistError or OSError when it has none that can be read."""
    candidates = [path / "Contents" / "Info.plist"]
    wrapper = path / "Wrapper"
    if wrapper.is_dir():
        candidates += sorted(wrapper.glob("*.app/Info.plist"))
    for candidate in candidates:
        try:
            with open(candidate, "rb") as handle:
                data = handle.read(MAX_PLIST_BYTES + 1)
        except FileNotFoundError:
            continue
        if len(data) > MAX_PLIST_BYTES:
            raise PlistError("its Info.plist is too large to be real")
        return Bundle(
            path=path,
            info=parse_plist(data),
            wrapped_ios=candidate.parent.name != "Contents",
            store_receipt=(path / "Contents" / "_MASReceipt" / "receipt").exists(),
        )
    raise PlistError(_("it has no Info.plist"))


class MacBundlesCollector:
    name = "macos app bundles"
    platform: Platform | None = Platform.MACOS
    runs_program = False

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        places = (
            (ctx.path("/Applications"), SYSTEM_USER, False),
            (ctx.path("/System/Applications"), SYSTEM_USER, True),
            (ctx.home / "Applications", ctx.user, False),
        )
        if not any(folder.is_dir() for folder, _user, _system in places):
            raise CollectorAbsent(_("no Applications folder"))
        out = CollectorOutput()
        seen: set[Path] = set()
        for folder, user, system in places:
            self._walk(folder, MAX_DEPTH, out, seen=seen, user=user, system=system)
        return out

    def _walk(
        self,
        folder: Path,
        depth: int,
        out: CollectorOutput,
        *,
        seen: set[Path],
        user: str,
        system: bool,
    ) -> None:
        for entry in read_dir(folder, out.problems):
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue
            if entry.name.endswith(".app") and is_dir(entry):
                real = path.resolve()
                if real in seen:  # the same bundle reached through a link
                    continue
                seen.add(real)
                try:
                    bundle = read_bundle(path)
                except (PlistError, OSError) as exc:
                    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                    out.problems.append(
                        _("cannot read the app {path}: {problem}").format(path=path, problem=reason)
                    )
                    name = entry.name.removesuffix(".app")
                    bundle = Bundle(path, {"CFBundleName": name}, False, False)
                out.apps.append(bundle_app(bundle, user=user, system=system, collector=self.name))
            elif depth > 1 and is_dir(entry, follow=False):
                self._walk(path, depth - 1, out, seen=seen, user=user, system=system)
