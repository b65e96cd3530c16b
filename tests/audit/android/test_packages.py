from __future__ import annotations

import pytest

from audit.errors import InvalidPackageName
from audit.sources.android.packages import MAX_LENGTH, is_valid_package_name, validate_package_name


@pytest.mark.parametrize(
    "name",
    [
        "com.zhiliaoapp.musically",
        "com.ss.android.ugc.trill",
        "a.b",
        "Com.Example_App.v2",
        "com.google.android.trichromelibrary_604509933",
        "android",  # framework-res, the platform itself
        "com..example",  # Android's validateName lets empty segments through
        "com.example.",
        "a." + "b" * (MAX_LENGTH - 2),
    ],
)
def test_real_package_names_are_accepted(name: str) -> None:
    assert validate_package_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "x;reboot",
        "$(id)",
        "`id`",
        "com.example app",
        "com.example\nreboot",
        "com.example'",
        "-f",
        "--user",
        "musically",  # Android requires at least one '.' (only "android" is exempt)
        "androids",
        "com.1example",
        "com._example",  # a segment may not start with '_' ...
        "A1._",
        "com.example.__",
        ".",
        "..",
        "1com.example",
        "com.exa-mple",
        "com.éxample",
        "",
        "a." + "b" * (MAX_LENGTH - 1),
        "a." * 5000 + "!",  # long hostile input must not make the check backtrack for ages
        "ab" * 50000 + ".c;",
    ],
)
def test_names_android_could_not_install_are_refused(name: str) -> None:
    assert not is_valid_package_name(name)
    with pytest.raises(InvalidPackageName) as raised:
        validate_package_name(name)
    assert "not a valid Android package name" in raised.value.message
