"""Fixture computers: a Linux root and home, a Windows registry export, a Mac's folders.

Each builder writes real files in a temporary folder, laid out as the real systems lay them out,
and returns the `LocalRoots` that points a scan at them. Programs the collectors run (rpm,
PowerShell, ioreg) are small Python programs on a private PATH with real behaviour.
"""

from __future__ import annotations

import json
import os
import plistlib
import stat
import sys
import textwrap
from pathlib import Path

from audit.model import Platform, RunningProcess
from audit.sources.local.base import LocalRoots
from audit.sources.local.registry import RegFileRegistry, decode_reg_bytes

FIXTURES = Path(__file__).parent / "fixtures"
CHROME_APP_ID = "fhkpfpfifagoflnfpbdgegnghgihhjpn"
TIKTOK_DESKTOP = f"chrome-{CHROME_APP_ID}-Default.desktop"
CHROME = "/opt/google/chrome/google-chrome"
TIKTOK_APPX = r"C:\Program Files\WindowsApps\BytedancePte.Ltd.TikTok_1.0.6.0_x64__6yccndn6064se"
MACHINE_ID = "b08dfa6083e7567a1921a715000001fb"
RUNNING = [
    RunningProcess(pid=4242, name="TikTok", exe="/opt/TikTok/tiktok", user="ana"),
    RunningProcess(pid=1, name="systemd", exe="/usr/lib/systemd/systemd", user="root"),
]


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return path


