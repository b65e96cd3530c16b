"""Microsoft Store and other MSIX/Appx apps, from `Get-AppxPackage`.

Store apps are not in the Uninstall keys, which is how inventory tools missed a Store-installed
TikTok for years. PowerShell's `Get-AppxPackage` lists the signed-in user's packages; we ask it
once for JSON and parse that with a pure function. Frameworks and resource packages are
dependencies, not apps, and are left out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.errors import CollectorError
from audit.i18n import _
from audit.model import AppId, IdentifierKind, InstalledApp, InstallOrigin, Platform
from audit.sources.local.base import CollectorOutput, LocalRoots, ProgramMissing, decode

# UTF-8 output, or PowerShell 5.1 writes names in the console's code page.
SCRIPT = (
    "[Console]::OutputEncoding = [System.Text.Encoding]::UTF8; "
    "Get-AppxPackage | Select-Object Name, Publisher, Version, PackageFullName, "
    "PackageFamilyName, InstallLocation, SignatureKind, IsFramework, IsResourcePackage, "
    "NonRemovable, Status | ConvertTo-Json -Depth 2 -Compress"
)
REMOVE_COMMAND = "powershell -NoProfile -Command Remove-AppxPackage -Package"
COMMAND = ["powershell", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass"]

# Windows.ApplicationModel.PackageSignatureKind; PowerShell 5.1 prints enums as numbers.
_SIGNATURE_KINDS = {0: "None", 1: "Developer", 2: "Enterprise", 3: "Store", 4: "System"}
_ORIGINS = {
    "Store": InstallOrigin.STORE,
    "System": InstallOrigin.PREINSTALLED,
    "Developer": InstallOrigin.SIDELOADED,
    "Enterprise": InstallOrigin.SIDELOADED,
}
_FULL_NAME = re.compile(r"^[\w.~-]{1,200}$")
_DN_PART = re.compile(r'\s*([A-Za-z]+)=("(?:[^"]|"")*"|[^,]*)\s*(?:,|$)')
_MANIFEST_NAME = re.compile(rb"<Properties>.*?<DisplayName>([^<]{1,200})</DisplayName>", re.DOTALL)


@dataclass(frozen=True)
class AppxPackage:
    name: str
    family_name: str
    full_name: str
    publisher: str
    version: str
    install_location: str
    signature_kind: str
    framework: bool
    resource: bool
    non_removable: bool


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _version(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):  # PowerShell 7 may serialise System.Version as an object
        parts = [value.get(k) for k in ("Major", "Minor", "Build", "Revision")]
        return ".".join(str(p) for p in parts if isinstance(p, int) and p >= 0)
    return ""


def _signature(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return _SIGNATURE_KINDS.get(value, str(value))
    return _str(value)


def parse_appx_json(text: str) -> tuple[list[AppxPackage], list[str]]:
    """Packages from `Get-AppxPackage | ConvertTo-Json`, and a problem per unusable record.

    ConvertTo-Json prints one object (not a list) when there is one package, and nothing at all
    when there are none.
    """
    text = text.strip().lstrip("\ufeff")
    if not text:
        return [], []
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        return [], [
            _("{program} printed something that is not JSON ({problem})").format(
                program="Get-AppxPackage", problem=exc
            )
        ]
    records = data if isinstance(data, list) else [data]
    packages: list[AppxPackage] = []
    problems: list[str] = []
    for index, record in enumerate(records):
        if not isinstance(record, dict) or not _str(record.get("Name")):
            problems.append(
                _("{program} record {number} has no package name").format(
                    program="Get-AppxPackage", number=index + 1
                )
            )
            continue
        packages.append(
            AppxPackage(
                name=_str(record.get("Name")),
                family_name=_str(record.get("PackageFamilyName")),
                full_name=_str(record.get("PackageFullName")),
                publisher=_str(record.get("Publisher")),
                version=_version(record.get("Version")),
                install_location=_str(record.get("InstallLocation")),
                signature_kind=_signature(record.get("SignatureKind")),
                framework=record.get("IsFramework") is True,
                resource=record.get("IsResourcePackage") is True,
                non_removable=record.get("NonRemovable") is True,
            )
        )
    return packages, problems


def manifest_display_name(manifest: bytes) -> str:
    """The app's name from AppxManifest.xml, unless it is a resource reference."""
    match = _MANIFEST_NAME.search(manifest)
    if not match:
        return ""
    name = match.group(1).decode("utf-8", "replace").strip()
    return "" if name.startswith("ms-resource:") else name


def publisher_name(publisher: str) -> str:
    """'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond' -> 'Microsoft Corporation'.

    Store-signed packages often have only a CN (sometimes a GUID); then that is what we show.
    """
    fields: dict[str, str] = {}
    for key, value in _DN_PART.findall(publisher):
        fields.setdefault(key.upper(), value.strip().strip('"').replace('""', '"'))
    return fields.get("O") or fields.get("CN") or publisher.strip()


def appx_app(package: AppxPackage, *, user: str, collector: str, name: str = "") -> InstalledApp:
    other_ids = (
        (AppId(IdentifierKind.APPX_PFN, package.family_name),) if package.family_name else ()
    )
    uninstall = ""
    if _FULL_NAME.match(package.full_name):
        uninstall = (
            f"powershell -NoProfile -Command Remove-AppxPackage -Package {package.full_name}"
        )
    return InstalledApp(
        identifier=package.name,
        kind=IdentifierKind.APPX_NAME,
        name=name,
        version=package.version,
        publisher=publisher_name(package.publisher),
        installer=f"Appx ({package.signature_kind})" if package.signature_kind else "Appx",
        origin=_ORIGINS.get(package.signature_kind, InstallOrigin.UNKNOWN),
        user=user,
        system=package.signature_kind == "System" or package.non_removable,
        location=package.install_location,
        other_ids=other_ids,
        collector=collector,
        uninstall_command=uninstall,
    )


class WindowsAppxCollector:
    name = "microsoft store apps"
    platform: Platform | None = Platform.WINDOWS
    runs_program = True

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        try:
            done = ctx.run([*COMMAND, "-Command", SCRIPT])
        except ProgramMissing:
            # Every supported Windows has PowerShell: without it Store apps are unseen, a gap.
            raise CollectorError(
                _("PowerShell was not found, so Microsoft Store apps could not be listed")
            ) from None
        out = CollectorOutput()
        if done.returncode != 0:
            what = _("the error output of {program}").format(program="PowerShell")
            error = decode(done.stderr, what, out.problems).strip()
            raise CollectorError(
                _("{program} failed (exit code {code}): {message}").format(
                    program="Get-AppxPackage", code=done.returncode, message=error[:300]
                )
            )
        what = _("the output of {program}").format(program="Get-AppxPackage")
        packages, problems = parse_appx_json(decode(done.stdout, what, out.problems))
        out.problems.extend(problems)
        for package in packages:
            if package.framework or package.resource:
                continue
            name = ""
            if package.install_location:
                try:
                    manifest = (Path(package.install_location) / "AppxManifest.xml").read_bytes()
                    name = manifest_display_name(manifest)
                except OSError:
                    name = ""  # the name is a nicety; the identifiers are what policies match
            out.apps.append(appx_app(package, user=ctx.user, collector=self.name, name=name))
        return out
