"""The headless command line over the same core the GUI uses.

Each command lives in its own module with `register(subparsers)`; they are listed in COMMANDS.
Errors become words here, in one place: a message, the next step, and an exit code
(0 success or compliant, 1 not compliant or invalid, 2 usage or input error).

The language (`--language fr`, else DEVICE_AUDIT_LANGUAGE, else the system's) is chosen before
any parser or message is built: `--help` and argparse's own errors are then in that language.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from audit.errors import AuditError, Cancelled
from audit.i18n import N_, _, set_language
from audit.version import ShowVersion

if TYPE_CHECKING:
    from audit.attestation.receipt_text import ReceiptContent

EXIT_OK = 0
EXIT_NOT_COMPLIANT = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool stopped by a closed pipe

# name -> module that registers it; one module may register several commands. Only the module
# of the command being run is imported, so a quick command does not pay for adb or Qt-free crypto.
COMMANDS: dict[str, str] = {
    "devices": "audit.cli.android_cmds",
    "scan": "audit.cli.scan_cmd",
    "policies": "audit.cli.policy_cmds",
    "check": "audit.cli.policy_cmds",
    "remove": "audit.cli.remediation_cmds",
    "attest": "audit.cli.remediation_cmds",
    "verify": "audit.cli.attest_cmds",
    "history": "audit.cli.history_cmds",
    "import": "audit.cli.history_cmds",
    "export": "audit.cli.history_cmds",
    "policy": "audit.cli.trust_cmds",
    "technician": "audit.cli.trust_cmds",
    "exemption": "audit.cli.trust_cmds",
    "team": "audit.cli.team_cmd",
}

# Each command's one-line summary, for `device-audit --help`: the overview lists every command
# from these lines alone and imports no command module (it took ~420 ms when it imported them
# all: policy signing, the keyring, the history store; issue 15). A test keeps each line equal
# to the help its module registers; a command missing here is listed by importing its module.
# Marked here, translated when the overview is built (after the language is chosen).
SUMMARIES: dict[str, str] = {
    "devices": N_("list the phones plugged in over USB and what each needs"),
    "scan": N_("list every installed app on this computer or on phones"),
    "policies": N_("list the policy presets"),
    "check": N_("judge an inventory file against a policy"),
    "remove": N_("remove the banned apps from a phone, then scan again"),
    "attest": N_("scan again and write a signed attestation of compliance"),
    "verify": N_("check signed attestation receipts"),
    "history": N_("list past audits"),
    "import": N_("import staff receipts from a folder"),
    "export": N_("export audits for the compliance office"),
    "policy": N_("accept an organisation's policy file, or list the known policies"),
    "technician": N_("enrol, revoke or list technician keys"),
    "exemption": N_("accept an exemptions file, list or revoke accepted exemptions"),
    "team": N_("set up the team history's roles on its server, and give people their logins"),
}

GLOBAL_FLAGS = ("-v", "--verbose")
LANGUAGE_OPTION = "--language"  # takes a value: `--language fr` or `--language=fr`
HELP_FLAGS = ("-h", "--help", "--version")

# Draws the PDF beside a signed receipt. Qt does the drawing and audit/ never imports Qt, so
# main.py sets this when the desktop part is installed; None means the PDF is skipped.
receipt_pdf_writer: Callable[[ReceiptContent, Path], None] | None = None

# Translators: keep the option names (--demo, --helpdesk) and the column they line up in.
GUI_HELP = N_("""\
With no command, the desktop app opens. Its options:
  --demo        add a simulated phone, to try the whole flow without a real one
  --helpdesk    open in helpdesk mode (a queue of phones)