def program(bin_dir: Path, name: str, source: str) -> Path:
    """A fake program: a Python script on a private PATH, run by this interpreter."""
    path = write(bin_dir / name, f"#!{sys.executable}\n" + textwrap.dedent(source).lstrip("\n"))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def desktop_entry(name: str, exec_line: str, **extra: str) -> str:
    lines = ["[Desktop Entry]", "Version=1.0", "Type=Application", f"Name={name}"]
    lines.append(f"Exec={exec_line}")
    lines += [f"{key}={value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


# --- Linux -----------------------------------------------------------------------------------


def flatpak_app(
    installation: Path, app_id: str, name: str, version: str, origin: str = "flathub"
) -> Path:
    """A deployed flatpak app laid out as flatpak lays it out, symlinks included."""
    app = installation / "app" / app_id
    deploy = app / "x86_64" / "stable" / "4f1c2b3a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
    write(
        deploy / "metadata",
        f"[Application]\nname={app_id}\nruntime=org.freedesktop.Platform/x86_64/23.08\ncommand={app_id.lower()}\n",
    )
    # The deploy file is a GVariant (ssasta{sv}) whose first member is the origin remote.
    write(deploy / "deploy", origin.encode() + b"\x00" + b"4f1c2b3a\x00" + b"\x00" * 16)
    write(
        deploy / "export" / "share" / "applications" / f"{app_id}.desktop",
        desktop_entry(name, f"/usr/bin/flatpak run --branch=stable --arch=x86_64 {app_id}"),
    )
    write(
        deploy / "files" / "share" / "metainfo" / f"{app_id}.metainfo.xml",
        f"""
        <?xml version="1.0" encoding="UTF-8"?>
        <component type="desktop-application">
          <id>{app_id}</id>
          <releases>
            <release version="{version}" date="2023-03-01"/>
            <release version="0.9" date="2022-01-01"/>
          </releases>
        </component>
        """,
    )
    (app / "x86_64" / "stable" / "active").symlink_to(deploy.name)
    (app / "current").symlink_to("x86_64/stable")
    return app


def snap(root: Path, name: str, revision: str, yaml: str) -> None:
    write(root / "snap" / name / revision / "meta" / "snap.yaml", yaml)
    (root / "snap" / name / "current").symlink_to(revision)
    write(root / "var/lib/snapd/snaps" / f"{name}_{revision}.snap", b"hsqs")


def linux_tree(tmp_path: Path) -> LocalRoots:
    """A Debian laptop of user 'ana' with a TikTok web app pinned from Chrome."""
    root, home, bin_dir = tmp_path / "root", tmp_path / "home" / "ana", tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    write(root / "etc/machine-id", MACHINE_ID + "\n")
    write(
        root / "etc/os-release",
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
        'VERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n',
    )
    write(root / "var/lib/dpkg/status", (FIXTURES / "dpkg-status").read_bytes())
    for name in ("bash", "zlib1g:amd64", "zlib1g:i386", "google-chrome-stable"):
        list_file = write(root / "var/lib/dpkg/info" / f"{name}.list", "/.\n/usr\n")
        os.utime(list_file, (1_680_000_000, 1_680_000_000))

    flatpak_app(root / "var/lib/flatpak", "org.videolan.VLC", "VLC media player", "3.0.18")
    flatpak_app(home / ".local/share/flatpak", "com.spotify.Client", "Spotify", "1.2.11", "flathub")
    write(root / "var/lib/flatpak/runtime/org.freedesktop.Platform/x86_64/23.08/active", b"")

    snap(
        root,
        "spotify",
        "68",
        "name: spotify\nversion: '1.2.11.916'\nsummary: Music for everyone\n"
        "title: Spotify\ntype: app\n",
    )
    snap(root, "core22", "1033", 'name: core22\nversion: "20230801"\ntype: base\n')

    write(home / "Downloads/CapCut-2.5.0-x86_64.AppImage", b"\x7fELF AI\x02")
    write(home / "Applications/Obsidian-1.4.5.AppImage", b"\x7fELF AI\x02")
    write(home / "Downloads/notes.txt", "not an app")

    system_apps = root / "usr/share/applications"
    write(
        system_apps / "firefox-esr.desktop",
        desktop_entry(
            "Firefox ESR", "/usr/lib/firefox-esr/firefox-esr %u", **{"Name[de]": "Firefox ESR (de)"}
        ),
    )
    write(
        system_apps / "org.gnome.Calculator.desktop",
        desktop_entry("Calculator", "gnome-calculator"),
    )
    write(
        system_apps / "mimeinfo-helper.desktop",
        desktop_entry("Helper", "helper %f", NoDisplay="true"),
    )
    write(
        system_apps / "google-chrome.desktop",
        desktop_entry("Google Chrome", "/usr/bin/google-chrome-stable %U"),
    )
    write(system_apps / "kde4/kate.desktop", desktop_entry("Kate", "kate %U"))
    user_apps = home / ".local/share/applications"
    # The user hid Calculator from the menu: Hidden=true in the user's folder deletes the entry.
    write(user_apps / "org.gnome.Calculator.desktop", "[Desktop Entry]\nHidden=true\n")
    write(
        user_apps / TIKTOK_DESKTOP,
        "#!/usr/bin/env xdg-open\n"
        + desktop_entry(
            "TikTok",
            f"{CHROME} --profile-directory=Default --app-id={CHROME_APP_ID}",
            Terminal="false",
            Icon=f"chrome-{CHROME_APP_ID}-Default",
            StartupWMClass=f"crx_{CHROME_APP_ID}",
        ),
    )
    write(
        user_apps / "chrome-cadlkienfkclaiaibeoongdcgmdikeeg-Default.desktop",
        desktop_entry(
            "ChatGPT",
            f"{CHROME} --profile-directory=Default --app=https://chatgpt.com/",
        ),
    )
    write(
        user_apps / "msedge-agimnkijcaahngcdmfeangaknmldooml-Default.desktop",
        desktop_entry(
            "YouTube",
            "/opt/microsoft/msedge/microsoft-edge --profile-directory=Default "
            "--app-id=agimnkijcaahngcdmfeangaknmldooml",
        ),
    )
    write(
        user_apps / "org.gnome.Epiphany.WebApp_7a1c5e0b.desktop",
        desktop_entry(
            "Douyin",
            'epiphany --application-mode "--profile=/home/ana/.local/share/'
            'org.gnome.Epiphany.WebApp_7a1c5e0b" https://www.douyin.com/',
        ),
    )
    return LocalRoots(
        platform=Platform.LINUX,
        root=root,
        home=home,
        user="ana",
        hostname="laptop-42",
        programs_path=str(bin_dir),
        list_processes=lambda: list(RUNNING),
        timeout=30.0,
    )


RPM_DATABASE = [
    {
        "NAME": "bash",
        "EPOCH": "(none)",
        "VERSION": "5.2.15",
        "RELEASE": "3.fc38",
        "ARCH": "x86_64",
        "VENDOR": "Fedora Project",
        "PACKAGER": "Fedora Project",
        "INSTALLTIME": "1680000000",
    },
    {
        "NAME": "gpg-pubkey",
        "EPOCH": "(none)",
        "VERSION": "eb10b464",
        "RELEASE": "6202d9c6",
        "ARCH": "(none)",
        "VENDOR": "(none)",
        "PACKAGER": "(none)",
        "INSTALLTIME": "1680000001",
    },
    {
        "NAME": "google-chrome-stable",
        "EPOCH": "(none)",
        "VERSION": "114.0.5735.198",
        "RELEASE": "1",
        "ARCH": "x86_64",
        "VENDOR": "Google Inc.",
        "PACKAGER": "(none)",
        "INSTALLTIME": "1689000000",
    },
    {
        "NAME": "perl-Carp",
        "EPOCH": "0",
        "VERSION": "1.52",
        "RELEASE": "490.fc38",
        "ARCH": "noarch",
        "VENDOR": "(none)",
        "PACKAGER": "Fedora Project",
        "INSTALLTIME": "bad",
    },
    {
        "NAME": "tzdata",
        "EPOCH": "2",
        "VERSION": "2023c",
        "RELEASE": "1.fc38",
        "ARCH": "noarch",
        "VENDOR": "Fedora Project",
        "PACKAGER": "Fedora Project",
        "INSTALLTIME": "1680000002",
    },
]


def fake_rpm(bin_dir: Path, database: list[dict[str, str]], exit_code: int = 0) -> Path:
    """An `rpm` that answers `-qa --queryformat FMT` from a list of headers, as rpm does."""
    db = bin_dir / "rpmdb.json"
    db.write_text(json.dumps(database), encoding="utf-8")
    return program(
        bin_dir,
        "rpm",
        f"""
        import json, re, sys
        args = sys.argv[1:]
        if args[:2] != ["-qa", "--queryformat"]:
            sys.stderr.write("rpm: unexpected arguments\\n"); sys.exit(2)
        fmt = args[2].encode().decode("unicode_escape")
        for header in json.load(open({str(db)!r}, encoding="utf-8")):
            field = lambda m: header.get(m.group(1), "(none)")
            sys.stdout.write(re.sub(r"%{{(\\w+)}}", field, fmt))
        if {exit_code}:
            sys.stderr.write("error: rpmdb: damaged header #12 retrieved -- skipping.\\n")
        sys.exit({exit_code})
        """,
    )


# --- Windows ---------------------------------------------------------------------------------


def windows_registry() -> RegFileRegistry:
    registry, problems = RegFileRegistry.from_text(
        decode_reg_bytes((FIXTURES / "windows" / "uninstall.reg").read_bytes())
    )
    assert problems == []
    return registry


def fake_powershell(bin_dir: Path, output: Path | None, exit_code: int = 0) -> Path:
    """A `powershell` that prints what Get-AppxPackage printed on a real machine."""
    return program(
        bin_dir,
        "powershell",
        f"""
        import sys
        command = sys.argv[sys.argv.index("-Command") + 1]
        if "Get-AppxPackage" not in command or "ConvertTo-Json" not in command:
            sys.stderr.write("unexpected command\\n"); sys.exit(1)
        if {exit_code}:
            sys.stderr.write("Get-AppxPackage : Access is denied.\\n"); sys.exit({exit_code})
        path = {str(output) if output else ""!r}
        if path:
            sys.stdout.buffer.write(open(path, "rb").read())
        """,
    )


def windows_roots(tmp_path: Path, *, appx: Path | None = None, exit_code: int = 0) -> LocalRoots:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    fake_powershell(bin_dir, appx or FIXTURES / "windows" / "get-appxpackage.json", exit_code)
    return LocalRoots(
        platform=Platform.WINDOWS,
        root=tmp_path / "C",
        home=tmp_path / "C" / "Users" / "ana",
        user="ana",
        hostname="DESKTOP-7Q2K1M",
        registry=windows_registry(),
        programs_path=str(bin_dir),
        list_processes=lambda: [
            RunningProcess(
                pid=8120,
                name="TikTok.exe",
                exe=TIKTOK_APPX + r"\TikTok.exe",
                user="DESKTOP-7Q2K1M\\ana",
            )
        ],
    )


# --- macOS -----------------------------------------------------------------------------------


def bundle(
    folder: Path, name: str, info: dict[str, object] | None, *, binary: bool = False
) -> Path:
    app = folder / f"{name}.app"
    (app / "Contents" / "MacOS").mkdir(parents=True, exist_ok=True)
    if info is not None:
        fmt = plistlib.FMT_BINARY if binary else plistlib.FMT_XML
        write(app / "Contents" / "Info.plist", plistlib.dumps(info, fmt=fmt))
    return app


def mac_tree(tmp_path: Path) -> LocalRoots:
    root, home, bin_dir = tmp_path / "root", tmp_path / "Users" / "ana", tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    apps = root / "Applications"
    bundle(
        apps,
        "Google Chrome",
        {
            "CFBundleIdentifier": "com.google.Chrome",
            "CFBundleName": "Chrome",
            "CFBundleDisplayName": "Google Chrome",
            "CFBundleShortVersionString": "114.0.5735.198",
            "LSMinimumSystemVersion": "10.13.0",
            "NSHumanReadableCopyright": "Copyright 2023 Google LLC. All rights reserved.",
        },
    )
    capcut = bundle(
        apps,
        "CapCut",
        {
            "CFBundleIdentifier": "com.lemon.lvoverseas",
            "CFBundleName": "CapCut",
            "CFBundleShortVersionString": "2.5.0",
            "CFBundleVersion": "1234",
            "NSHumanReadableCopyright": "Copyright © 2023 Bytedance Pte. Ltd. All rights reserved.",
        },
        binary=True,
    )
    # A helper app inside CapCut's bundle is part of CapCut, not a second app.
    bundle(
        capcut / "Contents" / "Frameworks",
        "CapCut Helper",
        {"CFBundleIdentifier": "com.lemon.lvoverseas.helper"},
    )
    wechat = bundle(
        apps,
        "WeChat",
        {
            "CFBundleIdentifier": "com.tencent.xinWeChat",
            "CFBundleName": "WeChat",
            "CFBundleShortVersionString": "3.8.4",
        },
    )
    write(wechat / "Contents/_MASReceipt/receipt", b"0\x82")
    bundle(
        apps / "Utilities",
        "Little Snitch",
        {"CFBundleIdentifier": "at.obdev.littlesnitch", "CFBundleShortVersionString": 5},
    )
    broken = bundle(apps, "Broken", None)
    write(broken / "Contents" / "Info.plist", b"<?xml version='1.0'?><plist><dict><key>CFBundle")
    bundle(apps, "Empty Shell", None)
    # An iPhone app on an Apple silicon Mac: a wrapper around the iOS bundle.
    tiktok = apps / "TikTok.app"
    write(
        tiktok / "Wrapper" / "TikTok.app" / "Info.plist",
        plistlib.dumps(
            {
                "CFBundleIdentifier": "com.zhiliaoapp.musically",
                "CFBundleDisplayName": "TikTok",
                "CFBundleShortVersionString": "30.0.0",
                "MinimumOSVersion": "14.0",
            },
            fmt=plistlib.FMT_BINARY,
        ),
    )
    (tiktok / "WrappedBundle").symlink_to("Wrapper/TikTok.app")

    bundle(
        root / "System" / "Applications",
        "Calculator",
        {
            "CFBundleIdentifier": "com.apple.calculator",
            "CFBundleName": "Calculator",
            "CFBundleShortVersionString": "11.0",
        },
        binary=True,
    )

    chrome_apps = home / "Applications" / "Chrome Apps.localized"
    bundle(
        chrome_apps,
        "TikTok",
        {
            "CFBundleIdentifier": f"com.google.Chrome.app.{CHROME_APP_ID}",
            "CFBundleName": "TikTok",
            "CFBundleExecutable": "app_mode_loader",
            "CrAppModeShortcutID": CHROME_APP_ID,
            "CrAppModeShortcutName": "TikTok",
            "CrAppModeShortcutURL": "https://www.tiktok.com/",
            "CrBundleIdentifier": "com.google.Chrome",
        },
    )
    bundle(
        home / "Applications",
        "Douyin",
        {
            "CFBundleIdentifier": "com.apple.Safari.WebApp.2B7C9D1E-0F3A-4B5C-8D6E-7F8091A2B3C4",
            "CFBundleName": "Douyin",
            "Manifest": {"start_url": "https://www.douyin.com/", "name": "Douyin"},
        },
    )
    write(
        root / "System/Library/CoreServices/SystemVersion.plist",
        plistlib.dumps(
            {
                "ProductName": "macOS",
                "ProductVersion": "14.4.1",
                "ProductBuildVersion": "23E224",
            }
        ),
    )
    ioreg = FIXTURES / "macos" / "ioreg-platform-expert.txt"
    program(bin_dir, "ioreg", f"import sys\nsys.stdout.write(open({str(ioreg)!r}).read())\n")
    return LocalRoots(
        platform=Platform.MACOS,
        root=root,
        home=home,
        user="ana",
        hostname="anas-macbook",
        programs_path=str(bin_dir),
        list_processes=lambda: [],
    )
