"""The headless command line over the same core the GUI uses.

Each command lives in its own module with `register(subparsers)`; they are listed in COMMANDS.
Errors become words here, in one place: a message, the next step, and an exit code
(0 success or compliant, 1 not compliant or invalid, 2 usage or input error).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from audit.errors import AuditError, Cancelled
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
}

# Each command's one-line summary, for `device-audit --help`: the overview lists every command
# from these lines alone and imports no command module (it took ~420 ms when it imported them
# all: policy signing, the keyring, the history store; issue 15). A test keeps each line equal
# to the help its module registers; a command missing here is listed by importing its module.
SUMMARIES: dict[str, str] = {
    "devices": "list the phones plugged in over USB and what each needs",
    "scan": "list every installed app on this computer or on phones",
    "policies": "list the policy presets",
    "check": "judge an inventory file against a policy",
    "remove": "remove the banned apps from a phone, then scan again",
    "attest": "scan again and write a signed attestation of compliance",
    "verify": "check signed attestation receipts",
    "history": "list past audits",
    "import": "import staff receipts from a folder",
    "export": "export audits for the compliance office",
    "policy": "accept an organisation's policy file, or list the known policies",
    "technician": "enrol, revoke or list technician keys",
    "exemption": "accept an exemptions file, list or revoke accepted exemptions",
}

GLOBAL_FLAGS = ("-v", "--verbose")
HELP_FLAGS = ("-h", "--help", "--version")

# Draws the PDF beside a signed receipt. Qt does the drawing and audit/ never imports Qt, so
# main.py sets this when the desktop part is installed; None means the PDF is skipped.
receipt_pdf_writer: Callable[[ReceiptContent, Path], None] | None = None

GUI_HELP = """\
With no command, the desktop app opens. Its options:
  --demo        add a simulated phone, to try the whole flow without a real one
  --helpdesk    open in helpdesk mode (a queue of phones)
"""


def command_name(argv: Sequence[str]) -> str | None:
    """The word argv asks for after any global flags (a command, or a mistyped one), else None.

    The desktop app's own options all start with '-', so any bare word is meant for the command
    line: a typo like 'scna' gets argparse's "invalid choice" instead of opening a window.
    """
    for arg in argv:
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
        description="Find banned apps on this computer and on phones (Android and iPhone), "
        "remove them, and record a signed attestation.",
        epilog=GUI_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=ShowVersion)
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command in COMMANDS:
        importlib.import_module(COMMANDS[command]).register(sub)
        return parser
    for name, module_name in COMMANDS.items():
        sub.add_parser(name, help=SUMMARIES.get(name) or registered_help(module_name, name))
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
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2023-03-31") from None


def add_adb_port(parser: argparse.ArgumentParser) -> None:
    """The --adb-port option of every command that talks to phones."""
    parser.add_argument(
        "--adb-port",
        type=_port,
        default=None,
        metavar="PORT",
        help="port of the adb server (default: $ANDROID_ADB_SERVER_PORT, else 5037)",
    )


def _port(text: str) -> int:
    if text.isdigit() and 0 < int(text) < 65536:
        return int(text)
    raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1 to 65535)")


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
        return f"{path} is a folder; give the name of a file to write in it"
    parent = path.parent
    if not parent.exists():
        return f"the folder {parent} does not exist"
    if not parent.is_dir():
        return f"{parent} is not a folder"
    from audit.files import folder_write_problem

    return folder_write_problem(parent)


def report_error(error: AuditError) -> None:
    """The error's words, with any control or direction character a phone, a file or a name
    put in them shown, never sent to the terminal (audit.text.visible)."""
    from audit.text import visible

    print(f"error: {visible(error.message, keep=chr(10))}", file=sys.stderr)
    if error.next_step:
        print(f"next step: {visible(error.next_step, keep=chr(10))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_name(args_list))
    args = parser.parse_args(args_list)
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
        print("Cancelled.", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
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
    where = f" ({name[:80]}…)" if len(name) > 80 else f" ({name})" if name else ""
    return AuditError(
        f"A file could not be used{where}: {path_problem(error)}.",
        "Check the paths given (a shorter path, a folder you may write to, space on the disk) "
        "and try again.",
    )
