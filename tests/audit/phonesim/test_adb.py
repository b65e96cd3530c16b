"""The simulated phone through the REAL adb server: what Device Audit's Android code will meet."""

from __future__ import annotations

import socket
import threading

import adbutils
import pytest

from tests.helpers.phones import AdbServer, PhoneFactory
from tests.phonesim import SimState, SimulatedPhone

pytestmark = pytest.mark.adb


def shell(adb_server: AdbServer, phone: SimulatedPhone, line: str) -> adbutils.ShellReturn:
    result: adbutils.ShellReturn = adb_server.device(phone.address).shell2(line, v2=True)
    return result


def test_connect_and_identity(adb_server: AdbServer, sim_phone: PhoneFactory) -> None:
    phone = sim_phone("samsung-work-profile")
    listing = adb_server.adb("devices", "-l").stdout
    assert f"{phone.address}" in listing
    assert "product:dm1qxxx model:SM_S911B device:dm1q" in listing
    device = adb_server.device(phone.address)
    assert device.shell("getprop ro.product.model") == "SM-S911B"
    assert set(device.get_features().split(",")) >= {"shell_v2", "cmd", "abb_exec"}
    assert phone.handshakes == 1


def test_exit_codes_survive(adb_server: AdbServer, sim_phone: PhoneFactory) -> None:
    phone = sim_phone("demo-phone")
    device = adb_server.device(phone.address)
    assert device.shell2("false", v2=True).returncode == 1
    assert device.shell2("false").returncode == 1  # adbutils' v1 path appends `echo $?`
    result = device.shell2("echo out; echo err >&2; exit 7", v2=True)
    assert (result.returncode, result.stdout, result.stderr) == (7, "out\n", "err\n")
    # The adb client itself (shell protocol v2) reports the phone's exit status too.
    assert adb_server.adb("-s", phone.address, "shell", "exit 3").returncode == 3


def test_output_is_byte_for_byte_what_the_phone_printed(
    adb_server: AdbServer, sim_phone: PhoneFactory
) -> None:
    phone = sim_phone("samsung-work-profile")
    device = adb_server.device(phone.address)
    for line in (
        "pm list packages -f -i -U -u --show-versioncode --user 0",
        "pm list packages -3 -U",
        "pm list users",
        "getprop",
        "dumpsys package",  # about half a megabyte: many WRTE messages, each acknowledged
    ):
        expected = phone.run(line)
        got = device.shell2(line, v2=True, encoding=None)
        assert (got.stdout, got.stderr, got.returncode) == (
            expected.stdout,
            expected.stderr,
            expected.status,
        ), line
    assert len(phone.run("dumpsys package").stdout) > 300_000
    assert phone.bytes_sent > 300_000


def test_the_old_phone_rejects_new_flags(adb_server: AdbServer, sim_phone: PhoneFactory) -> None:
    phone = sim_phone("android7-old")
    result = shell(adb_server, phone, "pm list packages -f -i -U -u --show-versioncode")
    assert (result.stdout, result.returncode) == ("Error: Unknown option: -U\n", 0)
    result = shell(adb_server, phone, "pm list packages -f -i -u")
    assert result.returncode == 0 and "=com.zhiliaoapp.musically  installer=" in result.stdout


def test_unreadable_user(adb_server: AdbServer, sim_phone: PhoneFactory) -> None:
    phone = sim_phone("samsung-secure-folder")
    result = shell(adb_server, phone, "pm list packages --user 150")
    assert (result.stdout, result.returncode) == ("", 255)
    assert "java.lang.SecurityException: Shell does not have permission to access user 150" in (
        result.stderr
    )


def test_removal_and_restore_are_seen_by_later_lists(
    adb_server: AdbServer, sim_phone: PhoneFactory
) -> None:
    phone = sim_phone("oem-preinstalled-tiktok")
    device = adb_server.device(phone.address)
    tiktok = "com.zhiliaoapp.musically"
    assert device.shell(["pm", "uninstall", "--user", "0", tiktok]) == "Success"
    assert tiktok not in device.shell("pm list packages --user 0").split()
    assert f"package:{tiktok}" in device.shell("pm list packages -u --user 0").split()
    assert phone.state.state_of(tiktok, 0) == SimState.REMOVED_FOR_USER
    assert device.shell(["cmd", "package", "install-existing", "--user", "0", tiktok]) == (
        f"Package {tiktok} installed for user: 0"
    )
    assert f"package:{tiktok}" in device.shell("pm list packages --user 0").split()
    assert device.shell(["pm", "disable-user", "--user", "11", tiktok]).endswith("disabled-user")
    assert f"package:{tiktok}" in device.shell("pm list packages -d --user 11").split()


def test_injection_needs_an_unquoted_separator(
    adb_server: AdbServer, sim_phone: PhoneFactory
) -> None:
    phone = sim_phone("demo-phone")
    device = adb_server.device(phone.address)
    device.shell(["pm", "uninstall", "x;reboot"])  # adbutils quotes each argument
    device.shell(["pm", "path", "$(reboot)"])
    assert not phone.state.rebooted
    device.shell("pm uninstall x;reboot")
    assert phone.state.rebooted
    assert phone.commands[-1] == "pm uninstall x;reboot"


