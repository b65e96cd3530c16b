"""An error's words reach the terminal with any control or direction character shown, not
obeyed: a phone chooses its own serial, a file its own names (the review's `--device` serial
with a right-to-left override and a terminal colour escape)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.cli import report_error
from audit.errors import AuditError

HOSTILE = "R58M\u202eCBA\x1b[32mOK"


def printed(capsys: pytest.CaptureFixture[str], error: AuditError) -> str:
    report_error(error)
    return capsys.readouterr().err


def test_a_serial_with_an_override_and_an_escape_is_shown_not_obeyed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = printed(capsys, AuditError(f"No phone with serial {HOSTILE} is connected.", HOSTILE))
    assert "\u202e" not in err and "\x1b" not in err
    assert "R58M\\u202eCBA\\x1b[32mOK" in err
    assert err.count("\n") == 2  # one line of error, one of next step


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(), st.text())
def test_no_error_sends_a_control_character_but_its_line_ends(
    capsys: pytest.CaptureFixture[str], message: str, next_step: str
) -> None:
    err = printed(capsys, AuditError(message, next_step))
    assert not any(c < " " and c != "\n" for c in err)
    assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in err)
