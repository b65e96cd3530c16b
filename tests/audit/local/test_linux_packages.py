"""rpm (through a fake rpm program), flatpak and snap folders, AppImage files."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from audit.model import IdentifierKind, InstallOrigin
from audit.sources.local.base import CollectorAbsent, LocalRoots, ProgramMissing
from audit.sources.local.linux_appimage import AppImageCollector, name_and_version
from audit.sources.local.linux_flatpak import (
    FlatpakCollector,
    deploy_origin,
    release_version,
)
from audit.sources.local.linux_rpm import QUERY_FORMAT, RpmCollector, parse_rpm_query
from audit.sources.local.linux_snap import SnapCollector, parse_snap_yaml
from tests.audit.local.trees import RPM_DATABASE, fake_rpm, flatpak_app, linux_tree, write

# --- rpm -------------------------------------------------------------------------------------


def rpm_roots(tmp_path: Path, exit_code: int = 0) -> LocalRoots:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_rpm(bin_dir, RPM_DATABASE, exit_code)
    return LocalRoots(root=tmp_path, home=tmp_path, programs_path=str(bin_dir))


def test_rpm_packages_come_from_one_query(tmp_path: Path) -> None:
    out = RpmCollector().collect(rpm_roots(tmp_path))
    assert out.problems == []
    by_name = {app.identifier: app for app in out.apps}
    assert list(by_name) == ["bash", "google-chrome-stable", "perl-Carp", "tzdata"]  # no keys
    assert by_name["bash"].version == "5.2.15-3.fc38"
    assert by_name["tzdata"].version == "2:2023c-1.fc38"  # epoch shown as rpm shows it
    assert by_name["perl-Carp"].version == "0:1.52-490.fc38"
    assert by_name["google-chrome-stable"].publisher == "Google Inc."
    assert by_name["perl-Carp"].publisher == "Fedora Project"  # no vendor: the packager
    assert by_name["bash"].installed_at == datetime.fromtimestamp(1_680_000_000, UTC)
    assert by_name["perl-Carp"].installed_at is None  # INSTALLTIME was not a number
    assert all(a.kind is IdentifierKind.RPM and a.user == "system" for a in out.apps)


def test_rpm_that_fails_halfway_gives_partial_results(tmp_path: Path) -> None:
    out = RpmCollector().collect(rpm_roots(tmp_path, exit_code=1))
    assert len(out.apps) == 4
    assert out.problems == [
        "rpm stopped with exit code 1: error: rpmdb: damaged header #12 retrieved -- skipping."
    ]


def test_no_rpm_program_means_rpm_is_absent(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    roots = LocalRoots(root=tmp_path, home=tmp_path, programs_path=str(tmp_path / "bin"))
    with pytest.raises(ProgramMissing):
        RpmCollector().collect(roots)
    assert issubclass(ProgramMissing, CollectorAbsent)


def test_rpm_output_in_an_unexpected_form_is_a_problem_per_line() -> None:
    text = "bash\t(none)\t5.2\t1\tx86_64\tFedora\t(none)\t1680000000\nnot a package line\n\n"
    packages, problems = parse_rpm_query(text)
    assert [p.name for p in packages] == ["bash"]
    assert problems == ["rpm printed line 2 in a form we do not understand"]
    assert QUERY_FORMAT.count("\t") == 7


def test_a_hanging_rpm_is_stopped_by_the_timeout(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fifo = tmp_path / "never"
    os.mkfifo(fifo)
    write(bin_dir / "rpm", f"#!/bin/sh\nexec cat {fifo}\n").chmod(0o755)
    roots = LocalRoots(root=tmp_path, home=tmp_path, programs_path=str(bin_dir), timeout=0.3)
    with pytest.raises(subprocess.TimeoutExpired):
        RpmCollector().collect(roots)


# --- flatpak ---------------------------------------------------------------------------------


def test_flatpak_apps_of_system_and_user_installations(tmp_path: Path) -> None:
    out = FlatpakCollector().collect(linux_tree(tmp_path))
    assert out.problems == []
    vlc, spotify = out.apps
    assert (vlc.identifier, vlc.name, vlc.version) == (
        "org.videolan.VLC",
        "VLC media player",
        "3.0.18",
    )
    assert vlc.installer == "flatpak system (flathub)"
    assert vlc.user == "system"
    assert vlc.kind is IdentifierKind.FLATPAK
    assert vlc.location.endswith("x86_64/stable/4f1c2b3a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d")
    assert (spotify.identifier, spotify.user) == ("com.spotify.Client", "ana")
    assert spotify.installer == "flatpak user (flathub)"
    assert spotify.installed_at is not None


def test_extra_flatpak_installations_are_read(tmp_path: Path) -> None:
    roots = linux_tree(tmp_path)
    write(
        roots.path("/etc/flatpak/installations.d/extra.conf"),
        '[Installation "extra"]\nPath=/opt/flatpak-extra\nDisplayName=Extra apps\n',
    )
    flatpak_app(roots.path("/opt/flatpak-extra"), "org.signal.Signal", "Signal", "6.30.0", "beta")
    apps = FlatpakCollector().collect(roots).apps
    signal = next(a for a in apps if a.identifier == "org.signal.Signal")
    assert signal.installer == "flatpak extra (beta)"


def test_a_broken_flatpak_deploy_is_a_problem_and_the_others_are_kept(tmp_path: Path) -> None:
    roots = linux_tree(tmp_path)
    (roots.path("/var/lib/flatpak/app/org.videolan.VLC/current/active/metadata")).unlink()
    out = FlatpakCollector().collect(roots)
    assert [a.identifier for a in out.apps] == ["com.spotify.Client"]
    assert len(out.problems) == 1 and "org.videolan.VLC (flatpak system)" in out.problems[0]


def test_no_installation_means_flatpak_is_absent(tmp_path: Path) -> None:
    with pytest.raises(CollectorAbsent):
        FlatpakCollector().collect(LocalRoots(root=tmp_path, home=tmp_path))


def test_appstream_and_deploy_readers() -> None:
    assert (
        release_version(b'<releases>\n<release date="2023" version="1.2.3"/></releases>') == "1.2.3"
    )
    assert release_version(b"<component/>") == ""
    assert deploy_origin(b"flathub\x00abc") == "flathub"
    assert deploy_origin(b"\x01\x02") == ""
    assert deploy_origin(b"no terminator") == ""


# --- snap ------------------------------------------------------------------------------------


def test_snaps_from_their_mounted_yaml(tmp_path: Path) -> None:
    out = SnapCollector().collect(linux_tree(tmp_path))
    assert out.problems == []
    core, spotify = out.apps
    assert (spotify.identifier, spotify.name, spotify.version) == (
        "spotify",
        "Spotify",
        "1.2.11.916",
    )
    assert not spotify.system
    assert (core.identifier, core.version, core.system) == ("core22", "20230801", True)
    assert spotify.installed_at is not None  # the time of /var/lib/snapd/snaps/spotify_68.snap


def test_installed_but_unmounted_snap_is_listed_and_reported(tmp_path: Path) -> None:
    roots = linux_tree(tmp_path)
    write(roots.path("/var/lib/snapd/snaps/capcut-desktop_3.snap"), b"hsqs")
    out = SnapCollector().collect(roots)
    assert "capcut-desktop" in [a.identifier for a in out.apps]
    assert out.problems == [
        f"the snap capcut-desktop is installed but not mounted "
        f"({roots.path('/var/lib/snapd/snaps/capcut-desktop_3.snap')})"
    ]


def test_snap_yaml_reader() -> None:
    fields = parse_snap_yaml(
        "name: tiktok\nversion: \"2.0\"  \nsummary: >\n  folded\ntitle: 'Tik Tok'\n"
        "type: app # a comment\napps:\n  tiktok:\n    command: bin/tiktok\n"
    )
    assert fields == {
        "name": "tiktok",
        "version": "2.0",
        "summary": "",
        "title": "Tik Tok",
        "type": "app",
        "apps": "",
    }


def test_no_snapd_means_snap_is_absent(tmp_path: Path) -> None:
    with pytest.raises(CollectorAbsent):
        SnapCollector().collect(LocalRoots(root=tmp_path, home=tmp_path))


# --- AppImage --------------------------------------------------------------------------------


def test_appimages_in_the_usual_folders(tmp_path: Path) -> None:
    roots = linux_tree(tmp_path)
    write(roots.path("/opt/tiktok/TikTok_Desktop-v1.0.3.AppImage"), b"\x7fELF")
    out = AppImageCollector().collect(roots)
    assert out.problems == []
    found = {a.identifier: a for a in out.apps}
    assert set(found) == {
        "Obsidian-1.4.5.AppImage",
        "CapCut-2.5.0-x86_64.AppImage",
        "TikTok_Desktop-v1.0.3.AppImage",
    }
    capcut = found["CapCut-2.5.0-x86_64.AppImage"]
    assert (capcut.name, capcut.version, capcut.user) == ("CapCut", "2.5.0", "ana")
    assert capcut.origin is InstallOrigin.SIDELOADED
    assert capcut.location == str(roots.home / "Downloads" / "CapCut-2.5.0-x86_64.AppImage")
    assert found["TikTok_Desktop-v1.0.3.AppImage"].user == "system"


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("TikTok-1.2.3-x86_64.AppImage", ("TikTok", "1.2.3")),
        ("Obsidian-1.4.5.AppImage", ("Obsidian", "1.4.5")),
        ("balenaEtcher-1.18.11-x64.AppImage", ("balenaEtcher", "1.18.11")),
        ("Joplin_v2.12.appimage", ("Joplin", "2.12")),
        ("Some App.AppImage", ("Some App", "")),
        ("x86_64.AppImage", ("x86_64", "")),
        ("3D-Viewer-2.0.AppImage", ("3D Viewer", "2.0")),
    ],
)
def test_name_and_version_from_the_file_name(file_name: str, expected: tuple[str, str]) -> None:
    assert name_and_version(file_name) == expected
