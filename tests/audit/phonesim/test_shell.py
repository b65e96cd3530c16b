"""The simulated phone's sh: quoting, chaining, expansion and redirection behave as on a phone."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.phonesim import SimulatedPhone
from tests.phonesim.shell import parse


@pytest.fixture(scope="module")
def phone() -> SimulatedPhone:
    return SimulatedPhone("hostile-names")


def run(phone: SimulatedPhone, line: str) -> tuple[str, str, int]:
    out = phone.run(line)
    return out.stdout.decode(), out.stderr.decode(), out.status


def test_a_quoted_semicolon_is_part_of_the_argument() -> None:
    phone = SimulatedPhone("samsung-work-profile")
    stdout, _, status = run(phone, "pm uninstall 'x;reboot'")
    assert (stdout, status) == ("Failure [DELETE_FAILED_INTERNAL_ERROR]\n", 1)
    assert not phone.state.rebooted


def test_an_unquoted_semicolon_runs_the_next_command() -> None:
    phone = SimulatedPhone("samsung-work-profile")
    run(phone, "pm uninstall x;reboot")
    assert phone.state.rebooted


@pytest.mark.parametrize(
    ("line", "rebooted"),
    [
        ('echo "$(reboot)"', True),
        ("echo `reboot`", True),
        ("echo '$(reboot)'", False),
        ("echo \\$\\(reboot\\)", False),
        ("pm path $(reboot)", True),
        ("pm path 'com.x`reboot`'", False),
        ("false && reboot", False),
        ("true || reboot", False),
        ("false || reboot", True),
        ("# reboot", False),
        ("echo x#reboot", False),
    ],
)
def test_command_substitution_runs_only_where_sh_would(line: str, rebooted: bool) -> None:
    phone = SimulatedPhone("demo-phone")
    run(phone, line)
    assert phone.state.rebooted is rebooted


def test_a_syntax_error_runs_nothing(phone: SimulatedPhone) -> None:
    fresh = SimulatedPhone("demo-phone")
    stdout, stderr, status = run(fresh, "reboot; echo 'unterminated")
    assert (stdout, status) == ("", 1)
    assert stderr == "/system/bin/sh: syntax error: no closing quote\n"
    assert not fresh.state.rebooted


def test_exit_status_and_markers(phone: SimulatedPhone) -> None:
    stdout, _, status = run(phone, "false; echo rc=$?; true; echo rc=$?; exit 3")
    assert stdout == "rc=1\nrc=0\n"
    assert status == 3


def test_unknown_command_is_not_found(phone: SimulatedPhone) -> None:
    assert run(phone, "foo bar") == ("", "/system/bin/sh: foo: inaccessible or not found\n", 127)
    assert run(phone, "/sbin/su -c id")[2] == 127


def test_redirections(phone: SimulatedPhone) -> None:
    assert run(phone, "pm list packages --user 99x 2>&1")[0].startswith("Error: ")
    assert run(phone, "echo gone >/dev/null") == ("", "", 0)
    assert run(phone, "foo 2>/dev/null") == ("", "", 127)
    assert run(phone, "echo to-err 1>&2") == ("", "to-err\n", 0)
    assert run(phone, "echo x > /sdcard/x")[2] == 1
    assert run(phone, "echo kept > /data/local/tmp/f; cat /data/local/tmp/f")[0] == "kept\n"


def test_stderr_redirected_to_stdout_keeps_the_order(phone: SimulatedPhone) -> None:
    out = phone.run("echo one; foo 2>&1; echo three")
    assert out.stdout.decode().splitlines() == [
        "one",
        "/system/bin/sh: foo: inaccessible or not found",
        "three",
    ]


def test_pipes_and_text_tools(phone: SimulatedPhone) -> None:
    stdout, _, status = run(phone, "pm list packages | grep -c '^package:com\\.android\\.'")
    assert status == 0 and int(stdout) > 50
    assert run(phone, "echo a b | grep -q zzz")[2] == 1
    assert run(phone, "printf '%s=%s\\n' a 1 b 2")[0] == "a=1\nb=2\n"


def test_variables_and_field_splitting(phone: SimulatedPhone) -> None:
    assert run(phone, 'X="a  b"; printf "[%s]" $X "$X"')[0] == "[a][b][a  b]"
    assert run(phone, "printf '[%s]' \"\" ''")[0] == "[][]"


def test_unsupported_constructs_say_so(phone: SimulatedPhone) -> None:
    stdout, stderr, status = run(phone, "if true; then echo x; fi")
    assert status == 1 and stdout == ""
    assert "not supported by the simulated phone" in stderr


# Text that can reach a phone: no NUL (it ends the service string), no lone surrogates.
WIRE_CHARS = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))


@given(st.lists(st.text(WIRE_CHARS, max_size=20), max_size=6))
@settings(max_examples=200, deadline=None)
def test_shlex_quoted_arguments_arrive_unchanged(args: list[str]) -> None:
    phone = SimulatedPhone("hostile-names")
    out = phone.run("printf '%s\\n' " + " ".join(shlex.quote(a) for a in args) if args else "true")
    assert out.status == 0
    assert out.stdout.decode("utf-8", "surrogateescape") == "".join(a + "\n" for a in args)
    assert not phone.state.rebooted


@given(st.text(st.characters(), max_size=200))
@settings(max_examples=200, deadline=None)
def test_any_command_line_gives_an_answer_never_a_crash(line: str) -> None:
    phone = SimulatedPhone("hostile-names")
    out = phone.run(line)
    assert 0 <= out.status <= 255
    assert all(fd in (1, 2) and isinstance(data, bytes) for fd, data in out.chunks)


@given(st.binary(max_size=200))
@settings(max_examples=200, deadline=None)
def test_any_bytes_give_an_answer_never_a_crash(line: bytes) -> None:
    out = SimulatedPhone("android7-old").run(line)
    assert 0 <= out.status <= 255


SOUP = ["pm", "list", "packages", "'", '"', "$(", ")", "`", ";", "&&", "||", "|", "2>&1",
        ">", "<", "\\", "$?", "echo", "reboot", "#", "\n", " ", "-u"]  # fmt: skip


@given(st.lists(st.sampled_from(SOUP), max_size=25))
@settings(max_examples=200, deadline=None)
def test_shell_grammar_soup_never_crashes(tokens: list[str]) -> None:
    phone = SimulatedPhone("demo-phone")
    out = phone.run(" ".join(tokens))
    assert 0 <= out.status <= 255


def test_parse_rejects_dangling_operators() -> None:
    for line in ("; echo", "echo &&", "| grep x", "echo > "):
        with pytest.raises(Exception, match="unexpected"):
            parse(line)
