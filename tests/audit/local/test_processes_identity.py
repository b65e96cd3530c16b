"""Running processes (real, on this machine) and the identity of this computer."""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit import inventory
from audit.model import DeviceKind, Platform
from audit.sources.local import scan_local
from audit.sources.local.base import LocalRoots
from audit.sources.local.identity import (
    device_id,
    identify,
    parse_ioreg,
    parse_os_release,
    windows_product,
)
from audit.sources.local.processes import ProcessesCollector, proc_processes, psutil_processes
from tests.audit.local.trees import FIXTURES, MACHINE_ID, linux_tree, mac_tree, windows_roots

needs_proc = pytest.mark.skipif(not Path("/proc/self/exe").exists(), reason="no Linux /proc here")


@pytest.fixture
def long_named_process(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real process whose name is longer than the 15 characters the kernel keeps in comm.
    It waits for its input, so the test ends it by closing that input."""
    cat = shutil.which("cat")
    if cat is None:
        pytest.skip("no cat program")
    program = tmp_path / "device-audit-test-reader"
    shutil.copy(cat, program)
    process = subprocess.Popen([str(program)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    yield process
    assert process.stdin is not None
    process.stdin.close()
    process.wait()


@needs_proc
def test_proc_lists_this_process_and_a_child_with_a_long_name(
    long_named_process: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    processes = {p.pid: p for p in proc_processes()}
    me = processes[os.getpid()]
    assert me.exe == os.path.realpath(sys.executable)
    assert me.user == getpass.getuser()
    child = processes[long_named_process.pid]
    assert child.name == "device-audit-test-reader"  # the full name, not comm's 15 bytes
    assert child.exe == str(tmp_path / "device-audit-test-reader")
    # Kernel threads (kthreadd is pid 2) have no executable: not programs a person runs.
    kthreadd = Path("/proc/2/comm")
    if kthreadd.exists() and kthreadd.read_text().strip() == "kthreadd":
        assert 2 not in processes


def test_psutil_lists_this_process() -> None:
    processes = {p.pid: p for p in psutil_processes()}
    assert processes[os.getpid()].exe == os.path.realpath(sys.executable)
    assert processes[os.getpid()].name


def test_processes_collector_reports_its_count(tmp_path: Path) -> None:
    out = ProcessesCollector().collect(linux_tree(tmp_path))
    assert [p.name for p in out.processes] == ["TikTok", "systemd"]
    assert out.note == "2 running" and out.apps == [] and out.problems == []


def test_linux_identity_hashes_the_machine_id(tmp_path: Path) -> None:
    device = identify(linux_tree(tmp_path))
    assert device.id == device_id(MACHINE_ID)
    assert device.id.startswith("local:") and len(device.id) == len("local:") + 16
    assert MACHINE_ID not in device.id
    assert (device.kind, device.name, device.user) == (DeviceKind.COMPUTER, "laptop-42", "ana")
    assert (device.os_name, device.os_version) == ("Debian GNU/Linux", "12 (bookworm)")


def test_the_raw_machine_id_never_reaches_the_inventory(tmp_path: Path) -> None:
    scan = scan_local(roots=linux_tree(tmp_path))
    assert MACHINE_ID not in inventory.dumps(scan)
    assert scan.device.id == device_id(MACHINE_ID)


def test_without_a_machine_id_the_id_comes_from_the_host_name(tmp_path: Path) -> None:
    roots = linux_tree(tmp_path)
    roots.path("/etc/machine-id").unlink()
    first, second = identify(roots), identify(roots)
    assert first.id == second.id == device_id("host:laptop-42")


def test_windows_identity_from_the_registry(tmp_path: Path) -> None:
    device = identify(windows_roots(tmp_path))
    assert device.id == device_id("6d3c0b7e-1f2a-4b5c-9d8e-7f6a5b4c3d2e")
    assert (device.os_name, device.os_version, device.build) == (
        "Windows 11 Pro",
        "23H2",
        "22631.2428",
    )
    assert (device.manufacturer, device.model) == ("LENOVO", "20XW0026UK")
    assert identify(
        LocalRoots(platform=Platform.WINDOWS, registry=None, hostname="pc")
    ).os_name == ("Windows")


def test_macos_identity_from_ioreg_and_system_version(tmp_path: Path) -> None:
    device = identify(mac_tree(tmp_path))
    assert device.id == device_id("5A0B1C2D-3E4F-5061-7283-94A5B6C7D8E9")
    assert (device.os_name, device.os_version, device.build) == ("macOS", "14.4.1", "23E224")
    assert (device.manufacturer, device.model) == ("Apple", "MacBookPro18,3")


def test_macos_identity_without_ioreg(tmp_path: Path) -> None:
    roots = mac_tree(tmp_path)
    (Path(str(roots.programs_path)) / "ioreg").unlink()
    device = identify(roots)
    assert device.id == device_id("host:anas-macbook")
    assert device.os_version == "14.4.1"


def test_identity_parsers() -> None:
    ioreg = (FIXTURES / "macos" / "ioreg-platform-expert.txt").read_text()
    assert parse_ioreg(ioreg) == ("5A0B1C2D-3E4F-5061-7283-94A5B6C7D8E9", "MacBookPro18,3")
    assert parse_ioreg("garbage") == ("", "")
    assert parse_os_release('# c\nNAME="Fedora Linux"\nVERSION_ID=38\nbad line\n') == {
        "NAME": "Fedora Linux",
        "VERSION_ID": "38",
    }
    assert windows_product("Windows 10 Enterprise", "19045") == "Windows 10 Enterprise"
    assert windows_product("Windows 10 Enterprise", "22621") == "Windows 11 Enterprise"
    assert device_id("ABC") == device_id(" abc\n")  # one machine, one id, however it is written
