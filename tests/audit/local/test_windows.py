"""Windows collectors on this machine: a registry export as regedit writes it, and the JSON
Get-AppxPackage prints, served by a fake PowerShell program.

The fixture export (fixtures/windows/uninstall.reg) is UTF-16 with a byte order mark and CRLF
line ends like a real export, with 64-bit, 32-bit (WOW6432Node) and per-user (HKCU) entries,
REG_EXPAND_SZ values, a DisplayName written as REG_BINARY, a DWORD DisplayVersion, hidden
system components, an update, and Chrome and Edge web apps. The TikTok Store package's
publisher CN in get-appxpackage.json is a placeholder; its name and family name are TikTok's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from audit.errors import CollectorError
from audit.model import AppId, IdentifierKind, InstalledApp, InstallOrigin
from audit.sources.local.base import CollectorAbsent, LocalRoots
from audit.sources.local.registry import (
    REG_BINARY,
    REG_DWORD,
    REG_EXPAND_SZ,
    REG_MULTI_SZ,
    REG_QWORD,
    REG_SZ,
    Hive,
    RegFileRegistry,
    RegValue,
)
from audit.sources.local.windows_appx import (
    WindowsAppxCollector,
    manifest_display_name,
    parse_appx_json,
    publisher_name,
)
from audit.sources.local.windows_registry import (
    UNINSTALL,
    WindowsRegistryCollector,
    arp_app,
    install_date,
)
from tests.audit.local.trees import FIXTURES, windows_registry, windows_roots, write

APPX_JSON = FIXTURES / "windows" / "get-appxpackage.json"


# --- the registry export reader --------------------------------------------------------------


def test_registry_export_values_of_every_type() -> None:
    registry = windows_registry()
    acrobat = registry.values(Hive.HKLM, UNINSTALL + r"\{AC76BA86-7AD7-1033-7B44-AC0F074E4100}")
    assert acrobat["UninstallString"] == RegValue(
        r"%SystemRoot%\System32\MsiExec.exe /X{AC76BA86-7AD7-1033-7B44-AC0F074E4100}",
        REG_EXPAND_SZ,
    )
    assert acrobat["WindowsInstaller"] == RegValue(1, REG_DWORD)
    assert acrobat["InstallLocation"] == RegValue("C:\\Program Files\\Adobe\\Acrobat DC\\", REG_SZ)
    odd = registry.values(Hive.HKLM, UNINSTALL + r"\OddVendorApp")
    assert odd["DisplayName"] == RegValue("Ödd Äpp\0".encode("utf-16-le"), REG_BINARY)
    assert odd["Comments"] == RegValue(["first line", "second line"], REG_MULTI_SZ)
    assert registry.expand(r"%ProgramFiles%\x %Unknown%") == r"C:\Program Files\x %Unknown%"


def test_registry_export_keys_are_case_insensitive_and_missing_keys_raise() -> None:
    registry = windows_registry()
    names = registry.subkeys(Hive.HKCU, r"software\microsoft\windows\currentversion\uninstall")
    assert names == [
        "3f4e9a0b6c1d2e8f7a5b4c3d2e1f0a9b",
        "9b2f2a7c0e1d4c3b8a6f5e4d3c2b1a09",
        "CapCut",
        "Lark",
    ]
    with pytest.raises(FileNotFoundError):
        registry.subkeys(Hive.HKCU, r"SOFTWARE\Nothing\Here")


def test_registry_export_problems_are_reported_per_line() -> None:
    registry, problems = RegFileRegistry.from_text(
        "Windows Registry Editor Version 5.00\n\n"
        '"Orphan"="value"\n'
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Test]\n"
        '"Good"="yes"\n'
        '"Bad"=hex(2):zz,00\n'
        '"Open"="no end\n'
        "[HKEY_NOWHERE\\x]\n"
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Unclosed\n"
        '"Q"=hex(b):01,00,00,00,00,00,00,00\n'
        "garbage line\n"
        "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Gone]\n"
    )
    assert problems == [
        "line 3: a value outside any key",
        "line 6: value 'Bad': invalid literal for int() with base 16: 'zz'",
        "line 7: value 'Open': a string value without its closing quote",
        "line 8: unknown registry hive in '[HKEY_NOWHERE\\\\x]'",
        "line 9: a key without its closing ']'",
        "line 10: a value outside any key",
        "line 11: a value outside any key",
    ]
    assert registry.values(Hive.HKLM, r"SOFTWARE\Test") == {"Good": RegValue("yes", REG_SZ)}


def test_registry_export_applies_deletions_and_qwords() -> None:
    registry, problems = RegFileRegistry.from_text(
        'REGEDIT4\n[HKEY_CURRENT_USER\\A\\B]\n"Q"=hex(b):02,01,00,00,00,00,00,00\n'
        '"Gone"="x"\n"Gone"=-\n[HKEY_CURRENT_USER\\A\\C]\n[-HKEY_CURRENT_USER\\A\\C]\n'
    )
    assert problems == []
    assert registry.values(Hive.HKCU, "A\\B") == {"Q": RegValue(0x0102, REG_QWORD)}
    assert registry.subkeys(Hive.HKCU, "A") == ["B"]


# --- Uninstall keys --------------------------------------------------------------------------


def test_programs_and_features_view_of_the_registry(tmp_path: Path) -> None:
    out = WindowsRegistryCollector().collect(windows_roots(tmp_path))
    assert out.problems == []
    found = {(a.installer, a.identifier): a for a in out.apps}
    assert set(found) == {
        ("HKLM 64-bit", "7-Zip"),
        ("HKLM 64-bit", "Google Chrome"),
        ("HKLM 64-bit", "{AC76BA86-7AD7-1033-7B44-AC0F074E4100}"),
        ("HKLM 64-bit", "OddVendorApp"),
        ("HKLM 32-bit", "WeChat"),
        ("HKLM 32-bit", "Notepad++"),
        ("HKCU", "CapCut"),
        ("HKCU", "Lark"),
        ("Google Chrome web app (HKCU)", "3f4e9a0b6c1d2e8f7a5b4c3d2e1f0a9b"),
        ("Microsoft Edge web app (HKCU)", "9b2f2a7c0e1d4c3b8a6f5e4d3c2b1a09"),
        # Hidden like Programs and Features hides them: AddressBook (no DisplayName),
        # Connection Manager and the VC++ runtime (SystemComponent=1), KB5028166 (an update).
    }
    capcut = found[("HKCU", "CapCut")]
    assert (capcut.kind, capcut.name, capcut.publisher) == (
        IdentifierKind.ARP_KEY,
        "CapCut",
        "Bytedance Pte. Ltd.",
    )
    assert capcut.user == "ana"
    assert capcut.installed_at == datetime(2023, 3, 1, tzinfo=UTC)
    assert capcut.uninstall_command == '"C:\\Users\\ana\\AppData\\Local\\CapCut\\Apps\\uninst.exe"'
    assert capcut.quiet_uninstall_command.endswith('uninst.exe" /S')
    wechat = found[("HKLM 32-bit", "WeChat")]
    assert (wechat.publisher, wechat.user) == ("腾讯科技(深圳)有限公司", "system")
    acrobat = found[("HKLM 64-bit", "{AC76BA86-7AD7-1033-7B44-AC0F074E4100}")]
    assert acrobat.uninstall_command == (
        r"C:\Windows\System32\MsiExec.exe /X{AC76BA86-7AD7-1033-7B44-AC0F074E4100}"
    )
    odd = found[("HKLM 64-bit", "OddVendorApp")]
    assert (odd.name, odd.publisher, odd.version) == ("Ödd Äpp", "Bücher & Söhne GmbH", "2")
    assert odd.location == r"C:\Program Files\Odd App"
    assert odd.installed_at == datetime(2023, 3, 17, tzinfo=UTC)


def test_browser_web_apps_registered_under_hkcu(tmp_path: Path) -> None:
    apps = WindowsRegistryCollector().collect(windows_roots(tmp_path)).apps
    tiktok = next(a for a in apps if a.name == "TikTok")
    assert tiktok.origin is InstallOrigin.BROWSER
    assert tiktok.publisher == ""  # the Publisher value names the browser, not the site
    assert tiktok.installed_at == datetime(2023, 3, 17, tzinfo=UTC)  # Chrome's "020230317"
    assert "--uninstall-app-id=fhkpfpfifagoflnfpbdgegnghgihhjpn" in tiktok.uninstall_command


class DenyingRegistry(RegFileRegistry):
    """A registry where some keys refuse to be read, as keys with a restrictive ACL do."""

    def __init__(self, base: RegFileRegistry, denied: set[str]) -> None:
        self.__dict__.update(base.__dict__)
        self.denied = {d.lower() for d in denied}

    def values(self, hive: Hive, path: str) -> dict[str, RegValue]:
        if path.lower().rsplit("\\", 1)[-1] in self.denied:
            raise PermissionError(5, "Access is denied", path)
        return super().values(hive, path)

    def subkeys(self, hive: Hive, path: str) -> list[str]:
        if "wow6432node" in self.denied and "wow6432node" in path.lower():
            raise PermissionError(5, "Access is denied", path)
        return super().subkeys(hive, path)


def test_unreadable_keys_are_problems_and_the_rest_is_read(tmp_path: Path) -> None:
    roots = windows_roots(tmp_path)
    denied = DenyingRegistry(windows_registry(), {"CapCut", "WOW6432Node"})
    out = WindowsRegistryCollector().collect(
        LocalRoots(platform=roots.platform, user="ana", registry=denied)
    )
    assert out.problems == [
        "cannot read HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\"
        "CurrentVersion\\Uninstall: Access is denied",
        "cannot read the Uninstall key 'CapCut' (HKCU): Access is denied",
    ]
    assert {a.identifier for a in out.apps} >= {"7-Zip", "Lark"}
    assert "CapCut" not in {a.identifier for a in out.apps}


def test_no_registry_means_absent() -> None:
    with pytest.raises(CollectorAbsent):
        WindowsRegistryCollector().collect(LocalRoots(registry=None))


def test_uninstall_entry_edge_cases() -> None:
    def app(**values: RegValue) -> InstalledApp | None:
        return arp_app("Key", values, installer="HKCU", user="ana", collector="c")

    assert app() is None
    assert app(DisplayName=RegValue("  ", REG_SZ)) is None
    assert app(DisplayName=RegValue("X", REG_SZ), SystemComponent=RegValue("1", REG_SZ)) is None
    assert app(DisplayName=RegValue("X", REG_SZ), ReleaseType=RegValue("Hotfix", REG_SZ)) is None
    shown = app(DisplayName=RegValue("X\0junk", REG_SZ), SystemComponent=RegValue(0, REG_DWORD))
    assert shown is not None and shown.name == "X"
    odd_bytes = app(DisplayName=RegValue(b"\xff", REG_BINARY))
    assert odd_bytes is not None and odd_bytes.name == "ÿ"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20230317", datetime(2023, 3, 17, tzinfo=UTC)),
        ("020230317", datetime(2023, 3, 17, tzinfo=UTC)),
        ("2023-03-17", datetime(2023, 3, 17, tzinfo=UTC)),
        ("20231399", None),
        ("17/03/2023", None),
        ("1679011200", None),
        ("", None),
    ],
)
def test_install_dates(raw: str, expected: datetime | None) -> None:
    assert install_date(raw) == expected


# --- Store apps (Appx) -----------------------------------------------------------------------


def test_store_apps_from_get_appxpackage(tmp_path: Path) -> None:
    out = WindowsAppxCollector().collect(windows_roots(tmp_path))
    # The fixture's last record has no Name: a problem, the others are kept.
    assert out.problems == ["Get-AppxPackage record 7 has no package name"]
    found = {a.identifier: a for a in out.apps}
    # Frameworks (VCLibs) and resource packages are dependencies, not apps.
    assert list(found) == [
        "Microsoft.WindowsCalculator",
        "Microsoft.Windows.ShellExperienceHost",
        "BytedancePte.Ltd.TikTok",
        "Contoso.LineOfBusiness",
    ]
    tiktok = found["BytedancePte.Ltd.TikTok"]
    assert tiktok.kind is IdentifierKind.APPX_NAME
    assert tiktok.other_ids == (
        AppId(IdentifierKind.APPX_PFN, "BytedancePte.Ltd.TikTok_6yccndn6064se"),
    )
    assert tiktok.origin is InstallOrigin.STORE
    assert tiktok.version == "1.0.6.0"
    assert tiktok.user == "ana"
    assert tiktok.uninstall_command == (
        "powershell -NoProfile -Command Remove-AppxPackage -Package "
        "BytedancePte.Ltd.TikTok_1.0.6.0_x64__6yccndn6064se"
    )
    shell = found["Microsoft.Windows.ShellExperienceHost"]
    assert shell.system and shell.origin is InstallOrigin.PREINSTALLED
    assert found["Contoso.LineOfBusiness"].origin is InstallOrigin.SIDELOADED
    assert found["Contoso.LineOfBusiness"].publisher == "Contoso, Ltd."
    assert found["Microsoft.WindowsCalculator"].publisher == "Microsoft Corporation"


def test_store_app_name_from_its_manifest(tmp_path: Path) -> None:
    location = tmp_path / "WindowsApps" / "BytedancePte.Ltd.TikTok_1.0.6.0_x64__6yccndn6064se"
    manifest = (
        '<?xml version="1.0" encoding="utf-8"?>\n<Package>'
        '<Identity Name="BytedancePte.Ltd.TikTok"/><Properties><DisplayName>TikTok</DisplayName>'
        "<PublisherDisplayName>TikTok Pte. Ltd.</PublisherDisplayName></Properties></Package>\n"
    )
    write(location / "AppxManifest.xml", manifest)
    record = {  # one package: ConvertTo-Json prints an object, not a list
        "Name": "BytedancePte.Ltd.TikTok",
        "PackageFamilyName": "BytedancePte.Ltd.TikTok_6yccndn6064se",
        "InstallLocation": str(location),
        "SignatureKind": "Store",  # PowerShell 7 with -EnumsAsStrings
        "Version": {"Major": 1, "Minor": 0, "Build": 6, "Revision": 0},
    }
    appx = write(tmp_path / "one.json", json.dumps(record))
    out = WindowsAppxCollector().collect(windows_roots(tmp_path, appx=appx))
    assert out.problems == []
    (tiktok,) = out.apps
    assert (tiktok.name, tiktok.version, tiktok.origin) == (
        "TikTok",
        "1.0.6.0",
        InstallOrigin.STORE,
    )


def test_get_appxpackage_failure_fails_the_collector(tmp_path: Path) -> None:
    with pytest.raises(CollectorError, match="Access is denied"):
        WindowsAppxCollector().collect(windows_roots(tmp_path, exit_code=1))


def test_missing_powershell_is_a_failure_not_an_absence(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    roots = LocalRoots(programs_path=str(tmp_path / "empty"))
    with pytest.raises(CollectorError, match="PowerShell was not found"):
        WindowsAppxCollector().collect(roots)


def test_appx_json_shapes() -> None:
    assert parse_appx_json("") == ([], [])  # no packages: ConvertTo-Json prints nothing
    packages, problems = parse_appx_json('\ufeff{"Name": "Only.One", "SignatureKind": 3}')
    assert [p.name for p in packages] == ["Only.One"] and packages[0].signature_kind == "Store"
    assert problems == []
    packages, problems = parse_appx_json("Get-AppxPackage : The term is not recognized")
    assert packages == [] and "not JSON" in problems[0]
    packages, problems = parse_appx_json('[1, {"Name": ""}, {"Name": "A", "SignatureKind": true}]')
    assert [p.name for p in packages] == ["A"] and packages[0].signature_kind == ""
    assert len(problems) == 2
    assert len(parse_appx_json(APPX_JSON.read_text(encoding="utf-8"))[0]) == 6


def test_manifest_and_publisher_readers() -> None:
    assert (
        manifest_display_name(b"<Properties><DisplayName>ms-resource:AppName</DisplayName>") == ""
    )
    assert manifest_display_name(b"<Package/>") == ""
    assert (
        publisher_name("CN=6A2D6D6F-4B1C-4F0E-9D3A-2B1C0D9E8F7A")
        == "6A2D6D6F-4B1C-4F0E-9D3A-2B1C0D9E8F7A"
    )
    assert publisher_name("") == ""
