"""Debian and Ubuntu packages, read straight from dpkg's status database.

Reading /var/lib/dpkg/status ourselves is several times faster than running dpkg-query, and it
is the file dpkg-query reads anyway. Only packages whose files are on disk count: a package
removed but for its configuration ("rc") is not installed.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from typing import NamedTuple

from audit.i18n import _
from audit.model import IdentifierKind, InstalledApp, InstallOrigin, Platform
from audit.sources.local.base import (
    SYSTEM_USER,
    CollectorAbsent,
    CollectorOutput,
    LocalRoots,
    decode,
)

STATUS_FILE = "/var/lib/dpkg/status"
INFO_DIR = "/var/lib/dpkg/info"

# The third word of Status; these states all have the package's files on disk.
_ON_DISK = frozenset(
    {
        "installed",
        "half-configured",
        "unpacked",
        "half-installed",
        "triggers-awaited",
        "triggers-pending",
    }
)


class DpkgPackage(NamedTuple):
    name: str
    version: str
    architecture: str
    maintainer: str
    system: bool  # Essential, or priority required/important: part of the base system
    multi_arch_same: bool


# Anchored on a literal newline (each stanza gets one prepended): a MULTILINE `^` made the regex
# engine try every position and doubled the time of a whole scan.
_FIELD = re.compile(
    r"\n(Package|Status|Version|Architecture|Maintainer|Priority|Essential|Multi-Arch):"
    r"[ \t]*([^\n]*)"
)
_BASE_PRIORITIES = frozenset({"required", "important"})


def parse_status(text: str) -> tuple[list[DpkgPackage], list[str]]:
    """Packages on disk in a dpkg status file, and a problem for each entry it cannot use.

    Entries are separated by blank lines; the fields we need are picked out of each by one
    regex. An entry without a Package or Status field (a truncated or overwritten file) is
    reported with its line number and skipped. This loop is most of a local scan's time, so it
    does as little as it can per entry.
    """
    packages: list[DpkgPackage] = []
    problems: list[str] = []
    position = 0
    get_fields = _FIELD.findall
    for stanza in text.split("\n\n"):
        start = position
        position += len(stanza) + 2
        fields = dict(get_fields("\n" + stanza))
        name = fields.get("Package", "").strip()
        status = fields.get("Status", "").strip()
        if not name or not status:
            if stanza.strip():
                line = text.count(chr(10), 0, start) + 1
                if name:
                    problems.append(
                        _(
                            "package {name} at line {line} of the dpkg database has no Status field"
                        ).format(name=repr(name), line=line)
                    )
                else:
                    problems.append(
                        _(
                            "the entry at line {line} of the dpkg database has no Package field"
                        ).format(line=line)
                    )
            continue
        if status.rpartition(" ")[2] not in _ON_DISK:
            continue
        packages.append(
            DpkgPackage(
                name,
                fields.get("Version", "").strip(),
                fields.get("Architecture", "").strip(),
                fields.get("Maintainer", ""),
                fields.get("Essential", "").startswith("yes")
                or fields.get("Priority", "").strip() in _BASE_PRIORITIES,
                fields.get("Multi-Arch", "").startswith("same"),
            )
        )
    return packages, problems


def _person(maintainer: str) -> str:
    """'Debian GNOME Maintainers <pkg-gnome@...>' -> 'Debian GNOME Maintainers'."""
    return maintainer.partition("<")[0].strip() or maintainer.strip()


def _list_time(info: str, package: DpkgPackage) -> datetime | None:
    """When the package was last installed or upgraded: dpkg rewrites its .list file then."""
    names = [package.name]
    if package.multi_arch_same:
        names.insert(0, f"{package.name}:{package.architecture}")
    for name in names:
        try:
            return datetime.fromtimestamp(os.stat(f"{info}/{name}.list").st_mtime, UTC)
        except (OSError, OverflowError, ValueError):
            continue
    return None


class DpkgCollector:
    name = "dpkg"
    platform: Platform | None = Platform.LINUX
    runs_program = False

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        path = ctx.path(STATUS_FILE)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise CollectorAbsent(_("no dpkg database")) from None
        out = CollectorOutput()
        packages, problems = parse_status(decode(data, str(path), out.problems))
        out.problems.extend(problems)
        info = str(ctx.path(INFO_DIR))
        out.apps = [
            InstalledApp(
                identifier=package.name,
                kind=IdentifierKind.DEB,
                name=package.name,
                version=package.version,
                publisher=_person(package.maintainer),
                installer="dpkg",
                origin=InstallOrigin.PACKAGE_MANAGER,
                user=SYSTEM_USER,
                system=package.system,
                updated_at=_list_time(info, package),
                collector=self.name,
            )
            for package in packages
        ]
        return out
