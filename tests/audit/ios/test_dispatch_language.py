"""`scan --device X` for a phone neither adb nor usbmuxd has, in a language other than English:
the "no such phone" of the adb server is still told apart from a phone unplugged mid-scan, so
the person hears that both were asked (audit.cli.scan_cmd.scan_device; issue 17). It was found
by the English words of the message, which a French reader never gets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audit.cli import main
from audit.i18n import ENGLISH, PSEUDO, pseudo_text, set_language
from tests.audit.ios.conftest import Start
from tests.helpers.phones import AdbServer

NOBODY = "a3f1" * 10  # shaped like a UDID; neither transport lists it


@pytest.fixture
def pseudo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DEVICE_AUDIT_LANGUAGE", PSEUDO)
    yield
    monkeypatch.setenv("DEVICE_AUDIT_LANGUAGE", ENGLISH)
    set_language(ENGLISH)


def test_no_such_phone_names_both_transports_in_any_language(
    pseudo: None,
    iphones: Start,
    adb_server: AdbServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    iphones("clean-iphone")
    out = tmp_path / "inv.json"
    args = ["scan", "--device", NOBODY, "--adb-port", str(adb_server.port), "--json", str(out)]
    assert main(args) == 2
    said = capsys.readouterr().err
    assert pseudo_text("No iPhone plugged in has this UDID either.") in said
    assert not out.exists()
