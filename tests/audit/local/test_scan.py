"""The whole local scan: isolation of collectors, timeouts, cancel, and the CLI end to end."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from audit import inventory
from audit.cli import main
from audit.errors import Cancelled
from audit.model import (
    IdentifierKind,
    InstalledApp,
    InstallOrigin,
    Platform,
    RunningProcess,
    SourceReport,
    SourceStatus,
    UserKind,
)
from audit.sources.local import scan as local_scan
from audit.sources.local import scan_local
from audit.sources.local.base import CollectorAbsent, CollectorOutput, LocalRoots
from tests.audit.local.trees import TIKTOK_DESKTOP, linux_tree, mac_tree, windows_roots


class Good:
    name = "good source"
    platform = Platform.LINUX
    runs_program = False

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        return CollectorOutput(
            apps=[InstalledApp("good-app", IdentifierKind.DEB, collector=self.name)]
        )


class Raising:
    name = "broken source"
    platform = Platform.LINUX
    runs_program = False

    def __init__(self, error: Exception) -> None:
        self.error = error

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        raise self.error


class Missing:
    name = "missing source"
    platform = Platform.LINUX
    runs_program = False

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        raise CollectorAbsent("not installed here")


class Hanging:
    """A collector stuck until the test lets it go (a hung network folder, a silent program)."""

    name = "hanging source"
    platform = Platform.LINUX
    runs_program = False

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def collect(self, ctx: LocalRoots) -> CollectorOutput:
        self.started.set()
        self.release.wait()
        return CollectorOutput()


@pytest.fixture
def hanging() -> Iterator[Hanging]:
    collector = Hanging()
    yield collector
    collector.release.set()


def use(monkeypatch: pytest.MonkeyPatch, *collectors: object) -> None:
    monkeypatch.setattr(local_scan, "collectors_for", lambda platform: list(collectors))


def reports(scan_sources: tuple[SourceReport, ...]) -> dict[str, tuple[SourceStatus, str]]:
    return {s.name: (s.status, s.detail) for s in scan_sources}


def test_linux_fixture_scan(tmp_path: Path) -> None:
    scan = scan_local(roots=linux_tree(tmp_path))
    assert {s.name: s.status for s in scan.sources} == {
        "dpkg": SourceStatus.OK,
        "rpm": SourceStatus.ABSENT,
        "flatpak": SourceStatus.OK,
        "snap": SourceStatus.OK,
        "appimage": SourceStatus.OK,
        "desktop entries": SourceStatus.OK,
        "running processes": SourceStatus.OK,
    }
    assert scan.complete and scan.gaps == ()
    for source in scan.sources:  # counts agree with what each collector contributed
        assert source.count == sum(1 for a in scan.apps if a.collector == source.name)
    assert reports(scan.sources)["rpm"] == (SourceStatus.ABSENT, "rpm is not installed")
    assert [p.name for p in scan.processes] == ["TikTok", "systemd"]
    assert [(u.id, u.kind) for u in scan.users] == [
        ("system", UserKind.SYSTEM),
        ("ana", UserKind.LOCAL_USER),
    ]
    tiktok = next(a for a in scan.apps if a.identifier == TIKTOK_DESKTOP)
    assert (tiktok.name, tiktok.origin) == ("TikTok", InstallOrigin.BROWSER)


def test_windows_and_macos_fixture_scans(tmp_path: Path) -> None:
    windows = scan_local(roots=windows_roots(tmp_path / "win"))
    assert reports(windows.sources)["microsoft store apps"][0] is SourceStatus.PARTIAL
    assert [g.name for g in windows.gaps] == ["microsoft store apps"]
    assert {"BytedancePte.Ltd.TikTok", "CapCut"} <= {a.identifier for a in windows.apps}
    assert windows.device.os_name == "Windows 11 Pro"
    mac = scan_local(roots=mac_tree(tmp_path / "mac"))
    assert [g.name for g in mac.gaps] == ["macos app bundles"]  # two broken bundles
    assert "com.zhiliaoapp.musically" in {a.identifier for a in mac.apps}


@pytest.mark.allow_warning_logs
def test_a_failing_collector_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, Raising(RuntimeError("database is locked")), Good(), Missing())
    scan = scan_local(roots=LocalRoots(root=tmp_path, home=tmp_path, list_processes=list))
    assert reports(scan.sources) == {
        "broken source": (SourceStatus.FAILED, "RuntimeError: database is locked"),
        "good source": (SourceStatus.OK, ""),
        "missing source": (SourceStatus.ABSENT, "not installed here"),
    }
    assert [a.identifier for a in scan.apps] == ["good-app"]
    assert not scan.complete
    assert [g.name for g in scan.gaps] == ["broken source"]


@pytest.mark.allow_warning_logs
def test_failures_are_described_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, Raising(PermissionError(13, "Permission denied", "/var/lib/rpm/rpmdb.sqlite")))
    (report,) = scan_local(roots=LocalRoots(root=tmp_path, home=tmp_path)).sources
    assert report.detail == "cannot read /var/lib/rpm/rpmdb.sqlite: Permission denied"


def test_problems_with_results_make_a_partial_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Partly:
        name = "partly"
        platform = Platform.LINUX
        runs_program = False

        def collect(self, ctx: LocalRoots) -> CollectorOutput:
            app = InstalledApp("a", IdentifierKind.DEB)
            return CollectorOutput(apps=[app], problems=[f"problem {n}" for n in range(5)])

    class Nothing(Partly):
        name = "nothing"

        def collect(self, ctx: LocalRoots) -> CollectorOutput:
            return CollectorOutput(problems=["the database is empty garbage"])

    use(monkeypatch, Partly(), Nothing())
    scan = scan_local(roots=LocalRoots(root=tmp_path, home=tmp_path))
    assert reports(scan.sources) == {
        "partly": (SourceStatus.PARTIAL, "problem 0; problem 1; problem 2 (and 2 more)"),
        "nothing": (SourceStatus.FAILED, "the database is empty garbage"),
    }


@pytest.mark.allow_warning_logs
@pytest.mark.parametrize("runs_program", [False, True])
def test_a_hanging_collector_times_out_and_the_scan_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hanging: Hanging, runs_program: bool
) -> None:
    """A stuck file reader and a program that never answers both time out alone."""
    hanging.runs_program = runs_program
    use(monkeypatch, hanging, Good())
    roots = LocalRoots(root=tmp_path, home=tmp_path, timeout=0.3)
    scan = scan_local(roots=roots)
    assert reports(scan.sources)["hanging source"] == (
        SourceStatus.FAILED,
        "did not finish within 0.3 seconds",
    )
    assert [a.identifier for a in scan.apps] == ["good-app"]
    assert [s.name for s in scan.sources] == ["hanging source", "good source"]
    assert not scan.complete


def test_cancel_stops_the_scan_while_a_collector_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hanging: Hanging
) -> None:
    use(monkeypatch, hanging)
    with pytest.raises(Cancelled):
        scan_local(cancelled=hanging.started.is_set, roots=LocalRoots(root=tmp_path, home=tmp_path))


def test_cancel_before_start(tmp_path: Path) -> None:
    with pytest.raises(Cancelled):
        scan_local(cancelled=lambda: True, roots=linux_tree(tmp_path))


def test_progress_goes_from_zero_to_one(tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    scan_local(
        lambda fraction, message: seen.append((fraction, message)), roots=linux_tree(tmp_path)
    )
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert len(seen) == 7 + 2  # a start, one per collector, the end
    assert seen[-1][1] == "Found 18 apps"


def test_scan_of_this_machine_for_real() -> None:
    scan = scan_local()
    assert scan.device.id.startswith("local:")
    assert {s.name for s in scan.sources} >= {"running processes"}
    assert any(p.name for p in scan.processes)
    assert scan.complete, scan.gaps


# --- command line ----------------------------------------------------------------------------


@pytest.fixture
def fixture_computer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalRoots:
    """`device-audit scan --local` pointed at a fixture tree through scan.default_roots."""
    roots = linux_tree(tmp_path)
    monkeypatch.setattr(local_scan, "default_roots", lambda: roots)
    return roots


def test_cli_scan_writes_an_inventory_that_check_reads(
    fixture_computer: LocalRoots, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    assert main(["scan", "--local", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "laptop-42" in printed and f"Inventory written to {out}" in printed
    scan = inventory.load(out)
    tiktok = next(a for a in scan.apps if a.identifier == TIKTOK_DESKTOP)
    assert (tiktok.name, tiktok.origin, tiktok.kind) == (
        "TikTok",
        InstallOrigin.BROWSER,
        IdentifierKind.DESKTOP,
    )
    assert scan.complete

    # The founding case: NZ Parliament bans the TikTok app and leaves the browser allowed, so
    # the web app is flagged for a person to review.
    code = main(["check", "--policy", "nz-parliament-2023", "--inventory", str(out), "--json"])
    result = json.loads(capsys.readouterr().out)
    flagged = [f for f in result["findings"] if f["app"]["identifier"] == TIKTOK_DESKTOP]
    assert flagged and flagged[0]["status"] == "review"
    assert code == 0  # a review is not a violation


def test_cli_scan_to_stdout_and_incomplete_exit_code(
    fixture_computer: LocalRoots,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (fixture_computer.user_data / "applications" / "bad.desktop").write_bytes(b"junk")
    assert main(["scan", "--local", "--json", "-"]) == 1  # a partial source: incomplete
    data = json.loads(capsys.readouterr().out)
    assert data["complete"] is False
    desktop = next(s for s in data["sources"] if s["name"] == "desktop entries")
    assert desktop["status"] == "partial" and "bad.desktop" in desktop["detail"]


def test_names_that_are_not_utf8_are_kept_readable_and_reported(tmp_path: Path) -> None:
    """File names are bytes: one that is not UTF-8 must not stop the inventory being saved."""
    roots = linux_tree(tmp_path)
    downloads = os.fsencode(roots.home / "Downloads")
    Path(os.fsdecode(downloads + b"/Tik\xf6Tok-1.0-x86_64.AppImage")).write_bytes(b"\x7fELF")
    apps_dir = os.fsencode(roots.user_data / "applications")
    Path(os.fsdecode(apps_dir + b"/caf\xe9.desktop")).write_text(
        "[Desktop Entry]\nType=Application\nName=Caf\xe9\nExec=cafe\n", encoding="utf-8"
    )
    weird = RunningProcess(pid=7, name="x", exe=os.fsdecode(b"/opt/\xff/run"), user="ana")
    scan = scan_local(roots=replace(roots, list_processes=lambda: [weird]))
    text = inventory.dumps(scan)
    text.encode("utf-8")  # would raise on a lone surrogate
    assert "Tik\ufffdTok-1.0-x86_64.AppImage" in {a.identifier for a in scan.apps}
    assert "caf\ufffd.desktop" in {a.identifier for a in scan.apps}
    assert scan.processes[0].exe == "/opt/\ufffd/run"
    states = reports(scan.sources)
    assert states["appimage"][0] is SourceStatus.PARTIAL
    assert "'Tik\ufffdTok-1.0-x86_64.AppImage'" in states["appimage"][1]
    assert "is not valid UTF-8" in states["appimage"][1]
    assert states["desktop entries"][0] is SourceStatus.PARTIAL
