"""Test-wide isolation: no display, no real user data, no real keyring, no real adb server.

Every test runs with its own data folder (DEVICE_AUDIT_HOME) and a keyring backend that fails,
unless it asks for the in-memory one, so a test can never read or write the user's secrets.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
# Never let a test reach the adb server a developer may be running on the default port.
os.environ["ANDROID_ADB_SERVER_PORT"] = "5199"
# The tests read English words whatever the machine's locale (tests of the French catalogue and
# the pseudo-language choose theirs with audit.i18n.set_language).
os.environ["DEVICE_AUDIT_LANGUAGE"] = "en"
# Nor a real usbmuxd (/var/run/usbmuxd): iPhones are reached through a socket path that does not
# exist; a test that starts the iPhone simulator (tests/iossim) points this at it itself.
os.environ["USBMUXD_SOCKET_ADDRESS"] = str(
    Path(tempfile.gettempdir()) / f"device-audit-tests-no-usbmuxd-{os.getpid()}" / "usbmuxd"
)

# A home of the test run's own: an adb server a test starts keeps its keys and state there and
# looks for no USB phone, and nothing (Qt settings, keyring config, desktop entries) can be read
# from or written to the real user's folders.
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="device-audit-tests-"))
atexit.register(shutil.rmtree, _SESSION_HOME, ignore_errors=True)
os.environ.update(
    HOME=str(_SESSION_HOME),
    XDG_CONFIG_HOME=str(_SESSION_HOME / ".config"),
    XDG_DATA_HOME=str(_SESSION_HOME / ".local" / "share"),
    XDG_CACHE_HOME=str(_SESSION_HOME / ".cache"),
    ANDROID_USER_HOME=str(_SESSION_HOME / ".android"),
    ADB_USB="0",
    ADB_EMU="0",
    ADB_MDNS="0",
)

pytest_plugins = ["tests.helpers.phones", "tests.helpers.postgres"]

OUR_LOGGERS = ("audit", "ui", "main")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_warning_logs: the test expects WARNING logs from our code"
    )


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("device-audit-home")
    monkeypatch.setenv("DEVICE_AUDIT_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def demo_phone_off() -> Iterator[None]:
    """The demo phone (audit.demo) is one per process: every test ends with it off, so the
    next one starts with the phone as new or with none."""
    yield
    from audit import demo

    demo.switch_off()


@pytest.fixture(autouse=True)
def english_after_each_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """The language is one per process (audit.i18n): a test that chooses another must choose
    English again, or every later test would read its words. Reset here, and the test that
    forgot is named."""
    yield
    from audit import i18n

    left = i18n.language()
    if left != i18n.ENGLISH:
        i18n.set_language(i18n.ENGLISH)
        pytest.fail(f"{request.node.nodeid} left the language set to {left!r}")


@pytest.fixture(autouse=True)
def fail_on_warning_logs(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Unexpected WARNING logs from our code fail the test, as Qt warnings do."""
    caplog.set_level(logging.INFO)
    yield
    if request.node.get_closest_marker("allow_warning_logs"):
        return
    noisy = [
        r
        for r in caplog.get_records("call")
        if r.levelno >= logging.WARNING and r.name.split(".")[0] in OUR_LOGGERS
    ]
    if noisy:
        lines = "\n".join(f"{r.name}: {r.getMessage()}" for r in noisy)
        pytest.fail(f"unexpected warning logs:\n{lines}")
