"""Fedora, RHEL and SUSE packages, from `rpm -qa`.

The rpm database is a binary format that changed three times (Berkeley DB, NDB, SQLite), so we
ask rpm itself, once, for every package in one tab-separated line each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from audit.i18n import _
from audit.model import IdentifierKind, InstalledApp, InstallOrigin, Platform
from audit.sources.local.base import SYSTEM_USER, CollectorOutput, LocalRoots, decode

_FIELDS = (
    "%{NAME}",
    "%{EPOCH}",
    "%{VERSION}",
    "%{RELEASE}",
    "%{ARCH}",
    "%{VENDOR}",
    "%{PACKAGER}",
    "%{INSTALLTIME}",
)
QUERY_FORMAT = "\t".join(_FIELDS) + "\n"
_NONE = "(none)"


@dataclass(frozen=True, slots=True)
class RpmPackage:
    name: str
    version: str  # [epoch:]version-release
    architecture: str
    vendor: str
    installed_at: datetime | None


def _value(text: str) -> str:
    return "" if text == _NONE else text.strip()


def parse_rpm_query(text: str) -> tuple[list[RpmPackage], list[str]]:
    """Packages from `rpm -qa --queryformat QUERY_FORMAT`, and a problem per unusable line."""
    packages: list[RpmPackage] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != len(_FIELDS) or not parts[0].strip():
            problems.append(
                _("rpm printed line {line} in a form we do not understand").format(line=number)
            )
            continue
        name, epoch, version, release, arch, vendor, packager, installtime = map(_value, parts)
        if name == "gpg-pubkey":  # rpm lists its trusted signing keys as packages
            continue
        full = f"{version}-{release}" if release else version
        if epoch:
            full = f"{epoch}:{full}"
        installed = None
        if installtime.isdigit():
            try:
                installed = datetime.fromtimestamp(int(installtime), UTC)
            except (OverflowError, OSError, ValueError):
                installed = None
        packages.append(RpmPackage(name, full, arch, vendor or packager, installed))
    return packages, problems


class RpmCollector:
    name = "rpm"
    platform: Platform | None = Platform.LINUX
    runs_program = True

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        # ProgramMissing (no rpm here) is CollectorAbsent: the scan reports the source absent.
        done = ctx.run(["rpm", "-qa", "--queryformat", QUERY_FORMAT])
        out = CollectorOutput()
        text = decode(done.stdout, _("the output of {program}").format(program="rpm"), out.problems)
        if done.returncode != 0:
            what = _("the error output of {program}").format(program="rpm")
            error = decode(done.stderr, what, out.problems).strip()
            out.problems.append(
                _("{program} stopped with exit code {code}: {message}").format(
                    program="rpm", code=done.returncode, message=error[:300] or _("no message")
                )
            )
        packages, problems = parse_rpm_query(text)
        out.problems.extend(problems)
        out.apps = [
            InstalledApp(
                identifier=p.name,
                kind=IdentifierKind.RPM,
                name=p.name,
                version=p.version,
                publisher=p.vendor,
                installer="rpm",
                origin=InstallOrigin.PACKAGE_MANAGER,
                user=SYSTEM_USER,
                installed_at=p.installed_at,
                collector=self.name,
            )
            for p in packages
        ]
        return out
