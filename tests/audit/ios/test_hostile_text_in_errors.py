"""Text a person typed (`--device X`) or a phone chose (its serial, UDID, error words) never
reaches a terminal raw in an error message: a right-to-left override could reverse what the
helpdesk reads ("OK" for "KO"), an escape sequence could recolour or clear the screen. Both are
shown as visible escapes (audit.text.visible). Through the real adb server, the simulated
usbmuxd and the CLI where the path exists; the pure error builders are fuzzed."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.cli import main
from audit.errors import DeviceGone
from audit.sources.android.connection import device_error
from audit.sources.ios import apps
from audit.sources.ios.guidance import IPhoneState
from audit.sources.ios.lockdown import LockdownError
from audit.sources.ios.scan import IPhoneNotReady, find
from audit.sources.ios.wire import UsbmuxdMissing, connect, parse_address
from audit.sources.phones import route
from tests.audit.ios.conftest import Start, client
from tests.helpers.phones import AdbServer

RLO, ESC = "\u202e", "\x1b"
HOSTILE = f"R58M{RLO}CBA{ESC}[32mOK"
SHOWN = "R58M\\u202eCBA\\x1b[32mOK"
ADB_SAYS = [  # what the adb server answers, each leading to one kind of error
    "device '{s}' not found",
    "device unauthorized.",
    "insufficient permissions for device",
    "device offline",
    f"something odd about {{s}} {ESC}]0;pwned{ESC}\\",
]


def raw_free(text: str) -> bool:
    """No control or format character (the newline of a two-line message aside)."""
    return not any(
        unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"} and c != "\n"
        for c in text
    )


@pytest.mark.parametrize("said", ADB_SAYS)
def test_every_adb_error_shows_the_serial_and_the_servers_words_escaped(said: str) -> None:
    error = device_error(HOSTILE, said.format(s=HOSTILE))
    assert SHOWN in error.message and raw_free(error.message)
    assert error.serial == HOSTILE  # kept as given, for matching; only the words are escaped


@settings(max_examples=200, deadline=None)
@given(serial=st.text(max_size=40), said=st.sampled_from(ADB_SAYS), extra=st.text(max_size=40))
def test_no_serial_or_server_answer_reaches_the_message_raw(
    serial: str, said: str, extra: str
) -> None:
    error = device_error(serial, said.format(s=serial) + extra)
    assert raw_free(error.message) and raw_free(error.next_step)


def test_scan_of_a_hostile_serial_prints_it_escaped(
    adb_server: AdbServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The review's repro: the real adb server's 'not found', then usbmuxd's side."""
    out = tmp_path / "inv.json"
    args = ["scan", "--device", HOSTILE, "--adb-port", str(adb_server.port), "--json", str(out)]
    assert main(args) == 2 and not out.exists()
    said = capsys.readouterr().err
    assert f"No phone with serial {SHOWN} is connected." in said
    assert RLO not in said and ESC not in said


def test_an_iphone_udid_given_with_escapes_is_shown_escaped(iphones: Start) -> None:
    mux = iphones("clean-iphone")
    with pytest.raises(DeviceGone) as raised:
        route("ios:" + HOSTILE)
    assert SHOWN in raised.value.message and raw_free(raised.value.message)
    with pytest.raises(DeviceGone) as found:
        find(client(mux), HOSTILE)
    assert SHOWN in found.value.message and raw_free(found.value.message)


def test_a_usbmuxd_address_with_escapes_is_shown_escaped(tmp_path: Path) -> None:
    with pytest.raises(UsbmuxdMissing) as raised:
        connect(parse_address(str(tmp_path / HOSTILE)), timeout=1)
    assert SHOWN in raised.value.message and raw_free(raised.value.message)


def test_the_iphones_own_error_words_are_shown_escaped() -> None:
    words = apps._words({"Error": f"Bad{RLO}", "ErrorDescription": f"{ESC}[2J cleared"})
    assert words == "Bad\\u202e (\\x1b[2J cleared)"
    refused = LockdownError("StartSession", f"Pass{ESC}[31mwordProtected")
    assert raw_free(refused.message) and refused.code == f"Pass{ESC}[31mwordProtected"
    waiting = IPhoneNotReady(HOSTILE, IPhoneState.LOCKED)
    assert SHOWN in waiting.message and raw_free(waiting.message)