""")

# main.py says this when there is no display (its words live here: the catalogue is extracted
# from audit/ and ui/, and main.py stays a thin entry point).
NO_DISPLAY = N_(
    "error: the desktop app needs a graphical session, and none was found "
    "(DISPLAY and WAYLAND_DISPLAY are not set).\n"
    "next step: start it from your desktop, or use the command line: "
    "device-audit --help"
)


def _is_language(arg: str) -> bool:
    """--language, or an abbreviation of it as argparse accepts, from "--lang" on (shorter
    ones could be a command's --latest or --limit)."""
    return len(arg) >= len("--lang") and LANGUAGE_OPTION.startswith(arg)


def _is_language_with_value(arg: str) -> bool:
    return "=" in arg and _is_language(arg.split("=", 1)[0])


def language_option(argv: Sequence[str]) -> str | None:
    """The value of --language in argv (before any command word or after it), else None."""
    for index, arg in enumerate(argv):
        if _is_language(arg) and index + 1 < len(argv):
            return argv[index + 1]
        if _is_language_with_value(arg):
            return arg.split("=", 1)[1]
    return None


def without_language_option(argv: Sequence[str]) -> list[str]:
    """argv with the global --language option (or its abbreviation) and its value taken out."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif _is_language(arg):
            skip = True
        elif not _is_language_with_value(arg):
            out.append(arg)
    return out


def command_name(argv: Sequence[str]) -> str | None:
    """The word argv asks for after any global flags (a command, or a mistyped one), else None.

    The desktop app's own options all start with '-', so any bare word is meant for the command
    line: a typo like 'scna' gets argparse's "invalid choice" instead of opening a window.
    """
    for arg in without_language_option(argv):
        if arg not in GLOBAL_FLAGS:
            return None if arg.startswith("-") else arg
    return None


def is_cli_invocation(argv: Sequence[str]) -> bool:
    """True when argv asks for a command (or help) rather than the desktop app."""
    return command_name(argv) is not None or any(arg in HELP_FLAGS for arg in argv)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for `command` alone, or the overview of every command when None (or an
    unknown word): the overview lists the commands by their SUMMARIES without importing them."""
    parser = argparse.ArgumentParser(
        prog="device-audit",
        description=_(
            "Find banned apps on this computer and on phones (Android and iPhone), "
            "remove them, and record a signed attestation."
        ),
        epilog=_(GUI_HELP),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=ShowVersion)
    parser.add_argument("-v", "--verbose", action="store_true", help=_("log details to stderr"))
    parser.add_argument(
        LANGUAGE_OPTION,
        metavar="LANGUAGE",
        default=None,
        # Translators: "en" and "fr" are what to type; keep them as they are.
        help=_("the language to use: en (English) or fr (French); default: the system's"),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command in COMMANDS:
        importlib.import_module(COMMANDS[command]).register(sub)
        return parser
    for name, module_name in COMMANDS.items():
        summary = SUMMARIES.get(name)
        sub.add_parser(name, help=_(summary) if summary else registered_help(module_name, name))
    return parser


def registered_help(module_name: str, command: str) -> str | None:
    """The summary the module registers for `command` (the module is imported: slower)."""
    scratch = argparse.ArgumentParser(add_help=False).add_subparsers()
    importlib.import_module(module_name).register(scratch)
    return next((a.help for a in scratch._choices_actions if a.dest == command), None)


def iso_date(text: str) -> date:
    """An argparse type for dates written as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text} is not a date like 2023-03-31").format(text=repr(text))
        ) from None


def add_adb_port(parser: argparse.ArgumentParser) -> None:
    """The --adb-port option of every command that talks to phones."""
    parser.add_argument(
        "--adb-port",
        type=_port,
        default=None,
        metavar="PORT",
        help=_("port of the adb server (default: $ANDROID_ADB_SERVER_PORT, else 5037)"),
    )


def _port(text: str) -> int:
    if text.isdigit() and 0 < int(text) < 65536:
        return int(text)
    raise argparse.ArgumentTypeError(
        _("{text} is not a port number (1 to 65535)").format(text=repr(text))
    )


def json_words(wanted: bool) -> AbstractContextManager[object]:
    """A block whose words are English when a --json document is `wanted`: a document is read
    by scripts and the compliance office's tools, so its reasons and notes never change with the
    language (docs/translating.md); without --json, the person's language."""
    from contextlib import nullcontext

    from audit.i18n import ENGLISH, speaking

    return speaking(ENGLISH) if wanted else nullcontext()


def print_json(document: object) -> None:
    """A command's --json answer on stdout: indented, UTF-8 as it is, one newline after."""
    import json

    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def output_problem(path: Path) -> str:
    """Why no file can be written at `path`, or "" when writing it can be tried.

    Commands ask before their slow work (a scan), so a mistyped path costs seconds, not a scan.
    """
    if path.is_dir():
        return _("{path} is a folder; give the name of a file to write in it").format(path=path)
    parent = path.parent
    if not parent.exists():
        return _("the folder {folder} does not exist").format(folder=parent)
    if not parent.is_dir():
        return _("{path} is not a folder").format(path=parent)
    from audit.files import folder_write_problem

    return folder_write_problem(parent)


def report_error(error: AuditError) -> None:
    """The error's words, with any control or direction character a phone, a file or a name
    put in them shown, never sent to the terminal (audit.text.visible)."""
    from audit.text import visible

    print(
        _("error: {message}").format(message=visible(error.message, keep=chr(10))),
        file=sys.stderr,
    )
    if error.next_step:
        print(
            _("next step: {step}").format(step=visible(error.next_step, keep=chr(10))),
            file=sys.stderr,
        )


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    set_language(language_option(args_list))  # before any parser or message is built
    from audit.cli.argparse_words import install

    install()  # argparse's own words ("usage:", its errors) in that language too
    parser = build_parser(command_name(args_list))
    # --language is read above wherever it stands (before the command or after it): each
    # command's own parser need not know it.
    args = parser.parse_args(without_language_option(args_list))
    import logging  # after parsing: `--help` and a usage error exit before they need it

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.func(args)
        sys.stdout.flush()  # here, so that a closed pipe is caught below, not at exit
    except BrokenPipeError:
        # The reader went away (`device-audit history | head`): stop quietly, as other
        # command-line tools do, and point stdout at nothing so the exit flush cannot fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Cancelled:
        print(_("Cancelled."), file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(_("Interrupted."), file=sys.stderr)
        return 130
    except AuditError as error:
        report_error(error)
        return EXIT_USAGE
    except OSError as error:
        # A path no reader expected to fail this way (one too long for the file system, a full
        # or read-only disk): the words and the path, never a traceback.
        import logging

        logging.getLogger(__name__).debug("unexpected file error", exc_info=True)
        report_error(os_error(error))
        return EXIT_USAGE
    return code


def os_error(error: OSError) -> AuditError:
    """A file system error that reached the top, in words with a next step."""
    from audit.files import path_problem

    name = str(error.filename or "")
    shown = f"{name[:80]}…" if len(name) > 80 else name
    problem = path_problem(error)
    message = (
        _("A file could not be used ({path}): {problem}.").format(path=shown, problem=problem)
        if shown
        else _("A file could not be used: {problem}.").format(problem=problem)
    )
    return AuditError(
        message,
        _(
            "Check the paths given (a shorter path, a folder you may write to, space on the "
            "disk) and try again."
        ),
    )
