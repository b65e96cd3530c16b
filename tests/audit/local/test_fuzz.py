"""The parsers of untrusted text and bytes never crash: partial results, recorded problems."""

from __future__ import annotations

import contextlib
import plistlib
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.model import IdentifierKind, InstalledApp, RunningProcess
from audit.sources.local.base import CollectorOutput, make_readable
from audit.sources.local.identity import parse_ioreg, parse_os_release
from audit.sources.local.linux_appimage import name_and_version
from audit.sources.local.linux_desktop import domain_of, parse_desktop_entry, web_app_of
from audit.sources.local.linux_dpkg import parse_status
from audit.sources.local.linux_flatpak import deploy_origin, release_version
from audit.sources.local.linux_rpm import parse_rpm_query
from audit.sources.local.linux_snap import parse_snap_yaml
from audit.sources.local.macos_bundles import PlistError, parse_plist
from audit.sources.local.registry import (
    REG_BINARY,
    REG_DWORD,
    REG_EXPAND_SZ,
    REG_SZ,
    RegFileRegistry,
    RegValue,
    decode_reg_bytes,
)
from audit.sources.local.windows_appx import manifest_display_name, parse_appx_json, publisher_name
from audit.sources.local.windows_registry import arp_app, install_date
from tests.audit.local.trees import FIXTURES

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# Text that looks like the formats (their keywords and separators) as well as noise.
def format_text(*words: str) -> st.SearchStrategy[str]:
    pieces = st.sampled_from(
        [*words, "\n", "\n\n", ":", "=", " ", "\t", "[", "]", '"', "\\", "\x00"]
    )
    return st.lists(st.one_of(pieces, st.text(max_size=8)), max_size=60).map("".join)


DPKG_WORDS = ("Package: ", "Status: ", "install ok installed", "Version: ", "Multi-Arch: same")
REAL_STATUS = (FIXTURES / "dpkg-status").read_text(encoding="utf-8")


@FUZZ
@given(format_text(*DPKG_WORDS))
def test_dpkg_status(text: str) -> None:
    packages, problems = parse_status(text)
    assert all(p.name and p.name == p.name.strip() for p in packages)
    assert all(isinstance(problem, str) for problem in problems)


@FUZZ
@given(st.integers(0, len(REAL_STATUS)), st.integers(0, len(REAL_STATUS)), st.text(max_size=20))
def test_dpkg_status_damaged_anywhere(start: int, end: int, junk: str) -> None:
    start, end = sorted((start, end))
    packages, _ = parse_status(REAL_STATUS[:start] + junk + REAL_STATUS[end:])
    assert len(packages) <= 5 + junk.count("Package:")


@FUZZ
@given(format_text("[Desktop Entry]", "Name", "Exec", "Type=Application", "--app=", "http://"))
def test_desktop_entry(text: str) -> None:
    entry = parse_desktop_entry(text, "x.desktop")
    web_app_of("chrome-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-Default.desktop", entry)
    web_app_of("x.desktop", entry)


@FUZZ
@given(st.text(max_size=80))
def test_domain_of(url: str) -> None:
    domain = domain_of(url)
    assert domain == "" or url.lower().startswith(("http:", "https:")) or ":" in url


@FUZZ
@given(format_text("name", "version", "type", "'", "#", "|"))
def test_snap_yaml(text: str) -> None:
    assert all(isinstance(v, str) for v in parse_snap_yaml(text).values())


@FUZZ
@given(format_text("(none)", "bash", "1680000000", "99999999999999999999"))
def test_rpm_query(text: str) -> None:
    parse_rpm_query(text)


@FUZZ
@given(st.binary(max_size=200))
def test_flatpak_files(data: bytes) -> None:
    release_version(data)
    assert "\x00" not in deploy_origin(data)


@FUZZ
@given(st.text(max_size=40))
def test_appimage_names(name: str) -> None:
    name_and_version(name + ".AppImage")


