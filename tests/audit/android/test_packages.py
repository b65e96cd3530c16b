from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.errors import InvalidPackageName
from audit.sources.android.packages import (
    MAX_LENGTH,
    is_listable_package_name,
    is_valid_package_name,
    shell_refusal,
    validate_package_name,
)


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
        "musically",  # an app needs at least one '.' (a maker's framework package is listed,
        "androids",  # never sent: see test_every_makers_framework_packages_are_listed)
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


# --- what may be listed and what may be sent ---------------------------------------------------

# Framework packages of makers' builds, as their phones list them (`pm list packages -s`): the
# Huawei, Honor, ZTE, OPPO/OnePlus/realme, vivo and Xiaomi ones have no '.', which AOSP's
# installer would refuse for an app but the makers' own system images carry.
MAKERS_FRAMEWORKS = {
    "Samsung": ["android", "com.samsung.android.knox.containercore", "com.sec.android.app.soagent"],
    "Xiaomi": ["android", "miui", "com.miui.rom", "com.miui.system"],
    "Huawei": ["android", "androidhwext", "com.huawei.android.internal.app"],
    "Honor": ["android", "androidhnext", "com.hihonor.android.internal.app"],
    "OPPO": ["android", "oppo", "oplus", "com.oplus.wirelesssettings"],
    "vivo": ["android", "vivo", "com.vivo.daemonService"],
    "ZTE": ["android", "androidzte", "com.zte.zgesture"],
    "Motorola": ["android", "com.motorola.motosignature.app", "com.motorola.frameworks.core.addon"],
    "Pixel": ["android", "com.google.android.overlay.modules.ext.services"],
}


@pytest.mark.parametrize("maker", sorted(MAKERS_FRAMEWORKS))
def test_every_makers_framework_packages_are_listed(maker: str) -> None:
    for name in MAKERS_FRAMEWORKS[maker]:
        assert is_listable_package_name(name), name
        assert (shell_refusal(name) == "") is is_valid_package_name(name)
        if "." not in name and name != "android":
            assert not is_valid_package_name(name)  # listed, never sent to a shell
            assert "part of the phone's own system software" in shell_refusal(name)
            with pytest.raises(InvalidPackageName):
                validate_package_name(name)


@pytest.mark.parametrize(
    "name", ["x;reboot", "$(id)", "A1._", "com.example.__", "-f", "", ".", "a b", "\x1b[2J.x"]
)
def test_a_name_no_package_manager_could_hold_is_neither_listed_nor_sent(name: str) -> None:
    assert not is_listable_package_name(name)
    assert not is_valid_package_name(name)
    refusal = shell_refusal(name)
    assert "is not a valid Android package name, so Device Audit will not send it" in refusal
    assert "\x1b" not in refusal  # shown escaped


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.from_regex(r"[A-Za-z0-9_.;$ -]{0,40}", fullmatch=True))
def test_every_name_sent_to_a_shell_could_be_listed_and_is_plain(name: str) -> None:
    """The shell grammar is a subset of the listing grammar, and holds nothing a shell or pm
    could read as anything but one plain argument."""
    sendable = is_valid_package_name(name)
    assert not sendable or is_listable_package_name(name)
    assert sendable is (shell_refusal(name) == "")
    if sendable:
        assert not name.startswith("-") and set(name) <= set(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_."
        )
