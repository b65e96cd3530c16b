"""The parsers on captured phone output, and fuzzed: partial results, never a crash."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.sources.android import commands
from audit.sources.android.dumpsys import parse_device_policy, parse_dumpsys_package
from audit.sources.android.parsers import (
    MAX_PROBLEMS,
    ErrorKind,
    PackageEntry,
    decode_output,
    find_command_error,
    parse_getprop,
    parse_package_list,
    parse_package_names,
    parse_sections,
    parse_users,
)
from tests.audit.android.conftest import capture

TIKTOK = "com.zhiliaoapp.musically"


# --- pm list packages ----------------------------------------------------------------------


def test_full_list_reads_path_version_installer_and_uid() -> None:
    entries, problems = parse_package_list(capture("pm_list_packages_full_samsung_user0.txt"))
    assert problems == []
    by_name = {e.name: e for e in entries}
    assert len(entries) == 9
    tiktok = by_name[TIKTOK]
    assert tiktok.path == (
        "/data/app/~~6vYc9uQm0OBfFwhY3iFeTg==/"
        "com.zhiliaoapp.musically-Mmf3DksdQhwvV-yq1m7Ozg==/base.apk"
    )
    assert tiktok.version_code == 2023205030
    assert tiktok.installer == "com.android.vending"
    assert tiktok.uids == (10321,)
    assert by_name["com.android.settings"].installer == ""  # installer=null
    assert by_name["com.android.shell"].uids == (2000,)


def test_plain_list_has_names_only() -> None:
    entries, problems = parse_package_list(capture("pm_list_packages_installed_samsung_user0.txt"))
    assert problems == []
    assert entries[1] == PackageEntry(TIKTOK)
    assert entries[1].path is None and entries[1].installer is None


def test_android14_list_for_all_users_joins_uids() -> None:
    entries, problems = parse_package_list(capture("pm_list_packages_android14_all_users.txt"))
    assert problems == []
    assert entries[0].uids == (10321, 1010321)


def test_android7_list_without_uid_or_version_ignores_linker_warnings() -> None:
    entries, problems = parse_package_list(capture("pm_list_packages_android7_f_i_u.txt"))
    assert [e.name for e in entries] == [
        "com.android.calculator2",
        TIKTOK,
        "com.android.vending",
        "com.google.android.youtube",
    ]
    assert entries[1].path == "/data/app/com.zhiliaoapp.musically-1/base.apk"
    assert entries[1].version_code is None and entries[1].uids == ()
    assert entries[1].installer == "com.android.vending"
    assert all(not p.data_lost for p in problems)


def test_hostile_and_garbled_package_lines_are_left_out_and_reported() -> None:
    text = (
        "package:com.good.app\n"
        "package:/data/app/x/base.apk=x;reboot  installer=null\n"
        "package:$(id)\n"
        "pack\ufffdage:com.broken\n"
        "package:com.also.good versionCode:12\n"
    )
    entries, problems = parse_package_list(text)
    assert [e.name for e in entries] == ["com.good.app", "com.also.good"]
    assert len(problems) == 3
    assert all(p.data_lost for p in problems)
    assert "line 2" in problems[0].message and "x;reboot" in problems[0].message


def test_a_list_cut_off_mid_line_keeps_the_complete_lines() -> None:
    text = capture("pm_list_packages_full_samsung_user0.txt")
    cut = text[: text.index("com.whatsapp") + 5]
    entries, problems = parse_package_list(cut)
    assert [e.name for e in entries] == ["com.android.settings", TIKTOK]
    assert len(problems) == 1 and problems[0].data_lost


# --- errors instead of results -------------------------------------------------------------


def test_an_old_pm_names_the_option_it_rejects() -> None:
    error = find_command_error(capture("pm_unknown_option_U.txt"))
    assert error is not None
    assert error.kind is ErrorKind.UNKNOWN_OPTION and error.option == "-U"


def test_a_protected_user_is_a_security_error_in_both_formats() -> None:
    for name in ("pm_security_exception_android12.txt", "pm_security_exception_android16.txt"):
        error = find_command_error(capture(name))
        assert error is not None
        assert error.kind is ErrorKind.SECURITY
        assert error.message == "Shell does not have permission to access user 150"


def test_unknown_command_and_plain_output() -> None:
    error = find_command_error(capture("cmd_install_existing_unknown_android7.txt"))
    assert error is not None and error.kind is ErrorKind.UNKNOWN_COMMAND
    assert find_command_error(capture("pm_list_packages_installed_samsung_user0.txt")) is None
    failure = find_command_error(capture("pm_uninstall_device_policy_manager.txt"))
    assert failure is not None and failure.kind is ErrorKind.FAILED


# --- pm list users -------------------------------------------------------------------------


def test_samsung_users_with_work_profile_dual_apps_and_secure_folder() -> None:
    users, problems = parse_users(capture("pm_list_users_samsung.txt"))
    assert problems == []
    assert [(u.id, u.name, u.flags, u.running) for u in users] == [
        (0, "Owner", 0x4C13, True),
        (10, "Work profile", 0x1030, True),
        (95, "DUAL_APP", 0x20001010, True),
        (150, "Secure Folder", 0x10061030, True),
    ]


def test_user_names_with_colons_and_stopped_users() -> None:
    users, problems = parse_users(capture("pm_list_users_mixed.txt"))
    assert problems == []
    assert users[1].running is False
    assert users[3].name == 'Kim: the "kids" account'
    assert users[3].flags == 0x410


def test_no_users_is_a_problem() -> None:
    users, problems = parse_users("Error: something broke\n")
    assert users == []
    assert [p.message for p in problems][-1] == "no users were listed"


# --- getprop -------------------------------------------------------------------------------


def test_getprop_reads_identity_properties() -> None:
    props, problems = parse_getprop(capture("getprop_samsung_s23_android14.txt"))
    assert problems == []
    assert props["ro.product.model"] == "SM-S911B"
    assert props["ro.build.version.sdk"] == "34"
    assert props["ro.build.fingerprint"].startswith("samsung/dm1qxxx/dm1q:14/")


def test_getprop_multiline_value_and_cut_off_value() -> None:
    props, problems = parse_getprop("[a.b]: [one\ntwo]\n[c.d]: [x]\n[e.f]: [cut")
    assert props == {"a.b": "one\ntwo", "c.d": "x"}
    assert [p.message for p in problems] == ["the value of e.f is cut off"]


# --- dumpsys device_policy -----------------------------------------------------------------


def test_work_profile_owner() -> None:
    policy, problems = parse_device_policy(capture("dumpsys_device_policy_work_profile.txt"))
    assert problems == []
    assert policy is not None
    assert policy.device_owner is None
    assert policy.profile_owners == {10: "com.google.android.apps.work.clouddpc"}
    assert policy.managed


def test_device_owner() -> None:
    policy, _ = parse_device_policy(capture("dumpsys_device_policy_fully_managed.txt"))
    assert policy is not None
    assert policy.device_owner == "com.microsoft.windowsintune.companyportal"
    assert policy.profile_owners == {}


def test_device_admins_alone_do_not_make_a_phone_managed() -> None:
    policy, problems = parse_device_policy(capture("dumpsys_device_policy_unmanaged.txt"))
    assert problems == []
    assert policy is not None and not policy.managed


def test_not_a_policy_dump_means_unknown() -> None:
    policy, problems = parse_device_policy("garbage\n\x00\x01")
    assert policy is None
    assert problems[0].message == "the output is not a device policy dump"
    no_service, _ = parse_device_policy("Can't find service: device_policy\n")
    assert no_service is not None and not no_service.supported and not no_service.managed


# --- dumpsys package -----------------------------------------------------------------------


def test_android14_dumpsys_has_app_id_and_per_user_install_times() -> None:
    details, problems = parse_dumpsys_package(
        capture("dumpsys_package_tiktok_android14.txt"), TIKTOK
    )
    assert problems == []
    assert details is not None
    assert details.app_id == 10321
    assert details.version_name == "32.5.3"
    assert details.version_code == 2023205030
    assert details.installer == "com.android.vending"
    assert details.system is False
    assert details.last_update_time == datetime(2023, 11, 20, 9, 41, 12)
    assert details.installed_at(0) == datetime(2023, 3, 2, 18, 15, 44)
    assert details.installed_at(10) == datetime(2023, 6, 14, 8, 2, 31)
    assert details.users[10].enabled == 3
    assert details.users[0].installed is True


def test_android9_dumpsys_reads_the_package_not_its_hidden_system_copy() -> None:
    details, problems = parse_dumpsys_package(
        capture("dumpsys_package_facebook_system_android9.txt"), "com.facebook.katana"
    )
    assert problems == []
    assert details is not None
    assert details.app_id == 10233  # userId= before Android 14
    assert details.version_name == "298.0.0.44.118"  # not the /system stub's 1.0
    assert details.system is True
    assert details.first_install_time == datetime(2019, 1, 1, 9, 0)
    assert details.installed_at(0) == datetime(2019, 1, 1, 9, 0)
    assert details.users[0].installed is False


def test_dumpsys_of_an_unknown_package() -> None:
    details, problems = parse_dumpsys_package(
        "Unable to find package: com.nope.app\n", "com.nope.app"
    )
    assert details is None
    assert problems[0].message == "the phone does not know the package com.nope.app"


def test_dumpsys_with_a_bad_time_keeps_the_rest() -> None:
    text = "Packages:\n  Package [a.b] (1):\n    versionName=2\n    lastUpdateTime=yesterday\n"
    details, problems = parse_dumpsys_package(text, "a.b")
    assert details is not None and details.version_name == "2"
    assert details.last_update_time is None
    assert "lastUpdateTime is not a time" in problems[0].message


# --- combined scripts ----------------------------------------------------------------------


def test_sections_of_a_combined_script() -> None:
    script = commands.build_script(
        [("users", commands.list_users()), ("props", commands.getprop())]
    )
    n = script.nonce
    text = (
        f"===DA:{n}:users:begin===\nUsers:\n\tUserInfo{{0:Owner:c13}} running\n"
        f"===DA:{n}:users:rc=0===\n===DA:{n}:props:begin===\n[a.b]: [c]"
        f"===DA:{n}:props:rc=0===\n"
    )
    sections, problems = parse_sections(text, n)
    assert problems == []
    assert sections["users"].exit_code == 0
    assert "UserInfo{0:Owner:c13}" in sections["users"].text
    assert sections["props"].text.strip() == "[a.b]: [c]"  # output without a final newline


def test_a_script_cut_off_marks_the_section_incomplete() -> None:
    text = "===DA:ab12:one:begin===\nfine\n===DA:ab12:one:rc=3===\n===DA:ab12:two:begin===\npart"
    sections, problems = parse_sections(text, "ab12")
    assert sections["one"].exit_code == 3 and sections["one"].complete
    assert not sections["two"].complete and sections["two"].text == "part"
    assert [p.message for p in problems] == ["the output of two is cut off"]


def test_markers_with_another_nonce_are_just_output() -> None:
    forged = "===DA:ffff:one:rc=0==="
    text = f"===DA:ab12:one:begin===\n{forged}\nreal\n===DA:ab12:one:rc=0===\n"
    sections, _ = parse_sections(text, "ab12")
    assert sections["one"].text.split("\n")[:2] == [forged, "real"]


def test_script_quotes_every_argument() -> None:
    script = commands.build_script([("x", ("pm", "uninstall", "a;b", "$(id)"))])
    assert "pm uninstall 'a;b' '$(id)' 2>&1" in script.text


def test_decoding_bytes_that_are_not_utf8() -> None:
    text, problems = decode_output(b"package:com.a.b\n\xff\xfe\n")
    assert text.startswith("package:com.a.b\n")
    assert "not valid UTF-8" in problems[0].message


# --- fuzzing: whatever the phone sends, partial results and never a crash --------------------

REAL_OUTPUTS = [
    capture(name)
    for name in (
        "pm_list_packages_full_samsung_user0.txt",
        "pm_list_users_samsung.txt",
        "getprop_samsung_s23_android14.txt",
        "dumpsys_device_policy_work_profile.txt",
        "dumpsys_package_tiktok_android14.txt",
    )
]


@st.composite
def damaged(draw: st.DrawFn) -> str:
    """A real capture truncated, with garbage spliced in, or plain random bytes decoded."""
    base = draw(st.sampled_from(REAL_OUTPUTS))
    cut = draw(st.integers(min_value=0, max_value=len(base)))
    junk = draw(st.binary(max_size=200))
    junk_text, _ = decode_output(junk)
    where = draw(st.integers(min_value=0, max_value=cut))
    return base[:where] + junk_text + base[where:cut]


@settings(max_examples=150, deadline=None)
@given(damaged())
def test_every_parser_survives_damaged_output(text: str) -> None:
    entries, problems = parse_package_list(text)
    assert all(listable(e.name) for e in entries)
    assert len(problems) <= MAX_PROBLEMS + 1
    parse_users(text)
    parse_getprop(text)
    parse_device_policy(text)
    parse_dumpsys_package(text, TIKTOK)
    parse_sections(text, "ab12")
    find_command_error(text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_every_parser_survives_random_bytes(data: bytes) -> None:
    text, _ = decode_output(data)
    entries, _ = parse_package_list(text)
    assert all(listable(e.name) for e in entries)
    parse_users(text)
    parse_getprop(text)
    parse_device_policy(text)
    parse_dumpsys_package(text, TIKTOK)
    parse_sections(text, "ab12")


def test_truncation_at_every_point_of_a_list_keeps_every_complete_line() -> None:
    """A cut last line may still look like a package (the scan trusts a list only when its end
    marker arrived); every line before it is kept exactly."""
    text = capture("pm_list_packages_full_samsung_user0.txt")
    complete = [e.name for e in parse_package_list(text)[0]]
    for cut in range(len(text)):
        full_lines = text[:cut].count("\n")
        names = [e.name for e in parse_package_list(text[:cut])[0]]
        assert names[:full_lines] == complete[:full_lines]
        assert len(names) <= full_lines + 1


def listable(name: str) -> bool:
    """A parsed name is one a package manager could hold (the listing grammar holds; whether it
    may go into a command is decided apart, see test_packages)."""
    from audit.sources.android.packages import is_listable_package_name

    return is_listable_package_name(name)


@pytest.mark.parametrize(
    "names",
    [
        ["android", "androidhwext", "com.huawei.systemmanager"],  # Huawei
        ["android", "androidhnext", "com.hihonor.systemmanager"],  # Honor
        ["android", "androidzte", "com.zte.zgesture"],  # ZTE / Nubia
        ["android", "oppo", "oplus", "com.coloros.safecenter"],  # OPPO, OnePlus, realme
        ["android", "vivo", "com.vivo.daemonService"],  # vivo
        ["android", "miui", "com.miui.rom"],  # Xiaomi
        ["android", "com.samsung.android.knox.containercore"],  # Samsung
        ["android", "com.motorola.motosignature.app"],  # Motorola
        ["android", "com.google.android.overlay.modules.ext.services"],  # Pixel
    ],
)
def test_makers_framework_packages_without_a_dot_are_read(names: list[str]) -> None:
    full = "".join(
        f"package:/system/framework/{n}-res.apk={n} versionCode:34  installer=null uid:1000\n"
        for n in names
    )
    entries, problems = parse_package_list(full)
    assert [e.name for e in entries] == names and problems == []
    assert parse_package_names("".join(f"package:{n}\n" for n in names)) == (set(names), [])


# --- the one-pass readers agree with the line-by-line reference --------------------------------

NAMES = st.one_of(
    st.sampled_from(["android", "com.a.b", "a.b", "A1.b_", "a..b", ".", "..", "A1._", "x;reboot"]),
    st.sampled_from(["androidhwext", "oplus", "miui", ".a", "a.", "_a", "1a"]),  # no '.' needed
    st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}(\.[A-Za-z0-9_]{0,8}){0,4}", fullmatch=True),
    st.text(alphabet="ab._=;$ 1", max_size=12),
    st.just("com." + "a" * 252),  # 256 characters: one too many
)


@st.composite
def package_line(draw: st.DrawFn) -> str:
    line = "package:"
    if draw(st.booleans()):
        line += draw(st.sampled_from(["/system/app/X.apk", "/data/app/~~a==/b-c==/base.apk", ""]))
        line += "="
    line += draw(NAMES)
    if draw(st.booleans()):
        line += f" versionCode:{draw(st.integers(-5, 10**12))}"
    if draw(st.booleans()):
        line += " stopped=" + draw(st.sampled_from(["true", "false"]))
    if draw(st.booleans()):
        line += draw(st.sampled_from([" ", "  "])) + "installer="
        line += draw(st.sampled_from(["null", "", "com.android.vending", "a=b"]))
    if draw(st.booleans()):
        line += " uid:" + ",".join(
            str(u) for u in draw(st.lists(st.integers(0, 10**7), min_size=1, max_size=3))
        )
    return line + draw(st.sampled_from(["", "\r", " ", "\t"]))


LISTING = st.lists(
    st.one_of(
        package_line(),
        st.sampled_from(["", "WARNING: linker: x", "Error: Unknown option: -U", "pack"]),
    ),
    max_size=12,
).map("\n".join)


@settings(max_examples=150, deadline=None)
@given(LISTING)
def test_one_pass_listing_equals_the_line_by_line_reading(text: str) -> None:
    from audit.sources.android.parsers import parse_package_list_by_line, parse_package_names

    reference = parse_package_list_by_line(text)
    assert parse_package_list(text) == reference
    names, problems = parse_package_names(text)
    assert names == {e.name for e in reference[0]}
    assert [p.message for p in problems] == [p.message for p in reference[1]]


SECTION_BODIES = st.text(alphabet="ab=:\n\r \u00e9", max_size=30).filter(lambda t: "===" not in t)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.from_regex(r"[a-z]{1,5}(:[0-9]{1,2})?", fullmatch=True), SECTION_BODIES),
        min_size=1,
        max_size=5,
        unique_by=lambda s: s[0],
    ),
    st.integers(0, 255),
    st.data(),
)
def test_sections_round_trip_and_a_cut_leaves_only_what_it_cut_incomplete(
    sections: list[tuple[str, str]], rc: int, data: st.DataObject
) -> None:
    """What a phone prints for a script is split back exactly; cut anywhere, every section whose
    end marker arrived whole is complete and exact, and nothing else is."""
    n = "c0ffee01"
    text = "".join(
        f"===DA:{n}:{name}:begin===\n{body}===DA:{n}:{name}:rc={rc}===\n" for name, body in sections
    )
    parsed, problems = parse_sections(text, n)
    assert problems == []
    assert {k: (v.text, v.exit_code) for k, v in parsed.items()} == {
        name: (body, rc) for name, body in sections
    }
    cut = data.draw(st.integers(0, len(text)))
    parsed, _ = parse_sections(text[:cut], n)
    for name, body in sections:
        end = f"===DA:{n}:{name}:rc={rc}==="
        arrived = text.find(end) + len(end) <= cut
        if arrived:
            assert (parsed[name].text, parsed[name].exit_code) == (body, rc)
        elif name in parsed:
            assert not parsed[name].complete
            assert (body + end).startswith(parsed[name].text)  # a cut marker is just output
