"""dpkg: the status database read directly, on a fixture and once on this machine for real."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from audit.model import IdentifierKind, InstallOrigin
from audit.sources.local.base import CollectorAbsent, LocalRoots
from audit.sources.local.linux_dpkg import STATUS_FILE, DpkgCollector, parse_status
from tests.audit.local.trees import FIXTURES, linux_tree, write

STATUS = (FIXTURES / "dpkg-status").read_text(encoding="utf-8")


def test_only_packages_with_files_on_disk_are_listed() -> None:
    packages, problems = parse_status(STATUS)
    assert [(p.name, p.architecture) for p in packages] == [
        ("bash", "amd64"),
        ("zlib1g", "amd64"),
        ("zlib1g", "i386"),
        ("google-chrome-stable", "amd64"),
        ("linux-image-6.1.0-9-amd64", "amd64"),  # half-installed: its files are on disk
    ]
    assert problems == []  # "config-files" (vlc) and "not-installed" are not problems


def test_fields_are_read_from_each_stanza() -> None:
    packages, _ = parse_status(STATUS)
    bash, zlib = packages[0], packages[1]
    assert bash.version == "5.2.15-2+b8"
    assert bash.system  # Essential: yes
    assert not zlib.system
    assert zlib.version == "1:1.2.13.dfsg-1"
    assert zlib.multi_arch_same
    # A continuation line that looks like a field does not start a package.
    assert "this continuation line is not a field" not in {p.name for p in packages}


def test_collector_reports_debs_with_publisher_and_update_time(tmp_path: Path) -> None:
    roots = linux_tree(tmp_path)
    out = DpkgCollector().collect(roots)
    assert out.problems == []
    chrome = next(a for a in out.apps if a.identifier == "google-chrome-stable")
    assert chrome.kind is IdentifierKind.DEB
    assert chrome.publisher == "Chrome Linux Team"
    assert chrome.installer == "dpkg"
    assert chrome.origin is InstallOrigin.PACKAGE_MANAGER
    assert chrome.user == "system"
    assert chrome.updated_at == datetime.fromtimestamp(1_680_000_000, UTC)
    # Multi-Arch: same packages keep one .list file per architecture.
    zlibs = [a for a in out.apps if a.identifier == "zlib1g"]
    assert len(zlibs) == 2 and all(a.updated_at is not None for a in zlibs)
    kernel = next(a for a in out.apps if a.identifier.startswith("linux-image"))
    assert kernel.updated_at is None  # no .list file: no time, no error


def test_no_status_file_means_dpkg_is_absent(tmp_path: Path) -> None:
    with pytest.raises(CollectorAbsent):
        DpkgCollector().collect(LocalRoots(root=tmp_path, home=tmp_path))


def test_truncated_and_overwritten_database_gives_partial_results(tmp_path: Path) -> None:
    # A crash left half a stanza at the end, and something overwrote the middle of the file.
    broken = STATUS.replace("Package: google-chrome-stable\n", "\x00\x00garbage\n")
    broken = broken[: broken.index("Package: linux-image") + 40]
    packages, problems = parse_status(broken)
    assert [p.name for p in packages] == ["bash", "zlib1g", "zlib1g"]
    assert len(problems) == 2
    assert "line 58 of the dpkg database has no Package field" in problems[0]
    assert "'linux-image-6.1.0-9-amd64'" in problems[1] and "no Status field" in problems[1]


def test_non_utf8_status_file_is_read_with_a_problem(tmp_path: Path) -> None:
    data = STATUS.encode().replace(b"Matthias Klose", b"Matthias Kl\xf6se")
    write(tmp_path / STATUS_FILE.lstrip("/"), data)
    out = DpkgCollector().collect(LocalRoots(root=tmp_path, home=tmp_path))
    assert len(out.apps) == 5
    assert out.apps[0].publisher == "Matthias Kl\ufffdse"
    assert len(out.problems) == 1 and "not valid UTF-8" in out.problems[0]


@pytest.mark.skipif(
    shutil.which("dpkg-query") is None or not Path(STATUS_FILE).exists(),
    reason="dpkg is not installed on this machine",
)
def test_counts_match_dpkg_query_on_this_machine() -> None:
    """The real database: exactly the packages dpkg-query lists with files on disk.

    dpkg-query -W also lists packages removed but for their configuration (status 'c') and
    ones it knows but never installed ('n'); the second letter of db:Status-Abbrev says which.
    """
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${db:Status-Abbrev}\t${Package}\n"],
        capture_output=True,
        text=True,
        check=True,
    )
    expected = Counter(
        name
        for abbrev, _, name in (line.partition("\t") for line in done.stdout.splitlines())
        if len(abbrev) >= 2 and abbrev[1] not in "nc"
    )
    out = DpkgCollector().collect(LocalRoots())
    assert out.problems == []
    assert Counter(app.identifier for app in out.apps) == expected
    assert sum(expected.values()) > 0
