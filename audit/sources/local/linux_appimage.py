"""AppImages: single-file apps that nothing registers, found in the folders people keep them.

An AppImage is installed by downloading it, so the only trace is the file. Its name usually
says what it is and which version ("TikTok-1.2.3-x86_64.AppImage"), and that is what we report;
the file is not opened (a scan must not run or mount anything it finds).
"""

from __future__ import annotations

import re
from pathlib import Path

from audit.model import IdentifierKind, InstalledApp, InstallOrigin, Platform
from audit.sources.local.base import (
    SYSTEM_USER,
    CollectorOutput,
    LocalRoots,
    is_file,
    mtime,
    walk_files,
)

SUFFIX = ".appimage"
# (folder under home, depth) and (absolute folder, depth): where AppImages are kept, and where
# AppImageLauncher and Gear Lever move them.
HOME_FOLDERS = (
    ("Applications", 2),
    ("AppImages", 2),
    (".local/bin", 1),
    ("bin", 1),
    ("Downloads", 1),
    ("Desktop", 1),
)
SYSTEM_FOLDERS = (("/opt", 2), ("/usr/local/bin", 1))

_ARCH = re.compile(
    r"(?:^|[-_ .])(?:x86[-_]64|amd64|x64|aarch64|arm64|armhf|armv7l|i[36]86|x86)(?=$|[-_ .])",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[-_ ]+")


def name_and_version(file_name: str) -> tuple[str, str]:
    """'TikTok-1.2.3-x86_64.AppImage' -> ('TikTok', '1.2.3'); unknown parts are ''."""
    stem = file_name[: -len(SUFFIX)] if file_name.lower().endswith(SUFFIX) else file_name
    words = [w for w in _SEPARATORS.split(_ARCH.sub("", stem)) if w]
    for index, word in enumerate(words):
        candidate = word[1:] if word[:1] in ("v", "V") and word[1:2].isdigit() else word
        if index > 0 and candidate[:1].isdigit():
            return " ".join(words[:index]), candidate
    return " ".join(words) or stem, ""


class AppImageCollector:
    name = "appimage"
    platform: Platform | None = Platform.LINUX
    runs_program = False

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        # Never absent: any Linux computer can run AppImages, so finding none is a result.
        out = CollectorOutput()
        folders = [(ctx.home / sub, depth, ctx.user) for sub, depth in HOME_FOLDERS]
        folders += [(ctx.path(folder), depth, SYSTEM_USER) for folder, depth in SYSTEM_FOLDERS]
        seen: set[str] = set()
        for folder, depth, user in folders:
            for _, entry in walk_files(folder, SUFFIX, out.problems, depth):
                if entry.path in seen or not is_file(entry):
                    continue
                seen.add(entry.path)
                name, version = name_and_version(entry.name)
                out.apps.append(
                    InstalledApp(
                        identifier=entry.name,
                        kind=IdentifierKind.APPIMAGE,
                        name=name,
                        version=version,
                        installer="AppImage file",
                        origin=InstallOrigin.SIDELOADED,
                        user=user,
                        location=str(Path(entry.path)),
                        installed_at=mtime(entry.path),
                        collector=self.name,
                    )
                )
        return out
