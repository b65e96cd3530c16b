"""Menu entries and the browser web apps among them (a TikTok pinned from Chrome)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audit.model import AppId, IdentifierKind, InstallOrigin
from audit.sources.local import base
from audit.sources.local.base import CollectorAbsent, LocalRoots
from audit.sources.local.linux_desktop import (
    DesktopEntriesCollector,
    domain_of,
    parse_desktop_entry,
    web_app_of,
)
from tests.audit.local.trees import CHROME_APP_ID, TIKTOK_DESKTOP, linux_tree, write


def test_menu_entries_and_web_apps(tmp_path: Path) -> None:
    roots = linux_tree(tmp_path)
    out = DesktopEntriesCollector().collect(roots)
    assert out.problems == []
    found = {app.identifier: app for app in out.apps}
    assert set(found) == {
        TIKTOK_DESKTOP,
        "chrome-cadlkienfkclaiaibeoongdcgmdikeeg-Default.desktop",
        "msedge-agimnkijcaahngcdmfeangaknmldooml-Default.desktop",
        "org.gnome.Epiphany.WebApp_7a1c5e0b.desktop",
        "firefox-esr.desktop",
        "google-chrome.desktop",
        "kde4-kate.desktop",  # a subfolder becomes part of the desktop id
        # org.gnome.Calculator: Hidden=true in the user's folder removes the system entry;
        # mimeinfo-helper: NoDisplay=true, not in the menu.
    }
    tiktok = found[TIKTOK_DESKTOP]
    assert tiktok.name == "TikTok"
    assert tiktok.kind is IdentifierKind.DESKTOP
    assert tiktok.origin is InstallOrigin.BROWSER
    assert tiktok.installer == "Google Chrome web app"
    assert tiktok.user == "ana"
    assert tiktok.location == str(roots.user_data / "applications" / TIKTOK_DESKTOP)
    assert tiktok.other_ids == ()  # --app-id names Chrome's app, not the site
    chatgpt = found["chrome-cadlkienfkclaiaibeoongdcgmdikeeg-Default.desktop"]
    assert chatgpt.other_ids == (AppId(IdentifierKind.DOMAIN, "chatgpt.com"),)
    assert found["msedge-agimnkijcaahngcdmfeangaknmldooml-Default.desktop"].installer == (
        "Microsoft Edge web app"
    )
    douyin = found["org.gnome.Epiphany.WebApp_7a1c5e0b.desktop"]
    assert douyin.installer == "GNOME Web web app"
    assert douyin.other_ids == (AppId(IdentifierKind.DOMAIN, "www.douyin.com"),)
    firefox = found["firefox-esr.desktop"]
    assert (firefox.name, firefox.origin, firefox.user) == (
        "Firefox ESR",
        InstallOrigin.UNKNOWN,
        "system",
    )


def test_user_entry_overrides_the_system_one(tmp_path: Path) -> None:
    roots = linux_tree(tmp_path)
    write(
        roots.user_data / "applications" / "firefox-esr.desktop",
        "[Desktop Entry]\nType=Application\nName=My Firefox\nExec=firefox\n",
    )
    apps = DesktopEntriesCollector().collect(roots).apps
    assert [a.name for a in apps if a.identifier == "firefox-esr.desktop"] == ["My Firefox"]


def test_malformed_and_non_utf8_entries_are_problems_not_crashes(tmp_path: Path) -> None:
    roots = linux_tree(tmp_path)
    folder = roots.user_data / "applications"
    write(folder / "broken.desktop", "[Desktop Entry\nName=Broken\nthis line has no equals\n")
    write(
        folder / "latin1.desktop", b"[Desktop Entry]\nType=Application\nName=Caf\xe9\nExec=cafe\n"
    )
    write(folder / "nameless.desktop", "[Desktop Entry]\nType=Application\nExec=x\n")
    out = DesktopEntriesCollector().collect(roots)
    assert TIKTOK_DESKTOP in {a.identifier for a in out.apps}
    assert next(a for a in out.apps if a.identifier == "latin1.desktop").name == "Caf\ufffd"
    problems = "\n".join(out.problems)
    assert "broken.desktop, line 1: a group header without ']'" in problems
    assert "broken.desktop has no [Desktop Entry] group" in problems
    assert "latin1.desktop is not valid UTF-8" in problems
    assert "nameless.desktop has no Name" in problems
    assert len(out.problems) == 4


def test_unreadable_folder_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder the scan may not read; simulated, because root reads through chmod 000."""
    roots = linux_tree(tmp_path)
    denied = roots.path("/usr/share/applications")
    real = base.list_dir

    def list_dir(path: Path) -> list[os.DirEntry[str]]:
        if Path(path) == denied:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(base, "list_dir", list_dir)
    out = DesktopEntriesCollector().collect(roots)
    assert out.problems == [f"cannot read the folder {denied}: Permission denied"]
    assert TIKTOK_DESKTOP in {a.identifier for a in out.apps}


