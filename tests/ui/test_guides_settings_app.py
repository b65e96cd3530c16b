"""The USB debugging guides, the settings file, and starting the app for real."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from ui import settings
from ui.app import ENV_BENCH_STARTUP, parse_options
from ui.guides import OTHER_GUIDES, PHONE_GUIDES, GuideDialog, guide_for, guide_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("maker", "guide"),
    [
        ("samsung", "samsung"),
        ("Google", "pixel"),
        ("Xiaomi", "xiaomi"),
        ("POCO", "xiaomi"),
        ("OnePlus", "oneplus-oppo-realme"),
        ("realme", "oneplus-oppo-realme"),
        ("motorola", "motorola"),
        ("HONOR", "huawei-honor"),
        ("Fairphone", "generic"),
        ("", "generic"),
    ],
)
def test_the_guide_follows_the_phone_maker(maker: str, guide: str) -> None:
    assert guide_for(maker) == guide


@pytest.mark.parametrize("name", [n for n, _ in PHONE_GUIDES])
def test_every_phone_guide_says_how_to_switch_on_allow_and_switch_off(name: str) -> None:
    text = guide_text(name)
    assert "USB debugging" in text
    assert "Build number" in text or "OS version" in text
    assert "tap **Allow**" in text  # the "Allow USB debugging?" guide follows
    assert "switch it off" in text  # and the one for switching it off again


def test_the_other_guides_load_and_unknown_ones_do_not() -> None:
    for name, _title in OTHER_GUIDES:
        assert guide_text(name)
    assert "udev" in guide_text("linux-usb-permissions")
    with pytest.raises(KeyError):
        guide_text("../../etc/passwd")


def test_guide_dialog_switches_guides(qtbot: QtBot) -> None:
    dialog = GuideDialog(None, "samsung")
    qtbot.addWidget(dialog)
    assert "Galaxy" in dialog.text.toPlainText()
    dialog.choice.setCurrentIndex(dialog.choice.findData("pixel"))
    assert dialog.current_guide() == "pixel"
    assert "Google Pixel" in dialog.text.toPlainText()


def test_settings_live_in_the_data_folder_when_it_is_set(isolated_home: Path) -> None:
    settings.configure()
    settings.set_last_policy("/policies/ours.toml")
    settings.set_last_exemptions("/policies/exemptions.toml")
    assert settings.last_policy() == "/policies/ours.toml"
    assert settings.last_exemptions() == "/policies/exemptions.toml"
    files = list((isolated_home / "settings").rglob("*.ini"))
    assert files and "ours.toml" in files[0].read_text()
    assert QSettings().fileName() == str(files[0])


def test_gui_options_are_ours_and_the_rest_goes_to_qt() -> None:
    options, rest = parse_options(["--demo", "--helpdesk", "-style", "fusion"])
    assert options.demo and options.helpdesk
    assert rest == ["-style", "fusion"]
    options, rest = parse_options([])
    assert not options.demo and not options.helpdesk and rest == []


def test_main_py_opens_the_window(tmp_path: Path) -> None:
    """The real start-up path: main.py without a command shows the window (then quits)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DEVICE_AUDIT_HOME=str(tmp_path))
    env[ENV_BENCH_STARTUP] = "1"
    result = subprocess.run(
        [sys.executable, "main.py", "--helpdesk"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("window-exposed ")
    assert "Traceback" not in result.stderr
