"""Flatpak apps, system-wide and per user, read from the installations' folders.

Reading the deployed files is what `flatpak list` does, without starting it (it can take a
second on a cold cache). Each app is `<installation>/app/<id>/current/active/`: its `metadata`
names it, its exported `.desktop` file gives the name people see, its AppStream file the
version, and the `deploy` file the remote it came from.
"""

from __future__ import annotations

import re
from pathlib import Path

from audit.i18n import _
from audit.model import IdentifierKind, InstalledApp, InstallOrigin, Platform
from audit.sources.local.base import (
    SYSTEM_USER,
    CollectorAbsent,
    CollectorOutput,
    LocalRoots,
    is_dir,
    mtime,
    read_dir,
)
from audit.sources.local.linux_desktop import parse_desktop_entry

SYSTEM_INSTALLATION = "/var/lib/flatpak"
EXTRA_INSTALLATIONS = "/etc/flatpak/installations.d"

_RELEASE_VERSION = re.compile(rb"<release\b[^>]*?\bversion\s*=\s*[\"']([^\"'<>]{1,100})[\"']")
_APP_ID = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$")


def release_version(appstream: bytes) -> str:
    """The version of the first (newest) <release> of an AppStream file."""
    match = _RELEASE_VERSION.search(appstream)
    return match.group(1).decode("utf-8", "replace").strip() if match else ""


def deploy_origin(deploy: bytes) -> str:
    """The remote an app was installed from: the first string of the `deploy` GVariant."""
    origin, nul, _rest = deploy.partition(b"\0")
    if not nul or not origin or len(origin) > 200:
        return ""
    text = origin.decode("utf-8", "replace")
    return text if text.isprintable() else ""


def installations(ctx: LocalRoots, problems: list[str]) -> list[tuple[Path, str, str]]:
    """(folder, label, user) of each installation: system, user, and any configured extra."""
    found = [
        (ctx.path(SYSTEM_INSTALLATION), "flatpak system", SYSTEM_USER),
        (ctx.user_data / "flatpak", "flatpak user", ctx.user),
    ]
    for entry in read_dir(ctx.path(EXTRA_INSTALLATIONS), problems):
        if not entry.name.endswith(".conf"):
            continue
        import configparser  # only where there is such a file: most computers have none

        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            with open(entry.path, encoding="utf-8", errors="replace") as handle:
                parser.read_file(handle)
        except (OSError, configparser.Error) as exc:
            problems.append(
                _("cannot read the flatpak installation file {path}: {problem}").format(
                    path=entry.path, problem=exc
                )
            )
            continue
        for section in parser.sections():
            path = parser[section].get("Path", "").strip()
            if section.startswith("Installation") and path.startswith("/"):
                label = "flatpak " + section.removeprefix("Installation").strip(' "')
                found.append((ctx.path(path), label, SYSTEM_USER))
    return found


def _first_existing(*paths: Path) -> bytes:
    for path in paths:
        try:
            return path.read_bytes()
        except OSError:
            continue
    return b""


def read_app(app_dir: Path, label: str, user: str, collector: str) -> InstalledApp:
    """One deployed app; raises OSError when it has no readable metadata (a broken deploy)."""
    active = app_dir / "current" / "active"
    # The folder is the installed ref; the metadata must be readable for the deploy to be whole.
    (active / "metadata").read_bytes()
    app_id = app_dir.name
    desktop = _first_existing(active / "export" / "share" / "applications" / f"{app_id}.desktop")
    name = parse_desktop_entry(desktop.decode("utf-8", "replace")).get("Name") if desktop else ""
    share = active / "files" / "share"
    version = release_version(
        _first_existing(
            share / "metainfo" / f"{app_id}.metainfo.xml",
            share / "metainfo" / f"{app_id}.appdata.xml",
            share / "appdata" / f"{app_id}.appdata.xml",
        )
    )
    origin = deploy_origin(_first_existing(active / "deploy"))
    app = InstalledApp(
        identifier=app_id,
        kind=IdentifierKind.FLATPAK,
        name=name,
        version=version,
        installer=f"{label} ({origin})" if origin else label,
        origin=InstallOrigin.PACKAGE_MANAGER,
        user=user,
        location=str(active.resolve(strict=False)),
        installed_at=mtime(active / "deploy"),
        collector=collector,
    )
    return app


class FlatpakCollector:
    name = "flatpak"
    platform: Platform | None = Platform.LINUX
    runs_program = False

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        out = CollectorOutput()
        present = False
        for folder, label, user in installations(ctx, out.problems):
            apps_dir = folder / "app"
            if not apps_dir.is_dir():
                continue
            present = True
            for entry in read_dir(apps_dir, out.problems):
                if not is_dir(entry) or not _APP_ID.match(entry.name):
                    continue
                if not (Path(entry.path) / "current").exists():
                    continue  # an app being installed or removed: nothing is deployed
                try:
                    app = read_app(Path(entry.path), label, user, self.name)
                except OSError as exc:
                    out.problems.append(
                        _("cannot read the flatpak {app} ({installation}): {problem}").format(
                            app=entry.name, installation=label, problem=exc.strerror or exc
                        )
                    )
                    continue
                out.apps.append(app)
        if not present:
            raise CollectorAbsent(_("no flatpak installation"))
        return out
