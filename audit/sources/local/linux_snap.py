"""Snaps, read from their mounted `meta/snap.yaml` (no snapd API, no root needed).

snapd mounts each installed snap at /snap/<name>/<revision> and points `current` at the active
revision. A snap whose file is in /var/lib/snapd/snaps but is not mounted (a container without
squashfs, a broken mount) is still listed, by the file name, and reported as a problem.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from audit.i18n import _
from audit.model import IdentifierKind, InstalledApp, InstallOrigin, Platform
from audit.sources.local.base import (
    SYSTEM_USER,
    CollectorAbsent,
    CollectorOutput,
    LocalRoots,
    cannot_read,
    decode,
    mtime,
    read_dir,
)

SNAP_MOUNTS = "/snap"
SNAP_FILES = "/var/lib/snapd/snaps"
# Snaps that are the system itself rather than apps a person chose.
_SYSTEM_TYPES = frozenset({"base", "core", "os", "snapd", "kernel", "gadget"})
_TOP_LEVEL = re.compile(r"^([A-Za-z][\w-]*):[ \t]*(.*?)[ \t]*$")
_SNAP_FILE = re.compile(r"^([a-z0-9][a-z0-9-]*(?:_[a-z0-9]+)?)_(x?\d+)\.snap$")


def parse_snap_yaml(text: str) -> dict[str, str]:
    """The top-level scalar fields of snap.yaml (name, version, title, type...).

    snap.yaml is YAML, but the fields we need are plain top-level scalars, so a line reader is
    enough and keeps a YAML library out of the dependencies. Quoted values are unquoted.
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        match = _TOP_LEVEL.match(line)
        if not match:
            continue
        key, value = match.groups()
        if len(value) >= 2 and value[0] in "'\"" and value[-1] == value[0]:
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
            if value[:1] in ("|", ">", "[", "{", "&", "*"):  # not a plain scalar
                value = ""
        fields.setdefault(key, value)
    return fields


class SnapCollector:
    name = "snap"
    platform: Platform | None = Platform.LINUX
    runs_program = False

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        mounts, files = ctx.path(SNAP_MOUNTS), ctx.path(SNAP_FILES)
        if not mounts.is_dir() and not files.is_dir():
            raise CollectorAbsent(_("snapd is not installed"))
        out = CollectorOutput()
        seen: set[str] = set()
        for entry in read_dir(mounts, out.problems):
            current = Path(entry.path) / "current"
            if entry.name == "bin" or not current.exists():
                continue
            yaml_path = current / "meta" / "snap.yaml"
            try:
                fields = parse_snap_yaml(decode(yaml_path.read_bytes(), str(yaml_path), []))
            except OSError as exc:
                out.problems.append(cannot_read(yaml_path, exc.strerror or exc))
                continue
            name = fields.get("name") or entry.name
            # A parallel install ("foo_work") is mounted under its instance name.
            instance = entry.name
            seen.add(instance)
            revision = os.path.basename(os.path.realpath(current))
            out.apps.append(
                InstalledApp(
                    identifier=name,
                    kind=IdentifierKind.SNAP,
                    name=fields.get("title") or name,
                    version=fields.get("version", ""),
                    installer="snap",
                    origin=InstallOrigin.PACKAGE_MANAGER,
                    user=SYSTEM_USER,
                    system=fields.get("type", "app") in _SYSTEM_TYPES,
                    location=str(current),
                    installed_at=mtime(files / f"{instance}_{revision}.snap"),
                    collector=self.name,
                )
            )
        unmounted: dict[str, str] = {}
        for entry in read_dir(files, out.problems):
            match = _SNAP_FILE.match(entry.name)
            if match and match.group(1) not in seen:
                unmounted[match.group(1)] = entry.path
        for instance, path in unmounted.items():
            out.problems.append(
                _("the snap {snap} is installed but not mounted ({path})").format(
                    snap=instance, path=path
                )
            )
            out.apps.append(
                InstalledApp(
                    identifier=instance.partition("_")[0],
                    kind=IdentifierKind.SNAP,
                    name=instance,
                    installer="snap",
                    origin=InstallOrigin.PACKAGE_MANAGER,
                    user=SYSTEM_USER,
                    location=path,
                    installed_at=mtime(path),
                    collector=self.name,
                )
            )
        return out
