"""A policy or catalog value that no device can report is refused, naming the character and its
position (audit.policy.grammar): a rule that silently matches nothing makes every device with
the banned app "compliant" (tests/review_s5/test_policy_lookalike_ids.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.errors import CatalogError, PolicyError
from audit.model import IdentifierKind
from audit.paths import resource
from audit.policy import load_catalog, loads_policy
from audit.policy.grammar import identifier_problem, text_problem
from audit.sources.android.packages import is_listable_package_name

HEAD = """id = "acme-2026"
title = "Acme"
authority = "Acme Ltd"

[[rule]]
id = "banned"
title = "Banned"
"""

ZWSP, SOFT_HYPHEN, NBSP, RLO = "\u200b", "\u00ad", "\u00a0", "\u202e"
CYRILLIC_A, GREEK_O, FULLWIDTH_DOT = "\u0430", "\u03bf", "\uff0e"

# kind -> (a value a device can report, a slip in it nobody sees on screen)
REFUSED = [
    ("android_pkg", "com.zhiliaoapp.musically" + ZWSP, "character 25", "ZERO WIDTH SPACE"),
    ("android_pkg", "com.zhiliao" + SOFT_HYPHEN + "app.x", "character 12", "SOFT HYPHEN"),
    ("android_pkg", "com.zhiliaoapp.musicb" + CYRILLIC_A, "character 22", "CYRILLIC SMALL"),
    ("android_pkg", "com" + FULLWIDTH_DOT + "zhiliaoapp", "character 4", "FULLWIDTH FULL STOP"),
    ("android_pkg", "com.1zhiliao", "character 5", "starts with a letter"),
    ("android_pkg", "com.zhiliao-app", "character 12", "HYPHEN-MINUS"),
    ("android_pkg", "123.456", "has no letter", "Android package name"),
    ("ios_bundle", "com.ss.iphone.ugc.Ame" + RLO, "character 22", "RIGHT-TO-LEFT OVERRIDE"),
    ("ios_bundle", "com.ss.iphone_ugc", "character 14", "LOW LINE"),
    ("macos_bundle", "com.t" + GREEK_O + "ncent.xin", "character 6", "GREEK SMALL LETTER OMICRON"),
    ("appstore_id", "id835599320", "character 1", "App Store id has only digits"),
    ("appstore_id", "8355\u0663", "character 5", "ARABIC-INDIC DIGIT THREE"),
    ("appstore_id", "0835599320", "starts with 0", "App Store id"),
    ("msstore_id", "9NH2GPH4JZS4" + ZWSP, "character 13", "ZERO WIDTH SPACE"),
    ("appx_name", "TikTok.TikTok ", "", "starts or ends with spaces"),
    ("appx_name", "TikTok_TikTok", "character 7", "Windows package name"),
    ("appx_pfn", "BytedancePte.Ltd.TikTok_6yccndn6064se" + ZWSP, "character 38", "ZERO WIDTH"),
    ("deb", "TikTok", "character 1", "lower-case"),
    ("rpm", "tik tok", "character 4", "is a space"),
    ("flatpak", "com.tiktok.TikTok" + SOFT_HYPHEN, "character 18", "SOFT HYPHEN"),
    ("snap", "TikTok", "character 1", "snap name"),
    ("winget_id", "ByteDance. CapCut", "character 11", "winget id"),
    ("arp_key", "Cap" + ZWSP + "Cut", "character 4", "ZERO WIDTH SPACE"),
    ("arp_key", "Cap" + NBSP + "Cut", "character 4", "NO-BREAK SPACE"),
    ("arp_key", "C" + CYRILLIC_A + "pCut", "character 2", "another alphabet"),
    ("arp_key", "Software\\CapCut", "character 9", "REVERSE SOLIDUS"),
    ("desktop", "tiktok/desktop", "character 7", "SOLIDUS"),
    ("appimage", "TikTok" + SOFT_HYPHEN + ".AppImage", "character 7", "SOFT HYPHEN"),
    ("domain", "tiktok" + FULLWIDTH_DOT + "com", "character 7", "FULLWIDTH FULL STOP"),
    ("domain", "t\u0456ktok.com", "character 2", "another alphabet"),
    ("domain", "tiktok.com/foryou", "character 11", "SOLIDUS"),
]


def _toml(value: str) -> str:
    """`value` as a TOML basic string's inside: every non-ASCII character as an escape, as a
    copied invisible character sits in a file without showing."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isascii() and char.isprintable():
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04X}" if ord(char) < 0x10000 else f"\\U{ord(char):08X}")
    return "".join(out)