REG_WORDS = (
    "Windows Registry Editor Version 5.00",
    "[HKEY_LOCAL_MACHINE\\A]",
    "[-HKEY_CURRENT_USER\\B]",
    '"V"=',
    "@=",
    "dword:",
    "hex(2):",
    "hex(7):",
    "hex(b):",
    "hex:",
    "00,",
    "ff",
    ",\\\n  ",
)


@FUZZ
@given(format_text(*REG_WORDS))
def test_registry_export(text: str) -> None:
    _registry, problems = RegFileRegistry.from_text(text)
    assert all(isinstance(p, str) for p in problems)


@FUZZ
@given(st.binary(max_size=120))
def test_registry_export_bytes(data: bytes) -> None:
    RegFileRegistry.from_text(decode_reg_bytes(data))


values = st.one_of(
    st.builds(RegValue, st.text(max_size=20), st.sampled_from([REG_SZ, REG_EXPAND_SZ])),
    st.builds(RegValue, st.integers(-(2**40), 2**40), st.just(REG_DWORD)),
    st.builds(RegValue, st.binary(max_size=20), st.just(REG_BINARY)),
    st.builds(RegValue, st.lists(st.text(max_size=5), max_size=3), st.just(7)),
    st.builds(RegValue, st.none(), st.just(0)),
)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "DisplayName",
                "Publisher",
                "InstallDate",
                "SystemComponent",
                "UninstallString",
                "ParentKeyName",
                "DisplayVersion",
            ]
        ),
        values,
    )
)
def test_uninstall_entries(entry: dict[str, RegValue]) -> None:
    app = arp_app("Key", entry, installer="HKCU", user="ana", collector="c", expand=str.upper)
    assert app is None or app.name


@FUZZ
@given(st.text(alphabet=string.digits + "-/ ", max_size=12))
def test_install_dates(raw: str) -> None:
    install_date(raw)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["Name", "Version", "SignatureKind", "PackageFamilyName", "Major", "IsFramework"]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=10,
)


@FUZZ
@given(json_values)
def test_appx_json(value: object) -> None:
    import json

    packages, _problems = parse_appx_json(json.dumps(value))
    assert all(p.name for p in packages)


@FUZZ
@given(st.text(max_size=100))
def test_appx_text(text: str) -> None:
    parse_appx_json(text)
    publisher_name(text)
    manifest_display_name(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.binary(max_size=200))
def test_plist_bytes(data: bytes) -> None:
    with contextlib.suppress(PlistError):
        assert isinstance(parse_plist(data), dict)


@FUZZ
@given(st.integers(0, 400), st.binary(min_size=1, max_size=4))
def test_plist_damaged(position: int, junk: bytes) -> None:
    good = plistlib.dumps(
        {"CFBundleIdentifier": "com.example", "N": [1, 2.5, {"a": b"x"}]}, fmt=plistlib.FMT_BINARY
    )
    damaged = good[:position] + junk + good[position + len(junk) :]
    with contextlib.suppress(PlistError):
        parse_plist(damaged)


@FUZZ
@given(st.text(max_size=120))
def test_identity_text(text: str) -> None:
    parse_os_release(text)
    parse_ioreg(text)


any_text = st.text(st.characters(exclude_categories=()), max_size=12)


@FUZZ
@given(any_text, any_text)
def test_anything_a_collector_finds_can_be_written_as_utf8(identifier: str, exe: str) -> None:
    app = InstalledApp(identifier, IdentifierKind.APPIMAGE, name=identifier, location=exe)
    output = CollectorOutput(apps=[app], processes=[RunningProcess(1, exe, exe, exe)])
    make_readable(output)
    (fixed,) = output.apps
    for text in (fixed.identifier, fixed.name, fixed.location, output.processes[0].exe):
        text.encode("utf-8")
    if fixed == app:
        assert output.problems == []
    else:
        assert len(output.problems) == 1