def test_drop_after_unplugs_mid_scan(adb_server: AdbServer, sim_phone: PhoneFactory) -> None:
    phone = sim_phone("samsung-work-profile", drop_after=2)
    device = adb_server.device(phone.address)
    assert device.shell("echo one") == "one"
    assert device.shell("echo two") == "two"
    # (The adb client here: adbutils leaves its socket open when a command fails.)
    third = adb_server.adb("-s", phone.address, "shell", "pm list packages --user 10")
    assert third.returncode != 0 and third.stdout == ""
    # adb keeps retrying a dropped TCP device, so it stays listed as offline, never `device`.
    assert adb_server.wait_for_state(phone.address, {"offline", None}) in ("offline", None)
    assert phone.unplugged and phone.handshakes == 1
    phone.drop_after = None
    phone.replug()
    adb_server.wait_for_state(phone.address, {"device"})
    assert phone.handshakes == 2
    assert device.shell("echo back") == "back"


def test_switching_usb_debugging_off_makes_the_phone_go(
    adb_server: AdbServer, sim_phone: PhoneFactory
) -> None:
    phone = sim_phone("demo-phone")
    result = shell(adb_server, phone, "settings put global adb_enabled 0")
    assert result.returncode == 0
    assert adb_server.wait_for_state(phone.address, {"offline", None}) in ("offline", None)
    assert not phone.state.adb_enabled


def test_unauthorized_until_allowed(adb_server: AdbServer, sim_phone: PhoneFactory) -> None:
    phone = sim_phone("pixel-tiktok-lite", unauthorized=True)
    assert adb_server.state(phone.address) == "unauthorized"
    refused = adb_server.adb("-s", phone.address, "shell", "echo hi")
    assert refused.returncode == 1 and "unauthorized" in refused.stderr
    assert phone.commands == []
    phone.authorize()
    adb_server.wait_for_state(phone.address, {"device"})
    assert adb_server.device(phone.address).shell("echo hi") == "hi"


def test_garbage_mode(adb_server: AdbServer, sim_phone: PhoneFactory) -> None:
    phone = sim_phone("samsung-work-profile", garbage=True)
    clean = SimulatedPhone("samsung-work-profile").run("pm list packages -f --user 0")
    got = adb_server.device(phone.address).shell2(
        "pm list packages -f --user 0", v2=True, encoding=None
    )
    assert got.returncode == clean.status == 0
    assert got.stdout != clean.stdout
    with pytest.raises(UnicodeDecodeError):
        got.stdout.decode("utf-8")


def test_latency_holds_each_command_before_it_runs(
    adb_server: AdbServer, sim_phone: PhoneFactory
) -> None:
    phone = sim_phone("samsung-work-profile", latency_ms=60_000)
    device = adb_server.device(phone.address)
    worker = threading.Thread(
        target=lambda: device.shell("pm uninstall --user 0 com.lemon.lvoverseas", timeout=90),
        daemon=True,
    )
    worker.start()
    adb_server.wait_until(lambda: len(phone.commands) == 1)
    # The command has arrived, and is held back by the latency: nothing changed yet.
    assert phone.state.state_of("com.lemon.lvoverseas", 0) == SimState.INSTALLED
    phone.stop()  # ends the wait without running the command
    worker.join(timeout=30)
    assert phone.state.state_of("com.lemon.lvoverseas", 0) == SimState.INSTALLED


def test_several_phones_on_one_server(adb_server: AdbServer, sim_phone: PhoneFactory) -> None:
    phones = [sim_phone(p) for p in ("pixel-tiktok-lite", "android7-old", "hostile-names")]
    serials = {d.serial for d in adb_server.client().list() if d.state == "device"}
    assert {p.address for p in phones} <= serials
    models = {adb_server.device(p.address).shell("getprop ro.product.model") for p in phones}
    assert models == {"Pixel 8", "TA-1021", "<b>Pwn</b><img src=file:///etc/passwd>;reboot $(id)"}


def raw_service(adb_server: AdbServer, serial: str, service: bytes) -> bytes:
    """Open a device service through the adb server's own wire protocol; return all it sends."""
    with socket.create_connection(("127.0.0.1", adb_server.port), timeout=10) as sock:
        for request in (b"host:transport:" + serial.encode(), service):
            sock.sendall(b"%04x" % len(request) + request)
            assert sock.recv(4) == b"OKAY"
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_exec_abb_and_reboot_services(adb_server: AdbServer, sim_phone: PhoneFactory) -> None:
    phone = sim_phone("pixel-tiktok-lite")
    listed = raw_service(adb_server, phone.address, b"exec:pm list packages -d --user 0")
    assert listed == b"package:com.lemon.lvoverseas\n"
    abb = raw_service(adb_server, phone.address, b"abb_exec:package\0list\0packages\0-d")
    assert abb == b"package:com.lemon.lvoverseas\n"
    assert phone.commands[-1] == "cmd package list packages -d"
    assert not phone.state.rebooted
    assert adb_server.adb("-s", phone.address, "reboot").returncode == 0
    assert phone.state.rebooted
