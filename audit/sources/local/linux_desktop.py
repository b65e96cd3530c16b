"""Menu entries (`.desktop` files), where browsers put the web apps a person installs.

A TikTok web app "installed" from Chrome is not a package: Chrome writes
`~/.local/share/applications/chrome-<app id>-Default.desktop` with `Name=TikTok`. This collector
lists what the application menu shows, system-wide and for this user, and recognises the web
apps of Chromium-family browsers, GNOME Web and Firefox's PWA extension.

Entries follow the XDG rules: the user's folder overrides the system's for the same desktop id,
`Hidden=true` deletes an entry, `NoDisplay=true` entries are not in the menu (they are helpers
of packages that the package collectors list) and are skipped.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from audit.i18n import _
from audit.model import AppId, IdentifierKind, InstalledApp, InstallOrigin, Platform
from audit.sources.local.base import (
    SYSTEM_USER,
    CollectorAbsent,
    CollectorOutput,
    LocalRoots,
    cannot_read,
    decode,
    mtime,
    walk_files,
)

MAIN_GROUP = "Desktop Entry"
_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
_ESCAPE = re.compile(r"\\(.)")

# Chromium-family browsers name a web app's launcher <browser>-<32 letters a-p>-<profile>.
_CHROMIUM_APP = re.compile(r"(?:^|[.-])(chrome|chromium|msedge|brave|vivaldi|opera)-([a-p]{32})-")
_BROWSER_NAMES = {
    "chrome": "Google Chrome",
    "google-chrome": "Google Chrome",
    "chromium": "Chromium",
    "chromium-browser": "Chromium",
    "msedge": "Microsoft Edge",
    "microsoft-edge": "Microsoft Edge",
    "brave": "Brave",
    "brave-browser": "Brave",
    "vivaldi": "Vivaldi",
    "opera": "Opera",
    "epiphany": "GNOME Web",
    "firefoxpwa": "Firefox (PWAsForFirefox)",
}


@dataclass
class DesktopEntry:
    """The [Desktop Entry] group of a .desktop file: unlocalised keys, escapes decoded."""

    values: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def flag(self, key: str) -> bool:
        return self.values.get(key, "").strip().lower() == "true"


def _unescape(value: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), value)


def parse_desktop_entry(text: str, where: str = "") -> DesktopEntry:
    """Read the main group of a desktop entry; malformed lines become problems, not errors."""
    where = where or _("the file")
    entry = DesktopEntry()
    group = ""
    seen_main = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                entry.problems.append(
                    _("{file}, line {line}: a group header without ']'").format(
                        file=where, line=number
                    )
                )
                group = ""
                continue
            group = line[1:-1]
            seen_main = seen_main or group == MAIN_GROUP
            continue
        if group != MAIN_GROUP:
            continue
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals or not key:
            entry.problems.append(
                _("{file}, line {line}: not a 'Key=value' line").format(file=where, line=number)
            )
            continue
        if "[" in key:  # a translation (Name[de]=...): the unlocalised key is the one we keep
            continue
        entry.values.setdefault(key, _unescape(value.strip()))
    if not seen_main:
        entry.problems.append(
            _("{file} has no [{group}] group").format(file=where, group=MAIN_GROUP)
        )
    return entry


def exec_arguments(exec_line: str) -> list[str]:
    """The words of an Exec line (quoting as the spec says); never raises on bad quoting."""
    try:
        return shlex.split(exec_line)
    except ValueError:  # unbalanced quotes: words without their quotes
        return [word.strip("\"'") for word in exec_line.split()]


@dataclass(frozen=True)
class WebApp:
    browser: str  # "Google Chrome"
    url: str  # "" when the launcher only names the browser's app id


def web_app_of(desktop_id: str, entry: DesktopEntry) -> WebApp | None:
    """Whether a launcher opens a browser's web app, which browser, and the site if it says."""
    args = exec_arguments(entry.get("Exec"))
    program = os.path.basename(args[0]) if args else ""
    url = entry.get("URL")
    app_id = ""
    for arg in args[1:]:
        if arg.startswith("--app="):
            url = url or arg[len("--app=") :]
        elif arg.startswith("--app-id="):
            app_id = arg[len("--app-id=") :]
    browser = ""
    match = _CHROMIUM_APP.search(desktop_id)
    if match:
        browser = _BROWSER_NAMES[match.group(1)]
    elif desktop_id.startswith(("org.gnome.Epiphany.WebApp", "epiphany-")) or (
        program == "epiphany" and "--application-mode" in args
    ):
        browser = _BROWSER_NAMES["epiphany"]
        url = url or next((a for a in args if a.startswith(("http://", "https://"))), "")
    elif desktop_id.startswith("FFPWA-") or program == "firefoxpwa":
        browser = _BROWSER_NAMES["firefoxpwa"]
    elif url or app_id:
        browser = _BROWSER_NAMES.get(program, program or "a browser")
    else:
        return None
    return WebApp(browser, url)