def test_chmod_000_folder_is_a_problem(tmp_path: Path) -> None:
    roots = linux_tree(tmp_path)
    folder = roots.user_data / "applications"
    folder.chmod(0)
    try:
        if os.access(folder, os.R_OK):
            pytest.skip("running as root: chmod 000 does not stop root reading a folder")
        out = DesktopEntriesCollector().collect(roots)
    finally:
        folder.chmod(0o755)
    assert out.problems == [f"cannot read the folder {folder}: Permission denied"]
    assert "firefox-esr.desktop" in {a.identifier for a in out.apps}


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    roots = linux_tree(tmp_path)
    # A dangling link in the folder: listed, but cannot be opened (as for a chmod 000 file).
    (roots.user_data / "applications" / "gone.desktop").symlink_to(tmp_path / "nowhere")
    out = DesktopEntriesCollector().collect(roots)
    assert len(out.problems) == 1 and "gone.desktop: No such file or directory" in out.problems[0]


def test_no_menu_folders_means_absent(tmp_path: Path) -> None:
    with pytest.raises(CollectorAbsent):
        DesktopEntriesCollector().collect(LocalRoots(root=tmp_path, home=tmp_path / "h"))


def test_entry_reader_keeps_the_main_group_and_decodes_escapes() -> None:
    entry = parse_desktop_entry(
        "# comment\n[Desktop Entry]\nName=Tik\\sTok\nName[fr]=TikTok FR\nExec=a\\\\b\n"
        "[Desktop Action new]\nName=New window\n"
    )
    assert entry.values == {"Name": "Tik Tok", "Exec": "a\\b"}
    assert entry.problems == []


@pytest.mark.parametrize(
    ("desktop_id", "exec_line", "browser", "url"),
    [
        (TIKTOK_DESKTOP, f"google-chrome --app-id={CHROME_APP_ID}", "Google Chrome", ""),
        (f"brave-{CHROME_APP_ID}-Profile_1.desktop", "brave-browser", "Brave", ""),
        (
            f"com.google.Chrome.flextop.chrome-{CHROME_APP_ID}-Default.desktop",
            "flatpak run",
            "Google Chrome",
            "",
        ),
        (
            "tiktok.desktop",
            "chromium --app=https://www.tiktok.com/foryou",
            "Chromium",
            "https://www.tiktok.com/foryou",
        ),
        (
            "FFPWA-01H8XJ2K3M.desktop",
            "firefoxpwa site launch 01H8XJ2K3M",
            "Firefox (PWAsForFirefox)",
            "",
        ),
        (
            "epiphany-tiktok.desktop",
            "epiphany --application-mode https://tiktok.com",
            "GNOME Web",
            "https://tiktok.com",
        ),
        ("firefox.desktop", "firefox %u", None, None),
        (
            "broken-quotes.desktop",
            'chrome "--app=https://x.example',
            "Google Chrome",
            "https://x.example",
        ),
    ],
)
def test_web_app_recognition(
    desktop_id: str, exec_line: str, browser: str | None, url: str | None
) -> None:
    entry = parse_desktop_entry(f"[Desktop Entry]\nName=X\nExec={exec_line}\n")
    web = web_app_of(desktop_id, entry)
    if browser is None:
        assert web is None
    else:
        assert web is not None and (web.browser, web.url) == (browser, url)


def test_domain_of_urls() -> None:
    assert domain_of("https://www.TikTok.com/@someone") == "www.tiktok.com"
    assert domain_of("http://tiktok.com.:8080/") == "tiktok.com"
    assert domain_of("file:///home/ana/page.html") == ""
    assert domain_of("https://[::1") == ""
    assert domain_of("not a url") == ""
