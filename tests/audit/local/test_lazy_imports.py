"""A scan of this computer loads only its own operating system's collectors (issue 15).

Each check runs in a fresh interpreter, as `device-audit scan --local` does: what it imported
is what it cost. The scans read fixture trees (tests/audit/local/trees.py), so the Windows and
macOS paths run on any machine, and the modules each OS must not load are named outright.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from audit.model import Platform
from audit.sources.local import LocalRoots, collectors_for
from audit.sources.local.base import describe_error
from tests.audit.local.trees import linux_tree, mac_tree, write

ROOT = Path(__file__).resolve().parents[3]

MACOS_ONLY = ("audit.sources.local.macos_bundles", "plistlib")
WINDOWS_ONLY = (
    "audit.sources.local.registry",
    "audit.sources.local.windows_registry",
    "audit.sources.local.windows_appx",
)
LINUX_ONLY = (
    "audit.sources.local.linux_dpkg",
    "audit.sources.local.linux_rpm",
    "audit.sources.local.linux_flatpak",
    "audit.sources.local.linux_snap",
    "audit.sources.local.linux_appimage",
    "audit.sources.local.linux_desktop",
)
# Needed only by a collector that runs a program, or on another OS.
LAZY = ("subprocess", "socket", "platform", "configparser")


def loaded_after(roots: LocalRoots) -> tuple[list[str], list[str]]:
    """(the sources the scan reported, every module loaded) for a scan of `roots` in a fresh
    interpreter that imports nothing else: the fixture tree is built here, in the test's own
    process, because building it loads the plist and registry code a scan must not."""
    fields = {
        "platform": roots.platform.value,
        "root": str(roots.root),
        "home": str(roots.home),
        "user": roots.user,
        "hostname": roots.hostname,
        "programs_path": roots.programs_path,
        "timeout": roots.timeout,
    }
    code = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from audit.model import Platform
        from audit.sources.local import LocalRoots, scan_local
        f = {fields!r}
        roots = LocalRoots(
            platform=Platform(f["platform"]), root=Path(f["root"]), home=Path(f["home"]),
            user=f["user"], hostname=f["hostname"], programs_path=f["programs_path"],
            list_processes=list, timeout=f["timeout"],
        )
        scan = scan_local(roots=roots)
        print(json.dumps([[s.name for s in scan.sources], sorted(sys.modules)]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    sources, modules = json.loads(done.stdout.splitlines()[-1])
    return sources, modules


def test_a_linux_scan_loads_no_macos_or_windows_code(tmp_path: Path) -> None:
    sources, modules = loaded_after(linux_tree(tmp_path))
    assert "dpkg" in sources and "flatpak" in sources  # the scan did run its collectors
    loaded = [m for m in (*MACOS_ONLY, *WINDOWS_ONLY, *LAZY) if m in modules]
    assert loaded == [], f"a Linux scan imported {loaded}"


def test_a_mac_scan_loads_no_linux_or_windows_code(tmp_path: Path) -> None:
    sources, modules = loaded_after(mac_tree(tmp_path))
    assert sources[0] == "macos app bundles"
    assert "audit.sources.local.macos_bundles" in modules  # what a Mac needs, it loads
    # linux_desktop is shared: the bundles reader takes its web-address helper from it
    linux = [m for m in LINUX_ONLY if not m.endswith("linux_desktop")]
    loaded = [m for m in (*linux, *WINDOWS_ONLY) if m in modules]
    assert loaded == [], f"a macOS scan imported {loaded}"


def test_each_os_still_gets_all_its_collectors() -> None:
    """Lazy imports must not lose a collector: the names per OS, as before issue 15."""
    computers = (Platform.LINUX, Platform.WINDOWS, Platform.MACOS)
    names = {p: [c.name for c in collectors_for(p)] for p in computers}
    assert names[Platform.LINUX][:2] == ["dpkg", "rpm"]
    assert len(names[Platform.LINUX]) == 7
    assert len(names[Platform.WINDOWS]) == 3
    assert len(names[Platform.MACOS]) == 2
    for platform in computers:
        assert names[platform][-1] == "running processes"
        assert all(c.platform in (platform, None) for c in collectors_for(platform)), (
            f"{platform} got another OS's collector"
        )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe to hang on")
def test_a_program_that_hangs_is_still_said_in_words(tmp_path: Path) -> None:
    """subprocess is imported only when a program runs; the words for its timeout remain."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fifo = tmp_path / "never"
    os.mkfifo(fifo)
    write(bin_dir / "rpm", f"#!/bin/sh\nexec cat {fifo}\n").chmod(0o755)
    roots = LocalRoots(root=tmp_path, home=tmp_path, programs_path=str(bin_dir), timeout=0.3)
    with pytest.raises(subprocess.TimeoutExpired) as raised:
        roots.run(["rpm", "-qa"])
    assert describe_error(raised.value) == "rpm did not answer in time"
