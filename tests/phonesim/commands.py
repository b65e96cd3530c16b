"""The programs on the simulated phone's PATH, bound to one phone's state.

Each command takes the running shell, its argv and its stdin, and returns an `Output`. Text and
exit statuses follow the real tools (toybox, mksh built-ins, the `cmd`-based Java tools); a
command the phone does not have is "inaccessible or not found" (exit 127), as on a phone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.phonesim.dumpsys import dumpsys
from tests.phonesim.pm import PackageCommands
from tests.phonesim.shell import SH, CommandFn, ExitShell, Output, Shell, decode
from tests.phonesim.state import OutputCache, PhoneState

SHELL_ID = (
    "uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),"
    "1015(sdcard_rw),1028(sdcard_r),1078(ext_data_rw),1079(ext_obb_rw),3001(net_bt_admin),"
    "3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),3011(uhid),3012(readtracefs) "
    "context=u:r:shell:s0"
)
_SETTINGS_NAMESPACES = ("system", "secure", "global")
_NUMBER = re.compile(r"-?[0-9]+")


def build_commands(state: PhoneState) -> dict[str, CommandFn]:
    """The command table of one phone."""
    packages = PackageCommands(state)
    package_dumps: OutputCache[str] = OutputCache(state)

    def pm(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
        return packages.pm(argv[1:])

    def cmd(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
        if len(argv) < 2:
            return Output.of(
                stderr="cmd: No service specified; use -l to list all running services. "
                "Use -w to start and wait for a service.\n",
                status=20,
            )
        service, rest = argv[1], argv[2:]
        if service == "package":
            return packages.cmd_package(rest)
        if service == "user":
            out = (
                packages.user_list(rest[1:])
                if rest[:1] == ["list"]
                else Output.of(stdout=f"Unknown command: {rest[0] if rest else ''}\n", status=255)
            )
            if packages.legacy:
                out.status = 0
            return out
        if service == "activity":
            return activity(rest)
        if service == "settings":
            return settings_command(state, rest)
        if service == "-l":
            return Output.of(stdout="activity\ndevice_policy\npackage\nsettings\nuser\n")
        return Output.of(stderr=f"cmd: Can't find service: {service}\n", status=20)

    def activity(rest: list[str]) -> Output:
        if rest[:1] == ["force-stop"]:
            return packages.force_stop(rest[1:])
        if not rest:
            return Output.of(stdout="Activity manager (activity) commands:\n", status=255)
        return Output.of(stdout=f"Unknown command: {rest[0]}\n", status=255)

    def am(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
        return activity(argv[1:])

    def dumpsys_command(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
        return dumpsys(state, argv[1:], package_dumps)

    def getprop(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
        props = state.properties
        if len(argv) == 1:
            # The fault quirk "props_without" leaves keys out of the list (not of `getprop KEY`).
            left_out = set(state.quirks.get("props_without", "").split(","))
            text = "".join(
                f"[{key}]: [{props[key]}]\n" for key in sorted(props) if key not in left_out
            )
            return Output.of(stdout=text)
        default = argv[2] if len(argv) > 2 else ""
        return Output.of(stdout=props.get(argv[1], default) + "\n")

    def setprop(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
        if len(argv) != 3:
            return Output.of(stderr="setprop: Need 2 arguments\n", status=1)
        return Output.of(stderr=f"Failed to set property '{argv[1]}' to '{argv[2]}'.\n", status=1)

    def settings(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
        return settings_command(state, argv[1:])

    def reboot(_shell: Shell, _argv: list[str], _stdin: bytes) -> Output:
        with state.lock:
            state.rebooted = True
            state.reboots += 1
        return Output()

    table: dict[str, CommandFn] = {
        "pm": pm,
        "cmd": cmd,
        "am": am,
        "dumpsys": dumpsys_command,
        "getprop": getprop,
        "setprop": setprop,
        "settings": settings,
        "reboot": reboot,
    }
    table.update(_PLAIN_COMMANDS)
    table.update(FILE_COMMANDS)
    return table


def settings_command(state: PhoneState, args: list[str]) -> Output:
    """The `settings` tool: get, put, delete, list in system, secure and global."""
    if args[:1] == ["--user"]:
        args = args[2:]
    if not args:
        return Output.of(stderr="usage:  settings [--user <USER_ID>] get namespace key\n", status=1)
    verb, rest = args[0], args[1:]
    if not rest or rest[0] not in _SETTINGS_NAMESPACES:
        return Output.of(stderr=f"Invalid namespace '{rest[0] if rest else ''}'\n", status=255)
    namespace = rest[0]
    with state.lock:
        if verb == "get" and len(rest) == 2:
            value = state.settings.get((namespace, rest[1]), "null")
            return Output.of(stdout=value + "\n")
        if verb == "put" and len(rest) >= 3:
            state.settings[(namespace, rest[1])] = rest[2]
            return Output()
        if verb == "delete" and len(rest) == 2:
            removed = state.settings.pop((namespace, rest[1]), None)
            return Output.of(stdout=f"Deleted {0 if removed is None else 1} rows\n")
        if verb == "list" and len(rest) == 1:
            items = sorted((k[1], v) for k, v in state.settings.items() if k[0] == namespace)
            return Output.of(stdout="".join(f"{key}={value}\n" for key, value in items))
    return Output.of(stderr=f"Invalid command: {verb}\n", status=255)


# --- toybox's file tools, for the shell's scratch files in /data/local/tmp -------------------


def _cat(shell: Shell, argv: list[str], stdin: bytes) -> Output:
    if len(argv) == 1:
        return Output.of(stdout=stdin)
    out = Output()
    for path in argv[1:]:
        data = shell.read_file(path)
        if data is not None:
            out.write(1, data)
        else:
            out.write(2, f"cat: {path}: No such file or directory\n")
            out.status = 1
    return out


def _rm(shell: Shell, argv: list[str], _stdin: bytes) -> Output:
    out = Output()
    for path in (a for a in argv[1:] if not a.startswith("-")):
        if not shell.remove_file(path) and "-f" not in argv:
            out.write(2, f"rm: {path}: No such file or directory\n")
            out.status = 1
    return out


FILE_COMMANDS: dict[str, CommandFn] = {"cat": _cat, "rm": _rm}  # and grep (below)
"""`cat`, `rm` and `grep` over the shell's files, as they are at the moment on the shell's
clock."""


# --- commands that do not touch the phone's state --------------------------------------------


def _echo(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
    args = argv[1:]
    newline = True
    if args[:1] == ["-n"]:
        newline = False
        args = args[1:]
    return Output.of(stdout=" ".join(args) + ("\n" if newline else ""))


def _printf(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
    if len(argv) < 2:
        return Output.of(stderr="printf: Need 1 argument\n", status=1)
    fmt, args = argv[1], argv[2:]
    out: list[str] = []
    while True:
        text, used = _format_once(fmt, args)
        out.append(text)
        args = args[used:]
        if not args or used == 0:
            break
    return Output.of(stdout="".join(out))


def _format_once(fmt: str, args: list[str]) -> tuple[str, int]:
    """One pass of printf's format over the arguments; returns the text and arguments used."""
    escapes = {"\\n": "\n", "\\t": "\t", "\\\\": "\\", "\\r": "\r"}
    values = iter(args)
    used = 0

    def field(match: re.Match[str]) -> str:
        nonlocal used
        spec = match.group(0)
        if spec == "%%":
            return "%"
        if spec in escapes:
            return escapes[spec]
        used += 1
        value = next(values, "")
        if spec == "%d":
            return value if _NUMBER.fullmatch(value) else "0"
        return value

    return re.sub(r"%[sd%]|\\[ntr\\]", field, fmt), used