def _policy(kind: str, value: str) -> str:
    return HEAD + f'identifiers = [ {{ kind = "{kind}", value = "{_toml(value)}" }} ]\n'


@pytest.mark.parametrize(("kind", "value", "where", "what"), REFUSED)
def test_a_value_no_device_can_report_is_refused_naming_the_character(
    kind: str, value: str, where: str, what: str
) -> None:
    with pytest.raises(PolicyError) as caught:
        loads_policy(_policy(kind, value))
    words = str(caught.value)
    assert "rule[1].identifiers[1].value" in words
    assert where in words and what in words
    # an invisible character is named, never printed as itself (it would vanish again)
    assert ZWSP not in words and SOFT_HYPHEN not in words and RLO not in words


CATALOG = tomllib.loads(resource("catalog.toml").read_text("utf-8"))


@pytest.mark.parametrize(
    ("kind", "value"),
    [(e["kind"], e["value"]) for e in CATALOG["entry"] if e["kind"] in set(IdentifierKind)],
)
def test_every_identifier_in_the_shipped_catalog_fits_its_grammar(kind: str, value: str) -> None:
    assert identifier_problem(IdentifierKind(kind), value) == ""


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("android_pkg", "com.ss.android.*"),  # globs keep * and ?
        ("android_pkg", "com.xt.retouch?"),
        ("android_pkg", "miui"),  # a maker's framework package, no '.'
        ("android_pkg", "com.UCMobile.intl"),
        ("ios_bundle", "ph.telegra.Telegraph"),
        ("macos_bundle", "com.example.my_app"),  # outside the App Store, '_' happens
        ("appx_pfn", "TikTok.TikTok_6yccndn6064se"),
        ("deb", "libc++1"),
        ("snap", "tiktok_beta"),
        ("winget_id", "Kaspersky.*"),
        ("arp_key", "{6F1C8F4A-1A2B-4C3D-9E8F-0A1B2C3D4E5F}"),
        ("arp_key", "Яндекс Browser"),  # words each in one alphabet
        ("arp_key", "微信 (WeChat)"),
        ("desktop", "chrome-abc-Default.desktop"),
        ("domain", "例子.中国"),  # an internationalised address, one alphabet
        ("domain", "xn--fsqu00a.xn--fiqs8s"),
        ("domain", "*.tiktok.com"),
    ],
)
def test_a_value_a_device_can_report_loads(kind: str, value: str) -> None:
    assert identifier_problem(IdentifierKind(kind), value) == ""
    [rule] = loads_policy(_policy(kind, value)).rules
    assert rule.matchers[0].pattern == value


@pytest.mark.parametrize(
    ("key", "value", "what"),
    [
        ("names", "Tik" + ZWSP + "Tok", "ZERO WIDTH SPACE"),
        ("names", "TikT" + "\u043e" + "k", "another alphabet"),
        ("publishers", "Byte" + SOFT_HYPHEN + "Dance*", "SOFT HYPHEN"),
        ("processes", "TikTok.exe" + RLO, "RIGHT-TO-LEFT OVERRIDE"),
    ],
)
def test_an_invisible_or_look_alike_name_is_refused(key: str, value: str, what: str) -> None:
    with pytest.raises(PolicyError) as caught:
        loads_policy(HEAD + f'{key} = ["{_toml(value)}"]\n')
    assert f"rule[1].{key}[1].value" in str(caught.value) and what in str(caught.value)