def domain_of(url: str) -> str:
    """The host of a web app's URL, lower case; "" for anything that is not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https"):
        return ""
    return host.rstrip(".")


def application_dirs(ctx: LocalRoots) -> list[tuple[Path, str]]:
    """Folders of .desktop files in XDG precedence order, each with the user that owns them."""
    dirs: list[tuple[Path, str]] = [
        (ctx.user_data / "applications", ctx.user),
        (ctx.user_data / "flatpak" / "exports" / "share" / "applications", ctx.user),
    ]
    for data_dir in ctx.data_dirs:
        dirs.append((ctx.path(data_dir) / "applications", SYSTEM_USER))
    for extra in ("/var/lib/flatpak/exports/share", "/var/lib/snapd/desktop"):
        if extra not in ctx.data_dirs:
            dirs.append((ctx.path(extra) / "applications", SYSTEM_USER))
    return dirs


def app_from_entry(
    desktop_id: str, entry: DesktopEntry, path: str, user: str, collector: str
) -> InstalledApp | None:
    """An app for a launcher shown in the menu; None for hidden entries and non-applications."""
    if not entry.values or entry.get("Type") not in ("Application", "") or entry.flag("Hidden"):
        return None
    if entry.flag("NoDisplay"):
        return None
    name = entry.get("Name")
    web = web_app_of(desktop_id, entry)
    other_ids: tuple[AppId, ...] = ()
    if web is not None:
        domain = domain_of(web.url)
        other_ids = (AppId(IdentifierKind.DOMAIN, domain),) if domain else ()
    return InstalledApp(
        identifier=desktop_id,
        kind=IdentifierKind.DESKTOP,
        name=name,
        version=entry.get("X-AppImage-Version"),
        installer=f"{web.browser} web app" if web else "",
        origin=InstallOrigin.BROWSER if web else InstallOrigin.UNKNOWN,
        user=user,
        location=path,
        updated_at=mtime(path),
        other_ids=other_ids,
        collector=collector,
    )


class DesktopEntriesCollector:
    name = "desktop entries"
    platform: Platform | None = Platform.LINUX
    runs_program = False

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        out = CollectorOutput()
        seen: set[str] = set()
        found_dir = False
        for folder, user in application_dirs(ctx):
            if not folder.exists():
                continue
            found_dir = True
            for relative, dir_entry in walk_files(folder, ".desktop", out.problems, depth=3):
                desktop_id = relative.replace("/", "-")
                if desktop_id in seen:  # an earlier folder overrides this one
                    continue
                seen.add(desktop_id)
                try:
                    with open(dir_entry.path, "rb") as handle:
                        data = handle.read()
                except OSError as exc:
                    out.problems.append(cannot_read(dir_entry.path, exc.strerror or exc))
                    continue
                text = decode(data, dir_entry.path, out.problems)
                entry = parse_desktop_entry(text, dir_entry.path)
                out.problems.extend(entry.problems)
                if entry.values and not entry.get("Name") and not entry.flag("Hidden"):
                    out.problems.append(_("{file} has no Name").format(file=dir_entry.path))
                app = app_from_entry(desktop_id, entry, dir_entry.path, user, self.name)
                if app is not None:
                    out.apps.append(app)
        if not found_dir:
            raise CollectorAbsent(_("no application menu folders"))
        return out
