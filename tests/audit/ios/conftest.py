"""Simulated iPhones for the iPhone tests, and a guard: no test reaches a real usbmuxd.

Every test here runs with USBMUXD_SOCKET_ADDRESS pointing at a socket path that does not
exist, unless it starts a simulator (`iphones`), which points it there instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from audit.sources.ios.usbmux import Usbmux
from audit.sources.ios.wire import parse_address
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture, for these tests
from tests.iossim.daemon import SimulatedIPhone, SimulatedUsbmuxd


@pytest.fixture(autouse=True)
def no_real_usbmuxd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", str(tmp_path / "no-usbmuxd-here"))


Start = Callable[..., SimulatedUsbmuxd]


@pytest.fixture
def iphones(monkeypatch: pytest.MonkeyPatch) -> Iterator[Start]:
    """start("tiktok-offloaded", ...) -> a running simulated usbmuxd with those phones, which
    USBMUXD_SOCKET_ADDRESS now names; stopped after the test."""
    started: list[SimulatedUsbmuxd] = []

    def start(*profiles: str | SimulatedIPhone) -> SimulatedUsbmuxd:
        phones = [p if isinstance(p, SimulatedIPhone) else SimulatedIPhone(p) for p in profiles]
        mux = SimulatedUsbmuxd(*phones).start()
        started.append(mux)
        monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", mux.address)
        return mux

    yield start
    for mux in started:
        mux.stop()


def client(mux: SimulatedUsbmuxd) -> Usbmux:
    return Usbmux(parse_address(mux.address))