def test_a_name_matchers_publisher_is_checked_too() -> None:
    text = HEAD + 'names = [{ value = "TikTok", publisher = "Byte\\u200bDance" }]\n'
    with pytest.raises(PolicyError, match="ZERO WIDTH SPACE") as caught:
        loads_policy(text)
    assert "rule[1].names[1].publisher" in str(caught.value)


@pytest.mark.parametrize(
    "name",
    [
        "ВКонтакте",
        "微信",
        "Яндекс.Go",
        "Dev \U0001f468\u200d\U0001f4bb",
        "می\u200cخواهم",
        "ＴｉｋＴｏｋ",
    ],
)
def test_real_names_in_any_alphabet_load(name: str) -> None:
    """One alphabet per word, joiners that emoji and Persian need, fullwidth letters (names
    are compared after NFKC): all are names a device can show."""
    assert text_problem(name) == ""
    loads_policy(HEAD + f'names = ["{_toml(name)}"]\n')


def test_an_allow_list_with_a_look_alike_is_refused() -> None:
    text = (
        'id = "acme-allow"\ntitle = "Acme"\nauthority = "Acme"\n\n[allow_list]\n'
        'identifiers = [{ kind = "android_pkg", value = "com.microsoft.te\\u0430ms" }]\n'
    )
    with pytest.raises(PolicyError, match="CYRILLIC SMALL LETTER A") as caught:
        loads_policy(text)
    assert "allow_list.identifiers[1].value" in str(caught.value)


def test_a_catalog_entry_with_an_invisible_character_is_refused(tmp_path: Path) -> None:
    """A catalog is shared by every policy that names its groups: one bad entry there makes
    every such rule miss the app."""
    path = tmp_path / "catalog.toml"
    path.write_text(
        '[[entry]]\nid = "tiktok-android"\napp = "TikTok"\nkind = "android_pkg"\n'
        'value = "com.zhiliaoapp.musically\\u00ad"\nconfidence = "high"\nsource = "[H1]"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="SOFT HYPHEN") as caught:
        load_catalog(path)
    assert "entry[1].value" in str(caught.value)


_PACKAGE_CHARS = st.sampled_from(
    [*"abcXYZ019_.-*?", ZWSP, SOFT_HYPHEN, CYRILLIC_A, FULLWIDTH_DOT, " ", "\u0661"]
)


@settings(max_examples=400, deadline=None)
@given(st.text(_PACKAGE_CHARS, min_size=1, max_size=20))
def test_the_policy_grammar_for_android_is_the_phones_own(value: str) -> None:
    """An exact Android value loads exactly when a phone's package manager could list it
    (audit.sources.android.packages): no real package is refused, no impossible one accepted."""
    problem = identifier_problem(IdentifierKind.ANDROID_PACKAGE, value)
    if "*" in value or "?" in value:
        return  # a glob: checked per character only
    listable = is_listable_package_name(value) and any(c.isalpha() for c in value)
    assert (problem == "") == listable, (value, problem)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(IdentifierKind)), st.text(max_size=40))
def test_any_text_gets_an_answer_never_a_crash(kind: IdentifierKind, value: str) -> None:
    problem = identifier_problem(kind, value)
    assert isinstance(problem, str)
    if problem:
        assert "could never match anything" in problem or "no phone can have" in problem
    assert isinstance(text_problem(value), str)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(list(IdentifierKind)),
    st.text(st.sampled_from([*"aZ09_.-*?/\\: ~|", ZWSP, CYRILLIC_A, "\u00e9"]), max_size=12),
)
def test_the_shortcut_never_passes_what_the_full_check_refuses(
    kind: IdentifierKind, value: str
) -> None:
    """`identifier_problem` answers the common case with one pattern (grammar._PLAIN); it may
    only ever say "fine" where the character-by-character check says so too."""
    from audit.policy.grammar import _PLAIN, _explained

    if _PLAIN[kind].fullmatch(value):
        assert _explained(kind, value) == "", (kind, value)