def _true(_shell: Shell, _argv: list[str], _stdin: bytes) -> Output:
    return Output()


def _false(_shell: Shell, _argv: list[str], _stdin: bytes) -> Output:
    return Output(status=1)


def _exit(shell: Shell, argv: list[str], _stdin: bytes) -> Output:
    status = shell.status
    if len(argv) > 1:
        if not _NUMBER.fullmatch(argv[1]):
            return Output.of(stderr=f"{SH}: exit: {argv[1]}: bad number\n", status=1)
        status = int(argv[1])
    raise ExitShell(status)


def _id(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
    if "-u" in argv:
        return Output.of(stdout="2000\n")
    return Output.of(stdout=SHELL_ID + "\n")


def _whoami(_shell: Shell, _argv: list[str], _stdin: bytes) -> Output:
    return Output.of(stdout="shell\n")


def _uname(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
    if "-a" in argv:
        return Output.of(stdout="Linux localhost 5.15.123-android14-11 #1 SMP PREEMPT aarch64\n")
    return Output.of(stdout="Linux\n")


def _which(shell: Shell, argv: list[str], _stdin: bytes) -> Output:
    names = [a for a in argv[1:] if a != "-v"]
    found = [f"/system/bin/{n}" for n in names if n in shell.commands]
    return Output.of(stdout="".join(f"{f}\n" for f in found), status=0 if found else 1)


def _grep_arguments(argv: list[str]) -> tuple[set[str], list[str], list[str]]:
    """(flags, patterns given with -e, the other words)."""
    flags: set[str] = set()
    patterns: list[str] = []
    rest: list[str] = []
    args = iter(argv[1:])
    for arg in args:
        if arg == "-e":
            patterns.append(next(args, ""))
        elif arg.startswith("-") and len(arg) > 1 and not rest:
            flags.update(arg[1:])
        else:
            rest.append(arg)
    return flags, patterns, rest


def _grep_lines(regex: re.Pattern[str], flags: set[str], prefix: str, text: str) -> list[str]:
    """The lines (or with -o the matches) grep prints for one input."""
    matched: list[str] = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        hit = regex.fullmatch(body) if "x" in flags else regex.search(body)
        if bool(hit) == ("v" in flags):
            continue
        if "o" in flags and "v" not in flags:
            found = [regex.fullmatch(body)] if "x" in flags else list(regex.finditer(body))
            matched += [f"{prefix}{m.group()}\n" for m in found if m and m.group()]
        else:
            matched.append(prefix + body + "\n")
    return matched


def _grep(shell: Shell, argv: list[str], stdin: bytes) -> Output:
    """toybox grep's flags the scan and the tests use: -v -i -c -q -F -x -o -h -e, FILE...
    (files as they are now on the shell's clock; a missing one is an error, status 2, unless
    a line matched elsewhere and -q asks only whether one did)."""
    flags, patterns, rest = _grep_arguments(argv)
    if not patterns:
        if not rest:
            return Output.of(
                stderr="usage: grep [-EFHabchilnoqrsvwxZz] PATTERN [FILE...]\n", status=2
            )
        patterns = [rest.pop(0)]
    texts = [p if "F" in flags else f"(?:{p})" for p in patterns]
    if "F" in flags:  # the longest of several fixed strings matching at one place, as toybox
        texts = [re.escape(p) for p in sorted(patterns, key=len, reverse=True)]
    try:
        regex = re.compile("|".join(texts), re.I if "i" in flags else 0)
    except re.error:
        return Output.of(stderr=f"grep: bad regex '{patterns[0]}'\n", status=2)
    out = Output()
    inputs: list[tuple[str, bytes]] = [("", stdin)] if not rest else []
    for path in rest:
        data = shell.read_file(path)
        if data is None:
            out.write(2, f"grep: {path}: No such file or directory\n")
            out.status = 2
        else:
            inputs.append((path, data))
    matched: list[str] = []
    for path, data in inputs:
        prefix = f"{path}:" if len(rest) > 1 and "h" not in flags else ""
        matched += _grep_lines(regex, flags, prefix, decode(data))
    status = 0 if matched else (out.status or 1)
    if "q" in flags:
        return Output(status=0 if matched else status)
    if "c" in flags:
        out.write(1, f"{len(matched)}\n")
    else:
        out.write(1, "".join(matched))
    out.status = status
    return out


FILE_COMMANDS["grep"] = _grep


def _line_count(argv: list[str], default: int = 10) -> int | None:
    args = argv[1:]
    for index, arg in enumerate(args):
        value = args[index + 1] if arg == "-n" and index + 1 < len(args) else None
        if _NUMBER.fullmatch(arg) and arg.startswith("-"):
            value = arg[1:]
        if value is not None:
            return int(value) if _NUMBER.fullmatch(value) and int(value) >= 0 else None
    return default


def _head(_shell: Shell, argv: list[str], stdin: bytes) -> Output:
    count = _line_count(argv)
    if count is None:
        return Output.of(stderr="head: bad -n\n", status=1)
    lines = stdin.splitlines(keepends=True)
    return Output.of(stdout=b"".join(lines[:count]))


def _tail(_shell: Shell, argv: list[str], stdin: bytes) -> Output:
    count = _line_count(argv)
    if count is None:
        return Output.of(stderr="tail: bad -n\n", status=1)
    lines = stdin.splitlines(keepends=True)
    return Output.of(stdout=b"".join(lines[-count:] if count else []))


def _wc(_shell: Shell, argv: list[str], stdin: bytes) -> Output:
    lines = stdin.count(b"\n")
    if "-l" in argv:
        return Output.of(stdout=f"{lines}\n")
    return Output.of(stdout=f"{lines} {len(stdin.split())} {len(stdin)}\n")


def _sort(_shell: Shell, argv: list[str], stdin: bytes) -> Output:
    lines = sorted(stdin.splitlines(keepends=False))
    if "-u" in argv:
        lines = sorted(set(lines))
    return Output.of(stdout=b"".join(line + b"\n" for line in lines))


def _sleep(_shell: Shell, _argv: list[str], _stdin: bytes) -> Output:
    # The simulated phone never really sleeps: latency is an option of the phone instead.
    return Output()


_PLAIN_COMMANDS: dict[str, Callable[[Shell, list[str], bytes], Output]] = {
    "echo": _echo,
    "printf": _printf,
    "true": _true,
    "false": _false,
    "exit": _exit,
    "id": _id,
    "whoami": _whoami,
    "uname": _uname,
    "which": _which,
    "grep": _grep,
    "head": _head,
    "tail": _tail,
    "wc": _wc,
    "sort": _sort,
    "sleep": _sleep,
}
