"""The command line speaks the language in use (issue 17): every --help text, every line a
command prints and its confirmations; its --json answers and the codes scripts grep stay as
they are.

The pseudo-language stands in for a translation: each catalogue string comes back wrapped in
⟦ ⟧, so a help text or a line that bypassed the catalogue shows at once.
"""

from __future__ import annotations

import argparse
import gettext
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit.cli import COMMANDS, build_parser, main
from audit.cli.remediation_cmds import _yes_words
from audit.cli.scan_phones import PhoneOutcome, tally
from audit.errors import AuditError
from audit.i18n import ENGLISH, FRENCH, PSEUDO, locale_dir, set_language

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "samples" / "sample-receipt.json"
WRAPPED = "⟦"


@pytest.fixture
def pseudo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The pseudo-language, for this test only (main() chooses it from the environment)."""
    monkeypatch.setenv("DEVICE_AUDIT_LANGUAGE", PSEUDO)
    set_language(PSEUDO)
    yield
    monkeypatch.setenv("DEVICE_AUDIT_LANGUAGE", ENGLISH)
    set_language(ENGLISH)


def _texts(parser: argparse.ArgumentParser, where: str) -> Iterator[tuple[str, str]]:
    """(where, text) for the description and every option's help, sub-commands included;
    argparse's own -h help is argparse's words, not ours."""
    if parser.description:
        yield where, parser.description
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.help:
                    yield f"{where} {choice.dest}", choice.help
            for name, sub in action.choices.items():
                yield from _texts(sub, f"{where} {name}")
        elif action.help not in (None, argparse.SUPPRESS) and not isinstance(
            action, argparse._HelpAction
        ):
            yield f"{where} {'/'.join(action.option_strings) or action.dest}", str(action.help)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_text_goes_through_the_catalogue(pseudo: None, command: str | None) -> None:
    """Technicians read --help: a text left in English would show here unwrapped. Each
    command's parser is built after the language is chosen, never at import."""
    texts = list(_texts(build_parser(command), command or "device-audit"))
    assert len(texts) > 2
    bare = [(where, text) for where, text in texts if not text.startswith(WRAPPED)]
    assert not bare


def test_english_help_is_as_it_was() -> None:
    texts = dict(_texts(build_parser("scan"), "device-audit"))
    assert texts["device-audit scan --local"] == "scan this computer"
    assert texts["device-audit scan --all"] == "scan every phone plugged in and ready"


def test_verify_prints_in_the_language_in_use_and_its_json_keeps_its_codes(
    pseudo: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The text a technician reads is translated; the --json a script reads keeps its keys and
    codes (valid, kind, status, assurance) whatever the language."""
    missing = tmp_path / "no-such-receipt.json"
    assert main(["verify", str(SAMPLE), str(missing)]) == 2
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    bare = [line for line in lines if WRAPPED not in line]
    # Lines made of a value alone (a policy's version words come from other modules): none
    # of ours may be bare.
    assert not [line for line in bare if line.lstrip().startswith(("signer", "device", "status"))]
    assert lines[-1].startswith(WRAPPED)  # the tally of several files
    assert main(["verify", "--json", str(SAMPLE)]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document[0]["kind"] == "compliance_attestation"
    assert document[0]["status"] == "compliant"
    assert document[0]["assurance"] == "self-attested"
    assert document[0]["valid"] is False


def test_history_and_trust_lists_speak_the_language_in_use(
    pseudo: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    receipts = tmp_path / "receipts"
    receipts.mkdir()
    (receipts / "sample.json").write_bytes(SAMPLE.read_bytes())
    assert main(["import", str(receipts), "--db", str(db)]) == 1  # the sample key: refused
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("REFUSED")  # the result column is a code scripts grep
    assert out.rstrip().splitlines()[-1].startswith(WRAPPED)
    for command in (["history"], ["technician", "list"], ["exemption", "list"]):
        assert main([*command, "--db", str(db)]) == 0
        said = capsys.readouterr().out.strip()
        assert said.startswith(WRAPPED), command


def test_an_error_and_its_next_step_are_in_the_language_in_use(
    pseudo: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["history", "--db", str(tmp_path / "mistyped.sqlite3")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith(WRAPPED) for line in err)


def test_the_tally_of_several_phones_counts_in_the_language_in_use(pseudo: None) -> None:
    failed = PhoneOutcome("A1", error=AuditError("gone"))
    assert tally([failed]).startswith(WRAPPED)


def test_the_tally_of_several_phones_reads_as_before_in_english() -> None:
    failed = PhoneOutcome("A1", error=AuditError("gone"))
    assert tally([failed]) == "1 phone: 0 scanned completely, 1 NOT scanned."
    assert tally([failed, failed]) == "2 phones: 0 scanned completely, 2 NOT scanned."


def test_yes_is_always_yes_in_english() -> None:
    assert set(_yes_words()) == {"y", "yes"}


def _french_has(message: str) -> bool:
    found = gettext.translation("device_audit", locale_dir(), languages=[FRENCH], fallback=True)
    return found.gettext(message) != message


@pytest.mark.skipif(
    not _french_has("y|yes"), reason="the French catalogue does not hold W2's words yet"
)
def test_a_french_reader_can_answer_oui_and_still_y() -> None:
    """`remove` asks "Go ahead?" in French: "o" and "oui" go ahead, and so do "y" and "yes"
    (a technician's habit or a script's answer never turns into a skipped removal)."""
    set_language(FRENCH)
    try:
        words = _yes_words()
    finally:
        set_language(ENGLISH)
    assert {"y", "yes", "o", "oui"} <= set(words)
